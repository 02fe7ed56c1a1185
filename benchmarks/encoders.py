"""Inputs per second of each encoder, side by side, beside the issue's targets.

Texts: the 240 short reviews shipped with sumchain (``sumchain.data.tiny_reviews``,
13 words and 74 characters on average), each encoded alone with ``encode``
(as ``sumchain predict`` does) and all at once with ``transform``. Encoders:
the reference's IMDB vocabulary, MurmurHash3 feature hashing (2**20 buckets
as indices; 512 signed counts), and the all-MiniLM-L6-v2 sentence embedding
when the ``embeddings`` extra is installed (loaded before timing). Images:
scikit-learn's 1,797 digits as 8x8 grey pictures through ``PixelEncoder``.

Each encoder takes its turn for ``--seconds`` per round, the order rotating
each round; round 0 is a warm-up; each figure is the median of the timed
rounds. Targets: the vocabulary and hashing encoders >= 20,000 short texts/s
(``encode``); the embedding's rate is reported.

Usage: ``python benchmarks/encoders.py [--quick] [--json] [--rounds N] [--seconds S]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict

from rates import Case, measure, print_rows

from sumchain.data import tiny_reviews
from sumchain.encoders import Encoder, HashingEncoder, PixelEncoder, SentenceEmbeddingEncoder, VocabularyEncoder
from sumchain.errors import EncoderUnavailable

TEXT_TARGET = 20_000
"""Short texts per second the vocabulary and hashing encoders must reach."""


def cases(with_embeddings: bool) -> list[Case]:
    """What to time."""
    texts, _ = tiny_reviews()
    text_encoders: list[tuple[str, Encoder, float | None]] = [
        ("vocabulary (IMDB vocab)", VocabularyEncoder.imdb(), TEXT_TARGET),
        ("hashing, 2**20 buckets", HashingEncoder(n_features=2**20), TEXT_TARGET),
        ("hashing, 512 signed counts", HashingEncoder(n_features=512, counts=True, signed=True), None),
    ]
    if with_embeddings:
        try:
            embedding = SentenceEmbeddingEncoder()
            embedding.encode(texts[0])  # load the model before timing
            text_encoders.append(("all-MiniLM-L6-v2 embedding", embedding, None))
        except EncoderUnavailable as exc:
            print(f"skipped the embedding: {exc}", file=sys.stderr)
    found = []
    for name, encoder, target in text_encoders:
        found.append(Case(f"{name}: encode", texts, lambda xs, e=encoder: [e.encode(x) for x in xs], target))
        found.append(Case(f"{name}: transform", texts, encoder.transform))
    from sklearn.datasets import load_digits

    pictures = (255 - load_digits().images * 255 / 16).round().astype("uint8")
    found.append(Case("pixels 8x8 (digits images): transform", list(pictures), PixelEncoder().transform))
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 timed round of 0.3 s each")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--no-embeddings", action="store_true", help="leave out the sentence embedding")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    settings = parser.parse_args(argv)
    rounds, seconds = (1, 0.3) if settings.quick else (settings.rounds, settings.seconds)
    rows = measure(cases(not settings.no_embeddings), rounds, seconds)
    if settings.json:
        print(json.dumps([asdict(row) for row in rows], indent=1))
        return
    print_rows(rows, "encoder", rounds, seconds)
    fastest_text = max(row.per_s for row in rows if "encode" in row.name)
    print("ratios to the fastest text encoder (encode):")
    for row in rows:
        if "encode" in row.name:
            print(f"  {row.name:46} {row.per_s / fastest_text:8.4f}x")


if __name__ == "__main__":
    main()
