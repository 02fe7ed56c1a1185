"""``sumchain index`` end to end: real processes on one embedded chain file, the index read by
``contributions``, ``--follow`` stopped by Ctrl-C, and bad input refused in one line."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from sumchain import EmbeddedChain
from sumchain.indexer import EventIndex
from sumchain.registry import Registry
from tests.cli.test_cli import deployed, fails, run
from tests.helpers import Impostor

INDEX = Path(".sumchain/index.sqlite")


def listed(cwd: Path, *args: str) -> list[dict[str, object]]:
    return list(json.loads(run(cwd, "contributions", "--all", "--json", *args).stdout))


def test_index_then_contributions_read_from_it(tmp_path) -> None:
    deployed(tmp_path)
    run(tmp_path, "add", "a wonderful, brilliant movie", "--label", "positive", "--account", "1")
    run(tmp_path, "add", "an awful, boring mess", "--label", "negative", "--account", "2")
    out = run(tmp_path, "index", "movie sentiment (sample)").stdout  # the model by its listed name
    assert out.startswith("indexed 3 events from ") and str(INDEX) in out  # its metadata and 2 added
    out = run(tmp_path, "index").stdout
    assert out.startswith("indexed 1 event from ") and str(INDEX) in out  # the registry: the listing
    assert listed(tmp_path) == listed(tmp_path, "--from-chain")
    assert run(tmp_path, "index").stdout.startswith("indexed 0 events from 0 blocks")
    run(tmp_path, "add", "brilliant", "--label", "positive", "--account", "3")
    assert run(tmp_path, "index").stdout.startswith("indexed 1 event from 2 blocks")  # one block, two contracts
    with closing(sqlite3.connect(tmp_path / INDEX)) as conn, conn:  # tamper: proves contributions reads the index
        conn.execute("DELETE FROM data_added WHERE block_number = (SELECT max(block_number) FROM data_added)")
    assert [c["id"] for c in listed(tmp_path)] == [1, 2]
    assert [c["id"] for c in listed(tmp_path, "--from-chain")] == [1, 2, 3]


def test_index_follows_the_registry_and_its_listed_models_by_default(tmp_path) -> None:
    first = deployed(tmp_path, "--name", "first")
    second = deployed(tmp_path, "--name", "second", "--account", "1")
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    registry = Registry.configured(chain)
    assert registry is not None
    impostor = Impostor.deploy(chain, sender=2)  # listed, but no sumchain model: skipped with a warning
    register = registry.abi.encode_call("register", impostor.address, "fake")
    chain.transact(registry.address, register, sender=chain.accounts[2])
    chain.close()
    unlisted = deployed(tmp_path, "--name", "unlisted", "--no-register")  # the current model
    proc = run(tmp_path, "index")
    assert proc.stdout.startswith("indexed 6 events")  # 3 ModelRegistered, 3 MetadataPublished
    assert proc.stderr.startswith(f"skipped 'fake' ({impostor.address}): ") and proc.stderr.count("\n") == 1
    with closing(EventIndex(tmp_path / INDEX)) as index:
        assert [s.emitter for s in index.sources()] == [registry.address, first, second, unlisted]
        assert {n: (x.model, x.delisted) for n, x in index.listing(registry.address).items()} == {
            "first": (first, False),
            "second": (second, False),
            "fake": (impostor.address, False),
        }
    run(tmp_path, "delist", "second", "--account", "1")
    third = deployed(tmp_path, "--name", "first")  # a new version takes the name
    assert run(tmp_path, "index").stdout.startswith("indexed 4 events")  # 2 delisted, 1 listed, 1 metadata
    with closing(EventIndex(tmp_path / INDEX)) as index:
        assert third in [s.emitter for s in index.sources()]
        listing = index.listing(registry.address)
        assert {n: (x.model, x.delisted) for n, x in listing.items()} == {
            "first": (third, False),
            "second": (second, True),
            "fake": (impostor.address, False),
        }


def test_index_follow_stops_cleanly_on_ctrl_c(tmp_path) -> None:
    deployed(tmp_path)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("SUMCHAIN_MODEL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sumchain", "index", "--follow", "--interval", "0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / INDEX).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    run(tmp_path, "add", "brilliant", "--label", "positive", "--account", "1")
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err == "" and out.startswith("indexed 3 events from ") and len(out.strip().splitlines()) == 1


def test_bad_input_gives_one_line_and_no_index(tmp_path) -> None:
    deployed(tmp_path)
    fails(tmp_path, "index", "0x" + "12" * 20, message="is not a sumchain model")
    fails(tmp_path, "index", "nonsense", message="no model named 'nonsense' in the registry")
    fails(tmp_path, "--chain", "http://127.0.0.1:1", "index", message="cannot reach http://127.0.0.1:1")
    fails(tmp_path, "index", "--confirmations", "-1", message="confirmations must be a whole number")
    fails(tmp_path, "index", "--db", ".", message=". is a folder, not an event index file (such as index.sqlite)")
    miswritten = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267"
    fails(tmp_path, "--registry", miswritten, "models", message="--registry: " + miswritten + " is not a valid address")
    assert not (tmp_path / INDEX).exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    fails(empty, "index", message="there is no chain file .sumchain/chain.sqlite yet: nothing to index")
    assert list(empty.iterdir()) == []
