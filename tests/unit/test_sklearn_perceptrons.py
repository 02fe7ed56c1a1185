"""Fitted scikit-learn perceptrons converted to fixed point, deployed, and compared.

The conversion rounds every weight to ``1e-9``; on held-out data the
fixed-point model's accuracy must stay within ``TOLERANCE`` (one percentage
point) of the float model's, and the contract must predict exactly what the
mirror predicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sumchain import DensePerceptron, DepositRefundTake, SharedModel, SparsePerceptron
from sumchain.chain.base import Chain
from sumchain.errors import NotFittedError
from sumchain.models import OnChainModel
from sumchain.models.base import SCALE
from sumchain.models.convert import binary_to_indices, conversion_report, dense_to_fixed

TOLERANCE = 0.01
ON_CHAIN_ROWS = 12
"""Held-out rows also predicted on chain (each call runs the EVM in Python)."""


def assert_converts_on_and_off_chain(
    chain: Chain,
    clf: Any,
    mirror: OnChainModel,
    X_test: np.ndarray,
    y_test: np.ndarray,
    to_samples: Callable[[Any], list[list[int]]],
    *,
    min_float_accuracy: float,
) -> None:
    """The mirror predicts as ``clf`` within :data:`TOLERANCE`, and its contract as the mirror."""
    report = conversion_report(clf, mirror, X_test, y_test, to_samples=to_samples)
    assert report.n_samples == len(y_test)
    assert report.float_accuracy > min_float_accuracy
    assert abs(report.accuracy_loss) <= TOLERANCE
    assert report.agreement >= 1 - TOLERANCE
    model = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    samples = to_samples(X_test[:ON_CHAIN_ROWS])
    assert [model.predict(s) for s in samples] == mirror.predict(samples).tolist()


@pytest.fixture(scope="module")
def breast_cancer() -> tuple[Perceptron, np.ndarray, np.ndarray]:
    """A Perceptron fitted on standardized breast-cancer features (bundled with scikit-learn), and held-out rows."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    clf = Perceptron(random_state=0).fit(scaler.transform(X_train), y_train)
    return clf, scaler.transform(X_test), y_test


@pytest.fixture(scope="module")
def bag_of_words() -> tuple[Perceptron, np.ndarray, np.ndarray]:
    """A Perceptron fitted on synthetic 0/1 word columns whose label is the sign of hidden word scores."""
    rng = np.random.default_rng(3)
    n_docs, n_words = 400, 300
    X = np.zeros((n_docs, n_words), dtype=int)
    for row in X:
        row[rng.choice(n_words, size=rng.integers(5, 25), replace=False)] = 1
    y = (X @ rng.normal(size=n_words) > 0).astype(int)
    clf = Perceptron(random_state=0).fit(X[:300], y[:300])
    return clf, X[300:], y[300:]


def test_dense_perceptron_from_sklearn_keeps_its_accuracy_on_and_off_chain(chain, breast_cancer) -> None:
    clf, X_test, y_test = breast_cancer
    mirror = DensePerceptron.from_sklearn(clf)
    assert mirror.coef_.tolist() == [round(w * SCALE) for w in clf.coef_[0]]
    assert mirror.intercept_ == round(clf.intercept_[0] * SCALE)
    assert mirror.learning_rate == round(clf.eta0 * SCALE)  # the Perceptron's own step
    assert_converts_on_and_off_chain(chain, clf, mirror, X_test, y_test, dense_to_fixed, min_float_accuracy=0.9)


def test_sparse_perceptron_from_sklearn_keeps_its_accuracy_on_and_off_chain(chain, bag_of_words) -> None:
    clf, X_test, y_test = bag_of_words
    mirror = SparsePerceptron.from_sklearn(clf)
    assert mirror.coef_.tolist() == [round(w * SCALE) for w in clf.coef_[0]]
    assert mirror.intercept_ == round(clf.intercept_[0] * SCALE)
    assert_converts_on_and_off_chain(chain, clf, mirror, X_test, y_test, binary_to_indices, min_float_accuracy=0.7)


def test_a_linear_sgd_classifier_converts_with_the_models_default_rate(breast_cancer) -> None:
    clf, X_test, y_test = breast_cancer
    sgd = SGDClassifier(random_state=0).fit(X_test, y_test)  # any fitted linear model will do
    dense = DensePerceptron.from_sklearn(sgd)
    assert dense.learning_rate == SCALE
    assert dense.predict(dense_to_fixed(X_test)).tolist() == sgd.predict(X_test).tolist()
    assert SparsePerceptron.from_sklearn(sgd).learning_rate == SCALE // 2
    assert DensePerceptron.from_sklearn(clf, learning_rate=7, weight_bits=64).get_params()["learning_rate"] == 7


def test_label_one_is_the_estimators_second_class() -> None:
    X = [[1.0, 0.0], [0.0, 1.0], [2.0, 0.5], [0.5, 2.0]]
    clf = Perceptron(random_state=0).fit(X, ["no", "yes", "no", "yes"])
    mirror = DensePerceptron.from_sklearn(clf)
    assert [clf.classes_[p] for p in mirror.predict(dense_to_fixed(X))] == clf.predict(X).tolist()


@pytest.mark.parametrize("cls", [DensePerceptron, SparsePerceptron])
def test_unsupported_estimators_are_refused_with_a_clear_error(cls) -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="expected a binary classifier, got 3 classes"):
        cls.from_sklearn(Perceptron().fit(X, y))
    with pytest.raises(TypeError, match="Perceptron or SGDClassifier, got DecisionTreeClassifier"):
        cls.from_sklearn(DecisionTreeClassifier().fit(X, y))
    with pytest.raises(NotFittedError, match="not fitted"):
        cls.from_sklearn(Perceptron())
    binary = (X[:100], y[:100])  # steps the contracts cannot take: each named, not a parameter never set
    with pytest.raises(ValueError, match=r"eta0=1e-12 is a step under the contracts' smallest, 1e-9"):
        cls.from_sklearn(Perceptron(eta0=1e-12).fit(*binary))
    with pytest.raises(ValueError, match=r"alpha=10 gives the 'optimal' schedule a t0 of 0.178 samples"):
        cls.from_sklearn(SGDClassifier(loss="perceptron", alpha=10).fit(*binary))
