"""SharedModel: the one client of an on-chain model, on any :class:`Chain`.

The CLI, the demo and the tests all go through it; nothing else talks to the
contracts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from sumchain.chain.abi import ContractABI
from sumchain.chain.base import TX_GAS_CAP, BlockTag, Chain, Receipt, read_view, resolve_account
from sumchain.chain.compiler import compile_trainer
from sumchain.contributions import Contribution, contribution_key, find, replay
from sumchain.errors import InvalidSample, MetadataError, NotAModel, SumchainError
from sumchain.incentives import MECHANISMS, DepositRefundTake, Mechanism, Standing
from sumchain.incentives.prediction_market import PredictionMarket
from sumchain.metadata import ModelMetadata, check_class_count
from sumchain.models import MIRRORS, OnChainModel
from sumchain.models.samples import SampleCodec, check_label

if TYPE_CHECKING:
    from typing import Literal

    from sumchain.dataset import Dataset
    from sumchain.encoders import Encoder
    from sumchain.indexer import EventIndex
    from sumchain.registry import Listed, Registry

MAX_WORDS_PER_CALL = 2_048
_GAS_BUDGET = TX_GAS_CAP * 9 // 10
_CONTRIBUTION_EVENTS = ("DataAdded", "Refunded", "Reported")
RawInput = str | os.PathLike[str]
"""Raw input that a model's own encoder turns into features: a text, or the path of an image file."""


@dataclass(frozen=True)
class Call:
    """A transaction to a model, encoded and checked but unsent: for a chain to send, or a browser wallet.

    Parameters
    ----------
    data : bytes
        The calldata.
    value : int
        The wei to send with it.
    estimate_excess : int
        Wei more than ``value`` to estimate its gas with (see :meth:`SharedModel.add_data_call`).
    extra_gas : int
        Gas to send beyond the estimate's margin, for a call whose gas depends on the block it is
        mined in (see :meth:`Market.draw_call <sumchain.market.Market.draw_call>`).
    """

    data: bytes
    value: int = 0
    estimate_excess: int = 0
    extra_gas: int = 0


@dataclass(frozen=True)
class Added:
    """What ``add_data`` did: when, under which key, the deposit kept, the receipt.

    The full :class:`Contribution` (with its id and state) is looked up on each use of
    :attr:`contribution`, so that a loop of contributions pays for none.
    """

    key: bytes
    time: int
    author: str
    cost: int
    receipt: Receipt
    model: SharedModel = field(repr=False, compare=False)

    @property
    def contribution(self) -> Contribution:
        """The contribution as the model's events describe it now (refunded, reported...)."""
        return self.model.find_contribution("0x" + self.key.hex())


def _check_metadata(metadata: ModelMetadata, *, n_features: int, sparse: bool, n_classes: int) -> None:
    """Raise :class:`MetadataError` unless the metadata describes this model's features and classes."""
    kind = "indices" if sparse else "values"
    if metadata.n_features != n_features or metadata.feature_kind != kind:
        raise MetadataError(
            f"the model takes {n_features} feature {kind} but the metadata says "
            f"{metadata.n_features} feature {metadata.feature_kind}"
        )
    check_class_count(metadata, n_classes)


def _default_metadata(model: OnChainModel) -> ModelMetadata:
    """The metadata of a model deployed without any: its type as name, its features, no class names."""
    return ModelMetadata(
        name=model.model_type, n_features=model.n_features, feature_kind="indices" if model.sparse else "values"
    )


def _loaded(model: SharedModel, total: int) -> str:
    """``"N of total"`` words loaded, for a message about a failure (in which the chain may fail too)."""
    try:
        return f"{model.words_loaded()} of {total}"
    except SumchainError:
        return f"some of {total}"


class SharedModel:
    """A model with an incentive mechanism, deployed on a chain.

    Works with every model of :data:`sumchain.models.MIRRORS` and every
    mechanism of :data:`sumchain.incentives.MECHANISMS`: the contract tells
    which ones it holds (``model_type()``, ``mechanism_type()``); the matching
    mirror class validates and packs samples before anything is sent, and the
    :attr:`mechanism` object says what contributing costs, when a contribution
    may be refunded or reported, and what state it is in.

    Parameters
    ----------
    chain : Chain
        Where the model lives.
    address : str
        Address of its trainer contract.
    index : EventIndex, optional
        An event index (``sumchain index``) that :meth:`contributions` reads from
        whenever it holds this model's events up to the chain's head.

    Examples
    --------
    >>> from sumchain.chain.embedded import EmbeddedChain
    >>> chain = EmbeddedChain()
    >>> from sumchain.models import SparsePerceptron
    >>> model = SharedModel.deploy(chain, SparsePerceptron.from_weights([5, -5, 0, 0]))
    >>> model.predict([0]), model.predict([1])
    (1, 0)
    >>> added = model.add_data([1], 1, sender=1)
    >>> model.predict([1])
    1
    >>> SharedModel(chain, model.address).metadata.name
    'sparse perceptron'
    """

    def __init__(self, chain: Chain, address: str, *, index: EventIndex | None = None) -> None:
        self.chain = chain
        self.index = index
        self.address, model_type = read_view(chain, address, "model_type()", "string")
        _, mechanism_word = read_view(chain, address, "mechanism_type()", "bytes32")
        if model_type is None or mechanism_word is None:
            raise NotAModel(f"{self.address} is not a sumchain model (no contract there, or no model_type)")
        if model_type not in MIRRORS:
            raise NotAModel(f"{self.address} holds a {model_type!r} model, which this sumchain does not know")
        mechanism_type = bytes(mechanism_word).rstrip(b"\0").decode(errors="replace")
        if mechanism_type not in MECHANISMS:  # every mechanism, the prediction market included
            raise NotAModel(f"{self.address} uses the mechanism {mechanism_type!r}, which this sumchain does not know")
        self.mirror_class = MIRRORS[model_type]
        self.mechanism_class: type[Mechanism] | type[PredictionMarket] = MECHANISMS[mechanism_type]
        self.abi = ContractABI(compile_trainer(self.mirror_class.contract_model, mechanism_type).abi)

    # -- plumbing ----------------------------------------------------------

    def _call(self, name: str, *args: Any, block: BlockTag = None) -> Any:
        answer = self.chain.call(self.address, self.abi.encode_call(name, *args), block=block)
        if not answer:
            raise SumchainError(f"{self.address} returned nothing for {name}: is it a sumchain model?")
        return self.abi.decode_output(name, answer)

    def _transact(self, name: str, *args: Any, sender: str | int | None, value: int = 0) -> Receipt:
        return self._send_call(Call(self.abi.encode_call(name, *args), value), sender=sender)

    def _send_call(self, call: Call, *, sender: str | int | None) -> Receipt:
        """Send an unsent call (:class:`Call`) to this model and wait until it is mined."""
        account = resolve_account(self.chain, sender)
        estimate_value = call.value + call.estimate_excess if call.estimate_excess else None
        gas = None
        if call.extra_gas:
            estimate = self.chain.estimate_gas(self.address, call.data, sender=account, value=call.value)
            gas = estimate * 6 // 5 + call.extra_gas  # the chains' own margin (20%), and the extra
        return self.chain.transact(
            self.address, call.data, sender=account, value=call.value, gas=gas, estimate_value=estimate_value
        )

    def _events(self, receipt: Receipt, name: str) -> list[dict[str, Any]]:
        found = []
        for log in receipt.logs:
            decoded = self.abi.decode_event(list(log.topics), log.data)
            if log.address == self.address and decoded and decoded[0] == name:
                found.append(decoded[1])
        return found

    # -- deployment ----------------------------------------------------------

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        model: OnChainModel,
        *,
        mechanism: Mechanism | PredictionMarket | None = None,
        metadata: ModelMetadata | None = None,
        sender: str | int | None = None,
        on_chunk: Callable[[int, int, Receipt], None] | None = None,
        registry: Registry | Literal[False] | None = None,
        on_listed: Callable[[Listed], None] | None = None,
    ) -> SharedModel:
        """Deploy a fitted mirror as a new on-chain model, and list it in the chain's registry.

        The model's packed parameters go up in chunks after the contract is
        created; each chunk is as large as gas estimates allow under the Osaka
        per-transaction cap (16,777,216 gas) with a 10% margin. If the upload
        is interrupted, :meth:`upload_parameters` resumes it.

        When there is a registry, the model is listed under its metadata's name
        right after the contract is created (so the name is claimed before a
        long upload); whether the name is free is checked before anything is
        sent. See :class:`~sumchain.registry.Registry` for the name rule: a name
        you hold moves to the new model.

        Parameters
        ----------
        chain : Chain
            Target chain.
        model : OnChainModel
            A fitted mirror (any model of :data:`sumchain.models.MIRRORS`).
        mechanism : Mechanism, optional
            The incentive mechanism with its parameters (any of
            :data:`~sumchain.incentives.MECHANISMS`, or a
            :class:`~sumchain.market.PredictionMarket`, which
            :meth:`Market.create <sumchain.market.Market.create>` deploys and funds; by
            default :class:`~sumchain.incentives.DepositRefundTake` with its defaults).
        metadata : ModelMetadata, optional
            Published in the deployment (see :attr:`metadata`). By default the
            model type as name, its features and no class names.
        sender : account index or address, optional
            The owner (account 0 by default).
        on_chunk : callable, optional
            Called as ``on_chunk(words_done, words_total, receipt)`` after each
            transaction of the deployment proper, for progress display.
        registry : Registry or False, optional
            Where to list the model: by default the chain's own registry
            (:meth:`Registry.configured <sumchain.registry.Registry.configured>`:
            an embedded chain file has one), if any; False lists it nowhere.
        on_listed : callable, optional
            Called with the :class:`~sumchain.registry.Listed` result once listed.

        Raises
        ------
        MetadataError
            Before anything is sent, when ``metadata`` names another number of
            classes than the model has, or other features.
        InvalidName, NameTaken
            Before anything is sent, when the registry does not take the name or
            another owner's model holds it.
        SumchainError
            Once the contract is created, when listing or the upload fails (the node
            refused, the owner ran out of ether): the exception's note names the
            contract, and how many words are loaded.
        """
        from sumchain.registry import Registry

        code = cls.creation_code(model, mechanism=mechanism, metadata=metadata)
        account = resolve_account(chain, sender)
        listing = Registry.configured(chain) if registry is None else registry or None
        name = (metadata or _default_metadata(model)).name
        if listing is not None:
            listing.check_free(name, account)
        words = model.to_words()
        receipt = chain.deploy(code, sender=account)
        assert receipt.contract_address is not None
        shared = cls(chain, receipt.contract_address)
        try:
            if on_chunk:
                on_chunk(0, len(words), receipt)
            if listing is not None:
                listed = listing.register(shared, name=name, sender=account)
                if on_listed:
                    on_listed(listed)
            shared.upload_parameters(words, sender=account, on_chunk=on_chunk)
        except BaseException as exc:  # Ctrl-C too: the contract exists, and the owner must find it
            exc.add_note(
                f"The model was created at {shared.address}, {_loaded(shared, len(words))} of its parameter "
                f"words loaded: SharedModel(chain, {shared.address!r}).upload_parameters(words) goes on, "
                "with the same words."
            )
            raise
        return shared

    @staticmethod
    def creation_code(
        model: OnChainModel,
        *,
        mechanism: Mechanism | PredictionMarket | None = None,
        metadata: ModelMetadata | None = None,
    ) -> bytes:
        """The trainer's creation code with its constructor arguments: the first transaction of :meth:`deploy`.

        Raises
        ------
        MetadataError
            When ``metadata`` does not fit the model (see :meth:`deploy`), or names an
            encoder that gives other features.
        EncoderError
            When ``metadata`` names a sumchain encoder whose parameters do not hash to its id.
        """
        model._check_fitted(model._fitted_attribute)
        if metadata is None:
            metadata = _default_metadata(model)
        _check_metadata(metadata, n_features=model.n_features, sparse=model.sparse, n_classes=model.n_classes)
        from sumchain.encoders import check_published_encoder

        check_published_encoder(metadata)
        mechanism = mechanism or DepositRefundTake()
        compiled = compile_trainer(model.contract_model, mechanism.mechanism_type)
        return compiled.bytecode + ContractABI(compiled.abi).encode_constructor(
            model.model_params(), mechanism.words(), metadata.to_json()
        )

    def upload_parameters(
        self,
        words: Sequence[int],
        *,
        sender: str | int | None = None,
        on_chunk: Callable[[int, int, Receipt], None] | None = None,
    ) -> None:
        """Load the packed parameters, continuing where an interrupted upload stopped.

        Parameters
        ----------
        words : sequence of int
            All parameter words (``model.to_words()``); the ones already on
            chain (``words_loaded``) are skipped, once checked to be theirs. A
            finished upload sends nothing and is not compared: the model may
            have learned since.
        sender : account index or address, optional
            The owner.
        on_chunk : callable, optional
            Called as ``on_chunk(words_done, words_total, receipt)``.

        Raises
        ------
        SumchainError
            When the words already on chain in an unfinished upload are not the first of ``words``
            (the upload began with another fit: a shuffled fit without ``random_state`` differs each
            time), or the model holds another number of words; nothing is sent.
        """
        account = resolve_account(self.chain, sender)
        done = self._loaded_of(words)
        if 0 < done < len(words) and (on_chain := self._words(done)) != list(words[:done]):
            first = next(i for i, (a, b) in enumerate(zip(on_chain, words, strict=False)) if a != b)
            raise SumchainError(
                f"the {done} words already loaded at {self.address} are not the first of these (word {first} "
                "differs): its upload began with other parameters; resume with those, or deploy anew"
            )
        while (chunk := self.next_load(words, sender=account)) is not None:
            start, size, data = chunk
            receipt = self.chain.transact(self.address, data, sender=account)
            if on_chunk:
                on_chunk(start + size, len(words), receipt)

    def next_load(self, words: Sequence[int], *, sender: str) -> tuple[int, int, bytes] | None:
        """The next chunk of an upload of ``words``, from where the chain says the upload stands, unsent:
        for :meth:`upload_parameters`, or for a browser wallet to send.

        Parameters
        ----------
        words : sequence of int
            All parameter words (``model.to_words()``).
        sender : str
            The owner's address, who will send it (the chunk is sized by gas estimates as it).

        Returns
        -------
        (int, int, bytes) or None
            The first word of the chunk, its number of words and the ``load_parameters``
            calldata; None when every word is loaded.

        Raises
        ------
        SumchainError
            When the model holds another number of parameter words.
        """
        done = self._loaded_of(words)
        if done >= len(words):
            return None
        size = self._chunk_size(words[done:], sender, done)
        return done, size, self.abi.encode_call("load_parameters", done, list(words[done : done + size]))

    def _loaded_of(self, words: Sequence[int]) -> int:
        """How many of ``words`` are loaded, once checked to be as many as the model holds."""
        total = int(self._call("total_words"))
        if len(words) != total:
            raise SumchainError(f"the model holds {total} parameter words, got {len(words)}")
        return self.words_loaded()

    def _chunk_size(self, remaining: Sequence[int], account: str, start: int) -> int:
        """Largest chunk whose estimated gas stays within the budget."""
        probe = min(len(remaining), 64)
        if probe == 1:
            return 1

        def gas(count: int) -> int:
            data = self.abi.encode_call("load_parameters", start, list(remaining[:count]))
            return self.chain.estimate_gas(self.address, data, sender=account)

        one, many = gas(1), gas(probe)
        per_word = max((many - one) // (probe - 1), 1)
        size = (_GAS_BUDGET - one) // per_word + 1
        return max(1, min(size, len(remaining), MAX_WORDS_PER_CALL))

    # -- reading -------------------------------------------------------------

    @cached_property
    def params(self) -> tuple[int, ...]:
        """The model's parameters (immutable on chain, read once)."""
        return tuple(int(p) for p in self._call("parameters"))

    @property
    def n_features(self) -> int:
        """Size of the feature space, or the dimension of a dense model."""
        return self.params[0]

    @cached_property
    def n_classes(self) -> int:
        """Number of classes (immutable on chain, read once)."""
        return int(self._call("n_classes"))

    @cached_property
    def codec(self) -> SampleCodec:
        """Validates and packs this model's samples."""
        return self.mirror_class.codec_for(self.params)

    def _encode(self, sample: Iterable[int]) -> bytes:
        return self.codec.encode(sample)

    @cached_property
    def encoder(self) -> Encoder:
        """The model's own encoder of raw input, rebuilt from its metadata (id and parameters).

        Raises
        ------
        EncoderUnavailable
            When the metadata names no encoder, or one this installation cannot run (the message
            names the extra to install).
        EncoderError, MetadataError
            When the published parameters do not hash to the id, or give other features.
        """
        from sumchain.encoders import encoder_of

        return encoder_of(self.metadata)

    def encode(self, raw: Any) -> list[int]:
        """Raw input as this model's features, through its own encoder.

        Parameters
        ----------
        raw : str, path or array
            A text, or an image (the :class:`~pathlib.Path` of a file, or a 2-D array of grey
            levels), as the model's encoder reads.

        Raises
        ------
        InvalidSample
            When the input is of the wrong kind or the encoder refuses it (empty, oversize, wrong shape).
        """
        self._check_input(raw)
        return self._select(self.encoder.encode(raw))

    def encode_many(self, raws: Iterable[Any]) -> list[list[int]]:
        """Several raw inputs as this model's features (the error names the first bad one).

        Raises
        ------
        InvalidSample
            As :meth:`encode`, with the input's position.
        """
        items = list(raws)
        for i, raw in enumerate(items):
            try:
                self._check_input(raw)
            except InvalidSample as exc:
                raise InvalidSample(f"input {i}: {exc}") from None
        return [self._select(features) for features in self.encoder.transform(items)]

    def _check_input(self, raw: Any) -> None:
        """Raise unless the model's encoder reads this kind of input (text or image)."""
        kind = "text" if isinstance(raw, str) else "image"
        if kind != self.encoder.input_kind:
            raise InvalidSample(f"this model's encoder reads {self.encoder.input_kind}s, not {kind}s")

    def _select(self, features: list[int]) -> list[int]:
        """The positions a dense model reads (its metadata's ``feature_indices``), else all."""
        positions = self.metadata.feature_indices
        if positions is not None and self.encoder.feature_kind == "values":
            return [features[p] for p in positions]
        return features

    def _features(self, sample: Iterable[int] | RawInput) -> Iterable[int]:
        """A sample as features: raw input goes through :meth:`encode`."""
        return self.encode(sample) if isinstance(sample, str | os.PathLike) else sample

    @cached_property
    def deployed_at(self) -> int:
        """Number of the block that created the model (immutable on chain, read once)."""
        return int(self._call("deployed_at"))

    @cached_property
    def metadata(self) -> ModelMetadata:
        """The metadata published when the model was deployed (read once).

        Fetched from the ``MetadataPublished`` event of the deployment block
        alone: only the contract's constructor emits it, and a log carries the
        address that emitted it, so no other account can forge it.

        Raises
        ------
        SumchainError
            When the node has no such event (some prune old logs);
            :class:`MetadataError` when the metadata is malformed or does not
            fit the model.
        """
        block = self.deployed_at
        for log in self.chain.logs(self.address, from_block=block, to_block=block):
            decoded = self.abi.decode_event(list(log.topics), log.data)
            if not decoded or decoded[0] != "MetadataPublished":
                continue
            metadata = ModelMetadata.from_json(bytes(decoded[1]["metadata"]))
            _check_metadata(metadata, n_features=self.n_features, sparse=self.codec.sparse, n_classes=self.n_classes)
            return metadata
        raise SumchainError(
            f"no MetadataPublished event of {self.address} in its deployment block {block} "
            "(the node may have pruned old logs)"
        )

    def class_name(self, label: int) -> str:
        """The name of class ``label`` as the metadata gives it (its number when unnamed).

        Raises
        ------
        InvalidSample
            When the model has no class ``label``.
        """
        return self.metadata.class_name(check_label(label, self.n_classes))

    def label(self, value: str | int) -> int:
        """The class number of a class name, a unique prefix of one, or a number.

        Raises
        ------
        InvalidSample
            When ``value`` names no class of the model, or several.
        """
        return self.metadata.label(value, self.n_classes)

    @cached_property
    def owner(self) -> str:
        """The account that deployed the model."""
        return str(self._call("owner"))

    @property
    def mechanism_title(self) -> str:
        """The name of the model's incentive mechanism, for people."""
        return self.mechanism_class.title

    @cached_property
    def mechanism(self) -> Mechanism:
        """The incentive mechanism with its parameters (immutable on chain, read once).

        Raises
        ------
        SumchainError
            For a prediction market, which has phases rather than claims: see :class:`sumchain.market.Market`.
        """
        self._refuse_market()
        return cast("type[Mechanism]", self.mechanism_class).from_chain(lambda name: int(self._call(name)))

    def _refuse_market(self) -> None:
        """A prediction market, which has stakes and phases instead of deposits and claims, refused in words."""
        if not issubclass(self.mechanism_class, Mechanism):
            raise SumchainError(
                f"{self.address} is a prediction market: its contributions are staked and scored in phases "
                "(sumchain market contribute / status, or sumchain.market.Market in Python)"
            )

    def words_loaded(self) -> int:
        """Parameter words uploaded so far (all of them once the model is ready)."""
        return int(self._call("words_loaded"))

    def total_words(self) -> int:
        """Parameter words the model has in all, once uploaded."""
        return int(self._call("total_words"))

    def ready(self) -> bool:
        """Whether every parameter word is loaded, so that the model takes predictions and data."""
        return self.words_loaded() == self.total_words()

    def parameter_words(self, *, block: int | None = None) -> list[int]:
        """Every packed parameter word, as stored on chain now, or after block ``block``
        (on a node that keeps past state)."""
        return self._words(self.total_words(), block=block)

    def _words(self, total: int, *, block: int | None = None) -> list[int]:
        """The first ``total`` parameter words."""
        words: list[int] = []
        while len(words) < total:
            count = min(MAX_WORDS_PER_CALL, total - len(words))
            words.extend(int(w) for w in self._call("parameter_words", len(words), count, block=block))
        return words

    def mirror(self) -> OnChainModel:
        """A Python mirror holding exactly the on-chain state.

        Raises
        ------
        SumchainError
            While the parameters are not all loaded (the rest would read as zeros).
        """
        total = int(self._call("total_words"))
        if (done := self.words_loaded()) < total:
            raise SumchainError(
                f"{self.address} has {done} of its {total} parameter words loaded: its upload is not finished "
                "(upload_parameters goes on)"
            )
        return self.mirror_class.from_chain(self.params, self._words(total))

    def predict(self, sample: Iterable[int] | RawInput) -> int:
        """The model's class for one sample, or a text or image file through its encoder (a free call)."""
        return int(self._call("predict", self._encode(self._features(sample))))

    def predict_many(self, samples: Iterable[Iterable[int] | RawInput]) -> list[int]:
        """The model's class for each sample, all against the same block (free calls).

        Every sample is validated before anything is sent (the error names the
        first bad one); the calls then go in one batch (one state read on the
        embedded chain, one JSON-RPC batch on a node). Texts and image files
        are encoded one by one; ``predict_many(encode_many(texts))`` lets an
        encoder that can (the sentence embedding) work on several at once.
        """
        datas = []
        for i, sample in enumerate(samples):
            try:
                datas.append(self.abi.encode_call("predict", self._encode(self._features(sample))))
            except InvalidSample as exc:
                raise InvalidSample(f"sample {i}: {exc}") from None
        return [int.from_bytes(answer, "big") for answer in self.chain.call_many(self.address, datas)]

    def cost(self) -> int:
        """The deposit a contribution sent now needs, in wei: read in the block it goes into, after the
        contributions a node holds for that block (another's, or the account's own still pending),
        since each raises it.

        Raises
        ------
        SumchainError
            For a prediction market, whose contributions are staked (see :attr:`mechanism`).
        """
        self._refuse_market()
        return int(self._call("cost", block="pending"))

    def num_valid(self, account: str | int | None) -> int:
        """Refunded (validated) contributions of an account."""
        return int(self._call("num_valid", resolve_account(self.chain, account, signing=False)))

    def points(self, account: str | int | None) -> int:
        """Points of an account under the Points mechanism: its validated contributions and recorded reports."""
        return int(self._call("points", resolve_account(self.chain, account, signing=False)))

    def standings(self) -> list[Standing]:
        """The mechanism's leaderboard (points, or wei gained), best first, rebuilt from every contribution."""
        return self.mechanism.standings(self.contributions(everyone=True))

    def pending_withdrawal(self, account: str | int | None) -> int:
        """Payments kept for ``account`` because it refused a push."""
        return int(self._call("pending_withdrawals", resolve_account(self.chain, account, signing=False)))

    def balance(self, account: str | int | None) -> int:
        """Balance of an account in wei."""
        return self.chain.balance(resolve_account(self.chain, account, signing=False))

    def contributions(
        self, account: str | int | None = None, *, everyone: bool = False, use_index: bool = True
    ) -> list[Contribution]:
        """Contributions of ``account`` (account 0 by default), or of everyone, in order.

        Rebuilt from the model's events: read from :attr:`index` when it is up to
        date (and ``use_index``), else fetched since the deployment block (one log
        query, in block ranges on a node); not one call per contribution. Both
        give the same contributions.
        """
        author = None if everyone else resolve_account(self.chain, account, signing=False)
        found = self._replay(use_index)
        return found if author is None else [c for c in found if c.author == author]

    def dataset(self) -> Dataset:
        """The contributed dataset: every contribution's sample, label, author, time, deposit and
        state, rebuilt from the events (see :mod:`sumchain.dataset` for its files)."""
        from sumchain.dataset import Dataset

        names = tuple(self.class_name(k) for k in range(self.n_classes))
        return Dataset(tuple(self._replay()), names, self.codec.sparse)

    def find_contribution(self, reference: str | int, *, use_index: bool = True) -> Contribution:
        """A contribution by its id (``12``, ``"#12"``) or its key (``"0x3fa2..."``, or a unique prefix).

        Read from :attr:`index` as :meth:`contributions` does.

        Raises
        ------
        UnknownContribution
            When no contribution, or several, match.
        SumchainError
            For a reference that is neither an id nor a key.
        """
        return find(self._replay(use_index), reference)

    def contribution(
        self, data: Iterable[int] | RawInput, label: int | str, added_time: int, author: str | int
    ) -> Contribution:
        """The contribution with this sample, label, time and author (in the forms :meth:`add_data`
        and ``sender`` take).

        Raises
        ------
        SumchainError
            When there is no such contribution.
        """
        sample, number = self.labelled(data, label)
        author = resolve_account(self.chain, author, signing=False)
        return self.find_contribution("0x" + contribution_key(sample, number, added_time, author).hex())

    def _replay(self, use_index: bool = True) -> list[Contribution]:
        from sumchain.indexer import is_current

        if use_index and self.index is not None and is_current(self.index, self.chain, self.address):
            events = self.index.events(self.address, _CONTRIBUTION_EVENTS)
        else:
            events = []
            for log in self.chain.logs(self.address, from_block=self.deployed_at):
                decoded = self.abi.decode_event(list(log.topics), log.data)
                if decoded and decoded[0] in _CONTRIBUTION_EVENTS:
                    events.append((decoded[0], decoded[1], log.block_number))
        return replay(events, decode_sample=self.codec.decode, mechanism=self.mechanism)

    def check_label(self, label: str | int) -> int:
        """The class number of ``label``: a number below :attr:`n_classes`, or a class name (or unique prefix).

        Raises
        ------
        InvalidSample
            For anything else (booleans and floats included).
        """
        if isinstance(label, str):
            return self.label(label)
        return check_label(label, self.n_classes)

    # -- transactions --------------------------------------------------------

    def add_data(
        self,
        sample: Iterable[int] | RawInput,
        label: int | str,
        *,
        sender: str | int | None = None,
        value: int | None = None,
    ) -> Added:
        """Teach the model one labelled sample, paying the current deposit (if the mechanism asks one).

        Parameters
        ----------
        sample : iterable of int, str or path
            Sorted, unique feature indices (sparse models) or fixed-point
            values (dense models); or a text or the path of an image file,
            through the model's own encoder (:meth:`encode`).
        label : int or str
            A class: ``0 .. n_classes - 1``, or its name (see :meth:`label`).
        sender : account index or address, optional
            The contributor (account 0 by default).
        value : int, optional
            Value to send; by default the current cost. The contract keeps the
            deposit it needs and sends the rest back.
        """
        receipt = self._send_call(self.add_data_call(sample, label, value=value), sender=sender)
        event = self._events(receipt, "DataAdded")[0]
        key = contribution_key(bytes(event["data"]), int(event["label"]), event["time"], event["sender"])
        return Added(key, int(event["time"]), event["sender"], int(event["cost"]), receipt, self)

    def add_data_call(self, sample: Iterable[int] | RawInput, label: int | str, *, value: int | None = None) -> Call:
        """The :meth:`add_data` transaction, unsent: the sample and label checked and encoded, and
        the current deposit (or ``value``) to send. Its gas is to be estimated with one wei more
        (``estimate_excess``): mined later, when the deposit has fallen, the change the contract
        pays back needs gas that an estimate with the exact deposit leaves out.

        Raises
        ------
        InvalidSample
            For a sample or label the model does not take.
        """
        data, number = self.labelled(sample, label)
        paid = self.cost() if value is None else value
        return Call(self.abi.encode_call("add_data", data, number), paid, estimate_excess=1)

    def labelled(self, sample: Iterable[int] | RawInput, label: int | str) -> tuple[bytes, int]:
        """A sample (raw input through the encoder) packed, and its label's class number, both checked.

        Raises
        ------
        InvalidSample
            For a sample or label the model does not take.
        """
        return self._encode(self._features(sample)), self.check_label(label)

    def refund_call(self, sample: Iterable[int] | RawInput, label: int | str, added_time: int) -> Call:
        """The :meth:`refund` transaction, unsent (the sample and label as :meth:`add_data` takes them)."""
        return Call(self.abi.encode_call("refund", *self.labelled(sample, label), added_time))

    def report_call(
        self, sample: Iterable[int] | RawInput, label: int | str, added_time: int, author: str | int
    ) -> Call:
        """The :meth:`report` transaction, unsent (the sample and label as :meth:`add_data` takes them,
        the author as ``sender``).

        Raises
        ------
        UnknownAccount
            When ``author`` is neither an address nor a dev account's number.
        """
        author = resolve_account(self.chain, author, signing=False)
        return Call(self.abi.encode_call("report", *self.labelled(sample, label), added_time, author))

    def refund(
        self, sample: Iterable[int] | RawInput, label: int | str, added_time: int, *, sender: str | int | None = None
    ) -> int:
        """Get back the deposit of one's own contribution (or have it validated); returns the amount paid."""
        receipt = self._send_call(self.refund_call(sample, label, added_time), sender=sender)
        return int(self._events(receipt, "Refunded")[0]["amount"])

    def report(
        self,
        sample: Iterable[int] | RawInput,
        label: int | str,
        added_time: int,
        author: str | int,
        *,
        sender: str | int | None = None,
    ) -> int:
        """Take (part of) the deposit of another's contribution (or have the report recorded); returns the amount."""
        receipt = self._send_call(self.report_call(sample, label, added_time, author), sender=sender)
        return int(self._events(receipt, "Reported")[0]["amount"])

    def withdraw(self, *, sender: str | int | None = None) -> int:
        """Collect payments that could not be pushed; returns the amount."""
        receipt = self._transact("withdraw", sender=sender)
        return int(self._events(receipt, "Withdrawn")[0]["amount"])

    def withdraw_to(self, recipient: str | int, *, sender: str | int | None = None) -> int:
        """Have the payments kept for ``sender`` sent to ``recipient`` (an account index or
        any address but the zero address, which would burn them); returns the amount."""
        to = resolve_account(self.chain, recipient, signing=False)
        if int(to, 16) == 0:
            raise SumchainError("withdraw_to the zero address would burn the payments: name a recipient")
        receipt = self._transact("withdraw_to", to, sender=sender)
        return int(self._events(receipt, "Withdrawn")[0]["amount"])
