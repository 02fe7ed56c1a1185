"""What a transaction will cost, shown before it is signed, and the rule that lets it through.

:class:`~sumchain.chain.rpc.RpcChain` calls its ``confirm`` hook with a
:class:`TransactionPreview` before each transaction on a network that is not
a dev chain; the hook raises to stop it. :class:`Confirmation` is the hook of
the command line (a prompt) and can serve any other front end (a dashboard
passes its own ``ask``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sumchain.errors import DepositLimitExceeded, TransactionDeclined
from sumchain.units import format_amount


@dataclass(frozen=True)
class TransactionPreview:
    """A transaction about to be signed.

    Parameters
    ----------
    chain_id : int
        The network's chain id.
    sender : str
        The signing account.
    to : str or None
        The contract called, None for a deployment.
    value : int
        Wei sent with it (the deposit).
    gas : int
        The gas limit.
    max_fee_per_gas : int
        The highest price per gas the transaction accepts, in wei.
    dev : bool
        Whether the chain is a dev chain (the embedded chain, anvil), where nothing real is at stake.

    Examples
    --------
    >>> preview = TransactionPreview(11155111, "0xA", "0xB", 10**16, 100_000, 3 * 10**9)
    >>> preview.max_gas_fee, preview.max_total
    (300000000000000, 10300000000000000)
    >>> dict(preview.rows())["max gas fee"]
    '0.0003 ETH (100,000 gas at 3 gwei at most)'
    """

    chain_id: int
    sender: str
    to: str | None
    value: int
    gas: int
    max_fee_per_gas: int
    dev: bool = False

    @property
    def max_gas_fee(self) -> int:
        """The most the gas can cost, in wei (usually less is paid)."""
        return self.gas * self.max_fee_per_gas

    @property
    def max_total(self) -> int:
        """The deposit plus the most the gas can cost, in wei."""
        return self.value + self.max_gas_fee

    def rows(self) -> list[tuple[str, str]]:
        """The preview as (label, text) pairs, amounts in ETH, for any front end to show."""
        return [
            ("chain id", str(self.chain_id)),
            ("from", self.sender),
            ("to", self.to or "(new contract)"),
            ("deposit", format_amount(self.value)),
            (
                "max gas fee",
                f"{format_amount(self.max_gas_fee)} ({self.gas:,} gas at "
                f"{format_amount(self.max_fee_per_gas, 'gwei')} at most)",
            ),
            ("total at most", format_amount(self.max_total)),
        ]


class Confirmation:
    """The ``confirm`` hook: refuse a deposit above the limit (on every chain), then ask (on a
    chain that is not a dev chain).

    Parameters
    ----------
    ask : callable, optional
        Shows the preview and returns whether to send; None sends without
        asking (``--yes``). Never called for a dev chain's transaction.
    max_deposit : int, optional
        The largest deposit (value) in wei that may be sent; no limit when None.

    Examples
    --------
    >>> preview = TransactionPreview(11155111, "0xA", "0xB", 10**16, 100_000, 3 * 10**9)
    >>> Confirmation(max_deposit=10**15)(preview)
    Traceback (most recent call last):
    ...
    sumchain.errors.DepositLimitExceeded: sending 0.01 ETH is more than the maximum 0.001 ETH: nothing was sent
    >>> Confirmation(ask=lambda preview: preview.max_total < 10**17)(preview)
    """

    def __init__(
        self, ask: Callable[[TransactionPreview], bool] | None = None, *, max_deposit: int | None = None
    ) -> None:
        self.ask = ask
        self.max_deposit = max_deposit

    def __call__(self, preview: TransactionPreview) -> None:
        """Return to send, raise to stop.

        Raises
        ------
        DepositLimitExceeded
            When the deposit is above ``max_deposit`` (nothing is asked).
        TransactionDeclined
            When ``ask`` says no (not asked on a dev chain).
        """
        if self.max_deposit is not None and preview.value > self.max_deposit:
            raise DepositLimitExceeded(
                f"sending {format_amount(preview.value)} is more than the maximum "
                f"{format_amount(self.max_deposit)}: nothing was sent"
            )
        if self.ask is not None and not preview.dev and not self.ask(preview):
            raise TransactionDeclined("not confirmed: nothing was sent")
