"""Every contract under EIP-170's 24,576 bytes, and every transaction sumchain sends under
EIP-7825's 16,777,216 gas, for the largest models each contract accepts.

What sets the gas of a transaction is a model's shape, not its number of parameters:

- deploying is one creation (the same trainer code for any shape, the metadata at most
  16 KB) and parameter chunks sized from gas estimates (``SharedModel.upload_parameters``),
  however many words there are;
- ``add_data``, ``refund`` and ``report`` cost most with the longest sample (512 indices,
  or 512 values), the widest fields (64 bits) and the most classes the contracts accept
  for that sample: ``n_classes * min(n_features, 512) <= 16,384``, so 32 classes with any
  sample and 64 with samples of up to 256 features (``samples._check_prediction_size``;
  without that bound a 64-class refund would need up to 30 million gas).

Each largest model below is deployed, then account 1 adds the longest sample with label
0, account 2 the same sample with label 1, account 1 gets its refund and reports account
2's contribution: every one of these transactions is measured. The classes are all alike
(equal counts or centroids), so the prediction reads every class to the end and ties at
class 0: the refund of label 0 and the report of label 1 both go through.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sumchain import (
    DensePerceptron,
    DepositRefundTake,
    EmbeddedChain,
    NaiveBayes,
    NearestCentroid,
    SharedModel,
    SparseNearestCentroid,
    SparsePerceptron,
)
from sumchain.chain.abi import ContractABI
from sumchain.chain.base import TX_GAS_CAP
from sumchain.chain.compiler import TRAINERS, compile_contract
from sumchain.incentives import DAY
from sumchain.metadata import METADATA_BYTES
from sumchain.models import OnChainModel
from sumchain.models.naive_bayes import MAX_SMOOTHING
from sumchain.models.samples import MAX_CLASS_VALUES, MAX_SAMPLE
from tests.helpers import assert_deployment_reverts

EIP170_RUNTIME = 24_576
EIP3860_INITCODE = 49_152
INCENTIVE = DepositRefundTake(cost_weight=10**12, refund_wait=DAY)
WIDE = 2**20
"""Features of the widest sparse perceptron deployed here: per-transaction gas does not grow
with them (the contract accepts 2**32), only the number of parameter chunks does."""
BIG = 2**40
"""Data counts and sample counts of the largest models."""


def naive_bayes(n_classes: int, n_features: int) -> tuple[OnChainModel, list[int]]:
    """Counts of 2**63 and the largest smoothing make every factor of the prediction's product
    as large as it gets. One feature fewer than the bound costs more than the bound itself:
    the denominator's power of a sample of 255 (or 511) features multiplies at every one of
    its eight (or nine) bits, that of 256 (or 512) at one."""
    counts = [[2**63] * (n_features - 1) for _ in range(n_classes)]
    mirror = NaiveBayes.from_counts(
        [BIG] * n_classes, counts, total_count=[2**63] * n_classes, smoothing=MAX_SMOOTHING, count_bits=64
    )
    return mirror, list(range(n_features - 1))


def sparse_centroids(n_classes: int, n_features: int) -> tuple[OnChainModel, list[int]]:
    rows = [[2**62] * n_features for _ in range(n_classes)]
    return SparseNearestCentroid.from_centroids(rows, [BIG] * n_classes, value_bits=64), list(range(n_features))


def dense_centroids(n_classes: int, n_features: int) -> tuple[OnChainModel, list[int]]:
    rows = [[0] * n_features for _ in range(n_classes)]
    return NearestCentroid.from_centroids(rows, [BIG] * n_classes, value_bits=64), [2**61] * n_features


def sparse_perceptron() -> tuple[OnChainModel, list[int]]:
    """8-bit weights of 100: the update of a mistake (learning rate 1) leaves the prediction at 1."""
    mirror = SparsePerceptron.from_weights([100] * WIDE, learning_rate=1, weight_bits=8)
    return mirror, [i * (WIDE // MAX_SAMPLE) for i in range(MAX_SAMPLE)]


def dense_perceptron() -> tuple[OnChainModel, list[int]]:
    mirror = DensePerceptron.from_weights([BIG] * MAX_SAMPLE, learning_rate=1, weight_bits=64)
    return mirror, [BIG] * MAX_SAMPLE


LARGEST: dict[str, Callable[[], tuple[OnChainModel, list[int]]]] = {
    "sparse perceptron, 2**20 features": sparse_perceptron,
    "dense perceptron, 512 values": dense_perceptron,
    "naive Bayes, 32 classes x 511 features": lambda: naive_bayes(32, MAX_SAMPLE),
    "naive Bayes, 64 classes x 255 features": lambda: naive_bayes(64, MAX_CLASS_VALUES // 64),
    "sparse nearest centroid, 32 x 512": lambda: sparse_centroids(32, MAX_SAMPLE),
    "sparse nearest centroid, 64 x 256": lambda: sparse_centroids(64, MAX_CLASS_VALUES // 64),
    "dense nearest centroid, 32 x 512": lambda: dense_centroids(32, MAX_SAMPLE),
    "dense nearest centroid, 64 x 256": lambda: dense_centroids(64, MAX_CLASS_VALUES // 64),
}


def test_every_contract_fits_eip170_and_eip3860() -> None:
    """The runtime of each trainer under 24,576 bytes; its creation code with the largest
    constructor arguments (8 parameters, 16 KB of metadata) under 49,152."""
    for name in TRAINERS:
        compiled = compile_contract(name)
        (constructor,) = [entry for entry in compiled.abi if entry["type"] == "constructor"]
        words = int(constructor["inputs"][1]["type"].removeprefix("uint256[").rstrip("]"))  # the mechanism's
        creation = compiled.bytecode + ContractABI(compiled.abi).encode_constructor(
            [2**255 - 1] * 8, [0] * words, b"x" * METADATA_BYTES
        )
        assert compiled.runtime_size < EIP170_RUNTIME, name
        assert len(creation) < EIP3860_INITCODE, name


@pytest.mark.parametrize("case", list(LARGEST))
def test_every_transaction_of_the_largest_models_fits_eip7825(case: str) -> None:
    chain = EmbeddedChain(genesis_time=1_700_000_000)
    mirror, sample = LARGEST[case]()
    gas: dict[str, int] = {}
    model = SharedModel.deploy(
        chain,
        mirror,
        mechanism=INCENTIVE,
        on_chunk=lambda done, total, receipt: gas.setdefault(f"deploy to word {done}", receipt.gas_used),
    )
    assert len(gas) >= 2  # the creation and at least one chunk
    first = model.predict(sample)  # a tie at class 0, or 1 for the perceptrons
    assert first in (0, 1)
    added = model.add_data(sample, first, sender=1)
    other = model.add_data(sample, 1 - first, sender=2, value=10**18)
    gas |= {"add_data": added.receipt.gas_used, "add_data, other label": other.receipt.gas_used}
    chain.advance_time(DAY)
    assert model.predict(sample) == first
    model.refund(sample, first, added.time, sender=1)
    gas["refund"] = chain.block(chain.block_number()).gas_used
    model.report(sample, 1 - first, other.time, chain.accounts[2], sender=1)
    gas["report"] = chain.block(chain.block_number()).gas_used
    over = {step: used for step, used in gas.items() if used >= TX_GAS_CAP}
    assert not over, f"{case}: {over}"


@pytest.mark.parametrize(
    ("trainer", "params", "reason"),
    [
        ("naive_bayes", [MAX_SAMPLE, 33, 10**9, 64], "samples: n_classes \\* sample length above 16384"),
        ("naive_bayes", [257, 64, 10**9, 8], "samples: n_classes \\* sample length above 16384"),
        ("sparse_nearest_centroid", [2**32, 33, 64], "samples: n_classes \\* sample length above 16384"),
        ("nearest_centroid", [512, 33, 8], "samples: n_classes \\* sample length above 16384"),
        ("nearest_centroid", [257, 64, 8], "samples: n_classes \\* sample length above 16384"),
    ],
)
def test_one_class_or_feature_more_is_refused_on_chain_and_by_the_mirrors(trainer, params, reason) -> None:
    assert_deployment_reverts(EmbeddedChain(), trainer, params, reason)
    n_features, n_classes = params[0], params[1]
    with pytest.raises(ValueError, match="must be at most 16384"):
        if trainer == "naive_bayes":
            NaiveBayes(n_features=n_features, n_classes=n_classes).fit([[0]], [0])
        elif trainer == "nearest_centroid":
            NearestCentroid.from_centroids([[1] * n_features] * n_classes)
        else:
            SparseNearestCentroid(n_features=n_features).fit([[k] for k in range(n_classes)], list(range(n_classes)))
