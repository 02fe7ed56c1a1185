"""What the dashboard shows of a prediction market, and the steps it takes on one.

A market has phases rather than claims (see :mod:`sumchain.market`): its page shows the
phase with a line of what happens now and who may act, the figures of
:meth:`Market.status` as amounts and times, the staked contributions with their scores, and
what each account is owed once the market settled. Every figure comes from
:class:`~sumchain.market.Market`; the contract decides what is allowed, and its revert
reason is what the page shows when a step is refused.

A dev account's steps are sent here (:func:`push` sends batches); a browser wallet's are built
unsent, one transaction at a time, from :class:`~sumchain.market.Market`'s unsent calls
(:func:`next_step` is the next push), and the wallet sends them.

The provider commits and reveals its hidden test set from the page too: the dashboard keeps each
test set it is given, split into pieces with their salts, in a file of its own in its workspace
(:func:`provider_test_set`), finds the one the market committed to (the file of ``sumchain market
commit`` too, and ``sumchain market reveal`` finds the dashboard's), and sends the provider's
steps (:func:`provide`) or builds them for its wallet (:meth:`Market.provider_step_call
<sumchain.market.Market.provider_step_call>`). Before participation opens the provider may
cancel the market (its bounty back).

Amounts are as :func:`sumchain.web.mechanism.amount` gives them; times are chain seconds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sumchain.chain.hashing import checksum
from sumchain.cli.output import countdown
from sumchain.incentives.prediction_market import SETTLED
from sumchain.web.errors import ApiError, shown
from sumchain.web.mechanism import amount, exact

if TYPE_CHECKING:
    from sumchain.client import Call
    from sumchain.market import HiddenTestSet, Market
    from sumchain.web.dashboard import Dashboard

PUSH_LIMIT = 64
"""Most evaluation transactions one push sends (the page pushes again while there is more)."""
MAX_KEPT_TEST_SETS = 8
"""Most test sets the dashboard keeps for one market before any is committed to (each gets a file of its
own, never chosen over the one the market commits to)."""
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
PUSHED = ("evaluate", *SETTLED)
"""The phases in which anyone may push the market forward (:func:`push`)."""
WALLET_ACTIONS = ("stake", "push", "end", "withdraw", "provide", "cancel")
"""What a browser wallet may do on a market's page, one unsigned transaction at a time (``provide``: the
provider's next step; ``cancel``: the provider's, before participation opens)."""


def phase_line(phase: str, figures: dict[str, Any], now: int) -> str:
    """What happens in ``phase`` and who may act, in a sentence for people.

    Parameters
    ----------
    phase : str
        The phase's name (:data:`sumchain.incentives.prediction_market.PHASES`).
    figures : dict
        :meth:`Market.status` of the market.
    now : int
        The chain's time.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> figures = {"applied": 1, "num_contributions": 3, "moved_at": 0, "parameters": {"claim_wait": 86_400}}
    >>> phase_line("evaluate", figures, 0)
    'Anyone may push the evaluation: each contribution is learned in turn and scored on the test set (1 of 3 applied).'
    """
    p = figures.get("parameters", {})
    if phase == "commit":
        return "The provider commits the hidden test set's pieces and funds the bounty; nobody else acts yet."
    if phase == "sealed":
        return "The test set is sealed: anyone may draw the piece the provider reveals first."
    if phase == "drawn":
        return "The provider reveals the drawn piece of the test set; participation opens then."
    if phase == "participation":
        closes = figures["opened_at"] + p["min_duration"]
        fewer = figures["num_contributions"] < p["min_contributions"]
        return (
            f"Anyone may stake {amount(p['stake'])['text']} on a labelled sample. Anyone may end participation "
            f"{countdown(closes - now)} once it has {p['min_contributions']} contribution"
            f"{'s' if p['min_contributions'] != 1 else ''}"
            + (f", or with fewer {countdown(closes + p['claim_wait'] - now)}." if fewer else ".")
        )
    if phase == "reveal":
        left = figures["reveal_deadline"] - now
        if left > 0:
            return (
                f"Participation ended: the provider reveals the rest of the test set, before the deadline "
                f"({countdown(left)}); after it, anyone may give the bounty to the contributors."
            )
        to = "the contributors" if figures["num_contributions"] else "the provider (nobody contributed)"
        return f"The provider missed the reveal deadline: anyone may push the market, which gives the bounty to {to}."
    if phase == "evaluate":
        line = (
            "Anyone may push the evaluation: each contribution is learned in turn and scored on the test set "
            f"({figures['applied']} of {figures['num_contributions']} applied)."
        )
        if now >= figures["moved_at"] + figures["parameters"]["claim_wait"]:
            line += (
                " It has not moved for the claim wait: if its next step is refused, a push gives it up "
                "(each stake back with a share of the bounty)."
            )
        return line
    if phase == "reward":
        return "Every contribution is scored: anyone may push the settlement, which credits each contributor."
    if phase == "forfeited":
        if not figures["num_contributions"]:
            return "Forfeited with no contributor: anyone may push the settlement, which gives the bounty back."
        return "The bounty is forfeited: anyone may push the settlement (each stake back with a share of the bounty)."
    if phase == "abandoned":
        return (
            "The evaluation was given up (it had not moved for the claim wait): anyone may push the settlement, "
            "which gives each stake back with a share of the bounty, as after a forfeit."
        )
    if not figures["opened_at"]:
        return "The provider cancelled the market before participation opened: it withdraws its bounty."
    return "The market is settled: each account withdraws what it is owed (the provider: the bounty left)."


def market_view(market: Market, viewer: str, now: int) -> dict[str, Any]:
    """The market as its page shows it.

    Parameters
    ----------
    market : Market
        The market.
    viewer : str
        The account looking (checksummed address): its ``owed`` is given.
    now : int
        The chain's time.

    Returns
    -------
    dict
        ``phase`` and ``phase_line`` (:func:`phase_line`); ``figures`` (:meth:`Market.status`:
        counts and seconds); ``bounty``, ``bounty_left`` and ``stake`` as amounts;
        ``first_piece_size`` (samples in the piece revealed first, None before it);
        ``participation_closes`` (``opened_at`` plus the minimum duration, None before it opens)
        and ``participation_closes_in`` (its countdown); ``participation_ended`` and
        ``reveal_deadline`` (None before participation ends);
        ``contributions`` (index, contributor, data, label, class name, score or None);
        ``accounts`` (each contributor and the provider with what it is owed now);
        ``viewer`` and ``owed`` (the viewer's, as an amount); ``may_cancel`` (whether the provider may
        cancel now, :meth:`Market.may_cancel <sumchain.market.Market.may_cancel>`); ``now``.
    """
    model = market.model
    figures = market.status()
    phase = figures["phase"]
    parameters = figures["parameters"]
    pieces = market.revealed_pieces() if figures["num_revealed"] else {}
    first = pieces.get(figures["first_piece"])
    opened = figures["num_revealed"] > 0 and phase not in ("commit", "sealed", "drawn")
    closes = figures["opened_at"] + parameters["min_duration"] if opened else None
    deadline = figures["reveal_deadline"]
    scores = market.scores()
    staked = market.contributions()
    contributions = [
        {
            "index": index,
            "contributor": contributor,
            "data": list(data),
            "label": label,
            "class_name": model.class_name(label),
            "score": scores[index] if index < len(scores) else None,
        }
        for index, contributor, data, label in staked
    ]
    accounts = list(dict.fromkeys([c for _, c, _, _ in staked] + [model.owner]))
    return {
        "address": market.address,
        "now": now,
        "phase": phase,
        "phase_line": phase_line(phase, figures, now),
        "figures": exact(figures),
        "bounty": amount(figures["bounty"]),
        "bounty_left": amount(figures["bounty_left"]),
        "stake": amount(parameters["stake"]),
        "first_piece_size": None if first is None else len(first.samples),
        "participation_closes": closes,
        "participation_closes_in": None if closes is None else countdown(closes - now),
        "participation_ended": deadline - parameters["reveal_window"] if deadline else None,
        "reveal_deadline": deadline or None,
        "contributions": contributions,
        "accounts": [{"account": a, "provider": a == model.owner, "owed": amount(market.owed(a))} for a in accounts],
        "viewer": viewer,
        "owed": amount(market.owed(viewer)),
        "may_cancel": market.may_cancel(),
    }


def _nothing(what: str, market: Market, phase: str, now: int) -> ApiError:
    """The refusal of a step in ``phase`` (``what``: "nothing to push"...), with what happens in it."""
    return ApiError(409, f"{what} in the {phase} phase: {phase_line(phase, market.status(), now)}")


def push(market: Market, sender: str, limit: int, now: int) -> dict[str, Any]:
    """Push the evaluation, then the settlement, by at most ``limit`` transactions (anyone may); once the
    provider missed its reveal deadline, forfeit the bounty to the contributors first; once the evaluation is
    stuck (:meth:`~sumchain.market.Market.evaluation_stuck`), give it up first.

    Parameters
    ----------
    market : Market
        The market, in one of the phases of :data:`PUSHED`, or past its reveal deadline.
    sender : str
        Who sends (and pays the gas).
    limit : int
        Evaluation transactions to send at most in this call (the settlement follows when they
        were fewer).
    now : int
        The chain's time (for the refusal's sentence).

    Returns
    -------
    dict
        ``sent`` (transactions), ``phase`` after them, ``applied`` of ``num_contributions``, and
        ``more`` (whether another push has work to do).

    Raises
    ------
    ApiError
        409 in another phase, with what happens in it.
    """
    phase = market.phase()
    missed = phase == "reveal" and market.deadline_missed()
    if phase not in PUSHED and not missed:
        raise _nothing("nothing to push", market, phase, now)
    sent = 0
    if missed:  # the bounty goes to the contributors, and the settlement follows
        market.forfeit(sender=sender)
        sent = 1
    elif market.evaluation_stuck():  # paid as a forfeit, and the settlement follows
        market.abandon(sender=sender)
        sent = 1
    sent += market.evaluate(sender=sender, limit=limit)
    if sent < limit and market.phase() in SETTLED:
        sent += market.settle(sender=sender)
    phase = market.phase()
    figures = market.status()
    return {
        "sent": sent,
        "phase": phase,
        "applied": figures["applied"],
        "num_contributions": figures["num_contributions"],
        "more": phase in PUSHED,
    }


def next_step(market: Market, now: int) -> tuple[str, Call]:
    """The one transaction that pushes the market forward now, unsent, for a browser wallet (anyone may send it).

    Parameters
    ----------
    market : Market
        The market.
    now : int
        The chain's time (for the refusal's sentence).

    Returns
    -------
    tuple of str and Call
        The contract function it calls (``evaluate``, ``apply_next``, ``settle``, ``forfeit`` or
        ``abandon``) and the call
        (:meth:`Market.next_step_call`).

    Raises
    ------
    ApiError
        409 in a phase with nothing to push, with what happens in it.
    """
    call = market.next_step_call()
    if call is None:
        raise _nothing("nothing to push", market, market.phase(), now)
    return market.model.abi.function_name(call.data) or "push", call


def upload_message(market: Market, tag: str) -> str:
    """What a browser wallet signs (``personal_sign``) to give the dashboard a new test set in the provider's
    name: the market, its chain and the test set (:func:`~sumchain.market.hidden_set_tag`), so that a
    signature serves for nothing else."""
    chain_id = int(getattr(market.chain, "chain_id", 0))
    return f"sumchain: keep the hidden test set {tag} for the prediction market {market.address} on chain {chain_id}"


def check_upload_signature(market: Market, tag: str, signature: object) -> None:
    """Check that the provider signed :func:`upload_message` for this test set.

    Raises
    ------
    ApiError
        401 without a signature, with the message to sign (``sign``); 400 for a malformed one; 403
        for another account's.
    """
    from eth_account import Account
    from eth_account.messages import encode_defunct
    from eth_keys.exceptions import BadSignature

    message = upload_message(market, tag)
    if signature is None:
        raise ApiError(
            401, "the dashboard keeps a new test set only for the provider: sign the message", {"sign": message}
        )
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise ApiError(400, f"signature must be 0x and 65 bytes in hex, got {shown(signature)}")
    try:
        signer = checksum(Account.recover_message(encode_defunct(text=message), signature=signature))
    except (ValueError, BadSignature):
        signer = None
    provider = market.model.owner
    if signer != provider:
        raise ApiError(403, f"the signature is not the provider's ({provider}): nothing was written")


def provider_test_set(
    board: Dashboard, market: Market, sender: str, body: dict[str, Any], *, signed: bool = True
) -> HiddenTestSet:
    """The provider's hidden test set of ``market``, as the dashboard keeps it in its workspace.

    In the commit phase, the request's ``test_set`` (a list of {"text" or "sample", "label"}, as
    ``sumchain market commit`` reads it) is split into ``pieces`` (by default the fewest) and
    kept first, in a file of its own (:func:`~sumchain.market.hidden_set_tag` names it: the same
    request carries on the same file, and no file is ever written over). Later, the kept test
    set whose pieces the market committed to (:func:`~sumchain.market.find_kept_test_set`, which
    finds the file of ``sumchain market commit`` too) is what the provider reveals.

    ``signed`` says whether ``sender`` is known to send the request (a dev account the dashboard
    signs for); a browser wallet's ``from`` is not, so a new file is written for it only with the
    provider's signature of :func:`upload_message` in ``signature`` (:func:`check_upload_signature`).

    Raises
    ------
    ApiError
        403 for anyone but the provider; 401, 400 or 403 for a missing, malformed or another's
        signature of a wallet's new test set; 409 on a dashboard without a workspace, for a test set
        given after the commit phase, or with none kept for the market's commitments; 400 for a
        malformed test set or ``pieces``, or none given in the commit phase. Nothing is written then.
    SumchainError
        For a test set the model refuses, pieces that do not fit it, or another test set than
        the one the market holds commitments of (400).
    """
    from sumchain.cli.inputs import labelled_samples
    from sumchain.market import find_kept_test_set, hidden_set_file, hidden_set_tag, kept_test_set

    provider = market.model.owner
    if sender != provider:
        raise ApiError(403, f"only the market's provider, {provider}, commits and reveals its test set")
    folder = board.workspace
    if folder is None:
        raise ApiError(409, "this dashboard keeps no test sets (it has no workspace, as sumchain serve gives it)")
    phase, rows = market.phase(), body.get("test_set")
    if rows is not None:
        if phase != "commit":
            raise ApiError(409, f"the market is in the {phase} phase: its test set was committed already")
        pieces = body.get("pieces")
        if pieces is not None and (isinstance(pieces, bool) or not isinstance(pieces, int)):
            raise ApiError(400, f"pieces must be a whole number, got {shown(pieces)}")
        samples, labels = labelled_samples(market.model, rows, where="test_set")
        tag = hidden_set_tag(samples, labels, pieces, market.identity)
        path = hidden_set_file(folder, market.address, tag)
        new = not path.exists() and not market.committed_pieces()
        if new and not signed:
            check_upload_signature(market, tag, body.get("signature"))
        kept = list(folder.glob(f"market-{market.address}*.json"))
        if new and len(kept) >= MAX_KEPT_TEST_SETS:
            raise ApiError(
                409,
                f"this dashboard keeps {len(kept)} test sets for the market at {market.address} already, none "
                "committed to: commit one of them, or cancel the market",
            )
        folder.mkdir(exist_ok=True)
        hidden, _, _ = kept_test_set(market, samples, labels, path, pieces=pieces, folder=folder)
        return hidden
    found = find_kept_test_set(folder, market)
    if found is not None:
        return found[0]
    if phase == "commit" and not market.committed_pieces():
        raise ApiError(400, 'give the test_set to commit: a list of {"text" or "sample", "label"} objects')
    raise ApiError(
        409,
        f"this dashboard keeps no test set the market at {market.address} committed to: its provider carries on "
        "with the file of its commit (sumchain market commit or reveal --secret FILE)",
    )


_NOTHING_TO_PROVIDE = "nothing for the provider to send"


def provide(market: Market, test_set: HiddenTestSet, sender: str, now: int) -> dict[str, Any]:
    """Send the provider's steps of the market's stage (:meth:`Market.provide <sumchain.market.Market.provide>`).

    Returns
    -------
    dict
        ``sent`` (what each transaction did, in order), ``phase`` after them, ``num_pieces`` and
        ``num_revealed``.

    Raises
    ------
    ApiError
        409 when the provider has nothing to send in this phase, with what happens in it.
    """
    sent = market.provide(test_set, sender=sender)
    figures = market.status()
    if not sent:
        raise _nothing(_NOTHING_TO_PROVIDE, market, figures["phase"], now)
    return {
        "sent": sent,
        "phase": figures["phase"],
        "num_pieces": figures["num_pieces"],
        "num_revealed": figures["num_revealed"],
    }


def next_provider_step(market: Market, test_set: HiddenTestSet, now: int) -> tuple[str, Call]:
    """The provider's next transaction, unsent, for a browser wallet (see :meth:`Market.provider_step_call
    <sumchain.market.Market.provider_step_call>`).

    Raises
    ------
    ApiError
        409 when the provider has nothing to send in this phase, with what happens in it.
    """
    step = market.provider_step_call(test_set)
    if step is None:
        raise _nothing(_NOTHING_TO_PROVIDE, market, market.phase(), now)
    return step
