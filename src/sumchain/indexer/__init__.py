"""The event indexer: every sumchain event into SQLite, resumable, reorg-safe.

:class:`Indexer` follows models and model registries (:meth:`Indexer.add`) and
catches up (:meth:`Indexer.sync`, :meth:`Indexer.follow`); :class:`EventIndex` is the
file it writes, which :class:`~sumchain.client.SharedModel` reads contributions from
when it is up to date (:func:`is_current`), and which gives a registry's names
(:meth:`EventIndex.listing`). Event kinds are declared in :mod:`sumchain.indexer.kinds`.
"""

from sumchain.indexer.follow import Indexer, SyncReport, is_current
from sumchain.indexer.index import EventIndex, Listing, Source

__all__ = ["EventIndex", "Indexer", "Listing", "Source", "SyncReport", "is_current"]
