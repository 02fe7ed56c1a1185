"""How the dashboard's API fails: always JSON ``{"error": message}``, with a fitting status.

:class:`ApiError` carries its own status; sumchain's errors are mapped at the
boundary (as httpx maps its transports' errors): a model that is not there is
404, a revert or a deposit above the limit 409 (the chain's current state refuses
it), an unreachable node 503, any other :class:`~sumchain.errors.SumchainError` 400. A bug is 500 with a
one-line message, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from sumchain import safe_json
from sumchain.errors import (
    ChainError,
    ContractReverted,
    DepositLimitExceeded,
    InsufficientFunds,
    NotAModel,
    SumchainError,
    TransactionRejected,
    UnknownContribution,
    UnknownName,
    without_secrets,
)
from sumchain.units import is_whole

MAX_BODY = 64 * 1024
"""Largest request body the API reads, in bytes; a larger one is refused with 413 before it is parsed."""
_log = logging.getLogger("sumchain.web")


class ApiError(Exception):
    """A request the API refuses, with the HTTP status to answer.

    Parameters
    ----------
    status : int
        The HTTP status code.
    message : str
        What went wrong, for the page to show.
    extra : dict, optional
        More fields of the answer, beside ``error`` (what the page needs to go on).

    Examples
    --------
    >>> ApiError(404, "no such model").status
    404
    """

    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra or {}


def shown(value: Any) -> str:
    """A value of a request as an error message repeats it: its ``repr``, cut short.

    >>> shown("abc"), shown("x" * 100)[-6:]
    ("'abc'", 'xxx...')
    """
    return _cut(repr(value), 60)


def _cut(text: str, most: int) -> str:
    """``text``, cut to ``most`` characters (the last three an ellipsis) when it is longer."""
    return text if len(text) <= most else text[: most - 3] + "..."


def failure_message(exc: Exception) -> str:
    """What a job of the server's own (a deployment, a simulation) reports of the exception that
    ended it, as the handlers answer a request's: ``Type: message`` for sumchain's errors, and for a
    bug ``unexpected error (Type): message`` (logged whole); on one line, cut short, its URLs cut to
    their host, since every visitor may read it.

    >>> failure_message(SumchainError("no dataset at /x\\nmore"))
    'SumchainError: no dataset at /x'
    """
    if isinstance(exc, SumchainError):
        text = f"{type(exc).__name__}: {exc}"
    else:
        _log.error("unexpected error in a background job", exc_info=exc)
        text = f"unexpected error ({type(exc).__name__}): {exc}"
    first = (text.strip().splitlines() or [""])[0]
    return without_secrets(_cut(first, 300))


def status_of(exc: SumchainError) -> int:
    """The HTTP status that answers one of sumchain's errors.

    >>> status_of(NotAModel("x")), status_of(ContractReverted("r")), status_of(DepositLimitExceeded("d"))
    (404, 409, 409)
    >>> status_of(SumchainError("s")), status_of(ChainError("c"))
    (400, 503)
    """
    if isinstance(exc, NotAModel | UnknownName | UnknownContribution):
        return 404
    if isinstance(exc, ContractReverted | InsufficientFunds | TransactionRejected | DepositLimitExceeded):
        # the chain refuses it, or asks more than the client or the server allows, in its current state
        return 409
    if isinstance(exc, ChainError):
        return 503
    return 400


MAX_MESSAGE = 500
"""Longest error message the API answers with, in characters (a long input repeated is cut)."""


def error_response(status: int, message: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    """The JSON answer of every failure, its URLs cut to their host (see :func:`without_secrets`), and cut
    short after :data:`MAX_MESSAGE` characters; ``extra`` fields beside it."""
    return JSONResponse({"error": _cut(without_secrets(message), MAX_MESSAGE)} | (extra or {}), status_code=status)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.extra)


async def _sumchain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SumchainError)
    return error_response(status_of(exc), f"{type(exc).__name__}: {exc}")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else f"nothing at {request.url.path}"
    return error_response(exc.status_code, str(message))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, f"unexpected error ({type(exc).__name__}): {exc}")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    SumchainError: _sumchain_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
"""Starlette's ``exception_handlers``: every failure as JSON."""


async def read_json(request: Request, *, limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's body as a JSON object, read up to ``limit`` bytes (:data:`MAX_BODY` by default).

    Raises
    ------
    ApiError
        413 for a larger body (announced or sent), 415 for another content type or none,
        400 for malformed JSON or anything but an object.
    """
    declared = request.headers.get("content-length")
    if declared is not None and is_whole(declared) and int(declared) > limit:
        raise ApiError(413, f"the request body has {int(declared):,} bytes; the API reads at most {limit:,} here")
    # required, not assumed: a page of another site can POST without a Content-Type and no preflight
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()  # media types ignore case
    if kind != "application/json":
        raise ApiError(415, f"the API reads application/json, not {kind or 'a body without a Content-Type'}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"the request body is over {limit:,} bytes, the most the API reads here")
    try:
        # no more values than bytes: the byte limit bounds the work; the depth limit is what protects here
        value = safe_json.loads(body.decode() or "{}", max_items=limit)
    except ValueError as exc:  # UnicodeDecodeError included
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"the request body must be a JSON object, got {type(value).__name__}")
    return value
