# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Dense Perceptron (fixed point)
@custom:contract-name dense_perceptron
@license MIT
@notice A binary perceptron over dense inputs: a sample is a vector of
        `n_features` signed fixed-point values. It predicts 1 when
        `sum(w[i] * x[i]) + intercept * SCALE` is above 0, else 0 (exactly 0
        gives 0). On a mistake every weight moves by
        `x[i] * step * sign // SCALE` (sign +1 towards label 1, -1 towards
        label 0; `//` truncates towards zero); the intercept stays fixed, as
        in 0xDeCA10B. The step is `learning_rate`, or, with a `decay`,
        shrinks with the samples seen (see `step_schedule`).
@dev Parameters: `[n_features, intercept, learning_rate, weight_bits, decay]`
     (`decay` 0 for a constant step, else up to 2**64 - 1).
     Storage layout (in `packed_words`): the weights are signed integers of
     `weight_bits` bits (8 to 64) at the model's scale, `256 // weight_bits`
     per word in two's complement, the layout of `fields`: weight i lives in
     word `i // per_word` at bit offset `(i % per_word) * weight_bits`. The
     loops walk a word field by field with shifts instead of calling
     `fields` per weight (an internal call per weight costs more than the
     arithmetic), and index `packed_words._words` directly. With a decay,
     one more word after the weights counts the samples seen.
     Saturation: a weight that an update would take past its field stops at
     the field's bound (`2**(weight_bits - 1) - 1` or `-2**(weight_bits -
     1)`) and the other weights still move. An update never reverts for a
     full field: otherwise one contribution with a large value could push a
     weight next to its bound and make every later update that moves it
     further revert, for everyone.
     Bounds: a value travels in 8 signed bytes (|x| <= 2**63), a weight has
     at most 64 bits, the intercept and the learning rate fit in 64 signed
     bits and there are at most 512 features, so |score| < 2**136 and
     |x * learning_rate| < 2**126: no int256 arithmetic can overflow (the
     loops run unchecked), and every sample of the right dimension is
     accepted.
     Inputs need not be normalized: the reference rejects, on update, an
     input whose norm is not 1 (at scale); sumchain leaves that convention
     to the client's encoder.
"""

from .. import reverts
from ..interfaces import IModel
from . import packed_words
from . import samples
from . import step_schedule

uses: packed_words

implements: IModel

# @dev The fixed-point scale of real numbers (1.0 = 10**9).
SCALE: constant(int256) = 10**9
# @dev Bound of the intercept and of the learning rate (64 signed bits).
_INT64_MAX: constant(int256) = 2**63 - 1
# @dev Width of one sample value, in bits, and values in 32 bytes of a sample.
_VALUE_BITS: constant(uint256) = 8 * samples.VALUE_BYTES
_CHUNK_VALUES: constant(uint256) = 32 // samples.VALUE_BYTES
# @dev The sample encoding this model reads (dense signed values).
SAMPLE_BYTES: constant(uint256) = samples.DENSE_BYTES

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[40])) = "dense perceptron"
# @dev Number of classes.
n_classes: public(constant(uint256)) = 2

# @dev Dimension of a sample.
n_features: public(immutable(uint256))
# @dev Added to the score after multiplying it by `SCALE`.
intercept: immutable(int256)
# @dev Scales the input that a mistake adds to the weights (on the first
#      sample, with a decay).
learning_rate: immutable(int256)
# @dev Samples after which the step halves; 0 for a constant step.
decay: immutable(uint256)
# @dev Width of one packed weight, in bits.
weight_bits: immutable(uint256)
_PER_WORD: immutable(uint256)
# @dev keccak256 of the zero vector, which `_check_sample` refuses (see `samples`).
_ZERO_SAMPLE_HASH: immutable(bytes32)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape and the fixed parameters.
    @param params `[n_features, intercept, learning_rate, weight_bits, decay]`.
    """
    if len(params) != 5:
        reverts._fail("dense_perceptron: expected 5 parameters")
    if params[0] <= 0 or params[0] > convert(samples.MAX_SAMPLE, int256):
        reverts._fail("dense_perceptron: n_features out of range")
    if params[1] < -_INT64_MAX - 1 or params[1] > _INT64_MAX:
        reverts._fail("dense_perceptron: intercept out of range")
    if params[2] <= 0 or params[2] > _INT64_MAX:
        reverts._fail("dense_perceptron: learning rate out of range")
    if params[3] < 8 or params[3] > 64:
        reverts._fail("dense_perceptron: weight_bits out of range")
    n_features = convert(params[0], uint256)
    intercept = params[1]
    learning_rate = params[2]
    weight_bits = convert(params[3], uint256)
    _PER_WORD = 256 // weight_bits
    if params[4] < 0 or params[4] >= convert(step_schedule.MAX_DECAY, int256):
        reverts._fail("dense_perceptron: decay out of range")
    decay = convert(params[4], uint256)
    _ZERO_SAMPLE_HASH = samples._zero_hash(n_features)


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
    @dev Reverts unless `data` holds exactly `n_features` values, not all
         zero (see `samples`; any 8-byte value is in range, see the bounds
         above).
    @param data The packed sample.
    """
    samples._check_dense(data, n_features, _ZERO_SAMPLE_HASH)


@internal
@pure
def _check_label(label: uint8):
    """
    @dev Reverts unless `label` is a class of the model.
    @param label The class.
    """
    if label > 1:
        reverts._fail("dense_perceptron: label out of range")


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample. The loop reads each weight word once
         and each 32 bytes of the sample once (4 values), then shifts the
         next weight and value into place; the sample is padded with 32 zero
         bytes so that the last read stays in bounds.
    @param data The packed sample.
    @return 1 when the score is above 0, else 0.
    """
    score: int256 = intercept * SCALE
    bits: uint256 = weight_bits
    top: uint256 = 256 - bits
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    position: uint256 = 0
    left: uint256 = 0
    word: uint256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(n_features, bound=samples.MAX_SAMPLE):
        if left == 0:
            word = packed_words._words[position]
            position = unsafe_add(position, 1)
            left = _PER_WORD
        left = unsafe_sub(left, 1)
        if i & (_CHUNK_VALUES - 1) == 0:
            chunk = convert(extract32(padded, unsafe_mul(i, samples.VALUE_BYTES)), uint256)
        x: int256 = convert(convert(chunk, bytes32), int256) >> (256 - _VALUE_BITS)
        w: int256 = convert(convert(word << top, bytes32), int256) >> top
        score = unsafe_add(score, unsafe_mul(w, x))
        chunk = chunk << _VALUE_BITS
        word = word >> bits
    if score > 0:
        return 1
    return 0


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Learns from a checked sample: on a mistake, weight i moves by
         `x[i] * step // SCALE` towards `label`, saturating at its
         field's bounds. Each word is read, rebuilt field by field and
         written once; the loop reads the sample as `_predict` does. A new
         weight `w` fits its field exactly when `w + 2**(bits - 1)`, read as
         unsigned, is at most the field mask (a negative sum reads as a huge
         number): one comparison per weight.
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
    if label == 0:
        step = -step
    bits: uint256 = weight_bits
    top: uint256 = 256 - bits
    half: int256 = convert(1 << (bits - 1), int256)
    highest: int256 = half - 1
    mask: uint256 = (1 << bits) - 1
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    position: uint256 = 0
    left: uint256 = 0
    word: uint256 = 0
    updated: uint256 = 0
    offset: uint256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(n_features, bound=samples.MAX_SAMPLE):
        if left == 0:
            if position > 0:
                packed_words._words[unsafe_sub(position, 1)] = updated
            word = packed_words._words[position]
            position = unsafe_add(position, 1)
            left = _PER_WORD
            updated = 0
            offset = 0
        left = unsafe_sub(left, 1)
        if i & (_CHUNK_VALUES - 1) == 0:
            chunk = convert(extract32(padded, unsafe_mul(i, samples.VALUE_BYTES)), uint256)
        x: int256 = convert(convert(chunk, bytes32), int256) >> (256 - _VALUE_BITS)
        w: int256 = convert(convert(word << top, bytes32), int256) >> top
        w = unsafe_add(w, unsafe_div(unsafe_mul(x, step), SCALE))
        if convert(convert(unsafe_add(w, half), bytes32), uint256) > mask:
            if w > 0:
                w = highest
            else:
                w = -half
        updated |= (convert(convert(w, bytes32), uint256) & mask) << offset
        offset = unsafe_add(offset, bits)
        chunk = chunk << _VALUE_BITS
        word = word >> bits
    packed_words._words[unsafe_sub(position, 1)] = updated
