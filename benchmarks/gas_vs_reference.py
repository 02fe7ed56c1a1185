"""Gas of the IMDB sparse perceptron workload: sumchain vs 0xDeCA10B, side by side.

Runs the workload of ``shared/original/gas-baseline.md`` (same model file, same
20-index sample, same order of operations, waits 0, cost weight 1e9, 1e17 wei
sent with each add) on the embedded chain (py-evm, Prague gas rules; the
baseline's ``bpo1`` column has Osaka rules, which give the same figures as
Prague for these operations) and prints our gas, the reference's and the ratio.

Usage: ``python benchmarks/gas_vs_reference.py [path/to/shared/original]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel
from sumchain.models.reference_file import read_model_file

SAMPLE = [1, 2, 3, 14, 15, 26, 37, 48, 59, 110, 111, 112, 213, 314, 515, 616, 717, 818, 919, 920]
REFERENCE_BPO1 = {  # gas-baseline.md, imdb-sparse-perceptron, optimizer off, bpo1
    "deploy_total": 30_258_745,
    "deploy_model": 24_760_934,
    "add_data_update": 311_159,
    "add_data_no_update": 276_194,
    "refund": 221_111,
    "report": 181_159,
    "predict": 84_409,
}


def measure(original: Path) -> dict[str, int]:
    """Run the workload once and return gas per operation."""
    chain = EmbeddedChain(genesis_time=1_580_945_565)
    mirror = read_model_file(original / "imdb-sentiment-model.json")
    receipts = []
    owner = chain.accounts[9]  # as in the baseline, the accounts below are not the owner
    model = SharedModel.deploy(
        chain,
        mirror,
        incentive=DepositRefundTake(cost_weight=10**9, refund_wait=0, owner_claim_wait=0, any_claim_wait=0),
        sender=owner,
        on_chunk=lambda done, total, receipt: receipts.append(receipt),
    )
    gas = {"deploy_total": sum(r.gas_used for r in receipts), "deploy_model": sum(r.gas_used for r in receipts[1:])}
    gas["predict"] = chain.estimate_gas(
        model.address, model.abi.encode_call("predict", model.codec.encode(SAMPLE)), sender=chain.accounts[0]
    )
    label = model.predict(SAMPLE)
    kept = model.add_data(SAMPLE, label, sender=0, value=10**17)
    gas["add_data_no_update"] = kept.receipt.gas_used
    refund = chain.transact(
        model.address,
        model.abi.encode_call("refund", model.codec.encode(SAMPLE), label, kept.time),
        sender=chain.accounts[0],
    )
    gas["refund"] = refund.gas_used
    wrong = model.add_data(SAMPLE, 1 - label, sender=1, value=10**17)
    gas["add_data_update"] = wrong.receipt.gas_used
    report = chain.transact(
        model.address,
        model.abi.encode_call("report", model.codec.encode(SAMPLE), 1 - label, wrong.time, chain.accounts[1]),
        sender=chain.accounts[0],
    )
    gas["report"] = report.gas_used
    return gas


def main() -> None:
    original = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "original"
    ours = measure(original)
    print(f"{'operation':<20} {'sumchain':>12} {'0xDeCA10B':>12} {'ratio':>7}")
    for operation, reference in REFERENCE_BPO1.items():
        print(f"{operation:<20} {ours[operation]:>12,} {reference:>12,} {ours[operation] / reference:>7.3f}")


if __name__ == "__main__":
    main()
