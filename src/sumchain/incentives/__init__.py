"""Client-side views of the incentive mechanisms."""

from sumchain.incentives.deposit_refund_take import DAY, DepositRefundTake

__all__ = ["DAY", "DepositRefundTake"]
