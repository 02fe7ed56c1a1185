"""Contributions a person can act on: ids, keys, state from events alone; strict samples and labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sumchain import InvalidSample, ModelMetadata, SharedModel
from sumchain.contributions import contribution_key
from sumchain.errors import EncoderUnavailable, SumchainError
from sumchain.incentives import DAY
from sumchain.models import NaiveBayes
from tests.conftest import INCENTIVE

POSITIVE = [0]  # the test model predicts 1
NEGATIVE = [1]  # the test model predicts 0


def test_each_contribution_has_an_id_in_order_and_its_record_key(chain, model) -> None:
    first = model.add_data(POSITIVE, 1, sender=1)
    second = model.add_data(NEGATIVE, 1, sender=2)
    third = model.add_data([0, 2], 1, sender=1)
    everyone = model.contributions(everyone=True)
    assert [c.id for c in everyone] == [1, 2, 3]
    assert [c.added_time for c in everyone] == [first.time, second.time, third.time]
    assert [c.id for c in model.contributions(1)] == [1, 3]
    assert (
        everyone[1].key == second.key == contribution_key(model.codec.encode(NEGATIVE), 1, second.time, second.author)
    )
    assert first.contribution == everyone[0]


def test_contributions_are_found_by_id_or_key_prefix(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    model.add_data(NEGATIVE, 0, sender=2)
    key = added.key.hex()
    assert model.find_contribution(1) == model.find_contribution("#1") == model.find_contribution("0x" + key[:8])
    assert model.find_contribution(key).added_time == added.time
    for reference, message in [
        ("#3", "no contribution #3: the model has 2"),
        ("0", "no contribution #0"),
        ("0x12", "neither a contribution id"),
        ("hello!", "neither a contribution id"),
        ("0x" + ("0" if key[0] != "0" else "1") * 12, "no contribution has a key starting with"),
    ]:
        with pytest.raises(SumchainError, match=message):
            model.find_contribution(reference)


def test_state_comes_from_refund_and_report_events(chain, model) -> None:
    good = model.add_data(POSITIVE, 1, sender=1)
    bad = model.add_data(NEGATIVE, 1, sender=2)
    chain.advance_time(DAY)
    model.refund(POSITIVE, 1, good.time, sender=1)
    taken = model.report(NEGATIVE, 1, bad.time, bad.author, sender=1)
    refunded, reported = model.contributions(everyone=True)
    assert (refunded.status, refunded.claimable, refunded.refunded) == ("refunded", 0, True)
    assert reported.claimable == bad.cost - taken and reported.reported_by == {chain.accounts[1]}
    assert reported.status == ("taken" if taken == bad.cost else "partly taken")
    assert reported.refundable_from == bad.time + INCENTIVE.refund_wait
    assert reported.any_claim_from == bad.time + INCENTIVE.any_claim_wait
    # the events agree with the record the contract keeps
    record = model._call("contribution", model.codec.encode(NEGATIVE), 1, bad.time, bad.author)
    assert record == (reported.deposit, reported.claimable, reported.refunded)
    full = reported.to_json()
    assert full["author"] == bad.author and full["data"] == NEGATIVE and full["key"] == "0x" + bad.key.hex()


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        (b"\x01", "a sample is a sequence of indices, got bytes"),
        (None, "a sample is a sequence of indices, got NoneType"),
        ([1.0], "indices must be integers, got 1.0 at position 0"),
        ([0, 1.5], "indices must be integers, got 1.5 at position 1"),
        ([math.nan], "indices must be integers, got nan"),
        ([math.inf], "indices must be integers, got inf"),
        ([None], "indices must be integers, got None"),
        (["1"], "indices must be integers, got '1'"),
        ([True], "indices must be integers, got True"),
    ],
)
def test_non_integer_samples_are_refused_never_truncated(chain, model, sample, message) -> None:
    for action in (lambda: model.add_data(sample, 1, sender=1), lambda: model.predict(sample)):
        with pytest.raises(InvalidSample, match=message.replace("(", r"\(").replace(")", r"\)")):
            action()
    assert model.contributions(everyone=True) == []


def test_text_needs_the_models_encoder(chain, model) -> None:
    for action in (lambda: model.add_data("12", 1, sender=1), lambda: model.predict("12")):
        with pytest.raises(EncoderUnavailable, match="names no encoder for raw input: give its features instead"):
            action()
    assert model.contributions(everyone=True) == []


def test_numpy_integers_are_samples_and_labels(chain, model) -> None:
    added = model.add_data(np.array([0, 2]), np.int64(1), sender=1)
    assert added.contribution.data == (0, 2)
    assert model.predict(np.array([0])) == 1


@pytest.mark.parametrize("label", [1.0, "1.5", True, None, "yes", -1, 2])
def test_bad_labels_are_refused(chain, model, label) -> None:
    with pytest.raises(InvalidSample):
        model.add_data(POSITIVE, label, sender=1)
    assert model.contributions(everyone=True) == []


def test_labels_by_class_name(chain) -> None:
    mirror = NaiveBayes(n_features=4, n_classes=3).fit([[0], [1], [2]], [0, 1, 2])
    meta = ModelMetadata(name="three", n_features=4, class_names=("low", "mid", "high"))
    model = SharedModel.deploy(chain, mirror, mechanism=INCENTIVE, metadata=meta)
    assert model.add_data([2], "High", sender=1).contribution.label == 2
    assert model.add_data([0], "lo", sender=1).contribution.label == 0
    assert model.add_data([1], "1", sender=1).contribution.label == 1
    with pytest.raises(InvalidSample, match="'medium' is not a class of this model"):
        model.add_data([1], "medium", sender=1)
    assert model.class_name(model.predict([2])) == "high"
