"""The browser-wallet path on a real anvil: the server builds unsigned transactions, the page has an
injected EIP-1193 provider send them, and that provider forwards every request to the node:
contributions, refunds, and deployments in chunks that a reloaded page resumes from the chain.

The provider is what a wallet extension is to the page: ``window.ethereum.request``. It
answers ``eth_requestAccounts`` with its own account (dev account 5, which anvil signs for),
``eth_chainId`` with another network's id if a test says so,
and forwards everything else, ``eth_sendTransaction`` included, to anvil over JSON-RPC from
the test process. A rejecting provider refuses ``eth_sendTransaction`` as a user would (code 4001);
so does the forwarding once a test sets :attr:`Node.refuse_after`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sumchain import SharedModel, SparsePerceptron
from sumchain.chain.accounts import dev_addresses
from sumchain.chain.rpc import RpcChain
from sumchain.market import Market
from sumchain.models.reference_file import model_to_spec
from sumchain.registry import Registry
from tests.integration.network.anvil.conftest import connect, running_anvil
from tests.web.browser import DESKTOP, Console, chromium_available
from tests.web.conftest import deploy_models, free_port, serving

pytestmark = [
    pytest.mark.anvil,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
WALLET = dev_addresses(6)[5]
PROVIDER = """(() => {
  const account = %r;
  const rejecting = %s;
  const network = %r;
  window.ethereum = {
    isTestWallet: true,
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
      if (network && method === "eth_chainId") return network;
      if (rejecting && method === "eth_sendTransaction") {
        const error = new Error("User rejected the request.");
        error.code = 4001;
        throw error;
      }
      const answer = await window.forwardToAnvil(method, params || []);
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
  };
})();"""


WIDE_FEATURES = 20_000
"""A sparse perceptron this wide goes up in a few chunks."""
BIG_FEATURES = 300_000
"""One this wide takes about 90: long enough to stop the server half-way."""
REFUSED = {"code": 4001, "message": "User rejected the request."}


class Node:
    """The anvil node, its registry, the dashboard serving it, and what the test wallet sent."""

    def __init__(self, rpc: str, chain: RpcChain, registry: Registry, url: str, features_model: str) -> None:
        self.rpc, self.chain, self.registry, self.url, self.features_model = rpc, chain, registry, url, features_model
        self.sent: list[dict[str, Any]] = []
        self.hashes: list[str] = []
        """The hashes of the transactions sent, as the node answered them (in the order of :attr:`sent`)."""
        self.refuse_after: int | None = None
        """Once this many transactions are sent, the wallet refuses the next ones (None: never)."""
        self.signed: list[str] = []
        """The messages the wallet signed (``personal_sign``), in hex."""

    def forward(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method == "personal_sign":
            self.signed.append(params[0])
        if method == "eth_sendTransaction":
            if self.refuse_after is not None and len(self.sent) >= self.refuse_after:
                return {"jsonrpc": "2.0", "id": 1, "error": REFUSED}
            self.sent.append(params[0])
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer: dict[str, Any] = requests.post(self.rpc, json=body, timeout=30).json()
        if method == "eth_sendTransaction" and "result" in answer:
            self.hashes.append(answer["result"])
        return answer

    def fee(self, tx_hash: str) -> int:
        """What a mined transaction paid for its gas, in wei."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt", "params": [tx_hash]}
        receipt = requests.post(self.rpc, json=body, timeout=30).json()["result"]
        return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_anvil("--gas-limit", "30000000") as rpc:
        chain = connect(rpc)
        registry = Registry.deploy(chain)
        _, features = deploy_models(chain, registry)
        folder: Path = tmp_path_factory.mktemp("wallet")
        with serving(folder, "--chain", rpc, "--registry", registry.address) as url:
            yield Node(rpc, chain, registry, url, features)


def _wallet_page(
    browser: Browser, node: Node, *, rejecting: bool, path: str | None = None, network: str = ""
) -> tuple[BrowserContext, Page, Console]:
    """A page at ``path`` (the features model's by default) with the test wallet chosen as the account;
    the wallet on ``network`` (a hex chain id) if given, else on the node's."""
    context = browser.new_context(viewport=DESKTOP)
    context.expose_function("forwardToAnvil", node.forward)
    context.add_init_script(PROVIDER % (WALLET, "true" if rejecting else "false", network))
    page = context.new_page()
    console = Console()
    console.attach(page)
    page.goto(node.url + (path or f"/models/{node.features_model}"))
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.select_option("#account", "wallet")
    expect(page.locator("#account option[value='wallet']")).to_have_text(f"Browser wallet {WALLET[:6]}…{WALLET[-4:]}")
    return context, page, console


def test_a_wallet_adds_then_is_refunded_after_a_day(browser: Browser, node: Node) -> None:
    context, page, console = _wallet_page(browser, node, rejecting=False)
    page.fill("#add-input", "0")
    page.select_option("#add-label", "1")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#notice")).to_contain_text("Wallet: add mined in block")
    [sent] = node.sent
    assert sent["from"] == WALLET and sent["to"] == node.features_model and int(sent["value"], 16) > 0
    assert int(sent["chainId"], 16) == node.chain.chain_id
    model = SharedModel(node.chain, node.features_model)
    [mine] = model.contributions(WALLET)
    assert mine.label == 1 and 0 < mine.deposit <= int(sent["value"], 16)  # the excess came back
    expect(page.locator("#contributions table").first).to_contain_text("the refund wait is not over")
    page.get_by_role("button", name="Advance time").click()
    expect(page.locator("#notice")).to_have_text("Chain time advanced.")
    page.get_by_role("button", name=f"Refund #{mine.id}").click()
    expect(page.locator("#notice")).to_contain_text("Wallet: refund mined in block")
    assert [c.status for c in model.contributions(WALLET)] == ["refunded"]
    assert len(node.sent) == 2
    context.close()
    assert console.unexpected() == []


def test_a_wallet_that_rejects_shows_the_error_and_nothing_is_sent(browser: Browser, node: Node) -> None:
    context, page, console = _wallet_page(browser, node, rejecting=True)
    before, sent = node.chain.block_number(), len(node.sent)
    page.fill("#add-input", "0")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_have_text("Adding failed: the wallet refused the request")
    assert node.chain.block_number() == before and len(node.sent) == sent
    context.close()
    assert console.unexpected() == []


def test_a_wallet_on_another_network_is_told_so_and_nothing_is_sent(browser: Browser, node: Node) -> None:
    """A wallet set to mainnet (chain 1) would send the dashboard's transaction there."""
    context, page, console = _wallet_page(browser, node, rejecting=False, network="0x1")
    before, sent = node.chain.block_number(), len(node.sent)
    page.fill("#add-input", "0")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_contain_text(
        f"Adding failed: the wallet is on chain 1, the dashboard on chain {node.chain.chain_id}"
    )
    assert node.chain.block_number() == before and len(node.sent) == sent
    context.close()
    assert console.unexpected() == []


def test_a_wallet_deploys_in_chunks_and_a_reload_resumes_where_the_chain_is(
    browser: Browser, node: Node, tmp_path: Path
) -> None:
    """The wallet refuses its fourth transaction (after the creation, the listing and one chunk); the
    page, reloaded, carries on from the words the contract holds, and nothing is sent twice."""
    mirror = SparsePerceptron.from_weights([(i * 7) % 11 - 5 for i in range(WIDE_FEATURES)])
    model_file = tmp_path / "wide.json"
    model_file.write_text(json.dumps(model_to_spec(mirror)))
    start = len(node.sent)
    node.refuse_after = start + 3
    context, page, console = _wallet_page(browser, node, rejecting=False, path="/deploy")
    page.check("input[name=source][value=file]")
    page.set_input_files("#model-file", str(model_file))
    page.fill("#deploy-name", "wallet wide")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("#error")).to_have_text("Deploying failed: the wallet refused the request")
    created, listing, first_chunk = node.sent[start:]
    assert "to" not in created and listing["to"] == node.registry.address and "to" in first_chunk
    entry = node.registry.find("wallet wide")
    assert entry.owner == WALLET
    model = SharedModel(node.chain, entry.address)
    loaded, total = model.words_loaded(), len(mirror.to_words())
    assert 0 < loaded < total

    node.refuse_after = None
    page.reload()
    status = page.locator("#deploy-status")
    expect(status).to_have_attribute("data-state", "done", timeout=120_000)
    expect(status).to_contain_text(f"Deployed wallet wide (resumed an unfinished upload at {loaded:,} words)")
    assert model.mirror().to_words() == mirror.to_words()
    sent = node.sent[start:]
    assert {tx["from"] for tx in sent} == {WALLET} and len({tx["data"] for tx in sent}) == len(sent) > 4
    expect(status).to_contain_text(f"in {len(sent)} transactions")
    page.get_by_role("link", name="Open the model").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("wallet wide")
    context.close()
    assert console.unexpected() == []


def test_a_bad_wallet_deployment_is_shown_and_nothing_is_sent(browser: Browser, node: Node, tmp_path: Path) -> None:
    model_file = tmp_path / "bad.json"
    model_file.write_text("{not json")
    before, sent = node.chain.block_number(), len(node.sent)
    context, page, console = _wallet_page(browser, node, rejecting=False, path="/deploy")
    console.expect("status of 400")
    page.check("input[name=source][value=file]")
    page.set_input_files("#model-file", str(model_file))
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("#error")).to_contain_text("Deploying failed: the model file is not valid JSON")
    builtin = {"source": "builtin", "from": WALLET}
    for body, status, message in [
        (builtin | {"name": "toy features"}, 400, "is taken"),  # another owner's name
        (builtin | {"address": node.features_model}, 409, "is not this deployment"),
        (builtin | {"from": "me"}, 400, "from must be the wallet's address"),
    ]:
        answer = requests.post(f"{node.url}/api/deployments/wallet", json=body, timeout=30)
        assert answer.status_code == status and message in answer.json()["error"], answer.text
    assert node.chain.block_number() == before and len(node.sent) == sent
    context.close()
    assert console.unexpected() == []


def test_a_deploy_on_the_node_resumes_after_the_server_restarts(browser: Browser, node: Node, tmp_path: Path) -> None:
    """A dev account's deploy on anvil, its server stopped mid-upload: the page, reloaded once the server
    is back, asks for the same deployment again, and the server finishes the model the node holds."""
    mirror = SparsePerceptron.from_weights([(i * 7) % 11 - 5 for i in range(BIG_FEATURES)])
    model_file = tmp_path / "wide.json"
    model_file.write_text(json.dumps(model_to_spec(mirror)))
    options, port = ("--chain", node.rpc, "--registry", node.registry.address), free_port()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console = Console()
    console.attach(page)
    console.expect("status of 404")  # the restarted server does not know the deployment's id
    console.expect("ERR_CONNECTION_REFUSED")  # the page's polls while the server is down
    status = page.locator("#deploy-status")
    with serving(tmp_path, *options, port=port) as url:
        page.goto(url + "/deploy")
        expect(page.locator("body[data-ready='1']")).to_be_attached()
        page.select_option("#account", "0")
        page.check("input[name=source][value=file]")
        page.set_input_files("#model-file", str(model_file))
        page.fill("#deploy-name", "node wide")
        page.get_by_role("button", name="Deploy").click()
        expect(status).to_contain_text(re.compile(r"Deploying node wide \(sparse perceptron\): [1-9]"), timeout=60_000)
    model = SharedModel(node.chain, node.registry.find("node wide").address)
    loaded, total = model.words_loaded(), len(mirror.to_words())
    assert 0 < loaded < total
    expect(page.locator("#error")).to_have_text(
        "Deploying failed: the server is unreachable; reload this page once it is back to carry on"
    )
    with serving(tmp_path, *options, port=port):
        page.reload()
        expect(status).to_have_attribute("data-state", "done", timeout=120_000)
        expect(page.locator("#error")).to_be_hidden()
        expect(status).to_contain_text(f"Deployed node wide (resumed an unfinished upload at {loaded:,} words)")
    assert model.mirror().to_words() == mirror.to_words()
    assert [e.name for e in node.registry.entries(details=False)].count("node wide") == 1
    workspace = json.loads((tmp_path / ".sumchain" / "workspace.json").read_text())
    assert [json.loads(notes.get("unfinished", "{}")) for notes in workspace.values()] == [{}]
    context.close()
    assert console.unexpected() == []


def test_a_call_that_would_revert_is_refused_before_the_wallet(node: Node) -> None:
    """A refund asked too early: the server's gas estimate reverts, so no transaction is built."""
    model = SharedModel(node.chain, node.features_model)
    added = model.add_data([0], 1, sender=WALLET)
    body = {"action": "refund", "id": added.contribution.id, "from": WALLET}
    answer = requests.post(f"{node.url}/api/models/{node.features_model}/unsigned", json=body, timeout=30)
    assert answer.status_code == 409 and "refund wait not over" in answer.json()["error"]
    built = requests.post(
        f"{node.url}/api/models/{node.features_model}/unsigned",
        json={"action": "add", "features": "0,2", "label": "yes", "from": WALLET},
        timeout=30,
    ).json()
    assert set(built) == {"action", "from", "to", "data", "value", "gas", "chainId"}
    assert built["to"] == node.features_model and int(built["gas"], 16) > 21_000


def test_the_server_opens_a_node_without_the_environment_key(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    from eth_account import Account

    from sumchain.keys import PRIVATE_KEY_VARIABLE
    from sumchain.web.server import keyless_chain

    outsider = Account.create()
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, "0x" + bytes(outsider.key).hex())
    assert outsider.address in connect_with_environment(node.rpc).accounts  # what the CLI would hold
    opened = keyless_chain(node.rpc)
    assert outsider.address not in opened.accounts and opened.accounts == list(dev_addresses(10))
    assert os.environ[PRIVATE_KEY_VARIABLE] == "0x" + bytes(outsider.key).hex()  # put back for the rest


def connect_with_environment(url: str) -> RpcChain:
    """An RpcChain as any other command opens it: the environment's key included."""
    return RpcChain(url, timeout=10)


def test_a_wallet_provider_deploys_a_market_and_commits_and_reveals_from_the_pages(
    browser: Browser, node: Node, tmp_path: Path
) -> None:
    """The wallet deploys the built-in model as a prediction market from the deploy page (create, list,
    load, fund the bounty), then, on the market's page, commits a test-set file (signing, with anvil's
    personal_sign, the message by which the server keeps it) and seals, draws and reveals the first
    piece, one transaction at a time; the bounty and the gas leave it, to the wei."""
    start, balance = len(node.sent), node.chain.balance(WALLET)
    context, page, console = _wallet_page(browser, node, rejecting=False, path="/deploy")
    console.expect("status of 401")  # the server asks for the provider's signature of its new test set
    page.select_option("#deploy-mechanism", "prediction_market")
    page.fill("#deploy-name", "wallet market")
    page.fill("#market-bounty-input", "0.1ether")
    page.get_by_role("button", name="Deploy").click()
    status = page.locator("#deploy-status")
    expect(status).to_have_attribute("data-state", "done", timeout=120_000)
    expect(status).to_contain_text("; bounty 0.1 ETH funded.")
    market = Market(SharedModel(node.chain, node.registry.find("wallet market").address))
    assert market.model.owner == WALLET and market.status()["bounty"] == 10**17
    created, listing, *loads, funding = node.sent[start:]
    assert "to" not in created and listing["to"] == node.registry.address and loads
    assert funding["to"] == market.address and int(funding["value"], 16) == 10**17
    fees = sum(node.fee(h) for h in node.hashes[start:])
    assert node.chain.balance(WALLET) == balance - 10**17 - fees

    page.get_by_role("link", name="Open the model").click()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#market-phase strong")).to_have_text("commit")
    rows = [{"text": "a wonderful, brilliant movie", "label": "positive"}, {"text": "awful mess", "label": "negative"}]
    (tmp_path / "test.json").write_text(json.dumps(rows * 3))
    page.set_input_files("#test-set-file", str(tmp_path / "test.json"))
    page.get_by_role("button", name="Commit and seal").click()
    expect(page.locator("#market-phase strong")).to_have_text("sealed")
    expect(page.locator("#notice")).to_have_text("Wallet: sent 2 transactions (commit, seal); phase sealed.")
    [signed] = node.signed
    assert bytes.fromhex(signed[2:]).decode().startswith("sumchain: keep the hidden test set ")
    assert market.address in bytes.fromhex(signed[2:]).decode()
    page.get_by_role("button", name="Draw and reveal the first piece").click()
    expect(page.locator("#market-phase strong")).to_have_text("participation")
    first = market.status()["first_piece"]
    expect(page.locator("#notice")).to_have_text(
        f"Wallet: sent 2 transactions (draw, reveal piece {first}); phase participation."
    )
    steps = [market.model.abi.function_name(bytes.fromhex(tx["data"][2:])) for tx in node.sent[-4:]]
    assert steps == ["commit", "seal", "draw", "reveal"] and {tx["from"] for tx in node.sent[start:]} == {WALLET}
    assert set(market.revealed_pieces()) == {first} and market.committed_pieces() == 2
    context.close()
    assert console.unexpected() == []
