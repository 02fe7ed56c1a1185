"""The Starlette application: the JSON API, the page and its assets (shipped in ``static/``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sumchain.web.api import ROUTES
from sumchain.web.dashboard import Dashboard
from sumchain.web.errors import EXCEPTION_HANDLERS, error_response

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.registry import Registry
    from sumchain.unfinished import Notes

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",  # frame-ancestors for older browsers: no other site frames the page's buttons
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Sent with every answer, the page's assets and the API's JSON alike (see :class:`SecureHeaders`)."""


async def page(request: Request) -> Response:
    """The one HTML page: it reads the path (``/``, ``/models/ADDRESS``, ``/deploy``, ``/simulate``)
    and asks the API."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


class SecureHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP answer of ``app`` (a route, a static file or an error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_secured)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_names(host: str) -> tuple[str, ...]:
    """The host names a server listening on ``host`` answers (see :class:`HostCheck`).

    On a loopback address (``localhost``, any of 127.0.0.0/8, ``::1``) only the loopback names and
    the address itself: a page whose DNS name was rebound to this machine is refused. On any
    other address all names (``*``): the server is meant to be reached from elsewhere.

    Examples
    --------
    >>> host_names("127.0.0.2")
    ('127.0.0.1', 'localhost', '[::1]', '127.0.0.2')
    >>> host_names("0.0.0.0")
    ('*',)
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return LOOPBACK_NAMES if host.lower() == "localhost" else ("*",)
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    if not (address.is_loopback or (mapped is not None and mapped.is_loopback)):
        return ("*",)
    name = f"[{address.compressed}]" if address.version == 6 else address.compressed
    return LOOPBACK_NAMES if name in LOOPBACK_NAMES else (*LOOPBACK_NAMES, name)


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
        self.app, self.names = app, frozenset(name.lower() for name in names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.names:
            host = Headers(scope=scope).get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in self.names:  # host names ignore case
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
    workspace: Path | None = None,
) -> Starlette:
    """The dashboard of a chain, as an ASGI app.

    Parameters
    ----------
    chain : Chain
        The chain; the app signs on it with dev accounts only, and only if it is a dev chain.
    registry : Registry, optional
        The registry whose models the page lists.
    hosts : sequence of str
        The host names the app answers (see :class:`HostCheck` and :func:`host_names`): the
        loopback names by default.
    notes : Notes, optional
        Where deployments on a node are remembered until their upload is done (see :class:`Dashboard`).
    workspace : Path, optional
        Where a prediction market's provider keeps its hidden test set (see :class:`Dashboard`).

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
        Route("/simulate", page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(SecureHeaders), Middleware(HostCheck, names=tuple(hosts))],
    )
    app.state.dashboard = Dashboard(chain, registry, notes=notes, workspace=workspace)
    return app
