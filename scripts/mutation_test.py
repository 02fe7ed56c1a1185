"""Mutation testing of the contracts: how many injected bugs do the tests catch?

Each mutant changes one thing in one ``.vy`` file of ``src/sumchain/contracts``
or in the trainers' templates, ``templates/*.vy.template`` (the test mocks, the
compiled files and the generated ``trainers/*.vy`` excepted: a mutant of a
template is written out to every trainer, as ``scripts/build_contracts.py`` does):

- ``comparison``: ``<`` and ``<=``, ``>`` and ``>=``, ``==`` and ``!=`` swapped;
- ``arithmetic``: ``+``/``-``, ``*``/``//``, ``+=``/``-=``, ``<<``/``>>``, ``&``/``|``,
  ``unsafe_add``/``unsafe_sub`` and ``unsafe_mul``/``unsafe_div`` swapped;
- ``constant``: an integer literal ``n`` made ``n + 1``, and ``0`` when it is not;
- ``boolean``: ``and``/``or`` and ``True``/``False`` swapped, a ``not`` dropped;
- ``deletion``: a one-line statement (assignment, ``log``, call, ``assert``) made ``pass``.

Docstrings, comments, pragmas and declarations (``x: type``) are left alone, and so is the
value of a local declared only to be assigned by the tuple on a later line (``a: uint256 = 0``
then ``a, b = f()``: Vyper wants a value; any mutant of it is equivalent).
Each mutant is written into a private copy of the package and its tests (one
per worker, ``--jobs`` in parallel, ``../shared`` linked beside it), its
contracts compiled there (a mutant that does not compile is *stillborn* and
not counted), then the tests run against it with ``PYTHONPATH`` pointing at the
copy: first the tests of the mutated file (``-x``: the first failure kills it),
then, if it survived, every other unit, fuzz and invariant test that can see it.

Which tests can see a mutant is recorded once, in a run of all of them on the
unmutated contracts with ``scripts/mutation_impact.py`` (a pytest plugin), and kept
in ``build/mutation-impact.json`` until a file of ``src/``, ``tests/`` or the plugin
changes: the tests that asked for a contract built from the mutated file (in the
test, a fixture it uses or its module's collection), and those that start another
process. A test that never asks for a contract's bytecode or ABI cannot tell a mutant
of it from the original, so this skips only runs whose outcome is known. Once the
recording exists, the first run too holds only such tests; ``--all-tests`` runs
every test instead. Each run's time limit is three times what its tests took
unmutated, plus a minute (at most :data:`TIME_LIMIT`, which also holds before the
recording).

A mutant is *killed* when a test fails or a run passes its time limit, *survived*
when every test passes. A test that kills a mutant is run once more on the
unmutated contracts, compiled the same way: if it fails there too, the run stops
(every kill of that test would be false). The contracts run on the fast engine
(revm), hypothesis with a fixed seed (``SUMCHAIN_TEST_SEED``).

The report (``--report``, default ``docs/mutation-report.md``) lists per file
the mutants, stillborn, killed and survived, and every survivor with its line.
CI runs a fixed sample of mutants on every change (``tests/test_mutation_sample.py``).

Usage::

    python scripts/mutation_test.py                      # every mutant (hours on 2 cores)
    python scripts/mutation_test.py --sample 20 --seed 1  # 20 mutants drawn with a fixed seed
    python scripts/mutation_test.py --files deposit_refund_take.vy --jobs 2
    python scripts/mutation_test.py --list               # the mutants, without running them
    python scripts/mutation_test.py --names redo.txt     # only the mutants named (as --list prints them)
    python scripts/mutation_test.py --all-tests          # every test for every survivor of the first tests
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / "src" / "sumchain" / "contracts"
SEED_VARIABLE = "SUMCHAIN_TEST_SEED"
FULL_TESTS = ("tests/unit", "tests/fuzz", "tests/invariant")
NOT_ABOUT_BEHAVIOUR = (
    "tests/unit/test_shipped_contracts.py",  # the shipped compiled files must match the sources: any edit fails it
    "tests/unit/test_compile_cache.py",  # the workspace serves the mocks precompiled, past the cache it checks
)
FIRST_TESTS = {  # the tests that most quickly kill a mutant of each file; the full set follows
    "models/sparse_perceptron.vy": ["test_sparse_perceptron.py", "test_sparse_perceptron_bit_exact.py"],
    "models/dense_perceptron.vy": ["test_dense_perceptron.py", "test_dense_perceptron_bit_exact.py"],
    "models/naive_bayes.vy": ["test_naive_bayes.py", "test_naive_bayes_bit_exact.py"],
    "models/nearest_centroid.vy": ["test_nearest_centroid.py", "test_nearest_centroid_bit_exact.py"],
    "models/sparse_nearest_centroid.vy": ["test_nearest_centroid_bit_exact.py"],
    "models/centroids.vy": ["test_nearest_centroid.py", "test_nearest_centroid_bit_exact.py"],
    "incentives/points.vy": ["test_points.py"],
    "incentives/prediction_market.vy": ["test_prediction_market.py", "test_market_scenario.py"],
    "templates/market.vy.template": ["test_prediction_market.py", "test_market_scenario.py"],
    "registry.vy": ["test_registry_contract.py", "test_registry_client.py"],
}
SHARED_FIRST = ["test_every_model.py", "test_deposit_refund_take.py", "test_attacks.py", "test_points.py"]
"""Found in ``tests/unit`` or ``tests/fuzz``."""
TIME_LIMIT = 900
"""Seconds one test run of one mutant may take at most; longer counts as killed (a loop that never ends)."""
IMPACT = REPO / "build" / "mutation-impact.json"
"""Which tests use which contract, recorded by ``scripts/mutation_impact.py`` (see the docstring)."""

SWAPS = {
    "comparison": [
        (" < ", " <= "),
        (" <= ", " < "),
        (" > ", " >= "),
        (" >= ", " > "),
        (" == ", " != "),
        (" != ", " == "),
    ],
    "arithmetic": [
        (" + ", " - "),
        (" - ", " + "),
        (" * ", " // "),
        (" // ", " * "),
        (" += ", " -= "),
        (" -= ", " += "),
        (" << ", " >> "),
        (" >> ", " << "),
        (" & ", " | "),
        (" | ", " & "),
        ("unsafe_add(", "unsafe_sub("),
        ("unsafe_sub(", "unsafe_add("),
        ("unsafe_mul(", "unsafe_div("),
        ("unsafe_div(", "unsafe_mul("),
    ],
    "boolean": [(" and ", " or "), (" or ", " and "), ("True", "False"), ("False", "True"), ("not ", "")],
}
_NUMBER = re.compile(r"(?<![\w.\[])(\d[\d_]*)(?![\w.\]])")
_DECLARATION = re.compile(r"^\s*[A-Za-z_]\w*\s*:\s*[A-Za-z]")
_STATEMENT = re.compile(
    r"^\s*(log |assert |raw_call\(|send\(|self\.\w+(\[.*\])?\s*(=|\+=|-=)|[\w.]+\(.*\)$|\w+\s*(=|\+=|-=|\|=))"
)


@dataclass(frozen=True)
class Mutant:
    """One change to one line of one contract."""

    file: str
    line: int
    operator: str
    before: str
    after: str

    @property
    def name(self) -> str:
        return f"{self.file}:{self.line} {self.operator}: {self.before.strip()} -> {self.after.strip()}"


@dataclass(frozen=True)
class Outcome:
    """What the tests made of a mutant."""

    mutant: Mutant
    status: str  # "killed", "survived", "stillborn"
    seconds: float
    detail: str = ""


def code_lines(source: str) -> Iterator[tuple[int, str]]:
    """The lines that are code: not in a docstring, not a comment, a pragma, a decorator, a declaration
    or a placeholder (:func:`placeholders`)."""
    skipped = placeholders(source.splitlines())
    in_docstring = False
    for number, line in enumerate(source.splitlines(), start=1):
        if number in skipped:
            continue
        quotes = line.count('"""')
        if in_docstring or quotes:
            if quotes % 2:
                in_docstring = not in_docstring
            continue
        text = line.split("#", 1)[0]
        stripped = text.strip()
        if not stripped or stripped.startswith(("@", "def ", "from ", "import ", "struct ", "event ", "interface ")):
            continue
        if _DECLARATION.match(text) and "=" not in text.split(":", 1)[1].split("(", 1)[0]:
            continue
        yield number, text


_LOCAL = re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*[\w\[\], ]+=\s*\S")
_TUPLE_TARGETS = re.compile(r"^\s*([\w, ]+,[\w, ]+)=[^=]")


def placeholders(lines: Sequence[str]) -> set[int]:
    """Line numbers of local declarations whose value only fills Vyper's rule that a local has
    one: a run of declarations (``a: uint256 = 0``) followed at once, at the same indentation,
    by the tuple assignment of the same names (``a, b = f()``, ``f`` not reading them). Any
    mutant of such a value is equivalent, so none is made."""
    found: set[int] = set()
    for number, line in enumerate(lines, start=1):
        declared = _LOCAL.match(line)
        if not declared:
            continue
        indent = line[: len(line) - len(line.lstrip())]
        after = number  # index of the line after this one
        while after < len(lines) and _LOCAL.match(lines[after]) and lines[after].startswith(indent):
            after += 1
        follow = lines[after] if after < len(lines) else ""
        targets = _TUPLE_TARGETS.match(follow)
        if not targets or not follow.startswith(indent) or follow[len(indent)].isspace():
            continue
        value = follow.split("=", 1)[1]
        if declared[1] in {t.strip() for t in targets[1].split(",")} and not re.search(rf"\b{declared[1]}\b", value):
            found.add(number)
    return found


def mutants_of(path: Path) -> list[Mutant]:
    """Every mutant of one contract, in line order."""
    name = str(path.relative_to(CONTRACTS))
    found = []
    for number, text in code_lines(path.read_text()):
        for operator, swaps in SWAPS.items():
            for old, new in swaps:
                start = text.find(old)
                while start != -1:
                    found.append(Mutant(name, number, operator, text, text[:start] + new + text[start + len(old) :]))
                    start = text.find(old, start + 1)
        for match in _NUMBER.finditer(text):
            value = int(match[1].replace("_", ""))
            for changed in {value + 1, 0} - {value}:
                after = text[: match.start()] + str(changed) + text[match.end() :]
                found.append(Mutant(name, number, "constant", text, after))
        if _STATEMENT.match(text) and text.count("(") == text.count(")"):
            indent = text[: len(text) - len(text.lstrip())]
            found.append(Mutant(name, number, "deletion", text, f"{indent}pass"))
    return found


def all_mutants(files: Sequence[str] | None = None) -> list[Mutant]:
    """The mutants of every contract (or of the named files), in a stable order."""
    paths = sorted(p for p in CONTRACTS.rglob("*.vy") if not {"mocks", "trainers"} & set(p.parts))
    paths += sorted((CONTRACTS / "templates").glob("*.vy.template"))
    if files:
        paths = [p for p in paths if p.name in files or str(p.relative_to(CONTRACTS)) in files]
        if not paths:
            raise SystemExit(f"no contract named {', '.join(files)} in {CONTRACTS}")
    return [mutant for path in paths for mutant in mutants_of(path)]


_IMPORT = re.compile(r"^from (\.+)([\w.]*) import (.+)$", re.MULTILINE)
COMPILE = """
import json, sys
from sumchain.chain import compiler
originals, affected = json.loads(sys.stdin.read()), set(sys.argv[1:])
compiler.write_trainers()  # a mutant of the template reaches every trainer
for name, data in originals.items():
    if name in affected:
        compiler.compile_contract(name)
    else:
        path = compiler.COMPILED_DIR / f"{compiler._file_name(name)}.json"
        path.write_text(json.dumps({**data, "sources": compiler.sources_hash()}))
"""
"""Run in the workspace: compile the contracts a mutant changes, reuse the others as they were."""


def closure(source: str, folder: Path, seen: set[Path] | None = None) -> set[Path]:
    """Every contract file that ``source`` (a file in ``folder``) imports, directly or not."""
    seen = set() if seen is None else seen
    for dots, module, names in _IMPORT.findall(source):
        base = folder
        for _ in range(len(dots) - 1):
            base = base.parent
        base = base.joinpath(*module.split(".")) if module else base
        for name in names.split(","):
            path = base / f"{name.split(' as ')[0].strip()}.vy"
            if path.is_file() and path not in seen:
                seen.add(path)
                closure(path.read_text(), path.parent, seen)
    return seen


def originals() -> tuple[dict[str, dict[str, object]], dict[str, set[str]]]:
    """The compiled form of every shipped contract and test mock as the sources are now, and the
    contract files each one is built from (below ``contracts/``)."""
    from sumchain.chain import compiler

    compiled: dict[str, dict[str, object]] = {}
    sources: dict[str, set[str]] = {}
    mocks = [f"mocks/{p.stem}" for p in sorted((CONTRACTS / "mocks").glob("*.vy"))]
    for name in [*compiler.SHIPPED, *mocks]:
        contract = compiler.compile_contract(name)
        compiled[name] = {
            "name": name,
            "compiler": f"vyper {compiler.metadata.version('vyper')}",
            "evm_version": compiler.EVM_VERSION,
            "abi": contract.abi,
            "bytecode": "0x" + contract.bytecode.hex(),
            "runtime_size": contract.runtime_size,
        }
        path, text = compiler._source(name)
        files = closure(text, (CONTRACTS / path).parent) | {CONTRACTS / path}
        if name in compiler.CLAIM_TRAINERS:
            files.add(compiler.TEMPLATE)
        elif name in compiler.TRAINERS:
            files.add(compiler.MARKET_TEMPLATE)
        sources[name] = {str(f.relative_to(CONTRACTS)) for f in files}
    return compiled, sources


def test_path(name: str) -> str:
    """A test file of :data:`FIRST_TESTS` by its name."""
    found = [REPO / "tests" / folder / name for folder in ("unit", "fuzz")]
    return next(str(path.relative_to(REPO)) for path in found if path.is_file())


class FailsUnmutated(Exception):
    """A test that kills a mutant fails without it too: the run stops, its kills would be false."""


class NoTestsRan(Exception):
    """pytest ran none of the tests given (not found, or none collected): a broken run, not a kill."""


def tree_hash() -> str:
    """A hash of every file the recording depends on: ``src/``, ``tests/`` and the plugin."""
    digest = hashlib.sha256()
    for tree in ("src", "tests", "scripts/mutation_impact.py"):
        for path in sorted([REPO / tree, *(REPO / tree).rglob("*")]):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".sqlite"):
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def file_of(node: str) -> str:
    """The file of a pytest node id (``tests/unit/test_x.py::test_y[z]``)."""
    return node.split("::", 1)[0]


@dataclass(frozen=True)
class Impact:
    """What ``scripts/mutation_impact.py`` recorded: the tests per contract, and each test's time."""

    contracts: dict[str, list[str]]
    always: list[str]
    seconds: dict[str, float]
    order: list[str]

    def tests_for(self, contracts: Sequence[str], skipped: Sequence[str]) -> list[str]:
        """The tests, in the order they ran, that use any of ``contracts`` or start a process; not
        those in the files ``skipped`` (already run)."""
        wanted = set(self.always).union(*(self.contracts.get(name, ()) for name in contracts))
        return [node for node in self.order if node in wanted and file_of(node) not in skipped]

    def limit(self, tests: Sequence[str]) -> float:
        """Seconds a run of ``tests`` (node ids or files) may take: three times their unmutated time, plus a minute."""
        named = set(tests)
        took = sum(s for node, s in self.seconds.items() if node in named or file_of(node) in named)
        return min(TIME_LIMIT, 60 + 3 * took)


class Workspace:
    """A private copy of the package and its tests for one worker: mutants are written into it in turn."""

    def __init__(
        self,
        root: Path,
        compiled: dict[str, dict[str, object]],
        sources: dict[str, set[str]],
        impacts: Impacts | None = None,
    ) -> None:
        self.root, self.compiled, self.sources, self.impacts = root, compiled, sources, impacts
        for tree in ("src", "tests"):  # the tests too: a run of hours must not see later edits
            shutil.copytree(REPO / tree, root / tree, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite*"))
        for name in ("pyproject.toml", "README.md"):  # the README too: tests run its examples
            shutil.copy2(REPO / name, root / name)
        self.contracts = root / "src" / "sumchain" / "contracts"
        generated = [*(self.contracts / "compiled").glob("*.json"), *(self.contracts / "trainers").glob("*.vy")]
        self.shipped = {p: p.read_bytes() for p in generated}
        self.checked: dict[str, bool] = {}
        """Per test node: whether it passes on the unmutated contracts (:meth:`passes_unmutated`)."""

    def run(self, mutant: Mutant) -> Outcome:
        """Write the mutant, compile it, run the tests, put the original back."""
        path = self.contracts / mutant.file
        original = path.read_text()
        lines = original.splitlines(keepends=True)
        ending = "\n" if lines[mutant.line - 1].endswith("\n") else ""
        lines[mutant.line - 1] = mutant.after + (lines[mutant.line - 1][len(mutant.before.rstrip("\n")) :] or ending)
        path.write_text("".join(lines))
        start = time.monotonic()
        try:
            outcome = self._judge(mutant, start)
        finally:
            path.write_text(original)
            self._restore()
        if outcome.status == "killed" and not self.passes_unmutated(outcome.detail):
            raise FailsUnmutated(
                f"{outcome.detail}\nThis test fails on the unmutated contracts too, so it would kill every mutant: "
                "mend it, or list it in NOT_ABOUT_BEHAVIOUR when it is not about the contracts' behaviour."
            )
        return outcome

    def _restore(self) -> None:
        """The generated files as shipped (the compiled contracts and trainers)."""
        for shipped, data in self.shipped.items():
            shipped.write_bytes(data)
        for extra in set((self.contracts / "compiled").glob("*.json")) - set(self.shipped):
            extra.unlink()

    def _environment(self, cache: Path) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(self.root / "src"), SUMCHAIN_CACHE_DIR=str(cache), SUMCHAIN_ENGINE="revm")
        env.setdefault(SEED_VARIABLE, "1")
        return env

    def _judge(self, mutant: Mutant, start: float) -> Outcome:
        with tempfile.TemporaryDirectory(dir=self.root) as cache:
            env = self._environment(Path(cache))
            affected = [name for name, files in self.sources.items() if mutant.file in files]
            error = self._compile(affected, env)
            if error:
                return Outcome(mutant, "stillborn", time.monotonic() - start, error)
            first = [test_path(name) for name in FIRST_TESTS.get(mutant.file, []) + SHARED_FIRST]
            for tests, limit in self._runs(affected, first):
                failed = self._tests(tests, env, limit) if tests else ""
                if failed:
                    return Outcome(mutant, "killed", time.monotonic() - start, failed)
            return Outcome(mutant, "survived", time.monotonic() - start)

    def _runs(self, affected: list[str], first: list[str]) -> Iterator[tuple[list[str], float]]:
        """The test runs of a mutant of the ``affected`` contracts, with their time limits: the tests
        in the files ``first``, then the others. Once the impact is known, each holds only the tests
        that use an affected contract (or start a process); with ``--all-tests``, every test."""
        known = self.impacts.impact if self.impacts else None
        if known is None:
            yield first, TIME_LIMIT
        else:
            used = [node for node in known.tests_for(affected, ()) if file_of(node) in first]
            yield used, known.limit(used)
        impact = self.impacts.get() if self.impacts else None
        rest = impact.tests_for(affected, first) if impact else list(FULL_TESTS)
        yield rest, impact.limit(rest) if impact else TIME_LIMIT

    def _compile(self, affected: list[str], env: dict[str, str]) -> str:
        """Compile the ``affected`` contracts, reuse the others: "" or the compiler's last line."""
        compiled = subprocess.run(
            [sys.executable, "-c", COMPILE, *affected],
            input=json.dumps(self.compiled),
            env=env,
            capture_output=True,
            text=True,
        )
        if compiled.returncode == 0:
            return ""
        return (compiled.stderr.strip().splitlines() or ["does not compile"])[-1][:200]

    def _tests(self, tests: list[str], env: dict[str, str], limit: float = TIME_LIMIT, *options: str) -> str:
        """The first failure's summary line, or "" when every test passes within ``limit`` seconds."""
        ignored = [f"--ignore={path}" for path in NOT_ABOUT_BEHAVIOUR]
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *options, *ignored, *tests]
        try:
            done = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return f"timed out after {limit:.0f} s"
        if done.returncode == 0:
            return ""
        if done.returncode in (4, 5):  # tests not found, or none collected: no kill, a run gone wrong
            raise NoTestsRan(f"pytest ran none of {len(tests)} tests: {done.stderr.strip()[-300:]}")
        failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        return (failures or done.stdout.strip().splitlines()[-1:] or ["failed"])[0][:200]

    def passes_unmutated(self, failure: str) -> bool:
        """Whether the test that ``failure`` (a summary line) names passes on the unmutated
        contracts, compiled as for a mutant: only then does its failure count as a kill
        (a test that fails anyway, e.g. on the workspace itself, would kill every mutant).
        Checked once per test; a failure that names no test (a time-out) counts as it is."""
        node = failure.split(" ", 1)[1].split(" - ", 1)[0] if failure.startswith(("FAILED ", "ERROR ")) else ""
        if not node:
            return True
        if node not in self.checked:
            with tempfile.TemporaryDirectory(dir=self.root) as cache:
                env = self._environment(Path(cache))
                try:
                    self.checked[node] = not self._compile([], env) and not self._tests([node], env)
                finally:
                    self._restore()
        return self.checked[node]

    def record_impact(self) -> dict[str, object]:
        """Run every unit, fuzz and invariant test on the unmutated contracts with
        ``scripts/mutation_impact.py``: what it wrote (see :class:`Impact`)."""
        with tempfile.TemporaryDirectory(dir=self.root) as cache:
            env = self._environment(Path(cache))
            out = Path(cache) / "impact.json"
            env.update(SUMCHAIN_IMPACT_OUT=str(out), PYTHONPATH=f"{env['PYTHONPATH']}{os.pathsep}{REPO / 'scripts'}")
            plugin = ("-p", "mutation_impact")
            try:
                failed = self._compile([], env) or self._tests(list(FULL_TESTS), env, 4 * TIME_LIMIT, *plugin)
            finally:
                self._restore()
            if failed:
                raise FailsUnmutated(f"{failed}\nThe tests fail on the unmutated contracts: mend them first.")
            return json.loads(out.read_text())


class Impacts:
    """The run's :class:`Impact`: read from :data:`IMPACT` when it was recorded from the files as
    they are, else recorded (once, in a workspace of its own) when a mutant first needs it."""

    def __init__(self, folder: Path, compiled: dict[str, dict[str, object]], sources: dict[str, set[str]]) -> None:
        self.folder, self.compiled, self.sources = folder, compiled, sources
        self.tree = tree_hash()  # now: the workspaces copy the files as they are now
        self.lock = threading.Lock()
        self.impact: Impact | None = None
        """Set once known; until then, runs take the longest time limit."""
        self.workspace: Workspace | None = None
        """Where the impact is recorded, copied now with the workers' (the tests' names must be theirs)."""
        saved = json.loads(IMPACT.read_text()) if IMPACT.is_file() else {}
        if saved.get("tree") == self.tree:
            self.impact = Impact(**{key: value for key, value in saved.items() if key != "tree"})
        else:
            self.workspace = Workspace(folder / "impact", compiled, sources)

    def get(self) -> Impact:
        """The impact, recorded first when it is not known yet."""
        with self.lock:
            if self.impact is None:
                print("recording which tests use which contract (one run of every test) ...", file=sys.stderr)
                assert self.workspace is not None  # made with the workers' copies when no impact was saved
                recorded = self.workspace.record_impact()
                IMPACT.parent.mkdir(parents=True, exist_ok=True)
                IMPACT.write_text(json.dumps({"tree": self.tree, **recorded}) + "\n")
                self.impact = Impact(**recorded)  # type: ignore[arg-type]
            return self.impact


def report(outcomes: list[Outcome], chosen: int, total: int, seconds: float, command: str) -> str:
    """The markdown report: per file, then every survivor."""
    by_file: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        by_file.setdefault(outcome.mutant.file, Counter())[outcome.status] += 1
    counted = [o for o in outcomes if o.status != "stillborn"]
    killed = sum(o.status == "killed" for o in counted)
    score = killed / len(counted) if counted else 0.0
    lines = [
        "# Mutation testing of the contracts",
        "",
        f"`{command}`: {len(outcomes)} of the {chosen} mutants chosen (of {total}) run in {seconds / 60:.0f} min "
        f"({time.strftime('%Y-%m-%d', time.gmtime())}); score {score:.1%} "
        f"({killed} killed of {len(counted)} that compile). How: `scripts/mutation_test.py`'s docstring.",
        "",
        "| file | mutants | stillborn | killed | survived | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for file, counts in sorted(by_file.items()):
        alive = counts["killed"] + counts["survived"]
        share = f"{counts['killed'] / alive:.1%}" if alive else "-"
        row = f"| {file} | {sum(counts.values())} | {counts['stillborn']} | {counts['killed']} | {counts['survived']} |"
        lines.append(f"{row} {share} |")
    survivors = [o for o in outcomes if o.status == "survived"]
    lines += ["", "## Survivors", ""] + ([f"- `{o.mutant.name}`" for o in survivors] or ["None."])
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", help="contracts to mutate (file names or paths below contracts/)")
    parser.add_argument("--sample", type=int, help="run this many mutants drawn with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--names", type=Path, help="run only the mutants named in this file (as --list prints them)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "mutation-report.md")
    parser.add_argument("--json", type=Path, help="also write every outcome as JSON here")
    parser.add_argument(
        "--all-tests",
        action="store_true",
        help="run every test on a survivor of the first tests, not just those that use its contracts",
    )
    settings = parser.parse_args(argv)
    mutants = all_mutants(settings.files)
    chosen = mutants
    if settings.sample is not None:
        chosen = sorted(
            random.Random(settings.seed).sample(mutants, min(settings.sample, len(mutants))), key=mutants.index
        )
    if settings.names:
        wanted = set(filter(None, settings.names.read_text().splitlines()))
        chosen = [m for m in chosen if m.name in wanted]
        unknown = wanted - {m.name for m in chosen}
        if unknown:
            raise SystemExit(f"no such mutant: {sorted(unknown)[0]}")
    if settings.list:
        print("\n".join(m.name for m in chosen))
        return
    print(f"{len(chosen)} of {len(mutants)} mutants, {settings.jobs} at a time:", file=sys.stderr)
    for mutant in chosen:
        print(f"  {mutant.name}", file=sys.stderr)
    start = time.monotonic()
    command = "python scripts/mutation_test.py " + " ".join(argv if argv is not None else sys.argv[1:])
    settings.report.parent.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        """Keep an outcome and rewrite the report and the JSON: an interrupted run still says what it found."""
        print(f"{outcome.status:9} {outcome.seconds:6.0f} s  {outcome.mutant.name}  {outcome.detail}", file=sys.stderr)
        with lock:
            outcomes.append(outcome)
            done = sorted(outcomes, key=lambda o: chosen.index(o.mutant))
            text = report(done, len(chosen), len(mutants), time.monotonic() - start, command.strip())
            settings.report.write_text(text)
            if settings.json:
                settings.json.write_text(json.dumps([asdict(o) for o in done], indent=1) + "\n")

    with tempfile.TemporaryDirectory(prefix="sumchain-mutants-") as folder:
        compiled, sources = originals()
        if (REPO.parent / "shared").is_dir():  # ../shared beside each copy, as beside the checkout
            (Path(folder) / "shared").symlink_to(REPO.parent / "shared")
        impacts = None if settings.all_tests else Impacts(Path(folder), compiled, sources)
        free = [Workspace(Path(folder) / f"worker-{i}", compiled, sources, impacts) for i in range(settings.jobs)]

        stopped: list[str] = []

        def judge(mutant: Mutant) -> None:
            with lock:
                if stopped:
                    return
                space = free.pop()
            try:
                record(space.run(mutant))
            except (FailsUnmutated, NoTestsRan) as error:
                with lock:
                    stopped.append(str(error))
            finally:
                with lock:
                    free.append(space)

        with ThreadPoolExecutor(settings.jobs) as pool:
            list(pool.map(judge, chosen))
        if stopped:
            raise SystemExit(stopped[0])
    counts = Counter(o.status for o in outcomes)
    print(
        f"killed {counts['killed']}, survived {counts['survived']}, stillborn {counts['stillborn']}: {settings.report}"
    )


if __name__ == "__main__":
    main()
