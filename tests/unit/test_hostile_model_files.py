"""Hostile model files: each is one clear ModelFileError, never a crash, a hang or a MemoryError.

Field-by-field rejections are in ``test_reference_files.py`` (``MALFORMED``);
here are the limits: file size, number of JSON values, nesting depth (with
the recursion limit raised far above what the C stack holds), and models
whose indices would make them huge, refused before anything is allocated.
"""

from __future__ import annotations

import json
import re
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from sumchain import safe_json
from sumchain.errors import ModelFileError
from sumchain.models import reference_file
from sumchain.models.reference_fields import MAX_VALUES
from sumchain.models.reference_file import MAX_FILE_BYTES, MAX_JSON_ITEMS, read_model_file
from tests.unit.test_reference_files import FILES, load

DEEP = 200_000
"""Levels of ``[`` that overflow the C stack in ``json.loads`` once the recursion limit is high."""


@pytest.fixture
def huge_recursion_limit() -> Iterator[None]:
    """A recursion limit of 10**6, as a program might set: it must not matter."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(10**6)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def written(tmp_path: Path, text: str | bytes, name: str = "model.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


# -- nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[" * DEEP, DEEP),
        ("[" * DEEP + "]" * DEEP, DEEP),
        ('{"type": "sparse perceptron", "weights": ' + "[" * DEEP + "0" + "]" * DEEP + "}", DEEP + 1),
        ('{"type": "naive bayes", "x": ' + '{"a": ' * DEEP, DEEP + 1),
        ("[" * 65 + "]" * 65, 65),
    ],
    ids=["open", "balanced", "in a field", "objects", "65 levels"],
)
def test_deep_nesting_is_refused_before_parsing_even_with_a_huge_recursion_limit(
    tmp_path, huge_recursion_limit, text, depth
) -> None:
    path = written(tmp_path, text)
    with pytest.raises(ModelFileError) as raised:
        read_model_file(path)
    assert str(raised.value) == f"cannot read {path}: JSON nested {depth:,} levels deep, more than the 64 allowed"


def test_64_levels_parse_and_unknown_nested_fields_are_ignored(tmp_path, huge_recursion_limit) -> None:
    value = safe_json.loads("[" * 64 + "]" * 64, max_items=100)
    for _ in range(63):
        (value,) = value
    assert value == []
    nested = json.loads("[" * 60 + "]" * 60)
    spec = {**load("sparse-perceptron.json"), "comment": nested}
    loaded = read_model_file(written(tmp_path, json.dumps(spec)))
    assert loaded.model.n_features == 12


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('["[[[", {"a": "]]"}]', 2),
        (r'["\"[[[", [1]]', 2),
        (r'["\\", [[1]]]', 3),
        (r'["\\\"[", [[1]]]', 3),
        ('"' + "[" * 100, 0),
        ("]]][[", 0),
    ],
)
def test_brackets_inside_strings_do_not_count(text, depth) -> None:
    assert safe_json.nesting_depth(text) == depth


def test_the_depth_is_an_upper_bound_on_invalid_text() -> None:
    # The parser stops at the backslash; the scan keeps counting past it: more, never less.
    assert safe_json.nesting_depth('[\\"[[[') == 4


# -- size and number of values -------------------------------------------------------------


def test_a_file_above_the_size_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(reference_file, "MAX_FILE_BYTES", 1_000)
    path = written(tmp_path, json.dumps(load("sparse-perceptron.json")) + " " * 1_000)
    with pytest.raises(ModelFileError) as raised:
        read_model_file(path)
    assert str(raised.value) == f"cannot read {path}: a model file has at most 1,000 bytes"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_stream_is_refused_at_the_size_limit() -> None:
    with pytest.raises(
        ModelFileError, match=f"cannot read /dev/zero: a model file has at most {MAX_FILE_BYTES:,} bytes"
    ):
        read_model_file(Path("/dev/zero"))


def test_too_many_values_are_refused_before_parsing(tmp_path) -> None:
    pairs = MAX_JSON_ITEMS // 2
    path = written(tmp_path, "[" + "[]," * pairs + "[]]")  # 6 MB on disk, over 200 MB as Python lists
    with pytest.raises(ModelFileError) as raised:
        read_model_file(path)
    expected = f"JSON with about {MAX_JSON_ITEMS + 2:,} values, more than the {MAX_JSON_ITEMS:,} allowed"
    assert str(raised.value) == f"cannot read {path}: {expected}"


def test_invalid_utf8_is_refused_and_a_byte_order_mark_is_accepted(tmp_path) -> None:
    text = json.dumps(load("sparse-perceptron.json")).encode()
    with pytest.raises(ModelFileError, match=r"cannot read .*: 'utf-8' codec can't decode byte 0xff"):
        read_model_file(written(tmp_path, b"\xff" + text))
    assert read_model_file(written(tmp_path, b"\xef\xbb\xbf" + text)).model.n_features == 12


# -- huge models from small files ----------------------------------------------------------


def _peak_bytes_while_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            read_model_file(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "sparse-perceptron.json",
            lambda s: s.update(sparseWeights={str(2**32 - 1): 1.0}),
            'sparseWeights["4294967295"] makes a model of 4,294,967,296 values',
        ),
        (
            "naive-bayes.json",
            lambda s: s.update(totalNumFeatures=2**32),
            "totalNumFeatures makes a model of 4,294,967,296 features x 3 classes",
        ),
        (
            "sparse-nearest-centroid.json",
            lambda s: s["centroids"]["ham"]["centroid"].update({str(2**32 - 1): 0.5}),
            "centroids makes a model of 4,294,967,296 features x 3 classes",
        ),
    ],
    ids=["sparse perceptron", "naive bayes", "sparse nearest centroid"],
)
def test_an_index_that_makes_a_huge_model_is_refused_before_allocating(tmp_path, name, change, message) -> None:
    spec = load(name)
    change(spec)
    path = written(tmp_path, json.dumps(spec), name)
    with pytest.raises(ModelFileError, match=f"^{re.escape(str(path))}: malformed .* model: {re.escape(message)}"):
        read_model_file(path)
    assert _peak_bytes_while_reading(path) < 2**20  # under a megabyte: nothing of the model's size


def test_the_largest_model_a_file_may_hold_is_read(tmp_path) -> None:
    spec = {**load("sparse-perceptron.json"), "sparseWeights": {str(MAX_VALUES - 1): 0.5}}
    loaded = read_model_file(written(tmp_path, json.dumps(spec)))
    assert loaded.model.n_features == MAX_VALUES
    assert int(loaded.model.coef_[-1]) == 500_000_000


@pytest.mark.parametrize("name", FILES)
def test_every_example_file_is_far_within_the_limits(name) -> None:
    text = FILES[name].read_text()
    assert len(text.encode()) < MAX_FILE_BYTES and safe_json.nesting_depth(text) <= 4
