# pragma version ~=0.4.3
"""
@title Attacker contract (test mock)
@custom:contract-name attacker_mock
@license MIT
@notice A contract account that makes any sequence of calls in one
        transaction, so in one block (`run`), and answers the payments it
        gets as told: accept them, refuse them, or burn all the gas it is
        given; before answering, it may call back into a contract (re-enter)
        with a call set in advance. Anyone may make it `run`, as a contract
        wallet that relays calls: a test uses one as a victim whose
        transaction lands in the same block as an attacker's.
@dev Each call's outcome (success and return or revert data) is kept, so
     that a test reads why a call failed; a failed call does not stop the
     next ones, as a failed transaction does not stop the next transactions
     of a block.
"""

# @dev Largest number of calls in one `run`.
MAX_CALLS: constant(uint256) = 8
# @dev Largest calldata of one call (an `add_data` with 64 feature indices, or a nested `run`).
MAX_CALLDATA: constant(uint256) = 1_024
# @dev Largest return or revert data kept per call.
MAX_RETURN: constant(uint256) = 256

# @dev Answers to a payment.
ACCEPT: constant(uint8) = 0
REFUSE: constant(uint8) = 1
BURN: constant(uint8) = 2


# @dev The outcome of one call.
struct Outcome:
    success: bool
    data: Bytes[MAX_RETURN]


# @dev How `__default__` answers a payment: ACCEPT, REFUSE or BURN.
answer: public(uint8)
# @dev The contract that `__default__` calls first, with `reentry_call` (none when empty).
reentry_target: public(address)
# @dev The call that `__default__` makes to `reentry_target`.
reentry_call: public(Bytes[MAX_CALLDATA])
# @dev The value sent with the re-entrant call.
reentry_value: public(uint256)
# @dev The outcome of the last re-entrant call.
reentry: public(Outcome)
# @dev The outcomes of the calls of the last `run`, in order.
outcomes: public(DynArray[Outcome, MAX_CALLS])
# @dev Total wei accepted through `__default__`, and the number of such payments.
received: public(uint256)
payments: public(uint256)


@external
@payable
def run(
    targets: DynArray[address, MAX_CALLS],
    calls: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
):
    """
    @dev Makes the calls in order, in this one transaction, each with its
         value (paid from what this contract holds, `msg.value` included). A
         call that fails is recorded and the next one is made.
    @param targets The contract of each call.
    @param calls The calldata of each call.
    @param values The value sent with each call.
    """
    assert len(calls) == len(targets) and len(values) == len(targets), "attacker_mock: lengths differ"
    self.outcomes = []
    for i: uint256 in range(len(targets), bound=MAX_CALLS):
        success: bool = False
        data: Bytes[MAX_RETURN] = b""
        success, data = raw_call(
            targets[i], calls[i], value=values[i], max_outsize=MAX_RETURN, revert_on_failure=False
        )
        self.outcomes.append(Outcome(success=success, data=data))


@external
def set_answer(answer: uint8):
    """
    @dev Sets how payments are answered from now on.
    @param answer ACCEPT (0), REFUSE (1) or BURN (2).
    """
    assert answer <= BURN, "attacker_mock: unknown answer"
    self.answer = answer


@external
def set_reentry(target: address, call: Bytes[MAX_CALLDATA], amount: uint256):
    """
    @dev Makes every payment first call `target` with `call` and `amount`
         wei (`empty(address)`: no call).
    @param target The contract to call back.
    @param call The calldata.
    @param amount The value sent with it.
    """
    self.reentry_target = target
    self.reentry_call = call
    self.reentry_value = amount


@external
@payable
def __default__():
    """
    @dev Answers a payment: re-enters first when told to, then accepts it
         (counting it: two storage writes, more than a 2,300 gas stipend
         allows), refuses it, or burns all the gas it was given (the
         INVALID opcode of `UNREACHABLE`).
    """
    if self.reentry_target != empty(address):
        success: bool = False
        data: Bytes[MAX_RETURN] = b""
        success, data = raw_call(
            self.reentry_target,
            self.reentry_call,
            value=self.reentry_value,
            max_outsize=MAX_RETURN,
            revert_on_failure=False,
        )
        self.reentry = Outcome(success=success, data=data)
    assert self.answer != REFUSE, "attacker_mock: refusing payments"
    assert self.answer != BURN, UNREACHABLE
    self.received += msg.value
    self.payments += 1
