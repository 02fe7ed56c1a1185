# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Model Registry
@custom:contract-name registry
@license MIT
@notice Lists deployed models under unique names, so that clients discover
        models from the chain itself. A model's owner (the account that
        deployed its trainer) lists it under a name and may delist it;
        anyone reads the list, page by page.
@dev What is stored, per listed model (four fresh storage words for a name
     of up to 32 bytes, five for a longer one):
       - `_entries[model]`, one packed word:
           bits   0 .. 159  owner, read from the model when it is listed
           bits 160 .. 207  block that deployed the model (`deployed_at()`)
           bits 208 .. 247  position in `_at`, plus one
           bits 248 .. 255  length of the name in bytes (1 to 64)
       - `_name_words[model]`: the name's bytes, one or two words (the
         second one only for a name longer than 32 bytes); words left by an
         earlier listing are ignored past the length;
       - `_by_name[keccak256(name)]`: the model listed under that name;
       - `_at[position]`: the model, in listing order (empty once delisted);
       - `_scores[model]`, `_test_sets[model]`: the test score its owner
         published last, if any (two more words, written only by
         `publish_score`): correct answers (bits 0 .. 63), test samples
         (bits 64 .. 127) and the block it was published in (bits 128 ..
         175), and the hash of the test set, so that whoever holds the test
         set can check the score against the model's state at that block.
         A score is the owner's claim, kept beside the model and not deleted
         by `delist`: a client shows it as that.
     The rest of what a client shows (model type, mechanism, description,
     encoder, classes) is not copied here: the model answers `model_type()`
     and published its metadata in its deployment block, which the entry
     names. Copying a 2,000-byte description would cost about 1.4 million
     gas per listing.
     Names are exact byte strings, unique among listed models. A name
     belongs to the owner of the model listed under it: that owner may list
     another of its models under the same name, which delists the first one
     (a new version takes the name); anyone else is refused. Listing checks
     that the address holds a contract that answers `owner()` with the
     caller and `deployed_at()` with a past block, as every sumchain trainer
     does; a client still checks the model itself (`model_type()`, its
     metadata) before trusting an entry.
"""

from . import reverts


# @dev Longest name, in bytes (UTF-8).
MAX_NAME_BYTES: constant(uint256) = 64
# @dev Most positions that one `entries` call reads.
MAX_PAGE: constant(uint256) = 100
# @dev Version of this contract's interface, so that clients recognise a registry.
registry_version: public(constant(uint256)) = 2

_OWNER_MASK: constant(uint256) = 2**160 - 1
_BLOCK_SHIFT: constant(uint256) = 160
_BLOCK_MASK: constant(uint256) = 2**48 - 1
_POSITION_SHIFT: constant(uint256) = 208
_POSITION_MASK: constant(uint256) = 2**40 - 1
_LENGTH_SHIFT: constant(uint256) = 248
_COUNT_MASK: constant(uint256) = 2**64 - 1
_TOTAL_SHIFT: constant(uint256) = 64
_PUBLISHED_SHIFT: constant(uint256) = 128


# @dev A listed model, as `entry` and `entries` return it. The name is raw
#      bytes (UTF-8 when listed through sumchain), so that no stored name can
#      make a client's decoding of a whole page fail.
struct Entry:
    model: address
    owner: address
    deployed_at: uint256
    name: Bytes[MAX_NAME_BYTES]


# @dev A published test score, as `score` returns it (all zero when none).
struct Score:
    correct: uint256
    total: uint256
    test_set: bytes32
    published_at: uint256


# @dev Emitted once a model is listed under `name`.
event ModelRegistered:
    model: indexed(address)
    owner: indexed(address)
    name: String[MAX_NAME_BYTES]


# @dev Emitted once a model is delisted, by its owner or because another of
#      the owner's models took its name.
event ModelDelisted:
    model: indexed(address)
    owner: indexed(address)
    name: String[MAX_NAME_BYTES]


# @dev Emitted once the owner of a listed model published its score on a test set.
event ScorePublished:
    model: indexed(address)
    owner: indexed(address)
    correct: uint64
    total: uint64
    test_set: bytes32


# @dev Number of listings ever made: the positions that `entries` pages through.
count: public(uint256)
# @dev Packed entry of each listed model, see the layout above (0 when not listed).
_entries: HashMap[address, uint256]
# @dev The name of each listed model, in 32-byte words.
_name_words: HashMap[address, bytes32[2]]
# @dev The listed model of each name hash.
_by_name: HashMap[bytes32, address]
# @dev The model listed at each position, empty once delisted.
_at: HashMap[uint256, address]
# @dev The last published score of each model: correct, total and block, packed (0 when none).
_scores: HashMap[address, uint256]
# @dev The hash of the test set of each model's last published score.
_test_sets: HashMap[address, bytes32]


@external
def register(model: address, name: String[MAX_NAME_BYTES]):
    """
    @notice Lists `model` under `name`; only the model's owner may.
    @dev Reverts when the name is empty, the model is already listed, the
         address holds no contract or one that does not answer `owner()`
         and `deployed_at()` as a sumchain trainer does, the caller is not
         its owner, or the name is listed for a model of another owner. A
         model of the caller's listed under `name` is delisted first.
    @param model The model's (trainer's) address.
    @param name Its name, 1 to 64 bytes.
    """
    if len(name) == 0:
        reverts._fail("registry: empty name")
    if self._entries[model] != 0:
        reverts._fail("registry: model already listed")
    if not model.is_contract:
        reverts._fail("registry: no contract at the address")
    owner: uint256 = self._ask(model, method_id("owner()"))
    deployed_at: uint256 = self._ask(model, method_id("deployed_at()"))
    if owner > _OWNER_MASK or deployed_at > block.number:
        reverts._fail("registry: not a sumchain model")
    if owner != convert(msg.sender, uint256):
        reverts._fail("registry: caller is not the model's owner")
    key: bytes32 = keccak256(name)
    holder: address = self._by_name[key]
    if holder != empty(address):
        held: uint256 = self._entries[holder]
        if held & _OWNER_MASK != owner:
            reverts._fail("registry: name taken by another owner")
        self._delist(holder, held)
    position: uint256 = self.count
    self.count = position + 1
    self._at[position] = model
    self._entries[model] = (
        owner | (deployed_at << _BLOCK_SHIFT) | ((position + 1) << _POSITION_SHIFT) | (len(name) << _LENGTH_SHIFT)
    )
    padded: Bytes[96] = concat(convert(name, Bytes[MAX_NAME_BYTES]), empty(bytes32))
    self._name_words[model][0] = extract32(padded, 0)
    if len(name) > 32:
        self._name_words[model][1] = extract32(padded, 32)
    self._by_name[key] = model
    log ModelRegistered(model=model, owner=msg.sender, name=name)


@external
def delist(model: address):
    """
    @notice Removes `model` from the list; only its owner may. Its name is
            free again.
    @param model The model's address.
    """
    packed: uint256 = self._entries[model]
    if packed == 0:
        reverts._fail("registry: model not listed")
    if packed & _OWNER_MASK != convert(msg.sender, uint256):
        reverts._fail("registry: caller is not the model's owner")
    self._delist(model, packed)


@external
def publish_score(model: address, correct: uint64, total: uint64, test_set: bytes32):
    """
    @notice Publishes the score of a listed model on a test set: `correct`
            right answers of `total`; only the model's owner may. A later
            score replaces it.
    @dev The contract cannot check the figures (the test set is not on
         chain); it records who claimed them, when, and on which test set.
         Reverts when the model is not listed, the caller is not its owner,
         `total` is 0 or `correct` exceeds it.
    @param model The model's address.
    @param correct Test samples the model predicted right.
    @param total Test samples, at least 1.
    @param test_set A hash of the test set (sumchain: keccak256 of its canonical JSON).
    """
    packed: uint256 = self._entries[model]
    if packed == 0:
        reverts._fail("registry: model not listed")
    if packed & _OWNER_MASK != convert(msg.sender, uint256):
        reverts._fail("registry: caller is not the model's owner")
    if total == 0 or correct > total:
        reverts._fail("registry: a score needs 0 < total and correct <= total")
    self._scores[model] = (
        convert(correct, uint256)
        | (convert(total, uint256) << _TOTAL_SHIFT)
        | (block.number << _PUBLISHED_SHIFT)
    )
    self._test_sets[model] = test_set
    log ScorePublished(model=model, owner=msg.sender, correct=correct, total=total, test_set=test_set)


@external
@view
def score(model: address) -> Score:
    """
    @notice The test score the owner of `model` published last.
    @param model The model's address.
    @return Correct answers, test samples, the test set's hash and the
            block it was published in; all zero when none was.
    """
    packed: uint256 = self._scores[model]
    return Score(
        correct=packed & _COUNT_MASK,
        total=(packed >> _TOTAL_SHIFT) & _COUNT_MASK,
        test_set=self._test_sets[model],
        published_at=packed >> _PUBLISHED_SHIFT,
    )


@external
@view
def model_of(name: String[MAX_NAME_BYTES]) -> address:
    """
    @notice The model listed under `name`.
    @param name The exact name.
    @return Its address, or the empty address when no listed model has it.
    """
    return self._by_name[keccak256(name)]


@external
@view
def entry(model: address) -> Entry:
    """
    @notice The entry of one model.
    @param model The model's address.
    @return Its entry; all empty when the model is not listed.
    """
    return self._entry(model)


@external
@view
def entries(start: uint256, count: uint256) -> DynArray[Entry, MAX_PAGE]:
    """
    @notice The models listed at positions `start` to `start + count - 1`,
            in listing order; page through `0 .. count()` to read them all.
    @dev Delisted positions are skipped, so a page may hold fewer entries
         than `count`; positions past `count()` are ignored.
    @param start The first position.
    @param count How many positions to read, at most `MAX_PAGE`.
    @return The listed models among them.
    """
    if count > MAX_PAGE:
        reverts._fail("registry: page larger than 100")
    found: DynArray[Entry, MAX_PAGE] = []
    for position: uint256 in range(start, start + count, bound=MAX_PAGE):
        if position >= self.count:
            break
        model: address = self._at[position]
        if model != empty(address):
            found.append(self._entry(model))
    return found


@internal
def _ask(model: address, selector: Bytes[4]) -> uint256:
    """
    @dev Calls a view of `model` that returns one word.
    @param model The contract.
    @param selector The view's selector.
    @return The word; reverts when the call fails or returns another size.
    """
    ok: bool = False
    answer: Bytes[32] = b""
    ok, answer = raw_call(model, selector, max_outsize=32, is_static_call=True, revert_on_failure=False)
    if not ok or len(answer) != 32:
        reverts._fail("registry: not a sumchain model")
    return convert(answer, uint256)


@internal
@view
def _name(model: address, packed: uint256) -> Bytes[MAX_NAME_BYTES]:
    """
    @dev The name of a listed model.
    @param model The model.
    @param packed Its packed entry (which holds the name's length).
    @return The name's bytes.
    """
    length: uint256 = packed >> _LENGTH_SHIFT
    second: bytes32 = empty(bytes32)
    if length > 32:
        second = self._name_words[model][1]
    return slice(concat(self._name_words[model][0], second), 0, length)


@internal
@view
def _entry(model: address) -> Entry:
    """
    @dev The entry of `model`, all empty when it is not listed.
    @param model The model.
    @return The entry.
    """
    packed: uint256 = self._entries[model]
    if packed == 0:
        return empty(Entry)
    return Entry(
        model=model,
        owner=convert(convert(packed & _OWNER_MASK, uint160), address),
        deployed_at=(packed >> _BLOCK_SHIFT) & _BLOCK_MASK,
        name=self._name(model, packed),
    )


@internal
def _delist(model: address, packed: uint256):
    """
    @dev Removes a listed model: its entry, its position and its name.
    @param model The model.
    @param packed Its packed entry.
    """
    name: String[MAX_NAME_BYTES] = convert(self._name(model, packed), String[MAX_NAME_BYTES])
    self._at[((packed >> _POSITION_SHIFT) & _POSITION_MASK) - 1] = empty(address)
    self._entries[model] = 0
    self._by_name[keccak256(name)] = empty(address)
    log ModelDelisted(model=model, owner=convert(convert(packed & _OWNER_MASK, uint160), address), name=name)
