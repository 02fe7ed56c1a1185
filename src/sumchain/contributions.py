"""Contributions as people act on them, replayed from a model's events.

A contribution's record on chain is one packed word under its key,
``keccak256(abi_encode(data, label, added_time, author))``; everything a
person needs to act on it (the sample, the label, the time, the author, what
is left of the deposit) is in the model's events: ``DataAdded``, then any
``Refunded`` and ``Reported`` under the same key. :func:`replay` rebuilds every
contribution from those events alone, so listing them costs one log query
(in block ranges on a node), not one call per contribution.

Each contribution gets a short id: its 1-based position among the model's
``DataAdded`` events (``#12``), the same for every client. Its key identifies
it too (and a unique prefix of the key's hex).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sumchain.chain.abi import encode_values
from sumchain.chain.hashing import checksum, keccak
from sumchain.errors import SumchainError, UnknownContribution
from sumchain.incentives import Mechanism
from sumchain.units import is_whole

_KEY_TYPES = ("bytes", "uint8", "uint256", "address")
MIN_KEY_PREFIX = 6
"""Fewest hex digits of a key that may name a contribution."""


def contribution_key(data: bytes, label: int, added_time: int, author: str) -> bytes:
    """The record key of a contribution, as the trainer computes it.

    >>> contribution_key(bytes(4), 1, 100, "0x" + "11" * 20).hex()[:12]
    '44e7540e6241'
    """
    return keccak(encode_values(_KEY_TYPES, (data, label, added_time, author)))


@dataclass(frozen=True)
class Contribution:
    """One contribution and its state under its model's incentive mechanism.

    Attributes
    ----------
    id : int
        Its 1-based position among the model's contributions (``#id``).
    key : bytes
        Its record key on chain.
    data, label, added_time, author
        What it was: the sample (indices or fixed-point values), the class,
        the block time, and who added it.
    deposit : int
        Deposit paid, in wei (0 under a mechanism without deposits).
    claimable : int
        Part of the deposit still held.
    refunded : bool
        Whether the author got its deposit back (or had it validated).
    status : str
        Its state in the mechanism's words (:meth:`Mechanism.status <sumchain.incentives.Mechanism.status>`).
    refundable_from : int
        Time from which the author may ask for a refund (and others may report).
    owner_claim_from, any_claim_from : int or None
        Times from which the owner, then anyone, may take what is left (None
        under a mechanism without deposits).
    block_number : int
        Block of the contribution.
    reports : tuple of (str, int)
        The reports that the contract accepted, in order: reporter and amount taken.
    """

    id: int
    key: bytes
    data: tuple[int, ...]
    label: int
    added_time: int
    author: str
    deposit: int
    claimable: int
    refunded: bool
    status: str
    refundable_from: int
    owner_claim_from: int | None
    any_claim_from: int | None
    block_number: int = 0
    reports: tuple[tuple[str, int], ...] = ()

    @property
    def reported_by(self) -> frozenset[str]:
        """The accounts whose reports of it the contract accepted."""
        return frozenset(reporter for reporter, _ in self.reports)

    def check_refund_by(self, account: str) -> None:
        """Refuse, before anything is sent, a refund asked by another account than the author (the
        contract would answer only "unknown contribution": its key includes the author).

        Raises
        ------
        SumchainError
            When ``account`` is not the author.
        """
        if account != self.author:
            raise SumchainError(
                f"contribution #{self.id} is {self.author}'s: only its author refunds it (a report takes part "
                "of another's deposit when the model disagrees with it)"
            )

    @property
    def refund_amount(self) -> int:
        """What its author's refund paid (0 when not refunded): what reports had left."""
        return self.deposit - sum(amount for _, amount in self.reports) if self.refunded else 0

    def to_json(self) -> dict[str, Any]:
        """Everything about it, in full, as JSON values (amounts in wei, times in seconds)."""
        return {
            "id": self.id,
            "key": "0x" + self.key.hex(),
            "author": self.author,
            "added_time": self.added_time,
            "block_number": self.block_number,
            "label": self.label,
            "data": list(self.data),
            "deposit": self.deposit,
            "claimable": self.claimable,
            "refunded": self.refunded,
            "status": self.status,
            "reported_by": sorted(self.reported_by),
            "reports": [{"reporter": reporter, "amount": amount} for reporter, amount in self.reports],
            "refundable_from": self.refundable_from,
            "owner_claim_from": self.owner_claim_from,
            "any_claim_from": self.any_claim_from,
        }


@dataclass
class _Entry:
    """A contribution being replayed."""

    id: int
    args: dict[str, Any]
    block_number: int
    claimable: int
    refunded: bool = False
    reports: list[tuple[str, int]] = field(default_factory=list)


def replay(
    events: Iterable[tuple[str, dict[str, Any], int]],
    *,
    decode_sample: Any,
    mechanism: Mechanism,
) -> list[Contribution]:
    """Every contribution, in order, from the model's events.

    Parameters
    ----------
    events : iterable of (name, arguments, block number)
        The model's decoded events in chain order.
    decode_sample : callable
        Turns a packed sample back into its tuple of ints.
    mechanism : Mechanism
        The model's mechanism (for the claim windows and the states).
    """
    entries: dict[bytes, _Entry] = {}
    for name, args, block in events:
        if name == "DataAdded":
            key = contribution_key(args["data"], args["label"], args["time"], args["sender"])
            entries[key] = _Entry(len(entries) + 1, args, block, int(args["cost"]))
        elif name in ("Refunded", "Reported") and args["key"] in entries:
            entry = entries[args["key"]]
            entry.claimable -= int(args["amount"])
            if name == "Refunded":
                entry.refunded = True
            else:
                entry.reports.append((checksum(args["reporter"]), int(args["amount"])))
    found = []
    for key, entry in entries.items():
        args, added = entry.args, int(entry.args["time"])
        windows = mechanism.windows(added)
        contribution = Contribution(
            id=entry.id,
            key=key,
            data=tuple(decode_sample(args["data"])),
            label=int(args["label"]),
            added_time=added,
            author=checksum(args["sender"]),
            deposit=int(args["cost"]),
            claimable=entry.claimable,
            refunded=entry.refunded,
            status="",
            refundable_from=windows.refundable_from,
            owner_claim_from=windows.owner_claim_from,
            any_claim_from=windows.any_claim_from,
            block_number=entry.block_number,
            reports=tuple(entry.reports),
        )
        found.append(replace(contribution, status=mechanism.status(contribution)))
    return found


def find(contributions: Sequence[Contribution], reference: str | int) -> Contribution:
    """The contribution named by its id (``12`` or ``"#12"``) or its key (or a unique hex prefix of it).

    Raises
    ------
    UnknownContribution
        When nothing, or more than one contribution, matches.
    SumchainError
        For a reference that is neither an id nor a key.

    Examples
    --------
    >>> from sumchain.incentives import DepositRefundTake
    >>> found = replay([], decode_sample=tuple, mechanism=DepositRefundTake())
    >>> find(found, "#1")
    Traceback (most recent call last):
    ...
    sumchain.errors.UnknownContribution: no contribution #1: the model has 0
    """
    text = str(reference).strip().lower()
    if isinstance(reference, int) or is_whole(text.lstrip("#")):
        number = int(text.lstrip("#"))
        if not 1 <= number <= len(contributions):
            raise UnknownContribution(f"no contribution #{number}: the model has {len(contributions)}")
        return contributions[number - 1]
    prefix = text.removeprefix("0x")
    if len(prefix) < MIN_KEY_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
        raise SumchainError(
            f"{reference!r} is neither a contribution id (#12) nor a key (0x and at least {MIN_KEY_PREFIX} hex digits)"
        )
    matches = [c for c in contributions if c.key.hex().startswith(prefix)]
    if len(matches) != 1:
        what = "no contribution has" if not matches else f"{len(matches)} contributions have"
        raise UnknownContribution(f"{what} a key starting with 0x{prefix}")
    return matches[0]
