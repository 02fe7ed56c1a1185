"""Sweeps: one scenario over a grid of bad-data fractions, deposit weights, mechanisms and
models, run in parallel; where each mechanism stops protecting the model's accuracy.

The sweep's scenario names one honest agent and one attacker (any strategy that attacks,
e.g. a ``flood`` from several accounts). For each point of the grid the attacker's turns
are spaced so that it would send ``fraction`` of the contributions (its ``wait_mean`` is the
honest agent's times ``(1 - fraction) / fraction``; at 0 it is left out), the mechanism's
deposit weight is set (Deposit, Refund and Take's ``cost_weight``, the market's ``stake``;
Points has no deposit, so it runs at one weight; the market's test set is :data:`MARKET`),
and the model type. The attacker's budget stays the scenario's:
a mechanism protects the model when the attacker runs out of money (or its data is
refused) before it moves the accuracy.

A point *protects* the model when its final accuracy is within :data:`TOLERANCE` of the
same mechanism, model and weight without the attacker (fraction 0).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumchain.errors import SumchainError
from sumchain.sim.data import SimData, load_data
from sumchain.sim.mechanism import MECHANISMS, mechanism_for
from sumchain.sim.runner import accuracy_on_test, baseline_model, scored_data, simulate
from sumchain.sim.scenario import MAX_COINS, AgentSpec, ModelSpec, Scenario, ScenarioError
from sumchain.sim.strategies import STRATEGIES

TOLERANCE = 0.03
"""Accuracy (as a fraction) a point may lose against the same grid cell without an attacker and
still count as protected: the issue's 3 points."""
WEIGHT_KEYS = {"deposit-refund-take": "cost_weight", "prediction-market": "stake"}
"""The ``[mechanism]`` key each mechanism's deposit weight sets (coins); one without (Points) runs
at the first weight only."""
MARKET = {"test_size": 128, "pieces": 4}
"""The prediction market's test set in a sweep (at most half of the dataset's test samples; the
accuracy is measured on the others): its evaluation on chain scores every contribution on every
revealed test sample, so it is kept small. Contributions close a day before the end."""
FORMAT = "sumchain-sweep/1"


@dataclass(frozen=True)
class Point:
    """One cell of the grid."""

    mechanism: str
    model: str
    weight: float
    fraction: float


@dataclass(frozen=True)
class Outcome:
    """What one point's run gave.

    Attributes
    ----------
    point : Point
        The cell.
    accuracy : float
        Test accuracy at the end of the run.
    lowest : float
        Lowest test accuracy recorded during the run.
    honest, attacker : float
        End balances, % of their start (the attacker's is 100 at fraction 0).
    bad_share : float
        Part of the accepted contributions that the attacker sent.
    contributions : int
        Contributions accepted.
    seconds : float
        Wall time of the run.
    """

    point: Point
    accuracy: float
    lowest: float
    honest: float
    attacker: float
    bad_share: float
    contributions: int
    seconds: float


def point_scenario(base: Scenario, point: Point, test_samples: int | None = None) -> Scenario:
    """The sweep's scenario at one cell of the grid (see the module's description).

    Parameters
    ----------
    base : Scenario
        The sweep's scenario: one honest agent and one attacker (and maybe an owner).
    point : Point
        The cell: mechanism, model, weight and bad-data fraction.
    test_samples : int, optional
        The dataset's test samples, when known: a market holds at most half of them (:data:`MARKET`'s
        otherwise), and the accuracy is measured on the others.

    Raises
    ------
    ScenarioError
        When ``base`` does not have exactly one honest agent and one attacker, or the
        fraction is not in ``[0, 1)``.
    """
    honest, attacker = roles(base)
    _check_fraction(point.fraction)
    agents = tuple(a for a in base.agents if a is not attacker)
    if point.fraction > 0:
        wait = honest.wait_mean * (1 - point.fraction) / point.fraction
        agents += (dataclasses.replace(attacker, wait_mean=max(wait, 1.0), wait_sd=min(attacker.wait_sd, wait / 10)),)
    settings: dict[str, Any] = {"kind": point.mechanism}
    if point.mechanism in WEIGHT_KEYS:
        settings[WEIGHT_KEYS[point.mechanism]] = point.weight
    if point.mechanism == "prediction-market":
        settings |= {**MARKET, "contribution_days": max(base.days - 1, base.days / 2)}
        if test_samples is not None:
            settings["test_size"] = min(MARKET["test_size"], test_samples // 2)
    mechanism = dataclasses.replace(base.mechanism, **settings)
    return dataclasses.replace(
        base,
        name=f"{base.name}-{point.mechanism}-{point.model.replace(' ', '-')}-w{point.weight:g}-f{point.fraction:g}",
        agents=agents,
        mechanism=mechanism,
        model=dataclasses.replace(base.model, type=point.model),
        baseline=None,  # the base's is of another model, or of another test set
    )


def _check_fraction(fraction: float) -> None:
    if not 0 <= fraction < 1:
        raise ScenarioError(f"a bad-data fraction must be in [0, 1), got {fraction:g}")


def roles(base: Scenario) -> tuple[AgentSpec, AgentSpec]:
    """The base's honest agent and attacker (the model's owner, if an agent, stays as it is).

    Raises
    ------
    ScenarioError
        When ``base`` does not have exactly one honest agent and one attacker.
    """
    honest = [a for a in base.agents if not STRATEGIES[a.strategy].attacks and a.strategy != "owner"]
    attackers = [a for a in base.agents if STRATEGIES[a.strategy].attacks]
    if len(honest) != 1 or len(attackers) != 1:
        raise ScenarioError(f"{base.name}: a sweep's scenario has one honest agent and one attacker (and an owner)")
    return honest[0], attackers[0]


def point_scenarios(base: Scenario, points: Sequence[Point]) -> list[Scenario]:
    """The scenario of each point (:func:`point_scenario`), its mechanism's parameters checked: a weight
    the mechanism refuses (a market's stake below its least) is one error before any data loads.

    Raises
    ------
    ScenarioError
        Naming the mechanism and the weight refused.
    """
    scenarios = []
    for point in points:
        scenario = point_scenario(base, point)
        try:
            mechanism_for(scenario.mechanism)
        except ScenarioError as exc:
            raise ScenarioError(f"{point.mechanism} at weight {point.weight:g}: {exc}") from None
        scenarios.append(scenario)
    return scenarios


def grid(
    mechanisms: Sequence[str], models: Sequence[str], weights: Sequence[float], fractions: Sequence[float]
) -> list[Point]:
    """Every cell, fraction 0 included (the reference of each line); weightless mechanisms
    at the first weight only.

    Parameters
    ----------
    mechanisms, models : sequence of str
        Mechanism kinds (:data:`~sumchain.sim.mechanism.MECHANISMS`) and model types.
    weights : sequence of float
        Deposit weights in coins (Deposit, Refund and Take's ``cost_weight``, the market's ``stake``).
    fractions : sequence of float
        Shares of the contributions the attacker would send, in ``[0, 1)``.

    Raises
    ------
    ScenarioError
        For an unknown mechanism or model, a fraction outside ``[0, 1)``, a weight outside
        ``[0, MAX_COINS]``, or an empty list.
    """
    for mechanism in mechanisms:
        if mechanism not in MECHANISMS:
            raise ScenarioError(f"unknown mechanism {mechanism!r} (known: {', '.join(MECHANISMS)})")
    for model in models:
        if model not in ModelSpec.TYPES:
            raise ScenarioError(f"unknown model {model!r} (known: {', '.join(ModelSpec.TYPES)})")
    if not (mechanisms and models and weights and fractions):
        raise ScenarioError("a sweep needs at least one mechanism, model, weight and fraction")
    for fraction in fractions:
        _check_fraction(fraction)
    for weight in weights:
        if not 0 <= weight <= MAX_COINS:  # the scenario's own bound on an amount (nan fails it too)
            raise ScenarioError(f"a deposit weight must be a number of coins from 0 to {MAX_COINS:,}, got {weight:g}")
    cells = sorted({0.0, *fractions})
    return [
        Point(mechanism, model, weight, fraction)
        for mechanism in mechanisms
        for model in models
        for weight in (weights if mechanism in WEIGHT_KEYS else weights[:1])
        for fraction in cells
    ]


_DATA: dict[bool, SimData] = {}
"""The sweep's data in a worker process, for sparse and dense models (sent once, when the worker starts)."""


def _start_worker(data: dict[bool, SimData]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the sweep
    _DATA.update(data)


def _run_point(scenario: Scenario, point: Point) -> Outcome:
    started = time.perf_counter()
    run = simulate(scenario, data=_DATA[scenario.model.dense])
    seconds = time.perf_counter() - started
    honest = next(a for a in run.agents if not a.attacks and a.strategy != "owner")
    attacker = next((a for a in run.agents if a.attacks), None)
    return Outcome(
        point=point,
        accuracy=run.accuracy[-1],
        lowest=min(run.accuracy),
        honest=honest.balance[-1],
        attacker=attacker.balance[-1] if attacker else 100.0,
        bad_share=(attacker.added / run.contributions) if attacker and run.contributions else 0.0,
        contributions=run.contributions,
        seconds=seconds,
    )


def sweep(
    base: Scenario,
    points: Sequence[Point],
    *,
    data: SimData | None = None,
    jobs: int | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run every point of the grid, ``jobs`` at a time in separate processes.

    Parameters
    ----------
    base : Scenario
        The sweep's scenario: one honest agent and one attacker.
    points : sequence of Point
        The grid (:func:`grid`).
    data : SimData, optional
        The dataset already loaded (by default the scenario's, loaded once and sent to each worker);
        the grid's models of the other kind (dense or sparse) get it loaded for them.
    jobs : int, optional
        Processes at once (default: the machine's cores).
    on_done : callable, optional
        Called with each outcome as it comes (in the order they finish).

    Returns
    -------
    list of Outcome
        In the order of ``points``. Every run is reproducible alone: it is the scenario of
        :func:`point_scenario` (given the dataset's number of test samples) with the base's seed.
    """
    point_scenarios(base, points)  # every point's parameters, before the data loads
    models = {model: dataclasses.replace(base.model, type=model) for model in {p.model for p in points}}
    loaded = {
        dense: data if data is not None and data.dense == dense else load_data(base.dataset, base.seed, dense=dense)
        for dense in {spec.dense for spec in models.values()}
    }
    fitted = {model: baseline_model(spec, loaded[spec.dense], base.seed) for model, spec in models.items()}
    baselines: dict[tuple[str, str], float] = {}  # by model and mechanism: a market holds some test samples
    scenarios = []
    for point in points:
        point_data = loaded[models[point.model].dense]
        scenario = point_scenario(base, point, test_samples=len(point_data.test))
        if (key := (point.model, point.mechanism)) not in baselines:
            baselines[key] = accuracy_on_test(fitted[point.model], scored_data(scenario, point_data))
        scenarios.append(dataclasses.replace(scenario, baseline=baselines[key]))
    outcomes: dict[Point, Outcome] = {}
    with ProcessPoolExecutor(
        max_workers=jobs or os.cpu_count() or 1, initializer=_start_worker, initargs=(loaded,)
    ) as pool:
        futures = [pool.submit(_run_point, scenario, point) for scenario, point in zip(scenarios, points, strict=True)]
        try:
            for future in futures:
                outcome = future.result()
                outcomes[outcome.point] = outcome
                if on_done:
                    on_done(outcome)
        except BaseException:  # Ctrl-C or a failed run: the runs not started never start
            pool.shutdown(cancel_futures=True)
            raise
    return [outcomes[p] for p in points]


def protected(outcomes: Sequence[Outcome]) -> dict[Point, bool]:
    """Whether each point kept its accuracy within :data:`TOLERANCE` of its line's fraction 0."""
    reference = _without_attacker(outcomes)
    return {o.point: o.accuracy >= reference.get(_line(o.point), 0.0) - TOLERANCE for o in outcomes}


def _without_attacker(outcomes: Sequence[Outcome]) -> dict[tuple[str, str, float], float]:
    """Each line's final accuracy at fraction 0."""
    return {_line(o.point): o.accuracy for o in outcomes if o.point.fraction == 0}


def _line(point: Point) -> tuple[str, str, float]:
    return point.mechanism, point.model, point.weight


def breaking_points(outcomes: Sequence[Outcome]) -> dict[tuple[str, str, float], float | None]:
    """Per line (mechanism, model, weight): the smallest bad-data fraction at which the model
    is no longer protected, or None when it is at every fraction swept."""
    kept = protected(outcomes)
    lines: dict[tuple[str, str, float], float | None] = {}
    for outcome in sorted(outcomes, key=lambda o: o.point.fraction):
        line = _line(outcome.point)
        lines.setdefault(line, None)
        if lines[line] is None and not kept[outcome.point]:
            lines[line] = outcome.point.fraction
    return lines


def to_json(base: Scenario, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The sweep as JSON values: the base scenario, the tolerance and every outcome."""
    return {
        "format": FORMAT,
        "scenario": base.to_json(),
        "tolerance": TOLERANCE,
        "outcomes": [dataclasses.asdict(o) for o in outcomes],
    }


def load_outcomes(path: str | Path) -> list[Outcome]:
    """The outcomes of a sweep saved by ``sumchain simulate sweep`` (:func:`dumps`).

    Raises
    ------
    SumchainError
        When the file is missing or not a saved sweep.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        return [Outcome(**{**o, "point": Point(**o["point"])}) for o in data["outcomes"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SumchainError(f"{path} is not a saved sweep: {exc}") from None


def dumps(base: Scenario, outcomes: Sequence[Outcome]) -> bytes:
    """The sweep's JSON, as ``sumchain simulate sweep`` writes it."""
    return (json.dumps(to_json(base, outcomes), indent=1) + "\n").encode()


def table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table: per line of the grid, up to which bad-data fraction the model is
    protected, and the accuracy and balances at the largest fraction swept."""
    lines = breaking_points(outcomes)
    last = {}
    for outcome in sorted(outcomes, key=lambda o: o.point.fraction):
        last[_line(outcome.point)] = outcome
    rows = [
        "| mechanism | model | deposit weight | protects up to | stops protecting at | "
        "at the largest fraction: accuracy (no attacker) | honest | attacker |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    reference = _without_attacker(outcomes)
    fractions = sorted({o.point.fraction for o in outcomes})
    for line, broken in lines.items():
        mechanism, model, weight = line
        held = [f for f in fractions if broken is None or f < broken]
        end = last[line]
        rows.append(
            f"| {mechanism} | {model} | {f'{weight:g}' if mechanism in WEIGHT_KEYS else '-'} | "
            f"{max(held):.0%} | {'-' if broken is None else f'{broken:.0%}'} | "
            f"{end.accuracy:.1%} ({reference[line]:.1%}) | {end.honest:.0f}% | {end.attacker:.0f}% |"
        )
    return "\n".join(rows) + "\n"
