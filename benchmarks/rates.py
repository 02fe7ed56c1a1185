"""Inputs per second of several cases, measured side by side: the harness of the rate benchmarks.

Each case takes its turn for ``seconds`` per round (whole passes over its
inputs), the order rotating each round; round 0 is a warm-up; each figure is
the median of the timed rounds, with their min and max.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One thing to time: ``run(inputs)`` handles ``size`` inputs (by default ``len(inputs)``)."""

    name: str
    inputs: Sequence[Any]
    run: Callable[[Sequence[Any]], object]
    target: float | None = None
    size: int | None = None


@dataclass(frozen=True)
class Row:
    name: str
    per_s: float
    low: float
    high: float
    target: float | None
    holds: bool | None


def rate(case: Case, seconds: float) -> float:
    """Inputs per second of ``case`` over at least ``seconds`` (whole passes over its inputs)."""
    done, start = 0, time.perf_counter()
    while True:
        case.run(case.inputs)
        done += len(case.inputs) if case.size is None else case.size
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def measure(found: list[Case], rounds: int, seconds: float) -> list[Row]:
    """The median rate of each case over ``rounds`` timed rounds, after a warm-up round."""
    rates: dict[str, list[float]] = {case.name: [] for case in found}
    for round_number in range(rounds + 1):
        shift = round_number % len(found)
        for case in found[shift:] + found[:shift]:
            print(f"round {round_number}: {case.name}", file=sys.stderr, flush=True)
            value = rate(case, seconds)
            if round_number:
                rates[case.name].append(value)
    rows = []
    for case in found:
        median = statistics.median(rates[case.name])
        holds = None if case.target is None else median >= case.target
        rows.append(Row(case.name, median, min(rates[case.name]), max(rates[case.name]), case.target, holds))
    return rows


def print_rows(rows: list[Row], what: str, rounds: int, seconds: float) -> None:
    """The rows as a table headed by the machine's load, each beside its target."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; medians of {rounds} rounds of {seconds:g} s")
    print(f"{what:48} {'inputs/s':>10} {'min':>10} {'max':>10}  target")
    for row in rows:
        verdict = "" if row.target is None else f">= {row.target:,.0f}: {'met' if row.holds else 'NOT met'}"
        print(f"{row.name:48} {row.per_s:10,.0f} {row.low:10,.0f} {row.high:10,.0f}  {verdict}")
