"""The reference simulator's IMDB experiment, re-implemented in pure Python on sumchain's data.

0xDeCA10B's ``simulate.py`` with ``simulate_imdb_perceptron.py``'s agents and model and
``stakeable.py``'s Deposit, Refund and Take rules, on the data of sumchain's ``paper-drt``
scenario (the same 2,000 initial reviews, stream and test set for a seed), with no contract: what
the paper's own code gives on this data, to read the on-chain run (docs/simulation) against.

As the reference: scikit-learn's ``SGDClassifier(loss="perceptron", learning_rate="optimal",
penalty=None, tol=1e-3, random_state=0xDeCA10B)`` fitted on the initial reviews, then
``partial_fit`` on each contribution; an honest agent (10,000 coins, a turn about every 10
minutes, contributing with probability accuracy + 0.15, offering about 50) and a label-flipper
(10,000 coins, every hour, offering about 100); a deposit of ``int(60 / int(sqrt(seconds since
the last contribution)))``, at least 1, and a contribution refused when that is more than the
agent offers; on every turn each contribution a day old or older, oldest first: all that is
left to anyone (the author too) after 9 days, else a refund to its author if the model agrees
with it, else a share to a reporter with refunded contributions if the model disagrees. The
accuracy is evaluated when the reference did (after 10,000 s, then every 200,000 s), which also
sets the honest agent's odds. The all-data baseline is the same estimator fitted on all 25,000
training reviews (the reference hard-coded its own, 79.45%).

With ``--vocabulary keras`` the reviews are the reference's own features instead of sumchain's
1000-word vocabulary: ``keras.datasets.imdb.load_data(num_words=1000)`` through its
``get_features``, 1,000 bits of which bit 1 (Keras's start mark) is always set, bit 2 stands
for every word ranked below the 997 most frequent, and bit ``rank + 3`` for each of those. Keras
never published how it tokenised the reviews; here they are lower-cased, with ``<br />`` giving
the word "br" and apostrophes kept inside words ("don't"), as its word index
(``imdb_word_index.json`` beside the archive, else in ``../shared/datasets``) shows.

Usage: ``python scripts/reference_simulator.py [--seed N] [--imdb PATH] [--vocabulary keras]
[--json]`` (needs scikit-learn: ``pip install -e ".[test]"``).
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
from sklearn.linear_model import SGDClassifier

from sumchain import datasets
from sumchain.sim import load_scenario
from sumchain.sim.data import SimData, load_data, split_initial

DAY = 86_400
REFUND_WAIT, ANY_CLAIM_WAIT = DAY, 9 * DAY
FIRST_RECORD, RECORD_EVERY = 10_000, 200_000
"""Seconds of the reference's first accuracy evaluation after the start, then between two (``accuracy_plot_wait_s``)."""


@dataclass(frozen=True)
class Agent:
    """One of ``simulate_imdb_perceptron.py``'s agents."""

    name: str
    start: int
    wait: float
    """Mean seconds between its turns (standard deviation 1 s)."""
    deposit: tuple[float, float]
    """Mean and standard deviation of what it is willing to deposit."""
    wrong: float
    """Probability of a wrong label: 1 for the flipper, which also contributes on every turn."""


KERAS_WORDS = 1000
"""``num_words`` of the reference's ``ImdbDataModule``."""
KERAS_START, KERAS_OOV = 1, 2
KERAS_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

AGENTS = (Agent("good", 10_000, 600, (50, 10), 0.0001), Agent("bad", 10_000, 3_600, (100, 3), 1.0))


@dataclass
class Contribution:
    """A contribution while some of its deposit is left (the reference's ``StoredData``)."""

    time: int
    author: str
    features: np.ndarray
    label: int
    deposit: int
    left: float
    claimed_by: set[str] = field(default_factory=set)


class Result(TypedDict):
    """What :func:`run` returns."""

    baseline: float
    days: list[float]
    accuracy: list[float]
    balances: dict[str, float]
    counts: dict[str, int]


def dense(pairs: list[tuple[tuple[int, ...], int]], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 rows and labels, as the reference's ``get_features``."""
    x = np.zeros((len(pairs), n_features))
    for row, (sample, _) in enumerate(pairs):
        x[row, list(sample)] = 1
    return x, np.array([label for _, label in pairs])


def keras_features(text: str, ids: dict[str, int]) -> tuple[int, ...]:
    """A review as the reference's features of ``load_data(num_words=1000)`` (see the module's docstring).

    ``ids`` maps each word to its Keras id, its rank in ``imdb_word_index.json`` plus 3.
    """
    found = {KERAS_START}
    for word in KERAS_TOKEN.findall(text.lower()):
        i = ids.get(word, KERAS_WORDS)
        found.add(i if i < KERAS_WORDS else KERAS_OOV)
    return tuple(sorted(found))


def keras_data(path: str, fraction: float, seed: int) -> SimData:
    """The IMDB reviews as :func:`keras_features`, split as ``paper-drt``'s data for ``seed``."""
    archive = Path(path) if path else datasets.IMDB_ARCHIVE
    beside = archive.parent / datasets.KERAS_WORD_INDEX.name
    words = datasets.read_keras_word_index(beside if beside.exists() else datasets.KERAS_WORD_INDEX)
    ids = {word: i for i, word in words.items()}
    splits = datasets.read_imdb_splits(archive)
    train, test = ([(keras_features(t, ids), y) for t, y in zip(*splits[s], strict=True)] for s in ("train", "test"))
    initial, stream = split_initial(train, fraction, random.Random(seed))
    return SimData(initial, stream, test, KERAS_WORDS, ("negative", "positive"))


def perceptron() -> SGDClassifier:
    """The reference's ``PerceptronModule`` estimator."""
    return SGDClassifier(loss="perceptron", learning_rate="optimal", penalty=None, tol=1e-3, random_state=0xDECA10B)


def _draw(rng: random.Random, mean: float, sd: float, least: int) -> int:
    """``int(normalvariate(mean, sd))`` drawn again until it is at least ``least``, as the reference's agents."""
    while True:
        value = int(rng.normalvariate(mean, sd))
        if value >= least:
            return value


def _claim(c: Contribution, name: str, age: int, agrees: bool, valid: Counter[str]) -> tuple[float, str]:
    """What ``name`` gets of ``c`` on its turn, and how: ``simulate.py``'s branches, ``stakeable.py``'s checks."""
    if age > ANY_CLAIM_WAIT or (c.author != name and age >= ANY_CLAIM_WAIT):
        return c.left, "took all"
    if age <= REFUND_WAIT or name in c.claimed_by:
        return 0.0, ""
    if c.author == name:
        return (c.left, "refunds") if agrees else (0.0, "")
    if agrees or not valid[name]:
        return 0.0, ""
    share = c.deposit * valid[name] / sum(valid.values())
    return (share if 0 < share <= c.left else c.left), "reports"


def run(data: SimData, seed: int) -> Result:
    """One simulation: accuracy when the reference evaluated it, final balances (% of start) and counts."""
    x_test, y_test = dense(data.test, data.n_features)
    x_stream, y_stream = dense(data.stream, data.n_features)
    model = perceptron().fit(*dense(data.initial, data.n_features))
    baseline = perceptron().fit(*dense(data.initial + data.stream, data.n_features)).score(x_test, y_test)
    rng = random.Random(seed)
    agents = {a.name: a for a in AGENTS}
    balances = {a.name: float(a.start) for a in AGENTS}
    valid: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    days, accuracy = [0.0], [model.score(x_test, y_test)]
    next_record = FIRST_RECORD
    open_: list[Contribution] = []
    turns = [(_draw(rng, a.wait, 1, 1), a.name) for a in AGENTS]
    heapq.heapify(turns)
    last_add, nxt = 0, 0
    while turns and (nxt < len(y_stream) or open_):
        now, name = heapq.heappop(turns)
        agent = agents[name]
        if now > next_record:
            next_record += RECORD_EVERY
            days.append(now / DAY)
            accuracy.append(model.score(x_test, y_test))
        flipper = agent.wrong == 1
        if balances[name] > 0 and nxt < len(y_stream) and (flipper or rng.random() < accuracy[-1] + 0.15):
            label = 1 - int(y_stream[nxt]) if rng.random() < agent.wrong else int(y_stream[nxt])
            offered = min(_draw(rng, *agent.deposit, 1), balances[name])
            cost = max(1, int(60 / int(math.sqrt(now - last_add)))) if now > last_add else math.inf
            if cost <= offered:  # the contract keeps the cost, not what was offered
                model.partial_fit(x_stream[nxt : nxt + 1], [label])
                balances[name] -= cost
                open_.append(Contribution(now, name, x_stream[nxt], label, int(cost), cost))
                last_add, nxt = now, nxt + 1
                counts[f"{name} added"] += 1
        if balances[name] > 0:
            heapq.heappush(turns, (now + _draw(rng, agent.wait, 1, 1), name))
        after = REFUND_WAIT if nxt < len(y_stream) else ANY_CLAIM_WAIT  # once the data is used up, only takes
        due = [c for c in open_ if now - c.time >= after]  # the reference stops at the first younger one
        agrees = model.predict(np.array([c.features for c in due])) if due else []
        for c, predicted in zip(due, agrees, strict=True):
            amount, kind = _claim(c, name, now - c.time, predicted == c.label, valid)
            if amount > 0:
                if kind == "refunds":
                    valid[name] += 1
                c.left -= amount
                c.claimed_by.add(name)
                balances[name] += amount
                counts[f"{name} {kind}"] += 1
        open_ = [c for c in open_ if c.left > 0]
    days.append(now / DAY)
    accuracy.append(model.score(x_test, y_test))
    return {
        "baseline": baseline,
        "days": days,
        "accuracy": accuracy,
        "balances": {a.name: 100 * balances[a.name] / a.start for a in AGENTS},
        "counts": dict(counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the data's shuffle and the agents' draws")
    parser.add_argument("--imdb", default="", help="the IMDB archive or aclImdb folder (default: ../shared/datasets)")
    parser.add_argument(
        "--vocabulary", choices=("sumchain", "keras"), default="sumchain", help="the features (see above)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = load_scenario("paper-drt").dataset
    if args.vocabulary == "keras":
        data = keras_data(args.imdb, spec.initial_fraction, args.seed)
    else:
        data = load_data(dataclasses.replace(spec, path=args.imdb), args.seed)
    result = run(data, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    accuracy, baseline = result["accuracy"], result["baseline"]
    print(
        f"accuracy {accuracy[0]:.1%} -> {accuracy[-1]:.1%}, lowest {min(accuracy):.1%} "
        f"(all data {baseline:.1%}; within 3 points at {sum(a >= baseline - 0.03 for a in accuracy)} "
        f"of the {len(accuracy)} evaluations)"
    )
    print(", ".join(f"{name} {share:.1f}%" for name, share in result["balances"].items()))
    print(result["counts"])


if __name__ == "__main__":
    main()
