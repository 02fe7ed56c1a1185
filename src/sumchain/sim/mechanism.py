"""The one mechanism-specific part of the simulator: deploying the model with the scenario's
incentive mechanism, sending contributions, the claims an agent attempts on its turn, and
what happens once contributions close.

Each mechanism is a class of :data:`MECHANISMS` with the methods of :class:`Mechanism`:
Deposit, Refund and Take (:class:`DepositRefundTakeRules`), Points (:class:`PointsRules`)
and the prediction market (:class:`PredictionMarketRules`); the runner, the strategies and
the outputs do not depend on which.
"""

from __future__ import annotations

import heapq
import math
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar, Literal, Protocol

from sumchain.chain.base import Chain
from sumchain.client import SharedModel
from sumchain.errors import ContractReverted, SumchainError
from sumchain.incentives import DAY, MAX_COST_WEIGHT, DepositRefundTake, Points
from sumchain.incentives.prediction_market import MAX_PIECES, MAX_TEST_SAMPLES, PredictionMarket
from sumchain.market.client import HiddenTestSet, Market, split_test_set
from sumchain.market.scenario import close_market, open_market
from sumchain.metadata import ModelMetadata
from sumchain.models import OnChainModel
from sumchain.sim.data import Sample, SimData
from sumchain.sim.scenario import COIN, MAX_DAYS, MechanismSpec, ScenarioError

Predict = Callable[[list[tuple[int, ...]]], list[int]]
"""The model's current class of each sample."""
Action = Literal["refund", "report", ""]
"""What an account does with a contribution on its turn: a refund, a report, or nothing."""
LOOK_AGAIN = 3_600
"""Seconds before an agent looks again at a contribution it could claim nothing of (the model
may change its mind meanwhile): agents check the open contributions hourly, not on every turn."""


def _wei(coins: float) -> int:
    """``coins`` in wei, rounded down."""
    return int(Fraction(coins) * COIN)


def _check_days(spec: MechanismSpec, *keys: str) -> None:
    """Each of ``keys``, a duration in days, at most as long as the longest run (:data:`MAX_DAYS`)."""
    for key in keys:
        if getattr(spec, key) > MAX_DAYS:
            raise ScenarioError(f"{key} must be at most {MAX_DAYS:,} days, got {getattr(spec, key):,.10g}")


@dataclass
class Entry:
    """A contribution, as the simulation follows it while it is open (:meth:`Mechanism.open`).

    Its state is what the receipts of ``add_data``, ``refund`` and ``report`` said,
    so it equals the contract's (the tests check that against the events); ``claimable``
    is the part of its deposit (the market: its stake) left in the contract.
    """

    sample: tuple[int, ...]
    label: int
    added_time: int
    author: str
    agent: str
    claimable: int
    refunded: bool = False
    reported_by: set[str] = field(default_factory=set)


@dataclass
class Claims:
    """What one turn of claiming did: amounts in wei and counts."""

    refunds: int = 0
    reports: int = 0
    refunded: int = 0
    taken: int = 0
    reverted: int = 0
    closed: list[Entry] = field(default_factory=list)
    """The contributions it closed (:meth:`Mechanism.open`: nothing more can happen to them)."""


class Mechanism(Protocol):
    """What the runner needs of an incentive mechanism."""

    period: float
    """Seconds after the deployment when contributions close and :meth:`finish` runs (``math.inf``: never)."""

    def deploy(
        self, chain: Chain, mirror: OnChainModel, metadata: ModelMetadata, owner: str, data: SimData, seed: int
    ) -> SharedModel:
        """Deploy the fitted mirror with this mechanism (``data`` and ``seed`` for what else it needs); returns
        the model."""
        ...

    def add(
        self,
        model: SharedModel,
        mirror: OnChainModel,
        sample: tuple[int, ...],
        label: int,
        author: str,
        agent: str,
        value: int,
    ) -> Entry:
        """Send ``author``'s contribution with up to ``value`` wei (:class:`ContractReverted` when refused);
        teach ``mirror`` what the model on chain learns."""
        ...

    def settle(self, model: SharedModel, accounts: list[str], now: int, predict: Predict) -> Claims:
        """Attempt the agent's refunds and reports of the open contributions; update them."""
        ...

    def open(self, entry: Entry) -> bool:
        """Whether anything may still happen to a contribution (the run goes on while one is open)."""
        ...

    def finish(
        self, model: SharedModel, accounts: list[list[str]], entries: list[Entry], mirror: OnChainModel
    ) -> list[Claims]:
        """Once contributions closed: what each agent (by its accounts) got; ``mirror`` learns what the model does."""
        ...

    def result(self, on_chain: OnChainModel) -> OnChainModel:
        """The model this mechanism leaves, given the one on chain (whose accuracy the run records)."""
        ...

    def scored(self, test: list[tuple[Sample, int]]) -> list[tuple[Sample, int]]:
        """The test samples the run's accuracy (and its baseline) is measured on."""
        ...

    def points(self, model: SharedModel, accounts: list[str]) -> int | None:
        """Points the accounts hold (None for a mechanism without points)."""
        ...


class MechanismKind(Protocol):
    """A mechanism's class: the ``[mechanism]`` keys it takes, and its rules for a scenario's table."""

    keys: tuple[str, ...]
    """The keys of :class:`MechanismSpec` it reads, beside ``kind``."""

    def __call__(self, spec: MechanismSpec) -> Mechanism:
        """Its rules with the scenario's parameters."""
        ...


Look = tuple[int, int, Entry]
"""A contribution in an agent's schedule: (time from which it looks at it, its number, the contribution)."""


@dataclass
class _Schedule:
    """When one agent looks at each contribution again, so that a turn does not scan them all."""

    looks: list[Look] = field(default_factory=list)
    """Heap of the contributions it will look at, by time."""
    refused: list[Look] = field(default_factory=list)
    """Heap of those :meth:`_ClaimRules._due` refused, by the time from which it may take all of them."""
    known: int = 0
    """Contributions put in :attr:`looks` so far (they are numbered in the order added)."""
    validators: int = 0
    """Its accounts with validated contributions when :attr:`refused` was last looked at."""


class _ClaimRules(ABC):
    """Deposit, Refund and Take and Points: a model that learns every contribution as it comes, and
    agents that claim on their turns what the rules allow (the hooks :meth:`_due` and :meth:`_action`)."""

    period = math.inf
    parameters: DepositRefundTake | Points

    def __init__(self) -> None:
        self.num_valid: Counter[str] = Counter()
        self.owner = ""
        self.added: list[Entry] = []
        """Every contribution, in the order added."""
        self.schedules: dict[str, _Schedule] = {}
        """Each agent's (by its first account)."""

    def deploy(
        self, chain: Chain, mirror: OnChainModel, metadata: ModelMetadata, owner: str, data: SimData, seed: int
    ) -> SharedModel:
        """Deploy ``mirror`` with these parameters (not listed in any registry)."""
        self.owner = owner
        return SharedModel.deploy(
            chain, mirror, mechanism=self.parameters, metadata=metadata, sender=owner, registry=False
        )

    def add(
        self,
        model: SharedModel,
        mirror: OnChainModel,
        sample: tuple[int, ...],
        label: int,
        author: str,
        agent: str,
        value: int,
    ) -> Entry:
        """``add_data`` with ``value`` (the contract keeps the cost); the model and ``mirror`` learn the sample."""
        added = model.add_data(sample, label, sender=author, value=value)
        mirror.partial_fit([sample], [label])
        entry = Entry(sample, label, added.time, author, agent, added.cost)
        self.added.append(entry)
        return entry

    def open(self, entry: Entry) -> bool:
        """While part of its deposit is left."""
        return entry.claimable > 0

    def finish(
        self, model: SharedModel, accounts: list[list[str]], entries: list[Entry], mirror: OnChainModel
    ) -> list[Claims]:
        """Nothing: contributions never close (:attr:`period` is infinite)."""
        return [Claims() for _ in accounts]

    def result(self, on_chain: OnChainModel) -> OnChainModel:
        """The model on chain."""
        return on_chain

    def scored(self, test: list[tuple[Sample, int]]) -> list[tuple[Sample, int]]:
        """The test samples a run's accuracy is measured on: all of them."""
        return test

    def points(self, model: SharedModel, accounts: list[str]) -> int | None:
        """None: no points."""
        return None

    def _always_due(self, accounts: list[str]) -> int:
        """The age from which the accounts look at a contribution on every turn (not only every
        :data:`LOOK_AGAIN`): never, unless the rules say otherwise."""
        return 2**256

    @abstractmethod
    def _due(self, entry: Entry, accounts: list[str], age: int, always: int) -> bool:
        """Whether the accounts look at ``entry`` (``age`` seconds old when mined) on this turn,
        :data:`LOOK_AGAIN` having passed since they last found nothing to claim, or ``age``
        being at least ``always`` (:meth:`_always_due`). Once False, it must stay False until
        ``age`` reaches ``always`` or another of the accounts gets its first validated contribution
        (the schedule does not ask again before)."""

    @abstractmethod
    def _action(
        self, entry: Entry, account: str, accounts: list[str], agrees: bool, clock: Callable[[], int]
    ) -> Action:
        """``"refund"``, ``"report"`` or ``""`` (nothing): what ``account`` does with ``entry``; ``clock()``
        gives the chain's time (a claim is mined one second later)."""

    def settle(self, model: SharedModel, accounts: list[str], now: int, predict: Predict) -> Claims:
        """Refund and report what the rules allow the accounts to, oldest first.

        ``now`` is the chain's time (the transactions are mined one second later each);
        ``predict`` gives the model's current class of each sample (the runner's mirror of the
        chain: the contract checks every claim again, and a claim it refuses is counted in
        :attr:`Claims.reverted`). A contribution the accounts could claim nothing of is
        looked at again :data:`LOOK_AGAIN` later.
        """
        claims = Claims()
        schedule = self.schedules.setdefault(accounts[0], _Schedule())
        always = self._always_due(accounts)
        due = self._due_now(schedule, accounts, now, always)
        if not due:
            return claims
        predictions = predict([e.sample for _, e in due])
        known: int | None = now

        def clock() -> int:
            """The chain's time, read again only after a claim was sent."""
            nonlocal known
            if known is None:
                known = model.chain.time()
            return known

        for (number, entry), predicted in zip(due, predictions, strict=True):
            before = claims.refunds + claims.reports
            for account in accounts:
                if not self.open(entry):
                    break
                action = self._action(entry, account, accounts, predicted == entry.label, clock)
                if not action:
                    continue
                known = None
                try:
                    if action == "refund":
                        amount = model.refund(entry.sample, entry.label, entry.added_time, sender=account)
                        entry.refunded, entry.claimable = True, entry.claimable - amount
                        self.num_valid[account] += 1
                        claims.refunds += 1
                        claims.refunded += amount
                    else:
                        amount = model.report(entry.sample, entry.label, entry.added_time, entry.author, sender=account)
                        entry.reported_by.add(account)
                        entry.claimable -= amount
                        claims.reports += 1
                        claims.taken += amount
                except ContractReverted:
                    claims.reverted += 1
            if not self.open(entry):
                claims.closed.append(entry)
                continue
            claimed = claims.refunds + claims.reports > before
            look = now if claimed else min(now + LOOK_AGAIN, entry.added_time + always - 1)
            heapq.heappush(schedule.looks, (look, number, entry))
        return claims

    def _due_now(self, schedule: _Schedule, accounts: list[str], now: int, always: int) -> list[tuple[int, Entry]]:
        """The open contributions the accounts look at on this turn (:meth:`_due`), oldest first, by number."""
        wait = self.parameters.refund_wait
        for number in range(schedule.known, len(self.added)):
            entry = self.added[number]
            heapq.heappush(schedule.looks, (entry.added_time + wait - 1, number, entry))
        schedule.known = len(self.added)
        validators = sum(1 for a in accounts if self.num_valid[a])
        if validators != schedule.validators:  # what was refused may not be any more
            schedule.validators = validators
            woken, schedule.refused = schedule.refused, []
        else:  # what may be taken all of by now
            woken = []
            while schedule.refused and schedule.refused[0][0] <= now:
                woken.append(heapq.heappop(schedule.refused))
        looks = schedule.looks
        for _, number, entry in woken:
            heapq.heappush(looks, (now, number, entry))
        found = []
        while looks and looks[0][0] <= now:
            _, number, entry = heapq.heappop(looks)
            if self.open(entry):
                found.append((number, entry))
        found.sort(key=lambda pair: pair[0])
        due = []
        for number, entry in found:
            if self._due(entry, accounts, now + 1 - entry.added_time, always):
                due.append((number, entry))
            else:
                heapq.heappush(schedule.refused, (entry.added_time + always - 1, number, entry))
        return due


class DepositRefundTakeRules(_ClaimRules):
    """Deposit, Refund and Take as the reference simulator's agents play it.

    On its turn an agent, from each of its accounts, asks for a refund of its own
    contributions the model agrees with once ``refund_wait`` has passed, and reports
    others' contributions the model rejects (when the account has refunded
    contributions), or takes what is left of any contribution after
    ``any_claim_wait`` (the model's owner, an agent of the ``owner`` strategy, after
    ``owner_claim_wait``). Predictions come in one batch per turn.

    Parameters
    ----------
    spec : MechanismSpec
        The scenario's parameters (the cost weight in coins per hour, waits in days).
    """

    keys: ClassVar[tuple[str, ...]] = (
        "cost_weight",
        "refund_wait_days",
        "owner_claim_wait_days",
        "any_claim_wait_days",
    )
    parameters: DepositRefundTake

    def __init__(self, spec: MechanismSpec) -> None:
        super().__init__()
        waits = self.keys[1:]
        _check_days(spec, *waits)
        days = [getattr(spec, key) for key in waits]
        if sorted(days) != days:
            raise ScenarioError(f"the waits must satisfy {' <= '.join(waits)}, got {', '.join(f'{d:g}' for d in days)}")
        cost_weight = _wei(spec.cost_weight) // 60  # coins an hour after the last contribution, in wei a minute
        if cost_weight > MAX_COST_WEIGHT:
            raise ScenarioError(
                f"cost_weight must be at most {MAX_COST_WEIGHT * 60 // COIN:,} coins (the contract keeps every "
                f"deposit below 2**96 wei), got {spec.cost_weight:,.10g}"
            )
        self.parameters = DepositRefundTake(
            cost_weight=cost_weight,
            refund_wait=round(spec.refund_wait_days * DAY),
            owner_claim_wait=round(spec.owner_claim_wait_days * DAY),
            any_claim_wait=round(spec.any_claim_wait_days * DAY),
            unsafe=True,
        )

    def _take_all(self, accounts: list[str]) -> int:
        """The age from which the accounts may take all that is left (the owner sooner, by its own wait)."""
        waits = self.parameters
        return waits.owner_claim_wait if self.owner in accounts else waits.any_claim_wait

    def _always_due(self, accounts: list[str]) -> int:
        """The age from which the accounts may take all that is left."""
        return self._take_all(accounts)

    def _due(self, entry: Entry, accounts: list[str], age: int, always: int) -> bool:
        """Its own unrefunded ones; others' it may report, or take all of."""
        if entry.author in accounts:
            return not entry.refunded
        return age >= always or any(a not in entry.reported_by for a in accounts if self.num_valid[a])

    def _action(
        self, entry: Entry, account: str, accounts: list[str], agrees: bool, clock: Callable[[], int]
    ) -> Action:
        """A refund of its own the model agrees with; a report of another's it rejects (once per
        account, by an account with refunds), or of anything old enough to take all of."""
        if account == entry.author:
            return "refund" if agrees and not entry.refunded else ""
        expired = clock() + 1 - entry.added_time >= self._take_all(accounts)
        if expired or (not agrees and self.num_valid[account] and account not in entry.reported_by):
            return "report"
        return ""


class PointsRules(_ClaimRules):
    """Points: contributions are free, and no money moves; claims earn points.

    On its turn an agent validates (``refund``) each of its own contributions the model
    still agrees with once ``refund_wait`` has passed, a point each; and, from an account
    with validated contributions, reports another's contribution the model rejects, a
    point to the reporter. A contribution is validated or reported once, never both
    (``contracts/incentives/points.vy``). Predictions come in one batch per turn.

    Parameters
    ----------
    spec : MechanismSpec
        The scenario's parameters: ``refund_wait_days`` only.
    """

    keys: ClassVar[tuple[str, ...]] = ("refund_wait_days",)

    def __init__(self, spec: MechanismSpec) -> None:
        super().__init__()
        _check_days(spec, "refund_wait_days")
        self.parameters = Points(refund_wait=round(spec.refund_wait_days * DAY), unsafe=True)

    def open(self, entry: Entry) -> bool:
        """Until it is validated or reported."""
        return not entry.refunded and not entry.reported_by

    def points(self, model: SharedModel, accounts: list[str]) -> int | None:
        """The accounts' points, as the contract holds them."""
        return sum(model.points(a) for a in accounts)

    def _due(self, entry: Entry, accounts: list[str], age: int, always: int) -> bool:
        """Its own, and others' when an account has validated contributions."""
        return entry.author in accounts or any(self.num_valid[a] for a in accounts)

    def _action(
        self, entry: Entry, account: str, accounts: list[str], agrees: bool, clock: Callable[[], int]
    ) -> Action:
        """Validate its own if the model agrees; report another's it rejects (from an account with validations)."""
        if account == entry.author:
            return "refund" if agrees else ""
        return "report" if not agrees and self.num_valid[account] else ""


class PredictionMarketRules:
    """The prediction market: the model's owner (the bank, or the ``owner`` agent) provides a bounty and a
    hidden test set; agents stake on their contributions, and the test set scores them at the end.

    On deployment the provider funds the bounty, commits the first ``test_size`` samples of the
    simulation's test set (0: half of it) in ``pieces`` (salts drawn from the seed) and reveals the piece drawn
    (:func:`~sumchain.market.scenario.open_market`). An agent's contribution stakes exactly the
    stake when the deposit it is willing to pay covers it (else it offers what it is willing to
    pay, and the contract refuses it); the model does not learn during participation. Agents claim
    nothing on their turns. After ``contribution_days`` (:attr:`period`), :meth:`finish` ends
    participation, reveals the rest, pushes the evaluation and the settlement
    (:func:`~sumchain.market.scenario.close_market`), and every account, the provider's too,
    withdraws what it is owed: an agent's withdrawals count as refunded. The model the market
    leaves is its initial one with the contributions the rewards kept
    (:meth:`~sumchain.market.client.Market.finalized_mirror`); the run records its accuracy
    from then on. A market nobody contributed to is left open (the contract lets anyone end it
    only once it also lasted its claim wait, and its bounty then goes back to the provider), and a
    run shorter than ``contribution_days`` leaves it open (the stakes and the bounty in it).

    Parameters
    ----------
    spec : MechanismSpec
        The scenario's parameters (bounty and stake in coins, durations in days).
    """

    keys: ClassVar[tuple[str, ...]] = (
        "bounty",
        "stake",
        "test_size",
        "pieces",
        "contribution_days",
        "reveal_window_days",
    )

    def __init__(self, spec: MechanismSpec) -> None:
        _check_days(spec, "contribution_days", "reveal_window_days")
        for key, least, words in (("contribution_days", 60, "a minute"), ("reveal_window_days", 3_600, "an hour")):
            given = getattr(spec, key)
            if not given * DAY >= least:  # the reveal of up to 1,024 pieces takes a second each
                raise ScenarioError(f"{key} must be at least {words} ({least / DAY:.3g} days), got {given:g}")
        if not MAX_TEST_SAMPLES <= _wei(spec.stake) < 2**96:
            raise ScenarioError(
                f"stake must be at least {MAX_TEST_SAMPLES / COIN:g} coins (a wei for each test sample a market "
                f"may hold) and below {2**96 // COIN:,} coins (2**96 wei), got {spec.stake:,.10g}"
            )
        if _wei(spec.bounty) == 0:
            raise ScenarioError(f"bounty must be above 0 coins, got {spec.bounty:,.10g}")
        if spec.pieces == 1 or spec.pieces > MAX_PIECES:
            raise ScenarioError(
                f"pieces must be 0 (the fewest that fit) or from 2 to {MAX_PIECES:,}, got {spec.pieces:,}"
            )
        if spec.test_size == 1 or spec.test_size > MAX_TEST_SAMPLES:
            raise ScenarioError(
                f"test_size must be 0 (half of the test set) or from 2 to {MAX_TEST_SAMPLES:,}, got {spec.test_size:,}"
            )
        self.parameters = PredictionMarket(
            stake=_wei(spec.stake),
            min_duration=round(spec.contribution_days * DAY),
            reveal_window=round(spec.reveal_window_days * DAY),
        )
        self.period = float(self.parameters.min_duration)
        self.bounty = _wei(spec.bounty)
        self.test_size, self.pieces = spec.test_size, spec.pieces
        self.provider = ""
        self.test_set = HiddenTestSet(())
        self.final: OnChainModel | None = None
        self._market: Market | None = None

    def market_size(self, n_test: int) -> int:
        """How many of the ``n_test`` test samples the market holds: the first ``test_size``, or half of them
        (at most :data:`MAX_TEST_SAMPLES`); the run's accuracy is measured on the others (:meth:`scored`).

        Raises
        ------
        ScenarioError
            When that leaves fewer than 2 for the market, or none to measure the accuracy on.
        """
        size = self.test_size or min(n_test // 2, MAX_TEST_SAMPLES)
        if size < 2 or size >= n_test:
            raise ScenarioError(
                f"[mechanism] test_size: the market holds {size:,} of the {n_test:,} test samples, and the "
                f"accuracy is measured on the others: give from 2 to {n_test - 1:,} (0: half of them)"
            )
        return size

    def scored(self, test: list[tuple[Sample, int]]) -> list[tuple[Sample, int]]:
        """The test samples the market does not hold (:meth:`market_size`): what the model learnt from the
        market's test set is not measured on that set."""
        return test[self.market_size(len(test)) :]

    @property
    def market(self) -> Market:
        """The deployed market."""
        if self._market is None:
            raise SumchainError("the prediction market is not deployed yet")
        return self._market

    def deploy(
        self, chain: Chain, mirror: OnChainModel, metadata: ModelMetadata, owner: str, data: SimData, seed: int
    ) -> SharedModel:
        """Open the market on ``mirror`` with ``owner`` as the provider; ``seed`` draws the salts."""
        held = chain.balance(owner)
        if held < self.bounty:
            raise SumchainError(
                f"the bounty of {self.bounty / COIN:,g} coins is more than its provider holds "
                f"({held / COIN:,g}): lower [mechanism] bounty or raise the owner agent's start_balance"
            )
        rng = random.Random(seed)
        test = data.test[: self.market_size(len(data.test))]
        try:
            self.test_set = split_test_set(
                [s for s, _ in test], [y for _, y in test], pieces=self.pieces or None, salt=lambda: rng.randbytes(32)
            )
        except SumchainError as exc:
            raise ScenarioError(f"[mechanism] pieces: {exc}") from None
        self.provider = owner
        self._market = open_market(
            chain,
            mirror,
            self.parameters,
            self.test_set,
            bounty=self.bounty,
            provider=owner,
            anyone=owner,
            metadata=metadata,
        )
        return self._market.model

    def add(
        self,
        model: SharedModel,
        mirror: OnChainModel,
        sample: tuple[int, ...],
        label: int,
        author: str,
        agent: str,
        value: int,
    ) -> Entry:
        """Stake on the sample (the model, and so ``mirror``, learns nothing yet)."""
        call = self.market.add_data_call(sample, label)
        paid = min(value, call.value)
        receipt = model.chain.transact(model.address, call.data, sender=author, value=paid)
        return Entry(sample, label, receipt.timestamp, author, agent, paid)

    def settle(self, model: SharedModel, accounts: list[str], now: int, predict: Predict) -> Claims:
        """Nothing to claim before the market ends."""
        return Claims()

    def open(self, entry: Entry) -> bool:
        """Until its stake's balance is withdrawn."""
        return entry.claimable > 0

    def finish(
        self, model: SharedModel, accounts: list[list[str]], entries: list[Entry], mirror: OnChainModel
    ) -> list[Claims]:
        """End the market and withdraw everyone's balance; ``mirror`` learns every contribution in
        order, as the evaluation teaches the model on chain."""
        claims = [Claims() for _ in accounts]
        if not entries:
            return claims
        market = self.market
        close_market(market, self.test_set, provider=self.provider, anyone=self.provider)
        mirror.partial_fit([e.sample for e in entries], [e.label for e in entries])
        self.final = market.finalized_mirror()
        for agent, own in zip(claims, accounts, strict=True):
            for account in own:
                if market.owed(account):
                    agent.refunded += market.withdraw(sender=account)
                    agent.refunds += 1
        if market.owed(self.provider):
            market.withdraw(sender=self.provider)
        for entry in entries:
            entry.claimable = 0
        return claims

    def result(self, on_chain: OnChainModel) -> OnChainModel:
        """The finalized model once the market ended, else the model on chain (its initial one)."""
        return self.final or on_chain

    def points(self, model: SharedModel, accounts: list[str]) -> int | None:
        """None: no points."""
        return None


MECHANISMS: dict[str, MechanismKind] = {
    "deposit-refund-take": DepositRefundTakeRules,
    "points": PointsRules,
    "prediction-market": PredictionMarketRules,
}
"""Class of each mechanism a scenario may name."""


def mechanism_kind(kind: str) -> MechanismKind:
    """The class of the mechanism named ``kind``.

    Raises
    ------
    ScenarioError
        For a mechanism that has no contracts yet.
    """
    if kind not in MECHANISMS:
        raise ScenarioError(f"unknown mechanism {kind!r} (known: {', '.join(MECHANISMS)})")
    return MECHANISMS[kind]


def mechanism_for(spec: MechanismSpec) -> Mechanism:
    """The rules of the scenario's mechanism.

    Raises
    ------
    ScenarioError
        For a mechanism that has no contracts yet.
    """
    return mechanism_kind(spec.kind)(spec)
