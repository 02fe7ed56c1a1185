"""The IMDB vocabulary encoder and the compile cache."""

from __future__ import annotations

import json

from sumchain.chain import compiler
from sumchain.encoders import VocabularyEncoder


def test_vocabulary_is_the_reference_one() -> None:
    enc = VocabularyEncoder.imdb()
    assert enc.n_features == 1_000
    assert len(enc.vocabulary) == 1_000
    assert sorted(enc.vocabulary.values()) == list(range(1_000))


def test_encoding_is_sorted_unique_known_words() -> None:
    enc = VocabularyEncoder.imdb()
    out = enc.encode("GREAT great movie!!! <br /><br />unknownword, bad... 10/10")
    assert out == sorted({enc.vocabulary[w] for w in ("great", "movie", "bad", "10")})
    assert enc.encode("") == []
    assert enc.encode("zzzz qqqq") == []


def test_compile_cache_is_keyed_by_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SUMCHAIN_CACHE_DIR", str(tmp_path))
    compiler.compile_contract.cache_clear()
    try:
        first = compiler.compile_contract("trainer")
        files = list(tmp_path.glob("trainer-*.json"))
        assert len(files) == 1
        cached = json.loads(files[0].read_text())
        assert bytes.fromhex(cached["bytecode"].removeprefix("0x")) == first.bytecode
        compiler.compile_contract.cache_clear()
        assert compiler.compile_contract("trainer") == first  # served from the file
    finally:
        compiler.compile_contract.cache_clear()
