# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Prediction market with a hidden test set
@custom:contract-name prediction_market
@license MIT
@notice A provider puts up a bounty for data that improves the model on a test
        set it keeps hidden. It commits the test set in pieces, one piece
        (drawn by chance) is revealed, contributors stake on samples while the
        model stays as it was, the provider reveals the rest, and every
        contribution is replayed in order and scored by how much it changed
        the number of test samples the model gets right. Good contributions
        are paid from the bounty and from the stakes of bad ones; what is
        left of the bounty goes back to the provider. A provider that does
        not reveal in time loses the bounty to the contributors (if any).
        Participation with fewer contributions than the provider asked for
        may still end once it also lasted the claim wait. An evaluation
        that has not moved for the claim wait (the provider's model cannot
        learn a contribution or predict, and every step reverts) may be
        given up by anyone, and pays as a forfeit: the model is the
        provider's, so the bounty goes to the contributors with their stakes.
@dev Phases only move forward (`phase`): COMMIT, SEALED, DRAWN,
     PARTICIPATION, REVEAL, EVALUATE, REWARD, FORFEITED, ABANDONED, DONE
     (ABANDONED is numbered after DONE, added later); the provider
     may cancel before participation opens (straight to DONE, the bounty
     back), as when it lost the salts it must reveal with: before the draw,
     or once `reveal_window` passed since it without the drawn piece's reveal.
     Commitments: piece `k` is `keccak256(abi_encode(samples, labels, salt))`
     with `samples: DynArray[Bytes[SAMPLE_BYTES], PIECE_SAMPLES]`,
     `labels: DynArray[uint8, PIECE_SAMPLES]`. The piece revealed first is
     `keccak256(prevrandao of a block after the seal, all commitments) %
     pieces`: the provider fixed the commitments before that block exists.
     It is shown to contributors and left out of the evaluation.
     Scores (the trainer computes them, one piece per transaction):
     `score_i = correct_after_i - correct_before_i`, in test samples.
     Rewards, as in the authors' simulator with cached scores: a pass
     finds the lowest negative score `m`, plays `rounds = balance / -m` (wei
     per test sample; capped by the round budget `bounty // T` and, when the
     scores add up above 0, by the bounty left), adds `score_i * rounds` to
     every kept contribution's balance, and drops the contributions whose
     balance fell below the stake; the next pass has no negative score left
     (every kept contribution took part in every round, so its balance is
     `stake + score * rounds_so_far`) and pays the remaining rounds at
     once. So at most two passes, computed when the last score is known.
     Money: the contract holds the stakes, the bounty left and what is owed;
     `sum(balances) + bounty_left == stakes + bounty` at every step.
     Parameters: `[stake, min_duration, min_contributions, reveal_window,
     claim_wait]`: the stake of one sample in wei (at least
     `MAX_TEST_SAMPLES`, so that one round of any score fits in it), the
     least time and number of contributions before participation may end,
     the provider's time to reveal the rest, and the time after which the
     provider may sweep what nobody withdrew (and after which, counted from
     the least time, participation may end with fewer contributions, and,
     counted from the evaluation's last step, anyone may abandon it).
"""

from .. import reverts
from ..interfaces import IMechanism

implements: IMechanism


# @dev Phases, in the only order they go.
COMMIT: constant(uint256) = 0
SEALED: constant(uint256) = 1
DRAWN: constant(uint256) = 2
PARTICIPATION: constant(uint256) = 3
REVEAL: constant(uint256) = 4
EVALUATE: constant(uint256) = 5
REWARD: constant(uint256) = 6
FORFEITED: constant(uint256) = 7
DONE: constant(uint256) = 8
ABANDONED: constant(uint256) = 9

# @dev Samples in one piece of the test set, at most.
PIECE_SAMPLES: constant(uint256) = 32
# @dev Pieces of the test set, at most.
MAX_PIECES: constant(uint256) = 1_024
# @dev Test samples, at most (and the least stake, in wei).
MAX_TEST_SAMPLES: constant(uint256) = PIECE_SAMPLES * MAX_PIECES
# @dev Commitments that one `commit` call takes, at most.
MAX_COMMITS_PER_CALL: constant(uint256) = 128
# @dev Every wait must be below this many seconds.
WAIT_LIMIT: constant(uint256) = 2**40
# @dev Offset that keeps a score (at least -MAX_TEST_SAMPLES) positive in storage.
_SCORE_OFFSET: constant(int256) = 2**32
_ADDRESS_BITS: constant(uint256) = 160


# @dev What the mechanism is: "prediction_market" in ASCII, zero-padded (see `IMechanism`).
mechanism_type: public(constant(bytes32)) = 0x70726564696374696f6e5f6d61726b6574000000000000000000000000000000

# @dev The stake of one contributed sample, in wei.
stake: public(immutable(uint256))
# @dev Seconds participation lasts at least.
min_duration: public(immutable(uint256))
# @dev Contributions needed before participation may end.
min_contributions: public(immutable(uint256))
# @dev Seconds the provider has to reveal the rest once participation ended.
reveal_window: public(immutable(uint256))
# @dev Seconds after the end after which the provider may sweep what was not
#      withdrawn; and without a step, after which the evaluation may be abandoned.
claim_wait: public(immutable(uint256))

# @dev The current phase.
phase: public(uint256)
# @dev The bounty put up, and what is left of it.
bounty: public(uint256)
bounty_left: public(uint256)
# @dev Commitments of the test set's pieces, and their number.
commitments: public(HashMap[uint256, bytes32])
num_pieces: public(uint256)
# @dev Hash of every commitment in order, for the draw.
_commitments_hash: bytes32
# @dev Block of the seal; the draw comes in a later block.
sealed_at: public(uint256)
# @dev Time of the draw (the provider may cancel a drawn market it did not
#      reveal once `reveal_window` has passed since).
drawn_at: public(uint256)
# @dev The piece revealed before participation (left out of the evaluation).
first_piece: public(uint256)
# @dev Whether each piece was revealed, and how many are.
revealed: public(HashMap[uint256, bool])
num_revealed: public(uint256)
# @dev Test samples of the evaluation (every revealed piece but the first).
test_samples: public(uint256)
# @dev Times: participation opened; reveal deadline; the end of the market.
opened_at: public(uint256)
reveal_deadline: public(uint256)
ended_at: public(uint256)
# @dev Time of the evaluation's start (the last reveal) or of its last step.
moved_at: public(uint256)

# @dev Contributions: key `keccak256(abi_encode(data, label, contributor))`, and
#      the contributor with the score (offset by `_SCORE_OFFSET`) above it.
contribution_key: public(HashMap[uint256, bytes32])
_contributor_and_score: HashMap[uint256, uint256]
num_contributions: public(uint256)

# @dev Evaluation cursor: the model holds the first `applied` contributions;
#      `next_piece` is the next piece to count for that state, `correct` the
#      test samples it got right so far, `previous_correct` the count of the
#      state before.
applied: public(uint256)
next_piece: public(uint256)
correct: public(uint256)
previous_correct: public(uint256)
# @dev The lowest score, the sum of scores and the sum of the scores that are
#      not negative, so far.
lowest_score: public(int256)
score_sum: public(int256)
positive_sum: public(uint256)
# @dev Wei per test sample of the first and the second pass of rewards.
first_rounds: public(uint256)
second_rounds: public(uint256)
# @dev Contributions credited to their contributors so far (`settle`).
settled: public(uint256)
# @dev What each account may withdraw.
owed: public(HashMap[address, uint256])


@deploy
def __init__(params: uint256[5]):
    """
    @dev Checks and stores the parameters `[stake, min_duration,
         min_contributions, reveal_window, claim_wait]`.
    @param params See the module's notice.
    """
    if params[0] < MAX_TEST_SAMPLES or params[0] >= 2**96:
        reverts._fail("prediction_market: stake out of range")
    if params[2] == 0:
        reverts._fail("prediction_market: needs at least one contribution")
    if params[1] >= WAIT_LIMIT or params[3] >= WAIT_LIMIT or params[4] >= WAIT_LIMIT:
        reverts._fail("prediction_market: wait not below 2**40 seconds")
    stake = params[0]
    min_duration = params[1]
    min_contributions = params[2]
    reveal_window = params[3]
    claim_wait = params[4]
    self.lowest_score = max_value(int256)


@internal
@view
def _require(phase: uint256):
    """
    @dev Reverts unless the market is in `phase`.
    @param phase The phase required.
    """
    if self.phase != phase:
        reverts._fail("prediction_market: not in this phase")


@internal
def _fund(amount: uint256):
    """
    @dev Adds to the bounty, before the seal.
    @param amount Wei sent.
    """
    self._require(COMMIT)
    self.bounty += amount
    self.bounty_left += amount


@internal
def _commit(start: uint256, hashes: DynArray[bytes32, MAX_COMMITS_PER_CALL]):
    """
    @dev Appends piece commitments, before the seal, from piece `start`:
         the number committed so far, so that a commitment sent twice (a
         wallet that asked a node that had not seen the first yet) is
         refused instead of appended again.
    @param start The index of the first piece given.
    @param hashes The commitments, in piece order.
    """
    self._require(COMMIT)
    count: uint256 = self.num_pieces
    if start != count:
        reverts._fail("prediction_market: not the next commitment")
    if count + len(hashes) > MAX_PIECES:
        reverts._fail("prediction_market: too many pieces")
    running: bytes32 = self._commitments_hash
    for h: bytes32 in hashes:
        self.commitments[count] = h
        running = keccak256(concat(running, h))
        count += 1
    self.num_pieces = count
    self._commitments_hash = running


@internal
def _seal():
    """@dev Ends the commitments: at least two pieces and a bounty."""
    self._require(COMMIT)
    if self.num_pieces < 2:
        reverts._fail("prediction_market: needs at least two pieces")
    if self.bounty == 0:
        reverts._fail("prediction_market: no bounty")
    self.sealed_at = block.number
    self.phase = SEALED


@internal
def _cancel(provider: address):
    """
    @dev Ends the market before participation opens (nobody staked yet):
         the bounty is owed back to the provider, and the market is done.
         Once the first piece is drawn, only after `reveal_window` has
         passed without its reveal (the provider lost its salts): a provider
         may not cancel at once to draw again on a new market.
    @param provider The provider.
    """
    phase: uint256 = self.phase
    if phase != COMMIT and phase != SEALED and phase != DRAWN:
        reverts._fail("prediction_market: too late to cancel")
    if phase == DRAWN and block.timestamp <= self.drawn_at + reveal_window:
        reverts._fail("prediction_market: reveal the drawn piece (or cancel after the reveal window)")
    self.owed[provider] += self.bounty_left
    self.bounty_left = 0
    self.ended_at = block.timestamp
    self.phase = DONE


@internal
def _draw() -> uint256:
    """
    @dev Draws the piece revealed first, in a block after the seal.
    @return Its index.
    """
    self._require(SEALED)
    if block.number <= self.sealed_at:
        reverts._fail("prediction_market: draw in a later block than the seal")
    seed: bytes32 = keccak256(concat(block.prevrandao, self._commitments_hash))
    piece: uint256 = convert(seed, uint256) % self.num_pieces
    self.first_piece = piece
    self.drawn_at = block.timestamp
    self.phase = DRAWN
    return piece


@internal
@view
def _check_piece(piece: uint256, hash: bytes32):
    """
    @dev Reverts unless `hash` is piece `piece`'s commitment.
    @param piece The piece's index.
    @param hash `keccak256(abi_encode(samples, labels, salt))` of what was given.
    """
    if piece >= self.num_pieces:
        reverts._fail("prediction_market: no such piece")
    if self.commitments[piece] != hash:
        reverts._fail("prediction_market: piece does not match its commitment")


@internal
def _reveal(piece: uint256, hash: bytes32, size: uint256):
    """
    @dev Books the reveal of a piece of `size` samples whose content hashes to
         `hash` (the trainer checked the samples). The first reveal opens
         participation; the last one starts the evaluation.
    @param piece The piece's index.
    @param hash Hash of what was revealed.
    @param size Its number of samples.
    """
    self._check_piece(piece, hash)
    if self.phase == DRAWN:
        if piece != self.first_piece:
            reverts._fail("prediction_market: reveal the drawn piece first")
        self.phase = PARTICIPATION
        self.opened_at = block.timestamp
    else:
        self._require(REVEAL)
        if block.timestamp > self.reveal_deadline:
            reverts._fail("prediction_market: reveal deadline passed")
        if self.revealed[piece]:
            reverts._fail("prediction_market: piece already revealed")
        self.test_samples += size
        if self.num_revealed + 1 == self.num_pieces:
            self.phase = EVALUATE
            self.next_piece = self._next_piece(0)
            self.moved_at = block.timestamp
    self.revealed[piece] = True
    self.num_revealed += 1


@internal
def _stake(key: bytes32, contributor: address, paid: uint256):
    """
    @dev Records a contribution and its stake during participation.
    @param key `keccak256(abi_encode(data, label, contributor))`.
    @param contributor Who staked.
    @param paid The value sent: exactly the stake.
    """
    self._require(PARTICIPATION)
    if paid != stake:
        reverts._fail("prediction_market: send exactly the stake")
    index: uint256 = self.num_contributions
    self.contribution_key[index] = key
    self._contributor_and_score[index] = convert(contributor, uint256)
    self.num_contributions = index + 1


@internal
def _end():
    """
    @dev Ends participation once its minimum time and contributions are
         reached; with fewer contributions (none too), once it also lasted the
         claim wait, so that no stake and no bounty stays locked in a market
         that too few joined.
    """
    self._require(PARTICIPATION)
    opened: uint256 = self.opened_at
    if block.timestamp < opened + min_duration:
        reverts._fail("prediction_market: participation too short")
    if self.num_contributions < min_contributions and block.timestamp < opened + min_duration + claim_wait:
        reverts._fail("prediction_market: too few contributions")
    self.phase = REVEAL
    self.reveal_deadline = block.timestamp + reveal_window


@internal
def _forfeit():
    """@dev After a missed reveal deadline: the bounty goes to the contributors."""
    self._require(REVEAL)
    if block.timestamp <= self.reveal_deadline:
        reverts._fail("prediction_market: reveal deadline not passed")
    self.phase = FORFEITED


@internal
def _abandon():
    """
    @dev Gives up an evaluation that has not moved for `claim_wait` (one
         whose every step reverts: a model of the provider's that cannot
         learn, say), so that nothing stays locked. Anyone may push a healthy
         evaluation on, which puts this off. It pays as a forfeit: the bounty
         goes to the contributors, since only the provider's model can make
         every step revert; a provider gains nothing by it.
    """
    self._require(EVALUATE)
    if block.timestamp <= self.moved_at + claim_wait:
        reverts._fail("prediction_market: the evaluation moved within the claim wait")
    self.phase = ABANDONED


@internal
@view
def _next_piece(start: uint256) -> uint256:
    """
    @dev The first piece at or after `start` that the evaluation counts.
    @param start A piece index.
    @return It, or the one after it when it is the first piece.
    """
    if start == self.first_piece:
        return start + 1
    return start


@internal
@view
def _check_next(piece: uint256, hash: bytes32):
    """
    @dev Reverts unless the evaluation runs and `piece`, hashing to `hash`,
         is the next piece to count.
    @param piece The piece given.
    @param hash Hash of what was given.
    """
    self._require(EVALUATE)
    if piece != self.next_piece:
        reverts._fail("prediction_market: not the next piece")
    self._check_piece(piece, hash)


@internal
def _count(piece: uint256, right: uint256) -> bool:
    """
    @dev Books `right` correct predictions on `piece`, checked by
         `_check_next`; when that was the last piece for the model's state,
         scores the contribution that made it, and either waits for the next
         contribution to be applied or computes the rewards.
    @param piece The piece counted.
    @param right How many of its samples the model got right.
    @return True when the state is fully counted.
    """
    self.moved_at = block.timestamp
    correct: uint256 = self.correct + right
    following: uint256 = self._next_piece(piece + 1)
    if following < self.num_pieces:
        self.correct = correct
        self.next_piece = following
        return False
    applied: uint256 = self.applied
    if applied > 0:
        score: int256 = convert(correct, int256) - convert(self.previous_correct, int256)
        self._contributor_and_score[applied - 1] |= convert(score + _SCORE_OFFSET, uint256) << _ADDRESS_BITS
        self.lowest_score = min(self.lowest_score, score)
        self.score_sum += score
        if score > 0:
            self.positive_sum += convert(score, uint256)
    self.previous_correct = correct
    self.correct = 0
    self.next_piece = self.num_pieces
    if applied == self.num_contributions:
        self._rewards()
    return True


@internal
def _apply(data_key: bytes32) -> uint256:
    """
    @dev Checks that `data_key` is the next contribution's, so that the
         trainer may apply it to the model; restarts the count.
    @param data_key `keccak256(abi_encode(data, label, contributor))` of what was given.
    @return The contribution's index.
    """
    self._require(EVALUATE)
    if self.next_piece != self.num_pieces:
        reverts._fail("prediction_market: the current state is not fully counted")
    index: uint256 = self.applied
    if self.contribution_key[index] != data_key:
        reverts._fail("prediction_market: not the next contribution")
    self.moved_at = block.timestamp
    self.applied = index + 1
    self.next_piece = self._next_piece(0)
    return index


@internal
def _rewards():
    """
    @dev The two passes of the reward phase, from the cached scores (see
         the module's notice); balances follow from them, credited by `_settle`.
    """
    budget: uint256 = self.bounty // self.test_samples
    left: uint256 = self.bounty_left
    lowest: int256 = self.lowest_score
    total: int256 = self.score_sum
    first: uint256 = 0
    if lowest < 0:
        first = min(stake // convert(-lowest, uint256), budget)
        if total > 0:
            first = min(first, left // convert(total, uint256))
        budget -= first
        left = convert(convert(left, int256) - total * convert(first, int256), uint256)
    kept: int256 = total  # the scores of the contributions the first pass keeps
    if first > 0:
        kept = convert(self.positive_sum, int256)
    second: uint256 = 0
    if kept > 0:
        second = min(budget, left // convert(kept, uint256))
        left -= convert(kept, uint256) * second
    self.first_rounds = first
    self.second_rounds = second
    self.bounty_left = left
    self.phase = REWARD


@internal
@view
def _score(index: uint256) -> int256:
    """
    @dev The cached score of a contribution.
    @param index The contribution's index.
    @return Its score, in test samples.
    """
    return convert(self._contributor_and_score[index] >> _ADDRESS_BITS, int256) - _SCORE_OFFSET


@view
@internal
def _balance(index: uint256) -> uint256:
    """
    @dev A contribution's final balance: its stake, plus its score times the
         first pass's rounds, plus its score times the second pass's rounds
         when it was kept (after a forfeit or an abandoned evaluation: its
         stake and its share of the bounty).
    @param index The contribution's index.
    @return Wei.
    """
    if self.phase == FORFEITED or self.phase == ABANDONED:
        share: uint256 = self.bounty // self.num_contributions
        if index == 0:
            share += self.bounty % self.num_contributions
        return stake + share
    score: int256 = self._score(index)
    first: uint256 = self.first_rounds
    balance: int256 = convert(stake, int256) + score * convert(first, int256)
    if first == 0 or score >= 0:
        balance += score * convert(self.second_rounds, int256)
    return convert(balance, uint256)


@internal
def _settle(limit: uint256, provider: address) -> uint256:
    """
    @dev Credits up to `limit` contributions' balances to their contributors;
         after the last one, the provider gets the bounty left (none after a
         forfeit or an abandoned evaluation, unless nobody contributed) and the
         market is done. In the reward, forfeited or abandoned phase.
    @param limit Contributions to credit in this call, at most.
    @param provider The provider.
    @return Contributions left to credit.
    """
    phase: uint256 = self.phase
    if phase != REWARD and phase != FORFEITED and phase != ABANDONED:
        reverts._fail("prediction_market: not in this phase")
    start: uint256 = self.settled
    count: uint256 = self.num_contributions
    stop: uint256 = min(start + limit, count)
    for i: uint256 in range(start, stop, bound=2**32):
        contributor: address = convert(convert(self._contributor_and_score[i] & (2**_ADDRESS_BITS - 1), uint160), address)
        self.owed[contributor] += self._balance(i)
    self.settled = stop
    if stop == count:
        if phase == REWARD or count == 0:
            self.owed[provider] += self.bounty_left
        self.bounty_left = 0
        self.ended_at = block.timestamp
        self.phase = DONE
    return count - stop


@internal
def _take(account: address) -> uint256:
    """
    @dev Zeroes and returns what `account` may withdraw, once the market is done.
    @param account The account.
    @return Wei.
    """
    self._require(DONE)
    amount: uint256 = self.owed[account]
    if amount == 0:
        reverts._fail("prediction_market: nothing to withdraw")
    self.owed[account] = 0
    return amount


@internal
def _sweep(account: address, provider: address) -> uint256:
    """
    @dev Once the claim wait after the end has passed, moves what `account`
         did not withdraw to the provider.
    @param account The account.
    @param provider The provider.
    @return The amount moved.
    """
    self._require(DONE)
    if block.timestamp < self.ended_at + claim_wait:
        reverts._fail("prediction_market: claim wait not over")
    amount: uint256 = self.owed[account]
    if amount == 0:
        reverts._fail("prediction_market: nothing to sweep")
    self.owed[account] = 0
    self.owed[provider] += amount
    return amount
