"""Fixtures for tests against a real anvil node: one per session, isolated per test by anchor()."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sumchain.chain.anvil import find_anvil
from sumchain.chain.anvil import running_anvil as node
from sumchain.chain.rpc import RpcChain
from sumchain.keys import PRIVATE_KEY_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[4]


def connect(url: str) -> RpcChain:
    """An RpcChain on a dev node with the dev keys only (ignoring ``SUMCHAIN_PRIVATE_KEY``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
        return RpcChain(url, timeout=10)


@contextmanager
def running_anvil(*args: str, port: int | None = None) -> Iterator[str]:
    """A fresh anvil node with extra command-line ``args``, on ``port`` (by default a free one; skips the
    test when anvil is missing): its URL."""
    binary = find_anvil(REPO_ROOT)
    if binary is None:
        pytest.skip("anvil not installed: run `npm install` at the repo root")
    with node(binary, args, port=port) as started:
        yield started.url


@pytest.fixture(scope="session")
def anvil_chain() -> Iterator[RpcChain]:
    """A fresh anvil node (automine, 30M block gas limit) for the whole session."""
    with running_anvil("--gas-limit", "30000000") as url:
        yield connect(url)


@pytest.fixture
def chain(anvil_chain: RpcChain) -> Iterator[RpcChain]:
    """The session's anvil chain, rolled back (evm_snapshot/evm_revert) after each test."""
    with anvil_chain.anchor():
        yield anvil_chain
