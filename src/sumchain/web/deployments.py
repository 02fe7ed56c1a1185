"""Deployments started from the page: the built-in model or a reference-format model file, uploaded
in chunks in a thread of their own, with progress the page polls (so a reload finds it again).

A browser wallet deploys without the server's thread: :func:`wallet_step` gives the page the
next unsigned transaction (create, list in the registry, load a chunk) from where the chain says
the deployment stands, so that the page, reloaded half-way, carries on from the chain.

An unfinished deploy is remembered (:mod:`sumchain.unfinished`, the note ``sumchain deploy``
keeps too) in the embedded chain file, or on a node in the dashboard's notes (``sumchain serve``:
the workspace's): the same deployment asked again, after the server or the CLI stopped
half-way, finishes the upload of that model, from the words the contract holds, instead of
deploying another. The page asks again by itself when a reload finds the server restarted.

A deployment works on a handle of its own to the same chain (the chain file opened again, or a
new connection to the node), so the rest of the API keeps answering while the chunks go up;
an in-memory chain has no second handle, and its deployment holds the dashboard's lock instead.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sumchain.units import is_whole
from sumchain.web.errors import ApiError, failure_message, shown

if TYPE_CHECKING:
    from sumchain.chain.base import Chain, Receipt
    from sumchain.client import SharedModel
    from sumchain.incentives import Mechanism
    from sumchain.market import PredictionMarket
    from sumchain.metadata import ModelMetadata
    from sumchain.models import OnChainModel
    from sumchain.web.dashboard import Dashboard

MECHANISM_OPTIONS = ("cost_weight", "refund_wait", "owner_claim_wait", "any_claim_wait")
"""The mechanism parameters a deployment request may give (each mechanism refuses the ones it does not take)."""
MARKET_OPTIONS = ("bounty", "stake", "min_duration", "min_contributions", "reveal_window", "claim_wait")
"""A prediction market's parameters a deployment request may give (see :func:`market_bounty`)."""
MAX_UPLOAD = 16 * 2**20
"""Largest deployment request, in bytes (a model file travels inside it as text)."""


@dataclass
class Deployment:
    """One deployment's progress, as the page shows it."""

    id: str
    name: str
    model_type: str
    words_total: int
    words_done: int = 0
    state: str = "running"
    address: str | None = None
    error: str | None = None
    transactions: int = 0
    resumed_from: int | None = None
    bounty: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Its state: ``running``, ``done`` or ``failed``; words uploaded of the total; the address once
        created; a prediction market's ``bounty`` (an amount, funded once the upload is done)."""
        from sumchain.web.mechanism import amount

        with self._lock:
            return {
                "id": self.id,
                "name": self.name,
                "model_type": self.model_type,
                "state": self.state,
                "words_done": self.words_done,
                "words_total": self.words_total,
                "transactions": self.transactions,
                "address": self.address,
                "error": self.error,
                "resumed_from": self.resumed_from,
                "bounty": None if self.bounty is None else amount(self.bounty),
            }

    def progressed(self, done: int, total: int, receipt: Receipt) -> None:
        """``on_chunk`` of :meth:`SharedModel.deploy <sumchain.client.SharedModel.deploy>`."""
        with self._lock:
            self.words_done, self.words_total = done, total
            self.transactions += 1
            if receipt.contract_address and self.address is None:
                self.address = receipt.contract_address

    def sent(self, *_: object) -> None:
        """One transaction more beside the upload's: the listing (``on_listed``), a market's funding."""
        with self._lock:
            self.transactions += 1

    def resumed(self, words_loaded: int, address: str) -> None:
        """The deploy continues an unfinished one (this dashboard's or ``sumchain deploy``'s) at ``address``."""
        with self._lock:
            self.resumed_from, self.words_done, self.address = words_loaded, words_loaded, address

    def finish(self, address: str | None, error: str | None) -> None:
        """Record the end: the address made, or the error (one line for the page, see
        :func:`~sumchain.web.errors.failure_message`)."""
        with self._lock:
            self.state = "failed" if error else "done"
            self.address, self.error = address or self.address, error


def unfunded(model: SharedModel) -> bool:
    """Whether ``model`` is a prediction market whose bounty is not funded yet."""
    from sumchain.market import Market, PredictionMarket

    return model.mechanism_class is PredictionMarket and Market(model).status()["bounty"] == 0


def _check_bounty(chain: Chain, sender: str, bounty: int) -> None:
    """A bounty, checked before anything is deployed (by a dev account, or a wallet): the sender holds it,
    and ``sumchain serve --max-deposit`` lets it through."""
    from sumchain.cli.models import check_bounty
    from sumchain.web.wallet import check_limit

    check_bounty(chain, sender, bounty, None)
    check_limit(chain, sender, None, bounty)


def second_handle(chain: Chain) -> Chain | None:
    """Another handle to the same chain, for work beside the API's, or None (an in-memory chain)."""
    from sumchain.chain.embedded import EmbeddedChain

    if isinstance(chain, EmbeddedChain):
        return None if chain.path is None else EmbeddedChain(chain.path)
    url = getattr(chain, "url", None)
    if isinstance(url, str):
        from sumchain.web.server import keyless_chain

        return keyless_chain(url)
    return None


class Deployments:
    """The deployments this server started, by id.

    Parameters
    ----------
    board : Dashboard
        The dashboard whose chain and registry the models go to.
    """

    def __init__(self, board: Dashboard) -> None:
        self.board = board
        self._found: dict[str, Deployment] = {}
        self._under_way: set[str] = set()  # the names being deployed, so that one name is deployed once at a time
        self._names = threading.Lock()

    def get(self, ident: str) -> Deployment:
        """The deployment with this id.

        Raises
        ------
        ApiError
            404 when this server started none with it (a restarted server forgets them).
        """
        if ident not in self._found:
            raise ApiError(404, f"no deployment {ident!r} on this server (a restarted server forgets them)")
        return self._found[ident]

    def start(
        self,
        mirror: OnChainModel,
        metadata: ModelMetadata,
        mechanism: Mechanism | PredictionMarket,
        sender: str,
        bounty: int | None = None,
    ) -> Deployment:
        """Check the model and its metadata, then deploy it in a thread; returns its progress at once.

        A prediction market's ``bounty`` (wei) is funded once the upload is done.

        Raises
        ------
        SumchainError
            Before anything is sent: metadata that does not fit, a name the registry refuses or another
            owner holds, a bounty the sender does not hold or that the chain's ``confirm`` hook refuses
            (``sumchain serve --max-deposit``).
        ApiError
            409 while another deployment of the same name runs on this server.
        """
        from sumchain.client import SharedModel

        SharedModel.creation_code(mirror, mechanism=mechanism, metadata=metadata)
        if self.board.registry is not None:
            self.board.registry.check_free(metadata.name, sender)
        if bounty is not None:
            _check_bounty(self.board.chain, sender, bounty)
        with self._names:
            if metadata.name in self._under_way:
                raise ApiError(
                    409, f"a deployment named {metadata.name!r} is under way on this server: wait for its end"
                )
            self._under_way.add(metadata.name)
        job = Deployment(secrets.token_hex(8), metadata.name, mirror.model_type, len(mirror.to_words()), bounty=bounty)
        try:
            threading.Thread(target=self._run, args=(job, mirror, metadata, mechanism, sender), daemon=True).start()
        except BaseException:
            self._release(metadata.name)
            raise
        self._found[job.id] = job
        return job

    def _release(self, name: str) -> None:
        """The deployment of ``name`` ended (or never started): another may begin."""
        with self._names:
            self._under_way.discard(name)

    def _run(
        self,
        job: Deployment,
        mirror: OnChainModel,
        metadata: ModelMetadata,
        mechanism: Mechanism | PredictionMarket,
        sender: str,
    ) -> None:
        from sumchain.client import SharedModel
        from sumchain.market import Market
        from sumchain.registry import Registry

        def deploy(chain: Chain) -> str:
            from sumchain.chain.embedded import EmbeddedChain
            from sumchain.unfinished import ChainNotes, fingerprint, remember_unfinished, unfinished_deploys

            notes = ChainNotes(chain) if isinstance(chain, EmbeddedChain) else self.board.notes
            known = fingerprint(mirror, metadata, mechanism, sender)
            address = None if notes is None else unfinished_deploys(notes).get(known)
            listed = self.board.registry
            registry = None if listed is None else Registry(chain, listed.address)
            if address is not None:
                model = SharedModel(chain, address)
                job.resumed(model.words_loaded(), address)
                if registry is not None and registry.entry_of(address) is None:
                    job.sent(registry.register(model, name=metadata.name, sender=sender))
                model.upload_parameters(mirror.to_words(), sender=sender, on_chunk=job.progressed)
            else:

                def on_chunk(done: int, total: int, receipt: Receipt) -> None:
                    job.progressed(done, total, receipt)
                    if notes is not None and done == 0 and receipt.contract_address:
                        remember_unfinished(notes, known, receipt.contract_address)

                model = SharedModel.deploy(
                    chain,
                    mirror,
                    mechanism=mechanism,
                    metadata=metadata,
                    sender=sender,
                    on_chunk=on_chunk,
                    registry=registry or False,
                    on_listed=job.sent,
                )
            if job.bounty is not None and unfunded(model):
                Market(model).fund(job.bounty, sender=sender)
                job.sent()
            if notes is not None:
                remember_unfinished(notes, known, None)
            return model.address

        handle = None
        try:
            handle = second_handle(self.board.chain)
            if handle is None:
                with self.board.lock:
                    address = deploy(self.board.chain)
            else:
                address = deploy(handle)
        except Exception as exc:  # the page learns of it in one line (a bug is logged whole)
            job.finish(None, failure_message(exc))
        else:
            job.finish(address, None)
        finally:
            self._release(metadata.name)
            close = getattr(handle, "close", None)
            if close is not None:
                close()


def wallet_step(board: Dashboard, body: dict[str, Any], sender: str) -> dict[str, Any]:
    """The next transaction of a deployment from the browser wallet at ``sender``, from where the chain stands.

    ``body`` is a deployment request (see :func:`model_from_request`) and, once the
    contract exists, its ``address``. The steps: create the contract; list it in the
    registry (if the dashboard has one); load the parameters chunk by chunk, starting
    at the words the contract holds (so a page reloaded half-way resumes); fund a prediction
    market's bounty (:func:`market_bounty`); done.

    Returns
    -------
    dict
        ``state`` (``running`` or ``done``), ``name``, ``model_type``, ``words_done``,
        ``words_total``, ``address`` (None before the creation), ``bounty`` (a market's, as an
        amount, or None) and ``transaction``, the
        unsigned transaction to send next (see :func:`~sumchain.web.wallet.wallet_transaction`), or None.

    Raises
    ------
    ApiError, SumchainError
        Before anything is built: a malformed request, a name the registry refuses or another
        owner holds (400), an ``address`` that holds another model or another owner's (409).
    """
    from sumchain.client import SharedModel
    from sumchain.market import Market
    from sumchain.web.mechanism import amount
    from sumchain.web.wallet import wallet_transaction

    mirror, metadata, mechanism = model_from_request(body)
    bounty = market_bounty(body, mechanism)
    words = mirror.to_words()
    progress: dict[str, Any] = {
        "name": metadata.name,
        "model_type": mirror.model_type,
        "words_done": 0,
        "words_total": len(words),
        "address": None,
        "bounty": None if bounty is None else amount(bounty),
    }
    chain, registry, address = board.chain, board.registry, body.get("address")
    if address is None:
        code = SharedModel.creation_code(mirror, mechanism=mechanism, metadata=metadata)
        if registry is not None:
            registry.check_free(metadata.name, sender)
        if bounty is not None:
            _check_bounty(chain, sender, bounty)
        built = wallet_transaction(chain, sender, None, code, action="create")
        return progress | {"state": "running", "transaction": built}
    if not isinstance(address, str):
        raise ApiError(400, f"address must be the created contract's address, got {shown(address)}")
    model = board.model(address)
    same = (model.mirror_class.model_type, model.params, model.metadata.to_json()) == (
        mirror.model_type,
        tuple(mirror.model_params()),
        metadata.to_json(),
    )
    if not same or model.owner != sender:
        raise ApiError(409, f"{model.address} is not this deployment: another model, or another owner's")
    progress |= {"address": model.address, "words_done": model.words_loaded()}
    if registry is not None and registry.entry_of(model.address) is None:
        data, _ = registry.register_call(model, name=metadata.name, sender=sender)
        built = wallet_transaction(chain, sender, registry.address, data, action="register")
        return progress | {"state": "running", "transaction": built}
    chunk = model.next_load(words, sender=sender)
    if chunk is None and bounty is not None and unfunded(model):
        call = Market(model).fund_call(bounty)
        built = wallet_transaction(chain, sender, model.address, call.data, action="fund the bounty", value=call.value)
        return progress | {"state": "running", "transaction": built}
    if chunk is None:
        return progress | {"state": "done", "transaction": None}
    start, size, data = chunk
    built = wallet_transaction(chain, sender, model.address, data, action=f"load words {start:,} to {start + size:,}")
    return progress | {"state": "running", "transaction": built}


def _text(body: dict[str, Any], key: str, default: str | None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"{key} must be a string, got {type(value).__name__}")
    return value


def model_from_request(body: dict[str, Any]) -> tuple[OnChainModel, ModelMetadata, Mechanism | PredictionMarket]:
    """The model, metadata and mechanism a deployment request asks for.

    ``source`` is ``builtin`` (the sample sentiment model) or ``file`` with ``file_text``, a
    reference-format model file (JSON: never a pickle); ``name`` and ``description`` replace
    the file's; ``cost_weight`` (``0.001ether``) and the waits (``90``, ``30m``, ``1d``) as the
    CLI's options, for the ``mechanism`` named (``deposit_refund_take`` by default, or ``points``);
    for ``prediction_market``, :data:`MARKET_OPTIONS` as ``sumchain market create`` takes them.

    Raises
    ------
    ApiError, SumchainError
        For anything missing or malformed, a file of an unknown model type included (400).
    """
    from dataclasses import replace

    from sumchain import safe_json
    from sumchain.cli.models import mechanism_from_options, sample_model
    from sumchain.models.reference_file import MAX_JSON_ITEMS, model_file_from_spec

    source = body.get("source")
    name, description = _text(body, "name", None) or None, _text(body, "description", None)
    if source == "builtin":
        mirror, metadata = sample_model(name, description)
    elif source == "file":
        text = _text(body, "file_text", None)
        if not text:
            raise ApiError(400, "a file deployment needs file_text, the model file's JSON")
        try:
            spec = safe_json.loads(text, max_items=MAX_JSON_ITEMS)
        except ValueError as exc:
            raise ApiError(400, f"the model file is not valid JSON: {exc}") from None
        loaded = model_file_from_spec(spec, name=name or "uploaded model")
        mirror = loaded.model
        metadata = replace(
            loaded.metadata,
            name=name or loaded.metadata.name,
            description=loaded.metadata.description if description is None else description,
        )
    else:
        raise ApiError(400, f"source must be builtin or file, got {shown(source)}")
    name_of = _text(body, "mechanism", "deposit_refund_take") or ""
    options = {key: _text(body, key, None) for key in MECHANISM_OPTIONS}
    market = {key: body[key] for key in MARKET_OPTIONS if body.get(key) is not None}
    if name_of == "prediction_market":
        given = [key for key, value in options.items() if value is not None]
        if given:
            raise ApiError(400, f"a prediction market takes {', '.join(MARKET_OPTIONS)}, not {', '.join(given)}")
        return mirror, metadata, _market_parameters(market)
    if market:
        raise ApiError(400, f"the prediction market's parameters ({', '.join(market)}) do not go with {name_of}")
    return mirror, metadata, mechanism_from_options(name_of, False, options)


def _market_parameters(given: dict[str, Any]) -> PredictionMarket:
    """A prediction market's parameters from a deployment request (see :func:`model_from_request`)."""
    from sumchain.cli.models import market_from_options

    texts = {key: _text(given, key, None) for key in MARKET_OPTIONS if key not in ("min_contributions", "bounty")}
    count = given.get("min_contributions", 1)
    if isinstance(count, str) and is_whole(count):
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int):
        raise ApiError(400, f"min_contributions must be a whole number, got {shown(count)}")
    return market_from_options(**{key: text for key, text in texts.items() if text}, min_contributions=count)


def market_bounty(body: dict[str, Any], mechanism: Mechanism | PredictionMarket) -> int | None:
    """The bounty (wei) a prediction market's deployment request funds (``bounty``, as ``0.1ether``), or
    None for another mechanism.

    Raises
    ------
    ApiError
        400 for a market without a bounty.
    SumchainError
        For an amount that does not parse (400).
    """
    from sumchain.market import PredictionMarket
    from sumchain.units import parse_amount

    if not isinstance(mechanism, PredictionMarket):
        return None
    bounty = _text(body, "bounty", None)
    if not bounty:
        raise ApiError(400, "a prediction market needs a bounty, e.g. 0.1ether")
    return parse_amount(bounty)
