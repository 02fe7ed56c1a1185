"""The embedded chain: an in-process EVM with no node, in memory or in one file.

Each transaction is mined in a block of its own, one second after the
previous block, like anvil's automine; :meth:`EmbeddedChain.advance_time`
mines an empty block later on. Gas price is 0, so balances change only by the
values sent, and every receipt carries exactly the gas a Prague chain charges.

The EVM is an :mod:`engine <sumchain.chain.engines>`: revm by default (about
a hundred times faster than py-evm), or py-evm, the reference
(``engine="py-evm"`` or ``$SUMCHAIN_ENGINE``). Transactions are validated here
(:func:`~sumchain.chain.execution.validate`), so a rejected one fails the same
way on both. A transaction that reverts or halts is not mined: it raises
:class:`~sumchain.errors.ContractReverted` and changes nothing, as a node's
gas estimate would refuse it.

With a ``path`` the chain lives in one SQLite file (:mod:`sumchain.chain.store`)
that any number of processes share: writers are serialized, and none
acknowledges a transaction before it is committed.
"""

from __future__ import annotations

import hashlib
import time as wallclock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sumchain.chain.abi import decode_revert
from sumchain.chain.accounts import dev_addresses
from sumchain.chain.base import BLOCK_GAS_LIMIT, ETHER, BlockTag, Log, Receipt, Sent
from sumchain.chain.confirm import TransactionPreview
from sumchain.chain.engines import Engine, default_engine, make_engine
from sumchain.chain.execution import (
    MAX_TIMESTAMP,
    BlockContext,
    Execution,
    StateDiff,
    Transaction,
    validate,
)
from sumchain.chain.hashing import checksum
from sumchain.chain.store import BlockRecord, ChainStore, Genesis, Head
from sumchain.errors import ChainError, ContractReverted


@lru_cache(maxsize=4096)
def _address(value: str) -> str:
    """An address as the engines key it (lower-case hex)."""
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        raise ChainError(f"{value!r} is not an address")
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        raise ChainError(f"{value!r} is not an address") from None
    return value.lower()


def _whole(value: object, what: str, *, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int, refusing bools, floats and out-of-range numbers."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChainError(f"{what} must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high:,}" if high is not None else f"at least {low}"
        raise ChainError(f"{what} must be {limit}, got {value:,}")
    return value


def _transaction_id(chain_id: int, sender: str, nonce: int, data: bytes) -> str:
    """A 32-byte id, unique on this chain (its sender and nonce are): the receipt's ``tx_hash``.

    Nothing is signed on the embedded chain, so this is not an Ethereum transaction
    hash; BLAKE2 instead of keccak because it costs a microsecond, not twenty.
    """
    key = chain_id.to_bytes(8, "big") + bytes.fromhex(sender[2:]) + nonce.to_bytes(8, "big") + data
    return "0x" + hashlib.blake2b(key, digest_size=32).hexdigest()


def _block_hash(chain_id: int, number: int, timestamp: int, tx_hash: str | None) -> str:
    """The id of an embedded block: BLAKE2 of the chain id, its number, time and transaction.

    The embedded chain keeps no header hashes; this id changes when a rolled-back block is
    mined again with another transaction (sender, nonce or data: see :func:`_transaction_id`)
    or time, which is what reorg detection needs. Unlike a header hash it does not cover the
    parent: an indexer compares several recent blocks, not the last one alone.
    """
    key = f"{chain_id}:{number}:{timestamp}:{tx_hash or ''}".encode()
    return "0x" + hashlib.blake2b(key, digest_size=32).hexdigest()


def _with_registry(path: Path, engine: str | None, timeout: float) -> None:
    """Deploy the model registry into a new chain file, before it is moved into place."""
    from sumchain.registry import Registry

    chain = EmbeddedChain(path, engine=engine, timeout=timeout)
    try:
        Registry.ensure(chain)
    finally:
        chain.close()


class EmbeddedChain:
    """An in-process EVM chain with funded dev accounts and a movable clock.

    Parameters
    ----------
    path : str or Path, optional
        SQLite file that holds the chain: created if missing (with a model
        registry, see :mod:`sumchain.registry`; it appears whole, so another
        process that opens it meanwhile finds the registry too), reopened if
        present, shared safely with other processes. Without it the chain
        lives in memory only.
    accounts : int
        Number of funded dev accounts (anvil's default keys); new chains only.
    balance : int
        Starting balance of each dev account, in wei; new chains only.
    genesis_time : int, optional
        Timestamp of the genesis block (the wall clock by default); new chains only.
    chain_id : int
        ``block.chainid``; new chains only.
    engine : {"revm", "py-evm"}, optional
        The EVM; ``$SUMCHAIN_ENGINE``, else revm.
    timeout : float
        Seconds to wait for another process's write lock before giving up.
    durable : bool
        Flush every block of a chain file to disk (SQLite ``synchronous=FULL``).
    confirm : callable, optional
        Called with a :class:`~sumchain.chain.confirm.TransactionPreview` (``dev`` set) before each
        transaction; it raises to stop it, as :class:`~sumchain.chain.confirm.Confirmation` does for
        a deposit above ``--max-deposit``.

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
        engine: str | None = None,
        timeout: float = 10.0,
        durable: bool = True,
        confirm: Callable[[TransactionPreview], None] | None = None,
    ) -> None:
        self.confirm = confirm
        start = int(wallclock.time()) if genesis_time is None else _whole(genesis_time, "genesis_time")
        genesis = Genesis(chain_id, start, dict.fromkeys(dev_addresses(accounts), balance))
        self._store = ChainStore.open(
            None if path is None else Path(path),
            genesis,
            timeout=timeout,
            durable=durable,
            prepare=lambda new: _with_registry(new, engine, timeout),
        )
        try:
            self._engine: Engine = make_engine(
                engine or default_engine(), chain_id=self._store.info["chain_id"], block_gas_limit=BLOCK_GAS_LIMIT
            )
            self._engine.apply(self._store.full_state())
        except BaseException:  # an unknown engine: the file is closed, not left open for the collector
            self._store.close()
            raise
        self._store.on_change = self._taken_in
        self._undo: list[StateDiff] = []
        self._foreign = False

    # -- plumbing -------------------------------------------------------------------

    @property
    def engine(self) -> str:
        """Name of the EVM engine (``"revm"`` or ``"py-evm"``)."""
        return self._engine.name

    @property
    def path(self) -> Path | None:
        """The chain file, or None for a chain in memory."""
        return self._store.path

    @property
    def chain_id(self) -> int:
        """``block.chainid``."""
        return int(self._store.info["chain_id"])

    def _taken_in(self, diff: StateDiff) -> None:
        """State another process committed: into the engine (and any open anchor)."""
        self._record_undo(diff)
        self._foreign = self._foreign or bool(self._undo)
        self._engine.apply(diff)

    def _record_undo(self, diff: StateDiff) -> None:
        """Remember, in every open anchor, what ``diff`` is about to overwrite."""
        if not self._undo:
            return
        before = self._engine.state.undo(diff)
        for undo in self._undo:
            for address, account in before.accounts.items():
                undo.accounts.setdefault(address, account)
            for address, changes in before.storage.items():
                kept = undo.storage.setdefault(address, {})
                for key, value in changes.items():
                    kept.setdefault(key, value)

    def _block(self, head: Head, *, next_block: bool) -> BlockContext:
        step = 1 if next_block else 0
        return BlockContext(head.block + step, head.time + step, BLOCK_GAS_LIMIT, self.chain_id)

    def _transaction(self, sender: str | None, to: str | None, data: bytes, value: int, gas: int | None) -> Transaction:
        if not isinstance(data, bytes | bytearray):
            raise ChainError(f"transaction data must be bytes, got {type(data).__name__}")
        return Transaction(
            sender=_address(sender) if sender is not None else "0x" + "00" * 20,
            to=None if to is None else _address(to),
            data=bytes(data),
            value=_whole(value, "value", high=2**256 - 1),
            gas=BLOCK_GAS_LIMIT if gas is None else _whole(gas, "gas"),
        )

    def _run(self, tx: Transaction, block: BlockContext, *, diff: bool = False) -> Execution:
        sender = self._engine.state.account(tx.sender)
        validate(tx, balance=sender.balance, block_gas_limit=BLOCK_GAS_LIMIT, sender_has_code=bool(sender.code))
        execution = self._engine.execute(tx, block, diff=diff)
        if not execution.success:
            reason = decode_revert(execution.output) if execution.reverted else f"execution failed: {execution.halt}"
            raise ContractReverted.from_reason(reason, data=execution.output)
        return execution

    def _mine(self, tx: Transaction) -> Receipt:
        if self.confirm is not None:
            to = None if tx.to is None else checksum(tx.to)
            self.confirm(TransactionPreview(self.chain_id, checksum(tx.sender), to, tx.value, tx.gas, 0, dev=True))
        with self._store.writing() as head:
            nonce = self._engine.state.account(tx.sender).nonce
            execution = self._run(tx, self._block(head, next_block=True), diff=True)
            number, timestamp = head.block + 1, head.time + 1
            tx_hash = _transaction_id(self.chain_id, tx.sender, nonce, tx.data)
            record = BlockRecord(number, timestamp, tx_hash, tx.sender, nonce, execution.gas_used)
            self._store.commit_block(record, execution.diff, execution.logs, (tx.to, tx.data))
        self._record_undo(execution.diff)
        self._engine.apply(execution.diff)
        block_hash = _block_hash(self.chain_id, number, timestamp, tx_hash)
        logs = tuple(
            Log(checksum(log.address), log.topics, log.data, number, tx_hash, index, block_hash)
            for index, log in enumerate(execution.logs)
        )
        return Receipt(
            tx_hash=tx_hash,
            block_number=number,
            timestamp=timestamp,
            gas_used=execution.gas_used,
            contract_address=checksum(execution.created) if execution.created else None,
            logs=logs,
        )

    # -- the Chain protocol -------------------------------------------------------------

    @property
    def accounts(self) -> list[str]:
        """The funded dev accounts."""
        return [checksum(a) for a in self._store.info["accounts"]]

    def deploy(self, bytecode: bytes, *, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Create a contract; see :class:`~sumchain.chain.base.Chain`."""
        return self._mine(self._transaction(sender, None, bytecode, value, gas))

    def transact(
        self,
        to: str,
        data: bytes,
        *,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        estimate_value: int | None = None,
    ) -> Receipt:
        """Mine one transaction; see :class:`~sumchain.chain.base.Chain` (nothing is estimated here:
        without ``gas`` a transaction may use up to the per-transaction cap)."""
        return self._mine(self._transaction(sender, to, data, value, gas))

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: BlockTag = None) -> bytes:
        """Run a read-only call in the context of the latest block, or of the next (``"pending"``:
        with no pool, the same state at the next block's number and time).

        Raises
        ------
        ChainError
            When ``block`` names another block: the embedded chain keeps no past state.
        """
        tx = self._transaction(sender, to, data, 0, None)
        with self._store.reading() as head:
            if block not in (None, "pending", head.block):
                raise ChainError(f"the embedded chain keeps no past state: it calls against block {head.block} only")
            return self._run(tx, self._block(head, next_block=block == "pending")).output

    def call_many(self, to: str, datas: Iterable[bytes], *, sender: str | None = None) -> list[bytes]:
        """Run read-only calls, all against the same latest block (one consistent state)."""
        txs = [self._transaction(sender, to, data, 0, None) for data in datas]
        with self._store.reading() as head:
            block = self._block(head, next_block=False)
            return [self._run(tx, block).output for tx in txs]

    def estimate_gas(self, to: str | None, data: bytes, *, sender: str, value: int = 0) -> int:
        """Exact gas of the transaction if mined in the next block."""
        tx = self._transaction(sender, to, data, value, None)
        with self._store.reading() as head:
            return self._run(tx, self._block(head, next_block=True)).gas_used

    def logs(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Log]:
        """Logs of ``address`` in the block range (inclusive)."""
        last = self.block_number() if to_block is None else to_block
        emitter = checksum(_address(address))
        return [
            Log(
                emitter,
                tuple(topics[i : i + 32] for i in range(0, len(topics), 32)),
                data,
                block,
                tx_hash,
                index,
                _block_hash(self.chain_id, block, timestamp, tx_hash),
            )
            for block, index, topics, data, tx_hash, timestamp in self._store.logs(_address(address), from_block, last)
        ]

    def transactions_to(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Sent]:
        """Transactions sent to ``address`` in the block range (inclusive); every mined one succeeded.

        A chain file written before sumchain recorded inputs has none for its earlier blocks.
        """
        last = self.block_number() if to_block is None else to_block
        return [
            Sent(tx_hash, block, checksum(sender), data)
            for block, tx_hash, sender, data in self._store.transactions(_address(address), from_block, last)
        ]

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """Ids of these blocks (see :func:`_block_hash`), None for a block not mined yet."""
        found = self._store.block_ids(numbers)
        return [_block_hash(self.chain_id, n, *found[n]) if n in found else None for n in numbers]

    def time(self) -> int:
        """Timestamp of the latest block."""
        with self._store.reading() as head:
            return head.time

    def block_number(self) -> int:
        """Number of the latest block."""
        with self._store.reading() as head:
            return head.block

    def advance_time(self, seconds: int) -> None:
        """Mine an empty block ``seconds`` after the latest one.

        Raises
        ------
        ChainError
            For a negative or non-integer ``seconds``, or a time past 2**64 - 1.
        """
        seconds = _whole(seconds, "seconds")
        with self._store.writing() as head:
            if head.time + seconds > MAX_TIMESTAMP:
                raise ChainError(f"time cannot pass {MAX_TIMESTAMP:,} (block timestamps are 64-bit)")
            record = BlockRecord(head.block + 1, head.time + seconds, None, None, None, None)
            self._store.commit_block(record, StateDiff(), ())

    def balance(self, address: str) -> int:
        """Balance of ``address`` in wei."""
        with self._store.reading():
            return self._engine.state.account(_address(address)).balance

    def balances(self, addresses: Sequence[str]) -> list[int]:
        """Balances of ``addresses`` in wei."""
        with self._store.reading():
            return [self._engine.state.account(_address(a)).balance for a in addresses]

    @contextmanager
    def anchor(self) -> Iterator[None]:
        """Undo every transaction and time change made inside the block.

        Raises
        ------
        ChainError
            On leaving, when another process wrote to the chain file
            meanwhile (its blocks would be lost): nothing is undone then.
        """
        with self._store.reading() as head:
            saved, notes = head, self.notes
        undo = StateDiff()
        self._undo.append(undo)
        try:
            yield
        finally:
            self._undo = [u for u in self._undo if u is not undo]  # by identity: nested undos can be equal
            self._roll_back(saved, undo, notes)

    def _roll_back(self, saved: Head, undo: StateDiff, notes: dict[str, str]) -> None:
        with self._store.writing():
            if self._foreign:
                self._foreign = bool(self._undo)
                raise ChainError("cannot undo: another process wrote to the chain file meanwhile")
            self._store.roll_back(saved, undo)
            self._store.replace_notes(notes)
        self._engine.apply(undo)

    # -- beyond the protocol ---------------------------------------------------------------

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read one committed version: inside the block, reads ignore newer commits of other processes.

        Several reads (balances, logs, calls) then describe the same state,
        however many processes write meanwhile. Transactions sent inside the
        block still run on the latest state.
        """
        with self._store.reading():
            self._store.pinned += 1
        try:
            yield
        finally:
            self._store.pinned -= 1

    def nonce(self, address: str) -> int:
        """Transactions sent so far by ``address``."""
        with self._store.reading():
            return self._engine.state.account(_address(address)).nonce

    def unmined(self, address: str) -> int:
        """0: each transaction is mined as it is sent."""
        return 0

    def block(self, number: int) -> BlockRecord | None:
        """The block ``number`` (its transaction, if any, and its time), or None."""
        return self._store.block(number)

    @property
    def notes(self) -> dict[str, str]:
        """Small notes kept in the chain (the CLI's current model, ...)."""
        return self._store.notes()

    def remember(self, key: str, value: str | None) -> None:
        """Keep a small note in the chain file (the CLI's current model, ...), or forget it (None)."""
        with self._store.writing():
            self._store.set_note(key, value)

    def close(self) -> None:
        """Close the chain file; the object must not be used afterwards."""
        self._store.close()
