"""``sumchain serve``: the web dashboard of the chain of ``--chain`` (see :mod:`sumchain.web`)."""

from __future__ import annotations

from typing import Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.errors import SumchainError


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web dashboard: find models, predict, contribute, refund and report, deploy models and run
    prediction markets (dev accounts sign, or a browser wallet)."""
    from sumchain.cli.session import WORKSPACE
    from sumchain.web.server import INSTALL_HINT, keyless_chain, serve

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise SumchainError(INSTALL_HINT) from None
    session.use_chain(session.chain_spec, keyless_chain(session.chain_spec, session.max_deposit))
    registry = session.registry_if_any()
    where = f"http://{host}:{port}/"
    ready = f"sumchain dashboard at {where} (Ctrl-C stops it)"
    serve(session.chain(), registry, host=host, port=port, on_ready=ready, notes=session, workspace=WORKSPACE)
