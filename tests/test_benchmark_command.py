"""``python -m benchmarks``: one command runs the benchmarks and writes RESULTS.md and results.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.__main__ import Part, read_gas, run

from sumchain import gas

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not gas.BASELINE.is_file(), reason="../shared/original is not next to the checkout")
def test_one_command_writes_every_figure_with_its_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--only",
            "gas,floors,mechanisms,startup",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    figures = {(f["part"], f["name"]): f for f in results["figures"]}
    deploy = figures["gas", "imdb-sparse-perceptron deploy_total / 0xDeCA10B"]
    assert 0 < deploy["value"] <= 0.20 and deploy["command"] == "python -m sumchain gas --json"
    assert figures["startup", "sumchain --help"]["value"] > 0
    report_floor = figures["floors", "imdb-sparse-perceptron report / floor"]
    assert 1 <= report_floor["value"] < 2 and report_floor["command"] == "python benchmarks/gas_floor.py --json"
    points_refund = figures["mechanisms", "imdb-sparse-perceptron refund Points / Deposit, Refund and Take"]
    assert 0 < points_refund["value"] < 1  # no payment, one counter: cheaper than a refund that pays
    assert results["missing"] == {}  # the simulation is measured too (not in this quick selection)
    report = (tmp_path / "RESULTS.md").read_text()
    assert "## Ratios" in report and "imdb-sparse-perceptron deploy_total / 0xDeCA10B" in report
    assert "imdb-sparse-perceptron deploy_total / 0xDeCA10B" in done.stdout


def test_a_benchmark_that_fails_is_one_line_and_the_run_goes_on() -> None:
    broken = Part("broken", [sys.executable, "-c", "raise SystemExit('titanoboa is not installed')"], [], read_gas)
    (figure,) = run(broken, quick=False)
    assert figure.value is None and figure.note == "exit 1: titanoboa is not installed"


def test_an_unknown_part_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "gas,warp"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 2 and "unknown part 'warp'" in done.stderr.strip().splitlines()[-1]
