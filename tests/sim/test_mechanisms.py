"""Points and the prediction market in the simulator: each does what its rules say, as the chain's
state and events show, and runs are reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sumchain.client import SharedModel
from sumchain.errors import SumchainError
from sumchain.market import Market, rewards
from sumchain.models.samples import CheckedSparse
from sumchain.sim import load_run, load_scenario, parse_scenario, simulate
from sumchain.sim.data import SimData, load_data
from sumchain.sim.record import Run
from sumchain.sim.runner import GENESIS_TIME, new_chain
from sumchain.sim.scenario import COIN, MechanismSpec, Scenario, ScenarioError


def run_on_chain(scenario: Scenario, days: float) -> tuple[Run, SharedModel, SimData]:
    """The run of ``scenario``, its model (to read the chain), and its data."""
    data = load_data(scenario.dataset, scenario.seed)
    chain = new_chain(scenario)
    run = simulate(scenario, chain=chain, data=data, days=days)
    return run, SharedModel(chain, run.model), data


def agent(run: Run, name: str) -> Any:
    return next(a for a in run.agents if a.name == name)


def test_points_are_earned_by_validating_and_reporting_and_no_money_moves() -> None:
    run, model, _ = run_on_chain(load_scenario("smoke-points"), days=2.5)
    honest, flipper = agent(run, "honest"), agent(run, "flipper")
    contributions = model.contributions(everyone=True)
    own = {a.name: [c for c in contributions if c.author in a.accounts] for a in run.agents}
    assert len(own["honest"]) > 50 and len(own["flipper"]) > 15
    assert run.reverted == 0  # the agents' mirror predicted as the contract does: it accepted every claim
    assert all(b == 100.0 for a in run.agents for b in a.balance)  # gas is free, contributions cost nothing
    assert model.balance(model.address) == 0 and honest.deposited == flipper.deposited == 0
    # the honest agent validated its own samples, and reported flipped ones the model rejects
    validated = [c for c in own["honest"] if c.refunded]
    reported = [c for c in own["flipper"] if c.reported_by & set(honest.accounts)]
    assert honest.refunds == len(validated) > 20
    assert honest.reports == len(reported) > 0
    assert all(len(c.reported_by) <= 1 and not (c.refunded and c.reported_by) for c in contributions)
    # the points recorded are the contract's, one per validation and per report, and never fall
    for a in run.agents:
        assert len(a.points) == len(run.times)
        assert a.points == sorted(a.points)
        assert a.points[-1] == sum(model.points(x) for x in a.accounts) == a.refunds + a.reports
    assert honest.points[-1] > flipper.points[-1]
    standings = {s.account: s.score for s in model.standings()}
    assert standings[honest.accounts[0]] == honest.points[-1]


def test_the_market_pays_the_honest_agent_and_charges_the_flipper_to_the_wei() -> None:
    scenario = replace(load_scenario("smoke-market"), seed=3)  # the kept contributions make a better model than all
    run, model, data = run_on_chain(scenario, days=scenario.days)
    market = Market(model)
    honest, flipper = agent(run, "honest"), agent(run, "flipper")
    stake = market.parameters.stake
    assert stake == 10 * COIN and run.refused == 0 and honest.added > 40 and flipper.added > 10
    assert (honest.deposited, flipper.deposited) == (honest.added * stake, flipper.added * stake)
    # it ended after the contribution period: evaluated, settled, and everything withdrawn
    status = market.status()
    assert status["phase"] == "done" and status["num_contributions"] == honest.added + flipper.added
    assert status["ended_at"] - GENESIS_TIME < (scenario.mechanism.contribution_days + 0.1) * 86_400
    assert model.balance(market.address) == 0
    assert all(market.owed(x) == 0 for x in [model.owner, *honest.accounts, *flipper.accounts])
    # what each agent withdrew is what the market's accounting pays its contributions
    payout = rewards(
        market.scores(), stake=stake, bounty=int(scenario.mechanism.bounty * COIN), test_samples=status["test_samples"]
    )
    authors = [contributor for _, contributor, _, _ in market.contributions()]
    for a in (honest, flipper):
        assert a.refunded == sum(b for b, who in zip(payout.balances, authors, strict=True) if who in a.accounts)
        start = int(1_000 * COIN)
        assert a.balance[-1] == 100 * (start - a.deposited + a.refunded) / start
    assert (
        honest.refunded + flipper.refunded + payout.bounty_left
        == honest.deposited + flipper.deposited + status["bounty"]
    )
    assert honest.refunded > honest.deposited and flipper.refunded < flipper.deposited
    # accuracy: the model as deployed during participation, then the model the market leaves, on the
    # test samples the market does not hold (test_size 0: it holds the first half)
    pieces = market.revealed_pieces().values()
    held = [(s, y) for piece in pieces for s, y in zip(piece.samples, piece.labels, strict=True)]
    assert sorted(held) == sorted(data.test[: len(data.test) // 2])
    held_out = data.test[len(data.test) // 2 :]
    x_test, y_test = CheckedSparse([s for s, _ in held_out], data.n_features), [y for _, y in held_out]
    closed = [k for k, t in enumerate(run.times) if t >= scenario.mechanism.contribution_days]
    assert closed and len(set(run.accuracy[: closed[0]])) == 1
    assert run.accuracy[-1] == float(market.finalized_mirror().score(x_test, y_test)) > run.accuracy[0]
    assert run.accuracy[-1] != float(model.mirror().score(x_test, y_test))  # not every contribution learned
    assert all(not a.points for a in run.agents)


@pytest.mark.parametrize(("name", "lines_per_agent"), [("smoke-points", 2), ("smoke-market", 1)])
def test_the_shipped_scenarios_run_from_the_command_line(tmp_path: Path, name: str, lines_per_agent: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sumchain", "simulate", name, "--out", "runs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path / "runs" / f"{name}-seed0.json")
    assert run.to_json() == json.loads((tmp_path / "runs" / f"{name}-seed0.json").read_text())
    assert (run.contributions > 50, run.times[-1]) == (True, load_scenario(name).days)
    page = (tmp_path / "runs" / f"{name}-seed0.html").read_text()
    assert page.count("<polyline") == 2 + lines_per_agent * len(run.agents)  # baseline, accuracy, per agent
    assert (tmp_path / "runs" / f"{name}-seed0.png").read_bytes().startswith(b"\x89PNG")
    assert ("points" in done.stdout) == (name == "smoke-points")


def test_a_saved_run_whose_points_differ_in_length_is_refused() -> None:
    saved = simulate(load_scenario("smoke-points"), days=0.5).to_json()
    assert Run.from_json(saved).to_json() == saved
    saved["agents"][0]["points"].pop()
    with pytest.raises(SumchainError, match="series differ in length"):
        Run.from_json(saved)


@pytest.mark.parametrize("name", ["smoke-points", "smoke-market"])
def test_the_same_seed_gives_the_same_run(name: str) -> None:
    scenario = load_scenario(name)
    days = min(scenario.days, scenario.mechanism.contribution_days + 0.5)
    first = json.dumps(simulate(scenario, seed=4, days=days).to_json(), sort_keys=True)
    assert first == json.dumps(simulate(scenario, seed=4, days=days).to_json(), sort_keys=True)
    assert first != json.dumps(simulate(scenario, seed=5, days=days).to_json(), sort_keys=True)


def test_a_market_run_shorter_than_its_contribution_period_leaves_the_stakes_in_it() -> None:
    scenario = load_scenario("smoke-market")
    run, model, _ = run_on_chain(replace(scenario, record_every=43_200.0), days=1)
    staked = sum(a.deposited for a in run.agents)
    assert Market(model).phase() == "participation" and staked > 0
    assert model.balance(model.address) == staked + int(scenario.mechanism.bounty * COIN)
    assert run.open_deposits == sum(a.added for a in run.agents)
    assert all(a.refunded == 0 for a in run.agents)


@pytest.mark.parametrize(
    ("mechanism", "message"),
    [
        ({"kind": "points", "refund_wait": 1}, r"\[mechanism\]: unknown key 'refund_wait'"),
        ({"kind": "prediction-market", "stake": -1}, r"\[mechanism\] stake must not be negative, got -1"),
        ({"kind": "prediction-market", "pieces": 2.5}, r"\[mechanism\] pieces must be a whole number"),
        (
            {"kind": "lottery"},
            r"\[mechanism\] unknown mechanism 'lottery' \(known: deposit-refund-take, points, prediction-market\)",
        ),
        (
            {"kind": "points", "cost_weight": 2},
            r"\[mechanism\] 'cost_weight' does not apply to points \(it takes: refund_wait_days\)",
        ),
        ({"stake": 2}, "'stake' does not apply to deposit-refund-take"),
        # what the contracts would refuse, in the scenario's units (days and coins), not theirs
        ({"any_claim_wait_days": 1e9}, r"any_claim_wait_days must be at most 36,500 days, got 1,000,000,000$"),
        ({"refund_wait_days": 2, "owner_claim_wait_days": 3, "any_claim_wait_days": 2.5}, r"got 2, 3, 2\.5$"),
        ({"cost_weight": 1_320_469_376}, r"cost_weight must be at most 1,320,469,375 coins .*got 1,320,469,376$"),
        ({"kind": "points", "refund_wait_days": 36_501}, "refund_wait_days must be at most 36,500 days"),
        ({"kind": "prediction-market", "stake": 1e-15}, r"stake must be at least 3\.2768e-14 coins .*got 1e-15$"),
        ({"kind": "prediction-market", "stake": 1e11}, r"below 79,228,162,514 coins \(2\*\*96 wei\), got 1e\+11$"),
        ({"kind": "prediction-market", "bounty": 0}, "bounty must be above 0 coins, got 0$"),
        ({"kind": "prediction-market", "contribution_days": 4e4}, "contribution_days must be at most 36,500 days"),
        ({"kind": "prediction-market", "reveal_window_days": 4e4}, "reveal_window_days must be at most 36,500 days"),
        ({"kind": "prediction-market", "contribution_days": 0}, r"contribution_days must be at least a minute .*0$"),
        ({"kind": "prediction-market", "reveal_window_days": 0.04}, r"at least an hour \(0\.0417 days\), got 0\.04$"),
        ({"kind": "prediction-market", "pieces": 1}, "pieces must be 0 .* or from 2 to 1,024, got 1$"),
        ({"kind": "prediction-market", "pieces": 1_025}, "pieces must be 0 .* or from 2 to 1,024, got 1,025$"),
        ({"kind": "prediction-market", "test_size": 1}, "test_size must be 0 .* or from 2 to 32,768, got 1$"),
        ({"kind": "prediction-market", "test_size": 32_769}, "test_size must be 0 .* from 2 to 32,768, got 32,769$"),
    ],
)
def test_bad_mechanism_tables_are_one_clear_error(mechanism: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as refused:
        parse_scenario({"mechanism": mechanism, "agents": [{"name": "a", "strategy": "honest"}]}, source="bad.toml")
    assert str(refused.value).startswith("bad.toml: [mechanism]") and len(str(refused.value).splitlines()) == 1


@pytest.mark.parametrize(
    "mechanism",
    [
        {"cost_weight": 1_320_469_375, "refund_wait_days": 0, "any_claim_wait_days": 36_500},
        {"kind": "prediction-market", "stake": 3.2768e-14, "pieces": 1_024, "test_size": 32_768},
        {"kind": "prediction-market", "stake": 79_228_162_513, "contribution_days": 36_500},
    ],
)
def test_the_limits_in_coins_and_days_are_the_contracts_own(mechanism: dict[str, Any]) -> None:
    parse_scenario({"mechanism": mechanism, "agents": [{"name": "a", "strategy": "honest"}]})


def test_a_scenario_built_in_code_with_an_unknown_mechanism_is_refused_too() -> None:
    scenario = replace(load_scenario("smoke"), mechanism=MechanismSpec(kind="lottery"))
    with pytest.raises(ScenarioError, match="unknown mechanism 'lottery'"):
        simulate(scenario, days=0.1)


@pytest.mark.parametrize("test_size", [60, 1_000])
def test_a_market_holding_every_test_sample_is_refused(test_size: int) -> None:
    """The accuracy is measured on the test samples the market does not hold: there must be some."""
    scenario = load_scenario("smoke-market")  # 60 test samples
    scenario = replace(scenario, mechanism=replace(scenario.mechanism, test_size=test_size))
    with pytest.raises(ScenarioError, match=f"the market holds {test_size:,} of the 60 test samples.*from 2 to 59"):
        simulate(scenario, days=0.5)
    scenario = replace(scenario, mechanism=replace(scenario.mechanism, test_size=59))
    assert simulate(scenario, days=0.5).accuracy[0] in (0.0, 1.0)  # scored on the one sample left
