"""Client-side view of Deposit, Refund and Take: parameters, cost, claim windows.

Two kinds of limits apply to the parameters. The contract's hard limits hold
always: ``cost_weight <= MAX_COST_WEIGHT`` and ``0 <= refund_wait <=
owner_claim_wait <= any_claim_wait < WAIT_LIMIT`` (2**40 s), so that no
deposit leaves 96 bits and no sum of a time and a wait can overflow. The
client's sensible limits hold unless ``unsafe=True``: a refund wait of at
least :data:`MIN_REFUND_WAIT` (one minute: with less, an author is refunded as
soon as the model has learned its sample, before others can correct it; with
every wait 0, anyone may also take every deposit at once) and no wait above
:data:`MAX_WAIT` (ten years: deposits locked for longer are lost in all but
name). Reading a deployed model's parameters never checks the client's
limits: they bind what one deploys, not what others did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isqrt

from sumchain.errors import InvalidIncentive

DAY = 86_400
MAX_COST_WEIGHT = (2**96 - 1) // 3_600
"""Largest cost weight: keeps every deposit below 2**96 wei (the contract's limit)."""
WAIT_LIMIT = 2**40
"""Every wait must be below this many seconds (the contract's limit, about 34,800 years)."""
MIN_REFUND_WAIT = 60
"""Shortest refund wait without ``unsafe=True``: one minute."""
MAX_WAIT = 3_653 * DAY
"""Longest wait without ``unsafe=True``: ten years (leap days included)."""


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
    unsafe : bool, keyword-only
        Allow a refund wait under :data:`MIN_REFUND_WAIT` or a wait over
        :data:`MAX_WAIT` (for simulations and benchmarks). The contract's
        limits apply whatever its value. It is not compared: two parameter
        sets with the same values are equal.

    Raises
    ------
    InvalidIncentive
        When a parameter breaks the contract's limits, or the client's without
        ``unsafe=True`` (see the module docstring).

    Examples
    --------
    >>> drt = DepositRefundTake(cost_weight=10**15)
    >>> drt.cost(seconds_since_last_update=3600) == 10**15 * 3600 // 60
    True
    >>> DepositRefundTake(refund_wait=0, owner_claim_wait=0, any_claim_wait=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidIncentive: refund_wait must be at least 60 s, got 0 s: ...
    >>> DepositRefundTake(refund_wait=0, owner_claim_wait=0, any_claim_wait=0, unsafe=True).refund_wait
    0
    """

    cost_weight: int = 10**15
    refund_wait: int = DAY
    owner_claim_wait: int = 9 * DAY
    any_claim_wait: int = 9 * DAY
    unsafe: bool = field(default=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not 0 <= self.cost_weight <= MAX_COST_WEIGHT:
            raise InvalidIncentive(f"cost_weight must be in [0, (2**96 - 1) // 3600], got {self.cost_weight}")
        waits = (self.refund_wait, self.owner_claim_wait, self.any_claim_wait)
        if not 0 <= self.refund_wait <= self.owner_claim_wait <= self.any_claim_wait:
            raise InvalidIncentive(
                "the waits must satisfy 0 <= refund_wait <= owner_claim_wait <= any_claim_wait, got "
                f"{', '.join(map(str, waits))}"
            )
        if self.any_claim_wait >= WAIT_LIMIT:
            raise InvalidIncentive(f"every wait must be below 2**40 s, got any_claim_wait={self.any_claim_wait} s")
        if self.unsafe:
            return
        if self.refund_wait < MIN_REFUND_WAIT:
            raise InvalidIncentive(
                f"refund_wait must be at least {MIN_REFUND_WAIT} s, got {self.refund_wait} s: an author would be "
                "refunded as soon as the model learned its sample, before others can correct it "
                "(pass unsafe=True to allow it)"
            )
        if self.any_claim_wait > MAX_WAIT:
            raise InvalidIncentive(
                f"every wait must be at most {MAX_WAIT} s (ten years), got any_claim_wait={self.any_claim_wait} s: "
                "deposits would be locked for good (pass unsafe=True to allow it)"
            )

    def cost(self, seconds_since_last_update: int) -> int:
        """The deposit for a contribution made this long after the previous one."""
        if self.cost_weight == 0:
            return 0
        return self.cost_weight * 3600 // max(isqrt(seconds_since_last_update), 1)
