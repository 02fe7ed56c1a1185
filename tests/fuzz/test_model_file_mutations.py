"""Mutated reference files: every outcome is a fitted model or one ModelFileError.

Hypothesis takes each example file of ``tests/data/reference`` and mutates
it, either as parsed JSON (a value anywhere replaced by any JSON value:
booleans, null, strings, type names, NaN, infinities, huge, negative and
fractional numbers, nested lists and objects; a key or an element removed; a
key added, index-like or not; an element repeated) or as text (characters
inserted, removed or replaced). Reading must give a model whose metadata
fits it and which writes back as JSON, or a ModelFileError: no other
exception, no crash, no hang.

The field readers convert whole lists in C when every value is plain; the
last tests check that this gives exactly what the value-by-value path gives.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sumchain.errors import ModelFileError
from sumchain.models import MIRRORS, OnChainModel
from sumchain.models import reference_fields as fields
from sumchain.models.reference_file import ModelFile, model_file_from_spec, model_to_spec, read_model_file
from tests.unit.test_reference_files import FILES, load

TYPES = sorted(t for cls in MIRRORS.values() for t in cls.reference_types)
NUMBERS = st.one_of(
    st.integers(-1_000, 1_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [0, 1, -1, 0.5, 1.5, 2.0, -0.0, 2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**63, 2**64, -(2**63), 10**30, 1e300]
    ),
)
KEYS = st.one_of(
    st.sampled_from(["0", "7", "12", "65535", "4294967295", "4294967296", "-1", "1.5", "01", "x", ""]),
    st.text(max_size=3),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=6), st.sampled_from(TYPES))
VALUES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)


def locations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value below the top-level object."""
    if path:
        yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from locations(child, (*path, key))


def mutated(spec: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``spec`` after one to three random mutations."""
    spec = copy.deepcopy(spec)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(locations(spec))))
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        operation = data.draw(st.sampled_from(["replace", "remove", "add", "repeat"]))
        event(operation)
        if operation == "remove":
            del parent[key]
        elif operation == "add" and isinstance(parent, dict):
            parent[data.draw(KEYS)] = data.draw(VALUES)
        elif operation == "add":
            parent.insert(key, data.draw(VALUES))
        elif operation == "repeat" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = data.draw(VALUES)
        if not spec:
            break
    return spec


def check_outcome(read: Any) -> None:
    """``read()`` gives a model that fits its metadata and writes back, or raises ModelFileError."""
    try:
        loaded = read()
    except ModelFileError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused")
        return
    event("read")
    assert isinstance(loaded, ModelFile) and isinstance(loaded.model, OnChainModel)
    names = loaded.metadata.class_names
    assert not names or len(names) == loaded.model.n_classes
    assert loaded.metadata.n_features == loaded.model.n_features
    json.dumps(model_to_spec(loaded.model, loaded.metadata), allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(FILES)), data=st.data())
def test_mutated_specs_give_a_model_or_one_model_file_error(name, data) -> None:
    spec = mutated(load(name), data)
    check_outcome(lambda: model_file_from_spec(spec))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutated-files")


EDIT_CHARACTERS = st.text(alphabet='[]{}",:-.0123456789eE+ \\tfnlsru', min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(FILES)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]), EDIT_CHARACTERS),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_text_gives_a_model_or_one_model_file_error(folder, name, edits) -> None:
    text = FILES[name].read_text()
    for where, operation, characters in edits:
        at = math.floor(where * len(text))
        end = at + len(characters) if operation == "replace" else at + (operation == "delete")
        text = text[:at] + ("" if operation == "delete" else characters) + text[end:]
    path = folder / name
    path.write_text(text, encoding="utf-8")
    check_outcome(lambda: read_model_file(path))


# -- the fast path of the field readers equals the value-by-value path -------------------------

REALS = st.one_of(
    st.floats(min_value=-9.3e9, max_value=9.3e9),
    st.integers(-(10**10), 10**10),
    st.sampled_from([0.5e-9, 1.5e-9, 2.5e-9, -2.5e-9, 2**53 + 1, 9.223372036854775e9, 2**64, 1e290]),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(REALS, max_size=20))
def test_reals_convert_in_c_exactly_as_one_by_one(values) -> None:
    one_by_one = [fields.fixed(v, "weights") for v in values]
    assert fields.fixed_list(values, "weights") == one_by_one
    by_key = fields.fixed_by_index({str(i * 7): v for i, v in enumerate(values)}, "sparseWeights")
    assert by_key == {i * 7: v for i, v in enumerate(one_by_one)}


@settings(max_examples=200, deadline=None)
@given(
    counts=st.dictionaries(st.integers(0, 99), st.integers(0, 2**64), max_size=20),
    as_float=st.booleans(),
)
def test_count_pairs_read_in_c_exactly_as_one_by_one(counts, as_float) -> None:
    pairs = [[feature, float(count) if as_float and count < 2**53 else count] for feature, count in counts.items()]
    assert fields.count_pairs(pairs, "featureCounts[0]", 100) == counts
