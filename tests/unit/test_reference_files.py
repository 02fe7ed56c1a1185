"""Reference model files (``shared/original/FORMATS.md``): import, predictions
against the file's float model, export round trip, malformed files.

The float models below re-implement the reference's prediction rules in
floating point, straight from the JSON. The rule checked (documented in
:mod:`sumchain.models.reference_file`): each real of a file becomes
``round(x * 1e9)``, so it moves by at most ``0.5e-9``, and the imported model
must predict what the float model predicts on every input where the float
decision is farther than the resulting bound from a tie:

* perceptrons: ``|score| > 0.5e-9 * (sum(|x[i]|) + 1)``, which is
  ``(len(sample) + 1) * 0.5e-9`` for a sparse sample (every present feature
  counts 1); dense inputs are the normalized integers sent to the chain, / 1e9;
* nearest centroids: squared distance to centroid c moves by at most
  ``e_c = 1e-9 * sum(|x[i] - c[i]|) + n * 0.25e-18``, so the nearest class
  must beat every other class c by more than ``e_best + e_c``;
* naive Bayes: the counts are integers (exact); only the smoothing alpha is
  rounded, which moves the log of each factor by at most ``1e-9 / alpha``, so
  the best class must beat every other by more than
  ``2 * len(sample) * 1e-9 / alpha`` in log-probability.

A slack of 1e-12 on each bound covers the float arithmetic itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import isqrt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sumchain import DepositRefundTake, SharedModel
from sumchain.data import tiny_reviews
from sumchain.encoders import VocabularyEncoder
from sumchain.errors import ModelFileError
from sumchain.models import MIRRORS, SCALE, OnChainModel
from sumchain.models.reference_file import model_from_spec, read_model_file, write_model_file
from sumchain.models.samples import MAX_SAMPLE

DATA = Path(__file__).resolve().parents[1] / "data" / "reference"
ORIGINAL = Path(__file__).resolve().parents[3] / "shared" / "original"
IMDB_MODEL = ORIGINAL / "imdb-sentiment-model.json"
needs_original = pytest.mark.skipif(
    not IMDB_MODEL.exists(), reason=f"the reference's example files are not in {ORIGINAL} (next to the checkout)"
)

HALF_STEP = 0.5 / SCALE
"""Largest change of a real read from a file: it is rounded to a multiple of 1e-9."""
SLACK = 1e-12
"""Room for the float arithmetic of the float models (sums of up to 512 products)."""
FREE = DepositRefundTake(cost_weight=0)

FILES = {path.name: path for path in sorted(DATA.glob("*.json"))}
"""One hand-made example of each ``type`` string of FORMATS.md."""


def load(name: str) -> dict[str, Any]:
    return json.loads(FILES[name].read_text())


# -- the reference's rules in floating point ------------------------------------------------


@dataclass(frozen=True)
class FloatPrediction:
    """The float model's label, and whether it is decided beyond the fixed-point tolerance."""

    label: int
    decisive: bool


def binary(score: float, tolerance: float) -> FloatPrediction:
    """Label 1 when the score is above 0 (exactly 0 gives 0)."""
    return FloatPrediction(int(score > 0), abs(score) > tolerance + SLACK)


def extreme(values: list[float], errors: list[float], *, lowest: bool) -> FloatPrediction:
    """The class of the lowest (or highest) value, the first on a tie; decisive when it wins
    against every other class by more than the sum of both errors."""
    sign = 1 if lowest else -1
    best = min(range(len(values)), key=lambda c: (sign * values[c], c))
    decisive = all(
        sign * (values[c] - values[best]) > errors[c] + errors[best] + SLACK for c in range(len(values)) if c != best
    )
    return FloatPrediction(best, decisive)


def sparse_perceptron(spec: dict[str, Any], sample: list[int]) -> FloatPrediction:
    weights = dict(enumerate(map(float, spec["weights"])))
    weights.update({int(i): float(w) for i, w in spec.get("sparseWeights", {}).items()})
    score = math.fsum([float(spec["intercept"]), *(weights.get(i, 0.0) for i in sample)])
    return binary(score, HALF_STEP * (len(sample) + 1))


def dense_perceptron(spec: dict[str, Any], encoding: list[int]) -> FloatPrediction:
    positions = spec.get("featureIndices", range(len(spec["weights"])))
    x = [encoding[i] / SCALE for i in positions]
    score = math.fsum([float(spec["intercept"]), *(float(w) * v for w, v in zip(spec["weights"], x, strict=True))])
    return binary(score, HALF_STEP * (math.fsum(map(abs, x)) + 1))


def naive_bayes(spec: dict[str, Any], sample: list[int]) -> FloatPrediction:
    alpha = float(spec.get("smoothingFactor", 1.0))
    n_features = int(spec["totalNumFeatures"])
    scores = []
    for count, features in zip(spec["classCounts"], spec["featureCounts"], strict=True):
        counts = dict((int(f), int(c)) for f, c in features)
        total = sum(counts.values())
        if count == 0:
            scores.append(-math.inf)
            continue
        logs = [math.log((counts.get(f, 0) + alpha) / (total + alpha * n_features)) for f in sample]
        scores.append(math.fsum([math.log(count), *logs]))
    error = len(sample) * 2 * HALF_STEP / alpha
    return extreme(scores, [error] * len(scores), lowest=False)


def centroid_distances(centroids: list[list[float]], x: list[float]) -> FloatPrediction:
    distances = [math.fsum((v - c) ** 2 for v, c in zip(x, centroid, strict=True)) for centroid in centroids]
    errors = [
        2 * HALF_STEP * math.fsum(abs(v - c) for v, c in zip(x, centroid, strict=True)) + len(x) * HALF_STEP**2
        for centroid in centroids
    ]
    return extreme(distances, errors, lowest=True)


def dense_nearest_centroid(spec: dict[str, Any], encoding: list[int]) -> FloatPrediction:
    centroids = [list(map(float, entry["centroid"])) for entry in spec["centroids"].values()]
    return centroid_distances(centroids, [v / SCALE for v in encoding])


def sparse_nearest_centroid(spec: dict[str, Any], sample: list[int], n_features: int) -> FloatPrediction:
    centroids = []
    for entry in spec["centroids"].values():
        dense = [0.0] * n_features
        for i, v in entry["centroid"].items():
            dense[int(i)] = float(v)
        centroids.append(dense)
    present = set(sample)
    return centroid_distances(centroids, [1.0 if i in present else 0.0 for i in range(n_features)])


FLOAT_MODELS: dict[str, Callable[..., FloatPrediction]] = {
    "sparse perceptron": sparse_perceptron,
    "dense perceptron": dense_perceptron,
    "perceptron": dense_perceptron,
    "naive bayes": naive_bayes,
    "nearest centroid classifier": dense_nearest_centroid,
    "dense nearest centroid classifier": dense_nearest_centroid,
    "sparse nearest centroid classifier": sparse_nearest_centroid,
}
DENSE_TYPES = {"dense perceptron", "perceptron", "nearest centroid classifier", "dense nearest centroid classifier"}


def normalized(values: np.ndarray) -> list[int]:
    """A dense input as the reference sends it: ``round(x * 1e9) * 1e9 // norm`` (a unit vector at scale)."""
    scaled = [round(float(v) * SCALE) for v in values]
    norm = isqrt(sum(v * v for v in scaled))
    return [v * SCALE // norm for v in scaled]


def encoding_size(spec: dict[str, Any], mirror: OnChainModel) -> int:
    """Size of the shared dense encoding: beyond the used positions when ``featureIndices`` selects some."""
    return max(spec["featureIndices"]) + 3 if "featureIndices" in spec else mirror.n_features


def inputs(spec: dict[str, Any], mirror: OnChainModel, count: int, seed: int = 5) -> Iterator[tuple[list[int], Any]]:
    """``(sample sent to the chain, input of the float model)`` pairs: random unit vectors
    (dense), or random index sets of every size from one index to full (sparse)."""
    rng = np.random.default_rng(seed)
    if spec["type"] in DENSE_TYPES:
        size = encoding_size(spec, mirror)
        for _ in range(count):
            encoding = normalized(rng.normal(size=size))
            selected = mirror.select_features([encoding])[0] if "featureIndices" in spec else encoding
            yield selected, encoding
        return
    n = mirror.n_features
    largest = min(n, MAX_SAMPLE)
    for k in range(count):
        size = (1, largest)[k] if k < 2 else int(rng.integers(1, largest + 1))
        sample = sorted(rng.choice(n, size=size, replace=False).tolist())
        yield sample, sample


def float_prediction(spec: dict[str, Any], x: Any, n_features: int) -> FloatPrediction:
    rule = FLOAT_MODELS[spec["type"]]
    return rule(spec, x, n_features) if rule is sparse_nearest_centroid else rule(spec, x)


def check_against_float_model(
    spec: dict[str, Any], shared: SharedModel, mirror: OnChainModel, samples: list[tuple[list[int], Any]]
) -> int:
    """Every decisive float prediction equals the chain's; returns how many were decisive."""
    decisive = 0
    labels = set()
    for sent, x in samples:
        expected = float_prediction(spec, x, shared.n_features)
        if expected.decisive:
            decisive += 1
            labels.add(expected.label)
            assert shared.predict(sent) == expected.label, (sent, expected)
    assert decisive >= 0.9 * len(samples), f"only {decisive} of {len(samples)} samples are beyond the tolerance"
    assert len(labels) >= 2, f"the samples exercise only the labels {labels}"
    return decisive


# -- the reference's IMDB model -------------------------------------------------------------


@needs_original
def test_imdb_model_predicts_like_its_float_model_on_reviews_and_random_index_sets(chain) -> None:
    spec = json.loads(IMDB_MODEL.read_text())
    mirror = read_model_file(IMDB_MODEL).model
    shared = SharedModel.deploy(chain, mirror, mechanism=FREE)
    assert shared.params == tuple(mirror.model_params())
    encoder = VocabularyEncoder.imdb()
    reviews = [(s, s) for s in (encoder.encode(t) for t in tiny_reviews()[0][:200])]
    decisive = check_against_float_model(spec, shared, mirror, reviews + list(inputs(spec, mirror, 100)))
    assert decisive >= 295


@needs_original
def test_imdb_model_export_and_reimport_give_the_same_fixed_point_model(chain, tmp_path) -> None:
    spec = json.loads(IMDB_MODEL.read_text())
    shared = SharedModel.deploy(chain, read_model_file(IMDB_MODEL).model, mechanism=FREE)
    write_model_file(shared.mirror(), tmp_path / "exported.json")
    exported = json.loads((tmp_path / "exported.json").read_text())
    assert exported["type"] == "sparse perceptron"
    assert exported["weights"] == [round(w * SCALE) / SCALE for w in spec["weights"]]
    assert exported["intercept"] == spec["intercept"] and exported["learningRate"] == spec["learningRate"]
    again = SharedModel.deploy(chain, read_model_file(tmp_path / "exported.json").model, mechanism=FREE)
    assert again.params == shared.params
    assert again.parameter_words() == shared.parameter_words()


# -- one hand-made file per type string -----------------------------------------------------


def test_there_is_an_example_of_every_type_string() -> None:
    assert sorted(load(name)["type"] for name in FILES) == sorted(FLOAT_MODELS)


@pytest.mark.parametrize("name", FILES)
def test_every_type_string_has_a_mirror(name) -> None:
    assert [cls for cls in MIRRORS.values() if load(name)["type"] in cls.reference_types]


@pytest.mark.parametrize("name", FILES)
def test_imported_model_predicts_like_the_float_model_beyond_the_tolerance(chain, name) -> None:
    spec = load(name)
    mirror = read_model_file(FILES[name]).model
    shared = SharedModel.deploy(chain, mirror, mechanism=FREE)
    assert shared.params == tuple(mirror.model_params())
    assert shared.parameter_words() == mirror.to_words()
    check_against_float_model(spec, shared, mirror, list(inputs(spec, mirror, 150)))


@pytest.mark.parametrize("name", FILES)
def test_export_then_import_round_trips_exactly(chain, tmp_path, name) -> None:
    loaded = read_model_file(FILES[name])
    mirror = loaded.model
    shared = SharedModel.deploy(chain, mirror, mechanism=FREE)
    write_model_file(shared.mirror(), tmp_path / name, loaded.metadata)  # the chain's mirror knows no names
    exported = json.loads((tmp_path / name).read_text())
    assert exported["type"] in type(mirror).reference_types
    again = read_model_file(tmp_path / name)
    assert type(again.model) is type(mirror)
    assert again.model.model_params() == mirror.model_params()
    assert again.model.to_words() == mirror.to_words()
    assert again.metadata == loaded.metadata
    redeployed = SharedModel.deploy(chain, again.model, mechanism=FREE)
    assert redeployed.parameter_words() == shared.parameter_words()


def test_export_reads_the_model_as_trained_on_chain(chain, tmp_path) -> None:
    shared = SharedModel.deploy(chain, read_model_file(FILES["sparse-perceptron.json"]).model, mechanism=FREE)
    before = shared.parameter_words()
    assert shared.predict([9]) == 0
    shared.add_data([9], 1, sender=1)  # a mistake: weight 9 moves by the learning rate (0.25)
    write_model_file(shared.mirror(), tmp_path / "trained.json")
    weights = json.loads((tmp_path / "trained.json").read_text())["weights"]
    assert round(weights[9] * SCALE) == round(-2.2360679774997896 * SCALE) + SCALE // 4
    assert read_model_file(tmp_path / "trained.json").model.to_words() == shared.parameter_words() != before


def test_rounding_can_flip_a_prediction_only_within_the_tolerance() -> None:
    spec = {"type": "sparse perceptron", "weights": [1.4e-9, -1e-9], "intercept": 0.0}
    mirror = model_from_spec(spec)
    expected = sparse_perceptron(spec, [0, 1])
    assert expected.label == 1 and not expected.decisive  # 0.4e-9 is within 3 * 0.5e-9
    assert mirror.predict([[0, 1]]).tolist() == [0]  # round(1.4) + round(-1.0) == 0
    assert mirror.predict([[0]]).tolist() == [sparse_perceptron(spec, [0]).label] == [1]


# -- malformed files ------------------------------------------------------------------------


def _without(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda spec: spec.pop(field)


def _setting(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda spec: spec.__setitem__(field, value)


MALFORMED = [
    ("sparse-perceptron.json", _without("weights"), "missing field 'weights'"),
    ("sparse-perceptron.json", _setting("weights", "123"), 'weights must be a list, got "123"'),
    ("sparse-perceptron.json", _setting("weights", ["heavy"]), 'weights[0] must be a number, got "heavy"'),
    ("sparse-perceptron.json", _setting("weights", [0.5, True]), "weights[1] must be a number, got true"),
    ("sparse-perceptron.json", _setting("weights", [None]), "weights[0] must be a number, got null"),
    ("sparse-perceptron.json", _setting("weights", [0.5, [1.0]]), "weights[1] must be a number, got [1.0]"),
    ("sparse-perceptron.json", _setting("weights", [{"w": 1}]), 'weights[0] must be a number, got {"w": 1}'),
    ("sparse-perceptron.json", _setting("weights", [float("nan")]), "weights[0] must be a finite number, got NaN"),
    ("sparse-perceptron.json", _setting("weights", [-math.inf]), "weights[0] must be a finite number, got -Infinity"),
    ("sparse-perceptron.json", _setting("weights", [1e300]), "weights[0] is too large to scale by 1e9: 1e+300"),
    ("sparse-perceptron.json", _setting("weights", [10**400]), "weights[0] is too large to scale by 1e9: 1000"),
    ("sparse-perceptron.json", _setting("weights", [9.3e9]), "does not fit in 64 signed bits"),
    ("sparse-perceptron.json", _setting("weights", [9.223372e9]), "with learning headroom"),
    ("sparse-perceptron.json", _setting("intercept", [1.0]), "intercept must be a number, got [1.0]"),
    ("sparse-perceptron.json", _setting("intercept", True), "intercept must be a number, got true"),
    ("sparse-perceptron.json", _setting("learningRate", "0.5"), 'learningRate must be a number, got "0.5"'),
    ("sparse-perceptron.json", _setting("learningRate", 0), "learningRate must be from 1e-09 to 9.22337e+09, got 0"),
    ("sparse-perceptron.json", _setting("sparseWeights", [1.0]), "sparseWeights must be an object, got [1.0]"),
    ("sparse-perceptron.json", _setting("sparseWeights", None), "sparseWeights must be an object, got null"),
    (
        "sparse-perceptron.json",
        _setting("sparseWeights", {"twelve": 1.0}),
        'sparseWeights has the key "twelve", which is not a feature index (digits, no sign or leading zero)',
    ),
    ("sparse-perceptron.json", _setting("sparseWeights", {"-1": 5.0}), 'sparseWeights has the key "-1", which is'),
    ("sparse-perceptron.json", _setting("sparseWeights", {"1.5": 5.0}), 'sparseWeights has the key "1.5", which'),
    ("sparse-perceptron.json", _setting("sparseWeights", {"012": 5.0}), 'sparseWeights has the key "012", which'),
    ("sparse-perceptron.json", _setting("sparseWeights", {"12": False}), 'sparseWeights["12"] must be a number, got'),
    (
        "sparse-perceptron.json",
        _setting("sparseWeights", {"4294967296": 1.0}),
        'sparseWeights["4294967296"] must be below 2**32 (a uint32 on chain), got 4294967296',
    ),
    (
        "sparse-perceptron.json",
        _setting("sparseWeights", {"4294967295": 1.0}),
        'sparseWeights["4294967295"] makes a model of 4,294,967,296 values, more than the 1,048,576 a model file may',
    ),
    (
        "sparse-perceptron.json",
        _setting("sparseWeights", {"1048576": 1.0}),
        'sparseWeights["1048576"] makes a model of 1,048,577 values, more than the 1,048,576',
    ),
    (
        "sparse-perceptron.json",
        _setting("sparseWeights", {"20": 1.0, "3": -1.0}),
        'sparseWeights["3"] is for feature 3, which weights already holds (sparseWeights are for the features beyond',
    ),
    (
        "sparse-perceptron.json",
        _setting("featureIndices", [0, 1]),
        "featureIndices is for dense perceptrons: a sparse perceptron's samples are indices",
    ),
    ("sparse-perceptron.json", _setting("classifications", "ab"), 'classifications must be a list, got "ab"'),
    ("sparse-perceptron.json", _setting("classifications", ["no", 1]), "classifications[1] must be a string, got 1"),
    (
        "sparse-perceptron.json",
        _setting("classifications", ["Negative", "Positive", "Neutral"]),
        "classifications names 3 classes, the model has 2",
    ),
    ("sparse-perceptron.json", _setting("classifications", ["All"]), "classifications names 1 classes, the model has"),
    ("sparse-perceptron.json", _setting("classifications", ["yes", "YES"]), "class names must differ (ignoring case"),
    ("sparse-perceptron.json", _setting("classifications", ["\u00f1", "n\u0303"]), "and Unicode spelling)"),
    ("sparse-perceptron.json", _setting("classifications", ["yes", ""]), "class names must not be empty"),
    ("sparse-perceptron.json", _setting("name", 7), "name must be a string, got int"),
    ("sparse-perceptron.json", _setting("description", "x" * 2001), "description has at most 2000 characters"),
    ("sparse-perceptron.json", _setting("encoder", ["IMDB vocab"]), "encoder must be a string, got list"),
    ("sparse-perceptron.json", _setting("encoderParams", [1]), "encoder_params must be a JSON object"),
    (
        "sparse-perceptron.json",
        _setting("encoderParams", {"vocabulary": list(range(10_000))}),
        "metadata takes 49,031 bytes, more than the 16,384 allowed",
    ),
    ("dense-perceptron.json", _setting("weights", []), "n_features must be in [1, 512]"),
    ("dense-perceptron.json", _setting("weights", [0.5] * 513), "n_features must be in [1, 512]"),
    ("dense-perceptron.json", _setting("intercept", "warm"), 'intercept must be a number, got "warm"'),
    ("perceptron.json", lambda s: s.update(bias=None) or s.pop("intercept"), "bias must be a number, got null"),
    ("perceptron.json", _setting("featureIndices", "7"), 'featureIndices must be a list, got "7"'),
    ("perceptron.json", _setting("featureIndices", [7, 2, 0]), "featureIndices has 3 positions for 5 weights"),
    (
        "perceptron.json",
        _setting("featureIndices", [7, 2, 0, 5, -3]),
        "featureIndices[4] must be a non-negative integer, got -3",
    ),
    (
        "perceptron.json",
        _setting("featureIndices", [7, 2, 0, 5, 1.5]),
        "featureIndices[4] must be a non-negative integer, got 1.5",
    ),
    (
        "perceptron.json",
        _setting("featureIndices", [7, 2, True, 5, 3]),
        "featureIndices[2] must be a non-negative integer, got true",
    ),
    (
        "perceptron.json",
        _setting("featureIndices", [7, 2, 0, 5, 2**32]),
        "featureIndices[4] must be below 2**32 (a uint32 on chain), got 4294967296",
    ),
    (
        "perceptron.json",
        _setting("featureIndices", [7, 2, 0, 2, 3]),
        "featureIndices[3] repeats the index 2 of featureIndices[1]",
    ),
    ("naive-bayes.json", _without("classCounts"), "missing field 'classCounts'"),
    ("naive-bayes.json", _without("totalNumFeatures"), "missing field 'totalNumFeatures'"),
    ("naive-bayes.json", _setting("classCounts", [12]), "featureCounts has 3 classes, classCounts 1"),
    ("naive-bayes.json", _setting("classCounts", [12, -7, 9]), "classCounts[1] must be a non-negative integer, got -7"),
    ("naive-bayes.json", _setting("classCounts", [12, 7.5, 9]), "classCounts[1] must be a non-negative integer, got"),
    ("naive-bayes.json", _setting("classCounts", [12, 7, None]), "classCounts[2] must be a non-negative integer, got"),
    ("naive-bayes.json", _setting("classCounts", [1, 2**64, 9]), "every class count must be in [0, 2**64)"),
    ("naive-bayes.json", _setting("totalNumFeatures", 0), "n_features must be in [1, 4294967296], got 0"),
    ("naive-bayes.json", _setting("totalNumFeatures", 10.5), "totalNumFeatures must be a non-negative integer, got"),
    (
        "naive-bayes.json",
        _setting("totalNumFeatures", "10"),
        'totalNumFeatures must be a non-negative integer, got "10"',
    ),
    (
        "naive-bayes.json",
        _setting("totalNumFeatures", 2**32),
        "totalNumFeatures makes a model of 4,294,967,296 features x 3 classes = 12,884,901,888 values, more than the",
    ),
    ("naive-bayes.json", _setting("totalNumFeatures", 2**32 + 1), "n_features must be in [1, 4294967296]"),
    ("naive-bayes.json", _setting("totalNumFeatures", 349_526), "349,526 features x 3 classes = 1,048,578 values"),
    ("naive-bayes.json", _setting("smoothingFactor", 0), "smoothingFactor must be from 1e-09 to 1.84467e+10, got 0"),
    ("naive-bayes.json", _setting("smoothingFactor", -1), "smoothingFactor must be from 1e-09 to 1.84467e+10, got -1"),
    ("naive-bayes.json", _setting("smoothingFactor", None), "smoothingFactor must be a number, got null"),
    ("naive-bayes.json", _setting("featureCounts", {"0": []}), 'featureCounts must be a list, got {"0": []}'),
    ("naive-bayes.json", lambda s: s["featureCounts"].__setitem__(1, "x"), 'featureCounts[1] must be a list, got "x"'),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([10, 1]),
        "featureCounts[0][4]: feature index 10 is outside [0, 10)",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([1, 2]),
        "featureCounts[0][4] repeats the feature index 1 of featureCounts[0][1]",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([8, -5]),
        "featureCounts[0][4][1] must be a non-negative integer, got -5",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([8, 1.5]),
        "featureCounts[0][4][1] must be a non-negative integer, got 1.5",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([8.5, 1]),
        "featureCounts[0][4][0] must be a non-negative integer, got 8.5",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([8, True]),
        "featureCounts[0][4][1] must be a non-negative integer, got true",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append([8, 1, 2]),
        "featureCounts[0][4] must be a [featureIndex, count] pair, got [8, 1, 2]",
    ),
    (
        "naive-bayes.json",
        lambda s: s["featureCounts"][0].append({"8": 1}),
        'featureCounts[0][4] must be a list, got {"8": 1}',
    ),
    (
        "naive-bayes.json",
        _setting("classifications", ["sports", "politics"]),
        "classifications names 2 classes, the model has 3",
    ),
    ("nearest-centroid.json", _without("centroids"), "missing field 'centroids'"),
    ("nearest-centroid.json", _setting("centroids", []), "centroids must be an object, got []"),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"].pop("red") and s["centroids"].pop("blue"),
        "the number of classes must be in [2, 64], got 1",
    ),
    ("nearest-centroid.json", lambda s: s["centroids"].update(red=[1.0]), 'centroids["red"] must be an object, got'),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["red"].pop("dataCount"),
        "missing field 'dataCount' in centroids[\"red\"]",
    ),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["red"].update(dataCount=-1),
        'centroids["red"].dataCount must be a non-negative integer, got -1',
    ),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["red"].update(dataCount=2.5),
        'centroids["red"].dataCount must be a non-negative integer, got 2.5',
    ),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["red"].update(centroid=[1.0]),
        "all centroids must have the same length, got lengths [1, 4]",
    ),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["red"]["centroid"].__setitem__(0, "x"),
        'centroids["red"].centroid[0] must be a number, got "x"',
    ),
    (
        "nearest-centroid.json",
        lambda s: s["centroids"]["green"]["centroid"].__setitem__(3, math.inf),
        'centroids["green"].centroid[3] must be a finite number, got Infinity',
    ),
    (
        "dense-nearest-centroid.json",
        lambda s: [entry.update(centroid=[0.1] * 513) for entry in s["centroids"].values()],
        "n_features must be in [1, 512], got 513",
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"]["spam"]["centroid"].update(x=0.5),
        'centroids["spam"].centroid has the key "x", which is not a feature index',
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"]["spam"]["centroid"].update({"-1": 0.5}),
        'centroids["spam"].centroid has the key "-1", which is not a feature index',
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"]["ham"]["centroid"].update({"4": None}),
        'centroids["ham"].centroid["4"] must be a number, got null',
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"]["ham"]["centroid"].update({"4294967296": 0.5}),
        'centroids["ham"].centroid["4294967296"] must be below 2**32 (a uint32 on chain)',
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"]["ham"]["centroid"].update({"4294967295": 0.5}),
        "centroids makes a model of 4,294,967,296 features x 3 classes = 12,884,901,888 values, more than the",
    ),
    (
        "sparse-nearest-centroid.json",
        lambda s: s["centroids"].update({f"topic {k}": {"centroid": {"0": 0.5}, "dataCount": 1} for k in range(62)}),
        "the number of classes must be in [2, 64], got 65",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), MALFORMED, ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_fields_are_one_clear_error(tmp_path, name, change, message) -> None:
    spec = load(name)
    change(spec)
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    with pytest.raises(ModelFileError) as raised:
        read_model_file(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: malformed {spec['type']!r} model: ") and message in text, text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ("", "cannot read"),
        ("[1, 2]", "a model file holds a JSON object, got list"),
        ('{"type": "random forest", "trees": []}', "unknown model type 'random forest'; known types are "),
        ('{"weights": [1.0]}', "unknown model type None"),
        (
            '{"type": "sparse perceptron", "weights": [1], "weights": [2]}',
            'the key "weights" appears twice in one object',
        ),
        (
            '{"type": "sparse perceptron", "weights": [1], "sparseWeights": {"3": 1, "3": 2}}',
            'the key "3" appears twice',
        ),
    ],
)
def test_unreadable_files_and_unknown_types_are_one_clear_error(tmp_path, content, message) -> None:
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(ModelFileError) as raised:
        read_model_file(path)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_a_missing_file_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(ModelFileError, match=r"cannot read .*nothing\.json: .*No such file"):
        read_model_file(tmp_path / "nothing.json")


def test_writing_where_one_cannot_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(ModelFileError, match="cannot write"):
        write_model_file(model_from_spec(load("sparse-perceptron.json")), tmp_path / "missing-folder" / "out.json")
