"""A prediction market through the API: the list shows it, its model answer says it is a market, and
its page's routes answer the market's figures; steps in the wrong phase are JSON errors, nothing sent."""

from __future__ import annotations

import pytest

from sumchain import SparsePerceptron
from sumchain.chain.accounts import dev_addresses
from sumchain.incentives import DAY
from sumchain.market import Market, PredictionMarket, split_test_set
from sumchain.web.mechanism import exact
from tests.web.conftest import Site

WALLET = dev_addresses(6)[5]
"""A browser wallet's account (the server signs nothing for it)."""


@pytest.fixture(scope="module")
def market(site: Site) -> Market:
    parameters = PredictionMarket(stake=10**15, min_duration=DAY, min_contributions=1)
    mirror = SparsePerceptron.from_weights([3, -3, 2, -2])
    market = Market.create(site.chain, mirror, parameters, bounty=10**17, sender=0)
    tests = split_test_set([[0], [1], [2], [3]], [1, 0, 1, 0], pieces=2)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=1), sender=0)
    market.add_data([0], 1, sender=2)
    return market


def test_a_market_is_listed_with_its_stakes_and_its_model_answer_says_so(site: Site, market: Market) -> None:
    listed = {m["address"]: m for m in site.get("/api/models").json()["models"]}
    assert listed[market.address]["mechanism"] == "Prediction market"
    assert listed[market.address]["contributions"] == 1
    info = site.get(f"/api/models/{market.address}").json()
    assert info["mechanism"]["kind"] == "market" and info["mechanism"]["parameters"]["stake"] == str(10**15)
    assert site.get(f"/api/models/{site.features_model}").json()["mechanism"]["kind"] == "claims"


def test_the_market_view(site: Site, market: Market) -> None:
    view = site.get(f"/api/models/{market.address}/market?account=2").json()
    figures = market.status()
    assert view["phase"] == "participation" and view["figures"] == exact(figures)
    assert view["figures"]["bounty"] == str(10**17) and view["figures"]["parameters"]["stake"] == str(10**15)
    assert view["phase_line"].startswith("Anyone may stake 0.001 ETH on a labelled sample.")
    assert view["bounty"] == {"wei": str(10**17), "text": "0.1 ETH"} and view["stake"]["wei"] == str(10**15)
    assert view["first_piece_size"] == 2
    assert view["participation_closes"] == figures["opened_at"] + DAY
    assert view["reveal_deadline"] is None and view["participation_ended"] is None
    [staked] = view["contributions"]
    assert staked["index"] == 0 and staked["data"] == [0] and staked["class_name"] == "1" and staked["score"] is None
    assert [a["provider"] for a in view["accounts"]] == [False, True]
    assert view["owed"]["wei"] == "0"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/push", {"account": 1}, 409, "nothing to push in the participation phase: Anyone may stake"),
        ("/push", {"account": 1, "limit": 0}, 400, "limit must be a number of transactions from 1 to 64"),
        ("/withdraw", {"account": 2}, 409, "prediction_market: not in this phase"),
        ("/contributions", {"account": 2, "features": "zero", "label": 1}, 400, "takes feature indices"),
        ("/contributions", {"account": 2, "features": "0", "label": 7}, 400, "label"),
        ("/end", {"account": 1}, 409, "prediction_market: participation too short"),
        ("/unsigned", {"action": "end", "from": WALLET}, 409, "prediction_market: participation too short"),
        ("/unsigned", {"action": "push", "from": WALLET}, 409, "nothing to push in the participation phase"),
        ("/unsigned", {"action": "withdraw", "from": WALLET}, 409, "prediction_market: not in this phase"),
        ("/unsigned", {"action": "stake", "from": WALLET, "features": "zero", "label": 1}, 400, "feature indices"),
        ("/unsigned", {"action": "refund", "from": WALLET}, 400, "action must be one of stake, push, end, withdraw"),
        ("/unsigned", {"action": "end", "from": "me"}, 400, "from must be the wallet's address"),
    ],
    ids=[
        "push too early",
        "bad limit",
        "withdraw too early",
        "bad sample",
        "bad label",
        "end too early",
        "wallet end too early",
        "wallet push too early",
        "wallet withdraw too early",
        "wallet bad sample",
        "wallet bad action",
        "wallet bad from",
    ],
)
def test_refusals_are_json_and_send_nothing(
    site: Site, market: Market, path: str, body: dict[str, object], status: int, message: str
) -> None:
    before = site.chain.block_number()
    answer = site.post(f"/api/models/{market.address}/market{path}", body)
    assert answer.status_code == status and message in answer.json()["error"]
    assert site.chain.block_number() == before


def test_another_model_has_no_market(site: Site) -> None:
    answer = site.get(f"/api/models/{site.features_model}/market")
    assert answer.status_code == 400 and "not a prediction market" in answer.json()["error"]


def test_a_wallet_stake_is_built_unsent_with_the_stake(site: Site, market: Market) -> None:
    before = site.chain.block_number()
    body = {"action": "stake", "from": WALLET.lower(), "features": "1", "label": 0}
    built = site.post(f"/api/models/{market.address}/market/unsigned", body).json()
    assert set(built) == {"action", "from", "to", "data", "value", "gas", "chainId"}
    assert built["action"] == "stake" and built["from"] == WALLET and built["to"] == market.address
    assert int(built["value"], 16) == 10**15 and built["data"] == "0x" + market.add_data_call([1], 0).data.hex()
    assert site.chain.block_number() == before and len(market.contributions()) == 1
