"""What a model says about itself on chain: name, description, classes, features, encoder.

The metadata is published as canonical JSON when the model is deployed (the
trainer's constructor emits it in an event and keeps its hash), so that any
client finds out from the chain alone how to name the classes and how to
encode raw input for the model. Labels are then accepted by class name or by
number, and printed by name.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sumchain import safe_json
from sumchain.errors import InvalidSample, MetadataError
from sumchain.units import is_whole

METADATA_BYTES = 16_384
"""Largest metadata JSON, in bytes: the trainer's ``METADATA_BYTES`` (``contracts/trainer.vy``)."""
MAX_NAME = 100
MAX_DESCRIPTION = 2_000
FEATURE_KINDS = ("indices", "values")
_FIELDS = (
    "name",
    "n_features",
    "feature_kind",
    "class_names",
    "description",
    "encoder",
    "encoder_params",
    "feature_indices",
)
"""Sparse models take feature ``indices``; dense models fixed-point ``values``."""


def _check_text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise MetadataError(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise MetadataError(f"{what} has at most {limit} characters, got {len(value)}")
    return value


def _check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MetadataError(f"{what} must be an integer, got {value!r}")
    return value


def _folded(text: str) -> str:
    """A class name as names are compared: ``ñ`` and ``n`` with a combining tilde alike (NFKC), case ignored.

    >>> _folded(" N\u0303o ") == _folded("\u00f1O")
    True
    """
    return unicodedata.normalize("NFKC", text).strip().casefold()


@dataclass(frozen=True)
class ModelMetadata:
    """A model's self-description, published on chain at deployment.

    Parameters
    ----------
    name : str
        Short name, for lists (at most 100 characters).
    n_features : int
        Size of the feature space (sparse) or dimension (dense).
    feature_kind : {"indices", "values"}
        Sorted unique feature indices (sparse models) or fixed-point values
        (dense models).
    class_names : tuple of str
        Name of each class, index = label number; empty means the numbers
        themselves.
    description : str
        Free text (at most 2,000 characters).
    encoder : str, optional
        Id of the encoder that turns raw input (text, images) into features.
    encoder_params : mapping, optional
        The encoder's parameters (JSON values), when the id alone does not fix it.
    feature_indices : tuple of int, optional
        For a dense model reading some positions of a larger shared encoding:
        the positions it uses, in order.

    Examples
    --------
    >>> meta = ModelMetadata(name="sentiment", n_features=1000, class_names=("Negative", "Positive"))
    >>> meta.label("positive"), meta.label("neg"), meta.label(0)
    (1, 0, 0)
    >>> ModelMetadata.from_json(meta.to_json()) == meta
    True
    """

    name: str
    n_features: int
    feature_kind: str = "indices"
    class_names: tuple[str, ...] = ()
    description: str = ""
    encoder: str | None = None
    encoder_params: Mapping[str, Any] | None = field(default=None, compare=True)
    feature_indices: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _check_text(self.name, "name", MAX_NAME)
        _check_text(self.description, "description", MAX_DESCRIPTION)
        if _check_int(self.n_features, "n_features") < 0:
            raise MetadataError(f"n_features must be >= 0, got {self.n_features}")
        if self.feature_kind not in FEATURE_KINDS:
            raise MetadataError(f"feature_kind must be one of {FEATURE_KINDS}, got {self.feature_kind!r}")
        names = tuple(_check_text(n, "a class name", MAX_NAME) for n in self.class_names)
        folded = [_folded(n) for n in names]
        if any(not n for n in folded):
            raise MetadataError("class names must not be empty")
        if len(set(folded)) != len(folded):
            raise MetadataError(f"class names must differ (ignoring case and Unicode spelling): {list(names)}")
        object.__setattr__(self, "class_names", names)
        if self.encoder is not None:
            _check_text(self.encoder, "encoder", MAX_NAME)
        if self.encoder_params is not None and not isinstance(self.encoder_params, Mapping):
            raise MetadataError("encoder_params must be a JSON object")
        if self.feature_indices is not None:
            indices = tuple(_check_int(i, "a feature index") for i in self.feature_indices)
            if len(indices) != self.n_features:
                raise MetadataError(f"feature_indices needs {self.n_features} positions, got {len(indices)}")
            if any(i < 0 for i in indices) or len(set(indices)) != len(indices):
                raise MetadataError("feature_indices must be unique, non-negative positions")
            object.__setattr__(self, "feature_indices", indices)

    # -- labels ----------------------------------------------------------------

    def class_name(self, label: int) -> str:
        """The name of class ``label`` (its number when the classes have no names)."""
        if 0 <= label < len(self.class_names):
            return self.class_names[label]
        return str(label)

    def label(self, value: str | int, n_classes: int | None = None) -> int:
        """The class number of a name, a unique name prefix or a number.

        Parameters
        ----------
        value : str or int
            ``"Positive"``, ``"pos"`` (case-insensitive), ``1`` or ``"1"``.
        n_classes : int, optional
            Number of classes of the model; by default the number of names.

        Raises
        ------
        InvalidSample
            When the value names no class, is ambiguous, or is a number outside
            ``[0, n_classes)``.
        """
        count = len(self.class_names) if n_classes is None else n_classes
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidSample(f"a label is a class name or number, got {value!r}")
        if isinstance(value, str):
            text = _folded(value)
            exact = [i for i, n in enumerate(self.class_names) if _folded(n) == text]
            if exact:
                return exact[0]
            if is_whole(value.strip()):  # the raw digits: NFKC would make ASCII digits of superscripts
                value = int(value)
            else:
                found = [i for i, n in enumerate(self.class_names) if text and _folded(n).startswith(text)]
                if len(found) == 1:
                    return found[0]
                known = ", ".join(f"{i} ({n})" for i, n in enumerate(self.class_names)) or f"0 .. {count - 1}"
                what = "is ambiguous" if found else "is not a class of this model"
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise InvalidSample(f"label {shown!r} {what}; the classes are {known}")
        if not 0 <= value < count:
            raise InvalidSample(f"label must be in [0, {count}), got {value}")
        return value

    # -- JSON ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (only the fields that are set)."""
        found: dict[str, Any] = {"name": self.name, "n_features": self.n_features, "feature_kind": self.feature_kind}
        if self.class_names:
            found["class_names"] = list(self.class_names)
        if self.description:
            found["description"] = self.description
        if self.encoder is not None:
            found["encoder"] = self.encoder
        if self.encoder_params is not None:
            found["encoder_params"] = dict(self.encoder_params)
        if self.feature_indices is not None:
            found["feature_indices"] = list(self.feature_indices)
        return found

    def to_json(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces, UTF-8), as published on chain.

        Raises
        ------
        MetadataError
            When it is longer than :data:`METADATA_BYTES` or not JSON-serializable.
        """
        try:
            text = json.dumps(
                self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise MetadataError(f"metadata is not JSON: {exc}") from None
        data = text.encode()
        if len(data) > METADATA_BYTES:
            raise MetadataError(f"metadata takes {len(data):,} bytes, more than the {METADATA_BYTES:,} allowed")
        return data

    @classmethod
    def from_json(cls, data: bytes | str) -> ModelMetadata:
        """Parse published metadata.

        Raises
        ------
        MetadataError
            When it is not a JSON object of the fields above (or, as any
            untrusted JSON, nests deeper than 64 levels or repeats a key).
        """
        try:
            text = data.decode() if isinstance(data, bytes) else data
            raw = safe_json.loads(text, max_items=METADATA_BYTES, parse_constant=_reject_constant)
        except ValueError as exc:  # not UTF-8, not JSON, nested too deep, a key twice
            raise MetadataError(f"metadata is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise MetadataError(f"metadata is a JSON object, got {type(raw).__name__}")
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise MetadataError(f"unknown metadata fields: {', '.join(unknown)}")
        if "name" not in raw or "n_features" not in raw:
            raise MetadataError("metadata needs at least a name and n_features")
        names = raw.get("class_names", [])
        indices = raw.get("feature_indices")
        if not isinstance(names, list) or (indices is not None and not isinstance(indices, list)):
            raise MetadataError("class_names and feature_indices are JSON lists")
        return cls(
            name=raw["name"],
            n_features=raw["n_features"],
            feature_kind=raw.get("feature_kind", "indices"),
            class_names=tuple(names),
            description=raw.get("description", ""),
            encoder=raw.get("encoder"),
            encoder_params=raw.get("encoder_params"),
            feature_indices=None if indices is None else tuple(indices),
        )

    def with_classes(self, class_names: Sequence[str]) -> ModelMetadata:
        """A copy with other class names."""
        return replace(self, class_names=tuple(class_names))


def _reject_constant(name: str) -> float:
    """``json.loads`` hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not a JSON number")


def check_class_count(metadata: ModelMetadata, n_classes: int) -> None:
    """Raise unless the metadata names exactly ``n_classes`` classes (or none)."""
    if metadata.class_names and len(metadata.class_names) != n_classes:
        raise MetadataError(
            f"the model has {n_classes} classes but the metadata names {len(metadata.class_names)}: "
            f"{list(metadata.class_names)}"
        )


__all__ = ["FEATURE_KINDS", "METADATA_BYTES", "ModelMetadata", "check_class_count"]
