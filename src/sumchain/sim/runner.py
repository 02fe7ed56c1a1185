"""The simulation loop: agents take turns in simulated time and act on the real contracts.

As in the reference simulator, each agent's turns come a normally distributed wait
apart; on its turn an agent may contribute the next sample of the shared data stream
(with a deposit it is willing to pay, refused by the contract when it is short), then
claims what the mechanism lets it claim; a mechanism whose contributions close (the prediction
market) finishes once, when they do. Agents decide what to claim with a Python
mirror of the model that learns every accepted contribution as the contract does
(bit-exact); the contract checks every claim again, and at every record the mirror is
compared word for word with the model on chain. Every few simulated hours (``record_every``)
the runner reads the model's state from the chain and records its accuracy on the
test set, and each agent's balance. The same scenario and seed give the same run,
to the last wei.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from sumchain.chain.base import Chain
from sumchain.chain.embedded import EmbeddedChain
from sumchain.errors import ContractReverted, ModelOverflow, SumchainError
from sumchain.metadata import ModelMetadata
from sumchain.models import (
    SCALE,
    DensePerceptron,
    NaiveBayes,
    NearestCentroid,
    OnChainModel,
    SparseNearestCentroid,
    SparsePerceptron,
)
from sumchain.models.samples import SMALL_BATCH, CheckedSparse
from sumchain.sim.data import SimData, load_data
from sumchain.sim.mechanism import Claims, Entry, mechanism_for
from sumchain.sim.record import AgentRecord, Run
from sumchain.sim.scenario import COIN, AgentSpec, ModelSpec, Scenario
from sumchain.sim.strategies import STRATEGIES, Strategy

GENESIS_TIME = 1_700_000_000
"""Start of every simulated chain, so that runs do not depend on the wall clock."""


@dataclass
class Progress:
    """What a progress display shows: simulated day, transactions sent, contributions added."""

    day: float
    days: float
    transactions: int
    contributions: int


@dataclass
class _Agent:
    spec: AgentSpec
    strategy: Strategy
    accounts: list[str]
    rng: random.Random
    record: AgentRecord
    start_wei: int = 0

    def draw_wait(self) -> int:
        """Seconds to its next turn (normal, at least 1 s)."""
        while True:
            wait = int(self.rng.normalvariate(self.spec.wait_mean, self.spec.wait_sd))
            if wait >= 1:
                return wait

    def draw_deposit(self) -> int:
        """Wei it is willing to deposit on this contribution (normal, positive)."""
        while True:
            coins = self.rng.normalvariate(self.spec.deposit_mean, self.spec.deposit_sd)
            if coins > 0:
                return int(coins * COIN)


def make_mirror(spec: ModelSpec, data: SimData, seed: int = 0) -> OnChainModel:
    """The owner's model, trained off-chain on the initial data (what is deployed).

    Parameters
    ----------
    spec : ModelSpec
        The scenario's ``[model]``.
    data : SimData
        The run's data (dense for a dense model); the model learns ``data.initial``.
    seed : int
        Order of the perceptron's passes when it shuffles them.

    Raises
    ------
    SumchainError
        For a perceptron on a dataset that does not have two classes, a nearest centroid whose
        initial data lacks a class, data of the wrong kind, a parameter out of its range, or numbers
        too wide for the chain (a learning rate so large that the weights outgrow 64 bits).
    """
    if data.dense != spec.dense:
        kind = "vectors of values" if spec.dense else "feature indices"
        raise SumchainError(f"the {spec.type} takes {kind}: load the data with dense={spec.dense}")
    x = [s for s, _ in data.initial]
    y = [label for _, label in data.initial]
    model: SparsePerceptron | DensePerceptron | NaiveBayes | NearestCentroid | SparseNearestCentroid
    if spec.perceptron:
        if data.n_classes != 2:
            raise SumchainError(
                f"the {spec.type} has two classes, the dataset {data.n_classes}: use naive bayes or a nearest centroid"
            )
        model = (DensePerceptron if spec.dense else SparsePerceptron)(
            n_features=data.n_features,
            learning_rate=round(spec.learning_rate * SCALE),
            decay=spec.decay or None,
            max_iter=spec.max_iter,
            tol=spec.tol or None,
            shuffle=spec.shuffle,
            random_state=seed,
        )
    elif spec.type == "naive bayes":
        model = NaiveBayes(n_features=data.n_features, n_classes=data.n_classes)
    else:
        missing = sorted(set(range(data.n_classes)) - set(y))
        if missing:
            raise SumchainError(
                f"the initial data has no sample of class {data.class_names[missing[0]]!r}, so the {spec.type} "
                "could never predict it: raise [dataset] initial_fraction"
            )
        model = (NearestCentroid if spec.dense else SparseNearestCentroid)(n_features=data.n_features)
    try:
        fitted = model.fit(x, y)
        fitted.model_params()  # as deployed: numbers too wide for the chain are refused now, not mid-run
        return fitted
    except ModelOverflow as exc:  # a learning rate so large that the weights outgrow their 64 bits, say
        raise SumchainError(f"[model] {exc}: the model cannot go on chain") from None
    except SumchainError:
        raise
    except ValueError as exc:  # a parameter out of the model's range
        raise SumchainError(f"[model] {exc}") from None


def baseline_accuracy(spec: ModelSpec, data: SimData, seed: int = 0) -> float:
    """Test accuracy of the same model trained off-chain, the same way, on all the training data.

    Parameters
    ----------
    spec : ModelSpec
        The scenario's ``[model]``.
    data : SimData
        The run's data: the model learns ``data.initial`` and ``data.stream`` and is scored on ``data.test``.
    seed : int
        As :func:`make_mirror`'s.
    """
    return accuracy_on_test(baseline_model(spec, data, seed), data)


def baseline_model(spec: ModelSpec, data: SimData, seed: int = 0) -> OnChainModel:
    """The model of :func:`baseline_accuracy`: ``spec``'s, fitted off-chain on ``data.initial`` and ``data.stream``."""
    return make_mirror(spec, dataclasses.replace(data, initial=data.initial + data.stream, stream=[]), seed)


def accuracy_on_test(model: OnChainModel, data: SimData) -> float:
    """``model``'s accuracy on ``data.test``."""
    return float(model.score([s for s, _ in data.test], [label for _, label in data.test]))


def scenario_baseline(scenario: Scenario, data: SimData, seed: int) -> float:
    """The all-data baseline of a run.

    Parameters
    ----------
    scenario : Scenario
        Its ``baseline`` when it gives one, else :func:`baseline_accuracy` of its model, on the test
        samples the run measures its accuracy on (:func:`scored_data`).
    data : SimData
        The run's data.
    seed : int
        The run's seed.
    """
    if scenario.baseline is not None:
        return scenario.baseline
    return baseline_accuracy(scenario.model, scored_data(scenario, data), seed)


def scored_data(scenario: Scenario, data: SimData) -> SimData:
    """``data`` with only the test samples a run of ``scenario`` measures its accuracy on: a prediction
    market holds some of them (:meth:`~sumchain.sim.mechanism.Mechanism.scored`)."""
    return dataclasses.replace(data, test=mechanism_for(scenario.mechanism).scored(data.test))


def _fund(chain: Chain, agents: list[_Agent], bank: str) -> None:
    """Bring each account down to its share of its agent's start balance (the rest goes to ``bank``)."""
    for agent in agents:
        share = int(agent.spec.start_balance * COIN) // len(agent.accounts)
        for account in agent.accounts:
            excess = chain.balance(account) - share
            if excess > 0:
                chain.transact(bank, b"", sender=account, value=excess)
        agent.start_wei = share * len(agent.accounts)


def _book(agent: _Agent, claims: Claims, run: Run) -> None:
    """Count what the agent's claims did in its record and the run's."""
    agent.record.refunds += claims.refunds
    agent.record.reports += claims.reports
    agent.record.refunded += claims.refunded
    agent.record.taken += claims.taken
    run.reverted += claims.reverted
    run.transactions += claims.refunds + claims.reports


def account_funding(scenario: Scenario) -> tuple[int, int]:
    """The accounts a run of ``scenario`` needs, and the wei each starts with.

    Parameters
    ----------
    scenario : Scenario
        Its agents, and its mechanism (a prediction market's bounty).

    Returns
    -------
    accounts : int
        The bank's account and each agent's.
    wei : int
        What each account starts with: enough for the largest share of an agent's start
        balance and for the market's bounty.
    """
    largest = max(int(a.start_balance * COIN) // a.accounts for a in scenario.agents)
    bounty = int(Fraction(scenario.mechanism.bounty) * COIN) if scenario.mechanism.kind == "prediction-market" else 0
    return 1 + sum(a.accounts for a in scenario.agents), max(largest, bounty, 1)


def new_chain(scenario: Scenario) -> EmbeddedChain:
    """A fresh in-memory chain for ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Its agents' accounts, and a bank account (the model's owner unless an agent is, and so
        the prediction market's provider), each funded enough for its share
        (:func:`account_funding`).

    Returns
    -------
    EmbeddedChain
        The chain, at :data:`GENESIS_TIME`; :func:`simulate` takes it to read its events afterwards.
    """
    n_accounts, balance = account_funding(scenario)
    return EmbeddedChain(accounts=n_accounts, balance=balance, genesis_time=GENESIS_TIME)


def simulate(
    scenario: Scenario,
    *,
    chain: Chain | None = None,
    seed: int | None = None,
    days: float | None = None,
    data: SimData | None = None,
    baseline: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Run:
    """Run a scenario on a fresh in-memory embedded chain, or on a dev node.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    seed : int, optional
        Seed of every random draw (the scenario's by default).
    days : float, optional
        Simulated days (the scenario's by default); the run also ends once the data
        stream is used up and no contribution is left open, or once no agent has anything
        left to do (no coins, nothing to claim). Its last record is at its end.
    chain : Chain, optional
        A fresh chain from :func:`new_chain` (to read its events afterwards), or a dev node
        made ready by :func:`sumchain.sim.node.on_node`; by default a fresh in-memory chain
        that is dropped after the run.
    data : SimData, optional
        The dataset already loaded (by default :func:`load_data` of the scenario's, dense for a dense model).
    baseline : float, optional
        The all-data baseline already computed (by default :func:`scenario_baseline`).
    on_progress : callable, optional
        Called with a :class:`Progress` after every agent turn, for display.

    Returns
    -------
    Run
        Accuracy and balances over time, counts per agent; :meth:`Run.to_json` saves it.

    Raises
    ------
    ValueError
        For a ``baseline`` outside ``[0, 1]``.
    SumchainError
        For data or a model the run cannot use (see :func:`load_data` and :func:`make_mirror`), or a
        chain that signs for fewer accounts than the scenario needs.

    Examples
    --------
    >>> from sumchain.sim.scenario import load_scenario
    >>> run = simulate(load_scenario("smoke"), days=2)
    >>> run.times[0], len(run.agents)
    (0.0, 2)
    """
    seed = scenario.seed if seed is None else seed
    days = scenario.days if days is None else days
    data = data or load_data(scenario.dataset, seed, dense=scenario.model.dense)
    if baseline is None:
        baseline = scenario_baseline(scenario, data, seed)
    elif not 0 <= baseline <= 1:
        raise ValueError(f"baseline must be an accuracy in [0, 1], got {baseline}")
    rng = random.Random(seed)
    chain = chain or new_chain(scenario)
    addresses = chain.accounts
    needed = account_funding(scenario)[0]
    if len(addresses) < needed:
        raise SumchainError(
            f"the chain signs for {len(addresses)} accounts, the scenario needs {needed}: "
            "give a chain from new_chain or on_node"
        )
    bank, next_account = addresses[0], 1
    agents = []
    for spec in scenario.agents:
        strategy = STRATEGIES[spec.strategy](
            accounts=spec.accounts, mislabel=spec.mislabel, farm_samples=spec.farm_samples
        )
        accounts = addresses[next_account : next_account + spec.accounts]
        next_account += spec.accounts
        kept = AgentRecord(spec.name, spec.strategy, strategy.attacks, list(accounts))
        agents.append(_Agent(spec, strategy, accounts, random.Random(rng.getrandbits(64)), kept))
    _fund(chain, agents, bank)
    owner = next((a.accounts[0] for a in agents if a.spec.strategy == "owner"), bank)

    mechanism = mechanism_for(scenario.mechanism)
    metadata = ModelMetadata(
        name=f"simulation: {scenario.name}"[:64],
        n_features=data.n_features,
        feature_kind="values" if data.dense else "indices",
        class_names=data.class_names,
    )
    model = mechanism.deploy(chain, make_mirror(scenario.model, data, seed), metadata, owner, data, seed)
    scored = mechanism.scored(data.test)
    test_samples = [s for s, _ in scored]  # sparse ones checked once, predicted every record
    x_test = test_samples if data.dense else CheckedSparse(test_samples, data.n_features)
    y_test = [label for _, label in scored]
    start = chain.time()
    end = start + round(days * 86_400)
    close = start + mechanism.period  # contributions close, and the mechanism finishes
    run = Run(scenario=scenario.to_json(), seed=seed, days=days, baseline=baseline, agents=[a.record for a in agents])

    local = model.mirror()  # what the agents predict with; kept equal to the chain's model
    rows: dict[tuple[int, ...], np.ndarray] = {}  # each contributed sample, checked once

    def predict(samples: list[tuple[int, ...]]) -> list[int]:
        if len(samples) < SMALL_BATCH or data.dense:
            return [int(p) for p in local.predict(samples)]
        for sample in samples:
            if sample not in rows:
                rows[sample] = CheckedSparse([sample], data.n_features).flat
        return [int(p) for p in local.predict(CheckedSparse.joined([rows[s] for s in samples], data.n_features))]

    def record(at: int) -> float:
        on_chain = model.mirror()
        if on_chain.to_words() != local.to_words():
            raise SumchainError(f"the model on chain left its mirror at day {(at - start) / 86_400:.2f}")
        accuracy = float(mechanism.result(on_chain).score(x_test, y_test))
        run.times.append((at - start) / 86_400)
        run.accuracy.append(accuracy)
        balances = iter(chain.balances([a for agent in agents for a in agent.accounts]))
        for agent in agents:
            held = sum(next(balances) for _ in agent.accounts)
            agent.record.balance.append(100 * held / agent.start_wei if agent.start_wei else 0.0)
            points = mechanism.points(model, agent.accounts)
            if points is not None:
                agent.record.points.append(points)
        return accuracy

    accuracy = record(start)
    turns: list[tuple[int, int]] = []
    for i in rng.sample(range(len(agents)), len(agents)):
        first = start + round(agents[i].spec.start_day * 86_400) + agents[i].draw_wait()
        heapq.heappush(turns, (first, i))
    entries: dict[int, Entry] = {}  # the open contributions, by id, in the order added
    next_sample, next_record = 0, start + round(scenario.record_every)

    def record_until(limit: float) -> None:
        """Every record due at ``limit`` or before."""
        nonlocal accuracy, next_record
        while next_record <= limit:
            accuracy = record(next_record)
            next_record += round(scenario.record_every)

    closed, reached_end = False, False
    while turns:
        at, i = heapq.heappop(turns)
        if not closed and close <= min(at, end):
            record_until(close - 1)
            if close > (now := chain.time()):
                chain.advance_time(round(close) - now)
            finished = mechanism.finish(model, [a.accounts for a in agents], list(entries.values()), local)
            for who, claims in zip(agents, finished, strict=True):
                _book(who, claims, run)
            entries, closed = {k: e for k, e in entries.items() if mechanism.open(e)}, True
        record_until(min(at, end))
        if at > end:
            reached_end = True
            break
        if next_sample >= len(data.stream) and not entries:
            break
        if at > (now := chain.time()):
            chain.advance_time(at - now)
        agent = agents[i]
        held = chain.balances(agent.accounts)
        adding = at < min(close, start + agent.spec.end_day * 86_400) and next_sample < len(data.stream)
        if adding and sum(held) > 0 and agent.strategy.wants_to_add(accuracy, agent.rng):
            sample, true_label = data.stream[next_sample]
            turn = agent.strategy.turn(sample, true_label, data.n_classes, agent.rng, dense=data.dense)
            wanted = agent.draw_deposit()
            sender = agent.strategy.account(held, wanted)
            account, value = agent.accounts[sender], min(wanted, held[sender])
            try:
                entry = mechanism.add(model, local, turn.sample, turn.label, account, agent.spec.name, value)
            except ContractReverted:
                run.refused += 1
                agent.record.refused += 1
            else:
                entries[id(entry)] = entry
                agent.strategy.accepted()
                next_sample += 1
                run.transactions += 1
                run.contributions += 1
                agent.record.added += 1
                agent.record.deposited += entry.claimable
        claims = mechanism.settle(model, agent.accounts, chain.time(), predict)
        _book(agent, claims, run)
        for entry in claims.closed:
            del entries[id(entry)]
        now = chain.time()
        if (
            sum(chain.balances(agent.accounts)) > 0
            or (agent.strategy.collects and entries)
            or any(e.author in agent.accounts for e in entries.values())  # it has some to claim back
        ):
            heapq.heappush(turns, (max(at, now) + agent.draw_wait(), i))
        if on_progress:
            on_progress(Progress((now - start) / 86_400, days, run.transactions, run.contributions))
    last = end if reached_end else min(chain.time(), end)  # its length, unless it stopped before it
    if last > start + run.times[-1] * 86_400:
        record(last)
    run.model = model.address
    run.open_deposits = len(entries)
    return run
