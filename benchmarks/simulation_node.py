"""The simulator on the embedded chain and on anvil, side by side: transactions per second of one run.

Runs the shipped ``attacks`` scenario (seven agents on 17 accounts: honest ones, a label-flipper,
random labels, spam, a Sybil report farmer and a flood; ``--days`` simulated days) twice in one
process: on a fresh in-memory embedded chain, then on a fresh anvil node driven by
:func:`sumchain.sim.node.on_node` (each transaction gas-estimated, signed, sent and awaited over
JSON-RPC). Prints each one's transactions/s, the ratio between them, and whether the two runs
are the same to the wei (their JSON compared).

Usage: ``python benchmarks/simulation_node.py [--days N] [--quick] [--json] [--anvil PATH]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sumchain.chain.anvil import find_anvil, running_anvil
from sumchain.sim import load_scenario, simulate
from sumchain.sim.node import on_node

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=2.5)
    parser.add_argument("--quick", action="store_true", help="1.5 simulated days")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--anvil", help="the anvil binary (default: $ANVIL_BIN, node_modules, PATH)")
    args = parser.parse_args()
    binary = args.anvil or find_anvil(REPO)
    if binary is None:
        sys.exit("anvil not found: run `npm install`, set $ANVIL_BIN or pass --anvil PATH")
    days = 1.5 if args.quick else args.days
    scenario = load_scenario("attacks")
    started = time.perf_counter()
    in_memory = simulate(scenario, days=days)
    memory_seconds = time.perf_counter() - started
    with running_anvil(binary) as node, on_node(scenario, node.url) as chain:
        started = time.perf_counter()
        on_anvil = simulate(scenario, chain=chain, days=days)
        anvil_seconds = time.perf_counter() - started
    memory_rate = in_memory.transactions / memory_seconds
    anvil_rate = on_anvil.transactions / anvil_seconds
    same = in_memory.to_json() == on_anvil.to_json()
    note = f"attacks, {days:g} simulated days, {in_memory.transactions:,} transactions"
    rows = [
        {"name": "simulation tx/s, embedded chain", "value": memory_rate, "unit": "/s", "target": None,
         "holds": None, "note": note},
        {"name": "simulation tx/s, anvil", "value": anvil_rate, "unit": "/s", "target": None, "holds": None,
         "note": f"{on_anvil.transactions:,} transactions over JSON-RPC"},
        {"name": "embedded / anvil", "value": memory_rate / anvil_rate, "unit": "x", "target": None, "holds": None,
         "note": "the same run " + ("to the wei" if same else "DIFFERS")},
    ]  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        print(f"{row['name']:>34}: {row['value']:,.1f} {row['unit']}  {row['note']}")


if __name__ == "__main__":
    main()
