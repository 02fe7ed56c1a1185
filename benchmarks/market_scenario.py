"""The paper's market scenario (``sumchain.market.scenario``): who gains, who loses, how much
of the bounty is paid.

A good and a label-flipping contributor alternate for 100 contributions on a naive Bayes
model trained on a fifth of the synthetic data; the market runs every phase on the embedded
chain for ``--seed``, and the mirror checks the outcome over ``--seeds`` more (each with the
piece revealed first at ``seed % 8``). Prints each contributor's gain in stakes, the bounty
paid, the scores, and how many seeds show the outcome the scenario should.

Usage: ``python benchmarks/market_scenario.py [--seed 2019] [--seeds 200] [--json]``
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sumchain import EmbeddedChain
from sumchain.market.scenario import TEST_PIECES, Scenario, mirror_outcome, run_market


def measure(seed: int, seeds: int) -> dict[str, Any]:
    """The on-chain outcome of ``seed`` and the mirror's count over ``seeds`` seeds."""
    _, outcome = run_market(EmbeddedChain(), Scenario.draw(seed))
    failing = [s for s in range(seeds) if not mirror_outcome(Scenario.draw(s), s % TEST_PIECES).holds]
    return {
        "seed": seed,
        "good_gain_stakes": outcome.gain_in_stakes("good"),
        "bad_gain_stakes": outcome.gain_in_stakes("flipper"),
        "bounty_paid_share": outcome.bounty_paid,
        "holds": outcome.holds,
        "good_scores": outcome.scores[0::2],
        "bad_scores": outcome.scores[1::2],
        "seeds_checked": seeds,
        "seeds_failing": failing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--seeds", type=int, default=200, help="seeds 0..N-1 checked with the mirror")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = measure(args.seed, args.seeds)
    if args.json:
        print(json.dumps(found, indent=1))
        return
    print(
        f"seed {found['seed']} on chain: good contributor {found['good_gain_stakes']:+.2f} stakes, label-flipper "
        f"{found['bad_gain_stakes']:+.2f} stakes, {found['bounty_paid_share']:.1%} of the bounty paid"
    )
    print(f"good scores: {list(found['good_scores'])}")
    print(f"flipper scores: {list(found['bad_scores'])}")
    held = found["seeds_checked"] - len(found["seeds_failing"])
    print(f"mirror: the outcome holds for {held} of {found['seeds_checked']} seeds (failing: {found['seeds_failing']})")


if __name__ == "__main__":
    main()
