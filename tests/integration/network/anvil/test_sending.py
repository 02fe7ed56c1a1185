"""Sending at speed on a real anvil: many transactions in flight, nonces counted locally and
asked again when the node disagrees, confirmations, and transactions replaced or dropped."""

from __future__ import annotations

import threading
import time

import pytest

from sumchain import DepositRefundTake, SharedModel, SparsePerceptron
from sumchain.chain import rpc
from sumchain.chain.base import ETHER
from sumchain.chain.rpc import NONCE_TRIES, RpcChain
from sumchain.errors import ChainError, PartlySent, TransactionDropped, TransactionReplaced

from .conftest import connect, running_anvil

pytestmark = pytest.mark.anvil


def test_one_account_keeps_many_transactions_in_flight(chain: RpcChain) -> None:
    weights = [(-1) ** i * (i % 5 + 1) for i in range(16)]
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(weights), mechanism=DepositRefundTake(0))
    sender = chain.accounts[1]
    samples = [[i] for i in range(16)] + [[i, i + 1] for i in range(15)] + [[i, i + 2] for i in range(9)]
    datas = [model.abi.encode_call("add_data", model.codec.encode(s), i % 2) for i, s in enumerate(samples)]
    first_nonce = chain.w3.eth.get_transaction_count(sender)
    pending = [chain.send(model.address, data, sender=sender, gas=300_000) for data in datas]
    assert [p.nonce for p in pending] == list(range(first_nonce, first_nonce + len(datas)))
    receipts = [p.receipt() for p in pending]
    assert [r.tx_hash for r in receipts] == [p.tx_hash for p in pending]
    assert [len(model.abi.decode_event(list(r.logs[0].topics), r.logs[0].data)[1]["data"]) for r in receipts] == [
        4 * len(s) for s in samples
    ]
    assert len(model.contributions(sender)) == len(samples)


def test_a_nonce_used_elsewhere_is_asked_again(chain: RpcChain) -> None:
    sender = chain.accounts[2]
    chain.transact(chain.accounts[3], b"", sender=sender, value=1)  # the local count starts here
    other = connect(chain.url)  # another process with the same key
    other.transact(chain.accounts[3], b"", sender=sender, value=1)
    receipt = chain.transact(chain.accounts[3], b"", sender=sender, value=1)
    assert chain.w3.eth.get_transaction(receipt.tx_hash)["nonce"] == chain.w3.eth.get_transaction_count(sender) - 1


@pytest.mark.parametrize("races", [NONCE_TRIES - 1, NONCE_TRIES])
def test_a_nonce_another_process_takes_again_and_again_is_asked_again_then_given_up(
    chain: RpcChain, monkeypatch: pytest.MonkeyPatch, races: int
) -> None:
    """Each time this client asks the node for the next nonce, another process with the same key sends a
    transaction first: the node refuses this client's nonce, which is asked again, up to NONCE_TRIES times."""
    sender, receiver = chain.accounts[2], chain.accounts[3]
    other, asked = connect(chain.url), chain._count
    left = [races]

    def raced(account: str, block: str) -> int:
        count = asked(account, block)
        if left[0]:
            left[0] -= 1
            other.transact(receiver, b"", sender=sender, value=1)
        return count

    monkeypatch.setattr(chain, "_count", raced)
    chain._nonces.forget(sender)
    before = chain.w3.eth.get_transaction_count(sender)
    if races < NONCE_TRIES:
        chain.transact(receiver, b"", sender=sender, value=2)
        assert chain.w3.eth.get_transaction_count(sender) == before + races + 1
    else:
        with pytest.raises(ChainError, match=f"{NONCE_TRIES} times in a row: another process may be sending from"):
            chain.transact(receiver, b"", sender=sender, value=2)
        assert chain.w3.eth.get_transaction_count(sender) == before + races


def test_confirmations_wait_for_later_blocks() -> None:
    with running_anvil("--block-time", "1") as url:
        chain = RpcChain(url, confirmations=3, timeout=10)
        start = time.monotonic()
        receipt = chain.transact(chain.accounts[1], b"", sender=chain.accounts[0], value=1)
        assert chain.block_number() - receipt.block_number + 1 >= 3
        assert time.monotonic() - start >= 1.5  # at least two more one-second blocks


def test_replaced_and_dropped_transactions_are_told_apart() -> None:
    with running_anvil("--no-mining") as url:
        chain = RpcChain(url, timeout=10, receipt_timeout=20)
        sender = chain.accounts[0]
        first = chain.send(chain.accounts[1], b"", sender=sender, value=1, gas=21_000)
        signer = chain._signer(sender)
        tip = 10 * chain._fees().get("maxPriorityFeePerGas", 1)
        replacement = signer.sign_transaction(
            {
                "to": chain.accounts[2],
                "value": 2,
                "gas": 21_000,
                "nonce": first.nonce,
                "chainId": chain.chain_id,
                "maxFeePerGas": 100 * tip,
                "maxPriorityFeePerGas": tip,
            }
        )
        chain.w3.eth.send_raw_transaction(replacement.raw_transaction)
        miner = threading.Timer(0.5, lambda: chain.request("evm_mine"))
        miner.start()
        with pytest.raises(TransactionReplaced, match=f"nonce {first.nonce} was used by another transaction"):
            first.receipt()
        miner.join()

        dropped = chain.send(chain.accounts[1], b"", sender=sender, value=3, gas=21_000)
        chain.request("anvil_dropTransaction", dropped.tx_hash)
        with pytest.raises(TransactionDropped, match="dropped by the node"):
            dropped.receipt()
        assert chain.balance(chain.accounts[1]) >= 10_000 * ETHER  # nothing of either was paid


def test_balances_come_in_batches_against_one_block(chain: RpcChain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "BATCH_SIZE", 3)  # seven addresses: three batches
    given = [(i + 1) * 10**15 + i for i in range(6)]
    addresses = ["0x" + f"{i + 1:040x}" for i in range(6)]
    for address, wei in zip(addresses, given, strict=True):
        chain.set_balance(address, wei)
    stranger = "0x" + "cd" * 20
    asked = []
    get_balance = chain.w3.eth.get_balance
    monkeypatch.setattr(chain.w3.eth, "get_balance", lambda *args: asked.append(args[1]) or get_balance(*args))
    assert chain.balances([*addresses, stranger]) == [*given, 0]
    assert asked == [chain.block_number()] * 7  # several batches: each against the same block
    asked.clear()
    assert chain.balances(addresses[:2]) == given[:2]
    assert asked == ["latest"] * 2  # one batch: the latest block, no request to pin one
    assert chain.balances([]) == []


def test_many_transactions_go_out_in_batches_and_come_back_in_order(chain: RpcChain) -> None:
    weights = [(-1) ** i * (i % 5 + 1) for i in range(64)]
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(weights), mechanism=DepositRefundTake(0))
    sender = chain.accounts[4]
    samples = [[i] for i in range(64)] + [[i, i + 1] for i in range(63)] + [[i, i + 2] for i in range(62)]
    datas = [model.abi.encode_call("add_data", model.codec.encode(s), i % 2) for i, s in enumerate(samples)]
    sent = chain.send_many(model.address, datas, sender=sender)  # estimated in batches: more than one of them
    receipts = chain.receipts(sent)
    assert [r.tx_hash for r in receipts] == [p.tx_hash for p in sent]
    assert [p.nonce for p in sent] == list(range(sent[0].nonce, sent[0].nonce + len(datas)))
    assert [c.data for c in model.contributions(sender)] == [tuple(s) for s in samples]


def test_a_batch_the_sender_cannot_pay_for_is_not_sent(chain: RpcChain) -> None:
    sender = chain.accounts[5]
    before = chain.w3.eth.get_transaction_count(sender, "pending"), chain.balance(sender)
    with pytest.raises(ChainError, match="cannot pay for 3 transactions"):
        chain.send_many(chain.accounts[6], [b"", b"", b""], sender=sender, value=chain.balance(sender) // 2)
    # nothing sent: not even pending (the block number is no witness: the session's node is shared)
    assert (chain.w3.eth.get_transaction_count(sender, "pending"), chain.balance(sender)) == before


def test_a_refused_transaction_is_said_with_what_was_sent(chain: RpcChain) -> None:
    sender = chain.accounts[7]
    with pytest.raises(PartlySent, match="the node refused 1 of 1 transactions") as refused:
        chain.send_many(chain.accounts[6], [b""], sender=sender, gas=1_000)  # below the intrinsic gas
    assert refused.value.sent == []
    assert chain.transact(chain.accounts[6], b"", sender=sender, value=1).gas_used == 21_000  # nonces still right


def test_a_block_number_reused_after_a_rollback_has_its_own_time(chain: RpcChain) -> None:
    sender, receiver = chain.accounts[5], chain.accounts[6]
    with chain.anchor():
        chain.advance_time(1_000)
        first = chain.transact(receiver, b"", sender=sender, value=1)
    second = chain.transact(receiver, b"", sender=sender, value=2)
    while second.block_number < first.block_number:  # until the same block number is mined anew
        second = chain.transact(receiver, b"", sender=sender, value=2)
    assert second.block_number == first.block_number
    block = chain.w3.eth.get_block(second.block_number)
    assert second.timestamp == int(block["timestamp"]) < first.timestamp
    assert chain.w3.eth.get_transaction_receipt(second.tx_hash)["blockTimestamp"]  # the time read is the receipt's
    (many,) = chain.receipts([chain.send(receiver, b"", sender=sender, value=1)])
    assert many.timestamp == int(chain.w3.eth.get_block(many.block_number)["timestamp"])


def test_a_transaction_anvil_holds_queued_at_the_next_nonce_is_sent_again(chain: RpcChain) -> None:
    # anvil's race (a transaction arriving while the one before it is mined stays "queued" for ever,
    # cf. foundry-rs/foundry#10122), made on purpose: two sent one nonce ahead, then the account's nonce set to them
    sender, receiver = chain.accounts[7], chain.accounts[8]
    skipped = chain._nonces.take(sender, lambda: chain._count(sender, "pending"))
    pending = [chain.send(receiver, b"", sender=sender, value=1, gas=21_000) for _ in range(2)]
    chain.request("anvil_setNonce", sender, hex(skipped + 1))
    chain.request("evm_mine")
    assert chain.request("txpool_status")["queued"] == "0x2"  # mining leaves them
    receipts = chain.receipts(pending)
    assert [r.tx_hash for r in receipts] == [p.tx_hash for p in pending]
    assert chain._count(sender, "latest") == skipped + 3


def test_a_burst_larger_than_a_block_is_mined_to_the_last() -> None:
    # Automining takes what fits in a block when a transaction arrives; the rest of a burst
    # would wait in the pool until the next arrival, for ever if none comes.
    with running_anvil("--gas-limit", "1000000") as url:
        chain = connect(url)
        chain.receipt_timeout = 20
        sent = chain.send_many(chain.accounts[2], [b""] * 200, sender=chain.accounts[1], value=1, gas=400_000)
        receipts = chain.receipts(sent)
        assert [r.tx_hash for r in receipts] == [p.tx_hash for p in sent]
        assert chain.request("txpool_status")["pending"] == "0x0"
        assert chain.balance(chain.accounts[2]) == 10_000 * ETHER + 200
