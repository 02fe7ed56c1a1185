"""A chain reached over JSON-RPC (anvil, Hardhat, or any Ethereum node), via web3.py.

Transactions are signed locally with eth-account and sent raw, so the node
needs no unlocked accounts. On a dev chain (chain id 31337, or a node that
answers ``anvil_nodeInfo`` or ``hardhat_metadata``) the signers are anvil's ten
public dev keys, accounts 0-9, then the given keys and the one in
``SUMCHAIN_PRIVATE_KEY``. Anywhere else the public dev keys would sign for
anyone, so only the given keys and the environment one sign, and each
transaction goes through the ``confirm`` hook first. Every transaction is
gas-estimated first, so a revert is reported with its reason before anything
is sent. Time travel and snapshots work on dev nodes only (anvil, Hardhat).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception, Web3RPCError

from sumchain.chain.abi import decode_revert
from sumchain.chain.accounts import dev_private_keys
from sumchain.chain.base import TX_GAS_CAP, Log, Receipt
from sumchain.chain.confirm import TransactionPreview
from sumchain.chain.hashing import checksum
from sumchain.errors import ChainError, ContractReverted, SumchainError, TransactionPending, UnknownAccount
from sumchain.keys import KeystoreAccount, key_from_env

LOG_RANGE = 10_000
"""Most blocks asked for in one ``eth_getLogs`` (halved while a node refuses)."""
_TOO_MANY_LOGS = re.compile(r"range|limit|too many|too large|exceed|more than|response size", re.IGNORECASE)
BATCH_SIZE = 200
"""Calls per JSON-RPC batch in :meth:`RpcChain.call_many`."""
GAS_MARGIN = 1.2
"""Gas sent with a transaction, relative to its estimate."""
DEV_CHAIN_ID = 31337
"""The chain id of anvil and Hardhat nodes unless told otherwise."""
_REVERT_PREFIX = "execution reverted"
_URL = re.compile(r"https?://", re.IGNORECASE)


def _revert_error(exc: ContractLogicError) -> ContractReverted:
    """Translate web3's revert error into ours, with the decoded reason."""
    raw = exc.data.get("data") if isinstance(exc.data, Mapping) else exc.data
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) and raw.startswith("0x") else b""
    if data:
        return ContractReverted.from_reason(decode_revert(data), data=data)
    message = str(exc.message or "").removeprefix(_REVERT_PREFIX).lstrip(": ")
    return ContractReverted.from_reason(message or decode_revert(b""), data=data)


def _one_line(exc: BaseException) -> str:
    """A short description of a connection failure (requests' are long)."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return found.group(1).strip()
    return text.splitlines()[0] if text else type(exc).__name__


Signer = bytes | LocalAccount | KeystoreAccount
"""A signing key: raw bytes, an eth-account account, or a keystore entry unlocked on first use."""


class RpcChain:
    """A chain behind a JSON-RPC endpoint, with locally held signing keys.

    Parameters
    ----------
    url : str
        HTTP(S) address of the node, e.g. ``http://127.0.0.1:8545`` (WebSocket
        and IPC endpoints are not supported).
    keys : sequence of signers, optional
        Keys to sign with besides the dev keys (on dev chains only) and the
        key in ``SUMCHAIN_PRIVATE_KEY`` (hex), which comes last.
    timeout : float
        Seconds to wait for the answer to one request.
    receipt_timeout : float
        Seconds to wait for a sent transaction to be mined; a public network
        may take minutes.
    confirm : callable, optional
        Called with a :class:`~sumchain.chain.confirm.TransactionPreview`
        before each transaction on a chain that is not a dev chain; it raises
        (e.g. :class:`~sumchain.errors.TransactionDeclined`) to stop it.

    Raises
    ------
    ChainError
        When the URL is not http(s), a timeout is not positive, or the node
        cannot be reached.
    InvalidPrivateKey
        When ``SUMCHAIN_PRIVATE_KEY`` is set to something else than a key.
    """

    def __init__(
        self,
        url: str,
        *,
        keys: Sequence[Signer] = (),
        timeout: float = 30,
        receipt_timeout: float = 300,
        confirm: Callable[[TransactionPreview], None] | None = None,
    ) -> None:
        if not _URL.match(url):
            raise ChainError(f"{url}: only http:// and https:// node URLs are supported (not ws://, wss:// or IPC)")
        if timeout <= 0 or receipt_timeout <= 0:
            raise ChainError(f"timeouts must be positive, got {timeout:g} s and {receipt_timeout:g} s")
        self.url = url
        self.timeout = timeout
        self.receipt_timeout = receipt_timeout
        self.confirm = confirm
        provider = HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        self.w3 = Web3(provider)
        extra = key_from_env()
        self._keys: list[LocalAccount | KeystoreAccount] = [
            Account.from_key(key) if isinstance(key, bytes) else key for key in keys
        ] + ([extra] if extra else [])
        with self._errors():
            self.chain_id = int(self.w3.eth.chain_id)

    # -- plumbing ------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Translate web3 and transport failures into sumchain errors."""
        try:
            yield
        except ContractLogicError as exc:
            raise _revert_error(exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ChainError(f"cannot reach {self.url}: {_one_line(exc)}") from None
        except Web3RPCError as exc:
            error = (exc.rpc_response or {}).get("error")
            message = error.get("message") if isinstance(error, Mapping) else None
            raise ChainError(f"{self.url}: {message or exc.message}") from None
        except (Web3Exception, requests.RequestException) as exc:
            raise ChainError(f"{self.url}: {_one_line(exc)}") from None

    def _request(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC request (dev methods web3 does not wrap)."""
        with self._errors():
            return self.w3.manager.request_blocking(method, list(params))

    def _supports(self, method: str) -> bool:
        """Whether the node answers ``method`` (called without parameters)."""
        with self._errors():
            try:
                self.w3.manager.request_blocking(method, [])
            except (Web3RPCError, requests.HTTPError):
                return False
        return True

    def _tx(self, to: str | None, data: bytes, sender: str | None, value: int = 0) -> dict[str, Any]:
        tx: dict[str, Any] = {"data": data, "value": value}
        if to is not None:
            tx["to"] = checksum(to)
        if sender is not None:
            tx["from"] = checksum(sender)
        return tx

    def _fees(self) -> dict[str, int]:
        """EIP-1559 fees (twice the base fee plus a tip), or a legacy gas price."""
        block = self.w3.eth.get_block("latest")
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self.w3.eth.gas_price)}
        with warnings.catch_warnings():  # web3 warns when it falls back to eth_feeHistory
            warnings.simplefilter("ignore")
            tip = int(self.w3.eth.max_priority_fee)
        return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}

    def _gas_limit(self, estimate: int) -> int:
        """The estimate plus a margin, within the block gas limit and (if it fits) the Osaka cap."""
        gas = min(int(estimate * GAS_MARGIN), int(self.w3.eth.get_block("latest")["gasLimit"]))
        return min(gas, TX_GAS_CAP) if estimate <= TX_GAS_CAP else gas

    def _log(self, entry: Mapping[str, Any]) -> Log:
        return Log(
            address=checksum(entry["address"]),
            topics=tuple(bytes(t) for t in entry["topics"]),
            data=bytes(entry["data"]),
            block_number=int(entry["blockNumber"]),
            tx_hash=self.w3.to_hex(entry["transactionHash"]),
            log_index=int(entry["logIndex"]),
        )

    @cached_property
    def _signers(self) -> dict[str, LocalAccount | KeystoreAccount]:
        """Signers by address: the dev keys first on a dev chain, then the others; the first of a twin wins."""
        dev = [Account.from_key(key) for key in dev_private_keys()] if self.is_dev else []
        signers: dict[str, LocalAccount | KeystoreAccount] = {}
        for signer in [*dev, *self._keys]:
            signers.setdefault(signer.address, signer)
        return signers

    def _signer(self, sender: str) -> LocalAccount:
        """The unlocked key of ``sender``."""
        signer = self._signers.get(checksum(sender))
        if signer is None:
            raise UnknownAccount(f"this chain cannot sign for {sender}")
        return signer.unlock() if isinstance(signer, KeystoreAccount) else signer

    def _wait(self, tx_hash: str) -> Any:
        """The receipt of a sent transaction, or :class:`TransactionPending` when it does not come in time."""
        pending = f"transaction {tx_hash} was sent, but"
        later = "it may still be mined: look its hash up before sending it again"
        try:
            return self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self.receipt_timeout, poll_latency=0.05 if self.is_dev else 1.0
            )
        except TimeExhausted:
            message = f"{pending} was not mined within {self.receipt_timeout:g} s; {later}"
        except (Web3Exception, requests.RequestException) as exc:
            message = f"{pending} waiting for its receipt failed ({_one_line(exc)}); {later}"
        raise TransactionPending(message, tx_hash=tx_hash)

    def _send(self, to: str | None, data: bytes, sender: str, value: int, gas: int | None) -> Receipt:
        """Estimate (unless ``gas`` is given), confirm, sign, send and wait for one transaction."""
        signer = self._signer(sender)
        if gas is None:
            estimate = self.estimate_gas(to, data, sender=sender, value=value)
        with self._errors():
            gas = self._gas_limit(estimate) if gas is None else gas
            tx = self._tx(to, data, None, value) | self._fees() | {"gas": gas, "chainId": self.chain_id}
        if self.confirm is not None and not self.is_dev:
            max_fee = tx.get("maxFeePerGas", tx.get("gasPrice", 0))
            self.confirm(TransactionPreview(self.chain_id, signer.address, tx.get("to"), value, gas, max_fee))
        with self._errors():
            tx["nonce"] = self.w3.eth.get_transaction_count(signer.address, "pending")
            signed = signer.sign_transaction(tx)
            tx_hash = self.w3.to_hex(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        mined = self._wait(tx_hash)
        with self._errors():
            if mined["status"] == 0:
                self.w3.eth.call(self._tx(to, data, sender, value) | {"gas": gas}, mined["blockNumber"])
                raise ContractReverted(f"transaction {tx_hash} reverted, but not when replayed (out of gas?)")
            timestamp = self.w3.eth.get_block(mined["blockNumber"])["timestamp"]
        created = mined.get("contractAddress")
        return Receipt(
            tx_hash=self.w3.to_hex(mined["transactionHash"]),
            block_number=int(mined["blockNumber"]),
            timestamp=int(timestamp),
            gas_used=int(mined["gasUsed"]),
            contract_address=checksum(created) if created else None,
            logs=tuple(self._log(entry) for entry in mined["logs"]),
        )

    # -- the Chain protocol --------------------------------------------------

    @property
    def accounts(self) -> list[str]:
        """Addresses of the signing keys: on a dev chain the ten dev accounts first, then the others."""
        return list(self._signers)

    @cached_property
    def is_dev(self) -> bool:
        """Whether the node is a dev chain: chain id 31337, or it answers ``anvil_nodeInfo`` or ``hardhat_metadata``."""
        return self.chain_id == DEV_CHAIN_ID or self._supports("anvil_nodeInfo") or self._supports("hardhat_metadata")

    def deploy(self, bytecode: bytes, *, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Create a contract; see :class:`~sumchain.chain.base.Chain`."""
        return self._send(None, bytecode, sender, value, gas)

    def transact(self, to: str, data: bytes, *, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Send a transaction and wait until it is mined (``gas``: its limit; estimated by default).

        Raises
        ------
        ContractReverted
            When the gas estimate reverts (nothing is sent), or the mined
            transaction failed (the reason comes from replaying it).
        """
        return self._send(to, data, sender, value, gas)

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> bytes:
        """Run a read-only call against the latest block."""
        with self._errors():
            return bytes(self.w3.eth.call(self._tx(to, data, sender), "latest"))

    def call_many(self, to: str, datas: Iterable[bytes], *, sender: str | None = None) -> list[bytes]:
        """Read-only calls against one block, sent as JSON-RPC batches of :data:`BATCH_SIZE`.

        A batch that fails is retried call by call, so that the error names its cause.
        """
        calls = [self._tx(to, data, sender) for data in datas]
        with self._errors():
            block = int(self.w3.eth.block_number)
        answers: list[bytes] = []
        for start in range(0, len(calls), BATCH_SIZE):
            chunk = calls[start : start + BATCH_SIZE]
            try:
                with self._errors(), self.w3.batch_requests() as batch:
                    for call in chunk:
                        batch.add(self.w3.eth.call(call, block))
                    answers += [bytes(answer) for answer in batch.execute()]
            except SumchainError:
                with self._errors():
                    answers += [bytes(self.w3.eth.call(call, block)) for call in chunk]
        return answers

    def estimate_gas(self, to: str | None, data: bytes, *, sender: str, value: int = 0) -> int:
        """The node's gas estimate (``to=None`` for a deployment)."""
        with self._errors():
            return int(self.w3.eth.estimate_gas(self._tx(to, data, sender, value)))

    def logs(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Log]:
        """Logs emitted by ``address`` in the block range (inclusive).

        Asked for in windows of at most :data:`LOG_RANGE` blocks; a node that
        refuses a window as too large or too full (public providers limit
        both) is asked again with half the window.
        """
        last = self.block_number() if to_block is None else to_block
        found: list[Log] = []
        start, span = from_block, LOG_RANGE
        while start <= last:
            end = min(start + span - 1, last)
            query: Any = {"address": checksum(address), "fromBlock": start, "toBlock": end}
            try:
                with self._errors():
                    entries = self.w3.eth.get_logs(query)
            except ChainError as exc:
                if span > 1 and _TOO_MANY_LOGS.search(str(exc)):
                    span //= 2
                    continue
                raise
            found += [self._log(entry) for entry in entries]
            start = end + 1
        return found

    def time(self) -> int:
        """Timestamp of the latest block."""
        with self._errors():
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def block_number(self) -> int:
        """Number of the latest block."""
        with self._errors():
            return int(self.w3.eth.block_number)

    def advance_time(self, seconds: int) -> None:
        """Move the clock forward and mine a block (``evm_increaseTime``, ``evm_mine``).

        Raises
        ------
        ChainError
            On a node that is not a dev chain, or for negative ``seconds``.
        """
        if not self.is_dev:
            raise ChainError("advance_time works only on dev chains (anvil)")
        if seconds < 0:
            raise ChainError("time only moves forward")
        self._request("evm_increaseTime", seconds)
        self._request("evm_mine")

    def balance(self, address: str) -> int:
        """Balance of ``address`` in wei."""
        with self._errors():
            return int(self.w3.eth.get_balance(checksum(address)))

    @contextmanager
    def anchor(self) -> Iterator[None]:
        """Undo everything done inside the block (``evm_snapshot``, ``evm_revert``).

        Raises
        ------
        ChainError
            When the node does not support snapshots.
        """
        if not self.is_dev:
            raise ChainError("anchor works only on dev chains (anvil)")
        snapshot = self._request("evm_snapshot")
        try:
            yield
        finally:
            if not self._request("evm_revert", snapshot):
                raise ChainError(f"{self.url} could not revert to snapshot {snapshot}")
