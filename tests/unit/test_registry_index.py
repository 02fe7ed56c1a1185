"""The model registry's events in the event index, on the embedded chain: every listing and
delisting stored, the listing read back equal to the registry's, reorgs that remove a
registration rolled back, resumption, older index files, and hostile names."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sumchain import EmbeddedChain, SharedModel
from sumchain.chain.abi import encode_values
from sumchain.chain.hashing import keccak
from sumchain.errors import IndexerError, SumchainError
from sumchain.indexer import EventIndex, Indexer
from sumchain.registry import Registry
from tests.helpers import Impostor
from tests.indexing import fresh_rows, listed_model, registry_history


@pytest.fixture
def registry(chain: EmbeddedChain) -> Registry:
    return Registry.deploy(chain)


def indexed(chain: EmbeddedChain, path: Path, *addresses: str, **options: int) -> Indexer:
    indexer = Indexer(chain, path, **options)
    indexer.add(*addresses)
    indexer.sync()
    return indexer


def names(index: EventIndex, registry: Registry) -> dict[str, tuple[str, str, bool]]:
    return {name: (x.model, x.owner, x.delisted) for name, x in index.listing(registry.address).items()}


def test_the_listing_from_the_index_equals_the_registrys(chain, registry, tmp_path) -> None:
    expected = registry_history(chain, registry)
    indexer = Indexer(chain, tmp_path / "index.sqlite")
    (source,) = indexer.add(registry.address)
    assert (source.emitter, source.family, source.from_block) == (registry.address, "registry", 0)
    indexer.sync()
    assert names(indexer.index, registry) == expected
    listed = {name: model for name, (model, _, delisted) in expected.items() if not delisted}
    assert {e.name: e.address for e in registry.entries(details=False)} == listed
    decoded = [registry.abi.decode_event(list(log.topics), log.data) for log in chain.logs(registry.address)]
    assert [(name, args) for name, args, _ in indexer.index.events(registry.address)] == decoded
    tables = indexer.index.table_rows()
    counted = ("model_registered", "model_delisted", "score_published", "data_added")
    assert [len(tables[t]) for t in counted] == [4, 2, 1, 0]


def test_registries_and_models_are_added_together_or_not_at_all(chain, registry, tmp_path) -> None:
    model = listed_model(chain, registry, "news", 1)
    path = tmp_path / "index.sqlite"
    with pytest.raises(SumchainError, match="not a sumchain model"):
        Indexer(chain, path).add(registry.address, chain.accounts[1])
    assert not path.exists()
    indexer = indexed(chain, path, registry.address, model.address)
    assert [(s.emitter, s.family) for s in indexer.index.sources()] == [
        (registry.address, "registry"),
        (model.address, "trainer"),
    ]
    assert len(indexer.index.table_rows()["metadata_published"]) == 1
    with pytest.raises(IndexerError, match="does not follow a registry at"):
        indexer.index.listing(model.address)


def test_a_reorg_that_removes_a_registration_is_rolled_back(chain, registry, tmp_path) -> None:
    news = listed_model(chain, registry, "news", 1)
    indexer = indexed(chain, tmp_path / "index.sqlite", registry.address)
    with chain.anchor():  # a branch the index follows, then abandoned
        gone = listed_model(chain, registry, "gone", 2)
        registry.delist("news", sender=1)
        assert indexer.sync().events == 2
        assert names(indexer.index, registry)["gone"] == (gone.address, chain.accounts[2], False)
        assert names(indexer.index, registry)["news"][2]
    other = listed_model(chain, registry, "other", 3)  # other transactions at the same heights
    report = indexer.sync()
    assert (report.reorgs, report.events) == (1, 1)
    assert names(indexer.index, registry) == {
        "news": (news.address, chain.accounts[1], False),
        "other": (other.address, chain.accounts[3], False),
    }
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", registry.address)


def test_a_registry_index_resumes_where_it_stopped(chain, registry, tmp_path) -> None:
    expected = registry_history(chain, registry)
    path = tmp_path / "index.sqlite"
    partial = indexed(chain, path, registry.address, confirmations=3, batch_blocks=1)
    assert names(partial.index, registry) != expected  # the delisting is not confirmed yet
    partial.close()
    resumed = Indexer(chain, path)
    assert resumed.sync().blocks == 3
    assert names(resumed.index, registry) == expected
    assert resumed.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", registry.address)


def test_an_index_made_before_registry_kinds_gets_their_tables(chain, registry, tmp_path) -> None:
    expected = registry_history(chain, registry)
    path = tmp_path / "index.sqlite"
    model = SharedModel(chain, expected["news"][0])
    indexed(chain, path, model.address).close()
    with closing(sqlite3.connect(path)) as conn, conn:  # as files were before the registry's kinds
        conn.execute("DROP TABLE model_registered")
        conn.execute("DROP TABLE model_delisted")
    indexer = indexed(chain, path, registry.address)
    assert names(indexer.index, registry) == expected
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address, registry.address)


def test_a_name_that_is_not_utf8_does_not_stop_the_index(chain, registry, tmp_path) -> None:
    impostor = Impostor.deploy(chain, sender=2)
    name = encode_values(("address", "bytes"), (impostor.address, b"\xff"))  # string and bytes encode alike
    register = keccak(b"register(address,string)")[:4] + name
    chain.transact(registry.address, register, sender=chain.accounts[2])  # the contract takes any bytes
    assert [e.name for e in registry.entries(details=False)] == ["\ufffd"]
    news = listed_model(chain, registry, "news", 1)
    indexer = indexed(chain, tmp_path / "index.sqlite", registry.address)
    assert names(indexer.index, registry) == {"news": (news.address, chain.accounts[1], False)}
