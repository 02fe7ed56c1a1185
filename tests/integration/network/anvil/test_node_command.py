"""``sumchain node``: anvil with a registry, stopped by Ctrl-C, its chain kept in the state file
and its registry found again on restart; one line when anvil is missing or cannot start."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sumchain.chain.anvil import find_anvil, free_port, keep_first_genesis, running_anvil
from sumchain.chain.rpc import RpcChain
from tests.helpers import run_sumchain, start_sumchain

from .conftest import REPO_ROOT

pytestmark = pytest.mark.anvil


def anvil_binary() -> str:
    binary = find_anvil(REPO_ROOT)
    if binary is None:
        pytest.skip("anvil not installed: run `npm install` at the repo root")
    return binary


@contextmanager
def node(cwd: Path, port: int, *args: str, stop: signal.Signals = signal.SIGINT) -> Iterator[list[str]]:
    """``sumchain node`` in a process of its own; yields its first three lines, then stops it
    with ``stop`` (Ctrl-C's SIGINT, or SIGTERM) and checks that it said so and exited with 0."""
    process = start_sumchain(cwd, "node", "--port", str(port), *args, env={"ANVIL_BIN": anvil_binary()})
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3)]
    try:
        assert all(lines), "".join(lines) + (process.stderr.read() if process.stderr else "")
        yield lines
    finally:
        process.send_signal(stop)
        rest, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert rest.strip().endswith("Node stopped; its chain is saved in .sumchain/node-state.json."), rest


def test_a_node_keeps_its_chain_and_registry_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    on_node = ("--chain", url)
    with node(tmp_path, port, stop=signal.SIGTERM) as lines:  # anvil must stop too: the restart takes its port
        assert lines[0].startswith(f"anvil at {url} (chain id 31337), its state in .sumchain/node-state.json")
        registry = lines[1].split()[-1].rstrip(".")
        assert lines[2].strip() == f"Use it with: sumchain --chain {url} ...   (Ctrl-C stops the node)"
        deployed = run_sumchain(tmp_path, *on_node, "deploy", "--name", "kept")
        assert f"listed as 'kept' in the registry at {registry}" in deployed.stdout, deployed.stderr
        assert run_sumchain(tmp_path, *on_node, "time", "advance", "5d").returncode == 0
        ahead = RpcChain(url).time()
    assert ahead > time.time() + 4 * 86_400
    assert (tmp_path / ".sumchain" / "node-state.json").stat().st_size > 0
    with node(tmp_path, port) as lines:
        assert lines[1] == f"Model registry at {registry}.\n"  # found again, not deployed anew
        # the clock goes on from the last block (the state file keeps blocks, not a clock moved ahead)
        added = run_sumchain(tmp_path, *on_node, "--model", "kept", "add", "a fine film", "--label", "1")
        assert added.returncode == 0, added.stderr
        assert RpcChain(url).time() > ahead
        listed = json.loads(run_sumchain(tmp_path, *on_node, "models", "--json").stdout)
        assert [e["name"] for e in listed] == ["kept"]
        predicted = run_sumchain(tmp_path, *on_node, "--model", "kept", "predict", "a wonderful film")
        assert predicted.stdout.strip() == "1 (positive)", predicted.stderr


def test_a_missing_anvil_or_a_busy_port_gives_one_line(tmp_path: Path) -> None:
    missing = run_sumchain(tmp_path, "node", env={"ANVIL_BIN": "", "PATH": str(tmp_path)})
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert "anvil is not installed: run `npm install @foundry-rs/anvil-linux-amd64`" in missing.stderr
    port = free_port()
    with node(tmp_path, port):
        busy = run_sumchain(tmp_path, "node", "--port", str(port), env={"ANVIL_BIN": anvil_binary()})
        assert busy.returncode == 1 and len(busy.stderr.strip().splitlines()) == 1, busy.stderr
        assert f"ChainError: anvil did not start on port {port}" in busy.stderr


def test_restarts_keep_the_chains_first_block_and_its_registry(tmp_path: Path) -> None:
    """anvil 1.7 saves a new block 0 at each start, and which one it loads as block 0 varies: the chain's
    first block hash, by which sumchain knows a chain (its registry note, its index), then changed, and
    a restart deployed another registry. ``sumchain node`` keeps the first block 0 of the file."""
    port = free_port()
    state = tmp_path / ".sumchain" / "node-state.json"
    with node(tmp_path, port, stop=signal.SIGTERM) as lines:
        registry = lines[1]
        (first,) = RpcChain(f"http://127.0.0.1:{port}").block_hashes([0])
    for later in range(1, 5):  # bare anvil restarts, as before the fix: a block 0 more in the file each time
        started = ["--state", str(state), "--timestamp", str(int(time.time()) + 100 * later)]  # in other seconds
        with running_anvil(anvil_binary(), started, port=port):
            pass
    assert len(block_zeros(state)) == 5
    for _ in range(2):
        with node(tmp_path, port, stop=signal.SIGTERM) as lines:
            assert RpcChain(f"http://127.0.0.1:{port}").block_hashes([0]) == [first] and lines[1] == registry
    keep_first_genesis(state)
    (kept,) = block_zeros(state)
    assert int(kept["header"]["timestamp"], 16) == min(int(b["header"]["timestamp"], 16) for b in block_zeros(state))


def block_zeros(state: Path) -> list[dict[str, Any]]:
    return [block for block in json.loads(state.read_text())["blocks"] if block["header"]["number"] == "0x0"]


def test_an_anvil_that_dies_or_cannot_read_its_state_is_one_line(tmp_path: Path) -> None:
    """anvil killed: the node said its chain was saved, and exited with 0; a state file anvil cannot read:
    the error gave anvil's last line, "For more information, try '--help'", not its reason."""
    port = free_port()
    process = start_sumchain(tmp_path, "node", "--port", str(port), env={"ANVIL_BIN": anvil_binary()})
    assert process.stdout is not None and all(process.stdout.readline() for _ in range(3))
    (anvil,) = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    os.kill(int(anvil), signal.SIGKILL)
    said, errors = process.communicate(timeout=60)
    assert process.returncode == 1 and "saved" not in said, said
    assert errors.startswith("ChainError: anvil stopped by itself (exit status -9") and errors.count("\n") == 1
    assert errors.rstrip().endswith("the chain since the node started was not saved to .sumchain/node-state.json")
    (tmp_path / "bad.json").write_text("not json")
    bad = run_sumchain(tmp_path, "node", "--port", str(port), "--state", "bad.json", env={"ANVIL_BIN": anvil_binary()})
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1, bad.stderr
    assert "invalid value 'bad.json' for '--state <PATH>': failed to parse json file" in bad.stderr


def test_a_hangup_stops_the_node_and_saves_its_chain(tmp_path: Path) -> None:
    """A closed terminal or a dropped SSH session sends SIGHUP: it killed the node unsaved."""
    with node(tmp_path, free_port(), stop=signal.SIGHUP):
        pass
