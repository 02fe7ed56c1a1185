"""Client-side view of the prediction market's parameters (the market itself: :mod:`sumchain.market`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar

from sumchain.errors import InvalidIncentive
from sumchain.incentives.deposit_refund_take import DAY, WAIT_LIMIT

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

    Raises
    ------
    InvalidIncentive
        When a parameter breaks the contract's limits.

    Examples
    --------
    >>> PredictionMarket(stake=10**15).words()
    [1000000000000000, 86400, 1, 86400, 31622400]
    """

    mechanism_type: ClassVar[str] = "prediction_market"
    title: ClassVar[str] = "Prediction market"

    stake: int = 10**15
    min_duration: int = DAY
    min_contributions: int = 1
    reveal_window: int = DAY
    claim_wait: int = 366 * DAY

    def __post_init__(self) -> None:
        if not MAX_TEST_SAMPLES <= self.stake < 2**96:
            raise InvalidIncentive(f"stake must be in [{MAX_TEST_SAMPLES}, 2**96) wei, got {self.stake}")
        if self.min_contributions < 1:
            raise InvalidIncentive(f"min_contributions must be at least 1, got {self.min_contributions}")
        for name in ("min_duration", "reveal_window", "claim_wait"):
            if not 0 <= getattr(self, name) < WAIT_LIMIT:
                raise InvalidIncentive(f"{name} must be in [0, 2**40) s, got {getattr(self, name)}")

    def words(self) -> list[int]:
        """The constructor's ``mechanism_params``, in the contract's order."""
        return [getattr(self, f.name) for f in fields(self)]

    @classmethod
    def from_chain(cls, read: Callable[[str], int]) -> PredictionMarket:
        """The parameters of a deployed market, read through ``read(getter_name)``."""
        return cls(**{f.name: int(read(f.name)) for f in fields(cls)})
