"""The naive Bayes mirror and contract agree bit for bit, and rank classes as exact arithmetic does.

Hypothesis draws a model (features, 2 to 16 classes or the maximum 64, a
count width, a smoothing, counts up to and at the field bounds) and a
sequence of labelled samples. The model is deployed on the embedded chain and
every sample goes both to ``add_data`` and to ``partial_fit``: after each step
the packed words and the predictions (random probes and the sample) are the
same. A full feature count stays full (it saturates) on both sides while the
sample still counts; an add that would overflow a 64-bit sample count or
total reverts on chain and raises in the mirror, changing nothing on either
side.

One chain per module; each example runs inside ``chain.anchor()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sumchain import ContractReverted, DepositRefundTake, EmbeddedChain, InvalidSample, NaiveBayes, SharedModel
from sumchain.models import SCALE
from sumchain.models.naive_bayes import HEADER_MAX, MAX_CLASSES, MAX_SMOOTHING
from sumchain.models.samples import SMALL_BATCH

GENESIS = 1_700_000_000
OVERFLOW = "naive_bayes: count overflows its field"

smoothings = st.one_of(
    st.sampled_from([1, SCALE, MAX_SMOOTHING]), st.integers(1, 10**12), st.integers(1, MAX_SMOOTHING)
)


def bounded(limit: int) -> st.SearchStrategy[int]:
    """Integers in [0, limit], often at or next to either bound."""
    return st.one_of(st.sampled_from([0, 1, limit - 1, limit]), st.integers(0, min(limit, 50)), st.integers(0, limit))


def samples(n_features: int, max_size: int = 24) -> st.SearchStrategy[list[int]]:
    """Sorted unique indices in range, from one index (the smallest sample) to the full sample."""
    return st.one_of(
        st.integers(0, n_features - 1).map(lambda i: [i]),
        st.just(list(range(n_features))),
        st.sets(st.integers(0, n_features - 1), min_size=1, max_size=min(n_features, max_size)).map(sorted),
    )


Model = tuple[NaiveBayes, list[int]]
"""A model and the features a probe should contain (those of an engineered tie)."""


@st.composite
def models(draw: st.DrawFn) -> Model:
    """Three kinds of models: small counts; counts, sample counts and totals at and next to
    their bounds; or two classes whose probabilities are equal in exact arithmetic for every
    sample with feature ``f`` (class ``b`` has twice the samples of class ``a`` and, on ``f``,
    half its smoothed count), so that only the rounding of the integer algorithm decides."""
    n_classes = draw(
        st.sampled_from(["few"] * 4 + ["max"]).flatmap(
            lambda kind: st.integers(2, 16) if kind == "few" else st.just(MAX_CLASSES)
        )
    )
    kind = draw(st.sampled_from(["small", "edge", "edge", "tie", "tie"]))
    # a tie only reaches the rounding once the products pass 2**159: some 6 factors
    n_features = draw(st.integers(8 if kind == "tie" else 1, 10 if n_classes == MAX_CLASSES else 40))
    bits = draw(st.sampled_from([8, 9, 13, 16, 24, 31, 64]))
    edge = kind == "edge"
    counts_of = bounded(2**bits - 1) if edge else st.integers(0, 50)
    counts = draw(
        st.lists(st.lists(counts_of, min_size=n_features, max_size=n_features), min_size=n_classes, max_size=n_classes)
    )
    class_count = draw(
        st.lists(bounded(HEADER_MAX) if edge else st.integers(0, 1000), min_size=n_classes, max_size=n_classes)
    )
    totals = draw(st.lists(bounded(HEADER_MAX), min_size=n_classes, max_size=n_classes)) if edge else None
    smoothing = draw(smoothings)
    if kind != "tie":
        return NaiveBayes.from_counts(class_count, counts, total_count=totals, smoothing=smoothing, count_bits=bits), []
    a, b = draw(st.lists(st.integers(0, n_classes - 1), min_size=2, max_size=2, unique=True))
    f = draw(st.one_of(st.just(n_features - 1), st.integers(0, n_features - 1)))  # last: the tie forms late
    counts[a][f] = 2 * draw(st.integers(0, 25)) + 1  # (count + 1) * SCALE halves exactly
    counts[b] = list(counts[a])
    counts[b][f] = (counts[a][f] + 1) // 2 - 1
    class_count[b] = 2 * class_count[a]
    totals = [sum(row) for row in counts]
    totals[b] = totals[a]
    return NaiveBayes.from_counts(class_count, counts, total_count=totals, smoothing=SCALE, count_bits=bits), [f]


@pytest.fixture(scope="module")
def chain() -> Iterator[EmbeddedChain]:
    yield EmbeddedChain(genesis_time=GENESIS)


def assert_same(model: SharedModel, mirror: NaiveBayes, probes: list[list[int]]) -> None:
    assert model.parameter_words() == mirror.to_words()
    for probe in probes:
        assert model.predict(probe) == int(mirror.predict([probe])[0]), probe


@settings(max_examples=160, deadline=None)
@given(data=st.data(), drawn=models())
def test_every_add_data_matches_partial_fit(chain: EmbeddedChain, data: st.DataObject, drawn: Model) -> None:
    mirror, focus = drawn
    n, k = mirror.n_features, mirror.n_classes
    steps = data.draw(st.lists(st.tuples(samples(n), st.integers(0, k - 1)), min_size=1, max_size=5))
    probes = [sorted({*probe, *focus}) for probe in data.draw(st.lists(samples(n, 40), min_size=1, max_size=3))]
    event(f"{'maximum' if k == MAX_CLASSES else 'few'} classes")
    event(f"count_bits {mirror.count_bits}")
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
        assert_same(model, mirror, probes)
        for sample, label in steps:
            words = mirror.to_words()
            try:
                mirror.partial_fit([sample], [label])
            except InvalidSample:
                event("add overflows a header field")
                assert mirror.to_words() == words
                with pytest.raises(ContractReverted, match=OVERFLOW):
                    model.add_data(sample, label, sender=1)
            else:
                full = int(mirror.feature_count_[label, sample].max()) == 2**mirror.count_bits - 1
                event("a count saturated" if full else "counted")
                model.add_data(sample, label, sender=1)
            assert_same(model, mirror, [*probes, sample])


def exact_scores(mirror: NaiveBayes, sample: list[int]) -> list[Fraction]:
    """Each class's smoothed probability (times the number of samples), exactly."""
    alpha = Fraction(mirror.smoothing, SCALE)
    scores = []
    for c in range(mirror.n_classes):
        denominator = int(mirror.total_count_[c]) + alpha * mirror.n_features
        score = Fraction(int(mirror.class_count_[c]))
        for f in sample:
            score *= (int(mirror.feature_count_[c, f]) + alpha) / denominator
        scores.append(score)
    return scores


@settings(max_examples=240, deadline=None)
@given(data=st.data(), drawn=models())
def test_prediction_ranks_classes_as_exact_arithmetic_except_near_ties(data: st.DataObject, drawn: Model) -> None:
    mirror, focus = drawn
    sample = sorted({*data.draw(samples(mirror.n_features, max_size=40)), *focus})
    scores = exact_scores(mirror, sample)
    best = max(scores)
    predicted = int(mirror.predict([sample])[0])
    if best == 0:
        assert predicted == 0  # no class has samples
    elif predicted == scores.index(best):
        event("exact winner (ties to the lowest class)")
    else:
        event("near tie")
        # the documented precision: each class's score is exact within a relative 2**-52
        assert scores[predicted] * (1 + Fraction(1, 2**51)) >= best


@settings(max_examples=150, deadline=None)
@given(data=st.data(), drawn=models())
def test_batch_predict_is_one_at_a_time_predict(data: st.DataObject, drawn: Model) -> None:
    """The batch's floating-point scores decide only clear leads: near ties (the engineered
    ones) and models without samples go to the exact algorithm, so every class is the same."""
    mirror, focus = drawn
    probes = data.draw(st.lists(samples(mirror.n_features, 40), min_size=SMALL_BATCH, max_size=3 * SMALL_BATCH))
    probes = [sorted({*probe, *focus}) for probe in probes]
    assert mirror.predict(probes).tolist() == [int(mirror.predict([probe])[0]) for probe in probes]
