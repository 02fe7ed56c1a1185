"""A model's own encoder, read from the chain: same id in a fresh process, raw input through it, bad ids refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sumchain import EmbeddedChain, NaiveBayes, NearestCentroid, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_trainer
from sumchain.data import tiny_reviews
from sumchain.encoders import HashingEncoder, PixelEncoder, VocabularyEncoder
from sumchain.errors import EncoderError, EncoderUnavailable, InvalidSample, MetadataError, UnknownAccount
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.market import Market, PredictionMarket, split_test_set
from sumchain.metadata import ModelMetadata
from tests.unit.encoder_outputs import pictures

REPO = Path(__file__).resolve().parents[2]
FREE = DepositRefundTake(cost_weight=0)
FRESH_PROCESS = """
import json, sys
from sumchain import EmbeddedChain, SharedModel
from sumchain.data import tiny_reviews
from sumchain.encoders import VocabularyEncoder
model = SharedModel(EmbeddedChain(sys.argv[1]), sys.argv[2])
refit = VocabularyEncoder(max_features=200).fit(tiny_reviews()[0])
print(json.dumps({"published": model.metadata.encoder, "rebuilt": model.encoder.id, "refit": refit.id,
                  "features": model.encode("a brilliant, touching film"), "prediction": model.predict("dull mess")}))
"""


def sentiment(encoder: VocabularyEncoder | HashingEncoder) -> SparsePerceptron:
    texts, labels = tiny_reviews()
    return SparsePerceptron(n_features=encoder.n_features).fit(encoder.transform(texts), labels)


def raw_deploy(chain: EmbeddedChain, mirror: SparsePerceptron, metadata: bytes) -> SharedModel:
    """A model whose published metadata is ``metadata`` as it is, bypassing the client's checks."""
    mirror_words = mirror.to_words()
    compiled = compile_trainer(mirror.contract_model, "deposit_refund_take")
    args = ContractABI(compiled.abi).encode_constructor(mirror.model_params(), [0] * 4, metadata)
    address = chain.deploy(compiled.bytecode + args, sender=chain.accounts[0]).contract_address
    model = SharedModel(chain, address)
    model.upload_parameters(mirror_words)
    return model


def test_the_encoder_id_recorded_at_deploy_is_the_one_a_fresh_process_computes(tmp_path) -> None:
    encoder = VocabularyEncoder(max_features=200).fit(tiny_reviews()[0])
    chain = EmbeddedChain(tmp_path / "chain.sqlite")
    meta = encoder.metadata("sentiment", class_names=("negative", "positive"))
    model = SharedModel.deploy(chain, sentiment(encoder), mechanism=FREE, metadata=meta)
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(tmp_path / "chain.sqlite"), model.address],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["published"] == found["rebuilt"] == found["refit"] == encoder.id
    assert found["features"] == encoder.encode("a brilliant, touching film")
    assert found["prediction"] == model.predict(encoder.encode("dull mess"))


def test_raw_text_goes_through_the_models_own_encoder(chain) -> None:
    encoder = HashingEncoder(n_features=4_096)
    model = SharedModel.deploy(chain, sentiment(encoder), mechanism=FREE, metadata=encoder.metadata("hashed"))
    texts = ["a brilliant, touching film", "a dull, boring mess"]
    assert model.encoder == encoder
    assert [model.predict(t) for t in texts] == model.predict_many(texts) == [1, 0]
    assert model.predict_many(encoder.transform(texts)) == [1, 0]
    added = model.add_data(texts[0], "1", sender=1)
    assert added.contribution.data == tuple(encoder.encode(texts[0]))
    with pytest.raises(InvalidSample, match="sample 1: the text has no word"):
        model.predict_many(["good", "!!!"])
    with pytest.raises(InvalidSample, match="this model's encoder reads texts, not images"):
        model.predict(Path("digit.png"))


def test_refunds_and_reports_take_what_an_add_takes(chain) -> None:
    """Text, class names, numpy's integers and account numbers, as add_data and sender take them; and
    what an add returns follows its contribution."""
    encoder = HashingEncoder(n_features=4_096)
    texts, labels = tiny_reviews()
    counts = NaiveBayes(n_features=encoder.n_features).fit(encoder.transform(texts), labels)  # one label moves little
    meta = encoder.metadata("hashed", class_names=("negative", "positive"))
    model = SharedModel.deploy(chain, counts, mechanism=DepositRefundTake(), metadata=meta)
    good = model.add_data("a brilliant, touching film", "positive", sender=1)
    bad = model.add_data("a wonderful, moving story", np.int64(0), sender=2)
    assert model.contribution("a wonderful, moving story", "neg", bad.time, 2).author == chain.accounts[2]
    assert model.class_name(np.int64(1)) == "positive"
    with pytest.raises(InvalidSample, match=r"label must be in \[0, 2\), got 2"):
        model.class_name(2)
    chain.advance_time(DAY)
    assert model.refund("a brilliant, touching film", "positive", good.time, sender=1) > 0
    assert good.contribution.refunded
    assert model.report("a wonderful, moving story", np.int64(0), bad.time, 2, sender=1) > 0
    assert bad.contribution.claimable < bad.cost
    block = chain.block_number()
    with pytest.raises(InvalidSample, match=r"label must be in \[0, 2\), got 5"):
        model.refund("a brilliant, touching film", 5, good.time, sender=1)
    with pytest.raises(UnknownAccount, match="account index 12 is not between 0 and"):
        model.report("a wonderful, moving story", 0, bad.time, 12, sender=1)
    assert chain.block_number() == block


def test_a_market_stakes_on_text_through_the_models_encoder(chain) -> None:
    encoder = HashingEncoder(n_features=4_096)
    parameters = PredictionMarket(stake=10**15, min_duration=DAY, min_contributions=1, reveal_window=DAY)
    market = Market.create(
        chain, sentiment(encoder), parameters, bounty=10**17, metadata=encoder.metadata("hashed market"), sender=0
    )
    samples = encoder.transform(["a brilliant film", "a dull mess"] * 2)
    tests = split_test_set(samples, [1, 0, 1, 0], pieces=2)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=3), sender=0)
    index = market.add_data("a brilliant, touching film", "1", sender=1)
    assert market.contributions()[index][1:3] == (
        chain.accounts[1],
        tuple(encoder.encode("a brilliant, touching film")),
    )


def test_parameters_that_do_not_hash_to_the_id_are_refused_before_anything_is_sent(chain) -> None:
    encoder = HashingEncoder(n_features=4_096)
    forged = {**encoder.params(), "n_features": 4_095}
    meta = ModelMetadata(name="forged", n_features=4_096, encoder=encoder.id, encoder_params=forged)
    block = chain.block_number()
    with pytest.raises(EncoderError, match=r"hash to hashing:[0-9a-f]{16}, not to the model's id"):
        SharedModel.deploy(chain, sentiment(encoder), mechanism=FREE, metadata=meta)
    assert chain.block_number() == block

    published = raw_deploy(chain, sentiment(encoder), meta.to_json())
    block = chain.block_number()
    with pytest.raises(EncoderError, match="not to the model's id"):
        published.add_data("a brilliant film", 1, sender=1)
    assert chain.block_number() == block
    assert published.predict(encoder.encode("a brilliant film")) in (0, 1)  # features still work


def test_an_encoder_that_gives_other_features_is_refused_at_deploy_and_on_use(chain) -> None:
    encoder = HashingEncoder(n_features=2_048)
    meta = ModelMetadata(name="x", n_features=4_096, encoder=encoder.id, encoder_params=encoder.params())
    with pytest.raises(MetadataError, match="takes 4096 feature indices but its encoder"):
        SharedModel.deploy(chain, sentiment(HashingEncoder(n_features=4_096)), mechanism=FREE, metadata=meta)
    published = raw_deploy(chain, sentiment(HashingEncoder(n_features=4_096)), meta.to_json())
    with pytest.raises(MetadataError, match="gives 2048 feature indices"):
        published.predict("good")


def test_an_unknown_encoder_is_named_and_features_still_work(chain) -> None:
    meta = ModelMetadata(name="cats", n_features=4, encoder="MobileNetV2")
    model = SharedModel.deploy(chain, NaiveBayes.from_counts([1, 1], [[1, 0, 0, 0], [0, 1, 0, 0]]), metadata=meta)
    with pytest.raises(EncoderUnavailable, match="'MobileNetV2' is unknown to this sumchain"):
        model.predict("a cat")
    assert model.predict([1]) == 1


def test_an_image_model_reads_image_files_and_arrays(chain, tmp_path) -> None:
    from PIL import Image
    from sklearn.datasets import load_digits

    encoder = PixelEncoder(width=8, height=8)
    mirror = NearestCentroid(n_features=64).fit(encoder.transform(pictures()), load_digits().target[:20])
    model = SharedModel.deploy(chain, mirror, mechanism=FREE, metadata=encoder.metadata("digits"))
    picture = pictures()[7]
    Image.fromarray(np.kron(picture, np.ones((3, 3), dtype=np.uint8))).save(tmp_path / "seven.png")
    assert model.encode(tmp_path / "seven.png") == encoder.encode(picture) == model.encode(picture)
    assert model.predict(tmp_path / "seven.png") == mirror.predict([encoder.encode(picture)])[0]
    with pytest.raises(InvalidSample, match="reads images, not texts"):
        model.predict("seven")
    with pytest.raises(InvalidSample, match=r"input 1: .*fewer than the encoder's 8x8"):
        model.encode_many([picture, picture[:4, :4]])


def test_a_dense_model_reads_its_feature_indices_of_the_encoding(chain) -> None:
    encoder = HashingEncoder(n_features=16, counts=True)
    meta = ModelMetadata(
        name="part",
        n_features=3,
        feature_kind="values",
        encoder=encoder.id,
        encoder_params=encoder.params(),
        feature_indices=(7, 2, 5),
    )
    mirror = NearestCentroid.from_centroids([[10**9, 0, 0], [0, 10**9, 0]], [1, 1])
    model = SharedModel.deploy(chain, mirror, mechanism=FREE, metadata=meta)
    full = encoder.encode("good film good plot")
    assert model.encode("good film good plot") == [full[7], full[2], full[5]]
