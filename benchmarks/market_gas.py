"""Gas of every phase of a prediction market, for a test set of T samples and N contributions.

The model is the IMDB sparse perceptron of the gas workloads (the reference's file, 1000
weights); the test samples and the contributions are random 20-index samples with random
labels (seeded), the test set split into the fewest pieces of 32. Every transaction runs on
the embedded chain (revm); each phase's row sums its transactions, with their count and the
dearest one, which must stay under EIP-7825's 16,777,216 gas.

Usage: ``python benchmarks/market_gas.py [--samples 1000] [--contributions 1000] [--json]``
(``--quick``: 64 samples, 20 contributions).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from typing import Any

import numpy as np

from sumchain import EmbeddedChain, SharedModel
from sumchain.chain.base import TX_GAS_CAP, Receipt
from sumchain.gas import GENESIS_TIME, workload
from sumchain.incentives import DAY
from sumchain.market import Market, PredictionMarket, split_test_set
from sumchain.models.reference_file import model_from_spec
from sumchain.original import IMDB_MODEL

INDICES = 20


def measure(samples: int, contributions: int, seed: int = 0) -> list[dict[str, Any]]:
    """One market from deployment to withdrawals; a row per phase."""
    rng = np.random.default_rng(seed)
    mirror = model_from_spec(workload("imdb-sparse-perceptron").spec(IMDB_MODEL))

    def random_samples(count: int) -> list[list[int]]:
        return [sorted(rng.choice(mirror.n_features, size=INDICES, replace=False).tolist()) for _ in range(count)]

    tests = split_test_set(random_samples(samples), rng.integers(0, 2, size=samples).tolist())
    chain = EmbeddedChain(genesis_time=GENESIS_TIME)
    phases: dict[str, list[int]] = defaultdict(list)
    original = chain.transact

    def recorded(phase: str):  # type: ignore[no-untyped-def]
        def transact(*args: Any, **kwargs: Any) -> Receipt:
            receipt = original(*args, **kwargs)
            phases[phase].append(receipt.gas_used)
            return receipt

        return transact

    parameters = PredictionMarket(stake=10**15, min_duration=DAY, min_contributions=contributions)
    deployed: list[int] = []
    model = SharedModel.deploy(
        chain, mirror, mechanism=parameters, sender=0, on_chunk=lambda _d, _t, r: deployed.append(r.gas_used)
    )
    phases["deploy and load the model"] = deployed
    market = Market(model)
    steps = [
        ("fund", lambda: market.fund(10**18, sender=0)),
        ("commit", lambda: market.commit(tests, sender=0)),
        ("seal", lambda: market.seal(sender=0)),
        ("draw", lambda: market.draw(sender=1)),
        ("reveal the drawn piece", lambda: market.reveal(tests, int(market._read("first_piece")), sender=0)),
    ]
    for phase, step in steps:
        chain.transact = recorded(phase)  # type: ignore[method-assign]
        step()
    chain.transact = recorded("add_data (stake)")  # type: ignore[method-assign]
    staked = random_samples(contributions)
    for i, sample in enumerate(staked):
        market.add_data(sample, int(rng.integers(0, 2)), sender=1 + i % 8)
    chain.advance_time(DAY)
    for phase, step in (
        ("end", lambda: market.end(sender=9)),
        ("reveal the rest", lambda: market.reveal_rest(tests, sender=0)),
    ):
        chain.transact = recorded(phase)  # type: ignore[method-assign]
        step()
    started = time.perf_counter()
    chain.transact = recorded("evaluate")  # type: ignore[method-assign]
    market.evaluate(sender=9)
    seconds = time.perf_counter() - started
    chain.transact = recorded("settle")  # type: ignore[method-assign]
    market.settle(sender=9)
    chain.transact = recorded("withdraw")  # type: ignore[method-assign]
    for account in {chain.accounts[1 + i % 8] for i in range(contributions)} | {chain.accounts[0]}:
        if market.owed(account):
            market.withdraw(sender=account)
    rows = []
    for phase, gases in phases.items():
        rows.append(
            {
                "phase": phase,
                "transactions": len(gases),
                "gas": sum(gases),
                "dearest": max(gases),
                "under_eip7825": max(gases) <= TX_GAS_CAP,
            }
        )
    rows.append(
        {"phase": "evaluate (wall time, s)", "transactions": 0, "gas": 0, "dearest": 0, "seconds": round(seconds, 1)}
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000)
    parser.add_argument("--contributions", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="64 test samples, 20 contributions")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples, contributions = (64, 20) if args.quick else (args.samples, args.contributions)
    rows = measure(samples, contributions)
    for row in rows:
        row |= {"samples": samples, "contributions": contributions}
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"Prediction market, {samples} test samples, {contributions} contributions (IMDB sparse perceptron)")
    print(f"{'phase':28} {'txs':>7} {'gas':>16} {'dearest tx':>12}")
    for row in rows:
        if "seconds" in row:
            print(f"{'evaluate wall time':28} {row['seconds']:>7} s")
            continue
        print(f"{row['phase']:28} {row['transactions']:>7,} {row['gas']:>16,} {row['dearest']:>12,}")


if __name__ == "__main__":
    main()
