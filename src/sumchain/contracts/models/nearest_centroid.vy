# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Dense Nearest Centroid Classifier (fixed point)
@custom:contract-name nearest_centroid
@license MIT
@notice A nearest centroid classifier over dense inputs: a sample is a vector
        of `n_features` signed fixed-point values. It predicts the class whose
        centroid is nearest in squared Euclidean distance (exact integers;
        on a tie, the lowest class). Every contribution moves the centroid of
        its label to the running mean: `c[i] = (c[i] * n + x[i]) // (n + 1)`
        with truncating division, then the class's data count n grows by one,
        as in 0xDeCA10B.
@dev Parameters: `[n_features, n_classes, value_bits]`: 1 to 512 features, 2
     to 64 classes, values of 8 to 64 bits.
     Storage layout: see `centroids`, with 64-bit headers (four data counts
     per word, nothing else): H = `ceil(n_classes / 4)` count words, then
     the centroids class after class, each starting on a new word: with
     `P = 256 // value_bits` values per word and `W = ceil(n_features / P)`
     words per class, value i of class k lives in word `H + k * W + i // P`
     at bit offset `(i % P) * value_bits`. An update reads and writes the W
     words of one class.
     The loops read the sample 32 bytes (4 values) at a time and the words
     straight from `packed_words._words` (see `packed_words`).
     Bounds: a sample value must fit in `value_bits` signed bits, like the
     centroid values ("nearest_centroid: value out of range" otherwise,
     checked with the sample before the label, 4 values at a time).
     Then every running mean fits its field, and |x - c| < 2**64, so a
     squared distance over at most 512 features is below 2**137: the
     distance arithmetic cannot overflow and is done unchecked. A data count
     that would leave 64 bits reverts ("fields: value overflows its field").
"""

from .. import reverts
from ..interfaces import IModel
from . import centroids
from . import packed_words
from . import samples

uses: packed_words

implements: IModel

# @dev Width of a class header: the data count only.
_HEADER_BITS: constant(uint256) = centroids.COUNT_BITS
# @dev Data counts per header word.
_HEADERS_PER_WORD: constant(uint256) = 256 // _HEADER_BITS
# @dev The sample encoding this model reads (dense signed values).
SAMPLE_BYTES: constant(uint256) = samples.DENSE_BYTES
# @dev A sample with 32 zero bytes appended, so that every value can be read with `extract32`.
_PADDED_BYTES: constant(uint256) = SAMPLE_BYTES + 32
# @dev Width of one sample value, in bits: the shift from the top 8 bytes of a
#      32-byte read down to a sample value is `256 - _VALUE_BITS`.
_VALUE_BITS: constant(uint256) = 8 * samples.VALUE_BYTES
_VALUE_SHIFT: constant(uint256) = 256 - _VALUE_BITS
# @dev Sample values in one 32-byte read, and reads that cover the largest sample.
_CHUNK_VALUES: constant(uint256) = 32 // samples.VALUE_BYTES
_MAX_CHUNKS: constant(uint256) = samples.MAX_SAMPLE // _CHUNK_VALUES

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[40])) = "dense nearest centroid classifier"

# @dev Dimension of a sample and of a centroid.
n_features: public(immutable(uint256))
# @dev Number of classes.
n_classes: public(immutable(uint256))
# @dev Width of one packed centroid value, in bits; sample values must fit too.
value_bits: immutable(uint256)
# @dev Values per word, words per centroid, and header words (before the first centroid).
_PER_WORD: immutable(uint256)
_WORDS_PER_CLASS: immutable(uint256)
_HEADER_WORDS: immutable(uint256)
# @dev A field's bits, and the shift that sign-extends them from the top of a word.
_FIELD_MASK: immutable(uint256)
_FIELD_SHIFT: immutable(uint256)
# @dev Bits `value_bits` to 63 of each of the 4 values in a 32-byte read of a
#      sample: where a value that fits in `value_bits` signed bits repeats its sign.
_WIDE_BITS: immutable(uint256)
# @dev keccak256 of the zero vector, which `_check_sample` refuses (see `samples`).
_ZERO_SAMPLE_HASH: immutable(bytes32)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape.
    @param params `[n_features, n_classes, value_bits]`.
    """
    features: uint256 = 0
    classes: uint256 = 0
    bits: uint256 = 0
    features, classes, bits = centroids._check_params(params, samples.MAX_SAMPLE, 8)
    n_features = features
    n_classes = classes
    value_bits = bits
    _PER_WORD = 256 // bits
    _WORDS_PER_CLASS = centroids._words_for(features, bits)
    _HEADER_WORDS = centroids._words_for(classes, _HEADER_BITS)
    _FIELD_MASK = (1 << bits) - 1
    _FIELD_SHIFT = 256 - bits
    wide: uint256 = (1 << _VALUE_BITS) - (1 << bits)
    _WIDE_BITS = wide | (wide << _VALUE_BITS) | (wide << (2 * _VALUE_BITS)) | (wide << (3 * _VALUE_BITS))
    _ZERO_SAMPLE_HASH = samples._zero_hash(features)


@internal
@view
def _words_needed() -> uint256:
    """
    @dev Number of packed words: the count words and every centroid.
    @return The word count.
    """
    return _HEADER_WORDS + n_classes * _WORDS_PER_CLASS


@external
@view
def parameters() -> DynArray[int256, 8]:
    """
    @notice The parameters the model was deployed with.
    @return `[n_features, n_classes, value_bits]`.
    """
    return [convert(n_features, int256), convert(n_classes, int256), convert(value_bits, int256)]


@internal
@view
def _check_sample(data: Bytes[SAMPLE_BYTES]):
    """
    @dev Reverts unless `data` holds `n_features` values, not all zero (see
         `samples`), that each fit in `value_bits` signed bits, that is
         unless bits `value_bits - 1` to 63 of each value all equal its sign
         bit. The check runs on 32-byte reads
         (4 values, zero padding past the last one): in `chunk ^ (chunk << 1)`
         a bit is set where a bit of the read differs from the bit below it,
         so a value fits when none of its bits `value_bits` to 63 is set
         there (`_WIDE_BITS`). The reads are OR-ed together and tested once.
    @param data The packed sample.
    """
    samples._check_dense(data, n_features, _ZERO_SAMPLE_HASH)
    padded: Bytes[_PADDED_BYTES] = concat(data, empty(bytes32))
    changes: uint256 = 0
    for j: uint256 in range(unsafe_div(unsafe_add(n_features, _CHUNK_VALUES - 1), _CHUNK_VALUES), bound=_MAX_CHUNKS):
        chunk: uint256 = extract32(padded, unsafe_mul(j, 32), output_type=uint256)
        changes = changes | (chunk ^ (chunk << 1))
    if changes & _WIDE_BITS != 0:
        reverts._fail("nearest_centroid: value out of range")


@internal
@view
def _check_label(label: uint8):
    """
    @dev Reverts unless `label` is a class of the model.
    @param label The class.
    """
    if convert(label, uint256) >= n_classes:
        reverts._fail("nearest_centroid: label out of range")


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample. A class's distance stops growing once
         it reaches the best distance so far (checked once per word): it can
         no longer win. The loop is written for gas: values are read inline
         (a `fields` call per value costs about 300 gas), the sample 32 bytes
         at a time (one `extract32` per 4 values, each then shifted to the top
         in turn), immutables are copied to locals, and the arithmetic is
         unchecked (see the bounds).
    @param data The packed sample.
    @return The class with the smallest squared distance (the lowest on a tie).
    """
    padded: Bytes[_PADDED_BYTES] = concat(data, empty(bytes32))
    per_word: uint256 = _PER_WORD
    field_shift: uint256 = _FIELD_SHIFT
    bits: uint256 = value_bits
    best: int256 = max_value(int256)
    best_class: uint256 = 0
    for k: uint256 in range(n_classes, bound=centroids.MAX_CLASSES):
        distance: int256 = 0
        position: uint256 = unsafe_add(_HEADER_WORDS, unsafe_mul(k, _WORDS_PER_CLASS))
        word: int256 = 0
        left: uint256 = 0
        chunk: int256 = 0
        for i: uint256 in range(n_features, bound=samples.MAX_SAMPLE):
            if left == 0:
                if distance >= best:
                    break
                word = convert(convert(packed_words._words[position], bytes32), int256)
                position = unsafe_add(position, 1)
                left = per_word
            left = unsafe_sub(left, 1)
            if i & (_CHUNK_VALUES - 1) == 0:
                chunk = extract32(padded, unsafe_mul(i, samples.VALUE_BYTES), output_type=int256)
            diff: int256 = unsafe_sub(chunk >> _VALUE_SHIFT, (word << field_shift) >> field_shift)
            chunk = chunk << _VALUE_BITS
            word = word >> bits
            distance = unsafe_add(distance, unsafe_mul(diff, diff))
        if distance < best:
            best = distance
            best_class = k
    return convert(best_class, uint8)


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Moves the centroid of `label` to the running mean with a checked
         sample, `(c * n + x) // (n + 1)` truncated towards zero (see
         `centroids`), and counts it. Each word is read and written once (a
         word is stored when the loop moves to the next one, the last after
         the loop); the loop is written for gas as in `_predict` (unchecked
         arithmetic: |c * n + x| < 2**128).
    @param data The packed sample.
    @param label The class.
    """
    k: uint256 = convert(label, uint256)
    header_position: uint256 = k // _HEADERS_PER_WORD
    header_offset: uint256 = (k % _HEADERS_PER_WORD) * _HEADER_BITS
    count: uint256 = 0
    header: uint256 = 0
    count, header = centroids._counted(packed_words._words[header_position], header_offset)
    packed_words._words[header_position] = header
    n: int256 = convert(count, int256)
    next_n: int256 = n + 1
    padded: Bytes[_PADDED_BYTES] = concat(data, empty(bytes32))
    per_word: uint256 = _PER_WORD
    field_shift: uint256 = _FIELD_SHIFT
    mask: uint256 = _FIELD_MASK
    bits: uint256 = value_bits
    position: uint256 = unsafe_add(_HEADER_WORDS, unsafe_mul(k, _WORDS_PER_CLASS))
    word: int256 = 0
    out: uint256 = 0
    offset: uint256 = 0
    left: uint256 = 0
    chunk: int256 = 0
    for i: uint256 in range(n_features, bound=samples.MAX_SAMPLE):
        if left == 0:
            if i != 0:
                packed_words._words[position] = out
                position = unsafe_add(position, 1)
            word = convert(convert(packed_words._words[position], bytes32), int256)
            out = 0
            offset = 0
            left = per_word
        left = unsafe_sub(left, 1)
        if i & (_CHUNK_VALUES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.VALUE_BYTES), output_type=int256)
        x: int256 = chunk >> _VALUE_SHIFT
        chunk = chunk << _VALUE_BITS
        mean: int256 = unsafe_div(unsafe_add(unsafe_mul((word << field_shift) >> field_shift, n), x), next_n)
        word = word >> bits
        out = out | ((convert(convert(mean, bytes32), uint256) & mask) << offset)
        offset = unsafe_add(offset, bits)
    packed_words._words[position] = out
