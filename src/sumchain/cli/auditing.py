"""``sumchain audit``: the model on chain checked against a replay of its contributions."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import out


@app.command()
def audit(
    model: Annotated[
        str | None,
        typer.Argument(help="The model's address or listed name; default: --model, else the last one deployed here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Replay every contribution from the uploaded parameters and check the on-chain words, one by one.

    Exits with status 0 when every word matches, 1 when one differs (naming the first, and the first
    contribution after which the chain differs where the node keeps past state).
    """
    from sumchain.audit import audit as run_audit

    shared = session.model_named(model) if model is not None else session.model()
    report = run_audit(shared)
    if as_json:
        out.print(json.dumps(report.to_json()))
    else:
        out.print(report.summary())
    if not report.ok:
        raise typer.Exit(1)
