"""Encoding calls and decoding results, events and revert reasons from an ABI."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sumchain.chain.hashing import checksum, is_address, keccak
from sumchain.errors import EncodingError, SumchainError

_ERROR_SELECTOR = keccak(b"Error(string)")[:4]


def _type_of(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


# -- a fast codec for the types the contracts use ---------------------------------------
# eth_abi spends ~20 µs building and validating each call, and takes 0.3 s to import;
# the simulation and batch predictions encode and decode hundreds of thousands of calls.
# These coders cover the types of sumchain's contracts (one-word values, bytes and
# strings, arrays of one-word values) with the same checks; any other type (tuples,
# fixed-size arrays) falls back to eth_abi, imported then.


@dataclass(frozen=True)
class _Coder:
    """Encodes and decodes one ABI type (``dynamic`` ones live in the tail)."""

    kind: str
    dynamic: bool
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes, int], Any]
    """``decode(data, position)``: the value at a word (static) or at its tail (dynamic)."""


def _word(data: bytes, position: int) -> bytes:
    word = data[position : position + 32]
    if len(word) != 32:
        raise EncodingError("ABI data ends early")
    return word


def _integer(kind: str, bits: int) -> _Coder:
    signed = kind.startswith("int")
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
            raise EncodingError(f"{value!r} is not a {kind}")
        return value

    return _Coder(
        kind,
        False,
        lambda value: check(value).to_bytes(32, "big", signed=signed),
        lambda data, at: check(int.from_bytes(_word(data, at), "big", signed=signed)),
    )


def _encode_address(value: Any) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise EncodingError(f"{value!r} is not an address")
    return bytes(12) + bytes.fromhex(value[2:])


def _decode_address(data: bytes, at: int) -> str:
    word = _word(data, at)
    if word[:12] != bytes(12):
        raise EncodingError("an address word has non-zero padding")
    return checksum("0x" + word[12:].hex())


def _encode_bool(value: Any) -> bytes:
    if not isinstance(value, bool):
        raise EncodingError(f"{value!r} is not a bool")
    return int(value).to_bytes(32, "big")


def _decode_bool(data: bytes, at: int) -> bool:
    value = int.from_bytes(_word(data, at), "big")
    if value > 1:
        raise EncodingError(f"{value} is not a bool")
    return value == 1


def _fixed_bytes(size: int) -> _Coder:
    def encode_fixed(value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray) or len(value) > size:
            raise EncodingError(f"{value!r} is not bytes{size}")
        return bytes(value).ljust(32, b"\0")

    return _Coder(f"bytes{size}", False, encode_fixed, lambda data, at: _word(data, at)[:size])


def _encode_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise EncodingError(f"{value!r} is not bytes")
    return len(value).to_bytes(32, "big") + bytes(value) + bytes(-len(value) % 32)


def _decode_bytes(data: bytes, at: int) -> bytes:
    size = int.from_bytes(_word(data, at), "big")
    if at + 32 + size > len(data):
        raise EncodingError("ABI bytes end early")
    return data[at + 32 : at + 32 + size]


def _encode_string(value: Any) -> bytes:
    if not isinstance(value, str):
        raise EncodingError(f"{value!r} is not a string")
    return _encode_bytes(value.encode())


def _decode_string(data: bytes, at: int) -> str:
    try:
        return _decode_bytes(data, at).decode()
    except UnicodeDecodeError:
        raise EncodingError("an ABI string is not UTF-8") from None


def _array(item: _Coder) -> _Coder:
    def encode_array(values: Any) -> bytes:
        if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
            raise EncodingError(f"{values!r} is not a list")
        return len(values).to_bytes(32, "big") + b"".join(item.encode(v) for v in values)

    def decode_array(data: bytes, at: int) -> tuple[Any, ...]:
        count = int.from_bytes(_word(data, at), "big")
        if at + 32 + 32 * count > len(data):
            raise EncodingError("an ABI array ends early")
        return tuple(item.decode(data, at + 32 + 32 * i) for i in range(count))

    return _Coder(f"{item.kind}[]", True, encode_array, decode_array)


def _coder(kind: str) -> _Coder | None:
    """The fast coder of one ABI type, or None (eth_abi handles it)."""
    integer = re.fullmatch(r"u?int(\d*)", kind)
    if integer:
        return _integer(kind, int(integer[1] or 256))
    if kind.endswith("[]"):
        item = _coder(kind[:-2])
        return _array(item) if item and not item.dynamic else None
    if re.fullmatch(r"bytes\d+", kind):
        return _fixed_bytes(int(kind[5:]))
    return {
        "address": _Coder("address", False, _encode_address, _decode_address),
        "bool": _Coder("bool", False, _encode_bool, _decode_bool),
        "bytes": _Coder("bytes", True, _encode_bytes, _decode_bytes),
        "string": _Coder("string", True, _encode_string, _decode_string),
    }.get(kind)


def _topic_coder(kind: str) -> _Coder:
    """How an indexed event parameter reads from its topic (dynamic ones are hashed: bytes32)."""
    coder = _coder(kind)
    return coder if coder is not None and not coder.dynamic else _fixed_bytes(32)


@dataclass(frozen=True)
class _Tuple:
    """Encodes and decodes a list of values of the given types (arguments, results, event data)."""

    types: tuple[str, ...]
    coders: tuple[_Coder, ...] | None

    @classmethod
    def of(cls, types: tuple[str, ...]) -> _Tuple:
        coders = tuple(_coder(kind) for kind in types)
        return cls(types, None if None in coders else coders)  # type: ignore[arg-type]

    def encode(self, values: tuple[Any, ...] | list[Any]) -> bytes:
        if self.coders is None:
            from eth_abi import encode

            return bytes(encode(self.types, list(values)))
        if len(values) != len(self.coders):
            raise EncodingError(f"expected {len(self.coders)} values, got {len(values)}")
        heads, tails = [], []
        offset = 32 * len(values)
        for coder, value in zip(self.coders, values, strict=True):
            data = coder.encode(value)
            if coder.dynamic:
                heads.append(offset.to_bytes(32, "big"))
                tails.append(data)
                offset += len(data)
            else:
                heads.append(data)
        return b"".join(heads) + b"".join(tails)

    def decode(self, data: bytes) -> tuple[Any, ...]:
        if self.coders is None:
            from eth_abi import decode

            return tuple(decode(self.types, data))
        values = []
        for i, coder in enumerate(self.coders):
            at = int.from_bytes(_word(data, 32 * i), "big") if coder.dynamic else 32 * i
            values.append(coder.decode(data, at))
        return tuple(values)


@dataclass(frozen=True)
class _Function:
    """One function: its selector and its argument and result codecs."""

    selector: bytes
    inputs: _Tuple
    outputs: _Tuple

    @classmethod
    def of(cls, entry: dict[str, Any]) -> _Function:
        inputs = tuple(_type_of(i) for i in entry["inputs"])
        selector = keccak(f"{entry['name']}({','.join(inputs)})".encode())[:4]
        return cls(selector, _Tuple.of(inputs), _Tuple.of(tuple(_type_of(o) for o in entry["outputs"])))


@dataclass(frozen=True)
class _EventType:
    """One event: name, indexed parameters (one topic each) and data parameters."""

    name: str
    indexed: tuple[tuple[str, _Coder], ...]
    plain: tuple[str, ...]
    data: _Tuple


_REASON = _Tuple.of(("string",))
"""What ``Error(string)`` reverts carry."""


@lru_cache(maxsize=256)
def _tuple_of(types: tuple[str, ...]) -> _Tuple:
    """The codec of ``types``, built once (building one costs more than encoding a key)."""
    return _Tuple.of(types)


def encode_values(types: tuple[str, ...], values: tuple[Any, ...]) -> bytes:
    """The ABI encoding of ``values`` as ``types`` (what Vyper's ``abi_encode`` gives).

    >>> encode_values(("uint8",), (7,)).hex()[-2:]
    '07'
    """
    return _tuple_of(types).encode(values)


def decode_values(types: tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    """Values decoded from ABI data (addresses checksummed).

    Raises
    ------
    EncodingError
        When ``data`` is not a valid encoding of ``types``.
    """
    return _tuple_of(types).decode(data)


@dataclass(frozen=True)
class Event:
    """A decoded event: its name and arguments, and where it was emitted."""

    name: str
    args: dict[str, Any]
    address: str
    block_number: int
    tx_hash: str


class ContractABI:
    """Encode calls to, and decode data from, one contract's ABI.

    Parameters
    ----------
    abi : list of dict
        The JSON ABI as the compiler gives it.
    """

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi
        self._functions = {e["name"]: _Function.of(e) for e in abi if e["type"] == "function"}
        constructor: dict[str, Any] = next((e for e in abi if e["type"] == "constructor"), {"inputs": []})
        self._constructor = _Tuple.of(tuple(_type_of(i) for i in constructor["inputs"]))
        self._events = {}
        for entry in (e for e in abi if e["type"] == "event"):
            signature = f"{entry['name']}({','.join(_type_of(i) for i in entry['inputs'])})"
            indexed = [i for i in entry["inputs"] if i["indexed"]]
            plain = [i for i in entry["inputs"] if not i["indexed"]]
            self._events[keccak(signature.encode())] = _EventType(
                entry["name"],
                tuple((i["name"], _topic_coder(_type_of(i))) for i in indexed),
                tuple(p["name"] for p in plain),
                _Tuple.of(tuple(_type_of(p) for p in plain)),
            )

    def _function(self, name: str) -> _Function:
        try:
            return self._functions[name]
        except KeyError:
            raise SumchainError(f"the contract has no function {name!r}") from None

    def encode_call(self, name: str, *args: Any) -> bytes:
        """Calldata for ``name(*args)``."""
        fn = self._function(name)
        return fn.selector + fn.inputs.encode(args)

    def function_name(self, data: bytes) -> str | None:
        """The name of the function that calldata ``data`` calls (by its selector), or None when none of
        this ABI's has that selector."""
        return next((name for name, fn in self._functions.items() if data[:4] == fn.selector), None)

    def encode_constructor(self, *args: Any) -> bytes:
        """ABI-encoded constructor arguments, to append to the bytecode."""
        return self._constructor.encode(args)

    def decode_output(self, name: str, data: bytes) -> Any:
        """Decode what ``name`` returned: one value, or a tuple for several."""
        values = self._function(name).outputs.decode(data)
        return values[0] if len(values) == 1 else values

    def decode_event(self, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        """Decode one log into ``(event name, arguments)``, or None if unknown."""
        if not topics or topics[0] not in self._events:
            return None
        event = self._events[topics[0]]
        args = {name: coder.decode(topic, 0) for (name, coder), topic in zip(event.indexed, topics[1:], strict=True)}
        args.update(zip(event.plain, event.data.decode(data), strict=True))
        return event.name, args


def decode_revert(data: bytes) -> str:
    """The human-readable reason in revert data.

    >>> decode_revert(bytes.fromhex("08c379a0") + _REASON.encode(["trainer: no"]))
    'trainer: no'
    >>> decode_revert(b"")
    'execution reverted without a reason'
    """
    if data[:4] == _ERROR_SELECTOR:
        try:
            return str(_REASON.decode(data[4:])[0])
        except EncodingError:  # malformed reason: fall through to the raw bytes
            pass
    if not data:
        return "execution reverted without a reason"
    return f"execution reverted with data 0x{data.hex()}"
