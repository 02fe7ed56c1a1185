"""Model files in the reference system's (0xDeCA10B's) JSON format.

The format of each model type is in ``shared/original/FORMATS.md``. Every
mirror class reads and writes its own types (``reference_types``,
``from_reference_spec`` and ``to_reference_spec``); this module dispatches on
the file's ``type`` field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sumchain.errors import ModelFileError
from sumchain.models import MIRRORS, OnChainModel


def _mirror_class(model_type: Any) -> type[OnChainModel]:
    for cls in MIRRORS.values():
        if model_type in cls.reference_types:
            return cls
    known = sorted(t for cls in MIRRORS.values() for t in cls.reference_types)
    raise ModelFileError(f"unknown model type {model_type!r}; known types are {', '.join(map(repr, known))}")


def model_from_spec(spec: dict[str, Any]) -> OnChainModel:
    """A fitted mirror from a parsed reference-format model.

    Raises
    ------
    ModelFileError
        When the type is unknown or a field is missing or malformed.
    """
    if not isinstance(spec, dict):
        raise ModelFileError(f"a model file holds a JSON object, got {type(spec).__name__}")
    cls = _mirror_class(spec.get("type"))
    try:
        return cls.from_reference_spec(spec)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"malformed {spec.get('type')!r} model: {type(exc).__name__}: {exc}") from None


def model_to_spec(model: OnChainModel) -> dict[str, Any]:
    """The reference-format JSON object of a fitted mirror."""
    return model.to_reference_spec()


def read_model_file(path: Path) -> OnChainModel:
    """Read a reference-format model file."""
    try:
        spec = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    try:
        return model_from_spec(spec)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def write_model_file(model: OnChainModel, path: Path) -> None:
    """Write a fitted mirror as a reference-format model file."""
    Path(path).write_text(json.dumps(model_to_spec(model), indent=2) + "\n")
