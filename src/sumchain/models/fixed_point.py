"""The fixed-point conventions every model shares."""

from __future__ import annotations

SCALE = 10**9
"""Fixed-point scale of real numbers (0xDeCA10B's ``toFloat``): x is sent as round(x * 1e9)."""


def truncated_div(a: int, b: int) -> int:
    """Integer division rounding towards zero, as the EVM (and Vyper's signed ``//``) does.

    >>> truncated_div(-7, 2), -7 // 2
    (-3, -4)
    """
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q
