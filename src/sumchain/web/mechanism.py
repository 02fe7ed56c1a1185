"""Everything the dashboard knows about the incentive mechanism, in one place.

The page never branches on the mechanism's name: it shows what these functions
say (the deposit, the waits, each contribution's state and which actions are
open, with a reason when one is not, the leaderboard). They ask the model's
:class:`~sumchain.incentives.Mechanism` object (``SharedModel.mechanism``) for
its cost, windows, states and standings, so Deposit, Refund and Take and
Points look alike here.

Amounts are decimal strings of wei (JavaScript numbers hold 53 bits, deposits
need up to 96) beside a text in ETH; times are chain seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sumchain.cli.output import countdown
from sumchain.incentives.deposit_refund_take import duration
from sumchain.units import format_amount

if TYPE_CHECKING:
    from sumchain.client import SharedModel
    from sumchain.contributions import Contribution


def amount(wei: int) -> dict[str, str]:
    """An amount as JSON: exact wei in a string, and a text in ETH.

    >>> amount(10**15)
    {'wei': '1000000000000000', 'text': '0.001 ETH'}
    """
    return {"wei": str(wei), "text": format_amount(wei)}


WEI_FIGURES = ("stake", "cost_weight", "bounty", "bounty_left", "first_rounds", "second_rounds")
"""Figures in wei, or counted in wei (a market's rounds), that may outgrow JavaScript's exact integers (2**53)."""


def exact(figures: dict[str, Any]) -> dict[str, Any]:
    """``figures`` with each of :data:`WEI_FIGURES` as a decimal string, nested ``parameters`` too.

    >>> exact({"stake": 10**18, "min_duration": 3600, "parameters": {"cost_weight": 2**60}})
    {'stake': '1000000000000000000', 'min_duration': 3600, 'parameters': {'cost_weight': '1152921504606846976'}}
    """
    shown: dict[str, Any] = {key: str(value) if key in WEI_FIGURES else value for key, value in figures.items()}
    if isinstance(figures.get("parameters"), dict):
        shown["parameters"] = exact(figures["parameters"])
    return shown


LATER = (("in 1 hour", 3_600), ("in 1 day", 86_400), ("in 1 week", 604_800))
"""When the page shows what a contribution would cost: the deposit falls as time passes without one."""


def _deposit_later(model: SharedModel) -> list[dict[str, Any]]:
    """The deposit after each wait of :data:`LATER`, from the last accepted contribution's time."""
    answer = model.chain.call(model.address, model.abi.encode_call("last_update_time"))
    last = int(model.abi.decode_output("last_update_time", answer))
    now = model.chain.time()
    return [{"when": when, "deposit": amount(model.mechanism.cost(now + wait - last))} for when, wait in LATER]


def contribution_count(model: SharedModel) -> int:
    """How many contributions the model has: its claims, or a prediction market's stakes."""
    from sumchain.incentives import Mechanism
    from sumchain.market import Market

    if issubclass(model.mechanism_class, Mechanism):
        return len(model.contributions(everyone=True))
    return len(Market(model).contributions())


def mechanism_summary(model: SharedModel) -> dict[str, Any]:
    """The model's mechanism as the page shows it: its name, the deposit now and later, its waits.

    Parameters
    ----------
    model : SharedModel
        The model.

    Returns
    -------
    dict
        ``name``, ``kind`` (``claims``; ``market`` for a prediction market, whose page is
        :mod:`sumchain.web.market`'s and whose summary has only ``name``, ``kind``,
        ``parameters`` and ``summary``), ``parameters`` (by name), ``deposit_now`` (see
        :func:`amount`), ``deposit_later`` (the deposit of a contribution sent after each of
        :data:`LATER` if no other comes first), ``waits`` (a list of ``{"what", "seconds", "text"}``,
        those the mechanism has, the text as the command line writes it) and ``summary``, its sentence
        for people.
    """
    from sumchain.incentives import Mechanism

    if not issubclass(model.mechanism_class, Mechanism):
        from sumchain.market import Market

        market = Market(model)
        return {
            "name": model.mechanism_title,
            "kind": "market",
            "parameters": exact(market.parameters.to_json()),
            "summary": "Contributors stake on labelled samples while participation is open; each is then "
            "scored on a hidden test set the provider reveals, and the bounty pays for the improvement.",
        }
    mechanism = model.mechanism
    cost_now = model.cost()
    windows = mechanism.windows(0)
    waits = [
        {"what": what, "seconds": seconds, "text": duration(seconds)}
        for what, seconds in (
            ("refunds (validations) and reports open", windows.refundable_from),
            ("the owner may take what is left", windows.owner_claim_from),
            ("anyone may take what is left", windows.any_claim_from),
        )
        if seconds is not None
    ]
    return {
        "name": mechanism.title,
        "kind": "claims",
        "parameters": exact(mechanism.to_json()),
        "deposit_now": amount(cost_now),
        "deposit_later": _deposit_later(model),
        "waits": waits,
        "summary": mechanism.summary(cost_now),
    }


def _step(allowed: bool, why: str = "", opens_in: int = 0) -> dict[str, Any]:
    """One action's state: whether it is open now, else why not and in how many seconds it opens."""
    return {"allowed": allowed, "why": why, "opens_in": opens_in, "opens_in_text": countdown(opens_in)}


def _entry(model: SharedModel, c: Contribution, prediction: int | None) -> dict[str, Any]:
    """A contribution as JSON, with class names and amounts the page can print."""
    return c.to_json() | {
        "class_name": model.class_name(c.label),
        "deposit": amount(c.deposit),
        "claimable": amount(c.claimable),
        "predicted": prediction,
        "predicted_name": None if prediction is None else model.class_name(prediction),
    }


def contribution_views(
    model: SharedModel, contributions: Sequence[Contribution], *, viewer: str, now: int
) -> dict[str, Any]:
    """The viewer's contributions with refund states, and others' that the model now rejects, with report states.

    Parameters
    ----------
    model : SharedModel
        The model.
    contributions : sequence of Contribution
        All of the model's contributions, in order.
    viewer : str
        The account looking (checksummed address).
    now : int
        The chain's time.

    Returns
    -------
    dict
        ``mine``: every contribution of the viewer, each with a ``refund`` step;
        ``report_candidates``: others' contributions with something left that the
        model now rejects, each with a ``report`` step; ``leaderboard``: the mechanism's
        standings, best first (``score`` as a decimal string of wei gained or points, and
        ``score_text``); ``now``.
    """
    mechanism = model.mechanism
    open_ = [c for c in contributions if not mechanism.settled(c)]
    predicted = dict(zip((c.id for c in open_), model.predict_many([c.data for c in open_]), strict=True))
    mine = []
    for c in contributions:
        if c.author != viewer:
            continue
        entry = _entry(model, c, predicted.get(c.id))
        if c.id not in predicted:
            entry["refund"] = _step(False, f"nothing to do: {c.status}")
        elif now < c.refundable_from:
            entry["refund"] = _step(False, "the refund wait is not over", c.refundable_from - now)
        elif predicted[c.id] != c.label:
            entry["refund"] = _step(False, f"the model now predicts {model.class_name(predicted[c.id])}")
        else:
            entry["refund"] = _step(True)
        mine.append(entry)
    valid = model.num_valid(viewer) if open_ else 0
    candidates = []
    for c in open_:
        if c.author == viewer or predicted[c.id] == c.label:
            continue
        entry = _entry(model, c, predicted[c.id])
        if _claim_open(c.any_claim_from, now) or (viewer == model.owner and _claim_open(c.owner_claim_from, now)):
            entry["report"] = _step(True, "the claim window is open: reporting takes all that is left")
        elif now < c.refundable_from:
            entry["report"] = _step(False, "the refund wait is not over", c.refundable_from - now)
        elif viewer in c.reported_by:
            entry["report"] = _step(False, "you reported it already")
        elif valid == 0:
            entry["report"] = _step(False, "you need a refunded (validated) contribution of your own first")
        else:
            entry["report"] = _step(True)
        candidates.append(entry)
    standings = [
        s.to_json() | {"score": str(s.score), "score_text": mechanism.format_score(s.score)}
        for s in mechanism.standings(contributions)
    ]
    return {"now": now, "mine": mine, "report_candidates": candidates, "leaderboard": standings}


def _claim_open(since: int | None, now: int) -> bool:
    """Whether a claim window (None: the mechanism has none) is open at ``now``."""
    return since is not None and now >= since
