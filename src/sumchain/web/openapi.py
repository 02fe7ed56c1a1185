"""The API's OpenAPI 3.1 description, written by hand beside :data:`sumchain.web.api.ROUTES`.

A test checks that it names exactly the routes the app serves, with the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sumchain import __version__
from sumchain.incentives.prediction_market import PHASES

_ERROR = {"$ref": "#/components/schemas/Error"}
_AMOUNT = {"$ref": "#/components/schemas/Amount"}
_ADDRESS = {
    "name": "address",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"},
}


def _account(description: str) -> dict[str, Any]:
    """The ``account`` query parameter: a dev account's number or an address."""
    return {"name": "account", "in": "query", "schema": {"type": "string"}, "description": description}


_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The contribution: its number (from 1) or its key (0x and a hex prefix no other key has)",
    "schema": {"type": "string", "pattern": "^([1-9][0-9]*|0x[0-9a-fA-F]+)$"},
}
_DEPLOYMENT = {
    "source": {"enum": ["builtin", "file"]},
    "file_text": {"type": "string", "description": "The model file's JSON, for file."},
    "name": {"type": "string"},
    "description": {"type": "string"},
    "mechanism": {"enum": ["deposit_refund_take", "points", "prediction_market"]},
    "cost_weight": {"type": "string", "description": "e.g. 0.001ether"},
    "refund_wait": {"type": "string", "description": "e.g. 90, 30m, 1d"},
    "owner_claim_wait": {"type": "string"},
    "any_claim_wait": {"type": "string"},
    "bounty": {"type": "string", "description": "A prediction market's (required there), e.g. 0.1ether."},
    "stake": {"type": "string", "description": "A prediction market's stake per sample (default 0.001ether)."},
    "min_duration": {"type": "string", "description": "A prediction market's shortest participation (default 1d)."},
    "min_contributions": {"type": ["integer", "string"], "description": "Needed before it may end (default 1)."},
    "reveal_window": {"type": "string", "description": "The provider's time to reveal the rest (default 1d)."},
    "claim_wait": {"type": "string", "description": "After the end, the provider may sweep (default 366d)."},
}
"""What a deployment request says of the model and its mechanism."""
_ACCOUNT = {"type": "integer", "minimum": 0, "maximum": 9, "description": "A dev account's number (dev chains only)."}
_MAX_DEPOSIT = {
    "type": "string",
    "description": "For add: the most to pay (0.01ether); 409 DepositLimitExceeded, nothing sent, past it.",
}
_TEST_SET = {
    "test_set": {
        "type": "array",
        "items": {"type": "object"},
        "description": 'The hidden test set, in the commit phase: a list of {"text" or "sample", "label"}.',
    },
    "pieces": {"type": "integer", "minimum": 2, "description": "Pieces to split it into (default: the fewest)."},
    "signature": {
        "type": "string",
        "description": "A wallet's new test set: the provider's personal_sign of the message a 401 answer "
        "gives in sign.",
    },
}
_SAMPLE = {
    "text": {"type": "string", "description": "Raw input, through the model's own encoder."},
    "image": {"type": "string", "description": "An image file's bytes in base64, through the model's own encoder."},
    "features": {
        "type": "string",
        "description": "Comma-separated feature indices (sparse models) or real values (dense models).",
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    answer: dict[str, Any],
    *,
    parameters: Sequence[Any] = (),
    body: dict[str, Any] | None = None,
    ok: str = "200",
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {ok: _json(answer, "Success")}}
    operation["responses"]["default"] = _json(_ERROR, "An error, with a message")
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _market_paths() -> dict[str, Any]:
    """The routes of a prediction market's page (``/api/models/{address}/market...``)."""
    market = "/api/models/{address}/market"
    signer = {"account": _ACCOUNT}
    return {
        market: {
            "get": _operation(
                "A prediction market: its phase and what happens in it, bounty, stake, pieces, timers, "
                "evaluation progress, contributions with their scores, what each account is owed",
                {"$ref": "#/components/schemas/Market"},
                parameters=[
                    _ADDRESS,
                    _account("0-9 or an address: whose owed amount is shown"),
                ],
            )
        },
        market + "/contributions": {
            "post": _operation(
                "Stake on a labelled sample while participation is open",
                {"type": "object", "properties": {"index": {"type": "integer"}, "stake": _AMOUNT}},
                parameters=[_ADDRESS],
                body=_body(_SAMPLE | {"label": {"type": ["string", "integer"]}} | signer, ("label", "account")),
                ok="201",
            )
        },
        market + "/push": {
            "post": _operation(
                "Push the evaluation, then the settlement, by a batch of transactions (anyone)",
                {
                    "type": "object",
                    "properties": {
                        "sent": {"type": "integer"},
                        "phase": {"type": "string"},
                        "applied": {"type": "integer"},
                        "num_contributions": {"type": "integer"},
                        "more": {"type": "boolean", "description": "Whether another push has work to do."},
                    },
                },
                parameters=[_ADDRESS],
                body=_body(
                    signer | {"limit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 64}}, ("account",)
                ),
            )
        },
        market + "/end": {
            "post": _operation(
                "End participation (anyone, once it lasted long enough with enough contributions, or with "
                "fewer once it also lasted the claim wait)",
                {"type": "object", "properties": {"phase": {"type": "string"}}},
                parameters=[_ADDRESS],
                body=_body(signer, ("account",)),
            )
        },
        market + "/withdraw": {
            "post": _operation(
                "Withdraw what the account is owed, once the market is done",
                {"type": "object", "properties": {"account": {"type": "string"}, "amount": _AMOUNT}},
                parameters=[_ADDRESS],
                body=_body(signer, ("account",)),
            )
        },
        market + "/provide": {
            "post": _operation(
                "The provider's steps of the market's stage (the provider's dev account): commit the test set "
                "(kept with its salts in the dashboard's workspace) and seal; draw and reveal the first piece; "
                "reveal the rest",
                {
                    "type": "object",
                    "properties": {
                        "sent": {"type": "array", "items": {"type": "string"}, "description": "What each did."},
                        "phase": {"type": "string"},
                        "num_pieces": {"type": "integer"},
                        "num_revealed": {"type": "integer"},
                    },
                },
                parameters=[_ADDRESS],
                body=_body(signer | _TEST_SET, ("account",)),
            )
        },
        market + "/cancel": {
            "post": _operation(
                "End the market before participation opens, its bounty owed back to the provider (the provider)",
                {"type": "object", "properties": {"phase": {"type": "string"}, "owed": _AMOUNT}},
                parameters=[_ADDRESS],
                body=_body(signer, ("account",)),
            )
        },
        market + "/unsigned": {
            "post": _operation(
                "An unsigned transaction of the market for a browser wallet: stake, push (the next evaluate, "
                "apply_next or settle, from where the chain stands; its action names it), end, withdraw, or "
                "provide (the provider's next commit, seal, draw or reveal) or cancel (the provider's, before "
                "participation); a call that would revert now is refused (409, with the contract's reason)",
                {"$ref": "#/components/schemas/UnsignedTransaction"},
                parameters=[_ADDRESS],
                body=_body(
                    _SAMPLE
                    | _TEST_SET
                    | {
                        "action": {"enum": ["stake", "push", "end", "withdraw", "provide", "cancel"]},
                        "from": {"type": "string", "description": "The wallet's address."},
                        "label": {"type": ["string", "integer"], "description": "For stake."},
                    },
                    ("action", "from"),
                ),
            )
        },
    }


def schema() -> dict[str, Any]:
    """The OpenAPI document (served at ``/api/openapi.json``).

    >>> sorted(schema()["paths"])[:2]
    ['/api/chain', '/api/chain/advance']
    """
    obj = {"type": "object"}
    claim = _body({"account": _ACCOUNT}, ("account",))
    claimed = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "action": {"type": "string"}, "amount": _AMOUNT},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "sumchain dashboard API", "version": __version__},
        "paths": {
            "/api/openapi.json": {"get": _operation("This description", obj)},
            "/api/chain": {"get": _operation("The chain, its time and the dev accounts", obj)},
            "/api/chain/advance": {
                "post": _operation(
                    "Move a dev chain's clock forward",
                    obj,
                    body=_body({"seconds": {"type": "integer", "minimum": 1}}, ("seconds",)),
                )
            },
            "/api/models": {
                "get": _operation("The models listed in the registry, with the test scores their owners published", obj)
            },
            "/api/deployments": {
                "post": _operation(
                    "Deploy the built-in model or a reference-format model file (JSON), in chunks",
                    {"$ref": "#/components/schemas/Deployment"},
                    body=_body(_DEPLOYMENT | {"account": _ACCOUNT}, ("source", "account")),
                    ok="202",
                )
            },
            "/api/deployments/wallet": {
                "post": _operation(
                    "The next unsigned transaction of a deployment from a browser wallet, from where the chain stands",
                    {"$ref": "#/components/schemas/WalletDeploymentStep"},
                    body=_body(
                        _DEPLOYMENT
                        | {
                            "from": {"type": "string", "description": "The wallet's address."},
                            "address": {"type": "string", "description": "The created contract, once it exists."},
                        },
                        ("source", "from"),
                    ),
                )
            },
            "/api/deployments/{id}": {
                "get": _operation(
                    "A deployment's progress",
                    {"$ref": "#/components/schemas/Deployment"},
                    parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                )
            },
            "/api/simulations": {
                "get": _operation("The shipped scenarios and the simulations this server ran (without records)", obj),
                "post": _operation(
                    "Run a shipped scenario on a fresh in-memory chain of its own (one at a time)",
                    {"$ref": "#/components/schemas/Simulation"},
                    body=_body(
                        {
                            "scenario": {"type": "string", "description": "A shipped scenario's name."},
                            "seed": {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": 2**53 - 1,
                                "description": "The scenario's by default.",
                            },
                            "days": {
                                "type": "number",
                                "minimum": 0.01,
                                "description": "At most the scenario's (the default).",
                            },
                        },
                        ("scenario",),
                    ),
                    ok="202",
                ),
            },
            "/api/simulations/{id}": {
                "get": _operation(
                    "A simulation's progress, and its records once done",
                    {"$ref": "#/components/schemas/Simulation"},
                    parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                )
            },
            "/api/simulations/{id}/run": {
                "get": _operation(
                    "A finished simulation's run, as sumchain simulate saves it (409 before it is done)",
                    obj,
                    parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                )
            },
            "/api/models/{address}": {"get": _operation("One model", obj, parameters=[_ADDRESS])},
            "/api/models/{address}/predict": {
                "post": _operation("A free prediction", obj, parameters=[_ADDRESS], body=_body(_SAMPLE))
            },
            "/api/models/{address}/contributions": {
                "get": _operation(
                    "An account's contributions and the report candidates",
                    obj,
                    parameters=[
                        _ADDRESS,
                        _account("0-9 or an address"),
                    ],
                ),
                "post": _operation(
                    "Add a labelled sample with the deposit now",
                    obj,
                    parameters=[_ADDRESS],
                    body=_body(
                        _SAMPLE
                        | {
                            "label": {"type": ["string", "integer"]},
                            "account": _ACCOUNT,
                            "max_deposit": _MAX_DEPOSIT,
                        },
                        ("label", "account"),
                    ),
                    ok="201",
                ),
            },
            "/api/models/{address}/score": {
                "post": _operation(
                    "Score the model on a test set and publish the score in the registry (its owner only)",
                    obj,
                    parameters=[_ADDRESS],
                    body=_body(
                        {
                            "account": _ACCOUNT,
                            "test_set": {
                                "type": "array",
                                "items": {"type": "object"},
                                "description": 'As publish-score reads it: {"text" or "sample", "label"} each.',
                            },
                        },
                        ("account", "test_set"),
                    ),
                )
            },
            "/api/models/{address}/contributions/{id}/refund": {
                "post": _operation("Refund one's own contribution", claimed, parameters=[_ADDRESS, _ID], body=claim)
            },
            "/api/models/{address}/contributions/{id}/report": {
                "post": _operation("Report another's contribution", claimed, parameters=[_ADDRESS, _ID], body=claim)
            },
            "/api/models/{address}/unsigned": {
                "post": _operation(
                    "An unsigned transaction for a browser wallet (add, refund or report)",
                    {"$ref": "#/components/schemas/UnsignedTransaction"},
                    parameters=[_ADDRESS],
                    body=_body(
                        _SAMPLE
                        | {
                            "action": {"enum": ["add", "refund", "report"]},
                            "from": {"type": "string", "description": "The wallet's address."},
                            "label": {"type": ["string", "integer"], "description": "For add."},
                            "max_deposit": _MAX_DEPOSIT,
                            "id": {
                                "type": ["integer", "string"],
                                "description": 'For refund and report: the contribution (12, "#12" or its key).',
                            },
                        },
                        ("action", "from"),
                    ),
                )
            },
        }
        | _market_paths(),
        "components": {
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
                "Deployment": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "model_type": {"type": "string"},
                        "state": {"enum": ["running", "done", "failed"]},
                        "words_done": {"type": "integer"},
                        "words_total": {"type": "integer"},
                        "transactions": {"type": "integer"},
                        "address": {"type": ["string", "null"]},
                        "error": {"type": ["string", "null"]},
                        "resumed_from": {"type": ["integer", "null"], "description": "Words already loaded."},
                        "bounty": {"oneOf": [_AMOUNT, {"type": "null"}], "description": "A market's."},
                    },
                },
                "Simulation": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "scenario": {"type": "string"},
                        "seed": {"type": "integer"},
                        "days": {"type": "number"},
                        "state": {"enum": ["loading", "running", "done", "failed"]},
                        "day": {"type": "number", "description": "The simulated day reached."},
                        "transactions": {"type": "integer"},
                        "contributions": {"type": "integer"},
                        "seconds": {"type": "number"},
                        "run": {
                            "type": ["object", "null"],
                            "description": "Once done: the run as sumchain simulate saves it.",
                        },
                        "error": {"type": ["string", "null"]},
                    },
                },
                "WalletDeploymentStep": {
                    "type": "object",
                    "properties": {
                        "state": {"enum": ["running", "done"]},
                        "name": {"type": "string"},
                        "model_type": {"type": "string"},
                        "words_done": {"type": "integer"},
                        "words_total": {"type": "integer"},
                        "address": {"type": ["string", "null"]},
                        "bounty": {"oneOf": [_AMOUNT, {"type": "null"}], "description": "A market's, funded last."},
                        "transaction": {
                            "oneOf": [{"$ref": "#/components/schemas/UnsignedTransaction"}, {"type": "null"}],
                            "description": "To send next: create, register, load, or fund a market's bounty "
                            "(no to for a creation).",
                        },
                    },
                },
                "UnsignedTransaction": {
                    "type": "object",
                    "properties": {
                        k: {"type": "string"} for k in ("action", "from", "to", "data", "value", "gas", "chainId")
                    },
                    "description": "As eth_sendTransaction takes it: quantities in 0x hex.",
                },
                "Market": {
                    "type": "object",
                    "properties": {
                        "phase": {"enum": list(PHASES)},
                        "phase_line": {"type": "string", "description": "What happens now and who may act."},
                        "figures": {"type": "object", "description": "As market status --json shows them."},
                        "bounty": _AMOUNT,
                        "bounty_left": _AMOUNT,
                        "stake": _AMOUNT,
                        "first_piece_size": {"type": ["integer", "null"]},
                        "participation_closes": {"type": ["integer", "null"], "description": "Open + min duration."},
                        "participation_ended": {"type": ["integer", "null"]},
                        "reveal_deadline": {"type": ["integer", "null"]},
                        "contributions": {"type": "array", "items": {"type": "object"}},
                        "accounts": {"type": "array", "items": {"type": "object"}, "description": "Owed, by account."},
                        "owed": _AMOUNT,
                        "viewer": {"type": "string", "description": "The account looking."},
                        "now": {"type": "integer"},
                    },
                },
                "Amount": {
                    "type": "object",
                    "properties": {"wei": {"type": "string"}, "text": {"type": "string"}},
                    "required": ["wei", "text"],
                },
            }
        },
    }
