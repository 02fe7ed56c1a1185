"""Gas regression gate: every workload of ``sumchain gas`` against the committed snapshot.

The reference engine (py-evm) is measured against the snapshot, and the default
engine (revm) must give exactly the same figure on every row.
An operation that costs more than 2% above ``benchmarks/gas-snapshot.json`` fails,
and so does a row that appears or disappears (e.g. a changed deploy chunking).
Cheaper operations pass with a warning that the snapshot can be refreshed with
``sumchain gas --json > benchmarks/gas-snapshot.json`` (from the repository root).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from sumchain import gas

SNAPSHOT = Path(__file__).resolve().parents[2] / "benchmarks" / "gas-snapshot.json"
TOLERANCE_PERCENT = 2
REFRESH = "sumchain gas --json > benchmarks/gas-snapshot.json"


def snapshot() -> dict[str, dict[str, int]]:
    """Snapshot gas by model, then operation."""
    found: dict[str, dict[str, int]] = {}
    for row in json.loads(SNAPSHOT.read_text()):
        found.setdefault(row["model"], {})[row["operation"]] = row["gas"]
    return found


def regressions(expected: dict[str, int], measured: dict[str, int]) -> list[str]:
    """What breaks the gate: rows more than 2% dearer, missing rows, new rows."""
    problems = [f"missing (in the snapshot, not measured): {op}" for op in expected if op not in measured]
    problems += [f"new (measured, not in the snapshot): {op}" for op in measured if op not in expected]
    problems += [
        f"{op}: {measured[op]:,} gas > snapshot {expected[op]:,} (+{measured[op] / expected[op] - 1:.2%})"
        for op in expected
        if op in measured and measured[op] * 100 > expected[op] * (100 + TOLERANCE_PERCENT)
    ]
    return problems


def test_the_gate_catches_dearer_missing_and_new_rows() -> None:
    expected = {"deploy_total": 1_000, "refund": 100}
    assert regressions(expected, {"deploy_total": 1_020, "refund": 50}) == []
    assert regressions(expected, {"deploy_total": 1_021, "refund": 100}) == [
        "deploy_total: 1,021 gas > snapshot 1,000 (+2.10%)"
    ]
    assert regressions(expected, {"deploy_total": 1_000, "report": 1}) == [
        "missing (in the snapshot, not measured): refund",
        "new (measured, not in the snapshot): report",
    ]


def test_the_snapshot_has_every_workload_and_operation() -> None:
    found = snapshot()
    assert list(found) == list(gas.WORKLOADS), f"refresh the snapshot: {REFRESH}"
    for model, operations in found.items():
        assert set(gas.OPERATIONS) <= set(operations), f"{model}: refresh the snapshot: {REFRESH}"


@pytest.mark.parametrize("name", list(gas.WORKLOADS))
def test_gas_is_within_two_percent_of_the_snapshot_and_identical_on_both_engines(name: str) -> None:
    if name == "imdb-sparse-perceptron" and not gas.IMDB_MODEL.is_file():
        pytest.skip(f"{gas.IMDB_MODEL} is not next to the checkout (the snapshot measured the real file)")
    expected = snapshot().get(name, {})
    measured = {row.operation: row.gas for row in gas.measure(name, engine="py-evm")}
    assert {row.operation: row.gas for row in gas.measure(name, engine="revm")} == measured
    problems = regressions(expected, measured)
    assert not problems, f"{name}: refresh the snapshot if intended: {REFRESH}\n" + "\n".join(problems)
    cheaper = [f"{op} {expected[op]:,} -> {gas_used:,}" for op, gas_used in measured.items() if gas_used < expected[op]]
    if cheaper:
        warnings.warn(f"{name} got cheaper ({'; '.join(cheaper)}): refresh the snapshot: {REFRESH}", stacklevel=1)
