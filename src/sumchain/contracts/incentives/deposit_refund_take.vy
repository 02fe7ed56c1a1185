# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Deposit, Refund and Take (self-assessment)
@custom:contract-name deposit_refund_take
@license MIT
@notice Every contribution carries a deposit. Its author gets the deposit back
        once `refund_wait` has passed if the model then agrees with the label.
        Others who proved honest take (part of) the deposit of a contribution
        the model then rejects. After `owner_claim_wait` the owner, and after
        `any_claim_wait` anyone, may take whatever is left, so that no deposit
        stays locked for ever.
@dev Improved over 0xDeCA10B (issue 195 there): an author can never take back
     its own deposit through `report`, whatever the window; only `refund`,
     which needs the model to agree, pays an author.
     Also improved: a report that takes a share (the one kind that depends
     on the model) is refused in a block where data was added. Otherwise
     one transaction could add data that turns the model against a
     contribution, take a share of its deposit, and turn the model back,
     before its author's refund in the same block, and without the
     attacker's own data ever being exposed to a report. An attacker that
     changes the model in one block and reports in a later one still can;
     its data is then on chain for others to correct and report first.
     The mechanism opens when the trainer's model has all its parameters
     (`_open`); the deposit is priced from the time of the last accepted
     contribution, or of the opening.
     Storage: that time and the number of refunded contributions share one
     word, `_state` (time in bits 0 .. 63, 0 while closed; count above), so
     that `add_data` checks the opening and prices the deposit with one cold
     read, and a refund writes a word that is already non-zero.
     Bounds: a block time that does not fit those 64 bits would spill into
     the count, so opening and `add_data` revert on such a chain
     ("deposit_refund_take: block time beyond 64 bits"; Ethereum headers
     keep timestamps below 2**64, EIP-4803, but not every chain or
     simulator does), while refunds and reports, which do not store the
     time, still work. Every wait is below `WAIT_LIMIT` (2**40 s, some
     34,800 years), so `added_time + wait` stays below 2**65: no sum of a
     time and a wait can overflow, here or in a client's arithmetic.
"""

from .. import data_handler
from .. import reverts
from ..interfaces import IClaims
from ..interfaces import IMechanism

uses: data_handler

implements: IMechanism
implements: IClaims


# @dev Largest cost weight: keeps every deposit below 2**96 wei.
_MAX_COST_WEIGHT: constant(uint256) = (2**96 - 1) // 3_600
# @dev Bits of `_state` that hold a time.
_TIME_BITS: constant(uint256) = 64
_TIME_MASK: constant(uint256) = 2**64 - 1
# @dev Every wait must be below this many seconds.
WAIT_LIMIT: constant(uint256) = 2**40


# @dev What the mechanism is, for clients that find it on chain: "deposit_refund_take" in
#      ASCII, zero-padded (see `IMechanism`).
mechanism_type: public(constant(bytes32)) = 0x6465706f7369745f726566756e645f74616b6500000000000000000000000000

# @dev Scale of the deposit: cost = cost_weight * 3600 / isqrt(seconds since last update).
cost_weight: public(immutable(uint256))
# @dev Seconds an author waits before a refund, and before anyone may report.
refund_wait: public(immutable(uint256))
# @dev Seconds after which the owner may take any deposit that is left.
owner_claim_wait: public(immutable(uint256))
# @dev Seconds after which anyone may take any deposit that is left.
any_claim_wait: public(immutable(uint256))

# @dev Time of the last accepted contribution, or of the opening (0 while
#      closed), in bits 0 .. 63; number of refunded contributions above.
_state: uint256
# @dev Number of refunded (so: validated) contributions of each account.
num_valid: public(HashMap[address, uint256])


@deploy
def __init__(params: uint256[4]):
    """
    @dev Checks and stores the parameters `[cost_weight, refund_wait,
         owner_claim_wait, any_claim_wait]` (`refund_wait <= owner_claim_wait
         <= any_claim_wait < WAIT_LIMIT`); the mechanism is closed until `_open`.
    @param params Scale of the deposit in wei; seconds before a refund or a
           report; seconds before the owner, then anyone, may take what is left.
    """
    if params[0] > _MAX_COST_WEIGHT:
        reverts._fail("deposit_refund_take: cost weight too large")
    if params[1] > params[2]:
        reverts._fail("deposit_refund_take: refund wait above owner claim wait")
    if params[2] > params[3]:
        reverts._fail("deposit_refund_take: owner claim wait above any claim wait")
    if params[3] >= WAIT_LIMIT:
        reverts._fail("deposit_refund_take: wait not below 2**40 seconds")
    cost_weight = params[0]
    refund_wait = params[1]
    owner_claim_wait = params[2]
    any_claim_wait = params[3]


@internal
def _open():
    """
    @dev Opens the mechanism to contributions (once, when the model has all
         its parameters): the deposit is priced from now on.
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
        reverts._fail("deposit_refund_take: block time beyond 64 bits")
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
    @notice Number of refunded (so: validated) contributions of all accounts.
    @return The count.
    """
    return self._state >> _TIME_BITS


@internal
@view
def _cost() -> uint256:
    """
    @dev The deposit a contribution needs in the current block.
    @return The deposit in wei.
    """
    return self._cost_since(self._state & _TIME_MASK)


@internal
@view
def _cost_since(last_update: uint256) -> uint256:
    """
    @dev The deposit a contribution needs in the current block.
    @param last_update Time of the last accepted contribution (or of the opening).
    @return `cost_weight * 3600 // isqrt(seconds since last_update)`, the
            divisor at least 1.
    """
    if cost_weight == 0:
        return 0
    return cost_weight * 3_600 // max(isqrt(block.timestamp - last_update), 1)


@internal
def _on_add(key: bytes32, paid: uint256) -> uint256:
    """
    @dev Charges the deposit of a new contribution and records it.
    @param key The contribution key.
    @param paid The value sent with the contribution.
    @return The deposit kept; the rest of `paid` goes back to the sender.
    """
    state: uint256 = self._state
    cost: uint256 = self._cost_since(state & _TIME_MASK)
    if paid < cost:
        reverts._fail("deposit_refund_take: insufficient deposit")
    data_handler._record(key, cost)
    self._state = state - (state & _TIME_MASK) + self._time()
    return cost


@internal
@pure
def _check_claimable(claimable: uint256):
    """
    @dev Reverts when nothing of a deposit is left (refunds and reports share
         the check, and so one copy of its reason in the code).
    @param claimable The amount still held.
    """
    if claimable == 0:
        reverts._fail("deposit_refund_take: nothing left to claim")


@internal
@view
def _check_refund_wait(age: uint256):
    """
    @dev Reverts while a contribution is younger than `refund_wait`.
    @param age Seconds since the contribution was added.
    """
    if age < refund_wait:
        reverts._fail("deposit_refund_take: refund wait not over")


@internal
def _refund(key: bytes32, added_time: uint256, author: address) -> uint256:
    """
    @dev Checks and books the author's refund; the caller still has to check
         that the model agrees with the label.
    @param key The contribution key (it binds the author).
    @param added_time When the contribution was added.
    @param author The author, who gets the refund.
    @return The amount to pay the author.
    """
    initial: uint256 = 0
    claimable: uint256 = 0
    refunded: bool = False
    initial, claimable, refunded = data_handler._load(key)
    if refunded:
        reverts._fail("deposit_refund_take: already refunded")
    self._check_claimable(claimable)
    self._check_refund_wait(block.timestamp - added_time)
    data_handler._take(key, claimable, True)
    self.num_valid[author] += 1
    self._state += 1 << _TIME_BITS
    return claimable


@internal
def _report(key: bytes32, added_time: uint256, author: address, reporter: address, is_owner: bool) -> (uint256, bool):
    """
    @dev Checks and books a report, in the order: owner after
         `owner_claim_wait` takes all; anyone after `any_claim_wait` takes
         all; otherwise a share for an account with validated contributions,
         in a block where no data was added.
    @param key The contribution key.
    @param added_time When the contribution was added.
    @param author The contribution's author.
    @param reporter The account that reports.
    @param is_owner Whether the reporter owns the model.
    @return The amount to pay the reporter, and whether the caller must still
            check that the model rejects the label.
    """
    initial: uint256 = 0
    claimable: uint256 = 0
    refunded: bool = False
    initial, claimable, refunded = data_handler._load(key)
    if reporter == author:
        reverts._fail("deposit_refund_take: authors cannot report their own data")
    self._check_claimable(claimable)
    age: uint256 = block.timestamp - added_time
    if (is_owner and age >= owner_claim_wait) or age >= any_claim_wait:
        data_handler._take(key, claimable, False)
        return claimable, False
    self._check_refund_wait(age)
    if data_handler._was_reported_by(key, reporter):
        reverts._fail("deposit_refund_take: already reported by this account")
    valid: uint256 = self.num_valid[reporter]
    if valid == 0:
        reverts._fail("deposit_refund_take: reporter has no refunded contributions")
    state: uint256 = self._state
    if state & _TIME_MASK == block.timestamp:
        reverts._fail("deposit_refund_take: data added in this block")
    reward: uint256 = initial * valid // (state >> _TIME_BITS)
    if reward == 0 or reward > claimable:
        reward = claimable
    data_handler._mark_reported_by(key, reporter)
    data_handler._take(key, reward, False)
    return reward, True
