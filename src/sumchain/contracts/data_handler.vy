# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Data Handler
@custom:contract-name data_handler
@license MIT
@notice Keeps one packed record per contribution, keyed by
        `keccak256(abi_encode(data, label, added_time, author))`. The raw
        sample itself lives only in calldata and in the `DataAdded` event.
@dev Record layout (one storage word per contribution):
       bits   0 ..  95  claimable amount still held for the contribution
       bits  96 .. 191  initial deposit
       bit  192         recorded (set once, never cleared)
       bit  193         refunded (validated) by its author
       bit  194         reported (under Points: the one report a sample gets)
     Amounts are bounded by the incentive mechanism to less than 2**96 wei.
"""

from . import reverts


_AMOUNT_BITS: constant(uint256) = 96
_AMOUNT_MASK: constant(uint256) = 2**96 - 1
_RECORDED: constant(uint256) = 1 << 192
_REFUNDED: constant(uint256) = 1 << 193
_REPORTED: constant(uint256) = 1 << 194


# @dev Packed contribution records, see the layout above.
_records: HashMap[bytes32, uint256]
# @dev Which reporters already took a share of a contribution's deposit.
_reported_by: HashMap[bytes32, HashMap[address, bool]]


@internal
def _record(key: bytes32, deposit: uint256):
    """
    @dev Stores a new contribution holding `deposit`.
    @param key The contribution key.
    @param deposit The deposit kept for the contribution, below 2**96.
    """
    if self._records[key] != 0:
        reverts._fail("data_handler: contribution already recorded")
    self._records[key] = _RECORDED | (deposit << _AMOUNT_BITS) | deposit


@internal
@view
def _load(key: bytes32) -> (uint256, uint256, bool):
    """
    @dev Reads a contribution, reverting when it does not exist.
    @param key The contribution key.
    @return The initial deposit, the claimable amount and whether its author
            already refunded it.
    """
    word: uint256 = self._records[key]
    if word & _RECORDED == 0:
        reverts._fail("data_handler: unknown contribution")
    return (word >> _AMOUNT_BITS) & _AMOUNT_MASK, word & _AMOUNT_MASK, word & _REFUNDED != 0


@internal
def _take(key: bytes32, amount: uint256, refunded: bool):
    """
    @dev Lowers the claimable amount of a contribution by `amount`.
    @param key The contribution key.
    @param amount The amount paid out, at most the claimable amount.
    @param refunded Whether this payment is the author's refund.
    """
    word: uint256 = self._records[key]
    word -= amount
    if refunded:
        word |= _REFUNDED
    self._records[key] = word


@internal
@view
def _was_reported_by(key: bytes32, reporter: address) -> bool:
    """
    @dev Whether `reporter` already took a share of this contribution.
    @param key The contribution key.
    @param reporter The reporting account.
    @return True when it did.
    """
    return self._reported_by[key][reporter]


@internal
def _mark_reported_by(key: bytes32, reporter: address):
    """
    @dev Remembers that `reporter` took a share of this contribution.
    @param key The contribution key.
    @param reporter The reporting account.
    """
    self._reported_by[key][reporter] = True


@internal
@view
def _is_reported(key: bytes32) -> bool:
    """
    @dev Whether the contribution was marked reported (`_mark_reported`).
    @param key The contribution key.
    @return True when it was.
    """
    return self._records[key] & _REPORTED != 0


@internal
def _mark_reported(key: bytes32):
    """
    @dev Marks a contribution reported, once and for all.
    @param key The contribution key.
    """
    self._records[key] |= _REPORTED
