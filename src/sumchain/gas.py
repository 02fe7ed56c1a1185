"""Gas report: the reference's gas workloads, run on sumchain's embedded chain.

``shared/original/gas-baseline.md`` measured the reference system (0xDeCA10B)
on 8 workloads. This module runs the same workloads on sumchain, in the same
order, and puts the baseline's figure beside each of ours:

1. deploy, with the owner not being account 0 (here account 9). Each model is
   one trainer contract, created in one transaction, then its packed
   parameters go up in ``load_parameters`` chunks; ``deploy_total`` is all of
   them, ``deploy_model`` the parameter chunks (the part that grows with the
   model, as the reference's classifier transactions), and each transaction
   is also a ``deploy part`` row (no baseline figure: the parts differ);
2. ``predict``: ``eth_estimateGas`` of ``predict(sample)`` sent by account 0
   to the fresh model (21,000 and calldata included);
3. ``add_data_no_update``: account 0 adds the sample with the model's current
   prediction as label (perceptrons leave the model unchanged; naive Bayes and
   nearest centroid update on every add);
4. ``refund``: account 0 takes its deposit back;
5. ``add_data_update``: account 1 adds the sample with the other label;
6. ``report``: account 0 reports account 1's contribution.

Deposit, Refund and Take runs with ``cost_weight=10**9`` and every wait 0 (so
``unsafe=True``: no real deployment should wait less than a minute);
each add sends 1e17 wei (the trainer returns the excess). The chain starts at
the baseline's genesis time and mines one block per transaction, one second
apart, so every run gives the same numbers.

Models are built as reference-format specs (``FORMATS.md``) and read with
:func:`~sumchain.models.reference_file.model_from_spec`. The IMDB sparse
perceptron is the reference's own ``imdb-sentiment-model.json`` (read from
``../shared/original``, never copied into the package); the other models are
synthetic, drawn from numpy's seeded generator with the shapes and value ranges
the baseline describes. The baseline's hot-dog and VPA models are the
reference's trained files, which are not available here: the synthetic ones
have the same shapes.

Reference figures are the baseline's ``bpo1`` column (anvil's default, Osaka
gas rules), which it found identical under Cancun, Prague and Osaka: the
embedded chain runs Prague rules. Its Istanbul column is not comparable:
sumchain's contracts use post-Shanghai opcodes (``PUSH0``, ``MCOPY``, ``TLOAD``/``TSTORE``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sumchain.chain.base import Receipt
from sumchain.chain.embedded import EmbeddedChain
from sumchain.client import SharedModel
from sumchain.errors import SumchainError
from sumchain.incentives import DepositRefundTake
from sumchain.models.reference_file import model_from_spec
from sumchain.models.samples import normalize
from sumchain.original import BASELINE, IMDB_MODEL

BASELINE_HARDFORK = "bpo1"
HARDFORK_NOTE = (
    "Reference gas: gas-baseline.md, optimizer off, hardfork bpo1 (Osaka rules; the baseline found identical "
    "figures under Cancun, Prague and Osaka). sumchain: embedded chain, Prague rules. The baseline's Istanbul "
    "column is not comparable: sumchain's bytecode uses post-Shanghai opcodes (PUSH0, MCOPY, TLOAD/TSTORE)."
)

GENESIS_TIME = 1_580_945_565
OWNER = 9
ADD_VALUE = 10**17
INCENTIVE = DepositRefundTake(cost_weight=10**9, refund_wait=0, owner_claim_wait=0, any_claim_wait=0, unsafe=True)
OPERATIONS = ("deploy_total", "deploy_model", "add_data_update", "add_data_no_update", "refund", "report", "predict")
"""The operations the baseline measures, in its order; ``deploy part: ...`` rows follow them."""

IMDB_SAMPLE = (1, 2, 3, 14, 15, 26, 37, 48, 59, 110, 111, 112, 213, 314, 515, 616, 717, 818, 919, 920)
FITNESS_SAMPLE = (1, 1, 1, 1, 1, 1, 1, 0, 0)
FITNESS_INDICES = (0, 1)
"""The reference passes ``FITNESS_SAMPLE`` unchanged to naive Bayes, which reads the values as
feature indices (seven 1s and two 0s); sumchain needs sorted unique indices, so: the set {0, 1}."""


@dataclass(frozen=True)
class GasRow:
    """One measured operation.

    Attributes
    ----------
    model : str
        Workload name, as in the baseline (``"imdb-sparse-perceptron"``).
    operation : str
        One of :data:`OPERATIONS`, or ``"deploy part: ..."``.
    gas : int
        sumchain's gas.
    reference_gas : int or None
        The baseline's figure (``bpo1``), if it has a comparable one.
    """

    model: str
    operation: str
    gas: int
    reference_gas: int | None = None

    @property
    def ratio(self) -> float | None:
        """``gas / reference_gas`` to 4 decimals, or None without a reference figure."""
        return None if not self.reference_gas else round(self.gas / self.reference_gas, 4)

    def to_dict(self) -> dict[str, Any]:
        """The row as ``{"model", "operation", "gas", "reference_gas", "ratio"}``."""
        return {
            "model": self.model,
            "operation": self.operation,
            "gas": self.gas,
            "reference_gas": self.reference_gas,
            "ratio": self.ratio,
        }


def rows_to_json(rows: Iterable[GasRow]) -> str:
    """A JSON list of the rows, one row per line (stable, diff-friendly)."""
    lines = [json.dumps(row.to_dict()) for row in rows]
    return "[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]"


# -- models and samples --------------------------------------------------------


def _zipf_counts(rng: np.random.Generator, n: int) -> list[int]:
    """Zipf-like counts >= 1: ``1 + 20000 // rank`` over a random order of the features."""
    return [1 + 20_000 // int(rank) for rank in rng.permutation(n) + 1]


def _imdb_perceptron(imdb_model: Path) -> dict[str, Any]:
    if imdb_model.is_file():
        try:
            return json.loads(imdb_model.read_text(encoding="utf-8"))
        except ValueError as exc:  # not UTF-8, or not JSON
            raise SumchainError(f"{imdb_model} is not a JSON model file: {exc}") from None
    rng = np.random.default_rng(5001)  # same shape as the reference's file
    return {"type": "sparse perceptron", "weights": rng.normal(size=1000).tolist(), "intercept": 5.0}


def _dense_perceptron(seed: int, n: int, encoding: int | None = None) -> dict[str, Any]:
    """N(0,1) weights; with ``encoding``, also ``n`` sorted feature indices into an encoding of that size."""
    rng = np.random.default_rng(seed)
    spec = {"type": "dense perceptron", "weights": rng.normal(size=n).tolist(), "intercept": 0.0, "learningRate": 1.0}
    if encoding is not None:
        spec["featureIndices"] = sorted(rng.choice(encoding, size=n, replace=False).tolist())
    return spec


def _naive_bayes(seed: int, n: int, class_count: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "type": "naive bayes",
        "classifications": ["0", "1"],
        "classCounts": [class_count, class_count],
        "featureCounts": [[[f, c] for f, c in enumerate(_zipf_counts(rng, n))] for _ in range(2)],
        "totalNumFeatures": n,
        "smoothingFactor": 1.0,
    }


def _dense_centroids(seed: int, n: int, data_count: int, draw: str) -> dict[str, Any]:
    rng = np.random.default_rng(seed)

    def centroid() -> list[float]:
        if draw == "unit":  # a mean of sentence embeddings: a vector of norm about 1
            v = rng.normal(size=n)
            return (v / np.linalg.norm(v)).tolist()
        return rng.uniform(0, 1, size=n).tolist()

    return {
        "type": "dense nearest centroid classifier",
        "centroids": {label: {"centroid": centroid(), "dataCount": data_count} for label in ("0", "1")},
    }


def _sparse_centroids(seed: int, n: int, data_count: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "type": "sparse nearest centroid classifier",
        "centroids": {
            label: {
                "centroid": {str(f): float(v) for f, v in enumerate(0.95 * (1 - rng.random(n)))},  # (0, 0.95]
                "dataCount": data_count,
            }
            for label in ("0", "1")
        },
    }


def _hot_dog_sample() -> list[int]:
    return normalize(np.abs(np.random.default_rng(4001).normal(size=400)).tolist())


def _vpa_sample() -> list[int]:
    return normalize(np.random.default_rng(4002).normal(size=512).tolist())


@dataclass(frozen=True)
class Workload:
    """One baseline workload: how to build its model and its sample.

    Attributes
    ----------
    name : str
        The baseline's model name.
    spec : callable
        ``spec(imdb_model_path)``: the model as a reference-format JSON object.
    sample : callable
        ``sample()``: the sample, as the model takes it.
    description : str
        What the model and the sample are, and how they differ from the baseline's.
    """

    name: str
    spec: Callable[[Path], dict[str, Any]]
    sample: Callable[[], Sequence[int]]
    description: str


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "imdb-sparse-perceptron",
            _imdb_perceptron,
            lambda: IMDB_SAMPLE,
            "the reference's imdb-sentiment-model.json (1000 weights; if not found, synthetic N(0,1) weights of "
            "the same shape); the benchmark's 20-index sample",
        ),
        Workload(
            "hot-dog-dense-perceptron",
            lambda _: _dense_perceptron(5002, 400, encoding=1280),
            _hot_dog_sample,
            "synthetic (the reference's file is not available): 400 N(0,1) weights, intercept 0, learning rate 1, "
            "400 featureIndices into a 1280-dim MobileNetV2 embedding (kept off chain: no gas); the 400 selected "
            "values of the sample: |N(0,1)| (seed 4001), normalized",
        ),
        Workload(
            "vpa-dense-nearest-centroid",
            lambda _: _dense_centroids(5003, 512, 2000, "unit"),
            _vpa_sample,
            "synthetic (the reference's file is not available): 2 unit-norm N(0,1) centroids of 512 dims, "
            "dataCount 2000; sample N(0,1) (seed 4002), normalized",
        ),
        Workload(
            "imdb-naive-bayes",
            lambda _: _naive_bayes(5004, 1000, 12_500),
            lambda: IMDB_SAMPLE,
            "synthetic: 2 classes x 1000 Zipf-like counts >= 1, classCounts 12500, smoothing 1; the 20-index sample",
        ),
        Workload(
            "imdb-sparse-nearest-centroid",
            lambda _: _sparse_centroids(5005, 1000, 12_500),
            lambda: IMDB_SAMPLE,
            "synthetic: 2 classes x 1000 entries in (0, 0.95], dataCount 12500; the 20-index sample",
        ),
        Workload(
            "fitness-naive-bayes",
            lambda _: _naive_bayes(5006, 9, 100),
            lambda: FITNESS_INDICES,
            "synthetic: 2 classes x 9 Zipf-like counts, classCounts 100; sample [0, 1] (the reference reads "
            "[1,1,1,1,1,1,1,0,0] as indices; sumchain needs them sorted and unique)",
        ),
        Workload(
            "fitness-dense-nearest-centroid",
            lambda _: _dense_centroids(5007, 9, 100, "uniform"),
            lambda: normalize(FITNESS_SAMPLE),
            "synthetic: 2 centroids of 9 dims in [0, 1), dataCount 100; sample [1,1,1,1,1,1,1,0,0] normalized",
        ),
        Workload(
            "fitness-dense-perceptron",
            lambda _: _dense_perceptron(5008, 9),
            lambda: normalize(FITNESS_SAMPLE),
            "synthetic: 9 N(0,1) weights, intercept 0, learning rate 1; sample [1,1,1,1,1,1,1,0,0] normalized",
        ),
    )
}
"""The baseline's 8 workloads, by its model names."""


def workload(name: str) -> Workload:
    """The workload called ``name``, or a :class:`SumchainError` listing the known ones."""
    if name not in WORKLOADS:
        raise SumchainError(f"unknown gas workload {name!r}; known ones are {', '.join(WORKLOADS)}")
    return WORKLOADS[name]


# -- measuring ---------------------------------------------------------------------


def measure(name: str, *, imdb_model: Path = IMDB_MODEL, engine: str | None = None) -> list[GasRow]:
    """Run one workload on a fresh embedded chain (no reference figures attached).

    Parameters
    ----------
    name : str
        A key of :data:`WORKLOADS`.
    imdb_model : Path
        The reference's ``imdb-sentiment-model.json``; when it is missing, the
        IMDB sparse perceptron is synthetic (same shape: 1000 weights).
    engine : {"revm", "py-evm"}, optional
        The embedded chain's EVM (the default engine if None); both give the same gas.

    Returns
    -------
    list of GasRow
        :data:`OPERATIONS` in order, then one ``deploy part`` row per transaction.
    """
    work = workload(name)
    mirror = model_from_spec(work.spec(Path(imdb_model)))
    sample = list(work.sample())
    chain = EmbeddedChain(genesis_time=GENESIS_TIME, engine=engine)
    deployed: list[tuple[int, Receipt]] = []
    model = SharedModel.deploy(
        chain, mirror, mechanism=INCENTIVE, sender=OWNER, on_chunk=lambda done, _, r: deployed.append((done, r))
    )
    data = model.codec.encode(sample)
    account0, account1 = chain.accounts[0], chain.accounts[1]

    def send(function: str, *args: Any) -> int:
        return chain.transact(model.address, model.abi.encode_call(function, data, *args), sender=account0).gas_used

    gas = {
        "deploy_total": sum(r.gas_used for _, r in deployed),
        "deploy_model": sum(r.gas_used for _, r in deployed[1:]),
        "predict": chain.estimate_gas(model.address, model.abi.encode_call("predict", data), sender=account0),
    }
    label = model.predict(sample)
    kept = model.add_data(sample, label, sender=account0, value=ADD_VALUE)
    gas["add_data_no_update"] = kept.receipt.gas_used
    gas["refund"] = send("refund", label, kept.time)
    changed = model.add_data(sample, 1 - label, sender=account1, value=ADD_VALUE)
    gas["add_data_update"] = changed.receipt.gas_used
    gas["report"] = send("report", 1 - label, changed.time, account1)

    rows = [GasRow(name, operation, gas[operation]) for operation in OPERATIONS]
    rows.append(GasRow(name, "deploy part: trainer", deployed[0][1].gas_used))
    for (start, _), (end, receipt) in itertools.pairwise(deployed):
        rows.append(GasRow(name, f"deploy part: load_parameters [{start}, {end})", receipt.gas_used))
    return rows


def read_baseline(path: Path, *, hardfork: str = BASELINE_HARDFORK) -> dict[tuple[str, str], int]:
    """The baseline's figures for one hardfork, from the JSON block of ``gas-baseline.md``.

    Returns
    -------
    dict
        ``{(model, operation): gas}``.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        for block in re.findall(r"```json\s*\n(.*?)```", text, flags=re.DOTALL):
            rows = json.loads(block)
            if isinstance(rows, list) and rows and all(isinstance(r, dict) and "hardfork" in r for r in rows):
                return {(r["model"], r["operation"]): int(r["gas"]) for r in rows if r["hardfork"] == hardfork}
    except (ValueError, KeyError, TypeError) as exc:  # not UTF-8, a block that is not JSON, a row without a field
        raise SumchainError(f"{path}: a JSON block of baseline rows that cannot be read ({exc})") from None
    raise SumchainError(f"{path} has no JSON block of baseline rows")


def gas_report(
    names: Iterable[str] | None = None,
    *,
    baseline: Path | None = BASELINE,
    imdb_model: Path = IMDB_MODEL,
    engine: str | None = None,
) -> list[GasRow]:
    """Measure workloads and put the baseline's ``bpo1`` figure beside each operation.

    Parameters
    ----------
    names : iterable of str, optional
        Workloads to run (default: all of :data:`WORKLOADS`, in order).
    baseline : Path or None
        ``gas-baseline.md``; when None or missing, every ``reference_gas`` is None.
    imdb_model, engine : Path, str
        See :func:`measure`.
    """
    chosen = [workload(name).name for name in (WORKLOADS if names is None else names)]
    reference = read_baseline(baseline) if baseline is not None and Path(baseline).is_file() else {}
    return [
        GasRow(row.model, row.operation, row.gas, reference.get((row.model, row.operation)))
        for name in chosen
        for row in measure(name, imdb_model=imdb_model, engine=engine)
    ]
