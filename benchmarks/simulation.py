"""Contributions per second of the simulator (``sumchain.sim``) on the paper's IMDB scenario.

Loads the ``paper-drt`` scenario's data (the 50,000 IMDB reviews through the reference's
1000-word vocabulary; timed apart), runs it for ``--days`` simulated days on the real
contracts of an in-memory embedded chain, and prints, side by side in one run: the
simulator's contributions/s and transactions/s, and a bare loop of ``SharedModel.add_data``
on the same model and the same samples (no agents, no claims, no accuracy), with the ratio
between them: what the agents' turns, refunds, reports and daily accuracy cost beyond the
contributions themselves. The full year is the issue's paper-scale run (target: <= 60 s). Loading
the data and training the off-chain all-data baseline (the scenario's perceptron fitted on all
25,000 training reviews, as the reference fitted its model) are timed apart.

Usage: ``python benchmarks/simulation.py [--days N] [--quick] [--json] [--imdb PATH]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from sumchain.sim import load_scenario, simulate
from sumchain.sim.data import load_data
from sumchain.sim.runner import make_mirror, new_chain, scenario_baseline
from sumchain.sim.scenario import COIN

TARGET_SECONDS = 60.0
"""The issue's target for the paper-scale run (a year, about 23,000 contributions)."""


def bare_adds(scenario: Any, data: Any, count: int) -> float:
    """add_data/s of a loop over the stream's first ``count`` samples, one hour apart, on a fresh chain."""
    from sumchain.sim.mechanism import mechanism_for

    chain = new_chain(scenario)
    model = mechanism_for(scenario.mechanism).deploy(
        chain, make_mirror(scenario.model, data, scenario.seed), _metadata(data), chain.accounts[0], data, scenario.seed
    )
    sender = chain.accounts[1]
    started = time.perf_counter()
    for sample, label in data.stream[:count]:
        chain.advance_time(600)
        model.add_data(sample, label, sender=sender, value=10 * COIN)
    return count / (time.perf_counter() - started)


def _metadata(data: Any) -> Any:
    from sumchain.metadata import ModelMetadata

    return ModelMetadata(name="benchmark", n_features=data.n_features, class_names=data.class_names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--quick", action="store_true", help="20 simulated days")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--imdb", default="", help="the IMDB archive or aclImdb folder (default: ../shared/datasets)")
    args = parser.parse_args()
    days = 20.0 if args.quick else args.days
    scenario = load_scenario("paper-drt")
    scenario = dataclasses.replace(scenario, dataset=dataclasses.replace(scenario.dataset, path=args.imdb))
    started = time.perf_counter()
    data = load_data(scenario.dataset, scenario.seed, dense=scenario.model.dense)
    loading = time.perf_counter() - started
    print(f"data loaded in {loading:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    baseline = scenario_baseline(scenario, data, scenario.seed)
    training = time.perf_counter() - started
    print(f"all-data baseline trained in {training:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    run = simulate(scenario, days=days, data=data, baseline=baseline)
    seconds = time.perf_counter() - started
    rate = run.contributions / seconds
    bare = bare_adds(scenario, data, min(2_000, run.contributions or 2_000))
    full = days >= 365
    rows = [
        {"name": "simulation contributions/s", "value": rate, "unit": "/s", "target": None, "holds": None,
         "note": f"{run.contributions:,} contributions in {days:g} simulated days"},
        {"name": "simulation transactions/s", "value": run.transactions / seconds, "unit": "/s", "target": None,
         "holds": None, "note": f"{run.transactions:,} add_data, refund and report transactions"},
        {"name": f"simulation of {days:g} days", "value": seconds, "unit": "s",
         "target": f"<= {TARGET_SECONDS:g} s" if full else None,
         "holds": seconds <= TARGET_SECONDS if full else None,
         "note": f"plus {loading:.1f} s loading and encoding the 50,000 reviews, {training:.1f} s of baseline"},
        {"name": "bare add_data/s", "value": bare, "unit": "/s", "target": None, "holds": None,
         "note": "the same model and samples in a loop"},
        {"name": "bare add_data / simulation contributions", "value": bare / rate, "unit": "x", "target": None,
         "holds": None, "note": "what agents' turns, claims and daily accuracy cost"},
    ]  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        target = f"  (target {row['target']}: {'met' if row['holds'] else 'missed'})" if row["target"] else ""
        print(f"{row['name']:>42}: {row['value']:,.2f} {row['unit']}{target}  {row['note']}")
    print(
        f"accuracy {run.accuracy[0]:.1%} -> {run.accuracy[-1]:.1%} (all data {run.baseline:.1%}); "
        + ", ".join(f"{a.name} {a.balance[-1]:.1f}%" for a in run.agents)
    )


if __name__ == "__main__":
    main()
