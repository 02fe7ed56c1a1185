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


def test_values_only_placed_for_a_tuple_assignment_are_not_mutated() -> None:
    """``a: uint256 = 0`` then ``a, b = f()`` at once: the value is never read (no mutant); one that a
    later line reads, or that a loop may skip assigning, is mutated."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mutation_test", REPO / "scripts" / "mutation_test.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules["mutation_test"] = script  # its dataclasses look their module up
    spec.loader.exec_module(script)
    source = [
        "    a: uint256 = 7",  # 1: placeholder
        "    b: bool = False",  # 2: placeholder
        "    a, b = self._f(x)",
        "    m: uint256 = 1 << 127",  # 4: read by the tuple's right side
        "    m, s = self._g(m)",
        "    t: int256 = 0",  # 6: a loop may skip the assignment
        "    for k: uint256 in range(3):",
        "        t, u = self._h(k)",
        "    v: uint256 = 5",  # 9: assigned alone
        "    v = 6",
    ]
    assert script.placeholders(source) == {1, 2}
