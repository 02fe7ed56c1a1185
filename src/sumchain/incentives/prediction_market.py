"""Client-side view of the prediction market's parameters (the market itself: :mod:`sumchain.market`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import ClassVar

from sumchain.errors import InvalidIncentive
from sumchain.incentives.deposit_refund_take import DAY, MIN_REFUND_WAIT, WAIT_LIMIT

PIECE_SAMPLES = 32
"""Samples in one piece of a test set, at most (the contract's ``PIECE_SAMPLES``)."""
MAX_PIECES = 1_024
"""Pieces of a test set, at most (the contract's ``MAX_PIECES``)."""
MAX_TEST_SAMPLES = PIECE_SAMPLES * MAX_PIECES
"""Test samples, at most; also the least stake in wei (one round of any score fits in it)."""
PHASES = (
    "commit",
    "sealed",
    "drawn",
    "participation",
    "reveal",
    "evaluate",
    "reward",
    "forfeited",
    "done",
    "abandoned",
)
"""The market's phases, by their number on chain; they only move forward, in this order but for
"abandoned" (an evaluation given up, added later), which comes between "evaluate" and "done"."""
SETTLED = ("reward", "forfeited", "abandoned")
"""The phases whose balances ``settle`` credits (the market is then done)."""


@dataclass(frozen=True)
class PredictionMarket:
    """Parameters of a prediction market.

    Parameters
    ----------
    stake : int
        Wei staked on each contributed sample (at least :data:`MAX_TEST_SAMPLES`, below 2**96).
    min_duration : int
        Seconds participation lasts at least.
    min_contributions : int
        Contributions needed before participation may end (at least 1); with fewer, it may end once
        it lasted ``min_duration`` plus ``claim_wait``.
    reveal_window : int
        Seconds the provider has, once participation ended, to reveal the rest of the test set.
    claim_wait : int
        Seconds after the end after which the provider may sweep what nobody withdrew (and, after
        ``min_duration``, before participation may end with too few contributions; and, after the
        evaluation's last step, before anyone may abandon it, which then pays as a forfeit).
    unsafe : bool, keyword-only
        Allow a wait under a minute (:data:`~sumchain.incentives.deposit_refund_take.MIN_REFUND_WAIT`).
        The contract takes 0, with which participation may end, the reveal deadline pass, an evaluation
        be abandoned between two of its steps, or the sweep follow the end, at once. The contract's
        limits apply whatever its value. It is not compared.

    Raises
    ------
    InvalidIncentive
        When a parameter breaks the contract's limits.

    Examples
    --------
    >>> PredictionMarket(stake=10**15).words()
    [1000000000000000, 86400, 1, 86400, 31622400]
    >>> PredictionMarket(claim_wait=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidIncentive: claim_wait must be at least 60 s, got 0 s: ...
    >>> PredictionMarket(claim_wait=0, unsafe=True).claim_wait
    0
    """

    mechanism_type: ClassVar[str] = "prediction_market"
    title: ClassVar[str] = "Prediction market"

    stake: int = 10**15
    min_duration: int = DAY
    min_contributions: int = 1
    reveal_window: int = DAY
    claim_wait: int = 366 * DAY
    unsafe: bool = field(default=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not MAX_TEST_SAMPLES <= self.stake < 2**96:
            raise InvalidIncentive(f"stake must be in [{MAX_TEST_SAMPLES}, 2**96) wei, got {self.stake}")
        if self.min_contributions < 1:
            raise InvalidIncentive(f"min_contributions must be at least 1, got {self.min_contributions}")
        for name in ("min_duration", "reveal_window", "claim_wait"):
            if not 0 <= getattr(self, name) < WAIT_LIMIT:
                raise InvalidIncentive(f"{name} must be in [0, 2**40) s, got {getattr(self, name)}")
            if getattr(self, name) < MIN_REFUND_WAIT and not self.unsafe:
                raise InvalidIncentive(
                    f"{name} must be at least {MIN_REFUND_WAIT} s, got {getattr(self, name)} s: the market "
                    "could move on within the block that opens the wait (unsafe=True allows it)"
                )

    def words(self) -> list[int]:
        """The constructor's ``mechanism_params``, in the contract's order."""
        return list(self.to_json().values())

    def to_json(self) -> dict[str, int]:
        """The parameters by name, in the contract's order (``unsafe`` is the client's, not one of them)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.kw_only}

    @classmethod
    def from_chain(cls, read: Callable[[str], int]) -> PredictionMarket:
        """The parameters of a deployed market, read through ``read(getter_name)`` (only the contract's
        limits apply)."""
        return cls(**{f.name: int(read(f.name)) for f in fields(cls) if not f.kw_only}, unsafe=True)
