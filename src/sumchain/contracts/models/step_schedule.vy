# pragma version ~=0.4.3
"""
@title Step Schedule
@custom:contract-name step_schedule
@license MIT
@notice The shrinking learning step that the dense and the sparse perceptron
        may opt into with a `decay`: after `seen` samples the step is
        `learning_rate * decay // (decay + seen)`, so it halves after `decay`
        samples and keeps shrinking as `1 / seen`. That is scikit-learn's
        `SGDClassifier(learning_rate="optimal")` schedule
        (`eta = 1 / (alpha * (t0 + t))`, with `decay = t0`), which the
        paper's simulation used: a model that has seen many samples moves
        little on one contribution, so a flipped label seldom flips the
        model's own prediction and earns no refund.
@dev `seen` counts every sample the model learns from, mistake or not, as
     scikit-learn's `t_` does. It lives in the last parameter word, after the
     weights, loaded with them (a model fitted off chain goes on counting
     from its own number); a model with `decay == 0` has no such word and a
     constant step. The step reaches 0, and the model stops moving, once
     `seen` passes `learning_rate * decay` (10**13 samples for the paper's
     schedule at scale).
     Each model computes the step inline, in unsigned arithmetic:
     `learning_rate < 2**63` and `decay < 2**64`, so their product fits, and
     `decay + seen` is checked (a count near 2**256, which only the owner
     could load, makes `add_data` revert). An internal call here would cost
     the models 37 bytes of code (about 7,300 gas at deployment).
"""

# @dev Largest decay (exclusive).
MAX_DECAY: constant(uint256) = 2**64
