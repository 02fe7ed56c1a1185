"""The prediction market on chain: its parameters, the mirror of its accounting, and its client.

A market is a model whose improvement a provider pays for with a bounty on a
hidden test set (``contracts/incentives/prediction_market.vy`` has the rules).
:class:`PredictionMarket` holds its parameters, :func:`evaluation_scores` replays
its evaluation on the mirror, :func:`rewards` computes what the contract pays from the
scores (exactly, in wei), and :class:`Market` runs
every phase from Python (``sumchain market`` from the command line).
"""

from sumchain.incentives.prediction_market import PHASES, PIECE_SAMPLES, PredictionMarket
from sumchain.market.accounting import Payout, evaluation_scores, rewards
from sumchain.market.client import (
    HiddenTestSet,
    Market,
    Piece,
    find_kept_test_set,
    hidden_set_file,
    hidden_set_tag,
    kept_test_set,
    split_test_set,
)

__all__ = [
    "PHASES",
    "PIECE_SAMPLES",
    "HiddenTestSet",
    "Market",
    "Payout",
    "Piece",
    "PredictionMarket",
    "evaluation_scores",
    "find_kept_test_set",
    "hidden_set_file",
    "hidden_set_tag",
    "kept_test_set",
    "rewards",
    "split_test_set",
]
