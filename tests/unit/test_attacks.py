"""Attacker contracts against the trainer: none takes or blocks another's funds.

Each attacker is ``contracts/mocks/attacker_mock.vy`` (see ``tests.helpers.Actor``): a
contract that makes several calls in one transaction, so in one block, and answers its
payments by accepting, refusing or burning all the gas, after re-entering the trainer
if told to. Every attack sits beside its control (the same call made when it is
allowed), and every outcome is asserted to the wei: the embedded chain charges no gas
fee, so balances move only by what the trainer pays.

The model is the session's sparse perceptron (``tests.conftest``): feature 0 weighs 3
(it says 1), feature 1 weighs -3 (it says 0); a mistake moves each present weight by 2.
"""

from __future__ import annotations

from typing import Any

import pytest

from sumchain import ContractReverted, SharedModel
from sumchain.chain.base import TX_GAS_CAP
from sumchain.incentives import DAY
from tests.conftest import INCENTIVE
from tests.helpers import Actor, Call

LOCKED = "execution reverted without a reason"
"""What a re-entrant call into the trainer gets: its reentrancy lock reverts without a reason."""
PLENTY = 4 * 10**18
"""More than any deposit of the session's model (at most ``cost_weight * 3600`` = 3.6 ether)."""


def call(model: SharedModel, name: str, *args: Any, value: int = 0) -> Call:
    """A call to the trainer, for an actor to make."""
    if name in ("add_data", "refund", "report"):
        args = (model.codec.encode(args[0]), *args[1:])
    return (model.address, model.abi.encode_call(name, *args), value)


def deposit(model: SharedModel, data: list[int], label: int, author: str) -> tuple[int, int]:
    """The time and the deposit of the latest contribution of ``author`` with this sample and label."""
    mine = [c for c in model.contributions(everyone=True) if (list(c.data), c.label, c.author) == (data, label, author)]
    return mine[-1].added_time, mine[-1].deposit


def claimable(model: SharedModel, data: list[int], label: int, author: str) -> int:
    time, _ = deposit(model, data, label, author)
    return model.contribution(data, label, time, author).claimable


@pytest.fixture
def mallory(chain) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.deploy(chain)


@pytest.fixture
def victim(chain) -> Actor:  # type: ignore[no-untyped-def]
    """A contract wallet: its owner's transactions are its ``run`` calls."""
    return Actor.deploy(chain)


def validate(actor: Actor, model: SharedModel, chain, sample: list[int]) -> None:  # type: ignore[no-untyped-def]
    """``actor`` adds ``sample`` (label 1, which the model predicts) and gets it refunded a day later."""
    assert model.predict(sample) == 1
    assert actor.run(call(model, "add_data", sample, 1, value=PLENTY), value=PLENTY) == [None]
    chain.advance_time(DAY)
    time, _ = deposit(model, sample, 1, actor.address)
    assert actor.run(call(model, "refund", sample, 1, time)) == [None]
    assert model.num_valid(actor.address) == 1


# -- re-entrancy ---------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["refund", "report", "withdraw", "add_data"])
@pytest.mark.parametrize("answer", [Actor.ACCEPT, Actor.REFUSE])
def test_a_payment_that_reenters_the_trainer_gets_nothing_more(chain, model, mallory, operation, answer) -> None:
    """Mallory's refund pays her; her ``receive`` re-enters ``operation`` with arguments that
    are valid (the control makes the same call afterwards, and it goes through). The lock
    refuses the re-entrant call; the refund itself is paid (ACCEPT) or deferred (REFUSE)."""
    mallory.answer(Actor.REFUSE)  # the change of her first contribution waits for withdraw
    assert mallory.run(call(model, "add_data", [2], 1, value=PLENTY), value=PLENTY) == [None]
    pending = model.pending_withdrawal(mallory.address)
    mallory.answer(Actor.ACCEPT)
    assert mallory.run(call(model, "add_data", [4], 1, value=PLENTY), value=PLENTY) == [None]
    model.add_data([1], 1, sender=2, value=PLENTY)  # a mistake, still rejected: reportable
    chain.advance_time(DAY)
    first, paid = deposit(model, [2], 1, mallory.address)
    second, _ = deposit(model, [4], 1, mallory.address)
    bad, bad_deposit = deposit(model, [1], 1, chain.accounts[2])
    reentrant = {
        "refund": call(model, "refund", [4], 1, second),
        "report": call(model, "report", [1], 1, bad, chain.accounts[2]),
        "withdraw": call(model, "withdraw"),
        "add_data": call(model, "add_data", [6], 1, value=PLENTY),
    }[operation]
    chain.transact(mallory.address, b"", sender=chain.accounts[5], value=PLENTY)  # funds the re-entrant add
    mallory.reenter(reentrant)
    mallory.answer(answer)
    start, trainer = chain.balance(mallory.address), chain.balance(model.address)

    assert mallory.run(call(model, "refund", [2], 1, first)) == [None]
    assert mallory.reentry() == LOCKED
    if answer == Actor.ACCEPT:
        assert chain.balance(mallory.address) == start + paid
        assert chain.balance(model.address) == trainer - paid
        assert model.pending_withdrawal(mallory.address) == pending
    else:
        assert chain.balance(mallory.address) == start
        assert chain.balance(model.address) == trainer
        assert model.pending_withdrawal(mallory.address) == pending + paid
    assert claimable(model, [4], 1, mallory.address) > 0
    assert claimable(model, [1], 1, chain.accounts[2]) == bad_deposit
    assert len(model.contributions(everyone=True)) == 3
    assert (model.num_valid(mallory.address), model._call("total_good")) == (1, 1)

    mallory.reenter(None)  # the control: the same call, made on its own, goes through
    mallory.answer(Actor.ACCEPT)
    assert mallory.run(reentrant) == [None]


# -- receivers that refuse or burn -------------------------------------------------------


def test_a_receiver_that_burns_all_gas_burns_only_its_own(chain, model, mallory) -> None:
    """Mallory's ``receive`` burns every gas it gets. With a low gas limit her refund fails
    whole; under the EIP-7825 cap, the 1/64 of the gas the trainer keeps defers her payment.
    Alice, refunded in the next block, gets exactly her deposit; Mallory's withdraw keeps
    failing while she burns, and then pays exactly what was deferred."""
    assert mallory.run(call(model, "add_data", [2], 1, value=PLENTY), value=PLENTY) == [None]
    alice = model.add_data([0], 1, sender=1)
    chain.advance_time(DAY)
    time, paid = deposit(model, [2], 1, mallory.address)
    mallory.answer(Actor.BURN)
    trainer = chain.balance(model.address)

    with pytest.raises(ContractReverted, match="out of gas"):
        mallory.run(call(model, "refund", [2], 1, time), gas=300_000)
    assert claimable(model, [2], 1, mallory.address) == paid
    assert model.pending_withdrawal(mallory.address) == 0
    assert chain.balance(model.address) == trainer

    assert mallory.run(call(model, "refund", [2], 1, time), gas=TX_GAS_CAP) == [None]
    assert model.pending_withdrawal(mallory.address) == paid
    assert chain.balance(model.address) == trainer

    start = chain.balance(chain.accounts[1])
    assert model.refund([0], 1, alice.time, sender=1) == alice.cost
    assert chain.balance(chain.accounts[1]) == start + alice.cost

    assert mallory.run(call(model, "withdraw"), gas=TX_GAS_CAP) == ["trainer: withdrawal failed"]
    assert model.pending_withdrawal(mallory.address) == paid
    mallory.answer(Actor.ACCEPT)
    start = chain.balance(mallory.address)
    assert mallory.run(call(model, "withdraw")) == [None]
    assert chain.balance(mallory.address) == start + paid
    assert chain.balance(model.address) == trainer - alice.cost - paid == 0


def test_a_receiver_that_refuses_keeps_its_payment_pending_and_others_are_paid(chain, model, mallory) -> None:
    mallory.answer(Actor.REFUSE)
    assert mallory.run(call(model, "add_data", [2], 1, value=PLENTY), value=PLENTY) == [None]
    change = model.pending_withdrawal(mallory.address)
    _, paid = deposit(model, [2], 1, mallory.address)
    assert change == PLENTY - paid
    alice = model.add_data([0], 1, sender=1, value=PLENTY)  # her change is pushed to her at once
    assert model.pending_withdrawal(chain.accounts[1]) == 0
    assert mallory.run(call(model, "withdraw")) == ["trainer: withdrawal failed"]
    carol = chain.accounts[3]
    start = chain.balance(carol)
    assert mallory.run(call(model, "withdraw_to", carol)) == [None]
    assert chain.balance(carol) == start + change
    assert chain.balance(model.address) == paid + alice.cost


# -- front-running a refund in the same block -------------------------------------------


def same_block_setup(chain, model, mallory, victim) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The victim's wallet adds [0] with label 1 (the model agrees); Mallory gets a
    validated contribution; a day passes. Returns the victim's time and deposit."""
    assert victim.run(call(model, "add_data", [0], 1, value=PLENTY), sender=1, value=PLENTY) == [None]
    validate(mallory, model, chain, [2])
    return deposit(model, [0], 1, victim.address)


def test_a_report_front_running_a_refund_in_the_same_block_takes_nothing(chain, model, mallory, victim) -> None:
    time, paid = same_block_setup(chain, model, mallory, victim)
    start, trainer, own = chain.balance(victim.address), chain.balance(model.address), chain.balance(mallory.address)
    outcomes = mallory.run(
        call(model, "report", [0], 1, time, victim.address),
        (victim.address, victim.run_call(call(model, "refund", [0], 1, time)), 0),
    )
    assert outcomes == ["trainer: model agrees with the label", None]
    assert victim.outcomes(1) == [None]
    assert chain.balance(victim.address) == start + paid
    assert chain.balance(model.address) == trainer - paid
    assert chain.balance(mallory.address) == own


def test_turning_the_model_and_reporting_in_the_same_block_is_refused(chain, model, mallory, victim) -> None:
    """Mallory adds two samples that turn the model against the victim's, then reports it,
    before the victim's refund in the same block: the report is refused, so nothing of the
    deposit is taken (the refund fails too: the model now disagrees)."""
    time, paid = same_block_setup(chain, model, mallory, victim)
    trainer = chain.balance(model.address)
    outcomes = mallory.run(
        call(model, "add_data", [0, 6], 0, value=PLENTY),  # 3 + 0 > 0: a mistake, weight 0 goes to 1
        call(model, "add_data", [0, 7], 0, value=PLENTY),  # 1 + 0 > 0: a mistake, weight 0 goes to -1
        call(model, "report", [0], 1, time, victim.address),
        (victim.address, victim.run_call(call(model, "refund", [0], 1, time)), 0),
        value=2 * PLENTY,
    )
    assert outcomes == [None, None, "deposit_refund_take: data added in this block", None]
    assert victim.outcomes(1) == ["trainer: model does not agree with the label"]
    assert model.predict([0]) == 0
    assert claimable(model, [0], 1, victim.address) == paid
    flips = [deposit(model, sample, 0, mallory.address)[1] for sample in ([0, 6], [0, 7])]
    assert flips[1] == INCENTIVE.cost_weight * 3600  # the second add of a block pays the most
    assert chain.balance(model.address) == trainer + sum(flips)

    # the control, and the limit of the rule: in the next block the same report takes a
    # share (all of it: Mallory holds every validated contribution). Her two deposits stay
    # on chain behind it, for others to correct the model and report them.
    own = chain.balance(mallory.address)
    assert mallory.run(call(model, "report", [0], 1, time, victim.address)) == [None]
    assert claimable(model, [0], 1, victim.address) == 0
    assert chain.balance(mallory.address) == own + paid
    assert chain.balance(model.address) == trainer + sum(flips) - paid


def test_the_same_block_rule_spares_the_claim_windows(chain, model, mallory) -> None:
    """After ``any_claim_wait`` anyone takes what is left, even in a block with new data."""
    added = model.add_data([0], 1, sender=1)
    chain.advance_time(9 * DAY)
    outcomes = mallory.run(
        call(model, "add_data", [2], 1, value=PLENTY),
        call(model, "report", [0], 1, added.time, chain.accounts[1]),
        value=PLENTY,
    )
    assert outcomes == [None, None]
    _, kept = deposit(model, [2], 1, mallory.address)
    assert chain.balance(mallory.address) == PLENTY - kept + added.cost


# -- one contribution key twice in one transaction ------------------------------------


def test_the_same_contribution_twice_in_one_transaction_is_refused(chain, model, mallory) -> None:
    """The key binds the sample, the label, the block time and the author: a second add of
    the same sample and label in the same transaction reverts, and only the first deposit
    is kept. The control: the same sample with the other label is another key."""
    start, trainer = chain.balance(chain.accounts[5]), chain.balance(model.address)
    outcomes = mallory.run(
        call(model, "add_data", [0], 1, value=PLENTY),
        call(model, "add_data", [0], 1, value=PLENTY),
        call(model, "add_data", [0], 0, value=PLENTY),
        value=3 * PLENTY,
    )
    assert outcomes == [None, "data_handler: contribution already recorded", None]
    kept = [c.deposit for c in model.contributions(everyone=True)]
    assert len(kept) == 2 and kept[1] == INCENTIVE.cost_weight * 3600
    assert chain.balance(model.address) == trainer + sum(kept)
    assert chain.balance(mallory.address) == 3 * PLENTY - sum(kept)
    assert chain.balance(chain.accounts[5]) == start - 3 * PLENTY


# -- one bad sample reported from many accounts -----------------------------------------


def test_reports_from_many_accounts_take_what_one_account_would(chain, model) -> None:
    """Four accounts with one validated contribution each (one person's Sybils) and an
    honest one with two report the same bad contribution: each takes its own share,
    ``deposit * num_valid // total_good``, once, and together the Sybils take no more than
    one account with their four validations would."""
    sybils, honest = [1, 2, 3, 4], 5
    times = {who: model.add_data([0], 1, sender=who).time for who in sybils}
    times[honest] = model.add_data([2], 1, sender=honest).time
    second = model.add_data([0, 2], 1, sender=honest).time
    bad = model.add_data([1], 1, sender=6, value=PLENTY)
    chain.advance_time(DAY)
    for who in sybils:
        model.refund([0], 1, times[who], sender=who)
    model.refund([2], 1, times[honest], sender=honest)
    model.refund([0, 2], 1, second, sender=honest)
    total = model._call("total_good")
    assert total == 6
    taken = []
    for who in sybils:
        start = chain.balance(chain.accounts[who])
        taken.append(model.report([1], 1, bad.time, chain.accounts[6], sender=who))
        assert taken[-1] == bad.cost * 1 // total
        assert chain.balance(chain.accounts[who]) == start + taken[-1]
        with pytest.raises(ContractReverted, match="already reported by this account"):
            model.report([1], 1, bad.time, chain.accounts[6], sender=who)
    assert sum(taken) <= bad.cost * len(sybils) // total
    assert model.report([1], 1, bad.time, chain.accounts[6], sender=honest) == bad.cost * 2 // total
    left = bad.cost - sum(taken) - bad.cost * 2 // total
    assert model.contribution([1], 1, bad.time, chain.accounts[6]).claimable == left
    assert chain.balance(model.address) == left
