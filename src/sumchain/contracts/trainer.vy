# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Collaborative Trainer
@custom:contract-name trainer
@license MIT
@notice The entry point of a shared model: anyone may `predict` for free,
        `add_data` with a deposit to teach the model, and later `refund` its
        own deposit or `report` bad data of others.
@dev The data handler, the incentive mechanism and the model are modules
     compiled into this one contract, so the trainer controls them by
     construction (0xDeCA10B issue 40 cannot arise). Payments are pushed and,
     when the recipient refuses them, kept for `withdraw` (pull fallback).
"""

from . import data_handler
from .incentives import deposit_refund_take as mechanism
from .models import sparse_perceptron as model

initializes: data_handler
initializes: mechanism[data_handler := data_handler]
initializes: model

exports: (
    mechanism.cost_weight,
    mechanism.refund_wait,
    mechanism.owner_claim_wait,
    mechanism.any_claim_wait,
    mechanism.last_update_time,
    mechanism.num_valid,
    mechanism.total_good,
    model.n_features,
    model.intercept,
    model.learning_rate,
    model.words_loaded,
)


# @dev Emitted once a contribution is recorded and the model has learned from it.
event DataAdded:
    data: DynArray[uint32, model.MAX_SAMPLE]
    label: uint8
    time: uint256
    sender: indexed(address)
    cost: uint256


# @dev Emitted once an author got its deposit back.
event Refunded:
    key: indexed(bytes32)
    author: indexed(address)
    amount: uint256


# @dev Emitted once a reporter took (part of) a deposit.
event Reported:
    key: indexed(bytes32)
    reporter: indexed(address)
    author: indexed(address)
    amount: uint256


# @dev Emitted when a payment could not be pushed and waits for `withdraw`.
event PaymentDeferred:
    recipient: indexed(address)
    amount: uint256


# @dev Emitted once deferred payments were withdrawn.
event Withdrawn:
    recipient: indexed(address)
    amount: uint256


# @dev The account that deployed the model: it loads the weights and may take
#      deposits left after `owner_claim_wait`.
owner: public(immutable(address))
# @dev Payments that could not be pushed, per recipient.
pending_withdrawals: public(HashMap[address, uint256])


@deploy
def __init__(
    n_features: uint256,
    intercept: int256,
    learning_rate: int256,
    cost_weight: uint256,
    refund_wait: uint256,
    owner_claim_wait: uint256,
    any_claim_wait: uint256,
):
    """
    @dev Creates the model without weights; the owner loads them next with
         `load_weights`.
    @param n_features Size of the feature space.
    @param intercept The intercept, at the model's scale.
    @param learning_rate The learning rate, at the model's scale.
    @param cost_weight Scale of the deposit, in wei.
    @param refund_wait Seconds before a refund or a report.
    @param owner_claim_wait Seconds before the owner may take what is left.
    @param any_claim_wait Seconds before anyone may take what is left.
    """
    owner = msg.sender
    model.__init__(n_features, intercept, learning_rate)
    mechanism.__init__(cost_weight, refund_wait, owner_claim_wait, any_claim_wait)


@external
def load_weights(start: uint256, words: DynArray[uint256, model.MAX_WORDS_PER_CALL]):
    """
    @notice Loads the next chunk of packed weights (owner only, in order).
    @dev Chunks must start where the previous one ended.
    @param start Index of the first packed word in this chunk.
    @param words Packed weights, four signed 64-bit weights per word.
    """
    assert msg.sender == owner, "trainer: caller is not the owner"
    model._load_words(start, words)


@external
@view
def ready() -> bool:
    """
    @notice Whether every weight is loaded, so that the model accepts data.
    @return True when ready.
    """
    return model._is_ready()


@external
@view
def weight_words(start: uint256, count: uint256) -> DynArray[uint256, model.MAX_WORDS_PER_CALL]:
    """
    @notice Reads packed weights, for mirrors and audits.
    @param start Index of the first packed word.
    @param count Number of words.
    @return The packed words.
    """
    return model._read_words(start, count)


@external
@view
def predict(data: DynArray[uint32, model.MAX_SAMPLE]) -> uint8:
    """
    @notice Classifies a sample, free of charge.
    @param data Sorted, unique feature indices.
    @return The predicted class.
    """
    model._check_sample(data)
    return model._predict(data)


@external
@view
def cost() -> uint256:
    """
    @notice The deposit a contribution needs in the current block.
    @return The deposit in wei.
    """
    return mechanism._cost()


@external
@view
def contribution(data: DynArray[uint32, model.MAX_SAMPLE], label: uint8, added_time: uint256, author: address) -> (uint256, uint256, bool):
    """
    @notice Reads a contribution's record.
    @param data The sample as it was added.
    @param label The label as it was added.
    @param added_time The block time of the contribution.
    @param author The account that added it.
    @return The initial deposit, the amount still claimable and whether the
            author was refunded.
    """
    return data_handler._load(self._key(data, label, added_time, author))


@external
@payable
def add_data(data: DynArray[uint32, model.MAX_SAMPLE], label: uint8):
    """
    @notice Teaches the model one labelled sample, paying the current
            deposit; any excess value goes back to the sender.
    @dev Reverts when the sample or label is invalid or the value is short.
    @param data Sorted, unique feature indices.
    @param label The class.
    """
    model._check_sample(data)
    model._check_label(label)
    key: bytes32 = self._key(data, label, block.timestamp, msg.sender)
    deposit: uint256 = mechanism._on_add(key, msg.value)
    model._update(data, label)
    log DataAdded(data=data, label=label, time=block.timestamp, sender=msg.sender, cost=deposit)
    self._pay(msg.sender, msg.value - deposit)


@external
def refund(data: DynArray[uint32, model.MAX_SAMPLE], label: uint8, added_time: uint256):
    """
    @notice Returns the caller's deposit for its own contribution once the
            refund wait is over, if the model now agrees with its label.
    @param data The sample as it was added.
    @param label The label as it was added.
    @param added_time The block time of the contribution.
    """
    key: bytes32 = self._key(data, label, added_time, msg.sender)
    amount: uint256 = mechanism._refund(key, added_time, msg.sender)
    assert model._predict(data) == label, "trainer: model does not agree with the label"
    log Refunded(key=key, author=msg.sender, amount=amount)
    self._pay(msg.sender, amount)


@external
def report(data: DynArray[uint32, model.MAX_SAMPLE], label: uint8, added_time: uint256, author: address):
    """
    @notice Takes (part of) the deposit of another account's contribution
            that the model now rejects, or whatever is left of any deposit
            once the claim windows allow it.
    @param data The sample as it was added.
    @param label The label as it was added.
    @param added_time The block time of the contribution.
    @param author The account that added it.
    """
    key: bytes32 = self._key(data, label, added_time, author)
    amount: uint256 = 0
    check_model: bool = False
    amount, check_model = mechanism._report(key, added_time, author, msg.sender, msg.sender == owner)
    if check_model:
        assert model._predict(data) != label, "trainer: model agrees with the label"
    log Reported(key=key, reporter=msg.sender, author=author, amount=amount)
    self._pay(msg.sender, amount)


@external
def withdraw():
    """
    @notice Sends the caller the payments that could not be pushed to it.
    """
    amount: uint256 = self.pending_withdrawals[msg.sender]
    assert amount > 0, "trainer: nothing to withdraw"
    self.pending_withdrawals[msg.sender] = 0
    log Withdrawn(recipient=msg.sender, amount=amount)
    send(msg.sender, amount)


@internal
@pure
def _key(data: DynArray[uint32, model.MAX_SAMPLE], label: uint8, added_time: uint256, author: address) -> bytes32:
    """
    @dev The key of a contribution.
    @param data The sample.
    @param label The label.
    @param added_time The block time of the contribution.
    @param author The account that added it.
    @return keccak256 of the ABI encoding of all four.
    """
    return keccak256(abi_encode(data, label, added_time, author))


@internal
def _pay(recipient: address, amount: uint256):
    """
    @dev Pushes `amount` to `recipient`, or keeps it for `withdraw` when the
         recipient refuses it.
    @param recipient Who is paid.
    @param amount How much, in wei.
    """
    if amount == 0:
        return
    if not raw_call(recipient, b"", value=amount, revert_on_failure=False):
        self.pending_withdrawals[recipient] += amount
        log PaymentDeferred(recipient=recipient, amount=amount)
