"""What the encoders give on fixed inputs, computed here or in a process of its own.

``python -m tests.unit.encoder_outputs [KIND ...]`` prints :func:`outputs` as
JSON, so a test can compare a fresh process's ids and features with its own.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from sumchain.data import tiny_reviews
from sumchain.encoders import Encoder, HashingEncoder, PixelEncoder, SentenceEmbeddingEncoder, VocabularyEncoder

TEXTS = ["A wonderful, brilliant movie!", "an awful<br />boring mess", "Café 10/10 — naïve 🎬 fun", "ok"]


def pictures() -> np.ndarray:
    """Twenty of scikit-learn's digits as grey pictures (dark ink on white)."""
    from sklearn.datasets import load_digits

    return np.round(255 - load_digits().images[:20] * 255 / 16).astype(np.uint8)


def encoders(kinds: list[str]) -> dict[str, tuple[Encoder, list[Any]]]:
    """Each encoder of ``kinds`` with the inputs it is tried on."""
    made: dict[str, tuple[Encoder, list[Any]]] = {}
    if "vocabulary" in kinds:
        made["vocabulary"] = (VocabularyEncoder(max_features=300).fit(tiny_reviews()[0]), TEXTS[:3])
    if "hashing" in kinds:
        made["hashing"] = (HashingEncoder(n_features=2**18), TEXTS)
        made["hashing-signed"] = (HashingEncoder(n_features=64, counts=True, signed=True), TEXTS)
    if "pixels" in kinds:
        made["pixels"] = (PixelEncoder(width=8, height=8), list(pictures()))
    if "embedding" in kinds:
        made["embedding"] = (SentenceEmbeddingEncoder(), TEXTS)
    return made


def outputs(kinds: list[str]) -> dict[str, dict[str, Any]]:
    """Each encoder's id, parameters and features of its inputs."""
    return {
        name: {"id": enc.id, "params": enc.params(), "features": enc.transform(inputs)}
        for name, (enc, inputs) in encoders(kinds).items()
    }


if __name__ == "__main__":
    print(json.dumps(outputs(sys.argv[1:])))
