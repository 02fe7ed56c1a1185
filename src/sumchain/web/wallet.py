"""Unsigned transactions for a browser wallet (EIP-1193 ``window.ethereum``).

The server encodes the call with the model's own ABI and sample codec, prices the deposit,
and estimates the gas as the wallet's account (for a contribution, with an excess to pay
back: the deposit falls while the wallet waits, and the contract returns the excess in the
same transaction). A call that would revert fails here, with its decoded reason, and
nothing reaches the wallet. The wallet signs and sends; the server never holds its key.

``SharedModel`` builds and sends in one step today; the argument lists below follow its
``add_data``, ``refund`` and ``report`` exactly, and should move into it (a method that
returns the unsigned call) once the client is open for that change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.client import SharedModel
    from sumchain.contributions import Contribution

GAS_MARGIN_PERCENT = 120
"""Gas sent, in percent of the estimate (as :data:`sumchain.chain.rpc.GAS_MARGIN`)."""


def _call(model: SharedModel, action: str, args: tuple[Any, ...]) -> tuple[bytes, int]:
    """The calldata and value of ``action``: ``add`` (features, label), ``refund`` or ``report`` (a contribution)."""
    if action == "add":
        features, label = args
        return model.abi.encode_call("add_data", model.codec.encode(features), label), model.cost()
    (c,) = args
    contribution: Contribution = c
    data = model.codec.encode(contribution.data)
    if action == "refund":
        return model.abi.encode_call("refund", data, contribution.label, contribution.added_time), 0
    return model.abi.encode_call("report", data, contribution.label, contribution.added_time, contribution.author), 0


def unsigned_transaction(model: SharedModel, sender: str, action: str, *args: Any) -> dict[str, Any]:
    """The transaction a wallet at ``sender`` sends to do ``action`` on ``model``, with hex quantities.

    Parameters
    ----------
    model : SharedModel
        The model.
    sender : str
        The wallet's account (checksummed).
    action : {"add", "refund", "report"}
        ``add`` takes the features and the label; ``refund`` and ``report`` a
        :class:`~sumchain.contributions.Contribution`.

    Returns
    -------
    dict
        ``from``, ``to``, ``data``, ``value``, ``gas`` and ``chainId`` as an EIP-1193
        ``eth_sendTransaction`` takes them, and ``action``.

    Raises
    ------
    ContractReverted
        When the call would revert now (its reason decoded): nothing is for the wallet to send.
    """
    data, value = _call(model, action, args)
    # The deposit falls while the wallet waits for its user; the contract then pays the excess back,
    # which costs gas the exact deposit would not show: the estimate is made with one wei more.
    excess = 1 if action == "add" else 0
    return wallet_transaction(model.chain, sender, model.address, data, action=action, value=value, excess=excess)


def wallet_transaction(
    chain: Chain, sender: str, to: str | None, data: bytes, *, action: str, value: int = 0, excess: int = 0
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

    Returns
    -------
    dict
        ``from``, ``to`` (absent for a creation), ``data``, ``value``, ``gas`` and ``chainId`` as an
        EIP-1193 ``eth_sendTransaction`` takes them, and ``action``.

    Raises
    ------
    ContractReverted
        When it would revert now.
    """
    gas = chain.estimate_gas(to, data, sender=sender, value=value + excess)
    built = {
        "action": action,
        "from": sender,
        "to": to,
        "data": "0x" + data.hex(),
        "value": hex(value),
        "gas": hex(gas * GAS_MARGIN_PERCENT // 100),
        "chainId": hex(int(getattr(chain, "chain_id", 0))),
    }
    return {key: v for key, v in built.items() if v is not None}
