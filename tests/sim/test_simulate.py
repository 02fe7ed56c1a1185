"""A short scenario end to end: sumchain simulate writes JSON, PNG and HTML; runs are reproducible."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sumchain.datasets import IMDB_ARCHIVE
from sumchain.sim import load_run, load_scenario, simulate
from sumchain.sim.data import load_data
from sumchain.sim.html import render_html
from sumchain.sim.runner import baseline_accuracy, scenario_baseline
from sumchain.sim.scenario import ScenarioError, parse_scenario

SMOKE = Path(__file__).resolve().parents[2] / "src" / "sumchain" / "sim" / "scenarios" / "smoke.toml"


def sumchain(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sumchain", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_simulate_writes_the_run_and_its_figures_then_combine_draws_runs_together(tmp_path: Path) -> None:
    done = sumchain(tmp_path, "simulate", "smoke", "--days", "2", "--seed", "3", "--out", "runs")
    assert done.returncode == 0, done.stderr
    assert "contributions/s" in done.stdout
    run = load_run(tmp_path / "runs" / "smoke-seed3.json")
    assert run.seed == 3 and run.times[0] == 0 and run.times[-1] == pytest.approx(2, abs=0.01)
    assert len(run.accuracy) == len(run.times) > 4
    assert 0 < run.baseline <= 1 and run.contributions > 20
    scenario = load_scenario("smoke")
    assert "Training the model on all 180 training samples for the baseline" in done.stdout
    assert run.baseline == baseline_accuracy(scenario.model, load_data(scenario.dataset, 3), 3)
    assert (tmp_path / "runs" / "smoke-seed3.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = (tmp_path / "runs" / "smoke-seed3.html").read_text()
    assert page.count("<polyline") == 1 + 1 + len(run.agents)  # baseline, accuracy, each balance
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # self-contained: nothing fetched
    done = sumchain(tmp_path, "simulate", "smoke", "--days", "1", "--out", "runs")
    assert done.returncode == 0, done.stderr
    done = sumchain(tmp_path, "simulate", "combine", "runs/smoke-seed3.json", "runs/smoke-seed0.json", "--out", "runs")
    assert done.returncode == 0, done.stderr
    combined = (tmp_path / "runs" / "combined.html").read_text()
    assert combined.count("<polyline") == 2 * (2 + len(run.agents))
    assert "smoke (seed 0)" in combined and "smoke (seed 3)" in combined
    assert (tmp_path / "runs" / "combined.png").stat().st_size > 1_000


def test_combined_runs_are_told_apart_by_mechanism_and_by_place_when_name_and_seed_repeat() -> None:
    drt, points = (simulate(load_scenario(name), days=0.3) for name in ("smoke", "smoke-points"))
    points.scenario["name"] = "smoke"
    page = render_html([drt, points, points])
    assert "smoke (deposit-refund-take, seed 0): accuracy" in page
    assert "smoke (points, seed 0) #2: accuracy" in page and "smoke (points, seed 0) #3: accuracy" in page
    assert "smoke (seed 0)" not in page
    drt.scenario["mechanism"] = None  # a hand-edited run file: drawn, named without a mechanism
    assert "smoke (seed 0): accuracy" in render_html([drt, points])


def test_in_one_run_each_agent_of_a_side_has_a_colour_of_its_own() -> None:
    import dataclasses

    from sumchain.sim.plots import ATTACKER, HONEST, series

    run = simulate(load_scenario("smoke"), days=0.3)
    honest, flipper = run.agents
    run.agents = [
        honest,
        dataclasses.replace(honest, name="second"),
        flipper,
        dataclasses.replace(flipper, name="flood"),
    ]
    hues = {line.label: line.color for line in series([run]) if line.label.endswith("balance")}
    assert hues["honest (honest) balance"] == HONEST and hues["flipper (flipper) balance"] == ATTACKER
    assert len(set(hues.values())) == 4  # the second of each side is told apart from the first


def test_among_several_runs_each_agent_of_a_run_has_a_mark_of_its_own() -> None:
    """One colour per run: the attackers of a run, all dashed, were the same line but for their label."""
    from sumchain.sim.plots import series

    runs = [simulate(load_scenario("smoke"), seed=seed, days=0.3) for seed in (0, 1)]
    marks = {line.label: line.marker for line in series(runs) if line.label.endswith("balance")}
    assert len(marks) == 4 and all(marks.values())
    assert marks["smoke (seed 0): honest (honest) balance"] != marks["smoke (seed 0): flipper (flipper) balance"]
    assert not any(line.marker for line in series(runs[:1]))  # one run: its colours tell its agents apart


def test_a_png_of_many_agents_has_its_legend_beside_the_plot(tmp_path: Path) -> None:
    """60 agents: the legend ran off the figure, with matplotlib's warning that it could not lay it out."""
    import dataclasses
    import warnings

    from PIL import Image

    from sumchain.sim.plots import LEGEND_ROWS, render_png, series

    run = simulate(load_scenario("smoke"), days=0.3)
    run.agents = [dataclasses.replace(run.agents[k % 2], name=f"agent {k}") for k in range(60)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        few, many = (render_png([r]) for r in (simulate(load_scenario("smoke"), days=0.3), run))
    (tmp_path / "many.png").write_bytes(many)
    columns = -(-len(series([run])) // LEGEND_ROWS)
    assert columns == 3
    with Image.open(tmp_path / "many.png") as image, Image.open(io.BytesIO(few)) as small:
        assert image.height == small.height and image.width > small.width + 2 * 300  # room for 2 more columns


def test_a_run_that_ends_early_says_on_which_day_and_why(tmp_path: Path) -> None:
    (tmp_path / "short.toml").write_text(
        'days = 300\n[dataset]\nname = "iris"\n[model]\ntype = "naive bayes"\n[mechanism]\nkind = "points"\n'
        '[[agents]]\nname = "a"\nstrategy = "honest"\naccounts = 3\n'
    )
    done = sumchain(tmp_path, "simulate", "short.toml", "--out", "runs")
    assert done.returncode == 0, done.stderr
    ended = load_run(tmp_path / "runs" / "short-seed0.json").times[-1]
    assert ended < 10
    assert f"day {ended:.1f} of 300 " in done.stdout and "day 300.0 of 300" not in done.stdout
    assert f"The data ran out and no contribution was left open: the run ended at day {ended:.1f} of 300" in done.stdout
    (tmp_path / "idle.toml").write_text(
        'days = 10\n[dataset]\nname = "iris"\n[model]\ntype = "naive bayes"\n'
        '[[agents]]\nname = "a"\nstrategy = "honest"\nstart_balance = 0\n'
    )
    done = sumchain(tmp_path, "simulate", "idle.toml", "--out", "runs")
    assert (
        "No agent had anything left to do (no coins, nothing to claim): the run ended at day 0.0 of 10" in done.stdout
    )
    done = sumchain(tmp_path, "simulate", "smoke", "--days", "1.1", "--out", "runs")  # a length that is no whole record
    assert "day 1.1 of 1.1 " in done.stdout and "ended at" not in done.stdout, done.stdout
    assert load_run(tmp_path / "runs" / "smoke-seed0.json").times[-1] == 1.1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[[agents]]\nname = "a"\nstrategy = "troll"\n',
            "ScenarioError: bad.toml: agent 'a': unknown strategy 'troll'",
        ),
        ('[[agents]]\nname = "a"\nstrategy = "honest"\nbalance = 3\n', "unknown key 'balance'"),
        ('[[agents]]\nname = "a"\nstrategy = "honest"\nstart_balance = -3\n', "start_balance must not be negative"),
        ("days = [\n", "is not valid TOML"),
        (
            '[dataset]\nname = "fake-news"\npath = "nowhere.csv"\n[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "no dataset at",
        ),
        (
            '[dataset]\nname = "iris"\n[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "the sparse perceptron has two classes, the dataset 3: use naive bayes",
        ),
        (
            '[mechanism]\nkind = "prediction-market"\nbounty = 500\n[[agents]]\nname = "o"\nstrategy = "owner"\n'
            'start_balance = 10\n[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "the bounty of 500 coins is more than its provider holds (10)",
        ),
        (
            "[mechanism]\nrefund_wait_days = 3\nowner_claim_wait_days = 2\n"
            '[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "[mechanism] the waits must satisfy refund_wait_days <= owner_claim_wait_days <= any_claim_wait_days, "
            "got 3, 2, 9",
        ),
        (
            '[mechanism]\nkind = "prediction-market"\nstake = 0\n[[agents]]\nname = "o"\nstrategy = "owner"\n'
            '[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "[mechanism] stake must be at least 3.2768e-14 coins",
        ),
        (
            '[dataset]\nname = "iris"\n[model]\ntype = "naive bayes"\n[mechanism]\nkind = "prediction-market"\n'
            'test_size = 2\npieces = 3\n[[agents]]\nname = "o"\nstrategy = "owner"\n[[agents]]\nname = "a"\n'
            'strategy = "honest"\n',
            "[mechanism] pieces: 2 test samples fit in 2 to 2 pieces of at most 32, not 3",
        ),
        ('[[agents]]\nname = "a"\nstrategy = "sybil"\naccounts = 5000\n', "accounts must be from 1 to 1,000"),
        ('[[agents]]\nname = " "\nstrategy = "honest"\n', "an agent's name must not be empty"),
        ('name = "a\\u0000b"\n[[agents]]\nname = "a"\nstrategy = "honest"\n', "must be usable as a file name"),
        ('seed = 18446744073709551616\n[[agents]]\nname = "a"\nstrategy = "honest"\n', "seed must be at most"),
        (
            '[dataset]\nname = "tiny-reviews"\ninitial_fraction = 0.001\n[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "give 0 to train on first (initial_fraction 0.001)",
        ),
        (  # checked by the contracts' range, the weights it gives outgrow 64 bits: it was an "Unexpected error"
            '[model]\ntype = "sparse perceptron"\nlearning_rate = 1e7\n[[agents]]\nname = "a"\nstrategy = "honest"\n',
            "[model] weights up to",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(content)
    done = sumchain(tmp_path, "simulate", "bad.toml", "--out", "runs")
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_a_bounty_its_provider_cannot_pay_is_refused_before_the_data_loads() -> None:
    """The owner's start balance and the market's bounty are both in the scenario: it was checked only once
    the data was loaded and the baseline trained (about 20 s on IMDB)."""
    text = (
        '[mechanism]\nkind = "prediction-market"\nbounty = 500\n[[agents]]\nname = "o"\nstrategy = "owner"\n'
        'start_balance = 10\n[[agents]]\nname = "a"\nstrategy = "honest"\n'
    )
    with pytest.raises(ScenarioError, match=re.escape("the bounty of 500 coins is more than its provider holds (10)")):
        parse_scenario(tomllib.loads(text), source="bad.toml")


@pytest.mark.skipif(not IMDB_ARCHIVE.exists(), reason=f"the IMDB archive is not at {IMDB_ARCHIVE}")
def test_ctrl_c_during_a_run_says_so_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    """Typer answers Ctrl-C with a silent exit 130: the run stopped without a word. (The IMDB scenario
    takes seconds to load and train its baseline: time to press Ctrl-C.)"""
    import signal

    from tests.helpers import start_sumchain

    process = start_sumchain(tmp_path, "simulate", "paper-drt", "--days", "1", "--out", "runs")
    assert process.stdout is not None
    while "Loading the imdb dataset" not in (line := process.stdout.readline()):
        assert line, process.communicate(timeout=60)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 130
    assert errors.strip() == "Interrupted: nothing more was done."
    assert not (tmp_path / "runs").exists()


def test_the_output_folder_is_checked_before_the_run_and_a_name_with_dots_is_kept_whole(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "runs" / "smoke-seed0.html").mkdir(parents=True)
    for folder, message in [
        ("file", "cannot write to file: "),
        ("file/sub", "is a file, not a folder"),
        ("runs", "smoke-seed0.html is a folder, not a file to write"),
    ]:
        done = sumchain(tmp_path, "simulate", "smoke", "--days", "0.5", "--out", folder)
        assert done.returncode == 1 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "Loading" not in done.stdout
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["smoke-seed0.html"]
    shutil.copy(SMOKE, tmp_path / "exp.v2.toml")
    for seed in ("0", "1"):
        done = sumchain(tmp_path, "simulate", "exp.v2.toml", "--days", "0.5", "--seed", seed, "--out", "runs")
        assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "runs").iterdir() if p.name.startswith("exp"))
    assert written == [f"exp.v2-seed{seed}.{kind}" for seed in (0, 1) for kind in ("html", "json", "png")]


def test_a_name_with_dollar_signs_is_drawn_as_written(tmp_path: Path) -> None:
    (tmp_path / "dollar.toml").write_text(SMOKE.read_text().replace('name = "honest"', 'name = "$\\\\foo{$"'))
    assert "$\\foo{$" in load_scenario(str(tmp_path / "dollar.toml")).agents[0].name
    done = sumchain(tmp_path, "simulate", "dollar.toml", "--days", "0.5", "--out", "runs")
    assert done.returncode == 0, done.stderr
    assert sorted(p.suffix for p in (tmp_path / "runs").iterdir()) == [".html", ".json", ".png"]


def test_a_run_interrupted_while_its_files_are_written_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from typer.testing import CliRunner

    from sumchain.cli.app import app

    make = tempfile.mkstemp

    def interrupted(*args: object, **kwargs: str) -> tuple[int, str]:
        if ".png." in kwargs["prefix"]:  # the last of the three
            raise KeyboardInterrupt
        return make(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", interrupted)
    monkeypatch.chdir(tmp_path)
    sweep = ["sweep", "smoke", "--fractions", "0.5", "--mechanisms", "points", "--models", "naive bayes", "--jobs", "1"]
    for command in (["smoke"], sweep):
        done = CliRunner().invoke(app, ["simulate", *command, "--days", "0.5", "--out", "new/runs"])
        assert done.exit_code != 0
        assert list(tmp_path.iterdir()) == [], command  # not even the folders made for them


def test_a_run_that_cannot_write_a_file_keeps_the_earlier_run_whole(tmp_path: Path) -> None:
    assert sumchain(tmp_path, "simulate", "smoke", "--days", "0.5", "--out", "runs").returncode == 0
    earlier = {p.name: p.read_bytes() for p in (tmp_path / "runs").iterdir()}
    assert sorted(earlier) == ["smoke-seed0.html", "smoke-seed0.json", "smoke-seed0.png"]
    limited = f"ulimit -f 16; exec {sys.executable} -m sumchain simulate smoke --days 1 --out runs"
    done = subprocess.run(["bash", "-c", limited], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert re.fullmatch(
        r"SumchainError: cannot write runs/smoke-seed0\.\w+: File too large; nothing was written\n", done.stderr
    )
    assert {p.name: p.read_bytes() for p in (tmp_path / "runs").iterdir()} == earlier


def test_an_output_folder_that_is_a_link_to_nothing_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "runs").symlink_to(tmp_path / "gone")
    done = sumchain(tmp_path, "simulate", "smoke", "--days", "0.5", "--out", "runs")
    assert done.returncode == 1 and "Loading" not in done.stdout
    assert (
        done.stderr
        == f"SumchainError: cannot write to runs: {tmp_path / 'runs'} is a link to nothing ({tmp_path / 'gone'})\n"
    )


def test_days_beyond_a_hundred_years_are_refused(tmp_path: Path) -> None:
    for days in ("inf", "40000"):
        done = sumchain(tmp_path, "simulate", "smoke", "--days", days, "--out", "runs")
        assert done.returncode == 1 and "--days must be at most 36,500" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("times", None, "times must be list[float], got None"),
        ("scenario", "x", "scenario must be dict[str, Any]"),
        ("baseline", "high", "baseline must be float"),
        ("accuracy", "every", "accuracies from 0 to 1"),
        ("agents", [3], "agent 1: not an object"),
    ],
)
def test_a_hand_edited_run_with_values_of_the_wrong_type_is_one_line(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    saved = simulate(load_scenario("smoke"), days=0.5).to_json()
    saved[field] = [2.0] * len(saved["times"]) if value == "every" else value
    (tmp_path / "edited.json").write_text(json.dumps(saved))
    done = sumchain(tmp_path, "simulate", "combine", "edited.json", "--out", "runs")
    assert done.returncode == 1 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_a_hand_edited_run_whose_values_no_run_gives_is_refused() -> None:
    """Times that go back, and balances no figure can draw (matplotlib overflowed on 1e308)."""
    from sumchain.errors import SumchainError
    from sumchain.sim import Run

    saved = simulate(load_scenario("smoke"), days=0.5).to_json()
    assert Run.from_json(saved).to_json() == saved
    for edit, message in [
        (lambda run: run["times"].reverse(), "times go back"),
        (lambda run: run["times"].__setitem__(0, -1.0), "start before day 0"),
        (lambda run: run["agents"][0]["balance"].__setitem__(1, 1e308), "a balance outside 0 to"),
        (lambda run: run["agents"][1]["balance"].__setitem__(0, -5.0), "a balance outside 0 to"),
    ]:
        edited = json.loads(json.dumps(saved))
        edit(edited)
        with pytest.raises(SumchainError, match=message):
            Run.from_json(edited)


def test_missing_scenario_and_bad_run_files_are_one_line(tmp_path: Path) -> None:
    done = sumchain(tmp_path, "simulate", "absent.toml")
    assert done.returncode == 1 and "no scenario file 'absent.toml'" in done.stderr
    (tmp_path / "x.json").write_text(json.dumps({"format": "other"}))
    done = sumchain(tmp_path, "simulate", "combine", "x.json", "--out", "runs")
    assert done.returncode == 1 and "not a saved sumchain simulation" in done.stderr
    assert not (tmp_path / "runs").exists()


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    scenario = load_scenario("smoke")
    first = simulate(scenario, seed=5, days=1.5).to_json()
    assert json.dumps(first, sort_keys=True) == json.dumps(
        simulate(scenario, seed=5, days=1.5).to_json(), sort_keys=True
    )
    other = simulate(scenario, seed=6, days=1.5).to_json()
    assert other["agents"] != first["agents"]


def test_html_escapes_names() -> None:
    run = simulate(load_scenario("smoke"), days=0.5)
    run.scenario["name"] = "<b>x</b>"
    assert "<b>x</b>" not in render_html([run]) and "&lt;b&gt;x&lt;/b&gt;" in render_html([run])


def test_the_html_script_parses(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    page = render_html([simulate(load_scenario("smoke"), days=0.5)])
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    (tmp_path / "figure.js").write_text(script)
    done = subprocess.run([node, "--check", str(tmp_path / "figure.js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (data,) = re.findall(r'<script type="application/json" id="series">(.*?)</script>', page, re.S)
    assert len(json.loads(data)) == page.count("<polyline")


def test_a_run_stops_when_the_agents_mirror_leaves_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agents decide with a mirror; at each record it must equal the model on chain word for word."""
    from sumchain.errors import SumchainError
    from sumchain.models import SparsePerceptron

    learn = SparsePerceptron.partial_fit
    monkeypatch.setattr(SparsePerceptron, "partial_fit", lambda self, x, y: learn(self, x, [1 - v for v in y]))
    with pytest.raises(SumchainError, match=r"the model on chain left its mirror at day 0\.25"):
        simulate(load_scenario("smoke"), days=1)


def test_a_baseline_already_computed_is_used_as_given() -> None:
    assert simulate(load_scenario("smoke"), days=0.5, baseline=0.25).baseline == 0.25


@pytest.mark.parametrize("baseline", [-0.1, 1.5, float("nan")])
def test_a_baseline_that_is_not_an_accuracy_is_refused(baseline: float) -> None:
    with pytest.raises(ValueError, match="baseline must be an accuracy in"):
        simulate(load_scenario("smoke"), days=0.5, baseline=baseline)


def test_a_scenario_that_gives_its_baseline_is_not_trained_for_it() -> None:
    scenario = dataclasses.replace(load_scenario("smoke"), baseline=0.42)
    assert scenario_baseline(scenario, load_data(scenario.dataset, 0), 0) == 0.42
    assert simulate(scenario, days=0.5).baseline == 0.42
