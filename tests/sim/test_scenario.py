"""Scenario files: the shipped ones load, and every kind of bad input is one clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sumchain.models.perceptron import optimal_schedule
from sumchain.sim.scenario import ScenarioError, load_scenario, parse_scenario, scenario_names
from sumchain.sim.strategies import STRATEGIES
from tests.sim.test_loaders import SAMPLES


def agent(**changes: Any) -> dict[str, Any]:
    return {"name": "a", "strategy": "honest", **changes}


def test_every_shipped_scenario_loads() -> None:
    assert {"smoke", "smoke-points", "smoke-market", "paper-drt", "attacks"} <= set(scenario_names())
    for name in scenario_names():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert all(a.strategy in STRATEGIES for a in scenario.agents)


def test_the_paper_scenario_has_the_paper_parameters() -> None:
    paper = load_scenario("paper-drt")
    good, bad = paper.agents
    assert (paper.dataset.name, paper.dataset.initial_fraction, paper.days) == ("imdb", 0.08, 365)
    eta0, t0 = optimal_schedule(1e-4)  # scikit-learn's SGDClassifier defaults, as the reference simulator used
    assert paper.model.type == "sparse perceptron"
    assert (paper.model.learning_rate, paper.model.decay) == (pytest.approx(eta0), pytest.approx(t0))
    assert (paper.model.max_iter, paper.model.tol, paper.model.shuffle) == (1000, 1e-3, True)  # SGDClassifier.fit's
    assert (paper.mechanism.refund_wait_days, paper.mechanism.any_claim_wait_days) == (1, 9)
    assert (good.start_balance, good.deposit_mean, good.wait_mean, good.strategy) == (10_000, 50, 600, "honest")
    assert good.accounts == 4  # "many contributors", as the paper's good agent: see the file
    assert (bad.start_balance, bad.deposit_mean, bad.wait_mean, bad.strategy) == (10_000, 100, 3_600, "flipper")
    naive_bayes = load_scenario("paper-drt-naive-bayes")
    assert (naive_bayes.agents, naive_bayes.mechanism) == (paper.agents, paper.mechanism)
    assert naive_bayes.dataset == paper.dataset
    honest = load_scenario("paper-drt-honest")  # the counterfactual: paper-drt without the flipper
    assert (honest.agents, honest.model, honest.mechanism) == ((good,), paper.model, paper.mechanism)
    assert (honest.dataset, honest.days, honest.record_every) == (paper.dataset, paper.days, paper.record_every)


def test_a_file_is_read_and_named_by_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('days = 2\n[[agents]]\nname = "x"\nstrategy = "spam"\n')
    scenario = load_scenario(path)
    assert (scenario.name, scenario.days, scenario.agents[0].strategy) == ("mine", 2.0, "spam")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agents": [agent(colour="red")]}, "agent 1: unknown key 'colour'"),
        ({"agents": [agent()], "dayz": 3}, "unknown key 'dayz'"),
        ({"agents": [agent()], "dataset": {"nam": "imdb"}}, r"\[dataset\]: unknown key 'nam'"),
        ({"agents": [agent(start_balance=-5)]}, "start_balance must not be negative"),
        ({"agents": [agent(wait_mean=-1)]}, "wait_mean must not be negative"),
        ({"agents": [agent(wait_mean=0.5)]}, "wait_mean must be at least 1 s"),
        ({"agents": [agent(deposit_mean="lots")]}, "deposit_mean must be a number"),
        ({"agents": [agent(accounts=2.5)]}, "accounts must be a whole number"),
        ({"agents": [agent(strategy="troll")]}, "unknown strategy 'troll'"),
        ({"agents": [agent(mislabel=1.5)]}, "mislabel is a probability"),
        ({"agents": [agent(strategy="flipper", mislabel=1.0)]}, "'mislabel' does not apply to the flipper strategy"),
        ({"agents": [agent(farm_samples=50)]}, "'farm_samples' does not apply to the honest strategy \\(only sybil\\)"),
        ({"agents": [agent()], "dataset": {"name": "iris", "path": "x.csv"}}, "path does not apply to iris"),
        ({"agents": [agent()], "dataset": {"path": "/etc/passwd"}}, "path does not apply to tiny-reviews"),
        ({"agents": [agent(), agent()]}, "two agents have this name"),
        ({"agents": []}, "at least one"),
        ({"agents": [agent()], "mechanism": {"cost_weight": -1}}, "cost_weight must not be negative"),
        ({"agents": [agent()], "model": {"type": "forest"}}, "type must be"),
        ({"agents": [agent()], "model": {"decay": -1}}, "decay must not be negative"),
        ({"agents": [agent()], "model": {"decay": 2.5}}, "decay must be a whole number"),
        ({"agents": [agent()], "model": {"decay": 2**64}}, r"decay must be at most 2\*\*64 - 1"),
        ({"agents": [agent()], "model": {"tol": -0.1}}, "tol must not be negative"),
        ({"agents": [agent()], "model": {"shuffle": "yes"}}, "shuffle must be true or false"),
        ({"agents": [agent()], "model": {"shuffle": 1}}, "shuffle must be true or false"),
        ({"agents": [agent()], "model": {"max_iter": True}}, "max_iter must be a number"),
        ({"agents": [agent()], "baseline": 1.2}, "baseline is an accuracy, at most 1"),
        ({"agents": [agent()], "days": float("inf")}, "days must be a finite number"),
        ({"agents": [agent(start_balance=float("inf"))]}, "start_balance must be a finite number"),
        ({"agents": [agent()], "mechanism": {"cost_weight": float("inf")}}, "cost_weight must be a finite number"),
        ({"agents": [agent(start_balance=1e300)]}, "start_balance must be at most 1,000,000,000,000 coins"),
        ({"agents": [agent()], "mechanism": {"cost_weight": 1e13}}, "cost_weight must be at most"),
        ({"agents": [{"strategy": "honest"}]}, "agent 1: missing key 'name'"),
        ({"agents": [{"name": "a"}]}, "agent 1: missing key 'strategy'"),
        ({"agents": [agent(name=3)]}, "name must be a string"),
        ({"agents": [agent(deposit_mean=0, deposit_sd=0)]}, "deposit_mean and deposit_sd are both 0"),
        ({"agents": [agent(start_day=2, end_day=2)]}, "end_day must be after start_day"),
        ({"agents": [agent()], "days": 0}, "days must be from 0.01 to 36,500, got 0$"),
        ({"agents": [agent()], "days": float("nan")}, r"bad\.toml: days must be a number, got nan$"),
        ({"agents": [agent()], "model": {"tol": "x"}}, r"bad\.toml: \[model\] tol must be a number, got 'x'$"),
        ({"agents": [agent(start_balance="x")]}, r"bad\.toml: agent 1: start_balance must be a number, got 'x'$"),
        ({"agents": [agent()], "days": 1e-300}, "days must be from 0.01 to 36,500, got 1e-300$"),
        ({"agents": [agent()], "model": {"type": "naive bayes", "tol": 0.1}}, "'tol' does not apply to naive bayes"),
        ({"agents": [agent()], "model": {"learning_rate": 0}}, "learning_rate must be from 1e-9 to 9,223,372,036 "),
        ({"agents": [agent()], "model": {"learning_rate": 1e300}}, r"the contracts keep it .*got 1e\+300"),
        ({"agents": [agent()], "model": {"learning_rate": 1e12}}, r"to 9,223,372,036 .*got 1e\+12;"),
        ({"agents": [agent()], "dataset": {"name": "mnist"}}, r"\[dataset\] unknown dataset 'mnist' \(known: imdb, "),
        ({"agents": [agent()], "model": {"max_iter": 0}}, "max_iter at least 1"),
        ({"agents": [agent()], "name": "../escaped"}, "must be usable as a file name"),
        ({"agents": [agent()], "name": ".."}, "must be usable as a file name"),
        ({"agents": [agent(strategy="owner", accounts=2)]}, "at most one agent may be the model's owner"),
        ({"agents": [agent(strategy="owner"), agent(name="b", strategy="owner")]}, "at most one agent may be"),
    ],
)
def test_bad_scenarios_are_refused_by_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data, source="bad.toml")


def test_a_relative_dataset_path_is_read_from_the_scenario_files_folder(tmp_path: Path, monkeypatch) -> None:
    """A scenario and its data moved together run from anywhere; an absolute path and ``~`` stay as given."""
    from sumchain.sim.data import load_data

    folder = tmp_path / "study"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "news.csv").write_bytes((SAMPLES / "fake-news.csv").read_bytes())
    body = "[dataset]\nname = 'fake-news'\npath = '{}'\ninitial_fraction = 0.5\n[[agents]]\nname='a'\nstrategy='spam'"
    (folder / "mine.toml").write_text(body.format("data/news.csv"))
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scenario = load_scenario("study/mine.toml")
    assert Path(scenario.dataset.path) == Path("study/data/news.csv")
    assert load_data(scenario.dataset, seed=0).stream  # read from there
    (folder / "home.toml").write_text(body.format("~/news.csv"))
    assert load_scenario(folder / "home.toml").dataset.path == str(Path("~/news.csv").expanduser())


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows editors save UTF-8 with a byte-order mark: it was "not valid TOML" at line 1, column 1."""
    path = tmp_path / "marked.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'days = 2\n[[agents]]\nname = "a"\nstrategy = "honest"\n')
    assert load_scenario(path).days == 2.0


def test_bad_toml_and_missing_files_are_one_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("days = = 3\n")
    with pytest.raises(ScenarioError, match="is not valid TOML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="no scenario file"):
        load_scenario(tmp_path / "absent.toml")
    with pytest.raises(ScenarioError, match="no shipped scenario of that name"):
        load_scenario("no-such-scenario")
