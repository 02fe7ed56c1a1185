"""Packing signed 64-bit integers four to a 256-bit storage word.

This is the storage layout of the sparse perceptron's weights: value i lives
in word i // 4 at bits 64 * (i % 4) and up, in two's complement.
"""

from __future__ import annotations

from collections.abc import Sequence

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
PER_WORD = 4


def pack_int64(values: Sequence[int]) -> list[int]:
    """Pack signed 64-bit values into words.

    >>> pack_int64([1, -1])
    [340282366920938463444927863358058659841]
    >>> unpack_int64(pack_int64([1, -1, 7]), 3)
    [1, -1, 7]
    """
    words = [0] * ((len(values) + PER_WORD - 1) // PER_WORD)
    for i, value in enumerate(values):
        value = int(value)
        if not INT64_MIN <= value <= INT64_MAX:
            raise OverflowError(f"value {value} at position {i} does not fit in 64 signed bits")
        words[i // PER_WORD] |= (value % 2**64) << (64 * (i % PER_WORD))
    return words


def unpack_int64(words: Sequence[int], count: int) -> list[int]:
    """Read ``count`` signed 64-bit values back from packed words."""
    out = []
    for i in range(count):
        raw = (words[i // PER_WORD] >> (64 * (i % PER_WORD))) & (2**64 - 1)
        out.append(raw - 2**64 if raw > INT64_MAX else raw)
    return out
