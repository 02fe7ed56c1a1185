"""State machines that count the rules they execute, so that a run can show (and require) its length."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import settings as Settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

OPERATIONS = 10_000
"""Rules executed per run, at least."""

Method = TypeVar("Method", bound=Callable[..., None])


class CountingMachine(RuleBasedStateMachine):
    """A state machine whose :func:`counted` rules add to :attr:`operations`."""

    operations = 0
    """Rules executed since :func:`run_counted` last reset the count."""


def counted(method: Method) -> Method:
    """Count every execution of a rule in its machine's :attr:`CountingMachine.operations`."""

    @functools.wraps(method)
    def run(self: CountingMachine, *args: Any, **kwargs: Any) -> None:
        type(self).operations += 1
        method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


def run_counted(
    machine: type[CountingMachine], settings: Settings, record_property: Callable[[str, object], None]
) -> None:
    """Run ``machine`` as a test, record its number of operations (pytest's summary prints it)
    and require at least :data:`OPERATIONS`."""
    machine.operations = 0
    run_state_machine_as_test(machine, settings=settings)
    record_property("operations", machine.operations)
    assert machine.operations >= OPERATIONS, f"only {machine.operations:,} operations"
