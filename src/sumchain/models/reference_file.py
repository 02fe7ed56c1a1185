"""Reading model files in the reference system's (0xDeCA10B's) JSON format."""

from __future__ import annotations

import json
from pathlib import Path

from sumchain.errors import ModelFileError
from sumchain.models.base import SCALE
from sumchain.models.sparse_perceptron import SparsePerceptron


def load_sparse_perceptron_file(path: Path) -> SparsePerceptron:
    """Read a reference-format ``sparse perceptron`` JSON model file."""
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    if spec.get("type") != "sparse perceptron":
        raise ModelFileError(f"{path}: only 'sparse perceptron' model files are supported, got {spec.get('type')!r}")
    weights = [round(w * SCALE) for w in spec["weights"]]
    for index, weight in spec.get("sparseWeights", {}).items():
        weights.extend([0] * (int(index) + 1 - len(weights)))
        weights[int(index)] = round(weight * SCALE)
    return SparsePerceptron.from_weights(
        weights,
        intercept=round(spec.get("intercept", 0) * SCALE),
        learning_rate=round(spec.get("learningRate", 0.5) * SCALE),
    )
