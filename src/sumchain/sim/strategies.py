"""What each kind of agent does on its turn: which sample, which label, from which account.

A strategy never touches the chain: the runner asks it for a contribution and
sends it through :class:`~sumchain.client.SharedModel`; claiming (refunds and
reports) is the mechanism's part (:mod:`sumchain.sim.mechanism`), the same for
every agent.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Turn:
    """What an agent asks for on one turn, given the next sample of the data stream.

    Attributes
    ----------
    sample : tuple of int
        The features sent.
    label : int
        The label sent.
    """

    sample: tuple[int, ...]
    label: int


class Strategy:
    """Base strategy: honest labels (up to mistakes), sent from the agent's accounts in turn.

    Parameters
    ----------
    accounts : int
        How many accounts the agent controls.
    mislabel : float
        Probability of a wrong label by mistake.
    farm_samples : int
        Samples each account adds before it only reports (:class:`SybilFarmer`).
    """

    name: ClassVar[str] = "honest"
    attacks: ClassVar[bool] = False
    """Whether it means harm (drawn in red in plots)."""
    collects: ClassVar[bool] = False
    """Whether it keeps its turns while any contribution is open, whatever it holds (others stop
    once they hold nothing and have no contribution of their own open)."""
    takes: ClassVar[tuple[str, ...]] = ()
    """The agent keys of :data:`OWN_KEYS` it uses (a scenario that gives another is refused)."""

    def __init__(self, *, accounts: int = 1, mislabel: float = 0.0, farm_samples: int = 1) -> None:
        self.accounts, self.mislabel, self.farm_samples = accounts, mislabel, farm_samples
        self.sent = 0
        """Contributions the contract accepted."""

    def wants_to_add(self, accuracy: float, rng: random.Random) -> bool:
        """Whether it contributes this turn: an honest agent does so with probability
        ``accuracy + 0.15`` (it contributes to a model that works), as in the reference."""
        return rng.random() < accuracy + 0.15

    def label(self, true_label: int, n_classes: int, rng: random.Random) -> int:
        """The label it sends for a sample whose true label is ``true_label``."""
        if self.mislabel and rng.random() < self.mislabel:
            return _other(true_label, n_classes, rng)
        return true_label

    def sample(self, features: tuple[int, ...], rng: random.Random, *, dense: bool = False) -> tuple[int, ...]:
        """The features it sends for the next sample of the stream (with ``dense``, a vector of values)."""
        return features

    def turn(
        self, features: tuple[int, ...], true_label: int, n_classes: int, rng: random.Random, *, dense: bool = False
    ) -> Turn:
        """Its contribution for the next sample of the stream (with ``dense``, a vector of values)."""
        return Turn(self.sample(features, rng, dense=dense), self.label(true_label, n_classes, rng))

    def account(self, held: Sequence[int], wanted: int) -> int:
        """Which of its accounts (0-based among its own) sends the contribution: the next in turn
        that holds the ``wanted`` deposit, else the one that holds the most (the first of them).

        Parameters
        ----------
        held : sequence of int
            Wei each of its accounts holds.
        wanted : int
            Wei it is willing to deposit on this contribution.
        """
        for step in range(self.accounts):
            i = (self.sent + step) % self.accounts
            if held[i] >= wanted:
                return i
        return max(range(self.accounts), key=lambda i: (held[i], -i))

    def accepted(self) -> None:
        """The contract took its last contribution: the next account in turn sends the next one."""
        self.sent += 1


def _other(label: int, n_classes: int, rng: random.Random) -> int:
    """A label other than ``label``, uniformly (``1 - label`` for two classes)."""
    return (label + 1 + rng.randrange(n_classes - 1)) % n_classes


class Honest(Strategy):
    """True labels, wrong only by mistake (``mislabel``)."""

    takes = ("mislabel",)


class LabelFlipper(Strategy):
    """Always a wrong label (``1 - y`` for two classes); contributes on every turn."""

    name = "flipper"
    attacks = True

    def wants_to_add(self, accuracy: float, rng: random.Random) -> bool:
        """Always: it wants to disrupt the model."""
        return True

    def label(self, true_label: int, n_classes: int, rng: random.Random) -> int:
        """Any label but the true one."""
        return _other(true_label, n_classes, rng)


class RandomLabels(LabelFlipper):
    """Labels drawn uniformly at random, right by chance."""

    name = "random"

    def label(self, true_label: int, n_classes: int, rng: random.Random) -> int:
        """A uniformly random class."""
        return rng.randrange(n_classes)


class CheapSpam(RandomLabels):
    """The cheapest contributions: one feature of the sample each (the least calldata and
    gas), with random labels, as often as its deposit willingness allows. For a dense model,
    whose samples all have the same length, one value of the sample and zeros (a zero byte of
    calldata costs a quarter of another)."""

    name = "spam"

    def sample(self, features: tuple[int, ...], rng: random.Random, *, dense: bool = False) -> tuple[int, ...]:
        """One of the sample's features (the sample itself when it has at most one); for a dense
        model, the sample with every value but one set to 0."""
        if dense:
            kept = rng.randrange(len(features))
            return tuple(v if i == kept else 0 for i, v in enumerate(features))
        return (rng.choice(features),) if len(features) > 1 else features


class SybilFarmer(Strategy):
    """Report farming with many accounts: each account first adds ``farm_samples`` honest
    samples (to be refunded, which makes it a validated contributor), then the agent adds
    nothing more and only reports, once from every account, the others' data the model rejects."""

    name = "sybil"
    attacks = True
    takes = ("farm_samples",)

    def wants_to_add(self, accuracy: float, rng: random.Random) -> bool:
        """Until every account has added its honest samples."""
        return self.sent < self.accounts * self.farm_samples

    def label(self, true_label: int, n_classes: int, rng: random.Random) -> int:
        """The true label: the farmed samples must be refunded."""
        return true_label


class Flood(LabelFlipper):
    """A coordinated flood: wrong labels from all its accounts in turn, on every turn of its
    window (``start_day`` to ``end_day``, with a short ``wait_mean``)."""

    name = "flood"


class ModelOwner(Strategy):
    """The model's owner: its account deploys the model; it adds nothing and, once a
    contribution is older than the mechanism's owner wait (Deposit, Refund and Take's
    ``owner_claim_wait``), takes what is left of its deposit, as the contract lets the owner.
    Without it, what honest authors cannot get back goes to whoever takes it after
    ``any_claim_wait`` (an author never takes back its own deposit through a report)."""

    name = "owner"
    collects = True

    def wants_to_add(self, accuracy: float, rng: random.Random) -> bool:
        """Never: it only collects."""
        return False


OWN_KEYS = ("mislabel", "farm_samples")
"""Agent keys that only some strategies use (:attr:`Strategy.takes`)."""
STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (Honest, LabelFlipper, RandomLabels, CheapSpam, SybilFarmer, Flood, ModelOwner)
}
"""Strategy class of each name a scenario may give."""
