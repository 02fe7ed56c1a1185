"""The model registry: models listed on chain under unique names, found by name, delisted by their owner.

The contract (``contracts/registry.vy``) keeps, per listed model, its name, owner and
deployment block, and checks that only the model's owner lists or delists it. A name
belongs to the owner of the model listed under it: listing another of one's models
under the same name moves the name to it (a new version), and anyone else is refused.
Everything else an entry shows (model type, mechanism, description, encoder) is read
from the model itself, which is also how a client checks that an entry points at a
working sumchain model.

The owner of a listed model may publish its score on a test set (:meth:`Registry.publish_score`):
the client predicts every test sample with the model on chain, and the registry keeps the count
of right answers, the number of samples, the block and a hash of the test set
(:func:`hash_test_set`), so that anyone holding the test set can check the figure. The contract
cannot check it; a score is its owner's claim, and clients show it as one. Registries of
version 1 (deployed before scores) list models but hold no scores.

An embedded chain file comes with a registry: it is deployed when the file is created
(by :data:`EMBEDDED_DEPLOYER`, an account that sends nothing else, so the dev accounts'
addresses and nonces stay as they were) and its address is kept in the file's notes;
an older file gets one on first need (:meth:`Registry.ensure`). On a node, pass the
registry's address.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from sumchain.chain.abi import ContractABI
from sumchain.chain.base import Chain, Receipt, read_view, resolve_account
from sumchain.chain.compiler import REGISTRY, compile_contract
from sumchain.chain.hashing import checksum, is_address, keccak, miswritten_address
from sumchain.errors import (
    InvalidName,
    NameTaken,
    NotAModel,
    RegistryError,
    SumchainError,
    UnknownName,
)

if TYPE_CHECKING:
    from sumchain.chain.embedded import EmbeddedChain
    from sumchain.client import SharedModel

MAX_NAME_BYTES = 64
"""Longest name, in UTF-8 bytes (the contract's ``MAX_NAME_BYTES``)."""
PAGE = 100
"""Positions read by one ``entries`` call (the contract's ``MAX_PAGE``)."""
NOTE = "registry"
"""The embedded chain's note that holds the registry's address."""
EMBEDDED_DEPLOYER = "0x" + "5c" * 20
"""Who deploys an embedded chain's registry: no dev account, so their nonces are untouched."""
SCORES_SINCE = 2
"""The first registry version that keeps published test scores."""
_VERSIONS = (1, SCORES_SINCE)
_EMPTY = "0x" + "00" * 20


def check_name(name: str) -> str:
    """``name`` if the registry takes it, else :class:`InvalidName` saying why.

    A name is 1 to 64 bytes of UTF-8 with no leading or trailing space and no
    control character, and does not look like an address (so that ``--model``
    tells names and addresses apart).

    >>> check_name("movie sentiment")
    'movie sentiment'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidName("a listing needs a name (1 to 64 bytes)")
    size = len(name.encode())
    if size > MAX_NAME_BYTES:
        raise InvalidName(f"the name {name!r} takes {size} bytes; the registry takes at most {MAX_NAME_BYTES}")
    if name != name.strip() or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidName(f"the name {name!r} has leading or trailing spaces or control characters")
    if is_address(name) or miswritten_address(name):  # a miswritten one too: --model reads it as an address
        raise InvalidName(f"the name {name!r} looks like an address")
    return name


def hash_test_set(samples: Iterable[Sequence[int]], labels: Iterable[int]) -> bytes:
    """The hash a published score names its test set by: keccak256 of the canonical JSON
    ``{"samples": [[...], ...], "labels": [...]}`` (no spaces), samples as the model's features.

    >>> hash_test_set([[0, 2], [1]], [1, 0]).hex()[:16]
    '9cda0b62c8bad85b'
    """
    canonical = {"samples": [[int(v) for v in s] for s in samples], "labels": [int(y) for y in labels]}
    return keccak(json.dumps(canonical, separators=(",", ":")).encode())


@dataclass(frozen=True)
class PublishedScore:
    """A model's test score, as its owner published it in the registry.

    Parameters
    ----------
    correct : int
        Test samples the model predicted right.
    total : int
        Test samples.
    test_set : str
        The test set's hash (:func:`hash_test_set`), ``0x`` and 64 hex digits.
    published_at : int
        The block it was published in: the model's accuracy as of then.
    """

    correct: int
    total: int
    test_set: str
    published_at: int

    @property
    def accuracy(self) -> float:
        """``correct / total``."""
        return self.correct / self.total

    def to_json(self) -> dict[str, Any]:
        """Every field and the accuracy, as JSON values."""
        return asdict(self) | {"accuracy": self.accuracy}


@dataclass(frozen=True)
class RegistryEntry:
    """A listed model, as the registry and the model itself describe it.

    Parameters
    ----------
    name : str
        The name it is listed under.
    address : str
        The model's (trainer's) address.
    owner : str
        The account that deployed it, and alone may delist it.
    deployed_at : int
        The block that created it (and holds its published metadata).
    model_type, mechanism, description, encoder : str or None
        What the model says of itself; None (and ``""`` for the description)
        when it cannot be read, then ``problem`` says why.
    problem : str, optional
        Why the entry does not lead to a working sumchain model (its contract
        is gone or of another kind), or None.
    score : PublishedScore, optional
        The test score its owner published, or None.
    """

    name: str
    address: str
    owner: str
    deployed_at: int
    model_type: str | None = None
    mechanism: str | None = None
    description: str = ""
    encoder: str | None = None
    problem: str | None = None
    score: PublishedScore | None = None

    def to_json(self) -> dict[str, Any]:
        """Every field, as JSON values (the score with its accuracy)."""
        return asdict(self) | {"score": None if self.score is None else self.score.to_json()}


@dataclass(frozen=True)
class Listed:
    """What :meth:`Registry.register` did: the new entry, its receipt, and the model whose name it took, if any."""

    entry: RegistryEntry
    receipt: Receipt
    replaced: str | None


class Registry:
    """A model registry on a chain.

    Parameters
    ----------
    chain : Chain
        Where it lives.
    address : str
        Its address.

    Raises
    ------
    RegistryError
        When the address holds no registry.

    Examples
    --------
    >>> from sumchain import EmbeddedChain, ModelMetadata, SharedModel, SparsePerceptron
    >>> chain = EmbeddedChain()
    >>> registry = Registry.deploy(chain)
    >>> meta = ModelMetadata(name="toy", n_features=4)
    >>> model = SharedModel.deploy(chain, SparsePerceptron.from_weights([5, -5, 0, 0]), metadata=meta)
    >>> registry.register(model).entry.name
    'toy'
    >>> registry.find("toy").address == model.address
    True
    >>> [e.model_type for e in registry.entries()]
    ['sparse perceptron']
    """

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address, version = read_view(chain, address, "registry_version()", "uint256")
        if version is None:
            raise RegistryError(f"{self.address} is not a sumchain model registry")
        if version not in _VERSIONS:
            raise RegistryError(
                f"{self.address} is a registry of version {version}; this sumchain reads versions 1 and 2"
            )
        self.version = int(version)
        self.abi = ContractABI(compile_contract(REGISTRY).abi)

    # -- finding one ----------------------------------------------------------

    @classmethod
    def deploy(cls, chain: Chain, *, sender: str | int | None = None) -> Registry:
        """Deploy a new, empty registry (anyone may; it has no administrator)."""
        receipt = chain.deploy(compile_contract(REGISTRY).bytecode, sender=resolve_account(chain, sender))
        assert receipt.contract_address is not None
        return cls(chain, receipt.contract_address)

    @classmethod
    def configured(cls, chain: Chain) -> Registry | None:
        """The registry an embedded chain keeps in its notes; None for other chains or when it has none."""
        from sumchain.chain.embedded import EmbeddedChain

        noted = chain.notes.get(NOTE) if isinstance(chain, EmbeddedChain) else None
        return None if noted is None else cls(chain, noted)

    @classmethod
    def ensure(cls, chain: EmbeddedChain) -> Registry:
        """The embedded chain's registry, deployed (by :data:`EMBEDDED_DEPLOYER`) and noted if it has none yet.

        The registry is the deployer's first contract, so a process that finds
        the deployment done but not yet noted (another process, or one that was
        killed in between) notes the same address.
        """
        found = cls.configured(chain)
        if found is not None:
            return found
        if chain.nonce(EMBEDDED_DEPLOYER) == 0:
            chain.deploy(compile_contract(REGISTRY).bytecode, sender=EMBEDDED_DEPLOYER)
        address = checksum("0x" + keccak(b"\xd6\x94" + bytes.fromhex(EMBEDDED_DEPLOYER[2:]) + b"\x80")[12:].hex())
        chain.remember(NOTE, address)
        return cls(chain, address)

    # -- reading --------------------------------------------------------------

    def _call(self, name: str, *args: Any) -> Any:
        return self.abi.decode_output(name, self.chain.call(self.address, self.abi.encode_call(name, *args)))

    def count(self) -> int:
        """Listings ever made (the positions :meth:`entries` pages through; delisted ones included)."""
        return int(self._call("count"))

    def entries(self, *, details: bool = True) -> list[RegistryEntry]:
        """Every listed model, in listing order, read page by page against one block.

        Parameters
        ----------
        details : bool
            Also read each model's type and metadata (one call and one log
            query per model); without, only what the registry stores.
        """
        pages = [self.abi.encode_call("entries", start, PAGE) for start in range(0, self.count(), PAGE)]
        answers = self.chain.call_many(self.address, pages)
        raw = [e for answer in answers for e in self.abi.decode_output("entries", answer)]
        return [self._entry(e, details=details) for e in raw]

    def entry_of(self, model: str) -> RegistryEntry | None:
        """The entry of the model at ``model`` (an address), or None when it is not listed."""
        raw = self._call("entry", checksum(model))
        return None if int(raw[0], 16) == 0 else self._entry(raw, details=False)

    def find(self, name: str) -> RegistryEntry:
        """The model listed under ``name`` (exactly).

        Raises
        ------
        UnknownName
            When no listed model has the name; the message suggests close ones.
        """
        address = self._model_of(name)
        if address is None:
            names = [e.name for e in self.entries(details=False)]
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6) + [
                n for n in names if n.casefold() == name.casefold()
            ]
            hint = f"; did you mean {' or '.join(repr(n) for n in dict.fromkeys(close))}?" if close else ""
            raise UnknownName(f"no model named {name!r} in the registry at {self.address}{hint}")
        entry = self.entry_of(address)
        assert entry is not None
        return self._with_details(entry)

    def model(self, reference: str) -> SharedModel:
        """The model of a name (or an address), checked to be a working sumchain model.

        Raises
        ------
        UnknownName
            When no listed model has the name.
        NotAModel
            When the entry points at an address whose contract is gone or is no sumchain model.
        """
        from sumchain.client import SharedModel

        if is_address(reference):
            return SharedModel(self.chain, reference)
        entry = self.find(reference)
        if entry.problem is not None:
            raise NotAModel(f"the registry's entry {entry.name!r} is unusable: {entry.problem}")
        return SharedModel(self.chain, entry.address)

    def _model_of(self, name: str) -> str | None:
        if len(name.encode()) > MAX_NAME_BYTES:
            return None
        address = str(self._call("model_of", name))
        return None if address == _EMPTY else checksum(address)

    def _entry(self, raw: tuple[Any, ...], *, details: bool) -> RegistryEntry:
        model, owner, deployed_at, name = raw
        entry = RegistryEntry(
            name=bytes(name).decode(errors="replace"),
            address=checksum(model),
            owner=checksum(owner),
            deployed_at=int(deployed_at),
        )
        return self._with_details(entry) if details else entry

    def _with_details(self, entry: RegistryEntry) -> RegistryEntry:
        """The entry with its published score and what the model says of itself, or the reason it cannot say."""
        from sumchain.client import SharedModel

        entry = replace(entry, score=self.score_of(entry.address))
        try:
            model = SharedModel(self.chain, entry.address)
            metadata = model.metadata
        except SumchainError as exc:
            return replace(entry, problem=str(exc))
        return replace(
            entry,
            model_type=model.mirror_class.model_type,
            mechanism=model.mechanism_title,
            description=metadata.description,
            encoder=metadata.encoder,
        )

    def score_of(self, model: str) -> PublishedScore | None:
        """The test score the owner of ``model`` (an address) published last, or None
        (none published, or a registry of version 1, which keeps none)."""
        if self.version < SCORES_SINCE:
            return None
        correct, total, test_set, published_at = self._call("score", checksum(model))
        if int(total) == 0:
            return None
        return PublishedScore(int(correct), int(total), "0x" + bytes(test_set).hex(), int(published_at))

    # -- changing -------------------------------------------------------------

    def check_free(self, name: str, owner: str) -> str | None:
        """Check, before anything is sent, that ``owner`` may list a model under ``name``.

        Returns
        -------
        str or None
            The address of the owner's model now listed under the name (which a
            new listing would replace), or None.

        Raises
        ------
        InvalidName
            When the registry does not take the name.
        NameTaken
            When a model of another owner holds it.
        """
        holder = self._model_of(check_name(name))
        if holder is None:
            return None
        entry = self.entry_of(holder)
        assert entry is not None
        if entry.owner != checksum(owner):
            raise NameTaken(f"the name {name!r} is taken: {entry.address} (owner {entry.owner}) is listed under it")
        return holder

    def register(
        self,
        model: SharedModel | str,
        *,
        name: str | None = None,
        sender: str | int | None = None,
    ) -> Listed:
        """List a model under a name; only its owner may.

        Parameters
        ----------
        model : SharedModel or str
            The model, or its address.
        name : str, optional
            The name (see :func:`check_name`); by default the name in the model's metadata.
        sender : account index or address, optional
            The model's owner (account 0 by default).

        Raises
        ------
        NotAModel
            When the address holds no sumchain model.
        RegistryError
            When the sender is not the model's owner or the model is already listed;
            :class:`InvalidName` or :class:`NameTaken` for the name. Nothing is sent then.
        """
        from sumchain.client import SharedModel

        shared = model if isinstance(model, SharedModel) else SharedModel(self.chain, model)
        account = resolve_account(self.chain, sender)
        data, replaced = self.register_call(shared, name=name, sender=account)
        receipt = self.chain.transact(self.address, data, sender=account)
        found = self.entry_of(shared.address)
        assert found is not None
        return Listed(self._with_details(found), receipt, replaced)

    def register_call(self, model: SharedModel, *, name: str | None = None, sender: str) -> tuple[bytes, str | None]:
        """The ``register`` call of :meth:`register`, checked as it checks it but unsent (for a browser wallet).

        Parameters
        ----------
        model : SharedModel
            The model.
        name : str, optional
            The name; by default the name in the model's metadata.
        sender : str
            The address that will send it: the model's owner.

        Returns
        -------
        (bytes, str or None)
            The calldata, and the address of the sender's model whose name it takes, if any.

        Raises
        ------
        RegistryError
            As :meth:`register`.
        """
        listed_as = model.metadata.name if name is None else name
        self._check_owner(model.address, model.owner, sender)
        current = self.entry_of(model.address)
        if current is not None:
            raise RegistryError(f"{model.address} is already listed as {current.name!r} (delist it to rename it)")
        replaced = self.check_free(listed_as, sender)
        return self.abi.encode_call("register", model.address, listed_as), replaced

    def delist(self, reference: str, *, sender: str | int | None = None) -> RegistryEntry:
        """Remove a model (by name or address) from the list; only its owner may. Returns its entry.

        Raises
        ------
        UnknownName
            When no listed model has the name (or the address is not listed).
        RegistryError
            When the sender is not the model's owner; nothing is sent then.
        """
        if is_address(reference):
            entry = self.entry_of(reference)
            if entry is None:
                raise UnknownName(f"{checksum(reference)} is not listed in the registry at {self.address}")
        else:
            entry = self.find(reference)
        account = resolve_account(self.chain, sender)
        self._check_owner(entry.address, entry.owner, account)
        self.chain.transact(self.address, self.abi.encode_call("delist", entry.address), sender=account)
        return entry

    def publish_score(
        self,
        reference: str,
        samples: Sequence[Sequence[int]],
        labels: Sequence[int],
        *,
        sender: str | int | None = None,
    ) -> tuple[PublishedScore, Receipt]:
        """Score a listed model (by name or address) on a test set, and publish the score; only its owner may.

        Every test sample is predicted by the model on chain (free calls, one block);
        what is published is the count of right answers, the number of samples and
        :func:`hash_test_set` of the test set.

        Parameters
        ----------
        reference : str
            The model's name in the registry, or its address.
        samples : sequence of sequences of int
            The test samples, as the model's features (see :meth:`SharedModel.encode
            <sumchain.client.SharedModel.encode>` for texts).
        labels : sequence of int
            Their classes.
        sender : account index or address, optional
            The model's owner (account 0 by default).

        Returns
        -------
        (PublishedScore, Receipt)
            The score as the registry now holds it, and the transaction's receipt.

        Raises
        ------
        RegistryError
            Before anything is sent: a registry of version 1, a sender who is not the
            owner, no samples, or as many labels as samples. :class:`UnknownName` when
            the model is not listed; :class:`InvalidSample` for a bad sample.
        """
        from sumchain.client import SharedModel

        if self.version < SCORES_SINCE:
            raise RegistryError(f"the registry at {self.address} is of version 1, which keeps no scores")
        entry = self.entry_of(reference) if is_address(reference) else self.find(reference)
        if entry is None:
            raise UnknownName(f"{checksum(reference)} is not listed in the registry at {self.address}")
        account = resolve_account(self.chain, sender)
        self._check_owner(entry.address, entry.owner, account)
        if not samples or len(samples) != len(labels):
            raise RegistryError(f"a score needs test samples and one label each, got {len(samples)} and {len(labels)}")
        model = SharedModel(self.chain, entry.address)
        numbers = [model.check_label(y) for y in labels]
        correct = sum(p == y for p, y in zip(model.predict_many(samples), numbers, strict=True))
        digest = hash_test_set(samples, numbers)
        data = self.abi.encode_call("publish_score", entry.address, correct, len(numbers), digest)
        receipt = self.chain.transact(self.address, data, sender=account)
        published = self.score_of(entry.address)
        assert published is not None
        return published, receipt

    @staticmethod
    def _check_owner(model: str, owner: str, account: str) -> None:
        if checksum(owner) != account:
            raise RegistryError(f"{account} is not the owner of {model} ({owner} is): only the owner may")
