"""The contracts' ABIs and bytecode: shipped compiled, or compiled when the sources change.

The package ships every deployable contract compiled (``contracts/compiled/``,
written by ``python scripts/build_contracts.py``), together with a hash of all
the ``.vy`` sources it was built from; a user never waits for the compiler
(nor imports it). When the sources differ from that hash (someone edits a
contract), the contract is compiled with the installed Vyper and cached as JSON
under ``$SUMCHAIN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/sumchain/contracts``
(``~/.cache/sumchain/contracts``), keyed by the sources, the compiler version
and the settings; deleting that folder is always safe. A test checks that the
shipped files are what the sources compile to.

A trainer is one model module composed with one incentive mechanism. Every
combination is a real contract file, ``contracts/trainers/<model>__<mechanism>.vy``,
that :func:`trainer_source` makes from ``contracts/templates/trainer.vy.template``
(``market.vy.template`` for the prediction market) and ``python scripts/build_contracts.py``
writes (with the compiled files); a test checks that each one is what the template makes and compiles on its own,
so that ``vyper``, an editor or an analyzer reads it as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sumchain.errors import CompilationError

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
COMPILED_DIR = CONTRACTS_DIR / "compiled"
EVM_VERSION = "prague"
"""The hardfork the contracts are compiled for and the embedded chain runs."""
TEMPLATES = CONTRACTS_DIR / "templates"
TEMPLATE = TEMPLATES / "trainer.vy.template"
"""The source of every trainer whose mechanism settles contributions one by one, with ``{{model}}``
and ``{{mechanism}}`` to fill."""
MARKET_TEMPLATE = TEMPLATES / "market.vy.template"
"""The source of every prediction-market trainer, with ``{{model}}`` to fill."""
MARKET = "prediction_market"
REGISTRY = "registry"
MODELS = ("sparse_perceptron", "dense_perceptron", "naive_bayes", "nearest_centroid", "sparse_nearest_centroid")
"""Model modules in ``contracts/models`` that a trainer can be built with."""
MECHANISMS = ("deposit_refund_take", "points", MARKET)
"""Incentive mechanisms in ``contracts/incentives`` that a trainer can be built with."""


def trainer_name(model: str, mechanism: str) -> str:
    """The contract name of a trainer (its path below ``contracts/``, without ``.vy``).

    Raises
    ------
    CompilationError
        When the model or the mechanism is not one of :data:`MODELS` or :data:`MECHANISMS`.

    >>> trainer_name("naive_bayes", "points")
    'trainers/naive_bayes__points'
    """
    if model not in MODELS:
        raise CompilationError(f"unknown model {model!r}; known models are {', '.join(MODELS)}")
    if mechanism not in MECHANISMS:
        raise CompilationError(f"unknown mechanism {mechanism!r}; known mechanisms are {', '.join(MECHANISMS)}")
    return f"trainers/{model}__{mechanism}"


TRAINERS = tuple(trainer_name(model, mechanism) for model in MODELS for mechanism in MECHANISMS)
"""Every trainer: each model with each mechanism."""
CLAIM_TRAINERS = tuple(name for name in TRAINERS if not name.endswith(f"__{MARKET}"))
"""The trainers of ``trainer.vy.template``: each model with each mechanism but the prediction market."""
SHIPPED = (*TRAINERS, REGISTRY)
"""The contracts shipped compiled (the test mocks are compiled when a test needs them)."""


@dataclass(frozen=True)
class CompiledContract:
    """ABI and creation bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime_size: int


def cache_dir() -> Path:
    """Where contracts compiled from edited sources are cached (see the module docstring)."""
    explicit = os.environ.get("SUMCHAIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sumchain" / "contracts"


@cache
def sources_hash() -> str:
    """A hash of every contract source and of the EVM version they are compiled for."""
    digest = hashlib.sha256(EVM_VERSION.encode())
    for path in sorted(CONTRACTS_DIR.rglob("*.vy*")):
        digest.update(str(path.relative_to(CONTRACTS_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _file_name(name: str) -> str:
    return name.replace("/", ".").replace(":", "-")


def trainer_source(model: str, mechanism: str) -> str:
    """The source of the trainer of ``model`` with ``mechanism``: the template, filled in.

    Raises
    ------
    CompilationError
        For an unknown model or mechanism (see :func:`trainer_name`).
    """
    trainer_name(model, mechanism)
    template = MARKET_TEMPLATE if mechanism == MARKET else TEMPLATE
    return template.read_text().replace("{{model}}", model).replace("{{mechanism}}", mechanism)


def write_trainers() -> list[Path]:
    """Write every trainer of :data:`TRAINERS` into ``contracts/trainers/`` from the template."""
    written = []
    for model in MODELS:
        for mechanism in MECHANISMS:
            path = CONTRACTS_DIR / f"{trainer_name(model, mechanism)}.vy"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(trainer_source(model, mechanism))
            written.append(path)
    return written


def _source(name: str) -> tuple[str, str]:
    """The file to compile and its source."""
    path = CONTRACTS_DIR / f"{name}.vy"
    if not path.is_file():
        raise CompilationError(f"no contract {name!r}: {path} does not exist")
    return f"{name}.vy", path.read_text()


def compile_source(name: str) -> dict[str, Any]:
    """Compile one contract with the installed Vyper (slow: about a second)."""
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
        "name": name,
        "compiler": f"vyper {metadata.version('vyper')}",
        "evm_version": EVM_VERSION,
        "sources": sources_hash(),
        "abi": out["abi"],
        "bytecode": out["bytecode"],
        "runtime_size": (len(out["bytecode_runtime"]) - 2) // 2,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically (concurrent processes may compile the same contract)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(data, tmp, indent=1)
        tmp.write("\n")
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@cache
def compile_contract(name: str) -> CompiledContract:
    """The compiled contract: shipped, cached, or compiled now.

    Parameters
    ----------
    name : str
        Path of the contract below ``sumchain/contracts``, without ``.vy``
        (a trainer: see :func:`compile_trainer`).

    Returns
    -------
    CompiledContract
        Its ABI and creation bytecode.
    """
    data = _read_json(COMPILED_DIR / f"{_file_name(name)}.json")
    if data is None or data.get("sources") != sources_hash():
        version = metadata.version("vyper")
        cached = cache_dir() / f"{_file_name(name)}-{version}-{sources_hash()}.json"
        data = _read_json(cached)
        if data is None:
            data = compile_source(name)
            _write_json(cached, data)
    return CompiledContract(
        name=name,
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        runtime_size=data["runtime_size"],
    )


def compile_trainer(model: str, mechanism: str) -> CompiledContract:
    """The trainer contract of one model module with one incentive mechanism.

    >>> compile_trainer("sparse_perceptron", "points").runtime_size < 24_576
    True
    """
    return compile_contract(trainer_name(model, mechanism))


def write_shipped() -> list[Path]:
    """Compile every contract of :data:`SHIPPED` into ``contracts/compiled/`` (what the package ships)."""
    written = []
    for name in SHIPPED:
        path = COMPILED_DIR / f"{_file_name(name)}.json"
        _write_json(path, compile_source(name))
        written.append(path)
    return written
