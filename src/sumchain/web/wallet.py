"""Unsigned transactions for a browser wallet (EIP-1193 ``window.ethereum``).

The server encodes the call with the model's own ABI and sample codec, prices the deposit,
and estimates the gas as the wallet's account (for a contribution, with an excess to pay
back: the deposit falls while the wallet waits, and the contract returns the excess in the
same transaction). A call that would revert fails here, with its decoded reason, and
nothing reaches the wallet. The wallet signs and sends; the server never holds its key.

The calls themselves come from the client, unsent (:meth:`SharedModel.add_data_call
<sumchain.client.SharedModel.add_data_call>`, ``refund_call``, ``report_call``,
``next_load``; :meth:`Registry.register_call <sumchain.registry.Registry.register_call>`; a
prediction market's :meth:`Market.add_data_call <sumchain.market.Market.add_data_call>`,
``end_call``, ``next_step_call``, ``withdraw_call``, and its provider's ``fund_call`` and
``provider_step_call``), as the client builds what it sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sumchain.chain.base import Chain

GAS_MARGIN_PERCENT = 120
"""Gas sent, in percent of the estimate (as :data:`sumchain.chain.rpc.GAS_MARGIN`)."""


def wallet_transaction(
    chain: Chain,
    sender: str,
    to: str | None,
    data: bytes,
    *,
    action: str,
    value: int = 0,
    excess: int = 0,
    extra_gas: int = 0,
) -> dict[str, Any]:
    """A transaction for the wallet at ``sender`` to send, its gas estimated now, with hex quantities.

    Parameters
    ----------
    chain : Chain
        Where it goes.
    sender : str
        The wallet's account (checksummed).
    to : str or None
        The contract called; None creates one (``data`` is then its creation code).
    data : bytes
        The calldata.
    action : str
        What it does, for the page.
    value : int
        Wei sent.
    excess : int
        Wei more than ``value`` to estimate the gas with.
    extra_gas : int
        Gas beyond the estimate's margin (see :attr:`Call.extra_gas <sumchain.client.Call>`).

    Returns
    -------
    dict
        ``from``, ``to`` (absent for a creation), ``data``, ``value``, ``gas`` and ``chainId`` as an
        EIP-1193 ``eth_sendTransaction`` takes them, and ``action``.

    Raises
    ------
    ContractReverted
        When it would revert now.
    DepositLimitExceeded
        When ``value`` is past ``sumchain serve --max-deposit`` (:func:`check_limit`).
    """
    check_limit(chain, sender, to, value)
    gas = chain.estimate_gas(to, data, sender=sender, value=value + excess)
    built = {
        "action": action,
        "from": sender,
        "to": to,
        "data": "0x" + data.hex(),
        "value": hex(value),
        "gas": hex(gas * GAS_MARGIN_PERCENT // 100 + extra_gas),
        "chainId": hex(int(getattr(chain, "chain_id", 0))),
    }
    return {key: v for key, v in built.items() if v is not None}


def check_limit(chain: Chain, sender: str, to: str | None, value: int) -> None:
    """Refuse to build or send ``value`` wei past the server's ``--max-deposit`` (the chain's ``confirm``
    hook, asked for its limit alone: nobody is asked anything).

    Raises
    ------
    DepositLimitExceeded
        When ``value`` is more than the limit.
    """
    from sumchain.chain.confirm import TransactionPreview

    confirm = getattr(chain, "confirm", None)
    if confirm is not None and value:
        confirm(TransactionPreview(int(getattr(chain, "chain_id", 0)), sender, to, value, 0, 0, dev=True))
