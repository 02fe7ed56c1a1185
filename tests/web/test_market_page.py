"""A prediction market's page in real headless Chromium: the list leads to it; a dev account stakes
samples from the page while participation is open, and ends it a day later; after the fixture
reveals the rest of the test set, the page pushes the evaluation and the settlement and withdraws; the owed
amounts, the scores and the balances are checked on chain to the wei; refusals are the contract's
revert reasons on the page, with nothing sent; both widths, labels, no console errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sumchain import ModelMetadata, SharedModel, SparsePerceptron
from sumchain.chain.accounts import dev_addresses
from sumchain.incentives import DAY
from sumchain.market import HiddenTestSet, Market, PredictionMarket, split_test_set
from tests.web.browser import PHONE, UNLABELLED, WIDER_THAN, Console, chromium_available, screenshot, tab_to
from tests.web.conftest import Site

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
STAKE = 10**15
BOUNTY = 10**17
ACCOUNTS = dev_addresses(4)


@pytest.fixture(scope="module")
def market(site: Site) -> tuple[Market, HiddenTestSet]:
    """A market on four weights whose first feature is wrong: learning "feature 0 is yes" gains one
    test sample, learning "feature 1 is yes" loses one. Both pieces of the test set hold the same two
    samples, so the drawn piece does not change the scores. Participation is open."""
    mirror = SparsePerceptron.from_weights([-1, -1, 1, -1], intercept=0, learning_rate=2)
    metadata = ModelMetadata(
        name="toy market", n_features=4, class_names=("no", "yes"), description="A bounty for better data."
    )
    parameters = PredictionMarket(stake=STAKE, min_duration=DAY, min_contributions=1)
    market = Market.create(site.chain, mirror, parameters, bounty=BOUNTY, metadata=metadata, sender=0)
    tests = split_test_set([[0], [1], [0], [1]], [1, 0, 1, 0], pieces=2)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=1), sender=0)
    return market, tests


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ready(page: Page) -> None:
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#error")).to_be_hidden()


def _account(page: Page, number: int) -> None:
    page.select_option("#account", str(number))
    page.wait_for_load_state("networkidle")


def _stake(page: Page, features: str, label: str) -> None:
    tab_to(page, "#stake-input")
    page.keyboard.type(features)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "stake-label"
    page.select_option("#stake-label", label)
    page.focus("#stake-form button")
    page.keyboard.press("Enter")


def test_stake_push_and_withdraw_from_the_market_page(
    page: Page, site: Site, console: Console, market: tuple[Market, HiddenTestSet]
) -> None:
    console.expect(r"status of 40[09]")
    chain, (m, tests) = site.chain, market
    page.goto(site.url + "/")
    row = page.locator("main tbody tr").filter(has_text="toy market")
    expect(row).to_contain_text("Prediction market")
    row.get_by_role("link", name="toy market").click()
    _ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("toy market")
    assert page.url.endswith(f"/models/{m.address}")
    assert page.evaluate(UNLABELLED) == []
    figures = m.status()
    expect(page.locator("#market-phase strong")).to_have_text("participation")
    expect(page.locator("#phase-line")).to_have_text(
        "Anyone may stake 0.001 ETH on a labelled sample. Anyone may end participation in 1d 0h once it has "
        f"1 contribution, or with fewer in {1 + m.parameters.claim_wait // DAY}d 0h."
    )
    expect(page.locator("#market-bounty")).to_have_text("0.1 ETH (0.1 ETH left)")
    expect(page.locator("#market-stake")).to_have_text("0.001 ETH")
    expect(page.locator("#market-pieces")).to_have_text(
        f"1 of 2 revealed; the first (piece {figures['first_piece']}) has 2 samples"
    )
    expect(page.locator("#market-count")).to_have_text("0")
    closes = figures["opened_at"] + DAY
    expect(page.locator("#market-participation")).to_have_text(
        f"opened {_utc(figures['opened_at'])}; may end from {_utc(closes)} (in 1d 0h) with at least 1 contribution"
    )
    expect(page.locator("#market-deadline")).to_have_text("set when participation ends")
    expect(page.locator("#market-evaluation")).to_have_text("0 of 0 contributions applied")

    # a sample the model cannot take: the error on the page, nothing sent
    before = chain.block_number()
    _stake(page, "zero", "1")
    expect(page.locator("#error")).to_contain_text("Staking failed: ")
    expect(page.locator("#error")).to_contain_text("takes feature indices")
    assert chain.block_number() == before
    page.fill("#stake-input", "")

    # two stakes from the page, with the keyboard: account 2 helps the model, account 3 harms it
    balances = [chain.balance(a) for a in ACCOUNTS]
    _account(page, 2)
    _stake(page, "0", "1")
    expect(page.locator("#notice")).to_have_text("Staked 0.001 ETH on contribution #0.")
    expect(page.locator("#market-count")).to_have_text("1")
    _account(page, 3)
    _stake(page, "1", "1")
    expect(page.locator("#notice")).to_have_text("Staked 0.001 ETH on contribution #1.")
    expect(page.locator("#market-count")).to_have_text("2")
    assert m.contributions() == [(0, ACCOUNTS[2], (0,), 1), (1, ACCOUNTS[3], (1,), 1)]
    assert chain.balance(ACCOUNTS[2]) == balances[2] - STAKE  # the dev chain's gas price is 0
    assert chain.balance(ACCOUNTS[3]) == balances[3] - STAKE

    # too early to end participation: the contract's reason, nothing sent; a day later account 1 ends it
    before = chain.block_number()
    page.get_by_role("button", name="End participation").click()
    expect(page.locator("#error")).to_have_text(
        "Ending participation failed: ContractReverted: prediction_market: participation too short"
    )
    assert chain.block_number() == before
    chain.advance_time(DAY)
    _account(page, 1)
    page.get_by_role("button", name="End participation").click()
    expect(page.locator("#notice")).to_have_text("Participation ended; phase reveal.")
    expect(page.locator("#market-phase strong")).to_have_text("reveal")
    assert m.phase() == "reveal"

    # the fixture has the provider reveal the rest of the test set
    m.reveal_rest(tests, sender=0)
    _account(page, 3)
    page.reload()
    _ready(page)
    expect(page.locator("#market-phase strong")).to_have_text("evaluate")
    expect(page.locator("#phase-line")).to_contain_text("Anyone may push the evaluation")
    deadline = m.status()["reveal_deadline"]
    expect(page.locator("#market-deadline")).to_have_text(_utc(deadline))
    ended = _utc(deadline - m.parameters.reveal_window)
    expect(page.locator("#market-participation")).to_have_text(f"opened {_utc(figures['opened_at'])}; ended {ended}")
    expect(page.locator("#market-evaluation")).to_have_text("0 of 2 contributions applied")

    # staking outside participation: the contract's reason on the page, nothing sent
    before = chain.block_number()
    _stake(page, "2", "1")
    expect(page.locator("#error")).to_have_text(
        "Staking failed: ContractReverted: prediction_market: not in this phase"
    )
    assert chain.block_number() == before and len(m.contributions()) == 2

    page.get_by_role("button", name="Push evaluation and settlement").click()
    expect(page.locator("#market-phase strong")).to_have_text("done")
    expect(page.locator("#notice")).to_contain_text("2 of 2 contributions applied; phase done.")
    expect(page.locator("#market-evaluation")).to_have_text("2 of 2 contributions applied")
    assert m.phase() == "done" and m.scores() == [1, -1]
    # the first pass takes a stake's worth from the harmful one, the second gives the rest of the
    # budget (the bounty over the 2 counted test samples, less the first pass) to the helpful one
    owed = {ACCOUNTS[0]: BOUNTY - 49 * STAKE, ACCOUNTS[2]: STAKE + STAKE + 49 * STAKE, ACCOUNTS[3]: 0}
    assert {a: m.owed(a) for a in owed} == owed
    scores = page.get_by_role("table", name="Contributions and scores").locator("tbody tr")
    expect(scores.nth(0).locator("td").nth(4)).to_have_text("+1")
    expect(scores.nth(1).locator("td").nth(4)).to_have_text("-1")
    rows = page.get_by_role("table", name="Owed").locator("tbody tr")
    expect(rows).to_have_count(3)
    expected = [(ACCOUNTS[2], "contributor", "0.051 ETH"), (ACCOUNTS[3], "contributor", "0 ETH")]
    for number, (account, role, text) in enumerate([*expected, (ACCOUNTS[0], "provider", "0.051 ETH")]):
        expect(rows.nth(number)).to_contain_text(f"{account[:6]}…{account[-4:]}{role}{text}")
        expect(rows.nth(number).locator("td").nth(2)).to_have_attribute("data-wei", str(owed[account]))
    expect(page.locator("#market-owed")).to_have_text("0 ETH")  # account 3's
    screenshot(page, "dashboard-market-desktop.png")

    # account 3 is owed nothing: the contract's reason, nothing sent
    before = chain.block_number()
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#error")).to_have_text(
        "Withdrawing failed: ContractReverted: prediction_market: nothing to withdraw"
    )
    assert chain.block_number() == before

    for number in (2, 0):
        _account(page, number)
        expect(page.locator("#market-owed")).to_have_text("0.051 ETH")
        balance = chain.balance(ACCOUNTS[number])
        page.get_by_role("button", name="Withdraw").click()
        expect(page.locator("#notice")).to_have_text("Withdrew 0.051 ETH.")
        expect(page.locator("#market-owed")).to_have_text("0 ETH")
        assert chain.balance(ACCOUNTS[number]) == balance + owed[ACCOUNTS[number]]
        assert m.owed(ACCOUNTS[number]) == 0
    # in all: account 2 gained 50 stakes, account 3 lost its stake, the provider got 51 of its 100 back
    assert chain.balance(ACCOUNTS[2]) == balances[2] + 50 * STAKE
    assert chain.balance(ACCOUNTS[3]) == balances[3] - STAKE


def test_the_market_page_on_a_phone(browser: Browser, site: Site, market: tuple[Market, HiddenTestSet]) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    phone = context.new_page()
    console = Console()
    console.attach(phone)
    phone.goto(f"{site.url}/models/{market[0].address}")
    _ready(phone)
    expect(phone.get_by_role("button", name="Stake")).to_be_visible()
    assert phone.evaluate(WIDER_THAN, PHONE["width"]) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "dashboard-market-phone.png")
    context.close()
    assert console.unexpected() == []


def test_the_provider_deploys_commits_and_reveals_from_the_pages(
    page: Page, site: Site, console: Console, tmp_path: Path
) -> None:
    """Dev account 0 deploys the built-in model as a market from the deploy page (its bounty funded),
    commits a test-set file and seals, draws and reveals the first piece and, after participation,
    the rest, from the market's page; nobody else sees the provider's form; a file that is not JSON
    or a label the model lacks is refused with nothing sent."""
    console.expect(r"status of 400")
    chain = site.chain
    page.goto(site.url + "/deploy")
    _ready(page)
    expect(page.locator("#market-fields")).to_be_hidden()
    page.select_option("#deploy-mechanism", "prediction_market")
    expect(page.locator("#market-fields")).to_be_visible()
    expect(page.locator("#claims-fields")).to_be_hidden()
    assert page.evaluate(UNLABELLED) == []
    page.fill("#deploy-name", "page market")
    page.fill("#market-bounty-input", "0.2ether")
    page.fill("#market-min-duration", "1h")
    balance = chain.balance(ACCOUNTS[0])
    page.get_by_role("button", name="Deploy").click()
    status = page.locator("#deploy-status")
    expect(status).to_have_attribute("data-state", "done", timeout=60_000)
    expect(status).to_contain_text("; bounty 0.2 ETH funded.")
    page.get_by_role("link", name="Open the model").click()
    _ready(page)
    m = Market(SharedModel(chain, page.url.rsplit("/", 1)[1]))
    assert m.model.owner == ACCOUNTS[0] and m.status()["bounty"] == 2 * BOUNTY
    assert chain.balance(ACCOUNTS[0]) == balance - 2 * BOUNTY
    assert m.parameters.min_duration == 3600
    expect(page.locator("#market-phase strong")).to_have_text("commit")

    # the provider's form: a file that is not JSON, a label the model lacks: refused, nothing sent
    form = page.locator("#provider-form")
    expect(form).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    before = chain.block_number()
    (tmp_path / "broken.json").write_text("[{")
    page.set_input_files("#test-set-file", str(tmp_path / "broken.json"))
    form.get_by_role("button", name="Commit and seal").click()
    expect(page.locator("#error")).to_have_text("Committing the test set failed: broken.json is not JSON")
    rows = [{"text": "a wonderful, brilliant movie", "label": "positive"}, {"text": "awful mess", "label": "bad"}]
    (tmp_path / "labels.json").write_text(json.dumps(rows))
    page.set_input_files("#test-set-file", str(tmp_path / "labels.json"))
    form.get_by_role("button", name="Commit and seal").click()
    expect(page.locator("#error")).to_contain_text("Committing the test set failed: ")
    expect(page.locator("#error")).to_contain_text("bad")
    assert chain.block_number() == before and m.committed_pieces() == 0

    rows[1]["label"] = "negative"
    (tmp_path / "test.json").write_text(json.dumps(rows * 2))
    page.set_input_files("#test-set-file", str(tmp_path / "test.json"))
    page.fill("#test-set-pieces", "2")
    page.locator("#error").evaluate("box => { box.hidden = true; }")  # the screenshot shows the form alone
    screenshot(page, "dashboard-market-provider.png")
    form.get_by_role("button", name="Commit and seal").click()
    expect(page.locator("#notice")).to_have_text("Sent commit, seal; phase sealed.")
    expect(page.locator("#market-phase strong")).to_have_text("sealed")
    assert m.phase() == "sealed" and m.committed_pieces() == 2

    # only the provider sees its form
    _account(page, 1)
    expect(page.locator("#provider-form")).to_have_count(0)
    _account(page, 0)
    page.get_by_role("button", name="Draw and reveal the first piece").click()
    expect(page.locator("#market-phase strong")).to_have_text("participation")
    first = m.status()["first_piece"]
    expect(page.locator("#notice")).to_have_text(f"Sent draw, reveal piece {first}; phase participation.")
    expect(page.locator("#provider-form")).to_have_count(0)

    # a stake, the end, then the provider reveals the rest from the page
    m.add_data(m.model.encode("wonderful"), 1, sender=2)
    chain.advance_time(3600)
    m.end(sender=2)
    page.reload()
    _ready(page)
    page.get_by_role("button", name="Reveal the rest").click()
    expect(page.locator("#market-phase strong")).to_have_text("evaluate")
    expect(page.locator("#notice")).to_have_text(f"Sent reveal piece {1 - first}; phase evaluate.")
    assert m.status()["num_revealed"] == 2


def test_the_provider_cancels_from_the_page_before_participation(page: Page, site: Site, console: Console) -> None:
    """Only the provider sees Cancel; it ends the market in its commit phase, and the bounty is owed back."""
    mirror = SparsePerceptron.from_weights([1, -1, 1, -1], intercept=0, learning_rate=2)
    metadata = ModelMetadata(name="cancelled market", n_features=4, class_names=("no", "yes"))
    parameters = PredictionMarket(stake=STAKE, min_duration=DAY, min_contributions=1)
    m = Market.create(site.chain, mirror, parameters, bounty=BOUNTY, metadata=metadata, sender=0)
    page.goto(f"{site.url}/models/{m.address}")
    _ready(page)
    _account(page, 1)
    expect(page.get_by_role("button", name="Cancel the market")).to_have_count(0)
    _account(page, 0)
    page.get_by_role("button", name="Cancel the market").click()
    expect(page.locator("#notice")).to_have_text("Cancelled: 0.1 ETH owed to the provider; phase done.")
    expect(page.locator("#market-phase strong")).to_have_text("done")
    expect(page.locator("#market-owed")).to_have_text("0.1 ETH")
    expect(page.get_by_role("button", name="Cancel the market")).to_have_count(0)
    assert m.phase() == "done" and m.owed(ACCOUNTS[0]) == BOUNTY
