"""When a simulated agent looks at a contribution: not before the refund wait, again only
:data:`LOOK_AGAIN` after it found nothing to claim, and others' contributions only once it
has a validated contribution of its own to report with (the schedule that spares a turn
from scanning every open contribution)."""

from __future__ import annotations

import copy

from sumchain.chain.embedded import EmbeddedChain
from sumchain.metadata import ModelMetadata
from sumchain.models import OnChainModel
from sumchain.sim.data import SimData, load_data
from sumchain.sim.mechanism import LOOK_AGAIN, DepositRefundTakeRules, Entry
from sumchain.sim.runner import GENESIS_TIME, make_mirror
from sumchain.sim.scenario import COIN, DatasetSpec, MechanismSpec, ModelSpec

DAY = 86_400


class Setting:
    """Deposit, Refund and Take deployed on a fresh chain, its mirror, and a record of what each turn looked at."""

    def __init__(self) -> None:
        self.data: SimData = load_data(DatasetSpec(name="tiny-reviews", initial_fraction=0.1), 0)
        self.chain = EmbeddedChain(accounts=4, balance=100 * COIN, genesis_time=GENESIS_TIME)
        self.rules = DepositRefundTakeRules(MechanismSpec(refund_wait_days=1, any_claim_wait_days=9))
        self.mirror: OnChainModel = make_mirror(ModelSpec(type="naive bayes"), self.data)  # it can disagree
        metadata = ModelMetadata(name="schedule", n_features=self.data.n_features, class_names=self.data.class_names)
        owner = self.chain.accounts[0]
        self.model = self.rules.deploy(self.chain, self.mirror, metadata, owner, self.data, 0)
        self.looked: list[tuple[int, ...]] = []

    def predict(self, samples: list[tuple[int, ...]]) -> list[int]:
        self.looked += samples
        return [int(p) for p in self.mirror.predict(samples)]

    def add(self, author: int, *, agrees: bool) -> Entry:
        """A contribution of the stream's that the model, having learnt it, agrees with (or not)."""
        for sample, _ in self.data.stream:
            if any(e.sample == sample for e in self.rules.added):
                continue
            for label in (0, 1):
                learnt = copy.deepcopy(self.mirror).partial_fit([sample], [label])
                if (int(learnt.predict([sample])[0]) == label) == agrees:
                    self.chain.advance_time(600)
                    account = self.chain.accounts[author]
                    return self.rules.add(self.model, self.mirror, sample, label, account, "a", 10 * COIN)
        raise AssertionError("no such sample in the stream")

    def turn(self, account: int, at: int) -> tuple[list[tuple[int, ...]], int]:
        """Settle ``account`` at chain time ``at``: the samples it looked at, and its claims."""
        self.chain.advance_time(at - self.chain.time())
        self.looked = []
        claims = self.rules.settle(self.model, [self.chain.accounts[account]], self.chain.time(), self.predict)
        return self.looked, claims.refunds + claims.reports


def test_an_author_looks_after_the_refund_wait_then_hourly_while_the_model_disagrees() -> None:
    s = Setting()
    rejected = s.add(1, agrees=False)
    first = rejected.added_time + DAY - 1  # mined one second later: a day old
    assert s.turn(1, first - 1) == ([], 0)
    assert s.turn(1, first) == ([rejected.sample], 0)  # the model disagrees: no refund
    assert s.turn(1, first + 1) == ([], 0)
    assert s.turn(1, first + LOOK_AGAIN - 1) == ([], 0)
    assert s.turn(1, first + LOOK_AGAIN) == ([rejected.sample], 0)


def reported_once() -> tuple[Setting, Entry]:
    """Account 1's rejected contribution, reported by account 2 as soon as it can (account 3 validated one
    contribution before, so the report takes half the deposit); checked on the way."""
    s = Setting()
    rejected = s.add(1, agrees=False)
    deposit = rejected.claimable
    good, other = s.add(2, agrees=True), s.add(3, agrees=True)
    assert s.turn(2, rejected.added_time + DAY) == ([], 0)  # nothing of its own to show yet
    ready = other.added_time + DAY - 1
    assert s.turn(3, ready) == ([other.sample], 1)
    assert s.turn(2, ready + 1) == ([good.sample], 1)  # refunded: its first validated contribution
    assert s.turn(2, ready + 2) == ([rejected.sample], 1)  # from the next turn on it reports
    assert rejected.reported_by == {s.chain.accounts[2]} and 0 < rejected.claimable < deposit
    return s, rejected


def test_others_are_looked_at_once_the_agent_has_a_validated_contribution_to_report_with() -> None:
    s, rejected = reported_once()
    assert s.turn(2, rejected.added_time + 2 * DAY) == ([], 0)  # reported once: not looked at again


def test_what_is_left_is_looked_at_again_when_it_may_be_taken_all_of() -> None:
    s, rejected = reported_once()
    expired = rejected.added_time + 9 * DAY - 1
    assert s.turn(2, expired - 1) == ([], 0)
    assert s.turn(2, expired) == ([rejected.sample], 1)  # took all that was left
    assert rejected.claimable == 0


def test_a_claim_moves_the_clock_that_later_claims_of_the_turn_are_judged_by() -> None:
    s = Setting()
    first = s.add(2, agrees=True)
    assert s.turn(2, first.added_time + DAY - 1) == ([first.sample], 1)  # validated: account 2 may report
    own, other = s.add(2, agrees=True), s.add(1, agrees=True)
    # Refunding its own, in the block after `at`, makes `other` old enough to take all of in the block after that.
    at = other.added_time + 9 * DAY - 2
    assert s.turn(2, at) == ([own.sample, other.sample], 2)
    assert other.reported_by == {s.chain.accounts[2]} and other.claimable == 0
