"""Client-side view of Points: no money, a point per validated contribution and per accepted report.

The rules (``contracts/incentives/points.vy``): contributing costs nothing;
after ``refund_wait`` an author whose sample the model still agrees with may
validate it (``refund``) and earns a point; an account with validated
contributions of its own may report another's sample that the model then
rejects (``report``): the report is recorded once per sample and earns the
reporter a point (``reports_made``; an account's points are ``num_valid +
reports_made``); the ``Reported`` event names the author, whose reported
contributions the leaderboard counts. A reported sample can no longer be
validated and a validated one can no longer be reported. Points only grow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from sumchain.errors import InvalidIncentive
from sumchain.incentives.base import Mechanism, Standing, Windows
from sumchain.incentives.deposit_refund_take import DAY, WAIT_LIMIT, check_client_limits, duration

if TYPE_CHECKING:
    from sumchain.contributions import Contribution


@dataclass(frozen=True)
class Points(Mechanism):
    """Parameters of the Points mechanism.

    Parameters
    ----------
    refund_wait : int
        Seconds before an author may validate its contribution and before
        others may report it.
    unsafe : bool, keyword-only
        Allow a wait under a minute or over ten years
        (the contract's limit, below 2**40 s, applies whatever its value).

    Raises
    ------
    InvalidIncentive
        When the wait breaks the contract's limit, or the client's without ``unsafe=True``.

    Examples
    --------
    >>> Points().cost(seconds_since_last_update=0), Points().words()
    (0, [86400, 0, 0, 0])
    >>> Points.from_options({"cost_weight": 1})
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidIncentive: Points takes no --cost-weight (it takes --refund-wait)
    """

    mechanism_type: ClassVar[str] = "points"
    title: ClassVar[str] = "Points"
    score_unit: ClassVar[str] = "points"
    options: ClassVar[tuple[str, ...]] = ("refund_wait",)

    refund_wait: int = DAY
    unsafe: bool = field(default=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not 0 <= self.refund_wait < WAIT_LIMIT:
            raise InvalidIncentive(f"refund_wait must be in [0, 2**40) s, got {self.refund_wait}")
        if not self.unsafe:
            check_client_limits(self.refund_wait, "refund_wait", self.refund_wait)

    def words(self) -> list[int]:
        """``[refund_wait, 0, 0, 0]``, as the contract takes them."""
        return [self.refund_wait, 0, 0, 0]

    @classmethod
    def from_chain(cls, read: Callable[[str], int]) -> Points:
        """The parameters of a deployed trainer (only the contract's limit applies)."""
        return cls(refund_wait=int(read("refund_wait")), unsafe=True)

    def cost(self, seconds_since_last_update: int) -> int:
        """Contributions are free."""
        return 0

    def windows(self, added_time: int) -> Windows:
        """Validation and reports after ``refund_wait``; no deposit to take."""
        return Windows(added_time + self.refund_wait)

    def status(self, contribution: Contribution) -> str:
        """``"validated"``, ``"reported"`` or ``"pending"``."""
        if contribution.refunded:
            return "validated"
        return "reported" if contribution.reports else "pending"

    def settled(self, contribution: Contribution) -> bool:
        """Validated or reported: each happens at most once, and excludes the other."""
        return self.status(contribution) != "pending"

    def summary(self, cost_now: int) -> str:
        """The wait; contributing is free."""
        return (
            f"{self.title}: contributing is free; after {duration(self.refund_wait)} an author validates its "
            "sample if the model agrees (a point), and others report what it rejects (a point to the reporter)."
        )

    def to_json(self) -> dict[str, int]:
        """``{"refund_wait": seconds}``."""
        return {"refund_wait": self.refund_wait}

    def refund_result(self, amount: int) -> str:
        """``"validated it: +1 point"``."""
        return "validated it: +1 point"

    def report_result(self, amount: int) -> str:
        """``"reported it: +1 point"``."""
        return "reported it: +1 point"

    def standings(self, contributions: Sequence[Contribution]) -> list[Standing]:
        """Points: one per validated contribution, one per accepted report."""
        return self._tally(contributions, lambda c: int(c.refunded), 1)
