"""Compiling the Vyper contracts, cached by source hash.

Contracts are compiled from the ``.vy`` files shipped in
``sumchain/contracts`` the first time they are needed. The result (ABI and
bytecode) is cached as JSON under ``$SUMCHAIN_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/sumchain/contracts`` (``~/.cache/sumchain/contracts``). The
cache key hashes every ``.vy`` source, the compiler version and the settings,
so an edited contract or another compiler is always recompiled; deleting the
folder is always safe.

The trainer is built once per model: :func:`compile_trainer` compiles
``trainer.vy`` with its ``models`` import pointing at the chosen model module,
so every model shares one trainer source.
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


TRAINER = "trainer"
_MODEL_IMPORT = "from .models import sparse_perceptron as model"
MODELS = ("sparse_perceptron", "dense_perceptron", "naive_bayes", "nearest_centroid", "sparse_nearest_centroid")
"""Model modules in ``contracts/models`` that a trainer can be built with."""


def _source(name: str) -> tuple[str, str]:
    """The file to compile and its source, with the trainer's model substituted."""
    if name.startswith(f"{TRAINER}:"):
        model = name.split(":", 1)[1]
        if model not in MODELS:
            raise CompilationError(f"unknown model {model!r}; known models are {', '.join(MODELS)}")
        source = (CONTRACTS_DIR / f"{TRAINER}.vy").read_text()
        if _MODEL_IMPORT not in source:
            raise CompilationError(f"{TRAINER}.vy no longer contains the line {_MODEL_IMPORT!r}")
        return f"{TRAINER}.vy", source.replace(_MODEL_IMPORT, f"from .models import {model} as model")
    return f"{name}.vy", (CONTRACTS_DIR / f"{name}.vy").read_text()


def _compile(name: str) -> dict[str, Any]:
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FileInput, FilesystemInputBundle
    from vyper.compiler.settings import Settings
    from vyper.exceptions import VyperException

    bundle = FilesystemInputBundle([CONTRACTS_DIR])
    path, source = _source(name)
    try:
        out = compile_from_file_input(
            FileInput(source_id=-1, path=Path(path), resolved_path=CONTRACTS_DIR / path, contents=source),
            input_bundle=bundle,
            settings=Settings(evm_version=EVM_VERSION),
            output_formats=["abi", "bytecode", "bytecode_runtime"],
        )
    except VyperException as exc:
        raise CompilationError(f"{path} ({name}): {exc}") from exc
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
        Path of the contract below ``sumchain/contracts``, without ``.vy``;
        or ``"trainer:<model>"`` for the trainer built with a model of
        :data:`MODELS` (see :func:`compile_trainer`).

    Returns
    -------
    CompiledContract
        Its ABI and creation bytecode.
    """
    path = cache_dir() / f"{name.replace('/', '.').replace(':', '-')}-{_source_hash(name)}.json"
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


def compile_trainer(model: str) -> CompiledContract:
    """The trainer contract built with one model module.

    >>> compile_trainer("sparse_perceptron").runtime_size < 24_576
    True
    """
    return compile_contract(f"{TRAINER}:{model}")
