"""The samples of a simulation: a dataset as its model takes it, shuffled and split.

For a sparse model (the sparse perceptron, naive Bayes, the sparse nearest centroid)
every dataset becomes sorted, unique feature indices: texts through the reference's
1000-word IMDB vocabulary (IMDB) or a vocabulary learnt from the training split (fake
news), numbers as "above the median" bits (Endomondo, scikit-learn's sets), as the
reference discretised its fitness data. For a dense model (the dense perceptron, the
nearest centroid) a sample is a vector of fixed-point values of unit length, as the
reference prepared dense inputs: numbers standardised by the training split's mean and
spread (the text datasets, over 1000 words, are too wide for one). Nothing is downloaded: the paper's datasets are read
from the path given (IMDB from ``../shared/datasets`` by default).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sumchain import datasets
from sumchain.encoders import VocabularyEncoder
from sumchain.errors import InvalidSample, SumchainError
from sumchain.models import SCALE
from sumchain.models.samples import unit_vector
from sumchain.sim.scenario import DatasetSpec

Sample = tuple[int, ...]
Loaded = tuple[list[tuple[Sample, int]], list[tuple[Sample, int]], int, tuple[str, ...]]
"""What a loader gives: training and test samples with their labels, the feature count, the class names."""
SKLEARN_SETS = ("breast_cancer", "digits", "iris", "wine")
"""scikit-learn's bundled sets that need no download."""


@dataclass(frozen=True)
class SimData:
    """A dataset ready to simulate: the owner's initial data, the stream agents contribute, the test set.

    Attributes
    ----------
    initial, stream, test : list of (sample, label)
        Samples are sorted unique feature indices, or with ``dense`` vectors of ``n_features``
        fixed-point values.
    n_features : int
        Size of the feature space.
    class_names : tuple of str
        Name of each class.
    dense : bool
        Whether samples are vectors of values (for a dense model).
    """

    initial: list[tuple[Sample, int]]
    stream: list[tuple[Sample, int]]
    test: list[tuple[Sample, int]]
    n_features: int
    class_names: tuple[str, ...]
    dense: bool = False

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)


def _encode(encoder: VocabularyEncoder, texts: Sequence[str], labels: Sequence[int]) -> list[tuple[Sample, int]]:
    """Texts as feature indices; a text the encoder refuses (no known word) is left out."""
    found = []
    for text, label in zip(texts, labels, strict=True):
        try:
            found.append((tuple(encoder.encode(text)), label))
        except InvalidSample:
            continue
    return found


def _above_median(rows: np.ndarray, reference: np.ndarray) -> list[Sample]:
    """Each row as the indices of its values above ``reference``'s per-column median."""
    median = np.median(reference, axis=0)
    return [tuple(int(i) for i in np.flatnonzero(row > median)) for row in rows]


def _unit_rows(rows: np.ndarray) -> list[Sample]:
    """Each row at scale, divided by its length (:func:`~sumchain.models.samples.unit_vector`);
    a row of zeros stays zeros."""
    scaled = np.rint(rows * SCALE).astype(np.int64).tolist()
    return [tuple(unit_vector(row)) if any(row) else tuple(row) for row in scaled]


MAX_DEVIATIONS = 1_000_000
"""The most standard deviations a dense model's value may lie from its column's mean (at the models'
scale, further would not fit the contracts' integers)."""


def _numbers(rows: np.ndarray, reference: np.ndarray, dense: bool) -> list[Sample]:
    """Numeric rows as a model takes them: for a sparse model the indices of the values above
    ``reference``'s medians, for a dense one the values standardised by ``reference``'s mean
    and spread, as unit vectors."""
    if not dense:
        return _above_median(rows, reference)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = reference.std(axis=0)
        standardised = (rows - reference.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    if not (np.isfinite(spread).all() and (np.abs(standardised) <= MAX_DEVIATIONS).all()):  # NaN included
        raise SumchainError(
            f"the dataset's values cannot be standardised: one is more than {MAX_DEVIATIONS:,} spreads from "
            "its column's mean, or they overflow a float"
        )
    return _unit_rows(standardised)


def split_initial(pairs: list[tuple[Sample, int]], fraction: float, rng: random.Random) -> tuple[list, list]:
    """The samples with a feature, shuffled by ``rng``: the first ``fraction`` of them (the owner's
    initial data) and the rest (the stream), as :func:`load_data` splits a dataset's training set."""
    pairs = [p for p in pairs if p[0]]
    rng.shuffle(pairs)
    cut = int(len(pairs) * fraction)
    return pairs[:cut], pairs[cut:]


def _imdb(spec: DatasetSpec) -> Loaded:
    path = Path(spec.path) if spec.path else datasets.IMDB_ARCHIVE
    encoder = VocabularyEncoder.imdb()
    splits = datasets.read_imdb_splits(path)
    train, test = (_encode(encoder, *splits[split]) for split in ("train", "test"))
    return train, test, encoder.n_features, ("negative", "positive")


def _imdb_npz(spec: DatasetSpec) -> Loaded:
    """Keras's imdb.npz, its ids mapped to words (``imdb_word_index.json`` beside it, else the shared one)."""
    if not spec.path:
        raise SumchainError("the imdb-npz dataset needs [dataset] path: the Keras imdb.npz file")
    beside = Path(spec.path).with_name("imdb_word_index.json")
    words = datasets.read_keras_word_index(beside if beside.exists() else datasets.KERAS_WORD_INDEX)
    vocabulary = VocabularyEncoder.imdb()
    index = vocabulary.vocabulary_

    def features(split: str) -> list[tuple[Sample, int]]:
        sequences, labels = datasets.read_imdb_npz(spec.path, split)
        found = [tuple(sorted({index[words[i]] for i in seq if words.get(i) in index})) for seq in sequences]
        return list(zip(found, labels, strict=True))

    return features("train"), features("test"), vocabulary.n_features, ("negative", "positive")


def _fake_news(spec: DatasetSpec) -> Loaded:
    """The fake-news CSV, 70/30 as the reference splits it, through a 1000-word vocabulary of the 70."""
    if not spec.path:
        raise SumchainError("the fake-news dataset needs [dataset] path: Kaggle's fake-news train.csv")
    texts, labels = datasets.read_fake_news(spec.path)
    cut = int(len(texts) * 0.7)
    encoder = VocabularyEncoder(max_features=1000).fit(texts[:cut])
    train, test = _encode(encoder, texts[:cut], labels[:cut]), _encode(encoder, texts[cut:], labels[cut:])
    return train, test, encoder.n_features, ("reliable", "unreliable")


def _endomondo(spec: DatasetSpec, dense: bool) -> Loaded:
    """Endomondo workouts: the six summaries above their median, then a gender one-hot; 70/30.
    For a dense model: the summaries and the one-hot, standardised."""
    if not spec.path:
        raise SumchainError("the endomondo dataset needs [dataset] path: FitRec's endomondoHR_proper.json")
    rows, genders, labels = datasets.read_endomondo(spec.path)
    values = np.asarray(rows)
    gender_index = {g: i for i, g in enumerate(dict.fromkeys(genders))}
    n_features = values.shape[1] + len(gender_index)
    cut = int(len(labels) * 0.7)
    if dense:
        one_hot = np.eye(len(gender_index))[[gender_index[g] for g in genders]]
        both = np.hstack([values, one_hot])
        samples = _numbers(both, both[:cut], dense=True)
    else:
        bits = _above_median(values, values)
        samples = [(*b, values.shape[1] + gender_index[g]) for b, g in zip(bits, genders, strict=True)]
    pairs = list(zip(samples, labels, strict=True))
    return pairs[:cut], pairs[cut:], n_features, ("bike", "run")


def _tiny_reviews(spec: DatasetSpec) -> Loaded:
    """The demo's 240 shipped reviews: 180 to train, 60 to test."""
    from sumchain.data import tiny_reviews

    encoder = VocabularyEncoder.imdb()
    pairs = _encode(encoder, *tiny_reviews())
    random.Random(0).shuffle(pairs)
    return pairs[:180], pairs[180:], encoder.n_features, ("negative", "positive")


def _sklearn(name: str) -> Callable[[DatasetSpec, bool], Loaded]:
    def load(spec: DatasetSpec, dense: bool) -> Loaded:
        try:
            from sklearn import datasets as bundled
        except ImportError:
            raise SumchainError(f"the {name} dataset needs scikit-learn: pip install 'sumchain[sklearn]'") from None
        found = getattr(bundled, f"load_{name}")()
        cut = int(len(found.target) * 0.7)
        order = np.random.default_rng(0).permutation(len(found.target))
        x, y = found.data[order], found.target[order]
        samples = _numbers(x, x[:cut], dense)
        pairs = [(s, int(label)) for s, label in zip(samples, y, strict=True)]
        names = tuple(str(n) for n in found.target_names)
        return pairs[:cut], pairs[cut:], x.shape[1], names

    return load


def _text(read: Callable[[DatasetSpec], Loaded]) -> Callable[[DatasetSpec, bool], Loaded]:
    """The loader of a text dataset: its word indices (a dense model takes none of them)."""

    def load(spec: DatasetSpec, dense: bool) -> Loaded:
        if dense:
            raise SumchainError(
                f"the {spec.name} dataset is text, whose word features a dense model does not take: "
                "use the sparse perceptron, naive bayes or the sparse nearest centroid"
            )
        return read(spec)

    return load


LOADERS: dict[str, Callable[[DatasetSpec, bool], Loaded]] = {
    "imdb": _text(_imdb),
    "imdb-npz": _text(_imdb_npz),
    "fake-news": _text(_fake_news),
    "endomondo": _endomondo,
    "tiny-reviews": _text(_tiny_reviews),
    **{name: _sklearn(name) for name in SKLEARN_SETS},
}
"""Loader of each dataset name a scenario may give (the spec, and whether the model is dense)."""
BUILT_IN = ("tiny-reviews", *SKLEARN_SETS)
"""The datasets that come with the installed packages: they take no ``path``."""


def load_data(spec: DatasetSpec, seed: int, *, dense: bool = False) -> SimData:
    """The dataset of a scenario, shuffled by ``seed`` and split into initial data and stream.

    Parameters
    ----------
    spec : DatasetSpec
        The scenario's ``[dataset]``: its name, path, initial fraction and limit.
    seed : int
        The shuffle (and the samples a ``limit`` keeps).
    dense : bool
        Samples for a dense model (:attr:`~sumchain.sim.scenario.ModelSpec.dense`): vectors of
        values instead of feature indices.

    Returns
    -------
    SimData
        The owner's initial samples, the stream, the test set, the feature count and class names.

    Raises
    ------
    SumchainError
        For an unknown name, a missing path, a file that cannot be read, or a text dataset for a
        dense model.
    """
    if spec.name not in LOADERS:
        raise SumchainError(f"unknown dataset {spec.name!r} (known: {', '.join(LOADERS)})")
    if spec.path and not Path(spec.path).exists():
        raise SumchainError(f"no dataset at {spec.path}")
    train, test, n_features, names = LOADERS[spec.name](spec, dense)
    if spec.limit:  # drawn at random: a dataset read in order (IMDB: by label) would keep one class
        pick = random.Random(f"limit {seed}")
        train, test = (pick.sample(part, min(spec.limit, len(part))) for part in (train, test))
    rng = random.Random(seed)
    initial, stream = split_initial(train, spec.initial_fraction, rng)
    if not initial or not stream or not test:
        raise SumchainError(
            f"the {spec.name} dataset is too small to split: {len(train):,} training samples give "
            f"{len(initial):,} to train on first (initial_fraction {spec.initial_fraction:g}), "
            f"{len(stream):,} to contribute, and {len(test):,} test samples"
        )
    return SimData(initial, stream, [p for p in test if p[0]], n_features, names, dense)
