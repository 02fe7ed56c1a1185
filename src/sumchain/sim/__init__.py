"""Simulation of honest and malicious agents on the real contracts, with simulated time.

:func:`simulate` runs a :class:`Scenario` (from TOML: :func:`load_scenario`) on an
in-memory embedded chain and returns a :class:`Run`; :mod:`sumchain.sim.plots` and
:mod:`sumchain.sim.html` draw runs; ``sumchain simulate`` does all of it.
"""

from sumchain.sim.record import AgentRecord, Run, load_run
from sumchain.sim.runner import Progress, simulate
from sumchain.sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario, scenario_names
from sumchain.sim.strategies import STRATEGIES

__all__ = [
    "STRATEGIES",
    "AgentRecord",
    "Progress",
    "Run",
    "Scenario",
    "ScenarioError",
    "load_run",
    "load_scenario",
    "parse_scenario",
    "scenario_names",
    "simulate",
]
