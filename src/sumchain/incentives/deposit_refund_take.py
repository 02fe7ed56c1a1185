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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import isqrt
from typing import TYPE_CHECKING, ClassVar

from sumchain.errors import InvalidIncentive
from sumchain.incentives.base import Mechanism, Standing, Windows
from sumchain.units import format_amount

if TYPE_CHECKING:
    from sumchain.contributions import Contribution

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
class DepositRefundTake(Mechanism):
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

    mechanism_type: ClassVar[str] = "deposit_refund_take"
    title: ClassVar[str] = "Deposit, Refund and Take"
    score_unit: ClassVar[str] = "wei"
    options: ClassVar[tuple[str, ...]] = ("cost_weight", "refund_wait", "owner_claim_wait", "any_claim_wait")

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
        if not self.unsafe:
            check_client_limits(self.refund_wait, "any_claim_wait", self.any_claim_wait)

    def words(self) -> list[int]:
        """``[cost_weight, refund_wait, owner_claim_wait, any_claim_wait]``, as the contract takes them."""
        return [self.cost_weight, self.refund_wait, self.owner_claim_wait, self.any_claim_wait]

    @classmethod
    def from_chain(cls, read: Callable[[str], int]) -> DepositRefundTake:
        """The parameters of a deployed trainer (only the contract's limits apply)."""
        return cls(**{name: int(read(name)) for name in cls.options}, unsafe=True)

    def cost(self, seconds_since_last_update: int) -> int:
        """The deposit for a contribution made this long after the previous one."""
        if self.cost_weight == 0:
            return 0
        return self.cost_weight * 3600 // max(isqrt(seconds_since_last_update), 1)

    def windows(self, added_time: int) -> Windows:
        """Refunds and reports after ``refund_wait``; the owner takes what is left after
        ``owner_claim_wait``, anyone after ``any_claim_wait``."""
        return Windows(
            added_time + self.refund_wait, added_time + self.owner_claim_wait, added_time + self.any_claim_wait
        )

    def status(self, contribution: Contribution) -> str:
        """``"refunded"``, ``"taken"`` (by reports and claims), ``"partly taken"`` or ``"held"``."""
        if contribution.refunded:
            return "refunded"
        if contribution.claimable == 0 and contribution.deposit > 0:
            return "taken"
        if contribution.claimable < contribution.deposit:
            return "partly taken"
        return "held"

    def settled(self, contribution: Contribution) -> bool:
        """Refunded, or nothing of the deposit left."""
        return self.status(contribution) in ("refunded", "taken")

    def summary(self, cost_now: int) -> str:
        """The deposit now and the three waits."""
        return (
            f"{self.title}: deposit now {format_amount(cost_now)}; refunds and reports after "
            f"{duration(self.refund_wait)}, the owner takes what is left after {duration(self.owner_claim_wait)}, "
            f"anyone after {duration(self.any_claim_wait)}."
        )

    def to_json(self) -> dict[str, int]:
        """The four parameters by name (waits in seconds, the weight in wei)."""
        return dict(zip(self.options, self.words(), strict=True))

    def refund_result(self, amount: int) -> str:
        """``"refunded 0.001 ETH"``."""
        return f"refunded {format_amount(amount)}"

    def report_result(self, amount: int) -> str:
        """``"took 0.001 ETH"``."""
        return f"took {format_amount(amount)}"

    def standings(self, contributions: Sequence[Contribution]) -> list[Standing]:
        """Wei gained so far: refunds and reports' takings, less deposits paid (still held ones included)."""
        return self._tally(contributions, lambda c: c.refund_amount - c.deposit, None)


def check_client_limits(refund_wait: int, longest_name: str, longest: int) -> None:
    """Raise :class:`InvalidIncentive` for a refund wait under :data:`MIN_REFUND_WAIT` or a wait
    (``longest``, called ``longest_name``) over :data:`MAX_WAIT`: the client's limits, which
    ``unsafe=True`` lifts."""
    if refund_wait < MIN_REFUND_WAIT:
        raise InvalidIncentive(
            f"refund_wait must be at least {MIN_REFUND_WAIT} s, got {refund_wait} s: an author would be "
            "refunded (validated) as soon as the model learned its sample, before others can correct it "
            "(unsafe=True, or --unsafe on the command line, allows it)"
        )
    if longest > MAX_WAIT:
        raise InvalidIncentive(
            f"every wait must be at most {MAX_WAIT} s (ten years), got {longest_name}={longest} s: "
            "what it guards would be locked for good (unsafe=True, or --unsafe on the command line, allows it)"
        )


def duration(seconds: int) -> str:
    """``"1d"``, ``"36h"``, ``"90s"``: the largest unit that divides the time exactly (seconds otherwise)."""
    for unit, size in (("d", DAY), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
