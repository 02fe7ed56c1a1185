"""The reference simulator's IMDB experiment, re-implemented in pure Python on sumchain's data.

0xDeCA10B's ``simulate.py`` with ``simulate_imdb_perceptron.py``'s agents and model and
``stakeable.py``'s Deposit, Refund and Take rules, on the data of sumchain's ``paper-drt``
scenario (the same 2,000 initial reviews, stream and test set for a seed), with no contract: what
the paper's own code gives on this data, to read the on-chain run (docs/simulation) against.

As the reference: scikit-learn's ``SGDClassifier(loss="perceptron", learning_rate="optimal",
penalty=None, tol=1e-3, random_state=0xDeCA10B)`` fitted on the initial reviews, then
``partial_fit`` on each contribution; an honest agent (10,000 coins, a turn about every 10
minutes, contributing with probability accuracy + 0.15) and a label-flipper (10,000 coins, every
hour); a deposit of ``int(60 / int(sqrt(seconds since the last contribution)))``, at least 1; on
every turn each contribution older than a day, oldest first: all that is left to anyone (the author
too) after 9 days, else a refund to its author if the model agrees with it, else a share to a
reporter with refunded contributions if the model disagrees. The all-data baseline is the same
estimator fitted on all 25,000 training reviews (the reference hard-coded its own, 79.45%).

Usage: ``python scripts/reference_simulator.py [--seed N] [--imdb PATH] [--json]`` (needs
scikit-learn: ``pip install -e ".[test]"``).
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import SGDClassifier

from sumchain.sim import load_scenario
from sumchain.sim.data import SimData, load_data

DAY = 86_400
REFUND_WAIT, ANY_CLAIM_WAIT = DAY, 9 * DAY
AGENTS = (  # name, start balance, mean wait (s), probability of a wrong label
    ("good", 10_000, 600, 0.0001),
    ("bad", 10_000, 3_600, 1.0),
)


@dataclass
class Contribution:
    time: int
    author: str
    features: np.ndarray
    label: int
    deposit: int
    left: float
    claimed_by: set[str] = field(default_factory=set)


def dense(pairs: list[tuple[tuple[int, ...], int]], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 rows and labels, as the reference's ``get_features``."""
    x = np.zeros((len(pairs), n_features))
    for row, (sample, _) in enumerate(pairs):
        x[row, list(sample)] = 1
    return x, np.array([label for _, label in pairs])


def perceptron() -> SGDClassifier:
    """The reference's ``PerceptronModule`` estimator."""
    return SGDClassifier(loss="perceptron", learning_rate="optimal", penalty=None, tol=1e-3, random_state=0xDECA10B)


def run(data: SimData, seed: int) -> dict[str, object]:
    """One simulation: accuracy once a simulated day, final balances (% of start) and counts."""
    x_test, y_test = dense(data.test, data.n_features)
    x_stream, y_stream = dense(data.stream, data.n_features)
    model = perceptron().fit(*dense(data.initial, data.n_features))
    baseline = perceptron().fit(*dense(data.initial + data.stream, data.n_features)).score(x_test, y_test)
    rng = random.Random(seed)
    balances = {name: float(start) for name, start, _, _ in AGENTS}
    valid: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    accuracy = [model.score(x_test, y_test)]
    open_: list[Contribution] = []
    turns = [(max(1, int(rng.normalvariate(wait, 1))), name) for name, _, wait, _ in AGENTS]
    heapq.heapify(turns)
    spec = {name: (wait, wrong) for name, _, wait, wrong in AGENTS}
    last_add, nxt = 0, 0
    while turns and (nxt < len(y_stream) or open_):
        now, name = heapq.heappop(turns)
        while now > len(accuracy) * DAY:
            accuracy.append(model.score(x_test, y_test))
        wait, wrong = spec[name]
        honest = wrong < 1
        if balances[name] > 0 and nxt < len(y_stream) and (not honest or rng.random() < accuracy[-1] + 0.15):
            label = 1 - int(y_stream[nxt]) if rng.random() < wrong else int(y_stream[nxt])
            cost = max(1, int(60 / int(math.sqrt(now - last_add)))) if now > last_add else math.inf
            if cost <= balances[name]:
                model.partial_fit(x_stream[nxt : nxt + 1], [label])
                balances[name] -= cost
                open_.append(Contribution(now, name, x_stream[nxt], label, cost, cost))
                last_add, nxt = now, nxt + 1
                counts[f"{name} added"] += 1
        if balances[name] > 0:
            heapq.heappush(turns, (now + max(1, int(rng.normalvariate(wait, 1))), name))
        after = REFUND_WAIT if nxt < len(y_stream) else ANY_CLAIM_WAIT  # once the data is used up, only takes
        due = [c for c in open_ if now - c.time > after]
        agrees = model.predict(np.array([c.features for c in due])) if due else []
        for c, predicted in zip(due, agrees, strict=True):
            amount = 0.0
            if now - c.time > ANY_CLAIM_WAIT:
                amount, kind = c.left, "took all"
            elif c.author == name and name not in c.claimed_by and predicted == c.label:
                amount, kind = c.left, "refunds"
                valid[name] += 1
            elif c.author != name and name not in c.claimed_by and predicted != c.label and valid[name]:
                share = c.deposit * valid[name] / sum(valid.values())
                amount, kind = (share if 0 < share <= c.left else c.left), "reports"
            if amount > 0:
                c.left -= amount
                c.claimed_by.add(name)
                balances[name] += amount
                counts[f"{name} {kind}"] += 1
        open_ = [c for c in open_ if c.left > 0]
    accuracy.append(model.score(x_test, y_test))
    return {
        "baseline": baseline,
        "accuracy": accuracy,
        "balances": {name: 100 * balances[name] / start for name, start, _, _ in AGENTS},
        "counts": dict(counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the data's shuffle and the agents' draws")
    parser.add_argument("--imdb", default="", help="the IMDB archive or aclImdb folder (default: ../shared/datasets)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scenario = load_scenario("paper-drt")
    data = load_data(dataclasses.replace(scenario.dataset, path=args.imdb), args.seed)
    result = run(data, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    accuracy, baseline = result["accuracy"], result["baseline"]
    assert isinstance(accuracy, list) and isinstance(baseline, float)
    print(
        f"accuracy {accuracy[0]:.1%} -> {accuracy[-1]:.1%}, lowest {min(accuracy):.1%} "
        f"(all data {baseline:.1%}; within 3 points at {sum(a >= baseline - 0.03 for a in accuracy)} "
        f"of {len(accuracy)} daily records)"
    )
    print(", ".join(f"{name} {share:.1f}%" for name, share in result["balances"].items()))  # type: ignore[attr-defined]
    print(result["counts"])


if __name__ == "__main__":
    main()
