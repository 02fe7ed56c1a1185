"""A simulation on a real anvil node: the same run as on the embedded chain, to the wei, for each
kind of model and for the attacks (more accounts than anvil's ten); the prediction market, whose
draw is the chain's, ends with every wei withdrawn; and through ``sumchain --chain URL simulate``."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from sumchain.chain.anvil import find_anvil
from sumchain.chain.anvil import running_anvil as node
from sumchain.sim import load_run, load_scenario, simulate
from sumchain.sim.node import on_node
from sumchain.sim.runner import account_funding, new_chain
from sumchain.sim.scenario import DatasetSpec, ModelSpec, Scenario
from tests.integration.network.anvil.conftest import REPO_ROOT, running_anvil

pytestmark = pytest.mark.anvil


def iris(model: str) -> Scenario:
    return dataclasses.replace(
        load_scenario("smoke"), dataset=DatasetSpec(name="iris", initial_fraction=0.2), model=ModelSpec(type=model)
    )


@pytest.mark.parametrize(
    ("scenario", "days"),
    [
        (load_scenario("smoke"), 2),
        (load_scenario("smoke-points"), 2),
        (iris("nearest centroid"), 2),  # a dense model
        (iris("naive bayes"), 2),
        (load_scenario("attacks"), 2.5),  # 17 accounts: past anvil's ten; the flood starts on day 2
    ],
    ids=["deposit-refund-take", "points", "nearest-centroid", "naive-bayes", "attacks"],
)
def test_a_run_on_anvil_is_the_run_on_the_embedded_chain(scenario: Scenario, days: float) -> None:
    memory = new_chain(scenario)
    in_memory = simulate(scenario, chain=memory, days=days)
    with running_anvil() as url, on_node(scenario, url) as chain:
        on_anvil = simulate(scenario, chain=chain, days=days)
        accounts = chain.accounts[: account_funding(scenario)[0]]
        assert [chain.balance(a) for a in accounts] == [memory.balance(a) for a in accounts]  # to the wei
        assert chain.balance(on_anvil.model) == memory.balance(in_memory.model)
    assert on_anvil.contributions > 10
    assert on_anvil.to_json() == in_memory.to_json()


def test_the_stepped_clock_is_the_nodes_after_each_kind_of_step() -> None:
    scenario = load_scenario("smoke")
    with running_anvil() as url, on_node(scenario, url) as chain:
        a, b = chain.accounts[:2]
        steps = {
            "advance": lambda: chain.advance_time(3_600),
            "transact": lambda: chain.transact(b, b"", sender=a, value=1),
            "request": lambda: chain.request("evm_mine"),
            "send": lambda: chain.send(b, b"", sender=a, value=2).receipt(),
            "send many": lambda: chain.receipts(chain.send_many(b, [b"", b""], sender=a, value=3)),
            "advance 0": lambda: chain.advance_time(0),
        }
        for name, step in steps.items():
            before = chain.time()
            step()
            latest = int(chain.w3.eth.get_block("latest")["timestamp"])
            assert chain.time() == latest, name
            assert latest > before or name == "advance 0", name


def test_the_stepped_clock_is_read_again_once_a_transaction_is_mined() -> None:
    with running_anvil("--no-mining") as url, on_node(load_scenario("smoke"), url) as chain:
        a, b = chain.accounts[:2]
        sent = chain.send(b, b"", sender=a, value=1)
        waiting = chain.time()  # read while the transaction waits in the pool
        chain.w3.provider.make_request(
            "evm_mine", []
        )  # mined behind the chain's back, as a node with a block time does
        mined = sent.receipt()
        assert chain.time() == mined.timestamp > waiting


def test_the_error_that_ends_a_run_is_told_even_when_the_node_is_gone() -> None:
    binary = find_anvil(REPO_ROOT)
    if binary is None:
        pytest.skip("anvil not installed: run `npm install` at the repo root")
    with (
        node(binary, ()) as started,
        pytest.raises(KeyError, match="the run's own") as raised,
        on_node(load_scenario("smoke"), started.url),
    ):
        started.process.kill()
        started.process.wait()
        raise KeyError("the run's own")  # not "cannot reach", from putting the node's clock back
    (note,) = raised.value.__notes__
    assert note.startswith(f"and the node's clock could not be put back: cannot reach {started.url}")


def test_a_market_on_anvil_ends_with_every_wei_withdrawn() -> None:
    scenario = load_scenario("smoke-market")
    in_memory = simulate(scenario)
    with running_anvil() as url, on_node(scenario, url) as chain:
        n_accounts, balance = account_funding(scenario)
        run = simulate(scenario, chain=chain)
        assert sum(chain.balance(a) for a in chain.accounts[:n_accounts]) == n_accounts * balance  # no gas, none left
    assert run.open_deposits == 0 and run.contributions == in_memory.contributions > 0
    ended = run.times.index(max(t for t in run.times if t <= scenario.mechanism.contribution_days))
    assert run.accuracy[:ended] == in_memory.accuracy[:ended]  # the same until the draw


def sumchain(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sumchain", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_simulate_on_a_node_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_anvil() as url:
        done = sumchain(tmp_path, "simulate", "smoke", "--days", "1.5", "--out", "runs", "--node", url)
        assert done.returncode == 0, done.stderr
        assert f"On the dev node at {url}" in done.stdout
        refused = sumchain(tmp_path, "simulate", "sweep", "smoke", "--node", url)
        monkeypatch.setenv("SUMCHAIN_CHAIN", url)  # a chain for the other commands: not for a simulation
        alone = sumchain(tmp_path, "simulate", "smoke", "--days", "1.5", "--out", "memory")
    assert alone.returncode == 0 and "On a fresh in-memory chain" in alone.stdout
    assert (
        load_run(tmp_path / "runs" / "smoke-seed0.json").to_json()
        == load_run(tmp_path / "memory" / "smoke-seed0.json").to_json()
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "a sweep runs each point on a fresh in-memory chain: --node is for one scenario"
    )
    nowhere = sumchain(tmp_path, "simulate", "paper-drt", "--node", "http://127.0.0.1:9", "--out", "x")
    assert nowhere.returncode == 1 and "cannot reach http://127.0.0.1:9" in nowhere.stderr
    assert "Loading" not in nowhere.stdout  # refused before the IMDB reviews load
    assert not (tmp_path / "x").exists()
