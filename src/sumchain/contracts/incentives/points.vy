# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Points (gamified, no money)
@custom:contract-name points
@license MIT
@notice Contributions cost nothing. Once `refund_wait` has passed, an author
        whose sample the model still agrees with may validate it (the
        trainer's `refund`, paying nothing) and earns a point. Another account
        that has validated contributions of its own may report a sample that
        the model then rejects (the trainer's `report`, paying nothing): the
        report is recorded once per sample (in the sample's record and the
        `Reported` event, which names its author) and earns the reporter a
        point; a reported sample can no longer be validated, and a validated
        one can no longer be reported. Points only ever grow: a leaderboard
        of good work, with the reports an account drew (from the events)
        beside it.
@dev Rules shared with Deposit, Refund and Take, for the same reasons (see
     `deposit_refund_take`): an author never reports its own sample; a
     report is refused in a block where data was added, so that one
     transaction cannot turn the model against a sample, report it and turn
     the model back; reporting needs validated contributions of one's own,
     so that a fresh account cannot farm points by reporting. The sample's
     record is the data handler's word, with a deposit of 0.
     Storage: the time of the last accepted contribution (or of the
     opening; 0 while closed) and the number of validated contributions
     share one word, `_state` (time in bits 0 .. 63, count above), as in
     Deposit, Refund and Take. An account's points are not stored: they
     are `num_valid + reports_made`, so that a validation writes one count
     (as a refund does under Deposit, Refund and Take) rather than two.
     Parameters: `[refund_wait, 0, 0, 0]`, the wait below `WAIT_LIMIT`
     (2**40 s).
"""

from .. import data_handler
from .. import reverts
from ..interfaces import IClaims
from ..interfaces import IMechanism

uses: data_handler

implements: IMechanism
implements: IClaims


# @dev Bits of `_state` that hold a time.
_TIME_BITS: constant(uint256) = 64
_TIME_MASK: constant(uint256) = 2**64 - 1
# @dev The wait must be below this many seconds.
WAIT_LIMIT: constant(uint256) = 2**40

# @dev What the mechanism is, for clients that find it on chain: "points" in
#      ASCII, zero-padded (see `IMechanism`).
mechanism_type: public(constant(bytes32)) = 0x706f696e74730000000000000000000000000000000000000000000000000000

# @dev Seconds an author waits before validating, and before anyone may report.
refund_wait: public(immutable(uint256))

# @dev Time of the last accepted contribution, or of the opening (0 while
#      closed), in bits 0 .. 63; number of validated contributions above.
_state: uint256
# @dev Number of validated contributions of each account.
num_valid: public(HashMap[address, uint256])
# @dev Number of reports each account made that were recorded.
reports_made: public(HashMap[address, uint256])


@deploy
def __init__(params: uint256[4]):
    """
    @dev Checks and stores the parameters `[refund_wait, 0, 0, 0]`; the
         mechanism is closed until `_open`.
    @param params The refund wait in seconds, then three words that must be 0.
    """
    if params[1] != 0 or params[2] != 0 or params[3] != 0:
        reverts._fail("points: takes only a refund wait")
    if params[0] >= WAIT_LIMIT:
        reverts._fail("points: wait not below 2**40 seconds")
    refund_wait = params[0]


@internal
def _open():
    """
    @dev Opens the mechanism to contributions (once, when the model has all
         its parameters).
    """
    self._state = self._time()


@internal
@view
def _time() -> uint256:
    """
    @dev The block time, to be stored in `_state`: reverts when it does not
         fit its 64 bits.
    @return `block.timestamp`.
    """
    if block.timestamp > _TIME_MASK:
        reverts._fail("points: block time beyond 64 bits")
    return block.timestamp


@internal
@view
def _is_open() -> bool:
    """
    @dev Whether the mechanism accepts contributions.
    @return True once `_open` was called.
    """
    return self._state & _TIME_MASK != 0


@external
@view
def last_update_time() -> uint256:
    """
    @notice Time of the last accepted contribution, or of the opening (0 while
            the model's parameters are not all loaded).
    @return The block time.
    """
    return self._state & _TIME_MASK


@external
@view
def total_good() -> uint256:
    """
    @notice Number of validated contributions of all accounts.
    @return The count.
    """
    return self._state >> _TIME_BITS


@external
@view
def points(account: address) -> uint256:
    """
    @notice The points of an account: one per validated contribution and one
            per recorded report it made.
    @param account The account.
    @return `num_valid(account) + reports_made(account)`.
    """
    return self.num_valid[account] + self.reports_made[account]


@internal
@pure
def _cost() -> uint256:
    """
    @dev Contributions are free.
    @return 0.
    """
    return 0


@internal
def _on_add(key: bytes32, paid: uint256) -> uint256:
    """
    @dev Records a new contribution, free of charge.
    @param key The contribution key.
    @param paid The value sent with the contribution (all of it goes back).
    @return 0, the deposit kept.
    """
    data_handler._record(key, 0)
    state: uint256 = self._state
    self._state = state - (state & _TIME_MASK) + self._time()
    return 0


@internal
@view
def _check_wait(added_time: uint256):
    """
    @dev Reverts while a contribution is younger than `refund_wait`.
    @param added_time When the contribution was added.
    """
    if block.timestamp - added_time < refund_wait:
        reverts._fail("points: refund wait not over")


@internal
def _refund(key: bytes32, added_time: uint256, author: address) -> uint256:
    """
    @dev Checks and books the validation of the author's own contribution;
         the caller still has to check that the model agrees with the label.
    @param key The contribution key (it binds the author).
    @param added_time When the contribution was added.
    @param author The author, who earns the point.
    @return 0: nothing is paid.
    """
    initial: uint256 = 0
    claimable: uint256 = 0
    refunded: bool = False
    initial, claimable, refunded = data_handler._load(key)
    if refunded:
        reverts._fail("points: already validated")
    if data_handler._is_reported(key):
        reverts._fail("points: contribution was reported")
    self._check_wait(added_time)
    data_handler._take(key, 0, True)
    self.num_valid[author] += 1
    self._state += 1 << _TIME_BITS
    return 0


@internal
def _report(key: bytes32, added_time: uint256, author: address, reporter: address, is_owner: bool) -> (uint256, bool):
    """
    @dev Checks and books a report of another account's contribution; the
         caller still has to check that the model rejects the label.
    @param key The contribution key.
    @param added_time When the contribution was added.
    @param author The contribution's author.
    @param reporter The account that reports, who earns the point.
    @param is_owner Whether the reporter owns the model (no special power here).
    @return 0 to pay, and True: the model must reject the label.
    """
    initial: uint256 = 0
    claimable: uint256 = 0
    refunded: bool = False
    initial, claimable, refunded = data_handler._load(key)
    if reporter == author:
        reverts._fail("points: authors cannot report their own data")
    if refunded:
        reverts._fail("points: contribution was validated")
    if data_handler._is_reported(key):
        reverts._fail("points: already reported")
    self._check_wait(added_time)
    if self.num_valid[reporter] == 0:
        reverts._fail("points: reporter has no validated contributions")
    if self._state & _TIME_MASK == block.timestamp:
        reverts._fail("points: data added in this block")
    data_handler._mark_reported(key)
    self.reports_made[reporter] += 1
    return 0, True
