"""The paper's market scenario on chain: who gains, who loses, how much of the bounty is paid.

Synthetic two-class data over 40 features (class 1 draws 4 features of 0..19, class 0 of
20..39, each sample 2 more from anywhere), a sparse perceptron trained on 20% of it, a good
and a label-flipping contributor alternating for 100 contributions, a hidden test set of 96
samples in 3 pieces, stake 0.01 ETH, bounty 1 ETH; the market runs every phase on the
embedded chain. Prints each contributor's gain in stakes, the bounty paid, and the scores.

Usage: ``python benchmarks/market_scenario.py [--seed 2019] [--json]``
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from sumchain import EmbeddedChain, SparsePerceptron
from sumchain.incentives import DAY
from sumchain.market import Market, PredictionMarket, split_test_set

STAKE, BOUNTY, FEATURES = 10**16, 10**18, 40


def run(seed: int) -> dict[str, Any]:
    """One market; the outcome in stakes and the scores of each side."""
    rng = np.random.default_rng(seed)

    def draw(count: int) -> tuple[list[list[int]], list[int]]:
        labels = rng.integers(0, 2, size=count).tolist()
        samples = []
        for y in labels:
            home = range(0, 20) if y else range(20, 40)
            picked = set(rng.choice(list(home), size=4, replace=False).tolist())
            picked |= set(rng.choice(FEATURES, size=2, replace=False).tolist())
            samples.append(sorted(int(i) for i in picked))
        return samples, labels

    pool, truth = draw(625)
    initial = SparsePerceptron(n_features=FEATURES, learning_rate=10**9, max_iter=1).fit(pool[:125], truth[:125])
    tests = split_test_set(*draw(96), pieces=3)
    chain = EmbeddedChain()
    parameters = PredictionMarket(stake=STAKE, min_duration=DAY, min_contributions=100, reveal_window=DAY)
    market = Market.create(chain, initial, parameters, bounty=BOUNTY, sender=0)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=3), sender=0)
    good, bad = chain.accounts[1], chain.accounts[2]
    for i in range(100):
        label = truth[125 + i] if i % 2 == 0 else 1 - truth[125 + i]
        market.add_data(pool[125 + i], label, sender=good if i % 2 == 0 else bad)
    chain.advance_time(DAY)
    market.end(sender=3)
    market.reveal_rest(tests, sender=0)
    market.evaluate(sender=3)
    market.settle(sender=3)
    scores = market.scores()
    return {
        "seed": seed,
        "good_gain_stakes": (market.owed(good) - 50 * STAKE) / STAKE,
        "bad_gain_stakes": (market.owed(bad) - 50 * STAKE) / STAKE,
        "bounty_paid_share": (BOUNTY - market.owed(chain.accounts[0])) / BOUNTY,
        "good_scores": scores[0::2],
        "bad_scores": scores[1::2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcome = run(args.seed)
    if args.json:
        print(json.dumps(outcome, indent=1))
        return
    print(
        f"seed {outcome['seed']}: good contributor {outcome['good_gain_stakes']:+.2f} stakes, label-flipper "
        f"{outcome['bad_gain_stakes']:+.2f} stakes, {outcome['bounty_paid_share']:.1%} of the bounty paid"
    )
    print(f"good scores: {outcome['good_scores']}")
    print(f"flipper scores: {outcome['bad_scores']}")


if __name__ == "__main__":
    main()
