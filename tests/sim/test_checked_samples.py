"""The simulator's test set is checked once: predictions from it equal predictions from plain lists."""

from __future__ import annotations

import numpy as np
import pytest

from sumchain.errors import InvalidSample
from sumchain.models import NaiveBayes, SparsePerceptron
from sumchain.models.samples import CheckedSparse


def random_samples(rng: np.random.Generator, count: int, n_features: int) -> list[list[int]]:
    return [sorted(rng.choice(n_features, size=rng.integers(1, 30), replace=False).tolist()) for _ in range(count)]


def test_checked_samples_predict_as_plain_ones() -> None:
    rng = np.random.default_rng(7)
    train, test = random_samples(rng, 300, 200), random_samples(rng, 500, 200)
    labels = rng.integers(0, 2, size=300).tolist()
    checked = CheckedSparse(test, 200)
    assert [list(s) for s in checked] == test
    for model in (SparsePerceptron(n_features=200, max_iter=3), NaiveBayes(n_features=200)):
        model.fit(train, labels)
        assert model.predict(checked).tolist() == model.predict(test).tolist()
        truth = rng.integers(0, 2, size=500).tolist()
        assert model.score(checked, truth) == model.score(test, truth)


def test_checked_samples_of_another_feature_space_are_checked_again() -> None:
    model = SparsePerceptron(n_features=3).fit([[0], [1]], [1, 0])
    samples = [[0], [1], [2], [3]] * 10  # index 3 is outside the model's features
    with pytest.raises(InvalidSample, match=r"outside \[0, 3\)"):
        model.predict(CheckedSparse(samples, 4))
