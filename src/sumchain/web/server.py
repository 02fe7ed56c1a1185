"""``sumchain serve``: open the chain without any key, find its registry, run the app on uvicorn."""

from __future__ import annotations

import os
import re
import socket
from typing import TYPE_CHECKING

from sumchain.errors import SumchainError

if TYPE_CHECKING:
    from pathlib import Path

    from sumchain.chain.base import Chain
    from sumchain.registry import Registry
    from sumchain.unfinished import Notes

INSTALL_HINT = 'the dashboard needs Starlette and uvicorn: pip install "sumchain[web]"'
_URL = re.compile(r"^https?://", re.IGNORECASE)


def keyless_chain(spec: str, max_deposit: int | None = None) -> Chain:
    """The chain of ``--chain`` as the dashboard opens it: a node with no key of its own.

    The key of ``SUMCHAIN_PRIVATE_KEY`` and keystore accounts are never loaded, so the
    server holds no key of a non-dev chain; on a dev chain it signs with the public dev
    keys alone, and refuses to send more than ``max_deposit`` wei (``--max-deposit``) at once.
    """
    from sumchain.cli.accounts import SigningOptions
    from sumchain.cli.session import open_chain

    limit = SigningOptions(yes=True, max_deposit=max_deposit)  # nobody to ask: the limit alone
    if not _URL.match(spec):
        return open_chain(spec, limit)
    from sumchain.chain.rpc import RpcChain
    from sumchain.keys import PRIVATE_KEY_VARIABLE

    saved = os.environ.pop(PRIVATE_KEY_VARIABLE, None)
    try:
        return RpcChain(spec, confirm=limit.confirmation())
    finally:
        if saved is not None:
            os.environ[PRIVATE_KEY_VARIABLE] = saved


def serve(
    chain: Chain,
    registry: Registry | None,
    *,
    host: str,
    port: int,
    on_ready: str | None = None,
    notes: Notes | None = None,
    workspace: Path | None = None,
) -> None:
    """Run the dashboard until interrupted.

    Parameters
    ----------
    chain : Chain
        The chain (see :func:`keyless_chain`).
    registry : Registry, optional
        The registry whose models the page lists.
    host, port : str, int
        Where to listen. On a loopback address the app answers only requests addressed to a
        loopback name or that address (no DNS rebinding); on another, any (see
        :func:`~sumchain.web.app.host_names`).
    on_ready : str, optional
        A line to print before the server starts.
    notes : Notes, optional
        Where deployments on a node are remembered until done (see :class:`~sumchain.web.dashboard.Dashboard`).
    workspace : Path, optional
        Where a prediction market's provider keeps its hidden test set (see :class:`~sumchain.web.dashboard.Dashboard`).

    Raises
    ------
    SumchainError
        When it cannot listen there (a port in use, an unknown host).
    """
    import uvicorn

    from sumchain.web.app import create_app, host_names

    try:  # bound here, before the ready line: a busy port or an unknown host is one error, not uvicorn's log
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.create_server((host, port), family=family)
    except OSError as exc:  # a bind error's strerror also repeats the address: its errno says it alone
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
        raise SumchainError(f"cannot listen on {host}:{port}: {reason}") from None
    app = create_app(chain, registry, hosts=host_names(host), notes=notes, workspace=workspace)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    if on_ready:
        print(on_ready, flush=True)
    server.run(sockets=[listening])
