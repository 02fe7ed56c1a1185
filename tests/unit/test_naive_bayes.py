"""The naive Bayes model's rules on chain, its mirror and its conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.naive_bayes import BernoulliNB, MultinomialNB

from sumchain import ContractReverted, DepositRefundTake, InvalidSample, NaiveBayes, SharedModel
from sumchain.models import MIRRORS, SCALE
from sumchain.models.convert import binary_to_indices, conversion_report
from sumchain.models.naive_bayes import MAX_CLASSES, auto_count_bits
from sumchain.models.packing import pack
from sumchain.models.reference_file import model_from_spec
from tests.helpers import assert_deployment_reverts, deploy_unchecked, observable_state

TRAINER = "naive_bayes"
FREE = DepositRefundTake(cost_weight=0)
OVERFLOW = "naive_bayes: count overflows its field"


def float_scores(mirror: NaiveBayes, sample: list[int]) -> list[float]:
    """The reference formula in floating point: log P(c) + sum of the smoothed log ratios."""
    alpha = mirror.smoothing / SCALE
    scores = []
    for c in range(mirror.n_classes):
        samples_seen = int(mirror.class_count_[c])
        if samples_seen == 0:
            scores.append(-math.inf)
            continue
        denominator = int(mirror.total_count_[c]) + alpha * mirror.n_features
        scores.append(
            math.log(samples_seen)
            + sum(math.log((int(mirror.feature_count_[c, f]) + alpha) / denominator) for f in sample)
        )
    return scores


def deploy(chain, mirror: NaiveBayes) -> SharedModel:  # type: ignore[no-untyped-def]
    return SharedModel.deploy(chain, mirror, mechanism=FREE)


def test_every_add_counts_the_sample_exactly(chain) -> None:
    mirror = NaiveBayes(n_features=40, n_classes=3, count_bits=16).fit([], [])
    model = deploy(chain, mirror)
    assert model.params == (40, 3, SCALE, 16)
    steps = [([0, 5, 39], 1), ([5], 1), ([7], 2), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], 0)]
    for sample, label in steps:
        model.add_data(sample, label, sender=1)
        mirror.partial_fit([sample], [label])
        assert model.parameter_words() == mirror.to_words()
    on_chain = model.mirror()
    assert on_chain.class_count_.tolist() == [1, 2, 1]
    assert on_chain.total_count_.tolist() == [17, 4, 1]
    expected = np.zeros((3, 40), dtype=np.int64)
    expected[1, [0, 5, 39]] += 1
    expected[1, 5] += 1
    expected[2, 7] += 1
    expected[0, 1:18] += 1
    assert on_chain.feature_count_.tolist() == expected.tolist()
    # the words themselves: two header words of 64-bit fields, then counts feature-major at 16 bits
    header = [1, 17, 2, 4, 1, 1]
    assert model.parameter_words()[:2] == pack(header, 64, signed=False)
    assert model.parameter_words()[2:] == pack(expected.T.reshape(-1).tolist(), 16, signed=False)


def test_fit_counts_from_scratch_like_partial_fit() -> None:
    X = [[0, 2], [1], [0, 1, 2], [2]]
    y = [0, 1, 1, 0]
    fitted = NaiveBayes(n_features=3).fit(X, y)
    assert fitted.feature_count_.tolist() == [[1, 0, 2], [1, 2, 1]]
    assert fitted.class_count_.tolist() == [2, 2]
    assert fitted.total_count_.tolist() == [3, 4]
    again = fitted.fit(X[:1], y[:1])
    assert again.feature_count_.tolist() == [[1, 0, 1], [0, 0, 0]]
    assert fitted.score(X, y) == pytest.approx(np.mean(fitted.predict(X) == np.array(y)))
    assert fitted.get_params() == {"n_features": 3, "n_classes": 2, "smoothing": SCALE, "count_bits": None}
    assert fitted.set_params(n_classes=5, smoothing=7).get_params()["n_classes"] == 5
    with pytest.raises(ValueError, match="n_classes must be in"):
        NaiveBayes(n_features=3, n_classes=MAX_CLASSES + 1).fit(X, y)
    with pytest.raises(ValueError, match="smoothing must be in"):
        NaiveBayes(n_features=3, smoothing=0).fit(X, y)


def test_predict_is_the_argmax_of_the_smoothed_probability(chain) -> None:
    counts = [[9, 1, 0, 4, 2], [1, 8, 3, 4, 0], [2, 2, 2, 2, 2]]
    mirror = NaiveBayes.from_counts([10, 12, 5], counts, smoothing=SCALE // 2)
    model = deploy(chain, mirror)
    samples = [[0], [1], [2], [4], [0, 1], [2, 3], [3], [0, 2, 4], [0, 1, 2, 3, 4]]
    for sample in samples:
        scores = float_scores(mirror, sample)
        assert model.predict(sample) == int(np.argmax(scores)) == mirror.predict([sample])[0], sample


def test_ties_go_to_the_lowest_class_and_empty_classes_never_win(chain) -> None:
    mirror = NaiveBayes.from_counts([0, 4, 4, 4], [[0, 0], [3, 1], [1, 3], [3, 1]])
    model = deploy(chain, mirror)
    assert model.predict([0]) == 1  # classes 1 and 3 are equal: the lowest wins
    assert model.predict([1]) == 2
    assert model.predict([0, 1]) == 1  # all three tie
    empty = deploy(chain, NaiveBayes(n_features=2, n_classes=3).fit([], []))
    assert empty.predict([0]) == 0  # no class has samples: 0
    empty.add_data([0], 2, sender=1)
    assert empty.predict([1]) == 2
    # an empty class has probability 0, however unlikely the others make the sample: with
    # almost no smoothing, class 1 gives these unseen features about 1e-11 each
    unlikely = deploy(chain, NaiveBayes.from_counts([0, 5], [[0, 0, 0], [0, 0, 200]], smoothing=1))
    assert unlikely.predict([0, 1]) == 1


def test_rounding_decides_exact_ties_as_the_mirror_does(chain) -> None:
    # class 1 has twice the samples of class 0 and half its smoothed count of the last
    # feature (same totals): for every sample with that feature their probabilities are
    # exactly equal, and only the rounding of the integer algorithm picks the winner
    rng = np.random.default_rng(3)
    n = 40
    counts = rng.integers(0, 50, size=n).tolist()
    counts[-1] = 41
    twin = [*counts[:-1], 20]
    mirror = NaiveBayes.from_counts([300, 600], [counts, twin], total_count=[sum(counts)] * 2)
    model = deploy(chain, mirror)
    probes = [sorted({n - 1, *rng.choice(n, size=int(rng.integers(0, n)), replace=False).tolist()}) for _ in range(150)]
    predicted = [model.predict(p) for p in probes]
    assert predicted == mirror.predict(probes).tolist()
    assert 30 < sum(predicted) < 120  # rounding breaks many ties each way


@pytest.mark.parametrize("n_classes", [17, MAX_CLASSES])
def test_many_classes_deploy_and_learn(chain, n_classes) -> None:
    n = 12
    mirror = NaiveBayes(n_features=n, n_classes=n_classes, count_bits=8).fit([], [])
    model = deploy(chain, mirror)
    assert model.n_classes == n_classes
    for label in range(n_classes):
        sample = sorted({label % n, (label * 5 + 1) % n})
        model.add_data(sample, label, sender=1)
        mirror.partial_fit([sample], [label])
    model.add_data([3, 7], n_classes - 1, sender=1)
    mirror.partial_fit([[3, 7]], [n_classes - 1])
    assert model.parameter_words() == mirror.to_words()
    probes = [[3, 7], [0], [1, 2, 3], list(range(n))]
    assert [model.predict(p) for p in probes] == mirror.predict(probes).tolist()
    assert model.predict([3, 7]) == n_classes - 1


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ([0, 2, SCALE, 16], "naive_bayes: n_features out of range"),
        ([2**32 + 1, 2, SCALE, 16], "naive_bayes: n_features out of range"),
        ([4, 1, SCALE, 16], "naive_bayes: n_classes out of range"),
        ([4, MAX_CLASSES + 1, SCALE, 16], "naive_bayes: n_classes out of range"),
        ([4, 2, 0, 16], "naive_bayes: smoothing out of range"),
        ([4, 2, 2**64, 16], "naive_bayes: smoothing out of range"),
        ([4, 2, SCALE, 7], "naive_bayes: count_bits out of range"),
        ([4, 2, SCALE, 65], "naive_bayes: count_bits out of range"),
        ([4, 2, SCALE], "naive_bayes: expected 4 parameters"),
    ],
)
def test_bad_parameters_revert_at_deployment(chain, params, reason) -> None:
    assert_deployment_reverts(chain, TRAINER, params, reason)


@pytest.mark.parametrize(
    "params",
    [
        [2**32, 2, SCALE, 16],  # the most features
        [4, MAX_CLASSES, SCALE, 16],  # the most classes
        [4, 2, 2**64 - 1, 16],  # the most smoothing
        [1, 2, 1, 8],  # the fewest features, the least smoothing, the narrowest counts
        [5, 3, SCALE, 64],  # the widest counts
    ],
)
def test_parameters_at_their_limits_deploy_with_the_words_they_need(chain, params) -> None:
    """The limits themselves are allowed, and the model waits for a header word per two classes
    and then ``256 // count_bits`` counts per word."""
    n_features, n_classes, _, count_bits = params
    model = deploy_unchecked(chain, TRAINER, params)
    assert model.params == tuple(params)
    per_word = 256 // count_bits
    assert model._call("total_words") == (n_classes + 1) // 2 + -(-n_features * n_classes // per_word)
    assert model.words_loaded() == 0


def test_bad_label_and_sample_revert_and_change_nothing(chain) -> None:
    model = deploy(chain, NaiveBayes.from_counts([1, 2, 3], [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]]))
    model.add_data([1, 3], 1, sender=1)
    before = observable_state(model)
    for sample, label, client_error in [
        ([0], 3, "label must be in"),
        ([2, 1], 0, "sorted and unique"),
        ([1, 4], 0, "outside"),
    ]:
        with pytest.raises(InvalidSample, match=client_error):
            model.add_data(sample, label, sender=1)
    send = model.abi.encode_call
    for data, label, reason in [
        (model.codec.encode([0]), 3, "naive_bayes: label out of range"),
        (model.codec.encode([0]), 255, "naive_bayes: label out of range"),
        (bytes.fromhex("0000000200000001"), 0, "samples: indices not sorted and unique"),
        (bytes.fromhex("0000000100000001"), 0, "samples: indices not sorted and unique"),
        (bytes.fromhex("00000004"), 0, "samples: index out of range"),
        (bytes.fromhex("000001"), 0, "samples: sparse sample length is not a multiple of 4 bytes"),
    ]:
        with pytest.raises(ContractReverted, match=reason):
            chain.transact(model.address, send("add_data", data, label), sender=chain.accounts[1])
    assert observable_state(model) == before


def test_a_full_count_saturates_while_the_sample_still_counts(chain) -> None:
    counts = [[0, 0, 0, 0], [0, 0, 255, 0]]  # count[1][2] == 255 is full at 8 bits
    mirror = NaiveBayes.from_counts([1, 1], counts, count_bits=8)
    model = deploy(chain, mirror)
    model.add_data([1, 2], 1, sender=1)
    on_chain = model.mirror()
    assert on_chain.feature_count_.tolist() == [[0, 0, 0, 0], [0, 1, 255, 0]]
    assert on_chain.class_count_.tolist() == [1, 2]
    assert on_chain.total_count_.tolist() == [0, 257]  # the total counts both features
    mirror.partial_fit([[1, 2]], [1])
    assert mirror.to_words() == model.parameter_words()


@pytest.mark.parametrize(
    ("class_count", "totals", "sample", "label"),
    [
        ([1, 2**64 - 1], [0, 5], [0], 1),  # the sample count of class 1 is full
        ([1, 3], [0, 2**64 - 2], [0, 1], 1),  # the total of class 1 would pass 2**64 - 1
    ],
)
def test_a_header_overflow_reverts_and_changes_nothing(chain, class_count, totals, sample, label) -> None:
    """The 64-bit sample counts and totals, which no flood fills, still revert when loaded full."""
    counts = [[0, 0, 0, 0], [0, 0, 255, 0]]
    mirror = NaiveBayes.from_counts(class_count, counts, total_count=totals, count_bits=8)
    model = deploy(chain, mirror)
    model.add_data([2, 3], 0, sender=1)  # a sample that fits is still counted
    mirror.partial_fit([[2, 3]], [0])
    before = observable_state(model)
    words = mirror.to_words()
    with pytest.raises(ContractReverted, match=OVERFLOW):
        chain.transact(
            model.address,
            model.abi.encode_call("add_data", model.codec.encode(sample), label),
            sender=model.chain.accounts[1],
        )
    assert observable_state(model) == before
    with pytest.raises(InvalidSample, match="overflow"):
        mirror.partial_fit([sample], [label])
    assert mirror.to_words() == words == model.parameter_words()


def test_count_width_is_chosen_with_headroom() -> None:
    assert auto_count_bits([]) == 16  # room for 1024 adds
    assert auto_count_bits([127]) == 16
    assert auto_count_bits([2**15 - 1]) == 16
    assert auto_count_bits([2**15]) == 24
    assert auto_count_bits([2**63 - 1]) == 64
    with pytest.raises(OverflowError):
        auto_count_bits([2**63])
    model = NaiveBayes.from_counts([3, 3], [[40_000, 0], [0, 1]])
    assert model.model_params() == [2, 2, SCALE, 24]
    assert NaiveBayes.n_words(model.model_params()) == len(model.to_words()) == 2  # 1 header + 1 count word


def test_reference_file_round_trip_keeps_names_and_smoothing() -> None:
    spec = {
        "type": "naive bayes",
        "classifications": ["spam", "ham", "eggs"],
        "classCounts": [4, 6, 1],
        "featureCounts": [[[0, 3], [7, 2]], [[1, 5]], []],
        "totalNumFeatures": 9,
        "smoothingFactor": 0.25,
    }
    model = model_from_spec(spec)
    assert isinstance(model, NaiveBayes)
    assert MIRRORS["naive bayes"] is NaiveBayes
    assert model.smoothing == SCALE // 4
    assert model.total_count_.tolist() == [5, 5, 0]
    assert model.feature_count_[0].tolist() == [3, 0, 0, 0, 0, 0, 0, 2, 0]
    assert model.to_reference_spec() == spec
    for bad, error in [
        ({**spec, "featureCounts": [[[9, 1]], [], []]}, "outside"),
        ({**spec, "featureCounts": [[[1, 1], [1, 2]], [], []]}, "repeats the feature index 1"),
        ({**spec, "featureCounts": [[], []]}, "classes"),
    ]:
        with pytest.raises(ValueError, match=error):
            NaiveBayes.from_reference_spec(bad)


def synthetic_counts(rng: np.random.Generator, n: int, *, presence: bool) -> tuple[np.ndarray, np.ndarray]:
    """Word counts of three classes, each with its own favourite words: 0/1 presence, or Poisson counts."""
    n_features = 60
    y = rng.integers(0, 3, size=n)
    rates = np.full((3, n_features), 0.05)
    for c in range(3):
        rates[c, c * 15 : c * 15 + 15] = 0.35
    if presence:
        return (rng.random((n, n_features)) < rates[y]).astype(np.int64), y
    return rng.poisson(3 * rates[y]), y


@pytest.mark.parametrize(
    ("estimator_class", "presence"), [(MultinomialNB, True), (MultinomialNB, False), (BernoulliNB, True)]
)
def test_scikit_learn_conversion_is_reported_and_runs_on_chain(chain, estimator_class, presence) -> None:
    rng = np.random.default_rng(5)
    X, y = synthetic_counts(rng, 700, presence=presence)
    estimator = estimator_class(alpha=0.5).fit(X[:500], y[:500])
    mirror = NaiveBayes.from_sklearn(estimator)
    assert mirror.smoothing == SCALE // 2
    assert mirror.class_names_ == ["0", "1", "2"]
    assert mirror.class_count_.tolist() == np.rint(estimator.class_count_).astype(int).tolist()
    assert mirror.feature_count_.tolist() == np.rint(estimator.feature_count_).astype(int).tolist()
    report = conversion_report(estimator, mirror, X[500:], y[500:], to_samples=binary_to_indices)
    print(f"{estimator_class.__name__} on {'presence' if presence else 'count'} data: {report}")
    assert report.n_samples == 200
    assert report.fixed_accuracy > 0.8
    if estimator_class is MultinomialNB and presence:
        # presence counts are the multinomial counts: the same model up to float rounding
        assert report.agreement == 1.0
        assert report.fixed_accuracy == report.float_accuracy
    model = deploy(chain, mirror)
    held_out = binary_to_indices(X[500:530])
    assert [model.predict(s) for s in held_out] == mirror.predict(held_out).tolist()


def test_scikit_learn_conversion_refuses_what_it_cannot_model() -> None:
    X = np.array([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="fitted"):
        NaiveBayes.from_sklearn(MultinomialNB())
    per_feature = MultinomialNB(alpha=np.array([0.5, 1.0])).fit(X, [0, 1])
    with pytest.raises(ValueError, match="per-feature alpha"):
        NaiveBayes.from_sklearn(per_feature)
    tiny = NaiveBayes.from_sklearn(MultinomialNB(alpha=1e-12).fit(X, [0, 1]))
    assert tiny.smoothing == 1  # the smallest smoothing the contract accepts
