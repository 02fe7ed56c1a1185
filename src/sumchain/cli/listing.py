"""Commands about the model registry: ``models``, ``register``, ``delist``, ``publish-score``.

``deploy`` and ``import`` list the new model themselves (see :mod:`.models`); a name
listed here works wherever ``--model`` takes an address.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import out, shown_safely

if TYPE_CHECKING:
    from rich.text import Text

    from sumchain.registry import Listed, PublishedScore, Registry, RegistryEntry

_DESCRIPTION_WIDTH = 60


def print_listed(listed: Listed, registry: Registry) -> None:
    """One line for a listing transaction, as ``deploy`` prints each of its transactions."""
    instead = f", in place of {listed.replaced}" if listed.replaced else ""
    out.print(
        f"  listed as {listed.entry.name!r} in the registry at {registry.address}{instead} "
        f"(tx gas {listed.receipt.gas_used:,})"
    )


def _short(address: str) -> str:
    """An address as tables show it (``0x5FbD…0aa3``); ``--json`` gives it in full."""
    return f"{address[:6]}…{address[-4:]}"


def score_text(score: PublishedScore) -> str:
    """A published score, short: ``accuracy 75.0% (3/4)`` (``--json`` gives the block and test set)."""
    return f"accuracy {score.accuracy:.1%} ({score.correct:,}/{score.total:,})"


def _row(entry: RegistryEntry) -> tuple[Text, ...]:
    """A table row: the name over its description, the model type over its encoder, mechanism and
    published score, owner, block, address; what the chain says shown safely (see
    :func:`~sumchain.cli.output.shown_safely`: whoever deploys writes it)."""
    from rich.text import Text

    about = " ".join(entry.description.split())
    if len(about) > _DESCRIPTION_WIDTH:
        about = about[: _DESCRIPTION_WIDTH - 1] + "…"
    name = Text(shown_safely(entry.name), style="bold")
    if about:
        name.append("\n" + shown_safely(about), style="dim")
    if entry.problem:
        kind = Text(shown_safely(f"unusable: {entry.problem}"), style="red")
    else:
        kind = Text(str(entry.model_type))
        kind.append("\n" + shown_safely(entry.encoder or "no encoder"), style="dim")
        kind.append("\n" + str(entry.mechanism), style="dim")
        if entry.score is not None:
            kind.append(f"\n{score_text(entry.score)}: the owner's test, block {entry.score.published_at}", style="dim")
    return name, kind, Text(_short(entry.owner)), Text(str(entry.deployed_at)), Text(_short(entry.address))


@app.command("models")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print every entry in full, as a JSON list.")] = False,
) -> None:
    """List the models in the chain's registry: name, type, encoder and mechanism, owner, address."""
    from rich.table import Table

    if (missing := session.no_chain_yet()) is not None:
        if as_json:
            typer.echo("[]")
        else:
            out.print(f"No model is listed: there is no chain file {missing} yet.")
        return
    registry = session.registry()
    entries = registry.entries()
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in entries], indent=1))
        return
    if not entries:
        out.print(f"No model is listed in the registry at {registry.address}.")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    longest = max(len(e.name) for e in entries)
    table.add_column("name", min_width=min(longest, 24))  # kept readable beside a long "unusable: ..." to delist
    table.add_column("model", overflow="fold")
    for column in ("owner", "block", "address"):
        table.add_column(column, no_wrap=True)
    for entry in entries:
        table.add_row(*_row(entry))
    out.print(table)
    count = f"{len(entries)} model{'s' if len(entries) != 1 else ''}"
    out.print(f"{count} in the registry at {registry.address}; use one with --model NAME.")


@app.command()
def register(
    name: Annotated[
        str | None, typer.Option(help="The name to list it under; default: the name in its metadata.")
    ] = None,
) -> None:
    """List the current model in the registry (owner only); a name you hold moves to it."""
    registry = session.registry()
    listed = registry.register(session.model(), name=name, sender=session.account)
    print_listed(listed, registry)


@app.command()
def delist(
    model: Annotated[str, typer.Argument(help="The model's name in the registry, or its address.")],
) -> None:
    """Remove a model from the registry (owner only); the model itself stays on chain, its name is free again."""
    entry = session.registry().delist(model, sender=session.account)
    out.print(f"Delisted {entry.name!r} ({entry.address}); the model itself is unchanged.")


@app.command("publish-score")
def publish_score(
    test_set: Annotated[Path, typer.Argument(help='The test set: a JSON list of {"text" or "sample", "label"}.')],
) -> None:
    """Score the current model on a test set and publish the score in the registry (owner only)."""
    from sumchain.cli.inputs import read_test_set

    registry, model = session.registry(), session.model()
    samples, labels = read_test_set(model, test_set)
    score, receipt = registry.publish_score(model.address, samples, labels, sender=session.account)
    out.print(
        f"Published the score of {model.address}: {score_text(score)} in block {score.published_at}, "
        f"test set {score.test_set} (tx gas {receipt.gas_used:,})"
    )
