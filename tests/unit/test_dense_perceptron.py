"""The dense perceptron's rules on chain, and its mirror's scikit-learn and file APIs."""

from __future__ import annotations

import pytest

from sumchain import ContractReverted, DensePerceptron, DepositRefundTake, InvalidSample, SharedModel
from sumchain.errors import ModelFileError
from sumchain.models import MIRRORS
from sumchain.models.base import SCALE
from sumchain.models.packing import pack, signed_range
from sumchain.models.reference_file import model_from_spec
from tests.helpers import assert_deployment_reverts, observable_state

TRAINER = "dense_perceptron"
FREE = DepositRefundTake(cost_weight=0)


def deploy(chain, mirror: DensePerceptron) -> SharedModel:  # type: ignore[no-untyped-def]
    return SharedModel.deploy(chain, mirror, mechanism=FREE)


def raw_add(chain, model: SharedModel, data: bytes, label: int) -> None:  # type: ignore[no-untyped-def]
    """``add_data`` without the client's checks."""
    chain.transact(model.address, model.abi.encode_call("add_data", data, label), sender=chain.accounts[1])


def test_predict_is_the_sign_of_the_weighted_sum_plus_the_scaled_intercept(chain) -> None:
    model = deploy(chain, DensePerceptron.from_weights([3, -2, 5], intercept=-1, weight_bits=8))
    assert model.predict([1, 0, 0]) == 0  # 3 - 1 * SCALE
    assert model.predict([SCALE, 0, 0]) == 1  # 3e9 - 1e9
    assert model.predict([0, SCALE, 0]) == 0
    assert model.predict([2, 3, SCALE // 5]) == 0  # 6 - 6 + 1e9 - 1e9: exactly 0 gives 0
    assert model.predict([2, 3, SCALE // 5 + 1]) == 1  # 5 above 0
    assert model.predict([1, 1, SCALE // 5]) == 1  # 3 - 2 + 1e9 - 1e9: exactly 1 gives 1
    assert model.predict([-(2**63), 2**63 - 1, 0]) == 0  # the 8-byte bounds are accepted
    assert model.predict([2**63 - 1, -(2**63), 0]) == 1


def test_no_update_when_the_model_is_right(chain) -> None:
    weights = [3, -2, 5]
    model = deploy(chain, DensePerceptron.from_weights(weights, intercept=-1, weight_bits=8))
    model.add_data([SCALE, 0, 0], 1, sender=1)
    model.add_data([0, SCALE, 0], 0, sender=1)
    assert model.mirror().coef_.tolist() == weights


def test_update_on_a_mistake_truncates_towards_zero_and_keeps_the_intercept(chain) -> None:
    weights = [0, 0, 0, 0, 10**10, -(10**10)]
    mirror = DensePerceptron.from_weights(weights, learning_rate=3 * 10**8, weight_bits=40)
    model = deploy(chain, mirror)
    x = [-7, 7, 5 * SCALE, -1, 0, 0]  # meets only zero weights: score 0 predicts 0
    assert model.predict(x) == 0
    model.add_data(x, 1, sender=1)  # x * 0.3: -2.1 -> -2 (floor would give -3), 2.1 -> 2, 1.5e9, -0.3 -> 0
    assert model.mirror().coef_.tolist() == [-2, 2, 1_500_000_000, 0, 10**10, -(10**10)]
    y = [7, -7, 1, -4, SCALE, 0]  # 1.5e9 * 1 + 1e19: predicts 1
    model.add_data(y, 0, sender=1)  # -(x * 0.3): -2.1 -> -2, 2.1 -> 2, -0.3 -> 0, 1.2 -> 1, -3e8
    after = model.mirror()
    assert after.coef_.tolist() == [-4, 4, 1_500_000_000, 1, 10**10 - 3 * 10**8, -(10**10)]
    assert after.intercept_ == 0
    mirror.partial_fit([x, y], [1, 0])
    assert mirror.to_words() == model.parameter_words()


@pytest.mark.parametrize("bits", [8, 40, 64])
def test_weights_pushed_past_their_field_saturate_both_ways(chain, bits) -> None:
    low, high = signed_range(bits)
    weights = [high - 1, low + 1, low, 0]
    mirror = DensePerceptron.from_weights(weights, learning_rate=2 * SCALE, weight_bits=bits)
    model = deploy(chain, mirror)
    x = [1, -1, 4, 2**62]  # score 2 * high - 1 + 4 * low < 0: predicts 0; label 1 moves each weight by 2x
    assert model.predict(x) == 0
    model.add_data(x, 1, sender=1)
    expected = [high, low, low + 8, high]  # weights 0, 1 and 3 stop at their bounds, weight 2 moves by 8
    assert model.mirror().coef_.tolist() == expected
    mirror.partial_fit([x], [1])
    assert mirror.coef_.tolist() == expected
    assert model.predict(x) == 1
    model.add_data(x, 0, sender=1)  # a weight at a bound moves back as any other: by -2x
    expected = [high - 2, low + 2, low, max(high - 2**63, low)]
    assert model.mirror().coef_.tolist() == expected
    mirror.partial_fit([x], [0])
    assert mirror.to_words() == model.parameter_words()


def test_wrong_dimension_is_refused_by_the_client_and_reverts_on_chain(chain) -> None:
    model = deploy(chain, DensePerceptron.from_weights([1, 2, 3], weight_bits=16))
    before = observable_state(model)
    with pytest.raises(InvalidSample, match="expected 3 values, got 2"):
        model.add_data([1, 2], 1, sender=1)
    with pytest.raises(InvalidSample, match="expected 3 values, got 4"):
        model.predict([1, 2, 3, 4])
    for data in (model.codec.encode([1, 2, 3])[:-8], model.codec.encode([1, 2, 3]) + bytes(8), bytes(25), b""):
        with pytest.raises(ContractReverted, match="samples: wrong dimension"):
            raw_add(chain, model, data, 1)
        with pytest.raises(ContractReverted, match="samples: wrong dimension"):
            chain.call(model.address, model.abi.encode_call("predict", data))
    assert observable_state(model) == before


def test_values_beyond_64_bits_and_bad_labels_are_refused(chain) -> None:
    model = deploy(chain, DensePerceptron.from_weights([1, 2], weight_bits=16))
    before = observable_state(model)
    with pytest.raises(InvalidSample, match="does not fit in 64 signed bits"):
        model.add_data([2**63, 0], 1, sender=1)
    with pytest.raises(InvalidSample, match="does not fit in 64 signed bits"):
        model.add_data([0, -(2**63) - 1], 1, sender=1)
    with pytest.raises(InvalidSample, match="label"):
        model.add_data([1, 1], 2, sender=1)
    with pytest.raises(ContractReverted, match="dense_perceptron: label out of range"):
        raw_add(chain, model, model.codec.encode([1, 1]), 2)
    assert observable_state(model) == before


def test_weights_are_packed_at_the_chosen_width(chain) -> None:
    weights = list(range(-9, 10))
    model = deploy(chain, DensePerceptron.from_weights(weights, intercept=-5, learning_rate=7, weight_bits=16))
    assert model.params == (19, -5, 7, 16, 0)
    assert model.parameter_words() == pack(weights, 16)
    assert len(model.parameter_words()) == 2  # 16 weights per word


def test_model_is_found_on_chain_with_its_mirror(chain) -> None:
    mirror = DensePerceptron.from_weights([5, -6, 7, -8, 9], intercept=3, learning_rate=11, weight_bits=48)
    model = deploy(chain, mirror)
    found = SharedModel(chain, model.address)
    assert found.mirror_class is DensePerceptron
    assert MIRRORS["dense perceptron"] is DensePerceptron
    copy = found.mirror()
    assert copy.coef_.tolist() == [5, -6, 7, -8, 9]
    assert (copy.intercept_, copy.learning_rate, copy.weight_bits) == (3, 11, 48)
    assert found._call("model_type") == "dense perceptron"
    assert found.n_classes == 2


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ([0, 0, 1, 64, 0], "dense_perceptron: n_features out of range"),
        ([513, 0, 1, 64, 0], "dense_perceptron: n_features out of range"),
        ([4, 2**63, 1, 64, 0], "dense_perceptron: intercept out of range"),
        ([4, -(2**63) - 1, 1, 64, 0], "dense_perceptron: intercept out of range"),
        ([4, 0, 0, 64, 0], "dense_perceptron: learning rate out of range"),
        ([4, 0, 2**63, 64, 0], "dense_perceptron: learning rate out of range"),
        ([4, 0, 1, 7, 0], "dense_perceptron: weight_bits out of range"),
        ([4, 0, 1, 65, 0], "dense_perceptron: weight_bits out of range"),
        ([4, 0, 1, 64], "dense_perceptron: expected 5 parameters"),
        ([4, 0, 1, 64, 1, 1], "dense_perceptron: expected 5 parameters"),
        ([4, 0, 1, 64, -1], "dense_perceptron: decay out of range"),
        ([4, 0, 1, 64, 2**64], "dense_perceptron: decay out of range"),
    ],
)
def test_bad_parameters_revert_at_deployment(chain, params, reason) -> None:
    assert_deployment_reverts(chain, TRAINER, params, reason)


def test_the_bounds_deploy(chain) -> None:
    top = 2**63 - 1
    mirror = DensePerceptron.from_weights([top] * 512, intercept=-top - 1, learning_rate=top, weight_bits=64)
    model = deploy(chain, mirror)
    assert model.params == (512, -top - 1, top, 64, 0)
    sample = [-(2**63)] * 512
    assert model.predict(sample) == mirror.predict([sample])[0] == 0


# -- the mirror -----------------------------------------------------------------


def test_mirror_validates_its_parameters() -> None:
    with pytest.raises(ValueError, match="n_features"):
        DensePerceptron(n_features=513).fit([[0] * 513], [1])
    with pytest.raises(ValueError, match="learning_rate"):
        DensePerceptron(n_features=1, learning_rate=0).fit([[0]], [1])
    with pytest.raises(ValueError, match="intercept"):
        DensePerceptron(n_features=1, intercept=2**63).fit([[0]], [1])
    with pytest.raises(ValueError, match="feature_indices"):
        DensePerceptron(n_features=2, feature_indices=[1]).fit([[0, 0]], [1])
    with pytest.raises(OverflowError, match="does not fit in 8 signed bits"):
        DensePerceptron.from_weights([128], weight_bits=8)


def test_fit_partial_fit_score_and_params_follow_scikit_learn() -> None:
    X = [[SCALE, -SCALE], [-SCALE, SCALE], [2 * SCALE, 0], [0, 2 * SCALE]]
    y = [1, 0, 1, 0]
    clf = DensePerceptron(n_features=2, learning_rate=SCALE // 2).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.decision_function([[1, 0]]).tolist() == [clf.coef_.tolist()[0]]
    assert clf.get_params()["learning_rate"] == SCALE // 2
    assert clf.set_params(max_iter=3) is clf and clf.max_iter == 3
    online = DensePerceptron(n_features=2, learning_rate=SCALE // 2).partial_fit(X, y)
    assert online.coef_.tolist() == [SCALE // 2, -(SCALE // 2)]  # one mistake, on the first sample


def test_automatic_width_leaves_room_for_learning_and_ignores_the_intercept() -> None:
    assert DensePerceptron.from_weights([3 * SCALE, -SCALE], intercept=2**62).deployed_weight_bits() == 48
    assert DensePerceptron.from_weights([100], learning_rate=10).deployed_weight_bits() == 16


def test_reference_file_with_feature_indices_and_bias_round_trips() -> None:
    spec = {
        "type": "perceptron",
        "classifications": ["NOT HOT DOG", "HOT DOG"],
        "weights": [0.5, -1.25, 2.0],
        "bias": 0.25,
        "featureIndices": [7, 0, 3],
    }
    model = model_from_spec(spec)
    assert isinstance(model, DensePerceptron)
    assert model.coef_.tolist() == [500_000_000, -1_250_000_000, 2_000_000_000]
    assert (model.intercept_, model.learning_rate) == (250_000_000, SCALE)  # the reference's default rate is 1
    assert model.select_features([[10, 11, 12, 13, 14, 15, 16, 17]]) == [[17, 10, 13]]
    back = model.to_reference_spec()
    assert back["type"] == "dense perceptron"
    assert (back["weights"], back["intercept"], back["learningRate"]) == ([0.5, -1.25, 2.0], 0.25, 1.0)
    assert back["featureIndices"] == [7, 0, 3]
    assert "featureIndices" not in DensePerceptron.from_weights([1]).to_reference_spec()


@pytest.mark.parametrize("field", ["weights", "featureIndices"])
def test_reference_file_fields_that_are_not_lists_are_refused(field) -> None:
    spec = {"type": "dense perceptron", "weights": [0.5, 1.0], "intercept": 0.0, "featureIndices": [3, 1]}
    spec[field] = "12"
    with pytest.raises(ModelFileError, match=f'{field} must be a list, got "12"'):
        model_from_spec(spec)
