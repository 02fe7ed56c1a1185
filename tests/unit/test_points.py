"""Every rule of the Points mechanism, each beside its revert twin, with all five models.

The model is the test perceptron of ``tests.conftest`` (feature 0 says 1, feature 1
says 0; a mistake moves each present weight by 2), deployed with Points and a one-day
wait. Points hold no money: the contract's balance stays 0 and every value sent comes back.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from sumchain import ContractReverted, SharedModel, SparsePerceptron
from sumchain.errors import InvalidIncentive
from sumchain.incentives import DAY, DepositRefundTake, Points
from sumchain.models.reference_file import model_from_spec
from tests.conftest import WEIGHTS
from tests.helpers import Actor, deploy_interrupted, observable_state
from tests.unit.test_attacks import call
from tests.unit.test_every_model import RNG_SEED, TYPES, sample_for, spec_for

POINTS = Points(refund_wait=DAY)


@pytest.fixture
def model(chain) -> SharedModel:  # type: ignore[no-untyped-def]
    mirror = SparsePerceptron.from_weights(WEIGHTS, intercept=0, learning_rate=2)
    return SharedModel.deploy(chain, mirror, mechanism=POINTS, sender=0)


def reverts(model: SharedModel, reason: str, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """``action`` reverts with ``reason`` and changes nothing (points and counts included)."""
    accounts = model.chain.accounts[:4]
    before = observable_state(model), [counts(model, a) for a in accounts]
    with pytest.raises(ContractReverted, match=reason):
        action(*args, **kwargs)
    assert (observable_state(model), [counts(model, a) for a in accounts]) == before


def counts(model: SharedModel, account: str) -> tuple[int, int, int]:
    """``(points, num_valid, reports_made)`` of an account, as the contract holds them."""
    return tuple(int(model._call(name, account)) for name in ("points", "num_valid", "reports_made"))  # type: ignore[return-value]


def validated(chain, model: SharedModel, sample: list[int], label: int, sender: int) -> None:  # type: ignore[no-untyped-def]
    """``sender`` adds a sample the model agrees with and validates it a day later."""
    added = model.add_data(sample, label, sender=sender)
    chain.advance_time(DAY)
    assert model.refund(sample, label, added.time, sender=sender) == 0


def test_the_model_says_it_uses_points_and_reads_back_its_wait(chain, model) -> None:
    again = SharedModel(chain, model.address)
    assert again.mechanism == POINTS and again.mechanism_class is Points
    assert model._call("refund_wait") == DAY
    assert model.cost() == 0


def test_contributing_is_free_and_any_value_sent_comes_back(chain, model) -> None:
    alice = chain.accounts[1]
    start = chain.balance(alice)
    added = model.add_data([0], 1, sender=alice, value=10**18)
    assert added.cost == 0
    assert chain.balance(alice) == start and chain.balance(model.address) == 0
    assert added.contribution.status == "pending"
    record = model._call("contribution", model.codec.encode([0]), 1, added.time, alice)
    assert tuple(record) == (0, 0, False)  # the record holds nothing
    assert model._call("last_update_time") == added.time
    assert added.contribution.owner_claim_from is None and added.contribution.any_claim_from is None


def test_validating_ones_own_sample_after_the_wait_earns_one_point(chain, model) -> None:
    alice = chain.accounts[1]
    added = model.add_data([0], 1, sender=alice)
    chain.advance_time(DAY - 2)  # the refund's block is 1 s later: 1 s short of the wait
    reverts(model, "points: refund wait not over", model.refund, [0], 1, added.time, sender=alice)
    chain.advance_time(1)
    assert model.refund([0], 1, added.time, sender=alice) == 0
    assert counts(model, alice) == (1, 1, 0)
    assert model._call("total_good") == 1
    assert model.find_contribution(1).status == "validated"
    reverts(model, "points: already validated", model.refund, [0], 1, added.time, sender=alice)


def test_a_sample_the_model_rejects_cannot_be_validated(chain, model) -> None:
    added = model.add_data([1], 1, sender=1)  # -3: says 0; the mistake moves it to -1, still 0
    chain.advance_time(DAY)
    reverts(model, "trainer: model does not agree with the label", model.refund, [1], 1, added.time, sender=1)


def test_reporting_a_rejected_sample_earns_the_reporter_a_point_once_per_sample(chain, model) -> None:
    bad = model.add_data([1], 1, sender=2)  # the model moves weight 1 to -1: it still says 0
    validated(chain, model, [0], 1, sender=1)
    validated(chain, model, [2], 1, sender=3)
    chain.advance_time(1)
    assert model.report([1], 1, bad.time, chain.accounts[2], sender=1) == 0
    assert counts(model, chain.accounts[1]) == (2, 1, 1)
    assert counts(model, chain.accounts[2]) == (0, 0, 0)
    assert {s.account: s.reported for s in model.standings()}[chain.accounts[2]] == 1
    reverts(model, "points: already reported", model.report, [1], 1, bad.time, chain.accounts[2], sender=3)
    reverts(model, "points: contribution was reported", model.refund, [1], 1, bad.time, sender=2)
    assert model.find_contribution(bad.contribution.id).status == "reported"


def test_report_rules_mirror_deposit_refund_take(chain, model) -> None:
    own = model.add_data([1], 1, sender=1)
    reverts(model, "points: refund wait not over", model.report, [1], 1, own.time, chain.accounts[1], sender=2)
    chain.advance_time(DAY)
    reverts(model, "points: authors cannot report their own data", model.report, [1], 1, own.time, own.author, sender=1)
    reverts(
        model,
        "points: reporter has no validated contributions",
        model.report,
        *([1], 1, own.time, own.author),
        sender=2,
    )
    validated(chain, model, [0], 1, sender=2)
    good = model.add_data([2], 1, sender=3)
    chain.advance_time(DAY)
    reverts(model, "trainer: model agrees with the label", model.report, [2], 1, good.time, good.author, sender=2)
    assert model.refund([2], 1, good.time, sender=3) == 0
    reverts(model, "points: contribution was validated", model.report, [2], 1, good.time, good.author, sender=2)


def test_turning_the_model_and_reporting_in_one_block_is_refused(chain, model) -> None:
    """As under Deposit, Refund and Take: one transaction cannot add data that turns the model
    against a sample and report it; the next block's report may."""
    mallory = Actor.deploy(chain)
    victim = model.add_data([0], 1, sender=1)
    assert mallory.run(call(model, "add_data", [2], 1)) == [None]
    chain.advance_time(DAY)
    time = next(c.added_time for c in model.contributions(everyone=True) if c.author == mallory.address)
    assert mallory.run(call(model, "refund", [2], 1, time)) == [None]
    outcomes = mallory.run(
        call(model, "add_data", [0, 6], 0),  # 3 + 0 > 0: a mistake, weight 0 goes to 1
        call(model, "add_data", [0, 7], 0),  # a mistake again, weight 0 goes to -1
        call(model, "report", [0], 1, victim.time, victim.author),
    )
    assert outcomes == [None, None, "points: data added in this block"]
    assert counts(model, mallory.address) == (1, 1, 0)
    assert mallory.run(call(model, "report", [0], 1, victim.time, victim.author)) == [None]
    assert counts(model, mallory.address) == (2, 1, 1)


def test_the_leaderboard_equals_the_points_on_chain(chain, model) -> None:
    bad = model.add_data([1], 1, sender=2)
    validated(chain, model, [0], 1, sender=1)
    validated(chain, model, [2], 1, sender=3)
    validated(chain, model, [4], 1, sender=3)
    chain.advance_time(1)
    model.report([1], 1, bad.time, bad.author, sender=1)
    standings = model.standings()
    assert [s.account for s in standings] == [chain.accounts[1], chain.accounts[3], chain.accounts[2]]
    for s in standings:
        assert (s.score, s.validated, s.reports) == counts(model, s.account)
    assert [s.reported for s in standings] == [0, 0, 1]
    assert standings[0].reports == 1 and standings[2].contributions == 1


@pytest.mark.parametrize("model_type", TYPES)
def test_every_model_works_with_points(chain, model_type: str) -> None:
    """Each model with Points: add what the model predicts and validate it; add a wrong label
    and, once the model still rejects it, report it; no money moves."""
    rng = np.random.default_rng(RNG_SEED)
    model = SharedModel.deploy(chain, model_from_spec(spec_for(model_type, rng)), mechanism=POINTS)
    assert SharedModel(chain, model.address).mechanism == POINTS
    sample = sample_for(model, rng)
    label = model.predict(sample)
    good = model.add_data(sample, label, sender=1)
    chain.advance_time(DAY)
    if model.predict(sample) == label:
        model.refund(sample, label, good.time, sender=1)
    assert counts(model, chain.accounts[1]) == (1, 1, 0)
    for _ in range(20):  # a sample whose wrong label the model still rejects after learning it
        other = sample_for(model, rng)
        wrong = (model.predict(other) + 1) % model.n_classes
        bad = model.add_data(other, wrong, sender=2)
        chain.advance_time(DAY)
        if model.predict(other) != wrong:
            break
    assert model.report(other, wrong, bad.time, bad.author, sender=1) == 0
    assert counts(model, chain.accounts[1]) == (2, 1, 1)
    assert {s.account: s.reported for s in model.standings()}[chain.accounts[2]] == 1
    assert chain.balance(model.address) == 0


def test_points_parameters_are_checked_on_chain_and_in_the_client(chain) -> None:
    assert Points.from_options({"refund_wait": 60}).words() == [60, 0, 0, 0]
    with pytest.raises(InvalidIncentive, match="Points takes no --owner-claim-wait"):
        Points.from_options({"owner_claim_wait": 60})
    with pytest.raises(InvalidIncentive, match="refund_wait must be at least 60 s"):
        Points(refund_wait=0)
    assert Points(refund_wait=0, unsafe=True).refund_wait == 0
    with pytest.raises(InvalidIncentive, match=r"refund_wait must be in \[0, 2\*\*40\)"):
        Points(refund_wait=2**40, unsafe=True)
    from tests.helpers import assert_deployment_reverts

    params = SparsePerceptron.from_weights(WEIGHTS).model_params()
    for stray in ([DAY, 1, 0, 0], [DAY, 0, 1, 0], [DAY, 0, 0, 1]):  # each of the three words alone
        assert_deployment_reverts(
            chain, "sparse_perceptron", params, "points: takes only a refund wait", stray, "points"
        )
    reason = re.escape("points: wait not below 2**40 seconds")
    assert_deployment_reverts(chain, "sparse_perceptron", params, reason, [2**40, 0, 0, 0], "points")


def test_a_deposit_model_is_not_read_as_points(chain) -> None:
    drt = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS), mechanism=DepositRefundTake())
    assert drt.mechanism == DepositRefundTake() and drt.mechanism_class is DepositRefundTake
    with pytest.raises(InvalidIncentive, match="Deposit, Refund and Take takes no"):
        DepositRefundTake.from_options({"bounty": 1})


def test_points_opens_once_loaded_and_keeps_the_block_time_to_64_bits(chain) -> None:
    """Closed until the last parameter chunk; the last second of 64 bits is a time like any
    other (it opens the mechanism and is read back), the next one is refused whole."""
    mirror = SparsePerceptron.from_weights(WEIGHTS, intercept=0, learning_rate=2)
    partial, _ = deploy_interrupted(chain, mirror, chunks=0, mechanism=POINTS, sender=0)
    reverts(partial, "trainer: parameters not loaded", partial.add_data, [0], 1, sender=1)
    chain.advance_time(2**64 - 2 - chain.time())  # the last chunk is mined at 2**64 - 1
    partial.upload_parameters(mirror.to_words())
    assert partial._call("last_update_time") == 2**64 - 1
    reason = re.escape("points: block time beyond 64 bits")
    reverts(partial, reason, partial.add_data, [0], 1, sender=1)  # mined at 2**64
    assert partial._call("total_good") == 0
