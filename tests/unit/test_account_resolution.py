"""Which address an --account means: dev indices only on dev chains, the only key by default elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sumchain.chain.accounts import dev_addresses
from sumchain.chain.base import resolve_account
from sumchain.chain.confirm import Confirmation, TransactionPreview
from sumchain.chain.rpc import RpcChain
from sumchain.errors import ChainError, DepositLimitExceeded, TransactionDeclined, UnknownAccount

KEYSTORE_ADDRESS = "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1"
OTHER = "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"


@dataclass
class StubChain:
    """Just what resolve_account reads."""

    is_dev: bool
    accounts: list[str] = field(default_factory=list)


def dev_chain(*extra: str) -> StubChain:
    return StubChain(True, [*dev_addresses(), *extra])


def test_dev_chain_indices_come_first_and_extra_keys_follow() -> None:
    chain = dev_chain(KEYSTORE_ADDRESS)
    assert resolve_account(chain, None) == resolve_account(chain, 0) == dev_addresses()[0]
    assert resolve_account(chain, "9") == dev_addresses()[9]
    assert resolve_account(chain, 10) == KEYSTORE_ADDRESS
    assert resolve_account(chain, KEYSTORE_ADDRESS.lower()) == KEYSTORE_ADDRESS
    with pytest.raises(UnknownAccount, match="account index 11 is not between 0 and 10"):
        resolve_account(chain, 11)


@pytest.mark.parametrize("account", [0, "0", 3, "9"])
def test_dev_indices_are_refused_elsewhere(account: int | str) -> None:
    chain = StubChain(False, [KEYSTORE_ADDRESS])
    with pytest.raises(UnknownAccount) as caught:
        resolve_account(chain, account)
    message = str(caught.value)
    assert "dev accounts (0-9) exist only on dev chains" in message
    assert "sumchain account list" in message and "\n" not in message


def test_dev_addresses_cannot_sign_elsewhere() -> None:
    chain = StubChain(False, [KEYSTORE_ADDRESS])
    with pytest.raises(UnknownAccount, match="cannot sign for"):
        resolve_account(chain, dev_addresses()[0])
    assert resolve_account(chain, dev_addresses()[0], signing=False) == dev_addresses()[0]


def test_the_only_key_is_the_default_elsewhere() -> None:
    assert resolve_account(StubChain(False, [KEYSTORE_ADDRESS]), None) == KEYSTORE_ADDRESS
    with pytest.raises(UnknownAccount, match="no account to sign with and no account chosen: dev accounts exist"):
        resolve_account(StubChain(False, []), None)
    with pytest.raises(UnknownAccount, match="2 accounts to sign with and no account chosen"):
        resolve_account(StubChain(False, [KEYSTORE_ADDRESS, OTHER]), None)
    assert resolve_account(StubChain(False, [KEYSTORE_ADDRESS, OTHER]), OTHER) == OTHER


PREVIEW = TransactionPreview(11155111, KEYSTORE_ADDRESS, OTHER, 10**16, 100_000, 3 * 10**9)


def test_preview_in_eth() -> None:
    assert PREVIEW.max_gas_fee == 3 * 10**14
    assert dict(PREVIEW.rows()) == {
        "chain id": "11155111",
        "from": KEYSTORE_ADDRESS,
        "to": OTHER,
        "deposit": "0.01 ETH",
        "max gas fee": "0.0003 ETH (100,000 gas at 3 gwei at most)",
        "total at most": "0.0103 ETH",
    }
    deploy = TransactionPreview(1, KEYSTORE_ADDRESS, None, 0, 21_000, 10**9)
    assert dict(deploy.rows())["to"] == "(new contract)"


def test_confirmation_asks_and_limits() -> None:
    asked: list[TransactionPreview] = []

    def ask(preview: TransactionPreview) -> bool:
        asked.append(preview)
        return preview.value < 10**17

    Confirmation(ask)(PREVIEW)
    Confirmation(ask, max_deposit=10**16)(PREVIEW)  # the limit itself is allowed
    assert asked == [PREVIEW, PREVIEW]
    with pytest.raises(TransactionDeclined, match=r"^not confirmed: nothing was sent$"):
        Confirmation(lambda preview: False)(PREVIEW)
    with pytest.raises(DepositLimitExceeded, match=r"sending 0\.01 ETH is more than the maximum 0\.009 ETH"):
        Confirmation(ask, max_deposit=9 * 10**15)(PREVIEW)
    assert len(asked) == 2  # over the limit: not even asked
    Confirmation()(PREVIEW)  # --yes


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8545", "wss://node.example", "/tmp/geth.ipc", "ftp://x"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(ChainError, match="only http:// and https:// node URLs are supported") as caught:
        RpcChain(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_timeouts_must_be_positive_numbers_of_seconds(seconds: float) -> None:
    with pytest.raises(ChainError, match=r"the receipt timeout \(--timeout\) must be a positive number of seconds"):
        RpcChain("http://127.0.0.1:9", receipt_timeout=seconds)
    with pytest.raises(ChainError, match="the request timeout must be a positive number of seconds"):
        RpcChain("http://127.0.0.1:9", timeout=seconds)
