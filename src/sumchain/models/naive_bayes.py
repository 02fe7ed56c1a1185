"""Fixed-point multinomial naive Bayes, bit-exact with ``contracts/models/naive_bayes.vy``.

The score of class ``c`` for a sample (a set of feature indices) is the
smoothed probability

    P(c) * prod_f (count[c][f] + alpha) / (total[c] + alpha * n_features)

over the present features ``f``, with ``P(c)`` proportional to the number of
samples of ``c``. The contract computes it in exact integer arithmetic (a
mantissa and a binary exponent per class, see :func:`class_scores`); this
module repeats every step, so both pick the same class, to the bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sumchain.errors import InvalidSample, ModelFileError, ModelOverflow
from sumchain.models import reference_fields as fields
from sumchain.models.base import SCALE, OnChainModel
from sumchain.models.packing import pack, unpack, words_for
from sumchain.models.samples import CheckedSparse, check_prediction_size, sparse_batch

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

MAX_FEATURES = 2**32
MAX_CLASSES = 64
"""The contract's bound (its prediction keeps per-class products in memory arrays of this size)."""
MAX_SMOOTHING = 2**64 - 1
HEADER_BITS = 64
"""Width of the per-class sample count and total on chain."""
HEADER_MAX = 2**HEADER_BITS - 1
COUNT_BITS = tuple(range(8, 65, 8))
"""Widths the automatic choice picks from (the contract accepts 8 to 64)."""
HEADROOM_ADDS = 1024
"""The automatic width leaves room for every count to double, and for at least this many more adds."""

MANTISSA_BITS = 159
SHIFT_BITS = 97
NORMAL_BITS = 127
POWER_BITS = 10
FLOAT_MARGIN = 1e-6
"""Least lead, in natural log, of the best class over the next for the batch ``predict`` to trust
its floating-point scores (they are within about ``1e-11`` of the exact ones' logarithms)."""


def auto_count_bits(counts: Iterable[int]) -> int:
    """Narrowest width of :data:`COUNT_BITS` that holds twice the largest count,
    and at least :data:`HEADROOM_ADDS` more.

    >>> auto_count_bits([0, 3, 200])
    16
    >>> auto_count_bits([40_000])
    24
    """
    largest = max((int(c) for c in counts), default=0)
    needed = max(2 * largest, largest + HEADROOM_ADDS)
    for bits in COUNT_BITS:
        if needed < 1 << bits:
            return bits
    raise ModelOverflow(f"counts up to {largest} do not fit in 64 unsigned bits with headroom")


def _normalize(x: int) -> tuple[int, int]:
    """``x > 0`` as a mantissa in ``[2**127, 2**128)`` and a binary exponent (truncating)."""
    msb = x.bit_length() - 1
    if msb >= NORMAL_BITS:
        return x >> (msb - NORMAL_BITS), msb - NORMAL_BITS
    return x << (NORMAL_BITS - msb), msb - NORMAL_BITS


def _renormalize(product: int) -> tuple[int, int]:
    """A product of two normalized mantissas, normalized again (truncating)."""
    if product >> 255:
        return product >> (NORMAL_BITS + 1), NORMAL_BITS + 1
    return product >> NORMAL_BITS, NORMAL_BITS


def _power(base: int, exponent: int) -> tuple[int, int]:
    """``base ** exponent`` by square and multiply on normalized mantissas."""
    base_mantissa, base_exponent = _normalize(base)
    mantissa, power_exponent = 1 << NORMAL_BITS, -NORMAL_BITS
    for k in range(POWER_BITS):
        high = exponent >> (POWER_BITS - 1 - k)
        if high == 0:
            continue
        mantissa, shifted = _renormalize(mantissa * mantissa)
        power_exponent = 2 * power_exponent + shifted
        if high & 1:
            mantissa, shifted = _renormalize(mantissa * base_mantissa)
            power_exponent += base_exponent + shifted
    return mantissa, power_exponent


def class_scores(
    class_count: Sequence[int],
    total_count: Sequence[int],
    counts: Sequence[Sequence[int]],
    smoothing: int,
    n_features: int,
) -> list[tuple[int, int] | None]:
    """Each class's smoothed probability as the contract computes it.

    Parameters
    ----------
    class_count, total_count : sequence of int
        Samples and feature occurrences per class.
    counts : sequence of sequences of int
        ``counts[i][c]``: count of the sample's ``i``-th feature in class ``c``.
    smoothing : int
        Alpha at scale.
    n_features : int
        Size of the feature space.

    Returns
    -------
    list of (exponent, mantissa) or None
        Per class, the score as ``mantissa * 2**exponent`` with ``mantissa``
        in ``[2**127, 2**128)`` (so scores compare as tuples), or ``None``
        for a class without samples. Each is the exact probability (up to a
        factor common to all classes) within a relative ``2**-52``.
    """
    products = [int(c) for c in class_count]
    shifts = [0] * len(products)
    for row in counts:
        for c, count in enumerate(row):
            product = products[c] * (int(count) * SCALE + smoothing)
            if product >> MANTISSA_BITS:
                product >>= SHIFT_BITS
                shifts[c] += 1
            products[c] = product
    scores: list[tuple[int, int] | None] = []
    for c, product in enumerate(products):
        if product == 0:
            scores.append(None)
            continue
        denominator, exponent = _power(int(total_count[c]) * SCALE + smoothing * n_features, len(counts))
        numerator, numerator_exponent = _normalize(product)
        exponent = numerator_exponent + shifts[c] * SHIFT_BITS - exponent
        quotient = (numerator << (NORMAL_BITS + 1)) // denominator
        if quotient >> (NORMAL_BITS + 1):
            quotient >>= 1
            exponent += 1
        scores.append((exponent, quotient))
    return scores


class NaiveBayes(OnChainModel):
    """Fixed-point multinomial naive Bayes, bit-exact with the on-chain model.

    A sample is a sorted list of unique feature indices; each present feature
    counts once. Learning only counts: one more sample of the class, and one
    more occurrence of each present feature in it (so ``fit`` is
    :meth:`partial_fit` from zero, and every ``add_data`` learns). The model
    predicts the class with the highest smoothed probability
    ``P(c) * prod_f (count[c][f] + alpha) / (total[c] + alpha * n_features)``,
    computed in exact integer arithmetic (see :func:`class_scores`): a class
    without samples is never predicted (unless no class has any: then 0) and
    ties go to the lowest class.

    Parameters
    ----------
    n_features : int
        Size of the feature space; indices lie in ``[0, n_features)``.
    n_classes : int
        Number of classes, 2 to 64 (and ``n_classes * min(n_features, 512)``
        at most 16,384, see :func:`~sumchain.models.samples.check_prediction_size`);
        labels are ``0 .. n_classes - 1``.
    smoothing : int
        Additive (Lidstone) smoothing alpha at scale: ``SCALE`` (1.0, the
        default) is Laplace smoothing; 1 to ``2**64 - 1``.
    count_bits : int or None
        Width of one feature count on chain (8 to 64 bits; ``256 //
        count_bits`` counts share a storage word). A count at the width's
        largest value stays there (it saturates), on chain and here, while
        the class's sample count and total still grow. ``None`` (default)
        counts in 64 bits off chain and picks, when deployed, the narrowest
        width that holds twice every count and at least 1024 more
        (:func:`auto_count_bits`); a model read from chain has it set. The
        per-class sample counts and totals always have 64 bits, which no
        flood of contributions fills; an add that would pass them is refused.

    Attributes
    ----------
    class_count_ : ndarray of uint64, shape (n_classes,)
        Samples seen per class.
    feature_count_ : ndarray of uint64, shape (n_classes, n_features)
        Occurrences of each feature per class.
    total_count_ : ndarray of uint64, shape (n_classes,)
        Feature occurrences per class (the row sums of ``feature_count_``
        for a model that only learned here).
    classes_ : ndarray
        ``0 .. n_classes - 1``.
    class_names_ : list of str
        The classes' names, for reference-format files.

    Examples
    --------
    >>> clf = NaiveBayes(n_features=4, n_classes=3).fit([[0, 1], [1, 2], [3]], [0, 1, 2])
    >>> clf.feature_count_.tolist()
    [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    >>> clf.predict([[0], [2], [3], [1]]).tolist()
    [0, 1, 2, 0]
    """

    contract_model = "naive_bayes"
    model_type = "naive bayes"
    reference_types = ("naive bayes",)
    sparse = True
    _fitted_attribute = "feature_count_"

    def __init__(
        self,
        *,
        n_features: int,
        n_classes: int = 2,
        smoothing: int = SCALE,
        count_bits: int | None = None,
    ) -> None:
        self.n_features = n_features
        self.n_classes = n_classes
        self.smoothing = smoothing
        self.count_bits = count_bits

    @property
    def n_classes(self) -> int:
        """Number of classes (labels are 0 .. n_classes - 1): a constructor parameter here."""
        return int(self._n_classes)

    @n_classes.setter
    def n_classes(self, value: int) -> None:
        self._n_classes = value

    def _bits(self) -> int:
        return 64 if self.count_bits is None else self.count_bits

    def _validate_params(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}], got {self.n_features}")
        if not 2 <= self.n_classes <= MAX_CLASSES:
            raise ValueError(f"n_classes must be in [2, {MAX_CLASSES}], got {self.n_classes}")
        if not 0 < self.smoothing <= MAX_SMOOTHING:
            raise ValueError(f"smoothing must be in [1, {MAX_SMOOTHING}], got {self.smoothing}")
        if self.count_bits is not None and not 8 <= self.count_bits <= 64:
            raise ValueError(f"count_bits must be in [8, 64], got {self.count_bits}")
        check_prediction_size(self.n_features, self.n_classes)

    def _init_state(self) -> None:
        self._validate_params()
        self.class_count_ = np.zeros(self.n_classes, dtype=np.uint64)
        self.total_count_ = np.zeros(self.n_classes, dtype=np.uint64)
        self.feature_count_ = np.zeros((self.n_classes, self.n_features), dtype=np.uint64)
        self.classes_ = np.arange(self.n_classes)
        self.class_names_ = [str(c) for c in range(self.n_classes)]

    @classmethod
    def from_counts(
        cls,
        class_count: Sequence[int],
        feature_count: Sequence[Sequence[int]],
        *,
        total_count: Sequence[int] | None = None,
        smoothing: int = SCALE,
        count_bits: int | None = None,
        class_names: Sequence[str] | None = None,
    ) -> NaiveBayes:
        """A fitted model with the given counts.

        ``total_count`` defaults to the row sums of ``feature_count``.

        >>> clf = NaiveBayes.from_counts([1, 1], [[2, 0, 1], [0, 1, 1]])
        >>> clf.total_count_.tolist(), clf.predict([[0], [1]]).tolist()
        ([3, 2], [0, 1])
        """
        rows = [[int(v) for v in row] for row in feature_count]
        if len(rows) != len(class_count) or not rows or any(len(row) != len(rows[0]) for row in rows):
            raise ValueError("feature_count needs one row per class, all of the same length")
        totals = [sum(row) for row in rows] if total_count is None else [int(t) for t in total_count]
        model = cls(n_features=len(rows[0]), n_classes=len(rows), smoothing=smoothing, count_bits=count_bits)
        model._init_state()
        limit = (1 << model._bits()) - 1
        for c, row in enumerate(rows):
            for f, count in enumerate(row):
                if not 0 <= count <= limit:
                    raise ModelOverflow(f"count {count} (class {c}, feature {f}) does not fit in {model._bits()} bits")
        for name, values in (("class count", class_count), ("total count", totals)):
            if len(values) != len(rows) or not all(0 <= int(v) <= HEADER_MAX for v in values):
                raise ModelOverflow(f"every {name} must be in [0, 2**64), one per class, got {list(values)}")
        model.class_count_ = np.array([int(v) for v in class_count], dtype=np.uint64)
        model.total_count_ = np.array(totals, dtype=np.uint64)
        model.feature_count_ = np.array(rows, dtype=np.uint64)
        if class_names is not None:
            if len(class_names) != len(rows):
                raise ValueError(f"expected {len(rows)} class names, got {len(class_names)}")
            model.class_names_ = [str(name) for name in class_names]
        return model

    # -- contract mapping -------------------------------------------------------

    def deployed_count_bits(self) -> int:
        """The width the contract gets: ``count_bits``, or the automatic choice."""
        self._check_fitted("feature_count_")
        if self.count_bits is not None:
            return self.count_bits
        return auto_count_bits([int(self.feature_count_.max(initial=0))])

    def model_params(self) -> list[int]:
        """``[n_features, n_classes, smoothing, count_bits]``."""
        return [self.n_features, self.n_classes, self.smoothing, self.deployed_count_bits()]

    def to_words(self) -> list[int]:
        """The header (sample count and total per class, 64 bits each), then the
        counts feature-major (``count[c][f]`` is field ``f * n_classes + c``)."""
        self._check_fitted("feature_count_")
        header = [int(v) for pair in zip(self.class_count_, self.total_count_, strict=True) for v in pair]
        counts = self.feature_count_.T.reshape(-1).tolist()
        return pack(header, HEADER_BITS, signed=False) + pack(counts, self.deployed_count_bits(), signed=False)

    @classmethod
    def n_words(cls, params: Sequence[int]) -> int:
        """Header words ``ceil(n_classes / 2)`` plus the count words."""
        n_features, n_classes, _, bits = (int(p) for p in params)
        return words_for(2 * n_classes, HEADER_BITS) + words_for(n_features * n_classes, bits)

    @classmethod
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> NaiveBayes:
        """The mirror of a deployed model."""
        n_features, n_classes, smoothing, bits = (int(p) for p in params)
        split = words_for(2 * n_classes, HEADER_BITS)
        header = unpack(words[:split], 2 * n_classes, HEADER_BITS, signed=False)
        counts = np.array(unpack(words[split:], n_features * n_classes, bits, signed=False), dtype=np.uint64)
        return cls.from_counts(
            header[0::2],
            counts.reshape(n_features, n_classes).T.tolist(),
            total_count=header[1::2],
            smoothing=smoothing,
            count_bits=bits,
        )

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> NaiveBayes:
        """Read a reference ``"naive bayes"`` model: ``classCounts``, ``featureCounts``
        (per class, distinct ``[featureIndex, count]`` pairs), ``totalNumFeatures``, optional
        ``smoothingFactor`` (default 1, becomes ``round(alpha * SCALE)``) and
        ``classifications`` (the class names). Each class's total is the sum of its counts."""
        class_counts = [
            fields.count(c, f"classCounts[{k}]")
            for k, c in enumerate(fields.list_of(fields.field(spec, "classCounts"), "classCounts"))
        ]
        feature_counts = fields.list_of(fields.field(spec, "featureCounts"), "featureCounts")
        n_features = fields.count(fields.field(spec, "totalNumFeatures"), "totalNumFeatures")
        class_names = cls.reference_class_names(spec)
        if len(feature_counts) != len(class_counts):
            raise ModelFileError(f"featureCounts has {len(feature_counts)} classes, classCounts {len(class_counts)}")
        fields.check_names(class_names, len(class_counts))
        smoothing = fields.fixed_in(spec.get("smoothingFactor", 1), "smoothingFactor", 1, MAX_SMOOTHING)
        cls(n_features=n_features, n_classes=len(class_counts), smoothing=smoothing)._validate_params()
        fields.check_size(n_features, len(class_counts), "totalNumFeatures")
        rows = []
        for c, pairs in enumerate(feature_counts):
            row = [0] * n_features
            for feature, count in fields.count_pairs(pairs, f"featureCounts[{c}]", n_features).items():
                row[feature] = count
            rows.append(row)
        return cls.from_counts(
            class_counts,
            rows,
            smoothing=smoothing,
            class_names=class_names or None,
        )

    def to_reference_spec(self, metadata: ModelMetadata | None = None) -> dict[str, Any]:
        """This model as a reference ``"naive bayes"`` JSON object (pairs only for non-zero counts),
        its classes named by ``metadata`` (default ``class_names_``).

        The format has no per-class totals: a reader takes the sums of the counts, which are
        the totals of any model that only learned by counting and whose counts never
        saturated."""
        self._check_fitted("feature_count_")
        return {
            "type": self.model_type,
            "classifications": self._file_class_names(metadata),
            "classCounts": [int(c) for c in self.class_count_],
            "featureCounts": [
                [[int(f), int(row[f])] for f in np.flatnonzero(row).tolist()] for row in self.feature_count_
            ],
            "totalNumFeatures": self.n_features,
            "smoothingFactor": self.smoothing / SCALE,
        }

    def _default_class_names(self) -> list[str]:
        return list(self.class_names_)

    @classmethod
    def from_sklearn(cls, estimator: Any, *, count_bits: int | None = None) -> NaiveBayes:
        """Convert a fitted scikit-learn ``MultinomialNB`` or ``BernoulliNB``.

        The counts are ``class_count_`` and ``feature_count_`` rounded to
        integers, the smoothing is ``round(alpha * SCALE)`` (at least 1) and
        the totals are the sums of the rounded counts. The prior is always the
        class frequencies (``fit_prior=False`` and ``class_prior`` are not
        modelled), and samples become the indices of their non-zero features
        (:func:`sumchain.models.convert.binary_to_indices`): a feature counts
        once, whatever its value. For ``BernoulliNB`` the factors of absent
        features, ``1 - P(f | c)``, are not modelled either, so predictions
        may differ more; :func:`sumchain.models.convert.conversion_report`
        tells how much.

        >>> from sklearn.naive_bayes import MultinomialNB
        >>> float_model = MultinomialNB().fit([[1, 0, 1], [0, 1, 0], [1, 0, 0]], [0, 1, 0])
        >>> NaiveBayes.from_sklearn(float_model).feature_count_.tolist()
        [[2, 0, 1], [0, 1, 0]]
        """
        if not hasattr(estimator, "feature_count_"):
            raise ValueError(f"expected a fitted MultinomialNB or BernoulliNB, got {type(estimator).__name__}")
        alpha = np.unique(np.asarray(estimator.alpha, dtype=float))
        if alpha.size != 1:
            raise ValueError("a per-feature alpha cannot be converted: the on-chain model has one smoothing")
        return cls.from_counts(
            np.rint(estimator.class_count_).astype(np.int64).tolist(),
            np.rint(estimator.feature_count_).astype(np.int64).tolist(),
            smoothing=max(1, round(float(alpha[0]) * SCALE)),
            count_bits=count_bits,
            class_names=[str(c) for c in estimator.classes_],
        )

    # -- learning and predicting ------------------------------------------------

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> NaiveBayes:
        """Count from scratch: :meth:`partial_fit` on a fresh model."""
        self._init_state()
        return self.partial_fit(X, y)

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> NaiveBayes:
        """Count each sample once, in order, exactly as ``add_data`` does."""
        if not hasattr(self, "feature_count_"):
            self._init_state()
        for x, label in zip(X, y, strict=True):
            self._learn(self.codec.check(x), self.check_label(label))
        return self

    def _learn(self, sample: tuple[int, ...], label: int) -> None:
        if int(self.class_count_[label]) + 1 > HEADER_MAX:
            raise InvalidSample(f"the sample count of class {label} would overflow 64 bits")
        if int(self.total_count_[label]) + len(sample) > HEADER_MAX:
            raise InvalidSample(f"the total count of class {label} would overflow 64 bits")
        indices = np.array(sample, dtype=np.int64)
        counting = indices[self.feature_count_[label, indices] < (1 << self._bits()) - 1]
        self.class_count_[label] += np.uint64(1)
        self.total_count_[label] += np.uint64(len(sample))
        self.feature_count_[label, counting] += np.uint64(1)

    def predict(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """Predicted class of each sample, exactly as the contract computes it, all at once.

        Each class's log-probability is summed in floating point for every sample
        together; a sample whose best class leads the next by less than
        :data:`FLOAT_MARGIN` (a near tie, or no class with samples) is decided by the
        contract's exact integer algorithm instead. The exact score is within a
        relative ``2**-52`` of the true probability and the float sum within about
        ``1e-11`` of its logarithm, so a larger lead picks the same class as the
        contract. Fewer than :data:`~sumchain.models.samples.SMALL_BATCH` samples are
        scored one by one; a :class:`~sumchain.models.samples.CheckedSparse` of this
        feature space is not checked again.
        """
        self._check_fitted("feature_count_")
        batch = sparse_batch(X, self.n_features)
        if not isinstance(batch, CheckedSparse):
            return super().predict(batch)
        with np.errstate(divide="ignore"):  # a class without samples scores -inf
            prior = np.log(self.class_count_.astype(np.float64))
            features = np.log(self.feature_count_.astype(np.float64) * SCALE + self.smoothing)
        totals = np.log(self.total_count_.astype(np.float64) * SCALE + float(self.smoothing) * self.n_features)
        lengths = np.diff(np.append(batch.starts, len(batch.flat)))
        scores = prior[:, None] + np.add.reduceat(features[:, batch.flat], batch.starts, axis=1)
        scores -= lengths[None, :] * totals[:, None]
        best = scores.argmax(axis=0)
        if self.n_classes > 1:
            top = np.sort(scores, axis=0)[-2:]
            with np.errstate(invalid="ignore"):  # -inf - -inf
                close = ~(top[1] - top[0] >= FLOAT_MARGIN)
            samples = list(batch) if close.any() else []
            for i in np.flatnonzero(close):
                best[i] = self._predict_one(samples[i])
        return best.astype(np.int64)

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        scores = class_scores(
            self.class_count_.tolist(),
            self.total_count_.tolist(),
            self.feature_count_[:, list(sample)].T.tolist(),
            self.smoothing,
            self.n_features,
        )
        best, best_score = 0, scores[0]
        for c, score in enumerate(scores):
            if score is not None and (best_score is None or score > best_score):
                best, best_score = c, score
        return best
