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

from tests.cli.test_cli import deployed, fails, run

INDEX = Path(".sumchain/index.sqlite")


def listed(cwd: Path, *args: str) -> list[dict[str, object]]:
    return list(json.loads(run(cwd, "contributions", "--all", "--json", *args).stdout))


def test_index_then_contributions_read_from_it(tmp_path) -> None:
    deployed(tmp_path)
    run(tmp_path, "add", "a wonderful, brilliant movie", "--label", "positive", "--account", "1")
    run(tmp_path, "add", "an awful, boring mess", "--label", "negative", "--account", "2")
    out = run(tmp_path, "index").stdout
    assert out.startswith("indexed 3 events from ") and str(INDEX) in out  # MetadataPublished, 2 DataAdded
    assert listed(tmp_path) == listed(tmp_path, "--from-chain")
    assert run(tmp_path, "index").stdout.startswith("indexed 0 events from 0 blocks")
    run(tmp_path, "add", "brilliant", "--label", "positive", "--account", "3")
    assert run(tmp_path, "index").stdout.startswith("indexed 1 events from 1 blocks")
    with closing(sqlite3.connect(tmp_path / INDEX)) as conn, conn:  # tamper: proves contributions reads the index
        conn.execute("DELETE FROM data_added WHERE block_number = (SELECT max(block_number) FROM data_added)")
    assert [c["id"] for c in listed(tmp_path)] == [1, 2]
    assert [c["id"] for c in listed(tmp_path, "--from-chain")] == [1, 2, 3]


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
    assert err == "" and out.startswith("indexed 2 events from ") and len(out.strip().splitlines()) == 1


def test_bad_input_gives_one_line_and_no_index(tmp_path) -> None:
    deployed(tmp_path)
    fails(tmp_path, "index", "0x" + "12" * 20, message="is not a sumchain model")
    fails(tmp_path, "index", "nonsense", message="'nonsense' is not an address")
    fails(tmp_path, "--chain", "http://127.0.0.1:1", "index", message="cannot reach http://127.0.0.1:1")
    fails(tmp_path, "index", "--confirmations", "-1", message="confirmations must be a whole number")
    assert not (tmp_path / INDEX).exists()
