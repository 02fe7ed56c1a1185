"""The reference engine: py-evm with Prague rules, a pure-Python EVM.

About 2.6 µs per opcode, so a few hundred times slower than revm; it stays
as the reference that the differential tests and the gas snapshot compare
revm with. Its state is a Merkle-Patricia trie in memory, rebuilt from the
:class:`~sumchain.chain.engines.base.StateCache` whenever changes are applied.
"""

from __future__ import annotations

from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth.exceptions import Revert
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction

from sumchain.chain.engines.base import StateCache
from sumchain.chain.execution import (
    Account,
    BlockContext,
    Execution,
    RawLog,
    StateDiff,
    Transaction,
    halt_reason,
)
from sumchain.errors import ChainError


def _raw(address: str) -> bytes:
    return bytes.fromhex(address[2:])


def _hex(address: bytes) -> str:
    return "0x" + address.hex()


class PyEvmEngine:
    """py-evm's Prague VM behind the :class:`~sumchain.chain.engines.base.Engine` protocol.

    Parameters
    ----------
    chain_id : int
        ``block.chainid``.
    block_gas_limit : int
        Gas limit of every block.
    """

    name = "py-evm"

    def __init__(self, *, chain_id: int, block_gas_limit: int) -> None:
        self.state = StateCache()
        self._chain_id = chain_id
        self._gas_limit = block_gas_limit
        self._db = AtomicDB()
        self._root = BLANK_ROOT_HASH

    def _vm_state(self, block: BlockContext | None = None) -> Any:
        number = block.number if block else 0
        context = ExecutionContext(
            coinbase=b"\0" * 20,
            timestamp=block.timestamp if block else 0,
            block_number=number,
            difficulty=0,
            mix_hash=block.prevrandao if block else b"\0" * 32,
            gas_limit=self._gas_limit,
            prev_hashes=(),
            chain_id=self._chain_id,
            base_fee_per_gas=0,
            excess_blob_gas=0,
        )
        return PragueVM.get_state_class()(self._db, context, self._root)

    def execute(self, tx: Transaction, block: BlockContext, *, diff: bool = True) -> Execution:
        """Run ``tx`` in ``block``; the engine's state is left as it was (``diff=False``: no state diff)."""
        state = self._vm_state(block)
        origin = _raw(tx.sender)
        unsigned = PragueVM.get_transaction_builder().create_unsigned_transaction(
            nonce=state.get_nonce(origin),
            gas_price=0,
            gas=tx.gas,
            to=_raw(tx.to) if tx.to else b"",
            value=tx.value,
            data=tx.data,
        )
        spoofed = SpoofTransaction(unsigned, from_=origin)
        try:
            computation = state.apply_transaction(spoofed)
        except Exception as exc:  # py-evm's own validation; validate() ran first, so unexpected
            raise ChainError(f"transaction rejected by the EVM: {exc}") from None
        gas = int(PragueVM.finalize_gas_used(spoofed, computation))
        if computation.is_error:
            if isinstance(computation.error, Revert):
                return Execution(success=False, gas_used=gas, output=bytes(computation.output), reverted=True)
            return Execution(success=False, gas_used=gas, halt=halt_reason(type(computation.error).__name__))
        logs = tuple(
            RawLog(_hex(address), tuple(t.to_bytes(32, "big") for t in topics), bytes(data))
            for address, topics, data in computation.get_log_entries()
        )
        created = _hex(computation.msg.storage_address) if tx.to is None else None
        return Execution(
            success=True,
            gas_used=gas,
            output=bytes(computation.output) if tx.to else b"",
            logs=logs,
            created=created,
            diff=self._diff(state) if diff else StateDiff(),
        )

    def _diff(self, state: Any) -> StateDiff:
        """Everything the transaction queried, kept where it now differs."""
        witness = state.persist()
        diff = StateDiff()
        for raw in witness.accounts_queried:
            address = _hex(raw)
            after = Account(int(state.get_balance(raw)), int(state.get_nonce(raw)), bytes(state.get_code(raw)))
            if after != self.state.account(address):
                diff.accounts[address] = after
            for slot in witness.get_slots_queried(raw):
                value = int(state.get_storage(raw, slot))
                if value != self.state.slot(address, slot):
                    diff.storage.setdefault(address, {})[slot] = value
        return diff

    def apply(self, diff: StateDiff) -> None:
        """Write committed changes into the trie, then into :attr:`state`."""
        state = self._vm_state()
        for address, account in diff.accounts.items():
            raw = _raw(address)
            if account.is_empty:
                state.delete_account(raw)
                continue
            state.set_balance(raw, account.balance)
            state.set_nonce(raw, account.nonce)
            if account.code != self.state.account(address).code:
                state.set_code(raw, account.code)
        for address, changes in diff.storage.items():
            for slot, value in changes.items():
                state.set_storage(_raw(address), slot, value)
        state.persist()
        self._root = state.state_root
        self.state.apply(diff)
