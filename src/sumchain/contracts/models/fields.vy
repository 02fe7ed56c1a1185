# pragma version ~=0.4.3
"""
@title Fields
@custom:contract-name fields
@license MIT
@notice Unsigned integers packed side by side in 256-bit words.
@dev With fields of `bits` bits, a word holds `256 // bits` of them; field
     `i` of a packed array lives in word `i // (256 // bits)` at bit offset
     `(i % (256 // bits)) * bits`. Every field lies inside its word:
     `offset + bits <= 256`. (The perceptrons read their signed weights with
     shifts of their own, in the loops that walk the words.)
"""

from .. import reverts


@internal
@pure
def _unsigned(word: uint256, offset: uint256, bits: uint256) -> uint256:
    """
    @dev Reads an unsigned field.
    @param word The packed word.
    @param offset Bit offset of the field.
    @param bits Width of the field.
    @return The value.
    """
    return (word >> offset) & ((1 << bits) - 1)


@internal
@pure
def _with_unsigned(word: uint256, offset: uint256, bits: uint256, x: uint256) -> uint256:
    """
    @dev Writes an unsigned field, reverting when `x` does not fit.
    @param word The packed word.
    @param offset Bit offset of the field.
    @param bits Width of the field.
    @param x The new value.
    @return The word with the field replaced.
    """
    if x >> bits != 0:
        reverts._fail("fields: value overflows its field")
    mask: uint256 = ((1 << bits) - 1) << offset
    return (word & ~mask) | (x << offset)
