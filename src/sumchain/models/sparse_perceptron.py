"""Fixed-point sparse perceptron, bit-exact with ``contracts/models/sparse_perceptron.vy``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from sumchain.errors import ModelFileError
from sumchain.models import reference_fields as fields
from sumchain.models.base import SCALE
from sumchain.models.packing import saturate, signed_range
from sumchain.models.perceptron import (
    HEADROOM_STEPS,
    WEIGHT_BITS,
    BinaryPerceptron,
    FixedLinear,
    Sample,
    auto_weight_bits,
    linear_classifier_to_fixed,
)
from sumchain.models.samples import MAX_SAMPLE, CheckedSparse, sparse_batch

__all__ = [
    "HEADROOM_STEPS",
    "MAX_FEATURES",
    "WEIGHT_BITS",
    "FixedLinear",
    "SparsePerceptron",
    "auto_weight_bits",
    "linear_classifier_to_fixed",
]

MAX_FEATURES = 2**32


class SparsePerceptron(BinaryPerceptron):
    """Fixed-point sparse perceptron, bit-exact with the on-chain model.

    A sample is a sorted list of unique feature indices. The model predicts 1
    when ``intercept_ + sum(coef_[i] for i in sample) > 0``, else 0. On a
    mistake every present weight moves by the step towards the label (``+``
    for 1, ``-`` for 0): ``learning_rate``, or with a ``decay`` a step that
    shrinks with the samples seen. The intercept never changes, as in
    0xDeCA10B. All numbers are integers at the fixed-point scale (1e9 = 1.0).

    Parameters
    ----------
    n_features : int
        Size of the feature space; indices lie in ``[0, n_features)``.
    learning_rate : int
        Step of a weight on a mistake, at scale (default 0.5 = 500_000_000);
        with a decay, the step of the first sample.
    intercept : int
        The fixed intercept, at scale.
    max_iter : int
        Passes over the data in ``fit``; it stops early after a pass with no
        mistake.
    tol : float or None
        ``fit`` also stops once 5 passes in a row did not lower the perceptron
        loss by ``tol`` per sample, as scikit-learn's ``SGDClassifier``
        (``None``, the default: it does not).
    shuffle : bool
        Whether each pass of ``fit`` takes the samples in a new order.
    random_state : int or None
        Seed of that order (an integer of at least 0).
    weight_bits : int or None
        Width of one weight on chain (8 to 64 bits; ``256 // weight_bits``
        weights share a storage word). A learning step that would take a
        weight past the width stops it at the bound (it saturates), on chain
        and here, while the other weights move. ``None`` (default) computes in 64
        bits off chain and picks, when deployed, the narrowest width that
        holds the weights with room for 1024 more steps of each
        (:func:`~sumchain.models.perceptron.auto_weight_bits`); a model read
        from chain has it set.
    decay : int or None
        ``None`` (default): every step is ``learning_rate``. Else the step
        after ``seen`` samples (every sample learned from counts, mistake or
        not, ``fit``'s passes too) is ``learning_rate * decay // (decay +
        seen)``: it halves after ``decay`` samples, the schedule of
        scikit-learn's ``SGDClassifier(learning_rate="optimal")``
        (:func:`~sumchain.models.perceptron.scheduled_step`). The contract
        counts on from ``samples_seen_``.

    Attributes
    ----------
    coef_ : ndarray of int64, shape (n_features,)
        The weights.
    intercept_ : int
        The intercept.
    classes_ : ndarray
        ``[0, 1]``.
    samples_seen_ : int
        Samples learned from (it sets the next step when there is a decay).

    Examples
    --------
    >>> clf = SparsePerceptron(n_features=4).fit([[0, 2], [1, 3]], [1, 0])
    >>> clf.coef_.shape
    (4,)
    >>> clf.predict([[0, 2], [1, 3]]).tolist()
    [1, 0]
    """

    contract_model = "sparse_perceptron"
    model_type = "sparse perceptron"
    reference_types = ("sparse perceptron",)
    sparse = True
    max_features = MAX_FEATURES
    intercept_bits = None
    default_learning_rate = SCALE // 2
    score_scale = SCALE

    def __init__(
        self,
        *,
        n_features: int,
        learning_rate: int = SCALE // 2,
        intercept: int = 0,
        max_iter: int = 10,
        tol: float | None = None,
        shuffle: bool = False,
        random_state: int | None = None,
        weight_bits: int | None = None,
        decay: int | None = None,
    ) -> None:
        self.n_features = n_features
        self.learning_rate = learning_rate
        self.intercept = intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.weight_bits = weight_bits
        self.decay = decay

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> SparsePerceptron:
        """Read a reference ``"sparse perceptron"`` model: ``weights`` (position i = feature i),
        optional ``sparseWeights`` ``{"index": weight}`` for features beyond them, ``intercept``
        (default 0), optional ``learningRate`` (default 0.5); every real becomes ``round(x * SCALE)``.
        Optional ``learningRateDecay`` and ``samplesSeen`` (sumchain's) give the ``decay``.

        ``featureIndices`` is refused: the samples of a sparse model are already feature indices
        (and the reference's sparse contract has no feature indices either).
        """
        weights = fields.fixed_list(fields.field(spec, "weights"), "weights")
        extra = fields.fixed_by_index(spec.get("sparseWeights", {}), "sparseWeights")
        if "featureIndices" in spec:
            raise ModelFileError("featureIndices is for dense perceptrons: a sparse perceptron's samples are indices")
        within = sorted(i for i in extra if i < len(weights))
        if within:
            raise ModelFileError(
                f'sparseWeights["{within[0]}"] is for feature {within[0]}, which weights already holds '
                f"(sparseWeights are for the features beyond its {len(weights)})"
            )
        n_features = max(len(weights), max(extra, default=-1) + 1)
        fields.check_size(
            n_features, 1, f'sparseWeights["{n_features - 1}"]' if n_features > len(weights) else "weights"
        )
        weights.extend([0] * (n_features - len(weights)))
        for i, weight in extra.items():
            weights[i] = weight
        return cls.from_weights(
            weights,
            intercept=fields.fixed(spec.get("intercept", 0), "intercept"),
            learning_rate=fields.fixed_in(spec.get("learningRate", 0.5), "learningRate", 1, 2**63 - 1),
            **cls.schedule_from_spec(spec),
        )

    # -- learning and predicting ------------------------------------------------

    def _prepared(self, sample: tuple[int, ...]) -> np.ndarray:
        """The sample's indices as an index array, which gathers the weights faster than a tuple."""
        return np.asarray(sample, dtype=np.intp)

    def _score(self, sample: Sample) -> int:
        weights = self.coef_[np.asarray(sample, dtype=np.intp)]
        if _sums_fit_int64(_magnitude(weights)):
            return self.intercept_ + int(weights.sum())
        return self.intercept_ + sum(int(w) for w in weights.tolist())

    def predict(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """Predicted class of each sample, exactly as the contract computes it, all at once:
        the samples are checked together (:func:`~sumchain.models.samples.check_sparse_batch`),
        then scored with one gather and one segmented sum, in int64 when no score can leave
        it (``|intercept| + 512 * max |weight| < 2**63``: weights of up to 54 bits), else
        with Python's exact integers. Fewer than :data:`~sumchain.models.samples.SMALL_BATCH` samples are scored one
        by one, which is faster for them. Samples already checked as a
        :class:`~sumchain.models.samples.CheckedSparse` of this feature space are not checked again."""
        self._check_fitted("coef_")
        batch = sparse_batch(X, self.n_features)
        if not isinstance(batch, CheckedSparse):
            return super().predict(batch)
        flat, starts = batch.flat, batch.starts
        exact = _sums_fit_int64(_magnitude(self.coef_), abs(self.intercept_))
        weights = self.coef_ if exact else self.coef_.astype(object)
        scores = np.add.reduceat(weights[flat], starts) + self.intercept_
        return (scores > 0).astype(np.int64)

    def _move(self, sample: Sample, step: int) -> None:
        low, high = signed_range(self._bits())
        index = np.asarray(sample, dtype=np.intp)
        weights = self.coef_[index]
        if _magnitude(weights) + abs(step) < 2**63:  # int64 holds every sum
            self.coef_[index] = np.clip(weights + step, low, high)
        else:
            self.coef_[index] = [saturate(int(w) + step, self._bits()) for w in weights.tolist()]


def _magnitude(weights: np.ndarray) -> int:
    """The largest absolute value of some weights (0 for none), as a Python int."""
    return max(int(weights.max()), -int(weights.min())) if len(weights) else 0


def _sums_fit_int64(magnitude: int, offset: int = 0) -> bool:
    """Whether ``offset`` plus a sum of up to :data:`MAX_SAMPLE` weights of at most this
    magnitude stays inside int64 (weights of up to 54 bits, with a small offset)."""
    return offset + MAX_SAMPLE * magnitude < 2**63
