"""``sumchain gas``: the reference's gas workloads on the embedded chain, beside its figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sumchain.cli.app import app
from sumchain.cli.output import err, out
from sumchain.errors import SumchainError
from sumchain.original import BASELINE, IMDB_MODEL


@app.command("gas")
def gas_command(
    models: Annotated[
        list[str] | None, typer.Option("--model", help="A baseline model name (repeatable); default: all 8.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON list of rows.")] = False,
    baseline: Annotated[Path, typer.Option(help="The reference figures (gas-baseline.md).")] = BASELINE,
    imdb_model: Annotated[Path, typer.Option(help="The reference's imdb-sentiment-model.json.")] = IMDB_MODEL,
) -> None:
    """Run the gas workloads of gas-baseline.md on fresh embedded chains, beside the reference's figures."""
    from rich.table import Table

    from sumchain.gas import HARDFORK_NOTE, WORKLOADS, gas_report, rows_to_json, workload

    names = [workload(name).name for name in models or WORKLOADS]
    for given, default in ((baseline, BASELINE), (imdb_model, IMDB_MODEL)):
        if given != default and not given.is_file():  # a default may be absent (outside a checkout)
            raise SumchainError(f"no file at {given}")
    if "imdb-sparse-perceptron" in names and not imdb_model.is_file():
        err.print(f"{imdb_model} not found: the IMDB sparse perceptron is synthetic (same shape)")
    if not baseline.is_file():
        err.print(f"{baseline} not found: no reference figures")
    if as_json:
        typer.echo(rows_to_json(gas_report(names, baseline=baseline, imdb_model=imdb_model)))
        return
    for name in names:
        table = Table(title=name, caption=WORKLOADS[name].description)
        for column in ("operation", "gas", "reference gas", "ratio"):
            table.add_column(column, justify="left" if column == "operation" else "right")
        for row in gas_report([name], baseline=baseline, imdb_model=imdb_model):
            reference = "" if row.reference_gas is None else f"{row.reference_gas:,}"
            table.add_row(row.operation, f"{row.gas:,}", reference, "" if row.ratio is None else f"{row.ratio:.3f}")
        out.print(table)
    out.print(HARDFORK_NOTE)
