"""Fixed-point sparse perceptron, bit-exact with ``contracts/models/sparse_perceptron.vy``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sumchain.errors import InvalidSample, NotFittedError
from sumchain.models.base import SCALE, OnChainModel
from sumchain.models.packing import pack, signed_range, unpack, words_for

MAX_FEATURES = 2**32
WEIGHT_BITS = tuple(range(16, 65, 8))
"""Widths the automatic choice picks from (the contract accepts 8 to 64)."""
HEADROOM_STEPS = 1024
"""The automatic width leaves room for this many more steps of every weight."""


def auto_weight_bits(values: Iterable[int], learning_rate: int) -> int:
    """Narrowest width of :data:`WEIGHT_BITS` that holds every value with room
    for :data:`HEADROOM_STEPS` more learning steps.

    >>> auto_weight_bits([17_773_274_147, -5], 500_000_000)   # the IMDB model
    40
    """
    largest = max((abs(int(v)) for v in values), default=0) + HEADROOM_STEPS * int(learning_rate)
    for bits in WEIGHT_BITS:
        if largest <= signed_range(bits)[1]:
            return bits
    raise OverflowError(f"weights up to {largest} do not fit in 64 signed bits with learning headroom")


@dataclass(frozen=True)
class FixedLinear:
    """A binary linear classifier at the fixed-point scale (see :func:`linear_classifier_to_fixed`)."""

    coef: list[int]
    """``round(w * SCALE)`` for each weight."""
    intercept: int
    """``round(b * SCALE)``."""
    learning_rate: int | None
    """``round(eta0 * SCALE)`` for a ``Perceptron`` (its update on a mistake is the perceptrons'), else None."""


def linear_classifier_to_fixed(estimator: Any) -> FixedLinear:
    """Weights and intercept of a fitted binary scikit-learn ``Perceptron`` or
    ``SGDClassifier`` at the fixed-point scale (label 1 = ``classes_[1]``).

    Raises
    ------
    TypeError
        When the estimator is not one of these linear classifiers.
    NotFittedError
        When it is not fitted.
    ValueError
        When it is fitted on more than two classes or has non-finite weights.

    Examples
    --------
    >>> from sklearn.linear_model import Perceptron
    >>> fixed = linear_classifier_to_fixed(Perceptron().fit([[0.0], [1.0]], [0, 1]))
    >>> fixed.coef, fixed.intercept, fixed.learning_rate
    ([2000000000], -1000000000, 1000000000)
    """
    from sklearn.linear_model import Perceptron, SGDClassifier

    if not isinstance(estimator, (Perceptron, SGDClassifier)):
        name = type(estimator).__name__
        raise TypeError(f"expected a fitted binary sklearn.linear_model.Perceptron or SGDClassifier, got {name}")
    if not hasattr(estimator, "coef_"):
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet: call its fit first")
    coef = np.asarray(estimator.coef_, dtype=float)
    intercept = np.asarray(estimator.intercept_, dtype=float).ravel()
    if len(estimator.classes_) != 2 or coef.shape[0] != 1:
        raise ValueError(f"expected a binary classifier, got {len(estimator.classes_)} classes")
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("the estimator has non-finite weights")
    return FixedLinear(
        coef=[round(float(w) * SCALE) for w in coef[0]],
        intercept=round(float(intercept[0]) * SCALE),
        learning_rate=round(float(estimator.eta0) * SCALE) if isinstance(estimator, Perceptron) else None,
    )


class SparsePerceptron(OnChainModel):
    """Fixed-point sparse perceptron, bit-exact with the on-chain model.

    A sample is a sorted list of unique feature indices. The model predicts 1
    when ``intercept_ + sum(coef_[i] for i in sample) > 0``, else 0. On a
    mistake every present weight moves by ``learning_rate`` towards the label
    (``+`` for 1, ``-`` for 0); the intercept never changes, as in 0xDeCA10B.
    All numbers are integers at the fixed-point scale (1e9 = 1.0).

    Parameters
    ----------
    n_features : int
        Size of the feature space; indices lie in ``[0, n_features)``.
    learning_rate : int
        Step of a weight on a mistake, at scale (default 0.5 = 500_000_000).
    intercept : int
        The fixed intercept, at scale.
    max_iter : int
        Passes over the data in ``fit``; it stops early after a pass with no
        mistake.
    weight_bits : int or None
        Width of one weight on chain (8 to 64 bits; ``256 // weight_bits``
        weights share a storage word). A learning step that would leave the
        width is refused, on chain and here. ``None`` (default) computes in 64
        bits off chain and picks, when deployed, the narrowest width that
        holds the weights with room for 1024 more steps of each
        (:func:`auto_weight_bits`); a model read from chain has it set.

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
    _fitted_attribute = "coef_"

    def __init__(
        self,
        *,
        n_features: int,
        learning_rate: int = SCALE // 2,
        intercept: int = 0,
        max_iter: int = 10,
        weight_bits: int | None = None,
    ) -> None:
        self.n_features = n_features
        self.learning_rate = learning_rate
        self.intercept = intercept
        self.max_iter = max_iter
        self.weight_bits = weight_bits

    def _bits(self) -> int:
        return 64 if self.weight_bits is None else self.weight_bits

    def _validate_params(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}], got {self.n_features}")
        if self.weight_bits is not None and not 8 <= self.weight_bits <= 64:
            raise ValueError(f"weight_bits must be in [8, 64], got {self.weight_bits}")
        low, high = signed_range(self._bits())
        if not 0 < self.learning_rate <= high:
            raise ValueError(f"learning_rate must be in [1, {high}], got {self.learning_rate}")
        if not low <= self.intercept <= high:
            raise ValueError(f"intercept must fit in {self._bits()} signed bits, got {self.intercept}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be at least 1, got {self.max_iter}")

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
        learning_rate: int = SCALE // 2,
        weight_bits: int | None = None,
    ) -> SparsePerceptron:
        """A fitted model with the given fixed-point weights.

        >>> SparsePerceptron.from_weights([2, -3], intercept=1).predict([[0], [1]]).tolist()
        [1, 0]
        """
        model = cls(n_features=len(coef), learning_rate=learning_rate, intercept=intercept, weight_bits=weight_bits)
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
    ) -> SparsePerceptron:
        """Convert a binary ``sklearn.linear_model.Perceptron`` or ``SGDClassifier``
        fitted on 0/1 columns (a bag of words).

        Weights and intercept become ``round(x * SCALE)``; a sample is the
        list of the columns that are 1 (:func:`~sumchain.models.convert.binary_to_indices`),
        so the fixed-point score is the float score at scale, up to rounding
        (measure it with :func:`~sumchain.models.convert.conversion_report`).
        Label 1 is the estimator's ``classes_[1]``.

        Parameters
        ----------
        estimator : Perceptron or SGDClassifier
            Fitted on two classes.
        learning_rate : int, optional
            At scale; by default a ``Perceptron``'s ``eta0`` (on 0/1 columns its
            update on a mistake is exactly this model's), else 0.5.
        weight_bits : int, optional
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
        >>> clf = Perceptron().fit([[1, 0, 1], [0, 1, 0]], [1, 0])
        >>> SparsePerceptron.from_sklearn(clf).predict([[0, 2], [1]]).tolist()
        [1, 0]
        """
        fixed = linear_classifier_to_fixed(estimator)
        if learning_rate is None:
            learning_rate = SCALE // 2 if fixed.learning_rate is None else fixed.learning_rate
        return cls.from_weights(
            fixed.coef, intercept=fixed.intercept, learning_rate=learning_rate, weight_bits=weight_bits
        )

    # -- contract mapping -------------------------------------------------------

    def deployed_weight_bits(self) -> int:
        """The width the contract gets: ``weight_bits``, or the automatic choice."""
        self._check_fitted("coef_")
        if self.weight_bits is not None:
            return self.weight_bits
        return auto_weight_bits([*self.coef_.tolist(), self.intercept_], self.learning_rate)

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
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> SparsePerceptron:
        """The mirror of a deployed model."""
        n_features, intercept, learning_rate, bits = (int(p) for p in params)
        return cls.from_weights(
            unpack(words, n_features, bits), intercept=intercept, learning_rate=learning_rate, weight_bits=bits
        )

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> SparsePerceptron:
        """Read a reference ``"sparse perceptron"`` model: ``weights`` (position i = feature i),
        optional ``sparseWeights`` ``{"index": weight}`` beyond them, ``intercept``, optional
        ``learningRate`` (default 0.5); every real becomes ``round(x * SCALE)``."""
        if not isinstance(spec["weights"], list):
            raise ValueError(f"weights must be a list, got {type(spec['weights']).__name__}")
        weights = [round(float(w) * SCALE) for w in spec["weights"]]
        for key, weight in spec.get("sparseWeights", {}).items():
            index = int(key)
            if index < 0:
                raise ValueError(f"sparseWeights index {index} is negative")
            weights.extend([0] * (index + 1 - len(weights)))
            weights[index] = round(float(weight) * SCALE)
        return cls.from_weights(
            weights,
            intercept=round(float(spec.get("intercept", 0)) * SCALE),
            learning_rate=round(float(spec.get("learningRate", 0.5)) * SCALE),
        )

    def to_reference_spec(self) -> dict[str, Any]:
        """This model as a reference ``"sparse perceptron"`` JSON object (reals = integers / SCALE)."""
        self._check_fitted("coef_")
        return {
            "type": self.model_type,
            "classifications": ["0", "1"],
            "weights": [int(w) / SCALE for w in self.coef_.tolist()],
            "intercept": self.intercept_ / SCALE,
            "learningRate": self.learning_rate / SCALE,
        }

    # -- learning and predicting ------------------------------------------------

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> SparsePerceptron:
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

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> SparsePerceptron:
        """Learn from each sample once, in order, exactly as ``add_data`` does."""
        if not hasattr(self, "coef_"):
            self._init_state()
        for x, label in zip(X, y, strict=True):
            self._learn(self.codec.check(x), self.check_label(int(label)))
        return self

    def _score(self, sample: tuple[int, ...]) -> int:
        return self.intercept_ + int(sum(int(self.coef_[i]) for i in sample))

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        return 1 if self._score(sample) > 0 else 0

    def _learn(self, sample: tuple[int, ...], label: int) -> bool:
        if self._predict_one(sample) == label:
            return False
        step = self.learning_rate if label == 1 else -self.learning_rate
        low, high = signed_range(self._bits())
        for i in sample:
            if not low <= int(self.coef_[i]) + step <= high:
                raise InvalidSample(f"weight {i} would overflow {self._bits()} signed bits")
        for i in sample:
            self.coef_[i] += step
        return True

    def decision_function(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """The fixed-point score of each sample (as Python ints in an object array)."""
        self._check_fitted("coef_")
        return np.array([self._score(self.codec.check(x)) for x in X], dtype=object)
