"""The JSON API: the one path the page takes to the chain.

Each handler parses the request, calls :class:`~sumchain.client.SharedModel` or
:class:`~sumchain.registry.Registry` in a worker thread (:meth:`Dashboard.run`), and
answers JSON. What the routes are is :data:`ROUTES`; :mod:`sumchain.web.openapi`
describes the same routes, and a test checks the two agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sumchain.chain.hashing import checksum, is_address
from sumchain.errors import DepositLimitExceeded, InvalidSample
from sumchain.units import is_whole
from sumchain.web.dashboard import Dashboard
from sumchain.web.errors import ApiError, read_json, shown
from sumchain.web.mechanism import amount, contribution_count, contribution_views, mechanism_summary

if TYPE_CHECKING:
    from sumchain.client import SharedModel
    from sumchain.market import Market

NOBODY = "0x" + "00" * 20
"""The viewer of a read that names no account on a chain without dev accounts: every contribution is another's."""
WEB_MAX_IMAGE_PIXELS = 1024 * 1024
"""Largest image a request may send, in pixels (every request waits while one is decoded)."""
MAX_ADVANCE = 10 * 365 * 86_400
"""Longest single time advance the API makes, in seconds (ten years)."""


def _board(request: Request) -> Dashboard:
    board: Dashboard = request.app.state.dashboard
    return board


def _features(model: SharedModel, body: dict[str, Any]) -> list[int]:
    """The sample of a request: ``text`` or ``image`` (base64 file bytes) through the model's encoder,
    or ``features`` as the CLI's ``--sample``."""
    from sumchain.cli.inputs import model_sample

    given = {key: body[key] for key in ("text", "image", "features") if body.get(key) is not None}
    if len(given) != 1:
        raise ApiError(400, "give the sample as text, image or features (one of them)")
    ((kind, value),) = given.items()
    if not isinstance(value, str):
        raise ApiError(400, f"{kind} must be a string, got {type(value).__name__}")
    if kind == "text":
        return list(model.encode(value))
    if kind == "image":
        return _image_features(model, value)
    return model_sample(model, value)


def _image_features(model: SharedModel, encoded: str) -> list[int]:
    """An image file sent as base64, through the model's encoder (which reads files)."""
    import base64
    import binascii
    import tempfile
    from pathlib import Path

    from sumchain.encoders.images import check_image_size

    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "image must be the file's bytes in base64") from None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image"
        path.write_bytes(data)
        try:
            check_image_size(path, WEB_MAX_IMAGE_PIXELS)
            return list(model.encode(path))
        except InvalidSample as exc:  # named by the server's temporary file: named as the request's
            raise InvalidSample(str(exc).replace(str(path), "the image")) from None


def _viewer(board: Dashboard, value: str | None) -> str:
    """The account a read is for: a dev account's number, or any address (no one's on a chain without dev accounts)."""
    if value is not None and is_address(value):
        return checksum(value)
    if not value and not board.dev_accounts():
        return NOBODY
    return board.signer(0 if value is None else int(value) if is_whole(value) else value)


def _utc_day(timestamp: int) -> str:
    """The UTC day of a block time (``2026-12-02``); past year 9999, ``day N`` counted from 1970."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).date().isoformat()
    except (OverflowError, ValueError, OSError):
        return f"day {timestamp // 86_400}"


def _input_kind(model: SharedModel) -> str:
    """What raw input the model's encoder reads here (``text``, ``image``), or ``features`` alone."""
    from sumchain.errors import SumchainError

    if model.metadata.encoder is None:
        return "features"
    try:
        return str(model.encoder.input_kind)
    except SumchainError:
        return "features"


async def chain_info(request: Request) -> JSONResponse:
    """The chain: id, time, block, whether the dashboard signs, the dev accounts with balances."""
    board = _board(request)

    def work() -> dict[str, Any]:
        chain = board.chain
        accounts = [
            {"index": i, "address": a, "balance": amount(chain.balance(a))} for i, a in enumerate(board.dev_accounts())
        ]
        return {
            "chain_id": getattr(chain, "chain_id", None),
            "is_dev": chain.is_dev,
            "time": chain.time(),
            "block": chain.block_number(),
            "registry": None if board.registry is None else board.registry.address,
            "signing": "dev accounts" if accounts else "wallet",
            "accounts": accounts,
        }

    return JSONResponse(await board.run(work))


async def advance_time(request: Request) -> JSONResponse:
    """Move a dev chain's clock forward by ``seconds``."""
    board = _board(request)
    body = await read_json(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_ADVANCE:
        raise ApiError(400, f"seconds must be a whole number from 1 to {MAX_ADVANCE:,}, got {shown(seconds)}")
    if not board.chain.is_dev:
        raise ApiError(403, "time moves only on a dev chain")

    def work() -> dict[str, Any]:
        board.chain.advance_time(seconds)
        return {"time": board.chain.time()}

    return JSONResponse(await board.run(work))


async def list_models(request: Request) -> JSONResponse:
    """Every model of the registry: name, description, type, mechanism, number of contributions."""
    board = _board(request)

    def work() -> list[dict[str, Any]]:
        if board.registry is None:
            return []
        found = []
        for entry in board.registry.entries():
            row = entry.to_json() | {"contributions": None}
            if entry.problem is None:
                row["contributions"] = contribution_count(board.model(entry.address))
            found.append(row)
        return found

    return JSONResponse({"models": await board.run(work)})


ModelAction = Callable[[Dashboard, "SharedModel", Request, dict[str, Any]], dict[str, Any]]


def _on_model(action: ModelAction, *, reads_body: bool, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that runs ``action(board, model, request, body)`` on the model of the URL, in a worker thread."""

    async def endpoint(request: Request) -> Response:
        board = _board(request)
        body = await read_json(request) if reads_body else {}

        def work() -> dict[str, Any]:
            return action(board, board.model(request.path_params["address"]), request, body)

        return JSONResponse(await board.run(work), status_code=status)

    endpoint.__doc__ = action.__doc__
    return endpoint


def _label(model: SharedModel, body: dict[str, Any]) -> int:
    label = body.get("label")
    if isinstance(label, bool) or not isinstance(label, int | str):
        raise ApiError(400, f"label must be a class name or number, got {shown(label)}")
    return model.check_label(label)


def model_info(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """One model: what it is, its classes, the input it takes, its mechanism, and how much of its upload is done
    (it takes no prediction or data before it is: ``unfinished`` says so, else None)."""
    from sumchain.unfinished import unfinished_line

    meta, loaded, total = model.metadata, model.words_loaded(), model.total_words()
    return {
        "address": model.address,
        "name": meta.name,
        "description": meta.description,
        "model_type": model.mirror_class.model_type,
        "owner": model.owner,
        "n_features": model.n_features,
        "feature_kind": meta.feature_kind,
        "class_names": [model.class_name(k) for k in range(model.n_classes)],
        "encoder": meta.encoder,
        "input": _input_kind(model),
        "mechanism": mechanism_summary(model),
        "parameter_words": total,
        "parameter_words_loaded": loaded,
        "unfinished": unfinished_line(loaded, total),
    }


def predict(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The model's free prediction for a text or features."""
    label = model.predict(_features(model, body))
    return {"label": label, "class_name": model.class_name(label)}


def contributions(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The viewer's contributions, the report candidates, the leaderboard and contributions per day (UTC)
    (``?account=`` a dev number or an address)."""
    viewer = _viewer(board, request.query_params.get("account"))
    found = model.contributions(everyone=True)
    per_day = Counter(_utc_day(c.added_time) for c in found)
    return (
        {"viewer": viewer}
        | contribution_views(model, found, viewer=viewer, now=board.chain.time())
        | {"per_day": [{"day": day, "contributions": n} for day, n in sorted(per_day.items())]}
    )


def _deposit(model: SharedModel, body: dict[str, Any]) -> int | None:
    """What an add sends: the body's ``max_deposit`` (an amount, ``0.01ether``) once the deposit now is
    checked to be no more, since the contract keeps the deposit due when the add is mined and sends
    back the rest (so one that rose within the bound meanwhile, another's contribution first, is still
    paid); None when the body gives none (the current deposit then).

    Raises
    ------
    DepositLimitExceeded
        When the deposit is more (409, nothing sent): it rises with every contribution another
        request makes first, as past the server's own ``--max-deposit``.
    """
    if (most := body.get("max_deposit")) is None:
        return None
    from sumchain.units import format_amount, parse_amount

    if not isinstance(most, str):
        raise ApiError(400, f"max_deposit must be an amount such as 0.01ether, got {shown(most)}")
    limit, value = parse_amount(most), model.cost()
    if value > limit:
        raise DepositLimitExceeded(
            f"the deposit is now {format_amount(value)}, more than max_deposit {format_amount(limit)}: nothing was sent"
        )
    return limit


def add_data(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Add a labelled sample as a dev account, paying the deposit now, at most the body's ``max_deposit``
    (see :func:`_deposit`)."""
    sender = board.signer(body.get("account"))
    sample, label = _features(model, body), _label(model, body)
    added = model.add_data(sample, label, sender=sender, value=_deposit(model, body))
    c = added.contribution
    return {"id": c.id, "key": "0x" + c.key.hex(), "deposit": amount(added.cost), "time": added.time}


def refund(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Get back the deposit of one's own contribution, as a dev account."""
    sender = board.signer(body.get("account"))
    c = model.find_contribution(request.path_params["id"])
    c.check_refund_by(sender)
    return {
        "id": c.id,
        "action": "refund",
        "amount": amount(model.refund(c.data, c.label, c.added_time, sender=sender)),
    }


def report(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Take (part of) the deposit of another's contribution that the model rejects, as a dev account."""
    sender = board.signer(body.get("account"))
    c = model.find_contribution(request.path_params["id"])
    paid = model.report(c.data, c.label, c.added_time, c.author, sender=sender)
    return {"id": c.id, "action": "report", "amount": amount(paid)}


def _market(model: SharedModel) -> Market:
    from sumchain.market import Market

    return Market(model)


def market_info(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """A prediction market: its phase and what happens in it, its figures, contributions, scores and
    what each account is owed (``?account=`` a dev number or an address: what it is owed)."""
    from sumchain.web.market import market_view

    viewer = _viewer(board, request.query_params.get("account"))
    return market_view(_market(model), viewer, board.chain.time())


def market_contribute(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Stake on a labelled sample in a prediction market's participation, as a dev account."""
    sender = board.signer(body.get("account"))
    market = _market(model)
    index = market.add_data(_features(model, body), _label(model, body), sender=sender)
    return {"index": index, "stake": amount(market.parameters.stake)}


def market_push(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Push a prediction market's evaluation, then its settlement, by a batch of transactions, as a dev account."""
    from sumchain.web.market import PUSH_LIMIT, push

    sender = board.signer(body.get("account"))
    limit = body.get("limit", PUSH_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PUSH_LIMIT:
        raise ApiError(400, f"limit must be a number of transactions from 1 to {PUSH_LIMIT}, got {shown(limit)}")
    return push(_market(model), sender, limit, board.chain.time())


def market_end(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """End a prediction market's participation (anyone, once allowed), as a dev account."""
    sender = board.signer(body.get("account"))
    market = _market(model)
    market.end(sender=sender)
    return {"phase": market.phase()}


def market_withdraw(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Withdraw what a dev account is owed by a settled prediction market."""
    sender = board.signer(body.get("account"))
    return {"account": sender, "amount": amount(_market(model).withdraw(sender=sender))}


def market_provide(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Send a prediction market's provider's steps of its stage, as the provider (a dev account): in the
    commit phase, split the ``test_set`` into ``pieces``, keep them with their salts, commit and seal;
    once sealed, draw and reveal the drawn piece; after participation, reveal every other piece."""
    from sumchain.web.market import provide, provider_test_set

    sender = board.signer(body.get("account"))
    market = _market(model)
    return provide(market, provider_test_set(board, market, sender, body), sender, board.chain.time())


def market_cancel(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """End a prediction market before participation opens, its bounty owed back to the provider (a dev account)."""
    sender = board.signer(body.get("account"))
    market = _market(model)
    owed = market.cancel(sender=sender)
    return {"phase": market.phase(), "owed": amount(owed)}


def _wallet(body: dict[str, Any]) -> str:
    """The browser wallet's address of a request (``from``), checksummed."""
    sender = body.get("from")
    if not isinstance(sender, str) or not is_address(sender):
        raise ApiError(400, f"from must be the wallet's address, got {shown(sender)}")
    return checksum(sender)


def publish_score(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Score the model on a test set (``test_set``, as ``sumchain publish-score`` reads it) and publish
    the score in the registry, as its owner (a dev account)."""
    from sumchain.cli.inputs import labelled_samples

    sender = board.signer(body.get("account"))
    if board.registry is None:
        raise ApiError(404, "this dashboard has no registry to publish a score in")
    samples, labels = labelled_samples(model, body.get("test_set"), where="test_set")
    score, _ = board.registry.publish_score(model.address, samples, labels, sender=sender)
    return score.to_json()


def unsigned(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """An unsigned transaction (to, data, value, gas) for a browser wallet to send; the server signs nothing."""
    from sumchain.web.wallet import wallet_transaction

    sender = _wallet(body)
    action = body.get("action")
    if action == "add":
        call = model.add_data_call(_features(model, body), _label(model, body), value=_deposit(model, body))
        # the deposit falls while the wallet waits for its user (see SharedModel.add_data_call)
        return wallet_transaction(
            model.chain, sender, model.address, call.data, action=action, value=call.value, excess=call.estimate_excess
        )
    if action not in ("refund", "report"):
        raise ApiError(400, f"action must be add, refund or report, got {shown(action)}")
    reference = body.get("id")  # as the refund and report routes take it: 12, "12", "#12" or its key
    if isinstance(reference, bool) or not isinstance(reference, int | str):
        raise ApiError(400, f"id must be a contribution's number or key, got {shown(reference)}")
    c = model.find_contribution(reference)
    if action == "refund":
        c.check_refund_by(sender)
        call = model.refund_call(c.data, c.label, c.added_time)
    else:
        call = model.report_call(c.data, c.label, c.added_time, c.author)
    return wallet_transaction(model.chain, sender, model.address, call.data, action=action)


def market_unsigned(board: Dashboard, model: SharedModel, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """An unsigned transaction of a prediction market for a browser wallet: stake on a sample, the next
    step of the evaluation or settlement (push), end participation, withdraw, the provider's next
    step (provide: a commit of the ``test_set``, the seal, the draw, a reveal), or the provider's
    cancel before participation opens; the server signs nothing."""
    from sumchain.web.market import WALLET_ACTIONS, next_provider_step, next_step, provider_test_set
    from sumchain.web.wallet import wallet_transaction

    sender = _wallet(body)
    action = body.get("action")
    if action not in WALLET_ACTIONS:
        raise ApiError(400, f"action must be one of {', '.join(WALLET_ACTIONS)}, got {shown(action)}")
    market = _market(model)
    if action == "stake":
        call = market.add_data_call(_features(model, body), _label(model, body))
    elif action == "push":
        action, call = next_step(market, board.chain.time())
    elif action == "provide":
        hidden = provider_test_set(board, market, sender, body, signed=False)
        action, call = next_provider_step(market, hidden, board.chain.time())
    elif action == "end":
        call = market.end_call()
    elif action == "cancel":
        call = market.cancel_call()
    else:
        call = market.withdraw_call()
    return wallet_transaction(
        model.chain,
        sender,
        model.address,
        call.data,
        action=action,
        value=call.value,
        excess=call.estimate_excess,
        extra_gas=call.extra_gas,
    )


async def start_deployment(request: Request) -> JSONResponse:
    """Deploy the built-in model or a reference-format model file as a dev account (a prediction market: its
    bounty funded once the upload is done); answers at once (202)."""
    from sumchain.web.deployments import MAX_UPLOAD, market_bounty, model_from_request

    board = _board(request)
    body = await read_json(request, limit=MAX_UPLOAD)

    def work() -> dict[str, Any]:
        sender = board.signer(body.get("account"))
        mirror, metadata, mechanism = model_from_request(body)
        return board.deployments.start(mirror, metadata, mechanism, sender, market_bounty(body, mechanism)).to_json()

    return JSONResponse(await board.run(work), status_code=202)


async def wallet_deployment(request: Request) -> JSONResponse:
    """The next unsigned transaction of a deployment from a browser wallet (create, list, load a chunk), or done."""
    from sumchain.web.deployments import MAX_UPLOAD, wallet_step

    board = _board(request)
    body = await read_json(request, limit=MAX_UPLOAD)
    return JSONResponse(await board.run(wallet_step, board, body, _wallet(body)))


async def deployment(request: Request) -> JSONResponse:
    """A deployment's progress: words uploaded, transactions, state, the model's address."""
    return JSONResponse(_board(request).deployments.get(request.path_params["id"]).to_json())


async def list_simulations(request: Request) -> JSONResponse:
    """The shipped scenarios, and the simulations this server ran (their progress, without their records)."""
    from sumchain.web.simulations import scenarios

    jobs = _board(request).simulations.all()
    ran = [{key: value for key, value in job.to_json().items() if key != "run"} for job in jobs]
    return JSONResponse({"scenarios": scenarios(), "simulations": ran})


async def start_simulation(request: Request) -> JSONResponse:
    """Run a shipped scenario on a fresh in-memory chain of its own; answers at once (202)."""
    body = await read_json(request)
    return JSONResponse(_board(request).simulations.start(body).to_json(), status_code=202)


async def simulation(request: Request) -> JSONResponse:
    """A simulation's progress, and its records once it is done."""
    return JSONResponse(_board(request).simulations.get(request.path_params["id"]).to_json())


async def simulation_run(request: Request) -> JSONResponse:
    """A finished simulation's run alone, as ``sumchain simulate`` saves it (``simulate combine`` reads it)."""
    job = _board(request).simulations.get(request.path_params["id"]).to_json()
    if job["run"] is None:
        raise ApiError(409, f"simulation {job['id']} is {job['state']}: its run is there once it is done")
    name = f"{job['scenario']}-seed{job['seed']}.json"
    return JSONResponse(job["run"], headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def openapi(request: Request) -> JSONResponse:
    """This API's OpenAPI 3.1 description."""
    from sumchain.web.openapi import schema

    return JSONResponse(schema())


_MODEL = "/api/models/{address}"
ROUTES = [
    Route("/api/openapi.json", openapi, methods=["GET"]),
    Route("/api/chain", chain_info, methods=["GET"]),
    Route("/api/chain/advance", advance_time, methods=["POST"]),
    Route("/api/models", list_models, methods=["GET"]),
    Route("/api/deployments", start_deployment, methods=["POST"]),
    Route("/api/deployments/wallet", wallet_deployment, methods=["POST"]),
    Route("/api/deployments/{id}", deployment, methods=["GET"]),
    Route("/api/simulations", list_simulations, methods=["GET"]),
    Route("/api/simulations", start_simulation, methods=["POST"]),
    Route("/api/simulations/{id}", simulation, methods=["GET"]),
    Route("/api/simulations/{id}/run", simulation_run, methods=["GET"]),
    Route(_MODEL, _on_model(model_info, reads_body=False), methods=["GET"]),
    Route(_MODEL + "/predict", _on_model(predict, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/contributions", _on_model(contributions, reads_body=False), methods=["GET"]),
    Route(_MODEL + "/contributions", _on_model(add_data, reads_body=True, status=201), methods=["POST"]),
    Route(_MODEL + "/contributions/{id}/refund", _on_model(refund, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/contributions/{id}/report", _on_model(report, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/score", _on_model(publish_score, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/unsigned", _on_model(unsigned, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market", _on_model(market_info, reads_body=False), methods=["GET"]),
    Route(
        _MODEL + "/market/contributions", _on_model(market_contribute, reads_body=True, status=201), methods=["POST"]
    ),
    Route(_MODEL + "/market/push", _on_model(market_push, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market/end", _on_model(market_end, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market/withdraw", _on_model(market_withdraw, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market/provide", _on_model(market_provide, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market/cancel", _on_model(market_cancel, reads_body=True), methods=["POST"]),
    Route(_MODEL + "/market/unsigned", _on_model(market_unsigned, reads_body=True), methods=["POST"]),
]
"""Every API route (the static page and its assets are served beside them)."""
