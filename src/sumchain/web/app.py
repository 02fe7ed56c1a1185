"""The Starlette application: the JSON API, the page and its assets (shipped in ``static/``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sumchain.web.api import ROUTES
from sumchain.web.dashboard import Dashboard
from sumchain.web.errors import EXCEPTION_HANDLERS

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.registry import Registry

STATIC = Path(__file__).parent / "static"
_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'self'; img-src 'self' data:"}


async def page(request: Request) -> Response:
    """The one HTML page: it reads the path (``/``, ``/models/ADDRESS``, ``/deploy``) and asks the API."""
    return FileResponse(STATIC / "index.html", headers=_HEADERS)


def create_app(chain: Chain, registry: Registry | None = None) -> Starlette:
    """The dashboard of a chain, as an ASGI app.

    Parameters
    ----------
    chain : Chain
        The chain; the app signs on it with dev accounts only, and only if it is a dev chain.
    registry : Registry, optional
        The registry whose models the page lists.

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
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)
    app.state.dashboard = Dashboard(chain, registry)
    return app
