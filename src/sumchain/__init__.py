"""sumchain: machine-learning models that live on a blockchain.

Anyone can use the model for free, anyone can improve it by sending labelled
data, and an incentive mechanism keeps contributors honest.

The names below are imported on first use, so that ``import sumchain`` (and
the command line's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Chain": "sumchain.chain.base",
    "EmbeddedChain": "sumchain.chain.embedded",
    "RpcChain": "sumchain.chain.rpc",
    "Contribution": "sumchain.contributions",
    "SharedModel": "sumchain.client",
    "ContractReverted": "sumchain.errors",
    "InsufficientDeposit": "sumchain.errors",
    "InvalidSample": "sumchain.errors",
    "SumchainError": "sumchain.errors",
    "DepositRefundTake": "sumchain.incentives",
    "Points": "sumchain.incentives",
    "ModelMetadata": "sumchain.metadata",
    "DensePerceptron": "sumchain.models",
    "NaiveBayes": "sumchain.models",
    "NearestCentroid": "sumchain.models",
    "SparseNearestCentroid": "sumchain.models",
    "SparsePerceptron": "sumchain.models",
}

__all__ = [
    "Chain",
    "ContractReverted",
    "Contribution",
    "DensePerceptron",
    "DepositRefundTake",
    "EmbeddedChain",
    "InsufficientDeposit",
    "InvalidSample",
    "ModelMetadata",
    "NaiveBayes",
    "NearestCentroid",
    "Points",
    "RpcChain",
    "SharedModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
    "SumchainError",
]

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.chain.embedded import EmbeddedChain
    from sumchain.chain.rpc import RpcChain
    from sumchain.client import SharedModel
    from sumchain.contributions import Contribution
    from sumchain.errors import ContractReverted, InsufficientDeposit, InvalidSample, SumchainError
    from sumchain.incentives import DepositRefundTake, Points
    from sumchain.metadata import ModelMetadata
    from sumchain.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sumchain' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
