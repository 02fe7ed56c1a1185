"""What a prediction market pays, computed from its scores: the mirror of the contract's
evaluation (:func:`evaluation_scores`) and of its rewards (:func:`rewards`).

Every contribution stakes ``stake`` wei and is scored once, in order, by how many
more test samples the model gets right after learning it (``score``, negative when
it made the model worse). As in the authors' simulator with cached scores, a pass
plays ``rounds`` (wei per test sample) so that every kept contribution's balance
grows by ``score * rounds``; the first pass, when some score is negative, plays as
many rounds as the lowest score can pay from its stake (``stake // -lowest``) and
then drops every contribution whose balance fell below its stake: all those with
a negative score, since every kept contribution took part in every round. The next
pass has no negative score left and plays the remaining rounds at once. Rounds
are capped by the round budget (``bounty // test_samples``: the simulator's
bounty counted in rounds) and, when the scores add up above zero, by what is left
of the bounty, so that the market can always pay. Everything is in whole wei:
``sum(balances) + bounty_left == len(scores) * stake + bounty``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sumchain.market.client import HiddenTestSet
    from sumchain.models import OnChainModel


def evaluation_scores(
    initial: OnChainModel,
    test_set: HiddenTestSet,
    first_piece: int,
    contributions: Sequence[tuple[Sequence[int], int]],
) -> list[int]:
    """Each contribution's score as the market's evaluation gives it, replayed on the mirror.

    Parameters
    ----------
    initial : OnChainModel
        The market's model before any contribution.
    test_set : HiddenTestSet
        The whole test set; piece ``first_piece`` (revealed first) is left out.
    first_piece : int
        The piece drawn and revealed before participation.
    contributions : sequence of (sample, label)
        The staked contributions, in order.

    Returns
    -------
    list of int
        The change in correct predictions on the scored test samples that each made.
    """
    scored = [p for k, p in enumerate(test_set.pieces) if k != first_piece]
    samples = [list(s) for p in scored for s in p.samples]
    labels = np.array([y for p in scored for y in p.labels])
    model = copy.deepcopy(initial)
    correct = [int((model.predict(samples) == labels).sum())]
    for sample, label in contributions:
        model.partial_fit([list(sample)], [label])
        correct.append(int((model.predict(samples) == labels).sum()))
    return [after - before for before, after in itertools.pairwise(correct)]


@dataclass(frozen=True)
class Payout:
    """The outcome of a market's rewards.

    Attributes
    ----------
    balances : tuple of int
        Each contribution's final balance, in wei, in contribution order.
    kept : tuple of bool
        Whether each contribution was kept to the end (not dropped by the first pass).
    bounty_left : int
        What is left of the bounty, for the provider.
    first_rounds, second_rounds : int
        Wei per test sample of each pass (0 when the pass did not happen).
    """

    balances: tuple[int, ...]
    kept: tuple[bool, ...]
    bounty_left: int
    first_rounds: int
    second_rounds: int


def rewards(scores: Sequence[int], *, stake: int, bounty: int, test_samples: int) -> Payout:
    """The balances the contract credits, from the scores in contribution order.

    Parameters
    ----------
    scores : sequence of int
        Each contribution's score, in test samples.
    stake : int
        Wei staked per contribution (at least ``test_samples``).
    bounty : int
        The bounty, in wei.
    test_samples : int
        Samples of the evaluation's test set (at least 1).

    Examples
    --------
    >>> p = rewards([3, -2, 1], stake=1_000, bounty=10_000, test_samples=10)
    >>> p.first_rounds, p.second_rounds, p.balances, p.bounty_left
    (500, 500, (4000, 0, 2000), 7000)
    >>> sum(p.balances) + p.bounty_left == 3 * 1_000 + 10_000
    True
    """
    budget = bounty // test_samples
    left = bounty
    lowest, total = min(scores, default=0), sum(scores)
    first = 0
    if lowest < 0:
        first = min(stake // -lowest, budget)
        if total > 0:
            first = min(first, left // total)
        budget -= first
        left -= total * first
    kept = [first == 0 or score >= 0 for score in scores]
    kept_total = sum(score for score, keep in zip(scores, kept, strict=True) if keep)
    second = min(budget, left // kept_total) if kept_total > 0 else 0
    left -= kept_total * second
    balances = tuple(
        stake + score * first + (score * second if keep else 0) for score, keep in zip(scores, kept, strict=True)
    )
    return Payout(balances, tuple(kept), left, first, second)
