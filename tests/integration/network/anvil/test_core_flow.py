"""The core flow of the embedded-chain tests, on a real anvil node, through SharedModel only.

On anvil gas costs money, so every balance check adds the fee of the
transaction (gas used times effective gas price, read from the node).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_utils import is_checksum_address

from sumchain import ContractReverted, DepositRefundTake, InsufficientDeposit, SharedModel, SparsePerceptron
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
        "weights": model.mirror().coef_.tolist(),
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
    return SharedModel.deploy(chain, mirror, incentive=INCENTIVE, sender=0)


def test_node_is_a_dev_chain(chain: RpcChain) -> None:
    assert chain.is_dev
    assert len(chain.accounts) == 10
    assert chain.accounts[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert chain.balance(chain.accounts[9]) > 0


def test_core_flow(chain: RpcChain, model: SharedModel) -> None:
    assert model.incentive == INCENTIVE
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


def test_logs_are_chain_records(chain: RpcChain, model: SharedModel) -> None:
    added = model.add_data([0], 1, sender=1)
    (log,) = chain.logs(model.address, from_block=added.receipt.block_number)
    assert log == added.receipt.logs[0]
    assert is_checksum_address(log.address)
    assert all(isinstance(t, bytes) and len(t) == 32 for t in log.topics)
    assert log.tx_hash == added.receipt.tx_hash and log.tx_hash.startswith("0x") and len(log.tx_hash) == 66
    assert chain.logs(model.address, to_block=added.receipt.block_number - 1) == []


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


def test_chunked_deploy(chain: RpcChain) -> None:
    rng = random.Random(7)
    weights = [rng.randint(-(10**12), 10**12) for _ in range(3_000)]
    receipts: list[Receipt] = []
    model = SharedModel.deploy(
        chain,
        SparsePerceptron.from_weights(weights),
        incentive=INCENTIVE,
        on_chunk=lambda done, total, receipt: receipts.append(receipt),
    )
    loads = receipts[1:]
    assert len(loads) > 1
    assert all(r.gas_used <= chain.w3.eth.get_block(r.block_number)["gasLimit"] for r in loads)
    assert model.mirror().coef_.tolist() == weights


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
