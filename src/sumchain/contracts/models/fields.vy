# pragma version ~=0.4.3
"""
@title Fields
@custom:contract-name fields
@license MIT
@notice Signed and unsigned integers packed side by side in 256-bit words.
@dev With fields of `bits` bits, a word holds `256 // bits` of them; field
     `i` of a packed array lives in word `i // (256 // bits)` at bit offset
     `(i % (256 // bits)) * bits`. Signed fields are two's complement: one is
     read by shifting it to the top of the word, then back down with an
     arithmetic shift, which sign-extends it. Every field lies inside its
     word: `offset + bits <= 256`.
"""

from .. import reverts


@internal
@pure
def _signed(word: uint256, offset: uint256, bits: uint256) -> int256:
    """
    @dev Reads a signed field.
    @param word The packed word.
    @param offset Bit offset of the field.
    @param bits Width of the field.
    @return The value.
    """
    return convert(convert(word << (256 - offset - bits), bytes32), int256) >> (256 - bits)


@internal
@pure
def _with_signed(word: uint256, offset: uint256, bits: uint256, x: int256) -> uint256:
    """
    @dev Writes a signed field, reverting when `x` does not fit.
    @param word The packed word.
    @param offset Bit offset of the field.
    @param bits Width of the field.
    @param x The new value.
    @return The word with the field replaced.
    """
    self._check_signed(x, bits)
    mask: uint256 = ((1 << bits) - 1) << offset
    return (word & ~mask) | ((convert(convert(x, bytes32), uint256) << offset) & mask)


@internal
@pure
def _check_signed(x: int256, bits: uint256):
    """
    @dev Reverts unless `x` fits a signed field of `bits` bits, that is
         unless every bit from bit `bits - 1` up equals the sign.
    @param x The value.
    @param bits Width of the field.
    """
    if x >> (bits - 1) != 0 and x >> (bits - 1) != -1:
        reverts._fail("fields: value overflows its field")


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
