"""Client-side views of the incentive mechanisms: one :class:`Mechanism` class each.

:data:`MECHANISMS` maps the name a trainer reports (``mechanism_type()``) to its class.
"""

from sumchain.incentives.base import PARAMETER_WORDS, Mechanism, Standing, Windows
from sumchain.incentives.deposit_refund_take import (
    DAY,
    MAX_COST_WEIGHT,
    MAX_WAIT,
    MIN_REFUND_WAIT,
    WAIT_LIMIT,
    DepositRefundTake,
)
from sumchain.incentives.points import Points
from sumchain.incentives.prediction_market import PredictionMarket

MECHANISMS: dict[str, type[Mechanism] | type[PredictionMarket]] = {
    cls.mechanism_type: cls for cls in (DepositRefundTake, Points, PredictionMarket)
}
"""Every mechanism by its on-chain name: the ones that settle each contribution on its own
(:class:`Mechanism`), and the prediction market (:class:`~sumchain.market.PredictionMarket`)."""

__all__ = [
    "DAY",
    "MAX_COST_WEIGHT",
    "MAX_WAIT",
    "MECHANISMS",
    "MIN_REFUND_WAIT",
    "PARAMETER_WORDS",
    "WAIT_LIMIT",
    "DepositRefundTake",
    "Mechanism",
    "Points",
    "Standing",
    "Windows",
]
