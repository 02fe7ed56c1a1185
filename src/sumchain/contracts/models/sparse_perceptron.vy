# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Sparse Perceptron (fixed point)
@custom:contract-name sparse_perceptron
@license MIT
@notice A binary perceptron over sparse inputs: a sample is a sorted list of
        unique feature indices. It predicts 1 when the weights of the present
        features plus the intercept sum above 0, else 0. On a mistake each
        present weight moves by `learning_rate` towards the label; the
        intercept stays fixed, as in 0xDeCA10B.
@dev Parameters: `[n_features, intercept, learning_rate, weight_bits]`.
     Storage layout (in `packed_words`): the weights are signed integers of
     `weight_bits` bits (8 to 64) at the model's scale, `256 // weight_bits`
     per word in two's complement (see `fields`): weight i lives in word
     `i // per_word` at bit offset `(i % per_word) * weight_bits`. Narrow
     fields make deployment and updates cheaper; an update that would leave
     the field reverts. The Python mirror picks the width (see
     `SparsePerceptron.weight_bits`).
"""

from . import fields
from . import packed_words
from . import samples

uses: packed_words

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 2**32
# @dev The sample encoding this model reads (sparse feature indices).
SAMPLE_BYTES: constant(uint256) = samples.SPARSE_BYTES

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[32])) = "sparse perceptron"
# @dev Number of classes.
n_classes: public(constant(uint256)) = 2

# @dev Size of the feature space; indices lie in [0, n_features).
n_features: public(immutable(uint256))
# @dev Added to the sum of the present weights.
intercept: public(immutable(int256))
# @dev How far a weight moves on a mistake.
learning_rate: public(immutable(int256))
# @dev Width of one packed weight, in bits.
weight_bits: public(immutable(uint256))
_PER_WORD: immutable(uint256)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape and the fixed parameters.
    @param params `[n_features, intercept, learning_rate, weight_bits]`.
    """
    assert len(params) == 4, "sparse_perceptron: expected 4 parameters"
    assert params[0] > 0 and params[0] <= convert(MAX_FEATURES, int256), "sparse_perceptron: n_features out of range"
    assert params[3] >= 8 and params[3] <= 64, "sparse_perceptron: weight_bits out of range"
    limit: int256 = convert(1 << convert(params[3] - 1, uint256), int256)
    assert params[1] >= -limit and params[1] < limit, "sparse_perceptron: intercept out of range"
    assert params[2] > 0 and params[2] < limit, "sparse_perceptron: learning rate out of range"
    n_features = convert(params[0], uint256)
    intercept = params[1]
    learning_rate = params[2]
    weight_bits = convert(params[3], uint256)
    _PER_WORD = 256 // weight_bits


@internal
@view
def _words_needed() -> uint256:
    """
    @dev Number of packed words that hold all weights.
    @return The word count.
    """
    return (n_features + _PER_WORD - 1) // _PER_WORD


@external
@view
def parameters() -> DynArray[int256, 8]:
    """
    @notice The parameters the model was deployed with.
    @return `[n_features, intercept, learning_rate, weight_bits]`.
    """
    return [convert(n_features, int256), intercept, learning_rate, convert(weight_bits, int256)]


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
    assert label <= 1, "sparse_perceptron: label out of range"


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample.
    @param data The packed sample.
    @return 1 when the score is above 0, else 0.
    """
    score: int256 = intercept
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        index: uint256 = convert(slice(data, i * samples.INDEX_BYTES, samples.INDEX_BYTES), uint256)
        if index // _PER_WORD != position:
            position = index // _PER_WORD
            word = packed_words._get(position)
        score += fields._signed(word, (index % _PER_WORD) * weight_bits, weight_bits)
    if score > 0:
        return 1
    return 0


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Learns from a checked sample: on a mistake, every present weight
         moves by the learning rate towards `label`. Consecutive weights of
         one word are written with a single store.
    @param data The packed sample.
    @param label The class, 0 or 1.
    """
    if self._predict(data) == label:
        return
    step: int256 = learning_rate
    if label == 0:
        step = -learning_rate
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        index: uint256 = convert(slice(data, i * samples.INDEX_BYTES, samples.INDEX_BYTES), uint256)
        if index // _PER_WORD != position:
            if position != max_value(uint256):
                packed_words._set(position, word)
            position = index // _PER_WORD
            word = packed_words._get(position)
        offset: uint256 = (index % _PER_WORD) * weight_bits
        word = fields._with_signed(word, offset, weight_bits, fields._signed(word, offset, weight_bits) + step)
    if position != max_value(uint256):
        packed_words._set(position, word)
