"""Deposit, Refund and Take keeps every wei accounted for, over long random call sequences.

A hypothesis state machine drives the real trainer on a fresh embedded chain. The owner
(account 0), three contributors (accounts 1..3) and an attacker contract (the
``attacker_mock``, see ``tests.helpers.Actor``) add data, wait, ask for refunds, report
each other and withdraw. The attacker also answers its payments by accepting, refusing or
burning all the gas it gets, re-enters the trainer from its ``receive`` when told to, and
makes an add and a report in one transaction, so in one block. A Python ledger of the
mechanism predicts the outcome of every call: the exact revert reason, or the exact
amount paid and to whom (pushed, or kept for ``withdraw``).

After every step, one invariant reads the chain once and checks:

(a) the trainer holds exactly the claimable deposits (its records in storage) plus the
    pending withdrawals plus the bounty left (Deposit, Refund and Take has no bounty);
(b) no contribution holds more than its deposit, and a refunded one holds nothing;
(c) nothing is paid twice: by the ``Refunded`` and ``Reported`` events, each contribution
    paid out exactly its deposit minus what it still holds, its author at most once and
    each reporter at most once;
(d) the ETH of the accounts, the attacker and the trainer is conserved (gas is free on
    the embedded chain);
(e) the chain equals the ledger: records, balances, pending withdrawals, validated
    counts, the last update time and the model's packed words (its mirror, bit for bit).
    An author never gets its own deposit through ``report``: each such report reverts,
    and every balance matches a ledger that never pays it.

Claims only inside their windows: refunds and reports come at random times and often
exactly one second before, or at the second, a window of their contribution opens
(``refund_wait``, ``owner_claim_wait``, ``any_claim_wait``); the ledger says which side
succeeds. A call that reverts must leave every balance, pending withdrawal, record and
parameter word as it was: the ledger books nothing for it. The model keeps 8-bit
weights, two of them next to the bounds, so that some updates saturate a weight at its
field's bound.

Each CI run executes at least :data:`~tests.invariant.counting.OPERATIONS` rules (hypothesis's seed is printed in
pytest's header, the number of operations in its summary).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    invariant,
    precondition,
    rule,
)

from sumchain import ContractReverted, DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.contributions import contribution_key
from sumchain.incentives import DAY
from tests.helpers import Actor, Call
from tests.invariant.counting import CountingMachine, counted, run_counted

GENESIS = 1_700_000_000
OWNER = 0
CONTRIBUTORS = [1, 2, 3]
PEOPLE = [OWNER, *CONTRIBUTORS]
ACTOR = "actor"
"""Stands for the attacker contract where a rule picks a party."""
PAYER = 5
"""The account that sends the attacker contract's transactions (not a party: it only pays)."""
WEIGHTS = [3, -3, 2, -2, 1, -1, 126, -126]
"""Small weights and a learning rate of 2, so that predictions flip often; features 6 and 7
sit next to the bounds of their 8-bit fields, so that some updates saturate."""
LEARNING_RATE = 2
WEIGHT_BITS = 8
INCENTIVE = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=4 * DAY, any_claim_wait=7 * DAY)
WINDOWS = {"refund": INCENTIVE.refund_wait, "owner": INCENTIVE.owner_claim_wait, "any": INCENTIVE.any_claim_wait}
LOCKED = "execution reverted without a reason"
"""What a re-entrant call into the trainer gets."""
"""Rules executed per run, at least."""
SETTINGS = settings(max_examples=200, stateful_step_count=100, deadline=None)
"""Some examples stop early (hypothesis shortens a few): 200 of up to 100 steps give about 15,000."""

WHEN = st.sampled_from(["now", "now", "refund-1", "refund", "owner-1", "owner", "any-1", "any"])
"""When a refund or report comes: now, or (after waiting) 1 s before or just as a window of its contribution opens."""
samples = st.sets(st.integers(0, len(WEIGHTS) - 1), min_size=1, max_size=4).map(sorted)
labels = st.integers(0, 1)
parties = st.sampled_from([*PEOPLE, ACTOR])


@dataclass
class Entry:
    """The ledger's view of one contribution."""

    data: list[int]
    label: int
    time: int
    author: str
    deposit: int
    claimable: int
    key: bytes
    record_call: bytes
    """The calldata that reads its record."""
    refunded: bool = False
    reported_by: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Report:
    """What a report does: its revert reason (None when it pays), the amount it takes, and
    whether that is a share (which marks the reporter) rather than a claim window's take."""

    reason: str | None
    amount: int = 0
    share: bool = False


class DepositMachine(CountingMachine):
    @initialize(
        seed=st.lists(st.tuples(parties, samples, labels, st.integers(1, 10**18)), min_size=2, max_size=6),
        start=st.sampled_from(["fresh", "waited", "refunded", "refunded"]),
    )
    def deploy(self, seed: list[tuple[int | str, list[int], int, int]], start: str) -> None:
        """A fresh chain and model, with a few contributions already made and maybe refunded.

        The seed only makes the steps of an example reach deeper states: change deferred
        to the attacker, reporters with refunded contributions, shares of a deposit.
        """
        self.chain = EmbeddedChain(genesis_time=GENESIS)

        def mirror() -> SparsePerceptron:
            return SparsePerceptron.from_weights(WEIGHTS, learning_rate=LEARNING_RATE, weight_bits=WEIGHT_BITS)

        self.model = SharedModel.deploy(self.chain, mirror(), mechanism=INCENTIVE, sender=OWNER)
        self.mirror = mirror()
        self.actor = Actor.deploy(self.chain)
        self.answer = Actor.ACCEPT
        self.reentering = False
        self.people = [self.chain.accounts[i] for i in PEOPLE]
        self.owner = self.people[OWNER]
        self.payer = self.chain.accounts[PAYER]
        self.parties = [*self.people, self.actor.address, self.payer]
        # The ledger: what the mechanism must have done so far.
        self.ledger: list[Entry] = []
        self.balances = {a: self.chain.balance(a) for a in [*self.parties, self.model.address]}
        self.pending = dict.fromkeys(self.parties, 0)
        self.num_valid = dict.fromkeys(self.parties, 0)
        self.total_good = 0
        self.last_update = int(self.model._call("last_update_time"))
        self.total_ether = sum(self.balances.values())
        self.payouts: dict[bytes, list[tuple[str, str, int]]] = {}
        abi = self.model.abi
        self.state_calls = [
            *(abi.encode_call("pending_withdrawals", a) for a in self.parties),
            *(abi.encode_call("num_valid", a) for a in self.parties),
            abi.encode_call("total_good"),
            abi.encode_call("last_update_time"),
            abi.encode_call("parameter_words", 0, int(self.model._call("total_words"))),
        ]
        self.logs_read = self.chain.block_number()
        for who, data, label, change in seed:
            self.add_data(who, data, label, "more", change)
        if start != "fresh":
            self.chain.advance_time(INCENTIVE.refund_wait)
        for entry in list(self.ledger) if start == "refunded" else []:
            self._refund(entry, entry.author)

    # -- helpers -----------------------------------------------------------

    def _now(self) -> int:
        """Block time of the next transaction (each one is mined 1 s later)."""
        return self.chain.time() + 1

    def _address(self, who: int | str) -> str:
        return self.actor.address if who == ACTOR else self.people[int(who)]

    def _call(self, name: str, *args: Any, value: int = 0) -> Call:
        """A call of the trainer, for the attacker contract to make."""
        if name in ("add_data", "refund", "report"):
            args = (self.model.codec.encode(args[0]), *args[1:])
        return (self.model.address, self.model.abi.encode_call(name, *args), value)

    def _read(self) -> dict[str, Any]:
        """Everything the ledger predicts, read from the chain in one consistent state:
        balances, pending withdrawals, validated counts, the total of them, the last update
        time, the packed words, and each contribution's record in storage (deposit,
        claimable, refunded)."""
        model, n = self.model, len(self.parties)
        outputs = self.chain.call_many(model.address, [*self.state_calls, *(e.record_call for e in self.ledger)])
        names = ["pending_withdrawals"] * n + ["num_valid"] * n + ["total_good", "last_update_time", "parameter_words"]
        values = [model.abi.decode_output(name, out) for name, out in zip(names, outputs, strict=False)]
        return {
            "balances": {a: self.chain.balance(a) for a in [*self.parties, model.address]},
            "pending": dict(zip(self.parties, values[:n], strict=True)),
            "num_valid": dict(zip(self.parties, values[n : 2 * n], strict=True)),
            "total_good": values[2 * n],
            "last_update": values[2 * n + 1],
            "words": list(values[2 * n + 2]),
            "records": [tuple(model.abi.decode_output("contribution", out)) for out in outputs[len(names) :]],
        }

    def _reverts(self, reason: str, action: Callable[[], object]) -> None:
        """``action`` must revert with ``reason``. The ledger books nothing for it, so the
        invariant, which compares the whole state with the ledger after every step, checks
        that it changed nothing."""
        event(f"reverted: {reason}")
        with pytest.raises(ContractReverted) as caught:
            action()
        assert caught.value.reason == reason

    def _run(self, *calls: Call, value: int = 0) -> list[str | None]:
        """The attacker contract makes ``calls`` in one transaction, paid by :data:`PAYER`."""
        self.balances[self.payer] -= value
        self.balances[self.actor.address] += value
        outcomes = self.actor.run(*calls, sender=PAYER, value=value)
        for reason in outcomes:
            event(f"attacker: {reason or 'succeeded'}")
        return outcomes

    def _agrees(self, entry: Entry) -> bool:
        """Whether the model now predicts the contribution's label."""
        return bool(self.mirror.predict([entry.data])[0] == entry.label)

    def _pay(self, recipient: str, amount: int) -> None:
        """The trainer pays ``amount`` to ``recipient``: pushed, or kept for ``withdraw``
        when the recipient (the attacker) refuses it or burns the gas."""
        if amount == 0:
            return
        if recipient == self.actor.address and self.answer != Actor.ACCEPT:
            event("a payment the attacker refused or burned waits for withdraw")
            self.pending[recipient] += amount
            return
        self.balances[self.model.address] -= amount
        self.balances[recipient] += amount
        self._check_reentry(recipient)

    def _check_reentry(self, recipient: str) -> None:
        """After a payment that the attacker accepted: its re-entrant call, if any, was refused."""
        if recipient == self.actor.address and self.reentering:
            event("attacker: re-entered, refused")
            assert self.actor.reentry() == LOCKED

    def _withdrawn(self, recipient: str, amount: int) -> None:
        """The attacker's pending payments, ``amount``, went to ``recipient``."""
        self.pending[self.actor.address] = 0
        self.balances[self.model.address] -= amount
        self.balances[recipient] += amount
        self._check_reentry(recipient)

    def _move(self, sender: str, amount: int) -> None:
        """``sender`` pays ``amount`` into the trainer."""
        self.balances[sender] -= amount
        self.balances[self.model.address] += amount

    def _advance_to(self, entry: Entry, when: str) -> None:
        """Unless ``when`` is "now", wait until the next transaction comes 1 s before or just as a window opens."""
        if when == "now":
            return
        window, _, early = when.partition("-")
        target = entry.time + WINDOWS[window] - (1 if early else 0)
        if target > self._now():
            self.chain.advance_time(target - self._now())
            assert self._now() == target

    def _pick(self, data: st.DataObject, focus: Callable[[Entry], bool] | None = None) -> Entry:
        """A recorded contribution; with ``focus``, one that satisfies it when there is one."""
        focused = [e for e in self.ledger if focus(e)] if focus else []
        return data.draw(st.sampled_from(focused or self.ledger), label="contribution")

    # -- the ledger's rules --------------------------------------------------

    def _add(self, author: str, data: list[int], label: int, cost: int, paid: int) -> None:
        """Book the contribution of ``author`` just mined, that sent ``paid`` for a deposit of ``cost``."""
        self.mirror.partial_fit([data], [label])
        self._move(author, paid)
        self._pay(author, paid - cost)
        self.last_update = self.chain.time()
        packed = self.model.codec.encode(data)
        record_call = self.model.abi.encode_call("contribution", packed, label, self.last_update, author)
        key = contribution_key(packed, label, self.last_update, author)
        self.ledger.append(Entry(data, label, self.last_update, author, cost, cost, key, record_call))

    def _refund_outcome(self, entry: Entry, sender: str) -> str | None:
        """The revert reason of ``sender``'s refund of ``entry`` now, or None when it pays."""
        if sender != entry.author:
            return "data_handler: unknown contribution"
        if entry.refunded:
            return "deposit_refund_take: already refunded"
        if entry.claimable == 0:
            return "deposit_refund_take: nothing left to claim"
        if self._now() - entry.time < INCENTIVE.refund_wait:
            return "deposit_refund_take: refund wait not over"
        if not self._agrees(entry):
            return "trainer: model does not agree with the label"
        return None

    def _book_refund(self, entry: Entry, sender: str) -> None:
        event("refunded")
        self._pay(sender, entry.claimable)
        entry.claimable, entry.refunded = 0, True
        self.num_valid[sender] += 1
        self.total_good += 1

    def _report_outcome(self, entry: Entry, reporter: str, now: int) -> Report:
        """What ``reporter``'s report of ``entry`` at time ``now`` does, in the order the contract checks."""
        if reporter == entry.author:  # (e): whatever the window and the model say
            return Report("deposit_refund_take: authors cannot report their own data")
        if entry.claimable == 0:
            return Report("deposit_refund_take: nothing left to claim")
        age = now - entry.time
        if (reporter == self.owner and age >= INCENTIVE.owner_claim_wait) or age >= INCENTIVE.any_claim_wait:
            event(
                "reported: the owner took the rest" if age < INCENTIVE.any_claim_wait else "reported: any took the rest"
            )
            return Report(None, entry.claimable)
        if age < INCENTIVE.refund_wait:
            return Report("deposit_refund_take: refund wait not over")
        if reporter in entry.reported_by:
            return Report("deposit_refund_take: already reported by this account")
        if self.num_valid[reporter] == 0:
            return Report("deposit_refund_take: reporter has no refunded contributions")
        if self.last_update == now:
            return Report("deposit_refund_take: data added in this block")
        if self._agrees(entry):
            return Report("trainer: model agrees with the label")
        amount = entry.deposit * self.num_valid[reporter] // self.total_good
        if amount == 0 or amount > entry.claimable:
            amount = entry.claimable
        event("reported: a share" if amount < entry.claimable else "reported: all that was left")
        return Report(None, amount, share=True)

    def _book_report(self, entry: Entry, reporter: str, report: Report) -> None:
        assert report.reason is None and reporter != entry.author
        if report.share:
            entry.reported_by.add(reporter)
        self._pay(reporter, report.amount)
        entry.claimable -= report.amount

    # -- rules ---------------------------------------------------------------

    @rule(
        who=parties,
        data=samples,
        label=labels,
        payment=st.sampled_from(["cost", "cost", "more", "less"]),
        amount=st.integers(1, 10**18),
    )
    @counted
    def add_data(self, who: int | str, data: list[int], label: int, payment: str, amount: int) -> None:
        """Pay the cost, more (the change goes back, or waits when the attacker refuses it)
        or less (reverts). The attacker's value comes from :data:`PAYER`."""
        cost = INCENTIVE.cost(self._now() - self.last_update)
        quoted = self.model.cost()  # at the latest block: never below the cost one block later
        assert quoted >= cost
        value = {"cost": quoted, "more": quoted + amount, "less": max(cost - amount, 0)}[payment]
        if who == ACTOR:
            outcome = self._run(self._call("add_data", data, label, value=value), value=value)
            if payment == "less":
                assert outcome == ["deposit_refund_take: insufficient deposit"]
                return
            assert outcome == [None]
            self._add(self.actor.address, data, label, cost, value)
            return
        action = partial(self.model.add_data, data, label, sender=who, value=value)
        if payment == "less":
            self._reverts("deposit_refund_take: insufficient deposit", action)
            return
        added = action()
        assert added.cost == cost
        assert added.contribution.deposit == added.contribution.claimable == cost
        self._add(self.people[int(who)], data, label, cost, value)
        assert self.ledger[-1].time == added.time

    @rule(seconds=st.integers(0, 10 * DAY) | st.integers(0, DAY))
    @counted
    def advance_time(self, seconds: int) -> None:
        self.chain.advance_time(seconds)

    @precondition(lambda self: self.ledger)
    @rule(data=st.data(), focus=st.booleans(), caller=st.sampled_from(["author"] * 4 + [*PEOPLE, ACTOR]), when=WHEN)
    @counted
    def refund(self, data: st.DataObject, focus: bool, caller: str | int, when: str) -> None:
        """By its author (or a stranger); ``focus`` prefers held contributions the model now agrees with."""
        entry = self._pick(data, (lambda e: e.claimable > 0 and self._agrees(e)) if focus else None)
        self._advance_to(entry, when)
        self._refund(entry, entry.author if caller == "author" else self._address(caller))

    def _refund(self, entry: Entry, sender: str) -> None:
        expected = self._refund_outcome(entry, sender)
        if sender == self.actor.address:
            assert self._run(self._call("refund", entry.data, entry.label, entry.time)) == [expected]
        else:
            action = partial(self.model.refund, entry.data, entry.label, entry.time, sender=sender)
            if expected is not None:
                self._reverts(expected, action)
                return
            assert action() == entry.claimable
        if expected is None:
            self._book_refund(entry, sender)

    @precondition(lambda self: self.ledger)
    @rule(data=st.data(), focus=st.booleans(), who=st.sampled_from(["validated", OWNER, *PEOPLE, ACTOR]), when=WHEN)
    @counted
    def report(self, data: st.DataObject, focus: bool, who: str | int, when: str) -> None:
        """By anyone, the author and the owner included.

        ``focus`` prefers contributions with a deposit left that the model now
        rejects; a "validated" reporter is another party with refunded
        contributions, when there is one.
        """
        entry = self._pick(data, (lambda e: e.claimable > 0 and not self._agrees(e)) if focus else None)
        self._advance_to(entry, when)
        if who == "validated":
            validated = [
                p for p in [*PEOPLE, ACTOR] if self.num_valid[self._address(p)] and self._address(p) != entry.author
            ]
            who = data.draw(st.sampled_from(validated or PEOPLE), label="reporter")
        reporter = self._address(who)
        report = self._report_outcome(entry, reporter, self._now())
        if who == ACTOR:
            assert self._run(self._call("report", entry.data, entry.label, entry.time, entry.author)) == [report.reason]
        else:
            action = partial(self.model.report, entry.data, entry.label, entry.time, entry.author, sender=reporter)
            if report.reason is not None:
                self._reverts(report.reason, action)
                return
            assert action() == report.amount
        if report.reason is None:
            self._book_report(entry, reporter, report)

    @precondition(lambda self: self.ledger)
    @rule(data=st.data(), sample=samples, label=labels, when=WHEN)
    @counted
    def add_and_report_in_one_block(self, data: st.DataObject, sample: list[int], label: int, when: str) -> None:
        """The attacker adds data and reports a contribution in one transaction: a report
        that would take a share is refused ("data added in this block")."""
        entry = self._pick(data, lambda e: e.claimable > 0 and e.author != self.actor.address)
        self._advance_to(entry, when)
        # The exact deposit: an excess would be pushed back to the attacker, and one that
        # burns the gas of two pushes in a transaction (excess, then a report's take) runs
        # its own transaction out of gas (each push forwards all but 1/64 of what is left).
        cost = INCENTIVE.cost(self._now() - self.last_update)
        outcomes = self._run(
            self._call("add_data", sample, label, value=cost),
            self._call("report", entry.data, entry.label, entry.time, entry.author),
            value=cost,
        )
        assert outcomes[0] is None
        self._add(self.actor.address, sample, label, cost, cost)
        report = self._report_outcome(entry, self.actor.address, self.last_update)
        assert outcomes[1] == report.reason
        if report.reason is None:
            self._book_report(entry, self.actor.address, report)

    @rule(who=parties)
    @counted
    def withdraw(self, who: int | str) -> None:
        """Accounts never refuse a push, so have nothing pending; the attacker's withdraw
        fails while it refuses or burns, and pays all that is pending otherwise."""
        if who != ACTOR:
            assert self.pending[self.people[int(who)]] == 0
            self._reverts("trainer: nothing to withdraw", partial(self.model.withdraw, sender=who))
            return
        amount = self.pending[self.actor.address]
        expected = None
        if amount == 0:
            expected = "trainer: nothing to withdraw"
        elif self.answer != Actor.ACCEPT:
            expected = "trainer: withdrawal failed"
        assert self._run(self._call("withdraw")) == [expected]
        if expected is None:
            self._withdrawn(self.actor.address, amount)

    @rule(who=parties, recipient=st.sampled_from(PEOPLE))
    @counted
    def withdraw_to(self, who: int | str, recipient: int) -> None:
        """The attacker has what it refused sent to an account; accounts have nothing pending."""
        to = self.people[recipient]
        if who != ACTOR:
            self._reverts("trainer: nothing to withdraw", partial(self.model.withdraw_to, to, sender=who))
            return
        amount = self.pending[self.actor.address]
        expected = "trainer: nothing to withdraw" if amount == 0 else None
        assert self._run(self._call("withdraw_to", to)) == [expected]
        if expected is None:
            event("withdrawn to an account")
            self._withdrawn(to, amount)

    @rule(answer=st.sampled_from([Actor.ACCEPT, Actor.ACCEPT, Actor.REFUSE, Actor.BURN]))
    @counted
    def attacker_answers(self, answer: int) -> None:
        """From now on the attacker accepts, refuses or burns the gas of its payments."""
        self.actor.answer(answer, sender=PAYER)
        self.answer = answer

    @rule(
        data=st.data(),
        call=st.sampled_from(["nothing", "withdraw", "refund", "report", "add_data"]),
        sample=samples,
        label=labels,
    )
    @counted
    def attacker_reenters(self, data: st.DataObject, call: str, sample: list[int], label: int) -> None:
        """From now on the attacker's ``receive`` first calls the trainer again: the lock
        refuses the call (checked after each payment it accepts)."""
        reentry: Call | None = None
        if call == "withdraw":
            reentry = self._call("withdraw")
        elif call == "add_data":
            reentry = self._call("add_data", sample, label, value=INCENTIVE.cost_weight * 3_600)
        elif call != "nothing" and self.ledger:
            entry = self._pick(data)
            args = (entry.data, entry.label, entry.time) + ((entry.author,) if call == "report" else ())
            reentry = self._call(call, *args)
        self.actor.reenter(reentry, sender=PAYER)
        self.reentering = reentry is not None

    # -- the invariant ---------------------------------------------------------

    @invariant()
    def every_wei_is_accounted_for(self) -> None:
        state = self._read()
        records, bounty = state["records"], 0  # Deposit, Refund and Take holds no bounty
        # (a)
        held = state["balances"][self.model.address]
        assert held == sum(claimable for _, claimable, _ in records) + sum(state["pending"].values()) + bounty
        # (b)
        for deposit, claimable, refunded in records:
            assert 0 <= claimable <= deposit
            assert not refunded or claimable == 0
        # (c)
        self._read_payouts()
        for entry, (deposit, claimable, _) in zip(self.ledger, records, strict=True):
            paid = self.payouts.get(entry.key, [])
            assert sum(amount for _, _, amount in paid) == deposit - claimable
            assert [who for kind, who, _ in paid if kind == "Refunded"] in ([], [entry.author])
            assert entry.author not in [who for kind, who, _ in paid if kind == "Reported"]
        # (d)
        assert sum(state["balances"].values()) == self.total_ether
        # (e)
        assert records == [(e.deposit, e.claimable, e.refunded) for e in self.ledger]
        assert state["balances"] == self.balances
        assert state["pending"] == self.pending
        assert state["num_valid"] == self.num_valid
        assert state["total_good"] == self.total_good
        assert state["last_update"] == self.last_update
        assert state["words"] == self.mirror.to_words()

    def _read_payouts(self) -> None:
        """Take in the ``Refunded`` and ``Reported`` events of the blocks since the last step."""
        last = self.chain.block_number()
        for log in self.chain.logs(self.model.address, self.logs_read + 1, last):
            decoded = self.model.abi.decode_event(list(log.topics), log.data)
            if decoded and decoded[0] in ("Refunded", "Reported"):
                name, args = decoded
                who = args["author"] if name == "Refunded" else args["reporter"]
                self.payouts.setdefault(args["key"], []).append((name, who, args["amount"]))
        self.logs_read = last


def test_deposit_refund_take_keeps_every_wei_over_10_000_operations(
    record_property: Callable[[str, object], None],
) -> None:
    run_counted(DepositMachine, SETTINGS, record_property)
