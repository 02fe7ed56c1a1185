"""Client-side view of Deposit, Refund and Take: parameters, cost, claim windows."""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

DAY = 86_400


@dataclass(frozen=True)
class DepositRefundTake:
    """Parameters of the Deposit, Refund and Take mechanism.

    Parameters
    ----------
    cost_weight : int
        Scale of the deposit in wei: a contribution costs
        ``cost_weight * 3600 // isqrt(seconds since the last one)``.
    refund_wait : int
        Seconds before an author may be refunded and before others may report.
    owner_claim_wait : int
        Seconds after which the owner may take what is left of a deposit.
    any_claim_wait : int
        Seconds after which anyone may take what is left of a deposit.

    Examples
    --------
    >>> drt = DepositRefundTake(cost_weight=10**15)
    >>> drt.cost(seconds_since_last_update=3600) == 10**15 * 3600 // 60
    True
    """

    cost_weight: int = 10**15
    refund_wait: int = DAY
    owner_claim_wait: int = 9 * DAY
    any_claim_wait: int = 9 * DAY

    def __post_init__(self) -> None:
        if self.cost_weight < 0 or self.cost_weight > (2**96 - 1) // 3600:
            raise ValueError(f"cost_weight must be in [0, (2**96 - 1) // 3600], got {self.cost_weight}")
        if not 0 <= self.refund_wait <= self.owner_claim_wait <= self.any_claim_wait:
            raise ValueError(
                "the waits must satisfy 0 <= refund_wait <= owner_claim_wait <= any_claim_wait, got "
                f"{self.refund_wait}, {self.owner_claim_wait}, {self.any_claim_wait}"
            )

    def cost(self, seconds_since_last_update: int) -> int:
        """The deposit for a contribution made this long after the previous one."""
        if self.cost_weight == 0:
            return 0
        return self.cost_weight * 3600 // max(isqrt(seconds_since_last_update), 1)
