"""The Starlette application: the JSON API, the page and its assets (shipped in ``static/``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from sumchain.web.api import ROUTES
from sumchain.web.dashboard import Dashboard
from sumchain.web.errors import EXCEPTION_HANDLERS, error_response

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.registry import Registry
    from sumchain.unfinished import Notes

STATIC = Path(__file__).parent / "static"
_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'self'; img-src 'self' data:"}


async def page(request: Request) -> Response:
    """The one HTML page: it reads the path (``/``, ``/models/ADDRESS``, ``/deploy``) and asks the API."""
    return FileResponse(STATIC / "index.html", headers=_HEADERS)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class HostCheck:
    """Answer only requests addressed to one of ``names`` (any port): a page of another site that
    rebinds its DNS name to this machine cannot reach an API that signs with dev keys. The refusal
    is JSON, as every error.

    Parameters
    ----------
    app : ASGI app
        The app to guard.
    names : sequence of str
        Host names (without port) to answer; ``*`` answers all.
    """

    def __init__(self, app: ASGIApp, names: Sequence[str]) -> None:
        self.app, self.names = app, frozenset(names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.names:
            host = Headers(scope=scope).get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.names:
                refusal = error_response(421, f"this dashboard answers {', '.join(sorted(self.names))}, not {host!r}")
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    chain: Chain,
    registry: Registry | None = None,
    *,
    hosts: Sequence[str] = LOOPBACK_NAMES,
    notes: Notes | None = None,
) -> Starlette:
    """The dashboard of a chain, as an ASGI app.

    Parameters
    ----------
    chain : Chain
        The chain; the app signs on it with dev accounts only, and only if it is a dev chain.
    registry : Registry, optional
        The registry whose models the page lists.
    hosts : sequence of str
        The host names the app answers (see :class:`HostCheck`): the loopback names by default.
    notes : Notes, optional
        Where deployments on a node are remembered until their upload is done (see :class:`Dashboard`).

    Examples
    --------
    >>> from sumchain import EmbeddedChain
    >>> app = create_app(EmbeddedChain())
    >>> app.state.dashboard.chain.is_dev
    True
    """
    routes = [
        *ROUTES,
        Route("/", page, methods=["GET"]),
        Route("/models/{address}", page, methods=["GET"]),
        Route("/deploy", page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(HostCheck, names=tuple(hosts))],
    )
    app.state.dashboard = Dashboard(chain, registry, notes=notes)
    return app
