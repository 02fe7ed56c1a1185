"""A simulation on a dev node (anvil) reached over JSON-RPC, instead of the embedded chain.

:func:`on_node` makes the node keep time and charge as the embedded chain does: each block one
second after the last, whatever the wall clock does (``anvil_setBlockTimestampInterval``), the
clock moved only by the simulation, and no gas paid (a base fee and a tip of 0), so that balances
change only by what the agents send. Each account the scenario needs gets the balance a fresh
embedded chain would give it (``anvil_setBalance``); accounts past anvil's ten are the next keys
of its dev mnemonic. On a fresh node the same scenario and seed give the same run as on the
embedded chain, to the wei, but for the prediction market: its draw comes from the chain's
randomness (``prevrandao``), which differs between the two, so its payouts may differ. The
node's clock goes back to the wall clock's pace afterwards, days or a year ahead of it; the
balances stay as the run left them, and the base fee stays 0. Use a node of its own: others
sending transactions to it meanwhile would change the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sumchain.chain.accounts import DEV_ACCOUNT_COUNT, dev_private_keys
from sumchain.chain.base import Receipt
from sumchain.chain.rpc import PendingTransaction, RpcChain
from sumchain.errors import ChainError, SumchainError
from sumchain.sim.runner import account_funding
from sumchain.sim.scenario import Scenario

BLOCK_SECONDS = 1
"""Seconds between two blocks of the simulation, as on the embedded chain."""


class SteppedNode(RpcChain):
    """An anvil node whose clock the simulation steps: :meth:`advance_time` mines a block exactly
    ``seconds`` after the latest one (``evm_mine`` with its time), as the embedded chain does;
    with :func:`on_node`'s interval, blocks in between follow one another by :data:`BLOCK_SECONDS`.

    Only this chain mines on the node (a simulation needs a node of its own), so :meth:`time` asks
    the node again only after this chain sent something: a simulation reads the time several times
    a turn."""

    _now: int | None = None
    """The latest block's time, while nothing was sent since it was read; None after."""

    def time(self) -> int:
        """Timestamp of the latest block (read again after each transaction or request this chain sends)."""
        if self._now is None:
            self._now = super().time()
        return self._now

    def request(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC request; see :meth:`RpcChain.request`. It may mine: the time is read again after it."""
        self._now = None
        return super().request(method, *params)

    def send(self, *args: Any, **kwargs: Any) -> PendingTransaction:
        """See :meth:`RpcChain.send`; the time is read again after it."""
        self._now = None
        return super().send(*args, **kwargs)

    def send_many(self, *args: Any, **kwargs: Any) -> list[PendingTransaction]:
        """See :meth:`RpcChain.send_many`; the time is read again after them."""
        self._now = None
        return super().send_many(*args, **kwargs)

    def _mined(self, pending: PendingTransaction, mined: Mapping[str, Any]) -> Receipt:
        self._now = None  # it may have been read before the transaction was mined
        return super()._mined(pending, mined)

    def advance_time(self, seconds: int) -> None:
        """Mine an empty block ``seconds`` after the latest one.

        Raises
        ------
        ChainError
            For negative ``seconds``.
        """
        if seconds < 0:
            raise ChainError("time only moves forward")
        now = self.time() + seconds
        self.request("evm_mine", now)
        self._now = now


@contextmanager
def on_node(
    scenario: Scenario, url: str, *, timeout: float = 30, receipt_timeout: float = 300
) -> Iterator[SteppedNode]:
    """The node at ``url``, ready to run ``scenario`` (:func:`~sumchain.sim.runner.simulate`'s ``chain``).

    Parameters
    ----------
    scenario : Scenario
        Its agents' accounts and the bank's, each given what :func:`~sumchain.sim.runner.new_chain` gives
        (:func:`~sumchain.sim.runner.account_funding`).
    url : str
        The node's HTTP(S) address.
    timeout, receipt_timeout : float
        As :class:`~sumchain.chain.rpc.RpcChain`'s.

    Yields
    ------
    SteppedNode
        The node, signing for the scenario's accounts.

    Raises
    ------
    SumchainError
        For a node that is not anvil (a simulation sets its clock and balances).

    Notes
    -----
    With an anvil node listening at ``http://127.0.0.1:8545``::

        scenario = load_scenario("smoke")
        with on_node(scenario, "http://127.0.0.1:8545") as chain:
            run = simulate(scenario, chain=chain)
    """
    n_accounts, balance = account_funding(scenario)
    extra = dev_private_keys(max(n_accounts, DEV_ACCOUNT_COUNT))[DEV_ACCOUNT_COUNT:]
    chain = SteppedNode(url, keys=extra, timeout=timeout, receipt_timeout=receipt_timeout, priority_fee=0)
    if not chain.is_dev:
        raise SumchainError(f"{url} is not a dev node: a simulation sets its clock and balances (use anvil)")
    try:
        chain.request("anvil_setBlockTimestampInterval", BLOCK_SECONDS)
    except ChainError as exc:
        raise SumchainError(f"{url} cannot run a simulation, it needs anvil's dev methods: {exc}") from None
    try:
        chain.request("anvil_setNextBlockBaseFeePerGas", "0x0")
        chain.request("evm_mine")
        for account in chain.accounts[:n_accounts]:
            chain.set_balance(account, balance)
        yield chain
    except BaseException as exc:
        try:  # the node may be gone: the error that ended the run is the one to tell
            chain.request("anvil_removeBlockTimestampInterval")
        except ChainError as cleanup:
            exc.add_note(f"and the node's clock could not be put back: {cleanup}")
        raise
    chain.request("anvil_removeBlockTimestampInterval")
