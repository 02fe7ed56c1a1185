"""The embedded chain: persistence in one file, snapshots, time, receipts."""

from __future__ import annotations

import sqlite3

import pytest

from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.chain.base import Chain
from sumchain.errors import ChainError


def test_implements_the_chain_protocol() -> None:
    assert isinstance(EmbeddedChain(), Chain)


def test_balances_are_read_in_one_look() -> None:
    chain = EmbeddedChain(accounts=3, balance=100)
    chain.transact(chain.accounts[2], b"", sender=chain.accounts[0], value=30)
    stranger = "0x" + "ab" * 20
    assert chain.balances([chain.accounts[2], stranger, chain.accounts[0], chain.accounts[2]]) == [130, 0, 70, 130]
    assert chain.balances([]) == []


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
    assert again.mirror().coef_.tolist() == [
        4,
        -4 + again.params[2],
    ]  # params: n, intercept, learning rate, bits, decay
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


# -- the chain file is precious ----------------------------------------------------


def test_an_empty_file_is_never_taken_for_a_new_chain(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    path.write_bytes(b"")
    with pytest.raises(ChainError, match=r"is empty \(0 bytes\).*truncated"):
        EmbeddedChain(path)
    assert path.read_bytes() == b""


def test_an_unknown_engine_leaves_no_file_behind(tmp_path) -> None:
    """Found while the new file got its registry: neither the file nor its temporary one, nor their WAL."""
    with pytest.raises(ChainError, match="unknown EVM engine 'bogus': use one of revm, py-evm"):
        EmbeddedChain(tmp_path / "chain.sqlite", engine="bogus")
    assert list(tmp_path.iterdir()) == []
    EmbeddedChain(tmp_path / "chain.sqlite").close()
    with pytest.raises(ChainError, match="unknown EVM engine"):  # an existing file: closed, left as it was
        EmbeddedChain(tmp_path / "chain.sqlite", engine="bogus")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.sqlite"]


def test_a_foreign_sqlite_file_is_refused(tmp_path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(ChainError, match="an SQLite database but not a sumchain chain file"):
        EmbeddedChain(path)


def test_a_damaged_file_gives_a_clear_error(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path)
    SharedModel.deploy(chain, SparsePerceptron.from_weights([4, -4]))
    chain.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ChainError, match=r"damaged|not a sumchain chain file"):
        EmbeddedChain(path).balance(EmbeddedChain().accounts[0])


def test_a_folder_is_not_a_chain_file(tmp_path) -> None:
    with pytest.raises(ChainError, match="is a folder"):
        EmbeddedChain(tmp_path)


def test_a_file_that_cannot_be_created_gives_one_line(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ChainError, match="cannot create the chain file"):
        EmbeddedChain(blocker / "chain.sqlite")


def test_a_locked_file_waits_then_says_so_and_changes_nothing(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path, timeout=0.2)
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([4, -4]))
    before = (chain.block_number(), chain.balance(chain.accounts[1]))
    with sqlite3.connect(path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(ChainError, match=r"locked by another process \(waited 0.2 s\)"):
            model.add_data([0], 1, sender=1)
        other.execute("ROLLBACK")
    assert (chain.block_number(), chain.balance(chain.accounts[1])) == before


def test_an_open_chain_never_overwrites_what_another_one_wrote(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    first = EmbeddedChain(path, genesis_time=1_000)
    model = SharedModel.deploy(first, SparsePerceptron.from_weights([4, -4]))
    second = EmbeddedChain(path)
    one = model.add_data([0], 1, sender=1)
    two = SharedModel(second, model.address).add_data([1], 0, sender=1)
    three = model.add_data([0, 1], 1, sender=1)
    assert one.time < two.time < three.time
    assert [c.added_time for c in model.contributions(1)] == [one.time, two.time, three.time]
    assert [first.block(first.block_number() - i).nonce for i in (2, 1, 0)] == [0, 1, 2]
    assert second.balance(model.address) == one.cost + two.cost + three.cost


def test_a_pinned_view_ignores_newer_commits(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    reader = EmbeddedChain(path)
    writer = EmbeddedChain(path)
    with reader.pinned():
        before = reader.block_number()
        writer.advance_time(5)
        assert reader.block_number() == before
    assert reader.block_number() == before + 1


def test_time_and_values_must_be_whole_numbers_in_range() -> None:
    chain = EmbeddedChain(genesis_time=1)
    for bad in (1.5, "10", None, True):
        with pytest.raises(ChainError, match="whole number"):
            chain.advance_time(bad)  # type: ignore[arg-type]
    with pytest.raises(ChainError, match=r"time cannot pass 18,446,744,073,709,551,615"):
        chain.advance_time(2**64)
    assert chain.time() == 1


def test_the_written_out_dev_keys_are_the_mnemonic_accounts() -> None:
    from eth_account import Account

    from sumchain.chain.accounts import DEV_MNEMONIC, dev_addresses, dev_private_keys

    Account.enable_unaudited_hdwallet_features()
    for i, (address, key) in enumerate(zip(dev_addresses(12), dev_private_keys(12), strict=True)):
        derived = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        assert (derived.address, bytes(derived.key)) == (address, key)


def test_block_hashes_change_when_a_rolled_back_block_is_mined_again() -> None:
    chain = EmbeddedChain(genesis_time=1_700_000_000)
    alice, bob = chain.accounts[:2]
    chain.transact(bob, b"", sender=alice, value=1)
    with chain.anchor():
        with chain.anchor():  # nested anchors with equal undo records each undo their own
            receipt = chain.transact(alice, b"", sender=bob, value=2)
        assert chain.block_number() == 1
        chain.transact(alice, b"", sender=bob, value=2)
        before = chain.block_hashes([0, 1, 2, 3])
    assert before[3] is None and None not in before[:3] and len(set(before[:3])) == 3
    assert receipt.block_number == 2
    chain.transact(alice, b"\x01", sender=bob, value=2)  # another transaction at block 2
    after = chain.block_hashes([0, 1, 2])
    assert after[:2] == before[:2] and after[2] != before[2]
