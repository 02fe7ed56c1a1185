"""Deploys whose parameters are not all loaded yet, remembered so that the same deploy, run again, resumes.

A deploy is known by its fingerprint (the model, its parameters, metadata and mechanism). As
soon as its contract exists, the fingerprint and the address go into the note
:data:`UNFINISHED` of where the caller keeps notes (the embedded chain file itself, or the
CLI's workspace for a node), and they leave it when the last chunk is in. ``sumchain deploy``
and the dashboard keep the same note, so either finishes what the other started.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sumchain.chain.embedded import EmbeddedChain
    from sumchain.incentives import Mechanism
    from sumchain.market import PredictionMarket
    from sumchain.metadata import ModelMetadata
    from sumchain.models import OnChainModel

UNFINISHED = "unfinished"
"""The note that holds the unfinished deploys: a JSON object, fingerprint to address."""


class Notes(Protocol):
    """Where notes are kept between runs (:class:`~sumchain.cli.session.Session`, :class:`ChainNotes`)."""

    def remembered(self, key: str) -> str | None:
        """The note under ``key``, or None."""
        ...

    def remember(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` (None forgets it)."""
        ...


class ChainNotes:
    """The notes of an embedded chain file, as :class:`Notes`.

    >>> from sumchain import EmbeddedChain
    >>> notes = ChainNotes(EmbeddedChain())
    >>> notes.remember("k", "v"); notes.remembered("k")
    'v'
    """

    def __init__(self, chain: EmbeddedChain) -> None:
        self.chain = chain

    def remembered(self, key: str) -> str | None:
        """The note under ``key``, or None."""
        return self.chain.notes.get(key)

    def remember(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` in the chain file (None forgets it)."""
        self.chain.remember(key, value)


def fingerprint(
    mirror: OnChainModel, metadata: ModelMetadata, mechanism: Mechanism | PredictionMarket, sender: str
) -> str:
    """What identifies a deploy, to recognise the same one run again: the model and its settings, and
    the account that deploys (only the contract's owner may load its parameters)."""
    from sumchain.chain.hashing import keccak

    described = [
        sender.lower(),
        mirror.model_type,
        mirror.model_params(),
        mirror.to_words(),
        metadata.to_json().decode(),
        [mechanism.mechanism_type, mechanism.words()],
    ]
    return "0x" + keccak(json.dumps(described).encode()).hex()


def unfinished_deploys(notes: Notes) -> dict[str, str]:
    """The unfinished deploys: fingerprint to the address of the partly loaded model."""
    found: dict[str, str] = json.loads(notes.remembered(UNFINISHED) or "{}")
    return found


def remember_unfinished(notes: Notes, fingerprint: str, address: str | None) -> None:
    """Remember (or, with None, forget) the unfinished deploy with this fingerprint."""
    found = unfinished_deploys(notes)
    if address is None:
        found.pop(fingerprint, None)
    else:
        found[fingerprint] = address
    notes.remember(UNFINISHED, json.dumps(found) if found else None)


def unfinished_line(loaded: int, total: int) -> str | None:
    """What a model whose upload stopped half-way is, for people (``sumchain info``, the dashboard); None
    once every parameter word is loaded.

    >>> unfinished_line(1_200, 37_515)[:60]
    'Unfinished: 1,200 of its 37,515 parameter words are loaded, '
    >>> unfinished_line(5, 5) is None
    True
    """
    if loaded >= total:
        return None
    return (
        f"Unfinished: {loaded:,} of its {total:,} parameter words are loaded, and it takes no prediction or data "
        "until they all are (its owner runs the deploy or import command again)."
    )
