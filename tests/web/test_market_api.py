"""A prediction market in the registry: the dashboard lists it; its page (not built yet) is a JSON error."""

from __future__ import annotations

from sumchain import SparsePerceptron
from sumchain.incentives import DAY
from sumchain.market import Market, PredictionMarket, split_test_set
from tests.web.conftest import Site


def test_a_market_is_listed_with_its_stakes_and_its_page_is_a_json_error(site: Site) -> None:
    parameters = PredictionMarket(stake=10**15, min_duration=DAY, min_contributions=1)
    mirror = SparsePerceptron.from_weights([3, -3, 2, -2])
    market = Market.create(site.chain, mirror, parameters, bounty=10**17, sender=0)
    tests = split_test_set([[0], [1], [2], [3]], [1, 0, 1, 0], pieces=2)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=1), sender=0)
    market.add_data([0], 1, sender=2)
    listed = {m["address"]: m for m in site.get("/api/models").json()["models"]}
    assert listed[market.address]["mechanism"] == "Prediction market"
    assert listed[market.address]["contributions"] == 1
    page = site.get(f"/api/models/{market.address}")
    assert page.status_code == 400 and "is a prediction market" in page.json()["error"]
