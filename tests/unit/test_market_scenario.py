"""The paper's market scenario (``sumchain.market.scenario``): a good contributor and a
label-flipper take turns; the flipper gains at most 2 stakes, the good one gains, part but
not all of the bounty is paid, and the wei add up. On the chain for two seeds (every phase,
the payouts equal to the mirror's), and with the mirror for seeds 0-29. Not every draw
shows it: over seeds 0-199 (``python benchmarks/market_scenario.py``) seed 81 does not, a
few lucky flips taking the flipper to +2.01 stakes.
"""

from __future__ import annotations

import pytest

from sumchain import EmbeddedChain
from sumchain.market.scenario import (
    BOUNTY,
    CONTRIBUTIONS,
    STAKE,
    TEST_PIECES,
    Outcome,
    Scenario,
    mirror_outcome,
    run_market,
)


@pytest.mark.parametrize("seed", [2019, 7])
def test_the_scenario_on_chain(seed: int) -> None:
    chain = EmbeddedChain()
    market, outcome = run_market(chain, Scenario.draw(seed))
    assert outcome.gain_in_stakes("flipper") <= 2
    assert outcome.gain_in_stakes("good") > 0
    assert 0 < outcome.provider < BOUNTY
    assert outcome.good + outcome.flipper + outcome.provider == CONTRIBUTIONS * STAKE + BOUNTY
    assert chain.balance(market.address) == CONTRIBUTIONS * STAKE + BOUNTY  # nothing withdrawn yet
    assert outcome.holds
    assert outcome == mirror_outcome(Scenario.draw(seed), int(market.status()["first_piece"]))


def test_the_scenario_holds_for_30_seeds() -> None:
    outcomes = [mirror_outcome(Scenario.draw(seed), seed % TEST_PIECES) for seed in range(30)]
    failing = [(seed, o.gain_in_stakes("good"), o.gain_in_stakes("flipper")) for seed, o in enumerate(outcomes)]
    assert all(o.holds for o in outcomes), [f for f, o in zip(failing, outcomes, strict=True) if not o.holds]


def test_the_outcome_check_fails_when_a_rule_breaks() -> None:
    fair = Outcome(good=60 * STAKE, flipper=45 * STAKE, provider=BOUNTY - 5 * STAKE, scores=())
    assert fair.holds
    assert not Outcome(good=52 * STAKE, flipper=53 * STAKE, provider=BOUNTY - 5 * STAKE, scores=()).holds
    assert not Outcome(good=50 * STAKE, flipper=45 * STAKE, provider=BOUNTY + 5 * STAKE, scores=()).holds
    assert not Outcome(good=55 * STAKE + BOUNTY, flipper=45 * STAKE, provider=0, scores=()).holds
    assert not Outcome(good=55 * STAKE, flipper=45 * STAKE, provider=BOUNTY, scores=()).holds
