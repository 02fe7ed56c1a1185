"""Start-up time of the ``sumchain`` command and of ``import sumchain``, as whole processes.

Each command runs ``--runs`` times (median, min and max printed), the commands in
turn so that machine noise hits them all alike, after one untimed warm-up run
each (which also fills the OS file cache and the compiled-contract cache):

- ``python -c pass``: the interpreter alone, the floor of everything below;
- ``python -c "import sumchain"``;
- ``sumchain --help`` (target: under 0.5 s);
- ``sumchain --version``, if the CLI has that option;
- ``sumchain balance`` on an embedded chain file that exists (a read-only
  command: ``--chain embedded:<tmp>/c.sqlite``, created by the warm-up run), and
  on a new file each run (``<tmp>/new-N.sqlite``: the command creates the chain file).

Every command runs in a temporary folder, with this process's environment, so
``sumchain`` imports the package the environment resolves (``PYTHONPATH`` first).

Usage: ``python benchmarks/startup.py [--quick] [--json] [--runs N] [--sumchain PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNS = 10
QUICK_RUNS = 3
HELP_TARGET = 0.5
"""Seconds ``sumchain --help`` should take at most."""


@dataclass(frozen=True)
class Command:
    """One command line to time.

    Attributes
    ----------
    name : str
        What is printed.
    argv : tuple of str
        The command; ``{folder}`` is the run's working folder and ``{run}`` the run's number.
    target : float or None
        Seconds the median should stay under, if the issue sets a target.
    """

    name: str
    argv: tuple[str, ...]
    target: float | None = None

    def line(self, folder: Path, run: int) -> list[str]:
        """The command line of one run."""
        return [arg.format(folder=folder, run=run) for arg in self.argv]


def sumchain_script(given: str | None) -> str:
    """The ``sumchain`` console script: ``given``, the one beside this Python, or the PATH one."""
    beside = Path(sys.executable).parent / "sumchain"
    found = given or (str(beside) if beside.is_file() else shutil.which("sumchain"))
    if found is None:
        raise SystemExit("no sumchain script found: pip install -e . or pass --sumchain PATH")
    return found


def has_option(script: str, option: str, folder: Path) -> bool:
    """Whether ``sumchain OPTION`` exits with status 0."""
    return subprocess.run([script, option], cwd=folder, capture_output=True).returncode == 0


def commands(script: str, folder: Path) -> list[Command]:
    """The commands to time (``sumchain --version`` only if the CLI has it)."""
    existing, new = "embedded:{folder}/c.sqlite", "embedded:{folder}/new-{run}.sqlite"
    found = [
        Command("python -c pass", (sys.executable, "-c", "pass")),
        Command('python -c "import sumchain"', (sys.executable, "-c", "import sumchain")),
        Command("sumchain --help", (script, "--help"), HELP_TARGET),
    ]
    if has_option(script, "--version", folder):
        found.append(Command("sumchain --version", (script, "--version")))
    return [
        *found,
        Command("sumchain balance (existing chain file)", (script, "--chain", existing, "balance")),
        Command("sumchain balance (new chain file)", (script, "--chain", new, "balance")),
    ]


def run_once(command: Command, folder: Path, run: int) -> float:
    """Seconds one run of ``command`` took; exits with its error output if it failed."""
    start = time.perf_counter()
    done = subprocess.run(command.line(folder, run), cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command.name} failed with status {done.returncode}:\n{done.stderr}")
    return seconds


def measure(found: list[Command], folder: Path, runs: int) -> dict[str, list[float]]:
    """``{name: [seconds of each timed run]}``, the commands in turn, after one warm-up run each."""
    for command in found:
        run_once(command, folder, runs)
    times: dict[str, list[float]] = {command.name: [] for command in found}
    for run in range(runs):
        for command in found:
            times[command.name].append(run_once(command, folder, run))
    return times


def rows(found: list[Command], times: dict[str, list[float]]) -> list[dict[str, Any]]:
    """One row per command: median, min, max, runs, target and whether it holds."""
    result = []
    for command in found:
        runs = times[command.name]
        median = statistics.median(runs)
        result.append(
            {
                "command": command.name,
                "median_s": median,
                "min_s": min(runs),
                "max_s": max(runs),
                "runs_s": runs,
                "target_s": command.target,
                "holds": None if command.target is None else median < command.target,
            }
        )
    return result


def print_rows(table: list[dict[str, Any]], runs: int, missing_version: bool) -> None:
    """The table, with each target beside its figure."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Start-up, whole processes: median [min .. max] of {runs} runs; {os.cpu_count()} CPUs, load average {load}")
    for row in table:
        verdict = ""
        if row["target_s"] is not None:
            verdict = f"target < {row['target_s']:g} s  {'holds' if row['holds'] else 'DOES NOT HOLD'}"
        spread = f"[{row['min_s']:.3f} .. {row['max_s']:.3f}]"
        print(f"  {row['command']:<40} {row['median_s']:>7.3f} s {spread:>18}  {verdict}".rstrip())
    if missing_version:
        print("  sumchain --version: the CLI has no such option (not timed)")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the report (or the JSON rows)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs per command")
    parser.add_argument("--json", action="store_true", help="print only a JSON list of the rows")
    parser.add_argument("--runs", type=int, help=f"timed runs per command (default {RUNS})")
    parser.add_argument("--sumchain", help="the sumchain script (default: beside this Python, else on PATH)")
    args = parser.parse_args(argv)
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)
    script = sumchain_script(args.sumchain)
    with tempfile.TemporaryDirectory(prefix="sumchain-startup-") as tmp:
        folder = Path(tmp)
        found = commands(script, folder)
        table = rows(found, measure(found, folder, runs))
    if args.json:
        print(json.dumps(table, indent=1))
    else:
        print_rows(table, runs, missing_version=not any(c.name == "sumchain --version" for c in found))


if __name__ == "__main__":
    main()
