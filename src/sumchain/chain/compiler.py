"""Compiling the Vyper contracts, cached by source hash.

Contracts are compiled from the ``.vy`` files shipped in
``sumchain/contracts`` the first time they are needed. The result (ABI and
bytecode) is cached as JSON under ``$SUMCHAIN_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/sumchain/contracts`` (``~/.cache/sumchain/contracts``). The
cache key hashes every ``.vy`` source, the compiler version and the settings,
so an edited contract or another compiler is always recompiled; deleting the
folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sumchain.errors import CompilationError

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
EVM_VERSION = "prague"
"""The hardfork the contracts are compiled for and the embedded chain runs."""


@dataclass(frozen=True)
class CompiledContract:
    """ABI and creation bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime_size: int


def cache_dir() -> Path:
    """Where compiled contracts are cached (see the module docstring)."""
    explicit = os.environ.get("SUMCHAIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sumchain" / "contracts"


def _source_hash(name: str) -> str:
    import vyper

    digest = hashlib.sha256()
    digest.update(f"{vyper.__version__}|{EVM_VERSION}|{name}".encode())
    for path in sorted(CONTRACTS_DIR.rglob("*.vy*")):
        digest.update(str(path.relative_to(CONTRACTS_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _compile(name: str) -> dict[str, Any]:
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle
    from vyper.compiler.settings import Settings
    from vyper.exceptions import VyperException

    bundle = FilesystemInputBundle([CONTRACTS_DIR])
    try:
        out = compile_from_file_input(
            bundle.load_file(f"{name}.vy"),
            input_bundle=bundle,
            settings=Settings(evm_version=EVM_VERSION),
            output_formats=["abi", "bytecode", "bytecode_runtime"],
        )
    except VyperException as exc:
        raise CompilationError(f"{name}.vy: {exc}") from exc
    return {
        "abi": out["abi"],
        "bytecode": out["bytecode"],
        "runtime_size": (len(out["bytecode_runtime"]) - 2) // 2,
    }


@cache
def compile_contract(name: str) -> CompiledContract:
    """Compile ``contracts/<name>.vy`` or load it from the cache.

    Parameters
    ----------
    name : str
        Path of the contract below ``sumchain/contracts``, without ``.vy``.

    Returns
    -------
    CompiledContract
        Its ABI and creation bytecode.
    """
    path = cache_dir() / f"{name.replace('/', '.')}-{_source_hash(name)}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = _compile(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as tmp:
            json.dump(data, tmp)
        os.replace(tmp.name, path)
    return CompiledContract(
        name=name,
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        runtime_size=data["runtime_size"],
    )
