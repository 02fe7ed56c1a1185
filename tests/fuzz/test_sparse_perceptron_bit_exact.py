"""The Python mirror and the on-chain sparse perceptron agree bit for bit.

Hypothesis draws a model (shape, weight width ``weight_bits`` from 8 to 64
with the edges 8, 9, 63 and 64 often, weights and intercept at and next to
the bounds of that width, learning rate, often a decay of the step with a
count of samples seen) and a sequence of labelled samples;
the same model is deployed on the embedded chain and every sample goes both
to ``add_data`` (packed by ``SharedModel.codec``) and to the mirror's
``partial_fit``. After each step the packed parameter words read back from
chain equal the mirror's ``to_words()``, and both predict the same class for
random probes. A step that would take a weight past its field stops it at
the bound (it saturates) on both sides, while the other weights move, and the
contribution is recorded as any other. Raw sample bytes (the contract reads them 8
indices per 32-byte chunk) are accepted exactly when the codec accepts them
(the empty sample is refused by both),
and constructor parameters exactly when the mirror accepts them.

One chain per module; each example runs inside ``chain.anchor()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sumchain import ContractReverted, DepositRefundTake, EmbeddedChain, InvalidSample, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_trainer
from sumchain.models.packing import pack, signed_range, unpack, words_for
from sumchain.models.perceptron import MAX_DECAY, MAX_SEEN
from sumchain.models.samples import INDEX_BYTES, MAX_INDEX, MAX_SAMPLE, SampleCodec

GENESIS = 1_700_000_000
EDGE_WIDTHS = [8, 9, 63, 64]
NO_DEPOSIT = DepositRefundTake(cost_weight=0)

widths = st.one_of(st.sampled_from(EDGE_WIDTHS), st.integers(8, 64))
"""Weight widths: the edges of the accepted range often, anything in it otherwise."""


def edges(bits: int) -> list[int]:
    """Values at and next to the bounds of a signed field, and around 0."""
    low, high = signed_range(bits)
    return [low, low + 1, -1, 0, 1, high - 1, high]


def values(bits: int) -> st.SearchStrategy[int]:
    """Signed values of ``bits`` bits: at the bounds, small, or anywhere in range."""
    low, high = signed_range(bits)
    return st.one_of(
        st.sampled_from(edges(bits)), st.integers(max(low, -1000), min(high, 1000)), st.integers(low, high)
    )


def learning_rates(bits: int) -> st.SearchStrategy[int]:
    """Learning rates the contract accepts for ``bits``: 1 to the largest field value."""
    high = signed_range(bits)[1]
    return st.one_of(st.sampled_from([1, 2, high]), st.integers(1, min(high, 1000)), st.integers(1, high))


decays = st.one_of(st.none(), st.none(), st.sampled_from([1, 2, 1000, MAX_DECAY]), st.integers(1, MAX_DECAY))
"""No decay (a constant step) half of the time, else the bounds, a few small ones, or anything."""
seen_counts = st.one_of(st.sampled_from([0, 1, MAX_SEEN]), st.integers(0, 10**6), st.integers(0, MAX_SEEN))
"""Samples seen before deployment."""


feature_counts = st.sampled_from(["few"] * 6 + ["edge"] * 2 + ["many"]).flatmap(
    lambda kind: {
        "few": st.integers(1, 64),
        "edge": st.sampled_from([1, 4, 5, 7, 8, 9, 31, 32, 33]),
        "many": st.integers(65, 400),
    }[kind]
)
"""Mostly 1..64 features, often sizes at word boundaries of common widths, sometimes a few hundred."""
labels = st.sampled_from([0, 1, None])
"""A label, or None for "the opposite of what the model predicts now" (a mistake)."""


def samples(n_features: int, max_size: int = 24) -> st.SearchStrategy[list[int]]:
    """Sorted unique indices in range, from one index (the smallest sample) to the full sample."""
    full = list(range(n_features))
    return st.one_of(
        st.integers(0, n_features - 1).map(lambda i: [i]),
        st.just(full),
        st.sets(st.integers(0, n_features - 1), min_size=1, max_size=min(n_features, max_size)).map(sorted),
    )


@pytest.fixture(scope="module")
def chain() -> Iterator[EmbeddedChain]:
    yield EmbeddedChain(genesis_time=GENESIS)


Steps = list[tuple[list[int], int | None]]
Scenario = tuple[SparsePerceptron, DepositRefundTake, Steps, list[list[int]]]
Saturation = tuple[int, list[int], int, int, int, list[int], int]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n = draw(feature_counts)
    bits = draw(widths)
    weights = draw(st.lists(values(bits), min_size=n, max_size=n))
    decay = draw(decays)
    mirror = SparsePerceptron.from_weights(
        weights,
        intercept=draw(values(bits)),
        learning_rate=draw(learning_rates(bits)),
        weight_bits=bits,
        decay=decay,
        samples_seen=0 if decay is None else draw(seen_counts),
    )
    big = n > 64
    steps = draw(st.lists(st.tuples(samples(n), labels), min_size=1, max_size=3 if big else 6))
    probes = draw(st.lists(samples(n), min_size=1, max_size=2 if big else 4))
    incentive = DepositRefundTake(cost_weight=draw(st.sampled_from([0, 1, 10**6])))
    return mirror, incentive, steps, probes


def assert_same(model: SharedModel, mirror: SparsePerceptron, probes: list[list[int]]) -> None:
    """Same packed words (unused lanes of the last word included), parameters, weights and predictions."""
    bits = mirror.weight_bits
    assert model.params == (mirror.n_features, mirror.intercept_, mirror.learning_rate, bits, mirror.decay or 0)
    words = model.parameter_words()
    counted = [] if mirror.decay is None else [mirror.samples_seen_]
    assert len(words) == words_for(mirror.n_features, bits) + len(counted)
    assert words == mirror.to_words() == pack(mirror.coef_.tolist(), bits) + counted
    assert unpack(words, mirror.n_features, bits) == mirror.coef_.tolist()
    on_chain = model.mirror()
    assert on_chain.coef_.tolist() == mirror.coef_.tolist()
    assert (on_chain.intercept_, on_chain.learning_rate, on_chain.weight_bits, on_chain.decay) == (
        mirror.intercept_,
        mirror.learning_rate,
        bits,
        mirror.decay,
    )
    assert on_chain.samples_seen_ == mirror.samples_seen_
    assert [model.predict(probe) for probe in probes] == mirror.predict(probes).tolist(), probes  # one batch


@settings(max_examples=240, deadline=None)
@given(scenario=scenarios())
def test_every_add_data_matches_partial_fit(chain: EmbeddedChain, scenario: Scenario) -> None:
    mirror, incentive, steps, probes = scenario
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, mechanism=incentive, sender=0)
        event("n_features > 64" if mirror.n_features > 64 else "n_features <= 64")
        event(f"weight_bits {mirror.weight_bits}" if mirror.weight_bits in EDGE_WIDTHS else "weight_bits inside")
        event("constant step" if mirror.decay is None else "decaying step")
        assert_same(model, mirror, probes)
        for sample, wanted in steps:
            label = 1 - int(mirror.predict([sample])[0]) if wanted is None else wanted
            before = mirror.coef_.tolist()
            mirror.partial_fit([sample], [label])
            after = mirror.coef_.tolist()
            if after == before:
                event("no mistake")
            elif any(after[i] - before[i] != after[sample[0]] - before[sample[0]] for i in sample):
                event("mistake: a weight saturated")
            else:
                event("mistake: weights moved")
            added = model.add_data(sample, label, sender=1)
            assert added.contribution.data == tuple(sample)
            assert added.contribution.label == label
            assert_same(model, mirror, [*probes, sample])


@st.composite
def saturations(draw: st.DrawFn) -> Saturation:
    """A model and a sample whose one mistake pushes a weight past a bound of its field.

    Feature ``hot`` sits ``gap`` away from the bound, feature ``ballast`` at
    the other bound sets the score's sign so that the label is a mistake, and
    the learning rate exceeds ``gap``. Other features of the sample weigh 0.
    """
    bits = draw(widths)
    low, high = signed_range(bits)
    n = draw(st.integers(2, 64))
    hot, ballast = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    upwards = draw(st.booleans())
    gap = draw(st.one_of(st.just(0), st.integers(0, min(10**6, high - 1)), st.integers(0, high - 1)))
    rate = draw(st.one_of(st.just(gap + 1), st.integers(gap + 1, high)))
    weights = draw(st.lists(values(bits), min_size=n, max_size=n))
    zeros = draw(st.sets(st.integers(0, n - 1), max_size=6)) - {hot, ballast}
    for i in zeros:
        weights[i] = 0
    if upwards:  # score = intercept - 1 - gap <= 0, so label 1 is a mistake
        weights[hot], weights[ballast] = high - gap, low
        intercept = draw(st.integers(low, min(high, 1 + gap)))
        label = 1
    else:  # score = intercept + gap - 1 > 0, so label 0 is a mistake
        weights[hot], weights[ballast] = low + gap, high
        intercept = draw(st.integers(max(low, 2 - gap), high))
        label = 0
    return bits, weights, intercept, rate, hot, sorted({hot, ballast} | zeros), label


@settings(max_examples=160, deadline=None)
@given(case=saturations())
def test_a_weight_pushed_past_its_field_saturates(chain: EmbeddedChain, case: Saturation) -> None:
    """The hot weight stops at its bound, every other present weight moves by the full
    step, and the deposit is booked as for any contribution, to the wei."""
    bits, weights, intercept, rate, hot, sample, label = case
    low, high = signed_range(bits)
    mirror = SparsePerceptron.from_weights(weights, intercept=intercept, learning_rate=rate, weight_bits=bits)
    with chain.anchor():
        model = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=1), sender=0)
        assert model.predict(sample) == 1 - label
        start = chain.balance(chain.accounts[1])
        added = model.add_data(sample, label, sender=1)
        mirror.partial_fit([sample], [label])
        step = rate if label == 1 else -rate
        expected = [w + step if i in sample else w for i, w in enumerate(weights)]
        expected[hot] = high if label == 1 else low
        assert model.parameter_words() == mirror.to_words() == pack(expected, bits)
        assert added.cost == model.contributions(everyone=True)[0].deposit > 0
        assert chain.balance(chain.accounts[1]) == start - added.cost
        assert chain.balance(model.address) == added.cost


RAW_SIZES = [1, 2, 31, 32, 33, 1000]
"""Feature-space sizes of the models that judge raw samples."""


@pytest.fixture(scope="module")
def judges(chain: EmbeddedChain) -> dict[int, tuple[SharedModel, SparsePerceptron]]:
    """One deployed model per size of :data:`RAW_SIZES`, with weights -3..3 so that predictions vary."""
    deployed = {}
    for n in RAW_SIZES:
        mirror = SparsePerceptron.from_weights(
            [i % 7 - 3 for i in range(n)], intercept=1, learning_rate=1, weight_bits=8
        )
        deployed[n] = (SharedModel.deploy(chain, mirror, mechanism=NO_DEPOSIT, sender=0), mirror)
    return deployed


@st.composite
def raw_samples(draw: st.DrawFn) -> tuple[int, bytes]:
    """A feature-space size and packed bytes: a valid sample, or one that breaks one rule
    (order, uniqueness, range, whole indices, at least one index), or arbitrary indices."""
    n = draw(st.sampled_from(RAW_SIZES))
    indices = draw(samples(n, max_size=12))
    tail = b""
    broken = draw(st.sampled_from(["none"] * 3 + ["swap", "repeat", "range", "tail", "empty", "arbitrary"]))
    if broken == "swap" and len(indices) > 1:
        k = draw(st.integers(0, len(indices) - 2))
        indices[k], indices[k + 1] = indices[k + 1], indices[k]
    elif broken == "repeat" and indices:
        k = draw(st.integers(0, len(indices) - 1))
        indices.insert(k, indices[k])
    elif broken == "range":
        indices = sorted({*indices, draw(st.sampled_from([n, n, n + 1]) | st.integers(n, MAX_INDEX))})
    elif broken == "empty":
        indices = []
    elif broken == "tail":
        tail = draw(st.sampled_from([b"\x00", b"\x01\x02", b"\xff\xff\xff"]))
    elif broken == "arbitrary":
        indices = draw(st.lists(st.integers(0, MAX_INDEX), max_size=12))
    return n, b"".join(i.to_bytes(INDEX_BYTES, "big") for i in indices) + tail


@settings(max_examples=240, deadline=None)
@given(case=raw_samples())
def test_contract_accepts_exactly_the_samples_the_codec_accepts(
    chain: EmbeddedChain, judges: dict[int, tuple[SharedModel, SparsePerceptron]], case: tuple[int, bytes]
) -> None:
    n, data = case
    model, mirror = judges[n]
    codec = SampleCodec(sparse=True, n_features=n)
    try:
        if len(data) % INDEX_BYTES:
            raise InvalidSample("not whole indices")
        sample = codec.check(codec.decode(data))
    except InvalidSample:
        too_long = len(data) > MAX_SAMPLE * INDEX_BYTES  # does not even decode as the argument
        event("invalid: too long" if too_long else "invalid")
        with pytest.raises(ContractReverted, match=None if too_long else r"^samples: "):
            chain.call(model.address, model.abi.encode_call("predict", data))
    else:
        event("valid")
        assert codec.encode(sample) == data
        assert model._call("predict", data) == int(mirror.predict([sample])[0])


@st.composite
def parameters(draw: st.DrawFn) -> list[int]:
    """Constructor parameters at, inside and just outside every bound."""
    bits = draw(st.one_of(st.sampled_from([7, 8, 64, 65]), st.integers(8, 64), st.integers(8, 64)))
    low, high = signed_range(min(max(bits, 8), 64))
    n = draw(st.sampled_from([0, 1, 1, 7, 1000]))
    intercept = draw(st.sampled_from([low - 1, low, low, 0, 0, high, high, high + 1]))
    rate = draw(st.sampled_from([-1, 0, 1, 1, high, high, high + 1]))
    decay = draw(st.sampled_from([[0], [0], [-1], [1], [MAX_DECAY], [MAX_DECAY + 1], [], [1, 1]]))
    return [n, intercept, rate, bits, *decay]


@settings(max_examples=240, deadline=None)
@given(params=parameters())
def test_contract_accepts_exactly_the_parameters_the_mirror_accepts(chain: EmbeddedChain, params: list[int]) -> None:
    n, intercept, rate, bits, *decay = params
    compiled = compile_trainer("sparse_perceptron", "deposit_refund_take")
    creation = compiled.bytecode + ContractABI(compiled.abi).encode_constructor(params, [0] * 4, b"")
    try:
        if len(decay) != 1:
            raise ValueError("the contract takes five parameters")
        SparsePerceptron(
            n_features=n, intercept=intercept, learning_rate=rate, weight_bits=bits, decay=decay[0] or None
        ).partial_fit([], [])
    except ValueError:
        event("refused")
        with chain.anchor(), pytest.raises(ContractReverted, match=r"^sparse_perceptron: "):
            chain.deploy(creation, sender=chain.accounts[0])
    else:
        event("accepted")
        with chain.anchor():
            address = chain.deploy(creation, sender=chain.accounts[0]).contract_address
            assert address is not None
            assert SharedModel(chain, address).params == tuple(params)


@settings(max_examples=240, deadline=None)
@given(case=widths.flatmap(lambda bits: st.tuples(st.just(bits), st.lists(values(bits), max_size=80))))
def test_unpack_inverts_pack(case: tuple[int, list[int]]) -> None:
    bits, values_ = case
    words = pack(values_, bits)
    assert len(words) == words_for(len(values_), bits)
    assert all(0 <= w < 2**256 for w in words)
    assert unpack(words, len(values_), bits) == values_
    per_word = 256 // bits
    for i, v in enumerate(values_):  # field i: bits [(i % per_word) * bits, ...) of word i // per_word
        assert (words[i // per_word] >> ((i % per_word) * bits)) % (1 << bits) == v % (1 << bits)


def outside(bits: int) -> st.SearchStrategy[int]:
    """Values just or far outside a signed field of ``bits`` bits."""
    low, high = signed_range(bits)
    return st.one_of(
        st.sampled_from([low - 1, high + 1]), st.integers(max_value=low - 1), st.integers(min_value=high + 1)
    )


@settings(max_examples=160, deadline=None)
@given(case=widths.flatmap(lambda bits: st.tuples(st.just(bits), outside(bits))))
def test_pack_refuses_values_outside_the_field(case: tuple[int, int]) -> None:
    bits, value = case
    with pytest.raises(OverflowError):
        pack([0, value], bits)
    with pytest.raises(OverflowError):
        SparsePerceptron.from_weights([0, value], learning_rate=1, weight_bits=bits)


@settings(max_examples=100, deadline=None)
@given(
    case=widths.flatmap(
        lambda bits: st.tuples(
            st.just(bits),
            st.integers(1, 64).flatmap(lambda n: st.lists(values(bits), min_size=n, max_size=n))
            | st.lists(values(bits), min_size=300, max_size=300),
        )
    )
)
def test_contract_stores_exactly_the_packed_words(chain: EmbeddedChain, case: tuple[int, list[int]]) -> None:
    bits, weights = case
    with chain.anchor():
        mirror = SparsePerceptron.from_weights(weights, learning_rate=1, weight_bits=bits)
        model = SharedModel.deploy(chain, mirror, sender=0)
        total = words_for(len(weights), bits)
        assert model._call("total_words") == model._call("words_loaded") == total
        assert model.ready()
        assert model.parameter_words() == pack(weights, bits)
        assert model.mirror().coef_.tolist() == weights
