"""Points keeps its counts exact and holds no money, over long random call sequences.

A hypothesis state machine drives the real trainer with Points on a fresh embedded
chain, with the model of the Deposit, Refund and Take machine (predictions flip often,
two weights sit next to their 8-bit bounds): four accounts add data (sending random
value, which must all come back), wait, validate their own contributions and report
others', often exactly one second before or just as the wait ends. A Python ledger of
the mechanism predicts every call: the exact revert reason in the contract's order of
checks, or the point it earns.

After every step one invariant checks:

(a) the trainer holds no ETH and every account's balance is what it was (Points never pays
    nor keeps anything; gas is free on the embedded chain);
(b) each contribution is validated or reported at most once, never both;
(c) the chain equals the ledger: every account's points, validated contributions and
    recorded reports, the total of validated contributions, and the model's packed words
    (its mirror, bit for bit); points == validated contributions + recorded reports;
(d) the leaderboard rebuilt from the events (``SharedModel.standings``) equals the ledger,
    reports drawn by each author included.

Each CI run executes at least :data:`~tests.invariant.counting.OPERATIONS` rules (hypothesis's seed is printed in
pytest's header, the number of operations in its summary).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from sumchain import ContractReverted, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.incentives import DAY, Points
from tests.invariant.counting import CountingMachine, counted, run_counted
from tests.invariant.test_deposit_invariants import GENESIS, LEARNING_RATE, WEIGHT_BITS, WEIGHTS, samples

PEOPLE = [0, 1, 2, 3]
MECHANISM = Points(refund_wait=DAY)
SETTINGS = settings(max_examples=150, stateful_step_count=100, deadline=None)
WHEN = st.sampled_from(["now", "now", "wait-1", "wait", "later"])
"""When a validation or report comes: now, 1 s before or just as the wait ends, or a day after."""


@dataclass
class Entry:
    """The ledger's view of one contribution: what identifies it, and what became of it."""

    data: list[int]
    label: int
    time: int
    author: str
    validated: bool = False
    reported: bool = False


class PointsMachine(CountingMachine):
    @initialize()
    def deploy(self) -> None:
        self.chain = EmbeddedChain(genesis_time=GENESIS)
        self.mirror = SparsePerceptron.from_weights(WEIGHTS, learning_rate=LEARNING_RATE, weight_bits=WEIGHT_BITS)
        self.model = SharedModel.deploy(self.chain, self.mirror, mechanism=MECHANISM, sender=0)
        self.people = [self.chain.accounts[i] for i in PEOPLE]
        self.start = {a: self.chain.balance(a) for a in self.people}
        self.ledger: list[Entry] = []
        self.points = dict.fromkeys(self.people, 0)
        self.valid = dict.fromkeys(self.people, 0)
        self.reports_made = dict.fromkeys(self.people, 0)
        self.reported = dict.fromkeys(self.people, 0)
        self.last_update = 0

    def _now(self) -> int:
        """Block time of the next transaction (each one is mined 1 s later)."""
        return self.chain.time() + 1

    def _pick(self, pick: st.DataObject, when: str) -> Entry | None:
        """A contribution (None before the first), with the clock moved so that the next
        transaction comes ``when`` (see :data:`WHEN`) for it."""
        if not self.ledger:
            return None
        entry = pick.draw(st.sampled_from(self.ledger))
        target = {"now": 0, "wait-1": entry.time + DAY - 1, "wait": entry.time + DAY, "later": entry.time + 2 * DAY}
        if target[when] > self._now():
            self.chain.advance_time(target[when] - self._now())
        return entry

    def _expect(self, reason: str | None, action: Callable[[], object]) -> bool:
        """Run ``action``; it reverts with ``reason``, or succeeds when ``reason`` is None."""
        if reason is None:
            action()
            return True
        event(f"reverted: {reason}")
        with pytest.raises(ContractReverted) as caught:
            action()
        assert caught.value.reason == reason
        return False

    @rule(who=st.sampled_from(PEOPLE), data=samples, label=st.integers(0, 1), value=st.sampled_from([0, 0, 1, 10**18]))
    @counted
    def add_data(self, who: int, data: list[int], label: int, value: int) -> None:
        added = self.model.add_data(data, label, sender=self.people[who], value=value)
        assert added.cost == 0
        self.mirror.partial_fit([data], [label])
        self.last_update = added.time
        self.ledger.append(Entry(data, label, added.time, self.people[who]))

    @rule(seconds=st.integers(0, 3 * DAY) | st.integers(0, 3))
    @counted
    def advance_time(self, seconds: int) -> None:
        self.chain.advance_time(seconds)

    @rule(pick=st.data(), when=WHEN, own=st.booleans())
    @counted
    def validate(self, pick: st.DataObject, when: str, own: bool) -> None:
        entry = self._pick(pick, when)
        if entry is None:
            return
        sender = entry.author if own else pick.draw(st.sampled_from(self.people))
        if sender != entry.author:
            reason: str | None = "data_handler: unknown contribution"
        elif entry.validated:
            reason = "points: already validated"
        elif entry.reported:
            reason = "points: contribution was reported"
        elif self._now() - entry.time < DAY:
            reason = "points: refund wait not over"
        elif int(self.mirror.predict([entry.data])[0]) != entry.label:
            reason = "trainer: model does not agree with the label"
        else:
            reason = None
        if self._expect(reason, lambda: self.model.refund(entry.data, entry.label, entry.time, sender=sender)):
            event("validated")
            entry.validated = True
            self.points[sender] += 1
            self.valid[sender] += 1

    @rule(pick=st.data(), when=WHEN, who=st.sampled_from(PEOPLE))
    @counted
    def report(self, pick: st.DataObject, when: str, who: int) -> None:
        entry = self._pick(pick, when)
        if entry is None:
            return
        reporter = self.people[who]
        now = self._now()
        if reporter == entry.author:
            reason: str | None = "points: authors cannot report their own data"
        elif entry.validated:
            reason = "points: contribution was validated"
        elif entry.reported:
            reason = "points: already reported"
        elif now - entry.time < DAY:
            reason = "points: refund wait not over"
        elif self.valid[reporter] == 0:
            reason = "points: reporter has no validated contributions"
        elif self.last_update == now:
            reason = "points: data added in this block"
        elif int(self.mirror.predict([entry.data])[0]) == entry.label:
            reason = "trainer: model agrees with the label"
        else:
            reason = None
        report = lambda: self.model.report(entry.data, entry.label, entry.time, entry.author, sender=reporter)  # noqa: E731
        if self._expect(reason, report):
            event("reported")
            entry.reported = True
            self.points[reporter] += 1
            self.reports_made[reporter] += 1
            self.reported[entry.author] += 1

    @invariant()
    def counts_are_exact_and_no_money_moves(self) -> None:
        chain, model = self.chain, self.model
        assert chain.balance(model.address) == 0
        assert {a: chain.balance(a) for a in self.people} == self.start
        assert all(not (e.validated and e.reported) for e in self.ledger)
        for account in self.people:
            on_chain = tuple(int(model._call(name, account)) for name in ("points", "num_valid", "reports_made"))
            assert on_chain == (self.points[account], self.valid[account], self.reports_made[account])
        assert sum(self.points.values()) == sum(self.valid.values()) + sum(e.reported for e in self.ledger)
        assert int(model._call("total_good")) == sum(self.valid.values())
        assert model.parameter_words() == self.mirror.to_words()

    def teardown(self) -> None:
        if hasattr(self, "model"):  # (d) once per run: the events tell the same story as the counts
            for standing in self.model.standings():
                assert (standing.score, standing.reports) == (
                    self.points[standing.account],
                    self.reports_made[standing.account],
                )
                assert (standing.validated, standing.reported) == (
                    self.valid[standing.account],
                    self.reported[standing.account],
                )


def test_points_keeps_exact_counts_and_no_money_over_10_000_operations(
    record_property: Callable[[str, object], None],
) -> None:
    run_counted(PointsMachine, SETTINGS, record_property)
