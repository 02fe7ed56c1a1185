"""The dashboard's hold on one chain: its registry, the models it has opened, who may sign.

Every request's chain work runs in a worker thread under one lock (:meth:`Dashboard.run`):
the chain backends are not made for concurrent use, and a local dashboard needs none.
The dashboard signs with the public dev keys only, and only on a dev chain (the embedded
chain, anvil); on any other chain it holds no key and sends nothing (a browser wallet does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.concurrency import run_in_threadpool

from sumchain.chain.accounts import DEV_ACCOUNT_COUNT, dev_addresses
from sumchain.chain.hashing import checksum, is_address, miswritten_address
from sumchain.web.errors import ApiError, shown

if TYPE_CHECKING:
    from pathlib import Path

    from sumchain.chain.base import Chain
    from sumchain.client import SharedModel
    from sumchain.registry import Registry
    from sumchain.unfinished import Notes

T = TypeVar("T")


class Dashboard:
    """What the API works on: a chain, its registry (if any) and the models opened so far.

    Parameters
    ----------
    chain : Chain
        The chain; the dashboard signs on it only if it is a dev chain.
    registry : Registry, optional
        Where models are listed; without one the model list is empty.
    notes : Notes, optional
        Where a deployment on a node is remembered until its upload is done (``sumchain serve``
        gives the workspace's notes, which ``sumchain deploy`` keeps too), so that the same
        deployment asked again after a restart finishes that model. An embedded chain file
        keeps its own.
    workspace : Path, optional
        The folder where a prediction market's provider keeps its hidden test set (its pieces and
        salts) until it reveals it, in the file ``sumchain market`` uses (``sumchain serve``
        gives the workspace, ``.sumchain``); without one, the page cannot commit or reveal a test set.

    Examples
    --------
    >>> from sumchain import EmbeddedChain
    >>> board = Dashboard(EmbeddedChain())
    >>> board.signer(1)
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    """

    def __init__(
        self,
        chain: Chain,
        registry: Registry | None = None,
        *,
        notes: Notes | None = None,
        workspace: Path | None = None,
    ) -> None:
        self.chain = chain
        self.registry = registry
        self.notes = notes
        self.workspace = workspace
        self.lock = threading.Lock()
        """Held by every piece of work on :attr:`chain`."""
        self._models: dict[str, SharedModel] = {}
        from sumchain.web.deployments import Deployments
        from sumchain.web.simulations import Simulations

        self.deployments = Deployments(self)
        self.simulations = Simulations()
        """Simulations started from the page, each on a chain of its own."""

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` in a worker thread, one at a time."""

        def locked() -> T:
            with self.lock:
                return work(*args)

        return await run_in_threadpool(locked)

    def model(self, address: str) -> SharedModel:
        """The model at ``address``, opened once.

        Raises
        ------
        ApiError
            400 when ``address`` is not an address.
        NotAModel
            When no sumchain model is there (the API answers 404).
        """
        from sumchain.client import SharedModel

        if not is_address(address):
            raise ApiError(400, miswritten_address(address) or f"{address!r} is not an address (0x and 40 hex digits)")
        key = checksum(address)
        if key not in self._models:
            self._models[key] = SharedModel(self.chain, key)
        return self._models[key]

    def dev_accounts(self) -> list[str]:
        """The dev accounts the dashboard may sign with: none unless the chain is a dev chain."""
        if not self.chain.is_dev:
            return []
        held = set(self.chain.accounts)
        return [a for a in dev_addresses(DEV_ACCOUNT_COUNT) if a in held]

    def signer(self, account: object) -> str:
        """The address of dev account number ``account`` (0-9).

        Raises
        ------
        ApiError
            403 on a chain that is not a dev chain, 400 for anything but a dev account's number.
        """
        accounts = self.dev_accounts()
        if not accounts:
            raise ApiError(403, "this dashboard signs only with dev accounts on a dev chain; this chain is not one")
        if isinstance(account, str) and (problem := miswritten_address(account)) is not None:
            raise ApiError(400, problem)
        if isinstance(account, bool) or not isinstance(account, int) or not 0 <= account < len(accounts):
            raise ApiError(
                400, f"account must be a dev account's number, 0 to {len(accounts) - 1}, got {shown(account)}"
            )
        return accounts[account]
