"""Encoders: turn raw inputs into the features the on-chain models accept.

A model names its encoder in its metadata (``ModelMetadata.encoder``), so any
client encodes raw input exactly as the owner did: :func:`encoder_for` finds
the installed encoder for that id.
"""

from __future__ import annotations

from collections.abc import Callable

from sumchain.encoders.text import VocabularyEncoder
from sumchain.errors import SumchainError

IMDB_VOCABULARY = "IMDB vocab"
"""The id of the reference's 1000-word IMDB vocabulary (the reference's own name for it)."""
_ENCODERS: dict[str, Callable[[], VocabularyEncoder]] = {IMDB_VOCABULARY.casefold(): VocabularyEncoder.imdb}


def encoder_for(encoder_id: str | None) -> VocabularyEncoder:
    """The installed encoder with this id (compared case-insensitively).

    Raises
    ------
    SumchainError
        When the model names no encoder, or one this installation does not have.

    Examples
    --------
    >>> encoder_for("imdb vocab").n_features
    1000
    """
    if encoder_id is None:
        raise SumchainError("this model names no encoder for raw input: give its features with --sample")
    factory = _ENCODERS.get(encoder_id.casefold())
    if factory is None:
        raise SumchainError(
            f"this model's encoder {encoder_id!r} is not installed here (known: {IMDB_VOCABULARY!r}): "
            "give its features with --sample"
        )
    return factory()


__all__ = ["IMDB_VOCABULARY", "VocabularyEncoder", "encoder_for"]
