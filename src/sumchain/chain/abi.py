"""Encoding calls and decoding results, events and revert reasons from an ABI."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

from sumchain.errors import EncodingError, SumchainError

_ERROR_SELECTOR = keccak(text="Error(string)")[:4]


def _type_of(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


# -- a fast encoder for the types the contracts take ----------------------------------
# eth_abi spends ~20 µs building and validating each call; the simulation and batch
# predictions encode hundreds of thousands. These encoders cover the argument types of
# sumchain's contracts (one word, bytes/string, arrays of integers) with the same checks;
# any other type falls back to eth_abi.

_Part = tuple[bytes, bool]
"""An encoded argument and whether it is dynamic (goes in the tail)."""


def _integer(kind: str, bits: int) -> Callable[[Any], _Part]:
    signed = kind.startswith("int")
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)

    def encode_integer(value: Any) -> _Part:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
            raise EncodingError(f"{value!r} is not a {kind}")
        return value.to_bytes(32, "big", signed=signed), False

    return encode_integer


def _address(value: Any) -> _Part:
    if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        try:
            return bytes(12) + bytes.fromhex(value[2:]), False
        except ValueError:
            pass
    raise EncodingError(f"{value!r} is not an address")


def _bool(value: Any) -> _Part:
    if not isinstance(value, bool):
        raise EncodingError(f"{value!r} is not a bool")
    return (b"\1" if value else b"\0").rjust(32, b"\0"), False


def _bytes(value: Any) -> _Part:
    if not isinstance(value, bytes | bytearray):
        raise EncodingError(f"{value!r} is not bytes")
    padding = -len(value) % 32
    return len(value).to_bytes(32, "big") + bytes(value) + bytes(padding), True


def _string(value: Any) -> _Part:
    if not isinstance(value, str):
        raise EncodingError(f"{value!r} is not a string")
    return _bytes(value.encode())


def _fixed_bytes(size: int) -> Callable[[Any], _Part]:
    def encode_fixed(value: Any) -> _Part:
        if not isinstance(value, bytes | bytearray) or len(value) > size:
            raise EncodingError(f"{value!r} is not bytes{size}")
        return bytes(value).ljust(32, b"\0"), False

    return encode_fixed


def _array(item: Callable[[Any], _Part]) -> Callable[[Any], _Part]:
    def encode_array(values: Any) -> _Part:
        if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
            raise EncodingError(f"{values!r} is not a list")
        return len(values).to_bytes(32, "big") + b"".join(item(v)[0] for v in values), True

    return encode_array


def _encoder(kind: str) -> Callable[[Any], _Part] | None:
    """The fast encoder of one ABI type, or None to use eth_abi."""
    if kind.endswith("[]"):
        item = _encoder(kind[:-2])
        return _array(item) if item and kind[:-2] not in ("bytes", "string") else None
    integer = re.fullmatch(r"u?int(\d*)", kind)
    if integer:
        return _integer(kind, int(integer[1] or 256))
    if kind in ("bytes", "string"):
        return _bytes if kind == "bytes" else _string
    if kind.startswith("bytes") and kind[5:].isdigit():
        return _fixed_bytes(int(kind[5:]))
    return {"address": _address, "bool": _bool}.get(kind)


@dataclass(frozen=True)
class _Function:
    """One function: its selector, argument and result types, and argument encoders."""

    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    encoders: tuple[Callable[[Any], _Part], ...] | None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> _Function:
        inputs = tuple(_type_of(i) for i in entry["inputs"])
        selector = keccak(text=f"{entry['name']}({','.join(inputs)})")[:4]
        encoders = tuple(_encoder(kind) for kind in inputs)
        fast = None if None in encoders else encoders
        return cls(selector, inputs, tuple(_type_of(o) for o in entry["outputs"]), fast)  # type: ignore[arg-type]

    def encode(self, args: tuple[Any, ...]) -> bytes:
        """The ABI encoding of ``args`` (without the selector)."""
        if self.encoders is None:
            return encode(self.inputs, args)
        if len(args) != len(self.encoders):
            raise EncodingError(f"expected {len(self.encoders)} arguments, got {len(args)}")
        heads, tails = [], []
        offset = 32 * len(args)
        for encoder, arg in zip(self.encoders, args, strict=True):
            data, dynamic = encoder(arg)
            if dynamic:
                heads.append(offset.to_bytes(32, "big"))
                tails.append(data)
                offset += len(data)
            else:
                heads.append(data)
        return b"".join(heads) + b"".join(tails)


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
        self._constructor = next((e for e in abi if e["type"] == "constructor"), None)
        self._events = {
            keccak(text=f"{e['name']}({','.join(_type_of(i) for i in e['inputs'])})"): e
            for e in abi
            if e["type"] == "event"
        }

    def _function(self, name: str) -> _Function:
        try:
            return self._functions[name]
        except KeyError:
            raise SumchainError(f"the contract has no function {name!r}") from None

    def encode_call(self, name: str, *args: Any) -> bytes:
        """Calldata for ``name(*args)``."""
        fn = self._function(name)
        return fn.selector + fn.encode(args)

    def encode_constructor(self, *args: Any) -> bytes:
        """ABI-encoded constructor arguments, to append to the bytecode."""
        if self._constructor is None:
            return b""
        return encode([_type_of(i) for i in self._constructor["inputs"]], list(args))

    def decode_output(self, name: str, data: bytes) -> Any:
        """Decode what ``name`` returned: one value, or a tuple for several."""
        values = decode(self._function(name).outputs, data)
        return values[0] if len(values) == 1 else values

    def decode_event(self, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        """Decode one log into ``(event name, arguments)``, or None if unknown."""
        if not topics or topics[0] not in self._events:
            return None
        event = self._events[topics[0]]
        indexed = [i for i in event["inputs"] if i["indexed"]]
        plain = [i for i in event["inputs"] if not i["indexed"]]
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=True):
            args[param["name"]] = decode([_type_of(param)], topic)[0]
        for param, value in zip(plain, decode([_type_of(p) for p in plain], data), strict=True):
            args[param["name"]] = value
        return event["name"], args


def decode_revert(data: bytes) -> str:
    """The human-readable reason in revert data.

    >>> decode_revert(bytes.fromhex("08c379a0") + encode(["string"], ["trainer: no"]))
    'trainer: no'
    >>> decode_revert(b"")
    'execution reverted without a reason'
    """
    if data[:4] == _ERROR_SELECTOR:
        try:
            return str(decode(["string"], data[4:])[0])
        except Exception:  # malformed reason: fall through to the raw bytes
            pass
    if not data:
        return "execution reverted without a reason"
    return f"execution reverted with data 0x{data.hex()}"
