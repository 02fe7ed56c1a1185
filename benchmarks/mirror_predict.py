"""Predictions per second of the Python mirrors, batched and one at a time, beside scikit-learn.

The model is the reference's IMDB sparse perceptron (``imdb-sentiment-model.json``
from ``../shared/original``); the samples are the 25,000 IMDB test reviews
(``../shared/datasets``) through the reference's vocabulary, encoded once
before timing. Cases:

- ``mirror.predict(samples)``: one call for all of them (validated, then scored
  in int64 at once), the target >= 100,000 samples/s;
- ``mirror.predict([sample])`` for each: one at a time, as a client predicting one
  text does;
- scikit-learn's ``Perceptron.predict`` with the same weights (as floats), on a
  CSR matrix built from the same index lists, and on that matrix already built.

Predictions of the mirror and of scikit-learn are compared before timing (they
may differ only where a score is within float rounding of 0). The harness and
its rounds are those of ``benchmarks/rates.py``.

Usage: ``python benchmarks/mirror_predict.py [--quick] [--json] [--imdb PATH]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from rates import Case, measure, print_rows

from sumchain.datasets import IMDB_ARCHIVE, read_imdb
from sumchain.encoders import VocabularyEncoder
from sumchain.models import SparsePerceptron
from sumchain.models.fixed_point import SCALE
from sumchain.models.reference_file import read_model_file
from sumchain.original import IMDB_MODEL

BATCH_TARGET = 100_000
"""Samples per second the batched mirror prediction must reach."""
ONE_AT_A_TIME = 5_000
"""Samples predicted one call each per pass (a pass over all 25,000 would take seconds)."""


def csr(samples: Sequence[Sequence[int]], n_features: int) -> Any:
    """The index lists as a binary CSR matrix (scipy comes with scikit-learn)."""
    from scipy.sparse import csr_matrix

    lengths = np.fromiter(map(len, samples), dtype=np.int64, count=len(samples))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    indices = np.fromiter((i for s in samples for i in s), dtype=np.int64, count=int(indptr[-1]))
    return csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(samples), n_features))


def sklearn_twin(mirror: SparsePerceptron) -> Any:
    """A fitted scikit-learn Perceptron holding the mirror's weights as floats."""
    from sklearn.linear_model import Perceptron

    clf = Perceptron()
    clf.coef_ = mirror.coef_.astype(float)[None, :] / SCALE
    clf.intercept_ = np.array([mirror.intercept_ / SCALE])
    clf.classes_ = np.array([0, 1])
    clf.n_features_in_ = mirror.n_features
    return clf


def cases(samples: list[list[int]], mirror: SparsePerceptron) -> list[Case]:
    """What to time, after checking that the mirror and scikit-learn agree."""
    clf, matrix = sklearn_twin(mirror), csr(samples, mirror.n_features)
    disagree = int(np.sum(mirror.predict(samples) != clf.predict(matrix)))
    print(
        f"mirror and scikit-learn disagree on {disagree} of {len(samples):,} reviews (float rounding at 0)",
        file=sys.stderr,
    )
    one, n = samples[:ONE_AT_A_TIME], mirror.n_features
    return [
        Case("mirror predict, batched", samples, mirror.predict, BATCH_TARGET),
        Case("mirror predict, one at a time", one, lambda xs: [mirror.predict([x]) for x in xs]),
        Case("scikit-learn predict, CSR built from the lists", samples, lambda xs: clf.predict(csr(xs, n))),
        Case("scikit-learn predict, CSR already built", [matrix], lambda m: clf.predict(m[0]), size=len(samples)),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 timed round of 0.3 s each")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--imdb", type=Path, default=IMDB_ARCHIVE, help="aclImdb_v1_labeled.tar.gz")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    settings = parser.parse_args(argv)
    if not settings.imdb.exists():
        raise SystemExit(f"no IMDB archive at {settings.imdb} (see ../shared/datasets/README.md)")
    mirror = read_model_file(IMDB_MODEL).model
    assert isinstance(mirror, SparsePerceptron)
    texts, _ = read_imdb(settings.imdb, "test")
    samples = VocabularyEncoder.imdb().transform(texts)
    found = cases(samples, mirror)
    rounds, seconds = (1, 0.3) if settings.quick else (settings.rounds, settings.seconds)
    rows = measure(found, rounds, seconds)
    if settings.json:
        print(json.dumps([asdict(row) for row in rows], indent=1))
        return
    print(f"IMDB sparse perceptron (the reference's model file), {len(samples):,} test reviews")
    print_rows(rows, "prediction", rounds, seconds)
    batched = rows[0].per_s
    for row in rows[1:]:
        print(f"  batched mirror / {row.name:44} {batched / row.per_s:8.2f}x")


if __name__ == "__main__":
    main()
