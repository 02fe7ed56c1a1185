"""``scripts/reference_simulator.py``, the reference simulator's loop re-implemented for comparison,
on scikit-learn's bundled breast-cancer set (a stream of two days and a half): it runs, uses the whole stream,
and moves coins between the agents without making or losing any; its Keras features of a review."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sumchain.sim.data import load_data
from sumchain.sim.scenario import DatasetSpec

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reference_simulator.py"


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script, imported."""
    spec = importlib.util.spec_from_file_location("reference_simulator", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_the_reference_loop_moves_deposits_between_agents_only(reference: ModuleType) -> None:
    data = load_data(DatasetSpec(name="breast_cancer", initial_fraction=0.08), 0)
    result = reference.run(data, 0)
    counts, shares = result["counts"], result["balances"]
    assert counts["good added"] + counts["bad added"] == len(data.stream)
    starts = {agent.name: agent.start for agent in reference.AGENTS}
    assert sum(shares[name] * starts[name] / 100 for name in starts) == pytest.approx(sum(starts.values()))
    assert shares["bad"] < 100 < shares["good"]  # the paper's result, in the reference's own rules
    assert min(counts[f"{name} {kind}"] for name in starts for kind in ("refunds", "reports", "took all")) > 0
    assert len(result["accuracy"]) == len(result["days"]) >= 2 and 0 < result["baseline"] <= 1


def test_keras_features_are_the_start_mark_the_out_of_vocabulary_mark_and_the_top_words(reference: ModuleType) -> None:
    ids = {"the": 4, "br": 10, "don't": 92, "good": 52, "rare": 999, "rarer": 1000}
    found = reference.keras_features("The GOOD<br />film, don't... rare rarer", ids)
    assert found == (1, 2, 4, 10, 52, 92, 999)  # "film" and "rarer" are out of the vocabulary: bit 2
    assert reference.keras_features("the", ids) == (1, 4)
