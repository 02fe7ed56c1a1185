"""Fixed-point nearest centroid classifiers, dense and sparse, bit-exact with
``contracts/models/nearest_centroid.vy`` and ``contracts/models/sparse_nearest_centroid.vy``.

Both keep, per class, a centroid of signed fixed-point values (packed
``value_bits`` wide on chain) and a data count, and predict the class of the
nearest centroid in squared Euclidean distance (exact integers; the lowest
class on a tie). Both learn on every contribution with the same running-mean
step, :func:`running_mean`. Both take 2 to 64 classes, with ``n_classes *
min(n_features, 512)`` at most 16,384 (:func:`~sumchain.models.samples.check_prediction_size`).
Their storage layouts are documented in the contracts (``centroids.vy`` for
what they share).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from sumchain.errors import InvalidSample, ModelFileError, ModelOverflow
from sumchain.models import reference_fields as fields
from sumchain.models.base import SCALE, OnChainModel, truncated_div
from sumchain.models.packing import pack, signed_range, unpack, words_for
from sumchain.models.samples import MAX_SAMPLE, SampleCodec, check_prediction_size, class_number

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

MAX_CLASSES = 64
"""Largest number of classes (labels are 0 .. n_classes - 1)."""
COUNT_BITS = 64
COUNT_MAX = 2**COUNT_BITS - 1
"""Largest data count of a class."""
NORM_BITS = 256 - COUNT_BITS
"""Width of the sparse model's squared norm, above the count in a class header."""
MAX_SPARSE_FEATURES = 2**32


def running_mean(c: int, n: int, x: int) -> int:
    """One step of the running mean, as the contracts compute it: ``(c * n + x) // (n + 1)``,
    the division truncating towards zero.

    >>> running_mean(0, 1, -7), running_mean(-5, 3, 0)
    (-3, -3)
    """
    return truncated_div(c * n + x, n + 1)


def _round_mean(total: int, n: int) -> int:
    """``total / n`` rounded to the nearest integer (halves up)."""
    return (2 * total + n) // (2 * n)


class _CentroidClassifier(OnChainModel):
    """What the dense and the sparse nearest centroid mirrors share: state,
    parameters, layout of the packed words, reference files, scikit-learn.

    A subclass sets how a class header is packed (``header_bits``), its value
    widths and bounds, and how a sample is compared and learned.
    """

    header_bits: ClassVar[int]
    """Width of a class header on chain (its data count, and what the model adds above it)."""
    min_value_bits: ClassVar[int]
    """Narrowest ``value_bits`` the contract accepts."""
    max_features: ClassVar[int]
    """Largest ``n_features`` the contract accepts."""
    value_headroom: ClassVar[int]
    """The automatic width holds this many times the largest centroid value (or 1.0)."""
    _fitted_attribute = "centroids_"
    centroids_: np.ndarray
    """Each class's centroid at scale 1e9, one row per class (set by fitting)."""

    def __init__(self, *, n_features: int, value_bits: int | None = None) -> None:
        self.n_features = n_features
        self.value_bits = value_bits

    # -- state ------------------------------------------------------------------

    def _bits(self) -> int:
        """The width in force: ``value_bits``, or the automatic ``value_bits_``."""
        if self.value_bits is not None:
            return self.value_bits
        return getattr(self, "value_bits_", 64)

    def _fix_auto_bits(self) -> None:
        """Fix the automatic width from the current centroids: the narrowest of 16, 24, ..., 64
        (at least ``min_value_bits``) that holds ``value_headroom`` times the largest centroid
        magnitude or 1.0, whichever is larger."""
        largest = self.value_headroom * max(int(np.abs(self.centroids_).max(initial=0)), SCALE)
        self.value_bits_ = next(
            (b for b in range(16, 65, 8) if b >= self.min_value_bits and largest <= signed_range(b)[1]), 64
        )

    def _init_state(self, n_classes: int) -> None:
        if not 0 < self.n_features <= self.max_features:
            raise ValueError(f"n_features must be in [1, {self.max_features}], got {self.n_features}")
        if self.value_bits is not None and not self.min_value_bits <= self.value_bits <= 64:
            raise ValueError(f"value_bits must be in [{self.min_value_bits}, 64], got {self.value_bits}")
        if not 2 <= n_classes <= MAX_CLASSES:
            raise ValueError(f"the number of classes must be in [2, {MAX_CLASSES}], got {n_classes}")
        check_prediction_size(self.n_features, n_classes)
        self.value_bits_ = 64  # until the state is complete (see _fix_auto_bits)
        self.classes_ = np.arange(n_classes)
        self.class_names_ = [str(k) for k in range(n_classes)]
        self.centroids_ = np.zeros((n_classes, self.n_features), dtype=np.int64)
        self.counts_ = np.zeros(n_classes, dtype=object)

    def _aggregate(self, k: int) -> int:
        """What the class header holds above the data count (nothing here)."""
        return 0

    def _set_aggregate(self, k: int, value: int) -> None:
        """Restore what the class header holds above the data count (nothing here)."""

    @classmethod
    def from_centroids(
        cls,
        centroids: Sequence[Sequence[int]],
        counts: Sequence[int] | None = None,
        *,
        value_bits: int | None = None,
        class_names: Sequence[str] | None = None,
    ) -> Self:
        """A fitted model with the given fixed-point centroids (one row per class).

        Parameters
        ----------
        centroids : sequence of sequences of int
            Centroid of class k at row k, all rows of length ``n_features``.
        counts : sequence of int, optional
            Data count of each class (default 1 each).
        value_bits : int, optional
            See the class parameters.
        class_names : sequence of str, optional
            Label names, for :meth:`to_reference_spec` (default ``"0"``, ``"1"``, ...).

        Raises
        ------
        ValueError
            When the shape, a count or a name list is wrong.
        OverflowError
            When a value does not fit in ``value_bits`` signed bits.
        """
        rows = [[int(v) for v in row] for row in centroids]
        if not rows or any(len(row) != len(rows[0]) for row in rows):
            raise ValueError("centroids must be a non-empty list of rows of one length")
        model = cls(n_features=len(rows[0]), value_bits=value_bits)
        model._init_state(len(rows))
        low, high = signed_range(model._bits())
        for k, row in enumerate(rows):
            for i, v in enumerate(row):
                if not low <= v <= high:
                    raise ModelOverflow(f"value {v} of class {k} at {i} does not fit in {model._bits()} signed bits")
        model.centroids_ = np.array(rows, dtype=np.int64)
        counts = [1] * len(rows) if counts is None else [int(n) for n in counts]
        if len(counts) != len(rows) or not all(0 <= n <= COUNT_MAX for n in counts):
            raise ValueError(f"counts must be {len(rows)} integers in [0, {COUNT_MAX}], got {counts}")
        model.counts_ = np.array(counts, dtype=object)
        if class_names is not None:
            if len(class_names) != len(rows):
                raise ValueError(f"expected {len(rows)} class names, got {len(class_names)}")
            model.class_names_ = [str(name) for name in class_names]
        for k in range(len(rows)):
            model._set_aggregate(k, model._exact_aggregate(k))
        model._fix_auto_bits()
        return model

    def _exact_aggregate(self, k: int) -> int:
        """The header's aggregate of class k computed from its centroid (nothing here)."""
        return 0

    # -- contract mapping -------------------------------------------------------

    def deployed_value_bits(self) -> int:
        """The width the contract gets: ``value_bits``, or the automatic ``value_bits_``."""
        self._check_fitted("centroids_")
        return self._bits()

    def model_params(self) -> list[int]:
        """``[n_features, n_classes, value_bits]``."""
        return [self.n_features, self.n_classes, self.deployed_value_bits()]

    def to_words(self) -> list[int]:
        """Class headers (data count, plus the model's aggregate above it), then the
        centroid values packed ``256 // value_bits`` per word, in the model's order."""
        self._check_fitted("centroids_")
        headers = [int(n) | self._aggregate(k) << COUNT_BITS for k, n in enumerate(self.counts_)]
        return pack(headers, self.header_bits, signed=False) + self._pack_centroids(self.deployed_value_bits())

    def _pack_centroids(self, bits: int) -> list[int]:
        raise NotImplementedError

    @classmethod
    def _centroid_words(cls, n_features: int, n_classes: int, bits: int) -> int:
        raise NotImplementedError

    @classmethod
    def _unpack_centroids(cls, words: Sequence[int], n_features: int, n_classes: int, bits: int) -> list[list[int]]:
        raise NotImplementedError

    @classmethod
    def n_words(cls, params: Sequence[int]) -> int:
        """Header words, then centroid words."""
        n_features, n_classes, bits = (int(p) for p in params)
        return words_for(n_classes, cls.header_bits) + cls._centroid_words(n_features, n_classes, bits)

    @classmethod
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> Self:
        """The mirror of a deployed model (aggregates as stored, even if they disagree with the centroids)."""
        n_features, n_classes, bits = (int(p) for p in params)
        start = words_for(n_classes, cls.header_bits)
        headers = unpack(words[:start], n_classes, cls.header_bits, signed=False)
        rows = cls._unpack_centroids(words[start:], n_features, n_classes, bits)
        model = cls.from_centroids(rows, [h & COUNT_MAX for h in headers], value_bits=bits)
        for k, header in enumerate(headers):
            model._set_aggregate(k, header >> COUNT_BITS)
        return model

    # -- reference files and scikit-learn -------------------------------------

    @classmethod
    def _centroid_from_spec(cls, centroid: Any, where: str) -> dict[int, int]:
        """A reference centroid (a list; for the sparse model also ``{"index": value}``)
        as ``{feature: fixed-point value}``."""
        if isinstance(centroid, dict) and cls.sparse:
            return fields.fixed_by_index(centroid, where)
        if not isinstance(centroid, list):
            kinds = "a list or an object" if cls.sparse else "a list"
            raise ModelFileError(f"{where} must be {kinds}, got {fields.shown(centroid)}")
        return dict(enumerate(fields.fixed_list(centroid, where)))

    def _centroid_to_spec(self, k: int) -> Any:
        raise NotImplementedError

    @classmethod
    def _spec_n_features(cls, entries: list[dict[int, int]]) -> int:
        raise NotImplementedError

    @staticmethod
    def _spec_classes(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The name of the classes' field (``centroids``, or the older ``intents``) and its object."""
        name = "centroids" if "centroids" in spec or "intents" not in spec else "intents"
        return name, fields.object_of(fields.field(spec, name), name)

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> Self:
        """Read a reference nearest centroid model: ``centroids`` (or the older name
        ``intents``), an object ``{"label name": {"centroid": ..., "dataCount": n}}``
        whose keys, in file order, are the labels 0, 1, ...; every real becomes
        ``round(x * SCALE)``."""
        name, classes = cls._spec_classes(spec)
        entries, counts = [], []
        for label, info in classes.items():
            where = f"{name}[{json.dumps(label)}]"
            fields.object_of(info, where)
            entries.append(cls._centroid_from_spec(fields.field(info, "centroid", where), f"{where}.centroid"))
            counts.append(fields.count(fields.field(info, "dataCount", where), f"{where}.dataCount"))
        n_features = cls._spec_n_features(entries)
        fields.check_size(n_features, len(entries), name)
        rows = [[entry.get(i, 0) for i in range(n_features)] for entry in entries]
        return cls.from_centroids(rows, counts, class_names=list(classes))

    @classmethod
    def reference_class_names(cls, spec: dict[str, Any]) -> list[str]:
        """The class names of a reference file: the keys of its ``centroids``, in file order."""
        return list(cls._spec_classes(spec)[1])

    def to_reference_spec(self, metadata: ModelMetadata | None = None) -> dict[str, Any]:
        """This model as a reference JSON object (reals = integers / SCALE), labels by name in
        class order: the names of ``metadata`` (default ``class_names_``)."""
        self._check_fitted("centroids_")
        return {
            "type": self.model_type,
            "centroids": {
                name: {"centroid": self._centroid_to_spec(k), "dataCount": int(self.counts_[k])}
                for k, name in enumerate(self._file_class_names(metadata))
            },
        }

    def _default_class_names(self) -> list[str]:
        return list(self.class_names_)

    @classmethod
    def _check_sklearn_centroids(cls, centroids: np.ndarray) -> None:
        """Raise ValueError when this model cannot take these float centroids."""

    @classmethod
    def from_sklearn(
        cls,
        estimator: Any,
        *,
        data_counts: Sequence[int] | None = None,
        value_bits: int | None = None,
    ) -> Self:
        """Convert a fitted ``sklearn.neighbors.NearestCentroid``.

        Centroid values become ``round(x * SCALE)``; class k is the
        estimator's ``classes_[k]`` (its name is kept for export). Measure the
        rounding's effect with :func:`~sumchain.models.convert.conversion_report`.

        Parameters
        ----------
        estimator : sklearn.neighbors.NearestCentroid
            Fitted with the Euclidean metric and uniform class priors (the
            fixed-point model predicts by distance alone).
        data_counts : sequence of int, optional
            Data count of each class: how much weight the centroid has against
            later contributions (default 1 each).
        value_bits : int, optional
            See the class parameters.

        Raises
        ------
        TypeError
            When the estimator is not a fitted NearestCentroid.
        ValueError
            When its metric or priors differ, or its centroids do not suit the model.
        """
        if type(estimator).__name__ != "NearestCentroid" or not hasattr(estimator, "centroids_"):
            raise TypeError(f"expected a fitted sklearn.neighbors.NearestCentroid, got {type(estimator).__name__}")
        if getattr(estimator, "metric", "euclidean") != "euclidean":
            raise ValueError(f"only the Euclidean metric converts, got {estimator.metric!r}")
        priors = getattr(estimator, "class_prior_", None)  # scikit-learn >= 1.5
        if priors is not None and not np.isclose(priors, 1 / len(estimator.classes_)).all():
            raise ValueError("only uniform class priors convert: the fixed-point model predicts by distance alone")
        centroids = np.asarray(estimator.centroids_, dtype=float)
        cls._check_sklearn_centroids(centroids)
        return cls.from_centroids(
            [[round(float(v) * SCALE) for v in row] for row in centroids],
            data_counts,
            value_bits=value_bits,
            class_names=[str(c) for c in estimator.classes_],
        )

    # -- learning and predicting ------------------------------------------------

    def _check_count(self, k: int) -> int:
        n = int(self.counts_[k])
        if n >= COUNT_MAX:
            raise InvalidSample(f"the data count of class {k} would overflow {COUNT_BITS} bits")
        return n

    def _class_sums(self, samples: list[tuple[int, ...]], labels: list[int], k: int) -> tuple[list[int], int]:
        raise NotImplementedError

    def fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> Self:
        """Learn from scratch: each class's centroid is the mean of its samples,
        rounded to the nearest integer (halves up), and its data count their
        number; labels are 0 .. max(y). A class without samples keeps a zero
        centroid and count. (``partial_fit`` learns as the contract does.)"""
        labels = [class_number(label) for label in y]
        if not labels or min(labels) < 0:
            raise ValueError("y must hold at least one label, all non-negative")
        self._init_state(max(labels) + 1)
        samples = [self.codec.check(x) for x in X]
        if len(samples) != len(labels):
            raise ValueError(f"X has {len(samples)} samples but y has {len(labels)} labels")
        for k in range(self.n_classes):
            totals, n = self._class_sums(samples, labels, k)
            if n:
                self.centroids_[k] = [_round_mean(t, n) for t in totals]
            self.counts_[k] = n
            self._set_aggregate(k, self._exact_aggregate(k))
        self._fix_auto_bits()
        return self

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int], classes: Sequence[int] | None = None) -> Self:
        """Learn from each sample once, in order, exactly as ``add_data`` does.

        ``classes`` (all labels, ``0 .. n_classes - 1``) is needed on the first
        call of an unfitted model, as in scikit-learn.
        """
        if not hasattr(self, "centroids_"):
            if classes is None or list(classes) != list(range(len(classes))):
                raise ValueError("the first partial_fit needs classes=[0, 1, ..., n_classes - 1]")
            self._init_state(len(classes))
            self._fix_auto_bits()
        for x, label in zip(X, y, strict=True):
            self._learn(self.codec.check(x), self.check_label(label))
        return self

    def _learn(self, sample: tuple[int, ...], label: int) -> None:
        raise NotImplementedError

    def _distances(self, sample: tuple[int, ...]) -> list[int]:
        raise NotImplementedError

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        distances = self._distances(sample)
        return distances.index(min(distances))


class NearestCentroid(_CentroidClassifier):
    """Fixed-point dense nearest centroid classifier, bit-exact with the on-chain model.

    A sample is a vector of ``n_features`` signed fixed-point integers (a real
    x is sent as ``round(x * SCALE)``; the reference normalizes inputs to unit
    length first, a convention left to the encoder). The model predicts the
    class whose centroid is nearest in squared Euclidean distance (the lowest
    class on a tie). Each contribution moves its class's centroid to the
    running mean, ``c[i] = (c[i] * n + x[i]) // (n + 1)`` with the division
    truncating towards zero (:func:`running_mean`), and then counts it
    (``n += 1``), as in 0xDeCA10B.

    Parameters
    ----------
    n_features : int
        Dimension of a sample, 1 to 512.
    value_bits : int or None
        Width of one centroid value on chain (8 to 64 bits; ``256 //
        value_bits`` share a storage word). Sample values must fit in it too,
        so that a mean always fits; others are refused, on chain and here.
        ``None`` (default): the automatic width ``value_bits_``, fixed when
        the model's state is made (``fit``, the first ``partial_fit``, the
        ``from_*`` constructors): the narrowest of 16, 24, ..., 64 bits that
        holds twice the largest centroid magnitude or 2.0. A model read from
        chain has ``value_bits`` set.

    Attributes
    ----------
    centroids_ : ndarray of int64, shape (n_classes, n_features)
        The centroids.
    counts_ : ndarray of int (object), shape (n_classes,)
        Data count of each class.
    classes_ : ndarray
        ``[0, 1, ..., n_classes - 1]``.
    class_names_ : list of str
        Label names (reference files, scikit-learn classes).
    value_bits_ : int
        The automatic width (used when ``value_bits`` is None).

    Examples
    --------
    >>> clf = NearestCentroid(n_features=2).fit([[0, 2], [2, 0], [10, 10]], [0, 0, 1])
    >>> clf.centroids_.tolist(), clf.counts_.tolist()
    ([[1, 1], [10, 10]], [2, 1])
    >>> clf.predict([[4, 4], [6, 6]]).tolist()
    [0, 1]
    >>> clf.partial_fit([[-6, 4]], [0]).centroids_[0].tolist()   # (1 * 2 - 6) // 3 truncates to -1
    [-1, 2]
    """

    contract_model = "nearest_centroid"
    model_type = "dense nearest centroid classifier"
    reference_types = ("nearest centroid classifier", "dense nearest centroid classifier")
    sparse = False
    header_bits = COUNT_BITS
    min_value_bits = 8
    max_features = MAX_SAMPLE
    value_headroom = 2

    @property
    def codec(self) -> SampleCodec:
        """Validates and packs this model's samples (values within ``value_bits``)."""
        return SampleCodec(sparse=False, n_features=self.n_features, value_bits=self._bits())

    @classmethod
    def codec_for(cls, params: Sequence[int]) -> SampleCodec:
        """The sample codec of a contract with these parameters."""
        return SampleCodec(sparse=False, n_features=int(params[0]), value_bits=int(params[2]))

    def _pack_centroids(self, bits: int) -> list[int]:
        """Class after class, each starting on a new word."""
        return [word for row in self.centroids_.tolist() for word in pack(row, bits)]

    @classmethod
    def _centroid_words(cls, n_features: int, n_classes: int, bits: int) -> int:
        return n_classes * words_for(n_features, bits)

    @classmethod
    def _unpack_centroids(cls, words: Sequence[int], n_features: int, n_classes: int, bits: int) -> list[list[int]]:
        size = words_for(n_features, bits)
        return [unpack(words[k * size : (k + 1) * size], n_features, bits) for k in range(n_classes)]

    @classmethod
    def _spec_n_features(cls, entries: list[dict[int, int]]) -> int:
        sizes = {len(entry) for entry in entries}
        if len(sizes) > 1:
            raise ModelFileError(f"all centroids must have the same length, got lengths {sorted(sizes)}")
        return sizes.pop() if sizes else 0

    def _centroid_to_spec(self, k: int) -> list[float]:
        return [int(v) / SCALE for v in self.centroids_[k].tolist()]

    def _class_sums(self, samples: list[tuple[int, ...]], labels: list[int], k: int) -> tuple[list[int], int]:
        mine = [x for x, label in zip(samples, labels, strict=True) if label == k]
        return [sum(column) for column in zip(*mine, strict=True)], len(mine)

    def _learn(self, sample: tuple[int, ...], label: int) -> None:
        n = self._check_count(label)
        row = self.centroids_[label].tolist()
        self.centroids_[label] = [running_mean(c, n, x) for c, x in zip(row, sample, strict=True)]
        self.counts_[label] = n + 1

    def _distances(self, sample: tuple[int, ...]) -> list[int]:
        return [sum((x - c) ** 2 for x, c in zip(sample, row, strict=True)) for row in self.centroids_.tolist()]


class SparseNearestCentroid(_CentroidClassifier):
    """Fixed-point sparse nearest centroid classifier, bit-exact with the on-chain model.

    A sample is a sorted list of unique feature indices: a present feature
    has the value 1.0 (``SCALE``), every other one 0. The model predicts the
    class whose centroid is nearest in squared Euclidean distance (the lowest
    class on a tie), computed in O(len(sample)) from each class's squared
    norm ``norms_[k] = sum(c ** 2)``: the distance is ``norms_[k] + sum over
    present f of (SCALE**2 - 2 * SCALE * c[f])``.

    Each contribution updates, as in 0xDeCA10B, only the present features of
    its class: ``c[f] = (c[f] * n + SCALE) // (n + 1)`` with n the class's
    data count before it (:func:`running_mean`); absent features keep their
    value. Then ``n += 1`` and the norm changes by ``new**2 - old**2`` for
    every updated value, so it stays exact.

    Parameters
    ----------
    n_features : int
        Size of the feature space; indices lie in ``[0, n_features)``.
    value_bits : int or None
        Width of one centroid value on chain (31 to 64 bits, so that 1.0
        fits; ``256 // value_bits`` share a storage word). An update never
        leaves the width (a running mean lies between the old value and
        1.0). ``None`` (default): the automatic width ``value_bits_``, fixed
        when the model's state is made (``fit``, the first ``partial_fit``,
        the ``from_*`` constructors): the narrowest of 32, 40, ..., 64 bits
        that holds the largest centroid magnitude or 1.0. A model read from
        chain has ``value_bits`` set.

    Attributes
    ----------
    centroids_ : ndarray of int64, shape (n_classes, n_features)
        The centroids.
    counts_ : ndarray of int (object), shape (n_classes,)
        Data count of each class.
    norms_ : ndarray of int (object), shape (n_classes,)
        Squared norm of each centroid, as the contract keeps it.
    classes_ : ndarray
        ``[0, 1, ..., n_classes - 1]``.
    class_names_ : list of str
        Label names (reference files, scikit-learn classes).
    value_bits_ : int
        The automatic width (used when ``value_bits`` is None).

    Examples
    --------
    >>> clf = SparseNearestCentroid(n_features=4).fit([[0, 1], [0], [2, 3]], [0, 0, 1])
    >>> clf.centroids_.tolist()
    [[1000000000, 500000000, 0, 0], [0, 0, 1000000000, 1000000000]]
    >>> clf.predict([[1], [3]]).tolist()
    [0, 1]
    >>> clf.partial_fit([[1]], [0]).centroids_[0].tolist()   # only feature 1 moves: (0.5 * 2 + 1) / 3
    [1000000000, 666666666, 0, 0]
    """

    contract_model = "sparse_nearest_centroid"
    model_type = "sparse nearest centroid classifier"
    reference_types = ("sparse nearest centroid classifier",)
    sparse = True
    header_bits = 256
    min_value_bits = 31
    max_features = MAX_SPARSE_FEATURES
    value_headroom = 1

    def _init_state(self, n_classes: int) -> None:
        super()._init_state(n_classes)
        self.norms_ = np.zeros(n_classes, dtype=object)

    def _aggregate(self, k: int) -> int:
        return int(self.norms_[k])

    def _set_aggregate(self, k: int, value: int) -> None:
        self.norms_[k] = int(value)

    def _exact_aggregate(self, k: int) -> int:
        return sum(c * c for c in self.centroids_[k].tolist())

    def _pack_centroids(self, bits: int) -> list[int]:
        """Feature after feature, the classes of one feature side by side: value f of class k
        is packed value ``f * n_classes + k``."""
        return pack(self.centroids_.T.ravel().tolist(), bits)

    @classmethod
    def _centroid_words(cls, n_features: int, n_classes: int, bits: int) -> int:
        return words_for(n_features * n_classes, bits)

    @classmethod
    def _unpack_centroids(cls, words: Sequence[int], n_features: int, n_classes: int, bits: int) -> list[list[int]]:
        values = unpack(words, n_features * n_classes, bits)
        return [values[k::n_classes] for k in range(n_classes)]

    @classmethod
    def _spec_n_features(cls, entries: list[dict[int, int]]) -> int:
        return 1 + max((i for entry in entries for i in entry), default=0)

    def _centroid_to_spec(self, k: int) -> dict[str, float]:
        """Non-zero values by feature index, and always the last feature, so that the file keeps ``n_features``."""
        row = self.centroids_[k].tolist()
        last = self.n_features - 1
        return {str(i): v / SCALE for i, v in enumerate(row) if v != 0 or i == last}

    @classmethod
    def _check_sklearn_centroids(cls, centroids: np.ndarray) -> None:
        if centroids.size and not ((centroids >= 0) & (centroids <= 1)).all():
            raise ValueError("a sparse model takes centroids of 0/1 features: every value must lie in [0, 1]")

    def _class_sums(self, samples: list[tuple[int, ...]], labels: list[int], k: int) -> tuple[list[int], int]:
        totals = [0] * self.n_features
        n = 0
        for x, label in zip(samples, labels, strict=True):
            if label == k:
                n += 1
                for f in x:
                    totals[f] += SCALE
        return totals, n

    def _learn(self, sample: tuple[int, ...], label: int) -> None:
        n = self._check_count(label)
        old = [int(self.centroids_[label, f]) for f in sample]
        new = [running_mean(c, n, SCALE) for c in old]
        norm = int(self.norms_[label]) + sum(v * v - c * c for v, c in zip(new, old, strict=True))
        if norm < 0:
            raise InvalidSample(f"the squared norm of class {label} would go below 0")
        if norm >> NORM_BITS:
            raise InvalidSample(f"the squared norm of class {label} would overflow {NORM_BITS} bits")
        for f, v in zip(sample, new, strict=True):
            self.centroids_[label, f] = v
        self.counts_[label] = n + 1
        self.norms_[label] = norm

    def _distances(self, sample: tuple[int, ...]) -> list[int]:
        """Each class's squared distance minus ``len(sample) * SCALE**2`` (the same for all classes)."""
        return [
            int(self.norms_[k]) - 2 * SCALE * sum(int(self.centroids_[k, f]) for f in sample)
            for k in range(self.n_classes)
        ]
