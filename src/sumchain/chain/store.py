"""The embedded chain's file: state, blocks and logs in one SQLite database.

One file holds a whole chain, and any number of processes may use it at once:

* **Writers are serialized.** A transaction is run while holding SQLite's
  write lock (``BEGIN IMMEDIATE``, waiting up to ``timeout`` seconds for it),
  after taking in whatever other processes committed since this one last
  looked, and it is acknowledged only after its block is committed: no two
  processes ever mine on the same state, and nothing acknowledged is lost.
* **Readers see a consistent state.** In WAL mode a reader never waits for a
  writer and always reads one committed version.
* **Crash safe.** Each block (state changes, logs, head) is one SQLite
  transaction: a killed process leaves the file as it was before or after it.
  With ``durable=True`` (the default for files) each commit is also flushed to
  disk (``synchronous=FULL``).
* **Cheap to open.** Opening reads the live state (one row per account and per
  non-zero storage slot) and no history: blocks and logs stay on disk and are
  queried when asked for. Every state row carries the *version* (commit
  count) that last wrote it, so taking in another process's changes reads only
  the rows written since.

A chain file is recognised by its SQLite ``application_id``; an empty,
foreign, damaged or newer file is refused with a clear :class:`ChainError`,
never silently replaced. A new file is written under a temporary name and
moved into place once complete.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sumchain.chain.execution import Account, RawLog, StateDiff
from sumchain.chain.hashing import keccak
from sumchain.errors import ChainError

APPLICATION_ID = 0x53554D43
"""``'SUMC'``: marks a sumchain chain file."""
FORMAT = 2
"""Format of the file (``PRAGMA user_version``). Format 1 was a py-evm trie."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE accounts (
    address TEXT PRIMARY KEY, balance BLOB NOT NULL, nonce INTEGER NOT NULL,
    code_hash BLOB NOT NULL, version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX accounts_by_version ON accounts (version);
CREATE TABLE code (hash BLOB PRIMARY KEY, code BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE storage (
    address TEXT NOT NULL, slot BLOB NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (address, slot)
) WITHOUT ROWID;
CREATE INDEX storage_by_version ON storage (version);
CREATE TABLE blocks (
    number INTEGER PRIMARY KEY, timestamp BLOB NOT NULL,
    tx_hash TEXT, sender TEXT, nonce INTEGER, gas_used INTEGER
);
CREATE TABLE logs (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, address TEXT NOT NULL,
    topics BLOB NOT NULL, data BLOB NOT NULL, tx_hash TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX logs_by_address ON logs (address, block_number);
"""
_TRANSACTIONS = """
CREATE TABLE IF NOT EXISTS transactions (
    block_number INTEGER PRIMARY KEY, recipient TEXT, input BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_by_recipient ON transactions (recipient, block_number);
"""
"""Each mined transaction's recipient (NULL for a creation) and input, for audits. Files of
format 2 written before it get the table when opened (their earlier blocks have no row)."""


def _word(value: int) -> bytes:
    """A 256-bit value as SQLite stores it (big-endian without leading zeros; b"" for 0).

    SQLite integers are 64-bit signed: balances, slots and even block times (64-bit
    unsigned) do not fit.
    """
    return value.to_bytes(32, "big").lstrip(b"\0")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


@lru_cache(maxsize=256)
def _code_hash(code: bytes) -> bytes:
    """keccak256 of runtime code (cached: a contract's code is hashed at every balance change)."""
    return keccak(code)


@contextmanager
def sqlite_transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    """One transaction on a connection in autocommit mode: committed whole, or rolled back whole
    (on any exception, Ctrl-C included)."""
    conn.execute(begin)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class Head:
    """The latest block and the file's version (number of commits)."""

    block: int
    time: int
    version: int


@dataclass(frozen=True)
class BlockRecord:
    """One mined block: its transaction (none for a time step) and when."""

    number: int
    timestamp: int
    tx_hash: str | None
    sender: str | None
    nonce: int | None
    gas_used: int | None


@dataclass(frozen=True)
class Genesis:
    """What a new chain starts with."""

    chain_id: int
    time: int
    balances: dict[str, int]


class ChainStore:
    """A chain's state, blocks and logs in SQLite (a file, or memory).

    Use :meth:`open`; then :meth:`reading` / :meth:`writing` around every
    access. ``on_change`` receives the state other processes committed.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None, timeout: float) -> None:
        self._conn = conn
        self.path = path
        self.timeout = timeout
        self.head = Head(0, 0, 0)
        self.info: dict[str, Any] = {}
        self.on_change: Callable[[StateDiff], None] = lambda diff: None
        self._data_version = -1
        self.pinned = 0
        """While positive, reads keep to the version they have (see ``EmbeddedChain.pinned``)."""

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | None,
        genesis: Genesis,
        *,
        create: bool = True,
        timeout: float = 10.0,
        durable: bool = True,
        prepare: Callable[[Path], None] | None = None,
    ) -> ChainStore:
        """Open the chain at ``path`` (created from ``genesis`` if missing, then given to ``prepare``
        under a temporary name before it is moved into place whole), or in memory.

        Raises
        ------
        ChainError
            When the path is a folder, an empty, foreign, damaged or newer
            file, cannot be created, or is locked longer than ``timeout``.
        """
        if path is None:
            store = cls(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False), None, timeout)
            store._initialize(genesis)
            store._load_info()
            return store
        path = Path(path)
        if path.is_dir():
            raise ChainError(f"{path} is a folder, not a chain file")
        if not path.exists():
            if not create:
                raise ChainError(f"{path} does not exist")
            cls._create(path, genesis, timeout, prepare)
        elif path.stat().st_size == 0:
            raise ChainError(
                f"{path} is empty (0 bytes), not a sumchain chain file: it may have been truncated; "
                "move it away to start a new chain"
            )
        store = cls(cls._connect(path, timeout), path, timeout)
        store._check_kind()
        with store._errors():
            store._conn.executescript(_TRANSACTIONS)
            store._conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            store._load_info()
        return store

    @staticmethod
    def _connect(path: Path, timeout: float) -> sqlite3.Connection:
        try:
            return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ChainError(f"cannot open {path}: {exc}") from None

    @classmethod
    def _create(cls, path: Path, genesis: Genesis, timeout: float, prepare: Callable[[Path], None] | None) -> None:
        """Write a new chain under a temporary name, ``prepare`` it there, then move it into place."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.unlink(missing_ok=True)
            store = cls(cls._connect(temporary, timeout), temporary, timeout)
            try:
                store._conn.execute("PRAGMA journal_mode = WAL")
                store._initialize(genesis)
            finally:
                store.close()
            if prepare is not None:
                prepare(temporary)
            with suppress(FileExistsError):  # another process created it meanwhile: use theirs
                os.link(temporary, path)
        except OSError as exc:
            raise ChainError(f"cannot create the chain file {path}: {exc.strerror or exc}") from None
        finally:
            for leftover in (temporary, *(temporary.with_name(temporary.name + end) for end in ("-wal", "-shm"))):
                with suppress(OSError):
                    leftover.unlink()

    def _initialize(self, genesis: Genesis) -> None:
        with self._errors():
            self._conn.executescript(_SCHEMA + _TRANSACTIONS)
            self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._conn.execute(f"PRAGMA user_version = {FORMAT}")
            info = {"chain_id": genesis.chain_id, "accounts": list(genesis.balances), "genesis_time": genesis.time}
            with self._transaction("BEGIN IMMEDIATE"):
                self._conn.execute("INSERT INTO meta VALUES ('chain', ?)", (json.dumps(info),))
                self._conn.execute("INSERT INTO blocks (number, timestamp) VALUES (0, ?)", (_word(genesis.time),))
                self._write_state(StateDiff({a.lower(): Account(b) for a, b in genesis.balances.items()}), 1)
                self._write_head(Head(0, genesis.time, 1), always=True)

    def _check_kind(self) -> None:
        """Refuse anything but a sumchain chain file of this format."""
        try:
            kind = self._conn.execute("PRAGMA application_id").fetchone()[0]
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ChainError(f"{self.path} is not a sumchain chain file ({exc})") from None
        if kind != APPLICATION_ID:
            self.close()
            if {"nodes", "logs", "meta"} <= tables:
                raise ChainError(
                    f"{self.path} was written by an older sumchain (chain file format 1); "
                    "this one reads format 2: move it away to start a new chain"
                )
            raise ChainError(f"{self.path} is an SQLite database but not a sumchain chain file")
        if version != FORMAT:
            self.close()
            raise ChainError(f"{self.path} has chain file format {version}; this sumchain reads format {FORMAT}")

    def _load_info(self) -> None:
        with self._errors():
            rows = dict(self._conn.execute("SELECT key, value FROM meta WHERE key IN ('chain', 'head')"))
            if set(rows) != {"chain", "head"}:
                raise ChainError(f"{self.path} is damaged: its chain description is missing")
            self.info = json.loads(rows["chain"])

    def close(self) -> None:
        """Close the database; the store must not be used afterwards."""
        self._conn.close()

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite failures as one-line chain errors."""
        where = self.path or "the in-memory chain"
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ChainError(
                    f"{where} is locked by another process (waited {self.timeout:g} s); try again"
                ) from None
            raise ChainError(f"{where}: {exc}") from None
        except sqlite3.ProgrammingError:
            raise ChainError(f"{where} is closed") from None
        except sqlite3.DatabaseError as exc:
            raise ChainError(f"{where} is damaged or not a chain file: {exc}") from None

    def _transaction(self, begin: str) -> AbstractContextManager[None]:
        return sqlite_transaction(self._conn, begin)

    @contextmanager
    def reading(self) -> Iterator[Head]:
        """A consistent view of the latest committed state (others' changes taken in)."""
        if self.path is None or self.pinned:
            yield self.head
            return
        with self._errors():
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:  # another connection committed since the last look
                with self._transaction("BEGIN"):
                    self._catch_up()
                self._data_version = version
        yield self.head

    @contextmanager
    def writing(self) -> Iterator[Head]:
        """Hold the write lock, up to date; what the block writes commits at the end."""
        with self._errors(), self._transaction("BEGIN IMMEDIATE"):
            self._catch_up()
            yield self.head

    def _catch_up(self) -> None:
        """Take in what other processes committed since this one last looked."""
        if self.path is None:
            return
        head = self._read_head()
        if head.version == self.head.version:
            return
        diff = StateDiff()
        for address, balance, nonce, code_hash in self._conn.execute(
            "SELECT address, balance, nonce, code_hash FROM accounts WHERE version > ?", (self.head.version,)
        ):
            diff.accounts[address] = Account(_int(balance), nonce, self._code(code_hash))
        for address, slot, value in self._conn.execute(
            "SELECT address, slot, value FROM storage WHERE version > ?", (self.head.version,)
        ):
            diff.storage.setdefault(address, {})[_int(slot)] = _int(value)
        self.head = head
        self.on_change(diff)

    def _read_head(self) -> Head:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
        if row is None:
            raise ChainError(f"{self.path} is damaged: its head is missing")
        head = json.loads(row[0])
        return Head(head["block"], head["time"], head["version"])

    def _write_head(self, head: Head, *, always: bool = False) -> None:
        """Record the new head; in memory, after the genesis, :attr:`head` is its only reader."""
        if self.path is not None or always:
            value = json.dumps({"block": head.block, "time": head.time, "version": head.version})
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (value,))
        self.head = head

    def _code(self, code_hash: bytes) -> bytes:
        if not code_hash:
            return b""
        row = self._conn.execute("SELECT code FROM code WHERE hash = ?", (code_hash,)).fetchone()
        if row is None:
            raise ChainError(f"{self.path} is damaged: code {code_hash.hex()} is missing")
        return bytes(row[0])

    # -- writing (inside writing()) ------------------------------------------------------

    def _write_state(self, diff: StateDiff, version: int) -> None:
        rows = []
        for address, account in diff.accounts.items():
            code_hash = _code_hash(account.code) if account.code else b""
            if account.code:
                self._conn.execute("INSERT OR IGNORE INTO code VALUES (?, ?)", (code_hash, account.code))
            rows.append((address, _word(account.balance), account.nonce, code_hash, version))
        self._conn.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?)", rows)
        self._conn.executemany(
            "INSERT OR REPLACE INTO storage VALUES (?, ?, ?, ?)",
            (
                (address, _word(slot), _word(value), version)
                for address, changes in diff.storage.items()
                for slot, value in changes.items()
            ),
        )

    def commit_block(
        self,
        block: BlockRecord,
        diff: StateDiff,
        logs: tuple[RawLog, ...],
        sent: tuple[str | None, bytes] | None = None,
    ) -> None:
        """Record a mined block, its state changes and logs (inside :meth:`writing`), and
        ``sent``, its transaction's recipient (None for a creation) and input.

        In memory only blocks, transactions and logs are kept: the engine holds the state.
        """
        version = self.head.version + 1
        if self.path is not None:
            self._write_state(diff, version)
        self._conn.execute(
            "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
            (block.number, _word(block.timestamp), block.tx_hash, block.sender, block.nonce, block.gas_used),
        )
        if sent is not None:
            self._conn.execute("INSERT OR REPLACE INTO transactions VALUES (?, ?, ?)", (block.number, *sent))
        self._conn.executemany(
            "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?)",
            (
                (block.number, index, log.address, b"".join(log.topics), log.data, block.tx_hash)
                for index, log in enumerate(logs)
            ),
        )
        self._write_head(Head(block.number, block.timestamp, version))

    def roll_back(self, head: Head, undo: StateDiff) -> None:
        """Forget every block after ``head.block`` and restore state with ``undo`` (inside :meth:`writing`)."""
        version = self.head.version + 1
        if self.path is not None:
            self._write_state(undo, version)
        self._conn.execute("DELETE FROM blocks WHERE number > ?", (head.block,))
        self._conn.execute("DELETE FROM logs WHERE block_number > ?", (head.block,))
        self._conn.execute("DELETE FROM transactions WHERE block_number > ?", (head.block,))
        self._write_head(Head(head.block, head.time, version))

    def set_note(self, key: str, value: str | None) -> None:
        """Keep a small note in the file, or forget it (None) (inside :meth:`writing`)."""
        if value is None:
            self._conn.execute("DELETE FROM meta WHERE key = ?", (f"note:{key}",))
        else:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"note:{key}", value))

    def replace_notes(self, notes: dict[str, str]) -> None:
        """Make ``notes`` the only notes (inside :meth:`writing`)."""
        self._conn.execute("DELETE FROM meta WHERE key LIKE 'note:%'")
        for key, value in notes.items():
            self.set_note(key, value)

    # -- reading --------------------------------------------------------------------------

    def full_state(self) -> StateDiff:
        """Every live account and storage slot (in memory: the genesis state; call it once, at open)."""
        diff = StateDiff()
        with self._errors(), self._transaction("BEGIN"):
            self.head = self._read_head()
            for address, balance, nonce, code_hash in self._conn.execute(
                "SELECT address, balance, nonce, code_hash FROM accounts"
            ):
                account = Account(_int(balance), nonce, self._code(code_hash))
                if not account.is_empty:
                    diff.accounts[address] = account
            for address, slot, value in self._conn.execute(
                "SELECT address, slot, value FROM storage WHERE value != x''"
            ):
                diff.storage.setdefault(address, {})[_int(slot)] = _int(value)
        return diff

    def notes(self) -> dict[str, str]:
        """All notes kept in the file."""
        with self._errors():
            rows = self._conn.execute("SELECT key, value FROM meta WHERE key LIKE 'note:%'")
            return {key.removeprefix("note:"): value for key, value in rows}

    def logs(self, address: str, from_block: int, to_block: int) -> list[tuple[int, int, bytes, bytes, str, int]]:
        """``(block, index, topics, data, tx_hash, block timestamp)`` of the logs of ``address`` in the range."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT l.block_number, l.log_index, l.topics, l.data, l.tx_hash, b.timestamp FROM logs l "
                "JOIN blocks b ON b.number = l.block_number "
                "WHERE l.address = ? AND l.block_number BETWEEN ? AND ? ORDER BY l.block_number, l.log_index",
                (address, from_block, to_block),
            )
            return [(b, i, bytes(t), bytes(d), h, _int(ts)) for b, i, t, d, h, ts in rows]

    def block_ids(self, numbers: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """``{number: (timestamp, tx_hash)}`` of those of ``numbers`` that are mined."""
        with self._errors():
            found: dict[int, tuple[int, str | None]] = {}
            for start in range(0, len(numbers), 500):
                chunk = list(numbers[start : start + 500])
                rows = self._conn.execute(
                    f"SELECT number, timestamp, tx_hash FROM blocks WHERE number IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update((n, (_int(ts), h)) for n, ts, h in rows)
            return found

    def transactions(self, recipient: str, from_block: int, to_block: int) -> list[tuple[int, str, str, bytes]]:
        """``(block, tx_hash, sender, input)`` of the transactions to ``recipient`` in the range."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT t.block_number, b.tx_hash, b.sender, t.input FROM transactions t "
                "JOIN blocks b ON b.number = t.block_number "
                "WHERE t.recipient = ? AND t.block_number BETWEEN ? AND ? ORDER BY t.block_number",
                (recipient, from_block, to_block),
            )
            return [(n, h, sender, bytes(data)) for n, h, sender, data in rows]

    def block(self, number: int) -> BlockRecord | None:
        """The block ``number``, if mined."""
        with self._errors():
            row = self._conn.execute("SELECT * FROM blocks WHERE number = ?", (number,)).fetchone()
        return BlockRecord(row[0], _int(row[1]), *row[2:]) if row else None
