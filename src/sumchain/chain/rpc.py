"""A chain reached over JSON-RPC (anvil, Hardhat, or any Ethereum node), via web3.py.

Transactions are signed locally (:mod:`sumchain.chain.signing`: coincurve, byte for byte as
eth-account would) and sent raw, so the node
needs no unlocked accounts. On a dev chain (chain id 31337 or 1337: a
transaction signed for it is valid on no public network, whereas a fork of one
keeps its id, whatever dev methods the node answers) the signers are anvil's ten
public dev keys, accounts 0-9, then the given keys and the one in
``SUMCHAIN_PRIVATE_KEY``. Anywhere else the public dev keys would sign for
anyone, so only the given keys and the environment one sign, and each
transaction goes through the ``confirm`` hook first. Every transaction is
gas-estimated first, so a revert is reported with its reason before anything
is sent. Time travel and snapshots work on dev nodes only (anvil, Hardhat).
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3Exception, Web3RPCError

from sumchain.chain.abi import decode_revert
from sumchain.chain.accounts import dev_addresses, dev_private_keys
from sumchain.chain.base import TX_GAS_CAP, BlockTag, Log, Receipt, Sent
from sumchain.chain.confirm import TransactionPreview
from sumchain.chain.hashing import checksum
from sumchain.chain.nonces import NonceManager
from sumchain.chain.signing import sign
from sumchain.errors import (
    ChainError,
    ContractReverted,
    InsufficientFunds,
    PartlySent,
    SumchainError,
    TransactionDropped,
    TransactionPending,
    TransactionReplaced,
    UnknownAccount,
)
from sumchain.keys import KeystoreAccount, key_from_env

LOG_RANGE = 10_000
"""Most blocks asked for in one ``eth_getLogs`` (halved while a node refuses)."""
_TOO_MANY_LOGS = re.compile(r"range|limit|too many|too large|exceed|more than|response size", re.IGNORECASE)

_Call = TypeVar("_Call")
"""What :meth:`RpcChain._in_batches` asks about: a call, an address."""

BATCH_SIZE = 200
"""Requests per JSON-RPC batch: calls, estimates, sends, receipts, balances."""
GAS_MARGIN = 1.2
"""Gas sent with a transaction, relative to its estimate."""
DEV_CHAIN_IDS = (31337, 1337)
"""The chain ids of local dev nodes: anvil's and Hardhat's unless told otherwise, Ganache's and ``geth --dev``'s."""
_REVERT_PREFIX = "execution reverted"
_UNUSED_MIDDLEWARE = ("validation", "ens_name_to_address", "gas_price_strategy", "gas_estimate")
"""web3's default middleware that sumchain does without: it validates, estimates and prices itself."""
FEES_TTL = 2.0
"""Seconds a fee quote is reused for further transactions."""
POLL_FIRST = 0.002
"""Seconds between the first two looks for a receipt on a dev node; each further wait is half as long again."""
POLL_MOST = 0.05
"""Most seconds between two looks for a receipt on a dev node (elsewhere: 1 s, blocks take seconds)."""
_INSUFFICIENT_FUNDS = re.compile(r"insufficient funds", re.IGNORECASE)
_NONCE_TROUBLE = re.compile(r"nonce too low|nonce too high|already known|replacement transaction", re.IGNORECASE)
NONCE_TRIES = 5
"""Times a transaction is signed with the node's next nonce when the node refuses its nonce (another
process sending from the same account took it, a transaction was dropped) before giving up."""
_URL = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class PendingTransaction:
    """A transaction that was sent: its hash now, its receipt when it is mined.

    Attributes
    ----------
    tx_hash : str
        Hash of the signed transaction.
    sender : str
        Who sent it.
    nonce : int
        Its nonce.
    """

    chain: RpcChain = field(repr=False)
    tx_hash: str
    sender: str
    nonce: int
    call: dict[str, Any] = field(repr=False)

    def receipt(self) -> Receipt:
        """Wait until it is mined with the chain's confirmations; its receipt.

        Raises
        ------
        ContractReverted
            When it was mined but failed (the reason comes from replaying it).
        TransactionReplaced, TransactionDropped
            When another transaction took its nonce, or the node forgot it.
        TransactionPending
            When it was not mined within the chain's ``receipt_timeout``: it may still be.
        """
        return self.chain._receipt(self)

    def still_pending(self, what: str) -> TransactionPending:
        """The error for a wait that ended without a receipt."""
        return TransactionPending(
            f"transaction {self.tx_hash} was sent, but {what}; it may still be mined: "
            "look its hash up before sending it again",
            tx_hash=self.tx_hash,
        )


def _quantity(value: str | int | None) -> int | None:
    """A JSON-RPC quantity (hex text; some nodes give numbers), or None when absent."""
    if value is None:
        return None
    return int(value, 16) if isinstance(value, str) else int(value)


def _formatted_receipt(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt as JSON-RPC sends it (hex strings), in the types web3 gives (ints and bytes)."""

    return {
        "status": int(raw["status"], 16),
        "blockNumber": int(raw["blockNumber"], 16),
        "blockHash": bytes.fromhex(raw["blockHash"][2:]),
        "blockTimestamp": _quantity(raw.get("blockTimestamp")),
        "gasUsed": int(raw["gasUsed"], 16),
        "contractAddress": raw.get("contractAddress"),
        "logs": [_formatted_log(log) for log in raw["logs"]],
    }


def _formatted_log(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A log as JSON-RPC sends it, in the types web3 gives (what :meth:`RpcChain._log` reads)."""

    def data(text: Any) -> bytes:
        return bytes.fromhex(str(text)[2:])

    return {
        "address": raw["address"],
        "topics": [data(t) for t in raw["topics"]],
        "data": data(raw["data"]),
        "blockNumber": int(raw["blockNumber"], 16),
        "transactionHash": data(raw["transactionHash"]),
        "logIndex": int(raw["logIndex"], 16),
        "blockHash": data(raw["blockHash"]),
    }


def _revert_error(exc: ContractLogicError) -> ContractReverted:
    """Translate web3's revert error into ours, with the decoded reason."""
    raw = exc.data.get("data") if isinstance(exc.data, Mapping) else exc.data
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) and raw.startswith("0x") else b""
    if data:
        return ContractReverted.from_reason(decode_revert(data), data=data)
    message = str(exc.message or "").removeprefix(_REVERT_PREFIX).lstrip(": ")
    return ContractReverted.from_reason(message or decode_revert(b""), data=data)


def _unlocked(signer: LocalAccount | KeystoreAccount) -> LocalAccount:
    """The key to sign with: a keystore's decrypted (its password asked the first time)."""
    return signer.unlock() if isinstance(signer, KeystoreAccount) else signer


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
        before each transaction (its ``dev`` says whether the node is a dev
        chain); it raises (e.g. :class:`~sumchain.errors.TransactionDeclined`)
        to stop it.
    priority_fee : int, optional
        Tip per unit of gas, in wei, of every EIP-1559 transaction; by default what the node
        suggests (``eth_maxPriorityFeePerGas``). A simulation on a dev node whose base fee is 0
        gives 0, so that its transactions cost nothing.

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
        confirmations: int = 1,
        priority_fee: int | None = None,
    ) -> None:
        if not _URL.match(url):
            raise ChainError(f"{url}: only http:// and https:// node URLs are supported (not ws://, wss:// or IPC)")
        for name, seconds in (("the request timeout", timeout), ("the receipt timeout (--timeout)", receipt_timeout)):
            if not 0 < seconds < math.inf:
                raise ChainError(f"{name} must be a positive number of seconds, got {seconds:g}")
        if isinstance(confirmations, bool) or not isinstance(confirmations, int) or confirmations < 1:
            raise ChainError(f"confirmations must be a whole number of blocks, at least 1, got {confirmations!r}")
        self.url = url
        self.timeout = timeout
        self.receipt_timeout = receipt_timeout
        self.confirm = confirm
        self.confirmations = confirmations
        self.priority_fee = priority_fee
        provider = HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        self.w3 = Web3(provider)
        for name in _UNUSED_MIDDLEWARE:  # each costs round trips (the validation one asks for the chain id)
            self.w3.middleware_onion.remove(name)
        self._nonces = NonceManager()
        self._fees_cache: tuple[float, dict[str, int]] | None = None
        self._block_times: dict[bytes, int] = {}
        """Block times by block hash (not number: a number can name another block after a revert or reorg)."""
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
            failed = InsufficientFunds if _INSUFFICIENT_FUNDS.search(message or exc.message or "") else ChainError
            raise failed(f"{self.url}: {message or exc.message}") from None
        except (Web3Exception, requests.RequestException) as exc:
            raise ChainError(f"{self.url}: {_one_line(exc)}") from None

    def request(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC request (dev methods web3 does not wrap, such as ``anvil_setBalance``).

        Raises
        ------
        ChainError
            When the node cannot be reached or answers with an error.
        """
        with self._errors():
            return self.w3.manager.request_blocking(method, list(params))

    def _tx(self, to: str | None, data: bytes, sender: str | None, value: int = 0) -> dict[str, Any]:
        tx: dict[str, Any] = {"data": data, "value": value}
        if to is not None:
            tx["to"] = checksum(to)
        if sender is not None:
            tx["from"] = checksum(sender)
        return tx

    def _fees(self) -> dict[str, int]:
        """EIP-1559 fees (twice the base fee plus a tip), or a legacy gas price; quoted again after :data:`FEES_TTL`."""
        now = time.monotonic()
        if self._fees_cache is not None and now - self._fees_cache[0] < FEES_TTL:
            return self._fees_cache[1]
        block = self.w3.eth.get_block("latest")
        self._block_gas_limit = int(block["gasLimit"])
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            fees = {"gasPrice": int(self.w3.eth.gas_price)}
        else:
            with warnings.catch_warnings():  # web3 warns when it falls back to eth_feeHistory
                warnings.simplefilter("ignore")
                tip = int(self.w3.eth.max_priority_fee) if self.priority_fee is None else self.priority_fee
            fees = {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}
        self._fees_cache = (now, fees)
        return fees

    def _estimate(self, to: str | None, data: bytes, sender: str, value: int, estimate_value: int | None) -> int:
        """The gas estimate with ``estimate_value``, or with ``value`` when the sender cannot afford more
        (a contribution of all it holds: the contract then has no change to pay back)."""
        if estimate_value is not None and estimate_value > value:
            try:
                return self.estimate_gas(to, data, sender=sender, value=estimate_value)
            except ChainError as exc:
                if not _INSUFFICIENT_FUNDS.search(str(exc)):
                    raise
        return self.estimate_gas(to, data, sender=sender, value=value)

    def _gas_limit(self, estimate: int) -> int:
        """The estimate plus a margin, within the block gas limit and (if it fits) the Osaka cap."""
        gas = min(int(estimate * GAS_MARGIN), self._block_gas_limit)
        return min(gas, TX_GAS_CAP) if estimate <= TX_GAS_CAP else gas

    def _log(self, entry: Mapping[str, Any]) -> Log:
        return Log(
            address=checksum(entry["address"]),
            topics=tuple(bytes(t) for t in entry["topics"]),
            data=bytes(entry["data"]),
            block_number=int(entry["blockNumber"]),
            tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
            log_index=int(entry["logIndex"]),
            block_hash="0x" + bytes(entry["blockHash"]).hex(),
        )

    @cached_property
    def _signers(self) -> dict[str, LocalAccount | KeystoreAccount]:
        """Signers by address: the dev keys first on a dev chain, then the others; the first of a twin wins."""
        dev = [Account.from_key(key) for key in dev_private_keys()] if self.is_dev else []
        signers: dict[str, LocalAccount | KeystoreAccount] = {}
        for signer in [*dev, *self._keys]:
            signers.setdefault(signer.address, signer)
        return signers

    def _signer(self, sender: str) -> LocalAccount | KeystoreAccount:
        """The key of ``sender``, still locked if it is a keystore's (:func:`_unlocked` unlocks it once the
        transaction is confirmed: the password is asked only to sign).

        Raises
        ------
        UnknownAccount
            When no key signs for ``sender``, or, off a dev chain, its key is a public dev key (given in the
            environment or a keystore): anyone can sign with it.
        """
        signer = self._signers.get(checksum(sender))
        if signer is None:
            raise UnknownAccount(f"this chain cannot sign for {sender}")
        if not self.is_dev and signer.address in dev_addresses():
            raise UnknownAccount(
                f"the key of {signer.address} is one of the public dev keys (anvil's test mnemonic): anyone can "
                "sign with it, so it signs on dev chains only; nothing was sent"
            )
        return signer

    def send(
        self,
        to: str | None,
        data: bytes,
        *,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        estimate_value: int | None = None,
    ) -> PendingTransaction:
        """Estimate (unless ``gas`` is given; with ``estimate_value`` as the value if given, see
        :meth:`Chain.transact <sumchain.chain.base.Chain.transact>`), confirm, sign and send one
        transaction, without waiting for it.

        The account's nonces are counted locally (:class:`NonceManager`), so one
        account may keep many transactions in flight: send them all, then ask
        each :class:`PendingTransaction` for its receipt. A nonce the node refuses
        is asked of the node again, up to :data:`NONCE_TRIES` times.

        Raises
        ------
        ContractReverted
            When the gas estimate reverts: nothing is sent.
        TransactionDeclined
            When the confirmation hook refuses it: nothing is sent.
        ChainError
            When the node refuses the nonce :data:`NONCE_TRIES` times in a row: nothing is sent.
        """
        signer = self._signer(sender)
        if gas is None:
            estimate = self._estimate(to, data, sender, value, estimate_value)
        with self._errors():
            fees = self._fees()
            gas = self._gas_limit(estimate) if gas is None else gas
        tx = self._tx(to, data, None, value) | fees | {"gas": gas, "chainId": self.chain_id}
        if self.confirm is not None:
            max_fee = tx.get("maxFeePerGas", tx.get("gasPrice", 0))
            self.confirm(
                TransactionPreview(self.chain_id, signer.address, tx.get("to"), value, gas, max_fee, dev=self.is_dev)
            )
        key = _unlocked(signer)  # confirmed: the password now, before a nonce is taken (a wrong one leaves no gap)
        for attempt in range(1, NONCE_TRIES + 1):
            nonce = self._nonces.take(signer.address, lambda: self._count(signer.address, "pending"))
            raw, tx_hash = sign(key, tx | {"nonce": nonce})
            try:
                with self._errors():
                    self.w3.eth.send_raw_transaction(raw)
            except ChainError as exc:
                self._nonces.forget(signer.address)
                if not _NONCE_TROUBLE.search(str(exc)):
                    raise
                if attempt == NONCE_TRIES:
                    raise ChainError(
                        f"{exc} ({NONCE_TRIES} times in a row: another process may be sending from "
                        f"{signer.address}); nothing was sent"
                    ) from None
                continue
            call = self._tx(to, data, sender, value) | {"gas": gas}
            return PendingTransaction(self, "0x" + tx_hash.hex(), signer.address, nonce, call)
        raise AssertionError("unreachable")  # pragma: no cover

    def send_many(
        self, to: str, datas: Sequence[bytes], *, sender: str, value: int = 0, gas: int | None = None
    ) -> list[PendingTransaction]:
        """Send many transactions from one account to ``to`` at once: signed locally, sent in JSON-RPC batches.

        Without ``gas`` each is estimated (in batches too, all against the
        current state). Nothing waits for them: :meth:`receipts` gathers the
        receipts.

        Raises
        ------
        ContractReverted
            When an estimate reverts: nothing is sent.
        PartlySent
            When the node refuses one of them: ``sent`` holds the ones before it
            (the later ones are not sent, so the account's nonces have no gap).
        """
        signer = self._signer(sender)
        calls = [self._tx(to, data, sender, value) for data in datas]
        with self._errors():
            fees = self._fees()  # first: it also reads the block gas limit that bounds each gas limit
        gases = [gas] * len(calls) if gas is not None else [self._gas_limit(e) for e in self._estimates(calls)]
        with self._errors():
            fee = fees.get("maxFeePerGas", fees.get("gasPrice", 0))
            needed = sum(value + limit * fee for limit in gases)
            if needed > int(self.w3.eth.get_balance(signer.address)):
                raise InsufficientFunds(
                    f"{signer.address} cannot pay for {len(calls)} transactions: they need up to {needed:,} wei"
                )
        sent: list[PendingTransaction] = []
        for start in range(0, len(calls), BATCH_SIZE):
            signed = []
            for call, limit in zip(calls[start : start + BATCH_SIZE], gases[start : start + BATCH_SIZE], strict=True):
                tx = {k: v for k, v in call.items() if k != "from"} | fees | {"gas": limit, "chainId": self.chain_id}
                if self.confirm is not None:
                    preview = TransactionPreview(
                        self.chain_id,
                        signer.address,
                        tx.get("to"),
                        value,
                        limit,
                        tx.get("maxFeePerGas", tx.get("gasPrice", 0)),
                        dev=self.is_dev,
                    )
                    self.confirm(preview)
                key = _unlocked(signer)  # before the nonce, as in send
                nonce = self._nonces.take(signer.address, lambda: self._count(signer.address, "pending"))
                signed.append((sign(key, tx | {"nonce": nonce}), nonce, call | {"gas": limit}))
            answers = self._raw_batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for (raw, _), _, _ in signed])
            refused = [(nonce, a["error"]) for (_, nonce, _), a in zip(signed, answers, strict=True) if "error" in a]
            sent += [
                PendingTransaction(self, "0x" + tx_hash.hex(), signer.address, nonce, call)
                for ((_, tx_hash), nonce, call), answer in zip(signed, answers, strict=True)
                if "error" not in answer
            ]
            if refused:
                self._nonces.forget(signer.address)
                nonce, error = refused[0]
                raise PartlySent(
                    f"the node refused {len(refused)} of {len(calls)} transactions, the first (nonce {nonce}): "
                    f"{error.get('message', error)}; {len(sent)} were sent (the ones after a refused nonce wait "
                    "behind it in the node's queue)",
                    sent,
                )
        return sent

    def _raw_batch(self, requests_: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """One JSON-RPC batch, answers in order, each ``{"result": ...}`` or ``{"error": ...}``.

        web3's batch API refuses ``eth_sendRawTransaction``; its provider sends any batch.
        """
        with self._errors():
            answers = self.w3.provider.make_batch_request(requests_)
        if not isinstance(answers, list) or len(answers) != len(requests_):
            error = answers.get("error") if isinstance(answers, Mapping) else answers
            raise ChainError(f"{self.url} refused a batch of {len(requests_)} requests: {error}")
        return [dict(answer) for answer in answers]

    def _in_batches(self, calls: Sequence[_Call], request: Callable[[_Call], Any]) -> list[Any]:
        """``request(call)`` for every call, in JSON-RPC batches of :data:`BATCH_SIZE`; a batch that
        fails is asked again call by call, so that the error names its cause."""
        answers: list[Any] = []
        for start in range(0, len(calls), BATCH_SIZE):
            chunk = calls[start : start + BATCH_SIZE]
            try:
                with self._errors(), self.w3.batch_requests() as batch:
                    for call in chunk:
                        batch.add(request(call))
                    answers += batch.execute()
            except SumchainError:
                with self._errors():
                    answers += [request(call) for call in chunk]
        return answers

    def _estimates(self, calls: Sequence[dict[str, Any]]) -> list[int]:
        """Gas estimates of many calls, in JSON-RPC batches; a revert is raised with its reason."""
        answers = self._in_batches(calls, lambda call: self.w3.eth.estimate_gas(call, "pending"))
        return [
            int(answer)
            if isinstance(answer, int)
            else self.estimate_gas(call.get("to"), call["data"], sender=call["from"], value=call["value"])
            for call, answer in zip(calls, answers, strict=True)
        ]

    def nonce(self, address: str) -> int:
        """Transactions ``address`` has sent, those the node holds unmined included."""
        return self._count(checksum(address), "pending")

    def unmined(self, address: str) -> int:
        """Transactions ``address`` has sent that the node holds unmined."""
        return max(0, self.nonce(address) - self._count(checksum(address), "latest"))

    def _count(self, address: str, block: str) -> int:
        """Transactions of ``address`` mined (``"latest"``), or mined and waiting (``"pending"``)."""
        with self._errors():
            return int(self.w3.eth.get_transaction_count(address, block))

    def _block_time(self, mined: Mapping[str, Any]) -> int:
        """The time of a receipt's block: the receipt's own ``blockTimestamp`` when the node gives one
        (anvil), else the block's, fetched once per block hash (transactions sent together often share one)."""
        stamp = _quantity(mined.get("blockTimestamp"))
        if stamp is not None:
            return stamp
        block_hash = bytes(mined["blockHash"])
        if block_hash not in self._block_times:
            with self._errors():
                self._block_times[block_hash] = int(self.w3.eth.get_block(block_hash)["timestamp"])
        return self._block_times[block_hash]

    def receipts(self, pending: Sequence[PendingTransaction]) -> list[Receipt]:
        """The receipts of many sent transactions, asked for in JSON-RPC batches (with their blocks' times).

        Raises
        ------
        ContractReverted, SentTransactionError
            As :meth:`PendingTransaction.receipt`, for the first that fails.
        """
        found: dict[str, Any] = {}
        waiting = list(pending)

        def look() -> PendingTransaction | None:
            nonlocal waiting
            for start in range(0, len(waiting), BATCH_SIZE):
                chunk = waiting[start : start + BATCH_SIZE]
                answers = self._raw_batch([("eth_getTransactionReceipt", [p.tx_hash]) for p in chunk])
                for p, answer in zip(chunk, answers, strict=True):
                    if answer.get("result"):
                        found[p.tx_hash] = _formatted_receipt(answer["result"])
            waiting = [p for p in waiting if p.tx_hash not in found]
            return waiting[0] if waiting else None

        self._wait(look)
        self._cache_block_times({bytes(r["blockHash"]) for r in found.values() if r["blockTimestamp"] is None})
        return [p.receipt() if self.confirmations > 1 else self._mined(p, found[p.tx_hash]) for p in pending]

    def _cache_block_times(self, hashes: set[bytes]) -> None:
        """Ask for the times of these blocks in batches (those not known yet)."""
        missing = sorted(hashes - set(self._block_times))
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start : start + BATCH_SIZE]
            with self._errors(), self.w3.batch_requests() as batch:
                for block_hash in chunk:
                    batch.add(self.w3.eth.get_block(block_hash))
                blocks = batch.execute()
            self._block_times.update({n: int(b["timestamp"]) for n, b in zip(chunk, blocks, strict=True)})

    def _poll_delays(self) -> Iterator[float]:
        """Seconds to sleep before each further look for a receipt: on a dev node from :data:`POLL_FIRST`,
        half as long again each time, up to :data:`POLL_MOST` (it mines at once: most receipts come at the
        first looks, and each look costs the node work); elsewhere 1 s each."""
        delay, most = (POLL_FIRST, POLL_MOST) if self.is_dev else (1.0, 1.0)
        while True:
            yield delay
            delay = min(1.5 * delay, most)

    def _wait(self, look: Callable[[], PendingTransaction | None]) -> None:
        """Call ``look`` until it returns None (done), sleeping :meth:`_poll_delays` between calls.

        ``look`` returns the first transaction still waited for: every ten longest
        sleeps it is checked (:meth:`_check_not_lost`), and it is the one named when
        the chain's ``receipt_timeout`` passes.
        """
        deadline = time.monotonic() + self.receipt_timeout
        delays = self._poll_delays()
        checked = time.monotonic()
        while (waiting := look()) is not None:
            now = time.monotonic()
            if now > deadline:
                raise waiting.still_pending(f"was not mined within {self.receipt_timeout:g} s")
            if now - checked > 10 * (POLL_MOST if self.is_dev else 1.0):
                self._check_not_lost(waiting)
                self._unstick(waiting.sender)
                checked = time.monotonic()
            time.sleep(next(delays))

    def _receipt(self, pending: PendingTransaction) -> Receipt:
        """Wait for a sent transaction and its confirmations; see :meth:`PendingTransaction.receipt`."""
        mined: Any = None

        def look() -> PendingTransaction | None:
            nonlocal mined
            try:
                mined = self._receipt_or_none(pending)
            except ChainError as exc:
                raise pending.still_pending(f"waiting for its receipt failed ({exc})") from None
            done = mined is not None and (
                self.confirmations == 1 or self.block_number() - int(mined["blockNumber"]) + 1 >= self.confirmations
            )
            return None if done else pending

        self._wait(look)
        return self._mined(pending, mined)

    def _found(self, lookup: Callable[[], Any]) -> Any:
        """What a lookup by hash returns, or None when the node does not know the hash."""
        try:
            with self._errors():
                return lookup()
        except ChainError as exc:
            if "not found" in str(exc).lower():
                return None
            raise

    def _receipt_or_none(self, pending: PendingTransaction) -> Any:
        """The node's receipt of a sent transaction, or None while it has none."""
        return self._found(lambda: self.w3.eth.get_transaction_receipt(pending.tx_hash))

    def _check_not_lost(self, pending: PendingTransaction) -> None:
        """Raise when another transaction took its nonce (mined or waiting), or the node dropped it."""
        for look in range(2):
            mined_another = self._count(pending.sender, "latest") > pending.nonce
            if self._found(lambda: self.w3.eth.get_transaction(pending.tx_hash)) is not None:
                return  # mined meanwhile, or still waiting in the node's pool
            if look == 0:  # a node may count a mined nonce before it serves its transaction: look again
                time.sleep(0.05 if self.is_dev else 1.0)
        self._nonces.forget(pending.sender)
        if mined_another or self._count(pending.sender, "pending") > pending.nonce:
            raise TransactionReplaced(
                f"transaction {pending.tx_hash} was replaced: its nonce {pending.nonce} was used by another "
                f"transaction of {pending.sender}; it will never be mined",
                tx_hash=pending.tx_hash,
            )
        raise TransactionDropped(
            f"transaction {pending.tx_hash} was dropped by the node (it is no longer in its pool): "
            "it will not be mined; send it again",
            tx_hash=pending.tx_hash,
        )

    def _unstick(self, sender: str) -> None:
        """Get mined the transactions of ``sender`` that a dev node keeps in its pool for ever.

        Two ways anvil leaves them there. (1) It can lose a transaction's link to the one before
        it when it arrives while that one is being mined (cf. foundry-rs/foundry#10122): the one
        with the account's next nonce is held "queued", and every later one behind it. They are
        taken out of the pool (``anvil_removePoolTransactions``) and sent again one by one in
        nonce order. (2) Automining mines when a transaction arrives, taking what fits in a block:
        a burst larger than a block leaves the rest "pending" until the next arrival. Blocks are
        mined (``evm_mine``) until they are in. Only on a dev node that answers ``txpool_content``.
        """
        if not self.is_dev:
            return
        try:
            pool = self.request("txpool_content")
        except ChainError:
            return
        mine = {
            state: {int(nonce): tx["hash"] for nonce, tx in txs.items()}
            for state in ("pending", "queued")
            for address, txs in (pool.get(state) or {}).items()
            if checksum(address) == sender
        }
        if self._count(sender, "latest") in mine.get("queued", {}):
            waiting = mine.get("pending", {}) | mine["queued"]
            raws = [self.request("eth_getRawTransactionByHash", waiting[nonce]) for nonce in sorted(waiting)]
            self.request("anvil_removePoolTransactions", sender)
            for raw in raws:
                self.request("eth_sendRawTransaction", raw)
        elif mine.get("pending") and self._automines():
            last = max(mine["pending"])
            for _ in mine["pending"]:  # each block takes at least one of them
                self.request("evm_mine")
                if self._count(sender, "latest") > last:
                    break

    def _automines(self) -> bool:
        """Whether a dev node mines a block for each transaction it receives (anvil's default)."""
        try:
            return bool(self.request("anvil_getAutomine"))
        except ChainError:
            return False

    def _mined(self, pending: PendingTransaction, mined: Mapping[str, Any]) -> Receipt:
        if mined["status"] == 0:
            with self._errors():
                self.w3.eth.call(pending.call, mined["blockNumber"])
            raise ContractReverted(f"transaction {pending.tx_hash} reverted, but not when replayed (out of gas?)")
        created = mined.get("contractAddress")
        return Receipt(
            tx_hash=pending.tx_hash,
            block_number=int(mined["blockNumber"]),
            timestamp=self._block_time(mined),
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
        """Whether the node is a dev chain: its chain id one of :data:`DEV_CHAIN_IDS`. Answering ``anvil_nodeInfo``
        does not make it one: an anvil fork of a public network keeps that network's id, and a transaction a real key
        signs there, unconfirmed, would be valid on the network itself."""
        return self.chain_id in DEV_CHAIN_IDS

    def deploy(self, bytecode: bytes, *, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Create a contract; see :class:`~sumchain.chain.base.Chain`."""
        return self.send(None, bytecode, sender=sender, value=value, gas=gas).receipt()

    def transact(
        self,
        to: str,
        data: bytes,
        *,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        estimate_value: int | None = None,
    ) -> Receipt:
        """Send a transaction and wait until it is mined (``gas``: its limit; estimated by default,
        with ``estimate_value`` as the value if given).

        Raises
        ------
        ContractReverted
            When the gas estimate reverts (nothing is sent), or the mined
            transaction failed (the reason comes from replaying it).
        """
        return self.send(to, data, sender=sender, value=value, gas=gas, estimate_value=estimate_value).receipt()

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: BlockTag = None) -> bytes:
        """Run a read-only call against the latest block, block ``block`` (if the node keeps its state),
        or ``"pending"``: with the transactions the node holds for the next block."""
        with self._errors():
            return bytes(self.w3.eth.call(self._tx(to, data, sender), "latest" if block is None else block))

    def call_many(self, to: str, datas: Iterable[bytes], *, sender: str | None = None) -> list[bytes]:
        """Read-only calls against one block, sent as JSON-RPC batches of :data:`BATCH_SIZE`.

        A batch that fails is retried call by call, so that the error names its cause.
        """
        calls = [self._tx(to, data, sender) for data in datas]
        with self._errors():
            block = int(self.w3.eth.block_number)
        return [bytes(answer) for answer in self._in_batches(calls, lambda call: self.w3.eth.call(call, block))]

    def estimate_gas(self, to: str | None, data: bytes, *, sender: str, value: int = 0) -> int:
        """The node's gas estimate (``to=None`` for a deployment), in the pending block: the block
        the transaction goes into, so that a rule on ``block.number`` or the time holds as mined."""
        with self._errors():
            return int(self.w3.eth.estimate_gas(self._tx(to, data, sender, value), "pending"))

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
            query = {"address": checksum(address), "fromBlock": hex(start), "toBlock": hex(end)}
            try:
                entries = self._raw_logs(query)
            except ChainError as exc:
                if span > 1 and _TOO_MANY_LOGS.search(str(exc)):
                    span //= 2
                    continue
                raise
            found += [self._log(_formatted_log(entry)) for entry in entries]
            start = end + 1
        return found

    def transactions_to(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Sent]:
        """Successful transactions sent to ``address`` in the block range (inclusive), in chain order.

        Reads each block of the range with its transactions (JSON-RPC batches of
        :data:`BATCH_SIZE`), then the receipts of those sent to ``address`` (a failed
        one is left out): keep the range short on a public network.
        """
        last = self.block_number() if to_block is None else to_block
        target = checksum(address).lower()
        found: list[dict[str, Any]] = []
        for start in range(from_block, last + 1, BATCH_SIZE):
            numbers = range(start, min(start + BATCH_SIZE, last + 1))
            for answer in self._raw_batch([("eth_getBlockByNumber", [hex(n), True]) for n in numbers]):
                block = answer.get("result") or {}
                found += [tx for tx in block.get("transactions", ()) if str(tx.get("to") or "").lower() == target]
        sent = []
        for start in range(0, len(found), BATCH_SIZE):
            chunk = found[start : start + BATCH_SIZE]
            receipts = self._raw_batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx in chunk])
            sent += [
                Sent(tx["hash"], int(tx["blockNumber"], 16), checksum(tx["from"]), bytes.fromhex(tx["input"][2:]))
                for tx, receipt in zip(chunk, receipts, strict=True)
                if int((receipt.get("result") or {}).get("status", "0x0"), 16) == 1
            ]
        return sent

    def _raw_logs(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """``eth_getLogs`` as the node answers it: web3's formatting of each log costs more than the query."""
        with self._errors():
            answer = self.w3.provider.make_request("eth_getLogs", [query])
        if "error" in answer:
            error = answer["error"]
            raise ChainError(f"{self.url}: {error.get('message', error) if isinstance(error, Mapping) else error}")
        return list(answer["result"])

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """Hashes of these blocks (None for one not mined yet), asked in JSON-RPC batches."""
        hashes: list[str | None] = []
        for start in range(0, len(numbers), BATCH_SIZE):
            chunk = numbers[start : start + BATCH_SIZE]
            answers = self._raw_batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for number, answer in zip(chunk, answers, strict=True):
                if "error" in answer:
                    raise ChainError(f"{self.url}: block {number}: {answer['error']}")
                block = answer.get("result")
                hashes.append(str(block["hash"]) if block else None)
        return hashes

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
        self.request("evm_increaseTime", seconds)
        self.request("evm_mine")

    def set_balance(self, address: str, wei: int) -> None:
        """Give ``address`` exactly ``wei`` (``anvil_setBalance``: anvil only).

        Raises
        ------
        ChainError
            On a node that is not a dev chain, or one that does not know ``anvil_setBalance``.
        """
        if not self.is_dev:
            raise ChainError("set_balance works only on dev chains (anvil)")
        self.request("anvil_setBalance", checksum(address), hex(wei))

    def balance(self, address: str) -> int:
        """Balance of ``address`` in wei."""
        with self._errors():
            return int(self.w3.eth.get_balance(checksum(address)))

    def balances(self, addresses: Sequence[str]) -> list[int]:
        """Balances of ``addresses`` in wei, asked for in JSON-RPC batches of :data:`BATCH_SIZE` (against one
        block, when they take more than one)."""
        with self._errors():
            block = int(self.w3.eth.block_number) if len(addresses) > BATCH_SIZE else "latest"
        answers = self._in_batches(addresses, lambda address: self.w3.eth.get_balance(checksum(address), block))
        return [int(answer) for answer in answers]

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
        snapshot = self.request("evm_snapshot")
        try:
            yield
        finally:
            self._nonces.forget()  # the rolled-back transactions' nonces are free again
            if not self.request("evm_revert", snapshot):
                raise ChainError(f"{self.url} could not revert to snapshot {snapshot}")
