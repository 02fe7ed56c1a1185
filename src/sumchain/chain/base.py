"""The one protocol every chain backend implements, and the records it returns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

ETHER = 10**18
BLOCK_GAS_LIMIT = 30_000_000
"""Block gas limit of the embedded chain (and of anvil as .ci/run starts it)."""
TX_GAS_CAP = 16_777_216
"""Largest gas of one transaction after Osaka (EIP-7825); chunked deploys stay below it."""
BlockTag = int | Literal["pending"] | None
"""Which state a read-only call sees: the latest block (None), a block's number, or ``"pending"``."""


@dataclass(frozen=True)
class Log:
    """One event log as the chain returns it."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    tx_hash: str
    log_index: int
    block_hash: str = ""
    """Hash of the block (``0x`` hex) on the chain that returned the log: a reorg changes it."""


@dataclass(frozen=True)
class Receipt:
    """The outcome of a mined, successful transaction."""

    tx_hash: str
    block_number: int
    timestamp: int
    gas_used: int
    contract_address: str | None = None
    logs: tuple[Log, ...] = field(default=())


@dataclass(frozen=True)
class Sent:
    """A mined, successful transaction to a contract: its hash, block, sender and input."""

    tx_hash: str
    block_number: int
    sender: str
    data: bytes


@runtime_checkable
class Chain(Protocol):
    """What sumchain needs from a chain: the embedded EVM and JSON-RPC alike.

    Every method raises :class:`~sumchain.errors.ContractReverted` (with the
    decoded reason) when the EVM reverts, and another
    :class:`~sumchain.errors.SumchainError` for any other failure.
    """

    @property
    def accounts(self) -> list[str]:
        """Addresses this chain can send transactions from, dev accounts first."""
        ...

    @property
    def is_dev(self) -> bool:
        """Whether time can be advanced and snapshots taken (local dev chains)."""
        ...

    def deploy(self, bytecode: bytes, *, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Create a contract from creation code (constructor arguments appended).

        ``gas`` is the transaction's gas limit (by default enough: estimated, or the block's).
        """
        ...

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
        """Send a transaction and wait until it is mined (``gas`` as for :meth:`deploy`).

        ``estimate_value``, when given, is the value the gas is estimated with instead of
        ``value``: for a call whose gas grows if the state moves before it is mined (an
        ``add_data`` that pays back change once the deposit has fallen: estimated with one
        wei more than it sends, the estimate includes that payment).
        """
        ...

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: BlockTag = None) -> bytes:
        """Run a read-only call against the latest block, the state after block ``block`` (a node
        that keeps past state; the embedded chain keeps only the latest), or ``"pending"``: the block
        a transaction sent now goes into, after those a node holds for it (as gas is estimated)."""
        ...

    def call_many(self, to: str, datas: Iterable[bytes], *, sender: str | None = None) -> list[bytes]:
        """Run several read-only calls against one block, in as few round trips as the backend allows."""
        ...

    def estimate_gas(self, to: str | None, data: bytes, *, sender: str, value: int = 0) -> int:
        """Gas a transaction would use now (``to=None`` for a deployment)."""
        ...

    def logs(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Log]:
        """Logs emitted by ``address`` in the block range (inclusive)."""
        ...

    def transactions_to(self, address: str, from_block: int = 0, to_block: int | None = None) -> list[Sent]:
        """Successful transactions sent to ``address`` in the block range (inclusive), in chain order."""
        ...

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """Hashes (``0x`` hex) of these blocks on the chain as it is now, None for a block not mined yet.

        A hash that changes for the same number tells a reorganisation (an indexer's cue to roll back).
        """
        ...

    def time(self) -> int:
        """Timestamp of the latest block, in seconds."""
        ...

    def block_number(self) -> int:
        """Number of the latest block."""
        ...

    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward (dev chains only)."""
        ...

    def balance(self, address: str) -> int:
        """Balance of an account, in wei."""
        ...

    def nonce(self, address: str) -> int:
        """Transactions ``address`` has sent, those a node holds unmined included."""
        ...

    def unmined(self, address: str) -> int:
        """Transactions ``address`` has sent that are not mined yet (always 0 on the embedded chain)."""
        ...

    def balances(self, addresses: Sequence[str]) -> list[int]:
        """Balances of many accounts, in wei (on a node: JSON-RPC batches, against one block when there are several)."""
        ...

    def anchor(self) -> AbstractContextManager[None]:
        """Undo everything done inside the ``with`` block (dev chains only)."""
        ...


def resolve_account(chain: Chain, account: str | int | None, *, signing: bool = True) -> str:
    """Turn an account index, an address or None into an address.

    Indices name the dev accounts (0-9), so they exist only on dev chains; on
    a dev chain an extra key (keystore, ``SUMCHAIN_PRIVATE_KEY``) follows them.
    None is account 0 on a dev chain, and elsewhere the only account the chain
    can sign for. With ``signing=False`` (for reads) any valid address is
    accepted.

    Raises
    ------
    UnknownAccount
        When the index is out of range or the chain is not a dev chain, when
        None does not name one account, or when the chain cannot sign for
        the address and ``signing`` is set.
    """
    from sumchain.chain.hashing import checksum, is_address
    from sumchain.errors import UnknownAccount
    from sumchain.units import is_whole

    accounts = chain.accounts
    if account is None and not chain.is_dev:
        if len(accounts) == 1:
            return accounts[0]
        found = f"{len(accounts)} accounts to sign with" if accounts else "no account to sign with"
        raise UnknownAccount(
            f"{found} and no account chosen: dev accounts exist only on dev chains; choose a keystore account "
            "by name or address (`sumchain account list`, `--account`) or set SUMCHAIN_PRIVATE_KEY"
        )
    if account is None:
        account = 0
    if isinstance(account, str) and is_whole(account):
        account = int(account)
    if isinstance(account, int):
        if not chain.is_dev:
            raise UnknownAccount(
                f"no account {account}: dev accounts (0-9) exist only on dev chains; on this chain use a keystore "
                "account by name or address (`sumchain account list`) or set SUMCHAIN_PRIVATE_KEY"
            )
        if not 0 <= account < len(accounts):
            raise UnknownAccount(f"account index {account} is not between 0 and {len(accounts) - 1}")
        return accounts[account]
    if not is_address(account):
        raise UnknownAccount(f"{account!r} is neither an account index nor an address")
    address = checksum(account)
    if signing and address not in accounts:
        hint = "; it signs with its dev accounts (0-9), a node (--chain URL) with keystore accounts too"
        raise UnknownAccount(f"this chain cannot sign for {address}{hint if chain.is_dev else ''}")
    return address


def read_view(chain: Chain, address: str, signature: str, kind: str) -> tuple[str, Any]:
    """``address`` checksummed, and what the one-value view ``signature`` of its contract returns.

    For recognising a contract: the value is None when the call reverts or
    its answer is not one ``kind`` (no contract there, or one of another kind).

    Raises
    ------
    SumchainError
        When ``address`` is not an address.
    """
    from sumchain.chain.abi import decode_values
    from sumchain.chain.hashing import checksum, keccak
    from sumchain.errors import ContractReverted, EncodingError, SumchainError

    try:
        address = checksum(address)
    except ValueError:
        raise SumchainError(f"{address!r} is not an address") from None
    try:
        (value,) = decode_values((kind,), chain.call(address, keccak(signature.encode())[:4]))
    except (EncodingError, ContractReverted):
        return address, None
    return address, value
