"""The dashboard in a real headless Chromium: list, predict, add, refund after a time advance, report,
bad input shown on the page with nothing sent, keyboard use, labels, both widths, no console errors."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from sumchain import EmbeddedChain, ModelMetadata, SharedModel, SparsePerceptron
from sumchain.chain.accounts import dev_addresses
from sumchain.incentives import DAY
from sumchain.registry import Registry
from sumchain.units import format_amount
from tests.web.browser import (
    PHONE,
    UNLABELLED,
    WIDER_THAN,
    Console,
    chromium_available,
    record_timings,
    screenshot,
    tab_to,
)
from tests.web.conftest import DRT, Site, deploy_features_model

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
NOT_A_MODEL = "0x" + "34" * 20
TIMINGS: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def timings() -> Iterator[None]:
    """Write what the tests measured once they are done."""
    yield
    if TIMINGS:
        record_timings(TIMINGS)


def open_model(page: Page, site: Site, address: str) -> None:
    page.goto(f"{site.url}/models/{address}")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#error")).to_be_hidden()


def test_the_list_shows_the_registry_and_leads_to_a_model(page: Page, site: Site) -> None:
    page.goto(site.url + "/")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("movie sentiment")
    expect(rows.nth(0)).to_contain_text("sparse perceptron")
    expect(rows.nth(0)).to_contain_text("Deposit, Refund and Take")
    expect(rows.nth(1)).to_contain_text("toy features")
    expect(rows.nth(2)).to_contain_text("nearest centroid")
    score = site.get("/api/models").json()["models"][0]["score"]
    expect(rows.nth(0).locator("td").nth(3)).to_have_text(f"66.7% (2/3)owner's test, block {score['published_at']}")
    expect(rows.nth(0).locator("td").nth(3)).to_have_attribute("title", f"test set {score['test_set']}")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("not published")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_role("link", name="toy features").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("toy features")
    assert page.url.endswith(f"/models/{site.features_model}")


def test_predict_a_text_with_the_keyboard_alone(page: Page, site: Site) -> None:
    started = time.perf_counter()
    open_model(page, site, site.text_model)
    TIMINGS["model_page_first_render_ms"] = round(page.evaluate("window.sumchainRendered"), 1)
    TIMINGS["model_page_load_wall_ms"] = round((time.perf_counter() - started) * 1000, 1)
    assert page.evaluate(UNLABELLED) == []
    tab_to(page, "#predict-input")
    page.keyboard.type("a wonderful, brilliant movie")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Predict"
    output = page.locator("#prediction")
    rounds = []
    for text in ("a wonderful, brilliant movie", "an awful, boring mess", "a wonderful, brilliant movie"):
        page.fill("#predict-input", text)
        page.focus("#predict-form button")
        started = time.perf_counter()
        page.keyboard.press("Enter")
        expected = "positive" if "wonderful" in text else "negative"
        expect(output).to_have_text(f"Prediction: {expected} (class {int(expected == 'positive')})")
        rounds.append((time.perf_counter() - started) * 1000)
    TIMINGS["prediction_round_trip_ms"] = round(statistics.median(rounds), 1)


def _account(page: Page, number: int) -> None:
    page.select_option("#account", str(number))
    expect(page.locator("#contributions")).to_be_attached()
    page.wait_for_load_state("networkidle")


def test_add_refund_after_a_time_advance_then_report(page: Page, site: Site) -> None:
    """Account 1 adds data the model agrees with, account 2 a flipped label; a day later 1 is
    refunded, then takes part of 2's deposit; the chain holds exactly that."""
    model = SharedModel(site.chain, site.features_model)
    open_model(page, site, site.features_model)
    _account(page, 1)
    page.fill("#add-input", "0")
    page.select_option("#add-label", "1")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#notice")).to_contain_text("Added contribution #1")
    mine = page.locator("#contributions table").first
    expect(mine.locator("tbody tr")).to_have_count(1)
    expect(mine).to_contain_text("the refund wait is not over (opens in 1d 0h)")
    _account(page, 2)
    page.fill("#add-input", "8")
    page.select_option("#add-label", "0")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#notice")).to_contain_text("Added contribution #2")
    _account(page, 1)
    candidates = page.locator("#contributions table").nth(1)
    expect(candidates).to_contain_text("the refund wait is not over")
    waits = "open after 1d; the owner may take what is left after 5d; anyone may take what is left after 9d"
    expect(page.locator("dl.facts")).to_contain_text(waits)  # each wait was rounded to whole hours
    page.select_option("#advance-by", "86400")
    page.get_by_role("button", name="Advance time").click()
    expect(page.locator("#notice")).to_have_text("Chain time advanced.")
    now = page.locator("#deposit-now").inner_text().removeprefix("Deposit now: ")
    expect(page.locator("#summary")).to_contain_text(f"deposit now {now};")  # it kept the page load's
    refund = page.get_by_role("button", name="Refund #1")
    expect(refund).to_be_enabled()
    refund.click()
    expect(page.locator("#notice")).to_contain_text("Refunded")
    expect(page.locator("#contributions table").first).to_contain_text("refunded")
    report = page.get_by_role("button", name="Report #2")
    expect(report).to_be_enabled()
    screenshot(page, "dashboard-desktop.png")
    report.click()
    expect(page.locator("#notice")).to_contain_text("Took")
    expect(page.locator("#notice")).to_contain_text("for contribution #2")
    first, second = model.contributions(everyone=True)
    assert first.refunded and first.claimable == 0
    assert second.reported_by == {first.author} and second.claimable < second.deposit
    leader = page.get_by_role("table", name="Leaderboard").locator("tbody tr").first
    expect(leader).to_contain_text(f"{first.author[:6]}…{first.author[-4:]}")
    expect(leader.locator("td").nth(1)).to_have_text(re.compile(r"^\+\d+\.\d{6} ETH$"))  # score: what it took
    expect(leader.locator("td").nth(3)).to_have_text("1")  # validated
    expect(leader.locator("td").nth(5)).to_have_text("1")  # reports
    expect(page.locator("#per-day")).to_have_attribute("aria-label", re.compile(r"Contributions per day: [-\d]+: 2$"))


def test_readable_on_a_phone(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    phone = context.new_page()
    console = Console()
    console.attach(phone)
    open_model(phone, site, site.features_model)
    assert phone.evaluate(WIDER_THAN, PHONE["width"]) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(phone.get_by_role("button", name="Predict")).to_be_visible()
    screenshot(phone, "dashboard-phone.png")
    phone.goto(site.url + "/")
    expect(phone.locator("main tbody tr")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the table scrolls, not the page
    accuracy = phone.locator("main tbody tr").first.locator("td").nth(3).bounding_box()
    assert accuracy is not None and accuracy["x"] + accuracy["width"] <= PHONE["width"]  # the scores in sight
    context.close()
    assert console.unexpected() == []


def test_an_add_pays_at_most_the_deposit_shown(page: Page, site: Site, console: Console) -> None:
    """The page sends the deposit it shows as the most to pay: raised by another's contribution since,
    the add is refused with nothing sent and the page shows the new deposit, which the next click pays."""
    console.expect("status of 409")
    model = deploy_features_model(site.chain, name="deposit shown")
    site.chain.advance_time(DAY)  # the deposit falls while nobody contributes
    open_model(page, site, model.address)
    _account(page, 1)
    shown = int(page.locator("#deposit-now").get_attribute("data-wei") or "")
    model.add_data([0], 1, sender=2)  # another contribution first: the deposit is back up
    risen = model.cost()
    assert risen > shown
    before = site.chain.block_number()
    page.fill("#add-input", "0")
    page.select_option("#add-label", "1")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_contain_text(f"more than max_deposit {format_amount(shown)}: nothing was sent")
    expect(page.locator("#deposit-now")).to_have_attribute("data-wei", str(risen))
    assert site.chain.block_number() == before
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#notice")).to_contain_text("Added contribution #2")
    assert [c.author for c in model.contributions(everyone=True)] == [dev_addresses(3)[2], dev_addresses(3)[1]]
    expect(page.locator("#chain")).to_contain_text(f"block {site.chain.block_number()} ")  # the header too


def test_a_refund_another_tab_made_first_is_shown_as_it_now_is(page: Page, site: Site, console: Console) -> None:
    """The chain refuses the second refund (409): the page then reads the contribution again, refunded."""
    console.expect("status of 409")
    model = deploy_features_model(site.chain, name="refunded elsewhere")
    added = model.add_data([0], 1, sender=1)
    site.chain.advance_time(DAY)
    open_model(page, site, model.address)
    _account(page, 1)
    refund = page.get_by_role("button", name="Refund #1")
    expect(refund).to_be_enabled()
    model.refund([0], 1, added.time, sender=1)  # in another tab, or from the command line
    refund.click()
    expect(page.locator("#error")).to_contain_text("Refund failed: ContractReverted")
    expect(page.locator("#contributions table").first).to_contain_text("refunded")
    expect(page.get_by_role("button", name="Refund #1")).to_have_count(0)


def test_a_model_whose_upload_stopped_half_way_says_so(page: Page, site: Site) -> None:
    """It looked like any model, with a deposit and forms, until an add failed "parameters not loaded"."""
    mirror = SparsePerceptron.from_weights([1, -1, 2])
    receipt = site.chain.deploy(SharedModel.creation_code(mirror, mechanism=DRT), sender=site.chain.accounts[0])
    assert receipt.contract_address is not None
    open_model(page, site, receipt.contract_address)
    total = len(mirror.to_words())
    expect(page.locator("#unfinished")).to_have_text(re.compile(rf"^Unfinished: 0 of its {total} parameter words"))
    SharedModel(site.chain, receipt.contract_address).upload_parameters(mirror.to_words(), sender=0)
    page.get_by_role("button", name="Advance time").click()  # the page reads the model again
    expect(page.locator("#notice")).to_have_text("Chain time advanced.")
    expect(page.locator("#unfinished")).to_have_count(0)


def test_a_non_model_address_in_the_url_shows_the_error(page: Page, site: Site, console: Console) -> None:
    console.expect("status of 404")
    page.goto(f"{site.url}/models/{NOT_A_MODEL}")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("is not a sumchain model")
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")


@pytest.mark.parametrize(
    ("model", "text", "message"),
    [
        ("features_model", "zero", "takes feature indices"),
        ("features_model", "3,1", "sorted"),
        ("text_model", "x" * 70_000, "the API reads at most"),
    ],
    ids=["not indices", "unsorted", "oversized"],
)
def test_bad_input_is_shown_and_nothing_is_sent(
    page: Page, site: Site, console: Console, model: str, text: str, message: str
) -> None:
    console.expect(r"status of 4\d\d")
    open_model(page, site, getattr(site, model))
    page.evaluate("notify('Refunded 1 ETH for contribution #1.')")  # what an earlier step said
    before = site.chain.block_number()
    page.fill("#add-input", text)
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text(message)
    expect(page.locator("#notice")).to_be_empty()  # not left beside the error, as if done too
    assert site.chain.block_number() == before


def test_the_owner_publishes_a_test_score_from_the_model_page(
    page: Page, site: Site, console: Console, tmp_path: Path
) -> None:
    console.expect("status of 400")
    model = SharedModel(site.chain, site.features_model)
    right = model.predict_many([[0], [1]]).count(1)
    test_set = tmp_path / "test.json"
    test_set.write_text(json.dumps([{"sample": [0], "label": "yes"}, {"sample": [1], "label": "yes"}]))
    open_model(page, site, site.features_model)
    assert page.evaluate(UNLABELLED) == []
    before = site.chain.block_number()
    page.get_by_role("button", name="Publish score").click()
    expect(page.locator("#error")).to_have_text("Publishing the score failed: choose a test-set file")
    page.set_input_files("#score-file", str(test_set))
    page.select_option("#account", "1")  # not the owner
    page.get_by_role("button", name="Publish score").click()
    expect(page.locator("#error")).to_contain_text("Publishing the score failed: RegistryError: 0x70997970")
    expect(page.locator("#error")).to_contain_text("only the owner may")
    assert site.chain.block_number() == before
    page.select_option("#account", "0")
    page.get_by_role("button", name="Publish score").click()
    notice = rf"^Published: accuracy {right * 50:.1f}% \({right}/2\) in block {before + 1}\.$"
    expect(page.locator("#notice")).to_have_text(re.compile(notice))
    page.goto(site.url + "/")
    row = page.locator("main tbody tr").filter(has_text="toy features")
    expect(row.locator("td").nth(3)).to_contain_text(f"{right * 50:.1f}% ({right}/2)")


MARKUP = '<img src="/x" onerror="window.injected = 1"><b>bold</b>'
"""Text a model's owner chose, read from the chain: the page must show it as text, never run it."""


def test_text_from_the_chain_is_shown_as_text_never_as_markup(page: Page) -> None:
    from sumchain.web.app import create_app
    from tests.web.conftest import FEATURE_WEIGHTS, threaded_server

    chain = EmbeddedChain()
    mirror = SparsePerceptron.from_weights(FEATURE_WEIGHTS)
    meta = ModelMetadata(
        name=f"{MARKUP} model", description=MARKUP, n_features=10, class_names=(f"{MARKUP} no", f"{MARKUP} yes")
    )
    registry = Registry.deploy(chain)
    address = SharedModel.deploy(chain, mirror, metadata=meta, registry=registry).address
    with threaded_server(create_app(chain, registry)) as url:
        page.goto(url + "/")
        expect(page.locator("main tbody tr")).to_contain_text(f"{MARKUP} model{MARKUP}")
        page.goto(f"{url}/models/{address}")
        expect(page.locator("body[data-ready='1']")).to_be_attached()
        expect(page.locator("main")).to_contain_text(f"{MARKUP} yes")
        assert page.locator("main img, main b").count() == 0
        assert page.evaluate("window.injected") is None
