"""The embedded chain: persistence in one file, snapshots, time, receipts."""

from __future__ import annotations

import sqlite3

import pytest

from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.chain.base import Chain
from sumchain.errors import ChainError


def test_implements_the_chain_protocol() -> None:
    assert isinstance(EmbeddedChain(), Chain)


def test_state_persists_across_instances(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    first = EmbeddedChain(path, genesis_time=1_000)
    model = SharedModel.deploy(first, SparsePerceptron.from_weights([4, -4]))
    added = model.add_data([1], 1, sender=1)
    first.advance_time(500)
    first.remember("model", model.address)
    head = (first.time(), first.block_number())
    first.close()

    second = EmbeddedChain(path)
    assert (second.time(), second.block_number()) == head
    assert second.notes["model"] == model.address
    again = SharedModel(second, model.address)
    assert again.mirror().coef_.tolist() == [4, -4 + again._call("learning_rate")]
    assert [c.added_time for c in again.contributions(1)] == [added.time]
    assert second.balance(model.address) == added.cost


def test_a_failed_transaction_leaves_the_file_as_it_was(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path)
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([4, -4]))
    before = (chain.block_number(), chain.time())
    with pytest.raises(Exception, match="insufficient deposit"):
        model.add_data([0], 1, sender=1, value=0)
    reopened = EmbeddedChain(path)
    assert (reopened.block_number(), reopened.time()) == before
    assert SharedModel(reopened, model.address).contributions(everyone=True) == []


def test_a_corrupt_file_gives_a_clear_error(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ChainError, match="not a sumchain chain file"):
        EmbeddedChain(path)


def test_writes_are_sqlite_transactions(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path)
    chain.advance_time(10)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_anchor_undoes_transactions_time_and_logs() -> None:
    chain = EmbeddedChain(genesis_time=5_000)
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([4, -4]))
    state = (chain.time(), chain.block_number(), chain.balance(chain.accounts[1]))
    with chain.anchor():
        model.add_data([1], 1, sender=1)
        chain.advance_time(99)
        assert model.contributions(1)
    assert (chain.time(), chain.block_number(), chain.balance(chain.accounts[1])) == state
    assert model.contributions(1) == []
    assert model.mirror().coef_.tolist() == [4, -4]


def test_time_moves_only_forward() -> None:
    chain = EmbeddedChain(genesis_time=1)
    chain.advance_time(3_600)
    assert chain.time() == 3_601
    with pytest.raises(ChainError):
        chain.advance_time(-1)


def test_receipts_report_exact_gas() -> None:
    chain = EmbeddedChain()
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([4, -4]))
    data = model.abi.encode_call("add_data", model.codec.encode([0]), 1)
    value = model.cost()
    estimate = chain.estimate_gas(model.address, data, sender=chain.accounts[1], value=value)
    receipt = chain.transact(model.address, data, sender=chain.accounts[1], value=value)
    assert receipt.gas_used == estimate
    assert 21_000 < receipt.gas_used < 200_000


def test_dev_accounts_match_anvil() -> None:
    chain = EmbeddedChain()
    assert chain.accounts[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert chain.accounts[1] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
