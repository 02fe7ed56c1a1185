"""Amounts of ether: read ``0.01ether`` or ``5 gwei`` as exact wei, show wei as ETH.

Amounts are exact: they go through :class:`~decimal.Decimal` and integers,
never through floats, and an amount that is not a whole number of wei is
refused rather than rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sumchain.errors import InvalidAmount

UNITS: dict[str, int] = {
    "wei": 0,
    "kwei": 3,
    "mwei": 6,
    "gwei": 9,
    "szabo": 12,
    "finney": 15,
    "ether": 18,
    "eth": 18,
}
"""Each unit's power of ten in wei (names are case-insensitive)."""
MAX_WEI = 2**256 - 1
"""The largest amount the EVM can hold (``uint256``)."""
_AMOUNT = re.compile(r"\s*(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z]*)\s*", re.ASCII)
_DIGITS = len(str(MAX_WEI))


def is_whole(text: str, max_digits: int = _DIGITS) -> bool:
    """Whether ``text`` is a whole number written in ASCII digits, at most ``max_digits`` of them (by
    default 78, enough for any ``uint256``): what user input must be before ``int`` reads it (``int``
    also takes other scripts' digits, and refuses more than 4,300 digits with a ValueError).

    >>> is_whole("42"), is_whole("²"), is_whole("١٢"), is_whole("9" * 79), is_whole(""), is_whole("-1")
    (True, False, False, False, False, False)
    """
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def parse_amount(text: str) -> int:
    """Wei in an amount like ``0.01ether``, ``5 gwei``, ``1e-3 ETH`` or ``12`` (a bare number is wei).

    Parameters
    ----------
    text : str
        A non-negative number, optionally followed by a unit of :data:`UNITS`.

    Returns
    -------
    int
        The amount in wei, exactly.

    Raises
    ------
    InvalidAmount
        For an unreadable number (``nan``, ``inf``, ``1,5``), an unknown unit,
        a negative amount, a fraction of a wei, or more than ``2**256 - 1`` wei.

    Examples
    --------
    >>> parse_amount("0.01ether"), parse_amount("5 gwei"), parse_amount("1e-3 ETH"), parse_amount("12")
    (10000000000000000, 5000000000, 1000000000000000, 12)
    >>> parse_amount("0.5wei")
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidAmount: '0.5wei' is not a whole number of wei
    >>> parse_amount("-1ether")
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidAmount: '-1ether' is negative
    """
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise InvalidAmount(f"{text!r} is not an amount like 0.01ether, 5gwei or 12wei")
    unit = match["unit"].lower() or "wei"
    if unit not in UNITS:
        raise InvalidAmount(f"{text!r}: unknown unit {match['unit']!r}, use one of {', '.join(UNITS)}")
    amount = Decimal(match["number"])
    if amount.is_zero():
        return 0
    if amount < 0:
        raise InvalidAmount(f"{text!r} is negative")
    shift = UNITS[unit]
    magnitude = amount.adjusted() + shift  # the power of ten of the leading digit, in wei
    if magnitude >= _DIGITS:
        raise InvalidAmount(f"{text!r} is more than 2**256 - 1 wei")
    if magnitude < 0:
        raise InvalidAmount(f"{text!r} is not a whole number of wei")
    numerator, denominator = amount.as_integer_ratio()
    wei, rest = divmod(numerator * 10**shift, denominator)
    if rest:
        raise InvalidAmount(f"{text!r} is not a whole number of wei")
    if wei > MAX_WEI:
        raise InvalidAmount(f"{text!r} is more than 2**256 - 1 wei")
    return wei


def format_amount(wei: int, unit: str = "ether") -> str:
    """Wei shown exactly in ``unit``: ether as ``ETH``, with thousands separators.

    Examples
    --------
    >>> format_amount(10**16), format_amount(1), format_amount(1234 * 10**18), format_amount(0)
    ('0.01 ETH', '0.000000000000000001 ETH', '1,234 ETH', '0 ETH')
    >>> format_amount(2_500_000_000, "gwei")
    '2.5 gwei'
    """
    whole, part = divmod(abs(wei), 10 ** UNITS[unit])
    fraction = f"{part:0{UNITS[unit]}d}".rstrip("0") if part else ""
    sign = "-" if wei < 0 else ""
    return f"{sign}{whole:,}{'.' if fraction else ''}{fraction} {'ETH' if unit in {'ether', 'eth'} else unit}"
