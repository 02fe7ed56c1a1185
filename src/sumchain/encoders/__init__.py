"""Encoders: turn raw inputs into the features the on-chain models accept."""

from sumchain.encoders.text import VocabularyEncoder

__all__ = ["VocabularyEncoder"]
