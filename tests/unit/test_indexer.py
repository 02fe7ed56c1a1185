"""The event indexer on the embedded chain: every event kind, contributions equal to the replay,
batches committed with the cursor (resumed after kill -9), reorgs rolled back, bad input refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.errors import ChainError, CursorMoved, IndexerError, SumchainError
from sumchain.indexer import EventIndex, Indexer, is_current
from sumchain.indexer.kinds import DECLARED, contract_abis, event_kinds
from tests.conftest import INCENTIVE, WEIGHTS
from tests.indexing import BAD, GOOD, fresh_rows, realistic_history


def indexed(chain: EmbeddedChain, path: Path, model: SharedModel, **options: int) -> Indexer:
    indexer = Indexer(chain, path, **options)
    indexer.add(model.address)
    indexer.sync()
    return indexer


def test_every_event_the_contracts_emit_has_a_kind() -> None:
    emitted = {
        (family, e["name"])
        for family in ("trainer", "market", "registry")
        for abi in contract_abis(family)
        for e in abi
        if e["type"] == "event"
    }
    assert {(family, name) for family, name, _ in DECLARED} == emitted
    assert len({kind.table for kind in event_kinds()}) == len(DECLARED)


def test_the_index_holds_every_event_and_gives_the_replayed_contributions(chain, model, tmp_path) -> None:
    realistic_history(model, chain)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    decoded = [model.abi.decode_event(list(log.topics), log.data) for log in chain.logs(model.address)]
    assert [(name, args) for name, args, _ in indexer.index.events(model.address)] == decoded
    lower = model.address.lower()  # an address in any case (it gave no event, and no source)
    assert indexer.index.events(lower) == indexer.index.events(model.address) and indexer.index.source(lower)
    tables = indexer.index.table_rows()
    assert [len(tables[t]) for t in ("data_added", "refunded", "reported")] == [6, 2, 2]
    reader = SharedModel(chain, model.address, index=EventIndex(tmp_path / "index.sqlite"))
    assert is_current(reader.index, chain, model.address)  # type: ignore[arg-type]
    from_index = reader.contributions(everyone=True)
    assert from_index == reader.contributions(everyone=True, use_index=False)
    assert [c.status for c in from_index] == ["refunded", "held", "refunded", "partly taken", "partly taken", "held"]
    assert {c.data for c in from_index} == {*map(tuple, GOOD), tuple(BAD)}
    assert reader.contributions(3) == [c for c in from_index if c.author == chain.accounts[3]]
    assert reader.find_contribution("#4") == reader.find_contribution("#4", use_index=False)


def test_a_stale_index_is_not_read_until_it_catches_up(chain, model, tmp_path) -> None:
    model.add_data(GOOD[0], 1, sender=1)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    model.add_data(GOOD[1], 1, sender=2)
    reader = SharedModel(chain, model.address, index=indexer.index)
    assert not is_current(indexer.index, chain, model.address)
    assert len(reader.contributions(everyone=True)) == 2  # replayed from the chain
    assert indexer.sync().events == 1 and is_current(indexer.index, chain, model.address)
    assert reader.contributions(everyone=True) == reader.contributions(everyone=True, use_index=False)


_KILLED_INDEXER = """
import sys, time
from sumchain import EmbeddedChain
from sumchain.indexer import Indexer
chain = EmbeddedChain(sys.argv[1])
logs = chain.logs
def slow_logs(*args, **kwargs):
    time.sleep(0.02)
    return logs(*args, **kwargs)
chain.logs = slow_logs
indexer = Indexer(chain, sys.argv[2], batch_blocks=1)
indexer.add(sys.argv[3])
indexer.sync()
"""


def test_an_indexer_killed_mid_run_resumes_to_the_same_index(tmp_path) -> None:
    chain = EmbeddedChain(tmp_path / "chain.sqlite", genesis_time=1_700_000_000)
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS, learning_rate=2), mechanism=INCENTIVE)
    for i in range(60):
        model.add_data(GOOD[i % 3], 1, sender=i % 4)
    path = tmp_path / "index.sqlite"
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_INDEXER, str(tmp_path / "chain.sqlite"), str(path), model.address], env=env
    )
    cursor = -1
    deadline = time.monotonic() + 60
    while cursor < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                cursor = conn.execute("SELECT cursor FROM sources").fetchone()[0]
        except (sqlite3.Error, TypeError):
            continue
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 20 <= cursor < chain.block_number()  # killed half-way
    resumed = Indexer(chain, path)
    killed_at = resumed.index.sources()[0].cursor
    assert killed_at >= cursor and resumed.sync().blocks == chain.block_number() - killed_at
    assert resumed.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)
    assert len(resumed.index.table_rows()["data_added"]) == 60


def test_a_reorg_is_rolled_back_and_reindexed_like_a_fresh_index(chain, model, tmp_path) -> None:
    model.add_data(GOOD[0], 1, sender=1)
    indexer = indexed(chain, tmp_path / "index.sqlite", model)
    with chain.anchor():  # a branch the index follows, then abandoned
        for sender in (2, 3, 2):
            model.add_data(BAD, 1, sender=sender)
        assert indexer.sync().events == 3
    for sender in (1, 3):  # the chain that replaced it: other transactions at the same heights
        model.add_data(GOOD[2], 1, sender=sender)
    report = indexer.sync()
    assert (report.reorgs, report.events) == (1, 2)
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)
    assert [c.data for c in SharedModel(chain, model.address, index=indexer.index).contributions(everyone=True)] == [
        tuple(GOOD[0]),
        tuple(GOOD[2]),
        tuple(GOOD[2]),
    ]


def test_a_reorg_below_the_first_batch_reindexes_from_scratch(chain, model, tmp_path) -> None:
    with chain.anchor():
        model.add_data(BAD, 1, sender=2)
        indexer = indexed(chain, tmp_path / "index.sqlite", model)
    model.add_data(GOOD[0], 1, sender=1)
    assert indexer.sync().reorgs == 1
    assert indexer.index.table_rows() == fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)


def test_confirmations_keep_the_newest_blocks_out(chain, model, tmp_path) -> None:
    for sender in (1, 2, 3):
        model.add_data(GOOD[0], 1, sender=sender)
    indexer = indexed(chain, tmp_path / "index.sqlite", model, confirmations=2)
    assert len(indexer.index.table_rows()["data_added"]) == 1
    assert not is_current(indexer.index, chain, model.address)


def test_an_address_without_a_model_is_refused_and_nothing_is_written(chain, model, tmp_path) -> None:
    path = tmp_path / "index.sqlite"
    for address in (chain.accounts[1], "0x12"):
        with pytest.raises(SumchainError, match=r"not a sumchain model|not an address"):
            Indexer(chain, path).add(model.address, address)
        assert not path.exists()
    indexer = indexed(chain, path, model)
    before = indexer.index.table_rows()
    with pytest.raises(SumchainError, match="not a sumchain model"):
        indexer.add(chain.accounts[2])
    assert indexer.index.table_rows() == before


def test_an_index_of_another_chain_or_no_index_at_all_is_refused(chain, model, tmp_path) -> None:
    path = tmp_path / "index.sqlite"
    indexed(chain, path, model).close()
    saved = path.read_bytes()
    other = EmbeddedChain(genesis_time=1_600_000_000)
    with pytest.raises(IndexerError, match="indexes another chain"):
        Indexer(other, path)
    assert path.read_bytes() == saved
    with pytest.raises(IndexerError, match="no event index at"):
        Indexer(chain, tmp_path / "none.sqlite").sync()
    chain_file = tmp_path / "chain.sqlite"
    EmbeddedChain(chain_file).close()
    chain_bytes = chain_file.read_bytes()
    with pytest.raises(IndexerError, match="is not a sumchain event index"):
        Indexer(chain, chain_file)
    assert chain_file.read_bytes() == chain_bytes
    (tmp_path / "junk.sqlite").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(IndexerError, match="damaged or not an event index"):
        Indexer(chain, tmp_path / "junk.sqlite")
    with pytest.raises(IndexerError, match="confirmations must be a whole number"):
        Indexer(chain, path, confirmations=-1)


def test_two_indexers_on_one_file_never_store_a_batch_twice(chain, model, tmp_path, monkeypatch) -> None:
    model.add_data(GOOD[0], 1, sender=1)
    path = tmp_path / "index.sqlite"
    first, second = Indexer(chain, path), Indexer(chain, path)
    first.add(model.address)
    second.add(model.address)
    stale = second.index.sources()
    first.sync()
    before = first.index.table_rows()
    with pytest.raises(CursorMoved, match="another indexer moved the cursor"):
        second._index_batch(second.index, stale[0], stale[0].cursor + 1, chain.block_number())
    assert second.index.table_rows() == before
    model.add_data(GOOD[0], 1, sender=2)
    stale = second.index.sources()  # read by the second, then the first stores the batch
    first.sync()
    monkeypatch.setattr(second.index, "sources", lambda: stale)
    second.sync()  # the other's batch is not an error: it goes on from there at the next poll
    monkeypatch.undo()
    fresh = fresh_rows(chain, tmp_path / "fresh.sqlite", model.address)
    assert second.index.table_rows() == first.index.table_rows() == fresh


def test_a_follower_waits_out_a_failing_node_and_says_so(chain, model, tmp_path, monkeypatch) -> None:
    indexer = Indexer(chain, tmp_path / "index.sqlite")
    indexer.add(model.address)
    real, failing, told = chain.block_number, [3], []

    def block_number() -> int:
        if failing[0]:
            failing[0] -= 1
            raise ChainError("cannot reach the node")
        return real()

    monkeypatch.setattr(chain, "block_number", block_number)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    polls = iter(range(5))
    report = indexer.follow(
        interval=1,
        keep_going=lambda: next(polls, None) is not None,
        on_chain_error=lambda e, s: told.append((str(e), s)),
    )
    assert told == [("cannot reach the node", 1), ("cannot reach the node", 2), ("cannot reach the node", 4)]
    assert report.head == real() and is_current(indexer.index, chain, model.address)
    failing[0], told[:] = 2, []
    indexer.follow(interval=0, keep_going=lambda: len(told) < 2, on_chain_error=lambda e, s: told.append((str(e), s)))
    assert [s for _, s in told] == [0, 1.0]  # no interval: a second, then twice as long
    failing[0] = 1
    with pytest.raises(ChainError, match="cannot reach"):  # without on_chain_error, the error ends the follow
        indexer.follow(interval=1)
    failing[0] = 1  # the node comes back as another chain: its events must not go into this index
    monkeypatch.setattr(chain, "block_hashes", lambda numbers: ["0x" + "ab" * 32 for _ in numbers])
    with pytest.raises(IndexerError, match="the node came back as another chain"):
        indexer.follow(interval=1, on_chain_error=lambda e, s: None)


def test_the_head_reported_is_the_least_any_followed_contract_reached(chain, model, tmp_path) -> None:
    other = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS), mechanism=INCENTIVE)
    for sender in (1, 2):
        model.add_data(GOOD[0], 1, sender=sender)
    indexed(chain, tmp_path / "index.sqlite", model).close()  # the model to the head
    indexer = Indexer(chain, tmp_path / "index.sqlite", confirmations=chain.block_number() - other.deployed_at + 1)
    indexer.add(other.address)  # the other not yet
    assert indexer.sync().head == other.deployed_at - 1 < max(s.cursor for s in indexer.index.sources())
