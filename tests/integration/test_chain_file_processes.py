"""One chain file, many processes: nothing acknowledged is ever lost.

Real processes (``chain_workers``) write and read the same SQLite chain file
at once; one is killed with SIGKILL in the middle of its writes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron

REPO_ROOT = Path(__file__).resolve().parents[2]
WRITERS = 8
ROUNDS = 5


def worker(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.chain_workers", *map(str, args)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def new_chain(path: Path) -> tuple[EmbeddedChain, SharedModel]:
    chain = EmbeddedChain(path, genesis_time=1_700_000_000)
    mirror = SparsePerceptron.from_weights([1, -1, 2, -2, 3, -3, 4, -4, 0, 0, 0, 0, 0, 0, 0, 0])
    return chain, SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=10**12))


def acknowledged(output: str) -> list[tuple[int, str]]:
    return [(int(t), a) for line in output.splitlines() if line.startswith("acked") for _, t, a in [line.split()]]


def test_concurrent_writers_lose_nothing_and_a_reader_sees_consistent_states(tmp_path: Path) -> None:
    chain, model = new_chain(tmp_path / "chain.sqlite")
    start_block = chain.block_number()
    reader = worker("read", chain.path, model.address, 8)
    writers = [worker("add", chain.path, model.address, 1 + i % 5, ROUNDS) for i in range(WRITERS)]
    acked = []
    for process in writers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        acked += acknowledged(out)
    out, err = reader.communicate(timeout=300)
    assert reader.returncode == 0, err
    assert int(out.split()[-1]) > 0

    assert len(acked) == WRITERS * ROUNDS
    on_chain = {(c.added_time, c.author) for c in model.contributions(everyone=True)}
    assert set(acked) == on_chain  # every acknowledged contribution is there, once
    blocks = [chain.block(n) for n in range(start_block + 1, chain.block_number() + 1)]
    assert len(blocks) == WRITERS * ROUNDS
    assert all(b is not None for b in blocks)
    times = [b.timestamp for b in blocks if b]
    assert times == sorted(set(times))  # strictly increasing block times
    for sender in {b.sender for b in blocks if b}:
        nonces = [b.nonce for b in blocks if b and b.sender == sender]
        assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))  # strictly increasing, no gap
        assert chain.nonce(sender) == nonces[-1] + 1


def test_a_killed_writer_leaves_every_acknowledged_transaction(tmp_path: Path) -> None:
    chain, model = new_chain(tmp_path / "chain.sqlite")
    process = worker("add", chain.path, model.address, 3, 10_000)
    lines = []
    assert process.stdout is not None
    while len(lines) < 25:
        lines.append(process.stdout.readline())
    time.sleep(0.003 * (os.getpid() % 7))  # somewhere inside a later write
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    acked = acknowledged("".join(lines) + rest)

    with sqlite3.connect(chain.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = SharedModel(EmbeddedChain(chain.path), model.address)
    on_chain = {(c.added_time, c.author) for c in reopened.contributions(3)}
    assert set(acked) <= on_chain
    assert len(on_chain) - len(acked) <= 1  # at most the one committed as it was killed
    assert reopened.chain.balance(model.address) == sum(c.claimable for c in reopened.contributions(everyone=True))
