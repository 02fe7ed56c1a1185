"""Commands of contributors: ``add``, ``contributions``, ``refund``, ``report``, ``withdraw``, ``leaderboard``.

A contribution is named by its id (``12`` or ``#12``, as ``contributions``
shows it) or its key (``0x3fa2...``, or a unique prefix): refunding or
reporting it needs nothing else.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.inputs import describe, sample_from
from sumchain.cli.models import ImageOption, SampleOption, Text
from sumchain.cli.output import countdown, eth, out, when

if TYPE_CHECKING:
    from sumchain.client import SharedModel
    from sumchain.contributions import Contribution

Reference = Annotated[
    str, typer.Argument(help="The contribution: its id (12 or #12) or key (0x..., a prefix will do).")
]


@app.command()
def add(
    label: Annotated[str, typer.Option(help="The class: its name (or a unique prefix) or its number.")],
    text: Text = None,
    sample: SampleOption = None,
    image: ImageOption = None,
    value: Annotated[str | None, typer.Option(help="Amount to send, e.g. 0.01ether; default: the deposit now.")] = None,
) -> None:
    """Add a labelled input, paying the current deposit if the mechanism asks one (any excess comes back)."""
    from sumchain.units import parse_amount

    model = session.model()
    features = sample_from(model, text, sample, image)
    number = model.check_label(label)
    if value is None:
        out.print(f"Deposit now: {eth(model.cost())}")
    added = model.add_data(
        features, number, sender=session.account, value=None if value is None else parse_amount(value)
    )
    c = added.contribution
    out.print(
        f"Added contribution #{c.id} (key 0x{c.key.hex()[:10]}): {describe(model, c.label)}, "
        f"at time {c.added_time} ({when(c.added_time)}); deposit {eth(added.cost)}."
    )
    out.print(f"Refundable (validated) from {when(c.refundable_from)} if the model then agrees: sumchain refund {c.id}")


def _row(model: SharedModel, c: Contribution, now: int, everyone: bool) -> list[str]:
    """One table row; ``--json`` has everything in full."""
    if model.mechanism.settled(c):
        next_step = ""
    elif now < c.refundable_from:
        next_step = f"refund/report {countdown(c.refundable_from - now)}"
    elif c.any_claim_from is None:
        next_step = "refund/report"
    elif now < c.any_claim_from:
        next_step = f"refund/report; anyone takes it {countdown(c.any_claim_from - now)}"
    else:
        next_step = "anyone may take it"
    author = [f"{c.author[:6]}…{c.author[-4:]}"] if everyone else []
    sample = ",".join(map(str, c.data[:3])) + ("…" if len(c.data) > 3 else "")
    added = when(c.added_time)[:16]
    return [f"#{c.id}", *author, added, model.class_name(c.label), sample, eth(c.claimable), c.status, next_step]


@app.command()
def contributions(
    everyone: Annotated[bool, typer.Option("--all", help="Every account's contributions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print everything in full, as JSON.")] = False,
    from_chain: Annotated[
        bool, typer.Option("--from-chain", help="Replay the events from the chain even when an index is up to date.")
    ] = False,
) -> None:
    """List contributions (yours, or --all) with their deposits, state and what can happen next."""
    from rich.table import Table

    model = session.model()
    found = model.contributions(session.account, everyone=everyone, use_index=not from_chain)
    if as_json:
        typer.echo(json.dumps([c.to_json() | {"class": model.class_name(c.label)} for c in found], indent=1))
        return
    if not found:
        out.print("No contributions." if everyone else "No contributions of this account (--all shows everyone's).")
        return
    now = model.chain.time()
    table = Table(title=f"Contributions to {model.metadata.name} (chain time {when(now)})")
    author = ["author"] if everyone else []
    for column in ["id", *author, "added (UTC)", "label", "sample", "held", "status", "next"]:
        table.add_column(column, no_wrap=column in ("id", "author"))
    for c in found:
        table.add_row(*_row(model, c, now, everyone))
    out.print(table)


@app.command()
def refund(reference: Reference) -> None:
    """Get back the deposit of your own contribution (or have it validated), once the model agrees with its label."""
    from sumchain.chain.base import resolve_account

    model = session.model()
    c = model.find_contribution(reference)
    c.check_refund_by(resolve_account(model.chain, session.account))
    amount = model.refund(c.data, c.label, c.added_time, sender=session.account)
    out.print(f"Contribution #{c.id}: {model.mechanism.refund_result(amount)}.")


@app.command()
def report(reference: Reference) -> None:
    """Report someone else's contribution that the model rejects (taking part of its deposit, if any)."""
    model = session.model()
    c = model.find_contribution(reference)
    amount = model.report(c.data, c.label, c.added_time, c.author, sender=session.account)
    out.print(f"Contribution #{c.id} by {c.author}: {model.mechanism.report_result(amount)}.")


@app.command()
def withdraw(
    to: Annotated[
        str | None, typer.Option(help="Send them to this address instead (e.g. a wallet that can receive).")
    ] = None,
) -> None:
    """Collect payments that could not be sent to you when they were due."""
    model = session.model()
    amount = model.withdraw(sender=session.account) if to is None else model.withdraw_to(to, sender=session.account)
    out.print(f"Withdrew {eth(amount)}.")


@app.command("leaderboard")
def leaderboard(
    as_json: Annotated[bool, typer.Option("--json", help="Print every account's line in full, as JSON.")] = False,
    top: Annotated[int, typer.Option(min=1, help="Show this many accounts.")] = 20,
) -> None:
    """Rank the model's contributors: points under Points, wei gained under Deposit, Refund and Take."""
    from rich.table import Table

    model = session.model()
    mechanism = model.mechanism
    standings = model.standings()
    if as_json:
        typer.echo(json.dumps({"unit": mechanism.score_unit, "standings": [s.to_json() for s in standings]}, indent=1))
        return
    if not standings:
        out.print("No contributions yet.")
        return
    table = Table(
        title=f"{mechanism.title}: leaderboard of {model.metadata.name}",
        caption="added: its contributions; validated: refunded (or validated); reported: its contributions "
        "that others reported; reports: those it made. --json has every account and amount in full.",
    )
    score_title = "gained" if mechanism.score_unit == "wei" else mechanism.score_unit
    for column in ("#", "account", score_title, "added", "validated", "reported", "reports"):
        table.add_column(column, justify="left" if column == "account" else "right", no_wrap=True)
    for rank, s in enumerate(standings[:top], 1):
        counts = (s.contributions, s.validated, s.reported, s.reports)
        account = f"{s.account[:6]}…{s.account[-4:]}"
        table.add_row(str(rank), account, mechanism.format_score(s.score), *map(str, counts))
    out.print(table)


app.command(
    "points", help="The leaderboard (same as `leaderboard`): points under Points, wei under Deposit, Refund and Take."
)(leaderboard)
