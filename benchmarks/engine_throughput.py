"""Throughput of the embedded chain's engines, side by side: add_data tx/s, predict calls/s, IMDB.

One run measures every engine on the same workload, the IMDB sparse perceptron of
``sumchain gas`` (the reference's ``imdb-sentiment-model.json``, deployed with
``gas.INCENTIVE``):

- ``add_data``: ``add_data(20 sorted random indices, random label)`` sending
  ``gas.ADD_VALUE`` wei from a rotating set of ten accounts (the trainer returns
  the excess). Calldata is built before timing, so only sending is timed;
- ``predict``: ``chain.call(model, predict calldata)`` on the same samples.

Engines (``--engines``): ``revm`` (``EmbeddedChain()``, in memory), ``revm-file``
(``EmbeddedChain(path)``: every block committed to SQLite and flushed to disk),
``py-evm`` (``EmbeddedChain(engine="py-evm")``), ``titanoboa`` (``boa.Env`` running
the same compiled bytecode: a message call per add, without a transaction, a block
or a receipt, and a static call per predict), ``anvil`` (``RpcChain``, sequential:
each transaction is estimated, signed, sent and its receipt awaited; predict is
``eth_call``), ``anvil-pipelined`` (``RpcChain.send_many`` from one account, 64 adds
in flight) and ``revm-client`` (``SharedModel.add_data`` and
``SharedModel.predict`` on revm: validation, the deposit priced by a call, the
event decoded).

A node engine (``anvil``, ``anvil-pipelined``) runs on one node for the whole run,
whose chain grows round after round (anvil's work per transaction grows with it),
and its twin ``<engine>-fresh``, measured beside it whenever it is chosen, on a
fresh node each round (started, deployed and checked before the round, untimed).

Every engine runs for ``--seconds`` per round and operation (at least 3
operations), in turn, the order rotating each round so that machine noise hits
them all alike; round 0 is a warm-up, and each figure is the median of the
``--repeats`` rounds after it. Ratios are taken between medians and printed first.

Then 25,000 IMDB test reviews (``--imdb``, the labelled ``aclImdb`` archive) are
encoded with ``VocabularyEncoder.imdb()`` and predicted with
``SharedModel.predict_many`` on a fresh revm chain, both timed; the predictions
must equal the Python mirror's.

Usage: ``python benchmarks/engine_throughput.py [--quick] [--json] [--engines revm,py-evm]``
(``--help`` for the rest). Needs ``pip install -e ".[bench]"`` for titanoboa and
anvil (``npm install``, or ``--anvil PATH``); an engine that is missing is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI
from sumchain.chain.anvil import find_anvil, running_anvil
from sumchain.chain.base import Chain
from sumchain.chain.compiler import compile_trainer
from sumchain.chain.rpc import RpcChain
from sumchain.client import MAX_WORDS_PER_CALL
from sumchain.datasets import IMDB_ARCHIVE, read_imdb
from sumchain.encoders import VocabularyEncoder
from sumchain.errors import ChainError
from sumchain.gas import ADD_VALUE, IMDB_MODEL, INCENTIVE, WORKLOADS
from sumchain.models.reference_file import model_from_spec

REPO = Path(__file__).resolve().parents[1]
NODE_ENGINES = ("anvil", "anvil-pipelined")
"""Engines on an anvil node: each is measured twice, on one node for the whole run and on a fresh node each round."""
FRESH = "-fresh"
"""Suffix of a node engine's twin that runs each round on a fresh node."""
ENGINES = (
    "revm",
    "revm-file",
    "py-evm",
    "titanoboa",
    *(name + suffix for name in NODE_ENGINES for suffix in ("", FRESH)),
    "revm-client",
)
NOTES = {name: "one node for the whole run: its chain grows round after round" for name in NODE_ENGINES} | {
    name + FRESH: "a fresh node each round" for name in NODE_ENGINES
}
"""What each node engine's figure covers, printed beside it."""
IN_FLIGHT = 64
"""Transactions the pipelined runner keeps in flight before it gathers their receipts."""
PIPELINED_GAS = 400_000
"""Gas limit of each pipelined add (a 20-index add uses about 160,000)."""
OPERATIONS = {"add_data": "tx/s", "predict": "calls/s"}
SENDERS = 10
SAMPLE_SIZE = 20
N_FEATURES = 1000
SEED = 20_240_601
MIN_OPS = 3
OPS_PER_SECOND_CAP = 10_000
"""A round also ends after ``seconds * OPS_PER_SECOND_CAP`` operations (it sizes the precomputed calldata)."""
ANVIL_FUNDS = 10**22
"""Balance titanoboa gives each of its accounts (anvil's dev accounts hold 10,000 ether too)."""


def log(message: str) -> None:
    """Progress on stderr, so that ``--json`` output stays clean."""
    print(message, file=sys.stderr, flush=True)


# -- settings and workload ------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How long to measure.

    Attributes
    ----------
    repeats : int
        Timed rounds per engine and operation (after one warm-up round).
    seconds : float
        Length of one engine's turn in a round.
    imdb_repeats : int
        Timed passes over the IMDB test split.
    """

    repeats: int = 5
    seconds: float = 2.0
    imdb_repeats: int = 3

    @property
    def ops_per_round(self) -> int:
        """Most operations one engine's turn may use."""
        return max(MIN_OPS, int(self.seconds * OPS_PER_SECOND_CAP))


QUICK = Settings(repeats=3, seconds=0.3, imdb_repeats=1)


@dataclass(frozen=True)
class Workload:
    """The model and the precomputed calls every engine runs.

    Attributes
    ----------
    mirror : SparsePerceptron
        The model as deployed (its predictions check every deployment).
    abi : ContractABI
        The trainer's ABI.
    samples, labels : list
        Random sorted samples of :data:`SAMPLE_SIZE` indices and random labels.
    add_calls, predict_calls : list of bytes
        ``add_data(sample, label)`` and ``predict(sample)`` calldata, sample by sample.
    """

    mirror: SparsePerceptron
    abi: ContractABI
    samples: list[list[int]]
    labels: list[int]
    add_calls: list[bytes]
    predict_calls: list[bytes]


def imdb_perceptron() -> SparsePerceptron:
    """The IMDB sparse perceptron of ``sumchain gas`` (synthetic, same shape, if the reference file is missing)."""
    mirror = model_from_spec(WORKLOADS["imdb-sparse-perceptron"].spec(IMDB_MODEL))
    assert isinstance(mirror, SparsePerceptron)
    return mirror


def make_workload(size: int, *, seed: int = SEED) -> Workload:
    """``size`` random samples and labels, with their calldata.

    Parameters
    ----------
    size : int
        Number of samples: every ``add_data`` uses a fresh one, so this bounds
        the adds of one engine over the whole run.
    seed : int
        Seed of the samples and labels.
    """
    mirror = imdb_perceptron()
    abi = ContractABI(compile_trainer(mirror.contract_model, "deposit_refund_take").abi)
    rng = random.Random(seed)
    samples = [sorted(rng.sample(range(N_FEATURES), SAMPLE_SIZE)) for _ in range(size)]
    labels = [rng.randrange(2) for _ in range(size)]
    packed = [mirror.codec.encode(sample) for sample in samples]
    return Workload(
        mirror=mirror,
        abi=abi,
        samples=samples,
        labels=labels,
        add_calls=[abi.encode_call("add_data", data, label) for data, label in zip(packed, labels, strict=True)],
        predict_calls=[abi.encode_call("predict", data) for data in packed],
    )


# -- runners: one per engine --------------------------------------------------------------


class Runner(Protocol):
    """One engine with the workload's model deployed: sends sample ``i``'s calls."""

    def add(self, i: int) -> None:
        """Send ``add_data`` for sample ``i``."""
        ...

    def predict(self, i: int) -> int:
        """The model's class for sample ``i``."""
        ...


class ChainRunner:
    """Raw calldata through any :class:`~sumchain.chain.base.Chain`: ``transact`` and ``call``.

    Parameters
    ----------
    chain : Chain
        Where to deploy the workload's model (with ``SharedModel.deploy``).
    work : Workload
        The model and the calldata.
    """

    def __init__(self, chain: Chain, work: Workload) -> None:
        self.chain, self.work = chain, work
        self.model = SharedModel.deploy(chain, work.mirror, mechanism=INCENTIVE)
        self.senders = chain.accounts[:SENDERS]

    def add(self, i: int) -> None:
        """``chain.transact`` with the precomputed ``add_data`` calldata."""
        sender = self.senders[i % len(self.senders)]
        self.chain.transact(self.model.address, self.work.add_calls[i], sender=sender, value=ADD_VALUE)

    def predict(self, i: int) -> int:
        """``chain.call`` with the precomputed ``predict`` calldata."""
        return int.from_bytes(self.chain.call(self.model.address, self.work.predict_calls[i]), "big")


class ClientRunner(ChainRunner):
    """The client API on a chain: ``SharedModel.add_data`` and ``SharedModel.predict``."""

    def add(self, i: int) -> None:
        """``SharedModel.add_data``: validates, prices the deposit, sends, decodes the event."""
        sender = self.senders[i % len(self.senders)]
        self.model.add_data(self.work.samples[i], self.work.labels[i], sender=sender, value=ADD_VALUE)

    def predict(self, i: int) -> int:
        """``SharedModel.predict``: validates, encodes, calls, decodes."""
        return self.model.predict(self.work.samples[i])


class PipelinedRunner(ChainRunner):
    """A node through ``RpcChain.send_many``: ``add_data`` from one account, many in flight.

    Adds are queued and go out :data:`IN_FLIGHT` at a time (signed locally,
    sent in JSON-RPC batches with a fixed gas limit, no estimates); their
    receipts are then gathered in batches. :meth:`finish` sends and waits for
    what is queued when a round ends, inside the timed span: every add is
    mined before the clock stops.
    """

    def __init__(self, chain: RpcChain, work: Workload) -> None:
        super().__init__(chain, work)
        self.rpc = chain
        self.queued: list[bytes] = []

    def add(self, i: int) -> None:
        """Queue the precomputed calldata; every :data:`IN_FLIGHT` of them go out together."""
        self.queued.append(self.work.add_calls[i])
        if len(self.queued) >= IN_FLIGHT:
            self.finish()

    def finish(self) -> None:
        """Send the queued adds at once from one account, then gather every receipt."""
        sent = self.rpc.send_many(
            self.model.address, self.queued, sender=self.senders[0], value=ADD_VALUE, gas=PIPELINED_GAS
        )
        self.rpc.receipts(sent)
        self.queued.clear()


class FreshNodeRunner:
    """A node engine on a fresh node each round, so that its rate does not depend on how long its chain has grown.

    Parameters
    ----------
    open_node : callable
        Starts a node inside the given exit stack, deploys the workload's model on it and returns its runner.
    check : callable
        Raises unless a runner predicts as the mirror does (:func:`check_runner`).
    """

    def __init__(self, open_node: Callable[[contextlib.ExitStack], Runner], check: Callable[[Runner], None]) -> None:
        self.open_node, self.check = open_node, check
        self.stack = contextlib.ExitStack()
        self.new_round()

    def new_round(self) -> None:
        """Stop the current node; start, deploy and check a new one (:func:`measure` calls it before a round)."""
        self.stack.close()
        self.runner = self.open_node(self.stack)
        self.check(self.runner)

    def close(self) -> None:
        """Stop the current node."""
        self.stack.close()

    def add(self, i: int) -> None:
        """The node runner's add."""
        self.runner.add(i)

    def predict(self, i: int) -> int:
        """The node runner's predict."""
        return self.runner.predict(i)

    def finish(self) -> None:
        """The node runner's ``finish``, if it has one (the pipelined runner)."""
        finish = getattr(self.runner, "finish", None)
        if finish is not None:
            finish()


class TitanoboaRunner:
    """titanoboa's ``Env`` running the same creation code and calldata.

    An add is ``Env.raw_call`` (one message call from an account: no nonce, no
    block, no receipt); a predict is ``Env.execute_code`` with
    ``is_modifying=False`` (a static call).

    Parameters
    ----------
    work : Workload
        The model and the calldata.
    """

    def __init__(self, work: Workload) -> None:
        import boa

        self.work = work
        self.env = boa.Env()
        owner, *self.senders = [self.env.generate_address() for _ in range(SENDERS + 1)]
        for account in (owner, *self.senders):
            self.env.set_balance(account, ANVIL_FUNDS)
        self.address = self._deploy(owner)

    def _deploy(self, owner: Any) -> Any:
        """Create the trainer as ``SharedModel.deploy`` does, then load its parameters."""
        mirror, abi = self.work.mirror, self.work.abi
        code = SharedModel.creation_code(mirror, mechanism=INCENTIVE)
        address, _ = self.env.deploy_code(sender=owner, bytecode=code)
        words = mirror.to_words()
        for start in range(0, len(words), MAX_WORDS_PER_CALL):
            chunk = words[start : start + MAX_WORDS_PER_CALL]
            self.env.raw_call(address, sender=owner, data=abi.encode_call("load_parameters", start, chunk))
        return address

    def add(self, i: int) -> None:
        """``Env.raw_call`` with the ``add_data`` calldata and value."""
        sender = self.senders[i % len(self.senders)]
        self.env.raw_call(self.address, sender=sender, value=ADD_VALUE, data=self.work.add_calls[i])

    def predict(self, i: int) -> int:
        """``Env.execute_code`` as a static call."""
        result = self.env.execute_code(self.address, data=self.work.predict_calls[i], is_modifying=False)
        if result.is_error:
            raise result.error
        return int.from_bytes(result.output, "big")


# -- opening engines ----------------------------------------------------------------------


@contextlib.contextmanager
def anvil_chain(binary: str) -> Iterator[RpcChain]:
    """A fresh anvil node (automine, 30M block gas limit), stopped on exit."""
    with running_anvil(binary, ["--gas-limit", "30000000"]) as node:
        yield RpcChain(node.url, timeout=10)


@contextlib.contextmanager
def embedded_chain(*, in_file: bool = False, engine: str | None = None) -> Iterator[EmbeddedChain]:
    """A fresh embedded chain, in memory or in a temporary chain file, closed on exit."""
    with tempfile.TemporaryDirectory(prefix="sumchain-bench-") as folder:
        chain = EmbeddedChain(Path(folder) / "chain.sqlite" if in_file else None, engine=engine)
        try:
            yield chain
        finally:
            chain.close()


EMBEDDED: dict[str, dict[str, Any]] = {
    "revm": {"engine": "revm"},
    "revm-file": {"engine": "revm", "in_file": True},
    "py-evm": {"engine": "py-evm"},
    "revm-client": {"engine": "revm"},
}
"""Arguments of :func:`embedded_chain` for each embedded engine."""


def open_runner(name: str, work: Workload, stack: contextlib.ExitStack, *, anvil: str | None) -> Runner | str:
    """The runner of engine ``name``, or why it is skipped.

    Parameters
    ----------
    name : str
        One of :data:`ENGINES`.
    work : Workload
        The model and the calldata.
    stack : ExitStack
        Owns the engine's resources (chain file, anvil process) until the end of the run.
    anvil : str or None
        The anvil binary (see :func:`find_anvil`).
    """
    if name == "titanoboa":
        try:
            return TitanoboaRunner(work)
        except ImportError:
            return 'titanoboa is not installed (pip install -e ".[bench]")'
    base = name.removesuffix(FRESH)
    if base in NODE_ENGINES:
        binary = anvil or find_anvil(REPO)
        if binary is None:
            return "anvil not found: run `npm install`, set $ANVIL_BIN or pass --anvil PATH"

        def open_node(within: contextlib.ExitStack) -> Runner:
            node = within.enter_context(anvil_chain(binary))
            return PipelinedRunner(node, work) if base == "anvil-pipelined" else ChainRunner(node, work)

        try:
            if name == base:
                return open_node(stack)
            fresh = FreshNodeRunner(open_node, lambda runner: check_runner(name, runner, work))
        except ChainError as exc:
            return f"anvil ({binary}) did not start: {exc}"
        stack.callback(fresh.close)
        return fresh
    runner = ClientRunner if name == "revm-client" else ChainRunner
    return runner(stack.enter_context(embedded_chain(**EMBEDDED[name])), work)


def check_runner(name: str, runner: Runner, work: Workload, count: int = 8) -> None:
    """Fail unless the fresh deployment predicts as the mirror does on the first samples."""
    expected = [int(label) for label in work.mirror.predict(work.samples[:count])]
    found = [runner.predict(i) for i in range(count)]
    if found != expected:
        raise SystemExit(f"{name}: the deployed model predicts {found}, the mirror {expected}")


# -- timing ---------------------------------------------------------------------------------


def rate(
    operation: Callable[[int], object],
    indices: Sequence[int],
    seconds: float,
    finish: Callable[[], object] | None = None,
) -> tuple[float, int]:
    """Operations per second over ``indices``, stopping after ``seconds`` (and :data:`MIN_OPS`);
    ``finish`` (waiting for what is still in flight) runs before the clock stops.

    Returns
    -------
    (float, int)
        The rate and the number of operations run.
    """
    gc.collect()
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    for i in indices:
        operation(i)
        done += 1
        if done >= MIN_OPS and time.perf_counter() >= deadline:
            break
    if finish is not None:
        finish()
    return done / (time.perf_counter() - start), done


def sample_indices(operation: str, start: int, size: int, pool: int) -> Sequence[int]:
    """The next ``size`` samples from ``start``: adds never reuse one (the pool is sized for it), predicts cycle."""
    if operation == "add_data":
        return range(start, min(start + size, pool))
    return [i % pool for i in range(start, start + size)]


def measure(runners: dict[str, Runner], pool: int, settings: Settings) -> dict[tuple[str, str], list[float]]:
    """Time every runner on every operation, in turn, rotating the order each round.

    Returns
    -------
    dict
        ``{(engine, operation): [rate of each timed round]}``; round 0 (warm-up) is left out.
    """
    names = list(runners)
    rates: dict[tuple[str, str], list[float]] = {(name, op): [] for name in names for op in OPERATIONS}
    cursor = dict.fromkeys(rates, 0)
    for round_number in range(settings.repeats + 1):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            runner = runners[name]
            if round_number and isinstance(runner, FreshNodeRunner):
                runner.new_round()
            for operation, call in (("add_data", runner.add), ("predict", runner.predict)):
                indices = sample_indices(operation, cursor[name, operation], settings.ops_per_round, pool)
                finish = getattr(runner, "finish", None) if operation == "add_data" else None
                speed, done = rate(call, indices, settings.seconds, finish)
                cursor[name, operation] += done
                if round_number:
                    rates[name, operation].append(speed)
        log(f"  round {round_number}{'' if round_number else ' (warm-up)'} done")
    return rates


# -- rows, ratios and targets ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A bound a figure should meet: ``value >= bound``, or ``value < bound`` with ``below``."""

    bound: float
    below: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the bound."""
        return value < self.bound if self.below else value >= self.bound

    def __str__(self) -> str:
        return f"{'<' if self.below else '>='} {self.bound:,g}"


@dataclass(frozen=True)
class Row:
    """One printed figure.

    Attributes
    ----------
    kind : str
        ``"ratio"``, ``"throughput"`` or ``"imdb"``.
    name : str
        What was measured (``"add_data revm / titanoboa"``).
    value : float or None
        The median, or None when an engine was skipped.
    unit : str
        ``"tx/s"``, ``"calls/s"``, ``"x"``, ``"s"``, ...
    runs : tuple of float
        Every timed repeat.
    target : Target or None
        The issue's target for this figure, if any.
    note : str
        Why the value is missing, or what it covers.
    """

    kind: str
    name: str
    value: float | None
    unit: str
    runs: tuple[float, ...] = ()
    target: Target | None = None
    note: str = ""

    @property
    def holds(self) -> bool | None:
        """Whether the target holds (None without a target or a value)."""
        return None if self.target is None or self.value is None else self.target.holds(self.value)

    def to_dict(self) -> dict[str, Any]:
        """The row for ``--json``."""
        return {
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "runs": list(self.runs),
            "target": None if self.target is None else str(self.target),
            "holds": self.holds,
            "note": self.note,
        }


RATIOS: tuple[tuple[str, str, str, Target | None], ...] = (
    ("add_data", "revm", "titanoboa", Target(10)),
    ("add_data", "revm", "py-evm", None),
    ("add_data", "revm", "anvil", None),
    ("add_data", "revm-file", "revm", None),
    ("add_data", "revm-client", "revm", None),
    ("add_data", "anvil-pipelined", "anvil", None),
    ("add_data", "anvil-pipelined-fresh", "anvil-fresh", None),
    ("predict", "revm", "titanoboa", None),
    ("predict", "revm", "py-evm", None),
    ("predict", "revm", "anvil", None),
)
"""(operation, numerator engine, denominator engine, target) of each headline ratio."""
RATE_TARGETS = {
    ("revm", "add_data"): Target(2_000),
    ("revm", "predict"): Target(5_000),
    ("anvil-pipelined", "add_data"): Target(300),
    ("anvil-pipelined-fresh", "add_data"): Target(300),
}
IMDB_TARGET = Target(5, below=True)
"""25,000 IMDB predictions through ``predict_many`` on revm, in seconds."""


def throughput_rows(rates: dict[tuple[str, str], list[float]], skipped: dict[str, str]) -> list[Row]:
    """One row per engine and operation: the median rate of the timed rounds."""
    rows = []
    for operation, unit in OPERATIONS.items():
        for engine in ENGINES:
            runs = rates.get((engine, operation))
            if runs is None and engine not in skipped:
                continue
            value = statistics.median(runs) if runs else None
            target = RATE_TARGETS.get((engine, operation))
            note = skipped.get(engine, NOTES.get(engine, ""))
            rows.append(Row("throughput", f"{operation} {engine}", value, unit, tuple(runs or ()), target, note))
    return rows


def ratio_rows(rates: dict[tuple[str, str], list[float]]) -> list[Row]:
    """The headline ratios between engines' medians (None when either engine was not run)."""
    rows = []
    for operation, top, bottom, target in RATIOS:
        a, b = rates.get((top, operation)), rates.get((bottom, operation))
        value = statistics.median(a) / statistics.median(b) if a and b else None
        note = "" if value is not None else "not measured"
        rows.append(Row("ratio", f"{operation} {top} / {bottom}", value, "x", (), target, note))
    return rows


# -- IMDB through predict_many ----------------------------------------------------------------


def timed(function: Callable[[], Any], repeats: int) -> tuple[Any, list[float]]:
    """The result of ``function()`` and the seconds each of ``repeats`` calls took."""
    seconds, result = [], None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return result, seconds


def imdb_rows(archive: Path, settings: Settings) -> list[Row]:
    """Encode the IMDB test split and predict it with ``predict_many`` on revm, checked against the mirror."""
    if not archive.is_file():
        log(f"IMDB: skipped, {archive} not found (pass --imdb PATH)")
        return [Row("imdb", "predict_many 25,000 reviews", None, "s", target=IMDB_TARGET, note=f"{archive} not found")]
    log(f"IMDB: reading {archive}")
    texts, labels = read_imdb(archive, "test")
    encoder = VocabularyEncoder.imdb()
    samples, encode_runs = timed(lambda: [encoder.encode(text) for text in texts], settings.imdb_repeats)
    mirror = imdb_perceptron()
    with embedded_chain(engine="revm") as chain:
        model = SharedModel.deploy(chain, mirror, mechanism=INCENTIVE)
        predictions, predict_runs = timed(lambda: model.predict_many(samples), settings.imdb_repeats)
    expected = [int(p) for p in mirror.predict(samples)]
    if predictions != expected:
        wrong = sum(p != e for p, e in zip(predictions, expected, strict=True))
        raise SystemExit(f"IMDB: {wrong} of {len(samples):,} on-chain predictions differ from the mirror's")
    accuracy = sum(p == y for p, y in zip(predictions, labels, strict=True)) / len(labels)
    count = f"{len(texts):,} reviews"
    both = [e + p for e, p in zip(encode_runs, predict_runs, strict=True)]
    return [
        Row("imdb", f"encode {count}", statistics.median(encode_runs), "s", tuple(encode_runs)),
        Row("imdb", f"predict_many {count}", statistics.median(predict_runs), "s", tuple(predict_runs), IMDB_TARGET),
        Row("imdb", f"encode + predict_many {count}", statistics.median(both), "s", tuple(both)),
        Row("imdb", "accuracy (predictions equal the mirror's)", accuracy, "", note="the reference's model file"),
    ]


# -- output ------------------------------------------------------------------------------------


def shown(row: Row) -> str:
    """The value as printed: thousands separators for rates, a ratio with an ``x``."""
    if row.value is None:
        return "-"
    if row.unit == "x":
        return f"{row.value:,.2f}x"
    if row.unit == "s":
        return f"{row.value:.2f} s"
    if not row.unit:
        return f"{row.value:.2%}"
    return f"{row.value:,.0f} {row.unit}"


def verdict(row: Row) -> str:
    """``target  holds`` / ``target  DOES NOT HOLD``, or nothing without a target."""
    if row.target is None:
        return ""
    state = {True: "holds", False: "DOES NOT HOLD", None: "not measured"}[row.holds]
    return f"target {row.target} {'' if row.unit == 'x' else row.unit}".rstrip() + f"  {state}"


def print_rows(title: str, rows: list[Row]) -> None:
    """A titled table: name, value, spread of the runs, target and verdict, note."""
    print(f"\n{title}")
    for row in rows:
        spread = f"[{min(row.runs):,.4g} .. {max(row.runs):,.4g}]" if len(row.runs) > 1 else ""
        print(f"  {row.name:<44} {shown(row):>16} {spread:>24}  {verdict(row)}  {row.note}".rstrip())


def print_report(rows: list[Row], settings: Settings, pool: int) -> None:
    """Ratios first (the headline), then the rates, then IMDB, then the targets together."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"sumchain engine throughput: {settings.repeats} timed rounds (median) of {settings.seconds:g} s per engine "
        f"and operation, after one warm-up round; {pool:,} precomputed samples; {os.cpu_count()} CPUs, "
        f"load average {load}"
    )
    for kind, title in (
        ("ratio", "Ratios (medians, measured side by side)"),
        ("throughput", "Throughput (median [min .. max] of the timed rounds)"),
        ("imdb", "IMDB test split through SharedModel.predict_many (revm; median of the passes)"),
    ):
        print_rows(title, [row for row in rows if row.kind == kind])
    print_rows("Targets", [row for row in rows if row.target is not None])


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = f"{QUICK.repeats} rounds of {QUICK.seconds:g} s, one IMDB pass"
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--json", action="store_true", help="print only a JSON list of the rows")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, from {', '.join(ENGINES)}")
    parser.add_argument("--repeats", type=int, help="timed rounds (default 5, quick 3)")
    parser.add_argument("--seconds", type=float, help="seconds per engine and operation in a round (default 2)")
    parser.add_argument("--imdb", type=Path, default=IMDB_ARCHIVE, help="aclImdb_v1_labeled.tar.gz")
    parser.add_argument("--anvil", help="the anvil binary (default: $ANVIL_BIN, node_modules, PATH)")
    args = parser.parse_args(argv)
    unknown = set(args.engines.split(",")) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {', '.join(sorted(unknown))}; known ones are {', '.join(ENGINES)}")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    """``--quick`` or the full settings, with ``--repeats`` and ``--seconds`` applied."""
    base = QUICK if args.quick else Settings()
    return Settings(
        repeats=args.repeats or base.repeats,
        seconds=args.seconds or base.seconds,
        imdb_repeats=base.imdb_repeats,
    )


@dataclass
class Engines:
    """The runners that could be opened, and why the others were skipped."""

    runners: dict[str, Runner] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def open_engines(names: Sequence[str], work: Workload, stack: contextlib.ExitStack, anvil: str | None) -> Engines:
    """Open and check each engine, in order."""
    engines = Engines()
    for name in names:
        log(f"deploying on {name}")
        runner = open_runner(name, work, stack, anvil=anvil)
        if isinstance(runner, str):
            log(f"  skipped: {runner}")
            engines.skipped[name] = f"skipped: {runner}"
            continue
        check_runner(name, runner, work)
        engines.runners[name] = runner
    return engines


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the report (or the JSON rows)."""
    args = parse_args(argv)
    settings = settings_from(args)
    pool = (settings.repeats + 1) * settings.ops_per_round
    log(f"building {pool:,} samples and their calldata")
    work = make_workload(pool)
    with contextlib.ExitStack() as stack:
        chosen = args.engines.split(",")  # a node engine brings its fresh-node twin
        engines = open_engines(
            [n for n in ENGINES if n.removesuffix(FRESH) in chosen or n in chosen], work, stack, args.anvil
        )
        if not engines.runners:
            raise SystemExit("no engine could be opened")
        log(f"measuring {', '.join(engines.runners)}")
        rates = measure(engines.runners, pool, settings)
    rows = ratio_rows(rates) + throughput_rows(rates, engines.skipped) + imdb_rows(args.imdb, settings)
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=1))
    else:
        print_report(rows, settings, pool)


if __name__ == "__main__":
    main()
