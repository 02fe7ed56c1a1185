"""The sparse perceptron's rules on chain, and its chunked deployment."""

from __future__ import annotations

import numpy as np
import pytest

from sumchain import ContractReverted, DepositRefundTake, SharedModel, SparsePerceptron, SumchainError
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_trainer
from sumchain.models.packing import pack, signed_range
from tests.conftest import WEIGHTS
from tests.helpers import assert_deployment_reverts, deploy_interrupted, deploy_unchecked

TRAINER = "sparse_perceptron"


def test_predict_is_the_sign_of_the_weight_sum(model) -> None:
    assert model.predict([0]) == 1  # 3
    assert model.predict([1]) == 0  # -3
    assert model.predict([0, 1]) == 0  # exactly 0 gives 0
    assert model.predict([0, 3]) == 1  # 3 - 2
    assert model.predict([6]) == 0  # weight 0, intercept 0
    assert model.predict([6, 7]) == 0


def test_no_update_when_the_model_is_right(chain, model) -> None:
    model.add_data([0, 2], 1, sender=1)
    assert model.mirror().coef_.tolist() == WEIGHTS


def test_update_on_a_mistake_moves_present_weights_by_the_learning_rate(chain, model) -> None:
    model.add_data([0, 1, 9], 1, sender=1)  # 3 - 3 - 5 < 0: wrong
    expected = list(WEIGHTS)
    for i in (0, 1, 9):
        expected[i] += 2
    after = model.mirror()
    assert after.coef_.tolist() == expected
    assert after.intercept_ == 0  # the intercept never moves
    model.add_data([8], 0, sender=1, value=10**19)  # 5 > 0: wrong the other way
    expected[8] -= 2
    assert model.mirror().coef_.tolist() == expected


@pytest.mark.parametrize("bits", [8, 40, 64])
@pytest.mark.parametrize("label", [0, 1])
def test_a_weight_pushed_past_its_field_saturates_and_the_others_move(chain, bits, label) -> None:
    low, high = signed_range(bits)
    # the score is -1 (label 1 is a mistake) or +1 (label 0 is); weight 0 is 1 or 2 from the bound it moves to
    weights = [high - 1, -high, 3] if label == 1 else [low + 2, high, -3]
    mirror = SparsePerceptron.from_weights(weights, learning_rate=5, weight_bits=bits)
    model = SharedModel.deploy(chain, mirror, mechanism=DepositRefundTake(cost_weight=0))
    assert model.predict([0, 1]) == 1 - label
    model.add_data([0, 1], label, sender=1)
    expected = [high, -high + 5, 3] if label == 1 else [low, high - 5, -3]
    assert model.mirror().coef_.tolist() == expected
    mirror.partial_fit([[0, 1]], [label])
    assert mirror.coef_.tolist() == expected
    assert mirror.to_words() == model.parameter_words()
    model.add_data([0, 1], label, sender=1)  # once it is right, nothing moves: still no revert
    assert model.parameter_words() == mirror.to_words()


def test_weights_are_packed_at_the_chosen_width(chain) -> None:
    weights = list(range(-7, 8))
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(weights, learning_rate=3, weight_bits=16))
    assert model.params == (15, 0, 3, 16, 0)
    assert model.parameter_words() == pack(weights, 16)  # 15 weights, 16 per word: one word
    assert len(model.parameter_words()) == 1


def test_weights_must_be_loaded_before_data(chain) -> None:
    compiled = compile_trainer(TRAINER, "deposit_refund_take")
    abi = ContractABI(compiled.abi)
    owner = chain.accounts[0]
    args = abi.encode_constructor([9, 0, 1, 64, 0], [0] * 4, b"")
    address = chain.deploy(compiled.bytecode + args, sender=owner).contract_address
    bare = SharedModel(chain, address)
    with pytest.raises(ContractReverted, match="trainer: parameters not loaded"):
        bare.add_data([0], 1, sender=1)
    words = pack([1] * 9, 64)  # 3 words

    def load(start, chunk, sender=owner):  # type: ignore[no-untyped-def]
        chain.transact(address, abi.encode_call("load_parameters", start, chunk), sender=sender)

    with pytest.raises(ContractReverted, match="trainer: caller is not the owner"):
        load(0, words[:1], sender=chain.accounts[1])
    with pytest.raises(ContractReverted, match="packed_words: chunk out of order"):
        load(1, words[1:2])
    with pytest.raises(ContractReverted, match="packed_words: empty chunk"):
        load(0, [])
    with pytest.raises(ContractReverted, match="packed_words: chunk beyond the last word"):
        load(0, [*words, 0])
    load(0, words[:2])
    with pytest.raises(ContractReverted, match="packed_words: chunk out of order"):
        load(0, words[:2])
    load(2, words[2:])
    assert bare.ready()
    with pytest.raises(ContractReverted, match="packed_words: parameters already loaded"):
        load(3, [1])
    assert bare.mirror().coef_.tolist() == [1] * 9


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (([0, 0, 1, 64, 0], 0, 0, 0, 0), "sparse_perceptron: n_features out of range"),
        (([2**32 + 1, 0, 1, 64, 0], 0, 0, 0, 0), "sparse_perceptron: n_features out of range"),
        (([4, 0, 0, 64, 0], 0, 0, 0, 0), "sparse_perceptron: learning rate out of range"),
        (([4, 0, 128, 8, 0], 0, 0, 0, 0), "sparse_perceptron: learning rate out of range"),
        (([4, 2**63, 1, 64, 0], 0, 0, 0, 0), "sparse_perceptron: intercept out of range"),
        (([4, -129, 1, 8, 0], 0, 0, 0, 0), "sparse_perceptron: intercept out of range"),
        (([4, 0, 1, 7, 0], 0, 0, 0, 0), "sparse_perceptron: weight_bits out of range"),
        (([4, 0, 1, 65, 0], 0, 0, 0, 0), "sparse_perceptron: weight_bits out of range"),
        (([4, 0, 1, 64], 0, 0, 0, 0), "sparse_perceptron: expected 5 parameters"),
        (([4, 0, 1, 64, 1, 1], 0, 0, 0, 0), "sparse_perceptron: expected 5 parameters"),
        (([4, 0, 1, 64, -1], 0, 0, 0, 0), "sparse_perceptron: decay out of range"),
        (([4, 0, 1, 64, 2**64], 0, 0, 0, 0), "sparse_perceptron: decay out of range"),
        (([4, 0, 1, 64, 0], 2**96, 0, 0, 0), "deposit_refund_take: cost weight too large"),
        (([4, 0, 1, 64, 0], 0, 2, 1, 3), "deposit_refund_take: refund wait above owner claim wait"),
        (([4, 0, 1, 64, 0], 0, 1, 3, 2), "deposit_refund_take: owner claim wait above any claim wait"),
        (([4, 0, 1, 64, 0], 0, 1, 3, 2**40), "deposit_refund_take: wait not below 2\\*\\*40 seconds"),
    ],
)
def test_bad_parameters_revert_at_deployment(chain, args, reason) -> None:
    params, *words = args
    assert_deployment_reverts(chain, TRAINER, params, reason, words)


def test_the_most_features_deploy_with_the_words_they_need(chain) -> None:
    """2**32 features are allowed: 8-bit weights, 32 to a word (no decay, so no count word)."""
    params = [2**32, 0, 1, 8, 0]
    model = deploy_unchecked(chain, TRAINER, params)
    assert model.params == tuple(params)
    assert model.words_loaded() == 0 and model._call("total_words") == 2**32 // 32


def test_large_model_deploys_in_gas_sized_chunks_and_resumes(chain) -> None:
    rng = np.random.default_rng(7)
    weights = rng.integers(-(10**12), 10**12, size=4_000).tolist()
    mirror = SparsePerceptron.from_weights(weights, intercept=5)
    partial, receipts = deploy_interrupted(chain, mirror, chunks=1)
    loaded = partial._call("words_loaded")
    assert 0 < loaded < len(mirror.to_words())
    with pytest.raises(ContractReverted, match="parameters not loaded"):
        partial.predict([0])
    partial.upload_parameters(mirror.to_words(), on_chunk=lambda d, t, r: receipts.append(r))
    assert partial.mirror().coef_.tolist() == weights
    assert len(receipts) >= 3  # creation + at least two chunks
    assert all(r.gas_used < 16_777_216 for r in receipts)
    sample = sorted(rng.choice(4_000, size=50, replace=False).tolist())
    assert partial.predict(sample) == mirror.predict([sample])[0]


def test_an_upload_resumed_with_other_words_is_refused_with_nothing_sent(chain) -> None:
    """Resuming with another fit's words would leave a model of neither: the words loaded are checked."""
    weights = np.random.default_rng(7).integers(-(10**12), 10**12, size=4_000).tolist()
    partial, _ = deploy_interrupted(chain, SparsePerceptron.from_weights(weights, intercept=5), chunks=1)
    loaded, block = partial.words_loaded(), chain.block_number()
    other = SparsePerceptron.from_weights([w + (i == 7) for i, w in enumerate(weights)], intercept=5)
    with pytest.raises(SumchainError, match=rf"the {loaded} words already loaded at .* \(word \d+ differs\)"):
        partial.upload_parameters(other.to_words())
    assert chain.block_number() == block and partial.words_loaded() == loaded
