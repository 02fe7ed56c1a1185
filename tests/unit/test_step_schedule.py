"""The perceptrons' shrinking step (``decay``): on chain, in the mirror, from scikit-learn and in files."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sumchain import ContractReverted, DensePerceptron, DepositRefundTake, SharedModel, SparsePerceptron
from sumchain.errors import ModelFileError
from sumchain.models.base import SCALE
from sumchain.models.perceptron import MAX_DECAY, MAX_SEEN, BinaryPerceptron, optimal_schedule, scheduled_step
from sumchain.models.reference_file import model_from_spec

FREE = DepositRefundTake(cost_weight=0)


def deploy(chain, mirror: BinaryPerceptron) -> SharedModel:  # type: ignore[no-untyped-def]
    return SharedModel.deploy(chain, mirror, mechanism=FREE)


def sparse_stream(rng: random.Random, n_features: int, count: int) -> list[tuple[list[int], int]]:
    return [(sorted(rng.sample(range(n_features), rng.randint(1, 6))), rng.randint(0, 1)) for _ in range(count)]


def dense_stream(rng: random.Random, n_features: int, count: int) -> list[tuple[list[int], int]]:
    return [([rng.randint(-SCALE, SCALE) for _ in range(n_features)], rng.randint(0, 1)) for _ in range(count)]


@pytest.mark.parametrize(
    ("mirror", "stream"),
    [
        (SparsePerceptron(n_features=20, learning_rate=3 * SCALE, decay=7, weight_bits=40), sparse_stream),
        (DensePerceptron(n_features=5, learning_rate=2 * SCALE, decay=5, weight_bits=48), dense_stream),
    ],
    ids=["sparse", "dense"],
)
def test_the_contract_learns_bit_exactly_as_the_mirror_and_counts_every_sample(chain, mirror, stream) -> None:
    rng = random.Random(7)
    initial = stream(rng, mirror.n_features, 12)
    mirror.fit([x for x, _ in initial], [y for _, y in initial])
    assert mirror.samples_seen_ > 0 and mirror.samples_seen_ % 12 == 0  # every pass counts
    model = deploy(chain, mirror)
    assert model.params[4] == mirror.decay
    before = mirror.samples_seen_
    updates = 0
    for x, y in stream(rng, mirror.n_features, 40):
        model.add_data(x, y, sender=1)
        updates += mirror._predict_one(mirror.codec.check(x)) != y
        mirror.partial_fit([x], [y])
    on_chain = model.mirror()
    assert on_chain.coef_.tolist() == mirror.coef_.tolist()
    assert on_chain.samples_seen_ == mirror.samples_seen_ == before + 40  # right predictions count too
    assert 0 < updates < 40
    assert model.mirror().to_words() == mirror.to_words()


def test_a_mistake_moves_the_weights_by_the_scheduled_step(chain) -> None:
    mirror = SparsePerceptron.from_weights([0] * 4, learning_rate=1000, decay=10, samples_seen=30)
    model = deploy(chain, mirror)
    model.add_data([0, 2], 1, sender=1)  # score 0 predicts 0: a mistake, step 1000 * 10 // 40
    assert model.mirror().coef_.tolist() == [250, 0, 250, 0]
    model.add_data([0, 2], 1, sender=1)  # right: no move, but counted
    model.add_data([1], 0, sender=1)  # right (score 0 predicts 0)
    model.add_data([1, 2], 0, sender=1)  # wrong: step 1000 * 10 // 43 = 232
    assert model.mirror().coef_.tolist() == [250, -232, 250 - 232, 0]
    assert model.mirror().samples_seen_ == 34


def test_without_a_decay_the_step_is_constant_and_no_word_counts(chain) -> None:
    mirror = SparsePerceptron.from_weights([0] * 4, learning_rate=1000)
    model = deploy(chain, mirror)
    assert model.params[4] == 0
    assert SparsePerceptron.n_words(model.params) == 1 == len(model.parameter_words())
    for _ in range(3):
        model.add_data([1], 1, sender=1)
        model.add_data([1], 0, sender=1)
    assert model.mirror().coef_.tolist() == [0, 0, 0, 0]
    model.add_data([1], 1, sender=1)
    assert model.mirror().coef_.tolist() == [0, 1000, 0, 0]


def test_the_step_reaches_zero_and_the_bounds_do_not_overflow(chain) -> None:
    top = 2**63 - 1
    mirror = SparsePerceptron.from_weights([0] * 3, learning_rate=12, weight_bits=8, decay=1, samples_seen=5)
    model = deploy(chain, mirror)
    model.add_data([1], 1, sender=1)  # 12 * 1 // 6: a step of 2
    labels = [1, 0, 1, 0, 1, 0]
    for label in labels:  # six mistakes in turn, each a step of 12 // 7 .. 12 // 12 = 1
        model.add_data([0], label, sender=1)
    model.add_data([2], 1, sender=1)  # a mistake, but 12 // 13 is 0: the model no longer moves
    assert model.mirror().coef_.tolist() == mirror.partial_fit([[1], *[[0]] * 6, [2]], [1, *labels, 1]).coef_.tolist()
    assert mirror.coef_.tolist() == [0, 2, 0]
    assert model.mirror().samples_seen_ == 13
    most = SparsePerceptron.from_weights([0], learning_rate=top, weight_bits=64, decay=MAX_DECAY, samples_seen=MAX_SEEN)
    largest = deploy(chain, most)
    largest.add_data([0], 1, sender=1)  # (2**63 - 1) * (2**64 - 1) // (2 * (2**64 - 1))
    assert largest.mirror().coef_.tolist() == most.partial_fit([[0]], [1]).coef_.tolist() == [top // 2]
    fresh = deploy(chain, SparsePerceptron.from_weights([0] * 3, learning_rate=top, weight_bits=64, decay=MAX_DECAY))
    fresh.add_data([2], 1, sender=1)  # the first step is the whole learning rate
    assert fresh.mirror().coef_.tolist() == [0, 0, top]
    dense = deploy(chain, DensePerceptron.from_weights([0, 0], learning_rate=top, decay=MAX_DECAY, weight_bits=64))
    dense.add_data([SCALE, -SCALE], 1, sender=1)
    assert dense.mirror().coef_.tolist() == [top, -top]


def test_the_mirror_refuses_a_bad_decay() -> None:
    with pytest.raises(ValueError, match="decay"):
        SparsePerceptron(n_features=2, decay=0).fit([[0]], [1])
    with pytest.raises(ValueError, match="decay"):
        DensePerceptron(n_features=1, decay=2**64).fit([[1]], [1])
    with pytest.raises(ValueError, match="samples_seen"):
        SparsePerceptron.from_weights([0], samples_seen=3)
    with pytest.raises(ValueError, match="samples_seen"):
        SparsePerceptron.from_weights([0], decay=2, samples_seen=-1)
    with pytest.raises(ValueError, match="samples_seen"):
        SparsePerceptron.from_weights([0], decay=2, samples_seen=MAX_SEEN + 1)


def test_an_sgd_classifier_with_the_optimal_rate_converts_to_its_schedule() -> None:
    from sklearn.linear_model import SGDClassifier

    rng = np.random.default_rng(3)
    X = (rng.random((60, 8)) < 0.4).astype(float)
    y = (X[:, 0] + X[:, 1] > X[:, 2] + 0.5).astype(int)
    clf = SGDClassifier(loss="perceptron", penalty=None, tol=None, max_iter=3, random_state=0).fit(X, y)
    mirror = SparsePerceptron.from_sklearn(clf)
    eta0, t0 = optimal_schedule(clf.alpha)
    assert (mirror.decay, mirror.samples_seen_, mirror.learning_rate) == (1000, clf.t_ - 1, round(eta0 * SCALE))
    # the step of the next sample is scikit-learn's eta for it, to the unit of the scale
    eta = 1.0 / (clf.alpha * (t0 + clf.t_ - 1))
    assert abs(scheduled_step(mirror.learning_rate, mirror.decay, mirror.samples_seen_) - eta * SCALE) <= 1
    # and a mistake moves each present weight by eta, as partial_fit does (the intercept aside)
    rows = [[int(i) for i in np.flatnonzero(row)] for row in X]
    agree = np.flatnonzero(mirror.predict(rows) == clf.predict(X))
    row = int(agree[0])
    wrong = 1 - int(clf.predict(X[row : row + 1])[0])
    before, mirror_before = clf.coef_[0].copy(), mirror.coef_.copy()
    clf.partial_fit(X[row : row + 1], [wrong])
    mirror.partial_fit([rows[row]], [wrong])
    moved = clf.coef_[0] - before
    assert np.abs(moved[rows[row]]).min() > 0.1
    assert np.allclose((mirror.coef_ - mirror_before) / SCALE, moved, atol=1e-9)
    assert SparsePerceptron.from_sklearn(clf, learning_rate=SCALE).decay is None


def test_model_files_carry_the_schedule() -> None:
    mirror = SparsePerceptron.from_weights([1, -2], learning_rate=SCALE, decay=1000, samples_seen=52)
    spec = mirror.to_reference_spec()
    assert (spec["learningRateDecay"], spec["samplesSeen"]) == (1000, 52)
    again = model_from_spec(spec)
    assert (again.decay, again.samples_seen_, again.coef_.tolist()) == (1000, 52, [1, -2])
    assert "learningRateDecay" not in SparsePerceptron.from_weights([1]).to_reference_spec()
    dense = model_from_spec({"type": "dense perceptron", "weights": [0.5], "learningRateDecay": 9})
    assert (dense.decay, dense.samples_seen_) == (9, 0)
    base = {"type": "sparse perceptron", "weights": [1]}
    for bad, reason in [
        ({"learningRateDecay": 0}, "learningRateDecay must be in"),
        ({"learningRateDecay": 2**64}, "learningRateDecay must be in"),
        ({"learningRateDecay": 1.5}, "learningRateDecay must be a non-negative integer"),
        ({"learningRateDecay": 3, "samplesSeen": -1}, "samplesSeen must be a non-negative integer"),
        ({"learningRateDecay": 3, "samplesSeen": 2**64}, "samplesSeen must be at most"),
        ({"samplesSeen": 4}, "samplesSeen needs learningRateDecay"),
    ]:
        with pytest.raises(ModelFileError, match=reason):
            model_from_spec({**base, **bad})


def test_a_count_the_decay_cannot_be_added_to_makes_add_data_revert_and_changes_nothing(chain) -> None:
    mirror = SparsePerceptron.from_weights([0, 0], learning_rate=5, decay=3)
    mirror.samples_seen_ = 2**256 - 1  # past what the client deploys: only an owner loading raw words could
    model = deploy(chain, mirror)
    words = model.parameter_words()
    with pytest.raises(ContractReverted):
        model.add_data([0], 1, sender=1)
    assert model.parameter_words() == words == [0, 2**256 - 1]
    assert model.predict([0]) == 0  # predictions never read the count
