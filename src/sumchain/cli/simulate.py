"""``sumchain simulate``: run a scenario on the real contracts and write its figures and JSON;
``sumchain simulate combine``: draw saved runs together."""

from __future__ import annotations

import dataclasses
import os
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import out
from sumchain.errors import SumchainError, without_secrets

if TYPE_CHECKING:
    from sumchain.sim import Run

_HELP = """Simulate agents on the real contracts: sumchain simulate SCENARIO, sumchain simulate combine RUN.json...,
or sumchain simulate sweep SCENARIO.

SCENARIO is a TOML file or the name of a shipped scenario (--list shows them). The run is written
as OUT/NAME-seedSEED.json, .png and .html; combine writes OUT/combined.png and .html. sweep runs the
scenario (one honest agent, one attacker) over --fractions of bad data, --weights, --mechanisms and
--models, --jobs at a time, and writes OUT/NAME-sweep.json, .png and .md (where each mechanism stops
protecting accuracy).

A run takes place on a fresh in-memory chain, or with --node http://HOST:PORT on a dev node (anvil)
that the simulation drives: it sets the node's clock and the accounts' balances, and charges no gas,
so a run gives what it gives in memory (but for a prediction market, whose draw comes from the chain's
randomness). Give it a node of its own.
"""


def _writable(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path:
    """``folder / stem`` once the folder, or the folder it will be made in, is a writable folder, and
    no file to write there is a folder: checked before a run, so that its files are all written or
    none, and nothing is made before it succeeds."""
    existing = folder.absolute()
    while not existing.exists():
        if existing.is_symlink():
            raise SumchainError(f"cannot write to {folder}: {existing} is a link to nothing ({os.readlink(existing)})")
        existing = existing.parent
    if not existing.is_dir():
        raise SumchainError(f"cannot write to {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SumchainError(f"cannot write to {folder}: {existing} is not writable")
    for suffix in suffixes:
        if (folder / f"{stem}{suffix}").is_dir():
            raise SumchainError(f"{folder / f'{stem}{suffix}'} is a folder, not a file to write")
    return folder / stem


def _beside(stem: Path, suffix: str) -> Path:
    """``stem`` with ``suffix`` added (``with_suffix`` would cut a name at its last dot)."""
    return stem.with_name(stem.name + suffix)


def _figures(runs: list[Run], stem: Path) -> dict[Path, bytes]:
    """The figures of the runs, HTML and PNG (PNG only with matplotlib), by the path each goes to beside ``stem``."""
    from sumchain.sim.html import render_html
    from sumchain.sim.plots import render_png

    figures = {_beside(stem, ".html"): render_html(runs).encode()}
    try:
        figures[_beside(stem, ".png")] = render_png(runs)
    except SumchainError as exc:
        out.print(f"No PNG: {exc}")
    return figures


def _run(scenario_name: str, seed: int | None, days: float | None, folder: Path, node: str | None) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sumchain.sim import load_scenario, simulate
    from sumchain.sim.data import load_data
    from sumchain.sim.record import write_all
    from sumchain.sim.runner import Progress as Step
    from sumchain.sim.runner import scenario_baseline

    scenario = load_scenario(scenario_name)
    seed = scenario.seed if seed is None else seed
    total = scenario.days if days is None else days
    stem = _writable(folder, f"{scenario.name}-seed{seed}", (".json", ".html", ".png"))
    columns = (
        TextColumn("day {task.completed:.1f} of {task.total:g}"),
        BarColumn(),
        TextColumn("{task.fields[tx]:,} tx, {task.fields[rate]:,.0f} tx/s"),
        TimeElapsedColumn(),
    )
    with ExitStack() as stack:
        chain = None
        if node is not None:  # reached first: a node that will not do is one line before the data loads
            from sumchain.sim.node import on_node  # web3: imported only for a node

            receipt_timeout = session.signing.receipt_timeout if session.signing else 300
            chain = stack.enter_context(on_node(scenario, node, receipt_timeout=receipt_timeout))
        out.print(f"On the dev node at {without_secrets(node)}" if node is not None else "On a fresh in-memory chain")
        out.print(f"Loading the {scenario.dataset.name} dataset ...")
        data = load_data(scenario.dataset, seed, dense=scenario.model.dense)
        out.print(
            f"{len(data.initial):,} samples to train on, {len(data.stream):,} to contribute, {len(data.test):,} to test"
        )
        if scenario.baseline is None:
            everything = len(data.initial) + len(data.stream)
            out.print(f"Training the model on all {everything:,} training samples for the baseline ...")
        baseline = scenario_baseline(scenario, data, seed)
        started = time.perf_counter()
        shown = [0.0]
        progress = stack.enter_context(Progress(*columns, console=out, transient=False))
        task = progress.add_task("simulate", total=total, tx=0, rate=0.0)

        def step(now: Step) -> None:
            clock = time.perf_counter()
            if clock - shown[0] >= 0.2:
                shown[0] = clock
                rate = now.transactions / max(clock - started, 1e-9)
                progress.update(task, completed=min(now.day, total), tx=now.transactions, rate=rate)

        run = simulate(scenario, chain=chain, seed=seed, days=days, data=data, baseline=baseline, on_progress=step)
        elapsed = time.perf_counter() - started
        ended = run.times[-1]
        progress.update(task, completed=ended, tx=run.transactions, rate=run.transactions / max(elapsed, 1e-9))
    written = write_all({_beside(stem, ".json"): run.dumps(), **_figures([run], stem)})
    if round(ended * 86_400) < round(total * 86_400):
        why = (
            "The data ran out and no contribution was left open"
            if run.contributions == len(data.stream) and not run.open_deposits
            else "No agent had anything left to do (no coins, nothing to claim)"
        )
        out.print(f"{why}: the run ended at day {ended:,.1f} of {total:g}")
    out.print(
        f"{run.contributions:,} contributions, {run.transactions:,} transactions in {elapsed:.1f} s "
        f"({run.contributions / max(elapsed, 1e-9):,.0f} contributions/s); accuracy "
        f"{run.accuracy[0]:.1%} -> {run.accuracy[-1]:.1%} (all data: {run.baseline:.1%})"
    )
    for agent in run.agents:
        points = f", {agent.points[-1]:,} points" if agent.points else ""
        out.print(f"  {agent.name} ({agent.strategy}): {agent.balance[-1]:.1f}% of its start balance{points}")
    out.print("Wrote " + ", ".join(str(p) for p in written))


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SumchainError(f"{option} takes numbers separated by commas, got {text!r}") from None


def _sweep(
    scenario_name: str, settings: dict[str, str], seed: int | None, days: float | None, jobs: int | None, folder: Path
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sumchain.sim import load_scenario
    from sumchain.sim.mechanism import MECHANISMS
    from sumchain.sim.plots import render_sweep_png
    from sumchain.sim.record import write_all
    from sumchain.sim.sweep import dumps, grid, point_scenarios, roles, sweep, table

    base = load_scenario(scenario_name)
    base = dataclasses.replace(base, seed=base.seed if seed is None else seed, days=base.days if days is None else days)
    roles(base)
    points = grid(
        [m.strip() for m in settings["mechanisms"].split(",") if m.strip()] or list(MECHANISMS),
        [m.strip() for m in settings["models"].split(",") if m.strip()],
        _numbers(settings["weights"], "--weights"),
        _numbers(settings["fractions"], "--fractions"),
    )
    point_scenarios(base, points)  # every point's parameters, before the data loads
    stem = _writable(folder, f"{base.name}-sweep", (".json", ".md", ".png"))
    out.print(f"Loading the {base.dataset.name} dataset ...")
    started = time.perf_counter()
    columns = (TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task("sweep", total=len(points))
        outcomes = sweep(base, points, jobs=jobs, on_done=lambda _: progress.advance(task))
    summary = table(outcomes)
    files = {_beside(stem, ".json"): dumps(base, outcomes), _beside(stem, ".md"): summary.encode()}
    try:
        files[_beside(stem, ".png")] = render_sweep_png(outcomes)
    except SumchainError as exc:
        out.print(f"No PNG: {exc}")
    written = write_all(files)
    out.print(summary)
    out.print(f"{len(points)} runs in {time.perf_counter() - started:.0f} s. Wrote " + ", ".join(map(str, written)))


@app.command(help=_HELP, no_args_is_help=True)
def simulate(
    args: Annotated[
        list[str] | None, typer.Argument(help="SCENARIO, or: combine RUN.json...", show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of every draw (default: the scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.01, help="Simulated days (default: the scenario's).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the files written.")] = Path("simulations"),
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios and stop.")] = False,
    fractions: Annotated[
        str, typer.Option(help="sweep: bad-data fractions, comma-separated (0 is always run).")
    ] = "0.1,0.2,0.3,0.4,0.5,0.6,0.7",
    weights: Annotated[str, typer.Option(help="sweep: deposit weights (coins an hour after the last).")] = "0.25,1,4",
    mechanisms: Annotated[str, typer.Option(help="sweep: mechanisms, comma-separated (default: every one).")] = "",
    models: Annotated[str, typer.Option(help="sweep: model types, comma-separated.")] = "sparse perceptron,naive bayes",
    jobs: Annotated[int | None, typer.Option(min=1, help="sweep: runs at once (default: the cores).")] = None,
    node: Annotated[
        str | None,
        typer.Option(help="Run on this dev node (anvil, http://HOST:PORT) instead of a fresh in-memory chain."),
    ] = None,
) -> None:
    from sumchain.sim import load_run, scenario_names
    from sumchain.sim.record import write_all
    from sumchain.sim.scenario import MAX_DAYS, MAX_SEED

    if days is not None and days > MAX_DAYS:
        raise SumchainError(f"--days must be at most {MAX_DAYS:,}, got {days:g}")
    if seed is not None and seed > MAX_SEED:
        raise SumchainError("--seed must be at most 2**64 - 1")
    if list_:
        out.print("\n".join(scenario_names()))
        return
    words = args or []
    if words and words[0] == "combine":
        if len(words) < 2:
            raise SumchainError("combine needs at least one saved run: sumchain simulate combine RUN.json...")
        runs = [load_run(path) for path in words[1:]]
        written = write_all(_figures(runs, _writable(out_dir, "combined", (".html", ".png"))))
        out.print("Wrote " + ", ".join(str(p) for p in written))
        return
    if words and words[0] == "sweep":
        if len(words) != 2:
            raise SumchainError("sweep needs one scenario: sumchain simulate sweep SCENARIO")
        if node is not None:
            raise SumchainError("a sweep runs each point on a fresh in-memory chain: --node is for one scenario")
        settings = {"fractions": fractions, "weights": weights, "mechanisms": mechanisms, "models": models}
        _sweep(words[1], settings, seed, days, jobs, out_dir)
        return
    if len(words) != 1:
        raise SumchainError("give one scenario (a TOML file or a shipped name), combine RUN.json... or sweep SCENARIO")
    _run(words[0], seed, days, out_dir, node)
