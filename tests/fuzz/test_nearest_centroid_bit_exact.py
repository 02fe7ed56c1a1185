"""The nearest centroid mirrors and contracts, dense and sparse, agree bit for bit.

Hypothesis draws a model (dimension or feature space, 2 to 16 classes and
sometimes the maximum of 64, any value width the contract accepts, centroid
values up to and at the width's bounds, data counts up to and at their 64-bit
bound) and a sequence of labelled samples (dense values at and near the width's
bounds, sometimes the zero vector; sparse samples from one index to full).
The model is deployed on the embedded chain and every sample goes both to
``add_data`` and to the mirror's ``partial_fit``. Before each step both predict
the same class; after it the packed words read back from chain equal the
mirror's. A class whose data count is full refuses the sample on both sides and
nothing changes; so does the zero vector, refused by the mirror, the client and
the contract alike.

Centroid values come from a seeded generator (hypothesis draws the seed and the
mix of edge values), so that 64 classes stay within hypothesis's data budget.

One chain per module; each example runs inside ``chain.anchor()``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sumchain import (
    ContractReverted,
    DepositRefundTake,
    EmbeddedChain,
    InvalidSample,
    NearestCentroid,
    SharedModel,
    SparseNearestCentroid,
)
from sumchain.models.base import SCALE
from sumchain.models.nearest_centroid import COUNT_MAX, MAX_CLASSES
from sumchain.models.packing import signed_range
from tests.helpers import assert_empty_sample_refused, empty_sample

GENESIS = 1_700_000_000
FREE = DepositRefundTake(cost_weight=0)
FULL = "fields: value overflows its field"

class_counts = st.sampled_from(["some"] * 4 + ["most"]).flatmap(
    lambda kind: st.integers(2, 16) if kind == "some" else st.just(MAX_CLASSES)
)
"""2 to 16 classes, one time in five the maximum."""
data_counts = st.sampled_from(["small"] * 6 + ["any", "edge"]).flatmap(
    lambda kind: {
        "small": st.integers(0, 3),
        "any": st.integers(0, COUNT_MAX),
        "edge": st.sampled_from([COUNT_MAX - 1, COUNT_MAX]),
    }[kind]
)
"""Mostly small data counts, sometimes any 64-bit count or one at or next to the bound."""


def bounded(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in ``[low, high]``: at or next to a bound, small, or anywhere."""
    edges = [v for v in (low, low + 1, -1, 0, 1, high - 1, high) if low <= v <= high]
    return st.one_of(
        st.sampled_from(edges), st.integers(max(low, -4 * SCALE), min(high, 4 * SCALE)), st.integers(low, high)
    )


def seeded_rows(seed: int, n_classes: int, n: int, low: int, high: int, edges: list[int]) -> list[list[int]]:
    """Centroid values: a quarter of them edge values, the rest uniform in ``[low, high]``."""
    rng = np.random.default_rng(seed)
    rows = [[int(v) for v in rng.integers(low, high, size=n, endpoint=True)] for _ in range(n_classes)]
    for row in rows:
        for i in rng.choice(n, size=n // 4, replace=False):
            row[int(i)] = int(rng.choice(edges))
    return rows


@st.composite
def dense_models(draw: st.DrawFn) -> NearestCentroid:
    n_classes = draw(class_counts)
    n = draw(
        st.integers(1, 6)
        if n_classes == MAX_CLASSES
        else st.one_of(st.integers(1, 40), st.sampled_from([4, 5, 8, 9, 33]))
    )
    bits = draw(st.integers(8, 64))
    low, high = signed_range(bits)
    rows = seeded_rows(draw(st.integers(0, 2**32)), n_classes, n, low, high, [low, high, 0, -1, 1])
    counts = draw(st.lists(data_counts, min_size=n_classes, max_size=n_classes))
    return NearestCentroid.from_centroids(rows, counts, value_bits=bits)


@st.composite
def sparse_models(draw: st.DrawFn) -> SparseNearestCentroid:
    n_classes = draw(class_counts)
    n = draw(
        st.integers(1, 70)
        if n_classes == MAX_CLASSES
        else st.one_of(st.integers(1, 40), st.sampled_from([8, 9, 65, 300]))
    )
    bits = draw(st.integers(31, 64))
    low, high = signed_range(bits)
    rows = seeded_rows(draw(st.integers(0, 2**32)), n_classes, n, low, high, [low, high, 0, SCALE, -SCALE])
    if draw(st.booleans()):  # centroids of 0/1 data, as the model learns them
        rows = [[abs(v) % (SCALE + 1) for v in row] for row in rows]
    counts = draw(st.lists(data_counts, min_size=n_classes, max_size=n_classes))
    return SparseNearestCentroid.from_centroids(rows, counts, value_bits=bits)


def dense_samples(mirror: NearestCentroid) -> st.SearchStrategy[list[int]]:
    """Values at and near the width's bounds, sometimes the zero vector (refused)."""
    low, high = signed_range(mirror.value_bits)
    n = mirror.n_features
    return st.one_of(st.lists(bounded(low, high), min_size=n, max_size=n), st.just([0] * n))


def sparse_samples(mirror: SparseNearestCentroid) -> st.SearchStrategy[list[int]]:
    """From one index (the smallest sample) to the full sample."""
    n = mirror.n_features
    return st.one_of(
        st.integers(0, n - 1).map(lambda i: [i]),
        st.just(list(range(min(n, 512)))),
        st.sets(st.integers(0, n - 1), min_size=1, max_size=min(n, 24)).map(sorted),
    )


@pytest.fixture(scope="module")
def chain() -> EmbeddedChain:
    return EmbeddedChain(genesis_time=GENESIS)


def check_every_step(chain: EmbeddedChain, data: st.DataObject, mirror, samples) -> None:  # type: ignore[no-untyped-def]
    """Deploy, then replay labelled samples on both sides, comparing predictions and words."""
    steps = data.draw(
        st.lists(st.tuples(samples, st.integers(0, mirror.n_classes - 1)), min_size=1, max_size=6), label="steps"
    )
    event(f"{mirror.n_classes} classes" if mirror.n_classes == MAX_CLASSES else "2 to 16 classes")
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, mechanism=FREE)
        assert model.parameter_words() == mirror.to_words()
        for sample, label in steps:
            if sample == empty_sample(model)[0]:
                event("zero vector: refused")
                assert_empty_sample_refused(model, mirror, label)
                continue
            assert model.predict(sample) == mirror.predict([sample])[0]
            before = mirror.to_words()
            try:
                mirror.partial_fit([sample], [label])
            except InvalidSample:
                event("data count full")
                assert mirror.counts_[label] == COUNT_MAX
                assert mirror.to_words() == before
                with pytest.raises(ContractReverted, match=FULL):
                    model.add_data(sample, label, sender=1)
            else:
                model.add_data(sample, label, sender=1)
            assert model.parameter_words() == mirror.to_words()
        assert model.mirror().to_words() == mirror.to_words()


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_dense_mirror_and_contract_agree_after_every_step(chain: EmbeddedChain, data: st.DataObject) -> None:
    mirror = data.draw(dense_models(), label="model")
    check_every_step(chain, data, mirror, dense_samples(mirror))


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_sparse_mirror_and_contract_agree_after_every_step(chain: EmbeddedChain, data: st.DataObject) -> None:
    mirror = data.draw(sparse_models(), label="model")
    check_every_step(chain, data, mirror, sparse_samples(mirror))
    assert mirror.norms_.tolist() == [sum(v * v for v in row) for row in mirror.centroids_.tolist()]
