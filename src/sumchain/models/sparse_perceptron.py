"""Fixed-point sparse perceptron, bit-exact with ``contracts/models/sparse_perceptron.vy``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

from sumchain.errors import InvalidSample
from sumchain.models.base import SCALE, ParamsMixin
from sumchain.models.packing import INT64_MAX, INT64_MIN

MAX_FEATURES = 2**24
MAX_SAMPLE = 512


def check_sample(sample: Iterable[int], n_features: int) -> list[int]:
    """Validate a sparse sample as the contract does and return it as a list.

    Raises
    ------
    InvalidSample
        When the indices are not sorted and unique, or out of range.

    Examples
    --------
    >>> check_sample([3, 1], 8)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: indices must be sorted and unique: 1 follows 3
    """
    indices = [int(i) for i in sample]
    if len(indices) > MAX_SAMPLE:
        raise InvalidSample(f"a sample has at most {MAX_SAMPLE} indices, got {len(indices)}")
    for previous, current in itertools.pairwise(indices):
        if current <= previous:
            raise InvalidSample(f"indices must be sorted and unique: {current} follows {previous}")
    if indices and (indices[0] < 0 or indices[-1] >= n_features):
        bad = indices[0] if indices[0] < 0 else indices[-1]
        raise InvalidSample(f"index {bad} is outside [0, {n_features})")
    return indices


def check_label(label: int) -> int:
    """Validate a binary label.

    >>> check_label(2)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: label must be 0 or 1, got 2
    """
    if label not in (0, 1):
        raise InvalidSample(f"label must be 0 or 1, got {label}")
    return int(label)


class SparsePerceptron(ParamsMixin):
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

    def __init__(
        self,
        *,
        n_features: int,
        learning_rate: int = SCALE // 2,
        intercept: int = 0,
        max_iter: int = 10,
    ) -> None:
        self.n_features = n_features
        self.learning_rate = learning_rate
        self.intercept = intercept
        self.max_iter = max_iter

    def _validate_params(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}], got {self.n_features}")
        if not 0 < self.learning_rate <= INT64_MAX:
            raise ValueError(f"learning_rate must be in [1, 2**63 - 1], got {self.learning_rate}")
        if not INT64_MIN <= self.intercept <= INT64_MAX:
            raise ValueError(f"intercept must fit in 64 signed bits, got {self.intercept}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be at least 1, got {self.max_iter}")

    def _init_state(self) -> None:
        self._validate_params()
        self.coef_ = np.zeros(self.n_features, dtype=np.int64)
        self.intercept_ = int(self.intercept)
        self.classes_ = np.array([0, 1])

    @classmethod
    def from_weights(
        cls, coef: Sequence[int], *, intercept: int = 0, learning_rate: int = SCALE // 2
    ) -> SparsePerceptron:
        """A fitted model with the given fixed-point weights.

        >>> SparsePerceptron.from_weights([2, -3], intercept=1).predict([[0], [1]]).tolist()
        [1, 0]
        """
        model = cls(n_features=len(coef), learning_rate=learning_rate, intercept=intercept)
        model._init_state()
        model.coef_ = np.array([int(c) for c in coef], dtype=np.int64)
        return model

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> SparsePerceptron:
        """Learn from scratch: ``max_iter`` passes of :meth:`partial_fit`."""
        self._init_state()
        samples = [check_sample(x, self.n_features) for x in X]
        labels = [check_label(int(label)) for label in y]
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
            self._learn(check_sample(x, self.n_features), check_label(int(label)))
        return self

    def _score(self, sample: list[int]) -> int:
        return self.intercept_ + int(sum(int(self.coef_[i]) for i in sample))

    def _learn(self, sample: list[int], label: int) -> bool:
        if (self._score(sample) > 0) == (label == 1):
            return False
        step = self.learning_rate if label == 1 else -self.learning_rate
        for i in sample:
            weight = int(self.coef_[i]) + step
            if not INT64_MIN <= weight <= INT64_MAX:
                raise InvalidSample(f"weight {i} would overflow 64 signed bits")
        for i in sample:
            self.coef_[i] += step
        return True

    def decision_function(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """The fixed-point score of each sample (as Python ints in an object array)."""
        self._check_fitted("coef_")
        return np.array([self._score(check_sample(x, self.n_features)) for x in X], dtype=object)

    def predict(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """Predicted class of each sample."""
        return np.array([1 if s > 0 else 0 for s in self.decision_function(X)], dtype=np.int64)

    def score(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> float:
        """Mean accuracy on the given samples."""
        labels = np.asarray(list(y))
        return float(np.mean(self.predict(X) == labels)) if len(labels) else 0.0
