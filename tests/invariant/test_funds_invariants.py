"""Stateful invariants of Deposit, Refund and Take over random call sequences.

After every step: the contract holds exactly the claimable deposits plus the
pending withdrawals, no deposit is paid out twice, ETH is conserved, and an
author's own report always reverts.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sumchain import ContractReverted, DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.incentives import DAY

PLAYERS = [0, 1, 2, 3]  # 0 owns the model
SAMPLES = st.sets(st.integers(0, 5), max_size=4).map(sorted)


class Funds(RuleBasedStateMachine):
    @initialize()
    def deploy(self) -> None:
        self.chain = EmbeddedChain(genesis_time=1_700_000_000)
        incentive = DepositRefundTake(
            cost_weight=10**15, refund_wait=DAY, owner_claim_wait=3 * DAY, any_claim_wait=6 * DAY
        )
        mirror = SparsePerceptron.from_weights([3, -3, 2, -2, 1, -1], learning_rate=2)
        self.model = SharedModel.deploy(self.chain, mirror, incentive=incentive, sender=0)
        self.added: list[tuple[list[int], int, int, str]] = []
        self.total = self._total()

    def _total(self) -> int:
        return sum(self.chain.balance(a) for a in self.chain.accounts[:4]) + self.chain.balance(self.model.address)

    def _attempt(self, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        before = [self.chain.balance(a) for a in self.chain.accounts[:4]] + [self.chain.balance(self.model.address)]
        try:
            action(*args, **kwargs)
        except ContractReverted:
            after = [self.chain.balance(a) for a in self.chain.accounts[:4]] + [self.chain.balance(self.model.address)]
            assert after == before

    @rule(sample=SAMPLES, label=st.integers(0, 1), who=st.sampled_from(PLAYERS), extra=st.integers(0, 10**18))
    def add(self, sample, label, who, extra) -> None:  # type: ignore[no-untyped-def]
        added = self.model.add_data(sample, label, sender=who, value=self.model.cost() + extra)
        self.added.append((sample, label, added.time, self.chain.accounts[who]))

    @rule(seconds=st.integers(1, 8 * DAY))
    def wait(self, seconds) -> None:  # type: ignore[no-untyped-def]
        self.chain.advance_time(seconds)

    @rule(data=st.data())
    def refund(self, data) -> None:  # type: ignore[no-untyped-def]
        if self.added:
            sample, label, time, author = data.draw(st.sampled_from(self.added))
            self._attempt(self.model.refund, sample, label, time, sender=author)

    @rule(data=st.data(), who=st.sampled_from(PLAYERS))
    def report(self, data, who) -> None:  # type: ignore[no-untyped-def]
        if not self.added:
            return
        sample, label, time, author = data.draw(st.sampled_from(self.added))
        if self.chain.accounts[who] == author:
            with pytest.raises(ContractReverted, match="authors cannot report their own data"):
                self.model.report(sample, label, time, author, sender=who)
        else:
            self._attempt(self.model.report, sample, label, time, author, sender=who)

    @invariant()
    def contract_holds_exactly_what_it_owes(self) -> None:
        contributions = self.model.contributions(everyone=True)
        owed = sum(c.claimable for c in contributions)
        pending = sum(self.model.pending_withdrawal(a) for a in self.chain.accounts[:4])
        assert self.chain.balance(self.model.address) == owed + pending
        for c in contributions:
            assert 0 <= c.claimable <= c.deposit
            assert not c.refunded or c.claimable == 0

    @invariant()
    def ether_is_conserved(self) -> None:
        assert self._total() == self.total


TestFunds = Funds.TestCase
TestFunds.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
