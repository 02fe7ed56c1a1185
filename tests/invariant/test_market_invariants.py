"""The prediction market keeps every wei accounted for, over long random sequences of its steps.

A hypothesis state machine drives a real market (the test perceptron, or in one run of four a
naive Bayes model that can learn nothing more, so that its evaluation is refused; a test set of
8 samples in 3 pieces, committed, sealed and drawn at the start) through random steps in random
order: stakes from four accounts (exact or not), time passing, ending participation, the provider
revealing the next piece (or never), forfeits, evaluation steps, abandoning the evaluation,
settlements of random sizes, withdrawals and sweeps. Each step is predicted from the phase: done, or refused with
the contract's reason, changing nothing.

After every step one invariant checks:

(a) phases only move forward;
(b) the contract holds the stakes and the bounty until the market is done, and then exactly
    what the accounts may still withdraw; payouts are zero-sum: what was withdrawn plus what
    is owed is every stake plus the bounty;
(c) nothing is withdrawn twice (a second withdrawal reverts and pays nothing);
(d) a provider that never revealed the rest keeps nothing of the bounty, unless (e) nobody staked:
    participation then ends after the claim wait too, and the bounty goes back to the provider;
(f) an abandoned evaluation (only once it has not moved for the claim wait) pays as a forfeit: with
    contributors, the provider gets nothing but what it sweeps, and they get every stake and the bounty.

Each CI run executes at least :data:`~tests.invariant.counting.OPERATIONS` rules (hypothesis's
seed is printed in pytest's header, the number of operations in its summary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from sumchain import ContractReverted, EmbeddedChain, NaiveBayes, SparsePerceptron
from sumchain.incentives import DAY
from sumchain.incentives.prediction_market import SETTLED
from sumchain.market import PHASES, Market, PredictionMarket, split_test_set
from tests.invariant.counting import CountingMachine, counted, run_counted
from tests.invariant.test_deposit_invariants import GENESIS, LEARNING_RATE, WEIGHT_BITS, WEIGHTS, samples

STAKE, BOUNTY = 10**15, 10**17
PARAMETERS = PredictionMarket(
    stake=STAKE, min_duration=3_600, min_contributions=1, reveal_window=3 * DAY, claim_wait=5 * DAY
)
TEST = split_test_set(
    [[0], [1], [0, 2], [1, 3], [2], [3], [0, 4], [1, 5]], [1, 0, 1, 0, 1, 0, 1, 0], pieces=3, salt=lambda: bytes(32)
)
ORDER = [*(phase for phase in PHASES if phase != "done"), "done"]
"""The phases in the order they go ("abandoned", numbered after "done", comes before it)."""
FULL = NaiveBayes.from_counts([2**64 - 1] * 2, [[1] * len(WEIGHTS)] * 2)
"""A model that can learn nothing more: each class has counted 2**64 - 1 samples."""
SETTINGS = settings(max_examples=160, stateful_step_count=100, deadline=None)
PEOPLE = [1, 2, 3, 4]


class MarketMachine(CountingMachine):
    @initialize(reveals=st.integers(0, 3), empty=st.integers(0, 7), stuck=st.integers(0, 3))
    def open_market(self, reveals: int, empty: int, stuck: int) -> None:
        """A market in participation; its provider will reveal the rest when asked (three times
        in four), or never; the fast forward stakes once if nobody did (seven times in eight), or
        waits out the claim wait and ends it empty; its model learns (three times in four), or
        refuses every contribution's update, which the fast forward then abandons."""
        self.reveals = reveals > 0
        self.empty = empty == 0
        self.stuck = stuck == 0
        self.chain = EmbeddedChain(genesis_time=GENESIS)
        mirror = (
            FULL
            if self.stuck
            else SparsePerceptron.from_weights(WEIGHTS, learning_rate=LEARNING_RATE, weight_bits=WEIGHT_BITS)
        )
        self.market = Market.create(self.chain, mirror, PARAMETERS, bounty=BOUNTY, sender=0)
        self.market.commit(TEST, sender=0)
        self.market.seal(sender=0)
        self.market.reveal(TEST, self.market.draw(sender=1), sender=0)
        self.accounts = [self.chain.accounts[i] for i in (0, *PEOPLE)]
        self.staked = 0
        self.withdrawn = 0
        self.withdrawn_by: Counter[str] = Counter()
        self.swept = 0
        self.abandoned = False
        self.revealed_rest = False
        self.phase = "participation"

    def _attempt(self, action: Callable[[], object], allowed: bool, reason: str) -> bool:
        """Run ``action``: it must succeed when ``allowed``, else revert with ``reason``."""
        if allowed:
            action()
            return True
        with pytest.raises(ContractReverted) as caught:
            action()
        assert reason in (caught.value.reason or ""), caught.value.reason
        event(f"refused: {reason}")
        return False

    def _now(self) -> int:
        return self.chain.time() + 1

    @rule(who=st.sampled_from(PEOPLE), sample=samples, label=st.integers(0, 1), off=st.sampled_from([0, 0, 0, -1, 1]))
    @counted
    def stake(self, who: int, sample: list[int], label: int, off: int) -> None:
        value, exact = STAKE + off, off == 0
        allowed = self.phase == "participation" and exact
        reason = "send exactly the stake" if self.phase == "participation" else "not in this phase"
        data = self.market.model.codec.encode(sample)
        if self._attempt(lambda: self.market._send("add_data", data, label, sender=who, value=value), allowed, reason):
            self.staked += 1

    @rule(seconds=st.sampled_from([1, 3_600, 3_600, DAY, 4 * DAY, 6 * DAY]))
    @counted
    def advance(self, seconds: int) -> None:
        self.chain.advance_time(seconds)

    @rule(who=st.sampled_from(PEOPLE))
    @counted
    def end(self, who: int) -> None:
        status = self.market.status()
        long_enough = self._now() >= status["opened_at"] + PARAMETERS.min_duration
        waited = self._now() >= status["opened_at"] + PARAMETERS.min_duration + PARAMETERS.claim_wait
        enough = self.staked >= PARAMETERS.min_contributions or waited
        allowed = self.phase == "participation" and long_enough and enough
        reason = (
            "not in this phase"
            if self.phase != "participation"
            else "participation too short"
            if not long_enough
            else "too few contributions"
        )
        if self._attempt(lambda: self.market.end(sender=who), allowed, reason):
            self.phase = "reveal"

    @precondition(lambda self: self.reveals)
    @rule()
    @counted
    def reveal_next(self) -> None:
        pending = [k for k in range(len(TEST.pieces)) if not self.market._read("revealed", k)]
        if not pending:
            return
        in_time = self._now() <= self.market.status()["reveal_deadline"]
        allowed = self.phase == "reveal" and in_time
        reason = "not in this phase" if self.phase != "reveal" else "reveal deadline passed"
        if self._attempt(lambda: self.market.reveal(TEST, pending[0], sender=0), allowed, reason) and len(pending) == 1:
            self.phase, self.revealed_rest = "evaluate", True

    @rule(who=st.sampled_from([0, *PEOPLE]))
    @counted
    def cancel(self, who: int) -> None:
        """Participation is open from the start: nobody may cancel, the provider neither."""
        reason = "market: caller is not the provider" if who else "prediction_market: too late to cancel"
        self._attempt(lambda: self.market.cancel(sender=who), False, reason)

    @rule(who=st.sampled_from(PEOPLE))
    @counted
    def forfeit(self, who: int) -> None:
        late = self._now() > self.market.status()["reveal_deadline"]
        allowed = self.phase == "reveal" and late
        reason = "not in this phase" if self.phase != "reveal" else "reveal deadline not passed"
        if self._attempt(lambda: self.market.forfeit(sender=who), allowed, reason):
            self.phase = "forfeited"

    @precondition(lambda self: self.phase == "evaluate")
    @rule(steps=st.integers(1, 12))
    @counted
    def evaluate_steps(self, steps: int) -> None:
        """Up to ``steps`` transactions of the evaluation: a piece counted, or a contribution applied
        (refused by a model that can learn nothing more)."""
        try:
            self.market.evaluate(sender=5, limit=steps)
        except ContractReverted as refused:
            assert self.stuck and "count overflows its field" in (refused.reason or ""), refused.reason
            event("evaluation refused")
        self.phase = self.market.phase()

    @rule(who=st.sampled_from(PEOPLE))
    @counted
    def abandon(self, who: int) -> None:
        late = self._now() > self.market.status()["moved_at"] + PARAMETERS.claim_wait
        allowed = self.phase == "evaluate" and late
        reason = "not in this phase" if self.phase != "evaluate" else "the evaluation moved within the claim wait"
        if self._attempt(lambda: self.market.abandon(sender=who), allowed, reason):
            self.phase, self.abandoned = "abandoned", True

    @rule(limit=st.integers(1, 3))
    @counted
    def settle(self, limit: int) -> None:
        allowed = self.phase in SETTLED
        if self._attempt(lambda: self.market._send("settle", limit, sender=5), allowed, "not in this phase"):
            self.phase = self.market.phase()

    @rule(who=st.sampled_from([0, *PEOPLE]))
    @counted
    def withdraw(self, who: int) -> None:
        owed = self.market.owed(who)
        allowed = self.phase == "done" and owed > 0
        reason = "not in this phase" if self.phase != "done" else "nothing to withdraw"
        if self._attempt(lambda: self.market.withdraw(sender=who), allowed, reason):
            self.withdrawn += owed
            self.withdrawn_by[self.chain.accounts[who]] += owed
            assert self.market.owed(who) == 0

    @rule(who=st.sampled_from(PEOPLE))
    @counted
    def sweep(self, who: int) -> None:
        account = self.chain.accounts[who]
        if self.phase != "done":
            reason = "not in this phase"
        elif self._now() < self.market.status()["ended_at"] + PARAMETERS.claim_wait:
            reason = "claim wait not over"
        else:
            reason = "" if self.market.owed(account) else "nothing to sweep"
        owed = self.market.owed(account)
        if self._attempt(lambda: self.market.sweep(account, sender=0), not reason, reason):
            self.swept += owed

    @rule()
    def fast_forward(self) -> None:
        """The natural next step of the current phase, through the other rules (hypothesis
        switches rules off at random in each run, so the later phases need a push)."""
        if self.phase == "participation":
            if not self.staked and not self.empty:
                self.stake(1, [0], 1, 0)
            self.advance(3_600 if self.staked else 6 * DAY)
            self.end(2)
        elif self.phase == "reveal":
            if self.reveals:
                for _ in TEST.pieces:
                    self.reveal_next()
            else:
                self.advance(4 * DAY)
                self.forfeit(3)
        elif self.phase == "evaluate":
            self.evaluate_steps(12)
            if self.stuck and self.phase == "evaluate":
                self.advance(6 * DAY)  # past the claim wait after its last step
                self.abandon(4)
        elif self.phase in SETTLED:
            self.settle(3)
        elif self.phase == "done":
            for who in (0, *PEOPLE):
                if self.market.owed(who):
                    self.withdraw(who)
                    break

    @invariant()
    def every_wei_is_accounted_for(self) -> None:
        phase = self.market.phase()
        assert ORDER.index(phase) >= ORDER.index(self.phase if self.phase in ORDER else phase)
        self.phase = phase
        event(f"reached {phase}")
        balance = self.chain.balance(self.market.address)
        if phase == "done":
            owed = sum(self.market.owed(a) for a in self.accounts)
            assert balance == owed
            assert owed + self.withdrawn == self.staked * STAKE + BOUNTY
            if not self.revealed_rest and self.staked:  # (d) a provider that did not reveal keeps nothing
                assert self.market.owed(self.accounts[0]) + self.withdrawn <= self.staked * STAKE + BOUNTY
                assert self.market.status()["bounty_left"] == 0
            if not self.staked:  # (e) nobody joined: the bounty goes back to the provider
                event("done with nobody staked")
                assert self.market.owed(self.accounts[0]) + self.withdrawn == BOUNTY
            if self.abandoned and self.staked:  # (f) paid as a forfeit
                event("done after an abandoned evaluation")
                provider, *contributors = self.accounts
                assert self.market.owed(provider) + self.withdrawn_by[provider] == self.swept
                paid = sum(self.market.owed(a) + self.withdrawn_by[a] for a in contributors)
                assert paid + self.swept == self.staked * STAKE + BOUNTY
        else:
            assert self.withdrawn == 0
            assert balance == self.staked * STAKE + BOUNTY


def test_the_market_keeps_every_wei_over_10_000_operations(record_property: Callable[[str, object], None]) -> None:
    run_counted(MarketMachine, SETTINGS, record_property)
