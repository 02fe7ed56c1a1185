# pragma version ~=0.4.3
"""
@title Fields
@custom:contract-name fields
@license MIT
@notice Signed and unsigned integers packed side by side in 256-bit words.
@dev With fields of `bits` bits, a word holds `256 // bits` of them; field
     `i` of a packed array lives in word `i // (256 // bits)` at bit offset
     `(i % (256 // bits)) * bits`. Signed fields are two's complement.
"""


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
    raw: uint256 = (word >> offset) & ((1 << bits) - 1)
    if raw >> (bits - 1) == 1:
        return convert(raw, int256) - convert(1 << bits, int256)
    return convert(raw, int256)


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
    limit: int256 = convert(1 << (bits - 1), int256)
    assert x >= -limit and x < limit, "fields: value overflows its field"
    raw: uint256 = convert(x, uint256) if x >= 0 else convert(x + 2 * limit, uint256)
    mask: uint256 = ((1 << bits) - 1) << offset
    return (word & ~mask) | (raw << offset)


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
    assert x >> bits == 0, "fields: value overflows its field"
    mask: uint256 = ((1 << bits) - 1) << offset
    return (word & ~mask) | (x << offset)
