"""The default engine: revm through pyrevm 0.3.7, with a real chain's per-transaction rules.

pyrevm's ``message_call`` and ``deploy`` run every call in one journal that is
never finalized: storage "original values" and warm account/slot sets would
carry over from one transaction to the next (a second write to a slot charged
as warm and dirty), and ``commit()`` breaks later calls (``CallTooDeep``).
This engine never lets state reach that journal:

* the committed state lives in revm's database (pyrevm's ``CacheDB``), which
  the journal reads through, so every transaction starts cold, with original
  values equal to the committed ones (EIP-2929, EIP-2200, EIP-3529 exactly);
* each transaction runs between ``snapshot()`` and ``revert()``: before the
  revert, the engine reads what changed (accounts from ``journal_state``,
  the written slots from the journal's ``StorageChange`` entries), and the
  chain commits that :class:`StateDiff`, which :meth:`RevmEngine.apply` then
  writes into the database (an insert goes to the database only while the
  account is absent from the journal, so each slot is inserted inside its own
  snapshot/revert pair).

pyrevm 0.3.7 (revm 8) knows forks up to Cancun; it runs with Cancun rules and
this engine adds the one Prague rule that changes gas for these contracts:
EIP-7623's calldata floor (``max(gas, 21,000 + 10 * tokens)``), applied here
and in :func:`~sumchain.chain.execution.validate`. Other Prague changes
(BLS12-381 precompiles, EIP-7702 delegations, the history contract) are never
used by Vyper 0.4.3 code; the differential tests against py-evm's Prague rules
check every receipt. ``message_call`` does not bump the sender's nonce, so the
engine does; gas price is 0, so gas moves no balance; BLOCKHASH is not
modelled (it differs from py-evm, which knows no previous blocks here).
"""

from __future__ import annotations

import re
from typing import Any

import pyrevm
from pyrevm import EVM, BlockEnv, CfgEnv, Env

from sumchain.chain.engines.base import StateCache
from sumchain.chain.execution import (
    Account,
    BlockContext,
    Execution,
    RawLog,
    StateDiff,
    Transaction,
    floor_gas,
    halt_reason,
)
from sumchain.chain.hashing import keccak
from sumchain.errors import ChainError

SPEC = "Cancun"
AccountInfo: Any = pyrevm.AccountInfo
"""pyrevm's account record (its stub omits the ``balance`` argument that the class takes)."""
_COINBASE = "0x" + "00" * 20
_STORAGE_WRITE = re.compile(r"StorageChange \{ address: (0x[0-9a-f]{40}), key: (\d+), had_value: Some")
_STATUS = re.compile(r"status: AccountStatus\(([^)]*)\)")
_JOURNAL_ACCOUNT = re.compile(r"(0x[0-9a-fA-F]{40}): Account \{")
_REVERT = re.compile(r"^Revert \{ gas_used: (\d+), output: 0x([0-9a-f]*) \}$")
_HALT = re.compile(r"^Halt \{ reason: (\w+).*gas_used: (\d+) \}$")
_EMPTY_CODE_HASH = keccak(b"")
_ANALYSIS_PADDING = 33
"""revm keeps analysed code with 33 zero bytes appended; created code is read back through it."""


class RevmEngine:
    """revm with exact per-transaction semantics (see the module docstring).

    Parameters
    ----------
    chain_id : int
        ``block.chainid``.
    block_gas_limit : int
        Gas limit of every block.
    """

    name = "revm"

    def __init__(self, *, chain_id: int, block_gas_limit: int) -> None:
        self.state = StateCache()
        self._evm = EVM(env=Env(cfg=CfgEnv(chain_id=chain_id)), gas_limit=block_gas_limit, spec_id=SPEC)
        self._code_hashes: dict[str, bytes] = {}
        self._block: BlockContext | None = None

    # -- running ---------------------------------------------------------------

    def execute(self, tx: Transaction, block: BlockContext, *, diff: bool = True) -> Execution:
        """Run ``tx`` in ``block``; the engine's state is left as it was (``diff=False``: no state diff)."""
        evm = self._evm
        if block != self._block:
            evm.set_block_env(
                BlockEnv(
                    number=block.number,
                    coinbase=_COINBASE,
                    timestamp=block.timestamp,
                    difficulty=0,
                    prevrandao=block.prevrandao,
                    basefee=0,
                    gas_limit=block.gas_limit,
                    excess_blob_gas=0,
                )
            )
            self._block = block
        checkpoint = evm.snapshot()
        try:
            return self._run(tx, diff)
        finally:
            evm.revert(checkpoint)

    def _run(self, tx: Transaction, diff: bool) -> Execution:
        evm = self._evm
        created = None
        try:
            if tx.to is None:
                created = str(evm.deploy(tx.sender, tx.data, value=tx.value, gas=tx.gas)).lower()
                output = b""
            else:
                output = bytes(evm.message_call(tx.sender, tx.to, calldata=tx.data, value=tx.value, gas=tx.gas))
        except RuntimeError as exc:
            return self._failure(str(exc), tx)
        result = evm.result
        if result is None:
            raise ChainError("revm engine: no result for a finished call (unexpected pyrevm state)")
        logs = tuple(self._log(log) for log in result.logs)
        return Execution(
            success=True,
            gas_used=max(int(result.gas_used), floor_gas(tx.data)),
            output=output,
            logs=logs,
            created=created,
            diff=self._diff(tx.sender) if diff else StateDiff(),
        )

    @staticmethod
    def _log(log: Any) -> RawLog:
        topics, data = log.data
        return RawLog(str(log.address).lower(), tuple(bytes(t) for t in topics), bytes(data))

    @staticmethod
    def _failure(message: str, tx: Transaction) -> Execution:
        """An Execution from pyrevm's error text (the Debug form of revm's result)."""
        reverted = _REVERT.match(message)
        if reverted:
            gas = max(int(reverted[1]), floor_gas(tx.data))
            return Execution(success=False, gas_used=gas, output=bytes.fromhex(reverted[2]), reverted=True)
        halted = _HALT.match(message)
        if halted:
            return Execution(success=False, gas_used=tx.gas, halt=halt_reason(halted[1]))
        raise ChainError(f"transaction rejected by the EVM: {message}")

    # -- what changed ------------------------------------------------------------

    def _diff(self, sender: str) -> StateDiff:
        """Accounts and slots the transaction changed (read before the revert)."""
        evm, state = self._evm, self.state
        journal = evm.journal_str
        accounts = evm.journal_state
        destroyed = self._self_destructed(journal) if "SelfDestructed" in journal else set()
        diff = StateDiff()
        for key, info in accounts.items():
            address = key.lower()
            before = state.account(address)
            if address in destroyed:
                after = Account()
            else:
                code = before.code if before.code else self._code(info)
                after = Account(int(info.balance), int(info.nonce), code)
            if address == sender:
                after = Account(after.balance, before.nonce + 1, after.code)
            if after != before:
                diff.accounts[address] = after
        start = journal.rfind(", journal: [")
        for address, text in set(_STORAGE_WRITE.findall(journal, start)):
            slot = int(text)
            value = int(evm.storage(address, slot))
            if value != state.slot(address, slot):
                diff.storage.setdefault(address, {})[slot] = value
        return diff

    @staticmethod
    def _self_destructed(journal: str) -> set[str]:
        """The accounts a SELFDESTRUCT deleted: in the journal's state, each account's status follows its address.

        (That state is a hash map: its order is not ``journal_state``'s, and changes from one process to the next.)
        """
        addresses = _JOURNAL_ACCOUNT.findall(journal)
        statuses = _STATUS.findall(journal)
        if len(statuses) != len(addresses):
            raise ChainError("revm engine: cannot match the journal's accounts (unexpected pyrevm output)")
        return {a.lower() for a, status in zip(addresses, statuses, strict=True) if "SelfDestructed" in status}

    @staticmethod
    def _code(info: Any) -> bytes:
        """An account's runtime code as deployed (revm may hold it padded)."""
        expected = bytes(info.code_hash)
        if expected == _EMPTY_CODE_HASH:
            return b""
        code = bytes(info.code or b"")
        for candidate in (code, code[:-_ANALYSIS_PADDING]):
            if keccak(candidate) == expected:
                return candidate
        raise ChainError("revm engine: cannot recover a contract's code (unexpected pyrevm output)")

    # -- committing --------------------------------------------------------------

    def apply(self, diff: StateDiff) -> None:
        """Write committed changes into revm's database, then into :attr:`state`."""
        evm = self._evm
        for address, account in diff.accounts.items():
            code_hash = self._code_hashes.get(address)
            if account.code and code_hash is None:
                code_hash = self._code_hashes[address] = keccak(account.code)
                info = AccountInfo(balance=account.balance, nonce=account.nonce, code=account.code)
            elif account.code:
                info = AccountInfo(balance=account.balance, nonce=account.nonce, code_hash=code_hash)
            else:
                self._code_hashes.pop(address, None)
                info = AccountInfo(balance=account.balance, nonce=account.nonce)
            evm.insert_account_info(address, info)
        for address, changes in diff.storage.items():
            for slot, value in changes.items():
                checkpoint = evm.snapshot()
                evm.insert_account_storage(address, slot, value)
                evm.revert(checkpoint)
        self.state.apply(diff)
