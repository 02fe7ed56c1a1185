"""The compile cache."""

from __future__ import annotations

import json

from sumchain.chain import compiler

MOCK = "mocks/contract_wallet_mock"  # not shipped: compiled, then cached


def test_compile_cache_is_keyed_by_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SUMCHAIN_CACHE_DIR", str(tmp_path))
    compiler.compile_contract.cache_clear()
    try:
        first = compiler.compile_contract(MOCK)
        files = list(tmp_path.glob("mocks.contract_wallet_mock-*.json"))
        assert len(files) == 1
        cached = json.loads(files[0].read_text())
        assert bytes.fromhex(cached["bytecode"].removeprefix("0x")) == first.bytecode
        compiler.compile_contract.cache_clear()
        assert compiler.compile_contract(MOCK) == first  # served from the file
    finally:
        compiler.compile_contract.cache_clear()
