"""The demo's story on the default chain file, and many ``sumchain add`` processes at once on it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sumchain import EmbeddedChain
from tests.cli.test_cli import deployed, run

WRITERS = 8
ROUNDS = 5


def test_demo_streams_its_days_and_tells_the_whole_story(tmp_path) -> None:
    out = run(tmp_path, "demo").stdout
    rows = re.findall(r"^\s*(\d+|settle)\s+([\d.]+)%\s+([\d.]+)%", out, re.MULTILINE)
    assert [day for day, _, _ in rows] == [*map(str, range(1, 11)), "settle"]
    story = re.search(
        r"Honest contributor ([+-][\d.]+) ETH, label-flipper ([+-][\d.]+) ETH; accuracy ([\d.]+)% -> ([\d.]+)% "
        r"\(with honest data alone: ([\d.]+)%\)",
        out,
    )
    assert story, out
    assert float(story[1]) > 0 > float(story[2])
    assert abs(float(story[4]) - float(story[5])) <= 5  # near where honest data alone takes it
    assert "sumchain contributions --all" in out
    assert (tmp_path / ".sumchain" / "chain.sqlite").exists()  # the default chain file: the model stays
    listed = json.loads(run(tmp_path, "contributions", "--all", "--json").stdout)
    flipper = [c for c in listed if c["author"] == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]
    assert len(listed) - len(flipper) == 100 and 0 < len(flipper) < 20  # it ran out of budget for some days
    assert {c["status"] for c in flipper} <= {"taken", "partly taken", "refunded"}
    assert json.loads(run(tmp_path, "info", "--json").stdout)["name"] == "movie sentiment (demo)"


def test_concurrent_command_line_writers_lose_nothing(tmp_path) -> None:
    address = deployed(tmp_path, "--cost-weight", "1gwei")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    acknowledged = []
    for round_ in range(ROUNDS):
        writers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sumchain",
                    "add",
                    "--sample",
                    f"{i},{100 + round_}",
                    "--label",
                    str(i % 2),
                    "--account",
                    str(1 + i % 4),
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(WRITERS)
        ]
        for process in writers:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, out + err
            acknowledged.append(int(re.search(r"at time (\d+)", out)[1]))
    listed = json.loads(run(tmp_path, "--model", address, "contributions", "--all", "--json").stdout)
    assert sorted(c["added_time"] for c in listed) == sorted(acknowledged)  # every acknowledged one, once
    chain = EmbeddedChain(Path(tmp_path) / ".sumchain" / "chain.sqlite")
    blocks = [chain.block(c["block_number"]) for c in listed]
    assert [b.timestamp for b in blocks] == sorted({b.timestamp for b in blocks})  # strictly increasing
    for sender in {b.sender for b in blocks}:
        nonces = [b.nonce for b in blocks if b.sender == sender]
        assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))
