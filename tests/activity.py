"""A deployed model of each type that has seen adds, refunds and reports (for the audit and
dataset tests, on the embedded chain and on anvil), and where its parameter words are stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sumchain import ContractReverted, SharedModel
from sumchain.chain.base import Chain
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.models.reference_file import model_from_spec
from tests.unit.test_every_model import sample_for, spec_for

INCENTIVE = DepositRefundTake(cost_weight=10**12, refund_wait=DAY, owner_claim_wait=5 * DAY, any_claim_wait=9 * DAY)


@dataclass
class Activity:
    """What :func:`busy_model` did."""

    model: SharedModel
    added: int = 0
    refunded: int = 0
    reported: int = 0


def add_some(model: SharedModel, rng: np.random.Generator, count: int) -> int:
    """``count`` contributions from accounts 1 and 2 (random labels); returns ``count``."""
    for i in range(count):
        model.add_data(sample_for(model, rng), int(rng.integers(model.n_classes)), sender=1 + i % 2)
    return count


def busy_model(chain: Chain, model_type: str, *, seed: int = 3, contributions: int = 12) -> Activity:
    """A small model of ``model_type`` after contributions, then (a day later) every refund its
    authors can claim and every report account 1 (once validated) can make."""
    rng = np.random.default_rng(seed)
    model = SharedModel.deploy(chain, model_from_spec(spec_for(model_type, rng)), mechanism=INCENTIVE)
    activity = Activity(model, add_some(model, rng, contributions))
    chain.advance_time(DAY)
    found = model.contributions(everyone=True)
    for c in found:
        activity.refunded += _tried(lambda c=c: model.refund(c.data, c.label, c.added_time, sender=c.author))
    for c in found:
        if c.author != chain.accounts[1]:
            activity.reported += _tried(lambda c=c: model.report(c.data, c.label, c.added_time, c.author, sender=1))
    return activity


def _tried(operation: Callable[[], int]) -> int:
    """1 when the operation went through, 0 when the contract refused it."""
    try:
        operation()
    except ContractReverted:
        return 0
    return 1


def words_base_slot(read_slot: Callable[[int], int], words: list[int], *, slots: int = 256) -> int:
    """The storage slot of parameter word 0: where ``words`` lie one per slot (read with ``read_slot``)."""
    values = [read_slot(slot) for slot in range(slots + len(words))]
    for base in range(slots):
        if values[base : base + len(words)] == words:
            return base
    raise AssertionError("the parameter words are not in the first storage slots")
