"""Fixed-point Python mirrors of the on-chain models, with the scikit-learn API."""

from sumchain.models.base import SCALE, OnChainModel
from sumchain.models.dense_perceptron import DensePerceptron
from sumchain.models.naive_bayes import NaiveBayes
from sumchain.models.nearest_centroid import NearestCentroid, SparseNearestCentroid
from sumchain.models.sparse_perceptron import SparsePerceptron

MIRRORS: dict[str, type[OnChainModel]] = {
    cls.model_type: cls
    for cls in (
        SparsePerceptron,
        DensePerceptron,
        NaiveBayes,
        NearestCentroid,
        SparseNearestCentroid,
    )
}
"""Mirror class of each on-chain ``model_type``."""

__all__ = [
    "MIRRORS",
    "SCALE",
    "DensePerceptron",
    "NaiveBayes",
    "NearestCentroid",
    "OnChainModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
]
