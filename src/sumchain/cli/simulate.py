"""``sumchain simulate``: run a scenario on the real contracts and write its figures and JSON;
``sumchain simulate combine``: draw saved runs together."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app
from sumchain.cli.output import out
from sumchain.errors import SumchainError

if TYPE_CHECKING:
    from sumchain.sim import Run

_HELP = """Simulate agents on the real contracts: sumchain simulate SCENARIO, or sumchain simulate combine RUN.json...

SCENARIO is a TOML file or the name of a shipped scenario (--list shows them). The run is written
as OUT/NAME-seedSEED.json, .png and .html; combine writes OUT/combined.png and .html.
"""


def _write(runs: list[Run], stem: Path) -> list[Path]:
    """The JSON of a single run, and the figures of all, next to ``stem``; PNG only with matplotlib."""
    from sumchain.sim.html import write_html
    from sumchain.sim.plots import write_png

    written = [write_html(runs, stem.with_suffix(".html"))]
    try:
        written.append(write_png(runs, stem.with_suffix(".png")))
    except SumchainError as exc:
        out.print(f"No PNG: {exc}")
    return written


def _run(scenario_name: str, seed: int | None, days: float | None, folder: Path) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sumchain.sim import load_scenario, simulate
    from sumchain.sim.data import load_data
    from sumchain.sim.runner import Progress as Step

    scenario = load_scenario(scenario_name)
    seed = scenario.seed if seed is None else seed
    total = scenario.days if days is None else days
    out.print(f"Loading the {scenario.dataset.name} dataset ...")
    data = load_data(scenario.dataset, seed)
    out.print(
        f"{len(data.initial):,} samples to train on, {len(data.stream):,} to contribute, {len(data.test):,} to test"
    )
    started = time.perf_counter()
    shown = [0.0]
    columns = (
        TextColumn("day {task.completed:.1f} of {task.total:g}"),
        BarColumn(),
        TextColumn("{task.fields[tx]:,} tx, {task.fields[rate]:,.0f} tx/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task("simulate", total=total, tx=0, rate=0.0)

        def step(now: Step) -> None:
            clock = time.perf_counter()
            if clock - shown[0] >= 0.2:
                shown[0] = clock
                rate = now.transactions / max(clock - started, 1e-9)
                progress.update(task, completed=min(now.day, total), tx=now.transactions, rate=rate)

        run = simulate(scenario, seed=seed, days=days, data=data, on_progress=step)
        elapsed = time.perf_counter() - started
        progress.update(task, completed=total, tx=run.transactions, rate=run.transactions / max(elapsed, 1e-9))
    stem = folder / f"{run.name}-seed{seed}"
    written = [run.save(stem.with_suffix(".json")), *_write([run], stem)]
    out.print(
        f"{run.contributions:,} contributions, {run.transactions:,} transactions in {elapsed:.1f} s "
        f"({run.contributions / max(elapsed, 1e-9):,.0f} contributions/s); accuracy "
        f"{run.accuracy[0]:.1%} -> {run.accuracy[-1]:.1%} (all data: {run.baseline:.1%})"
    )
    for agent in run.agents:
        points = f", {agent.points[-1]:,} points" if agent.points else ""
        out.print(f"  {agent.name} ({agent.strategy}): {agent.balance[-1]:.1f}% of its start balance{points}")
    out.print("Wrote " + ", ".join(str(p) for p in written))


@app.command(help=_HELP, no_args_is_help=True)
def simulate(
    args: Annotated[
        list[str] | None, typer.Argument(help="SCENARIO, or: combine RUN.json...", show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of every random draw (default: the scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.01, help="Simulated days (default: the scenario's).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the files written.")] = Path("simulations"),
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios and stop.")] = False,
) -> None:
    from sumchain.sim import load_run, scenario_names

    if list_:
        out.print("\n".join(scenario_names()))
        return
    words = args or []
    if words and words[0] == "combine":
        if len(words) < 2:
            raise SumchainError("combine needs at least one saved run: sumchain simulate combine RUN.json...")
        runs = [load_run(path) for path in words[1:]]
        out.print("Wrote " + ", ".join(str(p) for p in _write(runs, out_dir / "combined")))
        return
    if len(words) != 1:
        raise SumchainError("give one scenario (a TOML file or a shipped name), or: combine RUN.json...")
    _run(words[0], seed, days, out_dir)
