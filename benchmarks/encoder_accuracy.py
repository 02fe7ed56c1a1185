"""Accuracy of the text encoders with the on-chain models on IMDB, side by side.

Each row is an encoder and a model: trained (the Python mirror, bit-exact with
its contract) on the IMDB train split, scored on the test split. Rows:

- ``IMDB vocab`` with the reference's own model file (``imdb-sentiment-model.json``
  from ``../shared/original``, not retrained), and with a sparse perceptron and
  a naive Bayes trained here;
- a 1000-word vocabulary learnt from the train split (``VocabularyEncoder.fit``);
- MurmurHash3 feature hashing into 2**20 buckets;
- all-MiniLM-L6-v2 sentence embeddings (the ``embeddings`` extra) with the dense
  nearest centroid and the dense perceptron.

A review the encoder refuses (more distinct features than a sample's 512, or
none) counts as wrong and is shown in ``refused``. Perceptrons see the train
split shuffled with a fixed seed, for ``--passes`` passes (learning rate 0.5,
intercept 0). Encoding is timed (texts/s over train and test together);
embeddings are cached in ``--cache`` (default ``$SUMCHAIN_CACHE_DIR`` else
``~/.cache/sumchain``), since they take about 50 minutes on 2 cores for the
50,000 reviews.

Usage: ``python benchmarks/encoder_accuracy.py [--imdb PATH] [--train N] [--test N]
[--passes N] [--no-embeddings] [--cache DIR] [--json]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sumchain.datasets import IMDB_ARCHIVE, read_imdb
from sumchain.encoders import Encoder, HashingEncoder, SentenceEmbeddingEncoder, VocabularyEncoder
from sumchain.errors import EncoderUnavailable, InvalidSample
from sumchain.models import DensePerceptron, NaiveBayes, NearestCentroid, OnChainModel, SparsePerceptron
from sumchain.models.fixed_point import SCALE
from sumchain.models.reference_file import read_model_file
from sumchain.original import IMDB_MODEL

SEED = 0


@dataclass(frozen=True)
class Row:
    """One encoder with one model."""

    encoder: str
    model: str
    train: int
    accuracy: float
    refused: int
    texts_per_s: float


@dataclass
class Encoded:
    """A split through one encoder: features (None where refused) and the encoding rate."""

    features: list[list[int] | None]
    texts_per_s: float


def encode(encoder: Encoder, texts: Sequence[str], cache: Path | None) -> Encoded:
    """Each text's features, None for the refused ones; from ``cache`` when it holds them."""
    key = hashlib.sha256(("\n".join([encoder.id, *texts])).encode()).hexdigest()[:16]
    cached = cache / f"imdb-{encoder.kind}-{key}.json" if cache else None
    if cached and cached.exists():
        return Encoded(**json.loads(cached.read_text()))
    start = time.perf_counter()
    if encoder.kind == "embedding":  # no refusal possible for a review; the batch runs on every core
        features: list[list[int] | None] = list(encoder.transform(texts))
    else:
        features = []
        for text in texts:
            try:
                features.append(encoder.encode(text))
            except InvalidSample:
                features.append(None)
    found = Encoded(features, len(texts) / (time.perf_counter() - start))
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(asdict(found)))
    return found


def score(mirror: OnChainModel, test: Encoded, labels: Sequence[int]) -> tuple[float, int]:
    """Accuracy on the test split (refused reviews count as wrong) and the number refused."""
    kept = [i for i, f in enumerate(test.features) if f is not None]
    predicted = mirror.predict([test.features[i] for i in kept])
    right = int(np.sum(predicted == np.asarray(labels)[kept]))
    return right / len(labels), len(labels) - len(kept)


def trained(make: Callable[[], OnChainModel], train: Encoded, labels: Sequence[int]) -> OnChainModel:
    """A mirror fitted on the encodable train reviews, shuffled with a fixed seed."""
    pairs = [(f, y) for f, y in zip(train.features, labels, strict=True) if f is not None]
    random.Random(SEED).shuffle(pairs)
    return make().fit([f for f, _ in pairs], [y for _, y in pairs])


def rows_for(
    name: str,
    encoder: Encoder,
    models: dict[str, Callable[[], OnChainModel]],
    data: dict[str, tuple[list[str], list[int]]],
    settings: argparse.Namespace,
) -> list[Row]:
    """Train and score each model on one encoder's features."""
    (train_texts, train_labels), (test_texts, test_labels) = data["train"], data["test"]
    print(f"encoding with {name} ({encoder.id}) ...", file=sys.stderr, flush=True)
    cache = settings.cache if encoder.kind == "embedding" else None  # the others take seconds
    train, test = encode(encoder, train_texts, cache), encode(encoder, test_texts, cache)
    rate = len(train_texts + test_texts) / (len(train_texts) / train.texts_per_s + len(test_texts) / test.texts_per_s)
    found = []
    for model_name, make in models.items():
        mirror = trained(make, train, train_labels)
        accuracy, refused = score(mirror, test, test_labels)
        found.append(Row(name, model_name, len(train_texts), accuracy, refused, rate))
        print(f"  {model_name}: {accuracy:.2%}", file=sys.stderr, flush=True)
    return found


def reference_row(data: dict[str, tuple[list[str], list[int]]], settings: argparse.Namespace) -> list[Row]:
    """The reference's own IMDB model file, with its vocabulary, on the test split (not retrained)."""
    if not IMDB_MODEL.exists():
        print(f"skipped the reference's model: {IMDB_MODEL} is absent", file=sys.stderr)
        return []
    texts, labels = data["test"]
    encoded = encode(VocabularyEncoder.imdb(), texts, None)
    accuracy, refused = score(read_model_file(IMDB_MODEL).model, encoded, labels)
    return [Row("IMDB vocab", "reference's model file", 0, accuracy, refused, encoded.texts_per_s)]


def subsample(texts: list[str], labels: list[int], size: int | None) -> tuple[list[str], list[int]]:
    """``size`` reviews drawn with a fixed seed (all of them when None), in archive order."""
    if size is None or size >= len(texts):
        return texts, labels
    keep = sorted(random.Random(SEED).sample(range(len(texts)), size))
    return [texts[i] for i in keep], [labels[i] for i in keep]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", type=Path, default=IMDB_ARCHIVE, help="aclImdb_v1_labeled.tar.gz")
    parser.add_argument("--train", type=int, help="train reviews to use (default: all 25,000)")
    parser.add_argument("--test", type=int, help="test reviews to use (default: all 25,000)")
    parser.add_argument("--passes", type=int, default=5, help="perceptron passes over the train split")
    parser.add_argument("--no-embeddings", action="store_true", help="leave out the sentence embeddings")
    default_cache = Path(os.environ.get("SUMCHAIN_CACHE_DIR") or Path.home() / ".cache" / "sumchain")
    parser.add_argument("--cache", type=Path, default=default_cache, help="where encoded reviews are kept")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    settings = parser.parse_args(argv)
    if not settings.imdb.exists():
        raise SystemExit(f"no IMDB archive at {settings.imdb} (see ../shared/datasets/README.md)")
    data = {split: subsample(*read_imdb(settings.imdb, split), getattr(settings, split)) for split in ("train", "test")}
    half, passes = SCALE // 2, settings.passes
    sparse: dict[str, Callable[[int], OnChainModel]] = {
        "sparse perceptron": lambda n: SparsePerceptron(n_features=n, learning_rate=half, max_iter=passes),
        "naive Bayes": lambda n: NaiveBayes(n_features=n),
    }
    learnt = VocabularyEncoder(max_features=1_000).fit(data["train"][0])
    text_encoders: list[tuple[str, Encoder]] = [
        ("IMDB vocab", VocabularyEncoder.imdb()),
        ("vocabulary, top 1000 of train", learnt),
        ("MurmurHash3, 2**20 buckets", HashingEncoder(n_features=2**20)),
    ]
    rows = reference_row(data, settings)
    for name, encoder in text_encoders:
        models = {model: (lambda make=make, n=encoder.n_features: make(n)) for model, make in sparse.items()}
        rows += rows_for(name, encoder, models, data, settings)
    if not settings.no_embeddings:
        try:
            embedding = SentenceEmbeddingEncoder()
        except EncoderUnavailable as exc:
            print(f"skipped the embeddings: {exc}", file=sys.stderr)
        else:
            dense = {
                "dense nearest centroid": lambda: NearestCentroid(n_features=384),
                "dense perceptron": lambda: DensePerceptron(n_features=384, learning_rate=half, max_iter=passes),
            }
            rows += rows_for("all-MiniLM-L6-v2 embedding", embedding, dense, data, settings)
    if settings.json:
        print(json.dumps([asdict(row) for row in rows], indent=1))
        return
    train, test = len(data["train"][0]), len(data["test"][0])
    print(f"IMDB: trained on {train:,} train reviews, scored on {test:,} test reviews ({os.cpu_count()} CPUs)")
    print(f"{'encoder':32} {'model':24} {'accuracy':>9} {'refused':>8} {'encode texts/s':>15}")
    for row in rows:
        print(f"{row.encoder:32} {row.model:24} {row.accuracy:9.2%} {row.refused:8,} {row.texts_per_s:15,.0f}")


if __name__ == "__main__":
    main()
