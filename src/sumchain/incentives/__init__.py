"""Client-side views of the incentive mechanisms."""

from sumchain.incentives.deposit_refund_take import (
    DAY,
    MAX_COST_WEIGHT,
    MAX_WAIT,
    MIN_REFUND_WAIT,
    WAIT_LIMIT,
    DepositRefundTake,
)

__all__ = ["DAY", "MAX_COST_WEIGHT", "MAX_WAIT", "MIN_REFUND_WAIT", "WAIT_LIMIT", "DepositRefundTake"]
