"""Each strategy does what it says, as the chain's events show (not the simulator's own counters)."""

from __future__ import annotations

from typing import Any

import pytest

from sumchain.client import SharedModel
from sumchain.contributions import Contribution
from sumchain.sim.data import SimData, load_data
from sumchain.sim.record import Run
from sumchain.sim.runner import new_chain, simulate
from sumchain.sim.scenario import parse_scenario
from sumchain.sim.strategies import STRATEGIES

DAY = 86_400
MECHANISM = {"refund_wait_days": 1, "owner_claim_wait_days": 2, "any_claim_wait_days": 2}
HONEST = {"name": "honest", "strategy": "honest", "start_balance": 1_000, "wait_mean": 2_400, "wait_sd": 300}


def run_agents(
    *agents: dict[str, Any], days: float = 3, mechanism: dict[str, float] = MECHANISM
) -> tuple[Run, list[Contribution], SimData, int]:
    """Run the agents on the tiny reviews; the run, the model's contributions from its events, the data, the start."""
    scenario = parse_scenario(
        {
            "days": days,
            "record_every": 21_600,
            "dataset": {"name": "tiny-reviews", "initial_fraction": 0.1},
            "mechanism": mechanism,
            "agents": list(agents),
        },
        source="test.toml",
    )
    data = load_data(scenario.dataset, scenario.seed)
    chain = new_chain(scenario)
    run = simulate(scenario, chain=chain, data=data)
    model = SharedModel(chain, run.model)
    start = chain.block(model.deployed_at).timestamp  # type: ignore[union-attr]
    return run, model.contributions(everyone=True), data, start


def by(run: Run, name: str, contributions: list[Contribution]) -> list[Contribution]:
    accounts = next(a.accounts for a in run.agents if a.name == name)
    return [c for c in contributions if c.author in accounts]


def true_label(data: SimData, c: Contribution) -> int:
    """The stream is used in order: contribution #k carries the k-th sample of the stream."""
    return data.stream[c.id - 1][1]


def test_honest_labels_are_true_and_the_flipper_flips_every_one() -> None:
    run, contributions, data, _ = run_agents(
        HONEST, {"name": "flipper", "strategy": "flipper", "start_balance": 1_000, "wait_mean": 7_200}
    )
    honest, flipped = by(run, "honest", contributions), by(run, "flipper", contributions)
    assert len(honest) > 30 and len(flipped) > 10
    assert all(c.data == data.stream[c.id - 1][0] for c in contributions)
    assert all(c.label == true_label(data, c) for c in honest)
    assert all(c.label != true_label(data, c) for c in flipped)
    assert any(c.refunded for c in honest)
    assert any(c.reported_by for c in flipped)  # the honest agent reported flipped data the model rejects
    assert run.reverted == 0  # the agents' mirror predicted as the contract does: it accepted every claim


def test_random_labels_are_sometimes_right_and_sometimes_wrong() -> None:
    run, contributions, data, _ = run_agents(HONEST, {"name": "noise", "strategy": "random", "wait_mean": 1_800})
    noise = by(run, "noise", contributions)
    right = sum(c.label == true_label(data, c) for c in noise)
    assert len(noise) > 40
    assert 0.25 < right / len(noise) < 0.75


def test_cheap_spam_sends_one_feature_of_the_sample_with_random_labels() -> None:
    run, contributions, data, _ = run_agents(HONEST, {"name": "spam", "strategy": "spam", "wait_mean": 1_800})
    spam = by(run, "spam", contributions)
    assert len(spam) > 40
    assert all(len(c.data) == 1 and c.data[0] in data.stream[c.id - 1][0] for c in spam)
    assert {c.label for c in spam} == {0, 1}
    assert all(len(c.data) > 1 for c in by(run, "honest", contributions))


def test_the_sybil_farmer_refunds_one_sample_per_account_then_reports_from_many() -> None:
    sybil = {"name": "sybil", "strategy": "sybil", "start_balance": 600, "accounts": 6, "wait_mean": 1_800}
    flipper = {"name": "flipper", "strategy": "flipper", "start_balance": 1_000, "wait_mean": 5_400}
    run, contributions, data, _ = run_agents(HONEST, flipper, sybil, days=4)
    accounts = next(a.accounts for a in run.agents if a.name == "sybil")
    farmed = by(run, "sybil", contributions)
    assert len(set(accounts)) == 6
    assert sorted(c.author for c in farmed) == sorted(accounts)  # one sample from each account, no more
    assert all(c.label == true_label(data, c) for c in farmed)
    assert sum(c.refunded for c in farmed) >= 4
    reporters = [set(c.reported_by) & set(accounts) for c in contributions]
    assert max(len(r) for r in reporters) >= 3  # several of its accounts took shares of one deposit
    assert sum(len(r) for r in reporters) > len(farmed)


def test_the_flood_sends_flipped_labels_from_all_its_accounts_within_its_window() -> None:
    flood = {
        "name": "flood",
        "strategy": "flood",
        "accounts": 4,
        "wait_mean": 120,
        "wait_sd": 10,
        "deposit_mean": 200,
        "start_day": 1,
        "end_day": 1.2,
    }
    run, contributions, data, start = run_agents(HONEST, flood, days=2.5)
    flooded = by(run, "flood", contributions)
    window = [c for c in contributions if start + 1.0 * DAY <= c.added_time <= start + 1.2 * DAY + 60]
    assert len(flooded) > 40
    assert {c.author for c in flooded} == set(next(a.accounts for a in run.agents if a.name == "flood"))
    assert all(c in window for c in flooded)
    assert all(c.label != true_label(data, c) for c in flooded)
    assert len(flooded) > 5 * (len(window) - len(flooded))  # it outnumbers the honest agent in its window


@pytest.mark.parametrize("name", ["honest", "flipper"])
def test_balances_follow_the_chain(name: str) -> None:
    """Deposits and refunds in the events add up to the balance change the run reports."""
    run, contributions, _, _ = run_agents(
        HONEST, {"name": "flipper", "strategy": "flipper", "start_balance": 1_000, "wait_mean": 7_200}
    )
    agent = next(a for a in run.agents if a.name == name)
    assert sum(c.deposit for c in by(run, name, contributions)) == agent.deposited


def test_a_contribution_goes_from_the_next_account_in_turn_that_holds_the_deposit_else_the_richest() -> None:
    flood = STRATEGIES["flood"](accounts=4)
    assert [flood.account([90, 90, 90, 90], 50), flood.account([10, 90, 0, 90], 50)] == [0, 1]
    flood.accepted()
    flood.accepted()
    assert flood.account([90, 90, 10, 90], 50) == 3  # the third in turn is short: the fourth sends
    assert flood.account([5, 30, 10, 30], 50) == 1  # none holds 50: the richest (the first of them)
    assert flood.account([90, 90, 90, 90], 50) == 2


@pytest.mark.parametrize("start_balance", [10_000, 0])
def test_the_owner_deploys_and_takes_what_honest_authors_cannot_get_back(start_balance: float) -> None:
    """With the owner's wait (1.5 days) shorter than anyone's (3), a take before 3 days succeeds
    only for the model's owner: the contract accepting every one shows the agent deployed it. It
    keeps its turns with nothing in hand (gas is free on the embedded chain)."""
    owner = {"name": "owner", "strategy": "owner", "wait_mean": 3_600, "start_balance": start_balance}
    flipper = {"name": "flipper", "strategy": "flipper", "start_balance": 1_000, "wait_mean": 5_400}
    waits = {"refund_wait_days": 1, "owner_claim_wait_days": 1.5, "any_claim_wait_days": 3}
    run, contributions, _, start = run_agents(HONEST, flipper, owner, days=4, mechanism=waits)
    (account,) = next(a.accounts for a in run.agents if a.name == "owner")
    honest = next(a.accounts for a in run.agents if a.name == "honest")
    taken = [c for c in contributions if account in dict(c.reports)]
    assert not by(run, "owner", contributions)  # it adds nothing
    assert any(c.author in honest and not c.refunded for c in taken)  # an honest author's rejected sample
    assert any(c.author not in honest for c in taken)
    assert all(c.claimable == 0 for c in taken)  # it took all that was left
    assert any(c.added_time > start + DAY for c in taken)  # less than 3 days old when the run ended
    assert run.reverted == 0  # the contract accepted each take: the agent is the owner, past its wait
