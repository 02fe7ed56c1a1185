"""What every encoder shares: its id and parameters, checks of raw input, many inputs at once.

An encoder is fixed by its *kind* and its *parameters* (a small JSON object).
Its id, recorded on chain in the model's metadata with the parameters beside
it, is ``"<kind>:<first 16 hex digits of the SHA-256 of the canonical JSON of
the parameters>"`` (canonical as the metadata: sorted keys, no spaces, UTF-8),
or the name of a built-in encoder when the parameters are a built-in's (the
reference's ``"IMDB vocab"`` and ``"MurmurHash3"``, which need no parameters
on chain). A client rebuilds the encoder from the parameters and refuses them
when they do not hash to the id, so every client encodes as the owner did.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from sumchain.errors import EncoderError, InvalidSample

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

ID_HEX_DIGITS = 16
"""Hex digits of the parameters' SHA-256 in an encoder id (64 bits)."""
MAX_PARAMS_BYTES = 12_288
"""Largest encoder parameters, in bytes of canonical JSON: three quarters of the metadata's
16,384 bytes, the rest left for the name, description and class names."""
MAX_TEXT_CHARS = 100_000
"""Longest text an encoder takes, in characters (the longest IMDB review has 13,704)."""


def canonical_json(params: Mapping[str, Any]) -> bytes:
    """Parameters as the metadata publishes them: sorted keys, no spaces, UTF-8.

    >>> canonical_json({"b": 1, "a": [True, "é"]})
    b'{"a":[true,"\\xc3\\xa9"],"b":1}'
    """
    try:
        text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EncoderError(f"encoder parameters are not JSON: {exc}") from None
    return text.encode()


def params_id(kind: str, params: Mapping[str, Any]) -> str:
    """The id of an encoder of ``kind`` with these parameters.

    >>> params_id("hashing", {"n_features": 1024, "counts": False, "signed": False})
    'hashing:d590e6609a786f7f'
    """
    return f"{kind}:{hashlib.sha256(canonical_json(params)).hexdigest()[:ID_HEX_DIGITS]}"


def check_text(text: Any) -> str:
    """A text an encoder can take: a string of at most :data:`MAX_TEXT_CHARS` characters, with
    something besides white space, that is valid Unicode (no lone surrogate).

    >>> check_text("  ")
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: the text is empty
    """
    if not isinstance(text, str):
        raise InvalidSample(f"a text input is a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSample(f"the text has {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} an encoder takes")
    if not text.strip():
        raise InvalidSample("the text is empty")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise InvalidSample(f"the text is not valid Unicode (a lone surrogate at position {exc.start})") from None
    return text


def check_names(params: Any, kind: str, names: Iterable[str]) -> Mapping[str, Any]:
    """Raise :class:`EncoderError` unless ``params`` is a mapping with exactly these names.

    >>> check_names({"width": 8}, "pixels", ["width", "height"])
    Traceback (most recent call last):
    ...
    sumchain.errors.EncoderError: pixels encoder parameters are ['height', 'width'], got ['width']
    """
    wanted = sorted(names)
    if not isinstance(params, Mapping) or sorted(params) != wanted:
        got = sorted(params) if isinstance(params, Mapping) else type(params).__name__
        raise EncoderError(f"{kind} encoder parameters are {wanted}, got {got}")
    return params


def check_int(value: Any, what: str, low: int, high: int) -> int:
    """Raise :class:`EncoderError` unless ``value`` is an integer (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EncoderError(f"{what} must be an integer in [{low:,}, {high:,}], got {value!r:.40}")
    return value


class Encoder(ABC):
    """Turns raw input (text or an image) into the features an on-chain model takes.

    A subclass sets its ``kind`` (the prefix of its ids), what it reads
    (``input_kind``), how to rebuild it from its parameters
    (:meth:`from_params`) and how it encodes one input (:meth:`encode`).
    Encoders that learn from data (the vocabulary) do so in :meth:`fit`; the
    others have nothing to learn and :meth:`fit` returns them unchanged.
    """

    kind: ClassVar[str]
    """The prefix of the encoder's ids: ``vocabulary``, ``hashing``, ``embedding``, ``pixels``."""
    input_kind: ClassVar[str]
    """What it reads: ``"text"`` or ``"image"``."""

    @property
    @abstractmethod
    def n_features(self) -> int:
        """Size of the feature space (indices) or dimension (values)."""

    @property
    @abstractmethod
    def feature_kind(self) -> str:
        """``"indices"`` (sorted unique feature indices, for sparse models) or ``"values"``
        (a fixed-point vector at scale 1e9, never all zero, for dense models)."""

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters that fix the encoder, as JSON values (what :meth:`from_params` takes)."""

    @classmethod
    @abstractmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        """Rebuild an encoder from :meth:`params`, checking them; heavy resources load on first use.

        Raises
        ------
        EncoderError
            When a parameter is missing, unknown or malformed.
        """

    @abstractmethod
    def encode(self, raw: Any) -> list[int]:
        """The features of one input, ready for the model.

        Raises
        ------
        InvalidSample
            When the input cannot be encoded (empty, oversize, wrong shape) or encodes to no
            feature: nothing can be sent.
        """

    def fit(self, X: Iterable[Any], y: Iterable[int] | None = None) -> Self:
        """Learn what the encoder needs from a corpus; this one needs nothing. Returns ``self``."""
        return self

    def transform(self, X: Iterable[Any]) -> list[list[int]]:
        """The features of each input (the error names the first bad one).

        Raises
        ------
        InvalidSample
            As :meth:`encode`, with the input's position.
        """
        found = []
        for i, raw in enumerate(X):
            try:
                found.append(self.encode(raw))
            except InvalidSample as exc:
                raise InvalidSample(f"input {i}: {exc}") from None
        return found

    @property
    def id(self) -> str:
        """The id recorded on chain: a built-in's name, else ``"<kind>:<16 hex digits>"``."""
        from sumchain.encoders.registry import builtin_name

        return builtin_name(self) or params_id(self.kind, self.params())

    @property
    def encoder_params(self) -> dict[str, Any] | None:
        """The parameters to publish beside the id: none for a built-in.

        Raises
        ------
        EncoderError
            When they take more than :data:`MAX_PARAMS_BYTES` of canonical JSON.
        """
        from sumchain.encoders.registry import builtin_name

        if builtin_name(self):
            return None
        params = self.params()
        size = len(canonical_json(params))
        if size > MAX_PARAMS_BYTES:
            raise EncoderError(
                f"the {self.kind} encoder's parameters take {size:,} bytes, more than the {MAX_PARAMS_BYTES:,} "
                f"that fit in a model's metadata{self._too_large_hint()}"
            )
        return params

    def _too_large_hint(self) -> str:
        """What to do when the parameters are too large (for the error message)."""
        return ""

    def describe(self) -> str:
        """One line for people: what the encoder does."""
        return f"{self.kind} encoder, {self.n_features:,} feature {self.feature_kind}"

    def metadata(self, name: str, **fields: Any) -> ModelMetadata:
        """Metadata for a model fed by this encoder: its features, id and parameters, and ``fields``.

        Examples
        --------
        >>> from sumchain.encoders import VocabularyEncoder
        >>> meta = VocabularyEncoder.imdb().metadata("sentiment", class_names=("neg", "pos"))
        >>> meta.encoder, meta.n_features, meta.feature_kind, meta.encoder_params
        ('IMDB vocab', 1000, 'indices', None)
        """
        from sumchain.metadata import ModelMetadata

        return ModelMetadata(
            name=name,
            n_features=self.n_features,
            feature_kind=self.feature_kind,
            encoder=self.id,
            encoder_params=self.encoder_params,
            **fields,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Encoder) and type(other) is type(self) and self.params() == other.params()

    def __hash__(self) -> int:
        return hash(canonical_json(self.params()))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"
