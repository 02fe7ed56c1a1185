# pragma version ~=0.4.3
"""
@title Contract that looks like a model to the registry (test mock)
@custom:contract-name impostor_model_mock
@license MIT
@notice Answers `owner()` and `deployed_at()` as a sumchain trainer does, or
        misbehaves on `owner()` as `owner_answer` says, or answers any words
        set with `set_words` (an owner wider than an address, a deployment
        in a later block), but is no model
        (no `model_type()`, no metadata). `list_and_destroy` lists a copy of
        itself and self-destructs the copy in the same transaction, which
        leaves a registry entry pointing at an address without code
        (EIP-6780 removes the code of a contract created in the same
        transaction).
"""

interface Registry:
    def register(model: address, name: String[64]): nonpayable


interface Impostor:
    def set_owner(new_owner: address, reverting: bool): nonpayable
    def destroy(): nonpayable


# @dev How `owner()` answers: with the owner's word (ANSWER), a revert with a
#      reason (REVERT), a revert whose data is the owner's word, 32 bytes as a
#      good answer (REVERT_WITH_WORD), or the word after writing storage, which
#      a static call forbids (WRITE).
ANSWER: constant(uint8) = 0
REVERT: constant(uint8) = 1
REVERT_WITH_WORD: constant(uint8) = 2
WRITE: constant(uint8) = 3

# @dev What `owner()` answers: an address, unless `set_words` set a wider word.
_owner: uint256
# @dev One of ANSWER, REVERT, REVERT_WITH_WORD, WRITE.
owner_answer: public(uint8)
# @dev How many times `owner()` wrote storage.
writes: public(uint256)
# @dev What `deployed_at()` answers.
deployed_at: public(uint256)


@deploy
def __init__():
    """
    @dev The deployer is the owner; deployed in the current block.
    """
    self._owner = convert(msg.sender, uint256)
    self.deployed_at = block.number


@external
def owner() -> uint256:
    """
    @dev The owner, as a trainer's `owner()` (one word, as an address is
         encoded), or a misbehaviour (`owner_answer`); not a view, so that
         it can write.
    @return The owner's word.
    """
    answer: uint8 = self.owner_answer
    assert answer != REVERT, "impostor_model_mock: no owner"
    if answer == REVERT_WITH_WORD:
        raw_revert(abi_encode(self._owner))
    if answer == WRITE:
        self.writes += 1
    return self._owner


@external
def set_owner(new_owner: address, reverting: bool):
    """
    @dev Sets what `owner()` does (anyone may: this is a mock).
    @param new_owner What it answers.
    @param reverting Whether it reverts instead.
    """
    self._owner = convert(new_owner, uint256)
    self.owner_answer = REVERT if reverting else ANSWER
    self.deployed_at = block.number


@external
def set_answer(answer: uint8):
    """
    @dev Sets how `owner()` answers.
    @param answer One of ANSWER, REVERT, REVERT_WITH_WORD, WRITE.
    """
    self.owner_answer = answer


@external
def set_words(owner_word: uint256, deployed_at: uint256):
    """
    @dev Sets the words `owner()` and `deployed_at()` answer, whatever they are.
    @param owner_word What `owner()` answers.
    @param deployed_at What `deployed_at()` answers.
    """
    self._owner = owner_word
    self.owner_answer = ANSWER
    self.deployed_at = deployed_at


@external
def register(registry: Registry, model: address, name: String[64]):
    """
    @dev Lists `model` with this contract as the caller.
    @param registry The registry.
    @param model The model to list.
    @param name Its name.
    """
    extcall registry.register(model, name)


@external
def list_and_destroy(registry: Registry, name: String[64]) -> address:
    """
    @dev Creates a copy of this contract owned by this one, lists it under
         `name` and self-destructs it, all in this transaction.
    @param registry The registry.
    @param name The name of the listing.
    @return The copy's address (without code once the transaction ends).
    """
    copy: address = create_copy_of(self)
    extcall Impostor(copy).set_owner(self, False)
    extcall registry.register(copy, name)
    extcall Impostor(copy).destroy()
    return copy


@external
def destroy():
    """
    @dev Self-destructs, sending any balance to the caller.
    """
    selfdestruct(msg.sender)
