# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Collaborative Trainer: nearest_centroid with deposit_refund_take
@custom:contract-name nearest_centroid__deposit_refund_take
@license MIT
@notice The entry point of a shared model: anyone may `predict` for free,
        `add_data` (paying what the incentive mechanism asks) to teach the
        model, and later `refund` (validate) its own contribution or `report`
        bad data of others.
@dev Generated from `templates/trainer.vy.template` for one model module and
     one incentive mechanism (`python scripts/build_contracts.py` writes every
     combination into `trainers/`; a test checks that each file is what the
     template makes and compiles on its own). Edit the template, not this file.
     The data handler, the incentive mechanism and the model are modules
     compiled into this one contract, so the trainer controls them by
     construction (0xDeCA10B issue 40 cannot arise). Payments are pushed and,
     when the recipient refuses them, kept for `withdraw` or `withdraw_to`
     (pull fallback).
     Every model module implements `IModel` and every mechanism
     `IMechanism`; the interfaces' docstrings list the internal functions
     this contract also calls. The model keeps its parameters in `packed_words`, which
     the owner loads in chunks after deployment; the incentive mechanism
     opens once the last chunk is in, so that contributions check readiness
     with the same storage read that prices their deposit.
     The model's metadata (canonical JSON: name, classes, features, encoder;
     see `sumchain.metadata`) is published once, in the `MetadataPublished`
     event of the deployment; the contract keeps only its keccak256 and the
     deployment block, so that a client fetches the event from that one
     block and checks it.
"""

from .. import data_handler
from .. import reverts
from ..incentives import deposit_refund_take as mechanism
from ..models import packed_words
from ..models import nearest_centroid as model

initializes: data_handler
initializes: mechanism[data_handler := data_handler]
initializes: packed_words
initializes: model[packed_words := packed_words]

exports: (
    mechanism.__interface__,
    packed_words.total_words,
    packed_words.words_loaded,
    model.__interface__,
)


# @dev Largest metadata, in bytes (`sumchain.metadata.METADATA_BYTES`): with
#      it, every trainer's creation code stays under EIP-3860's 49,152 bytes.
METADATA_BYTES: constant(uint256) = 16_384


# @dev Emitted once, at deployment: the model's metadata (canonical JSON).
event MetadataPublished:
    metadata: Bytes[METADATA_BYTES]


# @dev Emitted once a contribution is recorded and the model has learned from it.
event DataAdded:
    data: Bytes[model.SAMPLE_BYTES]
    label: uint8
    time: uint256
    sender: indexed(address)
    cost: uint256


# @dev Emitted once an author got its deposit back (or, without deposits, its
#      contribution validated: `amount` 0).
event Refunded:
    key: indexed(bytes32)
    author: indexed(address)
    amount: uint256


# @dev Emitted once a reporter took (part of) a deposit (or, without deposits,
#      had its report recorded: `amount` 0).
event Reported:
    key: indexed(bytes32)
    reporter: indexed(address)
    author: indexed(address)
    amount: uint256


# @dev Emitted when a payment could not be pushed and waits for `withdraw`.
event PaymentDeferred:
    recipient: indexed(address)
    amount: uint256


# @dev Emitted once the deferred payments of `account` were paid to `recipient`.
event Withdrawn:
    account: indexed(address)
    recipient: indexed(address)
    amount: uint256


# @dev The account that deployed the model: it loads the parameters (and, as
#      the mechanism allows, may take deposits left after a wait).
owner: public(immutable(address))
# @dev Number of the block that created the contract (and holds `MetadataPublished`).
deployed_at: public(immutable(uint256))
# @dev Payments that could not be pushed, per recipient.
pending_withdrawals: public(HashMap[address, uint256])


@deploy
def __init__(
    model_params: DynArray[int256, 8], mechanism_params: uint256[4], metadata: Bytes[METADATA_BYTES]
):
    """
    @dev Creates the model without its parameters; the owner loads them next
         with `load_parameters`. Publishes the metadata.
    @param model_params The model's shape and fixed parameters (the model
           module documents their order).
    @param mechanism_params The mechanism's parameters (the mechanism module
           documents their order; unused ones are 0).
    @param metadata The model's metadata, canonical JSON (see `sumchain.metadata`).
    """
    owner = msg.sender
    deployed_at = block.number
    model.__init__(model_params)
    packed_words.__init__(model._words_needed())
    mechanism.__init__(mechanism_params)
    if packed_words._is_ready():
        mechanism._open()
    log MetadataPublished(metadata=metadata)


@external
def load_parameters(start: uint256, words: DynArray[uint256, packed_words.MAX_WORDS_PER_CALL]):
    """
    @notice Loads the next chunk of the model's packed parameters (owner
            only, in order); an interrupted upload resumes at `words_loaded`.
    @dev Chunks must start where the previous one ended; the last one opens
         the incentive mechanism. (Whether it is the last one is computed
         from the arguments: a local or a call result here would sit above
         the 64 KB copy of `words` in memory and pay for all of it.)
    @param start Position of the first word of this chunk.
    @param words Packed parameter words, laid out as the model documents.
    """
    if msg.sender != owner:
        reverts._fail("trainer: caller is not the owner")
    packed_words._load(start, words)
    if start + len(words) == packed_words.total_words:
        mechanism._open()


@external
@view
def parameter_words(start: uint256, count: uint256) -> DynArray[uint256, packed_words.MAX_WORDS_PER_CALL]:
    """
    @notice Reads packed parameters, for mirrors and audits.
    @param start Position of the first word.
    @param count Number of words, at most `MAX_WORDS_PER_CALL`.
    @return The packed words (zero beyond the last one).
    """
    words: DynArray[uint256, packed_words.MAX_WORDS_PER_CALL] = []
    for i: uint256 in range(start, start + count, bound=packed_words.MAX_WORDS_PER_CALL):
        words.append(packed_words._words[i])
    return words


@external
@view
def predict(data: Bytes[model.SAMPLE_BYTES]) -> uint8:
    """
    @notice Classifies a sample, free of charge.
    @param data The packed sample (see `samples`).
    @return The predicted class.
    """
    self._check_sample(data)
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
def contribution(data: Bytes[model.SAMPLE_BYTES], label: uint8, added_time: uint256, author: address) -> (uint256, uint256, bool):
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
def add_data(data: Bytes[model.SAMPLE_BYTES], label: uint8):
    """
    @notice Teaches the model one labelled sample, paying the current
            deposit; any excess value goes back to the sender.
    @dev Reverts when the sample or label is invalid or the value is short.
    @param data The packed sample (see `samples`).
    @param label The class.
    """
    self._check_sample(data)
    model._check_label(label)
    key: bytes32 = self._key(data, label, block.timestamp, msg.sender)
    deposit: uint256 = mechanism._on_add(key, msg.value)
    model._update(data, label)
    log DataAdded(data=data, label=label, time=block.timestamp, sender=msg.sender, cost=deposit)
    self._pay(msg.sender, msg.value - deposit)


@external
def refund(data: Bytes[model.SAMPLE_BYTES], label: uint8, added_time: uint256):
    """
    @notice Returns the caller's deposit for its own contribution (or
            validates it) once the refund wait is over, if the model now
            agrees with its label.
    @param data The sample as it was added.
    @param label The label as it was added.
    @param added_time The block time of the contribution.
    """
    key: bytes32 = self._key(data, label, added_time, msg.sender)
    amount: uint256 = mechanism._refund(key, added_time, msg.sender)
    if model._predict(data) != label:
        reverts._fail("trainer: model does not agree with the label")
    log Refunded(key=key, author=msg.sender, amount=amount)
    self._pay(msg.sender, amount)


@external
def report(data: Bytes[model.SAMPLE_BYTES], label: uint8, added_time: uint256, author: address):
    """
    @notice Takes (part of) the deposit of another account's contribution
            that the model now rejects (or records the report), or whatever
            is left of any deposit once the mechanism's claim windows allow it.
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
        if model._predict(data) == label:
            reverts._fail("trainer: model agrees with the label")
    log Reported(key=key, reporter=msg.sender, author=author, amount=amount)
    self._pay(msg.sender, amount)


@external
def withdraw():
    """
    @notice Sends the caller the payments that could not be pushed to it.
    @dev See `_withdraw`.
    """
    self._withdraw(msg.sender)


@external
def withdraw_to(recipient: address):
    """
    @notice Sends the payments that could not be pushed to the caller to
            `recipient` instead, for an account that cannot receive ETH
            itself.
    @dev See `_withdraw`.
    @param recipient Who receives them.
    """
    self._withdraw(recipient)


@internal
@view
def _check_sample(data: Bytes[model.SAMPLE_BYTES]):
    """
    @dev Reverts unless the model is loaded (so the mechanism open) and
         `data` is a valid sample.
    @param data The packed sample.
    """
    if not mechanism._is_open():
        reverts._fail("trainer: parameters not loaded")
    model._check_sample(data)


@internal
@pure
def _key(data: Bytes[model.SAMPLE_BYTES], label: uint8, added_time: uint256, author: address) -> bytes32:
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


@internal
def _withdraw(recipient: address):
    """
    @dev Pays the caller's deferred payments to `recipient`. The balance is
         zeroed before the transfer (checks-effects-interactions; every
         external function also holds the reentrancy lock), and the transfer
         forwards all gas, so that a contract wallet whose `receive` writes
         storage can collect (`send`'s 2,300 gas stipend cannot). A failed
         transfer reverts, so the balance stays pending.
    @param recipient Who receives the payments.
    """
    amount: uint256 = self.pending_withdrawals[msg.sender]
    if amount == 0:
        reverts._fail("trainer: nothing to withdraw")
    self.pending_withdrawals[msg.sender] = 0
    log Withdrawn(account=msg.sender, recipient=recipient, amount=amount)
    if not raw_call(recipient, b"", value=amount, revert_on_failure=False):
        reverts._fail("trainer: withdrawal failed")
