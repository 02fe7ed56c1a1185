"""Sweeps: the grid, the attacker's pace at each cell, runs in parallel that equal runs alone,
where each line stops protecting accuracy, and ``sumchain simulate sweep`` end to end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sumchain.errors import SumchainError
from sumchain.sim import simulate
from sumchain.sim.data import load_data
from sumchain.sim.scenario import Scenario, ScenarioError, parse_scenario
from sumchain.sim.sweep import (
    Outcome,
    Point,
    breaking_points,
    dumps,
    grid,
    load_outcomes,
    point_scenario,
    sweep,
    table,
)

from .test_simulate import sumchain

HONEST = {"name": "honest", "strategy": "honest", "start_balance": 1_000, "wait_mean": 2_400, "wait_sd": 300}
FLOOD = {"name": "flood", "strategy": "flood", "accounts": 3, "start_balance": 300, "deposit_mean": 100}
OWNER = {"name": "owner", "strategy": "owner", "wait_mean": 3_600}
BASE: dict[str, Any] = {
    "days": 3,
    "record_every": 21_600,
    "dataset": {"name": "tiny-reviews", "initial_fraction": 0.1},
    "mechanism": {"refund_wait_days": 1, "owner_claim_wait_days": 2, "any_claim_wait_days": 2},
}


def base(*agents: dict[str, Any]) -> Scenario:
    return parse_scenario({**BASE, "agents": list(agents)}, source="sweep.toml")


def test_the_grid_has_every_cell_and_fraction_zero_for_each_line() -> None:
    points = grid(["deposit-refund-take"], ["naive bayes", "sparse perceptron"], [0.5, 2], [0.4, 0.2])
    assert len(points) == 2 * 2 * 3
    assert {p.fraction for p in points} == {0.0, 0.2, 0.4}
    weights = {(p.mechanism, p.weight) for p in grid(["points", "prediction-market"], ["naive bayes"], [0.5, 2], [0.1])}
    assert weights == {("points", 0.5), ("prediction-market", 0.5), ("prediction-market", 2)}  # Points: no deposit
    with pytest.raises(ScenarioError, match="unknown mechanism 'bribes'"):
        grid(["bribes"], ["naive bayes"], [1], [0.1])
    with pytest.raises(ScenarioError, match="unknown model 'forest'"):
        grid(["deposit-refund-take"], ["forest"], [1], [0.1])


def test_each_cell_paces_the_attacker_and_sets_the_mechanism_and_model() -> None:
    scenario = base(HONEST, FLOOD, OWNER)
    cell = point_scenario(scenario, Point("deposit-refund-take", "naive bayes", 4.0, 0.75))
    honest, owner, flood = cell.agents
    assert (honest.name, owner.name, flood.name) == ("honest", "owner", "flood")
    assert flood.wait_mean == pytest.approx(2_400 * 0.25 / 0.75)  # three of its contributions to one honest
    assert (cell.mechanism.cost_weight, cell.model.type) == (4.0, "naive bayes")
    market = point_scenario(scenario, Point("prediction-market", "sparse perceptron", 2.0, 0.5)).mechanism
    assert (market.kind, market.stake, market.test_size, market.contribution_days) == ("prediction-market", 2, 128, 2)
    alone = point_scenario(scenario, Point("deposit-refund-take", "naive bayes", 4.0, 0.0))
    assert [a.name for a in alone.agents] == ["honest", "owner"]
    with pytest.raises(ScenarioError, match=r"must be in \[0, 1\)"):
        point_scenario(scenario, Point("deposit-refund-take", "naive bayes", 1.0, 1.0))
    with pytest.raises(ScenarioError, match="one honest agent and one attacker"):
        point_scenario(base(HONEST), Point("deposit-refund-take", "naive bayes", 1.0, 0.5))


def test_a_sweep_in_two_processes_gives_what_each_run_gives_alone() -> None:
    scenario = base(HONEST, FLOOD)
    points = grid(["deposit-refund-take"], ["naive bayes"], [1.0], [0.5, 0.8])
    data = load_data(scenario.dataset, scenario.seed)
    outcomes = sweep(scenario, points, data=data, jobs=2)
    assert [o.point for o in outcomes] == points
    shares = [o.bad_share for o in outcomes]
    assert shares[0] == 0 < shares[1] < shares[2]  # the faster the flood, the larger its share
    alone = simulate(point_scenario(scenario, points[2]), data=data)
    assert alone.accuracy[-1] == outcomes[2].accuracy
    assert alone.agents[0].balance[-1] == outcomes[2].honest
    assert alone.agents[1].balance[-1] == outcomes[2].attacker


def outcome(fraction: float, accuracy: float, weight: float = 1.0) -> Outcome:
    return Outcome(Point("deposit-refund-take", "naive bayes", weight, fraction), accuracy, accuracy, 100, 50, 0, 1, 0)


def test_a_line_stops_protecting_at_the_first_fraction_more_than_3_points_below_its_fraction_0() -> None:
    outcomes = [outcome(0, 0.80), outcome(0.1, 0.785), outcome(0.2, 0.769), outcome(0.3, 0.79)]
    outcomes += [outcome(0, 0.80, 4), outcome(0.1, 0.775, 4), outcome(0.3, 0.771, 4)]
    assert breaking_points(outcomes) == {
        ("deposit-refund-take", "naive bayes", 1.0): 0.2,
        ("deposit-refund-take", "naive bayes", 4.0): None,
    }
    rows = table(outcomes).splitlines()
    assert rows[2].startswith("| deposit-refund-take | naive bayes | 1 | 10% | 20% |")
    assert rows[3].startswith("| deposit-refund-take | naive bayes | 4 | 30% | - |")


def test_simulate_sweep_writes_its_json_table_and_figure(tmp_path: Path) -> None:
    scenario = tmp_path / "flood.toml"
    text = "\n".join(
        [
            'days = 2\nrecord_every = 21_600\n[dataset]\nname = "tiny-reviews"\ninitial_fraction = 0.1',
            *(_agent_table(a) for a in (HONEST, FLOOD)),
        ]
    )
    scenario.write_text(text)
    args = ["--fractions", "0.5", "--weights", "1", "--models", "naive bayes", "--jobs", "1", "--out", "out"]
    done = sumchain(tmp_path, "simulate", "sweep", str(scenario), *args, "--seed", "5", "--days", "1.5")
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "out" / "flood-sweep.json").read_text())["scenario"]
    assert (saved["seed"], saved["days"]) == (5, 1.5)  # the options, not the file's 0 and 2
    outcomes = load_outcomes(tmp_path / "out" / "flood-sweep.json")
    assert [(o.point.mechanism, o.point.fraction) for o in outcomes] == [
        (mechanism, fraction)
        for mechanism in ("deposit-refund-take", "points", "prediction-market")
        for fraction in (0, 0.5)
    ]
    assert (tmp_path / "out" / "flood-sweep.md").read_text() == table(outcomes)
    assert (tmp_path / "out" / "flood-sweep.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    for bad, message in [
        (["--fractions", "1.5"], r"must be in \[0, 1\)"),
        (["--fractions", "half"], "--fractions takes numbers"),
        (["--mechanisms", "bribes"], "unknown mechanism 'bribes'"),
        (["--weights", "-1"], "a deposit weight must be a number of coins from 0 to 1,000,000,000,000, got -1"),
        (["--weights", "nan"], "a deposit weight must be"),
        (["--weights", "1e13"], "a deposit weight must be"),
        (["--out", "flood.toml"], "flood.toml is a file, not a folder"),
        (["--weights", "1,0"], r"prediction-market at weight 0: stake must be at least 3\.2768e-14 coins"),
    ]:
        done = sumchain(tmp_path, "simulate", "sweep", str(scenario), *bad)
        assert done.returncode != 0 and "Traceback" not in done.stderr and "Loading" not in done.stdout
        assert len(done.stderr.strip().splitlines()) == 1 and re.search(message, done.stderr)
    done = sumchain(tmp_path, "simulate", "sweep", "attacks", "--out", "out2")  # refused before loading its data
    assert done.returncode == 1 and "one honest agent and one attacker" in done.stderr and "Loading" not in done.stdout
    assert not (tmp_path / "out2").exists()


def _agent_table(agent: dict[str, Any]) -> str:
    return "[[agents]]\n" + "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in agent.items())


def test_a_saved_sweep_reads_back_and_anything_else_is_refused(tmp_path: Path) -> None:
    outcomes = [outcome(0, 0.8), outcome(0.5, 0.6)]
    path = tmp_path / "s.json"
    path.write_bytes(dumps(base(HONEST, FLOOD), outcomes))  # as `sumchain simulate sweep` writes it
    assert load_outcomes(path) == outcomes
    (tmp_path / "run.json").write_text('{"format": "sumchain-simulation/1"}')
    with pytest.raises(SumchainError, match="is not a saved sweep"):
        load_outcomes(tmp_path / "run.json")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc (Linux)")
def test_ctrl_c_stops_a_sweep_and_its_workers(tmp_path: Path) -> None:
    sweeping = subprocess.Popen(  # 112 runs: about a minute on two cores
        [sys.executable, "-m", "sumchain", "simulate", "sweep", "smoke", "--days", "2", "--jobs", "2", "--out", "runs"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _interrupt_once_running(sweeping, tmp_path)
    finally:
        if sweeping.poll() is None:
            os.killpg(sweeping.pid, signal.SIGKILL)


def _interrupt_once_running(sweeping: subprocess.Popen[str], tmp_path: Path) -> None:
    workers: list[int] = []
    for _ in range(600):  # until the workers run (the data and baselines come first)
        workers = [p for p in _children(sweeping.pid) if _children(p) == [] and p != sweeping.pid]
        if len(workers) >= 2 or sweeping.poll() is not None:
            break
        time.sleep(0.1)
    assert len(workers) >= 2, sweeping.stderr.read() if sweeping.stderr else ""
    time.sleep(1)
    os.killpg(sweeping.pid, signal.SIGINT)  # Ctrl-C in a terminal: the sweep and its workers
    sweeping.wait(timeout=20)  # the runs under way end; the others never start (they all ran before)
    assert sweeping.returncode != 0
    assert "Traceback" not in (sweeping.stderr.read() if sweeping.stderr else "")
    time.sleep(0.5)
    assert [p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in _state(p)] == []
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
