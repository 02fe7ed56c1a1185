"""Model files in the reference system's (0xDeCA10B's) JSON format.

The format of each model type is in ``shared/original/FORMATS.md``. Every
mirror class reads and writes its own types (``reference_types``,
``from_reference_spec`` and ``to_reference_spec``, which check each field
with :mod:`~sumchain.models.reference_fields`); this module dispatches on
the file's ``type`` field. ``sumchain import FILE`` and ``sumchain export
FILE`` are built on :func:`read_model_file` and :func:`write_model_file`.

A file gives a model and its :class:`~sumchain.metadata.ModelMetadata`
(:class:`ModelFile`): the class names (``classifications``, or the keys of
``centroids``), a dense perceptron's ``featureIndices``, and sumchain's own
optional fields, which the reference ignores: ``name`` (default: the file's
stem), ``description``, ``encoder`` (one of :data:`REFERENCE_ENCODERS`,
matched without case and kept in the reference's spelling, or any other id)
and ``encoderParams``. Writing with metadata puts all of them back.

Hostile files
-------------
Every problem is one :class:`~sumchain.errors.ModelFileError` that names the
file and the field, raised before anything large is allocated: files above
:data:`MAX_FILE_BYTES`, JSON with more than :data:`MAX_JSON_ITEMS` values or
nested deeper than :data:`~sumchain.safe_json.MAX_DEPTH` levels (checked
before parsing, whatever the recursion limit), repeated keys, values of the
wrong JSON type, ``NaN`` and infinities, fractional or negative counts and
indices, repeated indices, indices from ``2**32`` on (``uint32`` on chain),
models of more than :data:`~sumchain.models.reference_fields.MAX_VALUES`
values, and class names that are not one per class.

Fixed point versus the file's float model
------------------------------------------
Every real of a file becomes ``round(x * 1e9)`` (FORMATS.md): the product in
double precision, as the reference computes it, rounded by Python's
``round``, which sends an exact tie to the even integer (the reference's
``Math.round`` sends it up: the two can differ by 1 there, and only there).
So each parameter moves by at most ``0.5e-9``, plus ``|x| * 2**-53`` from the
product (below ``1e-10`` for ``|x| < 1e6``); counts are integers (``2.0``
is one, ``1.5`` is refused) and stay exact.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumchain import safe_json
from sumchain.errors import MetadataError, ModelFileError
from sumchain.metadata import MAX_NAME, ModelMetadata, check_class_count
from sumchain.models import MIRRORS, OnChainModel
from sumchain.models import reference_fields as fields

MAX_FILE_BYTES = 64 * 2**20
"""Largest model file read, in bytes (64 MiB: an exported model of
:data:`~sumchain.models.reference_fields.MAX_VALUES` values takes at most about 50 MB)."""
_CHUNK_BYTES = 2**16
MAX_JSON_ITEMS = 4 * fields.MAX_VALUES
"""Most JSON values in a model file (a naive Bayes count takes three: its pair, index and count)."""
REFERENCE_ENCODERS = (
    "none",
    "Multiply by 1E9, then round",
    "MurmurHash3",
    "IMDB vocab",
    "MobileNetV2",
    "universal sentence encoder",
)
"""The reference's encoder strings (FORMATS.md), which are also their ids in sumchain's metadata."""
EXTRA_FIELDS = {"name": "name", "description": "description", "encoder": "encoder", "encoderParams": "encoder_params"}
"""sumchain's own fields of a model file (the reference ignores them): the metadata attribute of each."""


@dataclass(frozen=True)
class ModelFile:
    """What a model file holds: the fitted mirror and its metadata.

    Attributes
    ----------
    model : OnChainModel
        The fitted mirror, checked to fit its contract.
    metadata : ModelMetadata
        Its name, class names, feature indices and encoder, ready to publish at deployment.

    Examples
    --------
    >>> spec = {"type": "sparse perceptron", "classifications": ["Negative", "Positive"], "weights": [1.5, -2]}
    >>> loaded = model_file_from_spec(spec)
    >>> loaded.model.coef_.tolist(), loaded.metadata.class_names
    ([1500000000, -2000000000], ('Negative', 'Positive'))
    """

    model: OnChainModel
    metadata: ModelMetadata


def encoder_id(encoder: str) -> str:
    """The id of an encoder string: one of :data:`REFERENCE_ENCODERS` in its own spelling when
    ``encoder`` matches it without regard to case, else ``encoder`` unchanged.

    >>> encoder_id("imdb VOCAB"), encoder_id("my-tokenizer")
    ('IMDB vocab', 'my-tokenizer')
    """
    folded = encoder.casefold()
    return next((known for known in REFERENCE_ENCODERS if known.casefold() == folded), encoder)


def _mirror_class(model_type: Any) -> type[OnChainModel]:
    for cls in MIRRORS.values():
        if model_type in cls.reference_types:
            return cls
    known = sorted(t for cls in MIRRORS.values() for t in cls.reference_types)
    raise ModelFileError(f"unknown model type {model_type!r}; known types are {', '.join(map(repr, known))}")


def _feature_kind(model: OnChainModel) -> str:
    return "indices" if model.sparse else "values"


def model_file_from_spec(spec: dict[str, Any], *, name: str | None = None) -> ModelFile:
    """A fitted mirror and its metadata from a parsed reference-format model.

    Parameters
    ----------
    spec : dict
        The parsed JSON object.
    name : str, optional
        The model's name when the spec has no ``name`` field (default: its type).

    Returns
    -------
    ModelFile
        The mirror, checked to fit its contract, and its metadata.

    Raises
    ------
    ModelFileError
        When the type is unknown, a field is missing or malformed (the message
        names it), a value does not fit the contract's fixed-point fields, the
        class names are not one per class, or the metadata is larger than
        deployment publishes (:data:`~sumchain.metadata.METADATA_BYTES`).

    Examples
    --------
    >>> spec = {"type": "naive bayes", "classifications": ["ham", "spam"], "classCounts": [3, 1],
    ...         "featureCounts": [[[0, 2]], [[1, 1]]], "totalNumFeatures": 2, "encoder": "imdb vocab"}
    >>> loaded = model_file_from_spec(spec, name="spam filter")
    >>> loaded.metadata.name, loaded.metadata.class_names, loaded.metadata.encoder
    ('spam filter', ('ham', 'spam'), 'IMDB vocab')
    >>> model_file_from_spec({**spec, "classifications": ["ham", "spam", "eggs"]})
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: malformed 'naive bayes' model: classifications names 3 classes, the model has 2
    """
    if not isinstance(spec, dict):
        raise ModelFileError(f"a model file holds a JSON object, got {type(spec).__name__}")
    cls = _mirror_class(spec.get("type"))
    try:
        model = cls.from_reference_spec(spec)
        model.model_params()
        model.to_words()
        class_names = cls.reference_class_names(spec)
        fields.check_names(class_names, model.n_classes)
        extras = {attribute: spec[key] for key, attribute in EXTRA_FIELDS.items() if key in spec}
        if isinstance(extras.get("encoder"), str):
            extras["encoder"] = encoder_id(extras["encoder"])
        extras.setdefault("name", model.model_type if name is None else name)
        metadata = ModelMetadata(
            n_features=model.n_features,
            feature_kind=_feature_kind(model),
            class_names=tuple(class_names),
            feature_indices=model.get_params().get("feature_indices"),
            **extras,
        )
        metadata.to_json()  # fits what deployment publishes
    except (ValueError, OverflowError) as exc:  # ModelFileError and MetadataError included
        raise ModelFileError(f"malformed {spec['type']!r} model: {exc}") from None
    return ModelFile(model, metadata)


def model_from_spec(spec: dict[str, Any]) -> OnChainModel:
    """The fitted mirror of a parsed reference-format model (:func:`model_file_from_spec` without the metadata).

    >>> model_from_spec({"type": "dense perceptron", "weights": [0.5, -0.25], "intercept": 0}).coef_.tolist()
    [500000000, -250000000]
    """
    return model_file_from_spec(spec).model


def model_to_spec(model: OnChainModel, metadata: ModelMetadata | None = None) -> dict[str, Any]:
    """The reference-format JSON object of a fitted mirror.

    Parameters
    ----------
    model : OnChainModel
        A fitted mirror (read from chain, say: it knows no names).
    metadata : ModelMetadata, optional
        Its metadata: the classes are then written under these names (else
        ``"0"``, ``"1"``, ... or the names the mirror holds), a dense
        perceptron's ``featureIndices`` from it, and its name, description and
        encoder as the fields of :data:`EXTRA_FIELDS`.

    Raises
    ------
    ModelFileError
        When the metadata describes another shape of model: other features,
        another number of classes, or feature indices for a model type whose
        files have none.

    Examples
    --------
    >>> from sumchain.models import SparsePerceptron
    >>> model = SparsePerceptron.from_weights([2 * 10**9, -10**9])
    >>> model_to_spec(model)["classifications"]
    ['0', '1']
    >>> meta = ModelMetadata(name="sentiment", n_features=2, class_names=("Negative", "Positive"), encoder="IMDB vocab")
    >>> spec = model_to_spec(model, meta)
    >>> spec["classifications"], spec["weights"], spec["name"], spec["encoder"]
    (['Negative', 'Positive'], [2.0, -1.0], 'sentiment', 'IMDB vocab')
    """
    if metadata is None:
        return model.to_reference_spec()
    kind = _feature_kind(model)
    if (metadata.n_features, metadata.feature_kind) != (model.n_features, kind):
        raise ModelFileError(
            f"the metadata describes a model of {metadata.n_features} feature {metadata.feature_kind}, "
            f"this {model.model_type} takes {model.n_features} feature {kind}"
        )
    try:
        check_class_count(metadata, model.n_classes)
    except MetadataError as exc:
        raise ModelFileError(str(exc)) from None
    spec = model.to_reference_spec(metadata)
    if metadata.feature_indices is not None and "featureIndices" not in spec:
        raise ModelFileError(f"a {model.model_type} file has no featureIndices, but the metadata has feature_indices")
    described = metadata.to_dict()
    spec.update({key: described[attribute] for key, attribute in EXTRA_FIELDS.items() if attribute in described})
    return spec


def _read_bounded(path: Path) -> bytes:
    """The bytes of a file, read in chunks; ValueError beyond :data:`MAX_FILE_BYTES` (a stream never ends)."""
    chunks, size = [], 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ValueError(f"a model file has at most {MAX_FILE_BYTES:,} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


def read_model_file(path: Path | str) -> ModelFile:
    """Read a reference-format model file: the fitted mirror and its metadata.

    The metadata's name is the file's ``name`` field, else its stem (cut to 100 characters).

    Raises
    ------
    ModelFileError
        When the file cannot be read, is too large, is not JSON within the
        limits above, or does not hold a valid model (the message names the
        file, and the field when one is wrong).

    Examples
    --------
    >>> import tempfile
    >>> from sumchain.models import SparsePerceptron
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name)
    >>> model = SparsePerceptron.from_weights([3, -1, 0], intercept=-1)
    >>> meta = ModelMetadata(name="demo", n_features=3, class_names=("no", "yes"), description="A small model.")
    >>> write_model_file(model, path / "demo.json", meta)
    >>> loaded = read_model_file(path / "demo.json")
    >>> loaded.metadata == meta, loaded.model.to_words() == model.to_words()
    (True, True)
    >>> (path / "deep.json").write_text("[" * 200_000)
    200000
    >>> read_model_file(path / "deep.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.ModelFileError: cannot read .../deep.json: JSON nested 200,000 levels deep, more than the 64 allowed
    >>> folder.cleanup()
    """
    path = Path(path)
    try:
        spec = safe_json.loads(_read_bounded(path).decode("utf-8-sig"), max_items=MAX_JSON_ITEMS)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError included
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    try:
        return model_file_from_spec(spec, name=path.stem[:MAX_NAME])
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def write_model_file(model: OnChainModel, path: Path | str, metadata: ModelMetadata | None = None) -> None:
    """Write a fitted mirror as a reference-format model file (see :func:`model_to_spec` for ``metadata``).

    Raises
    ------
    ModelFileError
        When the metadata does not fit the model or the file cannot be written.
    """
    text = json.dumps(model_to_spec(model, metadata), indent=2) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ModelFileError(f"cannot write {path}: {exc}") from None


__all__ = [
    "EXTRA_FIELDS",
    "MAX_FILE_BYTES",
    "MAX_JSON_ITEMS",
    "REFERENCE_ENCODERS",
    "ModelFile",
    "encoder_id",
    "model_file_from_spec",
    "model_from_spec",
    "model_to_spec",
    "read_model_file",
    "write_model_file",
]
