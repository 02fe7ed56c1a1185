"""Fixed-point Python mirrors of the on-chain models, with the scikit-learn API."""

from sumchain.models.base import SCALE
from sumchain.models.sparse_perceptron import SparsePerceptron

__all__ = ["SCALE", "SparsePerceptron"]
