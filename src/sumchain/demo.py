"""The demo: a shared sentiment model, an honest and a label-flipping contributor.

It runs on the real contracts through :class:`~sumchain.client.SharedModel`:
the owner trains a small model off-chain and deploys it; then, over simulated
days, both contributors add reviews with deposits, claim refunds for their own
contributions the model agrees with, and report the others' contributions the
model rejects. Both follow the same rules; only their labels differ.

Beside the model on chain, a Python mirror of it (bit-exact with the contract)
learns from the honest contributions alone: the accuracy it reaches is where
honest data alone would take the model, so the demo shows what the flipper's
data did to the model as well as what it cost the flipper.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sumchain.chain.base import Chain
from sumchain.client import SharedModel
from sumchain.contributions import Contribution
from sumchain.data import tiny_reviews
from sumchain.encoders import IMDB_VOCABULARY, encoder_for
from sumchain.errors import ContractReverted
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.metadata import ModelMetadata
from sumchain.models import SCALE, SparsePerceptron

HOUR = 3_600
CLASSES = ("negative", "positive")
FLIPPER_BUDGET = 2 * 10**17
"""The flipper adds data only while it has lost less than 0.2 ETH (an attacker's budget)."""


@dataclass
class Agent:
    """A contributor: its account and whether it flips labels."""

    name: str
    account: str
    flips: bool
    per_day: int
    budget: int | None = None
    """Most it is willing to lose, in wei: it adds data only while it has lost less than that."""
    start_balance: int = 0
    added: int = 0
    refunds: int = 0
    reports: int = 0


@dataclass
class DayReport:
    """State at the end of one simulated day."""

    day: int
    accuracy: float
    honest_only_accuracy: float
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
        if c.claimable == 0 or now < c.refundable_from or agent.account in c.reported_by:
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
            continue  # the contribution or the model changed since they were read: nothing to take


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
        Progress callbacks for display, called as soon as each step is done.
    """
    texts, labels = tiny_reviews()
    encoder = encoder_for(IMDB_VOCABULARY)
    samples = [encoder.encode(t) for t in texts]
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    train, test, pool = order[:40], order[40:100], order[100:]
    x_test = [samples[i] for i in test]
    y_test = [labels[i] for i in test]

    mirror = SparsePerceptron(n_features=encoder.n_features, learning_rate=SCALE // 2, max_iter=5)
    mirror.fit([samples[i] for i in train], [labels[i] for i in train])
    honest_only = copy.deepcopy(mirror)
    mechanism = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=9 * DAY, any_claim_wait=9 * DAY)
    metadata = ModelMetadata(
        name="movie sentiment (demo)",
        description="The sumchain demo: a sparse perceptron over the IMDB vocabulary, trained on 40 sample reviews.",
        n_features=encoder.n_features,
        class_names=CLASSES,
        encoder=IMDB_VOCABULARY,
    )
    model = SharedModel.deploy(chain, mirror, mechanism=mechanism, metadata=metadata, sender=0)

    def accuracy() -> float:
        return float(model.mirror().score(x_test, y_test))

    initial = accuracy()
    if on_deploy:
        on_deploy(model, initial)
    accounts = chain.accounts
    agents = [
        Agent("honest", accounts[1], flips=False, per_day=10),
        Agent("flipper", accounts[2], flips=True, per_day=2, budget=FLIPPER_BUDGET),
    ]
    for agent in agents:
        agent.start_balance = chain.balance(agent.account)

    rng = random.Random(seed + 1)
    reports = []
    for day in range(1, days + 2):  # the last day adds nothing: it settles the last deposits
        if day <= days:
            active = [a for a in agents if a.budget is None or a.start_balance - chain.balance(a.account) < a.budget]
            turns = [agent for agent in active for _ in range(agent.per_day)]
            rng.shuffle(turns)
            for agent in turns:
                chain.advance_time(rng.randint(HOUR // 2, 3 * HOUR))
                i = rng.choice(pool)
                label = 1 - labels[i] if agent.flips else labels[i]
                model.add_data(samples[i], label, sender=agent.account)
                agent.added += 1
                if not agent.flips:
                    honest_only.partial_fit([samples[i]], [label])
        else:
            chain.advance_time(DAY)
        for agent in agents:
            _claim(model, agent, model.contributions(everyone=True), chain.time())
        balances = {a.name: chain.balance(a.account) - a.start_balance for a in agents}
        reports.append(DayReport(day, accuracy(), float(honest_only.score(x_test, y_test)), balances))
        if on_day:
            on_day(reports[-1], agents)
    return DemoResult(model.address, initial, reports, agents)
