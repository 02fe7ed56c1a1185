"""Helpers shared by the tests: state snapshots for "nothing changed" checks."""

from __future__ import annotations

from typing import Any

from sumchain import SharedModel


def observable_state(model: SharedModel) -> dict[str, Any]:
    """Everything a revert must leave as it was."""
    chain = model.chain
    return {
        "balances": [chain.balance(a) for a in chain.accounts[:4]] + [chain.balance(model.address)],
        "parameters": model.parameter_words(),
        "contributions": model.contributions(everyone=True),
        "last_update": model._call("last_update_time"),
        "total_good": model._call("total_good"),
        "num_valid": [model._call("num_valid", a) for a in chain.accounts[:4]],
    }
