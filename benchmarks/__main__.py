"""The headline benchmarks in one run: ``python -m benchmarks`` from the repository root.

Runs each benchmark of this folder as its own process with ``--json`` (so one
that fails, or whose optional peer is missing, costs one line and the run goes
on), puts every figure in one list, prints the headline ratios and the figures
beside their targets, and writes ``benchmarks/RESULTS.md`` and
``benchmarks/results.json`` (or into ``--out``). Each figure names the command
that measured it; see ``benchmarks/README.md`` for how each one measures.

Parts: ``gas`` (``sumchain gas --json``: every model and operation beside the
reference's figure), ``mechanisms`` (``mechanism_gas.py``: each operation under
Points beside Deposit, Refund and Take), ``market`` (``market_gas.py``: each phase of a
prediction market), ``floors`` (``gas_floor.py``: each operation's gas over
the least that its storage, logs and payments cost), ``engines`` (``engine_throughput.py``: the embedded
chain's engines, titanoboa and anvil), ``mirrors`` (``mirror_predict.py``),
``encoders`` (``encoders.py``), ``startup`` (``startup.py``), ``simulation``
(``simulation.py``: the simulator's contributions/s on the paper's IMDB scenario) and
``simulation-node`` (``simulation_node.py``: one run on the embedded chain and on anvil).
``gas_vs_reference.py``, ``audit_speed.py``, ``encoder_accuracy.py``, ``indexer.py`` and ``market_scenario.py``
run on their own.

Usage: ``python -m benchmarks [--quick] [--only gas,engines,...] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MISSING: dict[str, str] = {}


@dataclass(frozen=True)
class Figure:
    """One measured figure, or one that could not be measured (``value`` None, ``note`` says why)."""

    part: str
    name: str
    value: float | None
    unit: str
    target: str | None = None
    holds: bool | None = None
    note: str = ""
    command: str = ""


@dataclass(frozen=True)
class Part:
    """One benchmark: the command that prints its rows as JSON, and how to read them."""

    name: str
    command: list[str]
    quick: list[str]
    read: Callable[[Any], list[Figure]]


def read_gas(rows: list[dict[str, Any]]) -> list[Figure]:
    """Gas per model and operation; the ratio to the reference where it has the operation."""
    found = []
    for row in rows:
        name = f"{row['model']} {row['operation']}"
        found.append(Figure("gas", name, row["gas"], "gas"))
        if row["ratio"] is not None:
            note = f"{row['gas']:,} against {row['reference_gas']:,} gas"
            found.append(Figure("gas", f"{name} / 0xDeCA10B", row["ratio"], "x", note=note))
    return found


def read_floors(rows: list[dict[str, Any]]) -> list[Figure]:
    """Each operation's gas over its floor (``gas_floor.py``), deploy parts left out."""
    return [
        Figure("floors", f"{row['model']} {row['operation']} / floor", row["ratio"], "x", note=f"{row['floor']:,} gas")
        for row in rows
        if not row["operation"].startswith("deploy part")
    ]


def read_mechanisms(rows: list[dict[str, Any]]) -> list[Figure]:
    """Each operation's gas under Points over its gas under Deposit, Refund and Take (``mechanism_gas.py``)."""
    return [
        Figure(
            "mechanisms",
            f"{row['model']} {row['operation']} Points / Deposit, Refund and Take",
            row["ratio"],
            "x",
            note=f"{row['points']:,} against {row['deposit_refund_take']:,} gas",
        )
        for row in rows
    ]


def read_market(rows: list[dict[str, Any]]) -> list[Figure]:
    """Gas of each phase of a prediction market (``market_gas.py``), with its transactions and dearest one."""
    return [
        Figure(
            "market",
            f"{row['phase']} ({row['samples']:,} test samples, {row['contributions']:,} contributions)",
            row["gas"],
            "gas",
            note=f"{row['transactions']:,} transactions, dearest {row['dearest']:,} gas",
        )
        for row in rows
        if "seconds" not in row
    ]


def read_rows(part: str) -> Callable[[list[dict[str, Any]]], list[Figure]]:
    """The figures of a benchmark that reports them as they are (``engine_throughput.py``, the simulations)."""

    def read(rows: list[dict[str, Any]]) -> list[Figure]:
        return [
            Figure(part, row["name"], row["value"], row["unit"], row["target"], row["holds"], row.get("note") or "")
            for row in rows
        ]

    return read


def read_rates(part: str, ratios: bool = False) -> Callable[[list[dict[str, Any]]], list[Figure]]:
    """The rows of a benchmark built on ``rates.py``: inputs/s with min and max; with
    ``ratios``, the first row's rate divided by each other's as well."""

    def read(rows: list[dict[str, Any]]) -> list[Figure]:
        found = [
            Figure(
                part,
                row["name"],
                row["per_s"],
                "/s",
                None if row["target"] is None else f">= {row['target']:,.0f}",
                row["holds"],
                f"min {row['low']:,.0f}, max {row['high']:,.0f}",
            )
            for row in rows
        ]
        if ratios and rows:
            first = rows[0]
            for row in rows[1:]:
                found.append(Figure(part, f"{first['name']} / {row['name']}", first["per_s"] / row["per_s"], "x"))
        return found

    return read


def read_startup(rows: list[dict[str, Any]]) -> list[Figure]:
    """Wall time of whole processes."""
    return [
        Figure(
            "startup",
            row["command"],
            row["median_s"],
            "s",
            None if row["target_s"] is None else f"<= {row['target_s']} s",
            row["holds"],
            f"min {row['min_s']:.3f}, max {row['max_s']:.3f}",
        )
        for row in rows
    ]


def parts() -> list[Part]:
    """Every benchmark, in the order they run."""
    python = sys.executable
    script = lambda name: [python, str(HERE / name)]  # noqa: E731
    return [
        Part("gas", [python, "-m", "sumchain", "gas", "--json"], [], read_gas),
        Part("floors", [*script("gas_floor.py"), "--json"], [], read_floors),
        Part(
            "mechanisms",
            [*script("mechanism_gas.py"), "--json"],
            ["--workloads", "imdb-sparse-perceptron"],
            read_mechanisms,
        ),
        Part("engines", [*script("engine_throughput.py"), "--json"], ["--quick"], read_rows("engines")),
        Part("mirrors", [*script("mirror_predict.py"), "--json"], ["--quick"], read_rates("mirrors", ratios=True)),
        Part("encoders", [*script("encoders.py"), "--json"], ["--quick"], read_rates("encoders")),
        Part("startup", [*script("startup.py"), "--json"], ["--quick"], read_startup),
        Part("market", [*script("market_gas.py"), "--json"], ["--quick"], read_market),
        Part("simulation", [*script("simulation.py"), "--json"], ["--quick"], read_rows("simulation")),
        Part(
            "simulation-node",
            [*script("simulation_node.py"), "--json"],
            ["--quick"],
            read_rows("simulation-node"),
        ),
    ]


def run(part: Part, quick: bool) -> list[Figure]:
    """The part's figures; one figure with a note when it fails or prints no JSON."""
    command = part.command + (part.quick if quick else [])
    shown = " ".join(Path(c).name if c == sys.executable else c for c in command)
    shown = shown.replace(str(HERE.parent) + os.sep, "")
    print(f"running {part.name}: {shown}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=HERE.parent, capture_output=True, text=True)
    try:
        rows = json.loads(done.stdout)
    except json.JSONDecodeError:
        rows = None
    if done.returncode != 0 or rows is None:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Figure(part.name, "(not measured)", None, "", note=f"exit {done.returncode}: {last}", command=shown)]
    return [Figure(**{**asdict(f), "command": shown}) for f in part.read(rows)]


def value_text(figure: Figure) -> str:
    """A figure's value as the tables show it."""
    if figure.value is None:
        return "-"
    if figure.unit == "x":
        return f"{figure.value:.4g}x"
    if figure.unit == "s":
        return f"{figure.value:.3f} s"
    return f"{figure.value:,.0f} {figure.unit}".strip()


def headline(figures: list[Figure]) -> list[Figure]:
    """The ratios: ours against the reference, an engine against another, batched against one by one."""
    return [f for f in figures if f.unit == "x" and f.value is not None]


def markdown(figures: list[Figure], started: str, seconds: float, quick: bool) -> str:
    """RESULTS.md: the ratios first, then every figure by part, then what is not measured."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks{' --quick' if quick else ''}` on {started} UTC in {seconds:.0f} s: "
        f"{os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"load average at the end {load}. How each figure is measured: `benchmarks/README.md`.",
        "",
        "## Ratios",
        "",
        "| part | ratio | value | note |",
        "|---|---|---:|---|",
        *(f"| {f.part} | {f.name} | {value_text(f)} | {f.note} |" for f in headline(figures)),
    ]
    for part in dict.fromkeys(f.part for f in figures):
        rows = [f for f in figures if f.part == part and f.unit != "x"]
        if not rows:
            continue
        lines += ["", f"## {part}", "", f"`{rows[0].command}`", "", "| figure | value | target | holds | note |"]
        lines.append("|---|---:|---|---|---|")
        for f in rows:
            holds = "" if f.holds is None else ("yes" if f.holds else "**no**")
            lines.append(f"| {f.name} | {value_text(f)} | {f.target or ''} | {holds} | {f.note} |")
    if MISSING:
        lines += ["", "## Not measured yet", ""] + [f"- {name}: {why}" for name, why in MISSING.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's quick settings")
    parser.add_argument("--only", help=f"comma-separated parts, from {', '.join(p.name for p in parts())}")
    parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.json go")
    settings = parser.parse_args(argv)
    chosen = parts()
    if settings.only:
        wanted = settings.only.split(",")
        unknown = sorted(set(wanted) - {p.name for p in chosen})
        if unknown:
            parser.error(f"unknown part {unknown[0]!r}: choose from {', '.join(p.name for p in chosen)}")
        chosen = [p for p in chosen if p.name in wanted]
    started, clock = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), time.perf_counter()
    figures = [figure for part in chosen for figure in run(part, settings.quick)]
    elapsed = time.perf_counter() - clock
    for f in headline(figures):
        print(f"{f.part:9} {f.name:60} {value_text(f):>12}")
    for f in figures:
        if f.target or f.value is None:
            verdict = f.note if f.value is None else ("holds" if f.holds else "DOES NOT HOLD")
            print(f"{f.part:9} {f.name:60} {value_text(f):>12}  {f.target or ''}  {verdict}")
    settings.out.mkdir(parents=True, exist_ok=True)
    (settings.out / "RESULTS.md").write_text(markdown(figures, started, elapsed, settings.quick))
    results = {"started": started, "seconds": elapsed, "figures": [asdict(f) for f in figures], "missing": MISSING}
    (settings.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {settings.out / 'RESULTS.md'} and {settings.out / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
