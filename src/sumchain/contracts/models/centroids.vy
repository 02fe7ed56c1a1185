# pragma version ~=0.4.3
"""
@title Centroids
@custom:contract-name centroids
@license MIT
@notice What the dense and the sparse nearest centroid models share: their
        parameters, their class headers and the running-mean step.
@dev Parameters of both models: `[n_features, n_classes, value_bits]`, with
     2 to `MAX_CLASSES` classes, at most 16,384 for `n_classes *
     min(n_features, 512)` (so that a refund or report stays under EIP-7825's
     gas cap, see `samples._check_prediction_size`), and centroid values
     that are signed integers of `value_bits` bits at the model's scale.
     Storage layout (in `packed_words`): first the class headers, `256 //
     header_bits` per word: the header of class k lives in word
     `k // (256 // header_bits)` at bit offset
     `(k % (256 // header_bits)) * header_bits`; its low `COUNT_BITS` bits
     hold the class's data count (unsigned), the bits above belong to the
     model (the sparse model keeps a squared norm there). Then the centroid
     values, `P = 256 // value_bits` per word in two's complement (see
     `fields`), in an order each model documents (the dense model class
     after class, the sparse model feature after feature).
     Running mean (both models; written inline in their loops for gas):
     adding the value `x` to a centroid value `c` of a class that holds `n`
     samples gives `(c * n + x) // (n + 1)`, with the EVM's signed division
     (truncation towards zero, so -7 // 2 == -3). The result lies between
     `c` and `x`, so it always fits the field of `c` when `x` does, and
     |c * n + x| < 2**63 * 2**64 + 2**63 < 2**128: no overflow.
"""

from .. import reverts
from . import fields
from . import samples

# @dev Largest number of classes.
MAX_CLASSES: constant(uint256) = 64
# @dev Width of a class's data count, in bits.
COUNT_BITS: constant(uint256) = 64
# @dev Widest centroid value, in bits.
MAX_VALUE_BITS: constant(uint256) = 64


@internal
@pure
def _check_params(
    params: DynArray[int256, 8], max_features: uint256, min_value_bits: uint256
) -> (uint256, uint256, uint256):
    """
    @dev Checks the parameters both models share.
    @param params `[n_features, n_classes, value_bits]`.
    @param max_features Largest `n_features` the model accepts.
    @param min_value_bits Narrowest `value_bits` the model accepts.
    @return `n_features`, `n_classes` and `value_bits`.
    """
    if len(params) != 3:
        reverts._fail("centroids: expected 3 parameters")
    if params[0] <= 0 or params[0] > convert(max_features, int256):
        reverts._fail("centroids: n_features out of range")
    if params[1] < 2 or params[1] > convert(MAX_CLASSES, int256):
        reverts._fail("centroids: n_classes out of range")
    if params[2] < convert(min_value_bits, int256) or params[2] > convert(MAX_VALUE_BITS, int256):
        reverts._fail("centroids: value_bits out of range")
    samples._check_prediction_size(convert(params[0], uint256), convert(params[1], uint256))
    return convert(params[0], uint256), convert(params[1], uint256), convert(params[2], uint256)


@internal
@pure
def _words_for(count: uint256, bits: uint256) -> uint256:
    """
    @dev Number of words that hold `count` packed fields (headers or values).
    @param count Number of fields.
    @param bits Width of one field.
    @return The word count.
    """
    per_word: uint256 = 256 // bits
    return (count + per_word - 1) // per_word


@internal
@pure
def _counted(header: uint256, offset: uint256) -> (uint256, uint256):
    """
    @dev Counts one more sample in a class header, reverting when the count
         would leave its `COUNT_BITS` bits ("fields: value overflows its field").
    @param header The word that holds the class header.
    @param offset Bit offset of the header in that word.
    @return The count before, and the word with the count increased by one.
    """
    count: uint256 = fields._unsigned(header, offset, COUNT_BITS)
    return count, fields._with_unsigned(header, offset, COUNT_BITS, count + 1)
