"""Every model of sumchain in the simulation: each under each mechanism on the real contracts,
dense models on vectors of values, and one line for a model its data does not suit."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from sumchain.client import SharedModel
from sumchain.errors import SumchainError
from sumchain.models import SCALE
from sumchain.sim import load_scenario, simulate
from sumchain.sim.data import load_data
from sumchain.sim.mechanism import MECHANISMS
from sumchain.sim.runner import make_mirror, new_chain
from sumchain.sim.scenario import MODELS, DatasetSpec, ModelSpec, Scenario, ScenarioError, parse_scenario
from sumchain.sim.strategies import CheapSpam
from sumchain.sim.sweep import grid, point_scenario, sweep

CANCER = DatasetSpec(name="breast_cancer", initial_fraction=0.2)
"""Two classes, 30 numbers a sample: every model takes it."""
SMOKE_OF = {"deposit-refund-take": "smoke", "points": "smoke-points", "prediction-market": "smoke-market"}


def scenario(model: str, mechanism: str = "deposit-refund-take", dataset: DatasetSpec = CANCER) -> Scenario:
    """The shipped smoke scenario of the mechanism, on ``dataset`` with ``model``."""
    base = load_scenario(SMOKE_OF[mechanism])
    spec = dataclasses.replace(base.mechanism, pieces=0) if mechanism == "prediction-market" else base.mechanism
    return dataclasses.replace(base, dataset=dataset, model=ModelSpec(type=model), mechanism=spec)


@pytest.mark.parametrize("mechanism", list(MECHANISMS))
@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_runs_under_every_mechanism_on_its_contract(model: str, mechanism: str) -> None:
    chosen = scenario(model, mechanism)
    chain = new_chain(chosen)
    run = simulate(chosen, chain=chain, days=2.5)  # it compares the chain's model with its mirror at each record
    deployed = SharedModel(chain, run.model)
    assert deployed.mirror().model_type == MODELS[model].model_type
    assert deployed.metadata.feature_kind == ("values" if chosen.model.dense else "indices")
    assert run.contributions > 10 and run.reverted == 0
    assert len(run.accuracy) == len(run.times) >= 3 and all(0 < a <= 1 for a in run.accuracy)


def test_a_dense_run_is_reproducible_and_its_model_learns_every_contribution() -> None:
    chosen = scenario("nearest centroid", dataset=DatasetSpec(name="iris", initial_fraction=0.2))
    chain = new_chain(chosen)
    first, again = simulate(chosen, chain=chain, days=2), simulate(chosen, days=2)
    assert first.to_json() == again.to_json()
    initial = load_data(chosen.dataset, chosen.seed, dense=True).initial
    counts = SharedModel(chain, first.model).mirror().counts_  # type: ignore[attr-defined]
    assert first.contributions > 10 and int(counts.sum()) == len(initial) + first.contributions


@pytest.mark.parametrize("model", ["dense perceptron", "nearest centroid"])
def test_every_strategy_acts_on_a_dense_model(model: str) -> None:
    attacks = dataclasses.replace(load_scenario("attacks"), dataset=CANCER, model=ModelSpec(type=model))
    run = simulate(attacks, days=2.5)  # the flood starts on day 2
    assert {a.strategy for a in run.agents} == {"honest", "flipper", "random", "spam", "sybil", "flood"}
    assert all(a.added > 0 for a in run.agents) and run.reverted == 0
    sent = CheapSpam().turn((5, -3, 7, 2), 1, 2, random.Random(0), dense=True).sample
    assert len(sent) == 4 and sum(v != 0 for v in sent) == 1 and set(sent) - {0} <= {5, -3, 7, 2}


def test_dense_samples_are_unit_vectors_of_the_standardised_numbers() -> None:
    sparse, dense = load_data(CANCER, 0), load_data(CANCER, 0, dense=True)
    assert not sparse.dense and dense.dense and dense.n_features == sparse.n_features == 30
    for sample, _ in dense.initial + dense.stream + dense.test:
        assert len(sample) == 30
        assert math.isqrt(sum(v * v for v in sample)) == pytest.approx(SCALE, rel=1e-6)
    assert {label for _, label in dense.test} == {0, 1}
    assert len(dense.initial) + len(dense.stream) == 398  # 70% of 569, none left out


def test_a_dense_model_takes_no_text_dataset() -> None:
    with pytest.raises(SumchainError, match="tiny-reviews dataset is text, whose word features a dense model does not"):
        load_data(DatasetSpec(name="tiny-reviews"), 0, dense=True)


def test_a_sweep_loads_dense_data_for_its_dense_models() -> None:
    base = scenario("sparse perceptron")
    flood = dataclasses.replace(base.agents[1], name="flood", strategy="flood")
    base = dataclasses.replace(base, days=1.0, agents=(base.agents[0], flood))
    points = grid(["deposit-refund-take"], ["sparse perceptron", "dense perceptron"], [1.0], [0.5])
    outcomes = sweep(base, points, data=load_data(base.dataset, base.seed), jobs=1)
    dense = next(o for o in outcomes if o.point.model == "dense perceptron" and o.point.fraction == 0.5)
    alone = simulate(point_scenario(base, dense.point))  # loads its dense data itself
    assert dense.contributions == alone.contributions > 0 and dense.accuracy == alone.accuracy[-1]
    text = dataclasses.replace(base, dataset=DatasetSpec(name="tiny-reviews"), model=ModelSpec(type="dense perceptron"))
    (bayes,) = sweep(text, grid(["points"], ["naive bayes"], [1.0], [0.5])[1:], jobs=1)  # loads what its models take
    assert bayes.contributions > 0


@pytest.mark.parametrize(
    ("model", "dataset", "message"),
    [
        ("dense perceptron", "iris", "the dense perceptron has two classes, the dataset 3"),
        ("nearest centroid", "tiny-reviews", "whose word features a dense model does not take"),
    ],
)
def test_a_model_its_data_does_not_suit_is_one_error(model: str, dataset: str, message: str) -> None:
    with pytest.raises(SumchainError, match=message):
        simulate(scenario(model, dataset=DatasetSpec(name=dataset)), days=1)


def test_a_nearest_centroid_needs_every_class_in_its_initial_data() -> None:
    chosen = scenario("nearest centroid", dataset=DatasetSpec(name="iris", initial_fraction=0.02))
    data = load_data(chosen.dataset, 0, dense=True)
    assert len({label for _, label in data.initial}) < 3  # two samples of three classes
    with pytest.raises(SumchainError, match=r"the initial data has no sample of class .* raise .*initial_fraction"):
        make_mirror(chosen.model, data)


def test_data_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(SumchainError, match="the dense perceptron takes vectors of values: load the data with dense"):
        make_mirror(ModelSpec(type="dense perceptron"), load_data(CANCER, 0))


@pytest.mark.parametrize("model", ["naive bayes", "nearest centroid", "sparse nearest centroid"])
def test_learning_keys_apply_to_perceptrons_only(model: str) -> None:
    raw = {"model": {"type": model, "learning_rate": 1}, "agents": [{"name": "a", "strategy": "honest"}]}
    with pytest.raises(ScenarioError, match=f"'learning_rate' does not apply to {model} \\(it takes: type\\)"):
        parse_scenario(raw)
    assert parse_scenario({**raw, "model": {"type": "dense perceptron", "learning_rate": 1}}).model.perceptron
