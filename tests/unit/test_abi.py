"""The fast ABI codec gives exactly eth_abi's bytes and values, and refuses what eth_abi refuses."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from hypothesis import given
from hypothesis import strategies as st

from sumchain.chain.abi import ContractABI, _Tuple
from sumchain.chain.compiler import compile_trainer
from sumchain.chain.hashing import checksum, is_address
from sumchain.errors import EncodingError

ABI = ContractABI(compile_trainer("sparse_perceptron", "deposit_refund_take").abi)
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


words = st.integers(0, 2**256 - 1)
signed = st.integers(-(2**255), 2**255 - 1)
VALUES = {
    "uint256": words,
    "int256": signed,
    "uint8": st.integers(0, 255),
    "bool": st.booleans(),
    "address": addresses,
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes": st.binary(max_size=100),
    "string": st.text(max_size=40),
    "int256[]": st.lists(signed, max_size=8),
    "uint256[]": st.lists(words, max_size=8),
}


@given(
    st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=5).flatmap(
        lambda types: st.tuples(st.just(tuple(types)), st.tuples(*(VALUES[t] for t in types)))
    )
)
def test_decoding_equals_eth_abi(case: tuple[tuple[str, ...], tuple[object, ...]]) -> None:
    types, values = case
    data = encode(list(types), list(values))
    assert _Tuple.of(types).encode(values) == data
    ours = _Tuple.of(types).decode(data)
    assert [checksum(v) for v, t in zip(ours, types, strict=True) if t == "address"] == list(
        v for v, t in zip(ours, types, strict=True) if t == "address"
    )  # addresses come back checksummed (eth_abi gives them lower-case)
    lower = tuple(v.lower() if t == "address" else v for v, t in zip(ours, types, strict=True))
    assert lower == tuple(decode(list(types), data))


@pytest.mark.parametrize("data", [b"", bytes(31), (2).to_bytes(32, "big"), (1).to_bytes(32, "big") + bytes(31)])
def test_malformed_results_are_refused(data: bytes) -> None:
    with pytest.raises(EncodingError):
        _Tuple.of(("bool", "bytes")).decode(data)


@given(addresses)
def test_checksums_equal_eth_utils(address: str) -> None:
    from eth_utils import to_checksum_address

    assert checksum(address) == to_checksum_address(address)
    assert is_address(checksum(address)) and is_address(address.lower())
    assert not is_address(address[:-1])
