# pragma version ~=0.4.3
"""
@title Contract wallet that writes storage on receipt (test mock)
@custom:contract-name contract_wallet_mock
@license MIT
@notice A contributor that is a contract, as a multisig or a smart account:
        its `receive` writes storage (it counts what it received), so it
        needs more gas than the 2,300 of a `send` stipend. While `refusing`
        is set it refuses every payment, so the trainer defers them. With
        `reentering` set, its `receive` calls `withdraw` on that trainer
        again and records whether the call succeeded.
"""

interface Trainer:
    def add_data(data: Bytes[2048], label: uint8): payable
    def refund(data: Bytes[2048], label: uint8, added_time: uint256): nonpayable
    def withdraw(): nonpayable
    def withdraw_to(recipient: address): nonpayable


# @dev Total wei received.
received: public(uint256)
# @dev Number of payments received.
payments: public(uint256)
# @dev While True, every payment is refused.
refusing: public(bool)
# @dev The trainer whose `withdraw` `receive` calls again (none when empty).
reentering: public(address)
# @dev Whether the last re-entrant `withdraw` succeeded.
reentry_succeeded: public(bool)


@external
@payable
def add(trainer: Trainer, data: Bytes[2048], label: uint8):
    """
    @dev Forwards a contribution with all the value sent.
    @param trainer The trainer.
    @param data The packed sample.
    @param label The label.
    """
    extcall trainer.add_data(data, label, value=msg.value)


@external
def refund(trainer: Trainer, data: Bytes[2048], label: uint8, added_time: uint256):
    """
    @dev Asks for the refund of this wallet's contribution.
    @param trainer The trainer.
    @param data The packed sample.
    @param label The label.
    @param added_time The block time of the contribution.
    """
    extcall trainer.refund(data, label, added_time)


@external
def withdraw(trainer: Trainer):
    """
    @dev Collects this wallet's deferred payments.
    @param trainer The trainer.
    """
    extcall trainer.withdraw()


@external
def withdraw_to(trainer: Trainer, recipient: address):
    """
    @dev Has this wallet's deferred payments sent to `recipient`.
    @param trainer The trainer.
    @param recipient Who receives them.
    """
    extcall trainer.withdraw_to(recipient)


@external
def set_refusing(refusing: bool):
    """
    @dev Refuse (True) or accept (False) payments from now on.
    @param refusing The new setting.
    """
    self.refusing = refusing


@external
def set_reentering(trainer: address):
    """
    @dev Call `withdraw` on `trainer` again from `receive` (`empty(address)`: never).
    @param trainer The trainer.
    """
    self.reentering = trainer


@external
@payable
def __default__():
    """
    @dev Counts the payment (two storage writes: more than a stipend
         allows), or refuses it; re-enters `withdraw` when told to.
    """
    assert not self.refusing, "contract_wallet_mock: refusing payments"
    self.received += msg.value
    self.payments += 1
    if self.reentering != empty(address):
        self.reentry_succeeded = raw_call(self.reentering, method_id("withdraw()"), revert_on_failure=False)
