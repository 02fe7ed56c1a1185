"""Fixed-point Python mirrors of the on-chain models, with the scikit-learn API."""

from sumchain.models.base import SCALE, OnChainModel
from sumchain.models.sparse_perceptron import SparsePerceptron

MIRRORS: dict[str, type[OnChainModel]] = {cls.model_type: cls for cls in (SparsePerceptron,)}
"""Mirror class of each on-chain ``model_type``."""

__all__ = ["MIRRORS", "SCALE", "OnChainModel", "SparsePerceptron"]
