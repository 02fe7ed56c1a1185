"""Fixed-point dense perceptron, bit-exact with ``contracts/models/dense_perceptron.vy``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sumchain.errors import InvalidSample
from sumchain.models.base import SCALE, OnChainModel, truncated_div
from sumchain.models.packing import pack, signed_range, unpack, words_for
from sumchain.models.samples import MAX_SAMPLE
from sumchain.models.sparse_perceptron import auto_weight_bits, linear_classifier_to_fixed

INT64_MIN, INT64_MAX = signed_range(64)


class DensePerceptron(OnChainModel):
    """Fixed-point dense perceptron, bit-exact with the on-chain model.

    A sample is a vector of ``n_features`` signed fixed-point integers (a real
    x is sent as ``round(x * SCALE)``). The model predicts 1 when
    ``sum(coef_[i] * x[i]) + intercept_ * SCALE > 0``, else 0 (a score of
    exactly 0 gives 0). On a mistake weight i moves by
    ``x[i] * learning_rate * sign // SCALE`` (sign +1 for label 1, -1 for
    label 0; the division truncates towards zero, as on chain); the intercept
    never changes, as in 0xDeCA10B. Inputs need not be normalized: the
    reference's unit-norm convention is left to the encoder.

    Parameters
    ----------
    n_features : int
        Dimension of a sample, 1 to 512.
    learning_rate : int
        Scales the input a mistake adds to the weights, at scale (default
        1.0 = 1_000_000_000, the reference's default); 1 to ``2**63 - 1``.
    intercept : int
        The fixed intercept, at scale; it fits in 64 signed bits.
    max_iter : int
        Passes over the data in ``fit``; it stops early after a pass with no
        mistake.
    weight_bits : int or None
        Width of one weight on chain (8 to 64 bits; ``256 // weight_bits``
        weights share a storage word). A learning step that would leave the
        width is refused, on chain and here. ``None`` (default) computes in 64
        bits off chain and picks, when deployed, the narrowest width that
        holds the weights with room for 1024 more steps of a unit input
        (``|x| = SCALE``) each (:func:`~sumchain.models.sparse_perceptron.auto_weight_bits`);
        a model read from chain has it set.
    feature_indices : sequence of int or None
        Off chain only: the positions, in a larger shared encoding (such as
        an image embedding), of the model's ``n_features`` inputs, as in the
        reference's model files. :meth:`select_features` picks them from the
        shared encoding; ``predict``, ``fit`` and the contract take the
        selected vectors. Exported back with :meth:`to_reference_spec`.

    Attributes
    ----------
    coef_ : ndarray of int64, shape (n_features,)
        The weights.
    intercept_ : int
        The intercept.
    classes_ : ndarray
        ``[0, 1]``.

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
    _fitted_attribute = "coef_"

    def __init__(
        self,
        *,
        n_features: int,
        learning_rate: int = SCALE,
        intercept: int = 0,
        max_iter: int = 10,
        weight_bits: int | None = None,
        feature_indices: Sequence[int] | None = None,
    ) -> None:
        self.n_features = n_features
        self.learning_rate = learning_rate
        self.intercept = intercept
        self.max_iter = max_iter
        self.weight_bits = weight_bits
        self.feature_indices = feature_indices

    def _bits(self) -> int:
        return 64 if self.weight_bits is None else self.weight_bits

    def _validate_params(self) -> None:
        if not 0 < self.n_features <= MAX_SAMPLE:
            raise ValueError(f"n_features must be in [1, {MAX_SAMPLE}], got {self.n_features}")
        if self.weight_bits is not None and not 8 <= self.weight_bits <= 64:
            raise ValueError(f"weight_bits must be in [8, 64], got {self.weight_bits}")
        if not 0 < self.learning_rate <= INT64_MAX:
            raise ValueError(f"learning_rate must be in [1, {INT64_MAX}], got {self.learning_rate}")
        if not INT64_MIN <= self.intercept <= INT64_MAX:
            raise ValueError(f"intercept must fit in 64 signed bits, got {self.intercept}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be at least 1, got {self.max_iter}")
        if self.feature_indices is not None:
            indices = [int(i) for i in self.feature_indices]
            if len(indices) != self.n_features or min(indices) < 0:
                raise ValueError(
                    f"feature_indices must hold {self.n_features} non-negative positions, got {self.feature_indices}"
                )

    def _init_state(self) -> None:
        self._validate_params()
        self.coef_ = np.zeros(self.n_features, dtype=np.int64)
        self.intercept_ = int(self.intercept)
        self.classes_ = np.array([0, 1])

    @classmethod
    def from_weights(
        cls,
        coef: Sequence[int],
        *,
        intercept: int = 0,
        learning_rate: int = SCALE,
        weight_bits: int | None = None,
        feature_indices: Sequence[int] | None = None,
    ) -> DensePerceptron:
        """A fitted model with the given fixed-point weights.

        >>> DensePerceptron.from_weights([2, -3], intercept=1).predict([[0, 0], [0, 10**9]]).tolist()
        [1, 0]
        """
        model = cls(
            n_features=len(coef),
            learning_rate=learning_rate,
            intercept=intercept,
            weight_bits=weight_bits,
            feature_indices=feature_indices,
        )
        model._init_state()
        low, high = signed_range(model._bits())
        for i, c in enumerate(coef):
            if not low <= int(c) <= high:
                raise OverflowError(f"weight {c} of feature {i} does not fit in {model._bits()} signed bits")
        model.coef_ = np.array([int(c) for c in coef], dtype=np.int64)
        return model

    @classmethod
    def from_sklearn(
        cls,
        estimator: Any,
        *,
        learning_rate: int | None = None,
        weight_bits: int | None = None,
        feature_indices: Sequence[int] | None = None,
    ) -> DensePerceptron:
        """Convert a fitted binary ``sklearn.linear_model.Perceptron`` or ``SGDClassifier``.

        Weights and intercept become ``round(x * SCALE)``; the fixed-point
        model then predicts on ``round(x * SCALE)`` inputs
        (:func:`~sumchain.models.convert.dense_to_fixed`) what the float model
        predicts, up to rounding (measure it with
        :func:`~sumchain.models.convert.conversion_report`). Label 1 is the
        estimator's ``classes_[1]``.

        Parameters
        ----------
        estimator : Perceptron or SGDClassifier
            Fitted on two classes.
        learning_rate : int, optional
            At scale; by default a ``Perceptron``'s ``eta0`` (its update on a
            mistake is exactly this model's), else 1.0.
        weight_bits : int, optional
            See the class parameters.
        feature_indices : sequence of int, optional
            See the class parameters.

        Raises
        ------
        TypeError
            When the estimator is not one of these linear classifiers.
        ValueError
            When it is not fitted on exactly two classes.

        Examples
        --------
        >>> from sklearn.linear_model import Perceptron
        >>> clf = Perceptron(random_state=0).fit([[1.0, 0.0], [0.0, 1.0]], [1, 0])
        >>> DensePerceptron.from_sklearn(clf).coef_.tolist()
        [1000000000, -1000000000]
        """
        fixed = linear_classifier_to_fixed(estimator)
        if learning_rate is None:
            learning_rate = SCALE if fixed.learning_rate is None else fixed.learning_rate
        return cls.from_weights(
            fixed.coef,
            intercept=fixed.intercept,
            learning_rate=learning_rate,
            weight_bits=weight_bits,
            feature_indices=feature_indices,
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

    def deployed_weight_bits(self) -> int:
        """The width the contract gets: ``weight_bits``, or the automatic choice."""
        self._check_fitted("coef_")
        if self.weight_bits is not None:
            return self.weight_bits
        return auto_weight_bits(self.coef_.tolist(), self.learning_rate)

    def model_params(self) -> list[int]:
        """``[n_features, intercept, learning_rate, weight_bits]``."""
        return [self.n_features, self.intercept_, self.learning_rate, self.deployed_weight_bits()]

    def to_words(self) -> list[int]:
        """The weights packed ``256 // weight_bits`` per word."""
        return pack(self.coef_.tolist(), self.deployed_weight_bits())

    @classmethod
    def n_words(cls, params: Sequence[int]) -> int:
        """Words that hold the weights: ``ceil(n_features / (256 // weight_bits))``."""
        return words_for(int(params[0]), int(params[3]))

    @classmethod
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> DensePerceptron:
        """The mirror of a deployed model (``feature_indices`` live off chain and are not set)."""
        n_features, intercept, learning_rate, bits = (int(p) for p in params)
        return cls.from_weights(
            unpack(words, n_features, bits), intercept=intercept, learning_rate=learning_rate, weight_bits=bits
        )

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> DensePerceptron:
        """Read a reference ``"dense perceptron"`` (or ``"perceptron"``) model.

        ``weights`` (one per input dimension), ``intercept`` (or ``bias``, as
        in the reference's hot-dog model), optional ``learningRate`` (default
        1, as in the reference) and optional ``featureIndices`` (kept as
        ``feature_indices``); every real becomes ``round(x * SCALE)``.
        """
        weights, indices = spec["weights"], spec.get("featureIndices")
        for name, field in (("weights", weights), ("featureIndices", indices)):
            if field is not None and not isinstance(field, list):
                raise TypeError(f"{name} must be a list, got {type(field).__name__}")
        return cls.from_weights(
            [round(float(w) * SCALE) for w in weights],
            intercept=round(float(spec.get("intercept", spec.get("bias", 0))) * SCALE),
            learning_rate=round(float(spec.get("learningRate", 1)) * SCALE),
            feature_indices=None if indices is None else [int(i) for i in indices],
        )

    def to_reference_spec(self) -> dict[str, Any]:
        """This model as a reference ``"dense perceptron"`` JSON object (reals = integers / SCALE)."""
        self._check_fitted("coef_")
        spec: dict[str, Any] = {
            "type": self.model_type,
            "classifications": ["0", "1"],
            "weights": [int(w) / SCALE for w in self.coef_.tolist()],
            "intercept": self.intercept_ / SCALE,
            "learningRate": self.learning_rate / SCALE,
        }
        if self.feature_indices is not None:
            spec["featureIndices"] = [int(i) for i in self.feature_indices]
        return spec

    # -- learning and predicting ------------------------------------------------

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> DensePerceptron:
        """Learn from scratch: ``max_iter`` passes of :meth:`partial_fit`."""
        self._init_state()
        samples = [self.codec.check(x) for x in X]
        labels = [self.check_label(int(label)) for label in y]
        if len(samples) != len(labels):
            raise ValueError(f"X has {len(samples)} samples but y has {len(labels)} labels")
        for _ in range(self.max_iter):
            mistakes = sum(self._learn(x, label) for x, label in zip(samples, labels, strict=True))
            if mistakes == 0:
                break
        return self

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> DensePerceptron:
        """Learn from each sample once, in order, exactly as ``add_data`` does."""
        if not hasattr(self, "coef_"):
            self._init_state()
        for x, label in zip(X, y, strict=True):
            self._learn(self.codec.check(x), self.check_label(int(label)))
        return self

    def _score(self, sample: tuple[int, ...]) -> int:
        return self.intercept_ * SCALE + sum(w * x for w, x in zip(self.coef_.tolist(), sample, strict=True))

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        return 1 if self._score(sample) > 0 else 0

    def _learn(self, sample: tuple[int, ...], label: int) -> bool:
        if self._predict_one(sample) == label:
            return False
        step = self.learning_rate if label == 1 else -self.learning_rate
        low, high = signed_range(self._bits())
        updated = [w + truncated_div(x * step, SCALE) for w, x in zip(self.coef_.tolist(), sample, strict=True)]
        for i, w in enumerate(updated):
            if not low <= w <= high:
                raise InvalidSample(f"weight {i} would overflow {self._bits()} signed bits")
        self.coef_ = np.array(updated, dtype=np.int64)
        return True

    def decision_function(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """The fixed-point score of each sample (as Python ints in an object array)."""
        self._check_fitted("coef_")
        return np.array([self._score(self.codec.check(x)) for x in X], dtype=object)
