"""The event indexer against a real anvil node: contributions equal to the replay, and reorgs
(``evm_snapshot``/``evm_revert`` then other transactions, and ``anvil_reorg``) leave the index
equal, row for row, to a fresh index of the chain as it became; the registry's listing from the
index equals the registry's, also after a reorg that removes a registration."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from sumchain import SharedModel, SparsePerceptron
from sumchain.chain.anvil import free_port
from sumchain.chain.rpc import RpcChain
from sumchain.errors import ChainError, IndexerError
from sumchain.indexer import EventIndex, Indexer, is_current
from sumchain.market import Market, PredictionMarket
from sumchain.registry import Registry
from tests.cli.test_cli import run
from tests.conftest import INCENTIVE, WEIGHTS
from tests.helpers import start_sumchain
from tests.indexing import BAD, GOOD, fresh_rows, listed_model, realistic_history, registry_history

from .conftest import connect, running_anvil

pytestmark = pytest.mark.anvil


@pytest.fixture
def model(chain: RpcChain) -> SharedModel:
    return SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS, learning_rate=2), mechanism=INCENTIVE)


@pytest.fixture
def registry(chain: RpcChain) -> Registry:
    return Registry.deploy(chain)


def indexed(chain: RpcChain, path: Path, *followed: SharedModel | Registry) -> Indexer:
    indexer = Indexer(chain, path)
    indexer.add(*(contract.address for contract in followed))
    indexer.sync()
    return indexer


def names(index: EventIndex, registry: Registry) -> dict[str, tuple[str, str, bool]]:
    return {name: (x.model, x.owner, x.delisted) for name, x in index.listing(registry.address).items()}


def test_contributions_from_the_index_equal_the_replay(chain, model, tmp_path) -> None:
    realistic_history(model, chain)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    assert is_current(indexer.index, chain, model.address)
    reader = SharedModel(chain, model.address, index=indexer.index)
    from_index = reader.contributions(everyone=True)
    assert len(from_index) == 6 and from_index == reader.contributions(everyone=True, use_index=False)
    assert [len(indexer.index.table_rows()[t]) for t in ("data_added", "refunded", "reported")] == [6, 2, 2]


def test_a_snapshot_reverted_then_other_transactions_is_a_reorg(chain, model, tmp_path) -> None:
    model.add_data(GOOD[0], 1, sender=1)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    with chain.anchor():  # evm_snapshot ... evm_revert
        for sender in (2, 3):
            model.add_data(BAD, 1, sender=sender)
        assert indexer.sync().events == 2
    for sender in (3, 1, 2):
        model.add_data(GOOD[1], 1, sender=sender)
    report = indexer.sync()
    assert (report.reorgs, report.events) == (1, 3)
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)


def test_anvil_reorg_replaces_indexed_blocks(chain, model, tmp_path) -> None:
    for sample, sender in [(GOOD[0], 1), (GOOD[1], 2), (GOOD[2], 3), (GOOD[1], 1)]:
        model.add_data(sample, 1, sender=sender)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    chain.request("anvil_reorg", 3, [])  # the last 3 blocks replaced by empty ones, their transactions gone
    chain._nonces.forget()  # so the senders' nonces are theirs again
    model.add_data(BAD, 1, sender=2)
    report = indexer.sync()
    assert report.reorgs == 1
    rows = indexer.index.table_rows()
    assert rows == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)
    assert [row[4] for row in rows["data_added"]] == [model.codec.encode(s) for s in (GOOD[0], BAD)]


def test_a_model_deployed_again_at_its_address_from_an_earlier_block_is_indexed_from_there(chain, tmp_path) -> None:
    """A reorganisation can replace a model's deployment: the same account's same nonce deploys it at the
    same address, in another block. The index follows it from its new block; it kept the old one, and
    missed the new deployment's events before it, while it said it was up to date."""

    def deploy() -> SharedModel:
        return SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS), mechanism=INCENTIVE)

    indexer = Indexer(chain, tmp_path / "index.sqlite")
    with chain.anchor():  # evm_snapshot ... evm_revert
        for _ in range(8):
            chain.request("evm_mine")
        first = deploy()
        indexer.add(first.address)
        indexer.sync()
        first_block = first.deployed_at
    second = deploy()
    assert second.address == first.address and second.deployed_at < first_block
    second.add_data(GOOD[0], 1, sender=1)
    for _ in range(10):
        chain.request("evm_mine")
    assert indexer.sync().reorgs == 1
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", second.address)
    reader = SharedModel(chain, second.address, index=indexer.index)
    assert is_current(indexer.index, chain, second.address) and len(reader.contributions(everyone=True)) == 1


def test_a_market_deployed_where_a_trainer_was_is_indexed_as_a_market(chain, tmp_path) -> None:
    """The same address may hold another kind of contract after a reorganisation: its events are the
    market's (they were read as a trainer's, and a market's were skipped)."""
    indexer = Indexer(chain, tmp_path / "index.sqlite")
    with chain.anchor():  # evm_snapshot ... evm_revert
        for _ in range(3):
            chain.request("evm_mine")
        trainer = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS), mechanism=INCENTIVE)
        indexer.add(trainer.address)
        indexer.sync()
    market = Market.create(chain, SparsePerceptron.from_weights(WEIGHTS), PredictionMarket(), bounty=10**17, sender=0)
    assert market.address == trainer.address
    for _ in range(5):
        chain.request("evm_mine")
    assert indexer.sync().reorgs == 1
    assert [s.family for s in indexer.index.sources()] == ["market"]
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", market.address)


def test_a_node_restarted_as_another_chain_between_two_polls_is_refused(tmp_path: Path) -> None:
    """A node restarted afresh differs from the index at every block: that is another chain, not a
    reorganisation to roll back (its events went into this chain's index, which was then refused)."""
    port = free_port()
    with running_anvil(port=port) as url:
        indexer = Indexer(connect(url), tmp_path / "index.sqlite")
        indexer.add(SharedModel.deploy(indexer.chain, SparsePerceptron.from_weights(WEIGHTS)).address)
        indexer.sync()
        before = indexer.index.table_rows()
    with running_anvil("--timestamp", "1000000", port=port) as url:  # its block 0 another
        SharedModel.deploy(connect(url), SparsePerceptron.from_weights(WEIGHTS))  # at the same address
        with pytest.raises(IndexerError, match="the node came back as another chain"):
            indexer.sync()
        assert indexer.index.table_rows() == before  # nothing of the other chain


def test_the_registrys_listing_from_the_index_equals_the_registrys(chain, registry, tmp_path) -> None:
    expected = registry_history(chain, registry)
    indexer = indexed(chain, tmp_path / "index.sqlite", registry)
    assert names(indexer.index, registry) == expected
    listed = {name: model for name, (model, _, delisted) in expected.items() if not delisted}
    assert {e.name: e.address for e in registry.entries(details=False)} == listed
    assert [len(indexer.index.table_rows()[t]) for t in ("model_registered", "model_delisted")] == [4, 2]


def test_a_reverted_registration_is_rolled_back(chain, registry, tmp_path) -> None:
    news = listed_model(chain, registry, "news", 1)
    indexer = indexed(chain, tmp_path / "index.sqlite", registry, news)
    with chain.anchor():  # evm_snapshot ... evm_revert
        listed_model(chain, registry, "gone", 2)
        assert indexer.sync().events == 1 and "gone" in names(indexer.index, registry)
    news.add_data([0], 1, sender=3)  # another transaction at the registration's height
    report = indexer.sync()
    assert (report.reorgs, report.events) == (1, 1)
    assert names(indexer.index, registry) == {"news": (news.address, chain.accounts[1], False)}
    fresh = fresh_rows(chain, tmp_path / "fresh.sqlite", registry.address, news.address)
    assert indexer.index.table_rows() == fresh


def test_anvil_reorg_removes_a_registration_and_a_delisting(chain, registry, tmp_path) -> None:
    news = listed_model(chain, registry, "news", 1)
    spam = listed_model(chain, registry, "spam", 2)
    registry.delist("news", sender=1)
    indexer = indexed(chain, tmp_path / "index.sqlite", registry)
    assert names(indexer.index, registry) == {
        "news": (news.address, chain.accounts[1], True),
        "spam": (spam.address, chain.accounts[2], False),
    }
    # spam's deployment, listing and upload and the delisting replaced by empty blocks: their transactions gone
    chain.request("anvil_reorg", chain.block_number() - spam.deployed_at + 1, [])
    chain._nonces.forget()
    news.add_data([0], 1, sender=3)
    report = indexer.sync()
    assert report.reorgs == 1
    assert names(indexer.index, registry) == {"news": (news.address, chain.accounts[1], False)}
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", registry.address)


def test_sumchain_index_follows_the_nodes_registry_and_its_models(chain, registry, tmp_path) -> None:
    news = listed_model(chain, registry, "news", 1)
    spam = listed_model(chain, registry, "spam", 2)
    registry.delist("spam", sender=2)
    out = run(tmp_path, "--chain", chain.url, "--registry", registry.address, "index", "--db", "node.sqlite").stdout
    assert out.startswith("indexed 4 events")  # 2 listed, 1 delisted, news's metadata
    index = EventIndex(tmp_path / "node.sqlite")
    assert [(s.emitter, s.family) for s in index.sources()] == [
        (registry.address, "registry"),
        (news.address, "trainer"),
    ]
    assert names(index, registry) == {
        "news": (news.address, chain.accounts[1], False),
        "spam": (spam.address, chain.accounts[2], True),
    }
    index.close()


def test_an_unreachable_node_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(ChainError, match=r"cannot reach http://127\.0\.0\.1:1"):
        Indexer(RpcChain("http://127.0.0.1:1", timeout=2), tmp_path / "index.sqlite")
    assert not (tmp_path / "index.sqlite").exists()


def test_a_follower_outlives_its_node_going_away_and_stops_cleanly(tmp_path: Path) -> None:
    """The node stops (restarting, a network hiccup): the follower says so and tries again, where it
    used to exit; Ctrl-C then ends it with its summary."""
    with running_anvil() as url:
        chain = connect(url)
        model = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS, learning_rate=2), mechanism=INCENTIVE)
        follower = start_sumchain(tmp_path, "--chain", url, "index", model.address, "--follow", "--interval", "0.2")
        deadline = time.monotonic() + 60
        while not (tmp_path / ".sumchain" / "index.sqlite").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
    assert follower.stderr is not None
    said = follower.stderr.readline()  # the node is gone
    assert "trying again in 0.2 s (Ctrl-C stops)" in said and follower.poll() is None, said
    follower.send_signal(signal.SIGINT)
    out, rest = follower.communicate(timeout=60)
    assert follower.returncode == 0, rest
    assert out.startswith("indexed 1 event from 2 blocks; up to block 2") and "Traceback" not in rest
