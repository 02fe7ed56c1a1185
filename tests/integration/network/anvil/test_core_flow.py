"""The core flow of the embedded-chain tests, on a real anvil node, through SharedModel only:
add, refund and report with deposits; a 10,000-feature model deployed in gas-sized chunks
and resumed after an interruption; the loading and field-overflow revert reasons over RPC.

On anvil gas costs money, so every balance check adds the fee of the
transaction (gas used times effective gas price, read from the node).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_utils import is_checksum_address

from sumchain import (
    ContractReverted,
    DepositRefundTake,
    InsufficientDeposit,
    NearestCentroid,
    SharedModel,
    SparsePerceptron,
)
from sumchain.chain.base import Receipt
from sumchain.chain.rpc import RpcChain
from sumchain.errors import ChainError
from sumchain.incentives import DAY

pytestmark = pytest.mark.anvil

INCENTIVE = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=9 * DAY, any_claim_wait=9 * DAY)
WEIGHTS = [3, -3, 2, -2, 1, -1, 0, 0, 5, -5]
"""Feature 0 says 1, feature 1 says 0, ...; feature 8 says 1 strongly (5 > learning rate 2)."""


def fee(chain: RpcChain, receipt: Receipt) -> int:
    """What the sender paid for gas, in wei."""
    mined = chain.w3.eth.get_transaction_receipt(receipt.tx_hash)
    return int(mined["gasUsed"]) * int(mined["effectiveGasPrice"])


def snapshot(model: SharedModel, added: list[Any]) -> dict[str, Any]:
    """What a reverted call must leave as it was."""
    chain = model.chain
    return {
        "block": chain.block_number(),
        "balances": [chain.balance(a) for a in [*chain.accounts[:3], model.address]],
        "words": model.parameter_words(),
        "contributions": [model.contribution(a.data, a.label, a.added_time, a.author) for a in added],
    }


def last_receipt(chain: RpcChain) -> Receipt:
    """The receipt of the one transaction of the latest block (anvil automines one per block)."""
    block = chain.w3.eth.get_block("latest")
    (tx_hash,) = block["transactions"]
    mined = chain.w3.eth.get_transaction_receipt(tx_hash)
    return Receipt(chain.w3.to_hex(tx_hash), int(block["number"]), int(block["timestamp"]), int(mined["gasUsed"]))


@pytest.fixture
def model(chain: RpcChain) -> SharedModel:
    mirror = SparsePerceptron.from_weights(WEIGHTS, learning_rate=2)
    return SharedModel.deploy(chain, mirror, mechanism=INCENTIVE, sender=0)


def test_node_is_a_dev_chain(chain: RpcChain) -> None:
    assert chain.is_dev
    assert len(chain.accounts) == 10
    assert chain.accounts[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert chain.balance(chain.accounts[9]) > 0


def test_core_flow(chain: RpcChain, model: SharedModel) -> None:
    assert model.mechanism == INCENTIVE
    assert model.owner == chain.accounts[0]
    assert (model.predict([0]), model.predict([1]), model.predict([8]), model.predict([0, 1])) == (1, 0, 1, 0)

    # Account 1 adds a correct sample, paying twice the cost: the excess comes back.
    before = model.balance(1)
    good = model.add_data([0], 1, sender=1, value=2 * model.cost())
    deposit1 = good.cost
    assert deposit1 > 0
    assert good.contribution.deposit == good.contribution.claimable == deposit1
    assert good.contribution.author == chain.accounts[1]
    assert good.receipt.timestamp == good.time
    assert before - model.balance(1) == deposit1 + fee(chain, good.receipt)
    assert fee(chain, good.receipt) > 0

    # Account 2 adds a flipped label; the model moves but still disagrees with it.
    before = model.balance(2)
    bad = model.add_data([8], 0, sender=2, value=2 * model.cost())
    deposit2 = bad.cost
    assert before - model.balance(2) == deposit2 + fee(chain, bad.receipt)
    assert chain.balance(model.address) == deposit1 + deposit2
    assert model.mirror().coef_.tolist()[8] == 3
    assert model.predict([8]) == 1
    assert [c.author for c in model.contributions(everyone=True)] == chain.accounts[1:3]

    # Too early to refund: the revert carries the reason and nothing changes.
    state = snapshot(model, [good.contribution, bad.contribution])
    with pytest.raises(ContractReverted) as caught:
        model.refund([0], 1, good.time, sender=1)
    assert caught.value.reason == "deposit_refund_take: refund wait not over"
    assert snapshot(model, [good.contribution, bad.contribution]) == state

    chain.advance_time(DAY)
    assert chain.time() >= bad.time + DAY

    # Account 1 gets its deposit back.
    before = model.balance(1)
    refunded = model.refund([0], 1, good.time, sender=1)
    assert refunded == deposit1
    receipt = last_receipt(chain)
    assert model.balance(1) == before + deposit1 - fee(chain, receipt)
    assert model.contribution([0], 1, good.time, chain.accounts[1]).status == "refunded"
    assert model.num_valid(1) == 1

    # The author cannot report its own data.
    with pytest.raises(ContractReverted) as caught:
        model.report([8], 0, bad.time, chain.accounts[2], sender=2)
    assert caught.value.reason == "deposit_refund_take: authors cannot report their own data"

    # Account 1, the only validated contributor, takes its share: the whole deposit.
    before = model.balance(1)
    taken = model.report([8], 0, bad.time, chain.accounts[2], sender=1)
    assert taken == deposit2 * model.num_valid(1) // model._call("total_good") == deposit2
    assert model.balance(1) == before + taken - fee(chain, last_receipt(chain))
    assert model.contribution([8], 0, bad.time, chain.accounts[2]).status == "taken"
    assert chain.balance(model.address) == 0


def test_short_deposit_is_refused(chain: RpcChain, model: SharedModel) -> None:
    block = chain.block_number()
    with pytest.raises(InsufficientDeposit, match="insufficient deposit"):
        model.add_data([0], 1, sender=1, value=0)
    assert chain.block_number() == block


def test_an_add_pays_the_deposit_after_the_contributions_waiting_for_its_block(
    chain: RpcChain, model: SharedModel
) -> None:
    """The node holds another contribution for the next block (mining paused, as a real node's
    blocks are slow): the deposit is read after it, so an add sent behind it pays enough, where the
    latest block's deposit would be refused."""
    chain.advance_time(3_600)  # nobody contributed for an hour: the deposit fell
    fallen = model.cost()
    chain.request("evm_setAutomine", False)
    try:
        sent = []
        for sender in chain.accounts[1:3]:
            call = model.add_data_call([0], 1)
            sent.append(
                chain.send(model.address, call.data, sender=sender, value=call.value, estimate_value=call.value + 1)
            )
        assert call.value > fallen  # the first, waiting, raised it
        chain.request("evm_mine")
    finally:
        chain.request("evm_setAutomine", True)
    chain.receipts(sent)
    assert [c.author for c in model.contributions(everyone=True)] == chain.accounts[1:3]


def test_logs_are_chain_records(chain: RpcChain, model: SharedModel) -> None:
    added = model.add_data([0], 1, sender=1)
    (log,) = chain.logs(model.address, from_block=added.receipt.block_number)
    assert log == added.receipt.logs[0]
    assert is_checksum_address(log.address)
    assert all(isinstance(t, bytes) and len(t) == 32 for t in log.topics)
    assert log.tx_hash == added.receipt.tx_hash and log.tx_hash.startswith("0x") and len(log.tx_hash) == 66
    earlier = chain.logs(model.address, to_block=added.receipt.block_number - 1)
    assert [model.abi.decode_event(list(e.topics), e.data)[0] for e in earlier] == ["MetadataPublished"]
    assert earlier[0].block_number == model.deployed_at


def test_failed_transaction_is_replayed_for_its_reason(
    chain: RpcChain, model: SharedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction mined with status 0 (here: sent despite a reverting estimate)."""
    added = model.add_data([0], 1, sender=1)
    monkeypatch.setattr(chain, "estimate_gas", lambda *args, **kwargs: 300_000)
    block = chain.block_number()
    with pytest.raises(ContractReverted) as caught:
        model.refund([0], 1, added.time, sender=1)
    assert caught.value.reason == "deposit_refund_take: refund wait not over"
    assert chain.block_number() == block + 1


class Interrupted(Exception):
    """Stands for a deployment killed between two transactions."""


def test_large_model_deploys_in_gas_sized_chunks_and_resumes(chain: RpcChain) -> None:
    """10,000 features at 64 bits (2,500 words): several chunks, each within the 30M block gas limit."""
    rng = random.Random(7)
    weights = [rng.randint(-(10**12), 10**12) for _ in range(10_000)]
    mirror = SparsePerceptron.from_weights(weights, weight_bits=64)
    receipts: list[Receipt] = []

    def stop_after_first_chunk(done: int, total: int, receipt: Receipt) -> None:
        receipts.append(receipt)
        if done > 0:
            raise Interrupted

    with pytest.raises(Interrupted):
        SharedModel.deploy(chain, mirror, mechanism=INCENTIVE, on_chunk=stop_after_first_chunk)
    assert receipts[0].contract_address is not None
    model = SharedModel(chain, receipts[0].contract_address)
    loaded = model._call("words_loaded")
    assert 0 < loaded < model._call("total_words") == len(mirror.to_words()) == 2_500
    assert not model.ready()
    with pytest.raises(ContractReverted, match="trainer: parameters not loaded"):
        model.predict([0])
    model.upload_parameters(mirror.to_words(), on_chunk=lambda done, total, receipt: receipts.append(receipt))
    assert model.ready()
    loads = receipts[1:]
    assert len(loads) >= 3
    assert all(r.gas_used <= chain.w3.eth.get_block(r.block_number)["gasLimit"] for r in receipts)
    assert model.parameter_words() == mirror.to_words()
    for _ in range(5):
        sample = sorted(rng.sample(range(10_000), 40))
        assert model.predict(sample) == mirror.predict([sample])[0]


def test_loading_rules_revert_with_their_reasons(chain: RpcChain) -> None:
    mirror = SparsePerceptron.from_weights([1] * 9, learning_rate=1, weight_bits=64)  # 3 words
    receipts: list[Receipt] = []

    def stop_after_creation(done: int, total: int, receipt: Receipt) -> None:
        receipts.append(receipt)
        raise Interrupted

    with pytest.raises(Interrupted):
        SharedModel.deploy(chain, mirror, on_chunk=stop_after_creation)
    assert receipts[0].contract_address is not None
    model = SharedModel(chain, receipts[0].contract_address)
    words = mirror.to_words()
    with pytest.raises(ContractReverted) as caught:
        model._transact("load_parameters", 0, words[:1], sender=1)
    assert caught.value.reason == "trainer: caller is not the owner"
    with pytest.raises(ContractReverted) as caught:
        model._transact("load_parameters", 1, words[1:2], sender=0)
    assert caught.value.reason == "packed_words: chunk out of order"
    with pytest.raises(ContractReverted) as caught:
        model.add_data([0], 1, sender=1)
    assert caught.value.reason == "trainer: parameters not loaded"
    model.upload_parameters(words)
    with pytest.raises(ContractReverted) as caught:
        model._transact("load_parameters", 3, [1], sender=0)
    assert caught.value.reason == "packed_words: parameters already loaded"
    assert model.parameter_words() == words


def test_overflowing_update_reverts_with_its_reason(chain: RpcChain) -> None:
    mirror = NearestCentroid.from_centroids([[1], [2]], [2**64 - 1, 1])  # the data count of class 0 is full
    model = SharedModel.deploy(chain, mirror)
    state = snapshot(model, [])
    with pytest.raises(ContractReverted) as caught:
        model.add_data([3], 0, sender=1)
    assert caught.value.reason == "fields: value overflows its field"
    assert snapshot(model, []) == state
    assert model.parameter_words() == mirror.to_words()


def test_advance_time_needs_a_dev_chain(anvil_chain: RpcChain) -> None:
    other = RpcChain(anvil_chain.url)
    other.__dict__["is_dev"] = False  # as if the node were not anvil
    with pytest.raises(ChainError, match="only on dev chains"):
        other.advance_time(60)
    with pytest.raises(ChainError, match="only on dev chains"), other.anchor():
        pass


def test_unreachable_node() -> None:
    with pytest.raises(ChainError, match=r"^cannot reach http://127\.0\.0\.1:9: ") as caught:
        RpcChain("http://127.0.0.1:9", timeout=2)
    assert "\n" not in str(caught.value)


def test_predict_many_batches_calls_and_matches_single_calls(chain: RpcChain) -> None:
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([5, -5, 1, -1, 0, 0]))
    samples = [[0], [1], [2, 3], [1, 2, 3], [0, 4, 5]] * 90  # more than one batch
    assert model.predict_many(samples) == [model.predict(s) for s in samples[:5]] * 90
