"""Audit: replay a model's contributions through its mirror and compare with the chain, word for word.

The trainer never changes its parameters but by ``load_parameters`` (the owner's
upload, before any contribution) and ``add_data`` (each contribution, which the
``DataAdded`` event records in full: sample, label, time, author). The mirrors
learn bit for bit as the contracts do, saturation at their fields' bounds
included. So the words the upload sent, taught every contribution in order, must
equal the words on chain now; :func:`audit` checks that.

The upload's words come from the inputs of its transactions (no event carries
them): the embedded chain records every transaction's input, a node returns its
blocks' transactions. When the words differ, the first contribution after which
the chain held other words than the replay is found by bisection over the blocks
of the contributions, on a node that keeps past state (anvil does); the embedded
chain keeps only its latest state, and the report names the first differing word
alone.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sumchain.chain.abi import decode_values
from sumchain.chain.hashing import keccak
from sumchain.errors import ChainError, EncodingError, SumchainError

if TYPE_CHECKING:
    from sumchain.client import SharedModel
    from sumchain.contributions import Contribution
    from sumchain.models import OnChainModel

_LOAD_PARAMETERS = keccak(b"load_parameters(uint256,uint256[])")[:4]


@dataclass(frozen=True)
class Divergence:
    """Where the chain's parameters differ from the replay.

    Attributes
    ----------
    word : int
        Index of the first differing parameter word.
    expected, on_chain : int
        That word after the replay, and on chain now.
    differing_words : int
        How many words differ in all.
    contribution : Contribution or None
        The first contribution in or after the block where the chain first held other
        words than the replay: the first divergent one. None when the change came after
        the last contribution, or cannot be located (see ``where``).
    block : int or None
        That block (the first whose state differs), where the node keeps past state.
    where : str
        In words: ``"first seen after contribution #5 (key ..., time ..., block 14)"``,
        ``"changed in block 13, after contribution #4, before contribution #5, by no
        contribution"``, or why it cannot be told.
    """

    word: int
    expected: int
    on_chain: int
    differing_words: int
    contribution: Contribution | None
    block: int | None
    where: str


@dataclass(frozen=True)
class AuditReport:
    """The outcome of :func:`audit`: counts, and the divergence if any."""

    address: str
    model_type: str
    contributions: int
    words: int
    upload_transactions: int
    divergence: Divergence | None

    @property
    def ok(self) -> bool:
        """Whether every word on chain equals the replay's."""
        return self.divergence is None

    def summary(self) -> str:
        """One line for people.

        >>> AuditReport("0xabc", "naive bayes", 1, 12, 2, None).summary()
        'OK: 0xabc (naive bayes): 1 contribution replayed from the 2-transaction upload; all 12 words match'
        """
        plural = "" if self.contributions == 1 else "s"
        head = f"{self.address} ({self.model_type}): {self.contributions} contribution{plural} replayed"
        d = self.divergence
        if d is None:
            return f"OK: {head} from the {self.upload_transactions}-transaction upload; all {self.words} words match"
        return (
            f"DIVERGED: {head}; {d.differing_words} of {self.words} words differ, first word {d.word}: "
            f"expected {d.expected}, on chain {d.on_chain}; {d.where}"
        )

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON values (words as decimal integers)."""
        d = self.divergence
        divergence = None
        if d is not None:
            c = d.contribution
            divergence = {
                "word": d.word,
                "expected": d.expected,
                "on_chain": d.on_chain,
                "differing_words": d.differing_words,
                "block": d.block,
                "where": d.where,
                "contribution": None
                if c is None
                else {
                    "id": c.id,
                    "key": "0x" + c.key.hex(),
                    "added_time": c.added_time,
                    "block_number": c.block_number,
                },
            }
        return {
            "ok": self.ok,
            "address": self.address,
            "model_type": self.model_type,
            "contributions": self.contributions,
            "words": self.words,
            "upload_transactions": self.upload_transactions,
            "divergence": divergence,
        }


def uploaded_words(model: SharedModel, *, until_block: int | None = None) -> tuple[list[int], int, int]:
    """The parameter words as the owner uploaded them, from the ``load_parameters`` inputs.

    Returns
    -------
    words : list of int
        Every parameter word, as uploaded.
    transactions : int
        How many transactions the upload took.
    last_block : int
        The block of the last of them.

    Raises
    ------
    SumchainError
        When the upload is unfinished, or the chain has no record of all of it (a chain file
        written before sumchain recorded transaction inputs, a node that no longer serves
        those blocks).
    """
    total = model.mirror_class.n_words(model.params)
    loaded = model.words_loaded()
    if loaded < total:
        raise SumchainError(
            f"the parameter upload of {model.address} is unfinished ({loaded} of {total} words): "
            "nothing to audit until it is resumed"
        )
    words: list[int] = []
    sent = model.chain.transactions_to(model.address, model.deployed_at, until_block)
    count, last = 0, model.deployed_at
    for tx in sent:
        if len(words) == total:
            break
        if tx.data[:4] != _LOAD_PARAMETERS:
            continue
        try:
            start, chunk = decode_values(("uint256", "uint256[]"), tx.data[4:])
        except EncodingError:
            continue
        if start == len(words):  # the contract accepts only the next chunk
            words += [int(w) for w in chunk]
            count, last = count + 1, tx.block_number
    if len(words) != total:
        raise SumchainError(
            f"the chain has no record of the parameter upload of {model.address} ({len(words)} of {total} words "
            f"found from block {model.deployed_at}): a chain file written before sumchain recorded transaction "
            "inputs, or a node that no longer serves those blocks"
        )
    return words, count, last


def _first_difference(expected: Sequence[int], on_chain: Sequence[int]) -> tuple[int, int]:
    """Index of the first differing word and how many differ."""
    differing = [i for i, (a, b) in enumerate(zip(expected, on_chain, strict=True)) if a != b]
    return differing[0], len(differing)


def _learn(mirror: OnChainModel, contributions: Sequence[Contribution]) -> None:
    if contributions:
        mirror.partial_fit([c.data for c in contributions], [c.label for c in contributions])


def _first_block(model: SharedModel, words: list[int], low: int, high: int) -> int:
    """The first block in ``(low, high]`` after which the chain held other words than ``words``,
    by bisection, given that it held them after block ``low`` and not after block ``high``."""
    while high - low > 1:
        middle = (low + high) // 2
        if model.parameter_words(block=middle) == words:
            low = middle
        else:
            high = middle
    return high


def _locate(
    model: SharedModel, initial: OnChainModel, upload_block: int, contributions: Sequence[Contribution]
) -> tuple[Contribution | None, int | None, str]:
    """Where the chain's words first differed from the replay: the first contribution on or after
    the change, the block, and a sentence. Bisection over the contributions' blocks, then over
    the blocks between two of them (the state after each block, as the node keeps it)."""
    groups = [list(group) for _, group in groupby(contributions, key=lambda c: c.block_number)]
    blocks = [upload_block] + [group[0].block_number for group in groups]
    try:
        if model.parameter_words(block=upload_block) != initial.to_words():
            first = contributions[0] if contributions else None
            return first, upload_block, f"changed in the upload's last block {upload_block}"
        good, low, high = copy.deepcopy(initial), 0, len(groups) + 1
        while high - low > 1:
            middle = (low + high) // 2
            probe = copy.deepcopy(good)
            _learn(probe, [c for group in groups[low:middle] for c in group])
            if model.parameter_words(block=blocks[middle]) == probe.to_words():
                good, low = probe, middle
            else:
                high = middle
        last = blocks[high] if high < len(blocks) else model.chain.block_number()
        changed = _first_block(model, good.to_words(), blocks[low], last)
    except ChainError as exc:
        return None, None, f"which contribution first diverged cannot be told: {exc}"
    first = groups[high - 1][0] if high < len(blocks) else None
    if first is not None and changed == first.block_number:
        key = f"key 0x{first.key.hex()[:10]}, time {first.added_time}, block {changed}"
        return first, changed, f"first seen after contribution #{first.id} ({key})"
    after = "the upload" if low == 0 else f"contribution #{groups[low - 1][-1].id}"
    before = f", before contribution #{first.id}" if first is not None else ""
    return first, changed, f"changed in block {changed}, after {after}{before}, by no contribution"


def audit(model: SharedModel) -> AuditReport:
    """Replay every contribution of ``model`` from its uploaded parameters and compare with the chain.

    Examples
    --------
    >>> from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
    >>> model = SharedModel.deploy(EmbeddedChain(), SparsePerceptron.from_weights([5, -5, 0, 0]))
    >>> added = model.add_data([1], 1, sender=1)
    >>> report = audit(model)
    >>> report.ok, report.contributions, report.words
    (True, 1, 1)

    Raises
    ------
    SumchainError
        When the upload cannot be found (see :func:`uploaded_words`), or the chain cannot be read.
    """
    contributions = model.contributions(everyone=True)
    until = contributions[0].block_number if contributions else None
    words, transactions, upload_block = uploaded_words(model, until_block=until)
    initial = model.mirror_class.from_chain(model.params, words)
    replayed = copy.deepcopy(initial)
    _learn(replayed, contributions)
    expected, on_chain = replayed.to_words(), model.parameter_words()
    divergence = None
    if expected != on_chain:
        word, count = _first_difference(expected, on_chain)
        contribution, block, where = _locate(model, initial, upload_block, contributions)
        divergence = Divergence(word, expected[word], on_chain[word], count, contribution, block, where)
    return AuditReport(
        model.address, model.mirror_class.model_type, len(contributions), len(on_chain), transactions, divergence
    )
