"""The event index: one SQLite file with a table per event kind, the followed contracts and their cursors.

Tables: ``meta`` (format, the chain's block 0 hash), ``sources`` (each followed
contract: its family, first block and ``cursor``, the last block indexed), ``blocks``
(the hash of every indexed block that had events, and of every batch's last block:
what reorg detection compares with the chain), and one table per
:class:`~sumchain.indexer.kinds.EventKind`. A batch of blocks commits its rows, its
block hashes and the new cursor in one transaction, so a killed indexer resumes
where its last commit left off. A file made before a kind was declared gets that
kind's (empty) table when it is opened: its followed contracts are indexed on from
their cursors, so a registry added to it is indexed from its first block.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumchain.chain.hashing import checksum, is_address
from sumchain.chain.store import sqlite_transaction
from sumchain.errors import CursorMoved, IndexerError
from sumchain.indexer.kinds import event_kinds

FORMAT = 1
"""Version of the index's tables; a file of another version is refused."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
    emitter TEXT PRIMARY KEY, family TEXT NOT NULL, from_block INTEGER NOT NULL, cursor INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Source:
    """A followed contract: its address, family, first block and the last block indexed."""

    emitter: str
    family: str
    from_block: int
    cursor: int


@dataclass(frozen=True)
class Listing:
    """A name in a model registry, as the registry's indexed events leave it.

    Attributes
    ----------
    name : str
        The name.
    model : str
        The model last listed under it (checksum address).
    owner : str
        That model's owner.
    block : int
        The block of the last event about the name: its listing, or its delisting.
    delisted : bool
        Whether the model was delisted since (by its owner, or by a new version taking the
        name, which then holds it): the name is free.
    """

    name: str
    model: str
    owner: str
    block: int
    delisted: bool = False


@dataclass(frozen=True)
class Batch:
    """What one batch of blocks ``first..cursor`` adds: rows by table, block hashes, and the emitter's new cursor."""

    emitter: str
    first: int
    cursor: int
    rows: dict[str, list[tuple[Any, ...]]]
    hashes: dict[int, str]


class EventIndex:
    """An event index file (see the module's description).

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    create_for : str, optional
        Create the file if missing, for the chain whose block 0 has this hash. Without
        it, a missing file is an error.

    Raises
    ------
    IndexerError
        When the file is missing (and not to be created), is not an index, is of
        another format or another chain, or cannot be opened.
    """

    def __init__(self, path: str | Path, *, create_for: str | None = None) -> None:
        self.path = Path(path)
        existed = self.path.is_file()
        if self.path.is_dir():
            raise IndexerError(
                f"{self.path} is a folder, not an event index file (such as {self.path / 'index.sqlite'})"
            )
        if create_for is None and not existed:
            raise IndexerError(f"no event index at {self.path}: run `sumchain index` first")
        with self._errors():
            if not existed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=10, check_same_thread=False)
        try:
            self._open(existed, create_for)
        except IndexerError:
            self._conn.close()
            raise

    def _open(self, existed: bool, genesis: str | None) -> None:
        with self._errors():
            if existed:
                self._check_format()  # before any write: another kind of file is left as it is
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            if not existed:
                with self._transaction():
                    self._create(str(genesis))
                self._check_format()
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [kind for kind in event_kinds() if kind.table not in tables]
            if missing:  # kinds declared since the file was made
                with self._transaction():
                    self._execute_script("\n".join(kind.create_sql() for kind in missing))

    def _create(self, genesis: str) -> None:
        self._execute_script(_SCHEMA + "\n".join(kind.create_sql() for kind in event_kinds()))
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (str(FORMAT),))
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('genesis', ?)", (genesis,))

    def _execute_script(self, script: str) -> None:
        """Run each statement of ``script`` in the open transaction (``executescript`` would commit it)."""
        for statement in script.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def _check_format(self) -> None:
        try:
            found = dict(self._conn.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError:
            raise IndexerError(f"{self.path} is not a sumchain event index") from None
        if "format" not in found or "genesis" not in found:
            raise IndexerError(f"{self.path} is not a sumchain event index")
        if found.get("format") != str(FORMAT):
            raise IndexerError(f"{self.path} is an index of format {found.get('format')}, not {FORMAT}: rebuild it")
        self.genesis = found["genesis"]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite failures as one-line :class:`IndexerError`."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            raise IndexerError(f"{self.path}: {'in use by another indexer' if busy else exc}") from None
        except sqlite3.DatabaseError as exc:
            raise IndexerError(f"{self.path} is damaged or not an event index: {exc}") from None

    def _transaction(self) -> AbstractContextManager[None]:
        return sqlite_transaction(self._conn)

    def close(self) -> None:
        """Close the file; the object must not be used afterwards."""
        self._conn.close()

    # -- sources and cursors ---------------------------------------------------------

    def sources(self) -> list[Source]:
        """Every followed contract, in the order they were added."""
        with self._errors():
            rows = self._conn.execute("SELECT emitter, family, from_block, cursor FROM sources ORDER BY rowid")
            return [Source(*row) for row in rows]

    def source(self, emitter: str) -> Source | None:
        """The followed contract at ``emitter`` (an address, in any case), or None."""
        emitter = _checksummed(emitter)
        return next((s for s in self.sources() if s.emitter == emitter), None)

    def add_source(self, emitter: str, family: str, from_block: int) -> None:
        """Follow a contract from ``from_block`` on (nothing happens if it is followed already)."""
        with self._errors(), self._transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?)", (emitter, family, from_block, from_block - 1)
            )

    def block_hash(self, number: int) -> str | None:
        """The stored hash of block ``number``, if it was indexed."""
        with self._errors():
            row = self._conn.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else str(row[0])

    def blocks_below(self, number: int | None, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` stored ``(number, hash)`` below ``number`` (None: the newest), newest first."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT number, hash FROM blocks WHERE number < ? ORDER BY number DESC LIMIT ?",
                (2**63 - 1 if number is None else number, limit),
            )
            return [(int(n), str(h)) for n, h in rows]

    # -- writing ---------------------------------------------------------------------

    def commit(self, batch: Batch) -> None:
        """Store a batch's rows and block hashes and move the emitter's cursor, all or nothing.

        Raises
        ------
        CursorMoved
            When the cursor is no longer just before the batch: another indexer wrote meanwhile.
        """
        with self._errors(), self._transaction():
            (cursor,) = self._conn.execute("SELECT cursor FROM sources WHERE emitter = ?", (batch.emitter,)).fetchone()
            if cursor != batch.first - 1:
                raise CursorMoved(
                    f"{self.path}: another indexer moved the cursor of {batch.emitter} meanwhile; run one per file"
                )
            for kind in event_kinds():
                if batch.rows.get(kind.table):
                    self._conn.executemany(kind.insert_sql(), batch.rows[kind.table])
            self._conn.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", batch.hashes.items())
            self._conn.execute("UPDATE sources SET cursor = ? WHERE emitter = ?", (batch.cursor, batch.emitter))

    def roll_back(self, ancestor: int, starts: Mapping[str, tuple[str, int]] | None = None) -> None:
        """Forget everything after block ``ancestor`` (the last one still on the chain), all or nothing.

        ``starts`` gives, for each contract whose deployment the reorganisation replaced, its family and the
        block it is now followed from (it is indexed again from there).
        """
        with self._errors(), self._transaction():
            for kind in event_kinds():
                self._conn.execute(f"DELETE FROM {kind.table} WHERE block_number > ?", (ancestor,))
            self._conn.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
            self._conn.execute(
                "UPDATE sources SET cursor = max(from_block - 1, min(cursor, ?))",
                (ancestor,),
            )
            self._conn.executemany(
                "UPDATE sources SET family = ?, from_block = ?, cursor = ? WHERE emitter = ?",
                [(family, first, first - 1, emitter) for emitter, (family, first) in (starts or {}).items()],
            )

    # -- reading ---------------------------------------------------------------------

    def events(self, emitter: str, names: Iterable[str] | None = None) -> list[tuple[str, dict[str, Any], int]]:
        """``(name, arguments, block number)`` of the emitter's indexed events in chain order.

        Parameters
        ----------
        emitter : str
            The contract's address (in any case).
        names : iterable of str, optional
            Only these kinds (all by default).
        """
        emitter, wanted = _checksummed(emitter), None if names is None else set(names)
        streams = []
        with self._errors():
            for kind in event_kinds():
                if wanted is not None and kind.name not in wanted:
                    continue
                rows = self._conn.execute(
                    f"SELECT * FROM {kind.table} WHERE emitter = ? ORDER BY block_number, log_index", (emitter,)
                ).fetchall()
                streams.append([((row[0], row[1]), kind.name, kind.args(row[4:])) for row in rows])
        return [(name, args, place[0]) for place, name, args in heapq.merge(*streams, key=lambda item: item[0])]

    def listing(self, registry: str) -> dict[str, Listing]:
        """The names of a followed registry as its indexed events leave them, delisted ones included.

        Parameters
        ----------
        registry : str
            The registry's address (in any case).

        Returns
        -------
        dict of str to Listing
            Each name ever listed, in the order of its first listing: the model last listed
            under it, its owner, and whether it was delisted since.

        Raises
        ------
        IndexerError
            When the index does not follow ``registry`` as a registry.
        """
        source = self.source(registry)
        if source is None or source.family != "registry":
            raise IndexerError(f"{self.path} does not follow a registry at {registry}")
        names: dict[str, Listing] = {}
        for event, args, block in self.events(registry, ("ModelRegistered", "ModelDelisted")):
            # the registry delists only the model listed under the name, and a new version's
            # listing follows its predecessor's delisting: the last event of a name says it all
            listing = Listing(args["name"], args["model"], args["owner"], block, event == "ModelDelisted")
            names[listing.name] = listing
        return names

    def table_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every followed contract and every event, sorted by table: what two indexes of one
        chain, synced to the same block, have alike (their ``blocks`` differ with their batches)."""
        tables: Sequence[str] = ["sources", *(kind.table for kind in event_kinds())]
        with self._errors():
            return {table: sorted(self._conn.execute(f"SELECT * FROM {table}")) for table in tables}


def _checksummed(address: str) -> str:
    """The EIP-55 form of an address (rows name their contracts so); anything else as it is."""
    return checksum(address) if is_address(address) else address
