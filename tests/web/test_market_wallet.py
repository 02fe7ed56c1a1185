"""A prediction market's page with a browser wallet on a real anvil that the dashboard serves as a public
network (no dev account: the wallet is the page's only account): the server builds each unsigned
transaction (stake, end, the next step of the evaluation or settlement, withdraw) from where the chain
stands, the page has the injected EIP-1193 provider of :mod:`tests.web.test_wallet` send it, and the
node mines it. Balances are checked to the wei with the gas the wallet paid; a call the contract would
refuse is refused before the wallet is asked, with the contract's reason on the page; a wallet that
rejects the request sends nothing; no console errors.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sumchain import ModelMetadata, SparsePerceptron
from sumchain.chain.rpc import RpcChain
from sumchain.incentives import DAY
from sumchain.keys import PRIVATE_KEY_VARIABLE
from sumchain.market import HiddenTestSet, Market, PredictionMarket, split_test_set
from sumchain.registry import Registry
from sumchain.web.app import create_app
from tests.integration.network.anvil.conftest import connect, running_anvil
from tests.web.browser import chromium_available
from tests.web.conftest import threaded_server
from tests.web.test_wallet import WALLET, Node, _wallet_page

pytestmark = [
    pytest.mark.anvil,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
STAKE = 10**15
BOUNTY = 10**17


class PublicNode(RpcChain):
    """The anvil node as the dashboard sees a public network: no dev account to sign with, no clock to move."""

    is_dev = False


class MarketNode(Node):
    """The anvil node and the dashboard serving it, with a market whose participation is open."""

    market: Market
    tests: HiddenTestSet


@pytest.fixture(scope="module")
def node() -> Iterator[MarketNode]:
    """The market of ``tests.web.test_market_page`` on anvil, through the Python client on the
    RpcChain: created, committed, sealed, drawn and its first piece revealed by dev accounts 0 and 1.
    Learning "feature 0 is yes" gains a test sample, "feature 1 is yes" loses one. The dashboard
    serves the node as a public network (:class:`PublicNode`): the browser wallet is the page's only
    account."""
    with running_anvil("--gas-limit", "30000000") as rpc:
        chain = connect(rpc)
        registry = Registry.deploy(chain)
        mirror = SparsePerceptron.from_weights([-1, -1, 1, -1], intercept=0, learning_rate=2)
        metadata = ModelMetadata(name="wallet market", n_features=4, class_names=("no", "yes"))
        parameters = PredictionMarket(stake=STAKE, min_duration=DAY, min_contributions=1)
        market = Market.create(chain, mirror, parameters, bounty=BOUNTY, metadata=metadata, sender=0)
        tests = split_test_set([[0], [1], [0], [1]], [1, 0, 1, 0], pieces=2)
        market.commit(tests, sender=0)
        market.seal(sender=0)
        market.reveal(tests, market.draw(sender=1), sender=0)
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
            public = PublicNode(rpc, timeout=10)
        assert public.accounts == []
        with threaded_server(create_app(public, Registry(public, registry.address))) as url:
            found = MarketNode(rpc, chain, registry, url, market.address)
            found.market, found.tests = market, tests
            yield found


def _stake(page: Page, features: str, label: str) -> None:
    page.fill("#stake-input", features)
    page.select_option("#stake-label", label)
    page.get_by_role("button", name="Stake").click()


def _refused(page: Page, node: MarketNode, click: str, error: str) -> None:
    """Clicking ``click`` shows ``error`` and sends nothing."""
    before, sent = node.chain.block_number(), len(node.sent)
    page.get_by_role("button", name=click).click()
    expect(page.locator("#error")).to_have_text(error)
    assert node.chain.block_number() == before and len(node.sent) == sent


def test_a_wallet_that_rejects_the_stake_sends_nothing(browser: Browser, node: MarketNode) -> None:
    context, page, console = _wallet_page(browser, node, rejecting=True, path=f"/models/{node.market.address}")
    before, sent = node.chain.block_number(), len(node.sent)
    _stake(page, "0", "1")
    expect(page.locator("#error")).to_have_text("Staking failed: the wallet refused the request")
    assert node.chain.block_number() == before and len(node.sent) == sent and node.market.contributions() == []
    context.close()
    assert console.unexpected() == []


def test_a_wallet_stakes_ends_pushes_and_withdraws_on_the_market_page(browser: Browser, node: MarketNode) -> None:
    m, chain = node.market, node.chain
    context, page, console = _wallet_page(browser, node, rejecting=False, path=f"/models/{m.address}")
    console.expect("status of 409")  # the refusals below
    expect(page.locator("#market-phase strong")).to_have_text("participation")
    expect(page.locator("#account option")).to_have_count(1)  # the wallet alone
    expect(page.locator("#chain")).not_to_contain_text("dev chain")

    # the wallet stakes on the helpful sample: the stake and the gas leave its balance, to the wei
    balance = chain.balance(WALLET)
    _stake(page, "0", "1")
    expect(page.locator("#notice")).to_contain_text("Wallet: stake mined in block")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#market-count")).to_have_text("1")
    [sent] = node.sent
    assert sent["from"] == WALLET and sent["to"] == m.address and int(sent["value"], 16) == STAKE
    assert m.contributions() == [(0, WALLET, (0,), 1)]
    assert chain.balance(WALLET) == balance - STAKE - node.fee(node.hashes[0])
    m.add_data([1], 1, sender=2)  # and dev account 2 on the harmful one

    # too early to end: the contract's reason, nothing sent; a day later the wallet ends participation
    _refused(
        page,
        node,
        "End participation",
        "Ending participation failed: ContractReverted: prediction_market: participation too short",
    )
    chain.advance_time(DAY)
    page.get_by_role("button", name="End participation").click()
    expect(page.locator("#notice")).to_contain_text("Wallet: end mined in block")
    expect(page.locator("#market-phase strong")).to_have_text("reveal")
    assert m.phase() == "reveal"

    # outside participation a stake is refused before the wallet is asked; there is nothing to push yet
    page.fill("#stake-input", "2")
    _refused(page, node, "Stake", "Staking failed: ContractReverted: prediction_market: not in this phase")
    _refused(
        page,
        node,
        "Push evaluation and settlement",
        "Pushing the market failed: nothing to push in the reveal phase: Participation ended: the provider "
        "reveals the rest of the test set, before the deadline (in 1d 0h); after it, anyone may give the "
        "bounty to the contributors.",
    )
    assert len(m.contributions()) == 2

    # the provider reveals the rest; the wallet pushes, one transaction at a time, until the market is done
    m.reveal_rest(node.tests, sender=0)
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#market-phase strong")).to_have_text("evaluate")
    start = len(node.sent)
    page.get_by_role("button", name="Push evaluation and settlement").click()
    expect(page.locator("#market-phase strong")).to_have_text("done")
    expect(page.locator("#notice")).to_contain_text("2 of 2 contributions applied; phase done.")
    pushed = node.sent[start:]
    steps = [m.model.abi.function_name(bytes.fromhex(tx["data"][2:])) for tx in pushed]
    assert steps == ["evaluate", "apply_next"] * 2 + ["evaluate", "settle"]
    assert {tx["from"] for tx in pushed} == {WALLET}
    expect(page.locator("#notice")).to_have_text(
        "Wallet: sent 6 transactions (the last: settle): 2 of 2 contributions applied; phase done."
    )
    assert m.scores() == [1, -1]
    owed = STAKE + STAKE + 49 * STAKE  # its stake, the harmful one's, and the rest of the budget
    assert m.owed(WALLET) == owed
    expect(page.locator("#market-owed")).to_have_text("0.051 ETH")

    # the wallet withdraws: what it was owed, less the gas, to the wei
    balance = chain.balance(WALLET)
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#notice")).to_contain_text("Wallet: withdraw mined in block")
    expect(page.locator("#market-owed")).to_have_text("0 ETH")
    assert m.owed(WALLET) == 0
    assert chain.balance(WALLET) == balance + owed - node.fee(node.hashes[-1])
    _refused(page, node, "Withdraw", "Withdrawing failed: ContractReverted: prediction_market: nothing to withdraw")
    context.close()
    assert console.unexpected() == []
