"""The demo: a shared sentiment model, an honest and a label-flipping contributor.

It runs on the real contracts through :class:`~sumchain.client.SharedModel`:
the owner trains a small model off-chain and deploys it; then, over simulated
days, both contributors add reviews with deposits, claim refunds for their own
contributions the model agrees with, and report the others' contributions the
model rejects. Both follow the same rules; only their labels differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sumchain.chain.base import Chain
from sumchain.client import SharedModel
from sumchain.contributions import Contribution
from sumchain.data import tiny_reviews
from sumchain.encoders import VocabularyEncoder
from sumchain.errors import ContractReverted
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.models import SCALE, SparsePerceptron

HOUR = 3_600


@dataclass
class Agent:
    """A contributor: its account and whether it flips labels."""

    name: str
    account: str
    flips: bool
    per_day: int
    start_balance: int = 0
    added: int = 0
    refunds: int = 0
    reports: int = 0


@dataclass
class DayReport:
    """State at the end of one simulated day."""

    day: int
    accuracy: float
    balances: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoResult:
    """What the demo measured."""

    address: str
    initial_accuracy: float
    days: list[DayReport]
    agents: list[Agent]


def _claim(model: SharedModel, agent: Agent, everything: list[Contribution], now: int) -> None:
    """Refund the agent's own agreed contributions and report others' rejected ones."""
    for c in everything:
        if c.claimable == 0 or now < c.refundable_from:
            continue
        agrees = model.predict(c.data) == c.label
        try:
            if c.author == agent.account and agrees and not c.refunded:
                model.refund(c.data, c.label, c.added_time, sender=agent.account)
                agent.refunds += 1
            elif c.author != agent.account and not agrees and model.num_valid(agent.account) > 0:
                model.report(c.data, c.label, c.added_time, c.author, sender=agent.account)
                agent.reports += 1
        except ContractReverted:
            continue  # e.g. already reported by this agent: nothing more to take


def run_demo(
    chain: Chain,
    *,
    days: int = 10,
    seed: int = 0,
    on_day: Callable[[DayReport, list[Agent]], None] | None = None,
    on_deploy: Callable[[SharedModel, float], None] | None = None,
) -> DemoResult:
    """Run the demo story on ``chain`` (a dev chain: time is advanced).

    Parameters
    ----------
    chain : Chain
        A dev chain whose accounts 0, 1 and 2 play owner, honest and flipper.
    days : int
        Simulated days. Each day the honest contributor adds 10 reviews and
        the flipper 2, as in the paper's scenario (good data more often).
    seed : int
        Seed of the sample order.
    on_day, on_deploy : callable, optional
        Progress callbacks for display.
    """
    texts, labels = tiny_reviews()
    encoder = VocabularyEncoder.imdb()
    samples = [encoder.encode(t) for t in texts]
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    train, test, pool = order[:40], order[40:100], order[100:]
    x_test = [samples[i] for i in test]
    y_test = [labels[i] for i in test]

    mirror = SparsePerceptron(n_features=encoder.n_features, learning_rate=SCALE // 2, max_iter=5)
    mirror.fit([samples[i] for i in train], [labels[i] for i in train])
    incentive = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=9 * DAY, any_claim_wait=9 * DAY)
    model = SharedModel.deploy(chain, mirror, incentive=incentive, sender=0)

    def accuracy() -> float:
        return float(model.mirror().score(x_test, y_test))

    initial = accuracy()
    if on_deploy:
        on_deploy(model, initial)
    accounts = chain.accounts
    agents = [
        Agent("honest", accounts[1], flips=False, per_day=10),
        Agent("flipper", accounts[2], flips=True, per_day=2),
    ]
    for agent in agents:
        agent.start_balance = chain.balance(agent.account)

    rng = random.Random(seed + 1)
    reports = []
    for day in range(1, days + 1):
        turns = [agent for agent in agents for _ in range(agent.per_day)]
        rng.shuffle(turns)
        for agent in turns:
            chain.advance_time(rng.randint(HOUR // 2, 3 * HOUR))
            i = rng.choice(pool)
            label = 1 - labels[i] if agent.flips else labels[i]
            model.add_data(samples[i], label, sender=agent.account)
            agent.added += 1
        reports.append(_end_of_day(model, agents, day, accuracy))
        if on_day:
            on_day(reports[-1], agents)
    # Settlement: one more day without contributions, so that the last day's
    # deposits can be refunded or reported too.
    chain.advance_time(DAY)
    reports.append(_end_of_day(model, agents, days + 1, accuracy))
    if on_day:
        on_day(reports[-1], agents)
    return DemoResult(model.address, initial, reports, agents)


def _end_of_day(model: SharedModel, agents: list[Agent], day: int, accuracy: Callable[[], float]) -> DayReport:
    """Let every agent claim, then record accuracy and balance changes."""
    for agent in agents:
        _claim(model, agent, model.contributions(everyone=True), model.chain.time())
    balances = {a.name: model.chain.balance(a.account) - a.start_balance for a in agents}
    return DayReport(day, accuracy(), balances)
