"""Scenarios: the agents, the dataset, the model and the mechanism of a simulation, from TOML.

A scenario is a TOML file (the package ships some in ``sumchain/sim/scenarios``,
named by their stem: ``paper-drt``, ``attacks``, ...). Every key is checked: an
unknown key, a negative balance or rate, an unknown strategy or a malformed file
is one :class:`ScenarioError` naming the key, before anything runs. Amounts are
in coins (1 coin = 1 ether on the chain), times in seconds unless the key says days.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from sumchain.errors import SumchainError
from sumchain.models import (
    DensePerceptron,
    NaiveBayes,
    NearestCentroid,
    OnChainModel,
    SparseNearestCentroid,
    SparsePerceptron,
)
from sumchain.models.perceptron import MAX_DECAY, BinaryPerceptron

MODELS: dict[str, type[OnChainModel]] = {
    "sparse perceptron": SparsePerceptron,
    "dense perceptron": DensePerceptron,
    "naive bayes": NaiveBayes,
    "nearest centroid": NearestCentroid,
    "sparse nearest centroid": SparseNearestCentroid,
}
"""The model class of each ``[model] type`` a scenario may give."""
COIN = 10**18
"""Wei in one coin, the scenarios' unit of money."""
MAX_COINS = 10**12
"""Largest amount of coins a scenario may give (a balance, a deposit, a weight, a bounty or a stake)."""
MAX_SEED = 2**64 - 1
"""Largest seed of a run."""
MAX_ACCOUNTS = 1_000
"""Most accounts of one agent."""
MAX_DAYS = 36_500
"""The longest simulation, in days (a hundred years)."""
MIN_DAYS = 0.01
"""The shortest simulation, in days (about a quarter of an hour)."""
MAX_LEARNING_RATE = (2**63 - 1) // 10**9
"""Largest perceptron learning rate (the contracts hold it in 64 bits at the models' scale of 1e9)."""


class ScenarioError(SumchainError, ValueError):
    """A scenario file that cannot be read or breaks a rule (the message names the key)."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent of a scenario (a ``[[agents]]`` table).

    Parameters
    ----------
    name : str
        Unique name, shown in plots.
    strategy : str
        One of :data:`sumchain.sim.strategies.STRATEGIES`.
    start_balance : float
        Coins it starts with (split evenly over its accounts).
    deposit_mean, deposit_sd : float
        Deposit it is willing to send with each contribution, drawn from a normal
        distribution (redrawn until positive); a contribution whose cost is higher is refused.
    wait_mean, wait_sd : float
        Seconds between two of its turns, drawn from a normal distribution (at least 1 s).
    mislabel : float
        Probability that an honest label is wrong by mistake.
    accounts : int
        Accounts it controls (Sybil farming and floods use several).
    farm_samples : int
        Sybil farmer: honest samples each account adds (and gets refunded) before reporting.
    start_day, end_day : float
        Days between which it adds data (a flood's window); it keeps claiming afterwards.
    """

    name: str
    strategy: str
    start_balance: float = 10_000.0
    deposit_mean: float = 50.0
    deposit_sd: float = 10.0
    wait_mean: float = 600.0
    wait_sd: float = 1.0
    mislabel: float = 0.0
    accounts: int = 1
    farm_samples: int = 1
    start_day: float = 0.0
    end_day: float = math.inf


@dataclass(frozen=True)
class DatasetSpec:
    """Where the samples come from (the ``[dataset]`` table).

    Parameters
    ----------
    name : str
        ``imdb``, ``imdb-npz``, ``fake-news``, ``endomondo``, ``tiny-reviews`` or a
        scikit-learn bundled set (``breast_cancer``, ``digits``, ``iris``, ``wine``).
    path : str
        Local file or folder for the datasets that are not shipped (IMDB defaults to
        ``../shared/datasets``); nothing is downloaded. In a scenario file, a relative path is
        read from the file's folder (:func:`load_scenario`).
    initial_fraction : float
        Part of the training split the owner trains on before deploying (the rest is
        what agents contribute).
    limit : int
        Use at most this many training and test samples (0: all), drawn at random by the seed,
        for quick runs.
    """

    name: str = "tiny-reviews"
    path: str = ""
    initial_fraction: float = 0.08
    limit: int = 0


@dataclass(frozen=True)
class ModelSpec:
    """The model (the ``[model]`` table): its ``type``, one of :data:`MODELS`. The sparse models
    (``sparse perceptron``, ``naive bayes``, ``sparse nearest centroid``) take feature indices, the
    dense ones (``dense perceptron``, ``nearest centroid``) vectors of values
    (:func:`sumchain.sim.data.load_data`). For a perceptron, its learning rate (a fraction of the
    fixed-point scale), the ``decay`` of its step (samples after which it halves, see
    :class:`~sumchain.models.SparsePerceptron`; 0 for a constant step) and its training passes over
    the initial data: at most ``max_iter``, each in a new order drawn from the run's seed with
    ``shuffle``, and with a ``tol`` above 0 no more once 5 passes in a row did not lower the loss by
    ``tol`` per sample (scikit-learn's ``SGDClassifier.fit``, as the reference trained its model)."""

    TYPES: ClassVar[tuple[str, ...]] = tuple(MODELS)

    type: str = "sparse perceptron"
    learning_rate: float = 0.5
    decay: int = 0
    max_iter: int = 5
    tol: float = 0.0
    shuffle: bool = False

    @property
    def perceptron(self) -> bool:
        """Whether the model is a perceptron (it takes the learning keys)."""
        return issubclass(MODELS[self.type], BinaryPerceptron)

    @property
    def dense(self) -> bool:
        """Whether the model takes vectors of values rather than feature indices."""
        return not MODELS[self.type].sparse


@dataclass(frozen=True)
class MechanismSpec:
    """The incentive mechanism (the ``[mechanism]`` table).

    ``kind`` is ``deposit-refund-take``, ``points`` or ``prediction-market``
    (:data:`sumchain.sim.mechanism.MECHANISMS`). ``cost_weight`` is the deposit, in coins,
    of a contribution made one hour after the previous one (the reference simulator's
    ``cost_weight``: it charges ``cost_weight * 60 / sqrt(seconds since the last
    contribution)``). Points uses ``refund_wait_days`` only.

    The prediction market: the provider's ``bounty`` and the ``stake`` of each
    contribution, in coins; the first ``test_size`` samples of the test set (0: all)
    in ``pieces`` pieces (0: the fewest that fit); contributions for
    ``contribution_days``, then ``reveal_window_days`` for the provider to reveal the rest.
    """

    kind: str = "deposit-refund-take"
    cost_weight: float = 1.0
    refund_wait_days: float = 1.0
    owner_claim_wait_days: float = 9.0
    any_claim_wait_days: float = 9.0
    bounty: float = 100.0
    stake: float = 1.0
    test_size: int = 0
    pieces: int = 0
    contribution_days: float = 3.0
    reveal_window_days: float = 1.0


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: what :func:`sumchain.sim.runner.simulate` runs.

    Examples
    --------
    >>> scenario = load_scenario("smoke")
    >>> scenario.name, [a.strategy for a in scenario.agents][:2]
    ('smoke', ['honest', 'flipper'])
    """

    name: str
    agents: tuple[AgentSpec, ...]
    description: str = ""
    days: float = 365.0
    seed: int = 0
    record_every: float = 86_400.0
    """Seconds between records of accuracy and balances; the agents know the accuracy of the last record
    (an honest agent contributes with probability accuracy + 0.15), so it changes the run, as the
    reference's interval between evaluations did."""
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    mechanism: MechanismSpec = field(default_factory=MechanismSpec)
    baseline: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The scenario as JSON values (saved with each run)."""
        return _as_json(self)


@dataclass(frozen=True)
class _Top:
    """The scenario's top-level keys, checked as the tables' are."""

    name: str = ""
    description: str = Scenario.description
    days: float = Scenario.days
    seed: int = Scenario.seed
    record_every: float = Scenario.record_every
    baseline: float = -1.0


def _as_json(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _as_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_as_json(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def _build(cls: type, table: Any, where: str) -> Any:
    """``cls(**table)`` after checking every key and value type."""
    if not isinstance(table, dict):
        raise ScenarioError(f"{where} must be a table, got {type(table).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    missing = [name for name, f in known.items() if f.default is MISSING and name not in table]
    if missing:
        raise ScenarioError(f"{where}: missing key {missing[0]!r}")
    values = {}
    for key, value in table.items():
        at = f"{where} {key}" if where.endswith("]") else f"{where}: {key}"  # [model] learning_rate; days
        default = known[key].default
        wanted = str if default is MISSING else type(default) if isinstance(default, int | float | str) else None
        if wanted is bool:
            if not isinstance(value, bool):
                raise ScenarioError(f"{at} must be true or false, got {value!r}")
        elif isinstance(value, bool) or (wanted in (int, float) and not isinstance(value, int | float)):
            raise ScenarioError(f"{at} must be a number, got {value!r}")
        if wanted is int and not isinstance(value, int):
            raise ScenarioError(f"{at} must be a whole number, got {value!r}")
        if wanted is str and not isinstance(value, str):
            raise ScenarioError(f"{at} must be a string, got {value!r}")
        if isinstance(value, float) and math.isnan(value):
            raise ScenarioError(f"{at} must be a number, got nan")
        if isinstance(value, int | float) and value < 0:
            raise ScenarioError(f"{at} must not be negative, got {value!r}")
        if isinstance(value, float) and math.isinf(value) and default != math.inf:
            raise ScenarioError(f"{at} must be a finite number, got {value!r}")
        values[key] = float(value) if wanted is float else value
    return cls(**values)


def parse_scenario(data: dict[str, Any], *, source: str = "scenario") -> Scenario:
    """A :class:`Scenario` from the TOML's tables, every key checked.

    Raises
    ------
    ScenarioError
        For an unknown key, a value of the wrong type, a negative number, an unknown
        strategy or mechanism, a mechanism key that does not apply to its kind, mechanism
        parameters its contract would refuse, a probability over 1, no agents, two agents
        of one name, or a name, seed, length or number of accounts out of range.
    """
    from sumchain.sim.mechanism import mechanism_kind
    from sumchain.sim.strategies import OWN_KEYS, STRATEGIES

    data = dict(data)
    tables = {"dataset": DatasetSpec, "model": ModelSpec, "mechanism": MechanismSpec}
    raw = {key: data.pop(key, {}) for key in tables}
    parts = {key: _build(cls, raw[key], f"{source}: [{key}]") for key, cls in tables.items()}
    kind = parts["mechanism"].kind
    try:
        takes = mechanism_kind(kind).keys
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: [mechanism] {exc}") from None
    model = parts["model"]
    if model.type not in ModelSpec.TYPES:
        raise ScenarioError(f"{source}: [model] type must be one of {', '.join(map(repr, ModelSpec.TYPES))}")
    if not model.perceptron and set(raw["model"]) - {"type"}:
        key = sorted(set(raw["model"]) - {"type"})[0]
        raise ScenarioError(f"{source}: [model] {key!r} does not apply to {model.type} (it takes: type)")
    ignored = sorted(set(raw["mechanism"]) - {"kind", *takes})
    if ignored:
        raise ScenarioError(
            f"{source}: [mechanism] {ignored[0]!r} does not apply to {kind} (it takes: {', '.join(takes)})"
        )
    raw_agents = data.pop("agents", [])
    if not isinstance(raw_agents, list) or not raw_agents:
        raise ScenarioError(f"{source}: needs at least one [[agents]] table")
    agents = tuple(_build(AgentSpec, a, f"{source}: agent {i + 1}") for i, a in enumerate(raw_agents))
    data.setdefault("name", Path(source).stem)
    top = _build(_Top, data, source).__dict__
    top["baseline"] = None if top["baseline"] < 0 else top["baseline"]
    scenario = Scenario(**{**top, "agents": agents, **parts})
    names = [a.name for a in agents]
    for raw_agent, agent in zip(raw_agents, agents, strict=True):
        where = f"{source}: agent {agent.name!r}"
        if agent.strategy not in STRATEGIES:
            raise ScenarioError(f"{where}: unknown strategy {agent.strategy!r} (known: {', '.join(STRATEGIES)})")
        for key in OWN_KEYS:
            if key in raw_agent and key not in STRATEGIES[agent.strategy].takes:
                users = ", ".join(name for name, cls in STRATEGIES.items() if key in cls.takes)
                raise ScenarioError(f"{where}: {key!r} does not apply to the {agent.strategy} strategy (only {users})")
        if not agent.name.strip():
            raise ScenarioError(f"{source}: an agent's name must not be empty")
        if names.count(agent.name) > 1:
            raise ScenarioError(f"{where}: two agents have this name")
        if agent.mislabel > 1:
            raise ScenarioError(f"{where}: mislabel is a probability, got {agent.mislabel}")
        if not 1 <= agent.accounts <= MAX_ACCOUNTS:
            raise ScenarioError(f"{where}: accounts must be from 1 to {MAX_ACCOUNTS:,}, got {agent.accounts:,}")
        if agent.wait_mean < 1:
            raise ScenarioError(f"{where}: wait_mean must be at least 1 s, got {agent.wait_mean}")
        for key in ("start_balance", "deposit_mean", "deposit_sd"):
            if getattr(agent, key) > MAX_COINS:
                raise ScenarioError(f"{where}: {key} must be at most {MAX_COINS:,} coins")
        if agent.deposit_mean == agent.deposit_sd == 0 and agent.strategy != "owner":
            raise ScenarioError(f"{where}: deposit_mean and deposit_sd are both 0: it would never offer a deposit")
        if agent.end_day <= agent.start_day:
            raise ScenarioError(f"{where}: end_day must be after start_day")
    owners = [a for a in agents if a.strategy == "owner"]
    if len(owners) > 1 or any(a.accounts != 1 for a in owners):
        raise ScenarioError(f"{source}: at most one agent may be the model's owner, with one account")
    bounty = scenario.mechanism.bounty if kind == "prediction-market" else 0
    if owners and owners[0].start_balance < bounty:  # without an owner, the bank provides it (funded for it)
        raise ScenarioError(
            f"{source}: [mechanism] the bounty of {bounty:,g} coins is more than its provider holds "
            f"({owners[0].start_balance:,g}): lower [mechanism] bounty or raise the owner agent's start_balance"
        )
    if not 0 < scenario.dataset.initial_fraction < 1:
        raise ScenarioError(f"{source}: [dataset] initial_fraction must be between 0 and 1")
    if scenario.model.decay > MAX_DECAY:
        raise ScenarioError(f"{source}: [model] decay must be at most 2**64 - 1, got {scenario.model.decay}")
    for key in ("cost_weight", "bounty", "stake"):
        if getattr(scenario.mechanism, key) > MAX_COINS:
            raise ScenarioError(f"{source}: [mechanism] {key} must be at most {MAX_COINS:,} coins")
    if not 1e-9 <= scenario.model.learning_rate <= MAX_LEARNING_RATE or scenario.model.max_iter < 1:
        raise ScenarioError(
            f"{source}: [model] learning_rate must be from 1e-9 to {MAX_LEARNING_RATE:,} (the contracts keep it "
            f"in 64 bits at a scale of 1e9), got {scenario.model.learning_rate:g}; and max_iter at least 1"
        )
    from sumchain.sim.data import BUILT_IN, LOADERS  # the loaders' module reads this one's specs

    if scenario.dataset.name not in LOADERS:
        known = ", ".join(LOADERS)
        raise ScenarioError(f"{source}: [dataset] unknown dataset {scenario.dataset.name!r} (known: {known})")
    if scenario.dataset.path and scenario.dataset.name in BUILT_IN:
        raise ScenarioError(
            f"{source}: [dataset] path does not apply to {scenario.dataset.name}, which comes with the packages"
        )
    if not MIN_DAYS <= scenario.days <= MAX_DAYS:
        raise ScenarioError(f"{source}: days must be from {MIN_DAYS} to {MAX_DAYS:,}, got {scenario.days:g}")
    name = scenario.name
    if any(c in "/\\" or not c.isprintable() for c in name) or name.strip(".") == "" or len(name) > 100:
        raise ScenarioError(
            f"{source}: name {name[:100]!r} must be usable as a file name (up to 100 characters, "
            "no /, \\ or control character)"
        )
    if scenario.seed > MAX_SEED:
        raise ScenarioError(f"{source}: seed must be at most 2**64 - 1")
    if scenario.baseline is not None and scenario.baseline > 1:
        raise ScenarioError(f"{source}: baseline is an accuracy, at most 1, got {scenario.baseline}")
    if scenario.record_every < 60:
        raise ScenarioError(f"{source}: record_every must be at least 60 s")
    try:  # the contract's own checks of its parameters (the waits' order, the stake's range), before data loads
        mechanism_kind(kind)(parts["mechanism"])
    except SumchainError as exc:
        raise ScenarioError(f"{source}: [mechanism] {exc}") from None
    return scenario


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in the package."""
    folder = resources.files(__package__).joinpath("scenarios")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario from a TOML file, or one shipped in the package by name. A relative ``[dataset] path``
    in a file is read from the file's folder, so that a scenario and its data may be moved together
    and run from anywhere.

    Raises
    ------
    ScenarioError
        When there is no such file or shipped scenario, the TOML is malformed, or
        :func:`parse_scenario` refuses it.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.is_file():
        shipped = resources.files(__package__).joinpath("scenarios", f"{name_or_path}.toml")
        if not shipped.is_file():
            raise ScenarioError(
                f"no scenario file {str(name_or_path)!r} and no shipped scenario of that name "
                f"(shipped: {', '.join(scenario_names())})"
            )
        text, source = shipped.read_text(encoding="utf-8"), f"{name_or_path}.toml"
    else:
        try:
            text, source = path.read_text(encoding="utf-8-sig"), str(path)  # a byte-order mark too
        except FileNotFoundError:
            raise ScenarioError(f"no scenario file {str(path)!r}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"cannot read the scenario file {str(path)!r}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source} is not valid TOML: {exc}") from None
    scenario = parse_scenario(data, source=source)
    given = Path(scenario.dataset.path).expanduser()
    if source == str(path) and scenario.dataset.path and not given.is_absolute():
        given = path.parent / given
    if scenario.dataset.path and str(given) != scenario.dataset.path:
        scenario = replace(scenario, dataset=replace(scenario.dataset, path=str(given)))
    return scenario
