"""The compiled contracts shipped in the package are exactly what the sources compile to."""

from __future__ import annotations

import json

import pytest

from sumchain.chain import compiler

REBUILD = "python scripts/build_contracts.py"


@pytest.mark.parametrize("name", compiler.SHIPPED)
def test_shipped_contract_matches_a_fresh_compile(name: str) -> None:
    path = compiler.COMPILED_DIR / f"{name.replace(':', '-')}.json"
    assert path.is_file(), f"{path} is missing: run {REBUILD}"
    shipped = json.loads(path.read_text())
    assert shipped["sources"] == compiler.sources_hash(), f"the sources changed since {path} was built: run {REBUILD}"
    fresh = compiler.compile_source(name)
    assert (shipped["abi"], shipped["bytecode"]) == (fresh["abi"], fresh["bytecode"]), f"run {REBUILD}"


def test_a_shipped_contract_loads_without_the_compiler() -> None:
    compiler.compile_contract.cache_clear()
    contract = compiler.compile_trainer("naive_bayes")
    assert contract.bytecode and contract.runtime_size < 24_576
