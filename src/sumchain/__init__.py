"""sumchain: machine-learning models that live on a blockchain.

Anyone can use the model for free, anyone can improve it by sending labelled
data, and an incentive mechanism keeps contributors honest.
"""

from sumchain.chain.base import Chain
from sumchain.chain.embedded import EmbeddedChain
from sumchain.client import Contribution, SharedModel
from sumchain.errors import ContractReverted, InsufficientDeposit, InvalidSample, SumchainError
from sumchain.incentives import DepositRefundTake
from sumchain.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron

__version__ = "0.1.0"

__all__ = [
    "Chain",
    "ContractReverted",
    "Contribution",
    "DensePerceptron",
    "DepositRefundTake",
    "EmbeddedChain",
    "InsufficientDeposit",
    "InvalidSample",
    "NaiveBayes",
    "NearestCentroid",
    "SharedModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
    "SumchainError",
]
