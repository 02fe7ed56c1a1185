"""Model metadata published at deployment: read back from the chain alone, labels by name."""

from __future__ import annotations

import pytest

from sumchain import ContractReverted, DepositRefundTake, InvalidSample, NaiveBayes, NearestCentroid, SharedModel
from sumchain.chain.abi import ContractABI
from sumchain.chain.base import Receipt
from sumchain.chain.compiler import compile_trainer
from sumchain.errors import MetadataError, SumchainError
from sumchain.incentives import DAY
from sumchain.incentives.prediction_market import MAX_TEST_SAMPLES
from sumchain.market import PredictionMarket
from sumchain.metadata import METADATA_BYTES, ModelMetadata
from sumchain.models.base import SCALE

FREE = DepositRefundTake(cost_weight=0)
MARKET = PredictionMarket(MAX_TEST_SAMPLES, min_duration=DAY, min_contributions=1, reveal_window=DAY, claim_wait=DAY)
SENTIMENT = ModelMetadata(
    name="sentiment",
    n_features=6,
    class_names=("Negative", "Neutral", "Positive"),
    description="Three-way sentiment of movie reviews.",
    encoder="imdb-vocabulary",
)


def naive_bayes() -> NaiveBayes:
    """A 3-class naive Bayes over 6 features."""
    counts = [[5, 1, 0, 2, 1, 0], [1, 1, 4, 1, 1, 1], [0, 2, 1, 1, 4, 5]]
    return NaiveBayes.from_counts([10, 8, 12], counts)


def nearest_centroid() -> NearestCentroid:
    """A dense 2-class nearest centroid of dimension 3."""
    return NearestCentroid.from_centroids([[SCALE, 0, 0], [0, SCALE, 0]], [4, 4])


def deploy_and_creation(chain, mirror, metadata: ModelMetadata, mechanism=FREE) -> tuple[SharedModel, Receipt]:  # type: ignore[no-untyped-def]
    """Deploy with ``metadata``; returns the model and the receipt of its creation."""
    receipts: list[Receipt] = []
    model = SharedModel.deploy(
        chain, mirror, mechanism=mechanism, metadata=metadata, on_chunk=lambda done, total, r: receipts.append(r)
    )
    return model, receipts[0]


def raw_deploy(chain, mirror, metadata: bytes) -> str:  # type: ignore[no-untyped-def]
    """Create the trainer with ``metadata`` as it is, bypassing the client's checks; returns its address."""
    compiled = compile_trainer(mirror.contract_model, "deposit_refund_take")
    args = ContractABI(compiled.abi).encode_constructor(mirror.model_params(), [0] * 4, metadata)
    return chain.deploy(compiled.bytecode + args, sender=chain.accounts[0]).contract_address


@pytest.mark.parametrize("mechanism", [FREE, MARKET], ids=["trainer", "market"])
def test_naive_bayes_metadata_is_read_back_by_a_new_client(chain, mechanism) -> None:
    deployed, creation = deploy_and_creation(chain, naive_bayes(), SENTIMENT, mechanism)
    found = SharedModel(chain, deployed.address)
    assert found.metadata == SENTIMENT
    assert found.deployed_at == creation.block_number
    assert found._events(creation, "MetadataPublished") == [{"metadata": SENTIMENT.to_json()}]
    assert [found.class_name(k) for k in range(3)] == ["Negative", "Neutral", "Positive"]
    assert found.label("Positive") == found.label("pos") == found.label("POSITIVE") == 2
    assert found.label("neu") == found.label("1") == found.label(1) == 1
    assert found.label(0) == 0
    assert found.label("\uff30ositive") == 2  # a fullwidth P: the same name to Unicode (NFKC)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ne", "is ambiguous"),
        ("happy", "is not a class of this model"),
        (3, r"in \[0, 3\), got 3"),
        ("3", r"got 3"),
        ("\u0661", "is not a class of this model"),  # an Arabic-Indic 1: not a class number
        ("\uff11", "is not a class of this model"),  # nor a fullwidth 1, which NFKC spells 1
        ("\u00b2", "is not a class of this model"),  # nor a superscript 2
        ("9" * 5_000, r"label '9{40}\.\.\.' is not a class"),
    ],
)
def test_labels_that_name_no_single_class_are_refused(chain, value, problem) -> None:
    deployed = SharedModel.deploy(chain, naive_bayes(), mechanism=FREE, metadata=SENTIMENT)
    with pytest.raises(InvalidSample, match=problem):
        SharedModel(chain, deployed.address).label(value)


def test_dense_metadata_without_class_names_uses_numbers(chain) -> None:
    meta = ModelMetadata(
        name="fitness", n_features=3, feature_kind="values", encoder="embedding", feature_indices=(7, 2, 5)
    )
    deployed, _ = deploy_and_creation(chain, nearest_centroid(), meta)
    found = SharedModel(chain, deployed.address)
    assert found.metadata == meta
    assert found.metadata.feature_indices == (7, 2, 5)
    assert [found.class_name(k) for k in range(2)] == ["0", "1"]
    assert found.label("1") == found.label(1) == 1
    with pytest.raises(InvalidSample, match=r"must be in \[0, 2\)"):
        found.label(2)


def test_default_metadata_describes_the_mirror(chain) -> None:
    sparse = SharedModel.deploy(chain, naive_bayes(), mechanism=FREE)
    dense = SharedModel.deploy(chain, nearest_centroid(), mechanism=FREE)
    assert SharedModel(chain, sparse.address).metadata == ModelMetadata(
        name="naive bayes", n_features=6, feature_kind="indices"
    )
    assert SharedModel(chain, dense.address).metadata == ModelMetadata(
        name="dense nearest centroid classifier", n_features=3, feature_kind="values"
    )


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        (SENTIMENT.with_classes(["Negative", "Positive"]), "the model has 3 classes but the metadata names 2"),
        (ModelMetadata(name="x", n_features=7), "the model takes 6 feature indices but the metadata says 7"),
        (ModelMetadata(name="x", n_features=6, feature_kind="values"), "takes 6 feature indices but the metadata"),
    ],
)
def test_metadata_that_does_not_fit_the_model_is_refused_before_sending(chain, meta, problem) -> None:
    block = chain.block_number()
    with pytest.raises(MetadataError, match=problem):
        SharedModel.deploy(chain, naive_bayes(), mechanism=FREE, metadata=meta)
    assert chain.block_number() == block


def padded(size: int) -> ModelMetadata:
    """Metadata whose canonical JSON takes exactly ``size`` bytes."""
    bare = ModelMetadata(name="big", n_features=6, encoder_params={"pad": ""})
    return ModelMetadata(name="big", n_features=6, encoder_params={"pad": "x" * (size - len(bare.to_json()))})


def test_metadata_of_the_largest_size_is_published(chain) -> None:
    largest = padded(METADATA_BYTES)
    assert len(largest.to_json()) == METADATA_BYTES
    deployed = SharedModel.deploy(chain, naive_bayes(), mechanism=FREE, metadata=largest)
    assert SharedModel(chain, deployed.address).metadata == largest


def test_metadata_one_byte_larger_is_refused_by_the_client_and_the_contract(chain) -> None:
    """The contract's bound is ``sumchain.metadata.METADATA_BYTES``: one more byte does not decode."""
    with pytest.raises(MetadataError, match="more than the 16,384 allowed"):
        padded(METADATA_BYTES + 1).to_json()
    assert raw_deploy(chain, naive_bayes(), b"{" * METADATA_BYTES)
    with pytest.raises(ContractReverted, match="without a reason"):  # the ABI decoder's bound check
        raw_deploy(chain, naive_bayes(), b"{" * (METADATA_BYTES + 1))


def test_metadata_the_node_lost_is_a_clear_error(chain) -> None:
    deployed = SharedModel.deploy(chain, naive_bayes(), mechanism=FREE, metadata=SENTIMENT)
    found = SharedModel(chain, deployed.address)
    found.__dict__["deployed_at"] = found.deployed_at + 1  # as if the node had no logs of the deployment block
    with pytest.raises(SumchainError, match="no MetadataPublished event"):
        _ = found.metadata


@pytest.mark.parametrize(
    ("published", "problem"),
    [
        (b"{", "metadata is not JSON"),
        (ModelMetadata(name="x", n_features=6, class_names=("a", "b")).to_json(), "the metadata names 2"),
    ],
)
def test_published_metadata_that_is_malformed_or_does_not_fit_is_refused(chain, published, problem) -> None:
    found = SharedModel(chain, raw_deploy(chain, naive_bayes(), published))
    with pytest.raises(MetadataError, match=problem):
        _ = found.metadata
