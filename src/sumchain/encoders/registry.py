"""From an encoder id (and its parameters) to the encoder: built-ins and kinds.

Built-in ids are the reference's names, compared without regard to case:
``"IMDB vocab"`` (its 1000-word vocabulary) and ``"MurmurHash3"`` (each word's
unsigned 32-bit MurmurHash3 as its feature index). Every other sumchain
encoder is ``"<kind>:<16 hex digits>"`` with its parameters published beside
it (see :mod:`sumchain.encoders.base`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from sumchain.encoders.base import ID_HEX_DIGITS, Encoder, params_id
from sumchain.errors import EncoderError, EncoderUnavailable, MetadataError

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

IMDB_VOCABULARY = "IMDB vocab"
"""The id of the reference's 1000-word IMDB vocabulary (the reference's own name for it)."""
MURMUR_HASH_3 = "MurmurHash3"
"""The id of the reference's feature hashing: a word's index is its unsigned 32-bit MurmurHash3."""
GIVE_FEATURES = (
    "give its features instead (--sample on the command line: indices for a sparse model, values for a dense one)"
)
NO_ENCODER = f"this model names no encoder for raw input: {GIVE_FEATURES}"


def _kinds() -> dict[str, type[Encoder]]:
    """Every kind of encoder, by the prefix of its ids."""
    from sumchain.encoders.embeddings import SentenceEmbeddingEncoder
    from sumchain.encoders.images import PixelEncoder
    from sumchain.encoders.text import HashingEncoder, VocabularyEncoder

    return {cls.kind: cls for cls in (VocabularyEncoder, HashingEncoder, SentenceEmbeddingEncoder, PixelEncoder)}


def _builtin_factories() -> dict[str, Callable[[], Encoder]]:
    from sumchain.encoders.text import HashingEncoder, VocabularyEncoder

    return {IMDB_VOCABULARY: VocabularyEncoder.imdb, MURMUR_HASH_3: lambda: HashingEncoder(n_features=2**32)}


@cache
def _builtin(name: str) -> Encoder:
    return _builtin_factories()[name]()


def builtin_name(encoder: Encoder) -> str | None:
    """The built-in id of an encoder with exactly a built-in's kind and parameters, else None.

    >>> from sumchain.encoders import HashingEncoder
    >>> builtin_name(HashingEncoder(n_features=2**32)), builtin_name(HashingEncoder(n_features=1024))
    ('MurmurHash3', None)
    """
    for name in _builtin_factories():
        known = _builtin(name)
        if type(known) is type(encoder) and known.params() == encoder.params():
            return name
    return None


def _known_ids() -> str:
    kinds = ", ".join(f"{kind}:…" for kind in _kinds())
    return f"{IMDB_VOCABULARY!r}, {MURMUR_HASH_3!r}, and {kinds} with parameters"


def encoder_for(encoder_id: str | None, params: Mapping[str, Any] | None = None) -> Encoder:
    """The encoder with this id, rebuilt from its parameters and checked against the id.

    Parameters
    ----------
    encoder_id : str or None
        A built-in name (compared case-insensitively) or ``"<kind>:<16 hex digits>"``.
    params : mapping, optional
        The parameters published with the id (none for a built-in).

    Raises
    ------
    EncoderUnavailable
        When the id is None or names no encoder this installation knows.
    EncoderError
        When the parameters are missing or malformed, given to a built-in, or do not hash to the id.

    Examples
    --------
    >>> encoder_for("imdb vocab").n_features
    1000
    >>> from sumchain.encoders import HashingEncoder
    >>> enc = HashingEncoder(n_features=1024)
    >>> encoder_for(enc.id, enc.params()) == enc
    True
    >>> encoder_for(enc.id, {**enc.params(), "n_features": 2048})
    Traceback (most recent call last):
    ...
    sumchain.errors.EncoderError: the encoder parameters hash to hashing:..., not to the model's id hashing:...
    """
    if encoder_id is None:
        raise EncoderUnavailable(NO_ENCODER)
    folded = encoder_id.casefold()
    for name in _builtin_factories():
        if folded == name.casefold():
            if params is not None:
                raise EncoderError(f"the built-in encoder {name!r} takes no parameters, got {dict(params)}")
            return _builtin(name)
    kind, _, digest = folded.partition(":")
    cls = _kinds().get(kind)
    if cls is None or len(digest) != ID_HEX_DIGITS or not all(c in "0123456789abcdef" for c in digest):
        raise EncoderUnavailable(
            f"this model's encoder {encoder_id!r} is unknown to this sumchain (known: {_known_ids()}): " + GIVE_FEATURES
        )
    if params is None:
        raise EncoderError(f"the encoder {encoder_id!r} needs its parameters, and the model publishes none")
    found = params_id(kind, params)
    if found != folded:
        raise EncoderError(f"the encoder parameters hash to {found}, not to the model's id {encoder_id}")
    return cls.from_params(params)


def encoder_of(metadata: ModelMetadata) -> Encoder:
    """The encoder a model's metadata names, checked to give the model's features.

    A model whose metadata has ``feature_indices`` reads those positions of
    the encoder's values, so the encoder may have more of them.

    Raises
    ------
    EncoderUnavailable, EncoderError
        As :func:`encoder_for`.
    MetadataError
        When the encoder gives other features than the model takes.
    """
    encoder = encoder_for(metadata.encoder, metadata.encoder_params)
    check_features(encoder, metadata)
    return encoder


def check_features(encoder: Encoder, metadata: ModelMetadata) -> None:
    """Raise :class:`MetadataError` unless the encoder gives the features the metadata describes."""
    wanted = metadata.n_features
    positions = metadata.feature_indices
    if positions is not None and encoder.feature_kind == "values":
        wanted = max(positions, default=-1) + 1
        fits = encoder.n_features >= wanted
    else:
        fits = encoder.n_features == wanted
    if encoder.feature_kind != metadata.feature_kind or not fits:
        raise MetadataError(
            f"the model takes {metadata.n_features} feature {metadata.feature_kind} but its encoder "
            f"{metadata.encoder} gives {encoder.n_features} feature {encoder.feature_kind}"
        )


def check_published_encoder(metadata: ModelMetadata) -> None:
    """Before a deployment: an encoder id that sumchain knows must have parameters that hash to it
    and give the model's features. Other ids (another system's encoders) are published as they are.

    Raises
    ------
    EncoderError, MetadataError
        When a known encoder's parameters are wrong or give other features.
    """
    try:
        encoder = encoder_for(metadata.encoder, metadata.encoder_params)
    except EncoderUnavailable:
        return
    check_features(encoder, metadata)
