# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Multinomial Naive Bayes (fixed point)
@custom:contract-name naive_bayes
@license MIT
@notice A multinomial naive Bayes classifier over sparse inputs: a sample is
        a sorted list of unique feature indices, each present feature
        counting once. Every contribution is counted (its class gains one
        sample, and one occurrence of each present feature); the model
        predicts the class `c` with the highest smoothed probability
        `P(c) * prod_f (count[c][f] + alpha) / (total[c] + alpha * n_features)`
        over the present features `f`, as in 0xDeCA10B. A class without
        samples is never predicted (unless no class has any: then 0); ties go
        to the lowest class.
@dev Parameters: `[n_features, n_classes, smoothing, count_bits]`:
     2 to 64 classes (`MAX_CLASSES`: prediction keeps per-class products in
     memory arrays of that size, and a larger bound costs every prediction
     more memory gas) and at most 16,384 for `n_classes * min(n_features,
     512)`, so that a refund or report stays under EIP-7825's gas cap (see
     `samples._check_prediction_size`), `smoothing` is alpha at the
     model's scale (1e9 = 1.0, Laplace), from 1 to 2**64 - 1, and
     `count_bits` (8 to 64) the width of one feature count.
     Storage layout (in `packed_words`), all fields unsigned:
     - header, words `[0, ceil(n_classes / 2))`: 64-bit fields, four per
       word; field `2c` is the number of samples of class `c` and field
       `2c + 1` the total number of feature occurrences of class `c`
       (the sum of its counts). Class `c` lives in word `c // 2` at bit
       offset `(c % 2) * 128` (samples) and `(c % 2) * 128 + 64` (total).
     - counts, from word `ceil(n_classes / 2)` on: `count[c][f]` in fields of
       `count_bits` bits, `256 // count_bits` per word, feature-major:
       field `f * n_classes + c`, so that the counts of one feature for all
       classes are adjacent (one storage read serves every class). Field `i`
       lives in word `ceil(n_classes / 2) + i // per_word` at bit offset
       `(i % per_word) * count_bits`.
     Saturation: a feature count at its field's largest value stays there
     while the sample still counts (the class's sample count and total grow
     as usual, so the feature's smoothed probability in that class falls
     slowly). An update never reverts for a full count field: otherwise
     anyone could fill a count with refundable deposits (255 adds of one
     sample fill an 8-bit count) and make every later sample with that
     feature and label revert, for everyone. The header fields have 64
     bits, which no flood reaches (each add raises a sample count by one
     and a total by at most 512); a header loaded near its limit still
     makes the add that would pass it revert. Prediction is exact integer
     arithmetic, reproduced by `sumchain.models.naive_bayes`: per class, the
     product `samples[c] * prod_f (count[c][f] * 1e9 + smoothing)` is kept as
     a mantissa below 2**159 and a count of 97-bit right shifts (every
     factor is below 2**95, so no product overflows); the denominator
     `(total[c] * 1e9 + smoothing * n_features) ** len(sample)` is raised by
     square and multiply on 128-bit normalized mantissas; their quotient as
     a normalized 128-bit mantissa and a binary exponent is compared across
     classes. Each step truncates by less than 2**-62 relative, so every
     class's probability is exact to a relative 2**-52: classes are ranked
     as by exact arithmetic unless their probabilities differ by less than
     that (a near tie).
"""

from .. import reverts
from ..interfaces import IModel
from . import packed_words
from . import samples

uses: packed_words

implements: IModel

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 2**32
# @dev Largest number of classes.
MAX_CLASSES: constant(uint256) = 64
# @dev Largest smoothing (alpha at scale).
MAX_SMOOTHING: constant(uint256) = 2**64 - 1
# @dev The sample encoding this model reads (sparse feature indices).
SAMPLE_BYTES: constant(uint256) = samples.SPARSE_BYTES
# @dev Right shift that brings the top index of a sample chunk down to bits 0 .. 31.
_INDEX_SHIFT: constant(uint256) = 256 - samples.INDEX_BITS
# @dev Fixed-point scale of the counts in the smoothed ratios.
SCALE: constant(uint256) = 10**9
# @dev Width of the header fields (sample count and total per class).
HEADER_BITS: constant(uint256) = 64
# @dev Largest value of a header field.
HEADER_MAX: constant(uint256) = 2**64 - 1
# @dev A product mantissa stays below 2**MANTISSA_BITS between factors.
MANTISSA_BITS: constant(uint256) = 159
# @dev How far a product mantissa is shifted once it reaches 2**MANTISSA_BITS.
SHIFT_BITS: constant(uint256) = 97
# @dev Normalized mantissas lie in [2**NORMAL_BITS, 2**(NORMAL_BITS + 1)).
NORMAL_BITS: constant(uint256) = 127
# @dev Bits of the largest sample length (512 < 2**10), for square and multiply.
POWER_BITS: constant(uint256) = 10

# @dev What the model is, for clients that find it on chain.
model_type: public(constant(String[40])) = "naive bayes"

# @dev Size of the feature space; indices lie in [0, n_features).
n_features: public(immutable(uint256))
# @dev Number of classes.
n_classes: public(immutable(uint256))
# @dev The additive smoothing alpha, at scale.
smoothing: immutable(uint256)
# @dev Width of one packed feature count, in bits.
count_bits: immutable(uint256)
_PER_WORD: immutable(uint256)
_WORD_END: immutable(uint256)
_MASK: immutable(uint256)
_HEADER_WORDS: immutable(uint256)
_SMOOTHING_TOTAL: immutable(uint256)


@deploy
def __init__(params: DynArray[int256, 8]):
    """
    @dev Checks and stores the shape and the fixed parameters.
    @param params `[n_features, n_classes, smoothing, count_bits]`.
    """
    if len(params) != 4:
        reverts._fail("naive_bayes: expected 4 parameters")
    if params[0] <= 0 or params[0] > convert(MAX_FEATURES, int256):
        reverts._fail("naive_bayes: n_features out of range")
    if params[1] < 2 or params[1] > convert(MAX_CLASSES, int256):
        reverts._fail("naive_bayes: n_classes out of range")
    if params[2] <= 0 or params[2] > convert(MAX_SMOOTHING, int256):
        reverts._fail("naive_bayes: smoothing out of range")
    if params[3] < 8 or params[3] > 64:
        reverts._fail("naive_bayes: count_bits out of range")
    samples._check_prediction_size(convert(params[0], uint256), convert(params[1], uint256))
    n_features = convert(params[0], uint256)
    n_classes = convert(params[1], uint256)
    smoothing = convert(params[2], uint256)
    count_bits = convert(params[3], uint256)
    _PER_WORD = 256 // count_bits
    _WORD_END = _PER_WORD * count_bits
    _MASK = (1 << count_bits) - 1
    _HEADER_WORDS = (n_classes + 1) // 2
    _SMOOTHING_TOTAL = smoothing * n_features


@internal
@view
def _words_needed() -> uint256:
    """
    @dev Number of packed words: the header, then the counts.
    @return The word count.
    """
    return _HEADER_WORDS + (n_features * n_classes + _PER_WORD - 1) // _PER_WORD


@external
@view
def parameters() -> DynArray[int256, 8]:
    """
    @notice The parameters the model was deployed with.
    @return `[n_features, n_classes, smoothing, count_bits]`.
    """
    return [
        convert(n_features, int256),
        convert(n_classes, int256),
        convert(smoothing, int256),
        convert(count_bits, int256),
    ]


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
        reverts._fail("naive_bayes: label out of range")


@internal
@pure
def _normalize(x: uint256) -> (uint256, int256):
    """
    @dev Splits a positive integer into a normalized mantissa and a binary
         exponent, truncating the bits shifted out.
    @param x The integer, above 0.
    @return `m` in [2**127, 2**128) and `e` with `x ~ m * 2**e`.
    """
    msb: uint256 = 0
    y: uint256 = x
    if y >> 128 != 0:
        y >>= 128
        msb = 128
    if y >> 64 != 0:
        y >>= 64
        msb |= 64
    if y >> 32 != 0:
        y >>= 32
        msb |= 32
    if y >> 16 != 0:
        y >>= 16
        msb |= 16
    if y >> 8 != 0:
        y >>= 8
        msb |= 8
    if y >> 4 != 0:
        y >>= 4
        msb |= 4
    if y >> 2 != 0:
        y >>= 2
        msb |= 2
    if y >> 1 != 0:
        msb |= 1
    if msb >= NORMAL_BITS:
        return x >> (msb - NORMAL_BITS), convert(msb - NORMAL_BITS, int256)
    return x << (NORMAL_BITS - msb), -convert(NORMAL_BITS - msb, int256)


@internal
@pure
def _renormalize(product: uint256) -> (uint256, int256):
    """
    @dev Brings the product of two normalized mantissas back to normal.
    @param product A product in [2**254, 2**256).
    @return The normalized mantissa (truncated) and the bits shifted out.
    """
    if product >> 255 != 0:
        return product >> (NORMAL_BITS + 1), convert(NORMAL_BITS + 1, int256)
    return product >> NORMAL_BITS, convert(NORMAL_BITS, int256)


@internal
@pure
def _power(base: uint256, exponent: uint256) -> (uint256, int256):
    """
    @dev `base ** exponent` by square and multiply on normalized mantissas.
    @param base The base, above 0.
    @param exponent The exponent, below 2**POWER_BITS.
    @return The normalized mantissa and the binary exponent of the power.
    """
    base_mantissa: uint256 = 0
    base_exponent: int256 = 0
    base_mantissa, base_exponent = self._normalize(base)
    mantissa: uint256 = 1 << NORMAL_BITS
    power_exponent: int256 = -convert(NORMAL_BITS, int256)
    shifted: int256 = 0
    for k: uint256 in range(POWER_BITS):
        high: uint256 = exponent >> (POWER_BITS - 1 - k)
        if high == 0:
            continue
        # both factors lie in [2**127, 2**128), their product in [2**254, 2**256)
        mantissa, shifted = self._renormalize(unsafe_mul(mantissa, mantissa))
        power_exponent = 2 * power_exponent + shifted
        if high & 1 == 1:
            mantissa, shifted = self._renormalize(unsafe_mul(mantissa, base_mantissa))
            power_exponent += base_exponent + shifted
    return mantissa, power_exponent


@internal
@view
def _predict(data: Bytes[SAMPLE_BYTES]) -> uint8:
    """
    @dev Classifies a checked sample (see the contract's `@dev` for the
         arithmetic). The loop reads the sample a chunk at a time (see
         `samples`) and the counts straight from `packed_words._words`.
    @param data The packed sample.
    @return The class with the highest smoothed probability, the lowest one
            on a tie.
    """
    size: uint256 = len(data) // samples.INDEX_BYTES
    classes: uint256 = n_classes
    bits: uint256 = count_bits
    mask: uint256 = _MASK
    alpha: uint256 = smoothing
    word_end: uint256 = _WORD_END
    products: uint256[MAX_CLASSES] = empty(uint256[MAX_CLASSES])
    shifts: uint256[MAX_CLASSES] = empty(uint256[MAX_CLASSES])
    per_word: uint256 = _PER_WORD
    header_words: uint256 = _HEADER_WORDS
    word: uint256 = 0
    for c: uint256 in range(classes, bound=MAX_CLASSES):
        if c & 1 == 0:
            word = packed_words._words[c >> 1]
        products[c] = (word >> ((c & 1) << 7)) & HEADER_MAX
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    chunk: uint256 = 0
    loaded: uint256 = max_value(uint256)
    for i: uint256 in range(size, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        # an index is below 2**32 and there are at most 64 classes: no overflow
        field: uint256 = unsafe_mul(chunk >> _INDEX_SHIFT, classes)
        chunk = chunk << samples.INDEX_BITS
        place: uint256 = unsafe_div(field, per_word)
        position: uint256 = unsafe_add(header_words, place)
        offset: uint256 = unsafe_mul(unsafe_sub(field, unsafe_mul(place, per_word)), bits)
        if position != loaded:
            loaded = position
            word = packed_words._words[position]
        for c: uint256 in range(classes, bound=MAX_CLASSES):
            if offset == word_end:
                offset = 0
                loaded = unsafe_add(loaded, 1)
                word = packed_words._words[loaded]
            # products[c] < 2**159 and the factor < 2**95: no overflow
            product: uint256 = unsafe_mul(products[c], unsafe_add(unsafe_mul((word >> offset) & mask, SCALE), alpha))
            if product >> MANTISSA_BITS != 0:
                product >>= SHIFT_BITS
                shifts[c] = unsafe_add(shifts[c], 1)
            products[c] = product
            offset = unsafe_add(offset, bits)
    best: uint256 = 0
    best_mantissa: uint256 = 0
    best_exponent: int256 = min_value(int256)
    for c: uint256 in range(n_classes, bound=MAX_CLASSES):
        if products[c] == 0:
            continue
        total: uint256 = (packed_words._words[c >> 1] >> (((c & 1) << 7) + HEADER_BITS)) & HEADER_MAX
        denominator: uint256 = 0
        exponent: int256 = 0
        denominator, exponent = self._power(total * SCALE + _SMOOTHING_TOTAL, size)
        numerator: uint256 = 0
        numerator_exponent: int256 = 0
        numerator, numerator_exponent = self._normalize(products[c])
        exponent = numerator_exponent + convert(shifts[c] * SHIFT_BITS, int256) - exponent
        quotient: uint256 = (numerator << (NORMAL_BITS + 1)) // denominator
        if quotient >> (NORMAL_BITS + 1) != 0:
            quotient >>= 1
            exponent += 1
        if exponent > best_exponent or (exponent == best_exponent and quotient > best_mantissa):
            best = c
            best_mantissa = quotient
            best_exponent = exponent
    return convert(best, uint8)


@internal
def _update(data: Bytes[SAMPLE_BYTES], label: uint8):
    """
    @dev Counts a checked sample: one more sample of class `label`, its
         total grows by the sample's length and each present feature's
         count by one, unless that count is full (it saturates).
         Consecutive counts of one word are written with a single store.
         Reverts when a header field would overflow. Reads the sample and
         the words as `_predict` does.
    @param data The packed sample.
    @param label The class.
    """
    size: uint256 = len(data) // samples.INDEX_BYTES
    c: uint256 = convert(label, uint256)
    header: uint256 = packed_words._words[c >> 1]
    offset: uint256 = (c & 1) << 7
    if (header >> offset) & HEADER_MAX == HEADER_MAX:
        reverts._fail("naive_bayes: count overflows its field")
    if ((header >> (offset + HEADER_BITS)) & HEADER_MAX) + size > HEADER_MAX:
        reverts._fail("naive_bayes: count overflows its field")
    packed_words._words[c >> 1] = unsafe_add(header, (1 | (size << HEADER_BITS)) << offset)
    classes: uint256 = n_classes
    per_word: uint256 = _PER_WORD
    header_words: uint256 = _HEADER_WORDS
    bits: uint256 = count_bits
    mask: uint256 = _MASK
    padded: Bytes[SAMPLE_BYTES + 32] = concat(data, empty(bytes32))
    chunk: uint256 = 0
    position: uint256 = max_value(uint256)
    word: uint256 = 0
    for i: uint256 in range(size, bound=samples.MAX_SAMPLE):
        if i & (samples.CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, samples.INDEX_BYTES), output_type=uint256)
        # an index is below 2**32 and there are at most 64 classes: no overflow
        field: uint256 = unsafe_add(unsafe_mul(chunk >> _INDEX_SHIFT, classes), c)
        chunk = chunk << samples.INDEX_BITS
        place: uint256 = unsafe_div(field, per_word)
        if unsafe_add(header_words, place) != position:
            if position != max_value(uint256):
                packed_words._words[position] = word
            position = unsafe_add(header_words, place)
            word = packed_words._words[position]
        offset = unsafe_mul(unsafe_sub(field, unsafe_mul(place, per_word)), bits)
        if (word >> offset) & mask != mask:
            word = unsafe_add(word, 1 << offset)
    if position != max_value(uint256):
        packed_words._words[position] = word
