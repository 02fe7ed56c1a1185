"""Several processes send to one model on one anvil at once, each its own client and account:
adds; a day later refunds and reports; then adds and refunds; each phase in every process at
once, their transactions interleaved in the chain. Afterwards every
transaction is on chain exactly once, each sender's nonces are contiguous, the model's
contributions are exactly what the processes did, and the wei add up: the contract holds
its claimable deposits plus its pending withdrawals, and each sender's balance moved by its
deposits, refunds, rewards and fees alone."""

from __future__ import annotations

import itertools
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Barrier
from typing import Any

import pytest

from sumchain import SharedModel, SparsePerceptron
from sumchain.chain.rpc import RpcChain
from sumchain.contributions import contribution_key
from sumchain.incentives import DAY, DepositRefundTake

from .conftest import connect

pytestmark = pytest.mark.anvil

SENDERS = 4
"""Processes, each with its own dev account (1 to 4)."""
COST_WEIGHT = 10**12
INCENTIVE = DepositRefundTake(
    cost_weight=COST_WEIGHT, refund_wait=DAY, owner_claim_wait=5 * DAY, any_claim_wait=9 * DAY
)
MOST = COST_WEIGHT * 3_600 + 1
"""What every add sends: one wei more than the highest deposit the mechanism can ask (no time since
the last update), since another process's add may raise the deposit between a client's reading and
its block; and always some wei back, so that the gas estimate covers that payment (see
:func:`test_an_add_mined_later_than_its_estimate_has_gas_for_the_change`)."""
WEIGHTS = [100] * 8 + [-100] * 8
"""Features 0-7 say 1 strongly, 8-15 say 0: a few contributions change no prediction."""


def good(process: int) -> list[tuple[int, ...]]:
    """Samples that the model labels 1, as their contributor says: refunded a day later."""
    return [(process,), (process, 4 + process), (4 + process,)]


def bad(process: int) -> list[tuple[int, ...]]:
    """Samples labelled 1 that the model keeps labelling 0: reported a day later by the next process."""
    return [(8 + process,), (8 + process, 12 + process)]


@dataclass
class Done:
    """What one process did, as its client told it."""

    account: str
    adds: list[tuple[tuple[int, ...], int, int]] = field(default_factory=list)
    """``(sample, added time, deposit)`` of each add (label 1)."""
    refunds: list[tuple[tuple[int, ...], int, int]] = field(default_factory=list)
    """``(sample, added time, amount)`` of each refund."""
    reports: list[tuple[tuple[int, ...], int, str, int]] = field(default_factory=list)
    """``(sample, added time, author, amount)`` of each report."""

    def transactions(self) -> int:
        return len(self.adds) + len(self.refunds) + len(self.reports)

    @classmethod
    def merged(cls, parts: list[Done]) -> Done:
        """What one account did over several phases."""
        merged = cls(parts[0].account)
        for part in parts:
            merged.adds += part.adds
            merged.refunds += part.refunds
            merged.reports += part.reports
        return merged


def _add(model: SharedModel, done: Done, samples: list[tuple[int, ...]]) -> None:
    for sample in samples:
        added = model.add_data(sample, 1, sender=done.account, value=MOST)
        done.adds.append((sample, added.time, added.cost))


def _client(url: str, address: str, process: int) -> tuple[SharedModel, Done]:
    """This process's own connection to the model, and an empty record for its account."""
    chain = connect(url)
    return SharedModel(chain, address), Done(chain.accounts[1 + process])


def add_phase(url: str, address: str, process: int, barrier: Barrier) -> Done:
    """In a process of its own: add this process's good and bad samples."""
    model, done = _client(url, address, process)
    barrier.wait()
    _add(model, done, [*good(process), *bad(process)])
    return done


def settle_phase(url: str, address: str, process: int, barrier: Barrier, mine: Done, victim: Done) -> Done:
    """In a process of its own: refund two of one's good samples, then report the victim's bad ones."""
    model, done = _client(url, address, process)
    barrier.wait()
    for sample, time, _ in mine.adds[:2]:
        done.refunds.append((sample, time, model.refund(sample, 1, time, sender=done.account)))
    for sample, time, _ in victim.adds[len(good(process)) :]:
        amount = model.report(sample, 1, time, victim.account, sender=done.account)
        done.reports.append((sample, time, victim.account, amount))
    return done


def add_more_phase(url: str, address: str, process: int, barrier: Barrier, mine: Done) -> Done:
    """In a process of its own: add two samples again, and refund the last good one in between
    (no report now: the mechanism refuses reports in a block where data was added, and anvil's
    blocks of one second share their time)."""
    model, done = _client(url, address, process)
    barrier.wait()
    (again, *rest) = good(process)[:2]
    _add(model, done, [again])
    sample, time, _ = mine.adds[2]
    done.refunds.append((sample, time, model.refund(sample, 1, time, sender=done.account)))
    _add(model, done, rest)
    return done


Phase = Callable[..., Done]
"""``phase(url, address, process, barrier, ...)``: what one process does in one phase."""


@contextmanager
def processes(url: str, address: str) -> Iterator[Callable[[Phase, Callable[[int], tuple[Any, ...]]], list[Done]]]:
    """A runner of phases, each in ``SENDERS`` processes at once (spawned: they share nothing but
    the node) released together by a barrier; ``extra(process)`` are a phase's further arguments."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(SENDERS, mp_context=context) as pool:

        def run(phase: Phase, extra: Callable[[int], tuple[Any, ...]]) -> list[Done]:
            barrier = manager.Barrier(SENDERS)  # each of the SENDERS tasks waits in a worker of its own
            futures = [pool.submit(phase, url, address, p, barrier, *extra(p)) for p in range(SENDERS)]
            return [future.result(timeout=300) for future in futures]

        yield run


_ACTOR = {"DataAdded": "sender", "Refunded": "author", "Reported": "reporter"}
"""The argument of each event that names who sent its transaction."""


def test_processes_sending_at_once_lose_nothing_and_the_wei_add_up(chain: RpcChain) -> None:
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS, learning_rate=1), mechanism=INCENTIVE)
    start, accounts = chain.block_number() + 1, chain.accounts[: SENDERS + 1]
    nonces = {a: chain.w3.eth.get_transaction_count(a) for a in accounts}
    balances = {a: chain.balance(a) for a in accounts}
    with processes(chain.url, model.address) as run:
        first = run(add_phase, lambda p: ())
        chain.advance_time(DAY)
        settled = run(settle_phase, lambda p: (first[p], first[(p + 1) % SENDERS]))
        more = run(add_more_phase, lambda p: (first[p],))
    everyone = [Done.merged([phase[p] for phase in (first, settled, more)]) for p in range(SENDERS)]

    # every transaction on chain once, with the one event its process was told of
    logs = chain.logs(model.address, start)
    sent = {h: chain.w3.eth.get_transaction(h) for h in {log.tx_hash for log in logs}}
    events = [(model.abi.decode_event(list(log.topics), log.data), sent[log.tx_hash]["from"]) for log in logs]
    found = Counter(
        (sender, args[_ACTOR[name]], name, args.get("key") or key_of(args), args.get("amount", args.get("cost")))
        for (name, args), sender in events
    )
    expected: Counter[tuple[str, str, str, bytes, int]] = Counter()
    for done in everyone:
        me = (done.account, done.account)
        expected.update((*me, "DataAdded", key(model, s, t, done.account), cost) for s, t, cost in done.adds)
        expected.update((*me, "Refunded", key(model, s, t, done.account), paid) for s, t, paid in done.refunds)
        expected.update((*me, "Reported", key(model, s, t, author), paid) for s, t, author, paid in done.reports)
    assert found == expected and len(sent) == sum(done.transactions() for done in everyone) == 48
    order = [tx["from"] for tx in sorted(sent.values(), key=lambda tx: (tx["blockNumber"], tx["transactionIndex"]))]
    assert sum(a != b for a, b in itertools.pairwise(order)) > 3 * SENDERS  # they did interleave

    # each sender's nonces contiguous, none used by anything else
    for done in everyone:
        ours = sorted(tx["nonce"] for tx in sent.values() if tx["from"] == done.account)
        assert ours == list(range(nonces[done.account], chain.w3.eth.get_transaction_count(done.account)))

    # the contributions are what the processes did
    state = {(d.account, sample, time): [cost, cost, False, set()] for d in everyone for sample, time, cost in d.adds}
    for done in everyone:
        for sample, time, amount in done.refunds:
            state[(done.account, sample, time)][1:3] = [state[(done.account, sample, time)][1] - amount, True]
        for sample, time, author, amount in done.reports:
            state[(author, sample, time)][1] -= amount
            state[(author, sample, time)][3].add(done.account)
    listed = model.contributions(everyone=True)
    assert {
        (c.author, c.data, c.added_time): [c.deposit, c.claimable, c.refunded, set(c.reported_by)] for c in listed
    } == state

    # the wei add up: in the contract, and for every sender
    pending = {a: model.pending_withdrawal(a) for a in accounts}
    assert chain.balance(model.address) == sum(c.claimable for c in listed) + sum(pending.values())
    for done in everyone:
        receipts = [chain.w3.eth.get_transaction_receipt(h) for h, tx in sent.items() if tx["from"] == done.account]
        fees = sum(receipt["gasUsed"] * receipt["effectiveGasPrice"] for receipt in receipts)
        deposits = sum(cost for _, _, cost in done.adds)
        paid = sum(amount for *_, amount in done.refunds) + sum(amount for *_, amount in done.reports)
        assert balances[done.account] - chain.balance(done.account) == fees + deposits - paid - pending[done.account]


def key(model: SharedModel, sample: tuple[int, ...], time: int, author: str) -> bytes:
    """The record key of ``author``'s contribution of ``sample`` with label 1 at ``time``."""
    return contribution_key(model.codec.encode(sample), 1, time, author)


def key_of(args: dict[str, Any]) -> bytes:
    """The record key of a ``DataAdded`` event's contribution."""
    return contribution_key(args["data"], args["label"], args["time"], args["sender"])


def test_an_add_mined_later_than_its_estimate_has_gas_for_the_change(chain: RpcChain) -> None:
    """The deposit is read, and the gas estimated, against the latest block; mined 100 s later the
    deposit is lower and the contract pays the change back. The client estimates with one wei more
    than it sends, so the estimate includes that payment (with the exact deposit it did not, and the
    add ran out of gas: 56,803 estimated + 20% against 68,638 used)."""
    model = SharedModel.deploy(chain, SparsePerceptron.from_weights(WEIGHTS, learning_rate=1), mechanism=INCENTIVE)
    model.add_data((0,), 1, sender=1)
    chain.request("evm_setNextBlockTimestamp", chain.time() + 100)  # as when the next add comes 100 s later
    added = model.add_data((1,), 1, sender=1)
    assert added.cost < MOST // 9
