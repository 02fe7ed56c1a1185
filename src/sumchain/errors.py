"""Every error sumchain raises descends from :class:`SumchainError`.

Backends translate their own failures into these at the boundary, so callers
never need to know whether an embedded EVM or a JSON-RPC node answered.
"""

from __future__ import annotations

import re
from typing import Any


class SumchainError(Exception):
    """Root of every error sumchain raises."""


class ContractReverted(SumchainError):
    """A call or transaction reverted.

    Parameters
    ----------
    reason : str
        The decoded revert reason (``"trainer: ..."``), or a description when
        the contract gave none.
    data : bytes
        The raw revert data.
    """

    def __init__(self, reason: str, *, data: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data

    @classmethod
    def from_reason(cls, reason: str, *, data: bytes = b"") -> ContractReverted:
        """The most specific error class for a revert reason.

        >>> e = ContractReverted.from_reason("data_handler: contribution already recorded")
        >>> type(e).__name__, str(e).endswith("in the same second: send it again a second later)")
        ('ContributionRecorded', True)
        """
        if reason.endswith("insufficient deposit"):
            return InsufficientDeposit(reason, data=data)
        if reason.endswith("contribution already recorded"):
            return ContributionRecorded(reason, data=data)
        return ContractReverted(reason, data=data)


class InsufficientDeposit(ContractReverted):
    """The value sent with a contribution is below the current deposit."""

    def __str__(self) -> str:
        hint = (
            "less than the deposit due was sent: too little was given, or the deposit rose since it was read, "
            "another contribution (maybe one of this account's, still pending) coming first; "
            "sending more (value= in Python, --value in the CLI) covers a rise: the contract returns what is not due"
        )
        return f"{self.reason} ({hint})"


class ContributionRecorded(ContractReverted):
    """A contribution's key exists: the same sample and label from the same account in the same second
    (a node mines blocks of one second; the key holds the block's time)."""

    def __str__(self) -> str:
        hint = "the same sample and label from this account in the same second: send it again a second later"
        return f"{self.reason} ({hint})"


class InvalidSample(SumchainError, ValueError):
    """A sample or label that the model cannot accept, caught before sending."""


class EncoderError(SumchainError, ValueError):
    """Encoder parameters that are malformed, too large, or do not hash to the encoder's id."""


class EncoderUnavailable(SumchainError, LookupError):
    """An encoder this installation cannot run: an unknown id, or one whose optional extra is not installed."""


class InvalidIncentive(SumchainError, ValueError):
    """Incentive mechanism parameters outside the contract's limits, or the client's sensible ones."""


class NotAModel(SumchainError, ValueError):
    """An address that holds no sumchain model: no contract, or a contract of another kind."""


class RegistryError(SumchainError):
    """The model registry cannot do what was asked: no registry, not a registry, not the owner, ..."""


class UnknownName(RegistryError, LookupError):
    """No listed model has this name."""


class NameTaken(RegistryError):
    """The name is listed for a model of another owner."""


class InvalidName(RegistryError, ValueError):
    """A name the registry does not take: empty, too long, padded, with control characters, or like an address."""


class ChainError(SumchainError):
    """The chain backend failed: unreachable node, corrupt state file, ..."""


class UnknownContribution(SumchainError, LookupError):
    """No contribution has this id or key (or several keys start so)."""


class InsufficientFunds(ChainError):
    """The sender holds less than the transaction sends (with its gas, on a node): nothing was sent."""


class TransactionRejected(ChainError):
    """A transaction no block could include (its gas, its size, a sender that is a contract): nothing was sent."""


class UnknownAccount(SumchainError, LookupError):
    """An account name, index or address that the chain cannot sign for."""


class CompilationError(SumchainError):
    """A Vyper contract failed to compile."""


class NotFittedError(SumchainError, ValueError):
    """A model mirror was used before ``fit`` or ``partial_fit``."""


class ModelOverflow(SumchainError, OverflowError):
    """A model's numbers (weights, counts, centroids) do not fit the widths they are stored in on chain."""


class ModelFileError(SumchainError, ValueError):
    """A model file is malformed or of an unsupported type."""


class MetadataError(SumchainError, ValueError):
    """Model metadata that is malformed, too large, or does not fit the model."""


class EncodingError(SumchainError, ValueError):
    """A value that does not fit the ABI type of a contract argument."""


class InvalidAmount(SumchainError, ValueError):
    """An amount of ether that cannot be read or is not a whole, non-negative number of wei."""


class KeystoreError(SumchainError, ValueError):
    """A keystore folder or file that cannot be used: bad name, duplicate, unreadable file."""


class WrongPassword(KeystoreError):
    """The password does not decrypt the keystore file."""


class InvalidPrivateKey(SumchainError, ValueError):
    """Text or bytes that are not a private key (the key itself is never shown)."""


class TransactionDeclined(SumchainError):
    """A transaction was not confirmed, so nothing was sent."""


class DepositLimitExceeded(TransactionDeclined):
    """A transaction would send more than the allowed maximum deposit, so nothing was sent."""


class SentTransactionError(ChainError):
    """Something happened to a transaction after it was sent; ``tx_hash`` names it.

    Parameters
    ----------
    message : str
        What happened, with the hash.
    tx_hash : str
        Hash of the sent transaction (``0x`` hex), to look it up later.
    """

    def __init__(self, message: str, *, tx_hash: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionPending(SentTransactionError):
    """A transaction was sent but its receipt did not come in time: it may still be mined."""


class TransactionReplaced(SentTransactionError):
    """Another transaction of the same account took this one's nonce: it will never be mined."""


class TransactionDropped(SentTransactionError):
    """The node no longer knows a sent transaction: it will not be mined unless sent again."""


class PartlySent(ChainError):
    """Only the first of many transactions were sent; ``sent`` holds them (``PendingTransaction`` objects)."""

    def __init__(self, message: str, sent: list[Any]) -> None:
        super().__init__(message)
        self.sent = sent


class IndexerError(SumchainError):
    """An event index that cannot be used: another chain's, damaged, locked, or not an index file."""


class CursorMoved(IndexerError):
    """Another indexer stored a batch of the same contract first (two indexers on one file)."""


_URL = re.compile(
    r"(?P<scheme>(?:https?|wss?)://)(?:[^/\s]*@)?(?P<host>[^/?#\s'\"@]+)(?P<rest>[^\s'\"]*)", re.IGNORECASE
)
_REQUEST_PATH = re.compile(r"(?P<said>\burl: )/\S*")
"""The path and query that ``requests`` names a failed request by (``... with url: /v3/KEY?x=1``)."""
_KEY = re.compile(r"(?<![0-9a-zA-Z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
"""A private key's shape (32 bytes in hex), given where an account, a chain or a name goes."""
_NAMED_HASH = re.compile(r"(?:transaction|tx|hash|starting with)\s*['\"#:]?\s*$", re.IGNORECASE)
"""What comes before a hash that messages show on purpose: a transaction's, a contribution key's start."""


def without_secrets(message: str) -> str:
    """``message`` with each URL cut to its scheme and host, and without anything shaped like a private key:
    a node's URL may carry an API key (in its path, query or user part), a key may be typed where an
    account goes, and an error message may end in a log or on a shared screen (the dashboard's answers and
    the command line's errors go through it).

    >>> without_secrets("cannot reach https://user:pw@eth.example/v3/KEY?x=1: timed out")
    'cannot reach https://eth.example/…: timed out'
    >>> without_secrets("http://127.0.0.1:8545: nonce too low")
    'http://127.0.0.1:8545: nonce too low'
    >>> without_secrets("reach http://u:a'b@d@host:1/?k=K: Max retries exceeded with url: /v3/KEY?k=K (SSLError)")
    'reach http://host:1/…: Max retries exceeded with url: … (SSLError)'
    >>> without_secrets("no account '0x" + "5b" * 32 + "' in the keystore")
    "no account '(64 hex digits: not shown)' in the keystore"
    >>> without_secrets("Transaction 0x" + "ab" * 32 + " reverted")[:20]
    'Transaction 0xababab'
    >>> without_secrets("wss://eth.example/ws/v3/KEY: only http:// and https:// nodes")
    'wss://eth.example/…: only http:// and https:// nodes'
    """

    def cut(match: re.Match[str]) -> str:
        rest = match["rest"].rstrip(":.,;)")  # the sentence's punctuation is not the URL's
        tail = match["rest"][len(rest) :]
        return f"{match['scheme']}{match['host']}{'/…' if rest.strip('/') else rest}{tail}"

    def hide(match: re.Match[str]) -> str:
        named = _NAMED_HASH.search(match.string, max(0, match.start() - 20), match.start())
        return match[0] if named else "(64 hex digits: not shown)"

    return _KEY.sub(hide, _REQUEST_PATH.sub(r"\g<said>…", _URL.sub(cut, message)))
