"""A simulation run as data: accuracy and balances over time, saved and read back as JSON."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sumchain.errors import SumchainError

FORMAT = "sumchain-simulation/1"
"""The ``format`` field of a saved run."""


@dataclass
class AgentRecord:
    """One agent's part of a run: who it is, its balance over time (% of its start), what it did.

    Amounts are in wei. ``points`` are the points it holds at each time, under Points (empty
    under the other mechanisms). Under the prediction market, ``refunded`` is what it
    withdrew at the end (its stakes' balances) and ``refunds`` its withdrawals.
    """

    name: str
    strategy: str
    attacks: bool
    accounts: list[str]
    balance: list[float] = field(default_factory=list)
    added: int = 0
    refused: int = 0
    refunds: int = 0
    reports: int = 0
    deposited: int = 0
    refunded: int = 0
    taken: int = 0
    points: list[int] = field(default_factory=list)


@dataclass
class Run:
    """A whole run: the scenario and seed that made it, and what happened.

    ``refused`` counts contributions the contract refused (a deposit short of the cost),
    ``reverted`` claims it refused. ``times`` are days since the model was deployed; ``accuracy`` (on the test set) and
    every agent's ``balance`` have one value per time. ``baseline`` is the accuracy of
    the same model trained off-chain on all the training data.
    """

    scenario: dict[str, Any]
    seed: int
    days: float
    baseline: float
    agents: list[AgentRecord]
    times: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    transactions: int = 0
    contributions: int = 0
    refused: int = 0
    reverted: int = 0
    open_deposits: int = 0
    model: str = ""

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.scenario.get("name", "run"))

    def to_json(self) -> dict[str, Any]:
        """The run as JSON values (the same scenario and seed give the same values)."""
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        """A run from :meth:`to_json`'s values.

        Raises
        ------
        SumchainError
            When the values are not a saved run.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SumchainError(f"not a saved sumchain simulation (no 'format': {FORMAT!r})")
        try:
            values = {k: v for k, v in data.items() if k != "format"}
            _check_types(cls, values, "")
            for i, agent in enumerate(values["agents"]):
                _check_types(AgentRecord, agent, f"agent {i + 1}: ")
            values["agents"] = [AgentRecord(**a) for a in values["agents"]]
            run = cls(**values)
        except (TypeError, KeyError) as exc:
            raise SumchainError(f"a saved simulation with bad fields: {exc}") from None
        if not run.times or not all(0 <= a <= 1 for a in [*run.accuracy, run.baseline]):
            raise SumchainError("a saved simulation needs its times, and accuracies from 0 to 1")
        lengths = (
            [len(run.accuracy)] + [len(a.balance) for a in run.agents] + [len(a.points) for a in run.agents if a.points]
        )
        if any(n != len(run.times) for n in lengths):
            raise SumchainError("a saved simulation whose series differ in length")
        if run.times[0] < 0 or any(b < a for a, b in zip(run.times, run.times[1:], strict=False)):
            raise SumchainError("a saved simulation whose times go back, or start before day 0")
        if not all(0 <= b <= MAX_BALANCE for a in run.agents for b in a.balance):
            raise SumchainError(f"a saved simulation with a balance outside 0 to {MAX_BALANCE:,.0f}% of its start")
        return run

    def save(self, path: str | Path) -> Path:
        """Write the run as JSON to ``path`` (through a temporary file: never half-written)."""
        return write_atomic(Path(path), self.dumps())

    def dumps(self) -> bytes:
        """The run as the JSON :meth:`save` writes."""
        return json.dumps(self.to_json(), indent=1, sort_keys=True).encode()


MAX_BALANCE = 1e12
"""The largest balance a saved run may give, in % of its start (a figure's axis would not hold more)."""


def _is(kind: str, value: Any) -> bool:
    """Whether a JSON value is of a field's annotated ``kind`` (``str``, ``list[float]``, ...)."""
    if kind.startswith("list["):
        return isinstance(value, list) and all(_is(kind[5:-1], v) for v in value)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    expected = {"str": str, "bool": bool, "int": int, "dict[str, Any]": dict}.get(kind)
    if expected is None:  # a record of its own (an agent's), checked by its own fields
        return True
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))


def _check_types(cls: type, values: Any, where: str) -> None:
    """Raise TypeError for values that are no dict, or a field whose value is not of its type."""
    if not isinstance(values, dict):
        raise TypeError(f"{where}not an object")
    for f in fields(cls):
        if f.name in values and not _is(str(f.type), values[f.name]):
            raise TypeError(f"{where}{f.name} must be {f.type}, got {str(values[f.name])[:40]}")


def write_atomic(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder, then move it in place."""
    return write_all({path: content})[0]


def write_all(files: dict[Path, bytes]) -> list[Path]:
    """Write the files all or none: each to a temporary file beside it (making the folders it needs), then,
    once every one is written, move them in place. When one cannot be written, or Ctrl-C comes, the
    temporary files and the folders made for them are removed, and the files there before are left as
    they were.

    Raises
    ------
    SumchainError
        Naming the file that could not be written, and why.
    """
    made: list[Path] = []
    temporaries: dict[Path, Path] = {}
    mask = os.umask(0)
    os.umask(mask)
    try:
        for path, content in files.items():
            try:
                for folder in reversed([path.parent, *path.parent.parents]):
                    if not folder.is_dir():
                        folder.mkdir()
                        made.append(folder)
                handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
                temporaries[path] = Path(name)
                with os.fdopen(handle, "wb") as out:
                    out.write(content)
                os.chmod(name, 0o666 & ~mask)
            except OSError as exc:
                raise SumchainError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
    except BaseException:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        for folder in reversed(made):
            folder.rmdir()
        raise
    for path, temporary in temporaries.items():
        os.replace(temporary, path)
    return list(temporaries)


def load_run(path: str | Path) -> Run:
    """A run saved by :meth:`Run.save`.

    Raises
    ------
    SumchainError
        When the file is missing, is not JSON or is not a saved run.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SumchainError(f"no run file {str(path)!r}") from None
    except (OSError, ValueError) as exc:
        raise SumchainError(f"{path} is not a saved run: {exc}") from None
    try:
        return Run.from_json(data)
    except SumchainError as exc:
        raise SumchainError(f"{path}: {exc}") from None
