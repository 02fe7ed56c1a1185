"""EVM engines of the embedded chain: revm (default, fast) and py-evm (the reference).

Both run one transaction at a time against the committed state and return an
:class:`~sumchain.chain.execution.Execution` with the exact receipt a Prague
chain would give and the state it changed; neither commits on its own (see
:mod:`sumchain.chain.execution`). ``tests/differential`` runs random operation
sequences on both and requires identical receipts and state after every step.
"""

from __future__ import annotations

import os

from sumchain.chain.engines.base import Engine, StateCache
from sumchain.errors import ChainError

ENGINES = ("revm", "py-evm")
"""Names of the engines; ``$SUMCHAIN_ENGINE`` picks the default (``revm``)."""
ENGINE_VARIABLE = "SUMCHAIN_ENGINE"


def default_engine() -> str:
    """The engine named by ``$SUMCHAIN_ENGINE``, else ``revm``."""
    return os.environ.get(ENGINE_VARIABLE, "").strip() or "revm"


def make_engine(name: str, *, chain_id: int, block_gas_limit: int) -> Engine:
    """A new engine with an empty state.

    Raises
    ------
    ChainError
        For an unknown engine name.
    """
    if name == "revm":
        from sumchain.chain.engines.revm import RevmEngine

        return RevmEngine(chain_id=chain_id, block_gas_limit=block_gas_limit)
    if name == "py-evm":
        from sumchain.chain.engines.pyevm import PyEvmEngine

        return PyEvmEngine(chain_id=chain_id, block_gas_limit=block_gas_limit)
    raise ChainError(f"unknown EVM engine {name!r}: use one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "ENGINE_VARIABLE", "Engine", "StateCache", "default_engine", "make_engine"]
