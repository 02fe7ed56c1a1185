"""``fit`` of both perceptron mirrors as scikit-learn's ``SGDClassifier.fit``: shuffled passes and
the ``tol`` stopping rule, against passes replayed one sample at a time with ``partial_fit``."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from sumchain.models import DensePerceptron, SparsePerceptron
from sumchain.models.base import SCALE
from sumchain.models.perceptron import N_ITER_NO_CHANGE, BinaryPerceptron

RNG = np.random.default_rng(7)
LABELS = RNG.integers(0, 2, 120).tolist()
SPARSE = [sorted(RNG.choice(40, size=6, replace=False).tolist()) for _ in LABELS]
DENSE = [RNG.integers(-SCALE, SCALE, 5).tolist() for _ in LABELS]
"""Random labels: no perceptron separates them, so only the rule can end the passes."""

MODELS: list[tuple[type[BinaryPerceptron], list[list[int]], dict[str, Any]]] = [
    (SparsePerceptron, SPARSE, {"n_features": 40, "learning_rate": 10 * SCALE, "decay": 1000}),
    (DensePerceptron, DENSE, {"n_features": 5, "learning_rate": SCALE, "decay": 1000}),
]
ONE = {SparsePerceptron: SCALE, DensePerceptron: SCALE**2}
"""A score of 1.0: weights are at scale, and so are the dense model's inputs."""


def replayed(
    cls: type[BinaryPerceptron], X: list[list[int]], params: dict[str, Any], tol: float, seed: int | None
) -> tuple[BinaryPerceptron, int]:
    """The passes ``fit(tol=tol, shuffle=seed is not None, random_state=seed)`` must make, one sample at a time."""
    model = cls(**params).partial_fit(X[:0], [])
    order, rng = list(range(len(X))), random.Random(seed)
    losses = []
    for _ in range(1000):
        if seed is not None:
            rng.shuffle(order)
        loss = 0
        for i in order:
            score = int(model.decision_function([X[i]])[0])
            loss += max(0, -score if LABELS[i] else score)
            model.partial_fit([X[i]], [LABELS[i]])
        losses.append(loss / ONE[cls])
        no_gain = [losses[k] > min(losses[:k], default=np.inf) - tol * len(X) for k in range(len(losses))]
        if len(no_gain) >= N_ITER_NO_CHANGE and all(no_gain[-N_ITER_NO_CHANGE:]):
            break
    return model, len(losses)


@pytest.mark.parametrize(("cls", "X", "params"), MODELS, ids=["sparse", "dense"])
@pytest.mark.parametrize("seed", [None, 3])
@pytest.mark.parametrize("tol", [1e-3, 0.05, 0.5])
def test_fit_stops_once_the_loss_stops_falling_by_tol(
    cls: type[BinaryPerceptron], X: list[list[int]], params: dict[str, Any], seed: int | None, tol: float
) -> None:
    expected, passes = replayed(cls, X, params, tol, seed)
    fitted = cls(**params, max_iter=1000, tol=tol, shuffle=seed is not None, random_state=seed).fit(X, LABELS)
    assert N_ITER_NO_CHANGE <= passes < 1000
    assert fitted.samples_seen_ == passes * len(X)
    assert fitted.coef_.tolist() == expected.coef_.tolist()


@pytest.mark.parametrize(("cls", "X", "params"), MODELS, ids=["sparse", "dense"])
def test_shuffled_passes_depend_on_the_seed_only(
    cls: type[BinaryPerceptron], X: list[list[int]], params: dict[str, Any]
) -> None:
    def fit(**extra: Any) -> list[int]:
        return cls(**params, max_iter=3, **extra).fit(X, LABELS).coef_.tolist()

    assert fit(shuffle=True, random_state=1) == fit(shuffle=True, random_state=1)
    assert fit(shuffle=True, random_state=1) != fit(shuffle=True, random_state=2)
    assert fit(shuffle=True, random_state=1) != fit()
    assert fit(random_state=1) == fit(random_state=2) == fit()  # no shuffle: the seed is unused


def test_without_tol_fit_makes_every_pass_until_one_without_a_mistake() -> None:
    params = MODELS[0][2]
    assert SparsePerceptron(**params, max_iter=40).fit(SPARSE, LABELS).samples_seen_ == 40 * len(SPARSE)
    separable = SparsePerceptron(**params, max_iter=40).fit([[0], [1]], [1, 0])
    assert separable.samples_seen_ == 2 * 2  # one pass to learn, one without a mistake


@pytest.mark.parametrize("tol", [-0.1, float("nan")])
def test_a_negative_tol_is_refused(tol: float) -> None:
    with pytest.raises(ValueError, match="tol must be None or at least 0"):
        SparsePerceptron(n_features=3, tol=tol).fit([[0]], [1])


@pytest.mark.parametrize("seed", [1.5, "7", np.random.default_rng(0), -1, np.int64(-3)])
def test_a_random_state_that_is_not_an_integer_of_at_least_0_is_refused(seed: Any) -> None:
    with pytest.raises(ValueError, match="random_state must be None or an integer of at least 0"):
        SparsePerceptron(n_features=3, shuffle=True, random_state=seed).fit([[0]], [1])


def test_a_numpy_integer_seeds_as_the_same_int() -> None:
    params = MODELS[0][2]
    fitted = [
        SparsePerceptron(**params, max_iter=3, shuffle=True, random_state=seed).fit(SPARSE, LABELS).coef_.tolist()
        for seed in (4, np.int64(4))
    ]
    assert fitted[0] == fitted[1]


def test_the_fit_options_are_parameters() -> None:
    clf = SparsePerceptron(n_features=3, tol=0.01, shuffle=True, random_state=5)
    assert {"tol": 0.01, "shuffle": True, "random_state": 5}.items() <= clf.get_params().items()
    assert DensePerceptron(n_features=2).set_params(tol=0.1).tol == 0.1
