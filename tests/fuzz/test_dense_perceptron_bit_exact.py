"""The dense perceptron's mirror and contract agree bit for bit.

Hypothesis draws a model (dimension 1 to 64, sometimes the 512 bound; any
weight width from 8 to 64 bits; weights, intercept and learning rate up to
their bounds; half of the time a decay of the step, with a count of samples
seen) and a sequence of labelled samples (values up to the 8-byte
bounds). The model is deployed on the embedded chain and every sample goes
both to ``add_data`` and to the mirror's ``partial_fit``. Before each step both
predict the same class; after it the packed words read back from chain equal
the mirror's and both predict the same class again. An update that would take a weight past its width stops it at
the bound (it saturates) on both sides. The zero vector is refused by the mirror, the client and the contract
alike.

One chain per module; each example runs inside ``chain.anchor()``.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sumchain import DensePerceptron, DepositRefundTake, EmbeddedChain, SharedModel
from sumchain.models.base import SCALE
from sumchain.models.packing import signed_range
from sumchain.models.perceptron import MAX_DECAY, MAX_SEEN
from tests.helpers import assert_empty_sample_refused, empty_sample

GENESIS = 1_700_000_000
INT64_MIN, INT64_MAX = signed_range(64)
FREE = DepositRefundTake(cost_weight=0)


def bounded(low: int, high: int, small: int) -> st.SearchStrategy[int]:
    """Integers in ``[low, high]``: often small, often at or next to a bound, sometimes anywhere."""
    return st.one_of(
        st.integers(max(low, -small), min(high, small)),
        st.sampled_from([v for v in (low, low + 1, -1, 0, 1, high - 1, high) if low <= v <= high]),
        st.integers(low, high),
    )


dimensions = st.one_of(st.integers(1, 64), st.sampled_from([1, 4, 5, 8, 33]), st.just(512))
values = bounded(INT64_MIN, INT64_MAX, 4 * SCALE)
small_values = st.integers(-4 * SCALE, 4 * SCALE)


@st.composite
def models(draw: st.DrawFn) -> DensePerceptron:
    n = draw(dimensions)
    bits = draw(st.integers(8, 64))
    low, high = signed_range(bits)
    weights = draw(st.lists(bounded(low, high, 4 * SCALE), min_size=n, max_size=n))
    decay = draw(st.one_of(st.none(), bounded(1, MAX_DECAY, 5000)))
    return DensePerceptron.from_weights(
        weights,
        intercept=draw(bounded(INT64_MIN, INT64_MAX, 4 * SCALE)),
        learning_rate=draw(bounded(1, INT64_MAX, 2 * SCALE)),
        weight_bits=bits,
        decay=decay,
        samples_seen=0 if decay is None else draw(bounded(0, MAX_SEEN, 10**6)),
    )


def steps(n: int) -> st.SearchStrategy[list[tuple[list[int], int | None]]]:
    """Labelled samples, mostly of small values, sometimes the zero vector (refused); a label
    of None means "the wrong one" (a mistake)."""
    sample = st.one_of(
        st.lists(small_values, min_size=n, max_size=n), st.lists(values, min_size=n, max_size=n), st.just([0] * n)
    )
    return st.lists(st.tuples(sample, st.sampled_from([0, 1, None, None])), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def chain() -> EmbeddedChain:
    return EmbeddedChain(genesis_time=GENESIS)


@settings(max_examples=160, deadline=None)
@given(data=st.data())
def test_mirror_and_contract_agree_after_every_step(chain: EmbeddedChain, data: st.DataObject) -> None:
    mirror = data.draw(models(), label="model")
    history = data.draw(steps(mirror.n_features), label="steps")
    if mirror.n_features == 512:
        event("512 features")
    event("constant step" if mirror.decay is None else "decaying step")
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, mechanism=FREE)
        assert model.parameter_words() == mirror.to_words()
        for sample, label in history:
            if sample == empty_sample(model)[0]:
                event("zero vector: refused")
                assert_empty_sample_refused(model, mirror, 1 if label is None else label)
                continue
            predicted = model.predict(sample)
            assert predicted == mirror.predict([sample])[0]
            label = 1 - predicted if label is None else label
            mirror.partial_fit([sample], [label])
            model.add_data(sample, label, sender=1)
            low, high = signed_range(mirror.weight_bits)
            saturated = any(w in (low, high) for w in mirror.coef_.tolist())
            event("right" if label == predicted else "mistake, a weight at a bound" if saturated else "mistake")
            assert model.parameter_words() == mirror.to_words()
            assert model.mirror().samples_seen_ == mirror.samples_seen_
            assert model.predict(sample) == mirror.predict([sample])[0]
