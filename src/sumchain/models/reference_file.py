"""Model files in the reference system's (0xDeCA10B's) JSON format.

The format of each model type is in ``shared/original/FORMATS.md``. Every
mirror class reads and writes its own types (``reference_types``,
``from_reference_spec`` and ``to_reference_spec``); this module dispatches on
the file's ``type`` field. ``sumchain import FILE`` and ``sumchain export
FILE`` are built on :func:`read_model_file` and :func:`write_model_file`.

Fixed point versus the file's float model
------------------------------------------
Every real of a file becomes ``round(x * 1e9)`` (FORMATS.md), so each
parameter moves by at most ``0.5e-9``; counts are integers and stay exact.
**Rule:** the imported model predicts the label that the file's float model
predicts on every input where the float decision is farther from a tie than
the bound below; within it (exact ties included) either label may come out.
Dense inputs are compared as sent to the chain (the integers / 1e9, unit
vectors normalized by the client as the reference does).

* Perceptrons: the score ``sum(w[i] * x[i]) + intercept`` moves by at most
  ``0.5e-9 * (sum(|x[i]|) + 1)``, which is ``(len(sample) + 1) * 0.5e-9`` for
  a sparse sample (each present feature counts 1): the label is sure when
  ``|score|`` exceeds it.
* Nearest centroids: the squared distance to centroid ``c`` moves by at most
  ``e_c = 1e-9 * sum(|x[i] - c[i]|) + n_features * 0.25e-18``; the nearest
  class is sure when it beats every other class ``c`` by more than
  ``e_best + e_c``.
* Naive Bayes: only the smoothing alpha is rounded, which moves the log of
  each factor by at most ``1e-9 / alpha``; the best class is sure when its
  log-probability beats every other by more than
  ``2 * len(sample) * 1e-9 / alpha``. (The contract's own arithmetic is
  exact to a relative ``2**-52``, far below that.)

Exported files hold the on-chain integers divided by 1e9 (JSON doubles),
which read back to the same integers whenever they are below ``2**51`` in
magnitude (reals below about 2.2 million): then export followed by import
gives exactly the same fixed-point parameters.
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
    """A fitted mirror from a parsed reference-format model, checked to fit its contract.

    Raises
    ------
    ModelFileError
        When the type is unknown, a field is missing or malformed, or a value
        does not fit the contract's fixed-point fields.
    """
    if not isinstance(spec, dict):
        raise ModelFileError(f"a model file holds a JSON object, got {type(spec).__name__}")
    cls = _mirror_class(spec.get("type"))
    try:
        model = cls.from_reference_spec(spec)
        model.model_params()
        model.to_words()
        return model
    except ModelFileError:
        raise
    except KeyError as exc:
        raise ModelFileError(f"malformed {spec.get('type')!r} model: missing field {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
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
    text = json.dumps(model_to_spec(model), indent=2) + "\n"
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise ModelFileError(f"cannot write {path}: {exc}") from None
