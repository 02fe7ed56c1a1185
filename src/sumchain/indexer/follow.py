"""Following models' and registries' events into an :class:`~sumchain.indexer.index.EventIndex`: batches,
resumption, reorgs.

One code path for every backend: logs and block hashes come through the
:class:`~sumchain.chain.base.Chain` protocol, from the embedded chain's file or a node.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumchain.chain.base import Chain
from sumchain.errors import ChainError, CursorMoved, EncodingError, IndexerError, SumchainError
from sumchain.indexer.index import Batch, EventIndex, Source
from sumchain.indexer.kinds import event_decoder, family_kinds

BATCH_BLOCKS = 5_000
"""Blocks indexed, then committed with the cursor, in one transaction."""
REORG_DEPTH = 64
"""Stored block hashes compared with the chain's at each poll (older ones when these all differ)."""
MOST_BACKOFF = 60.0
"""Longest wait, in seconds, between polls a node keeps failing (see :meth:`Indexer.follow`)."""


@dataclass
class SyncReport:
    """What one or more polls did.

    Attributes
    ----------
    events : int
        Events stored.
    blocks : int
        Blocks read (summed over the followed contracts).
    reorgs : int
        Reorganisations met (each rolled back to the common ancestor, then re-indexed).
    head : int
        The last block indexed for every followed contract (``-1`` before any).
    """

    events: int = 0
    blocks: int = 0
    reorgs: int = 0
    head: int = -1

    def summary(self) -> str:
        """One line for people: events, blocks, reorgs, the block reached."""
        reorgs = f", {self.reorgs} reorg{'s' * (self.reorgs != 1)} rolled back" if self.reorgs else ""
        events, blocks = (
            f"{self.events:,} event{'s' * (self.events != 1)}",
            f"{self.blocks:,} block{'s' * (self.blocks != 1)}",
        )
        return f"indexed {events} from {blocks}{reorgs}; up to block {self.head:,}"


class Indexer:
    """Follows sumchain models' and model registries' events into an event index file.

    Parameters
    ----------
    chain : Chain
        Where the models live.
    path : str or Path
        The index file: created by the first :meth:`add`; reopened (and resumed) if present.
    confirmations : int
        Index only up to ``head - confirmations``, blocks a reorg is unlikely to replace.
    batch_blocks : int
        Blocks per committed batch.

    Raises
    ------
    IndexerError
        When the file is not an index, or indexes another chain; for bad settings.
    ChainError
        When the chain cannot be reached.

    Examples
    --------
    >>> from sumchain import SharedModel
    >>> from sumchain.chain.embedded import EmbeddedChain
    >>> from sumchain.models import SparsePerceptron
    >>> import tempfile, pathlib
    >>> chain = EmbeddedChain()
    >>> model = SharedModel.deploy(chain, SparsePerceptron.from_weights([5, -5, 0, 0]))
    >>> added = model.add_data([1], 1, sender=1)
    >>> indexer = Indexer(chain, pathlib.Path(tempfile.mkdtemp()) / "index.sqlite")
    >>> [source.from_block for source in indexer.add(model.address)] == [model.deployed_at]
    True
    >>> indexer.sync().events  # MetadataPublished, DataAdded
    2
    """

    def __init__(
        self, chain: Chain, path: str | Path, *, confirmations: int = 0, batch_blocks: int = BATCH_BLOCKS
    ) -> None:
        for name, value, low in (("confirmations", confirmations, 0), ("batch_blocks", batch_blocks, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise IndexerError(f"{name} must be a whole number of blocks, at least {low}, got {value!r}")
        self.chain, self.path = chain, Path(path)
        self.confirmations, self.batch_blocks = confirmations, batch_blocks
        (genesis,) = chain.block_hashes([0])
        self.genesis = str(genesis)
        self._index = EventIndex(self.path) if self.path.exists() else None
        if self._index is not None and self._index.genesis != self.genesis:
            self._index.close()
            raise IndexerError(
                f"{self.path} indexes another chain (its block 0 is {self._index.genesis[:12]}…, this chain's "
                f"{self.genesis[:12]}…): give another index file or delete this one"
            )

    @property
    def index(self) -> EventIndex:
        """The index file.

        Raises
        ------
        IndexerError
            Before the first :meth:`add` created it.
        """
        if self._index is None:
            raise IndexerError(f"no event index at {self.path}: name a model to index")
        return self._index

    def close(self) -> None:
        """Close the index file."""
        if self._index is not None:
            self._index.close()

    @property
    def exists(self) -> bool:
        """Whether the index file exists (it does once a model was added)."""
        return self._index is not None

    def add(self, *addresses: str) -> list[Source]:
        """Follow contracts' events: models from their deployment blocks on, model registries
        from block 0 on (a registry does not say when it was deployed). The file is created if
        need be.

        Every address is checked (a sumchain model, or a registry of the version this
        sumchain reads) before anything is written.

        Returns
        -------
        list of Source
            The followed contracts among ``addresses`` (each once).

        Raises
        ------
        SumchainError
            When an address holds neither a sumchain model nor a model registry: nothing is written then.
        """
        found = {emitter: (family, first) for emitter, family, first in map(self._recognise, addresses)}
        if self._index is None:
            self._index = EventIndex(self.path, create_for=self.genesis)
        for emitter, (family, first) in found.items():
            self._index.add_source(emitter, family, first)
        return [s for s in self._index.sources() if s.emitter in found]

    def _recognise(self, address: str) -> tuple[str, str, int]:
        """``(checksum address, family, first block)`` of the contract at ``address``.

        Raises
        ------
        SumchainError
            When it is no sumchain model (a model's own checks), or a registry of another version.
        """
        from sumchain.chain.base import read_view
        from sumchain.client import SharedModel
        from sumchain.incentives import Mechanism
        from sumchain.registry import Registry

        checked, version = read_view(self.chain, address, "registry_version()", "uint256")
        if version is not None:
            return Registry(self.chain, checked).address, "registry", 0
        model = SharedModel(self.chain, checked)
        family = "trainer" if issubclass(model.mechanism_class, Mechanism) else "market"
        return model.address, family, model.deployed_at

    def sync(self, report: SyncReport | None = None) -> SyncReport:
        """Catch up once: roll back a reorganisation if any, then index every followed contract to the head.

        Parameters
        ----------
        report : SyncReport, optional
            Counts added batch by batch (so that an interrupted poll still counts what it committed);
            a new one by default.

        Returns
        -------
        SyncReport
            ``report``, with this poll counted in.
        """
        index, report = self.index, report or SyncReport()
        ancestor = self._reorg_ancestor(index)
        if ancestor is not None:
            self._check_same_chain()  # a node restarted afresh between two polls differs at every block
            index.roll_back(ancestor, self._starts_after(index, ancestor))
            report.reorgs += 1
        head = self.chain.block_number() - self.confirmations
        for source in index.sources():
            start = source.cursor + 1
            while start <= head:
                end = min(start + self.batch_blocks - 1, head)
                try:
                    stored = self._index_batch(index, source, start, end)
                except CursorMoved:  # another indexer on this file stored it: the next poll goes on from there
                    break
                if stored is None:  # the chain got shorter meanwhile: the next poll rolls back
                    break
                report.events += stored
                report.blocks += end - start + 1
                start = end + 1
        report.head = min((s.cursor for s in index.sources()), default=report.head)
        return report

    def follow(
        self,
        *,
        interval: float = 2.0,
        keep_going: Callable[[], bool] = lambda: True,
        on_chain_error: Callable[[ChainError, float], None] | None = None,
    ) -> SyncReport:
        """Poll every ``interval`` seconds while ``keep_going()``, or until Ctrl-C.

        Ctrl-C is a clean stop: a batch being written is rolled back whole, and the next run
        resumes after the last committed one. Returns the counts of every poll.

        Parameters
        ----------
        interval : float
            Seconds between polls.
        keep_going : callable, optional
            Asked before each poll.
        on_chain_error : callable, optional
            With it, a poll the node fails (unreachable, restarting, rate-limited) is tried again:
            ``on_chain_error(error, seconds)`` is told, then the poll waits ``seconds`` (the interval,
            doubled at each failure in a row up to :data:`MOST_BACKOFF`). Without it, the error ends
            the follow.

        Raises
        ------
        IndexerError
            When the node answers again as another chain (restarted afresh, its first block another).
        """
        total, wait, failed = SyncReport(), interval, False
        try:
            while keep_going():
                try:
                    if failed:
                        self._check_same_chain()
                    self.sync(total)
                except ChainError as exc:
                    if on_chain_error is None:
                        raise
                    on_chain_error(exc, wait)
                    time.sleep(wait)
                    wait, failed = min(2 * wait or 1.0, max(interval, MOST_BACKOFF)), True
                    continue
                wait, failed = interval, False
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        return total

    def _starts_after(self, index: EventIndex, ancestor: int) -> dict[str, tuple[str, int]]:
        """The family and first block of the contracts followed from after block ``ancestor``, on the chain as
        it is now: the reorganisation replaced the blocks that deployed them, and the same address may hold
        another deployment, from another block, even of another kind (a market where a trainer was); the
        block after ``ancestor``, the family kept, when nothing it recognises is there now."""
        starts = {}
        for source in index.sources():
            if source.from_block > ancestor:
                try:
                    _, family, first = self._recognise(source.emitter)
                except ChainError:
                    raise
                except SumchainError:  # nothing it recognises there now
                    family, first = source.family, ancestor + 1
                starts[source.emitter] = (family, first)
        return starts

    def _check_same_chain(self) -> None:
        """Refuse a node that came back as another chain: its events would go into this chain's index."""
        (genesis,) = self.chain.block_hashes([0])
        if str(genesis) != self.genesis:
            raise IndexerError(
                f"the node came back as another chain (its block 0 is {str(genesis)[:12]}…, the index's "
                f"{self.genesis[:12]}…): stopped; index it into another file"
            )

    def _index_batch(self, index: EventIndex, source: Source, start: int, end: int) -> int | None:
        """Index the source's blocks ``start..end`` in one commit: the number of events, None if ``end`` is gone.

        Only the kinds of the source's family are stored; a log that does not decode (a name
        registered as bytes that are not UTF-8) is skipped rather than stopping the index.
        """
        (end_hash,) = self.chain.block_hashes([end])  # before the logs: a reorg in between shows at the next poll
        if end_hash is None:
            return None
        decoder, kinds = event_decoder(), family_kinds(source.family)
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        hashes = {end: end_hash}
        count = 0
        for log in self.chain.logs(source.emitter, start, end):
            try:
                decoded = decoder.decode_event(list(log.topics), log.data)
            except EncodingError:
                continue
            if decoded is None or decoded[0] not in kinds:
                continue
            kind = kinds[decoded[0]]
            row = (log.block_number, log.log_index, log.tx_hash, source.emitter, *kind.row(decoded[1]))
            rows[kind.table].append(row)
            hashes[log.block_number] = log.block_hash
            count += 1
        index.commit(Batch(source.emitter, start, end, rows, hashes))
        return count

    def _reorg_ancestor(self, index: EventIndex) -> int | None:
        """None when the stored block hashes still match the chain's; else the last block they agree on
        (``-1`` when none: everything is indexed again)."""
        page, differed = index.blocks_below(None, REORG_DEPTH), False
        while page:
            current = self.chain.block_hashes([number for number, _ in page])
            agree = [stored == now for (_, stored), now in zip(page, current, strict=True)]
            if all(agree):
                return page[0][0] if differed else None
            lowest_bad = max(i for i, same in enumerate(agree) if not same)  # newest first: the oldest that differs
            if lowest_bad + 1 < len(page):
                return page[lowest_bad + 1][0]
            differed = True
            page = index.blocks_below(page[-1][0], REORG_DEPTH)
        return -1 if differed else None


def is_current(index: EventIndex, chain: Chain, emitter: str) -> bool:
    """Whether ``index`` holds every event of ``emitter`` up to the chain's head, on the chain as it is now."""
    source = index.source(emitter)
    if source is None or source.cursor < chain.block_number():
        return False
    stored = index.block_hash(source.cursor)
    return stored is not None and chain.block_hashes([source.cursor]) == [stored]
