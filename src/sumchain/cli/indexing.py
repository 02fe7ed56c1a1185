"""``sumchain index``: follow models' and the registry's events into the event index (``.sumchain/index.sqlite``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import err, out
from sumchain.cli.session import DEFAULT_INDEX_FILE
from sumchain.errors import ChainError, SumchainError, without_secrets

if TYPE_CHECKING:
    from sumchain.indexer import Indexer


@app.command("index")
def index(
    models: Annotated[
        list[str] | None,
        typer.Argument(
            help="Addresses of models (or registries), or listed models' names, to follow; default: the chain's "
            "registry and the models listed in it, the current model if --model names it or the index follows "
            "nothing yet, and whatever the index follows."
        ),
    ] = None,
    db: Annotated[Path, typer.Option("--db", help="The index file.")] = DEFAULT_INDEX_FILE,
    follow: Annotated[bool, typer.Option("--follow", help="Keep polling for new events until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls with --follow.")] = 2.0,
    confirmations: Annotated[
        int, typer.Option(help="Index only blocks at least this far below the head (a reorg is unlikely there).")
    ] = 0,
) -> None:
    """Index every event of the models and the registry (resumable, reorg-safe); contributions are then read
    from the index."""
    from sumchain.chain.hashing import is_address
    from sumchain.indexer import Indexer

    if not math.isfinite(interval):
        raise SumchainError(f"--interval must be a number of seconds, got {interval}")
    if (missing := session.no_chain_yet()) is not None:
        raise SumchainError(f"there is no chain file {missing} yet: nothing to index")
    named = [ref if is_address(ref) else session.model_named(ref).address for ref in models or []]
    indexer = Indexer(session.chain(), db, confirmations=confirmations)
    try:
        indexer.add(*(named or _default_addresses(indexer)))
        report = indexer.follow(interval=interval, on_chain_error=_retrying) if follow else indexer.sync()
    finally:
        indexer.close()
    out.print(f"{report.summary()} into {db}")


def _retrying(error: ChainError, seconds: float) -> None:
    """A follower's line when the node fails a poll (it may be restarting): the poll is tried again."""
    err.print(f"{without_secrets(str(error))}; trying again in {seconds:g} s (Ctrl-C stops)")


def _default_addresses(indexer: Indexer) -> list[str]:
    """The registry and its usable listed models (an entry that leads nowhere is skipped, with a
    warning), and the current model if ``--model`` names it or the index follows nothing yet."""
    registry = session.registry_if_any()
    found: list[str] = []
    if registry is not None:
        entries = registry.entries()
        for entry in entries:
            if entry.problem is not None:
                err.print(f"skipped {entry.name!r} ({entry.address}): {entry.problem}")
        found = [registry.address, *(entry.address for entry in entries if entry.problem is None)]
    nothing_followed = not (indexer.exists and indexer.index.sources())
    if session.model_ref or (nothing_followed and (session.remembered("model") or not found)):
        found.append(session.model().address)
    return found
