"""Mutation testing on every change: a fixed random sample of contract mutants must be killed.

``scripts/mutation_test.py`` makes every mutant of every contract (the full run takes hours;
its report is ``docs/mutation-report.md``). CI runs :data:`SAMPLE` of them, drawn with
:data:`SEED`, each against the tests as the full run does; the sample is printed. The draw
follows ``--list``: when the contracts' mutants change, so does the sample, and a seed whose
sample holds a mutant the report explains as equivalent (it cannot be killed) is replaced.
Seed 0 drew ``sparse_perceptron.vy`` 159 (``CHUNK_INDICES - 1`` made ``- 2``, equivalent) once
the market's mutants grew to 1,912.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE, SEED = 3, 1


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


def test_the_impact_run_records_which_tests_use_which_contract(tmp_path: Path) -> None:
    """A contract counts for the test that asks for it, in itself, a fixture (set up once, counted
    for every user), its module's collection, or through ``compile_trainer``; a test that starts a
    process runs for every mutant."""
    (tmp_path / "test_module_level.py").write_text(
        "from sumchain.chain.compiler import compile_contract\n"
        "ATTACKER = compile_contract('mocks/attacker_mock')\n"
        "def test_module_level():\n    assert ATTACKER.bytecode\n"
    )
    (tmp_path / "test_others.py").write_text(
        "import subprocess, sys\nimport pytest\n"
        "from sumchain.chain.compiler import compile_contract, compile_trainer\n"
        "@pytest.fixture(scope='session')\ndef registry():\n    return compile_contract('registry')\n"
        "def test_fixture(registry):\n    pass\n"
        "def test_trainer():\n    compile_trainer('naive_bayes', 'points')\n"
        "def test_nothing():\n    pass\n"
        "def test_process():\n    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n"
        "def test_fixture_again(registry):\n    pass\n"
    )
    out = tmp_path / "impact.json"
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts"), SUMCHAIN_IMPACT_OUT=str(out))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "mutation_impact", "-p", "no:cacheprovider", "."]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2_000:]
    impact = json.loads(out.read_text())
    others = "test_others.py::test_"
    assert impact["contracts"] == {
        "mocks/attacker_mock": ["test_module_level.py::test_module_level"],
        "registry": [f"{others}fixture", f"{others}fixture_again"],
        "trainers/naive_bayes__points": [f"{others}trainer"],
    }
    assert impact["always"] == [f"{others}process"]
    assert len(impact["order"]) == len(impact["seconds"]) == 6
