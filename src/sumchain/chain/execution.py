"""What an EVM engine is given and what it returns, and the transaction rules around it.

The embedded chain validates a transaction itself (intrinsic gas, the
EIP-7623 calldata floor, balance, gas limits: :func:`validate`), so that every
engine sees only valid transactions and a rejected one fails with the same
message whatever the engine. An engine then runs it against the committed
state and returns an :class:`Execution`: status, exact gas, output, logs and
the :class:`StateDiff` to commit. Engines never commit on their own; the chain
writes the diff to its store and then hands it back to the engine
(``Engine.apply``), so that state changes have one path, whether they come
from this process or from another one writing the same chain file.

Addresses are lower-case ``0x`` hex strings inside the engines (cheap to
compare and hash); the chain checksums them at its boundary.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sumchain.chain.hashing import checksum
from sumchain.errors import InsufficientFunds, TransactionRejected

TX_BASE_GAS = 21_000
CREATE_GAS = 32_000
INITCODE_WORD_GAS = 2
ZERO_BYTE_GAS = 4
NONZERO_BYTE_GAS = 16
FLOOR_GAS_PER_TOKEN = 10
"""EIP-7623 (Prague): a transaction pays at least 21,000 + 10 gas per calldata token."""
MAX_INITCODE_SIZE = 49_152
"""EIP-3860: largest creation code."""
MAX_TIMESTAMP = 2**64 - 1
"""Block timestamps are 64-bit in every Ethereum header."""


@dataclass(frozen=True, slots=True)
class Account:
    """An account's state: balance in wei, nonce and runtime code."""

    balance: int = 0
    nonce: int = 0
    code: bytes = b""

    @property
    def is_empty(self) -> bool:
        """EIP-161: no balance, nonce or code (such an account does not exist)."""
        return self.balance == 0 and self.nonce == 0 and not self.code


@dataclass
class StateDiff:
    """State a transaction changed: new account states and new storage values.

    Accounts that end empty are listed as :class:`Account` ``()``; the store
    deletes them. Storage values of 0 delete the slot.
    """

    accounts: dict[str, Account] = field(default_factory=dict)
    storage: dict[str, dict[int, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.storage)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A transaction as the embedded chain runs it (gas price 0)."""

    sender: str
    to: str | None
    data: bytes
    value: int
    gas: int

    @property
    def is_create(self) -> bool:
        """Whether this transaction creates a contract."""
        return self.to is None


@dataclass(frozen=True, slots=True)
class BlockContext:
    """The block a transaction runs in."""

    number: int
    timestamp: int
    gas_limit: int
    chain_id: int

    @property
    def prevrandao(self) -> bytes:
        """The block's randomness (deterministic here: a hash of the number)."""
        return hashlib.sha256(self.number.to_bytes(32, "big")).digest()


@dataclass(frozen=True, slots=True)
class RawLog:
    """A log as an engine emits it."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class Execution:
    """The outcome of running one transaction.

    Attributes
    ----------
    success : bool
        The top-level call or creation succeeded.
    reverted : bool
        It failed with REVERT (``output`` holds the revert data); otherwise a
        failure is an exceptional halt described by ``halt``.
    halt : str
        For exceptional halts: ``"out of gas"``, ``"invalid opcode"``, ...
    gas_used : int
        Gas the transaction is charged (refunds and the EIP-7623 floor applied).
    output : bytes
        Return data, or revert data.
    logs : tuple of RawLog
        Logs, in order (none when it failed).
    created : str, optional
        Address of the created contract.
    diff : StateDiff
        State to commit (empty when it failed: failed transactions are not mined).
    """

    success: bool
    gas_used: int
    output: bytes = b""
    logs: tuple[RawLog, ...] = ()
    created: str | None = None
    diff: StateDiff = field(default_factory=StateDiff)
    reverted: bool = False
    halt: str = ""


def calldata_tokens(data: bytes) -> int:
    """EIP-7623 tokens: one per zero byte, four per other byte."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


def intrinsic_gas(data: bytes, *, create: bool) -> int:
    """Gas charged before execution (Prague: base, calldata, creation, initcode words)."""
    gas = TX_BASE_GAS + ZERO_BYTE_GAS * calldata_tokens(data)
    if create:
        gas += CREATE_GAS + INITCODE_WORD_GAS * ((len(data) + 31) // 32)
    return gas


def floor_gas(data: bytes) -> int:
    """The least gas any transaction with this calldata is charged (EIP-7623)."""
    return TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * calldata_tokens(data)


def validate(tx: Transaction, *, balance: int, block_gas_limit: int, sender_has_code: bool = False) -> None:
    """Reject a transaction that no block could include, as a node would.

    Raises
    ------
    TransactionRejected
        ``transaction rejected: ...`` with the rule that failed.
    InsufficientFunds
        When the sender holds less than the value.
    """
    if sender_has_code:
        raise TransactionRejected(
            f"transaction rejected: the sender {checksum(tx.sender)} is a contract, and only an account with a key "
            "sends transactions (EIP-3607)"
        )
    if tx.gas > block_gas_limit:
        raise TransactionRejected(
            f"transaction rejected: gas limit {tx.gas:,} exceeds the block gas limit {block_gas_limit:,}"
        )
    needed = max(intrinsic_gas(tx.data, create=tx.is_create), floor_gas(tx.data))
    if tx.gas < needed:
        raise TransactionRejected(f"transaction rejected: gas limit {tx.gas:,} is below the intrinsic gas {needed:,}")
    if tx.is_create and len(tx.data) > MAX_INITCODE_SIZE:
        raise TransactionRejected(
            f"transaction rejected: creation code of {len(tx.data):,} bytes exceeds {MAX_INITCODE_SIZE:,}"
        )
    if tx.value > balance:
        raise InsufficientFunds(
            f"transaction rejected: sender {checksum(tx.sender)} has {balance:,} wei, cannot send {tx.value:,}"
        )


HALTS = {
    "OutOfGas": "out of gas",
    "InsufficientStack": "stack underflow",
    "StackUnderflow": "stack underflow",
    "FullStack": "stack overflow",
    "StackOverflow": "stack overflow",
    "InvalidJumpDestination": "invalid jump destination",
    "InvalidJump": "invalid jump destination",
    "InvalidInstruction": "invalid opcode",
    "OpcodeNotFound": "invalid opcode",
    "InvalidFEOpcode": "invalid opcode",
    "NotActivated": "invalid opcode",
    "WriteProtection": "state change in a static call",
    "StateChangeDuringStaticCall": "state change in a static call",
    "CallNotAllowedInsideStatic": "state change in a static call",
    "OutOfOffset": "return data out of bounds",
    "OutOfBoundsRead": "return data out of bounds",
    "CreateContractSizeLimit": "contract code too large",
    "CreateCollision": "contract address collision",
    "ContractCodeSizeLimit": "contract code too large",
}
"""Exceptional halts of either engine, by the engine's name, to one wording."""


def halt_reason(name: str) -> str:
    """The common wording of an engine's halt (``OutOfGas(Basic)`` -> ``out of gas``)."""
    base = name.split("(", 1)[0].strip()
    return HALTS.get(base, base or "execution failed")
