"""The fast call encoder gives exactly eth_abi's bytes, and refuses what eth_abi refuses."""

from __future__ import annotations

import pytest
from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st

from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_trainer
from sumchain.errors import EncodingError

ABI = ContractABI(compile_trainer("sparse_perceptron").abi)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@given(data=st.binary(max_size=300), label=st.integers(0, 255), time=st.integers(0, 2**256 - 1), author=addresses)
def test_fast_encoding_equals_eth_abi(data: bytes, label: int, time: int, author: str) -> None:
    assert ABI.encode_call("report", data, label, time, author)[4:] == encode(
        ["bytes", "uint8", "uint256", "address"], [data, label, time, author]
    )


@given(start=st.integers(0, 2**256 - 1), words=st.lists(st.integers(0, 2**256 - 1), max_size=20))
def test_arrays_of_words_equal_eth_abi(start: int, words: list[int]) -> None:
    assert ABI.encode_call("load_parameters", start, words)[4:] == encode(["uint256", "uint256[]"], [start, words])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("add_data", (b"", 256)),
        ("add_data", (b"", -1)),
        ("add_data", (b"", 1.0)),
        ("add_data", (b"", True)),
        ("add_data", ("0x00", 1)),
        ("add_data", (b"", 1, 2)),
        ("add_data", ([1, 2], 1)),
        ("report", (b"", 1, 2, "0x123")),
        ("report", (b"", 1, 2, 12)),
        ("load_parameters", (0, [2**256])),
        ("load_parameters", (0, "12")),
    ],
)
def test_values_that_do_not_fit_are_refused(name: str, args: tuple[object, ...]) -> None:
    with pytest.raises(EncodingError):
        ABI.encode_call(name, *args)
