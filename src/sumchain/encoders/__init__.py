"""Encoders: turn raw inputs (text, images) into the features the on-chain models accept.

A model names its encoder in its metadata (``ModelMetadata.encoder``, with
``encoder_params`` beside it), so any client encodes raw input exactly as the
owner did: :func:`encoder_of` rebuilds it from a model's metadata, checking
that the parameters hash to the id (see :mod:`sumchain.encoders.base`).

| encoder | reads | gives | needs |
|---|---|---|---|
| :class:`VocabularyEncoder` (``"IMDB vocab"``, or learnt by ``fit``) | text | sorted unique indices | - |
| :class:`HashingEncoder` (``"MurmurHash3"``, or any number of buckets) | text | indices, or unit counts | - |
| :class:`SentenceEmbeddingEncoder` (all-MiniLM-L6-v2) | text | 384 unit values | ``sumchain[embeddings]`` |
| :class:`PixelEncoder` (grey cells) | image | unit values | ``sumchain[images]`` for files |

Examples
--------
>>> enc = HashingEncoder(n_features=1024)
>>> meta = enc.metadata("spam filter", class_names=("ham", "spam"))
>>> encoder_of(meta).encode("Win a FREE prize") == enc.encode("win a free prize")
True
"""

from __future__ import annotations

from sumchain.encoders.base import MAX_PARAMS_BYTES, MAX_TEXT_CHARS, Encoder, params_id
from sumchain.encoders.embeddings import SentenceEmbeddingEncoder
from sumchain.encoders.images import PixelEncoder, read_image
from sumchain.encoders.registry import (
    IMDB_VOCABULARY,
    MURMUR_HASH_3,
    check_published_encoder,
    encoder_for,
    encoder_of,
)
from sumchain.encoders.text import HashingEncoder, VocabularyEncoder, tokens

__all__ = [
    "IMDB_VOCABULARY",
    "MAX_PARAMS_BYTES",
    "MAX_TEXT_CHARS",
    "MURMUR_HASH_3",
    "Encoder",
    "HashingEncoder",
    "PixelEncoder",
    "SentenceEmbeddingEncoder",
    "VocabularyEncoder",
    "check_published_encoder",
    "encoder_for",
    "encoder_of",
    "params_id",
    "read_image",
    "tokens",
]
