"""Converting fitted scikit-learn estimators to fixed-point mirrors.

Each mirror class has a ``from_sklearn(estimator)`` class method that turns a
fitted scikit-learn model into its fixed-point twin (every real number x
becomes ``round(x * SCALE)``). :func:`conversion_report` then measures what
the conversion cost: the accuracy of the float model and of the fixed-point
model on held-out data, and how often the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sumchain.errors import InvalidSample
from sumchain.models.base import OnChainModel


@dataclass(frozen=True)
class ConversionReport:
    """How the fixed-point model compares with the float model it came from.

    Attributes
    ----------
    float_accuracy : float
        Accuracy of the scikit-learn model on the held-out data.
    fixed_accuracy : float
        Accuracy of the fixed-point mirror (so: of the contract) on the same data.
    agreement : float
        Fraction of samples on which both predict the same class.
    n_samples : int
        Number of held-out samples.
    """

    float_accuracy: float
    fixed_accuracy: float
    agreement: float
    n_samples: int

    @property
    def accuracy_loss(self) -> float:
        """``float_accuracy - fixed_accuracy`` (negative when fixed point did better)."""
        return self.float_accuracy - self.fixed_accuracy

    def __str__(self) -> str:
        return (
            f"float accuracy {self.float_accuracy:.4f}, fixed-point accuracy {self.fixed_accuracy:.4f} "
            f"(loss {self.accuracy_loss:+.4f}), agreement {self.agreement:.4f} on {self.n_samples} samples"
        )


def conversion_report(
    estimator: Any,
    mirror: OnChainModel,
    X: Any,
    y: Sequence[int],
    *,
    to_samples: Callable[[Any], Iterable[Iterable[int]]],
) -> ConversionReport:
    """Compare a scikit-learn model with its fixed-point mirror on held-out data.

    Parameters
    ----------
    estimator : fitted scikit-learn classifier
        The float model (its classes must be ``0 .. n_classes - 1``).
    mirror : OnChainModel
        The converted model.
    X : array-like
        Held-out data in the estimator's format.
    y : sequence of int
        True labels.
    to_samples : callable
        Turns ``X`` into the mirror's samples (feature indices or fixed-point
        vectors); each mirror module offers one.

    Returns
    -------
    ConversionReport

    Raises
    ------
    InvalidSample
        When the mirror refuses a held-out sample (a value wider than a nearest centroid's fields).
    """
    labels = np.asarray(y)
    float_pred = np.asarray(estimator.predict(X))
    try:
        fixed_pred = mirror.predict(list(to_samples(X)))
    except InvalidSample as exc:
        bits = getattr(mirror, "value_bits_", None)
        wider = f": its values are {bits}-bit, set by its centroids; convert with value_bits=64" if bits else ""
        raise InvalidSample(f"the mirror refuses a held-out sample ({exc}){wider}") from None
    n = len(labels)
    if n == 0:
        raise ValueError("conversion_report needs at least one held-out sample")
    return ConversionReport(
        float_accuracy=float(np.mean(float_pred == labels)),
        fixed_accuracy=float(np.mean(fixed_pred == labels)),
        agreement=float(np.mean(float_pred == fixed_pred)),
        n_samples=n,
    )


def dense_to_fixed(X: Any) -> list[list[int]]:
    """Dense float rows to fixed-point integer rows (``round(x * SCALE)``).

    >>> dense_to_fixed([[0.5, -1.25]])
    [[500000000, -1250000000]]
    """
    from sumchain.models.base import SCALE

    return [[round(float(v) * SCALE) for v in row] for row in np.asarray(X, dtype=float)]


def binary_to_indices(X: Any) -> list[list[int]]:
    """Rows of a (dense or scipy sparse) feature matrix to the indices of their non-zero columns.

    >>> binary_to_indices([[0, 3, 0, 1]])
    [[1, 3]]
    """
    if hasattr(X, "tocsr"):
        csr = X.tocsr()
        return [sorted(int(i) for i in csr.indices[csr.indptr[r] : csr.indptr[r + 1]]) for r in range(csr.shape[0])]
    return [np.flatnonzero(np.asarray(row)).tolist() for row in np.asarray(X)]
