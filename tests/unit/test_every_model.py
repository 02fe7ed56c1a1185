"""What every model shares, checked for each: one trainer source, generic chunked
loading, discovery from chain, mirror parity, the incentive mechanism, a prediction market.

Each model is built from a small reference-format spec (the format of
``shared/original/FORMATS.md``), so this file also exercises the import path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sumchain import ContractReverted, DepositRefundTake, InvalidSample, SharedModel, SumchainError
from sumchain.chain.compiler import MODELS
from sumchain.incentives import DAY
from sumchain.market import Market, PredictionMarket, evaluation_scores, rewards, split_test_set
from sumchain.models import MIRRORS
from sumchain.models.reference_file import model_from_spec
from tests.helpers import assert_empty_sample_refused, deploy_interrupted, observable_state

RNG_SEED = 11


def spec_for(model_type: str, rng: np.random.Generator) -> dict[str, Any]:
    """A small random model of each type, in the reference format."""
    n = 12
    if model_type == "sparse perceptron":
        return {"type": model_type, "weights": rng.normal(size=n).tolist(), "intercept": 0.1, "learningRate": 0.5}
    if model_type == "dense perceptron":
        return {"type": model_type, "weights": rng.normal(size=n).tolist(), "intercept": 0.0, "learningRate": 1.0}
    if model_type == "naive bayes":
        return {
            "type": model_type,
            "classifications": ["a", "b", "c"],
            "classCounts": [5, 7, 3],
            "featureCounts": [[[int(f), int(rng.integers(1, 9))] for f in range(0, n, k)] for k in (1, 2, 3)],
            "totalNumFeatures": n,
        }
    if model_type == "dense nearest centroid classifier":
        return {
            "type": model_type,
            "centroids": {name: {"centroid": rng.normal(size=n).tolist(), "dataCount": 4} for name in "xyz"},
        }
    if model_type == "sparse nearest centroid classifier":
        return {
            "type": model_type,
            "centroids": {
                name: {
                    "centroid": {str(f): float(rng.uniform(0, 0.95)) for f in range(n) if rng.random() < 0.6},
                    "dataCount": 4,
                }
                for name in "xyz"
            },
        }
    raise AssertionError(f"no example for {model_type!r}: add one")


def sample_for(model: SharedModel, rng: np.random.Generator) -> list[int]:
    n = model.n_features
    if model.codec.sparse:
        return sorted(rng.choice(n, size=4, replace=False).tolist())
    return [int(v) for v in rng.integers(-(10**9), 10**9, size=n)]


TYPES = sorted(MIRRORS)


def test_every_trainer_model_is_registered() -> None:
    """(Their sizes: ``tests/unit/test_limits.py``.)"""
    assert sorted(cls.contract_model for cls in MIRRORS.values()) == sorted(MODELS)


@pytest.mark.parametrize("model_type", TYPES)
def test_model_deploys_is_found_on_chain_and_matches_its_mirror(chain, model_type) -> None:
    rng = np.random.default_rng(RNG_SEED)
    mirror = model_from_spec(spec_for(model_type, rng))
    shared = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    found = SharedModel(chain, shared.address)
    assert found.mirror_class is type(mirror)
    assert found.parameter_words() == mirror.to_words()
    assert found.n_classes == mirror.n_classes
    samples = [sample_for(found, rng) for _ in range(6)]
    assert [found.predict(s) for s in samples] == mirror.predict(samples).tolist()
    for i, sample in enumerate(samples):
        label = i % mirror.n_classes
        found.add_data(sample, label, sender=1)
        mirror.partial_fit([sample], [label])
        assert found.parameter_words() == mirror.to_words()
    assert [found.predict(s) for s in samples] == mirror.predict(samples).tolist()


@pytest.mark.parametrize("model_type", TYPES)
def test_bad_label_and_sample_are_refused_before_sending_and_on_chain(chain, model_type) -> None:
    rng = np.random.default_rng(RNG_SEED)
    mirror = model_from_spec(spec_for(model_type, rng))
    shared = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    before = observable_state(shared)
    with pytest.raises(InvalidSample):
        shared.add_data(sample_for(shared, rng), mirror.n_classes, sender=1)
    bad_label = shared.abi.encode_call("add_data", shared.codec.encode(sample_for(shared, rng)), mirror.n_classes)
    with pytest.raises(ContractReverted, match="label out of range"):
        chain.transact(shared.address, bad_label, sender=chain.accounts[1])
    too_long = shared.codec.encode(sample_for(shared, rng)) + bytes(8)
    with pytest.raises(ContractReverted, match="samples: "):
        chain.call(shared.address, shared.abi.encode_call("predict", too_long))
    assert observable_state(shared) == before


def smallest_sample(model: SharedModel) -> list[int]:
    """The smallest sample that carries information: the last index alone, or one value 1 at the end."""
    n = model.n_features
    return [n - 1] if model.codec.sparse else [0] * (n - 1) + [1]


@pytest.mark.parametrize("model_type", TYPES)
def test_smallest_sample_is_accepted_by_predict_and_add_data(chain, model_type) -> None:
    mirror = model_from_spec(spec_for(model_type, np.random.default_rng(RNG_SEED)))
    shared = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    sample = smallest_sample(shared)
    assert shared.predict(sample) == mirror.predict([sample])[0]
    added = shared.add_data(sample, 1, sender=1)
    mirror.partial_fit([sample], [1])
    assert added.contribution.data == tuple(sample)
    assert shared.parameter_words() == mirror.to_words()


@pytest.mark.parametrize("model_type", TYPES)
def test_a_scipy_sparse_matrix_is_read_as_its_rows(chain, model_type) -> None:
    """A sparse model reads the columns that hold a value (CountVectorizer's counts), a dense one the
    values: the same predictions and fit as from lists, in the mirror and on chain; labels in a float array."""
    from scipy.sparse import csr_array, csr_matrix

    rng = np.random.default_rng(RNG_SEED)
    mirror = model_from_spec(spec_for(model_type, rng))
    shared = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    samples = [sample_for(shared, rng) for _ in range(10)]
    if shared.codec.sparse:
        counts = np.zeros((len(samples), shared.n_features), dtype=np.int64)
        for row, sample in zip(counts, samples, strict=True):
            row[sample] = rng.integers(1, 4, size=len(sample))
    else:
        counts = np.array(samples, dtype=np.int64)
    expected = mirror.predict(samples).tolist()
    for matrix in (csr_matrix(counts), csr_array(counts)):
        assert mirror.predict(matrix).tolist() == expected == shared.predict_many(matrix)
    labels = [i % 2 for i in range(len(samples))]
    from_lists = model_from_spec(spec_for(model_type, np.random.default_rng(RNG_SEED))).partial_fit(samples, labels)
    from_matrix = mirror.partial_fit(csr_matrix(counts), np.array(labels, dtype=float))
    assert from_matrix.to_words() == from_lists.to_words()
    with pytest.raises(InvalidSample, match="a sample is one row, got a matrix of 10 rows"):
        shared.predict(csr_matrix(counts))
    with pytest.raises(InvalidSample, match=r"a label is a class number, got 0\.5"):
        mirror.partial_fit(samples[:1], [0.5])


@pytest.mark.parametrize("model_type", TYPES)
def test_empty_sample_is_refused_before_sending_and_on_chain(chain, model_type) -> None:
    """No index, or the zero vector: predicted from the intercept or prior alone, never refundable."""
    mirror = model_from_spec(spec_for(model_type, np.random.default_rng(RNG_SEED)))
    shared = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    assert_empty_sample_refused(shared, mirror, 1)


@pytest.mark.parametrize("model_type", TYPES)
def test_interrupted_deploy_resumes_where_it_stopped(chain, model_type) -> None:
    rng = np.random.default_rng(RNG_SEED)
    mirror = model_from_spec(spec_for(model_type, rng))
    partial, _ = deploy_interrupted(chain, mirror, chunks=0)
    assert partial._call("words_loaded") == 0
    assert not partial.ready()
    with pytest.raises(ContractReverted, match="trainer: parameters not loaded"):
        partial.predict(sample_for(partial, rng))
    with pytest.raises(SumchainError, match=r"has 0 of its \d+ parameter words loaded: its upload is not finished"):
        partial.mirror()
    partial.upload_parameters(mirror.to_words())
    assert partial.ready()
    assert partial.mirror().to_words() == mirror.to_words()


@pytest.mark.parametrize("model_type", TYPES)
def test_a_market_on_each_model_scores_and_pays_as_its_mirror(chain, model_type) -> None:
    rng = np.random.default_rng(RNG_SEED)
    mirror = model_from_spec(spec_for(model_type, rng))
    stake, bounty = 10**15, 10**17
    parameters = PredictionMarket(stake=stake, min_duration=DAY, min_contributions=6, reveal_window=DAY)
    market = Market.create(chain, mirror, parameters, bounty=bounty, sender=0)
    samples = [sample_for(market.model, rng) for _ in range(12)]
    tests = split_test_set(samples, [0] * len(samples), pieces=3)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    first = market.draw(sender=3)
    market.reveal(tests, first, sender=0)
    staked = [(samples[k], 0) for k in range(0, 12, 2)]  # test samples taught as class 0: the scores move
    for i, (sample, label) in enumerate(staked):
        market.add_data(sample, label, sender=1 + i % 2)
    chain.advance_time(DAY)
    market.end(sender=3)
    market.reveal_rest(tests, sender=0)
    market.evaluate(sender=3)
    market.settle(sender=3)
    scores = evaluation_scores(mirror, tests, first, staked)
    assert market.scores() == scores
    assert any(scores)
    payout = rewards(scores, stake=stake, bounty=bounty, test_samples=12 - len(tests.pieces[first].samples))
    owed = [payout.bounty_left, sum(payout.balances[0::2]), sum(payout.balances[1::2])]
    assert [market.owed(k) for k in range(3)] == owed
    assert sum(owed) == chain.balance(market.address) == 6 * stake + bounty
