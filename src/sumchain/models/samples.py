"""How samples travel to the contracts: packed big-endian bytes.

Mirrors ``contracts/models/samples.vy``. Sparse models take sorted, unique
feature indices, 4 bytes each; dense models take signed values, 8 bytes
each. The codecs validate exactly as the contracts do, so bad input is caught
before anything is sent.

No sample may be empty: a sparse sample needs at least one feature index (a
text with no word of the vocabulary has none) and a dense sample at least one
non-zero value. An empty sample carries no information: the model predicts it
from its own parameters alone (intercept, prior or centroid norms). As a
contribution it would either cost a full deposit that can never be refunded,
or, when those parameters happen to predict its label, give a validated
contribution at no risk, which Sybil accounts could farm. The contracts refuse
it in ``predict`` and ``add_data``; so do the codecs, hence the mirrors'
``predict``, ``fit`` and ``partial_fit``.
"""

from __future__ import annotations

import itertools
import math
import operator
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from sumchain.errors import InvalidSample
from sumchain.models.fixed_point import SCALE, truncated_div
from sumchain.models.packing import signed_range

MAX_SAMPLE = 512
"""Largest number of features in one sample."""
INDEX_BYTES = 4
VALUE_BYTES = 8
MAX_INDEX = 2**32 - 1
MAX_CLASS_VALUES = 16_384
"""Largest ``n_classes * min(n_features, MAX_SAMPLE)`` of a naive Bayes or nearest centroid
model: the values one prediction reads (see :func:`check_prediction_size`)."""


def _integers(sample: Iterable[int], what: str) -> tuple[int, ...]:
    """The sample's values as ints, refusing anything that is not a whole number already.

    Floats are never truncated, strings never iterated, booleans never
    counted: ``[1.0]``, ``"12"`` and ``[True]`` are refused, numpy integers accepted.

    >>> _integers([1.5], "indices")
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: indices must be integers, got 1.5 at position 0
    """
    if isinstance(sample, str | bytes) or not isinstance(sample, Iterable):
        raise InvalidSample(f"a sample is a sequence of {what}, got {type(sample).__name__} {sample!r:.40}")
    given = tuple(sample)
    if set(map(type, given)) <= {int}:  # plain ints (a bool's type is bool): the common case, checked fast
        return given
    values = []
    for i, value in enumerate(given):
        if isinstance(value, bool):
            raise InvalidSample(f"{what} must be integers, got {value!r} at position {i}")
        try:
            values.append(operator.index(value))
        except TypeError:
            raise InvalidSample(f"{what} must be integers, got {value!r:.40} at position {i}") from None
    return tuple(values)


def _scipy_row(sample: object, sparse: bool) -> object:
    """A row of a SciPy sparse matrix (``CountVectorizer``'s, a row of which ``list(X)`` gives) as a
    model reads it: for a sparse model the columns that hold a value, sorted, for a dense one its
    values; anything else as it is."""
    if not hasattr(sample, "tocsr"):
        return sample
    if len(shape := sample.shape) == 2 and shape[0] != 1:  # type: ignore[attr-defined]
        raise InvalidSample(f"a sample is one row, got a matrix of {shape[0]} rows (predict_many takes them all)")
    if sparse:
        return sorted(int(i) for i in sample.nonzero()[-1])  # type: ignore[attr-defined]
    return np.asarray(sample.toarray()).ravel()  # type: ignore[attr-defined]


def check_sparse(sample: Iterable[int], n_features: int) -> tuple[int, ...]:
    """Validate sparse indices as the contract does (a SciPy sparse row: the columns that hold a value).

    Raises
    ------
    InvalidSample
        When there are no indices or too many, or they are not sorted and
        unique, or out of range.

    Examples
    --------
    >>> check_sparse([3, 1], 8)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: indices must be sorted and unique: 1 follows 3
    >>> check_sparse([], 8)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: a sample needs at least one feature index (an empty one carries no information)
    """
    indices = _integers(cast(Iterable[int], _scipy_row(sample, sparse=True)), "indices")
    if not indices:
        raise InvalidSample("a sample needs at least one feature index (an empty one carries no information)")
    if len(indices) > MAX_SAMPLE:
        raise InvalidSample(f"a sample has at most {MAX_SAMPLE} indices, got {len(indices)}")
    if not all(map(operator.lt, indices, indices[1:])):
        previous, current = next((a, b) for a, b in itertools.pairwise(indices) if b <= a)
        raise InvalidSample(f"indices must be sorted and unique: {current} follows {previous}")
    if indices[0] < 0 or indices[-1] >= n_features:
        bad = indices[0] if indices[0] < 0 else indices[-1]
        raise InvalidSample(f"index {bad} is outside [0, {n_features})")
    return indices


def check_sparse_batch(samples: Sequence[Iterable[int]], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate many samples of indices as :func:`check_sparse` does, at once.

    Samples that are lists or tuples of plain ints are checked together with
    NumPy; anything else, or a batch with an invalid sample, is checked one
    sample at a time, so the first bad one gets :func:`check_sparse`'s error.

    Returns
    -------
    flat : ndarray of intp
        The indices of every sample, end to end.
    starts : ndarray of intp
        Where each sample starts in ``flat``.

    Raises
    ------
    InvalidSample
        As :func:`check_sparse`, prefixed with the sample's position.

    Examples
    --------
    >>> flat, starts = check_sparse_batch([[0, 3], [1]], 4)
    >>> flat.tolist(), starts.tolist()
    ([0, 3, 1], [0, 2])
    >>> check_sparse_batch([[0, 3], [3, 1]], 4)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: sample 1: indices must be sorted and unique: 1 follows 3
    """
    found = _plain_sparse_batch(samples, n_features)
    if found is not None:
        return found
    checked = []
    for i, sample in enumerate(samples):
        try:
            checked.append(check_sparse(sample, n_features))
        except InvalidSample as exc:
            raise InvalidSample(f"sample {i}: {exc}") from None
    lengths = np.fromiter(map(len, checked), dtype=np.intp, count=len(checked))
    flat = np.fromiter(itertools.chain.from_iterable(checked), dtype=np.intp, count=int(lengths.sum()))
    return flat, _starts(lengths)


class CheckedSparse:
    """Samples of indices checked once by :func:`check_sparse_batch`, to be predicted many times
    (a simulation's test set): a sparse model's batch ``predict`` takes them without checking
    again; iterating gives the samples as tuples, so any model reads them.

    Examples
    --------
    >>> batch = CheckedSparse([[0, 3], [1]], 4)
    >>> len(batch), list(batch)
    (2, [(0, 3), (1,)])
    """

    def __init__(self, samples: Sequence[Iterable[int]], n_features: int) -> None:
        self.flat, self.starts = check_sparse_batch(samples, n_features)
        self.n_features = n_features

    @classmethod
    def joined(cls, rows: Sequence[np.ndarray], n_features: int) -> CheckedSparse:
        """One batch of samples checked one by one before (each an int64 array, the ``flat`` of a
        batch of one sample of this feature space), without checking them again: for a caller
        that predicts the same samples in ever new combinations (a simulation's open claims).

        >>> one, two = CheckedSparse([[0, 3]], 4).flat, CheckedSparse([[1]], 4).flat
        >>> list(CheckedSparse.joined([one, two, one], 4))
        [(0, 3), (1,), (0, 3)]
        """
        joined = cls.__new__(cls)
        joined.n_features = n_features
        joined.flat = np.concatenate(rows)
        joined.starts = np.zeros(len(rows), dtype=np.intp)
        np.cumsum([len(row) for row in rows[:-1]], out=joined.starts[1:])
        return joined

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        ends = [*self.starts[1:].tolist(), len(self.flat)]
        values = self.flat.tolist()
        return (tuple(values[a:b]) for a, b in zip(self.starts.tolist(), ends, strict=True))


SMALL_BATCH = 8
"""Below this many samples, a sparse model's ``predict`` scores them one by one: NumPy's set-up
costs more (both ways took about as long for 4 samples of 45 indices when measured)."""


def sparse_batch(X: Iterable[Iterable[int]], n_features: int) -> CheckedSparse | Sequence[Iterable[int]]:
    """The samples a sparse model's ``predict`` was given, ready for it: checked at once as a
    :class:`CheckedSparse` (as given, when they already are one of this feature space), or,
    fewer than :data:`SMALL_BATCH`, as a sequence to score one by one (faster for them).

    >>> type(sparse_batch([[0, 3]] * 8, 4)).__name__, sparse_batch(iter([[1]]), 4)
    ('CheckedSparse', [[1]])
    """
    if isinstance(X, CheckedSparse) and X.n_features == n_features and len(X):
        return X
    samples = X if isinstance(X, Sequence) else list(X)
    return samples if len(samples) < SMALL_BATCH else CheckedSparse(samples, n_features)


def _plain_sparse_batch(samples: Sequence[Iterable[int]], n_features: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``check_sparse_batch`` for lists and tuples of plain ints that are all valid; None otherwise."""
    if not all(type(sample) in (list, tuple) for sample in samples):
        return None
    sized = cast(Sequence[Sequence[int]], samples)
    lengths = np.fromiter(map(len, sized), dtype=np.intp, count=len(sized))
    values = list(itertools.chain.from_iterable(sized))
    if not set(map(type, values)) <= {int} or (len(lengths) and not 1 <= lengths.min() <= lengths.max() <= MAX_SAMPLE):
        return None
    try:
        flat = np.fromiter(values, dtype=np.intp, count=len(values))
    except OverflowError:  # an index far out of range
        return None
    starts = _starts(lengths)
    if len(flat) and (flat.min() < 0 or flat.max() >= n_features):
        return None
    rising = np.diff(flat) > 0
    rising[starts[1:] - 1] = True  # the step from one sample into the next is not a step inside a sample
    return (flat, starts) if rising.all() else None


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each sample starts, given the samples' lengths."""
    starts = np.zeros(len(lengths), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def check_dense(sample: Iterable[int], n_features: int, value_bits: int = 64) -> tuple[int, ...]:
    """Validate a dense vector of fixed-point integers as the contract does:
    ``n_features`` values, each within ``value_bits`` signed bits (64 travel on
    the wire; a model may require fewer), not all zero (a SciPy sparse row: its values).

    >>> check_dense([1, 2], 3)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: expected 3 values, got 2
    >>> check_dense([127, 128], 2, value_bits=8)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: value 128 at position 1 does not fit in 8 signed bits
    >>> check_dense([0, 0], 2)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: a sample needs a non-zero value (the zero vector carries no information)
    """
    values = _integers(cast(Iterable[int], _scipy_row(sample, sparse=False)), "values")
    if len(values) != n_features:
        raise InvalidSample(f"expected {n_features} values, got {len(values)}")
    low, high = signed_range(value_bits)
    for i, value in enumerate(values):
        if not low <= value <= high:
            raise InvalidSample(f"value {value} at position {i} does not fit in {value_bits} signed bits")
    if not any(values):
        raise InvalidSample("a sample needs a non-zero value (the zero vector carries no information)")
    return values


def check_prediction_size(n_features: int, n_classes: int) -> None:
    """Refuse, as the contracts do at deployment, a naive Bayes or nearest centroid model
    whose prediction reads more than :data:`MAX_CLASS_VALUES` values (one per class and
    feature of the longest sample): refunds and reports predict, and must stay under
    EIP-7825's 16,777,216 gas per transaction. That allows 32 classes with any sample,
    64 with samples of up to 256 features.

    >>> check_prediction_size(256, 64)
    >>> check_prediction_size(1000, 64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_classes * min(n_features, 512) must be at most 16384, got 64 * 512 (...)
    """
    longest = min(n_features, MAX_SAMPLE)
    if n_classes * longest > MAX_CLASS_VALUES:
        raise ValueError(
            f"n_classes * min(n_features, {MAX_SAMPLE}) must be at most {MAX_CLASS_VALUES}, got {n_classes} * "
            f"{longest} (so that a refund or report stays under the 16,777,216 gas cap of a transaction)"
        )


def check_label(label: int, n_classes: int) -> int:
    """Validate a label as the contracts do.

    >>> check_label(2, 2)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: label must be in [0, 2), got 2
    """
    if isinstance(label, bool) or not isinstance(label, int | np.integer):
        raise InvalidSample(f"a label is a class number, got {label!r:.40}")
    if not 0 <= label < n_classes:
        raise InvalidSample(f"label must be in [0, {n_classes}), got {label}")
    return int(label)


def class_number(label: object) -> int:
    """A label given to a mirror's ``fit`` or ``partial_fit``: an int, a NumPy integer, or a float that
    is a whole number (labels in a float array); never a string, a boolean or a fraction.

    >>> class_number(np.float64(1.0)), class_number(np.int8(2))
    (1, 2)
    >>> class_number(1.5)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: a label is a class number, got 1.5
    """
    if isinstance(label, float | np.floating) and float(label).is_integer():
        return int(label)
    if isinstance(label, bool) or not isinstance(label, int | np.integer):
        raise InvalidSample(f"a label is a class number, got {label!r:.40}")
    return int(label)


def normalize(values: Iterable[float]) -> list[int]:
    """A dense input as the reference prepares it: ``x -> round(x * 1e9)``, then each value
    times 1e9 divided (truncating) by the Euclidean norm of the scaled vector, so the
    result is a unit vector at scale 1e9.

    >>> normalize([3.0, -4.0])
    [600000000, -800000000]
    """
    return unit_vector([round(float(v) * SCALE) for v in values])


def unit_vector(scaled: Iterable[int]) -> list[int]:
    """Integers divided by their Euclidean norm, at scale 1e9: each ``v * 1e9 // isqrt(sum(v * v))``,
    the division truncating. Exact integer arithmetic, so the same input gives the same vector anywhere;
    give small integers at scale (times 1e9) so that the norm's rounding down stays negligible.

    >>> unit_vector([3, 0, -4])
    [600000000, 0, -800000000]
    >>> unit_vector([0, 0])
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: cannot normalize the zero vector
    """
    values = [int(v) for v in scaled]
    norm = math.isqrt(sum(v * v for v in values))
    if norm == 0:
        raise InvalidSample("cannot normalize the zero vector")
    return [truncated_div(v * SCALE, norm) if v else 0 for v in values]


@dataclass(frozen=True)
class SampleCodec:
    """Validates, packs and unpacks the samples of one model.

    Parameters
    ----------
    sparse : bool
        Feature indices (True) or a dense vector (False).
    n_features : int
        Size of the feature space, or the dimension.
    value_bits : int
        Dense values must fit in this many signed bits (64 by default).

    Examples
    --------
    >>> codec = SampleCodec(sparse=True, n_features=1000)
    >>> codec.encode([1, 300]).hex()
    '000000010000012c'
    >>> codec.decode(codec.encode([1, 300]))
    (1, 300)
    """

    sparse: bool
    n_features: int
    value_bits: int = 64

    def check(self, sample: Iterable[int]) -> tuple[int, ...]:
        """The sample as a tuple of ints, validated."""
        if self.sparse:
            return check_sparse(sample, self.n_features)
        return check_dense(sample, self.n_features, self.value_bits)

    def encode(self, sample: Iterable[int]) -> bytes:
        """Validate and pack a sample for the contract."""
        values = self.check(sample)
        return struct.pack(f">{len(values)}{'I' if self.sparse else 'q'}", *values)

    def decode(self, data: bytes) -> tuple[int, ...]:
        """Unpack a sample as the contract stores it in events."""
        size = INDEX_BYTES if self.sparse else VALUE_BYTES
        return tuple(
            int.from_bytes(data[i : i + size], "big", signed=not self.sparse) for i in range(0, len(data), size)
        )
