"""Mirror == contract, bit for bit: hypothesis drives both with the same data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.models.packing import INT64_MAX, INT64_MIN, pack_int64, unpack_int64

FREE = DepositRefundTake(cost_weight=0, refund_wait=0, owner_claim_wait=0, any_claim_wait=0)


@pytest.fixture(scope="module")
def chain() -> Iterator[EmbeddedChain]:
    yield EmbeddedChain(genesis_time=1_700_000_000)


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    n = draw(st.one_of(st.sampled_from([1, 4, 5, 300]), st.integers(1, 64)))
    bound = draw(st.sampled_from([10**12, 2**40, INT64_MAX // 4]))
    weights = draw(st.lists(st.integers(-bound, bound), min_size=n, max_size=n))
    intercept = draw(st.integers(-bound, bound))
    rate = draw(st.integers(1, 10**10))
    sample = st.sets(st.integers(0, n - 1), max_size=min(n, 40)).map(sorted)
    steps = draw(st.lists(st.tuples(sample, st.integers(0, 1)), min_size=1, max_size=8))
    return weights, intercept, rate, steps


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios())
def test_learning_matches_the_mirror(chain, scenario) -> None:  # type: ignore[no-untyped-def]
    weights, intercept, rate, steps = scenario
    mirror = SparsePerceptron.from_weights(weights, intercept=intercept, learning_rate=rate)
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, incentive=FREE)
        for sample, label in steps:
            assert model.predict(sample) == mirror.predict([sample])[0]
            model.add_data(sample, label, sender=1)
            mirror.partial_fit([sample], [label])
            assert model.mirror().coef_.tolist() == mirror.coef_.tolist()
        full = list(range(len(weights)))
        assert model.predict(full) == mirror.predict([full])[0]


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.integers(INT64_MIN, INT64_MAX), max_size=40))
def test_packing_round_trips(values) -> None:  # type: ignore[no-untyped-def]
    assert unpack_int64(pack_int64(values), len(values)) == values


@settings(max_examples=10, deadline=None)
@given(
    values=st.lists(
        st.sampled_from([INT64_MIN, INT64_MAX, -1, 0, 1]) | st.integers(INT64_MIN, INT64_MAX), min_size=1, max_size=30
    )
)
def test_contract_stores_the_packed_words(chain, values) -> None:  # type: ignore[no-untyped-def]
    with chain.anchor():
        model = SharedModel.deploy(chain, SparsePerceptron.from_weights(values), incentive=FREE)
        words = model._call("weight_words", 0, (len(values) + 3) // 4)
        assert list(words) == pack_int64(values)
        assert model.mirror().coef_.tolist() == values
