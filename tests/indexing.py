"""Helpers of the indexer tests, on the embedded chain and on anvil alike: a realistic
history of contributions, one of a registry's names, and a fresh index of a chain to
compare an index with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sumchain import ModelMetadata, SharedModel, SparsePerceptron
from sumchain.chain.base import Chain
from sumchain.incentives import DAY
from sumchain.indexer import Indexer
from sumchain.registry import Registry

GOOD = ([0], [0, 2], [8])
"""Samples the test model (tests/conftest.py WEIGHTS) labels 1, as their contributors say."""
BAD = [9]
"""A sample the model labels 0 even after two contributions say 1 (weight -5, learning rate 2)."""


def realistic_history(model: SharedModel, chain: Chain) -> None:
    """Adds by three accounts, a day, two refunds, two reports (by refunded accounts), one more add."""
    good = [model.add_data(sample, 1, sender=i + 1) for i, sample in enumerate(GOOD)]
    bad = [model.add_data(BAD, 1, sender=sender) for sender in (2, 3)]
    chain.advance_time(DAY)
    model.refund(GOOD[0], 1, good[0].time, sender=1)
    model.refund(GOOD[2], 1, good[2].time, sender=3)
    model.report(BAD, 1, bad[0].time, bad[0].author, sender=3)
    model.report(BAD, 1, bad[1].time, bad[1].author, sender=1)
    model.add_data(GOOD[1], 1, sender=1)


def listed_model(chain: Chain, registry: Registry, name: str, sender: int) -> SharedModel:
    """A small model deployed by dev account ``sender`` and listed in ``registry`` under ``name``."""
    mirror = SparsePerceptron.from_weights([5, -5, 0, 0])
    return SharedModel.deploy(
        chain, mirror, metadata=ModelMetadata(name=name, n_features=4), sender=sender, registry=registry
    )


def registry_history(chain: Chain, registry: Registry) -> dict[str, tuple[str, str, bool]]:
    """Models listed by two owners, a new version that takes its predecessor's name, one delisted, a score published.

    Returns each name's expected ``(model, owner, delisted)``.
    """
    listed_model(chain, registry, "movies", 0)
    news = listed_model(chain, registry, "news", 1)
    spam = listed_model(chain, registry, "spam", 1)
    movies = listed_model(chain, registry, "movies", 0)  # the first "movies" is delisted by its successor
    registry.delist("spam", sender=1)
    registry.publish_score("news", [[0], [1]], [1, 1], sender=1)
    owners = chain.accounts
    return {
        "movies": (movies.address, owners[0], False),
        "news": (news.address, owners[1], False),
        "spam": (spam.address, owners[1], True),
    }


def fresh_rows(chain: Chain, path: Path, *addresses: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of an index of ``addresses`` built from scratch at ``path``."""
    indexer = Indexer(chain, path)
    indexer.add(*addresses)
    indexer.sync()
    rows = indexer.index.table_rows()
    indexer.close()
    return rows
