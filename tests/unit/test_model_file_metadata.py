"""Model files keep a model's metadata: class names, feature indices, name, encoder.

Reading gives a :class:`ModelFile` (the mirror and its ModelMetadata); writing
a mirror with that metadata gives back the same class names, feature indices
and fixed-point parameters, also from a mirror read from chain, which knows
no names. Without metadata, writing behaves as before (classes numbered).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sumchain.errors import MetadataError, ModelFileError
from sumchain.metadata import ModelMetadata
from sumchain.models import OnChainModel, SparsePerceptron
from sumchain.models.reference_file import (
    ModelFile,
    encoder_id,
    model_file_from_spec,
    model_to_spec,
    read_model_file,
    write_model_file,
)
from tests.unit.test_reference_files import FILES, IMDB_MODEL, load, needs_original

EXPECTED = {
    "sparse-perceptron.json": (("Negative", "Positive"), None),
    "dense-perceptron.json": (("cold", "hot"), None),
    "perceptron.json": (("not hot dog", "hot dog"), (7, 2, 0, 5, 3)),
    "naive-bayes.json": (("sports", "politics", "tech"), None),
    "nearest-centroid.json": (("red", "green", "blue"), None),
    "dense-nearest-centroid.json": (("walking", "running", "sitting", "lying"), None),
    "sparse-nearest-centroid.json": (("spam", "ham", "newsletter"), None),
}
"""Class names and feature indices of each example file."""


def class_names_in(spec: dict[str, Any]) -> list[str] | None:
    """The class names a reference-format object spells out."""
    return list(spec["centroids"]) if "centroids" in spec else spec.get("classifications")


def as_on_chain(model: OnChainModel) -> OnChainModel:
    """The mirror that ``SharedModel.mirror()`` would read back: parameters and words only."""
    return type(model).from_chain(model.model_params(), model.to_words())


def test_every_example_file_is_listed() -> None:
    assert sorted(EXPECTED) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_reading_gives_the_class_names_feature_indices_and_the_stem_as_name(name) -> None:
    loaded = read_model_file(FILES[name])
    assert isinstance(loaded, ModelFile)
    class_names, feature_indices = EXPECTED[name]
    assert loaded.metadata == ModelMetadata(
        name=Path(name).stem,
        n_features=loaded.model.n_features,
        feature_kind="indices" if loaded.model.sparse else "values",
        class_names=class_names,
        feature_indices=feature_indices,
    )


@pytest.mark.parametrize("name", FILES)
def test_file_to_model_and_metadata_to_file_keeps_names_indices_and_fixed_point(tmp_path, name) -> None:
    loaded = read_model_file(FILES[name])
    write_model_file(as_on_chain(loaded.model), tmp_path / "out.json", loaded.metadata)
    original, written = load(name), json.loads((tmp_path / "out.json").read_text())
    assert class_names_in(written) == class_names_in(original) == list(EXPECTED[name][0])
    assert written.get("featureIndices") == original.get("featureIndices")
    assert written["name"] == Path(name).stem
    again = read_model_file(tmp_path / "out.json")
    assert again.metadata == loaded.metadata
    assert again.model.model_params() == loaded.model.model_params()
    assert again.model.to_words() == loaded.model.to_words()


@pytest.mark.parametrize("name", ["sparse-perceptron.json", "perceptron.json", "naive-bayes.json"])
def test_without_metadata_a_mirror_from_chain_is_written_as_before(name) -> None:
    model = as_on_chain(read_model_file(FILES[name]).model)
    spec = model_to_spec(model)
    assert spec["classifications"] == [str(k) for k in range(model.n_classes)]
    assert "featureIndices" not in spec and "name" not in spec


@needs_original
def test_the_imdb_file_keeps_its_labels() -> None:
    loaded = read_model_file(IMDB_MODEL)
    assert loaded.metadata.name == "imdb-sentiment-model"
    assert loaded.metadata.class_names == ("Negative", "Positive")
    assert (loaded.metadata.n_features, loaded.metadata.feature_kind, loaded.metadata.encoder) == (
        1000,
        "indices",
        None,
    )
    assert model_to_spec(as_on_chain(loaded.model), loaded.metadata)["classifications"] == ["Negative", "Positive"]


# -- sumchain's own fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("IMDB vocab", "IMDB vocab"),
        ("imdb VOCAB", "IMDB vocab"),
        ("murmurhash3", "MurmurHash3"),
        ("Universal Sentence Encoder", "universal sentence encoder"),
        ("multiply by 1e9, then round", "Multiply by 1E9, then round"),
        ("NONE", "none"),
        ("my tokenizer v2", "my tokenizer v2"),
    ],
)
def test_encoder_strings_become_the_references_spelling(given, expected) -> None:
    assert encoder_id(given) == expected
    loaded = model_file_from_spec({**load("sparse-perceptron.json"), "encoder": given})
    assert loaded.metadata.encoder == expected
    assert model_to_spec(loaded.model, loaded.metadata)["encoder"] == expected


def test_name_description_encoder_and_parameters_travel_through_a_file(tmp_path) -> None:
    spec = {
        **load("naive-bayes.json"),
        "name": "news topics",
        "description": "Three topics, counted over a 10-word vocabulary.",
        "encoder": "imdb vocab",
        "encoderParams": {"lowercase": True, "vocabulary": [1, 2]},
    }
    path = tmp_path / "some-other-stem.json"
    path.write_text(json.dumps(spec))
    loaded = read_model_file(path)
    assert loaded.metadata.name == "news topics"  # the field, not the stem
    assert loaded.metadata.description == spec["description"]
    assert (loaded.metadata.encoder, loaded.metadata.encoder_params) == ("IMDB vocab", spec["encoderParams"])
    write_model_file(as_on_chain(loaded.model), tmp_path / "again.json", loaded.metadata)
    written = json.loads((tmp_path / "again.json").read_text())
    assert {k: written[k] for k in ("name", "description", "encoderParams")} == {
        k: spec[k] for k in ("name", "description", "encoderParams")
    }
    assert read_model_file(tmp_path / "again.json").metadata == loaded.metadata


def test_the_default_name_is_the_type_or_the_given_name_and_a_long_stem_is_cut(tmp_path) -> None:
    spec = load("dense-perceptron.json")
    assert model_file_from_spec(spec).metadata.name == "dense perceptron"
    assert model_file_from_spec(spec, name="thermostat").metadata.name == "thermostat"
    path = tmp_path / ("x" * 150 + ".json")
    path.write_text(json.dumps(spec))
    assert read_model_file(path).metadata.name == "x" * 100


# -- metadata that does not fit the model ----------------------------------------------------

MODEL = SparsePerceptron.from_weights([1, -1, 2])


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            ModelMetadata(name="m", n_features=4),
            "the metadata describes a model of 4 feature indices, this sparse perceptron takes 3 feature indices",
        ),
        (
            ModelMetadata(name="m", n_features=3, feature_kind="values"),
            "the metadata describes a model of 3 feature values, this sparse perceptron takes 3 feature indices",
        ),
        (
            ModelMetadata(name="m", n_features=3, class_names=("a", "b", "c")),
            "the model has 2 classes but the metadata names 3: ['a', 'b', 'c']",
        ),
        (
            ModelMetadata(name="m", n_features=3, feature_indices=(4, 5, 6)),
            "a sparse perceptron file has no featureIndices, but the metadata has feature_indices",
        ),
    ],
)
def test_writing_with_metadata_of_another_model_is_one_clear_error_and_writes_nothing(
    tmp_path, metadata, message
) -> None:
    with pytest.raises(ModelFileError) as raised:
        write_model_file(MODEL, tmp_path / "out.json", metadata)
    assert str(raised.value) == message
    assert not (tmp_path / "out.json").exists()


# -- metadata read from a chain is untrusted JSON too ------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 10_000, "metadata is not JSON: JSON nested 10,000 levels deep, more than the 64 allowed"),
        (b"[" * 200_000, "metadata is not JSON: JSON with about 200,000 values, more than the 16,384 allowed"),
        (b'{"name": "a", "name": "b", "n_features": 1}', 'metadata is not JSON: the key "name" appears twice'),
        (b'{"name": "\xff", "n_features": 1}', "metadata is not JSON: 'utf-8' codec can't decode byte 0xff"),
        (b'{"name": "a", "n_features": NaN}', "metadata is not JSON: NaN is not a JSON number"),
    ],
    ids=["deep", "too many values", "repeated key", "not UTF-8", "NaN"],
)
def test_hostile_metadata_is_one_clear_error_even_with_a_huge_recursion_limit(data, message) -> None:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(10**6)
    try:
        with pytest.raises(MetadataError) as raised:
            ModelMetadata.from_json(data)
    finally:
        sys.setrecursionlimit(before)
    assert str(raised.value).startswith(message)
