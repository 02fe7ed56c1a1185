"""What every incentive mechanism tells a client: its parameters, cost, claim windows and states.

A trainer on chain is one model with one mechanism (``mechanism_type()`` says
which). :class:`SharedModel <sumchain.client.SharedModel>`, the CLI and the
dashboard talk to a :class:`Mechanism` object and never branch on its name:
each mechanism knows how to read its parameters from a deployed trainer,
what a contribution costs, when it may be refunded (validated) or reported,
what state a contribution is in, and who leads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Self

from sumchain.errors import InvalidIncentive

if TYPE_CHECKING:
    from sumchain.contributions import Contribution

PARAMETER_WORDS = 4
"""Every mechanism's constructor takes this many words (``uint256[4]``, unused ones 0)."""


@dataclass(frozen=True)
class Windows:
    """When a contribution may be refunded (validated) or reported, and when what is left may be taken.

    ``owner_claim_from`` and ``any_claim_from`` are None under a mechanism
    that holds no deposits.
    """

    refundable_from: int
    owner_claim_from: int | None = None
    any_claim_from: int | None = None


@dataclass(frozen=True)
class Standing:
    """One account's line in a mechanism's leaderboard.

    Attributes
    ----------
    account : str
        The account.
    score : int
        What the leaderboard ranks by: points, or wei gained (negative when lost).
    validated, reported : int
        Its contributions refunded (validated), and reported by others.
    contributions : int
        Its contributions.
    reports : int
        Reports it made that the contract accepted.
    """

    account: str
    score: int
    contributions: int
    validated: int
    reported: int
    reports: int

    def to_json(self) -> dict[str, Any]:
        """Every field, as JSON values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Mechanism(ABC):
    """An incentive mechanism's parameters, as deployed or to deploy, and its rules as a client sees them."""

    mechanism_type: ClassVar[str]
    """Its name on chain (``mechanism_type()``) and in ``contracts/incentives/``."""
    title: ClassVar[str]
    """Its name for people."""
    score_unit: ClassVar[str]
    """What a :class:`Standing`'s score counts: ``"wei"`` (gained) or ``"points"``."""
    options: ClassVar[tuple[str, ...]]
    """Its parameters, as :meth:`from_options` takes them (the CLI's option names with ``_``)."""
    refund_wait: int

    @abstractmethod
    def words(self) -> list[int]:
        """The constructor's ``mechanism_params``: :data:`PARAMETER_WORDS` words, in the contract's order."""

    @classmethod
    @abstractmethod
    def from_chain(cls, read: Callable[[str], int]) -> Self:
        """The parameters of a deployed trainer, read through ``read(getter_name)``.

        Only the contract's limits apply to what was deployed, not the client's.
        """

    @classmethod
    def from_options(cls, given: Mapping[str, Any], *, unsafe: bool = False) -> Self:
        """The mechanism with the parameters given by name (the others at their defaults).

        Raises
        ------
        InvalidIncentive
            When a parameter is not one of :attr:`options`, or is out of range.
        """
        foreign = sorted(set(given) - set(cls.options))
        if foreign:
            names = ", ".join("--" + name.replace("_", "-") for name in foreign)
            takes = ", ".join("--" + name.replace("_", "-") for name in cls.options)
            raise InvalidIncentive(f"{cls.title} takes no {names} (it takes {takes})")
        make: Callable[..., Self] = cls  # each mechanism is a dataclass of its options and ``unsafe``
        return make(**given, unsafe=unsafe)

    @abstractmethod
    def cost(self, seconds_since_last_update: int) -> int:
        """The deposit, in wei, for a contribution made this long after the previous one."""

    @abstractmethod
    def windows(self, added_time: int) -> Windows:
        """When a contribution added at ``added_time`` may be refunded, reported or taken."""

    @abstractmethod
    def status(self, contribution: Contribution) -> str:
        """The contribution's state in this mechanism's words (``"held"``, ``"refunded"``, ``"validated"``...)."""

    @abstractmethod
    def settled(self, contribution: Contribution) -> bool:
        """Whether nothing can happen to the contribution any more."""

    @abstractmethod
    def summary(self, cost_now: int) -> str:
        """One sentence for people: what contributing costs now, and when what can happen."""

    @abstractmethod
    def to_json(self) -> dict[str, int]:
        """The parameters by name."""

    @abstractmethod
    def refund_result(self, amount: int) -> str:
        """What a refund (validation) did, for people: ``"refunded 0.01 ETH"``."""

    @abstractmethod
    def report_result(self, amount: int) -> str:
        """What a report did, for people: ``"took 0.01 ETH"``."""

    def format_score(self, score: int) -> str:
        """A :class:`Standing`'s score for a table: wei as ETH to 6 decimals with a sign, else the number.

        >>> from sumchain.incentives import DepositRefundTake, Points
        >>> DepositRefundTake().format_score(236_352_991_252_896_375), Points().format_score(1_200)
        ('+0.236353 ETH', '1,200')
        """
        return f"{score / 10**18:+,.6f} ETH" if self.score_unit == "wei" else f"{score:,}"

    @abstractmethod
    def standings(self, contributions: Sequence[Contribution]) -> list[Standing]:
        """The leaderboard, best first, from every contribution of the model."""

    @staticmethod
    def _tally(
        contributions: Sequence[Contribution], score: Callable[[Contribution], int], per_report: int | None
    ) -> list[Standing]:
        """Per-account counts: ``score(c)`` to each author, and to each reporter ``per_report``
        (or, when None, the amount its report took)."""
        rows: dict[str, dict[str, int]] = {}

        def row(account: str) -> dict[str, int]:
            counts = ("score", "contributions", "validated", "reported", "reports")
            return rows.setdefault(account, dict.fromkeys(counts, 0))

        for c in contributions:
            author = row(c.author)
            author["contributions"] += 1
            author["validated"] += c.refunded
            author["reported"] += bool(c.reports)
            author["score"] += score(c)
            for reporter, amount in c.reports:
                row(reporter)["reports"] += 1
                row(reporter)["score"] += amount if per_report is None else per_report
        found = [Standing(account, **counts) for account, counts in rows.items()]
        return sorted(found, key=lambda s: (-s.score, s.account))
