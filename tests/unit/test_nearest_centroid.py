"""The dense and sparse nearest centroid models' rules on chain, beside their mirrors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sumchain import (
    ContractReverted,
    DepositRefundTake,
    InvalidSample,
    NearestCentroid,
    SharedModel,
    SparseNearestCentroid,
)
from sumchain.chain.base import TX_GAS_CAP
from sumchain.errors import ModelFileError
from sumchain.models.base import SCALE
from sumchain.models.convert import binary_to_indices, conversion_report, dense_to_fixed
from sumchain.models.nearest_centroid import COUNT_MAX, running_mean
from sumchain.models.reference_file import model_from_spec
from tests.helpers import assert_deployment_reverts, deploy_interrupted, observable_state, sparse_bytes

FREE = DepositRefundTake(cost_weight=0)
BLOCK_GAS_LIMIT = 30_000_000
QUIET_SKLEARN = pytest.mark.filterwarnings("ignore:self.within_class_std_dev_ has at least 1 zero")
"""scikit-learn warns when a feature is constant within a class (digits have blank pixels)."""


def deploy(chain, mirror) -> SharedModel:  # type: ignore[no-untyped-def]
    return SharedModel.deploy(chain, mirror, mechanism=FREE)


def raw_add(chain, model: SharedModel, data: bytes, label: int) -> None:  # type: ignore[no-untyped-def]
    """``add_data`` without the client's checks."""
    chain.transact(model.address, model.abi.encode_call("add_data", data, label), sender=chain.accounts[1])


def dense_bytes(values: list[int]) -> bytes:
    return b"".join(v.to_bytes(8, "big", signed=True) for v in values)


def test_running_mean_truncates_towards_zero() -> None:
    assert running_mean(-5, 2, 0) == -3  # -10 / 3: floor division would give -4
    assert running_mean(1, 2, -6) == -1  # (2 - 6) / 3
    assert running_mean(7, 0, -5) == -5  # an empty class takes the sample
    assert running_mean(0, 1, SCALE) == SCALE // 2


# -- dense ---------------------------------------------------------------------


def test_dense_predicts_the_nearest_centroid_and_the_lowest_class_on_a_tie(chain) -> None:
    mirror = NearestCentroid.from_centroids([[0, 0], [10, 0], [0, 10], [10, 10]])
    model = deploy(chain, mirror)
    cases = {(1, 1): 0, (9, 1): 1, (1, 9): 2, (9, 12): 3, (5, 0): 0, (10, 5): 1, (5, 5): 0, (5, 10): 2}
    for sample, wanted in cases.items():
        assert model.predict(sample) == wanted, sample
        assert mirror.predict([sample])[0] == wanted, sample


def test_dense_update_is_the_truncated_running_mean_of_its_class_only(chain) -> None:
    mirror = NearestCentroid.from_centroids([[-5, 7, 0], [3, 3, 3]], [2, 9], value_bits=16)
    model = deploy(chain, mirror)
    model.add_data([0, 0, -1], 0, sender=1)
    # (-5*2 + 0) / 3 = -3.33 -> -3, (7*2 + 0) / 3 = 4.67 -> 4, (0*2 - 1) / 3 = -0.33 -> 0
    mirror.partial_fit([[0, 0, -1]], [0])
    on_chain = model.mirror()
    assert on_chain.centroids_.tolist() == mirror.centroids_.tolist() == [[-3, 4, 0], [3, 3, 3]]
    assert on_chain.counts_.tolist() == mirror.counts_.tolist() == [3, 9]
    assert model.parameter_words() == mirror.to_words()
    model.add_data([-32768, 32767, 5], 1, sender=1)  # the value bounds of 16 bits
    mirror.partial_fit([[-32768, 32767, 5]], [1])
    assert model.parameter_words() == mirror.to_words()
    assert mirror.centroids_[1].tolist() == [-3274, 3279, 3]  # (27 - 32768) / 10 = -3274.1 -> -3274


def test_dense_sixty_four_classes(chain) -> None:
    rows = [[k * 100 + 1, -k * 50, (k % 7) * 30] for k in range(64)]
    mirror = NearestCentroid.from_centroids(rows, list(range(64)))
    model = deploy(chain, mirror)
    assert model.n_classes == 64
    assert [model.predict(row) for row in rows[::9]] == list(range(0, 64, 9))
    for label in (17, 63, 0):
        model.add_data([1, 2, 3], label, sender=1)
        mirror.partial_fit([[1, 2, 3]], [label])
        assert model.parameter_words() == mirror.to_words()
    assert model.predict([6300, -3150, 0]) == mirror.predict([[6300, -3150, 0]])[0] == 63


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ([0, 2, 32], "centroids: n_features out of range"),
        ([513, 2, 32], "centroids: n_features out of range"),
        ([4, 1, 32], "centroids: n_classes out of range"),
        ([4, 65, 32], "centroids: n_classes out of range"),
        ([4, 2, 7], "centroids: value_bits out of range"),
        ([4, 2, 65], "centroids: value_bits out of range"),
        ([4, 2], "centroids: expected 3 parameters"),
        ([4, 2, 32, 1], "centroids: expected 3 parameters"),
    ],
)
def test_dense_bad_parameters_revert_at_deployment(chain, params, reason) -> None:
    assert_deployment_reverts(chain, "nearest_centroid", params, reason)


def test_dense_bad_samples_and_labels_revert_and_change_nothing(chain) -> None:
    mirror = NearestCentroid.from_centroids([[1, 2, 3], [4, 5, 6], [7, 8, 9]], value_bits=8)
    model = deploy(chain, mirror)
    before = observable_state(model)
    bad = [
        (dense_bytes([1, 2]), 0, "samples: wrong dimension"),
        (dense_bytes([1, 2, 3, 4]), 0, "samples: wrong dimension"),
        (dense_bytes([1, 128, 3]), 0, "nearest_centroid: value out of range"),
        (dense_bytes([-129, 2, 3]), 0, "nearest_centroid: value out of range"),
        (dense_bytes([2**63 - 1, 0, 0]), 0, "nearest_centroid: value out of range"),
        (dense_bytes([1, 2, 3]), 3, "nearest_centroid: label out of range"),
    ]
    for data, label, reason in bad:
        with pytest.raises(ContractReverted, match=reason):
            raw_add(chain, model, data, label)
    for data, _, reason in bad[:5]:
        with pytest.raises(ContractReverted, match=reason):
            chain.call(model.address, model.abi.encode_call("predict", data))
    for sample, label in [([1, 2], 0), ([1, 128, 3], 0), ([-129, 2, 3], 0), ([1, 2, 3], 3)]:
        with pytest.raises(InvalidSample):
            model.add_data(sample, label, sender=1)
        with pytest.raises(InvalidSample):
            mirror.partial_fit([sample], [label])
    with pytest.raises(InvalidSample, match="does not fit in 8 signed bits"):
        model.predict([1, 128, 3])
    assert observable_state(model) == before
    assert mirror.to_words() == model.parameter_words()
    model.add_data([-128, 127, 0], 2, sender=1)  # the bounds themselves are fine


def test_a_value_out_of_range_is_refused_at_every_position(chain) -> None:
    """The range check reads 4 values at a time: each lane of each read counts, the last read
    too, which holds a single value when the dimension is one more than a multiple of 4."""
    n_features = 9
    model = deploy(chain, NearestCentroid.from_centroids([[0] * n_features, [1] * n_features], value_bits=8))
    for position in range(n_features):
        for bad, fine in [(128, 127), (-129, -128)]:
            values = [1] * n_features
            values[position] = bad
            with pytest.raises(ContractReverted, match="nearest_centroid: value out of range"):
                chain.call(model.address, model.abi.encode_call("predict", dense_bytes(values)))
            values[position] = fine
            model.predict(values)


@pytest.mark.parametrize("cls", [NearestCentroid, SparseNearestCentroid])
def test_a_full_data_count_reverts_and_changes_nothing(chain, cls) -> None:
    mirror = cls.from_centroids([[SCALE, 0, 5], [0, SCALE, -5]], [COUNT_MAX, 3])
    model = deploy(chain, mirror)
    before = observable_state(model)
    sample = [1, 1, 1] if cls is NearestCentroid else [0, 2]
    with pytest.raises(ContractReverted, match="fields: value overflows its field"):
        model.add_data(sample, 0, sender=1)
    assert observable_state(model) == before
    with pytest.raises(InvalidSample, match="data count of class 0"):
        mirror.partial_fit([sample], [0])
    assert mirror.to_words() == model.parameter_words()
    model.add_data(sample, 1, sender=1)  # the other class still learns
    mirror.partial_fit([sample], [1])
    assert mirror.to_words() == model.parameter_words()


def test_512_dims_10_classes_deploy_in_gas_sized_chunks_and_resume(chain) -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(-(2**62), 2**62, size=(10, 512)).tolist()
    mirror = NearestCentroid.from_centroids(rows, list(range(1, 11)), value_bits=64)  # the widest: 1283 words
    partial, receipts = deploy_interrupted(chain, mirror, chunks=1, mechanism=FREE)
    assert 0 < partial._call("words_loaded") < len(mirror.to_words())
    with pytest.raises(ContractReverted, match="trainer: parameters not loaded"):
        partial.predict(rows[0])
    partial.upload_parameters(mirror.to_words(), on_chunk=lambda d, t, r: receipts.append(r))
    assert partial.parameter_words() == mirror.to_words()
    assert len(receipts) >= 3  # creation and at least two chunks
    assert all(r.gas_used < min(BLOCK_GAS_LIMIT, TX_GAS_CAP) for r in receipts)
    probes = [*rng.integers(-(2**62), 2**62, size=(3, 512)).tolist(), rows[7]]
    assert [partial.predict(p) for p in probes] == mirror.predict(probes).tolist()
    assert partial.predict(rows[7]) == 7
    partial.add_data(probes[0], 4, sender=1)
    mirror.partial_fit([probes[0]], [4])
    assert partial.parameter_words() == mirror.to_words()


@QUIET_SKLEARN
def test_dense_from_scikit_learn_on_the_digits(chain) -> None:
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.neighbors import NearestCentroid as SkNearestCentroid

    X, y = load_digits(return_X_y=True)
    estimator = SkNearestCentroid().fit(X[:1200], y[:1200])
    counts = np.bincount(y[:1200]).tolist()
    mirror = NearestCentroid.from_sklearn(estimator, data_counts=counts)
    assert mirror.n_classes == 10 and mirror.counts_.tolist() == counts
    assert mirror.class_names_ == [str(c) for c in range(10)]
    assert mirror.centroids_[3].tolist() == [round(v * SCALE) for v in estimator.centroids_[3]]
    report = conversion_report(estimator, mirror, X[1200:], y[1200:], to_samples=dense_to_fixed)
    assert report.n_samples == len(X) - 1200
    assert report.agreement == 1.0  # distances of 1e9-scaled integers keep the float order here
    assert report.fixed_accuracy > 0.85
    model = deploy(chain, mirror)
    held_out = dense_to_fixed(X[1200:1230])
    assert [model.predict(x) for x in held_out] == mirror.predict(held_out).tolist()
    narrow = NearestCentroid.from_sklearn(SkNearestCentroid().fit(X[:1200] / 16, y[:1200]))  # centroids below 1
    with pytest.raises(InvalidSample, match=r"refuses a held-out sample .*: its values are 32-bit, set by its"):
        conversion_report(estimator, narrow, X[1200:], y[1200:], to_samples=dense_to_fixed)  # a traceback


@QUIET_SKLEARN
def test_sparse_from_scikit_learn_on_binarized_digits(chain) -> None:
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.neighbors import NearestCentroid as SkNearestCentroid

    X, y = load_digits(return_X_y=True)
    B = (X > 7).astype(float)
    estimator = SkNearestCentroid().fit(B[:1200], y[:1200])
    mirror = SparseNearestCentroid.from_sklearn(estimator)
    assert mirror.n_features == 64 and mirror.counts_.tolist() == [1] * 10
    assert mirror.norms_.tolist() == [sum(int(v) ** 2 for v in row) for row in mirror.centroids_.tolist()]
    report = conversion_report(estimator, mirror, B[1200:], y[1200:], to_samples=binary_to_indices)
    assert report.agreement > 0.99
    assert report.fixed_accuracy > 0.8
    model = deploy(chain, mirror)
    held_out = binary_to_indices(B[1200:1230])
    assert [model.predict(x) for x in held_out] == mirror.predict(held_out).tolist()
    with pytest.raises(ValueError, match="0/1 features"):
        SparseNearestCentroid.from_sklearn(SkNearestCentroid().fit(X[:100], y[:100]))


@QUIET_SKLEARN
def test_from_scikit_learn_refuses_what_distance_alone_cannot_mirror() -> None:
    pytest.importorskip("sklearn")
    from sklearn.linear_model import Perceptron
    from sklearn.neighbors import NearestCentroid as SkNearestCentroid

    X, y = [[0.0, 0.0], [1.0, 1.0], [0.0, 0.1]], [0, 1, 0]
    with pytest.raises(ValueError, match="Euclidean"):
        NearestCentroid.from_sklearn(SkNearestCentroid(metric="manhattan").fit(X, y))
    with pytest.raises(ValueError, match="priors"):
        NearestCentroid.from_sklearn(SkNearestCentroid(priors="empirical").fit(X, y))
    with pytest.raises(TypeError, match="NearestCentroid"):
        NearestCentroid.from_sklearn(Perceptron().fit(X, y))


# -- sparse --------------------------------------------------------------------


def test_sparse_predicts_the_nearest_centroid_and_the_lowest_class_on_a_tie(chain) -> None:
    half = SCALE // 2
    rows = [[SCALE, 0, 0, 0], [0, SCALE, 0, 0], [half, half, 0, 0], [0, 0, 0, 0]]
    mirror = SparseNearestCentroid.from_centroids(rows)
    model = deploy(chain, mirror)
    cases = {(0,): 0, (1,): 1, (0, 1): 2, (2,): 3, (2, 3): 3, (0, 1, 2, 3): 2}
    for sample, wanted in cases.items():
        assert model.predict(sample) == wanted, sample
        assert mirror.predict([sample])[0] == wanted, sample
    tie = SparseNearestCentroid.from_centroids([[0, SCALE], [SCALE, 0]])
    tied = deploy(chain, tie)
    assert tied.predict([0, 1]) == 0  # equally far from both
    assert tied.predict([0]) == 1


def test_sparse_update_moves_present_features_only_and_keeps_the_norm_exact(chain) -> None:
    rows = [[-3 * SCALE, 7, 0, SCALE, 5], [1, 2, 3, 4, 5]]
    mirror = SparseNearestCentroid.from_centroids(rows, [2, 0])
    model = deploy(chain, mirror)
    assert model.params == (5, 2, 40)  # 3.0 needs more than 32 bits
    model.add_data([0, 2], 0, sender=1)
    mirror.partial_fit([[0, 2]], [0])
    # (-3e9 * 2 + 1e9) / 3 = -1666666666.67 -> -1666666666; (0 * 2 + 1e9) / 3 -> 333333333
    assert mirror.centroids_.tolist() == [[-1_666_666_666, 7, 333_333_333, SCALE, 5], rows[1]]
    assert mirror.counts_.tolist() == [3, 0]
    assert mirror.norms_[0] == sum(v * v for v in mirror.centroids_[0].tolist())
    assert model.parameter_words() == mirror.to_words()
    model.add_data([1, 4], 1, sender=1)  # an empty class takes the sample: 1.0 where present
    mirror.partial_fit([[1, 4]], [1])
    assert mirror.centroids_[1].tolist() == [1, SCALE, 3, 4, SCALE]
    assert model.parameter_words() == mirror.to_words()
    assert model.mirror().norms_.tolist() == [sum(v * v for v in row) for row in mirror.centroids_.tolist()]


def test_sparse_sixty_four_classes(chain) -> None:
    rows = [[SCALE if f == k else 0 for f in range(70)] for k in range(64)]
    mirror = SparseNearestCentroid.from_centroids(rows)
    model = deploy(chain, mirror)
    assert [model.predict([k]) for k in (0, 17, 63)] == [0, 17, 63]
    assert model.predict([64, 65]) == 0  # equally far from all
    model.add_data([64, 65], 40, sender=1)
    mirror.partial_fit([[64, 65]], [40])
    assert model.parameter_words() == mirror.to_words()
    assert model.predict([64, 65]) == mirror.predict([[64, 65]])[0] == 40


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ([0, 2, 32], "centroids: n_features out of range"),
        ([2**32 + 1, 2, 32], "centroids: n_features out of range"),
        ([4, 1, 32], "centroids: n_classes out of range"),
        ([4, 65, 32], "centroids: n_classes out of range"),
        ([4, 2, 30], "centroids: value_bits out of range"),
        ([4, 2, 65], "centroids: value_bits out of range"),
        ([4, 2, 32, 0], "centroids: expected 3 parameters"),
    ],
)
def test_sparse_bad_parameters_revert_at_deployment(chain, params, reason) -> None:
    assert_deployment_reverts(chain, "sparse_nearest_centroid", params, reason)


def test_sparse_bad_samples_and_labels_revert_and_change_nothing(chain) -> None:
    mirror = SparseNearestCentroid.from_centroids([[SCALE, 0, 0, 0], [0, SCALE, 0, 0], [0, 0, SCALE, 0]])
    model = deploy(chain, mirror)
    before = observable_state(model)
    bad = [
        (sparse_bytes(2, 1), 0, "samples: indices not sorted and unique"),
        (sparse_bytes(1, 1), 0, "samples: indices not sorted and unique"),
        (sparse_bytes(0, 4), 0, "samples: index out of range"),
        (sparse_bytes(1) + b"\x00", 0, "samples: sparse sample length"),
        (sparse_bytes(1), 3, "sparse_nearest_centroid: label out of range"),
    ]
    for data, label, reason in bad:
        with pytest.raises(ContractReverted, match=reason):
            raw_add(chain, model, data, label)
    for sample, label in [([2, 1], 0), ([1, 1], 0), ([0, 4], 0), ([-1], 0), ([1], 3)]:
        with pytest.raises(InvalidSample):
            model.add_data(sample, label, sender=1)
        with pytest.raises(InvalidSample):
            mirror.partial_fit([sample], [label])
    assert observable_state(model) == before
    assert mirror.to_words() == model.parameter_words()


def test_a_wrong_loaded_norm_is_used_as_is_and_cannot_go_below_zero(chain) -> None:
    mirror = SparseNearestCentroid.from_centroids([[3 * SCALE, 0], [0, 0]], [1, 1])
    mirror.norms_[0] = 0  # as if the owner loaded a wrong norm (the true one is 9e18)
    model = deploy(chain, mirror)
    assert model.mirror().norms_.tolist() == [0, 0]
    assert model.predict([1]) == mirror.predict([[1]])[0] == 0  # the true distances would say 1
    before = observable_state(model)
    with pytest.raises(ContractReverted, match="sparse_nearest_centroid: squared norm below 0"):
        model.add_data([0], 0, sender=1)  # 3.0 -> 2.0 takes 5e18 off the norm
    with pytest.raises(InvalidSample, match="below 0"):
        mirror.partial_fit([[0]], [0])
    assert observable_state(model) == before
    assert mirror.to_words() == model.parameter_words()
    model.add_data([1], 0, sender=1)  # 0 -> 0.5 adds to it
    mirror.partial_fit([[1]], [0])
    assert mirror.norms_[0] == (SCALE // 2) ** 2
    assert mirror.to_words() == model.parameter_words()
    exact = SparseNearestCentroid.from_centroids([[3 * SCALE, 0], [0, 0]], [1, 1])
    exact.norms_[0] = 5 * SCALE**2  # exactly what 3.0 -> 2.0 takes off: the norm lands on 0, which is fine
    model = deploy(chain, exact)
    model.add_data([0], 0, sender=1)
    exact.partial_fit([[0]], [0])
    assert exact.norms_[0] == 0
    assert exact.to_words() == model.parameter_words()


# -- reference files -----------------------------------------------------------


def test_dense_reference_file_keeps_names_order_and_values() -> None:
    spec = {
        "type": "nearest centroid classifier",
        "centroids": {
            "zebra": {"centroid": [0.5, -0.25, 1e-9], "dataCount": 7},
            "apple": {"centroid": [-1.0, 2.0, 0.0], "dataCount": 0},
        },
    }
    mirror = model_from_spec(spec)
    assert isinstance(mirror, NearestCentroid)
    assert mirror.centroids_.tolist() == [[500_000_000, -250_000_000, 1], [-SCALE, 2 * SCALE, 0]]
    assert mirror.counts_.tolist() == [7, 0]
    exported = mirror.to_reference_spec()
    assert exported["type"] == "dense nearest centroid classifier"
    assert list(exported["centroids"]) == ["zebra", "apple"]
    assert exported["centroids"]["zebra"] == spec["centroids"]["zebra"]
    assert model_from_spec(exported).to_words() == mirror.to_words()
    older = model_from_spec({"type": "dense nearest centroid classifier", "intents": spec["centroids"]})
    assert older.to_words() == mirror.to_words()
    with pytest.raises(ValueError, match="same length"):
        NearestCentroid.from_reference_spec(
            {"centroids": {"a": {"centroid": [1.0], "dataCount": 1}, "b": {"centroid": [1.0, 2.0], "dataCount": 1}}}
        )


def test_sparse_reference_file_keeps_names_order_values_and_dimension() -> None:
    spec = {
        "type": "sparse nearest centroid classifier",
        "centroids": {
            "neg": {"centroid": {"3": 0.5, "0": 0.25}, "dataCount": 12},
            "pos": {"centroid": {"9": 0.95}, "dataCount": 4},
        },
    }
    mirror = model_from_spec(spec)
    assert isinstance(mirror, SparseNearestCentroid)
    assert mirror.n_features == 10  # the largest index + 1
    assert mirror.centroids_[0].tolist() == [250_000_000, 0, 0, 500_000_000, 0, 0, 0, 0, 0, 0]
    assert mirror.norms_.tolist() == [250_000_000**2 + 500_000_000**2, 950_000_000**2]
    exported = mirror.to_reference_spec()
    assert list(exported["centroids"]) == ["neg", "pos"]
    assert exported["centroids"]["neg"] == {"centroid": {"0": 0.25, "3": 0.5, "9": 0.0}, "dataCount": 12}
    assert exported["centroids"]["pos"] == {"centroid": {"9": 0.95}, "dataCount": 4}
    assert model_from_spec(exported).to_words() == mirror.to_words()


@pytest.mark.parametrize(
    ("model_type", "centroid", "message"),
    [
        (
            "sparse nearest centroid classifier",
            {"2": 0.1, "-1": 0.5},
            'centroids["a"].centroid has the key "-1", which is not a feature index (digits, no sign',
        ),
        (
            "sparse nearest centroid classifier",
            {"1": 0.5, "01": 0.2},
            'centroids["a"].centroid has the key "01", which is not a feature index (digits, no sign or leading zero)',
        ),
        ("sparse nearest centroid classifier", "0.5", 'centroids["a"].centroid must be a list or an object, got "0.5"'),
        ("dense nearest centroid classifier", {"0": 0.5}, 'centroids["a"].centroid must be a list, got {"0": 0.5}'),
    ],
)
def test_malformed_centroids_are_one_clear_error(model_type, centroid, message) -> None:
    spec = {
        "type": model_type,
        "centroids": {"a": {"centroid": centroid, "dataCount": 1}, "b": {"centroid": [0.5], "dataCount": 1}},
    }
    with pytest.raises(ModelFileError, match=re.escape(message)):
        model_from_spec(spec)


def test_fit_takes_class_means_and_partial_fit_needs_the_classes_first() -> None:
    dense = NearestCentroid(n_features=2).fit([[1, 1], [2, 2], [-3, 5]], [0, 0, 2])
    assert dense.centroids_.tolist() == [[2, 2], [0, 0], [-3, 5]]  # 1.5 rounds half up
    assert dense.counts_.tolist() == [2, 0, 1]
    assert dense.get_params() == {"n_features": 2, "value_bits": None}
    assert dense.set_params(value_bits=16).model_params() == [2, 3, 16]
    sparse = SparseNearestCentroid(n_features=3)
    with pytest.raises(ValueError, match="classes"):
        sparse.partial_fit([[0]], [0])
    sparse.partial_fit([[0], [0, 2]], [1, 1], classes=[0, 1])
    assert sparse.centroids_.tolist() == [[0, 0, 0], [SCALE, 0, SCALE // 2]]
    assert sparse.score([[0, 2], [1]], [1, 0]) == 1.0
