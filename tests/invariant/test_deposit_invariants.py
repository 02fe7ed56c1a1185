"""Deposit, Refund and Take keeps every wei accounted for, over random call sequences.

A hypothesis state machine drives the real trainer on a fresh embedded chain:
the owner (account 0) and three contributors (accounts 1..3) add data, wait,
ask for refunds, report each other, and withdraw; a contract that refuses ETH
(the rejecting contributor mock) also adds data, so that some payments are
deferred; it cannot ``withdraw`` them itself, but has them sent to an account
with ``withdraw_to``. A Python ledger of the mechanism predicts the
outcome of every call: the exact revert reason, or the exact amount paid.

After every step:

(a) the trainer holds exactly the claimable deposits plus the pending
    withdrawals;
(b) no contribution has more claimable than its deposit, and a refunded one
    has nothing claimable;
(c) the ETH of the four accounts, the mock and the trainer is conserved (gas
    price is 0 on the embedded chain);
(d) an author never gets its own deposit through ``report``: each such report
    reverts, and every balance matches a ledger that never pays it.

A call that reverts must leave every balance, pending withdrawal,
claimable amount and parameter word as it was. The model keeps 8-bit
weights, two of them next to the bounds, so that some updates saturate a
weight at its field's bound: such an ``add_data`` is booked as any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sumchain import ContractReverted, DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_contract
from sumchain.incentives import DAY

GENESIS = 1_700_000_000
OWNER = 0
CONTRIBUTORS = [1, 2, 3]
PEOPLE = [OWNER, *CONTRIBUTORS]
MOCK = "mock"
"""Stands for the rejecting contributor mock where a rule picks an actor."""
WEIGHTS = [3, -3, 2, -2, 1, -1, 126, -126]
"""Small weights and a learning rate of 2, so that predictions flip often; features 6 and 7
sit next to the bounds of their 8-bit fields, so that some updates saturate."""
LEARNING_RATE = 2
WEIGHT_BITS = 8
INCENTIVE = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=4 * DAY, any_claim_wait=7 * DAY)
WINDOWS = {"refund": INCENTIVE.refund_wait, "owner": INCENTIVE.owner_claim_wait, "any": INCENTIVE.any_claim_wait}

WHEN = st.sampled_from(["now", "now", "refund-1", "refund", "owner-1", "owner", "any-1", "any"])
"""When a refund or report comes: now, or (after waiting) 1 s before or just as a window of its contribution opens."""
samples = st.sets(st.integers(0, len(WEIGHTS) - 1), min_size=1, max_size=4).map(sorted)
labels = st.integers(0, 1)


@dataclass
class Entry:
    """The ledger's view of one contribution."""

    data: list[int]
    label: int
    time: int
    author: str
    deposit: int
    claimable: int
    refunded: bool = False
    reported_by: set[str] = field(default_factory=set)


class DepositMachine(RuleBasedStateMachine):
    @initialize(
        seed=st.lists(
            st.tuples(st.sampled_from([*CONTRIBUTORS, MOCK]), samples, labels, st.integers(1, 10**18)),
            min_size=2,
            max_size=6,
        ),
        start=st.sampled_from(["fresh", "waited", "refunded", "refunded"]),
    )
    def deploy(self, seed: list[tuple[int | str, list[int], int, int]], start: str) -> None:
        """A fresh chain and model, with a few contributions already made and maybe refunded.

        The seed only makes the few steps of an example reach deeper states:
        change deferred to the mock, reporters with refunded contributions,
        shares of a deposit.
        """
        self.chain = EmbeddedChain(genesis_time=GENESIS)

        def mirror() -> SparsePerceptron:
            return SparsePerceptron.from_weights(WEIGHTS, learning_rate=LEARNING_RATE, weight_bits=WEIGHT_BITS)

        self.model = SharedModel.deploy(self.chain, mirror(), incentive=INCENTIVE, sender=OWNER)
        self.mirror = mirror()
        mock = compile_contract("mocks/rejecting_contributor_mock")
        self.mock_abi = ContractABI(mock.abi)
        self.mock = self.chain.deploy(mock.bytecode, sender=self.chain.accounts[OWNER]).contract_address
        self.people = [self.chain.accounts[i] for i in PEOPLE]
        self.owner = self.people[OWNER]
        self.parties = [*self.people, self.mock]
        # The ledger: what the mechanism must have done so far.
        self.ledger: list[Entry] = []
        self.balances = {a: self.chain.balance(a) for a in self.parties}
        self.balances[self.model.address] = self.chain.balance(self.model.address)
        self.pending = dict.fromkeys(self.parties, 0)
        self.num_valid = dict.fromkeys(self.parties, 0)
        self.total_good = 0
        self.last_update = int(self.model._call("last_update_time"))
        self.total_ether = sum(self.balances.values())
        for who, data, label, change in seed:
            self.add_data(who, data, label, "more", change, OWNER)
        if start != "fresh":
            self.chain.advance_time(INCENTIVE.refund_wait)
        for entry in list(self.ledger) if start == "refunded" else []:
            if entry.author != self.mock:  # a contract that cannot call refund
                self._refund(entry, entry.author)

    # -- helpers -----------------------------------------------------------

    def _now(self) -> int:
        """Block time of the next transaction (each one is mined 1 s later)."""
        return self.chain.time() + 1

    def _snapshot(self) -> dict[str, Any]:
        chain, model = self.chain, self.model
        return {
            "balances": {a: chain.balance(a) for a in [*self.parties, model.address]},
            "pending": {a: model.pending_withdrawal(a) for a in self.parties},
            "claimable": [c.claimable for c in model.contributions(everyone=True)],
            "words": model.parameter_words(),
        }

    def _reverts(self, reason: str | None, action: Callable[[], object]) -> None:
        """``action`` must revert (with ``reason`` unless None) and change nothing."""
        event(f"reverted: {reason or 'without a reason'}")
        before = self._snapshot()
        with pytest.raises(ContractReverted) as caught:
            action()
        if reason is not None:
            assert caught.value.reason == reason
        assert self._snapshot() == before

    def _agrees(self, entry: Entry) -> bool:
        """Whether the model now predicts the contribution's label."""
        return bool(self.mirror.predict([entry.data])[0] == entry.label)

    def _pay(self, recipient: str, amount: int) -> None:
        self.balances[self.model.address] -= amount
        self.balances[recipient] += amount

    # -- rules -------------------------------------------------------------

    @rule(
        who=st.sampled_from([*PEOPLE, MOCK]),
        data=samples,
        label=labels,
        payment=st.sampled_from(["cost", "cost", "more", "less"]),
        amount=st.integers(1, 10**18),
        payer=st.sampled_from(PEOPLE),
    )
    def add_data(self, who: int | str, data: list[int], label: int, payment: str, amount: int, payer: int) -> None:
        """Pay the cost, more (the change goes back) or less (reverts).

        The mock forwards what ``payer`` sends; it refuses the change, which
        then waits in ``pending_withdrawals``.
        """
        cost = INCENTIVE.cost(self._now() - self.last_update)
        quoted = self.model.cost()  # at the latest block: never below the cost one block later
        assert quoted >= cost
        value = {"cost": quoted, "more": quoted + amount, "less": max(cost - amount, 0)}[payment]
        if who == MOCK:
            call = self.mock_abi.encode_call("add", self.model.address, self.model.codec.encode(data), label)
            action = partial(self.chain.transact, self.mock, call, sender=self.people[payer], value=value)
        else:
            action = partial(self.model.add_data, data, label, sender=who, value=value)
        if payment == "less":
            return self._reverts("deposit_refund_take: insufficient deposit", action)
        self.mirror.partial_fit([data], [label])
        if who == MOCK:
            time, author, paid = action().timestamp, self.mock, value
            self.pending[self.mock] += value - cost
        else:
            added = action()
            assert added.cost == cost
            assert added.contribution.deposit == added.contribution.claimable == cost
            time, author, paid = added.time, self.people[int(who)], cost
        self.balances[self.people[payer] if who == MOCK else author] -= paid
        self.balances[self.model.address] += paid
        self.last_update = time
        self.ledger.append(Entry(data, label, time, author, cost, cost))
        return None

    @rule(seconds=st.integers(0, 10 * DAY) | st.integers(0, DAY))
    def advance_time(self, seconds: int) -> None:
        self.chain.advance_time(seconds)

    def _pick(self, data: st.DataObject, focus: Callable[[Entry], bool] | None = None) -> Entry:
        """A recorded contribution; with ``focus``, one that satisfies it when there is one."""
        focused = [e for e in self.ledger if focus(e)] if focus else []
        return data.draw(st.sampled_from(focused or self.ledger), label="contribution")

    def _advance_to(self, entry: Entry, when: str) -> None:
        """Unless ``when`` is "now", wait until the next transaction comes 1 s before or just as a window opens."""
        if when == "now":
            return
        window, _, early = when.partition("-")
        target = entry.time + WINDOWS[window] - (1 if early else 0)
        if target > self._now():
            self.chain.advance_time(target - self._now())
            assert self._now() == target

    @precondition(lambda self: self.ledger)
    @rule(data=st.data(), focus=st.booleans(), caller=st.sampled_from(["author"] * 4 + PEOPLE), when=WHEN)
    def refund(self, data: st.DataObject, focus: bool, caller: str | int, when: str) -> None:
        """By its author (or a stranger); ``focus`` prefers held contributions the model now agrees with."""
        entry = self._pick(data, (lambda e: e.claimable > 0 and self._agrees(e)) if focus else None)
        self._advance_to(entry, when)
        sender = entry.author if caller == "author" else self.people[int(caller)]
        if sender == self.mock:  # a contract cannot be made to call refund: a stranger tries
            sender = self.people[1]
        self._refund(entry, sender)

    def _refund(self, entry: Entry, sender: str) -> None:
        action = partial(self.model.refund, entry.data, entry.label, entry.time, sender=sender)
        if sender != entry.author:
            return self._reverts("data_handler: unknown contribution", action)
        if entry.refunded:
            return self._reverts("deposit_refund_take: already refunded", action)
        if entry.claimable == 0:
            return self._reverts("deposit_refund_take: nothing left to claim", action)
        if self._now() - entry.time < INCENTIVE.refund_wait:
            return self._reverts("deposit_refund_take: refund wait not over", action)
        if not self._agrees(entry):
            return self._reverts("trainer: model does not agree with the label", action)
        event("refunded")
        assert action() == entry.claimable
        self._pay(sender, entry.claimable)
        entry.claimable, entry.refunded = 0, True
        self.num_valid[sender] += 1
        self.total_good += 1
        return None

    @precondition(lambda self: self.ledger)
    @rule(data=st.data(), focus=st.booleans(), who=st.sampled_from(["validated", OWNER, *PEOPLE]), when=WHEN)
    def report(self, data: st.DataObject, focus: bool, who: str | int, when: str) -> None:
        """By anyone, the author and the owner included.

        ``focus`` prefers contributions with a deposit left that the model now
        rejects; a "validated" reporter is another account with refunded
        contributions, when there is one.
        """
        entry = self._pick(data, (lambda e: e.claimable > 0 and not self._agrees(e)) if focus else None)
        self._advance_to(entry, when)
        if who == "validated":
            validated = [i for i in PEOPLE if self.num_valid[self.people[i]] and self.people[i] != entry.author]
            validated = validated or PEOPLE
            who = data.draw(st.sampled_from(validated), label="reporter")
        reporter = self.people[int(who)]
        action = partial(self.model.report, entry.data, entry.label, entry.time, entry.author, sender=reporter)
        if reporter == entry.author:  # (d): whatever the window and the model say
            return self._reverts("deposit_refund_take: authors cannot report their own data", action)
        if entry.claimable == 0:
            return self._reverts("deposit_refund_take: nothing left to claim", action)
        age = self._now() - entry.time
        if (reporter == self.owner and age >= INCENTIVE.owner_claim_wait) or age >= INCENTIVE.any_claim_wait:
            amount = entry.claimable
            kind = "the owner took the rest" if age < INCENTIVE.any_claim_wait else "someone took the rest"
        else:
            if age < INCENTIVE.refund_wait:
                return self._reverts("deposit_refund_take: refund wait not over", action)
            if reporter in entry.reported_by:
                return self._reverts("deposit_refund_take: already reported by this account", action)
            if self.num_valid[reporter] == 0:
                return self._reverts("deposit_refund_take: reporter has no refunded contributions", action)
            if self._agrees(entry):
                return self._reverts("trainer: model agrees with the label", action)
            amount = entry.deposit * self.num_valid[reporter] // self.total_good
            if amount == 0 or amount > entry.claimable:
                amount = entry.claimable
            entry.reported_by.add(reporter)
            kind = "a share" if amount < entry.claimable else "all that was left"
        event(f"reported: {kind}")
        assert action() == amount
        assert reporter != entry.author
        self._pay(reporter, amount)
        entry.claimable -= amount
        return None

    @rule(who=st.sampled_from([*PEOPLE, MOCK]), payer=st.sampled_from(PEOPLE))
    def withdraw(self, who: int | str, payer: int) -> None:
        """Accounts never refuse a push, so have nothing pending; the mock refuses its own withdrawal."""
        if who == MOCK:
            call = self.mock_abi.encode_call("withdraw", self.model.address)
            expected = "trainer: withdrawal failed" if self.pending[self.mock] else "trainer: nothing to withdraw"
            return self._reverts(expected, partial(self.chain.transact, self.mock, call, sender=self.people[payer]))
        assert self.pending[self.people[int(who)]] == 0
        return self._reverts("trainer: nothing to withdraw", partial(self.model.withdraw, sender=who))

    @rule(who=st.sampled_from([*PEOPLE, MOCK]), recipient=st.sampled_from(PEOPLE), payer=st.sampled_from(PEOPLE))
    def withdraw_to(self, who: int | str, recipient: int, payer: int) -> None:
        """The mock has what it refused sent to an account; accounts have nothing pending."""
        to = self.people[recipient]
        if who != MOCK:
            return self._reverts("trainer: nothing to withdraw", partial(self.model.withdraw_to, to, sender=who))
        call = self.mock_abi.encode_call("withdraw_to", self.model.address, to)
        action = partial(self.chain.transact, self.mock, call, sender=self.people[payer])
        amount = self.pending[self.mock]
        if amount == 0:
            return self._reverts("trainer: nothing to withdraw", action)
        event("withdrawn to an account")
        action()
        self.pending[self.mock] = 0
        self._pay(to, amount)
        return None

    # -- invariants --------------------------------------------------------

    @invariant()
    def trainer_holds_claimable_plus_pending(self) -> None:  # (a)
        claimable = sum(c.claimable for c in self.model.contributions(everyone=True))
        pending = sum(self.model.pending_withdrawal(a) for a in self.parties)
        assert self.chain.balance(self.model.address) == claimable + pending

    @invariant()
    def claimable_within_deposit(self) -> None:  # (b)
        for c in self.model.contributions(everyone=True):
            assert 0 <= c.claimable <= c.deposit
            assert not c.refunded or c.claimable == 0

    @invariant()
    def ether_is_conserved(self) -> None:  # (c)
        total = sum(self.chain.balance(a) for a in [*self.parties, self.model.address])
        assert total == self.total_ether

    @invariant()
    def chain_matches_the_ledger(self) -> None:  # (d), and everything else the ledger knows
        on_chain = self.model.contributions(everyone=True)
        assert [(c.data, c.label, c.added_time, c.author) for c in on_chain] == [
            (tuple(e.data), e.label, e.time, e.author) for e in self.ledger
        ]
        assert [(c.deposit, c.claimable, c.refunded) for c in on_chain] == [
            (e.deposit, e.claimable, e.refunded) for e in self.ledger
        ]
        assert {a: self.chain.balance(a) for a in self.balances} == self.balances
        assert {a: self.model.pending_withdrawal(a) for a in self.parties} == self.pending
        assert {a: self.model.num_valid(a) for a in self.parties} == self.num_valid
        assert self.model._call("total_good") == self.total_good
        assert self.model._call("last_update_time") == self.last_update
        assert self.model.parameter_words() == self.mirror.to_words()


TestDepositInvariants = DepositMachine.TestCase
TestDepositInvariants.settings = settings(max_examples=60, stateful_step_count=50, deadline=None)
