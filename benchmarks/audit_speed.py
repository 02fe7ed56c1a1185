"""Seconds ``sumchain.audit.audit`` takes on each model after many contributions, and its parts.

For each of the five model types: a model of ``--features`` features (the reference's IMDB
shape: 1,000) deployed on an in-memory embedded chain with a zero deposit, then
``--contributions`` contributions (20 sorted random indices, or a dense vector of 64 values,
random labels) added through ``SharedModel.add_data`` (not timed). Timed, median of
``--runs``: the whole audit, and apart its parts: reading the contributions from the events,
reading the upload's words from the transaction inputs, and the replay through the mirror.
Each audit must come out OK, else the script exits with an error.

Usage: ``python benchmarks/audit_speed.py [--contributions N] [--features N] [--runs N] [--json]``
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel
from sumchain.audit import audit, uploaded_words
from sumchain.models import MIRRORS, OnChainModel

DENSE_FEATURES = 64


def fitted(cls: type[OnChainModel], n_features: int, rng: np.random.Generator) -> OnChainModel:
    """A mirror fitted on a few random samples of its kind."""
    samples = [sample(cls.sparse, n_features, rng) for _ in range(20)]
    mirror: Any = cls(n_features=n_features)
    return mirror.fit(samples, [i % 2 for i in range(20)])


def sample(sparse: bool, n_features: int, rng: np.random.Generator) -> list[int]:
    if sparse:
        return sorted(rng.choice(n_features, size=20, replace=False).tolist())
    return [int(v) for v in rng.integers(-(10**9), 10**9, size=n_features)]


def timed(step: Callable[[], Any], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(model_type: str, contributions: int, features: int, runs: int) -> dict[str, Any]:
    cls = MIRRORS[model_type]
    n_features = features if cls.sparse else DENSE_FEATURES
    rng = np.random.default_rng(0)
    chain = EmbeddedChain()
    model = SharedModel.deploy(chain, fitted(cls, n_features, rng), mechanism=DepositRefundTake(cost_weight=0))
    for i in range(contributions):
        model.add_data(sample(cls.sparse, n_features, rng), i % 2, sender=1 + i % 9)
    report = audit(model)
    if not report.ok:
        sys.exit(f"{model_type}: the audit failed: {report.summary()}")
    found = model.contributions(everyone=True)
    first_block = found[0].block_number  # the audit reads the upload up to the first contribution
    initial = model.mirror_class.from_chain(model.params, uploaded_words(model, until_block=first_block)[0])

    def replay() -> None:
        copy.deepcopy(initial).partial_fit([c.data for c in found], [c.label for c in found])

    total = timed(lambda: audit(model), runs)
    return {
        "model": model_type,
        "contributions": contributions,
        "words": report.words,
        "audit_s": round(total, 3),
        "events_s": round(timed(lambda: model.contributions(everyone=True), runs), 3),
        "upload_s": round(timed(lambda: uploaded_words(model, until_block=first_block), runs), 3),
        "replay_s": round(timed(replay, runs), 3),
        "contributions_per_s": round(contributions / total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=5_000)
    parser.add_argument("--features", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(t, args.contributions, args.features, args.runs) for t in sorted(MIRRORS)]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'model':36} {'words':>6} {'audit s':>8} {'events s':>9} {'upload s':>9} {'replay s':>9} {'contrib/s':>10}")
    for r in rows:
        print(
            f"{r['model']:36} {r['words']:>6} {r['audit_s']:>8} {r['events_s']:>9} {r['upload_s']:>9} "
            f"{r['replay_s']:>9} {r['contributions_per_s']:>10,}"
        )


if __name__ == "__main__":
    main()
