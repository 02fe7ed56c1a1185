"""The kinds of events the indexer follows, each one table, declared from the contracts' ABIs.

An event kind is one line of :data:`DECLARED`: the contract family that emits it, the
event's name and its table. The columns come from the event's ABI in the compiled
contracts (``contracts/compiled/``): one column per argument, typed by
:func:`column_type`, after the columns every table has (:data:`LOG_COLUMNS`). When a
contract lands (points, market phases), its events become indexable by adding its ABIs
to :func:`contract_abis` and its lines to :data:`DECLARED`. An index file made before a
kind was declared gets the kind's table when it is next opened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sumchain.chain.abi import ContractABI
from sumchain.chain.hashing import keccak

LOG_COLUMNS = ("block_number", "log_index", "tx_hash", "emitter")
"""Where each event was emitted: the columns every kind's table starts with."""

DECLARED: tuple[tuple[str, str, str], ...] = (
    ("trainer", "MetadataPublished", "metadata_published"),
    ("trainer", "DataAdded", "data_added"),
    ("trainer", "Refunded", "refunded"),
    ("trainer", "Reported", "reported"),
    ("trainer", "PaymentDeferred", "payment_deferred"),
    ("trainer", "Withdrawn", "withdrawn"),
    ("registry", "ModelRegistered", "model_registered"),
    ("registry", "ModelDelisted", "model_delisted"),
    ("registry", "ScorePublished", "score_published"),
    ("market", "MetadataPublished", "market_metadata_published"),
    ("market", "PhaseChanged", "market_phase_changed"),
    ("market", "PieceRevealed", "market_piece_revealed"),
    ("market", "Staked", "market_staked"),
    ("market", "Scored", "market_scored"),
    ("market", "Withdrawn", "market_withdrawn"),
)
"""``(contract family, event name, table)`` of every kind the indexer follows."""

_SMALL_INTEGER = re.compile(r"(uint(8|16|24|32|40|48|56)|int(8|16|24|32|40|48|56|64))")


def contract_abis(family: str) -> list[list[dict[str, Any]]]:
    """The ABIs of every compiled contract of a family (``"trainer"``: one per model and mechanism
    but the prediction market; ``"market"``: one per model; ``"registry"``: one)."""
    from sumchain.chain.compiler import CLAIM_TRAINERS, REGISTRY, TRAINERS, compile_contract

    if family == "trainer":
        return [compile_contract(name).abi for name in CLAIM_TRAINERS]
    if family == "market":
        return [compile_contract(name).abi for name in TRAINERS if name not in CLAIM_TRAINERS]
    if family == "registry":
        return [compile_contract(REGISTRY).abi]
    raise ValueError(f"no contracts of family {family!r}")


def column_type(abi_type: str) -> str:
    """The SQLite type of an argument: INTEGER for booleans and integers that fit 64 bits,
    TEXT for addresses, strings and wider integers (in decimal, e.g. wei), BLOB for bytes,
    TEXT for a list of any of those (a JSON list: bytes as ``0x`` hex, integers as numbers);
    tuples are not supported yet (no sumchain event has them).

    >>> column_type("uint8"), column_type("uint256"), column_type("address"), column_type("bytes32")
    ('INTEGER', 'TEXT', 'TEXT', 'BLOB')
    >>> column_type("bytes[]")
    'TEXT'
    >>> column_type("(uint8,bytes)")
    Traceback (most recent call last):
    ...
    ValueError: events with (uint8,bytes) arguments cannot be indexed yet
    """
    if abi_type.endswith("[]") and "(" not in abi_type:
        column_type(abi_type[:-2])
        return "TEXT"
    if "[" in abi_type or "(" in abi_type:
        raise ValueError(f"events with {abi_type} arguments cannot be indexed yet")
    if abi_type == "bool" or _SMALL_INTEGER.fullmatch(abi_type):
        return "INTEGER"
    if abi_type.startswith("bytes"):
        return "BLOB"
    if abi_type in ("address", "string") or re.fullmatch(r"u?int\d*", abi_type):
        return "TEXT"
    raise ValueError(f"events with {abi_type} arguments cannot be indexed yet")


def _converters(abi_type: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``(to SQLite, from SQLite)`` for one argument type: wide integers travel as decimal text,
    lists as JSON."""
    if abi_type.endswith("[]"):
        return _json_list(abi_type[:-2].startswith("bytes"))
    if column_type(abi_type) == "TEXT" and abi_type.lstrip("u").startswith("int"):
        return str, int
    if abi_type == "bool":
        return int, bool
    if abi_type.startswith("bytes"):
        return bytes, bytes
    return _same, _same


def _same(value: Any) -> Any:
    return value


def _json_list(of_bytes: bool) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Converters of a list argument to JSON text (bytes as ``0x`` hex) and back to a tuple, as the
    ABI decodes it."""
    if of_bytes:
        return (
            lambda values: json.dumps(["0x" + bytes(v).hex() for v in values]),
            lambda text: tuple(bytes.fromhex(v[2:]) for v in json.loads(text)),
        )
    return (lambda values: json.dumps([int(v) for v in values]), lambda text: tuple(json.loads(text)))


@dataclass(frozen=True)
class EventKind:
    """One followed event: its table, its columns and how its values go in and out of SQLite.

    Attributes
    ----------
    family : str
        The contracts that emit it (``"trainer"``, ``"market"`` or ``"registry"``).
    name : str
        The event's name in the ABI.
    table : str
        Its table in the index.
    topic : bytes
        ``keccak256`` of its signature (the log's first topic).
    arguments : tuple of (name, ABI type)
        Its arguments in ABI order.
    """

    family: str
    name: str
    table: str
    topic: bytes
    arguments: tuple[tuple[str, str], ...]

    def create_sql(self) -> str:
        """The statements that create its table and its index by emitter."""
        columns = ", ".join(f'"{name}" {column_type(kind)}' for name, kind in self.arguments)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, "
            f"tx_hash TEXT NOT NULL, emitter TEXT NOT NULL, {columns}, PRIMARY KEY (block_number, log_index)) "
            f"WITHOUT ROWID;\nCREATE INDEX IF NOT EXISTS {self.table}_by_emitter "
            f"ON {self.table} (emitter, block_number);"
        )

    def insert_sql(self) -> str:
        """The statement that inserts one row (log columns, then arguments)."""
        return f"INSERT INTO {self.table} VALUES ({', '.join('?' * (len(LOG_COLUMNS) + len(self.arguments)))})"

    def row(self, args: dict[str, Any]) -> tuple[Any, ...]:
        """The argument columns of a decoded event."""
        return tuple(to_sql(args[name]) for name, to_sql, _ in self._converters)

    def args(self, row: tuple[Any, ...]) -> dict[str, Any]:
        """The decoded arguments back from the argument columns (the inverse of :meth:`row`)."""
        return {name: from_sql(value) for (name, _, from_sql), value in zip(self._converters, row, strict=True)}

    @cached_property
    def _converters(self) -> tuple[tuple[str, Callable[[Any], Any], Callable[[Any], Any]], ...]:
        return tuple((name, *_converters(kind)) for name, kind in self.arguments)


def _kind(family: str, name: str, table: str) -> EventKind:
    """The kind of event ``name`` as the family's ABIs declare it (all of them alike)."""
    entries = {
        tuple((i["name"], i["type"], i["indexed"]) for i in entry["inputs"])
        for abi in contract_abis(family)
        for entry in abi
        if entry["type"] == "event" and entry["name"] == name
    }
    if len(entries) != 1:
        raise ValueError(f"{family} contracts declare event {name} {len(entries)} ways, not once")
    (inputs,) = entries
    dynamic = ("string", "bytes")
    hashed = [argument for argument, kind, indexed in inputs if indexed and (kind in dynamic or "[" in kind)]
    if hashed:
        raise ValueError(f"event {name} has indexed arguments that logs keep only as hashes: {hashed}")
    clash = {argument for argument, _, _ in inputs} & set(LOG_COLUMNS)
    if clash:
        raise ValueError(f"event {name} has arguments named like log columns: {sorted(clash)}")
    signature = f"{name}({','.join(kind for _, kind, _ in inputs)})"
    return EventKind(family, name, table, keccak(signature.encode()), tuple((n, kind) for n, kind, _ in inputs))


@cache
def event_kinds() -> tuple[EventKind, ...]:
    """Every kind of :data:`DECLARED`, built from the compiled ABIs."""
    return tuple(_kind(*declared) for declared in DECLARED)


def family_kinds(family: str) -> dict[str, EventKind]:
    """The kinds a contract family emits, by event name (a log of any other kind is not its own)."""
    return {kind.name: kind for kind in event_kinds() if kind.family == family}


@cache
def event_decoder() -> ContractABI:
    """Decodes the logs of every kind (an ABI of their events alone)."""
    kinds = {kind.name for kind in event_kinds()}
    events: dict[str, dict[str, Any]] = {}
    for family in {kind.family for kind in event_kinds()}:
        for abi in contract_abis(family):
            events.update((e["name"], e) for e in abi if e["type"] == "event" and e["name"] in kinds)
    return ContractABI(list(events.values()))
