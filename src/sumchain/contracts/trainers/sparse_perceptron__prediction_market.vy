# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Prediction market: sparse_perceptron
@custom:contract-name sparse_perceptron__prediction_market
@license MIT
@notice A shared model whose improvement is paid by a bounty on a hidden test
        set (see `prediction_market` for the rules): the provider (the owner)
        commits the test set in pieces and funds the bounty; a piece drawn by
        chance is revealed; contributors stake on samples while the model
        stays as it was; the provider reveals the rest; anyone then pushes the
        evaluation, one piece of the test set per transaction, and the
        settlement; everyone withdraws what it is owed. Anyone may `predict`
        for free at any time.
@dev Generated from `templates/market.vy.template` for one model module
     (`python scripts/build_contracts.py` writes every model's into
     `trainers/`; a test checks each against the template). Edit the
     template, not this file.
     The evaluation replays the contributions on this contract's own model
     (nobody trains it otherwise): after it, `predict` answers with every
     contribution learned; the finalized model (initial parameters and the
     kept contributions) is deployed anew by the client with any mechanism.
"""

from .. import reverts
from ..incentives import prediction_market as market
from ..models import packed_words
from ..models import sparse_perceptron as model

initializes: market
initializes: packed_words
initializes: model[packed_words := packed_words]

exports: (
    market.__interface__,
    packed_words.total_words,
    packed_words.words_loaded,
    model.__interface__,
)


# @dev Largest metadata, in bytes (as the trainers': `sumchain.metadata.METADATA_BYTES`).
METADATA_BYTES: constant(uint256) = 16_384


# @dev Emitted once, at deployment: the model's metadata (canonical JSON).
event MetadataPublished:
    metadata: Bytes[METADATA_BYTES]


# @dev Emitted whenever the market enters a phase.
event PhaseChanged:
    phase: uint256


# @dev Emitted for each revealed piece of the test set, with its content, so
#      that anyone can push the evaluation.
event PieceRevealed:
    piece: indexed(uint256)
    samples: DynArray[Bytes[model.SAMPLE_BYTES], market.PIECE_SAMPLES]
    labels: DynArray[uint8, market.PIECE_SAMPLES]
    salt: bytes32


# @dev Emitted for each staked contribution.
event Staked:
    index: indexed(uint256)
    contributor: indexed(address)
    data: Bytes[model.SAMPLE_BYTES]
    label: uint8


# @dev Emitted once the contribution `index` is scored, in test samples.
event Scored:
    index: indexed(uint256)
    score: int256


# @dev Emitted once an account withdrew what it was owed.
event Withdrawn:
    account: indexed(address)
    recipient: indexed(address)
    amount: uint256


# @dev The provider: deployed the model, loads it, commits, funds and reveals the test set.
owner: public(immutable(address))
# @dev Number of the block that created the contract (and holds `MetadataPublished`).
deployed_at: public(immutable(uint256))


@deploy
def __init__(
    model_params: DynArray[int256, 8], mechanism_params: uint256[5], metadata: Bytes[METADATA_BYTES]
):
    """
    @dev Creates the model without its parameters (the provider loads them
         next with `load_parameters`) and the market in its COMMIT phase.
    @param model_params The model's shape and fixed parameters.
    @param mechanism_params `[stake, min_duration, min_contributions,
           reveal_window, claim_wait]` (see `prediction_market`).
    @param metadata The model's metadata, canonical JSON (see `sumchain.metadata`).
    """
    owner = msg.sender
    deployed_at = block.number
    model.__init__(model_params)
    packed_words.__init__(model._words_needed())
    market.__init__(mechanism_params)
    log MetadataPublished(metadata=metadata)


@internal
@view
def _only_provider():
    """@dev Reverts unless the caller is the provider."""
    if msg.sender != owner:
        reverts._fail("market: caller is not the provider")


@internal
def _moved(before: uint256):
    """
    @dev Logs the phase when it changed.
    @param before The phase before the call.
    """
    if market.phase != before:
        log PhaseChanged(phase=market.phase)


@external
def load_parameters(start: uint256, words: DynArray[uint256, packed_words.MAX_WORDS_PER_CALL]):
    """
    @notice Loads the next chunk of the model's packed parameters (provider
            only, in order, before the seal).
    @param start Position of the first word of this chunk.
    @param words Packed parameter words, laid out as the model documents.
    """
    self._only_provider()
    packed_words._load(start, words)


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
    self._check_ready()
    model._check_sample(data)
    return model._predict(data)


@external
@payable
def fund():
    """@notice Adds the value sent to the bounty (provider only, before the seal)."""
    self._only_provider()
    market._fund(msg.value)


@external
def commit(start: uint256, hashes: DynArray[bytes32, market.MAX_COMMITS_PER_CALL]):
    """
    @notice Appends commitments of test-set pieces (provider only, before the seal).
    @param start The index of the first piece given: the number committed so far.
    @param hashes `keccak256(abi_encode(samples, labels, salt))` of each piece, in order.
    """
    self._only_provider()
    market._commit(start, hashes)


@external
def seal():
    """
    @notice Ends the commitments once the model is loaded, the bounty funded
            and at least two pieces committed (provider only).
    """
    self._only_provider()
    self._check_ready()
    market._seal()
    log PhaseChanged(phase=market.SEALED)


@external
def cancel():
    """
    @notice Ends the market before participation opens, the bounty owed back
            to the provider (provider only; nobody has staked yet): before
            the draw, or once the reveal window passed since it without the
            drawn piece's reveal.
    """
    self._only_provider()
    market._cancel(owner)
    log PhaseChanged(phase=market.DONE)


@external
def draw() -> uint256:
    """
    @notice Draws the piece to reveal first, in a block after the seal (anyone).
    @return The piece's index.
    """
    piece: uint256 = market._draw()
    log PhaseChanged(phase=market.DRAWN)
    return piece


@external
def reveal(
    piece: uint256,
    samples: DynArray[Bytes[model.SAMPLE_BYTES], market.PIECE_SAMPLES],
    labels: DynArray[uint8, market.PIECE_SAMPLES],
    salt: bytes32,
):
    """
    @notice Reveals a piece of the test set (provider only): first the drawn
            one, which opens participation; the others after it ended, before
            the deadline. Every sample and label must suit the model.
    @param piece The piece's index.
    @param samples Its packed samples.
    @param labels Their classes.
    @param salt The salt of its commitment.
    """
    self._only_provider()
    if len(samples) == 0 or len(samples) != len(labels):
        reverts._fail("market: a piece needs as many labels as samples, at least one")
    for i: uint256 in range(len(samples), bound=market.PIECE_SAMPLES):
        model._check_sample(samples[i])
        model._check_label(labels[i])
    before: uint256 = market.phase
    market._reveal(piece, keccak256(abi_encode(samples, labels, salt)), len(samples))
    log PieceRevealed(piece=piece, samples=samples, labels=labels, salt=salt)
    self._moved(before)


@external
@payable
def add_data(data: Bytes[model.SAMPLE_BYTES], label: uint8):
    """
    @notice Stakes on one labelled sample during participation, sending
            exactly the stake; the model does not learn it until the evaluation.
    @param data The packed sample (see `samples`).
    @param label The class.
    """
    model._check_sample(data)
    model._check_label(label)
    index: uint256 = market.num_contributions
    market._stake(keccak256(abi_encode(data, label, msg.sender)), msg.sender, msg.value)
    log Staked(index=index, contributor=msg.sender, data=data, label=label)


@external
def end():
    """
    @notice Ends participation once it lasted long enough with enough
            contributions, or, with fewer, once it also lasted the claim wait (anyone).
    """
    market._end()
    log PhaseChanged(phase=market.REVEAL)


@external
def forfeit():
    """@notice After a missed reveal deadline, gives the bounty to the contributors, if any (anyone)."""
    market._forfeit()
    log PhaseChanged(phase=market.FORFEITED)


@external
def abandon():
    """
    @notice Gives up an evaluation that has not moved for the claim wait
            (the provider's model refusing every step, say), which then pays
            as a forfeit: each stake back with a share of the bounty (anyone).
    """
    market._abandon()
    log PhaseChanged(phase=market.ABANDONED)


@external
def evaluate(
    piece: uint256,
    samples: DynArray[Bytes[model.SAMPLE_BYTES], market.PIECE_SAMPLES],
    labels: DynArray[uint8, market.PIECE_SAMPLES],
    salt: bytes32,
):
    """
    @notice Counts the model's correct predictions on the next piece of the
            test set (anyone, with the piece as revealed); the last piece of
            a state scores the contribution that made it.
    @param piece The next piece's index (`next_piece`).
    @param samples Its samples, as revealed.
    @param labels Their classes.
    @param salt Its salt.
    """
    market._check_next(piece, keccak256(abi_encode(samples, labels, salt)))
    right: uint256 = 0
    for i: uint256 in range(len(samples), bound=market.PIECE_SAMPLES):
        if model._predict(samples[i]) == labels[i]:
            right += 1
    scored: uint256 = market.applied
    before: uint256 = market.phase
    if market._count(piece, right) and scored > 0:
        log Scored(index=scored - 1, score=market._score(scored - 1))
    self._moved(before)


@external
def apply_next(data: Bytes[model.SAMPLE_BYTES], label: uint8, contributor: address):
    """
    @notice Teaches the model the next contribution once the current state is
            fully counted (anyone, with the contribution as staked).
    @param data The sample as staked.
    @param label Its class.
    @param contributor Who staked it.
    """
    market._apply(keccak256(abi_encode(data, label, contributor)))
    model._update(data, label)


@external
def settle(limit: uint256) -> uint256:
    """
    @notice Credits up to `limit` contributions' final balances to their
            contributors (anyone); the last one credits the provider with the
            bounty left and ends the market.
    @param limit Contributions to credit in this transaction, at most.
    @return Contributions left to credit.
    """
    before: uint256 = market.phase
    left: uint256 = market._settle(limit, owner)
    self._moved(before)
    return left


@external
def withdraw():
    """@notice Sends the caller what it is owed, once the market is done."""
    self._withdraw(msg.sender)


@external
def withdraw_to(recipient: address):
    """
    @notice Sends what the caller is owed to `recipient` instead.
    @param recipient Who receives it.
    """
    self._withdraw(recipient)


@external
def sweep(account: address) -> uint256:
    """
    @notice After the claim wait, moves what `account` left unwithdrawn to
            the provider (provider only).
    @param account The account that did not withdraw.
    @return The amount moved.
    """
    self._only_provider()
    return market._sweep(account, owner)


@internal
@view
def _check_ready():
    """@dev Reverts until every parameter word is loaded."""
    if not packed_words._is_ready():
        reverts._fail("market: parameters not loaded")


@internal
def _withdraw(recipient: address):
    """
    @dev Pays what the caller is owed to `recipient`, all gas forwarded; a
         failed transfer reverts, so the amount stays owed.
    @param recipient Who receives it.
    """
    amount: uint256 = market._take(msg.sender)
    log Withdrawn(account=msg.sender, recipient=recipient, amount=amount)
    if not raw_call(recipient, b"", value=amount, revert_on_failure=False):
        reverts._fail("market: withdrawal failed")
