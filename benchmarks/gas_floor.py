"""Each operation's gas beside its floor: the least gas that what it does could cost.

For every workload of ``sumchain gas`` (the same transactions, on the revm
engine), each mined transaction is traced (revm's journal, read before the
engine reverts it) and priced at the EVM's minimum (Prague rules) for what it
does with today's storage layout:

- 21,000, plus calldata (4 gas per zero byte, 16 per other), plus for a
  deployment 32,000, 2 per word of init code and 200 per byte of code kept;
- 2,100 for each storage slot it touches (a cold access, EIP-2929), plus
  20,000 for each slot it turns from zero to non-zero and 2,900 for each other
  slot whose value it changes (EIP-2200), minus 4,800 for each slot it clears
  (EIP-3529, at most a fifth of the total);
- 375 per log, 375 per topic and 8 per byte of log data;
- 6,700 for each payment the contract makes (a CALL with value, 9,000, less
  the 2,300 stipend that comes back when the recipient does nothing), and
  2,600 for each other account it loads (cold);
- never less than EIP-7623's floor, 21,000 + 10 per calldata token.

So the floor is what the transaction's storage, logs and payments cost by
themselves; the ratio ``gas / floor`` is what the code around them adds (1.0
would be a transaction that does nothing but those). Another storage layout
could touch fewer slots: the floor is for today's. Predictions are calls
(no transaction), so they have no row here. Each traced transaction's gas
must equal the gas ``sumchain gas`` reports for its operation, else the script
stops (the trace would be of another transaction).

Usage: ``python benchmarks/gas_floor.py [--json]``
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from sumchain.chain.engines.revm import RevmEngine
from sumchain.chain.execution import BlockContext, Execution, Transaction, floor_gas, intrinsic_gas
from sumchain.gas import WORKLOADS, measure

_SLOT = re.compile(r"StorageChange \{ address: (0x[0-9a-f]{40}), key: (\d+), had_value: ")
_LOADED = re.compile(r"AccountLoaded \{ address: (0x[0-9a-f]{40}) \}")
_TRANSFER = re.compile(r"BalanceTransfer \{ from: (0x[0-9a-f]{40}), to: (0x[0-9a-f]{40}), balance: (\d+) \}")
COLD_SLOT, SET_SLOT, RESET_SLOT, CLEAR_REFUND = 2_100, 20_000, 2_900, 4_800
LOG, LOG_TOPIC, LOG_BYTE = 375, 375, 8
PAYMENT, COLD_ACCOUNT, CODE_BYTE = 6_700, 2_600, 200
PRECOMPILES = {f"0x{i:040x}" for i in range(1, 0x12)}


@dataclass
class Trace:
    """What one mined transaction did: slots (original and final values), accounts, payments."""

    tx: Transaction
    execution: Execution | None = None
    slots: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)
    payments: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """One operation: its gas, its floor and the floor's parts."""

    model: str
    operation: str
    gas: int
    floor: int
    ratio: float
    parts: dict[str, int]


def price(trace: Trace) -> dict[str, int]:
    """The floor of one traced transaction, part by part (see the module docstring)."""
    tx, execution = trace.tx, trace.execution
    assert execution is not None
    code_size = len(execution.diff.accounts[execution.created].code) if execution.created else 0
    storage = refund = 0
    for original, final in trace.slots.values():
        storage += COLD_SLOT
        if final != original:
            storage += SET_SLOT if original == 0 else RESET_SLOT
            refund += CLEAR_REFUND if final == 0 else 0
    sender, target = tx.sender, tx.to or execution.created
    parts = {
        "intrinsic": intrinsic_gas(tx.data, create=tx.is_create) + CODE_BYTE * code_size,
        "storage": storage,
        "logs": sum(LOG + LOG_TOPIC * len(log.topics) + LOG_BYTE * len(log.data) for log in execution.logs),
        "payments": PAYMENT * sum(1 for source, _, _ in trace.payments if source == target),
        "accounts": COLD_ACCOUNT * len(trace.accounts - {sender, target, "0x" + "00" * 20} - PRECOMPILES),
    }
    total = sum(parts.values())
    parts["refund"] = -min(refund, total // 5)
    parts["calldata floor (EIP-7623)"] = max(0, floor_gas(tx.data) - (total + parts["refund"]))
    return parts


@contextmanager
def traced() -> Iterator[list[Trace]]:
    """Every transaction the revm engine mines meanwhile, traced from its journal."""
    traces: list[Trace] = []
    execute, diff = RevmEngine.execute, RevmEngine._diff

    def traced_execute(self: RevmEngine, tx: Transaction, block: BlockContext, *, diff: bool = True) -> Execution:
        if diff:
            traces.append(Trace(tx))
        execution = execute(self, tx, block, diff=diff)
        if diff:
            traces[-1].execution = execution
        return execution

    def traced_diff(self: RevmEngine, sender: str) -> Any:
        journal = self._evm.journal_str
        entries = journal[journal.rfind(", journal: [") :]
        trace = traces[-1]
        for address, text in set(_SLOT.findall(entries)):
            key = int(text)
            trace.slots[address, key] = (self.state.slot(address, key), int(self._evm.storage(address, key)))
        trace.accounts = set(_LOADED.findall(entries))
        trace.payments = [(a, b, int(v)) for a, b, v in _TRANSFER.findall(entries)]
        return diff(self, sender)

    RevmEngine.execute, RevmEngine._diff = traced_execute, traced_diff  # type: ignore[method-assign]
    try:
        yield traces
    finally:
        RevmEngine.execute, RevmEngine._diff = execute, diff  # type: ignore[method-assign]


def floors(name: str) -> list[Row]:
    """The floor of each operation of one workload, beside its gas."""
    with traced() as traces:
        measured = measure(name, engine="revm")
    mined = [t for t in traces if t.execution is not None and t.execution.success]
    gas = {row.operation: row.gas for row in measured}
    parts = [row.operation for row in measured if row.operation.startswith("deploy part")]
    order = [*parts, "add_data_no_update", "refund", "add_data_update", "report"]
    used = [t.execution.gas_used for t in mined if t.execution is not None]
    if used != [gas[op] for op in order]:
        raise SystemExit(f"{name}: the traced transactions are not the operations of `sumchain gas` (order changed?)")
    priced = {op: price(t) for t, op in zip(mined, order, strict=True)}
    priced["deploy_total"] = _sum(priced[op] for op in parts)
    priced["deploy_model"] = _sum(priced[op] for op in parts[1:])
    rows = []
    for op in ("deploy_total", "deploy_model", "add_data_update", "add_data_no_update", "refund", "report", *parts):
        floor = sum(priced[op].values())
        rows.append(Row(name, op, gas[op], floor, gas[op] / floor, priced[op]))
    return rows


def _sum(dicts: Iterable[dict[str, int]]) -> dict[str, int]:
    """Part by part sums of several transactions' floors."""
    total: dict[str, int] = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0) + value
    return total


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    settings = parser.parse_args(argv)
    rows = [row for name in WORKLOADS for row in floors(name)]
    if settings.json:
        print(json.dumps([asdict(row) for row in rows], indent=1))
        return
    print(f"{'model':31} {'operation':45} {'gas':>11} {'floor':>11} {'gas/floor':>9}")
    for row in rows:
        print(f"{row.model:31} {row.operation:45} {row.gas:11,} {row.floor:11,} {row.ratio:9.2f}")
    print("\nFloor parts of the IMDB sparse perceptron's operations:")
    for row in rows[:6]:
        print(f"  {row.operation:20} " + ", ".join(f"{k} {v:,}" for k, v in row.parts.items() if v))


if __name__ == "__main__":
    main()
