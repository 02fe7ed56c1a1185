"""A prediction market's provider in the dashboard (a real ``sumchain serve`` on an embedded chain file):
it deploys a market with its bounty, commits its hidden test set (kept with its salts in the serve's
workspace, the file ``sumchain market`` reads), draws and reveals the first piece and, after
participation, the rest; the market then runs to its end and every wei is accounted for. A browser
wallet does the same one unsigned transaction at a time. Refusals are error JSON; nothing is
written or sent then."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from sumchain.chain.accounts import dev_addresses, dev_private_keys
from sumchain.chain.base import Receipt
from sumchain.client import SharedModel
from sumchain.market import HiddenTestSet, Market, find_kept_test_set
from sumchain.market.client import DRAW_GAS_SPREAD
from sumchain.registry import Registry
from tests.helpers import run_sumchain
from tests.web.conftest import Site

PROVIDER, CONTRIBUTOR = dev_addresses(3)[0], dev_addresses(3)[2]
WALLET = dev_addresses(6)[5]
"""A browser wallet's account (the server signs nothing for it; the test sends what it builds)."""
BOUNTY = 10**17
STAKE = 10**15
TEST_SET = [
    {"text": "a wonderful, brilliant movie", "label": "positive"},
    {"text": "awful boring mess", "label": "negative"},
    {"text": "brilliant acting, a wonderful story", "label": "positive"},
    {"text": "boring, awful and a mess", "label": "negative"},
]
MARKET = {"source": "builtin", "mechanism": "prediction_market", "bounty": "0.1ether", "min_duration": "1h"}


def _workspace(site: Site) -> Path:
    """The workspace of the site's ``sumchain serve`` (it runs in the chain file's folder)."""
    assert site.chain.path is not None
    return site.chain.path.parent / ".sumchain"


def _kept(site: Site, market: Market) -> tuple[HiddenTestSet, Path]:
    """The test set (and its file) the serve keeps for ``market``'s commitments."""
    found = find_kept_test_set(_workspace(site), market)
    assert found is not None
    return found


def _files(site: Site, market: Market) -> list[Path]:
    """The files the serve keeps for ``market``."""
    return sorted(_workspace(site).glob(f"market-{market.address}*.json"))


def _deployed(site: Site, body: dict[str, Any]) -> dict[str, Any]:
    """Start a deployment as a dev account and follow it to its end."""
    answer = site.post("/api/deployments", body)
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    deadline = time.monotonic() + 120
    while job["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
        job = site.get(f"/api/deployments/{job['id']}").json()
    return job


def _market(site: Site, address: str) -> Market:
    return Market(SharedModel(site.chain, address))


def test_the_provider_runs_a_market_from_the_dashboard_to_its_end(site: Site) -> None:
    balance = site.chain.balance(PROVIDER)
    job = _deployed(site, MARKET | {"name": "provider market", "account": 0})
    assert job["state"] == "done" and job["bounty"] == {"wei": str(BOUNTY), "text": "0.1 ETH"}, job
    market = _market(site, job["address"])
    registry = Registry.configured(site.chain)
    assert registry is not None and registry.find("provider market").address == market.address
    assert market.phase() == "commit" and market.status()["bounty"] == BOUNTY
    assert market.parameters.min_duration == 3600 and market.parameters.stake == STAKE
    assert site.chain.balance(PROVIDER) == balance - BOUNTY  # the embedded chain charges no gas
    base = f"/api/models/{market.address}/market"

    # the commit: split, kept in the workspace (owner-only), committed and sealed
    done = site.post(base + "/provide", {"account": 0, "test_set": TEST_SET, "pieces": 2}).json()
    assert done == {"sent": ["commit", "seal"], "phase": "sealed", "num_pieces": 2, "num_revealed": 0}
    hidden, kept = _kept(site, market)
    assert kept.stat().st_mode & 0o777 == 0o600 and _files(site, market) == [kept]
    model = market.model
    assert hidden.holds([model.encode(row["text"]) for row in TEST_SET], [1, 0, 1, 0])
    assert len(hidden.pieces) == 2
    view = site.get(base + "?account=0").json()
    assert view["phase"] == "sealed" and view["viewer"] == PROVIDER

    # the CLI of the same workspace reveals the drawn piece with the dashboard's file
    folder = kept.parent.parent
    cli = run_sumchain(folder, "--chain", f"embedded:{site.chain.path}", "--model", market.address, "market", "reveal")
    assert cli.returncode == 0, cli.stderr
    assert "participation is open" in cli.stdout and market.phase() == "participation"
    assert market.revealed_pieces()[market.status()["first_piece"]] == hidden.pieces[market.status()["first_piece"]]

    # a contribution, the end, then the dashboard reveals the rest
    assert site.post(base + "/contributions", {"account": 2, "text": "wonderful", "label": "positive"}).ok
    site.chain.advance_time(3600)
    assert site.post(base + "/end", {"account": 2}).json() == {"phase": "reveal"}
    done = site.post(base + "/provide", {"account": 0}).json()
    rest = 1 - market.status()["first_piece"]
    assert done == {"sent": [f"reveal piece {rest}"], "phase": "evaluate", "num_pieces": 2, "num_revealed": 2}
    assert market.revealed_pieces() == dict(enumerate(hidden.pieces))
    refused = site.post(base + "/provide", {"account": 0})
    assert refused.status_code == 409
    assert refused.json()["error"].startswith("nothing for the provider to send in the evaluate phase: Anyone may")

    # anyone pushes the evaluation and the settlement; every wei of the bounty and stake is owed
    pushed = site.post(base + "/push", {"account": 2}).json()
    assert pushed["phase"] == "done"
    owed = market.owed(PROVIDER)
    assert owed + market.owed(CONTRIBUTOR) == BOUNTY + STAKE and owed > 0
    balance = site.chain.balance(PROVIDER)
    withdrawn = site.post(base + "/withdraw", {"account": 0}).json()
    assert withdrawn["amount"]["wei"] == str(owed) and site.chain.balance(PROVIDER) == balance + owed


@pytest.fixture(scope="module")
def committed(site: Site) -> Market:
    """A market of the dashboard whose test set is committed and sealed (its file kept by the serve)."""
    job = _deployed(site, MARKET | {"name": "sealed market", "account": 0})
    market = _market(site, job["address"])
    sent = site.post(f"/api/models/{market.address}/market/provide", {"account": 0, "test_set": TEST_SET})
    assert sent.ok, sent.text
    return market


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"account": 1}, 403, f"only the market's provider, {PROVIDER}, commits and reveals its test set"),
        ({"account": 0, "test_set": TEST_SET}, 409, "the market is in the sealed phase: its test set was committed"),
    ],
    ids=["not the provider", "a second test set"],
)
def test_provider_refusals_after_the_seal(
    site: Site, committed: Market, body: dict[str, Any], status: int, message: str
) -> None:
    _, kept = _kept(site, committed)
    before, salts = site.chain.block_number(), kept.read_bytes()
    answer = site.post(f"/api/models/{committed.address}/market/provide", body)
    assert answer.status_code == status and message in answer.json()["error"]
    assert site.chain.block_number() == before and kept.read_bytes() == salts and _files(site, committed) == [kept]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"account": 0}, 400, 'give the test_set to commit: a list of {"text" or "sample", "label"} objects'),
        ({"account": 0, "test_set": []}, 400, "test_set must hold a JSON list of"),
        ({"account": 0, "test_set": [{"text": 1, "label": 0}]}, 400, "test_set, item 0: give"),
        ({"account": 0, "test_set": [{"text": "wonderful", "label": "maybe"}] * 2}, 400, "maybe"),
        ({"account": 0, "test_set": TEST_SET, "pieces": True}, 400, "pieces must be a whole number, got True"),
        ({"account": 0, "test_set": TEST_SET, "pieces": 5}, 400, "4 test samples fit in 2 to 4 pieces"),
        ({"account": 1, "test_set": TEST_SET}, 403, "only the market's provider"),
        ({"account": 11, "test_set": TEST_SET}, 400, "account must be a dev account's number"),
    ],
    ids=["no test set", "empty", "bad text", "bad label", "bad pieces", "many pieces", "not provider", "bad account"],
)
def test_a_bad_commit_writes_and_sends_nothing(
    site: Site, body: dict[str, Any], status: int, message: str, unsealed: Market
) -> None:
    before = site.chain.block_number()
    answer = site.post(f"/api/models/{unsealed.address}/market/provide", body)
    assert answer.status_code == status and message in answer.json()["error"], answer.text
    assert site.chain.block_number() == before and unsealed.committed_pieces() == 0
    assert _files(site, unsealed) == []


@pytest.fixture(scope="module")
def unsealed(site: Site) -> Market:
    """A market of the dashboard in its commit phase, nothing committed."""
    return _market(site, _deployed(site, MARKET | {"name": "unsealed market", "account": 0})["address"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"bounty": None}, "a prediction market needs a bounty, e.g. 0.1ether"),
        ({"bounty": "0"}, "the bounty must be more than 0"),
        ({"bounty": "10001ether"}, f"the bounty of 10,001 ETH is more than {PROVIDER} holds"),
        ({"bounty": "lots"}, "lots"),
        ({"cost_weight": "1"}, "a prediction market takes bounty, stake, min_duration"),
        ({"mechanism": "points"}, "the prediction market's parameters (bounty, min_duration) do not go with points"),
        ({"min_duration": "0"}, "the min duration must be at least a minute, got 0"),
        ({"min_contributions": "none"}, "min_contributions must be a whole number"),
        ({"min_contributions": 0}, "the contributions to wait for must be 1 to 100,000, got 0"),
    ],
    ids=["no bounty", "zero", "more than held", "unparsed", "claims option", "not market", "short", "nan", "zero min"],
)
def test_a_bad_market_deployment_sends_nothing(site: Site, body: dict[str, Any], message: str) -> None:
    before = site.chain.block_number()
    request = {key: value for key, value in (MARKET | body | {"account": 0}).items() if value is not None}
    answer = site.post("/api/deployments", request)
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    assert site.chain.block_number() == before


def _signature(message: str, account: str) -> str:
    """``personal_sign`` of ``message`` by a dev account, as a browser wallet answers it."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    key = dict(zip(dev_addresses(6), dev_private_keys(6), strict=True))[account]
    return "0x" + bytes(Account.sign_message(encode_defunct(text=message), private_key=key).signature).hex()


def _provide(site: Site, market: Market, body: dict[str, Any]) -> requests.Response:
    """A wallet's ``provide`` as the page sends it: signed by ``from`` when the server asks for a signature."""
    base = f"/api/models/{market.address}/market/unsigned"
    answer = site.post(base, body | {"action": "provide"})
    if answer.status_code == 401:
        answer = site.post(
            base, body | {"action": "provide", "signature": _signature(answer.json()["sign"], body["from"])}
        )
    return answer


def _send(site: Site, tx: dict[str, Any]) -> Receipt:
    """Send an unsigned transaction of the API as the wallet would (the embedded chain signs for dev account 5)."""
    data, value, gas = bytes.fromhex(tx["data"][2:]), int(tx["value"], 16), int(tx["gas"], 16)
    if "to" in tx:
        return site.chain.transact(tx["to"], data, sender=tx["from"], value=value, gas=gas)
    return site.chain.deploy(data, sender=tx["from"], value=value, gas=gas)


def test_a_wallet_provider_deploys_funds_commits_and_reveals_one_transaction_at_a_time(site: Site) -> None:
    request = MARKET | {"name": "wallet provider market", "from": WALLET}
    actions: list[str] = []
    address: str | None = None
    while True:
        step = site.post("/api/deployments/wallet", request | ({"address": address} if address else {})).json()
        if step["state"] == "done":
            break
        actions.append(step["transaction"]["action"])
        created = _send(site, step["transaction"]).contract_address
        address = address or created
        if actions[-1] != "create":
            assert step["address"] == address
    assert actions[0] == "create" and actions[1] == "register" and actions[-1] == "fund the bounty", actions
    assert step["bounty"] == {"wei": str(BOUNTY), "text": "0.1 ETH"}
    assert address is not None
    market = _market(site, address)
    assert market.model.owner == WALLET and market.status()["bounty"] == BOUNTY

    base = f"/api/models/{market.address}/market/unsigned"
    refused = site.post(base, {"action": "provide", "from": PROVIDER})
    assert refused.status_code == 403 and "only the market's provider" in refused.json()["error"]
    sent = []
    while market.phase() != "participation":  # as the page: the test set with every commit-phase step
        tx = _provide(site, market, {"from": WALLET} | ({"test_set": TEST_SET} if market.phase() == "commit" else {}))
        tx = tx.json()
        assert tx["from"] == WALLET and tx["to"] == market.address
        if tx["action"] == "draw":
            estimate = site.chain.estimate_gas(market.address, bytes.fromhex(tx["data"][2:]), sender=WALLET)
            assert int(tx["gas"], 16) == estimate * 120 // 100 + DRAW_GAS_SPREAD
        _send(site, tx)
        sent.append(tx["action"])
    first = market.status()["first_piece"]
    assert sent == ["commit", "seal", "draw", f"reveal piece {first}"]
    hidden, _ = _kept(site, market)
    assert market.revealed_pieces() == {first: hidden.pieces[first]}
    nothing = site.post(base, {"action": "provide", "from": WALLET})
    assert nothing.status_code == 409 and "nothing for the provider to send in the participation phase" in nothing.text


def test_the_openapi_names_the_provider_route(site: Site) -> None:
    paths = site.get("/api/openapi.json").json()["paths"]
    assert "provide" in json.dumps(paths["/api/models/{address}/market/unsigned"])
    assert "/api/models/{address}/market/provide" in paths


def test_a_dashboard_without_a_workspace_keeps_no_test_set() -> None:
    """``create_app`` without a workspace (an app in another program): the provider's steps are refused,
    nothing written or sent; the provider commits with ``Market`` or the CLI instead."""
    from sumchain import EmbeddedChain, SparsePerceptron
    from sumchain.market import PredictionMarket
    from sumchain.web.app import create_app
    from tests.web.conftest import threaded_server

    chain = EmbeddedChain()
    market = Market.create(
        chain, SparsePerceptron.from_weights([1, -1]), PredictionMarket(stake=STAKE), bounty=BOUNTY, sender=0
    )
    before = chain.block_number()
    with threaded_server(create_app(chain)) as url:
        body = {"account": 0, "test_set": [{"sample": [0], "label": 1}, {"sample": [1], "label": 0}]}
        answer = requests.post(f"{url}/api/models/{market.address}/market/provide", json=body, timeout=30)
    assert answer.status_code == 409 and "this dashboard keeps no test sets" in answer.json()["error"]
    assert chain.block_number() == before and market.phase() == "commit"


def test_a_missed_reveal_deadline_is_pushed_to_the_contributors(site: Site) -> None:
    """The provider reveals nothing after participation: once its deadline passed, anyone's push (a dev
    account's, or the wallet's next step) forfeits the bounty to the contributors and settles."""
    from sumchain.market import split_test_set

    job = _deployed(site, MARKET | {"name": "abandoned market", "account": 0})
    market = _market(site, job["address"])
    hidden = split_test_set([market.model.encode(row["text"]) for row in TEST_SET], [1, 0, 1, 0])
    market.commit(hidden, sender=0)
    market.seal(sender=0)
    market.reveal(hidden, market.draw(sender=0), sender=0)
    market.add_data(market.model.encode("wonderful"), 1, sender=2)
    site.chain.advance_time(3600)
    market.end(sender=2)
    base = f"/api/models/{market.address}/market"
    early = site.post(base + "/push", {"account": 2})
    assert early.status_code == 409 and "the provider reveals the rest of the test set" in early.json()["error"]
    site.chain.advance_time(market.parameters.reveal_window)
    view = site.get(base).json()
    assert view["phase_line"].startswith("The provider missed the reveal deadline: anyone may push the market")
    wallet = site.post(base + "/unsigned", {"action": "push", "from": WALLET}).json()
    assert wallet["action"] == "forfeit" and wallet["data"] == "0x" + market.forfeit_call().data.hex()
    pushed = site.post(base + "/push", {"account": 2}).json()
    assert pushed["phase"] == "done" and pushed["sent"] >= 2
    assert market.owed(CONTRIBUTOR) > STAKE and market.owed(CONTRIBUTOR) + market.owed(PROVIDER) == BOUNTY + STAKE


def test_a_wallets_new_test_set_needs_the_providers_signature(site: Site) -> None:
    """A wallet's ``from`` is not proof: the dashboard keeps a new test set for it only with the provider's
    signature of the message it answers with (401); none, a malformed one or another account's writes
    nothing."""
    market = _market(site, _deployed(site, MARKET | {"name": "signed test set", "account": 0})["address"])
    base = f"/api/models/{market.address}/market/unsigned"
    body = {"action": "provide", "from": PROVIDER, "test_set": TEST_SET}
    asked = site.post(base, body)
    assert asked.status_code == 401 and "sign the message" in asked.json()["error"]
    message = asked.json()["sign"]
    assert message.startswith("sumchain: keep the hidden test set ") and market.address in message
    for signature, status, error in [
        ("0x1234", 400, "signature must be 0x and 65 bytes in hex"),
        ("0x" + "00" * 65, 403, "the signature is not the provider's"),
        (_signature(message, WALLET), 403, f"the signature is not the provider's ({PROVIDER})"),
        (_signature(message + ".", PROVIDER), 403, "the signature is not the provider's"),
    ]:
        answer = site.post(base, body | {"signature": signature})
        assert answer.status_code == status and error in answer.json()["error"], answer.text
    assert _files(site, market) == []
    signed = site.post(base, body | {"signature": _signature(message, PROVIDER)})
    assert signed.status_code == 200 and signed.json()["action"] == "commit" and len(_files(site, market)) == 1
    assert site.post(base, body).status_code == 200  # the same test set again: its file, no new signature


def test_another_test_set_before_any_commitment_gets_a_file_of_its_own(site: Site) -> None:
    """A second test set given before any commitment never replaces a kept one. Each has its own file;
    the one committed to is the one revealed."""
    market = _market(site, _deployed(site, MARKET | {"name": "two test sets", "account": 0})["address"])
    first = _provide(site, market, {"from": PROVIDER, "test_set": TEST_SET}).json()
    other = TEST_SET[::-1]
    second = _provide(site, market, {"from": PROVIDER, "test_set": other}).json()
    assert first["action"] == second["action"] == "commit"
    files = _files(site, market)
    assert len(files) == 2
    kept = {path: path.read_bytes() for path in files}
    again = _provide(site, market, {"from": PROVIDER, "test_set": TEST_SET}).json()
    assert again["data"] == first["data"]  # the same request carries on the same file
    site.chain.transact(market.address, bytes.fromhex(second["data"][2:]), sender=PROVIDER)  # the other is sent
    done = site.post(f"/api/models/{market.address}/market/provide", {"account": 0}).json()
    assert done["sent"] == ["seal"]
    assert {path: path.read_bytes() for path in _files(site, market)} == kept  # none written over
    hidden, _ = _kept(site, market)
    assert hidden.holds([market.model.encode(row["text"]) for row in other], [0, 1, 0, 1])
    assert site.post(f"/api/models/{market.address}/market/provide", {"account": 0}).json()["phase"] == "participation"
    assert hidden.pieces[market.status()["first_piece"]] in market.revealed_pieces().values()


def test_the_provider_cancels_from_the_dashboard_and_withdraws_the_bounty(site: Site) -> None:
    market = _market(site, _deployed(site, MARKET | {"name": "cancelled market", "account": 0})["address"])
    base = f"/api/models/{market.address}/market"
    wallet = site.post(base + "/unsigned", {"action": "cancel", "from": WALLET})
    assert wallet.status_code == 409 and "market: caller is not the provider" in wallet.json()["error"]
    built = site.post(base + "/unsigned", {"action": "cancel", "from": PROVIDER}).json()
    assert built["data"] == "0x" + market.cancel_call().data.hex()
    refused = site.post(base + "/cancel", {"account": 1})
    assert refused.status_code == 409 and "caller is not the provider" in refused.json()["error"]
    done = site.post(base + "/cancel", {"account": 0}).json()
    assert done == {"phase": "done", "owed": {"wei": str(BOUNTY), "text": "0.1 ETH"}}
    assert site.post(base + "/withdraw", {"account": 0}).json()["amount"]["wei"] == str(BOUNTY)
    assert site.chain.balance(market.address) == 0
    again = site.post(base + "/cancel", {"account": 0})
    assert again.status_code == 409 and "prediction_market: too late to cancel" in again.json()["error"]
    view = site.get(base + "?account=0").json()
    assert not view["may_cancel"] and view["phase_line"].startswith("The provider cancelled the market before")


def test_serve_max_deposit_refuses_a_bounty_above_it_before_anything_is_deployed(tmp_path: Path) -> None:
    """``sumchain serve --max-deposit`` opens the chain with that limit: a market's bounty above it is refused
    at the request, before the model is deployed (not after, with a market left without its bounty)."""
    from sumchain.web.app import create_app
    from sumchain.web.server import keyless_chain
    from tests.web.conftest import threaded_server

    chain = keyless_chain(f"embedded:{tmp_path / 'chain.sqlite'}", max_deposit=10**16)
    before = chain.block_number()
    with threaded_server(create_app(chain, workspace=tmp_path / ".sumchain")) as url:
        answer = requests.post(f"{url}/api/deployments", json=MARKET | {"account": 0}, timeout=30)
        assert answer.status_code == 409, answer.text
        assert "sending 0.1 ETH is more than the maximum 0.01 ETH: nothing was sent" in answer.json()["error"]
        assert chain.block_number() == before
        job = requests.post(f"{url}/api/deployments", json=MARKET | {"account": 0, "bounty": "0.01ether"}, timeout=30)
        assert job.status_code == 202, job.text
        while job.json()["state"] == "running":
            time.sleep(0.2)
            job = requests.get(f"{url}/api/deployments/{job.json()['id']}", timeout=30)
    assert job.json()["state"] == "done", job.text
    assert Market(SharedModel(chain, job.json()["address"])).status()["bounty"] == 10**16


def test_the_test_sets_kept_before_any_commitment_are_bounded(site: Site) -> None:
    """At most MAX_KEPT_TEST_SETS files are kept for a market before one is committed to; the next is refused."""
    from sumchain.web.market import MAX_KEPT_TEST_SETS

    market = _market(site, _deployed(site, MARKET | {"name": "many test sets", "account": 0})["address"])
    for pieces in range(2, 2 + MAX_KEPT_TEST_SETS):
        answer = _provide(site, market, {"from": PROVIDER, "test_set": TEST_SET * 4, "pieces": pieces})
        assert answer.status_code == 200, answer.text
    refused = _provide(site, market, {"from": PROVIDER, "test_set": TEST_SET, "pieces": 3})
    assert refused.status_code == 409 and f"keeps {MAX_KEPT_TEST_SETS} test sets" in refused.json()["error"]
    assert len(_files(site, market)) == MAX_KEPT_TEST_SETS
    again = _provide(site, market, {"from": PROVIDER, "test_set": TEST_SET * 4, "pieces": 2})
    assert again.status_code == 200  # one of those kept carries on


def test_an_evaluation_that_cannot_go_on_is_given_up_by_a_push_past_its_deadline(site: Site) -> None:
    """A market whose naive Bayes model has counted 2**64 - 1 samples of class 1 cannot learn a sample of
    class 1: each push is refused, in one line. Once it has not moved for the claim wait, anyone's push
    (a dev account's, or the wallet's next step) gives the evaluation up and settles, as a forfeit: the
    stake back with the bounty."""
    from sumchain import NaiveBayes
    from sumchain.incentives import DAY, PredictionMarket
    from sumchain.market import split_test_set

    full = NaiveBayes.from_counts([5, 2**64 - 1], [[3, 1, 1, 0], [0, 2, 1, 3]])
    parameters = PredictionMarket(
        stake=STAKE, min_duration=3600, min_contributions=1, reveal_window=3600, claim_wait=DAY
    )
    market = Market.create(site.chain, full, parameters, bounty=BOUNTY, sender=0)
    hidden = split_test_set([[0], [1], [2, 3], [0, 2]], [0, 1, 1, 0])
    market.commit(hidden, sender=0)
    market.seal(sender=0)
    market.reveal(hidden, market.draw(sender=0), sender=0)
    market.add_data([1, 3], 1, sender=2)
    site.chain.advance_time(3600)
    market.end(sender=2)
    market.reveal_rest(hidden, sender=0)
    base = f"/api/models/{market.address}/market"
    refused = site.post(base + "/push", {"account": 2})
    assert refused.status_code in (400, 409) and "naive_bayes: count overflows its field" in refused.json()["error"]
    assert market.phase() == "evaluate"
    site.chain.advance_time(DAY + 3600)
    view = site.get(base).json()
    assert "It has not moved for the claim wait: if its next step is refused, a push gives it up" in view["phase_line"]
    wallet = site.post(base + "/unsigned", {"action": "push", "from": WALLET}).json()
    assert wallet["action"] == "abandon" and wallet["data"] == "0x" + market.abandon_call().data.hex()
    pushed = site.post(base + "/push", {"account": 2}).json()
    assert pushed["phase"] == "done" and pushed["sent"] == 2  # abandon, then settle
    assert (market.owed(CONTRIBUTOR), market.owed(PROVIDER)) == (STAKE + BOUNTY, 0)
