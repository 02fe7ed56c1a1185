# pragma version ~=0.4.3
"""
@title Contributor that refuses ETH (test mock)
@custom:contract-name rejecting_contributor_mock
@license MIT
@notice Adds data to a trainer but has no payable fallback, so every payment
        pushed to it fails: it shows the trainer's pull-payment fallback.
"""

interface Trainer:
    def add_data(data: Bytes[2048], label: uint8): payable
    def withdraw(): nonpayable
    def withdraw_to(recipient: address): nonpayable


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
def withdraw(trainer: Trainer):
    """
    @dev Asks the trainer for deferred payments (fails: this contract refuses ETH).
    @param trainer The trainer.
    """
    extcall trainer.withdraw()


@external
def withdraw_to(trainer: Trainer, recipient: address):
    """
    @dev Has the trainer send the deferred payments to `recipient`, which accepts ETH.
    @param trainer The trainer.
    @param recipient Who receives them.
    """
    extcall trainer.withdraw_to(recipient)
