"""Events per second from a chain into the event index (SQLite), beside the target (>= 5,000/s).

A sparse perceptron (1,000 features, ``gas.INCENTIVE``) gets ``--events`` contributions
(``add_data`` of 20 random sorted indices from ten rotating accounts; not timed) on the
embedded chain (revm, in memory), and ``--anvil-events`` on a fresh anvil node (sent in
JSON-RPC batches, each mined in its own block). Then, ``--repeats`` times, a fresh index
file follows the model and catches up (:meth:`Indexer.sync`): the time from the first log
query to the last commit, every batch committed to disk with its cursor. Figures are the
median [min .. max] of the repeats. Beside them: listing every contribution from the index
and by replaying the chain's events (``SharedModel.contributions``, which must agree).

Usage: ``python benchmarks/indexer.py [--events N] [--anvil-events N] [--repeats N]``;
anvil comes from ``npm install`` (or ``--anvil PATH``, ``$ANVIL_BIN``); without it the
anvil row is skipped with a message.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.chain.anvil import find_anvil, running_anvil
from sumchain.chain.base import Chain
from sumchain.chain.rpc import RpcChain
from sumchain.gas import ADD_VALUE, INCENTIVE
from sumchain.indexer import EventIndex, Indexer

REPO = Path(__file__).resolve().parents[1]
TARGET = 5_000
N_FEATURES = 1_000
ACCOUNTS = 10


def _samples(count: int, seed: int) -> list[tuple[list[int], int]]:
    rng = random.Random(seed)
    return [(sorted(rng.sample(range(N_FEATURES), 20)), rng.randrange(2)) for _ in range(count)]


def _deploy(chain: Chain) -> SharedModel:
    mirror = SparsePerceptron.from_weights([0] * N_FEATURES, intercept=0, learning_rate=1)
    return SharedModel.deploy(chain, mirror, mechanism=INCENTIVE)


def fill_embedded(count: int) -> tuple[Chain, SharedModel]:
    """An in-memory embedded chain whose model has ``count`` contributions."""
    chain = EmbeddedChain()
    model = _deploy(chain)
    for i, (sample, label) in enumerate(_samples(count, 1)):
        chain.transact(
            model.address,
            model.abi.encode_call("add_data", model.codec.encode(sample), label),
            sender=chain.accounts[i % ACCOUNTS],
            value=ADD_VALUE,
        )
    return chain, model


def fill_anvil(chain: RpcChain, count: int) -> SharedModel:
    """Deploy on the node and send ``count`` contributions in batches, one sender after another."""
    model = _deploy(chain)
    calls = [model.abi.encode_call("add_data", model.codec.encode(s), label) for s, label in _samples(count, 2)]
    for a in range(ACCOUNTS):
        sender = chain.accounts[a]
        chain.receipts(chain.send_many(model.address, calls[a::ACCOUNTS], sender=sender, value=ADD_VALUE, gas=10**6))
    return model


def time_sync(chain: Chain, model: SharedModel, repeats: int) -> tuple[int, list[float]]:
    """Events indexed by one catch-up, and the seconds each of ``repeats`` fresh catch-ups took."""
    seconds, events = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            indexer = Indexer(chain, Path(folder) / "index.sqlite")
            indexer.add(model.address)
            start = time.perf_counter()
            events = indexer.sync().events
            seconds.append(time.perf_counter() - start)
            indexer.close()
    return events, seconds


def time_reads(chain: Chain, model: SharedModel) -> tuple[float, float]:
    """Seconds to list every contribution from an index, and by replaying the chain's events."""
    with tempfile.TemporaryDirectory() as folder:
        indexer = Indexer(chain, Path(folder) / "index.sqlite")
        indexer.add(model.address)
        indexer.sync()
        reader = SharedModel(chain, model.address, index=EventIndex(indexer.path))
        start = time.perf_counter()
        from_index = reader.contributions(everyone=True)
        middle = time.perf_counter()
        replayed = reader.contributions(everyone=True, use_index=False)
        end = time.perf_counter()
        if from_index != replayed:
            sys.exit("the index's contributions differ from the replay's")
        indexer.close()
    return middle - start, end - middle


def report(name: str, events: int, seconds: list[float], reads: tuple[float, float]) -> None:
    rates = sorted(events / s for s in seconds)
    median = statistics.median(rates)
    verdict = "meets" if median >= TARGET else "misses"
    print(
        f"{name:9} {events:7,} events: {median:9,.0f} events/s [{rates[0]:,.0f} .. {rates[-1]:,.0f}] "
        f"({verdict} the target >= {TARGET:,}/s); contributions from the index {reads[0]:.3f} s, "
        f"replayed from the chain {reads[1]:.3f} s"
    )


@contextmanager
def _anvil_chain(binary: str) -> Iterator[RpcChain]:
    with running_anvil(binary, ["--gas-limit", "30000000"]) as node:
        yield RpcChain(node.url, timeout=60)


def _measure(name: str, make: Callable[[], tuple[Chain, SharedModel]], repeats: int) -> None:
    chain, model = make()
    events, seconds = time_sync(chain, model, repeats)
    report(name, events, seconds, time_reads(chain, model))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="contributions on the embedded chain")
    parser.add_argument("--anvil-events", type=int, default=5_000, help="contributions on anvil (0: skip)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh catch-ups timed per chain")
    parser.add_argument("--anvil", help="the anvil binary (default: npm's, $ANVIL_BIN, the PATH)")
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Event indexer: median [min .. max] of {args.repeats} fresh catch-ups; {os.cpu_count()} CPUs, load {load}")
    _measure("embedded", lambda: fill_embedded(args.events), args.repeats)
    binary = args.anvil or find_anvil(REPO)
    if args.anvil_events <= 0:
        return
    if binary is None:
        print("anvil: skipped (not installed: npm install, or --anvil PATH)")
        return
    with _anvil_chain(binary) as chain:
        _measure("anvil", lambda: (chain, fill_anvil(chain, args.anvil_events)), args.repeats)


if __name__ == "__main__":
    main()
