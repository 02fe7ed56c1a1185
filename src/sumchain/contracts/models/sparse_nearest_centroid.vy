# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Sparse Nearest Centroid Classifier (fixed point)
@custom:contract-name sparse_nearest_centroid
@license MIT
@notice A nearest centroid classifier over sparse inputs: a sample is a
        sorted list of unique feature indices, each present feature has the
        value 1.0 (`SCALE`) and every other feature 0. It predicts the class
        whose centroid is nearest in squared Euclidean distance (exact
        integers; on a tie, the lowest class). Every contribution counts for
        its label and, as in 0xDeCA10B, updates only the present features of
        that class's centroid: `c[f] = (c[f] * n + SCALE) // (n + 1)` with
        truncating division, n being the class's data count before the
        contribution; absent features keep their value (an exact mean would
        also scale them by n / (n + 1), which costs O(n_features)).
@dev Parameters: `[n_features, n_classes, value_bits]`: 1 to 2**32 features,
     2 to 64 classes, values of 31 to 64 bits (1.0 = 10**9 must fit).
     Storage layout: see `centroids`, with 256-bit headers, one word per
     class (word k for class k): the data count in bits 0-63 and the
     centroid's squared norm `sum(c[f] ** 2)` (unsigned) in bits 64-255.
     Then the centroid values feature after feature, the classes of one
     feature side by side: with `P = 256 // value_bits` values per word,
     value f of class k is packed value `j = f * n_classes + k`, in word
     `n_classes + j // P` at bit offset `(j % P) * value_bits`. A prediction
     reads each present feature's values for all classes from the same one
     or few words (with 2 classes of 32 bits, 4 features share a word).
     Prediction in O(len(sample)): the squared distance of a sample s to a
     centroid c is `norm + sum over f in s of (SCALE**2 - 2 * SCALE * c[f])`;
     the term `len(s) * SCALE**2` is the same for every class, so the model
     compares `norm - 2 * SCALE * sum over f in s of c[f]`. Each update keeps
     the norm exact (it adds `new**2 - old**2` for every changed value).
     The owner loads the norms with the centroids (`SharedModel.deploy`
     computes them); the model trusts them, so a wrong norm makes the model
     predict with it (its mirror does the same), and an update that would
     take it below 0 or past 192 bits reverts.
     Bounds: a running mean lies between `c[f]` and `SCALE`, so it fits its
     field; a consistent norm is below 2**32 * 2**126 = 2**158; the scores
     are below 2**192 + 2**30 * 2**9 * 2**63 in magnitude: no int256
     overflow. A data count that would leave 64 bits reverts ("fields: value
     overflows its field").
"""

from .. import reverts
from ..interfaces import IModel
from . import centroids
from . import fields
from . import packed_words
from . import samples

uses: packed_words

implements: IModel

# @dev The fixed-point scale of real numbers (1.0 = 10**9): a present feature's value.
SCALE: constant(int256) = 10**9
# @dev Width of the squared norm, above the data count in a class header (a whole word).
_NORM_BITS: constant(uint256) = 256 - centroids.COUNT_BITS
# @dev Narrowest value width: 1.0 must fit in a signed field.
_MIN_VALUE_BITS: constant(uint256) = 31
# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 2**32
# @dev The sample encoding this model reads (sparse feature indices).
SAMPLE_BYTES: constant(uint256) = samples.SPARSE_BYTES
# @dev A sample with 32 zero bytes appended, so that every index can be read with `extract32`.
_PADDED_BYTES: constant(uint256) = SAMPLE_BYTES + 32
# @dev Shift from the top 4 bytes of a 32-byte read down to a feature index
#      (the sample is read a chunk of `samples.CHUNK_INDICES` indices at a time).
_INDEX_SHIFT: constant(uint256) = 256 - samples.INDEX_BITS

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[40])) = "sparse nearest centroid classifier"

# @dev Size of the feature space; indices lie in [0, n_features).
n_features: public(immutable(uint256))
# @dev Number of classes.
n_classes: public(immutable(uint256))
# @dev Width of one packed centroid value, in bits.
value_bits: immutable(uint256)
# @dev Values per word.
_PER_WORD: immutable(uint256)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape.
    @param params `[n_features, n_classes, value_bits]`.
    """
    features: uint256 = 0
    classes: uint256 = 0
    bits: uint256 = 0
    features, classes, bits = centroids._check_params(params, MAX_FEATURES, _MIN_VALUE_BITS)
    n_features = features
    n_classes = classes
    value_bits = bits
    _PER_WORD = 256 // bits


@internal
@view
def _words_needed() -> uint256:
    """
    @dev Number of packed words: one header per class and every centroid value.
    @return The word count.
    """
    return n_classes + centroids._words_for(n_features * n_classes, value_bits)


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
    @dev Reverts unless `data` is a valid sample (sorted, unique, in range).
    @param data The packed sample.
    """
    samples._check_sparse(data, n_features)


@internal
@view
def _check_label(label: uint8):
    """
    @dev Reverts unless `label` is a class of the model.
    @param label The class.
    """
    if convert(label, uint256) >= n_classes:
        reverts._fail("sparse_nearest_centroid: label out of range")


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample in O(len(sample) * n_classes): the sum
         of each class's present values, from the words that hold them side
         by side, then each class's score. Values are read inline (a
         `fields` call per value costs about 300 gas).
    @param data The packed sample.
    @return The class with the smallest squared distance (the lowest on a tie).
    """
    padded: Bytes[_PADDED_BYTES] = concat(data, empty(bytes32))
    classes: uint256 = n_classes
    per_word: uint256 = _PER_WORD
    bits: uint256 = value_bits
    value_shift: uint256 = 256 - bits
    totals: int256[centroids.MAX_CLASSES] = empty(int256[centroids.MAX_CLASSES])
    position: uint256 = max_value(uint256)
    word: int256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        packed: uint256 = unsafe_mul(chunk >> _INDEX_SHIFT, classes)
        chunk = chunk << samples.INDEX_BITS
        for k: uint256 in range(classes, bound=centroids.MAX_CLASSES):
            place: uint256 = unsafe_div(packed, per_word)
            if place != position:
                position = place
                word = convert(convert(packed_words._words[unsafe_add(classes, place)], bytes32), int256)
            # the field's top bit goes to bit 255, then an arithmetic shift brings it back, sign-extended
            top: uint256 = unsafe_sub(value_shift, unsafe_mul(unsafe_sub(packed, unsafe_mul(place, per_word)), bits))
            totals[k] = unsafe_add(totals[k], (word << top) >> value_shift)
            packed = unsafe_add(packed, 1)
    best: int256 = max_value(int256)
    best_class: uint256 = 0
    for k: uint256 in range(classes, bound=centroids.MAX_CLASSES):
        norm: int256 = convert(packed_words._words[k] >> centroids.COUNT_BITS, int256)
        score: int256 = unsafe_sub(norm, unsafe_mul(2 * SCALE, totals[k]))
        if score < best:
            best = score
            best_class = k
    return convert(best_class, uint8)


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Counts a checked sample for `label` and moves the class's present
         features to their running mean with 1.0, `(c * n + SCALE) // (n + 1)`
         truncated towards zero (see `centroids`), keeping the squared norm
         exact. Values that share a word are written with a single store;
         values are read and written inline, with unchecked arithmetic where
         the bounds above allow it.
    @param data The packed sample.
    @param label The class.
    """
    k: uint256 = convert(label, uint256)
    count: uint256 = 0
    header: uint256 = 0
    count, header = centroids._counted(packed_words._words[k], 0)
    n: int256 = convert(count, int256)
    next_n: int256 = n + 1
    padded: Bytes[_PADDED_BYTES] = concat(data, empty(bytes32))
    classes: uint256 = n_classes
    per_word: uint256 = _PER_WORD
    bits: uint256 = value_bits
    value_shift: uint256 = 256 - bits
    mask: uint256 = (1 << bits) - 1
    change: int256 = 0
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    chunk: uint256 = 0
    for i: uint256 in range(len(data) // samples.INDEX_BYTES, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        packed: uint256 = unsafe_add(unsafe_mul(chunk >> _INDEX_SHIFT, classes), k)
        chunk = chunk << samples.INDEX_BITS
        place: uint256 = unsafe_div(packed, per_word)
        if place != position:
            if position != max_value(uint256):
                packed_words._words[unsafe_add(classes, position)] = word
            position = place
            word = packed_words._words[unsafe_add(classes, place)]
        offset: uint256 = unsafe_mul(unsafe_sub(packed, unsafe_mul(place, per_word)), bits)
        old: int256 = (convert(convert(word, bytes32), int256) << unsafe_sub(value_shift, offset)) >> value_shift
        new: int256 = unsafe_div(unsafe_add(unsafe_mul(old, n), SCALE), next_n)
        change = unsafe_add(change, unsafe_sub(unsafe_mul(new, new), unsafe_mul(old, old)))
        word = (word & ~(mask << offset)) | ((convert(convert(new, bytes32), uint256) & mask) << offset)
    if position != max_value(uint256):
        packed_words._words[unsafe_add(classes, position)] = word
    norm: int256 = convert(header >> centroids.COUNT_BITS, int256) + change
    if norm < 0:
        reverts._fail("sparse_nearest_centroid: squared norm below 0")
    packed_words._words[k] = fields._with_unsigned(header, centroids.COUNT_BITS, _NORM_BITS, convert(norm, uint256))
