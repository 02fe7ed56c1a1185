"""Griefing with deposits that come back: floods that fill a field, floods within one
block, and a reporter farming validated contributions.

The rule against filling a field: a perceptron weight or a naive Bayes count that an
update would push past its packed field stops at the bound (saturates) instead of
reverting, in the contract and in its mirror alike. A flood of refundable contributions
can then move a field to its bound, but never makes anyone else's contribution revert.
Every flood below is followed by the contribution that a reverting rule would have
blocked, and every balance is checked to the wei (the embedded chain charges no gas fee).
"""

from __future__ import annotations

import pytest

from sumchain import ContractReverted, DepositRefundTake, NaiveBayes, SharedModel, SparsePerceptron
from sumchain.incentives import DAY
from tests.helpers import Actor

INCENTIVE = DepositRefundTake(cost_weight=10**12, refund_wait=DAY)
MOST = INCENTIVE.cost_weight * 3_600
"""The deposit of a contribution made in the same second as the previous one."""


def test_a_flood_fills_an_8_bit_count_and_every_later_sample_still_counts(chain) -> None:
    """300 adds of one sample take count[1][3] to 255, its 8-bit limit, and keep it there;
    then another account's sample with that feature and label is counted as usual (its
    other features, its class's sample count and total). The flood's deposits all come back."""
    mirror = NaiveBayes.from_counts([3, 3], [[2, 0, 1, 0, 1, 0], [0, 2, 1, 0, 0, 1]], count_bits=8)
    model = SharedModel.deploy(chain, mirror, mechanism=INCENTIVE)
    flooder, start = chain.accounts[2], chain.balance(chain.accounts[2])
    flood = []
    for i in range(300):
        flood.append(model.add_data([3], 1, sender=flooder))
        mirror.partial_fit([[3]], [1])
        if i in (253, 254, 255):  # one add from full, full, past full
            assert int(model.mirror().feature_count_[1, 3]) == min(i + 1, 255)
    assert model.parameter_words() == mirror.to_words()
    assert all(added.cost == MOST for added in flood[1:])  # one block per second: the dearest deposit
    on_chain = model.mirror()
    assert (int(on_chain.feature_count_[1, 3]), int(on_chain.class_count_[1]), int(on_chain.total_count_[1])) == (
        255,
        303,
        304,
    )

    model.add_data([3, 5], 1, sender=1)  # with a reverting rule: "naive_bayes: count overflows its field"
    mirror.partial_fit([[3, 5]], [1])
    assert model.parameter_words() == mirror.to_words()
    assert model.mirror().feature_count_[1].tolist() == [0, 2, 1, 255, 0, 2]

    chain.advance_time(DAY)
    paid = sum(added.cost for added in flood)
    assert chain.balance(flooder) == start - paid
    for added in flood:
        assert model.refund([3], 1, added.time, sender=flooder) == added.cost
    assert chain.balance(flooder) == start
    assert model.num_valid(flooder) == 300


def test_a_flood_pushes_a_weight_to_its_bound_and_later_updates_still_go_through(chain) -> None:
    """Ten adds of one sample push weight 0 past 127, the top of its 8-bit field: it stays
    there while the other weights of the sample keep moving. Then Alice's mistake on a
    sample with feature 0 and label 1, which a reverting rule would refuse, moves every
    other weight of her sample."""
    weights = [100, -128, -128, -128, -128, 0, -50, 0]
    mirror = SparsePerceptron.from_weights(weights, learning_rate=10, weight_bits=8)
    model = SharedModel.deploy(chain, mirror, mechanism=INCENTIVE)
    flood = [0, 1, 2, 3, 4]
    for _ in range(10):
        assert model.predict(flood) == 0  # each add is a mistake
        model.add_data(flood, 1, sender=2)
        mirror.partial_fit([flood], [1])
    assert model.predict(flood) == 1
    assert model.mirror().coef_.tolist() == [127, -28, -28, -28, -28, 0, -50, 0]

    alice = [0, 1, 2, 3, 4, 6]  # 127 - 4 * 28 - 50 = -35: predicts 0
    assert model.predict(alice) == 0
    model.add_data(alice, 1, sender=1)
    mirror.partial_fit([alice], [1])
    assert model.mirror().coef_.tolist() == [127, -18, -18, -18, -18, 0, -40, 0]
    assert model.parameter_words() == mirror.to_words()


def test_a_flood_within_one_block_pays_the_dearest_deposit_for_each_contribution(chain) -> None:
    """Eight contributions in one transaction (one block): the first pays for the time
    since the last one, each of the seven others for no time at all, ``cost_weight * 3600``.
    The control: the same eight, one an hour, pay 60 times less each."""
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights([1] * 16), mechanism=INCENTIVE)
    flooder = Actor.deploy(chain)
    chain.advance_time(3_600)
    first = INCENTIVE.cost(chain.time() + 1 - model._call("last_update_time"))
    samples = [[i] for i in range(8)]
    calls = [(model.address, model.abi.encode_call("add_data", model.codec.encode(s), 1), MOST) for s in samples]
    start, trainer = chain.balance(chain.accounts[5]), chain.balance(model.address)
    assert flooder.run(*calls, value=8 * MOST) == [None] * 8
    deposits = [c.deposit for c in model.contributions(everyone=True)]
    assert deposits == [first] + [MOST] * 7
    assert chain.balance(model.address) == trainer + sum(deposits)
    assert chain.balance(flooder.address) == 8 * MOST - sum(deposits)
    assert chain.balance(chain.accounts[5]) == start - 8 * MOST

    hourly = []
    for sample in samples:
        chain.advance_time(3_599)  # the next block comes a second later: an hour after the last add
        hourly.append(model.add_data(sample, 1, sender=3).cost)
    assert hourly == [INCENTIVE.cost(3_600)] * 8 == [MOST // 60] * 8


@pytest.mark.parametrize("farmed", [1, 10])
def test_a_reporter_farming_validations_shifts_report_shares_only(chain, farmed) -> None:
    """A farmer adds, once an hour, a sample the model is sure of (no update, the
    parameters never change), and gets every deposit back a day later: its validated
    contributions grow for free but for the locked deposits. They buy it a larger share of
    the deposits of data the model rejects, taken from other reporters' shares, never
    anything of a contribution the model agrees with."""
    model = SharedModel.deploy(
        chain, SparsePerceptron.from_weights([3, -3, 5, 0], learning_rate=2), mechanism=INCENTIVE
    )
    words = model.parameter_words()
    farmer, alice, bob = chain.accounts[3], chain.accounts[1], chain.accounts[2]
    start = chain.balance(farmer)
    farm = []
    for _ in range(farmed):
        chain.advance_time(3_599)
        farm.append(model.add_data([2], 1, sender=farmer))
    assert model.parameter_words() == words
    honest = model.add_data([0], 1, sender=alice)
    bad = model.add_data([1], 1, sender=bob, value=10**18)  # a mistake: -3 + 2 = -1, still rejected
    chain.advance_time(DAY)
    for added in farm:
        assert model.refund([2], 1, added.time, sender=farmer) == added.cost
    assert chain.balance(farmer) == start
    model.refund([0], 1, honest.time, sender=alice)
    total = farmed + 1
    assert model._call("total_good") == total

    alice_share = bad.cost * 1 // total
    farmer_share = bad.cost * farmed // total
    assert model.report([1], 1, bad.time, bob, sender=farmer) == farmer_share
    assert model.report([1], 1, bad.time, bob, sender=alice) == alice_share
    assert model.contribution([1], 1, bad.time, bob).claimable == bad.cost - farmer_share - alice_share
    assert chain.balance(farmer) == start + farmer_share

    other = model.add_data([0, 2], 1, sender=alice)
    chain.advance_time(DAY)
    with pytest.raises(ContractReverted, match="trainer: model agrees with the label"):
        model.report([0, 2], 1, other.time, alice, sender=farmer)
