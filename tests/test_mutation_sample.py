"""Mutation testing on every change: a fixed random sample of contract mutants must be killed.

``scripts/mutation_test.py`` makes every mutant of every contract (the full run takes hours;
its report is ``docs/mutation-report.md``). CI runs :data:`SAMPLE` of them, drawn with
:data:`SEED`, each against the tests as the full run does; the sample is printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE, SEED = 3, 0


def test_a_fixed_sample_of_mutants_is_killed(tmp_path: Path) -> None:
    outcomes_file = tmp_path / "outcomes.json"
    command = [sys.executable, "scripts/mutation_test.py", "--sample", str(SAMPLE), "--seed", str(SEED)]
    command += ["--jobs", "2", "--report", str(tmp_path / "report.md"), "--json", str(outcomes_file)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3_600)
    print(done.stderr)
    assert done.returncode == 0, done.stderr[-2_000:]
    outcomes = json.loads(outcomes_file.read_text())
    assert len(outcomes) == SAMPLE
    survivors = [o["mutant"] for o in outcomes if o["status"] == "survived"]
    assert not survivors, f"mutants the tests did not kill: {survivors}"
