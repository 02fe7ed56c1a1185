"""Encoding calls and decoding results, events and revert reasons from an ABI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

from sumchain.errors import SumchainError

_ERROR_SELECTOR = keccak(text="Error(string)")[:4]


def _type_of(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


@dataclass(frozen=True)
class _Function:
    """One function: its selector and argument and result types."""

    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @classmethod
    def of(cls, entry: dict[str, Any]) -> _Function:
        inputs = tuple(_type_of(i) for i in entry["inputs"])
        selector = keccak(text=f"{entry['name']}({','.join(inputs)})")[:4]
        return cls(selector, inputs, tuple(_type_of(o) for o in entry["outputs"]))


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
        return fn.selector + encode(fn.inputs, args)

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
