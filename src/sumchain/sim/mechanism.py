"""The one mechanism-specific part of the simulator: deploying the model with the scenario's
incentive mechanism, and the refunds and reports an agent attempts on its turn.

Only Deposit, Refund and Take exists on chain today. Another mechanism (Points, a
prediction market) becomes another class with the same three methods in
:data:`MECHANISMS`; the runner, the strategies and the outputs do not change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from sumchain.chain.base import Chain
from sumchain.client import SharedModel
from sumchain.errors import ContractReverted
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.metadata import ModelMetadata
from sumchain.models import OnChainModel
from sumchain.sim.scenario import COIN, MechanismSpec, ScenarioError

Predict = Callable[[list[tuple[int, ...]]], list[int]]
"""The model's current class of each sample."""
LOOK_AGAIN = 3_600
"""Seconds before an agent looks again at a contribution it could claim nothing of (the model
may change its mind meanwhile): agents check the open contributions hourly, not on every turn."""


@dataclass
class Entry:
    """A contribution still holding part of its deposit, as the simulation follows it.

    Its state is what the receipts of ``add_data``, ``refund`` and ``report`` said,
    so it equals the contract's (the tests check that against the events).
    """

    sample: tuple[int, ...]
    label: int
    added_time: int
    author: str
    agent: str
    claimable: int
    refunded: bool = False
    reported_by: set[str] = field(default_factory=set)
    next_look: dict[str, int] = field(default_factory=dict)
    """When each agent (by its first account) looks at it again, after finding nothing to claim."""


@dataclass
class Claims:
    """What one turn of claiming did: amounts in wei and counts."""

    refunds: int = 0
    reports: int = 0
    refunded: int = 0
    taken: int = 0
    reverted: int = 0


class Mechanism(Protocol):
    """What the runner needs of an incentive mechanism."""

    def deploy(self, chain: Chain, mirror: OnChainModel, metadata: ModelMetadata, owner: str) -> SharedModel:
        """Deploy the fitted mirror with this mechanism; returns the model."""
        ...

    def settle(
        self, model: SharedModel, accounts: list[str], entries: list[Entry], now: int, predict: Predict
    ) -> Claims:
        """Attempt the agent's refunds and reports of the open ``entries``; update them."""
        ...


class DepositRefundTakeRules:
    """Deposit, Refund and Take as the reference simulator's agents play it.

    On its turn an agent, from each of its accounts, asks for a refund of its own
    contributions the model agrees with once ``refund_wait`` has passed, and reports
    others' contributions the model rejects (when the account has refunded
    contributions), or takes what is left of any contribution after
    ``any_claim_wait`` (the model's owner, an agent of the ``owner`` strategy, after
    ``owner_claim_wait``). Predictions come in one batch per turn; a
    contribution it could claim nothing of is looked at again :data:`LOOK_AGAIN` later.

    Parameters
    ----------
    spec : MechanismSpec
        The scenario's parameters (the cost weight in coins per hour, waits in days).
    """

    def __init__(self, spec: MechanismSpec) -> None:
        self.parameters = DepositRefundTake(
            cost_weight=int(Fraction(spec.cost_weight) * COIN / 60),
            refund_wait=round(spec.refund_wait_days * DAY),
            owner_claim_wait=round(spec.owner_claim_wait_days * DAY),
            any_claim_wait=round(spec.any_claim_wait_days * DAY),
            unsafe=True,
        )
        self.num_valid: Counter[str] = Counter()
        self.owner = ""

    def deploy(self, chain: Chain, mirror: OnChainModel, metadata: ModelMetadata, owner: str) -> SharedModel:
        """Deploy ``mirror`` with these parameters (not listed in any registry)."""
        self.owner = owner
        return SharedModel.deploy(
            chain, mirror, mechanism=self.parameters, metadata=metadata, sender=owner, registry=False
        )

    def settle(
        self, model: SharedModel, accounts: list[str], entries: list[Entry], now: int, predict: Predict
    ) -> Claims:
        """Refund and report what the rules allow the accounts to, oldest first.

        ``entries`` are the open contributions in the order they were added; ``now`` is
        the chain's time (the transactions are mined one second later each); ``predict``
        gives the model's current class of each sample (the runner's mirror of the chain:
        the contract checks every claim again, and a claim it refuses is counted in
        :attr:`Claims.reverted`).
        """
        claims = Claims()
        wait = self.parameters.refund_wait
        # from this age on, the accounts may take all that is left (the owner sooner, by its own wait)
        take_all = self.parameters.owner_claim_wait if self.owner in accounts else self.parameters.any_claim_wait
        reporters = [a for a in accounts if self.num_valid[a]]
        me = accounts[0]
        due = []
        for entry in entries:
            age = now + 1 - entry.added_time
            if age < wait:
                break
            if entry.next_look.get(me, 0) > now and age < take_all:
                continue
            if entry.author in accounts:
                if not entry.refunded:
                    due.append(entry)
            elif age >= take_all or any(a not in entry.reported_by for a in reporters):
                due.append(entry)
        if not due:
            return claims
        predictions = predict([e.sample for e in due])
        for entry, predicted in zip(due, predictions, strict=True):
            agrees = predicted == entry.label
            before = entry.claimable
            for account in accounts:
                if entry.claimable == 0:
                    break
                expired = model.chain.time() + 1 - entry.added_time >= take_all
                try:
                    if account == entry.author:
                        if agrees and not entry.refunded:
                            amount = model.refund(entry.sample, entry.label, entry.added_time, sender=account)
                            entry.refunded, entry.claimable = True, entry.claimable - amount
                            self.num_valid[account] += 1
                            claims.refunds += 1
                            claims.refunded += amount
                    elif expired or (not agrees and self.num_valid[account] and account not in entry.reported_by):
                        amount = model.report(entry.sample, entry.label, entry.added_time, entry.author, sender=account)
                        entry.reported_by.add(account)
                        entry.claimable -= amount
                        claims.reports += 1
                        claims.taken += amount
                except ContractReverted:
                    claims.reverted += 1
            if entry.claimable == before:
                entry.next_look[me] = now + LOOK_AGAIN
        return claims


MECHANISMS: dict[str, type[DepositRefundTakeRules]] = {"deposit-refund-take": DepositRefundTakeRules}
"""Rules of each mechanism a scenario may name."""


def mechanism_for(spec: MechanismSpec) -> Mechanism:
    """The rules of the scenario's mechanism.

    Raises
    ------
    ScenarioError
        For a mechanism that has no contracts yet.
    """
    if spec.kind not in MECHANISMS:
        raise ScenarioError(f"unknown mechanism {spec.kind!r} (known: {', '.join(MECHANISMS)})")
    return MECHANISMS[spec.kind](spec)
