"""The embedded chain: an in-process EVM (py-evm, Prague rules) with no node.

Each transaction is mined in a block of its own, one second after the previous
block, like anvil's automine with a 1 s interval; ``advance_time`` mines an
empty block later on. Gas price is 0, so balances change only by the values
sent, and every receipt carries exactly the gas a real Prague chain charges.

With a ``path``, the chain lives in one SQLite file: the state trie nodes, the
event logs and a little metadata. Every transaction is committed to it in one
SQLite transaction, so a killed process leaves the chain as it was before or
after that transaction, never half-written, and separate processes (CLI
invocations) share one chain.
"""

from __future__ import annotations

import json
import sqlite3
import time as wallclock
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth.abc import ComputationAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import Revert
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_utils import keccak, to_canonical_address, to_checksum_address

from sumchain.chain.abi import decode_revert
from sumchain.chain.accounts import dev_addresses
from sumchain.chain.base import BLOCK_GAS_LIMIT, ETHER, Log, Receipt
from sumchain.errors import ChainError, ContractReverted

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (key BLOB PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY, address TEXT NOT NULL, topics TEXT NOT NULL, data BLOB NOT NULL,
    block_number INTEGER NOT NULL, tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class _TrackedStore(dict[bytes, bytes]):
    """The node store; remembers which keys are new since the last save."""

    def __init__(self) -> None:
        super().__init__()
        self.unsaved: set[bytes] = set()

    def __setitem__(self, key: bytes, value: bytes) -> None:
        if key not in self:
            self.unsaved.add(key)
        super().__setitem__(key, value)


class EmbeddedChain:
    """An in-process EVM chain with funded dev accounts and a movable clock.

    Parameters
    ----------
    path : str or Path, optional
        SQLite file that holds the chain; created if missing, reopened if
        present. Without it the chain lives in memory only.
    accounts : int
        Number of funded dev accounts (anvil's default keys).
    balance : int
        Starting balance of each dev account, in wei.
    genesis_time : int, optional
        Timestamp of the genesis block; the wall clock by default.
    chain_id : int
        Chain id seen by contracts (``block.chainid``).

    Examples
    --------
    >>> chain = EmbeddedChain(genesis_time=1_700_000_000)
    >>> chain.balance(chain.accounts[0]) // 10**18
    10000
    >>> chain.advance_time(3600); chain.time()
    1700003600
    """

    is_dev = True

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        accounts: int = 10,
        balance: int = 10_000 * ETHER,
        genesis_time: int | None = None,
        chain_id: int = 31337,
    ) -> None:
        self._store = _TrackedStore()
        self._db = AtomicDB(MemoryDB(self._store))
        self._logs: list[Log] = []
        self._saved_logs = 0
        self._conn: sqlite3.Connection | None = None
        self.notes: dict[str, str] = {}
        if path is not None:
            self._conn = sqlite3.connect(Path(path), isolation_level=None)
            try:
                self._conn.executescript(_SCHEMA)
                meta = dict(self._conn.execute("SELECT key, value FROM meta"))
            except sqlite3.DatabaseError as exc:
                raise ChainError(f"{path} is not a sumchain chain file: {exc}") from None
            if meta:
                self._load(meta)
                return
        self._chain_id = chain_id
        self._accounts = list(dev_addresses(accounts))
        self._block_number = 0
        self._timestamp = int(wallclock.time()) if genesis_time is None else genesis_time
        state = self._state()
        for address in self._accounts:
            state.set_balance(to_canonical_address(address), balance)
        state.persist()
        self._root = state.state_root
        self._save()

    # -- persistence -------------------------------------------------------

    def _load(self, meta: dict[str, str]) -> None:
        assert self._conn is not None
        info = json.loads(meta["chain"])
        self._chain_id = info["chain_id"]
        self._accounts = info["accounts"]
        self._block_number = info["block_number"]
        self._timestamp = info["timestamp"]
        self._root = bytes.fromhex(info["state_root"])
        self.notes = info.get("notes", {})
        dict.update(self._store, self._conn.execute("SELECT key, value FROM nodes"))
        for address, topics, data, block, tx_hash, index in self._conn.execute(
            "SELECT address, topics, data, block_number, tx_hash, log_index FROM logs ORDER BY seq"
        ):
            parsed = tuple(bytes.fromhex(t) for t in topics.split(",") if t)
            self._logs.append(Log(address, parsed, bytes(data), block, tx_hash, index))
        self._saved_logs = len(self._logs)

    def _save(self) -> None:
        """Write everything new to the chain file in one SQLite transaction."""
        if self._conn is None:
            return
        info = {
            "chain_id": self._chain_id,
            "accounts": self._accounts,
            "block_number": self._block_number,
            "timestamp": self._timestamp,
            "state_root": self._root.hex(),
            "notes": self.notes,
        }
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT OR IGNORE INTO nodes VALUES (?, ?)",
                ((k, self._store[k]) for k in self._store.unsaved),
            )
            self._conn.execute("DELETE FROM logs WHERE seq >= ?", (min(self._saved_logs, len(self._logs)),))
            self._conn.executemany(
                "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        seq,
                        log.address,
                        ",".join(t.hex() for t in log.topics),
                        log.data,
                        log.block_number,
                        log.tx_hash,
                        log.log_index,
                    )
                    for seq, log in enumerate(self._logs)
                    if seq >= min(self._saved_logs, len(self._logs))
                ),
            )
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('chain', ?)", (json.dumps(info),))
        self._store.unsaved.clear()
        self._saved_logs = len(self._logs)

    def remember(self, key: str, value: str) -> None:
        """Keep a small note in the chain file (the CLI's last deployed model)."""
        self.notes[key] = value
        self._save()

    def close(self) -> None:
        """Close the chain file; the object must not be used afterwards."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- execution ---------------------------------------------------------

    def _state(self, *, next_block: bool = False) -> Any:
        number = self._block_number + (1 if next_block else 0)
        timestamp = self._timestamp + (1 if next_block else 0)
        context = ExecutionContext(
            coinbase=b"\0" * 20,
            timestamp=timestamp,
            block_number=number,
            difficulty=0,
            mix_hash=keccak(number.to_bytes(32, "big")),
            gas_limit=BLOCK_GAS_LIMIT,
            prev_hashes=(),
            chain_id=self._chain_id,
            base_fee_per_gas=0,
            excess_blob_gas=0,
        )
        root = getattr(self, "_root", BLANK_ROOT_HASH)
        return PragueVM.get_state_class()(self._db, context, root)

    def _run(
        self, sender: str, to: str | None, data: bytes, value: int, *, next_block: bool
    ) -> tuple[Any, Any, ComputationAPI]:
        state = self._state(next_block=next_block)
        origin = to_canonical_address(sender)
        tx = PragueVM.get_transaction_builder().create_unsigned_transaction(
            nonce=state.get_nonce(origin),
            gas_price=0,
            gas=BLOCK_GAS_LIMIT,
            to=to_canonical_address(to) if to else b"",
            value=value,
            data=data,
        )
        spoofed = SpoofTransaction(tx, from_=origin)
        try:
            computation = state.apply_transaction(spoofed)
        except Exception as exc:  # py-evm validation: balance, nonce, intrinsic gas
            raise ChainError(f"transaction rejected: {exc}") from None
        if computation.is_error:
            output = computation.output
            if isinstance(computation.error, Revert):
                reason = decode_revert(output)
            else:  # out of gas, invalid opcode, ...: no revert data
                reason = f"execution failed: {type(computation.error).__name__}"
            raise ContractReverted.from_reason(reason, data=output)
        return state, spoofed, computation

    def _mine(self, sender: str, to: str | None, data: bytes, value: int) -> Receipt:
        state, tx, computation = self._run(sender, to, data, value, next_block=True)
        state.persist()
        self._root = state.state_root
        self._block_number += 1
        self._timestamp += 1
        tx_hash = "0x" + keccak(self._block_number.to_bytes(8, "big") + to_canonical_address(sender) + data).hex()
        logs = tuple(
            Log(
                to_checksum_address(address),
                tuple(t.to_bytes(32, "big") for t in topics),
                log_data,
                self._block_number,
                tx_hash,
                index,
            )
            for index, (address, topics, log_data) in enumerate(computation.get_log_entries())
        )
        self._logs.extend(logs)
        self._save()
        created = computation.msg.storage_address if to is None else None
        return Receipt(
            tx_hash=tx_hash,
            block_number=self._block_number,
            timestamp=self._timestamp,
            gas_used=PragueVM.finalize_gas_used(tx, computation),
            contract_address=to_checksum_address(created) if created else None,
            logs=logs,
        )

    # -- the Chain protocol ------------------------------------------------

    @property
    def accounts(self) -> list[str]:
        """The funded dev accounts."""
        return list(self._accounts)

    def deploy(self, bytecode: bytes, *, sender: str, value: int = 0) -> Receipt:
        """Create a contract; see :class:`~sumchain.chain.base.Chain`."""
        return self._mine(sender, None, bytecode, value)

    def transact(self, to: str, data: bytes, *, sender: str, value: int = 0) -> Receipt:
        """Mine one transaction; see :class:`~sumchain.chain.base.Chain`."""
        return self._mine(sender, to, data, value)

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> bytes:
        """Run a read-only call in the context of the latest block."""
        _, _, computation = self._run(sender or "0x" + "00" * 20, to, data, 0, next_block=False)
        return bytes(computation.output)

    def estimate_gas(self, to: str | None, data: bytes, *, sender: str, value: int = 0) -> int:
        """Exact gas of the transaction if mined in the next block."""
        _, tx, computation = self._run(sender, to, data, value, next_block=True)
        return int(PragueVM.finalize_gas_used(tx, computation))

    def logs(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Log]:
        """Logs of ``address`` in the block range (inclusive)."""
        last = self._block_number if to_block is None else to_block
        wanted = to_checksum_address(address)
        return [log for log in self._logs if log.address == wanted and from_block <= log.block_number <= last]

    def time(self) -> int:
        """Timestamp of the latest block."""
        return self._timestamp

    def block_number(self) -> int:
        """Number of the latest block."""
        return self._block_number

    def advance_time(self, seconds: int) -> None:
        """Mine an empty block ``seconds`` after the latest one."""
        if seconds < 0:
            raise ChainError("time only moves forward")
        self._block_number += 1
        self._timestamp += seconds
        self._save()

    def balance(self, address: str) -> int:
        """Balance of ``address`` in wei."""
        return int(self._state().get_balance(to_canonical_address(address)))

    @contextmanager
    def anchor(self) -> Iterator[None]:
        """Undo every transaction and time change made inside the block."""
        saved = (self._root, self._block_number, self._timestamp, len(self._logs), dict(self.notes))
        try:
            yield
        finally:
            self._root, self._block_number, self._timestamp, count, self.notes = saved
            del self._logs[count:]
            self._save()
