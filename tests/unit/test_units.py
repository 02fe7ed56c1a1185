"""Amounts with units: exact wei in, ETH out, one clear error for anything else."""

from __future__ import annotations

import pytest

from sumchain.errors import InvalidAmount, SumchainError
from sumchain.units import MAX_WEI, format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        ("0.01ether", 10**16),
        ("0.01 ETH", 10**16),
        ("5gwei", 5 * 10**9),
        ("5 GWei", 5 * 10**9),
        ("12wei", 12),
        ("12", 12),
        ("1e-3 ether", 10**15),
        ("1E3gwei", 10**12),
        (".5 finney", 5 * 10**14),
        ("1.ether", 10**18),
        ("0.000000000000000001ether", 1),
        ("0", 0),
        ("0e999999999", 0),
        ("-0", 0),
        ("+2 kwei", 2_000),
        ("3 mwei", 3 * 10**6),
        ("4 szabo", 4 * 10**12),
        (" 7 ether ", 7 * 10**18),
        (f"{MAX_WEI}", MAX_WEI),
        ("123456789012345678901234567890.123456789012345678 ether", 123456789012345678901234567890123456789012345678),
    ],
)
def test_amounts_are_exact_wei(text: str, wei: int) -> None:
    assert parse_amount(text) == wei
    assert type(parse_amount(text)) is int


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1ether", "is negative"),
        ("-1e-30 ether", "is negative"),
        ("0.5wei", "not a whole number of wei"),
        ("0.01", "not a whole number of wei"),
        ("1e-19 ether", "not a whole number of wei"),
        ("1e-999999999 ether", "not a whole number of wei"),
        ("1.0000000000000000001 ether", "not a whole number of wei"),
        ("1e999999999 ether", "more than 2**256 - 1 wei"),
        (f"{MAX_WEI + 1}", "more than 2**256 - 1 wei"),
        ("nan", "not an amount"),
        ("NaN ether", "not an amount"),
        ("inf", "not an amount"),
        ("1,5 ether", "not an amount"),
        ("", "not an amount"),
        ("ether", "not an amount"),
        ("0x10", "not an amount"),
        ("1 x", "unknown unit 'x'"),
        ("5 dollars", "unknown unit 'dollars'"),
        ("1 ether 2", "not an amount"),
    ],
)
def test_bad_amounts_give_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidAmount, match=message.replace("*", r"\*")) as caught:
        parse_amount(text)
    assert isinstance(caught.value, SumchainError) and isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_format_shows_wei_exactly_in_eth() -> None:
    assert format_amount(10**16) == "0.01 ETH"
    assert format_amount(123 * 10**18 + 1) == "123.000000000000000001 ETH"
    assert format_amount(-(10**18)) == "-1 ETH"
    assert format_amount(MAX_WEI).endswith(".584007913129639935 ETH")
    assert format_amount(3 * 10**9, "gwei") == "3 gwei"
    assert format_amount(1, "gwei") == "0.000000001 gwei"


@pytest.mark.parametrize("wei", [0, 1, 10**9 + 7, 10**16, 12_345 * 10**18 + 6, MAX_WEI])
def test_format_and_parse_round_trip(wei: int) -> None:
    assert parse_amount(format_amount(wei).replace(",", "")) == wei
