"""What one ``sumchain`` invocation works on: a chain, an account, a model, and what it remembers.

The chain is opened on first use from ``--chain``. The current model is
``--model`` (or ``$SUMCHAIN_MODEL``): a name listed in the registry or an
address; else the one this folder deployed last on that chain. The registry is
``--registry`` (or ``$SUMCHAIN_REGISTRY``), else an embedded chain's own (deployed
on first need in an older chain file), else the one noted for a node. What a
command remembers for the next one (the current model, an unfinished deploy)
lives in the chain file itself for an embedded chain, and in
``.sumchain/workspace.json`` for a node (keyed by its chain id and first block's
hash: the same however the URL is spelled, and no URL, whose path may hold an
API key, in the file).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sumchain.errors import ChainError, SumchainError

if TYPE_CHECKING:
    from sumchain.chain.base import Chain
    from sumchain.cli.accounts import SigningOptions
    from sumchain.cli.profiles import Profile
    from sumchain.client import SharedModel
    from sumchain.indexer import EventIndex
    from sumchain.registry import Registry

WORKSPACE = Path(".sumchain")
DEFAULT_CHAIN_FILE = WORKSPACE / "chain.sqlite"
WORKSPACE_FILE = WORKSPACE / "workspace.json"
DEFAULT_INDEX_FILE = WORKSPACE / "index.sqlite"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def open_chain(spec: str, signing: SigningOptions | None = None) -> Chain:
    """Open a chain from its spec.

    ``embedded`` is the chain file ``.sumchain/chain.sqlite`` in the current
    folder, ``embedded:PATH`` another file, ``memory`` a throwaway in-memory
    chain, and an ``http(s)://`` URL a JSON-RPC node, which signs and confirms
    as ``signing`` says. (A profile name is turned into its URL by
    :meth:`Session.configure`.)

    Raises
    ------
    ChainError
        For anything else, or a chain that cannot be opened.
    """
    if spec == "memory" or spec == "embedded" or spec.startswith("embedded:"):
        from sumchain.chain.embedded import EmbeddedChain

        path = None if spec == "memory" else Path(spec.partition(":")[2] or DEFAULT_CHAIN_FILE)
        if path is not None and path != DEFAULT_CHAIN_FILE and not path.parent.is_dir():  # a mistyped path
            raise ChainError(f"no folder {path.parent} for the chain file {path.name}: check the path, or create it")
        return EmbeddedChain(path, confirm=None if signing is None else signing.confirmation())
    if _URL.match(spec):
        from sumchain.chain.rpc import RpcChain
        from sumchain.cli.accounts import SigningOptions

        return RpcChain(spec, **(signing or SigningOptions()).rpc_options())
    from sumchain.cli.profiles import unknown_chain

    raise unknown_chain(spec)


@dataclass
class Session:
    """The state of one invocation, set by the global options."""

    chain_spec: str = "embedded"
    model_ref: str | None = None
    registry_ref: str | None = None
    signing: SigningOptions | None = None
    profile: Profile | None = None
    _chain: Chain | None = field(default=None, repr=False)
    _identity: str | None = field(default=None, repr=False)

    def configure(
        self,
        *,
        chain: str,
        account: str | None,
        model: str | None,
        registry: str | None,
        yes: bool,
        max_deposit: str | None,
        password_file: Path | None,
        timeout: float,
    ) -> None:
        """Take the global options; a ``--chain`` that names a profile brings its URL, account and confirmations."""
        from sumchain.cli.accounts import SigningOptions
        from sumchain.cli.profiles import find_profile
        from sumchain.units import parse_amount

        built_in = chain in ("memory", "embedded") or chain.startswith("embedded:") or _URL.match(chain)
        self.profile = None if built_in else find_profile(chain)
        if self.profile is not None:
            chain, account = self.profile.url, account or self.profile.account
        self.chain_spec, self.model_ref, self.registry_ref = chain, model, registry
        self.signing = SigningOptions(
            account=account,
            password_file=password_file,
            yes=yes,
            max_deposit=None if max_deposit is None else parse_amount(max_deposit),
            receipt_timeout=timeout,
            confirmations=1 if self.profile is None else self.profile.confirmations,
        )
        self._chain = None
        self.__dict__.pop("account", None)  # read again, from these options

    @cached_property
    def account(self) -> str | None:
        """``--account`` as chains take it, a keystore name as its address: read when a command first needs it,
        so that ``sumchain account ...`` works while it names an account not made yet."""
        return None if self.signing is None else self.signing.acting_account()

    def use_chain(self, spec: str, opened: Chain | None = None) -> None:
        """Work on another chain from now on (``sumchain node`` on the node it started), or on the
        chain ``opened`` from ``spec`` (``sumchain serve`` on the chain it opened without keys)."""
        self.chain_spec, self._chain, self.profile, self._identity = spec, opened, None, None

    @property
    def max_deposit(self) -> int | None:
        """``--max-deposit`` in wei, or None."""
        return self.signing.max_deposit if self.signing else None

    def no_chain_yet(self) -> Path | None:
        """The embedded chain file this invocation would create, if it does not exist yet: a command that
        only reads has nothing to read there, and leaves no file behind (None for a node, or a file that exists)."""
        spec = self.chain_spec
        if self._chain is not None or not (spec == "embedded" or spec.startswith("embedded:")):
            return None
        path = Path(spec.partition(":")[2] or DEFAULT_CHAIN_FILE)
        return None if path.exists() else path

    def chain(self) -> Chain:
        """The chain, opened on first use."""
        if self._chain is None:
            chain = open_chain(self.chain_spec, self.signing)
            if self.profile is not None:
                from sumchain.chain.rpc import RpcChain  # web3: imported only for a node

                if isinstance(chain, RpcChain):  # a profile's URL always opens a node
                    self.profile.check(chain.chain_id)
            self._chain = chain
        return self._chain

    def model(self) -> SharedModel:
        """The current model: ``--model`` (a registry name or an address), else the last one deployed from here.

        Raises
        ------
        SumchainError
            When there is none, no listed model has the name, or the address
            (or the name's entry) holds no sumchain model.
        """
        reference = self.model_ref
        if reference is None and self.no_chain_yet() is None:
            reference = self.remembered("model")
        if reference is None:
            raise SumchainError("no model given: pass --model NAME or ADDRESS, or deploy one first (sumchain deploy)")
        return self.model_named(reference)

    def model_named(self, reference: str) -> SharedModel:
        """The model of ``reference``: an address, or a name listed in the registry.

        Raises
        ------
        SumchainError
            When no listed model has the name, or the address (or the name's entry) holds no sumchain model.
        """
        from sumchain.chain.hashing import is_address, miswritten_address
        from sumchain.client import SharedModel

        if (problem := miswritten_address(reference)) is not None:
            raise SumchainError(problem)
        if is_address(reference):
            if (missing := self.no_chain_yet()) is not None:
                raise SumchainError(
                    f"no model at {reference} here: there is no chain file {missing} yet; pass --chain, "
                    "or deploy one first (sumchain deploy)"
                )
            return SharedModel(self.chain(), reference, index=_present_index())
        model = self.registry().model(reference)
        model.index = _present_index()
        return model

    def registry_if_any(self) -> Registry | None:
        """The registry: ``--registry``, else the embedded chain's own (deployed if missing), else the noted one."""
        from sumchain.chain.embedded import EmbeddedChain
        from sumchain.chain.hashing import miswritten_address
        from sumchain.registry import Registry

        if self.registry_ref is not None and (problem := miswritten_address(self.registry_ref)) is not None:
            raise SumchainError(f"--registry: {problem}")
        chain = self.chain()
        if self.registry_ref is not None:
            return Registry(chain, self.registry_ref)
        if isinstance(chain, EmbeddedChain):
            return Registry.ensure(chain)
        noted = self.remembered("registry")
        return None if noted is None else Registry(chain, noted)

    def registry(self) -> Registry:
        """The registry (see :meth:`registry_if_any`).

        Raises
        ------
        RegistryError
            When this chain has none that this folder knows of.
        """
        from sumchain.errors import RegistryError

        if (missing := self.no_chain_yet()) is not None:
            raise RegistryError(
                f"no model registry here: there is no chain file {missing} yet; pass --chain, "
                "or deploy a model first (sumchain deploy)"
            )
        found = self.registry_if_any()
        if found is None:
            raise RegistryError(
                "no model registry known for this chain: pass --registry ADDRESS (or set SUMCHAIN_REGISTRY); "
                "`sumchain node` starts a local node that has one"
            )
        return found

    # -- memory between invocations -------------------------------------------------

    def _workspace(self) -> tuple[dict[str, dict[str, str]], str]:
        """The workspace file's notes of every node, and this node's key in them: its chain (id and
        first block's hash) at its host (a fork of a network, on this machine, is not that network),
        never the URL's path, user or query, where API keys go. The notes an older sumchain kept under
        this URL and chain id move to the key."""
        chain = self.chain()
        if self._identity is None:
            (genesis,) = chain.block_hashes([0])
            url = urlsplit(str(getattr(chain, "url", "")))
            host = f"{url.scheme}://{url.hostname}:{url.port or {'http': 80, 'https': 443}.get(url.scheme)}"
            self._identity = f"chain {getattr(chain, 'chain_id', '')} genesis {genesis} at {host}"
        workspace = _read_workspace()
        if (older := f"{self.chain_spec} {getattr(chain, 'chain_id', '')}") in workspace:
            moved = workspace.pop(older)
            workspace.setdefault(self._identity, moved)
            _write_workspace(workspace)
        return workspace, self._identity

    def remembered(self, key: str) -> str | None:
        """A note an earlier command left for this chain (None if there is none)."""
        from sumchain.chain.embedded import EmbeddedChain

        chain = self.chain()
        if isinstance(chain, EmbeddedChain):
            return chain.notes.get(key)
        workspace, identity = self._workspace()
        return workspace.get(identity, {}).get(key)

    def remember(self, key: str, value: str | None) -> None:
        """Leave a note for later commands on this chain (None forgets it)."""
        from sumchain.chain.embedded import EmbeddedChain

        chain = self.chain()
        if isinstance(chain, EmbeddedChain):
            chain.remember(key, value)
            return
        workspace, identity = self._workspace()
        notes = workspace.setdefault(identity, {})
        if value is None:
            notes.pop(key, None)
        else:
            notes[key] = value
        _write_workspace(workspace)


def _present_index() -> EventIndex | None:
    """The event index of ``sumchain index`` if there is a usable one (the client checks it is up to date)."""
    from sumchain.errors import IndexerError
    from sumchain.indexer import EventIndex

    if not DEFAULT_INDEX_FILE.is_file():
        return None
    try:
        return EventIndex(DEFAULT_INDEX_FILE)
    except IndexerError:  # damaged or of another format: the events are read from the chain instead
        return None


def _read_workspace() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(WORKSPACE_FILE.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SumchainError(f"{WORKSPACE_FILE} cannot be read ({exc}): move it away") from None
    return data if isinstance(data, dict) else {}


def _write_workspace(data: dict[str, dict[str, str]]) -> None:
    try:
        WORKSPACE.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=WORKSPACE, delete=False, suffix=".tmp") as tmp:
            json.dump(data, tmp, indent=1)
        os.replace(tmp.name, WORKSPACE_FILE)
    except OSError as exc:
        raise SumchainError(f"cannot write {WORKSPACE_FILE}: {exc.strerror or exc}") from None
