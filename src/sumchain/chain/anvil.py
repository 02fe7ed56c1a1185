"""A local anvil node in a process of its own: finding the binary, starting it, waiting for it.

anvil comes from the npm package ``@foundry-rs/anvil-linux-amd64`` (the binary is inside
it: ``npm install`` in a checkout puts it in ``node_modules``), or from ``$ANVIL_BIN``, or
from the ``PATH``. The integration tests and the benchmarks start their nodes here.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumchain.errors import ChainError

NPM_BINARY = Path("node_modules") / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
"""Where ``npm install`` of the package puts the binary, below the folder it ran in."""
STARTUP_SECONDS = 30


def find_anvil(*folders: Path) -> str | None:
    """The anvil binary: ``$ANVIL_BIN``, else npm's below one of ``folders`` (default: the current
    one), else the one on the PATH; None when there is none."""
    explicit = os.environ.get("ANVIL_BIN")
    if explicit:
        return explicit
    for folder in folders or (Path.cwd(),):
        if (folder / NPM_BINARY).is_file():
            return str(folder / NPM_BINARY)
    return shutil.which("anvil")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keep_first_genesis(state: Path) -> None:
    """Keep only the first block 0 in an anvil ``--state`` file.

    anvil 1.7 makes a new block 0 at each start (its time the start's) and saves it beside the
    loaded ones, and which of them is block 0 after the next load varies: the chain's first block
    hash, by which sumchain knows a chain (its registry note, its event index), then changes. The
    first block 0 is the earliest. A file of another form is left as it is.
    """
    try:
        saved = json.loads(state.read_text())
        blocks = saved["blocks"]
        zeros = [block for block in blocks if block["header"]["number"] == "0x0"]
        first = min(zeros, key=lambda block: int(block["header"]["timestamp"], 16))
    except (OSError, ValueError, KeyError, TypeError):
        return
    if len(zeros) > 1:
        saved["blocks"] = [block for block in blocks if block is first or block["header"]["number"] != "0x0"]
        spare = state.with_name(state.name + ".tmp")
        spare.write_text(json.dumps(saved))
        shutil.copymode(state, spare)
        spare.replace(state)


@dataclass(frozen=True)
class AnvilNode:
    """A running node: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_ready(self) -> None:
        """Return once the node answers JSON-RPC.

        Raises
        ------
        ChainError
            When it exits, or does not answer within :data:`STARTUP_SECONDS`.
        """
        import requests

        deadline = time.monotonic() + STARTUP_SECONDS
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while True:
            if self.process.poll() is not None:
                raise ChainError(f"anvil exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                requests.post(self.url, json=request, timeout=2).raise_for_status()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise ChainError(f"anvil did not answer at {self.url} within {STARTUP_SECONDS} s") from None
                time.sleep(0.1)


@contextmanager
def running_anvil(binary: str, args: Sequence[str] = (), *, port: int | None = None) -> Iterator[AnvilNode]:
    """A fresh anvil on a local ``port`` (by default a free one), with extra command-line ``args``; stopped on exit.

    Raises
    ------
    ChainError
        When ``port`` is taken (checked first: otherwise the node already listening there could
        answer the readiness probe before this anvil fails to bind), or anvil does not start.
    """
    if port is None:
        port = free_port()
    else:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port just freed (TIME_WAIT) is free
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                raise ChainError(f"port {port} is in use ({exc.strerror or exc})") from None
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "anvil.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [binary, "--host", "127.0.0.1", "--port", str(port), "--silent", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a closed terminal's hangup, which anvil dies of unsaved, goes to us
            )
        node = AnvilNode(f"http://127.0.0.1:{port}", process, log)
        try:
            node.wait_until_ready()
            yield node
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
