"""Keys and money on a network that is not a dev chain, and receipts that do not come.

anvil always answers its dev methods, so the "real network" here is anvil with
Sepolia's chain id behind a small JSON-RPC proxy that refuses ``anvil_*``,
``evm_*`` and ``hardhat_*``: to sumchain it looks like a public node. Accounts
are funded beforehand directly on anvil.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sumchain import DepositRefundTake, SharedModel, SparsePerceptron
from sumchain.chain.accounts import dev_addresses, dev_private_keys
from sumchain.chain.base import ETHER, resolve_account
from sumchain.chain.confirm import Confirmation, TransactionPreview
from sumchain.chain.rpc import RpcChain
from sumchain.errors import (
    DepositLimitExceeded,
    TransactionDeclined,
    TransactionPending,
    UnknownAccount,
    WrongPassword,
)
from sumchain.keys import KEYSTORE_VARIABLE, PRIVATE_KEY_VARIABLE, Keystore, KeystoreAccount
from tests.helpers import run_sumchain

from .conftest import connect, running_anvil

pytestmark = pytest.mark.anvil

SEPOLIA = 11155111
MAX_LOG_RANGE = 3
"""Blocks per eth_getLogs the proxy's "public provider" accepts (real ones: a few thousand)."""
DEV_PREFIXES = ("anvil_", "evm_", "hardhat_")
KEY = "0x" + "5a" * 32
PASSWORD = "correct horse battery staple"
INCENTIVE = DepositRefundTake(cost_weight=10**12)


def refuse_or_forward(request: Any, upstream: str) -> Any:
    """The answer of a public node: dev methods do not exist, logs come in small block ranges,
    receipts carry no ``blockTimestamp`` (anvil's do), everything else goes to anvil."""
    if isinstance(request, list):
        return [refuse_or_forward(item, upstream) for item in request]
    method = str(request.get("method", ""))
    if method.startswith(DEV_PREFIXES):
        message = f"the method {method} does not exist/is not available"
        return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32601, "message": message}}
    if method == "eth_getLogs":
        query = request["params"][0]
        if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > MAX_LOG_RANGE:
            message = f"query exceeds max block range {MAX_LOG_RANGE}"
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32005, "message": message}}
    forwarded = urllib.request.Request(
        upstream, data=json.dumps(request).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(forwarded, timeout=30) as answer:
        response = json.loads(answer.read())
    if method == "eth_getTransactionReceipt" and response.get("result"):
        del response["result"]["blockTimestamp"]
    return response


@pytest.fixture(scope="module")
def network() -> Iterator[tuple[str, RpcChain]]:
    """The proxy's URL (a public network, to sumchain), and a view of the anvil behind it (to fund accounts with
    ``anvil_setBalance``, and read blocks)."""
    with running_anvil("--chain-id", str(SEPOLIA), "--gas-limit", "30000000") as url:
        funder = connect(url)

        class Proxy(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps(refuse_or_forward(request, url)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", funder
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keystore:
    """A keystore with one account, "alice", in a folder of its own."""
    monkeypatch.setenv(KEYSTORE_VARIABLE, str(tmp_path / "keystore"))
    monkeypatch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
    keystore = Keystore(iterations=2**4)
    keystore.import_key(KEY, PASSWORD, name="alice")
    return keystore


@pytest.fixture
def alice(network: tuple[str, RpcChain], keystore: Keystore) -> str:
    """Alice's address, funded with 10 ETH directly on anvil."""
    address = keystore.find("alice").address
    funder = network[1]
    if funder.balance(address) < ETHER:
        funder.request("anvil_setBalance", address, hex(10 * ETHER))
    return address


def nonce(chain: RpcChain, address: str) -> int:
    return int(chain.w3.eth.get_transaction_count(address, "pending"))


def test_the_proxy_looks_like_a_public_network(network: tuple[str, RpcChain], monkeypatch) -> None:
    monkeypatch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
    chain = RpcChain(network[0])
    assert chain.chain_id == SEPOLIA
    assert not chain.is_dev
    assert not network[1].is_dev and network[1].accounts == []  # anvil itself: its methods make no dev chain
    assert chain.accounts == []
    with pytest.raises(UnknownAccount, match=r"dev accounts \(0-9\) exist only on dev chains"):
        resolve_account(chain, 0)
    with pytest.raises(UnknownAccount, match="cannot sign for"):
        resolve_account(chain, dev_addresses()[0])


def test_a_keystore_account_sends_after_confirmation(
    network: tuple[str, RpcChain], keystore: Keystore, alice: str
) -> None:
    asked: list[TransactionPreview] = []
    answers = iter([True, True, False, True])  # deploy, load parameters, decline one add, accept one
    order: list[str] = []

    def ask(preview: TransactionPreview) -> bool:
        asked.append(preview)
        order.append("asked")
        return next(answers)

    passwords: list[str] = []

    def password() -> str:
        passwords.append("alice")
        order.append("password")
        return PASSWORD

    signer = KeystoreAccount(keystore, keystore.find("alice"), password)
    chain = RpcChain(network[0], keys=[signer], confirm=Confirmation(ask, max_deposit=ETHER // 10))
    assert chain.accounts == [alice] and passwords == []
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([3, -3, 2, -2]), mechanism=INCENTIVE)
    assert model.owner == alice
    assert passwords == ["alice"]  # asked once, when it first signed
    assert order[:2] == ["asked", "password"]  # the transaction shown first: the password is only to sign
    assert [p.to for p in asked] == [None, model.address]
    assert all(p.sender == alice and p.chain_id == SEPOLIA and p.value == 0 for p in asked)

    before = nonce(chain, alice), chain.block_number(), chain.balance(alice)
    with pytest.raises(TransactionDeclined, match="not confirmed: nothing was sent"):
        model.add_data([0], 1)
    assert (nonce(chain, alice), chain.block_number(), chain.balance(alice)) == before
    added = model.add_data([0], 1)
    assert added.contribution.author == alice
    preview = asked[-1]
    assert preview.value >= added.cost > 0
    assert preview.max_gas_fee >= added.receipt.gas_used * int(
        chain.w3.eth.get_transaction_receipt(added.receipt.tx_hash)["effectiveGasPrice"]
    )

    block = chain.block_number()
    with pytest.raises(DepositLimitExceeded, match=r"more than the maximum 0\.1 ETH: nothing was sent"):
        model.add_data([1], 0, value=ETHER // 10 + 1)
    assert chain.block_number() == block
    assert len(asked) == 4  # refused before asking


def test_a_wrong_password_leaves_no_gap_in_the_nonces(
    network: tuple[str, RpcChain], keystore: Keystore, alice: str
) -> None:
    """The nonce was taken before the key was unlocked: after a wrong password the next transaction had
    the nonce after an unsent one, and the node held it for ever."""
    given = iter(["wrong", PASSWORD])
    signer = KeystoreAccount(keystore, keystore.find("alice"), lambda: next(given))
    chain = RpcChain(network[0], keys=[signer], confirm=Confirmation(None), receipt_timeout=20)
    with pytest.raises(WrongPassword):
        chain.transact(dev_addresses()[1], b"", sender=alice, value=1)
    assert chain.transact(dev_addresses()[1], b"", sender=alice, value=1).block_number > 0


def test_a_public_dev_key_never_signs_off_a_dev_chain(network: tuple[str, RpcChain], monkeypatch) -> None:
    """Given in the environment (or a keystore), the test mnemonic's key signed on a public network: anyone
    can sign with it."""
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, "0x" + dev_private_keys()[0].hex())
    chain = RpcChain(network[0], confirm=Confirmation(None))
    block = network[1].block_number()
    with pytest.raises(UnknownAccount, match=r"is one of the public dev keys .* signs on dev chains only; nothing"):
        chain.transact(dev_addresses()[1], b"", sender=chain.accounts[0], value=1)
    assert network[1].block_number() == block


def test_receipts_without_a_time_take_it_from_their_blocks(
    network: tuple[str, RpcChain], keystore: Keystore, alice: str
) -> None:
    signer = KeystoreAccount(keystore, keystore.find("alice"), lambda: PASSWORD)
    chain, node = RpcChain(network[0], keys=[signer]), network[1]
    receiver = dev_addresses()[1]
    one = chain.transact(receiver, b"", sender=alice, value=1)
    many = chain.receipts(chain.send_many(receiver, [b"", b""], sender=alice, value=1, gas=21_000))
    assert "blockTimestamp" not in chain.w3.provider.make_request("eth_getTransactionReceipt", [one.tx_hash])["result"]
    for receipt in (one, *many):
        assert receipt.timestamp == int(node.w3.eth.get_block(receipt.block_number)["timestamp"])


def test_dev_anvil_keeps_its_indices_with_an_environment_key(chain: RpcChain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, KEY)
    with_key = RpcChain(chain.url)
    extra = with_key.accounts[10]
    assert with_key.is_dev
    assert with_key.accounts[:10] == list(dev_addresses()) == chain.accounts
    assert len(with_key.accounts) == 11
    assert resolve_account(with_key, 0) == dev_addresses()[0]
    assert resolve_account(with_key, None) == dev_addresses()[0]
    chain.transact(extra, b"", sender=chain.accounts[0], value=ETHER)
    receipt = with_key.transact(dev_addresses()[1], b"", sender=resolve_account(with_key, 10), value=1)
    assert with_key.w3.eth.get_transaction(receipt.tx_hash)["from"] == extra


def test_a_receipt_that_does_not_come_may_still_be_mined() -> None:
    with running_anvil("--no-mining") as url:
        connect(url)
        chain = RpcChain(url, receipt_timeout=0.5)
        with pytest.raises(TransactionPending) as caught:
            chain.transact(chain.accounts[1], b"", sender=chain.accounts[0], value=1)
        tx_hash = caught.value.tx_hash
        assert re.fullmatch(r"0x[0-9a-f]{64}", tx_hash)
        message = str(caught.value)
        assert message == (
            f"transaction {tx_hash} was sent, but was not mined within 0.5 s; "
            "it may still be mined: look its hash up before sending it again"
        )
        chain.request("evm_mine")
        assert chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1


# -- the command line --------------------------------------------------------


def sumchain(
    cwd: Path, *args: str, stdin: str = "", ok: bool = True, key_in_env: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``sumchain`` in a process of its own, with the test's keystore; the key never shows."""
    proc = run_sumchain(cwd, *args, env={PRIVATE_KEY_VARIABLE: KEY} if key_in_env else {}, stdin=stdin)
    assert KEY[2:] not in (proc.stdout + proc.stderr).lower()
    assert PASSWORD not in proc.stdout + proc.stderr
    assert proc.returncode == (0 if ok else 1), proc.stdout + proc.stderr
    return proc


def test_command_line_on_a_public_network(
    network: tuple[str, RpcChain], keystore: Keystore, alice: str, tmp_path: Path
) -> None:
    url = network[0]
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    on_network = ("--chain", url, "--password-file", str(password_file))

    refused = sumchain(tmp_path, "--chain", url, "--account", "0", "balance", ok=False).stderr.strip()
    assert re.fullmatch(r"UnknownAccount: no account 0: dev accounts \(0-9\) exist only on dev chains; .*", refused)
    assert "sumchain account list" in refused

    deployed = sumchain(
        tmp_path, *on_network, "--account", "alice", "--yes", "deploy", "--cost-weight", "1000000000000"
    )
    address = re.search(r"^(0x[0-9a-fA-F]{40})$", deployed.stdout, re.MULTILINE)[1]
    assert "Send it?" not in deployed.stderr
    use = (*on_network, "--account", "alice", "--model", address)
    assert sumchain(tmp_path, *use, "balance").stdout.startswith(alice)

    block = network[1].block_number()
    declined = sumchain(tmp_path, *use, "add", "a wonderful movie", "--label", "positive", stdin="n\n", ok=False).stderr
    assert "deposit" in declined and "max gas fee" in declined and " ETH" in declined
    assert declined.rstrip().endswith("\nTransactionDeclined: not confirmed: nothing was sent")  # a line of its own
    closed = sumchain(tmp_path, *use, "add", "a wonderful movie", "--label", "positive", ok=False).stderr
    assert closed.rstrip().endswith("\nTransactionDeclined: no answer: nothing was sent (--yes sends without asking)")
    limited = sumchain(
        tmp_path, *use, "--max-deposit", "1gwei", "add", "a wonderful movie", "--label", "positive", ok=False
    ).stderr
    assert re.fullmatch(
        r"DepositLimitExceeded: sending [\d.]+ ETH is more than the maximum 0\.000000001 ETH: "
        r"nothing was sent\n",
        limited,
    )
    assert network[1].block_number() == block

    added = sumchain(
        tmp_path, *use, "--max-deposit", "1ether", "add", "a wonderful movie", "--label", "positive", stdin="y\n"
    )
    assert "Added" in added.stdout and "Send it?" in added.stderr
    assert network[1].block_number() == block + 1

    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    failed = sumchain(
        tmp_path,
        "--chain",
        url,
        "--password-file",
        str(wrong),
        "--account",
        "alice",
        "--model",
        address,
        "--yes",
        "add",
        "a wonderful movie",
        "--label",
        "positive",
        ok=False,
    )
    assert failed.stderr == "WrongPassword: wrong password for alice\n"

    by_env = sumchain(tmp_path, "--chain", url, "--model", address, "balance", key_in_env=True).stdout
    assert by_env.startswith(alice)  # the only key is the default account


def test_contributions_are_listed_in_block_ranges_the_provider_accepts(
    network: tuple[str, RpcChain], keystore: Keystore, alice: str
) -> None:
    signer = KeystoreAccount(keystore, keystore.find("alice"), lambda: PASSWORD)
    chain = RpcChain(network[0], keys=[signer], confirm=Confirmation(lambda preview: True))
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([2, -2, 1, -1]), mechanism=INCENTIVE)
    added = [model.add_data(sample, 1) for sample in ([0], [1], [2], [3], [0, 1])]
    found = model.contributions(alice)
    assert [c.added_time for c in found] == [a.time for a in added]
    assert [c.id for c in found] == [1, 2, 3, 4, 5]
    assert found[-1].block_number - model.deployed_at >= MAX_LOG_RANGE  # more than one window was needed
    assert model.metadata.name == "sparse perceptron"  # one block: always within the range
