"""A pytest plugin for ``scripts/mutation_test.py``: which tests use which compiled contract.

Loaded with ``-p mutation_impact`` (``scripts/`` on ``PYTHONPATH``) in one run of the tests on
the unmutated contracts, it writes to ``$SUMCHAIN_IMPACT_OUT`` a JSON object:

- ``contracts``: per contract name (as :func:`sumchain.chain.compiler.compile_contract` takes
  it), the node ids of the tests that asked for it: in the test itself, in any fixture the test
  uses (a fixture's contracts count for every test that uses it, whatever its scope), while
  collecting the test's module, or before any test (then for every test);
- ``always``: the tests that start another process (in the test, a fixture it uses or its
  module's collection), which this plugin cannot follow: they run for every mutant;
- ``seconds``: how long each test took (set-up, call and tear-down);
- ``order``: every test, in the order it ran.

Every way to a contract's bytecode or ABI goes through ``compile_contract`` (``compile_trainer``
calls it), so a test that is not listed for a contract cannot observe a mutant of it. The
wrapper is installed when pytest loads this plugin, before ``conftest.py`` and the tests import
anything, and replaces the function in every module that has already imported it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Generator
from typing import Any

import pytest

from sumchain.chain import compiler

OUT_VARIABLE = "SUMCHAIN_IMPACT_OUT"
_contexts: list[str] = []
"""What runs now, outermost first: ``collect:<node id>``, ``item:<node id>``, ``fixture:<name>``."""
_loads: defaultdict[str, set[str]] = defaultdict(set)
"""Contract names asked for, per context ("" for none)."""
_spawners: set[str] = set()
"""Contexts that started a process."""


def _recorded(function: Callable[..., Any], into: defaultdict[str, set[str]] | set[str]) -> Callable[..., Any]:
    """``function``, noting the current contexts first (with its first argument when ``into`` is a dict)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for context in _contexts or [""]:
            if isinstance(into, defaultdict):
                into[context].add(args[0])
            else:
                into.add(context)
        return function(*args, **kwargs)

    return wrapper


_original = compiler.compile_contract
compiler.compile_contract = _recorded(_original, _loads)
for _module in list(sys.modules.values()):
    if getattr(_module, "compile_contract", None) is _original:
        _module.compile_contract = compiler.compile_contract  # type: ignore[attr-defined]
subprocess.Popen.__init__ = _recorded(subprocess.Popen.__init__, _spawners)  # type: ignore[method-assign]
multiprocessing.Process.start = _recorded(multiprocessing.Process.start, _spawners)  # type: ignore[method-assign]
os.fork = _recorded(os.fork, _spawners)


def _inside(context: str) -> Generator[None, Any, Any]:
    """A hook wrapper's body: inside ``context`` while the wrapped hooks run; passes their result on."""
    _contexts.append(context)
    try:
        return (yield)
    finally:
        _contexts.pop()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    return (yield from _inside(f"collect:{collector.nodeid}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _inside(f"item:{item.nodeid}"))


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
    return (yield from _inside(f"fixture:{fixturedef.argname}"))


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.items: list[pytest.Item] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = list(items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        """Write what each test used (see the module's docstring)."""
        contracts: defaultdict[str, set[str]] = defaultdict(set)
        always = []
        for item in self.items:
            if item.nodeid not in self.seconds:
                continue  # deselected or not run
            contexts = {"", f"item:{item.nodeid}"} | {f"fixture:{name}" for name in getattr(item, "fixturenames", ())}
            contexts |= {f"collect:{node.nodeid}" for node in item.listchain()}
            for context in contexts:
                for name in _loads.get(context, ()):
                    contracts[name].add(item.nodeid)
            if contexts & _spawners - {""}:  # before any test: pytest's own start-up
                always.append(item.nodeid)
        order = [item.nodeid for item in self.items if item.nodeid in self.seconds]
        rank = {node: index for index, node in enumerate(order)}
        result = {
            "contracts": {name: sorted(nodes, key=rank.__getitem__) for name, nodes in sorted(contracts.items())},
            "always": always,
            "seconds": {node: round(self.seconds[node], 3) for node in order},
            "order": order,
        }
        with open(os.environ[OUT_VARIABLE], "w") as out:
            json.dump(result, out, indent=1)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Timer(), "mutation-impact-timer")
