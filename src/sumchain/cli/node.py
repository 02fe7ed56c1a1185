"""``sumchain node``: a local anvil node with a model registry, kept in a state file until Ctrl-C
(or SIGTERM, or SIGHUP from a closed terminal; anvil runs in a session of its own, so that the
hangup, which it dies of unsaved, reaches only the node, which stops it).

The node is anvil (:mod:`sumchain.chain.anvil`: ``$ANVIL_BIN``, npm's binary below the
current folder, or the one on the PATH), started with ``--state``: it loads the file if it
exists and writes the chain back to it when it stops. The registry is deployed on the first
start and noted for the node's chain in ``.sumchain/workspace.json``, so that later commands
with ``--chain URL`` find it; a restart from the same state finds it there again, its first
block kept (:func:`~sumchain.chain.anvil.keep_first_genesis`).
"""

from __future__ import annotations

import signal
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.output import out
from sumchain.errors import ChainError, RegistryError, SumchainError

INSTALL_ANVIL = (
    "anvil is not installed: run `npm install @foundry-rs/anvil-linux-amd64` in this folder (or `npm install` in a "
    "sumchain checkout), install Foundry (https://getfoundry.sh), or set ANVIL_BIN to its path"
)
DEFAULT_STATE = Path(".sumchain") / "node-state.json"


@app.command()
def node(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Local port to serve JSON-RPC on.")] = 8545,
    state: Annotated[
        Path, typer.Option(help="File the chain is loaded from (if it exists) and saved to when the node stops.")
    ] = DEFAULT_STATE,
) -> None:
    """Run a local anvil node with a model registry, until Ctrl-C (its chain is kept in --state)."""
    from sumchain.chain.anvil import find_anvil, keep_first_genesis, running_anvil

    binary = find_anvil()
    if binary is None:
        raise SumchainError(INSTALL_ANVIL)
    state.parent.mkdir(parents=True, exist_ok=True)
    keep_first_genesis(state)
    for stop in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):  # a closed terminal sends SIGHUP
        if stop is not None:
            signal.signal(stop, _interrupt)  # stop as on Ctrl-C: anvil saves the chain and exits with us
    died, log = None, ""
    with ExitStack() as stack:
        try:
            started = stack.enter_context(running_anvil(binary, ["--state", str(state)], port=port))
        except ChainError as exc:
            raise ChainError(f"anvil did not start on port {port}: {_reason(str(exc))}") from None
        session.use_chain(started.url)
        _clock_from_the_last_block()
        registry = _registry()
        chain_id = getattr(session.chain(), "chain_id", "?")
        out.print(f"anvil at {started.url} (chain id {chain_id}), its state in {state}")
        out.print(f"Model registry at {registry}.")
        out.print(f"Use it with: sumchain --chain {started.url} ...   (Ctrl-C stops the node)")
        with suppress(KeyboardInterrupt):
            died = started.process.wait()  # only when anvil ends by itself: killed, or failed
            log = started.log.read_text(errors="replace")
    if died is not None:
        raise ChainError(
            f"anvil stopped by itself (exit status {died}: {_reason(log)}): the chain since the node started was "
            f"not saved to {state}"
        )
    out.print(f"Node stopped; its chain is saved in {state}.")


def _reason(log: str) -> str:
    """The line of anvil's output that says what went wrong: its ``error:`` line, else its last one."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    said = next((line[line.lower().index("error:") :] for line in lines if "error:" in line.lower()), None)
    return said or (lines[-1] if lines else "no output")


def _clock_from_the_last_block() -> None:
    """Set the node's clock to go on from its last block: anvil's state file keeps the blocks, not a clock
    moved ahead (``sumchain time advance``), so a restarted node would mine blocks earlier than its last
    one, and every wait counted on chain (refunds, deposits, markets) would go back."""
    from sumchain.chain.rpc import RpcChain

    chain = session.chain()
    ahead = chain.time() - int(time.time())
    if isinstance(chain, RpcChain) and ahead >= 0:
        chain.request("evm_increaseTime", ahead + 1)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM or SIGHUP handled as Ctrl-C (their default handlers would leave anvil running, unsaved)."""
    raise KeyboardInterrupt


def _registry() -> str:
    """The node's registry: the one noted for it if the chain still has it, else a new one (noted)."""
    from sumchain.registry import Registry

    noted = session.remembered("registry")
    if noted is not None:
        try:
            return Registry(session.chain(), noted).address
        except RegistryError:
            pass
    address = Registry.deploy(session.chain()).address
    session.remember("registry", address)
    return address
