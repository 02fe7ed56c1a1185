"""Simulations started from the page: a shipped scenario run by :func:`sumchain.sim.simulate` in a
thread of its own, with progress the page polls and the run's records once it is done.

A simulation never touches the dashboard's chain: it runs on a fresh in-memory chain of its own
(the contracts are the same), so any visitor may start one, whatever chain the dashboard serves.
One runs at a time (a simulation keeps a core busy), and every visitor sees it and may follow
it. The server keeps the last :data:`KEPT` simulations in memory (a restart forgets them).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sumchain.web.errors import ApiError, failure_message, shown

KEPT = 20
"""Simulations the server keeps (the oldest finished one is dropped when another starts)."""
MIN_DAYS = 0.01
"""Fewest simulated days a simulation runs, as ``sumchain simulate --days``."""
MAX_SEED = 2**53 - 1
"""Largest seed: a page's JavaScript holds integers exactly up to it."""


@dataclass
class Simulation:
    """One simulation's progress, as the page shows it."""

    id: str
    scenario: str
    seed: int
    days: float
    state: str = "loading"
    day: float = 0.0
    transactions: int = 0
    contributions: int = 0
    seconds: float = 0.0
    run: dict[str, Any] | None = None
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        """Whether it is still loading its data or running."""
        return self.state in ("loading", "running")

    def to_json(self) -> dict[str, Any]:
        """Its state (``loading``, ``running``, ``done`` or ``failed``), the simulated day reached,
        transactions and contributions so far, and once done the run (:meth:`sumchain.sim.Run.to_json`)."""
        with self._lock:
            return {
                "id": self.id,
                "scenario": self.scenario,
                "seed": self.seed,
                "days": self.days,
                "state": self.state,
                "day": self.day,
                "transactions": self.transactions,
                "contributions": self.contributions,
                "seconds": round(self.seconds, 2),
                "run": self.run,
                "error": self.error,
            }


def scenarios() -> list[dict[str, Any]]:
    """The shipped scenarios: name, description, days, model, mechanism and agents of each."""
    from sumchain.sim import load_scenario, scenario_names

    found = []
    for name in scenario_names():
        scenario = load_scenario(name)
        found.append(
            {
                "name": name,
                "description": scenario.description,
                "days": scenario.days,
                "dataset": scenario.dataset.name,
                "model": scenario.model.type,
                "mechanism": scenario.mechanism.kind,
                "agents": [f"{a.name} ({a.strategy})" for a in scenario.agents],
            }
        )
    return found


class Simulations:
    """The simulations this server ran, by id, newest last."""

    def __init__(self) -> None:
        self._found: dict[str, Simulation] = {}
        self._lock = threading.Lock()

    def all(self) -> list[Simulation]:
        """Every simulation started here, oldest first."""
        with self._lock:
            return list(self._found.values())

    def get(self, ident: str) -> Simulation:
        """The simulation with this id.

        Raises
        ------
        ApiError
            404 when this server ran none with it (a restarted server forgets them).
        """
        with self._lock:
            if ident not in self._found:
                raise ApiError(404, f"no simulation {ident!r} on this server (a restarted server forgets them)")
            return self._found[ident]

    def start(self, body: dict[str, Any]) -> Simulation:
        """Check the request (``scenario``: a shipped name; ``seed``: a whole number from 0 to
        :data:`MAX_SEED`, the scenario's by default; ``days``: from :data:`MIN_DAYS` to the
        scenario's, which is the default), then run it in a thread; returns its progress at once.

        Raises
        ------
        ApiError
            400 for an unknown scenario or a bad seed or days, 409 while another simulation runs.
        """
        from sumchain.sim import load_scenario, scenario_names

        name = body.get("scenario")
        if name not in scenario_names():
            raise ApiError(400, f"scenario must be one of {', '.join(scenario_names())}, got {shown(name)}")
        scenario = load_scenario(name)
        seed = body.get("seed", scenario.seed)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ApiError(400, f"seed must be a whole number from 0 to 2**53 - 1, got {shown(seed)}")
        days = body.get("days", scenario.days)
        if isinstance(days, bool) or not isinstance(days, int | float) or not MIN_DAYS <= days <= scenario.days:
            raise ApiError(
                400, f"days must be a number from {MIN_DAYS} to the scenario's {scenario.days:g}, got {shown(days)}"
            )
        with self._lock:
            if any(job.running for job in self._found.values()):
                raise ApiError(409, "another simulation is running: follow it, or wait until it ends")
            job = Simulation(secrets.token_hex(8), name, seed, float(days))
            self._found[job.id] = job
            for old in list(self._found)[:-KEPT]:
                del self._found[old]
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    @staticmethod
    def _run(job: Simulation) -> None:
        from sumchain.sim import load_scenario, simulate
        from sumchain.sim.data import load_data
        from sumchain.sim.runner import Progress

        started = time.perf_counter()

        def progressed(now: Progress) -> None:
            with job._lock:
                job.state, job.day = "running", min(now.day, job.days)
                job.transactions, job.contributions = now.transactions, now.contributions
                job.seconds = time.perf_counter() - started

        try:
            scenario = load_scenario(job.scenario)
            data = load_data(scenario.dataset, job.seed, dense=scenario.model.dense)
            run = simulate(scenario, seed=job.seed, days=job.days, data=data, on_progress=progressed)
        except Exception as exc:  # one line for the page (a bug logged whole); the thread ends cleanly
            with job._lock:
                job.state, job.error = "failed", failure_message(exc)
            return
        with job._lock:
            job.state, job.day, job.run = "done", run.times[-1], run.to_json()
            job.transactions, job.contributions = run.transactions, run.contributions
            job.seconds = time.perf_counter() - started
