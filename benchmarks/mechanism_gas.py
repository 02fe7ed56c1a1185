"""Gas of ``add_data``, ``refund`` and ``report`` under each incentive mechanism, side by side.

For each gas workload (``sumchain gas``: the reference's eight models), one fresh
embedded chain per mechanism runs the same story: account 1 adds the workload's
sample with the label the model predicts (no update), and after the one-day wait
validates it (``refund``); account 2 adds a sample with a label the model rejects
(an update) and, after the wait, account 1 reports it (under Deposit, Refund and
Take: a share of the deposit; under Points: the recorded report). The sample for
the report is the first of a seeded series that the model still rejects after
learning it, found with the Python mirror (bit-exact), so both mechanisms report
the same contribution. Deposit, Refund and Take's claim windows are 2 and 3 days,
so its report takes a share, the path that checks the model as Points does.

Usage: ``python benchmarks/mechanism_gas.py [--json] [--workloads NAME,...]``
"""

from __future__ import annotations

import argparse
import copy
import json
from typing import Any

import numpy as np

from sumchain import EmbeddedChain, SharedModel
from sumchain.gas import GENESIS_TIME, WORKLOADS, workload
from sumchain.incentives import DAY, DepositRefundTake, Mechanism, Points
from sumchain.models import OnChainModel
from sumchain.models.reference_file import model_from_spec
from sumchain.models.samples import normalize
from sumchain.original import IMDB_MODEL

MECHANISMS: dict[str, Mechanism] = {
    "deposit_refund_take": DepositRefundTake(
        cost_weight=10**9, refund_wait=DAY, owner_claim_wait=2 * DAY, any_claim_wait=3 * DAY
    ),
    "points": Points(refund_wait=DAY),
}
OPERATIONS = ("add_data_no_update", "add_data_update", "refund", "report")
VALUE = 10**17


def rejected_sample(mirror: OnChainModel, sample: list[int], seed: int) -> tuple[list[int], int]:
    """A sample and a label that ``mirror`` rejects and still rejects after learning them."""
    rng = np.random.default_rng(seed)
    for _ in range(1_000):
        if mirror.sparse:
            candidate = sorted(int(i) for i in rng.choice(mirror.n_features, size=len(sample), replace=False))
        else:
            candidate = list(normalize(rng.normal(size=len(sample)).tolist()))
        label = (int(mirror.predict([candidate])[0]) + 1) % mirror.n_classes
        learned = copy.deepcopy(mirror)
        learned.partial_fit([candidate], [label])
        if int(learned.predict([candidate])[0]) != label:
            return candidate, label
    raise RuntimeError("no sample that the model keeps rejecting in 1,000 tries")


def measure(name: str, mechanism: Mechanism) -> dict[str, int]:
    """The four operations' gas for one workload under one mechanism."""
    work = workload(name)
    mirror = model_from_spec(work.spec(IMDB_MODEL))
    chain = EmbeddedChain(genesis_time=GENESIS_TIME)
    model = SharedModel.deploy(chain, mirror, mechanism=mechanism, registry=False)
    sample = list(work.sample())
    label = model.predict(sample)
    kept = model.add_data(sample, label, sender=1, value=VALUE)
    bad, wrong = rejected_sample(model.mirror(), sample, seed=len(name))
    changed = model.add_data(bad, wrong, sender=2, value=VALUE)
    chain.advance_time(DAY)
    refund = model._transact("refund", model.codec.encode(sample), label, kept.time, sender=1)
    report = model._transact("report", model.codec.encode(bad), wrong, changed.time, changed.author, sender=1)
    return {
        "add_data_no_update": kept.receipt.gas_used,
        "add_data_update": changed.receipt.gas_used,
        "refund": refund.gas_used,
        "report": report.gas_used,
    }


def rows(names: list[str]) -> list[dict[str, Any]]:
    """One row per workload and operation: each mechanism's gas and Points' over Deposit, Refund and Take's."""
    found = []
    for name in names:
        measured = {key: measure(name, mechanism) for key, mechanism in MECHANISMS.items()}
        for operation in OPERATIONS:
            drt, points = measured["deposit_refund_take"][operation], measured["points"][operation]
            found.append(
                {
                    "model": name,
                    "operation": operation,
                    "deposit_refund_take": drt,
                    "points": points,
                    "ratio": round(points / drt, 4),
                }
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--workloads", help="comma-separated workload names (default: all)")
    args = parser.parse_args()
    names = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    found = rows(names)
    if args.json:
        print(json.dumps(found, indent=1))
        return
    print(f"{'workload':32} {'operation':20} {'DRT gas':>10} {'Points gas':>11} {'Points/DRT':>10}")
    for row in found:
        print(
            f"{row['model']:32} {row['operation']:20} {row['deposit_refund_take']:>10,} "
            f"{row['points']:>11,} {row['ratio']:>10.3f}"
        )


if __name__ == "__main__":
    main()
