"""Checked reads of the fields of a reference-format model (see :mod:`~sumchain.models.reference_file`).

Every mirror class reads its files with these helpers, so that each field is
checked the same way and a bad one is named in the error: ``weights[3] must
be a number, got true``. A number is a JSON number (booleans, strings,
``null``, lists, ``NaN`` and infinities are not); a count or an index is a
non-negative integer (``2.0`` is one, ``1.5`` and ``-1`` are not: nothing is
truncated); a feature index is below ``2**32``, as on chain. A model read
from a file stores at most :data:`MAX_VALUES` values, checked before
anything of that size is allocated.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from sumchain.errors import ModelFileError
from sumchain.models.fixed_point import SCALE

MAX_INDEX = 2**32
"""Feature indices are ``uint32`` on chain: every index of a file is below this."""
MAX_VALUES = 2**20
"""Most values (features, times classes for naive Bayes and nearest centroids) of a model read
from a file: sumchain stores every one, in memory and on chain, where loading a million
64-bit values already costs about 6 billion gas."""

_KEY = re.compile(r"0|[1-9][0-9]{0,9}")


def shown(value: Any) -> str:
    """A value as the file spells it, shortened for messages.

    >>> shown(True), shown(None), shown(float("nan")), shown("x" * 50)
    ('true', 'null', 'NaN', '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...')
    """
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):  # not a JSON value: a spec built in Python
        text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def field(spec: Mapping[str, Any], name: str, where: str = "") -> Any:
    """``spec[name]``, else a ModelFileError naming the missing field (and where it is missing).

    >>> field({"weights": []}, "weights")
    []
    >>> field({}, "dataCount", 'centroids["red"]')
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: missing field 'dataCount' in centroids["red"]
    """
    if name in spec:
        return spec[name]
    raise ModelFileError(f"missing field {name!r}" + (f" in {where}" if where else ""))


def list_of(value: Any, where: str) -> list[Any]:
    """``value`` when it is a JSON array."""
    if not isinstance(value, list):
        raise ModelFileError(f"{where} must be a list, got {shown(value)}")
    return value


def object_of(value: Any, where: str) -> dict[str, Any]:
    """``value`` when it is a JSON object."""
    if not isinstance(value, dict):
        raise ModelFileError(f"{where} must be an object, got {shown(value)}")
    return value


def fixed(value: Any, where: str) -> int:
    """A real number of the file at the fixed-point scale: ``round(x * 1e9)``.

    >>> fixed(0.5, "learningRate"), fixed(-2, "intercept")
    (500000000, -2000000000)
    >>> fixed(True, "weights[3]")
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: weights[3] must be a number, got true
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelFileError(f"{where} must be a number, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ModelFileError(f"{where} must be a finite number, got {shown(value)}")
    try:
        scaled = float(value) * SCALE
    except OverflowError:  # an integer beyond the floats
        scaled = math.inf
    if not math.isfinite(scaled):
        raise ModelFileError(f"{where} is too large to scale by 1e9: {shown(value)}")
    return round(scaled)


def fixed_in(value: Any, where: str, low: int, high: int) -> int:
    """:func:`fixed` of a parameter that must lie in ``[low, high]`` at the scale, refused in the file's units.

    >>> fixed_in(0.5, "learningRate", 1, 2**63 - 1)
    500000000
    >>> fixed_in(1e-12, "learningRate", 1, 2**63 - 1)
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: learningRate must be from 1e-09 to 9.22337e+09, got 1e-12
    """
    scaled = fixed(value, where)
    if not low <= scaled <= high:
        raise ModelFileError(f"{where} must be from {low / SCALE:g} to {high / SCALE:g}, got {shown(value)}")
    return scaled


def _fixed_all(values: list[Any]) -> list[int] | None:
    """:func:`fixed` of every value in C, or None unless all are JSON numbers whose scaled values are
    finite and below ``2**63`` in magnitude (the caller then takes them one by one, which names a bad one).

    The same doubles, products and rounding (``np.rint`` also sends ties to the even integer).
    """
    if not set(map(type, values)) <= {int, float}:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            scaled = np.asarray(values, dtype=np.float64) * SCALE
        except OverflowError:  # an integer beyond the floats
            return None
        if not (np.abs(scaled) < 2.0**63).all():  # NaN and infinities fail the comparison too
            return None
    return np.rint(scaled).astype(np.int64).tolist()


def fixed_list(value: Any, where: str) -> list[int]:
    """A JSON array of real numbers, each at the fixed-point scale (see :func:`fixed`).

    >>> fixed_list([0.5, -1, 2e-9], "weights")
    [500000000, -1000000000, 2]
    """
    values = list_of(value, where)
    found = _fixed_all(values)
    return found if found is not None else [fixed(v, f"{where}[{i}]") for i, v in enumerate(values)]


def count(value: Any, where: str) -> int:
    """A non-negative integer (a JSON integer, or a number such as ``2.0`` that is one).

    >>> count(3, "dataCount"), count(2.0, "dataCount")
    (3, 2)
    >>> count(1.5, "classCounts[0]")
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: classCounts[0] must be a non-negative integer, got 1.5
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelFileError(f"{where} must be a non-negative integer, got {shown(value)}")
    return value


def index(value: Any, where: str) -> int:
    """A feature index: a non-negative integer below :data:`MAX_INDEX`.

    >>> index(2**32, "featureIndices[0]")
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: featureIndices[0] must be below 2**32 (a uint32 on chain), got 4294967296
    """
    found = count(value, where)
    if found >= MAX_INDEX:
        raise ModelFileError(f"{where} must be below 2**32 (a uint32 on chain), got {found}")
    return found


def index_list(value: Any, where: str) -> list[int]:
    """A JSON array of distinct feature indices.

    >>> index_list([7, 2, 7], "featureIndices")
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: featureIndices[2] repeats the index 7 of featureIndices[0]
    """
    found = [index(v, f"{where}[{i}]") for i, v in enumerate(list_of(value, where))]
    first: dict[int, int] = {}
    for i, v in enumerate(found):
        if v in first:
            raise ModelFileError(f"{where}[{i}] repeats the index {v} of {where}[{first[v]}]")
        first[v] = i
    return found


def key_index(key: Any, where: str) -> int:
    """A feature index written as an object key: decimal digits, no sign or leading zero, below ``2**32``.

    >>> key_index("12", "sparseWeights")
    12
    >>> key_index("-1", "sparseWeights")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: sparseWeights has the key "-1", which is not a feature index (digits, ...)
    """
    if not (isinstance(key, str) and _KEY.fullmatch(key)):
        raise ModelFileError(
            f"{where} has the key {shown(key)}, which is not a feature index (digits, no sign or leading zero)"
        )
    return index(int(key), f'{where}["{key}"]')


def fixed_by_index(value: Any, where: str) -> dict[int, int]:
    """A JSON object ``{"featureIndex": real}``, values at the fixed-point scale.

    >>> fixed_by_index({"3": 0.25, "10": -1}, "sparseWeights")
    {3: 250000000, 10: -1000000000}
    """
    entries = object_of(value, where)
    if set(map(type, entries)) <= {str} and all(map(_KEY.fullmatch, entries)):
        indices = list(map(int, entries))
        found = _fixed_all(list(entries.values()))
        if found is not None and max(indices, default=0) < MAX_INDEX:
            return dict(zip(indices, found, strict=True))
    return {key_index(k, where): fixed(v, f'{where}["{k}"]') for k, v in entries.items()}


def count_pairs(value: Any, where: str, n_features: int) -> dict[int, int]:
    """A JSON array of ``[featureIndex, count]`` pairs, indices distinct and below ``n_features``
    (which is at most ``2**32``).

    >>> count_pairs([[4, 2], [0, 7]], "featureCounts[1]", 10)
    {4: 2, 0: 7}
    >>> count_pairs([[4, 2], [4, 7]], "featureCounts[1]", 10)
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: featureCounts[1][1] repeats the feature index 4 of featureCounts[1][0]
    """
    pairs = list_of(value, where)
    if set(map(type, pairs)) <= {list} and set(map(len, pairs)) <= {2}:
        indices, counts = zip(*pairs, strict=True) if pairs else ((), ())
        if (
            set(map(type, indices)) | set(map(type, counts)) <= {int}
            and min(indices + counts, default=0) >= 0
            and max(indices, default=0) < n_features
            and len(set(indices)) == len(indices)
        ):
            return dict(zip(indices, counts, strict=True))
    found: dict[int, int] = {}
    first: dict[int, int] = {}
    for j, pair in enumerate(pairs):
        if len(list_of(pair, f"{where}[{j}]")) != 2:
            raise ModelFileError(f"{where}[{j}] must be a [featureIndex, count] pair, got {shown(pair)}")
        feature = index(pair[0], f"{where}[{j}][0]")
        if feature >= n_features:
            raise ModelFileError(f"{where}[{j}]: feature index {feature} is outside [0, {n_features})")
        if feature in first:
            raise ModelFileError(f"{where}[{j}] repeats the feature index {feature} of {where}[{first[feature]}]")
        first[feature] = j
        found[feature] = count(pair[1], f"{where}[{j}][1]")
    return found


def names(value: Any, where: str) -> list[str]:
    """A JSON array of strings (class names)."""
    found = list_of(value, where)
    for i, name in enumerate(found):
        if not isinstance(name, str):
            raise ModelFileError(f"{where}[{i}] must be a string, got {shown(name)}")
    return found


def check_names(class_names: list[str], n_classes: int, where: str = "classifications") -> None:
    """Raise unless there are no class names or one per class.

    >>> check_names(["Negative", "Positive", "Neutral"], 2)
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: classifications names 3 classes, the model has 2
    """
    if class_names and len(class_names) != n_classes:
        raise ModelFileError(f"{where} names {len(class_names)} classes, the model has {n_classes}")


def check_size(n_features: int, n_classes: int, where: str) -> None:
    """Raise unless a model of this shape stores at most :data:`MAX_VALUES` values.

    >>> check_size(2**32, 1, 'sparseWeights["4294967295"]')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: sparseWeights["4294967295"] makes a model of 4,294,967,296 values, more than ...
    """
    values = n_features * n_classes
    if values > MAX_VALUES:
        shape = f"{n_features:,} features x {n_classes} classes = " if n_classes > 1 else ""
        raise ModelFileError(
            f"{where} makes a model of {shape}{values:,} values, more than the {MAX_VALUES:,} a model file may have"
        )


__all__ = [
    "MAX_INDEX",
    "MAX_VALUES",
    "check_names",
    "check_size",
    "count",
    "count_pairs",
    "field",
    "fixed",
    "fixed_by_index",
    "fixed_list",
    "index",
    "index_list",
    "key_index",
    "list_of",
    "names",
    "object_of",
    "shown",
]
