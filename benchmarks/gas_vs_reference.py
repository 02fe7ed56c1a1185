"""Gas of the reference's workloads: sumchain vs 0xDeCA10B, every model side by side.

Runs the 8 workloads of ``shared/original/gas-baseline.md`` with
:func:`sumchain.gas.gas_report` (the same as ``sumchain gas``; see
``sumchain.gas`` for the models, samples and order of operations), prints our
gas and the ratio to the reference's ``bpo1`` figure for every model and
operation, then whether issue 5's targets for the IMDB sparse perceptron are met.

Usage: ``python benchmarks/gas_vs_reference.py [path/to/shared/original]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from sumchain.gas import HARDFORK_NOTE, OPERATIONS, WORKLOADS, GasRow, gas_report
from sumchain.original import ORIGINAL

TARGETS = {  # issue 5: imdb-sparse-perceptron, ratio to the reference at most
    "deploy_total": 0.20,
    "add_data_update": 0.50,
    "add_data_no_update": 0.50,
    "refund": 0.50,
    "report": 0.50,
}
TARGET_MODEL = "imdb-sparse-perceptron"


def print_matrix(rows: list[GasRow], title: str, cell: str) -> None:
    """One line per model, one column per operation; ``cell`` is ``"gas"`` or ``"ratio"``."""
    by_model = {(row.model, row.operation): row for row in rows}
    print(f"\n{title}")
    print(f"{'model':<31}" + "".join(f"{op:>19}" for op in OPERATIONS))
    for model in WORKLOADS:
        values = [by_model.get((model, op)) for op in OPERATIONS]
        if cell == "gas":
            shown = [f"{row.gas:>19,}" if row else f"{'':>19}" for row in values]
        else:
            shown = [f"{row.ratio:>19.3f}" if row and row.ratio is not None else f"{'-':>19}" for row in values]
        print(f"{model:<31}" + "".join(shown))


def main() -> None:
    original = Path(sys.argv[1]) if len(sys.argv) > 1 else ORIGINAL
    rows = gas_report(baseline=original / "gas-baseline.md", imdb_model=original / "imdb-sentiment-model.json")
    print_matrix(rows, "sumchain gas", "gas")
    print_matrix(rows, "ratio sumchain / 0xDeCA10B (bpo1)", "ratio")
    print("\n" + HARDFORK_NOTE)
    print("\nDeploy parts (no reference figure):")
    for row in rows:
        if row.operation.startswith("deploy part"):
            print(f"  {row.model:<31} {row.operation:<45} {row.gas:>12,}")

    print(f"\nIssue 5 targets ({TARGET_MODEL}):")
    found = {row.operation: row for row in rows if row.model == TARGET_MODEL}
    met = True
    for operation, target in TARGETS.items():
        ratio = found[operation].ratio
        ok = ratio is not None and ratio <= target
        met &= ok
        shown = "no reference figure" if ratio is None else f"{ratio:.3f}"
        print(f"  {operation:<20} {shown:>8} <= {target:.2f}  {'met' if ok else 'NOT MET'}")
    print("All targets met." if met else "Some targets are not met.")


if __name__ == "__main__":
    main()
