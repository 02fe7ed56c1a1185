"""The client of a prediction market: every phase, from the provider's commitments to the withdrawals.

The provider splits its test set into pieces (:func:`split_test_set`), keeps the
:class:`HiddenTestSet` (with its salts) to itself until it reveals it, and commits the
pieces' hashes. Everything that a later step needs is on chain: the revealed
pieces and the staked contributions are in the market's events, so anyone can
push the evaluation and the settlement with :meth:`Market.evaluate` and
:meth:`Market.settle`.

Everyone's steps are also given unsent, as a :class:`~sumchain.client.Call` for a chain to send
or a browser wallet to sign (:meth:`Market.add_data_call`, :meth:`Market.next_step_call`,
:meth:`Market.end_call`, :meth:`Market.withdraw_call`), and so are the provider's
(:meth:`Market.fund_call`, and :meth:`Market.provider_step_call`: the next commit, seal, draw or
reveal from where the market stands); the methods that send them send these.
:meth:`Market.provide` sends the provider's steps of a stage, :func:`kept_test_set` keeps the
test set in a file (:func:`hidden_set_file`) before anything is committed, and
:func:`find_kept_test_set` finds the file a market's commitments are of.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sumchain.chain.abi import encode_values
from sumchain.chain.base import Receipt, resolve_account
from sumchain.chain.hashing import keccak
from sumchain.client import Call, RawInput
from sumchain.errors import ContractReverted, SumchainError
from sumchain.incentives.prediction_market import PHASES, PIECE_SAMPLES, SETTLED, PredictionMarket

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.client import SharedModel
    from sumchain.metadata import ModelMetadata
    from sumchain.models import OnChainModel

_PIECE_TYPES = ("bytes[]", "uint8[]", "bytes32")
COMMITS_PER_CALL = 128
"""Commitments sent in one ``commit`` transaction, at most (the contract's ``MAX_COMMITS_PER_CALL``)."""
SETTLE_PER_CALL = 256
"""Contributions credited in one ``settle`` transaction."""
PROVIDER_STAGES = (("commit",), ("sealed", "drawn"), ("reveal",))
"""The phases whose provider's steps :meth:`Market.provide` sends together: the commitments and the seal;
the draw and the first reveal; the reveals of the rest."""
DRAW_GAS_SPREAD = 20_000
"""Gas a ``draw`` may take beyond its estimate: the piece drawn depends on the block's randomness, and
storing a nonzero index where zero was costs 20,000 gas more than storing zero (EIP-2200), so an
estimate that drew piece 0 falls short for a block that draws another (seen on anvil: out of gas)."""


@dataclass(frozen=True)
class Piece:
    """One piece of a test set: samples (as feature lists), their labels, and the salt of its commitment."""

    samples: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]
    salt: bytes

    def arguments(self, encode: Callable[[Sequence[int]], bytes]) -> tuple[list[bytes], list[int], bytes]:
        """The piece as the contract takes it: packed samples, labels, salt."""
        return [encode(s) for s in self.samples], list(self.labels), self.salt

    def commitment(self, encode: Callable[[Sequence[int]], bytes]) -> bytes:
        """``keccak256(abi_encode(samples, labels, salt))``, as the contract checks it."""
        return keccak(encode_values(_PIECE_TYPES, self.arguments(encode)))


@dataclass(frozen=True)
class HiddenTestSet:
    """A test set split into pieces, with the salts that keep it hidden until revealed."""

    pieces: tuple[Piece, ...]
    market: str = ""
    """The :attr:`Market.identity` of the market it was split for ("" when not known): its salts are never
    committed to another market, where they could be public already."""

    def __len__(self) -> int:
        return sum(len(p.samples) for p in self.pieces)

    def holds(self, samples: Sequence[Sequence[int]], labels: Sequence[int]) -> bool:
        """Whether its pieces are these samples and labels, in this order.

        >>> split_test_set([[1], [2], [3]], [0, 1, 0]).holds([[1], [2], [3]], [0, 1, 0])
        True
        """
        held = [(s, y) for p in self.pieces for s, y in zip(p.samples, p.labels, strict=True)]
        return held == [(tuple(s), y) for s, y in zip(samples, labels, strict=True)]

    def to_json(self) -> dict[str, Any]:
        """Every piece with its salt (keep this file secret until every piece is revealed)."""
        return {
            "market": self.market,
            "pieces": [
                {"samples": [list(s) for s in p.samples], "labels": list(p.labels), "salt": "0x" + p.salt.hex()}
                for p in self.pieces
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HiddenTestSet:
        """The test set written by :meth:`to_json`."""
        try:
            return cls(
                tuple(
                    Piece(
                        tuple(tuple(int(v) for v in s) for s in p["samples"]),
                        tuple(int(v) for v in p["labels"]),
                        bytes.fromhex(str(p["salt"]).removeprefix("0x")),
                    )
                    for p in data["pieces"]
                ),
                str(data.get("market", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SumchainError(f"not a test set file: {exc}") from None

    def save(self, path: str | Path) -> None:
        """Write the test set (with its salts) to a new file ``path``, readable by its owner only.

        Raises
        ------
        SumchainError
            When ``path`` exists (it may hold the salts of an earlier commit, which only it can
            reveal) or cannot be written.
        """
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise SumchainError(f"{path} exists: it may hold the salts of an earlier commit; keep it") from None
        except OSError as exc:
            raise SumchainError(f"cannot write {path}: {exc.strerror or exc}") from None
        with os.fdopen(handle, "w") as out:
            out.write(json.dumps(self.to_json()))

    @classmethod
    def load(cls, path: str | Path) -> HiddenTestSet:
        """A test set saved by :meth:`save`."""
        try:
            return cls.from_json(json.loads(Path(path).read_text()))
        except OSError as exc:
            raise SumchainError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise SumchainError(f"{path} is not JSON: {exc}") from None


def split_test_set(
    samples: Sequence[Sequence[int]],
    labels: Sequence[int],
    *,
    pieces: int | None = None,
    salt: Callable[[], bytes] = lambda: secrets.token_bytes(32),
) -> HiddenTestSet:
    """Split a test set into pieces of at most :data:`PIECE_SAMPLES` samples, each with a fresh salt.

    Parameters
    ----------
    samples, labels : sequences
        The test set, in order.
    pieces : int, optional
        How many pieces (at least 2, and enough for :data:`PIECE_SAMPLES` each); by default the
        fewest that fit, and at least 2.
    salt : callable
        Makes each piece's salt (random by default).

    Raises
    ------
    SumchainError
        When the sizes do not fit.
    """
    if len(samples) != len(labels):
        raise SumchainError(f"{len(samples)} samples but {len(labels)} labels")
    if len(samples) < 2:
        raise SumchainError(f"a test set needs at least 2 samples (one piece is revealed first), got {len(samples)}")
    needed = max(2, -(-len(samples) // PIECE_SAMPLES))
    count = needed if pieces is None else pieces
    if count < needed or count > len(samples):
        raise SumchainError(
            f"{len(samples)} test samples fit in {needed} to {len(samples)} pieces of at most {PIECE_SAMPLES}, "
            f"not {count}"
        )
    bounds = [len(samples) * i // count for i in range(count + 1)]
    return HiddenTestSet(
        tuple(
            Piece(tuple(tuple(s) for s in samples[a:b]), tuple(int(y) for y in labels[a:b]), salt())
            for a, b in itertools.pairwise(bounds)
        )
    )


def hidden_set_file(folder: str | Path, address: str, tag: str = "") -> Path:
    """Where the provider of the market at ``address`` keeps a test set in ``folder``: each test set
    in a file of its own, ``market-ADDRESS-TAG.json``, its ``tag`` (see :func:`hidden_set_tag`) in its
    name, so that ``sumchain market`` and the dashboard (in ``.sumchain``) find each other's;
    ``market-ADDRESS.json`` without a tag.

    >>> hidden_set_file(".sumchain", "0xAb").as_posix(), hidden_set_file(".sumchain", "0xAb", "12ef").name
    ('.sumchain/market-0xAb.json', 'market-0xAb-12ef.json')
    """
    return Path(folder) / (f"market-{address}-{tag}.json" if tag else f"market-{address}.json")


def hidden_set_tag(samples: Sequence[Sequence[int]], labels: Sequence[int], pieces: int | None, market: str) -> str:
    """A short name for a test set, its number of pieces and the market it is for (:attr:`Market.identity`):
    the same request gives the same file; another test set, or another market at the same address
    (on another chain), another file (none is ever written over).

    >>> hidden_set_tag([[1], [2]], [0, 1], None, "1:0xAb") == hidden_set_tag([(1,), (2,)], [0, 1], None, "1:0xAb")
    True
    >>> hidden_set_tag([[1], [2]], [0, 1], None, "1:0xAb") == hidden_set_tag([[1], [2]], [0, 1], None, "5:0xAb")
    False
    """
    described = json.dumps([[list(s) for s in samples], list(labels), pieces, market])
    return keccak(described.encode()).hex()[:16]


def find_kept_test_set(folder: str | Path, market: Market) -> tuple[HiddenTestSet, Path] | None:
    """The test set kept in ``folder`` for ``market`` (in any of its files, see :func:`hidden_set_file`)
    whose pieces the market's commitments are, with its file; None when none is (or nothing is
    committed yet).

    The commitments are read once; a file that cannot be read, or whose samples the model does not
    take, is passed over: it cannot be what the market committed to.
    """
    committed = market.committed()
    if not committed[0] or not Path(folder).is_dir():
        return None
    for path in sorted(Path(folder).glob(f"market-{market.address}*.json")):
        try:
            hidden = HiddenTestSet.load(path)
        except SumchainError:
            continue
        if market.commits_to(hidden, committed):
            return hidden, path
    return None


def kept_test_set(
    market: Market,
    samples: Sequence[Sequence[int]],
    labels: Sequence[int],
    path: Path,
    *,
    pieces: int | None = None,
    folder: str | Path | None = None,
) -> tuple[HiddenTestSet, Path, bool]:
    """The provider's test set for ``market``: the one a commit that stopped half-way kept, or a new
    split kept in the file ``path`` before anything is committed (every sample and label checked
    first, so that nothing is written for a test set the model cannot take).

    Parameters
    ----------
    market : Market
        The market, in its commit phase.
    samples, labels : sequences
        The test set, in order.
    path : Path
        The provider's file of pieces and salts (readable by its owner only; see :meth:`HiddenTestSet.save`).
    pieces : int, optional
        As :func:`split_test_set` takes it.
    folder : str or Path, optional
        Where else a commit begun elsewhere may have kept its file (:func:`find_kept_test_set`): once
        the market holds commitments, the kept test set they are of carries on if it holds these
        samples and labels, whatever its number of pieces.

    Returns
    -------
    tuple of HiddenTestSet, Path and bool
        The test set to commit, the file that keeps it (``path``, or the one in ``folder`` of a
        commit begun elsewhere) and whether it is one kept by an earlier commit.

    Raises
    ------
    InvalidSample
        For a sample or label the model does not take (nothing is written).
    SumchainError
        When the market holds commitments of a test set that neither ``path`` nor ``folder`` keeps
        (or of another test set), when ``path`` keeps another test set (it may hold the salts of an
        earlier commit: it is never written over), or for sizes that do not fit.
    """
    held = market.committed_pieces()
    if held:
        found = None if folder is None else find_kept_test_set(folder, market)
        if found is None and path.exists():
            own = HiddenTestSet.load(path)
            found = (own, path) if market.commits_to(own) else None
        if found is not None and found[0].holds(samples, labels):
            return found[0], found[1], True
        raise SumchainError(
            f"the market holds {held} commitments already, of "
            f"{'another test set' if found else 'a test set whose pieces and salts ' + str(path) + ' does not keep'}: "
            "carry on with the file of that commit (sumchain market commit --secret FILE), or cancel the market "
            "(sumchain market cancel)"
        )
    kept = HiddenTestSet.load(path) if path.exists() else None
    if kept is not None and kept.market != market.identity:
        raise SumchainError(
            f"{path} keeps a test set split for another market ({kept.market or 'an unknown one'}, not "
            f"{market.identity}): its salts may be public there, so they are not committed here; "
            "give a new file (sumchain market commit --secret NEW.json)"
        )
    if kept is not None and kept.holds(samples, labels) and pieces in (None, len(kept.pieces)):
        return kept, path, True
    for sample, label in zip(samples, labels, strict=True):
        market.model.labelled(sample, label)
    hidden = replace(split_test_set(samples, labels, pieces=pieces), market=market.identity)
    hidden.save(path)  # refuses a file that exists: it may keep the salts of another commit
    return hidden, path, False


def check_bounty(chain: Chain, provider: str, amount: int) -> None:
    """Check a prediction market's bounty before anything is deployed: a positive number of wei that
    ``provider`` holds (a market without one could never be sealed).

    Raises
    ------
    SumchainError
        For another value, no bounty, or more than ``provider`` holds.
    """
    from sumchain.units import format_amount

    if not isinstance(amount, int) or isinstance(amount, bool):
        raise SumchainError(f"the bounty must be a number of wei, got {amount!r}")
    if amount <= 0:
        raise SumchainError("the bounty must be more than 0")
    held = chain.balance(provider)
    if held < amount:
        raise SumchainError(
            f"the bounty of {format_amount(amount)} is more than {provider} holds ({format_amount(held)})"
        )


class Market:
    """A deployed prediction market, through its :class:`~sumchain.client.SharedModel`.

    Parameters
    ----------
    model : SharedModel
        A model whose mechanism is the prediction market.

    Raises
    ------
    SumchainError
        When the model runs another mechanism.
    """

    def __init__(self, model: SharedModel) -> None:
        if model.mechanism_class is not PredictionMarket:
            raise SumchainError(f"{model.address} runs {model.mechanism_title}, not a prediction market")
        self.model = model
        self.chain = model.chain
        self.parameters = PredictionMarket.from_chain(lambda name: int(model._call(name)))

    @classmethod
    def create(
        cls,
        chain: Chain,
        mirror: OnChainModel,
        parameters: PredictionMarket,
        *,
        bounty: int,
        metadata: ModelMetadata | None = None,
        sender: str | int | None = None,
        on_chunk: Callable[[int, int, Receipt], None] | None = None,
    ) -> Market:
        """Deploy a market on ``mirror`` (listed in the chain's registry if any) and fund its bounty.

        The test set is committed next (:meth:`commit`), then :meth:`seal`.

        Raises
        ------
        SumchainError
            Before anything is deployed, for a bounty that is not a positive number of wei or is more
            than ``sender`` holds (:func:`check_bounty`).
        """
        from sumchain.client import SharedModel

        check_bounty(chain, resolve_account(chain, sender), bounty)
        model = SharedModel.deploy(
            chain, mirror, mechanism=parameters, metadata=metadata, sender=sender, on_chunk=on_chunk
        )
        market = cls(model)
        market.fund(bounty, sender=sender)
        return market

    # -- plumbing ------------------------------------------------------------

    def _send(self, name: str, *args: Any, sender: str | int | None, value: int = 0) -> Receipt:
        return self.model._transact(name, *args, sender=sender, value=value)

    def _call_of(self, name: str, *args: Any, value: int = 0) -> Call:
        return Call(self.model.abi.encode_call(name, *args), value)

    def _send_call(self, call: Call, *, sender: str | int | None) -> Receipt:
        return self.model._send_call(call, sender=sender)

    def _read(self, name: str, *args: Any) -> Any:
        return self.model._call(name, *args)

    def _events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for log in self.chain.logs(self.model.address, from_block=self.model.deployed_at):
            decoded = self.model.abi.decode_event(list(log.topics), log.data)
            if decoded and decoded[0] == name:
                found.append(decoded[1])
        return found

    # -- reading -------------------------------------------------------------

    @cached_property
    def identity(self) -> str:
        """What tells this market from any other at its address: its chain's id, and the number and hash
        of the block that created it (a market at the same address on another chain, or on a dev chain
        started anew, has another): ``CHAIN_ID:ADDRESS:BLOCK:HASH``."""
        block = self.model.deployed_at
        found = self.chain.block_hashes([block])[0]
        return f"{getattr(self.chain, 'chain_id', 0)}:{self.address}:{block}:{found or ''}"

    @property
    def address(self) -> str:
        """The market's (trainer's) address."""
        return self.model.address

    def phase(self) -> str:
        """The current phase's name (:data:`PHASES`)."""
        return PHASES[int(self._read("phase"))]

    def owed(self, account: str | int | None) -> int:
        """What ``account`` may withdraw (credited by :meth:`settle`), in wei."""
        return int(self._read("owed", resolve_account(self.chain, account, signing=False)))

    def status(self) -> dict[str, Any]:
        """Every figure of the market, as JSON values (wei, seconds, counts)."""
        names = (
            "bounty", "bounty_left", "num_pieces", "num_revealed", "first_piece", "test_samples", "num_contributions",
            "applied", "next_piece", "drawn_at", "opened_at", "reveal_deadline", "ended_at", "moved_at", "first_rounds",
            "second_rounds", "settled",
        )  # fmt: skip
        figures: dict[str, Any] = {"address": self.address, "phase": self.phase()}
        figures |= {name: int(self._read(name)) for name in names}
        return figures | {"parameters": self.parameters.to_json()}

    def revealed_pieces(self) -> dict[int, Piece]:
        """Every revealed piece, by index, as the ``PieceRevealed`` events carry it."""
        decode = self.model.codec.decode
        return {
            int(e["piece"]): Piece(
                tuple(tuple(decode(s)) for s in e["samples"]), tuple(int(y) for y in e["labels"]), bytes(e["salt"])
            )
            for e in self._events("PieceRevealed")
        }

    def contributions(self) -> list[tuple[int, str, tuple[int, ...], int]]:
        """Every staked contribution: index, contributor, sample, label, in order."""
        decode = self.model.codec.decode
        return [
            (int(e["index"]), str(e["contributor"]), tuple(decode(e["data"])), int(e["label"]))
            for e in self._events("Staked")
        ]

    def scores(self) -> list[int]:
        """The scores given so far, in contribution order (``Scored`` events)."""
        return [int(e["score"]) for e in sorted(self._events("Scored"), key=lambda e: int(e["index"]))]

    # -- the provider's steps ----------------------------------------------------

    def fund_call(self, amount: int) -> Call:
        """The :meth:`fund` transaction, unsent."""
        return self._call_of("fund", value=amount)

    def funded(self) -> bool:
        """Whether the market holds a bounty (a creation cut short may have left it without one)."""
        return int(self._read("bounty")) > 0

    def fund(self, amount: int, *, sender: str | int | None = None) -> None:
        """Add ``amount`` wei to the bounty (before the seal)."""
        self._send_call(self.fund_call(amount), sender=sender)

    def _commit_calls(self, test_set: HiddenTestSet) -> list[Call]:
        """The ``commit`` transactions still to send for ``test_set``, from where the market stands:
        :data:`COMMITS_PER_CALL` hashes each, after the pieces the market holds already.

        Raises
        ------
        SumchainError
            When the market holds commitments of other pieces (another test set, or other salts).
        """
        hashes = [p.commitment(self.model.codec.encode) for p in test_set.pieces]
        held, committing = self.committed()
        if not committing:  # after the commit phase the contract refuses any
            held = []
        if held != hashes[: len(held)]:
            raise SumchainError(f"the market holds {len(held)} commitments of other pieces than this test set's")
        return [
            self._call_of("commit", start, hashes[start : start + COMMITS_PER_CALL])
            for start in range(len(held), len(hashes), COMMITS_PER_CALL)
        ]

    def commit(
        self,
        test_set: HiddenTestSet,
        *,
        sender: str | int | None = None,
        on_step: Callable[[int, int], None] | None = None,
    ) -> None:
        """Commit every piece's hash, :data:`COMMITS_PER_CALL` per transaction; a commit that stopped
        half-way carries on after the pieces the market holds already.

        Raises
        ------
        SumchainError
            When the market holds commitments of other pieces (another test set, or other salts).
        """
        for call in self._commit_calls(test_set):
            self._send_call(call, sender=sender)
            if on_step:
                on_step(self.committed_pieces(), len(test_set.pieces))

    def committed_pieces(self) -> int:
        """Pieces of the test set whose commitments the market holds."""
        return int(self._read("num_pieces"))

    def committed(self) -> tuple[list[bytes], bool]:
        """The commitments the market holds, in piece order, and whether more may come (the commit phase)."""
        datas = [self.model.abi.encode_call("commitments", i) for i in range(self.committed_pieces())]
        answers = self.chain.call_many(self.address, datas) if datas else []
        return [bytes(self.model.abi.decode_output("commitments", a)) for a in answers], self.phase() == "commit"

    def commits_to(self, test_set: HiddenTestSet, committed: tuple[list[bytes], bool] | None = None) -> bool:
        """Whether the market's commitments (at least one) are those of ``test_set``'s pieces: its first
        pieces during the commit phase, all of them after it.

        Parameters
        ----------
        test_set : HiddenTestSet
            The test set.
        committed : tuple, optional
            :meth:`committed`, read once by a caller that checks several test sets.
        """
        hashes, more = self.committed() if committed is None else committed
        count = len(test_set.pieces)
        if not hashes or len(hashes) > count or (len(hashes) < count and not more):
            return False
        encode = self.model.codec.encode
        try:
            return all(h == p.commitment(encode) for h, p in zip(hashes, test_set.pieces, strict=False))
        except SumchainError:  # samples the model does not take: not its test set
            return False

    def seal_call(self) -> Call:
        """The :meth:`seal` transaction, unsent."""
        return self._call_of("seal")

    def seal(self, *, sender: str | int | None = None) -> None:
        """End the commitments (the model must be loaded and the bounty funded)."""
        self._send_call(self.seal_call(), sender=sender)

    def cancel_call(self) -> Call:
        """The :meth:`cancel` transaction, unsent."""
        return self._call_of("cancel")

    def cancel(self, *, sender: str | int | None = None) -> int:
        """End the market before participation opens (the provider; nobody has staked yet): the bounty is
        owed back to the provider, who withdraws it. Returns the amount owed to the provider.

        Before the draw, or once the reveal window passed since it without the drawn piece's reveal
        (:meth:`may_cancel`): for a provider that lost the salts it must reveal with, or that changed
        its mind before the draw.
        """
        self._send_call(self.cancel_call(), sender=sender)
        return self.owed(self.model.owner)

    def may_cancel(self) -> bool:
        """Whether the provider may :meth:`cancel` in a block mined now."""
        phase = self.phase()
        if phase == "drawn":
            return self.chain.time() >= int(self._read("drawn_at")) + self.parameters.reveal_window
        return phase in ("commit", "sealed")

    def draw_call(self) -> Call:
        """The :meth:`draw` transaction, unsent, with :data:`DRAW_GAS_SPREAD` gas beyond the estimate's
        margin: the block it is mined in may draw another piece than the block it was estimated in."""
        return replace(self._call_of("draw"), extra_gas=DRAW_GAS_SPREAD)

    def draw(self, *, sender: str | int | None = None) -> int:
        """Draw the piece revealed first (anyone, in a block after the seal); returns its index."""
        self._send_call(self.draw_call(), sender=sender)
        return int(self._read("first_piece"))

    def reveal_call(self, test_set: HiddenTestSet, piece: int) -> Call:
        """The :meth:`reveal` transaction of one piece, unsent."""
        if not 0 <= piece < len(test_set.pieces):
            raise SumchainError(f"the test set has {len(test_set.pieces)} pieces, not a piece {piece}")
        return self._call_of("reveal", piece, *test_set.pieces[piece].arguments(self.model.codec.encode))

    def reveal(self, test_set: HiddenTestSet, piece: int, *, sender: str | int | None = None) -> None:
        """Reveal one piece of ``test_set``."""
        self._send_call(self.reveal_call(test_set, piece), sender=sender)

    def unrevealed(self, test_set: HiddenTestSet) -> list[int]:
        """The pieces of ``test_set`` the market has not seen revealed, in order (read in one batch)."""
        datas = [self.model.abi.encode_call("revealed", k) for k in range(len(test_set.pieces))]
        flags = self.chain.call_many(self.address, datas) if datas else []
        return [k for k, flag in enumerate(flags) if not self.model.abi.decode_output("revealed", flag)]

    def reveal_rest(
        self,
        test_set: HiddenTestSet,
        *,
        sender: str | int | None = None,
        on_step: Callable[[int, int], None] | None = None,
    ) -> None:
        """Reveal every piece not revealed yet (after participation ended, before the deadline)."""
        todo = self.unrevealed(test_set)
        for done, piece in enumerate(todo, 1):
            self.reveal(test_set, piece, sender=sender)
            if on_step:
                on_step(done, len(todo))

    def provider_step_call(self, test_set: HiddenTestSet) -> tuple[str, Call] | None:
        """The provider's next transaction from where the market stands, unsent, with what it does.

        In the commit phase, the next ``commit`` of ``test_set``'s hashes, then ``seal``; once
        sealed, ``draw`` (anyone may send it); once drawn, the ``reveal`` of the drawn piece; after
        participation, before the deadline, the ``reveal`` of the next piece not revealed.

        Returns
        -------
        tuple of str and Call, or None
            What the step does (``commit``, ``seal``, ``draw``, ``reveal piece K``) and its call;
            None in any other phase (the provider has nothing to send).

        Raises
        ------
        SumchainError
            When the market holds commitments of other pieces than ``test_set``'s (once sealed, before
            the draw: a draw for a test set that cannot be revealed would only hold the market up).
        """
        phase = self.phase()
        if phase == "commit":
            calls = self._commit_calls(test_set)
            return ("commit", calls[0]) if calls else ("seal", self.seal_call())
        if phase in ("sealed", "drawn", "reveal"):
            self._check_committed_to(test_set)
        if phase == "sealed":
            return "draw", self.draw_call()
        if phase == "drawn":
            first = int(self._read("first_piece"))
            return f"reveal piece {first}", self.reveal_call(test_set, first)
        if phase == "reveal" and not self.deadline_missed():
            todo = self.unrevealed(test_set)
            if todo:
                return f"reveal piece {todo[0]}", self.reveal_call(test_set, todo[0])
        return None

    def _check_committed_to(self, test_set: HiddenTestSet) -> None:
        if not self.commits_to(test_set):
            raise SumchainError(
                "the test set given is not the one the market committed to (other pieces, or other salts): "
                "nothing was sent"
            )

    def provide(
        self,
        test_set: HiddenTestSet,
        *,
        sender: str | int | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> list[str]:
        """Send the provider's steps of the stage the market is in (:data:`PROVIDER_STAGES`), each as
        :meth:`provider_step_call` gives it: in the commit phase, every commitment and the seal; once
        sealed, the draw and the drawn piece's reveal (participation opens); after participation,
        every piece not revealed yet.

        Returns
        -------
        list of str
            What each transaction sent did (``commit``, ``seal``, ``draw``, ``reveal piece K``), in
            order; empty when the provider has nothing to send in this phase. ``on_step`` hears each.

        Raises
        ------
        SumchainError
            Before anything is sent, from another account than the provider's, in the commit phase of a
            market without a bounty (:meth:`fund`), or once sealed with a test set the market did not
            commit to (a draw first would hold the market up for nothing).
        """
        stage = next((s for s in PROVIDER_STAGES if self.phase() in s), ())
        provider = self.model.owner
        if stage and resolve_account(self.chain, sender) != provider:
            raise SumchainError(f"only the market's provider, {provider}, sends its steps: nothing was sent")
        if stage == ("commit",) and not self.funded():
            raise SumchainError("the market has no bounty, without which it cannot be sealed: fund it first")
        if stage == ("reveal",):  # every piece left, its flags read once rather than before each reveal
            self._check_committed_to(test_set)
            pieces = [] if self.deadline_missed() else self.unrevealed(test_set)
            steps: Iterable[tuple[str, Call]] = ((f"reveal piece {k}", self.reveal_call(test_set, k)) for k in pieces)
        else:  # each step depends on the one before (the seal on the commits, the reveal on the draw)
            steps = iter(lambda: self.provider_step_call(test_set) if self.phase() in stage else None, None)
        sent: list[str] = []
        for what, call in steps:
            self._send_call(call, sender=sender)
            sent.append(what)
            if on_step:
                on_step(what)
        return sent

    # -- everyone's steps ------------------------------------------------------

    def add_data_call(self, sample: Iterable[int] | RawInput, label: int | str) -> Call:
        """The :meth:`add_data` transaction, unsent: the sample and label checked and encoded, with the stake.

        Raises
        ------
        InvalidSample
            For a sample or label the model does not take.
        """
        return self._call_of("add_data", *self.model.labelled(sample, label), value=self.parameters.stake)

    def add_data(self, sample: Iterable[int] | RawInput, label: int | str, *, sender: str | int | None = None) -> int:
        """Stake on a labelled sample (or a text or image file, through the model's encoder) during
        participation; returns its index."""
        receipt = self._send_call(self.add_data_call(sample, label), sender=sender)
        return int(self.model._events(receipt, "Staked")[0]["index"])

    def end_call(self) -> Call:
        """The :meth:`end` transaction, unsent."""
        return self._call_of("end")

    def end(self, *, sender: str | int | None = None) -> None:
        """End participation (anyone, once it lasted long enough with enough contributions, or with fewer
        once it also lasted the claim wait)."""
        self._send_call(self.end_call(), sender=sender)

    def deadline_missed(self) -> bool:
        """Whether participation ended and the provider's reveal deadline passed (whatever the phase is
        now): a block mined now is after it, so that in the reveal phase every reveal is refused and
        anyone may :meth:`forfeit`."""
        deadline = int(self._read("reveal_deadline"))
        return deadline > 0 and self.chain.time() >= deadline

    def forfeit_call(self) -> Call:
        """The :meth:`forfeit` transaction, unsent."""
        return self._call_of("forfeit")

    def forfeit(self, *, sender: str | int | None = None) -> None:
        """Give the bounty to the contributors after a missed reveal deadline (anyone)."""
        self._send_call(self.forfeit_call(), sender=sender)

    def evaluation_deadline(self) -> int | None:
        """The time after which anyone may :meth:`abandon` the evaluation unless it moves first: the claim
        wait after its start or its last step; None before it started."""
        moved = int(self._read("moved_at"))
        return moved + self.parameters.claim_wait if moved else None

    def evaluation_stuck(self) -> bool:
        """Whether the evaluation runs, has not moved by its deadline (:meth:`evaluation_deadline`: a block
        mined now is after it), and its next step is refused: anyone may then :meth:`abandon` it."""
        if self.phase() != "evaluate":
            return False
        return self._refused_past_deadline(lambda: self._evaluation_call(self.revealed_pieces(), self.contributions()))

    def _refused_past_deadline(self, step: Callable[[], Call]) -> bool:
        """Whether the running evaluation's deadline passed and its next step, built by ``step`` only
        then, is refused."""
        deadline = self.evaluation_deadline()
        if deadline is None or self.chain.time() < deadline:
            return False
        try:
            self.chain.call(self.address, step().data, block="pending")
        except ContractReverted:
            return True
        return False

    def abandon_call(self) -> Call:
        """The :meth:`abandon` transaction, unsent."""
        return self._call_of("abandon")

    def abandon(self, *, sender: str | int | None = None) -> None:
        """Give up an evaluation that has not moved by its deadline (:meth:`evaluation_deadline`; anyone):
        it pays as a forfeit once settled (:meth:`settle`), each stake back with a share of the bounty.
        For an evaluation whose every step is refused (:meth:`evaluation_stuck`), such as one of a
        provider's model that cannot learn, which would otherwise hold the stakes and the bounty for ever."""
        self._send_call(self.abandon_call(), sender=sender)

    def _evaluation_call(
        self, pieces: dict[int, Piece], staked: Sequence[tuple[int, str, tuple[int, ...], int]]
    ) -> Call:
        """The next evaluation transaction, from where the contract stands: count the next piece of the
        test set, or, once every piece is counted, apply the next contribution.

        ``pieces`` and ``staked`` are :meth:`revealed_pieces` and :meth:`contributions` (read once by
        a caller that sends many).
        """
        encode = self.model.codec.encode
        applied, following = int(self._read("applied")), int(self._read("next_piece"))
        if following == int(self._read("num_pieces")):
            _, contributor, sample, label = staked[applied]
            return self._call_of("apply_next", encode(sample), label, contributor)
        return self._call_of("evaluate", following, *pieces[following].arguments(encode))

    def _settle_call(self, limit: int) -> Call:
        return self._call_of("settle", limit)

    def next_step_call(self, *, limit: int = SETTLE_PER_CALL) -> Call | None:
        """The next transaction that pushes the market forward (anyone may send it), unsent.

        Parameters
        ----------
        limit : int
            Contributions a ``settle`` credits at most.

        Returns
        -------
        Call or None
            In the evaluation, the next ``evaluate`` (a piece of the test set counted) or, once
            every piece is counted, the next ``apply_next`` (a contribution learned and scored); in
            the reward, forfeited or abandoned phase, ``settle``; once the provider missed its reveal
            deadline, ``forfeit`` (the bounty goes to the contributors); once the evaluation is
            stuck (:meth:`evaluation_stuck`), ``abandon``; in any other phase, None (nothing to push).
        """
        phase = self.phase()
        if phase == "reveal" and self.deadline_missed():
            return self.forfeit_call()
        if phase == "evaluate":  # the step is built once, tried past the deadline
            step = self._evaluation_call(self.revealed_pieces(), self.contributions())
            return self.abandon_call() if self._refused_past_deadline(lambda: step) else step
        if phase in SETTLED:
            return self._settle_call(limit)
        return None

    def evaluate(
        self,
        *,
        sender: str | int | None = None,
        on_step: Callable[[int, int], None] | None = None,
        limit: int | None = None,
    ) -> int:
        """Push the evaluation to its end, or by ``limit`` transactions (anyone): count each piece,
        apply each contribution (each transaction as :meth:`next_step_call` gives it).

        Returns the number of transactions sent. ``on_step(contributions_applied, total)``
        is called after each.
        """
        pieces = self.revealed_pieces()
        staked = self.contributions()
        sent = 0
        while self.phase() == "evaluate" and (limit is None or sent < limit):
            if self._pushed(lambda: self._evaluation_call(pieces, staked), sender):
                sent += 1
            if on_step:
                on_step(int(self._read("applied")), len(staked))
        return sent

    def settle(self, *, sender: str | int | None = None, limit: int = SETTLE_PER_CALL) -> int:
        """Credit every contribution's balance and the provider's bounty left (anyone); returns the
        number of transactions sent."""
        sent = 0
        while self.phase() in SETTLED:
            sent += self._pushed(lambda: self._settle_call(limit), sender)
        return sent

    def _pushed(self, step: Callable[[], Call], sender: str | int | None) -> bool:
        """Send one step of the evaluation or the settlement, as ``step`` builds it from where the market
        stands; False when another account's step came first (anyone may push them: the same step,
        built from the same state, is then refused, and the caller carries on from where the market
        now is). Where it stood is read before the step is built, so that another's step mined in
        between is seen as such.

        Raises
        ------
        ContractReverted
            When the step is refused and the market did not move: a refusal of its own.
        """
        progress = [self.model.abi.encode_call(name) for name in ("phase", "next_piece", "applied", "settled")]
        before = self.chain.call_many(self.address, progress)
        try:
            self._send_call(step(), sender=sender)
        except ContractReverted:
            if self.chain.call_many(self.address, progress) == before:
                raise
            return False
        return True

    def kept(self) -> list[bool]:
        """Whether each contribution was kept to the end of the rewards (not dropped by the first pass)."""
        progress = [int(self._read(name)) for name in ("applied", "num_contributions", "next_piece", "num_pieces")]
        applied, contributions, following, pieces = progress
        if self.phase() != "done" or not applied or applied < contributions or following < pieces:
            raise SumchainError(
                f"the market at {self.address} has no scored contributions (phase {self.phase()}; "
                f"{applied} of {contributions} applied: a forfeit or an abandoned evaluation scores none)"
            )
        first = int(self._read("first_rounds"))
        return [first == 0 or score >= 0 for score in self.scores()]

    def finalized_mirror(self) -> OnChainModel:
        """The model the market leaves: its initial parameters (as the provider uploaded them) with
        the kept contributions learned in order, as a mirror to deploy with any mechanism.

        Raises
        ------
        SumchainError
            Before the market is done with its evaluation (a forfeited market has no scores, nor has
            an abandoned one), or
            when the chain has no record of the upload (see :func:`sumchain.audit.uploaded_words`).
        """
        from sumchain.audit import uploaded_words

        kept = self.kept()
        words, _, _ = uploaded_words(self.model)
        mirror = self.model.mirror_class.from_chain(self.model.params, words)
        learned = [
            (sample, label) for (_, _, sample, label), keep in zip(self.contributions(), kept, strict=True) if keep
        ]
        if learned:
            mirror.partial_fit([list(s) for s, _ in learned], [y for _, y in learned])
        return mirror

    def withdraw_call(self) -> Call:
        """The :meth:`withdraw` transaction, unsent."""
        return self._call_of("withdraw")

    def withdraw(self, *, sender: str | int | None = None) -> int:
        """Collect what the sender is owed (once the market is done); returns the amount."""
        receipt = self._send_call(self.withdraw_call(), sender=sender)
        return int(self.model._events(receipt, "Withdrawn")[0]["amount"])

    def sweep_call(self, account: str | int) -> Call:
        """The :meth:`sweep` transaction, unsent."""
        return self._call_of("sweep", resolve_account(self.chain, account, signing=False))

    def sweep(self, account: str | int, *, sender: str | int | None = None) -> int:
        """Move what ``account`` did not withdraw to the provider, who may then withdraw it (the provider,
        once the claim wait after the end has passed); returns the amount.

        Raises
        ------
        ContractReverted
            Before the claim wait is over, with nothing to sweep, or from another account than the
            provider's.
        """
        amount = self.owed(account)  # a withdrawal first leaves nothing, and the sweep is refused
        self._send_call(self.sweep_call(account), sender=sender)
        return amount
