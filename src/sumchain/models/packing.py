"""Packing integers side by side in 256-bit storage words.

This mirrors ``contracts/models/fields.vy``: with fields of ``bits`` bits a
word holds ``256 // bits`` of them, field i lives in word ``i // per_word``
at bit offset ``(i % per_word) * bits``, signed fields in two's complement.
"""

from __future__ import annotations

from collections.abc import Sequence

from sumchain.errors import ModelOverflow

WORD_BITS = 256


def signed_range(bits: int) -> tuple[int, int]:
    """Smallest and largest value of a signed field.

    >>> signed_range(8)
    (-128, 127)
    """
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def saturate(value: int, bits: int) -> int:
    """``value`` clamped to a signed field of ``bits`` bits, as the perceptron contracts
    saturate a weight that a learning step would take past its field.

    >>> saturate(130, 8), saturate(-200, 8), saturate(5, 8)
    (127, -128, 5)
    """
    low, high = signed_range(bits)
    return min(max(value, low), high)


def pack(values: Sequence[int], bits: int, *, signed: bool = True) -> list[int]:
    """Pack integers into words, ``256 // bits`` per word.

    Raises
    ------
    OverflowError
        When a value does not fit in its field.

    Examples
    --------
    >>> pack([1, -1], 64)
    [340282366920938463444927863358058659841]
    >>> unpack(pack([1, -1, 7], 40), 3, 40)
    [1, -1, 7]
    """
    per_word = WORD_BITS // bits
    low, high = signed_range(bits) if signed else (0, (1 << bits) - 1)
    words = [0] * ((len(values) + per_word - 1) // per_word)
    for i, value in enumerate(values):
        value = int(value)
        if not low <= value <= high:
            kind = "signed" if signed else "unsigned"
            raise ModelOverflow(f"value {value} at position {i} does not fit in {bits} {kind} bits")
        words[i // per_word] |= (value % (1 << bits)) << (bits * (i % per_word))
    return words


def unpack(words: Sequence[int], count: int, bits: int, *, signed: bool = True) -> list[int]:
    """Read ``count`` packed integers back from words (see :func:`pack`)."""
    per_word = WORD_BITS // bits
    mask = (1 << bits) - 1
    out = []
    for i in range(count):
        raw = (int(words[i // per_word]) >> (bits * (i % per_word))) & mask
        out.append(raw - (1 << bits) if signed and raw >> (bits - 1) else raw)
    return out


def words_for(count: int, bits: int) -> int:
    """Number of words that hold ``count`` fields of ``bits`` bits.

    >>> words_for(1000, 40)
    167
    """
    per_word = WORD_BITS // bits
    return (count + per_word - 1) // per_word
