"""Fixed-point dense perceptron, bit-exact with ``contracts/models/dense_perceptron.vy``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sumchain.errors import ModelFileError
from sumchain.models import reference_fields as fields
from sumchain.models.base import SCALE, truncated_div
from sumchain.models.packing import saturate
from sumchain.models.perceptron import BinaryPerceptron, Sample
from sumchain.models.samples import MAX_SAMPLE

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata


class DensePerceptron(BinaryPerceptron):
    """Fixed-point dense perceptron, bit-exact with the on-chain model.

    A sample is a vector of ``n_features`` signed fixed-point integers (a real
    x is sent as ``round(x * SCALE)``). The model predicts 1 when
    ``sum(coef_[i] * x[i]) + intercept_ * SCALE > 0``, else 0 (a score of
    exactly 0 gives 0). On a mistake weight i moves by
    ``x[i] * step * sign // SCALE`` (sign +1 for label 1, -1 for label 0; the
    division truncates towards zero, as on chain), the step being
    ``learning_rate`` or, with a ``decay``, one that shrinks with the samples
    seen; the intercept never changes, as in 0xDeCA10B. Inputs need not be normalized: the
    reference's unit-norm convention is left to the encoder.

    Parameters
    ----------
    n_features : int
        Dimension of a sample, 1 to 512.
    learning_rate : int
        Scales the input a mistake adds to the weights, at scale (default
        1.0 = 1_000_000_000, the reference's default); 1 to ``2**63 - 1``;
        with a decay, the step of the first sample.
    intercept : int
        The fixed intercept, at scale; it fits in 64 signed bits.
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
        holds the weights with room for 1024 more steps of a unit input
        (``|x| = SCALE``) each (:func:`~sumchain.models.perceptron.auto_weight_bits`);
        a model read from chain has it set.
    feature_indices : sequence of int or None
        Off chain only: the positions, in a larger shared encoding (such as
        an image embedding), of the model's ``n_features`` inputs, as in the
        reference's model files. :meth:`select_features` picks them from the
        shared encoding; ``predict``, ``fit`` and the contract take the
        selected vectors. Exported back with :meth:`to_reference_spec`.
    decay : int or None
        ``None`` (default) for a constant step, else the samples after which
        the step halves, as for :class:`~sumchain.models.SparsePerceptron`.

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
    >>> clf = DensePerceptron(n_features=2).fit([[SCALE, -SCALE], [-SCALE, SCALE]], [1, 0])
    >>> clf.coef_.tolist()
    [1000000000, -1000000000]
    >>> clf.predict([[3, 1], [1, 3], [2, 2]]).tolist()
    [1, 0, 0]
    """

    contract_model = "dense_perceptron"
    model_type = "dense perceptron"
    reference_types = ("dense perceptron", "perceptron")
    sparse = False
    max_features = MAX_SAMPLE
    intercept_bits = 64
    default_learning_rate = SCALE
    score_scale = SCALE**2

    def __init__(
        self,
        *,
        n_features: int,
        learning_rate: int = SCALE,
        intercept: int = 0,
        max_iter: int = 10,
        tol: float | None = None,
        shuffle: bool = False,
        random_state: int | None = None,
        weight_bits: int | None = None,
        feature_indices: Sequence[int] | None = None,
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
        self.feature_indices = feature_indices
        self.decay = decay

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.feature_indices is not None:
            indices = [int(i) for i in self.feature_indices]
            if len(indices) != self.n_features or min(indices) < 0:
                raise ValueError(
                    f"feature_indices must hold {self.n_features} non-negative positions, got {self.feature_indices}"
                )

    def select_features(self, X: Iterable[Sequence[int]]) -> list[list[int]]:
        """The model's inputs from rows of the shared encoding: the ``feature_indices`` columns.

        Rows are returned as lists unchanged when ``feature_indices`` is None.

        >>> DensePerceptron(n_features=2, feature_indices=[3, 0]).select_features([[10, 11, 12, 13]])
        [[13, 10]]
        """
        if self.feature_indices is None:
            return [list(row) for row in X]
        return [[row[i] for i in self.feature_indices] for row in X]

    # -- contract mapping -------------------------------------------------------

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> DensePerceptron:
        """Read a reference ``"dense perceptron"`` (or ``"perceptron"``) model.

        ``weights`` (one per input dimension), ``intercept`` (or ``bias``, as
        in the reference's hot-dog model; default 0), optional ``learningRate``
        (default 1, as in the reference) and optional ``featureIndices`` (distinct
        positions, one per weight; kept as ``feature_indices``); every real
        becomes ``round(x * SCALE)``. Optional ``learningRateDecay`` and
        ``samplesSeen`` (sumchain's) give the ``decay``.
        """
        weights = fields.fixed_list(fields.field(spec, "weights"), "weights")
        intercept = "intercept" if "intercept" in spec else "bias"
        indices = None
        if "featureIndices" in spec:
            indices = fields.index_list(spec["featureIndices"], "featureIndices")
            if len(indices) != len(weights):
                raise ModelFileError(f"featureIndices has {len(indices)} positions for {len(weights)} weights")
        return cls.from_weights(
            weights,
            intercept=fields.fixed(spec.get(intercept, 0), intercept),
            learning_rate=fields.fixed_in(spec.get("learningRate", 1), "learningRate", 1, 2**63 - 1),
            feature_indices=indices,
            **cls.schedule_from_spec(spec),
        )

    def to_reference_spec(self, metadata: ModelMetadata | None = None) -> dict[str, Any]:
        """This model as a reference ``"dense perceptron"`` JSON object (reals = integers / SCALE),
        its classes named by ``metadata``, with ``featureIndices`` from ``metadata`` or else
        from ``feature_indices`` when either has them."""
        spec = super().to_reference_spec(metadata)
        indices = self.feature_indices
        if metadata is not None and metadata.feature_indices is not None:
            indices = metadata.feature_indices
        if indices is not None:
            spec["featureIndices"] = [int(i) for i in indices]
        return spec

    # -- learning and predicting ------------------------------------------------

    def _score(self, sample: Sample) -> int:
        return self.intercept_ * SCALE + sum(w * x for w, x in zip(self.coef_.tolist(), sample, strict=True))

    def _move(self, sample: Sample, step: int) -> None:
        bits = self._bits()
        updated = [
            saturate(w + truncated_div(x * step, SCALE), bits) for w, x in zip(self.coef_.tolist(), sample, strict=True)
        ]
        self.coef_ = np.array(updated, dtype=np.int64)
