"""Processes that use one chain file at the same time (run by ``test_chain_file_processes``).

``python -m tests.integration.chain_workers add PATH MODEL ACCOUNT ROUNDS`` adds
``ROUNDS`` contributions and prints ``acked <time> <account>`` after each one
the chain acknowledged; ``read PATH MODEL SECONDS`` checks, over and over for
that long, that a pinned view of the chain conserves ETH (gas price is 0) and
prints ``reads <count>``.
"""

from __future__ import annotations

import sys
import time

from sumchain import EmbeddedChain, SharedModel


def add(path: str, address: str, account: int, rounds: int) -> None:
    chain = EmbeddedChain(path, timeout=60)
    model = SharedModel(chain, address)
    for i in range(rounds):
        added = model.add_data([account % model.n_features, (account + i) % 7 + 8], i % 2, sender=account)
        print(f"acked {added.time} {added.contribution.author}", flush=True)


def read(path: str, address: str, seconds: float) -> None:
    chain = EmbeddedChain(path, timeout=60)
    model = SharedModel(chain, address)
    people = [*chain.accounts, model.address]
    total = None
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with chain.pinned():
            balances = sum(chain.balance(a) for a in people)
            contributions = model.contributions(everyone=True)
            held = sum(c.claimable for c in contributions)
            if chain.balance(model.address) != held:
                raise SystemExit(f"inconsistent: model holds {chain.balance(model.address)}, deposits {held}")
        if total is not None and balances != total:
            raise SystemExit(f"ETH not conserved: {balances} != {total}")
        total = balances
        count += 1
    print(f"reads {count}", flush=True)


if __name__ == "__main__":
    command, path, address, *rest = sys.argv[1:]
    if command == "add":
        add(path, address, int(rest[0]), int(rest[1]))
    else:
        read(path, address, float(rest[0]))
