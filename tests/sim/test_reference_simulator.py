"""``scripts/reference_simulator.py``, the reference simulator's loop re-implemented for comparison,
on scikit-learn's bundled breast-cancer set (a stream of two days and a half): it runs, uses the whole stream,
and moves coins between the agents without making or losing any."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from sumchain.sim.data import load_data
from sumchain.sim.scenario import DatasetSpec

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reference_simulator.py"


def test_the_reference_loop_moves_deposits_between_agents_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("reference_simulator", SCRIPT)
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, reference)  # its dataclass looks itself up there
    spec.loader.exec_module(reference)
    data = load_data(DatasetSpec(name="breast_cancer", initial_fraction=0.08), 0)
    result = reference.run(data, 0)
    counts, shares = result["counts"], result["balances"]
    assert counts["good added"] + counts["bad added"] == len(data.stream)
    starts = {agent.name: agent.start for agent in reference.AGENTS}
    assert sum(shares[name] * starts[name] / 100 for name in starts) == pytest.approx(sum(starts.values()))
    assert shares["bad"] < 100 < shares["good"]  # the paper's result, in the reference's own rules
    assert min(counts[f"{name} {kind}"] for name in starts for kind in ("refunds", "reports", "took all")) > 0
    assert len(result["accuracy"]) == len(result["days"]) >= 2 and 0 < result["baseline"] <= 1
