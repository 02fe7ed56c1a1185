"""The dashboard's JSON API against a real server: answers, errors as JSON, nothing sent on bad input."""

from __future__ import annotations

import re
import socket
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from sumchain import EmbeddedChain
from sumchain.chain.accounts import dev_addresses
from sumchain.incentives import DAY
from sumchain.web.api import ROUTES
from sumchain.web.app import LOOPBACK_NAMES, host_names
from sumchain.web.errors import MAX_BODY, MAX_MESSAGE, without_secrets
from sumchain.web.openapi import schema
from tests.helpers import run_sumchain
from tests.integration.network.anvil.conftest import running_anvil
from tests.web.conftest import Site, deploy_models, serving

NOT_A_MODEL = "0x" + "12" * 20


def _error(response: requests.Response, status: int) -> str:
    """The error message of a JSON error answer with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


def test_openapi_describes_exactly_the_routes(site: Site) -> None:
    served = site.get("/api/openapi.json").json()
    assert served == schema()
    routes = {(re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path), m.lower()) for r in ROUTES for m in r.methods or ()}
    routes -= {(path, "head") for path, _ in routes}
    described = {(path, method) for path, item in served["paths"].items() for method in item}
    assert described == routes
    for path, item in served["paths"].items():
        for operation in item.values():
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == set(re.findall(r"\{(\w+)\}", path)), path


def test_models_come_from_the_registry(site: Site) -> None:
    models = site.get("/api/models").json()["models"]
    assert [(m["name"], m["model_type"], m["contributions"]) for m in models][:2] == [
        ("movie sentiment", "sparse perceptron", 0),
        ("toy features", "sparse perceptron", 0),
    ]
    assert {m["mechanism"] for m in models} == {"Deposit, Refund and Take"}
    assert [(m["score"] or {}).get("accuracy") for m in models] == [2 / 3, None, None]
    info = site.get(f"/api/models/{site.features_model}").json()
    assert info["class_names"] == ["no", "yes"] and info["input"] == "features"
    assert info["mechanism"]["deposit_now"]["wei"].isdigit()
    assert site.get(f"/api/models/{site.text_model}").json()["input"] == "text"
    assert site.get(f"/api/models/{site.image_model}").json()["input"] == "image"


def test_predict_text_and_features(site: Site) -> None:
    answer = site.post(f"/api/models/{site.text_model}/predict", {"text": "a wonderful, brilliant movie"}).json()
    assert answer == {"label": 1, "class_name": "positive"}
    assert site.post(f"/api/models/{site.features_model}/predict", {"features": "1"}).json()["class_name"] == "no"
    assert site.post(f"/api/models/{site.features_model}/predict", {"features": "0,8"}).json()["class_name"] == "yes"


def test_add_refund_report_through_the_api(site: Site) -> None:
    """Account 3 adds good data and is refunded a day later; account 4's flipped label is then reported by 3."""
    model = f"/api/models/{site.features_model}"
    good = site.post(f"{model}/contributions", {"features": "0", "label": "yes", "account": 3})
    assert good.status_code == 201, good.text
    bad = site.post(f"{model}/contributions", {"features": "8", "label": 0, "account": 4}).json()
    early = site.post(f"{model}/contributions/{good.json()['id']}/refund", {"account": 3})
    assert "refund wait not over" in _error(early, 409)
    mine = site.get(f"{model}/contributions?account=3").json()
    assert mine["mine"][0]["refund"]["allowed"] is False and mine["mine"][0]["refund"]["opens_in"] > 0
    assert site.post("/api/chain/advance", {"seconds": DAY}).json()["time"] >= good.json()["time"] + DAY
    views = site.get(f"{model}/contributions?account=3").json()
    assert views["mine"][0]["refund"]["allowed"] is True
    refunded = site.post(f"{model}/contributions/{good.json()['id']}/refund", {"account": 3}).json()
    assert refunded["amount"] == good.json()["deposit"]
    [candidate] = site.get(f"{model}/contributions?account=3").json()["report_candidates"]
    assert candidate["id"] == bad["id"] and candidate["report"]["allowed"] and candidate["predicted_name"] == "yes"
    taken = site.post(f"{model}/contributions/{bad['id']}/report", {"account": 3}).json()
    assert int(taken["amount"]["wei"]) > 0
    views = site.get(f"{model}/contributions?account=4").json()
    assert views["mine"][0]["status"] in ("taken", "partly taken")
    board = {r["account"]: r for r in views["leaderboard"]}
    three, four = dev_addresses(5)[3], dev_addresses(5)[4]
    assert next(iter(board)) == three
    took = int(taken["amount"]["wei"])
    assert (board[three]["validated"], board[three]["reports"], board[three]["score"]) == (1, 1, str(took))
    assert (board[four]["validated"], board[four]["reported"], board[four]["contributions"]) == (0, 1, 1)
    assert board[four]["score"] == str(-int(bad["deposit"]["wei"]))  # paid, and nothing came back yet
    assert sum(d["contributions"] for d in views["per_day"]) == 2


def test_the_deposit_falls_with_time(site: Site) -> None:
    later = site.get(f"/api/models/{site.text_model}").json()["mechanism"]["deposit_later"]
    assert [d["when"] for d in later] == ["in 1 hour", "in 1 day", "in 1 week"]
    wei = [int(d["deposit"]["wei"]) for d in later]
    assert wei == sorted(wei, reverse=True) and wei[0] > wei[2] > 0


def test_an_add_pays_at_most_its_max_deposit_or_sends_nothing(site: Site) -> None:
    """The deposit rises with every contribution made first: a client bounds what it pays."""
    from sumchain.units import format_amount

    path = f"/api/models/{site.features_model}/contributions"
    due = int(site.get(f"/api/models/{site.features_model}").json()["mechanism"]["deposit_now"]["wei"])
    assert due > 1
    before = site.chain.block_number()
    refused = site.post(path, {"features": "1", "label": 1, "account": 2, "max_deposit": f"{due // 2}wei"})
    assert _error(refused, 409).endswith(f"more than max_deposit {format_amount(due // 2)}: nothing was sent")
    assert refused.json()["error"].startswith("DepositLimitExceeded: the deposit is now ")
    wallet = {"action": "add", "from": site.chain.accounts[3], "features": "1", "label": 1}
    unsigned = site.post(f"/api/models/{site.features_model}/unsigned", wallet | {"max_deposit": f"{due // 2}wei"})
    assert _error(unsigned, 409).endswith(f"more than max_deposit {format_amount(due // 2)}: nothing was sent")
    built = site.post(f"/api/models/{site.features_model}/unsigned", wallet | {"max_deposit": f"{2 * due}wei"}).json()
    assert int(built["value"], 16) == 2 * due  # the bound: a deposit that rises within it is still paid
    assert _error(site.post(path, {"features": "1", "label": 1, "account": 2, "max_deposit": 5}), 400).startswith(
        "max_deposit must be an amount such as 0.01ether, got 5"
    )
    assert site.chain.block_number() == before
    added = site.post(path, {"features": "1", "label": 1, "account": 2, "max_deposit": f"{2 * due}wei"})
    assert added.status_code == 201 and 0 < int(added.json()["deposit"]["wei"]) <= due  # the rest came back
    other = site.post(f"{path}/{added.json()['id']}/refund", {"account": 3})
    assert "only its author refunds it" in _error(other, 400)
    unsigned = {"action": "refund", "id": added.json()["id"], "from": site.chain.accounts[3]}
    assert "only its author refunds it" in _error(
        site.post(f"/api/models/{site.features_model}/unsigned", unsigned), 400
    )
    by_text = unsigned | {"id": f"#{added.json()['id']}"}  # as the routes take it (a string was refused)
    answer = site.post(f"/api/models/{site.features_model}/unsigned", by_text)
    assert "only its author refunds it" in _error(answer, 400)


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "not valid JSON"),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400, "must be a JSON object"),
        (b"[" * 5_000 + b"]" * 5_000, {"Content-Type": "application/json"}, 400, "nested 5,000 levels deep"),
        (b'{"features": "0"}', {"Content-Type": "text/plain"}, 415, "reads application/json"),
        (b'{"features": "0", "label": 1, "account": 1}', {}, 415, "not a body without a Content-Type"),
        (b'{"features": "0", "label": 1, "account": 1, "pad": "' + b"x" * MAX_BODY + b'"}', {}, 413, "at most"),
    ],
    ids=["malformed", "not an object", "deep", "content type", "no content type", "oversized"],
)
def test_bad_bodies_are_json_errors_and_send_nothing(
    site: Site, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    before = site.chain.block_number()
    response = site.post(f"/api/models/{site.features_model}/contributions", data=body, headers=headers)
    assert message in _error(response, status)
    assert site.chain.block_number() == before


def test_dense_features_out_of_the_models_range_are_refused_in_its_units(site: Site) -> None:
    answer = site.post(f"/api/models/{site.image_model}/predict", {"features": "1e30"})
    assert (
        "--sample takes numbers from -" in _error(answer, 400) and "(sent as billionths in " in answer.json()["error"]
    )


def test_the_dashboard_keeps_to_max_deposit(tmp_path: Path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path)
    _, features = deploy_models(chain)
    before = chain.block_number()
    with serving(tmp_path, "--chain", f"embedded:{path}", "--max-deposit", "1wei") as url:
        body = {"features": "0", "label": 1, "account": 1}
        answer = requests.post(f"{url}/api/models/{features}/contributions", json=body, timeout=30)
        assert _error(answer, 409).startswith("DepositLimitExceeded: sending")
        # a wallet's transactions too: its add, and a market's bounty before its creation is built
        wallet = {"action": "add", "from": chain.accounts[3], "features": "0", "label": 1}
        answer = requests.post(f"{url}/api/models/{features}/unsigned", json=wallet, timeout=30)
        assert _error(answer, 409).startswith("DepositLimitExceeded: sending")
        market = {"source": "builtin", "mechanism": "prediction_market", "bounty": "0.1ether", "from": wallet["from"]}
        answer = requests.post(f"{url}/api/deployments/wallet", json=market, timeout=30)
        assert _error(answer, 409).startswith("DepositLimitExceeded: sending 0.1 ETH")
    assert chain.block_number() == before
    chain.close()


def test_a_media_type_is_read_whatever_its_case(site: Site) -> None:
    headers = {"Content-Type": "Application/JSON; charset=UTF-8"}
    answer = site.post(f"/api/models/{site.features_model}/predict", data=b'{"features": "0"}', headers=headers)
    assert answer.status_code == 200 and answer.json()["label"] in (0, 1)


def test_an_oversized_body_without_a_length_is_refused_as_it_streams(site: Site) -> None:
    before = site.chain.block_number()
    chunks = (b'{"text": "' if i == 0 else b"y" * 8192 for i in range(20))
    response = site.post(
        f"/api/models/{site.text_model}/predict", data=chunks, headers={"Content-Type": "application/json"}
    )
    assert "over" in _error(response, 413)
    assert site.chain.block_number() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("get", f"/api/models/{NOT_A_MODEL}", None, 404, "is not a sumchain model"),
        ("post", f"/api/models/{NOT_A_MODEL}/predict", {"features": "0"}, 404, "is not a sumchain model"),
        ("get", "/api/models/0x12", None, 400, "is not an address"),
        ("get", "/api/nothing", None, 404, "nothing at /api/nothing"),
        ("delete", "/api/models", None, 405, "Method Not Allowed"),
    ],
    ids=["not a model", "predict on no model", "not an address", "no route", "wrong method"],
)
def test_wrong_urls_are_json_errors(
    site: Site, method: str, path: str, body: object, status: int, message: str
) -> None:
    response = requests.request(method, site.url + path, json=body, timeout=30)
    assert message in _error(response, status)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"features": "zero", "label": 1, "account": 1}, 400, "takes feature indices"),
        ({"features": "0", "text": "both", "label": 1, "account": 1}, 400, "one of them"),
        ({"features": "0", "label": "maybe", "account": 1}, 400, "InvalidSample"),
        ({"features": "0", "label": 1, "account": 10}, 400, "dev account's number"),
        ({"features": "0", "label": 1, "account": True}, 400, "dev account's number"),
        ({"features": "0", "label": 1}, 400, "dev account's number"),
        ({"features": "99", "label": 1, "account": 1}, 400, "InvalidSample"),
        ({"features": "0", "label": "²", "account": 1}, 400, "label '²' is not a class"),
        ({"features": "0", "label": "9" * 5_000, "account": 1}, 400, "is not a class"),
        ({"features": "9" * 5_000, "label": 1, "account": 1}, 400, "takes feature indices"),
        ({"features": "\u0661\u0662", "label": 1, "account": 1}, 400, "takes feature indices"),
    ],
    ids=[
        "not indices",
        "two samples",
        "unknown label",
        "account 10",
        "account true",
        "no account",
        "out of range",
        "a superscript label",
        "a 5,000-digit label",
        "a 5,000-digit index",
        "other digits",
    ],
)
def test_bad_contributions_send_nothing(site: Site, body: object, status: int, message: str) -> None:
    before = site.chain.block_number()
    response = site.post(f"/api/models/{site.features_model}/contributions", body)
    assert message in _error(response, status) and len(response.json()["error"]) <= MAX_MESSAGE
    assert site.chain.block_number() == before


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/contributions/999/refund", 404, "UnknownContribution: no contribution #999: the model has"),
        ("/contributions/" + "9" * 5_000 + "/report", 404, "UnknownContribution: no contribution has a key"),
        (
            "/contributions/0xabcdef00/refund",
            404,
            "UnknownContribution: no contribution has a key starting with 0xabcdef00",
        ),
        ("/contributions/xyz/refund", 400, "'xyz' is neither a contribution id (#12) nor a key"),
    ],
)
def test_claims_on_no_contribution_are_refused(site: Site, path: str, status: int, message: str) -> None:
    before = site.chain.block_number()
    answer = site.post(f"/api/models/{site.features_model}{path}", {"account": 1})
    assert message in _error(answer, status)
    assert site.chain.block_number() == before


def test_a_sender_short_of_funds_is_a_409_and_sends_nothing(site: Site) -> None:
    before = site.chain.block_number()
    body = {"from": "0x" + "11" * 20, "action": "add", "features": "0", "label": 1}
    answer = site.post(f"/api/models/{site.features_model}/unsigned", body)
    assert _error(answer, 409).startswith("InsufficientFunds: transaction rejected: sender 0x1111")
    assert site.chain.block_number() == before


def test_a_contract_as_the_sender_is_a_409_and_sends_nothing(site: Site) -> None:
    """Only an account with a key sends transactions (EIP-3607): a contract's address as the wallet's `from`."""
    before = site.chain.block_number()
    body = {"from": site.text_model, "action": "add", "features": "0", "label": 1}
    answer = site.post(f"/api/models/{site.features_model}/unsigned", body)
    message = _error(answer, 409)
    assert message.startswith(f"TransactionRejected: transaction rejected: the sender {site.text_model} is a contract")
    assert site.chain.block_number() == before


def test_an_address_with_a_wrong_checksum_is_named_as_such(site: Site) -> None:
    wrong = site.text_model[:2] + site.text_model[2:].swapcase()  # every letter's case changed
    for answer in (
        site.get(f"/api/models/{wrong}"),
        requests.get(f"{site.url}/api/models/{site.text_model}/contributions", params={"account": wrong}, timeout=30),
    ):
        assert "does not match its checksum (EIP-55)" in _error(answer, 400)


def test_contributions_past_the_year_9999_are_counted_by_day_number() -> None:
    from sumchain.web.api import _utc_day

    assert _utc_day(86_400 * 3 + 5) == "1970-01-04"
    assert _utc_day(253_402_300_800) == "day 2932897"  # 10000-01-01: no date for it


class _NotDev(EmbeddedChain):
    """An embedded chain that says it is no dev chain: what the dashboard sees of a public network."""

    is_dev = False


def test_no_signing_on_a_chain_that_is_not_a_dev_chain() -> None:
    """No dev account, no transaction, no time travel: the dashboard only reads such a chain."""
    from sumchain.registry import Registry
    from sumchain.web.app import create_app
    from tests.web.conftest import deploy_models, threaded_server

    chain = _NotDev()
    registry = Registry.deploy(chain, sender=dev_addresses(1)[0])
    _, features = deploy_models(chain, registry)
    before = chain.block_number()
    with threaded_server(create_app(chain, registry)) as url:
        info = requests.get(url + "/api/chain", timeout=30).json()
        assert info["is_dev"] is False and info["accounts"] == [] and info["signing"] == "wallet"
        add = {"features": "0", "label": 1, "account": 0}
        refused = requests.post(f"{url}/api/models/{features}/contributions", json=add, timeout=30)
        assert "signs only with dev accounts" in _error(refused, 403)
        assert "only on a dev chain" in _error(requests.post(url + "/api/chain/advance", json={"seconds": 60}), 403)
        viewer = dev_addresses(2)[1]
        views = requests.get(f"{url}/api/models/{features}/contributions?account={viewer}", timeout=30).json()
        assert views["viewer"] == viewer and views["mine"] == []
        assert [m["name"] for m in requests.get(url + "/api/models", timeout=30).json()["models"]] == [
            "movie sentiment",
            "toy features",
        ]
    assert chain.block_number() == before


def test_serve_without_starlette_prints_the_install_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    (blocker / "starlette").mkdir(parents=True)
    (blocker / "starlette" / "__init__.py").write_text("raise ImportError('starlette is not installed')\n")
    pythonpath = [str(blocker), *sys.path]
    done = run_sumchain(tmp_path, "--chain", "memory", "serve", env={"PYTHONPATH": ":".join(pythonpath)})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        'SumchainError: the dashboard needs Starlette and uvicorn: pip install "sumchain[web]"'
    ]


def test_serve_on_a_busy_port_or_an_address_not_its_own_is_one_line_before_the_ready_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        busy = run_sumchain(tmp_path, "--chain", "memory", "serve", "--port", str(port))
    unknown = run_sumchain(tmp_path, "--chain", "memory", "serve", "--host", "192.0.2.1")  # TEST-NET: not ours
    for done, message in [
        (busy, f"SumchainError: cannot listen on 127.0.0.1:{port}: Address already in use"),
        (unknown, "SumchainError: cannot listen on 192.0.2.1:8000: Cannot assign requested address"),
    ]:
        assert (done.returncode, done.stdout) == (1, ""), done.stdout + done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(message), done.stderr


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
def test_requests_for_another_host_name_are_refused(site: Site, host: str) -> None:
    """A page whose DNS name was rebound to this machine reaches the server under its own name."""
    before = site.chain.block_number()
    body = {"features": "0", "label": 1, "account": 1}
    answer = requests.post(
        f"{site.url}/api/models/{site.features_model}/contributions", json=body, headers={"Host": host}, timeout=30
    )
    assert f"not {host!r}" in _error(answer, 421)
    assert site.chain.block_number() == before
    port = site.url.rsplit(":", 1)[1]
    assert requests.get(f"{site.url}/api/chain", headers={"Host": f"localhost:{port}"}, timeout=30).ok
    assert requests.get(f"{site.url}/api/chain", headers={"Host": f"LocalHost:{port}"}, timeout=30).ok


@pytest.mark.parametrize(
    ("host", "names"),
    [
        ("127.0.0.1", LOOPBACK_NAMES),
        ("localhost", LOOPBACK_NAMES),
        ("::1", LOOPBACK_NAMES),
        ("0:0:0:0:0:0:0:1", LOOPBACK_NAMES),
        ("127.0.0.2", (*LOOPBACK_NAMES, "127.0.0.2")),
        ("::ffff:127.0.0.1", (*LOOPBACK_NAMES, "[::ffff:7f00:1]")),
        ("0.0.0.0", ("*",)),
        ("192.168.1.5", ("*",)),
        ("::", ("*",)),
        ("dashboard.example", ("*",)),
    ],
)
def test_the_host_check_covers_every_loopback_address(host: str, names: tuple[str, ...]) -> None:
    assert host_names(host) == names


def test_a_server_on_another_loopback_address_refuses_other_host_names(tmp_path: Path) -> None:
    """127.0.0.2 is this machine as much as 127.0.0.1 is: the host check holds there too."""
    with serving(tmp_path, "--chain", "memory", host="127.0.0.2") as url:
        assert requests.get(f"{url}/api/chain", timeout=30).ok  # addressed as 127.0.0.2:PORT
        refused = requests.get(f"{url}/api/chain", headers={"Host": "evil.example"}, timeout=30)
        assert "not 'evil.example'" in _error(refused, 421)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/static/index.html", {}),
        ("/static/app.js", {}),
        ("/api/chain", {}),
        ("/api/nothing-here", {}),
        ("/api/chain", {"Host": "evil.example"}),  # the host check's refusal
    ],
)
def test_every_answer_carries_the_security_headers(site: Site, path: str, headers: dict[str, str]) -> None:
    """The page, its assets, the API and its errors alike: no script or frame from elsewhere, and no
    other site may frame the page (its buttons sign as dev accounts on a dev chain)."""
    answer = requests.get(site.url + path, headers=headers, timeout=30)
    policy = [part.strip() for part in answer.headers["Content-Security-Policy"].split(";")]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("cannot reach https://eth.example/v3/KEY: timed out", "cannot reach https://eth.example/…: timed out"),
        ("https://user:KEY@eth.example: refused", "https://eth.example: refused"),
        ("(https://eth.example/?key=KEY).", "(https://eth.example/…)."),
        ("http://127.0.0.1:8545: nonce too low", "http://127.0.0.1:8545: nonce too low"),
        ("http://127.0.0.1:8545/ refused", "http://127.0.0.1:8545/ refused"),
    ],
)
def test_error_messages_show_a_url_only_up_to_its_host(message: str, shown: str) -> None:
    assert without_secrets(message) == shown


@pytest.mark.anvil
def test_a_node_that_goes_away_is_a_503_without_the_key_in_its_url(tmp_path: Path) -> None:
    """A node's URL often carries an API key; an error answer goes to whoever reaches the dashboard."""
    with ExitStack() as server:
        with running_anvil() as rpc:
            url = server.enter_context(serving(tmp_path, "--chain", f"{rpc}/?apikey=SECRET"))
            assert requests.get(f"{url}/api/chain", timeout=30).ok
        message = _error(requests.get(f"{url}/api/chain", timeout=60), 503)
    assert message.startswith(f"ChainError: cannot reach {rpc}/…: ") and "SECRET" not in message


@pytest.mark.parametrize("account", ["²", "-1", "x", "10"])
def test_a_viewer_that_is_no_account_is_a_400(site: Site, account: str) -> None:
    answer = requests.get(
        f"{site.url}/api/models/{site.features_model}/contributions", params={"account": account}, timeout=30
    )
    assert "dev account's number" in _error(answer, 400)


def test_a_score_needs_a_test_set_and_the_owner(site: Site) -> None:
    before = site.chain.block_number()
    url = f"/api/models/{site.features_model}/score"
    for body, message in [
        ({"account": 0}, "test_set must hold a JSON list"),
        ({"account": 0, "test_set": [{"text": ["great"], "label": 1}]}, '"text" (a string)'),
        ({"account": 0, "test_set": [{"sample": ["0,1"], "label": 1}]}, '"sample" (a list of numbers)'),
        ({"account": 0, "test_set": [{"sample": [True], "label": 1}]}, '"sample" (a list of numbers)'),
        ({"account": 0, "test_set": [{"sample": 3, "label": 1}]}, 'test_set, item 0: give "label"'),
        ({"account": 0, "test_set": [{"text": "x", "sample": [0], "label": 1}]}, 'test_set, item 0: give "label"'),
        ({"account": 0, "test_set": [{"sample": [0], "label": "maybe"}]}, "maybe"),
        ({"account": 1, "test_set": [{"sample": [0], "label": 1}]}, "only the owner may"),
    ]:
        answer = site.post(url, body)
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    assert site.chain.block_number() == before
    published = site.post(url, {"account": 0, "test_set": [{"sample": [0], "label": "yes"}]}).json()
    assert (published["correct"], published["total"], published["published_at"]) == (1, 1, before + 1)
    assert site.get("/api/models").json()["models"][1]["score"] == published
