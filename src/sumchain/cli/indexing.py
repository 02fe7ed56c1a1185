"""``sumchain index``: follow models' events into the event index (``.sumchain/index.sqlite``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import out
from sumchain.cli.session import DEFAULT_INDEX_FILE


@app.command("index")
def index(
    models: Annotated[
        list[str] | None,
        typer.Argument(
            help="Model addresses to follow; default: the models the index follows, else the current model."
        ),
    ] = None,
    db: Annotated[Path, typer.Option("--db", help="The index file.")] = DEFAULT_INDEX_FILE,
    follow: Annotated[bool, typer.Option("--follow", help="Keep polling for new events until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 2.0,
    confirmations: Annotated[
        int, typer.Option(help="Index only blocks at least this far below the head (a reorg is unlikely there).")
    ] = 0,
) -> None:
    """Index every event of the models (resumable, reorg-safe); contributions are then read from the index."""
    from sumchain.indexer import Indexer

    indexer = Indexer(session.chain(), db, confirmations=confirmations)
    try:
        followed = indexer.index.sources() if indexer.exists else []
        addresses = models or ([session.model().address] if session.model_ref or not followed else [])
        indexer.add(*addresses)
        report = indexer.follow(interval=interval) if follow else indexer.sync()
    finally:
        indexer.close()
    out.print(f"{report.summary()} into {db}")
