"""Every Deposit, Refund and Take rule of the trainer, each beside its revert twin."""

from __future__ import annotations

import pytest

from sumchain import ContractReverted, DepositRefundTake, InsufficientDeposit, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_contract
from sumchain.errors import InvalidIncentive, SumchainError
from sumchain.incentives import DAY, MAX_COST_WEIGHT, MAX_WAIT, MIN_REFUND_WAIT, WAIT_LIMIT
from tests.conftest import INCENTIVE, WEIGHTS
from tests.helpers import deploy_interrupted, observable_state, sparse_bytes

POSITIVE = [0]  # the test model predicts 1
NEGATIVE = [1]  # the test model predicts 0


def reverts(model: SharedModel, reason: str, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Assert that ``action`` reverts with ``reason`` and changes nothing."""
    before = observable_state(model)
    with pytest.raises(ContractReverted, match=reason):
        action(*args, **kwargs)
    assert observable_state(model) == before


# -- add_data --------------------------------------------------------------


def test_add_data_charges_the_current_cost_and_returns_the_excess(chain, model) -> None:
    chain.advance_time(3_600)
    alice = chain.accounts[1]
    start = chain.balance(alice)
    preview = model.cost()
    added = model.add_data(POSITIVE, 1, sender=alice, value=10**20)
    seconds = added.time - model._call("last_update_time")  # 0: it is the new last update
    assert seconds == 0
    # the block is 1 s after the preview's, so the cost can only have fallen
    assert added.cost <= preview
    assert added.cost == INCENTIVE.cost(3_601)
    assert chain.balance(alice) == start - added.cost
    assert chain.balance(model.address) == added.cost
    assert added.contribution.deposit == added.contribution.claimable == added.cost


def test_cost_follows_the_formula(chain, model) -> None:
    model.add_data(POSITIVE, 1, sender=1)
    for seconds in (0, 1, 99, 10_000):
        chain.advance_time(seconds)
        elapsed = chain.time() - model._call("last_update_time")
        assert model.cost() == INCENTIVE.cost(elapsed)
    assert INCENTIVE.cost(0) == INCENTIVE.cost_weight * 3600


def test_short_deposit_reverts(chain, model) -> None:
    cost = model.cost()
    before = observable_state(model)
    with pytest.raises(InsufficientDeposit, match="deposit_refund_take: insufficient deposit") as refused:
        model.add_data(POSITIVE, 1, sender=1, value=cost // 2)
    assert observable_state(model) == before
    assert "the deposit rose since it was read, another contribution (maybe one of this account's" in str(refused.value)
    assert "the contract returns what is not due" in str(refused.value)


def test_add_data_emits_the_sample(chain, model) -> None:
    added = model.add_data([0, 2, 9], 0, sender=2)
    event = model._events(added.receipt, "DataAdded")[0]
    assert model.codec.decode(event["data"]) == (0, 2, 9)
    assert event["label"] == 0
    assert event["time"] == added.receipt.timestamp
    assert event["sender"].lower() == chain.accounts[2].lower()
    assert event["cost"] == added.cost


@pytest.mark.parametrize(
    ("data", "label", "reason"),
    [
        (sparse_bytes(10), 1, "samples: index out of range"),
        (sparse_bytes(0, 0), 1, "samples: indices not sorted and unique"),
        (sparse_bytes(3, 1), 1, "samples: indices not sorted and unique"),
        (sparse_bytes(1)[:3], 1, "samples: sparse sample length is not a multiple of 4 bytes"),
        (sparse_bytes(0), 2, "sparse_perceptron: label out of range"),
    ],
)
def test_bad_samples_revert_on_chain(chain, model, data, label, reason) -> None:
    calldata = model.abi.encode_call("add_data", data, label)
    reverts(model, reason, chain.transact, model.address, calldata, sender=chain.accounts[1], value=10**19)


def test_predict_checks_its_input(model) -> None:
    calldata = model.abi.encode_call("predict", sparse_bytes(5, 4))
    with pytest.raises(ContractReverted, match="samples: indices not sorted and unique"):
        model.chain.call(model.address, calldata)


def test_zero_cost_weight_makes_contributions_free(chain) -> None:
    free = SharedModel.deploy(chain, SparsePerceptron.from_weights([1, -1]), mechanism=DepositRefundTake(cost_weight=0))
    start = chain.balance(chain.accounts[1])
    added = free.add_data([0], 1, sender=1, value=123)
    assert added.cost == 0
    assert chain.balance(chain.accounts[1]) == start


# -- refund ----------------------------------------------------------------


def test_refund_after_the_wait_returns_the_deposit(chain, model) -> None:
    alice = chain.accounts[1]
    added = model.add_data(POSITIVE, 1, sender=alice)
    chain.advance_time(DAY)
    start = chain.balance(alice)
    assert model.refund(POSITIVE, 1, added.time, sender=alice) == added.cost
    assert chain.balance(alice) == start + added.cost
    assert model.num_valid(alice) == 1
    assert model._call("total_good") == 1
    state = model.contribution(POSITIVE, 1, added.time, alice)
    assert state.refunded and state.claimable == 0 and state.status == "refunded"


def test_refund_before_the_wait_reverts(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(DAY - 2)
    reverts(model, "deposit_refund_take: refund wait not over", model.refund, POSITIVE, 1, added.time, sender=1)


def test_refund_of_data_the_model_rejects_reverts(chain, model) -> None:
    added = model.add_data(NEGATIVE, 0, sender=1)
    for _ in range(2):  # two mistakes move weight 1 from -3 to +1
        model.add_data(NEGATIVE, 1, sender=2, value=10**19)
    assert model.predict(NEGATIVE) == 1
    chain.advance_time(DAY)
    reverts(model, "trainer: model does not agree with the label", model.refund, NEGATIVE, 0, added.time, sender=1)


def test_double_refund_reverts(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(DAY)
    model.refund(POSITIVE, 1, added.time, sender=1)
    reverts(model, "deposit_refund_take: already refunded", model.refund, POSITIVE, 1, added.time, sender=1)


def test_refund_by_another_account_finds_no_contribution(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(DAY)
    reverts(model, "data_handler: unknown contribution", model.refund, POSITIVE, 1, added.time, sender=2)


def test_refund_with_a_wrong_time_finds_no_contribution(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(DAY)
    reverts(model, "data_handler: unknown contribution", model.refund, POSITIVE, 1, added.time + 1, sender=1)


def test_refund_after_the_deposit_was_taken_reverts(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(9 * DAY)
    model.report(POSITIVE, 1, added.time, chain.accounts[1], sender=2)
    reverts(model, "deposit_refund_take: nothing left to claim", model.refund, POSITIVE, 1, added.time, sender=1)


# -- report ----------------------------------------------------------------


def _honest_and_bad(chain, model):  # type: ignore[no-untyped-def]
    """Account 1 gets one refund (num_valid 1); account 2 adds a wrong label."""
    good = model.add_data(POSITIVE, 1, sender=1)
    bad = model.add_data(NEGATIVE, 1, sender=2, value=10**19)  # a mistake: weight 1 goes -3 -> -1
    assert model.predict(NEGATIVE) == 0
    chain.advance_time(DAY)
    model.refund(POSITIVE, 1, good.time, sender=1)
    return good, bad


def test_report_takes_a_share_of_a_rejected_deposit(chain, model) -> None:
    _good, bad = _honest_and_bad(chain, model)
    reporter = chain.accounts[1]
    start = chain.balance(reporter)
    share = bad.cost * model.num_valid(reporter) // model._call("total_good")
    taken = model.report(NEGATIVE, 1, bad.time, chain.accounts[2], sender=reporter)
    assert taken == min(share, bad.cost) > 0
    assert chain.balance(reporter) == start + taken
    assert model.contribution(NEGATIVE, 1, bad.time, chain.accounts[2]).claimable == bad.cost - taken


def test_report_share_is_proportional_to_validated_contributions(chain, model) -> None:
    _good, bad = _honest_and_bad(chain, model)
    # account 3 also gets one refund: account 1 now holds half of the good contributions
    third = model.add_data(NEGATIVE, 0, sender=3)
    chain.advance_time(DAY)
    model.refund(NEGATIVE, 0, third.time, sender=3)
    taken = model.report(NEGATIVE, 1, bad.time, chain.accounts[2], sender=1)
    assert model._call("total_good") == 2
    assert taken == bad.cost * 1 // 2


def test_second_report_by_the_same_account_reverts(chain, model) -> None:
    _good, bad = _honest_and_bad(chain, model)
    third = model.add_data(NEGATIVE, 0, sender=3)
    chain.advance_time(DAY)
    model.refund(NEGATIVE, 0, third.time, sender=3)
    model.report(NEGATIVE, 1, bad.time, chain.accounts[2], sender=1)
    reverts(
        model,
        "deposit_refund_take: already reported by this account",
        model.report,
        NEGATIVE,
        1,
        bad.time,
        chain.accounts[2],
        sender=1,
    )


def test_report_of_data_the_model_accepts_reverts(chain, model) -> None:
    _good, _ = _honest_and_bad(chain, model)
    other = model.add_data(POSITIVE, 1, sender=2)
    chain.advance_time(DAY)
    reverts(
        model,
        "trainer: model agrees with the label",
        model.report,
        POSITIVE,
        1,
        other.time,
        chain.accounts[2],
        sender=1,
    )


def test_report_before_the_wait_reverts(chain, model) -> None:
    _honest_and_bad(chain, model)
    late = model.add_data(NEGATIVE, 1, sender=2, value=10**19)
    reverts(
        model,
        "deposit_refund_take: refund wait not over",
        model.report,
        NEGATIVE,
        1,
        late.time,
        chain.accounts[2],
        sender=1,
    )


def test_report_without_validated_contributions_reverts(chain, model) -> None:
    _, bad = _honest_and_bad(chain, model)
    reverts(
        model,
        "deposit_refund_take: reporter has no refunded contributions",
        model.report,
        NEGATIVE,
        1,
        bad.time,
        chain.accounts[2],
        sender=4,
    )


def test_report_of_an_unknown_contribution_reverts(chain, model) -> None:
    _, bad = _honest_and_bad(chain, model)
    reverts(
        model,
        "data_handler: unknown contribution",
        model.report,
        NEGATIVE,
        1,
        bad.time,
        chain.accounts[3],
        sender=1,
    )


@pytest.mark.parametrize("wait", [0, DAY, 5 * DAY, 9 * DAY, 30 * DAY])
@pytest.mark.parametrize("author", [0, 1])
def test_an_author_can_never_report_its_own_data(chain, model, wait, author) -> None:
    """Improved over 0xDeCA10B #195: whatever the window, even for the owner."""
    added = model.add_data(NEGATIVE, 1, sender=author, value=10**19)
    if author == 1:  # give the author validated contributions too
        good = model.add_data(POSITIVE, 1, sender=author)
        chain.advance_time(DAY)
        model.refund(POSITIVE, 1, good.time, sender=author)
    chain.advance_time(wait)
    reverts(
        model,
        "deposit_refund_take: authors cannot report their own data",
        model.report,
        NEGATIVE,
        1,
        added.time,
        chain.accounts[author],
        sender=author,
    )


def test_owner_takes_what_is_left_after_the_owner_window(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)  # the model agrees: no model check applies
    chain.advance_time(5 * DAY)
    owner = chain.accounts[0]
    start = chain.balance(owner)
    assert model.report(POSITIVE, 1, added.time, chain.accounts[1], sender=owner) == added.cost
    assert chain.balance(owner) == start + added.cost
    reverts(
        model,
        "deposit_refund_take: nothing left to claim",
        model.report,
        POSITIVE,
        1,
        added.time,
        chain.accounts[1],
        sender=2,
    )


def test_non_owner_cannot_use_the_owner_window(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(5 * DAY)
    reverts(
        model,
        "deposit_refund_take: reporter has no refunded contributions",
        model.report,
        POSITIVE,
        1,
        added.time,
        chain.accounts[1],
        sender=2,
    )


def test_anyone_takes_what_is_left_after_the_any_window(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(9 * DAY)
    assert model.report(POSITIVE, 1, added.time, chain.accounts[1], sender=3) == added.cost
    assert chain.balance(model.address) == 0


# -- payments that bounce --------------------------------------------------


def deploy_mock(chain, name: str) -> tuple[str, ContractABI]:  # type: ignore[no-untyped-def]
    """Deploy ``contracts/mocks/<name>.vy``; returns its address and ABI."""
    mock = compile_contract(f"mocks/{name}")
    return chain.deploy(mock.bytecode, sender=chain.accounts[0]).contract_address, ContractABI(mock.abi)


def test_refused_payments_wait_for_withdraw(chain, model) -> None:
    address, abi = deploy_mock(chain, "rejecting_contributor_mock")
    cost = model.cost()
    chain.transact(
        address, abi.encode_call("add", model.address, sparse_bytes(0), 1), sender=chain.accounts[1], value=cost + 777
    )
    assert model.pending_withdrawal(address) >= 777
    assert chain.balance(model.address) == model.pending_withdrawal(address) + sum(
        c.claimable for c in model.contributions(everyone=True)
    )
    call = abi.encode_call("withdraw", model.address)
    reverts(model, "trainer: withdrawal failed", chain.transact, address, call, sender=chain.accounts[1])


def test_withdraw_to_pays_the_named_address(chain, model) -> None:
    address, abi = deploy_mock(chain, "rejecting_contributor_mock")
    chain.transact(
        address,
        abi.encode_call("add", model.address, sparse_bytes(0), 1),
        sender=chain.accounts[1],
        value=model.cost() + 777,
    )
    pending = model.pending_withdrawal(address)
    carol, trainer = chain.accounts[3], chain.balance(model.address)
    start = chain.balance(carol)
    receipt = chain.transact(address, abi.encode_call("withdraw_to", model.address, carol), sender=chain.accounts[1])
    assert chain.balance(carol) == start + pending
    assert chain.balance(model.address) == trainer - pending
    assert model.pending_withdrawal(address) == 0
    assert model._events(receipt, "Withdrawn") == [{"account": address, "recipient": carol, "amount": pending}]


def test_withdraw_to_with_nothing_pending_reverts(model) -> None:
    reverts(model, "trainer: nothing to withdraw", model.withdraw_to, 3, sender=1)


def test_withdraw_to_the_zero_address_is_refused_before_sending(chain, model) -> None:
    block = chain.block_number()
    with pytest.raises(SumchainError, match="zero address would burn the payments"):
        model.withdraw_to("0x" + "00" * 20, sender=1)
    assert chain.block_number() == block


def test_withdraw_with_nothing_pending_reverts(model) -> None:
    reverts(model, "trainer: nothing to withdraw", model.withdraw, sender=1)


# -- a contract wallet whose receive writes storage --------------------------------


def wallet_with_a_deferred_refund(chain, model) -> tuple[str, ContractABI, int]:  # type: ignore[no-untyped-def]
    """A contract wallet that added data, then refused its refund: the refund is pending."""
    wallet, abi = deploy_mock(chain, "contract_wallet_mock")
    sender = chain.accounts[1]
    receipt = chain.transact(
        wallet, abi.encode_call("add", model.address, sparse_bytes(0), 1), sender=sender, value=model.cost()
    )
    chain.advance_time(DAY)
    chain.transact(wallet, abi.encode_call("set_refusing", True), sender=sender)
    refund = chain.transact(
        wallet, abi.encode_call("refund", model.address, sparse_bytes(0), 1, receipt.timestamp), sender=sender
    )
    deferred = model._events(refund, "PaymentDeferred")
    assert deferred == [{"recipient": wallet, "amount": model._events(refund, "Refunded")[0]["amount"]}]
    assert model.pending_withdrawal(wallet) == deferred[0]["amount"] > 0
    chain.transact(wallet, abi.encode_call("set_refusing", False), sender=sender)
    return wallet, abi, deferred[0]["amount"]


def mock_call(chain, wallet: str, abi: ContractABI, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(abi.decode_output(name, chain.call(wallet, abi.encode_call(name))))


def test_a_contract_wallet_is_paid_directly_when_it_accepts(chain, model) -> None:
    """The push forwards all gas: a receive that writes storage is paid at once, nothing deferred."""
    wallet, abi = deploy_mock(chain, "contract_wallet_mock")
    cost = model.cost()
    receipt = chain.transact(
        wallet, abi.encode_call("add", model.address, sparse_bytes(0), 1), sender=chain.accounts[1], value=cost + 777
    )
    change = 777 + cost - model._events(receipt, "DataAdded")[0]["cost"]
    assert model._events(receipt, "PaymentDeferred") == []
    assert model.pending_withdrawal(wallet) == 0
    assert chain.balance(wallet) == mock_call(chain, wallet, abi, "received") == change


def test_a_contract_wallet_withdraws_exactly_its_deferred_payment(chain, model) -> None:
    wallet, abi, pending = wallet_with_a_deferred_refund(chain, model)
    trainer, start, received = (
        chain.balance(model.address),
        chain.balance(wallet),
        mock_call(chain, wallet, abi, "received"),
    )
    receipt = chain.transact(wallet, abi.encode_call("withdraw", model.address), sender=chain.accounts[2])
    assert chain.balance(wallet) == start + pending
    assert chain.balance(model.address) == trainer - pending
    assert mock_call(chain, wallet, abi, "received") == received + pending  # its receive wrote storage
    assert model.pending_withdrawal(wallet) == 0
    assert model._events(receipt, "Withdrawn") == [{"account": wallet, "recipient": wallet, "amount": pending}]
    call = abi.encode_call("withdraw", model.address)
    reverts(model, "trainer: nothing to withdraw", chain.transact, wallet, call, sender=chain.accounts[2])


def test_a_refusing_contract_wallet_keeps_its_payment_pending(chain, model) -> None:
    wallet, abi, pending = wallet_with_a_deferred_refund(chain, model)
    chain.transact(wallet, abi.encode_call("set_refusing", True), sender=chain.accounts[1])
    call = abi.encode_call("withdraw", model.address)
    reverts(model, "trainer: withdrawal failed", chain.transact, wallet, call, sender=chain.accounts[2])
    assert model.pending_withdrawal(wallet) == pending


def test_a_reentrant_withdraw_gets_nothing_more(chain, model) -> None:
    wallet, abi, pending = wallet_with_a_deferred_refund(chain, model)
    # more deferred funds in the trainer than the wallet's own: something to steal
    other, other_abi = deploy_mock(chain, "rejecting_contributor_mock")
    add = other_abi.encode_call("add", model.address, sparse_bytes(0, 2), 1)
    chain.transact(other, add, sender=chain.accounts[3], value=model.cost() + 10**18)
    assert model.pending_withdrawal(other) >= 10**18
    chain.transact(wallet, abi.encode_call("set_reentering", model.address), sender=chain.accounts[1])
    trainer, start, payments = (
        chain.balance(model.address),
        chain.balance(wallet),
        mock_call(chain, wallet, abi, "payments"),
    )
    chain.transact(wallet, abi.encode_call("withdraw", model.address), sender=chain.accounts[2])
    assert not mock_call(chain, wallet, abi, "reentry_succeeded")
    assert mock_call(chain, wallet, abi, "payments") == payments + 1
    assert chain.balance(wallet) == start + pending
    assert chain.balance(model.address) == trainer - pending
    assert model.pending_withdrawal(wallet) == 0


# -- times and waits are bounded --------------------------------------------------

LAST_TIME = 2**64 - 1
"""The last block time that fits the 64 bits that ``_state`` keeps for it."""
TIME_BEYOND = "deposit_refund_take: block time beyond 64 bits"


def test_add_data_at_the_last_64_bit_time_is_recorded(chain, model) -> None:
    chain.advance_time(LAST_TIME - 1 - chain.time())  # the next block is at LAST_TIME
    added = model.add_data(POSITIVE, 1, sender=1)
    assert added.time == model._call("last_update_time") == LAST_TIME
    assert model._call("total_good") == 0


def test_add_data_past_the_64_bit_time_reverts_and_refunds_still_work(chain, model) -> None:
    added = model.add_data(POSITIVE, 1, sender=1)
    chain.advance_time(LAST_TIME - chain.time())  # the next block is at 2**64
    reverts(model, TIME_BEYOND, model.add_data, NEGATIVE, 0, sender=2)
    assert model._call("total_good") == 0  # the time did not spill into the count
    assert model.refund(POSITIVE, 1, added.time, sender=1) == added.cost  # does not store the time
    assert model._call("total_good") == 1
    assert model._call("last_update_time") == added.time


@pytest.mark.parametrize(("last", "opens"), [(LAST_TIME, True), (LAST_TIME + 1, False)])
def test_the_mechanism_opens_only_at_a_64_bit_time(chain, last, opens) -> None:
    mirror = SparsePerceptron.from_weights([3, -3])
    partial, _ = deploy_interrupted(chain, mirror, chunks=0)
    chain.advance_time(last - 1 - chain.time())  # the last chunk is mined at ``last``
    if opens:
        partial.upload_parameters(mirror.to_words())
        assert partial._call("last_update_time") == LAST_TIME
        assert partial._call("total_good") == 0
        return
    with pytest.raises(ContractReverted, match=TIME_BEYOND):
        partial.upload_parameters(mirror.to_words())
    assert partial._call("words_loaded") == 0
    assert partial._call("last_update_time") == partial._call("total_good") == 0


def test_the_longest_wait_the_contract_accepts_is_below_2_to_the_40(chain) -> None:
    longest = DepositRefundTake(refund_wait=DAY, owner_claim_wait=DAY, any_claim_wait=WAIT_LIMIT - 1, unsafe=True)
    deployed = SharedModel.deploy(chain, SparsePerceptron.from_weights([3, -3]), mechanism=longest)
    assert deployed.mechanism == longest
    assert deployed.mechanism.any_claim_wait == WAIT_LIMIT - 1
    # the revert twin (any_claim_wait == 2**40) is in test_sparse_perceptron's deployment reverts


@pytest.mark.parametrize(
    ("waits", "problem"),
    [
        ((0, 0, 0), "refund_wait must be at least 60 s, got 0 s"),
        ((MIN_REFUND_WAIT - 1, DAY, DAY), "refund_wait must be at least 60 s, got 59 s"),
        ((DAY, DAY, MAX_WAIT + 1), "every wait must be at most 315619200 s"),
        ((DAY, MAX_WAIT + 1, MAX_WAIT + 1), "every wait must be at most 315619200 s"),
    ],
)
def test_the_client_refuses_absurd_waits_unless_unsafe(waits, problem) -> None:
    with pytest.raises(InvalidIncentive, match=problem):
        DepositRefundTake(0, *waits)
    assert DepositRefundTake(0, *waits, unsafe=True).refund_wait == waits[0]


@pytest.mark.parametrize("waits", [(MIN_REFUND_WAIT, MIN_REFUND_WAIT, MIN_REFUND_WAIT), (DAY, DAY, MAX_WAIT)])
def test_the_client_accepts_waits_at_its_limits(waits) -> None:
    drt = DepositRefundTake(0, *waits)
    assert (drt.refund_wait, drt.owner_claim_wait, drt.any_claim_wait) == waits


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((MAX_COST_WEIGHT + 1, DAY, DAY, DAY), "cost_weight must be in"),
        ((-1, DAY, DAY, DAY), "cost_weight must be in"),
        ((0, 2, 1, 3), "the waits must satisfy"),
        ((0, -1, 1, 3), "the waits must satisfy"),
        ((0, DAY, DAY, WAIT_LIMIT), "every wait must be below 2\\*\\*40 s"),
    ],
)
def test_the_contract_limits_apply_even_when_unsafe(args, problem) -> None:
    with pytest.raises(InvalidIncentive, match=problem):
        DepositRefundTake(*args, unsafe=True)
    assert DepositRefundTake(MAX_COST_WEIGHT, DAY, DAY, WAIT_LIMIT - 1, unsafe=True).any_claim_wait == WAIT_LIMIT - 1


def test_unsafe_is_not_part_of_the_parameters(chain) -> None:
    """A model deployed with unsafe waits reads back as equal parameters, without raising."""
    unsafe = DepositRefundTake(refund_wait=0, owner_claim_wait=0, any_claim_wait=0, unsafe=True)
    deployed = SharedModel.deploy(chain, SparsePerceptron.from_weights([3, -3]), mechanism=unsafe)
    assert SharedModel(chain, deployed.address).mechanism == unsafe


# -- every window opens at its exact second ----------------------------------------------


def next_block_at(chain, time: int) -> None:  # type: ignore[no-untyped-def]
    """Mine empty blocks so that the next transaction comes at ``time`` (a reverted one is not mined)."""
    chain.advance_time(time - 1 - chain.time())


@pytest.mark.parametrize(
    ("claim", "wait", "early"),
    [
        ("refund", DAY, "deposit_refund_take: refund wait not over"),
        ("share", DAY, "deposit_refund_take: refund wait not over"),
        ("owner", 5 * DAY, "deposit_refund_take: reporter has no refunded contributions"),
        ("anyone", 9 * DAY, "deposit_refund_take: reporter has no refunded contributions"),
    ],
)
def test_each_window_opens_at_its_exact_second(chain, model, claim, wait, early) -> None:
    """One second before its window opens a claim reverts and changes nothing; at the very
    second it opens, it pays exactly what is due."""
    alice, bob = chain.accounts[1], chain.accounts[2]
    if claim == "share":  # Alice's refunded contribution gives her the validation a share needs
        earlier = model.add_data([2], 1, sender=alice)
        chain.advance_time(DAY)
        model.refund([2], 1, earlier.time, sender=alice)
    good = model.add_data(POSITIVE, 1, sender=alice)
    bad = model.add_data(NEGATIVE, 1, sender=bob, value=10**19)  # rejected by the model
    if claim == "refund":
        target, claimant = good, alice

        def claim_it() -> int:
            return model.refund(POSITIVE, 1, good.time, sender=alice)

        due = good.cost
    else:
        target = bad
        claimant = {"share": alice, "owner": chain.accounts[0], "anyone": chain.accounts[3]}[claim]

        def claim_it() -> int:
            return model.report(NEGATIVE, 1, bad.time, bob, sender=claimant)

        due = bad.cost  # a share of all the validated contributions is the whole deposit
    next_block_at(chain, target.time + wait - 1)
    reverts(model, early, claim_it)
    next_block_at(chain, target.time + wait)
    start = chain.balance(claimant)
    assert claim_it() == due
    assert chain.balance(claimant) == start + due


# -- a reporter's share, exact to the wei for every k/n ------------------------------------

SHARES = [(k, n) for n in range(1, 9) for k in range(1, n + 1)]


@pytest.mark.parametrize(("k", "n"), SHARES)
def test_a_share_is_exact_to_the_wei_for_every_k_of_n(chain, model, k, n) -> None:
    """Reporter A holds k of the n validated contributions, reporter B the others: A takes
    ``deposit * k // n`` of a rejected contribution, then B ``deposit * (n - k) // n`` (or all
    that is left); the rest stays claimable, and the trainer holds exactly that."""
    a, b, bad_author = 1, 2, 3
    next_block_at(chain, model._call("last_update_time") + 50)  # 3.6e18 // isqrt(50): an odd deposit
    bad = model.add_data(NEGATIVE, 1, sender=bad_author, value=10**19)
    assert bad.cost == 3_600 * 10**15 // 7 == 514_285_714_285_714_285
    mine = [model.add_data(POSITIVE, 1, sender=a if i < k else b) for i in range(n)]
    chain.advance_time(DAY)
    for i, added in enumerate(mine):
        model.refund(POSITIVE, 1, added.time, sender=a if i < k else b)
    assert (model.num_valid(chain.accounts[a]), model._call("total_good")) == (k, n)
    deposit = bad.cost
    first = model.report(NEGATIVE, 1, bad.time, chain.accounts[bad_author], sender=a)
    assert first == min(deposit * k // n, deposit) > 0
    left = deposit - first
    if k < n:
        second = model.report(NEGATIVE, 1, bad.time, chain.accounts[bad_author], sender=b)
        assert second == min(deposit * (n - k) // n, left)
        left -= second
    assert model.contribution(NEGATIVE, 1, bad.time, chain.accounts[bad_author]).claimable == left
    assert chain.balance(model.address) == left
    assert left == deposit - deposit * k // n - (deposit * (n - k) // n if k < n else 0)


def test_a_share_larger_than_what_is_left_takes_exactly_what_is_left(chain, model) -> None:
    """A takes half of a rejected deposit as 1 of 2 validated contributions; B then holds 3 of 4,
    a share of 3/4 of the deposit: it takes the half that is left, and the record keeps its deposit."""
    a, b, bad_author = chain.accounts[1], chain.accounts[2], chain.accounts[3]
    bad = model.add_data(NEGATIVE, 1, sender=bad_author, value=10**19)
    goods = [model.add_data(POSITIVE, 1, sender=sender) for sender in (a, b)]
    chain.advance_time(DAY)
    for added, sender in zip(goods, (a, b), strict=True):
        model.refund(POSITIVE, 1, added.time, sender=sender)
    first = model.report(NEGATIVE, 1, bad.time, bad_author, sender=a)
    assert first == bad.cost // 2
    more = [model.add_data(POSITIVE, 1, sender=b) for _ in range(2)]
    chain.advance_time(DAY)
    for added in more:
        model.refund(POSITIVE, 1, added.time, sender=b)
    assert (model.num_valid(b), model._call("total_good")) == (3, 4)
    assert bad.cost * 3 // 4 > bad.cost - first
    start = chain.balance(b)
    second = model.report(NEGATIVE, 1, bad.time, bad_author, sender=b)
    assert second == bad.cost - first
    assert chain.balance(b) == start + second
    state = model.contribution(NEGATIVE, 1, bad.time, bad_author)
    assert (state.deposit, state.claimable, state.refunded) == (bad.cost, 0, False)
    assert chain.balance(model.address) == 0
    reverts(
        model, "deposit_refund_take: nothing left to claim", model.report, NEGATIVE, 1, bad.time, bad_author, sender=0
    )


def test_a_share_that_rounds_to_zero_takes_all_that_is_left(chain) -> None:
    """A deposit of 1 wei (the cost after 150 days without data at a cost weight of 1) and a
    reporter with 1 of 2 validated contributions: its share rounds to 0, so it takes the 1 wei,
    as the reference does (``result == 0`` takes all that is claimable)."""
    cheap = DepositRefundTake(cost_weight=1, refund_wait=DAY, owner_claim_wait=5 * DAY, any_claim_wait=9 * DAY)
    mirror = SparsePerceptron.from_weights(WEIGHTS, intercept=0, learning_rate=2)
    model = SharedModel.deploy(chain, mirror, mechanism=cheap, sender=0)
    a, b, bad_author = chain.accounts[1], chain.accounts[2], chain.accounts[3]
    goods = [model.add_data(POSITIVE, 1, sender=sender) for sender in (a, b)]
    chain.advance_time(150 * DAY)
    bad = model.add_data(NEGATIVE, 1, sender=bad_author, value=10**6)
    assert bad.cost == 1
    chain.advance_time(DAY)
    for added, sender in zip(goods, (a, b), strict=True):
        model.refund(POSITIVE, 1, added.time, sender=sender)
    assert bad.cost * model.num_valid(a) // model._call("total_good") == 0
    start = chain.balance(a)
    assert model.report(NEGATIVE, 1, bad.time, bad_author, sender=a) == 1
    assert chain.balance(a) == start + 1
    assert model.contribution(NEGATIVE, 1, bad.time, bad_author).claimable == 0
    assert chain.balance(model.address) == 0
