"""What the dense and the sparse perceptron mirrors share.

Both are binary linear classifiers with a fixed intercept: they predict 1 when
their fixed-point score is above 0, else 0, and on a mistake move their
weights by a step towards the label: ``learning_rate``, or with a ``decay``
the shrinking step of :func:`scheduled_step`. Their weights are packed
``weight_bits`` wide on chain (``contracts/models/dense_perceptron.vy`` and
``contracts/models/sparse_perceptron.vy``), with the same parameters
``[n_features, intercept, learning_rate, weight_bits, decay]`` (``decay`` 0
for a constant step). This module also holds the automatic choice of that
width (:func:`auto_weight_bits`) and the conversion of a scikit-learn linear
classifier (:func:`linear_classifier_to_fixed`).
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias

import numpy as np

from sumchain.errors import ModelFileError, ModelOverflow, NotFittedError, SumchainError
from sumchain.models import reference_fields as fields
from sumchain.models.base import SCALE, OnChainModel
from sumchain.models.packing import pack, signed_range, unpack, words_for

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

WEIGHT_BITS = tuple(range(16, 65, 8))
"""Widths the automatic choice picks from (the contract accepts 8 to 64)."""
HEADROOM_STEPS = 1024
"""The automatic width leaves room for this many more steps of every weight."""
MAX_DECAY = 2**64 - 1
"""Largest ``decay`` the contracts accept."""
MAX_SEEN = 2**64 - 1
"""Largest count of samples seen that a model is deployed with (the contracts count on from it, by one per sample)."""
Sample: TypeAlias = tuple[int, ...] | np.ndarray
"""A checked sample as ``_score`` and ``_move`` take it: the codec's tuple, or what ``_prepared`` made of it."""
N_ITER_NO_CHANGE = 5
"""Passes in a row without the loss falling by ``tol`` after which ``fit`` stops (scikit-learn's default)."""


def scheduled_step(learning_rate: int, decay: int, seen: int) -> int:
    """The step after ``seen`` samples with a decay, as ``contracts/models/step_schedule.vy``
    computes it: ``learning_rate * decay // (decay + seen)``.

    It halves after ``decay`` samples and shrinks as ``1 / seen``: scikit-learn's
    ``SGDClassifier(learning_rate="optimal")`` schedule ``eta = 1 / (alpha * (t0 + t))``
    with ``decay = t0`` and ``learning_rate = 1 / (alpha * t0)``. It reaches 0, and the
    model stops moving, once ``seen`` passes ``learning_rate * decay``.

    >>> [scheduled_step(500, 1000, seen) for seen in (0, 1000, 3000, 10**9)]
    [500, 250, 125, 0]
    """
    return learning_rate * decay // (decay + seen)


def optimal_schedule(alpha: float) -> tuple[float, float]:
    """``(eta0, t0)`` of scikit-learn's ``learning_rate="optimal"`` for a classification loss:
    ``t0 = 1 / (alpha * typw)`` with ``typw = sqrt(1 / sqrt(alpha))`` (``sklearn``'s
    ``_sgd_fast``; ``dloss(-typw, 1)`` is negative for every classification loss, so the
    initial step is ``typw``), and ``eta0 = 1 / (alpha * t0)``, the step of the first sample.

    >>> eta0, t0 = optimal_schedule(1e-4)
    >>> round(eta0, 9), round(t0, 6)
    (10.0, 1000.0)
    """
    typw = float(np.sqrt(1.0 / np.sqrt(alpha)))
    t0 = 1.0 / (alpha * typw)
    return 1.0 / (alpha * t0), t0


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
    raise ModelOverflow(f"weights up to {largest} do not fit in 64 signed bits with learning headroom")


@dataclass(frozen=True)
class FixedLinear:
    """A binary linear classifier at the fixed-point scale (see :func:`linear_classifier_to_fixed`)."""

    coef: list[int]
    """``round(w * SCALE)`` for each weight."""
    intercept: int
    """``round(b * SCALE)``."""
    learning_rate: int | None
    """``round(eta0 * SCALE)`` for a ``Perceptron`` (its update on a mistake is the perceptrons'), the
    first step of the schedule for an ``SGDClassifier(loss="perceptron", learning_rate="optimal")``,
    else None."""
    decay: int | None = None
    """``round(t0)`` of that ``SGDClassifier`` (see :func:`optimal_schedule`)."""
    samples_seen: int = 0
    """The samples it has learned from (``t_ - 1``), with a decay."""


def linear_classifier_to_fixed(estimator: Any) -> FixedLinear:
    """Weights and intercept of a fitted binary scikit-learn ``Perceptron`` or
    ``SGDClassifier`` at the fixed-point scale (label 1 = ``classes_[1]``), with
    the step schedule of an ``SGDClassifier(loss="perceptron")`` whose ``learning_rate``
    is ``"optimal"`` (the default): the perceptrons' ``decay`` then continues it sample
    for sample.

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
    try:
        from sklearn.linear_model import Perceptron, SGDClassifier
    except ImportError:
        raise SumchainError("converting from scikit-learn needs it: pip install 'sumchain[sklearn]'") from None
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
    weights = [round(float(w) * SCALE) for w in coef[0]]
    bias = round(float(intercept[0]) * SCALE)
    if isinstance(estimator, Perceptron):
        if round(float(estimator.eta0) * SCALE) < 1:
            raise ValueError(f"eta0={estimator.eta0:g} is a step under the contracts' smallest, 1e-9")
        return FixedLinear(weights, bias, learning_rate=round(float(estimator.eta0) * SCALE))
    if estimator.loss == "perceptron" and estimator.learning_rate == "optimal":
        eta0, t0 = optimal_schedule(float(estimator.alpha))
        if round(t0) < 1:
            raise ValueError(
                f"alpha={estimator.alpha:g} gives the 'optimal' schedule a t0 of {t0:.3g} samples, under the "
                "contracts' smallest decay, 1: alpha must be at most about 2.5"
            )
        seen = int(estimator.t_) - 1
        return FixedLinear(weights, bias, round(eta0 * SCALE), decay=round(t0), samples_seen=seen)
    return FixedLinear(weights, bias, learning_rate=None)


class BinaryPerceptron(OnChainModel):
    """Base of the perceptron mirrors: parameters, state, contract mapping,
    reference files, scikit-learn conversion, ``fit`` and ``partial_fit``.

    A subclass sets its constructor (parameters and their defaults), its
    bounds (``max_features``, ``intercept_bits``, ``default_learning_rate``),
    its score (``_score``) and how a step moves its weights (``_move``), and
    reads its reference files (``from_reference_spec``).
    """

    max_features: ClassVar[int]
    """Largest ``n_features`` the contract accepts."""
    intercept_bits: ClassVar[int | None]
    """Width of the intercept and of the learning rate, or None when they share the weights' width
    (and the automatic width must then hold the intercept too)."""
    default_learning_rate: ClassVar[int]
    """Learning rate of ``from_weights`` and ``from_sklearn`` when none is given."""
    score_scale: ClassVar[int]
    """A score of 1.0 (the unit of ``tol``): ``SCALE``, or ``SCALE**2`` when the inputs are at scale too."""
    _fitted_attribute = "coef_"

    n_features: int
    learning_rate: int
    intercept: int
    max_iter: int
    tol: float | None
    shuffle: bool
    random_state: int | None
    weight_bits: int | None
    decay: int | None

    # -- state ------------------------------------------------------------------

    def _bits(self) -> int:
        return 64 if self.weight_bits is None else self.weight_bits

    def _validate_params(self) -> None:
        if not 0 < self.n_features <= self.max_features:
            raise ValueError(f"n_features must be in [1, {self.max_features}], got {self.n_features}")
        if self.weight_bits is not None and not 8 <= self.weight_bits <= 64:
            raise ValueError(f"weight_bits must be in [8, 64], got {self.weight_bits}")
        bits = self._bits() if self.intercept_bits is None else self.intercept_bits
        low, high = signed_range(bits)
        if not 0 < self.learning_rate <= high:
            raise ValueError(f"learning_rate must be in [1, {high}], got {self.learning_rate}")
        if not low <= self.intercept <= high:
            raise ValueError(f"intercept must fit in {bits} signed bits, got {self.intercept}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be at least 1, got {self.max_iter}")
        if self.tol is not None and not self.tol >= 0:
            raise ValueError(f"tol must be None or at least 0, got {self.tol}")
        if self.random_state is not None and not (
            hasattr(self.random_state, "__index__") and operator.index(self.random_state) >= 0
        ):
            raise ValueError(f"random_state must be None or an integer of at least 0, got {self.random_state!r}")
        if self.decay is not None and not 0 < self.decay <= MAX_DECAY:
            raise ValueError(f"decay must be None or in [1, {MAX_DECAY}], got {self.decay}")

    def _init_state(self) -> None:
        self._validate_params()
        self.coef_ = np.zeros(self.n_features, dtype=np.int64)
        self.intercept_ = int(self.intercept)
        self.classes_ = np.array([0, 1])
        self.samples_seen_ = 0

    @classmethod
    def from_weights(
        cls,
        coef: Sequence[int],
        *,
        intercept: int = 0,
        learning_rate: int | None = None,
        weight_bits: int | None = None,
        decay: int | None = None,
        samples_seen: int = 0,
        **params: Any,
    ) -> Self:
        """A fitted model with the given fixed-point weights.

        Parameters
        ----------
        coef : sequence of int
            The weights, at scale; their number is ``n_features``.
        intercept : int
            The intercept, at scale.
        learning_rate : int, optional
            At scale; by default the class's (0.5 for the sparse model, 1.0 for the dense one).
        weight_bits, decay : int, optional
            See the class parameters.
        samples_seen : int
            With a decay: the samples the model has learned from, which set its next step.
        **params
            The class's other constructor parameters (the dense model's ``feature_indices``).

        Raises
        ------
        OverflowError
            When a weight does not fit in ``weight_bits``.
        ValueError
            When ``samples_seen`` is negative, or not 0 without a decay.

        Examples
        --------
        >>> from sumchain.models import DensePerceptron, SparsePerceptron
        >>> SparsePerceptron.from_weights([2, -3], intercept=1).predict([[0], [1]]).tolist()
        [1, 0]
        >>> DensePerceptron.from_weights([2, -3], intercept=1).predict([[10**9, 0], [0, 10**9]]).tolist()
        [1, 0]
        """
        if learning_rate is None:
            learning_rate = cls.default_learning_rate
        shape = {
            "n_features": len(coef),
            "learning_rate": learning_rate,
            "intercept": intercept,
            "weight_bits": weight_bits,
            "decay": decay,
        }
        model = cls(**shape, **params)
        model._init_state()
        if not 0 <= samples_seen <= MAX_SEEN or (samples_seen and decay is None):
            raise ValueError(f"samples_seen must be 0, or up to 2**64 - 1 with a decay, got {samples_seen}")
        model.samples_seen_ = int(samples_seen)
        low, high = signed_range(model._bits())
        for i, c in enumerate(coef):
            if not low <= int(c) <= high:
                raise ModelOverflow(f"weight {c} of feature {i} does not fit in {model._bits()} signed bits")
        model.coef_ = np.array([int(c) for c in coef], dtype=np.int64)
        return model

    @classmethod
    def from_sklearn(
        cls,
        estimator: Any,
        *,
        learning_rate: int | None = None,
        weight_bits: int | None = None,
        **params: Any,
    ) -> Self:
        """Convert a fitted binary ``sklearn.linear_model.Perceptron`` or ``SGDClassifier``.

        Weights and intercept become ``round(x * SCALE)``, so the fixed-point
        score is the float score at scale, up to rounding (measure it with
        :func:`~sumchain.models.convert.conversion_report`). The dense model
        then takes ``round(x * SCALE)`` inputs
        (:func:`~sumchain.models.convert.dense_to_fixed`); the sparse one
        converts an estimator fitted on 0/1 columns (a bag of words) and takes
        the list of the columns that are 1
        (:func:`~sumchain.models.convert.binary_to_indices`). Label 1 is the
        estimator's ``classes_[1]``.

        Parameters
        ----------
        estimator : Perceptron or SGDClassifier
            Fitted on two classes.
        learning_rate : int, optional
            At scale; by default a ``Perceptron``'s ``eta0`` (its update on a
            mistake is exactly this model's, for the sparse model on 0/1
            columns), for an ``SGDClassifier(loss="perceptron")`` with
            ``learning_rate="optimal"`` (the default) its schedule, which sets ``decay`` and
            ``samples_seen`` too (see :func:`optimal_schedule`), else the
            class's default (0.5 sparse, 1.0 dense). A learning rate given here
            replaces the schedule by a constant step.
        weight_bits : int, optional
            See the class parameters.
        **params
            The class's other constructor parameters (the dense model's ``feature_indices``).

        Raises
        ------
        TypeError
            When the estimator is not one of these linear classifiers.
        ValueError
            When it is not fitted on exactly two classes.

        Examples
        --------
        >>> from sklearn.linear_model import Perceptron
        >>> from sumchain.models import DensePerceptron, SparsePerceptron
        >>> clf = Perceptron().fit([[1, 0, 1], [0, 1, 0]], [1, 0])
        >>> SparsePerceptron.from_sklearn(clf).predict([[0, 2], [1]]).tolist()
        [1, 0]
        >>> clf = Perceptron(random_state=0).fit([[1.0, 0.0], [0.0, 1.0]], [1, 0])
        >>> DensePerceptron.from_sklearn(clf).coef_.tolist()
        [1000000000, -1000000000]
        """
        fixed = linear_classifier_to_fixed(estimator)
        schedule: dict[str, Any] = {}
        if learning_rate is None:
            learning_rate = cls.default_learning_rate if fixed.learning_rate is None else fixed.learning_rate
            schedule = {"decay": fixed.decay, "samples_seen": fixed.samples_seen}
        return cls.from_weights(
            fixed.coef,
            intercept=fixed.intercept,
            learning_rate=learning_rate,
            weight_bits=weight_bits,
            **schedule,
            **params,
        )

    # -- contract mapping -------------------------------------------------------

    def deployed_weight_bits(self) -> int:
        """The width the contract gets: ``weight_bits``, or the automatic choice."""
        self._check_fitted("coef_")
        if self.weight_bits is not None:
            return self.weight_bits
        values = self.coef_.tolist()
        if self.intercept_bits is None:
            values.append(self.intercept_)
        return auto_weight_bits(values, self.learning_rate)

    def model_params(self) -> list[int]:
        """``[n_features, intercept, learning_rate, weight_bits, decay]`` (``decay`` 0 for a constant step)."""
        return [self.n_features, self.intercept_, self.learning_rate, self.deployed_weight_bits(), self.decay or 0]

    def to_words(self) -> list[int]:
        """The weights packed ``256 // weight_bits`` per word, then, with a decay, the samples seen."""
        words = pack(self.coef_.tolist(), self.deployed_weight_bits())
        return words if self.decay is None else [*words, self.samples_seen_]

    @classmethod
    def n_words(cls, params: Sequence[int]) -> int:
        """Words that hold the weights, ``ceil(n_features / (256 // weight_bits))``, and one
        more that counts the samples seen when there is a decay."""
        return words_for(int(params[0]), int(params[3])) + (int(params[4]) != 0)

    @classmethod
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> Self:
        """The mirror of a deployed model (parameters that live off chain, such as
        the dense model's ``feature_indices``, are not set)."""
        n_features, intercept, learning_rate, bits, decay_or_0 = (int(p) for p in params)
        decay = decay_or_0 or None
        model = cls.from_weights(
            unpack(words, n_features, bits),
            intercept=intercept,
            learning_rate=learning_rate,
            weight_bits=bits,
            decay=decay,
        )
        if decay is not None:  # the chain's count, past MAX_SEEN too
            model.samples_seen_ = int(words[words_for(n_features, bits)])
        return model

    def to_reference_spec(self, metadata: ModelMetadata | None = None) -> dict[str, Any]:
        """This model as a reference JSON object of its ``model_type`` (reals = integers / SCALE),
        its classes named by ``metadata`` (default ``"0"``, ``"1"``)."""
        self._check_fitted("coef_")
        return {
            "type": self.model_type,
            "classifications": self._file_class_names(metadata),
            "weights": [int(w) / SCALE for w in self.coef_.tolist()],
            "intercept": self.intercept_ / SCALE,
            "learningRate": self.learning_rate / SCALE,
            **self._schedule_spec(),
        }

    def _schedule_spec(self) -> dict[str, int]:
        """The model file's ``learningRateDecay`` and ``samplesSeen`` (sumchain's keys), with a decay."""
        return {} if self.decay is None else {"learningRateDecay": self.decay, "samplesSeen": self.samples_seen_}

    @staticmethod
    def schedule_from_spec(spec: dict[str, Any]) -> dict[str, Any]:
        """``decay`` and ``samples_seen`` from a model file's optional ``learningRateDecay``
        (samples after which the step halves) and ``samplesSeen`` (default 0)."""
        if "learningRateDecay" not in spec:
            if "samplesSeen" in spec:
                raise ModelFileError("samplesSeen needs learningRateDecay")
            return {}
        decay = fields.count(spec["learningRateDecay"], "learningRateDecay")
        if not 0 < decay <= MAX_DECAY:
            raise ModelFileError(f"learningRateDecay must be in [1, 2**64 - 1], got {decay}")
        seen = fields.count(spec.get("samplesSeen", 0), "samplesSeen")
        if seen > MAX_SEEN:
            raise ModelFileError(f"samplesSeen must be at most 2**64 - 1, got {seen}")
        return {"decay": decay, "samples_seen": seen}

    # -- learning and predicting ------------------------------------------------

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> Self:
        """Learn from scratch: up to ``max_iter`` passes of :meth:`partial_fit`'s step, as
        scikit-learn's ``SGDClassifier.fit``: each pass in a new order with ``shuffle``
        (``random.Random(random_state)``), and none after a pass without a mistake, or, with a
        ``tol``, after :data:`N_ITER_NO_CHANGE` passes in a row whose perceptron loss (the sum of
        ``max(0, -score)`` towards each label, scores in units of 1.0) did not fall below the
        lowest so far minus ``tol`` per sample."""
        self._init_state()
        samples = [self._prepared(self.codec.check(x)) for x in X]
        labels = [self.check_label(label) for label in y]
        if len(samples) != len(labels):
            raise ValueError(f"X has {len(samples)} samples but y has {len(labels)} labels")
        order = list(range(len(samples)))
        rng = random.Random(None if self.random_state is None else operator.index(self.random_state))
        lowest, stale = math.inf, 0
        for _ in range(self.max_iter):
            if self.shuffle:
                rng.shuffle(order)
            losses = [loss for i in order if (loss := self._learn(samples[i], labels[i])) is not None]
            if not losses:
                break
            if self.tol is not None:
                total = sum(losses) / self.score_scale
                stale = stale + 1 if total > lowest - self.tol * len(samples) else 0
                lowest = min(lowest, total)
                if stale >= N_ITER_NO_CHANGE:
                    break
        return self

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> Self:
        """Learn from each sample once, in order, exactly as ``add_data`` does."""
        if not hasattr(self, "coef_"):
            self._init_state()
        for x, label in zip(X, y, strict=True):
            self._learn(self._prepared(self.codec.check(x)), self.check_label(label))
        return self

    def _prepared(self, sample: tuple[int, ...]) -> Sample:
        """A checked sample in the form ``_score`` and ``_move`` read fastest (``fit`` reads each many times)."""
        return sample

    def _score(self, sample: Sample) -> int:
        """The fixed-point score of a checked sample."""
        raise NotImplementedError

    def _next_step(self) -> int:
        """The step for the sample being learned (counted when there is a decay)."""
        if self.decay is None:
            return self.learning_rate
        self.samples_seen_ += 1
        return scheduled_step(self.learning_rate, self.decay, self.samples_seen_ - 1)

    def _learn(self, sample: Sample, label: int) -> int | None:
        """Learn from a checked sample, as the contract does; on a mistake (an update) its loss
        ``|score|``, else None."""
        step = self._next_step()
        score = self._score(sample)
        if self._class_of(score) == label:
            return None
        self._move(sample, step if label == 1 else -step)
        return abs(score)

    def _move(self, sample: Sample, step: int) -> None:
        """Move the weights of a checked sample by ``step`` (signed), saturating, as the contract does."""
        raise NotImplementedError

    @staticmethod
    def _class_of(score: int) -> int:
        """The class of a fixed-point score: 1 above 0, else 0."""
        return 1 if score > 0 else 0

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        return self._class_of(self._score(sample))

    def decision_function(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """The fixed-point score of each sample (as Python ints in an object array)."""
        self._check_fitted("coef_")
        return np.array([self._score(self.codec.check(x)) for x in X], dtype=object)
