# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Sparse Perceptron (fixed point)
@custom:contract-name sparse_perceptron
@license MIT
@notice A binary perceptron over sparse inputs: a sample is a sorted list of
        unique feature indices. It predicts 1 when the weights of the present
        features plus the intercept sum above 0, else 0. On a mistake each
        present weight moves by the step towards the label; the intercept
        stays fixed, as in 0xDeCA10B. The step is `learning_rate`, or, with
        a `decay`, shrinks with the samples seen (see `step_schedule`).
@dev Parameters: `[n_features, intercept, learning_rate, weight_bits, decay]`
     (`decay` 0 for a constant step, else up to 2**64 - 1).
     Storage layout (in `packed_words`): the weights are signed integers of
     `weight_bits` bits (8 to 64) at the model's scale, `256 // weight_bits`
     per word in two's complement (see `fields`): weight i lives in word
     `i // per_word` at bit offset `(i % per_word) * weight_bits`. Narrow
     fields make deployment and updates cheaper. The Python mirror picks the
     width (see `SparsePerceptron.weight_bits`).
     Saturation: a weight that a step would take past its field stops at the
     field's bound (`2**(weight_bits - 1) - 1` or `-2**(weight_bits - 1)`)
     and the other weights still move. An update never reverts for a full
     field: otherwise anyone could push a weight to its bound with deposits
     that are refunded later and, from then on, make every contribution
     that should move it further revert, for everyone.
     The loops read the sample a chunk at a time (see `samples`) and the
     weights inline, straight from `packed_words._words`, as `fields` reads a
     signed field: an internal call per feature would cost about 200 gas.
"""

from .. import reverts
from ..interfaces import IModel
from . import packed_words
from . import samples
from . import step_schedule

uses: packed_words

implements: IModel

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 2**32
# @dev The sample encoding this model reads (sparse feature indices).
SAMPLE_BYTES: constant(uint256) = samples.SPARSE_BYTES
# @dev Right shift that brings the top index of a sample chunk down to bits 0 .. 31.
_INDEX_SHIFT: constant(uint256) = 256 - samples.INDEX_BITS

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[40])) = "sparse perceptron"
# @dev Number of classes.
n_classes: public(constant(uint256)) = 2

# @dev Size of the feature space; indices lie in [0, n_features).
n_features: public(immutable(uint256))
# @dev Added to the sum of the present weights.
intercept: immutable(int256)
# @dev How far a weight moves on a mistake (on the first sample, with a decay).
learning_rate: immutable(int256)
# @dev Samples after which the step halves; 0 for a constant step.
decay: immutable(uint256)
# @dev Width of one packed weight, in bits.
weight_bits: immutable(uint256)
_PER_WORD: immutable(uint256)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape and the fixed parameters.
    @param params `[n_features, intercept, learning_rate, weight_bits, decay]`.
    """
    if len(params) != 5:
        reverts._fail("sparse_perceptron: expected 5 parameters")
    if params[0] <= 0 or params[0] > convert(MAX_FEATURES, int256):
        reverts._fail("sparse_perceptron: n_features out of range")
    if params[3] < 8 or params[3] > 64:
        reverts._fail("sparse_perceptron: weight_bits out of range")
    limit: int256 = convert(1 << convert(params[3] - 1, uint256), int256)
    if params[1] < -limit or params[1] >= limit:
        reverts._fail("sparse_perceptron: intercept out of range")
    if params[2] <= 0 or params[2] >= limit:
        reverts._fail("sparse_perceptron: learning rate out of range")
    n_features = convert(params[0], uint256)
    intercept = params[1]
    learning_rate = params[2]
    weight_bits = convert(params[3], uint256)
    _PER_WORD = 256 // weight_bits
    if params[4] < 0 or params[4] >= convert(step_schedule.MAX_DECAY, int256):
        reverts._fail("sparse_perceptron: decay out of range")
    decay = convert(params[4], uint256)


@internal
@view
def _words_needed() -> uint256:
    """
    @dev Number of packed words: the weights, then the count of samples
         seen when there is a decay.
    @return The word count.
    """
    weights: uint256 = (n_features + _PER_WORD - 1) // _PER_WORD
    if decay != 0:
        return weights + 1
    return weights


@external
@view
def parameters() -> DynArray[int256, 8]:
    """
    @notice The parameters the model was deployed with.
    @return `[n_features, intercept, learning_rate, weight_bits, decay]`.
    """
    return [convert(n_features, int256), intercept, learning_rate, convert(weight_bits, int256), convert(decay, int256)]


@internal
@view
def _check_sample(data: Bytes[SAMPLE_BYTES]):
    """
    @dev Reverts unless `data` is a valid sample (sorted, unique, in range).
    @param data The packed sample.
    """
    samples._check_sparse(data, n_features)


@internal
@pure
def _check_label(label: uint8):
    """
    @dev Reverts unless `label` is a class of the model.
    @param label The class.
    """
    if label > 1:
        reverts._fail("sparse_perceptron: label out of range")


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample. Weight `index` is the field at
         `(index % per_word) * bits` of word `index // per_word`: shifted
         `lift` bits left, its top bit becomes bit 255, and an arithmetic
         shift back down sign-extends it.
    @param data The packed sample.
    @return 1 when the score is above 0, else 0.
    """
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    per_word: uint256 = _PER_WORD
    bits: uint256 = weight_bits
    top: uint256 = 256 - bits
    score: int256 = intercept
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        index: uint256 = chunk >> _INDEX_SHIFT
        chunk = chunk << samples.INDEX_BITS
        place: uint256 = unsafe_div(index, per_word)
        if place != position:
            position = place
            word = packed_words._words[place]
        lift: uint256 = unsafe_sub(top, unsafe_mul(unsafe_sub(index, unsafe_mul(place, per_word)), bits))
        score = unsafe_add(score, convert(convert(word << lift, bytes32), int256) >> top)
    if score > 0:
        return 1
    return 0


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Learns from a checked sample: on a mistake, every present weight
         moves by the step towards `label`, saturating at its
         field's bound in that direction. Each word is read and written
         once, its fields rebuilt as `_predict` reads them. A weight fits its
         field exactly when `weight + 2**(bits - 1)`, read as unsigned, is at
         most the field mask (a negative sum reads as a huge number).
    @param data The packed sample.
    @param label The class, 0 or 1.
    """
    step: int256 = learning_rate
    if decay != 0:
        last: uint256 = unsafe_sub(packed_words.total_words, 1)
        seen: uint256 = packed_words._words[last]
        packed_words._words[last] = unsafe_add(seen, 1)
        # `step_schedule`, inline: the product is below 2**127; `decay + seen` is checked
        step = convert(convert(unsafe_div(unsafe_mul(convert(convert(step, bytes32), uint256), decay), decay + seen), bytes32), int256)
    if self._predict(data) == label:
        return
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    per_word: uint256 = _PER_WORD
    bits: uint256 = weight_bits
    top: uint256 = 256 - bits
    field_mask: uint256 = (1 << bits) - 1
    half: int256 = convert(1 << (bits - 1), int256)
    bound: int256 = half - 1
    if label == 0:
        step = -step
        bound = -half
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        index: uint256 = chunk >> _INDEX_SHIFT
        chunk = chunk << samples.INDEX_BITS
        place: uint256 = unsafe_div(index, per_word)
        if place != position:
            if position != max_value(uint256):
                packed_words._words[position] = word
            position = place
            word = packed_words._words[place]
        offset: uint256 = unsafe_mul(unsafe_sub(index, unsafe_mul(place, per_word)), bits)
        # a weight and the step lie within 64 signed bits: no overflow
        weight: int256 = unsafe_add(convert(convert(word << unsafe_sub(top, offset), bytes32), int256) >> top, step)
        if convert(convert(unsafe_add(weight, half), bytes32), uint256) > field_mask:
            weight = bound
        word = (word & ~(field_mask << offset)) | ((convert(convert(weight, bytes32), uint256) & field_mask) << offset)
    packed_words._words[position] = word  # a checked sample has an index, so `position` is set
