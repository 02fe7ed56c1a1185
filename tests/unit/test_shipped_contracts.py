"""The trainers are what their template makes, each compiles on its own, and the compiled
contracts shipped in the package are exactly what the sources compile to."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sumchain.chain import compiler

REBUILD = "python scripts/build_contracts.py"


@pytest.mark.parametrize("name", compiler.SHIPPED)
def test_shipped_contract_matches_a_fresh_compile(name: str) -> None:
    path = compiler.COMPILED_DIR / f"{compiler._file_name(name)}.json"
    assert path.is_file(), f"{path} is missing: run {REBUILD}"
    shipped = json.loads(path.read_text())
    assert shipped["sources"] == compiler.sources_hash(), f"the sources changed since {path} was built: run {REBUILD}"
    fresh = compiler.compile_source(name)
    assert (shipped["abi"], shipped["bytecode"]) == (fresh["abi"], fresh["bytecode"]), f"run {REBUILD}"


def test_every_model_with_every_mechanism_is_a_trainer_file_made_by_the_template() -> None:
    found = sorted(
        p.relative_to(compiler.CONTRACTS_DIR).with_suffix("").as_posix()
        for p in compiler.CONTRACTS_DIR.glob("trainers/*.vy")
    )
    assert found == sorted(compiler.TRAINERS), f"run {REBUILD}"
    assert len(found) == len(compiler.MODELS) * len(compiler.MECHANISMS)
    for model in compiler.MODELS:
        for mechanism in compiler.MECHANISMS:
            path = compiler.CONTRACTS_DIR / f"{compiler.trainer_name(model, mechanism)}.vy"
            text = path.read_text()
            assert text == compiler.trainer_source(model, mechanism), (
                f"{path} is not what the template makes: {REBUILD}"
            )
            assert f"from ..models import {model} as model" in text
            assert f"from ..incentives import {mechanism} as " in text
            assert "{{" not in text


def test_a_trainer_file_compiles_on_its_own_with_the_vyper_command(tmp_path) -> None:
    """``vyper`` itself, run from elsewhere on the file as it is, gives the shipped bytecode."""
    name = compiler.trainer_name("naive_bayes", "points")
    path = compiler.CONTRACTS_DIR / f"{name}.vy"
    command = [sys.executable, "-m", "vyper", "--evm-version", compiler.EVM_VERSION, "-f", "bytecode", str(path)]
    built = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert built.stdout.strip() == "0x" + compiler.compile_contract(name).bytecode.hex()


def test_unknown_models_and_mechanisms_are_named() -> None:
    with pytest.raises(compiler.CompilationError, match="unknown mechanism 'bounty'; known mechanisms are"):
        compiler.trainer_name("naive_bayes", "bounty")
    with pytest.raises(compiler.CompilationError, match="unknown model 'forest'"):
        compiler.trainer_source("forest", "points")


def test_a_shipped_contract_loads_without_the_compiler() -> None:
    compiler.compile_contract.cache_clear()
    contract = compiler.compile_trainer("naive_bayes", "deposit_refund_take")
    assert contract.bytecode and contract.runtime_size < 24_576
