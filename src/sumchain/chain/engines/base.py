"""What every engine implements, and the Python view of the state they share."""

from __future__ import annotations

from typing import Protocol

from sumchain.chain.execution import Account, BlockContext, Execution, StateDiff, Transaction

_NO_ACCOUNT = Account()


class StateCache:
    """Every account and storage slot of the committed state, in Python dicts.

    The engines compare a transaction's results against it to build the
    :class:`StateDiff`, and the chain reads balances and nonces from it.
    """

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.storage: dict[str, dict[int, int]] = {}

    def account(self, address: str) -> Account:
        """The account at ``address`` (empty if it does not exist)."""
        return self.accounts.get(address, _NO_ACCOUNT)

    def slot(self, address: str, key: int) -> int:
        """One storage value (0 if never written)."""
        slots = self.storage.get(address)
        return slots.get(key, 0) if slots else 0

    def apply(self, diff: StateDiff) -> None:
        """Take in committed changes."""
        for address, account in diff.accounts.items():
            if account.is_empty:
                self.accounts.pop(address, None)
            else:
                self.accounts[address] = account
        for address, changes in diff.storage.items():
            slots = self.storage.setdefault(address, {})
            for key, value in changes.items():
                if value:
                    slots[key] = value
                else:
                    slots.pop(key, None)

    def undo(self, diff: StateDiff) -> StateDiff:
        """The diff that brings the state back from after ``diff`` to now."""
        return StateDiff(
            accounts={address: self.account(address) for address in diff.accounts},
            storage={
                address: {key: self.slot(address, key) for key in changes} for address, changes in diff.storage.items()
            },
        )


class Engine(Protocol):
    """An EVM that runs transactions against a committed state it keeps in memory."""

    name: str
    state: StateCache

    def execute(self, tx: Transaction, block: BlockContext, *, diff: bool = True) -> Execution:
        """Run ``tx`` in ``block`` against the committed state; commit nothing.

        The transaction has passed :func:`~sumchain.chain.execution.validate`.
        With ``diff=False`` (calls, estimates) the state diff is not computed.
        """
        ...

    def apply(self, diff: StateDiff) -> None:
        """Commit state changes (this engine's own, or another process's)."""
        ...
