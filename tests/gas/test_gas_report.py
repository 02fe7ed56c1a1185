"""``sumchain gas``: the baseline's figures are read from its file, the JSON output is rows only,
an unknown model is one line of error."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sumchain import gas
from sumchain.errors import SumchainError

needs_baseline = pytest.mark.skipif(not gas.BASELINE.is_file(), reason="../shared/original is not next to the checkout")


def sumchain(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sumchain", *args], env=env, capture_output=True, text=True, timeout=300
    )


@needs_baseline
def test_the_baseline_is_read_for_the_chosen_hardfork() -> None:
    bpo1 = gas.read_baseline(gas.BASELINE)
    assert len(bpo1) == len(gas.WORKLOADS) * len(gas.OPERATIONS)
    assert {model for model, _ in bpo1} == set(gas.WORKLOADS)
    assert bpo1["imdb-sparse-perceptron", "deploy_total"] == 30_258_745
    assert gas.read_baseline(gas.BASELINE, hardfork="istanbul")["imdb-sparse-perceptron", "deploy_total"] == 28_934_157


def test_a_file_without_baseline_rows_is_an_error(tmp_path) -> None:
    (tmp_path / "b.md").write_text('```json\n{"not": "rows"}\n```\n')
    with pytest.raises(SumchainError, match="no JSON block"):
        gas.read_baseline(tmp_path / "b.md")


def test_rows_and_ratio() -> None:
    row = gas.GasRow("m", "refund", 50, 200)
    assert row.to_dict() == {"model": "m", "operation": "refund", "gas": 50, "reference_gas": 200, "ratio": 0.25}
    assert gas.GasRow("m", "deploy part: trainer", 7).ratio is None
    assert json.loads(gas.rows_to_json([row, row])) == [row.to_dict()] * 2


@needs_baseline
def test_json_output_is_only_rows_with_reference_figures() -> None:
    proc = sumchain("gas", "--json", "--model", "fitness-dense-perceptron")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["operation"] for r in rows[: len(gas.OPERATIONS)]] == list(gas.OPERATIONS)
    assert {tuple(r) for r in rows} == {("model", "operation", "gas", "reference_gas", "ratio")}
    assert all(r["model"] == "fitness-dense-perceptron" for r in rows)
    main = {r["operation"]: r for r in rows if r["reference_gas"] is not None}
    assert set(main) == set(gas.OPERATIONS)
    assert main["deploy_total"]["reference_gas"] == 7_340_682
    total = main["deploy_total"]["gas"]
    assert total == sum(r["gas"] for r in rows if r["operation"].startswith("deploy part"))
    assert main["deploy_total"]["ratio"] == round(total / 7_340_682, 4)


def test_an_unknown_model_is_one_line_of_error() -> None:
    proc = sumchain("gas", "--model", "hot-dog")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "unknown gas workload 'hot-dog'" in proc.stderr and not proc.stdout
