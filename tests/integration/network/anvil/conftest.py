"""Fixtures for tests against a real anvil node: one per session, isolated per test by anchor()."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sumchain.chain.rpc import RpcChain
from sumchain.errors import ChainError
from sumchain.keys import PRIVATE_KEY_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[4]
NPM_ANVIL = REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
STARTUP_SECONDS = 30


def find_anvil() -> str | None:
    """The anvil binary: ``$ANVIL_BIN``, else the npm one at the repo root, else the PATH one."""
    if os.environ.get("ANVIL_BIN"):
        return os.environ["ANVIL_BIN"]
    if NPM_ANVIL.is_file():
        return str(NPM_ANVIL)
    return shutil.which("anvil")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connect(url: str, process: subprocess.Popen[bytes], log: Path) -> RpcChain:
    """Wait until anvil answers, with the dev keys only (ignoring ``SUMCHAIN_PRIVATE_KEY``)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"anvil exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                return RpcChain(url, timeout=10)
            except ChainError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@contextmanager
def running_anvil(*args: str) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """A fresh anvil node on a free port, with extra command-line ``args``: its URL, process and log."""
    binary = find_anvil()
    if binary is None:
        pytest.skip("anvil not installed: run `npm install` at the repo root")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "anvil.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [binary, "--host", "127.0.0.1", "--port", str(port), "--silent", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            yield f"http://127.0.0.1:{port}", process, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def anvil_chain() -> Iterator[RpcChain]:
    """A fresh anvil node (automine, 30M block gas limit) for the whole session."""
    with running_anvil("--gas-limit", "30000000") as (url, process, log):
        yield connect(url, process, log)


@pytest.fixture
def chain(anvil_chain: RpcChain) -> Iterator[RpcChain]:
    """The session's anvil chain, rolled back (evm_snapshot/evm_revert) after each test."""
    with anvil_chain.anchor():
        yield anvil_chain
