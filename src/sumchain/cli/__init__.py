"""The ``sumchain`` command line: a thin layer over :class:`~sumchain.client.SharedModel`.

Each command parses its options, calls the client, and prints the result.
:func:`main` turns every failure into one line on standard error, never a
traceback: a :class:`~sumchain.errors.SumchainError` or a usage error exits
with status 1, Ctrl-C with 130 (saying how to resume where that matters), and
an unexpected error with 2 (``SUMCHAIN_DEBUG=1`` shows its traceback).

Modules: :mod:`.app` (the app, global options, session), :mod:`.models`
(deploy, import, export, info, predict), :mod:`.listing` (models, register,
delist: the registry), :mod:`.contributing` (add,
contributions, refund, report, withdraw), :mod:`.chain_commands` (balance,
time), :mod:`.accounts` (keystore accounts), :mod:`.auditing` (audit), :mod:`.node` (a local anvil
with a registry), :mod:`.indexing` (the event index), :mod:`.serving` (the web dashboard), :mod:`.gas`,
:mod:`.demo`, :mod:`.simulate` (agents on the real contracts), :mod:`.market` (the prediction market).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

import typer
from typer.exceptions import TyperException

from sumchain.cli import (
    accounts,
    auditing,
    chain_commands,
    contributing,
    demo,
    gas,
    indexing,
    listing,
    market,
    models,
    node,
    serving,
    simulate,
)
from sumchain.cli.app import app
from sumchain.cli.output import err
from sumchain.errors import SumchainError, without_secrets

__all__ = [
    "accounts",
    "app",
    "auditing",
    "chain_commands",
    "contributing",
    "demo",
    "gas",
    "hoist_global_options",
    "indexing",
    "listing",
    "main",
    "market",
    "models",
    "node",
    "serving",
    "simulate",
]

_GLOBAL_OPTIONS = ("--chain", "--account", "--model", "--registry", "--max-deposit", "--password-file", "--timeout")
_GLOBAL_FLAGS = ("--yes", "-y")
_OWN_OPTIONS = {"gas": ("--model",)}
"""Options of a command named like a global one: after the command, they are the command's."""
INTERRUPTED = 130
UNEXPECTED = 2


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options to the front, so they work after the command too.

    >>> hoist_global_options(["add", "text", "--account", "1", "--label=1"])
    ['--account', '1', 'add', 'text', '--label=1']
    >>> hoist_global_options(["gas", "--model", "fitness-naive-bayes"])
    ['gas', '--model', 'fitness-naive-bayes']
    >>> hoist_global_options(["add", "--yes", "text"])
    ['--yes', 'add', 'text']

    The value of a command's own option, and what follows ``--``, stay where they are:

    >>> hoist_global_options(["deploy", "--description", "-y", "--", "--yes"])
    ['deploy', '--description', '-y', '--', '--yes']
    """
    front: list[str] = []
    rest: list[str] = []
    command = previous = ""
    args = iter(argv)
    for arg in args:
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest += [arg, *args]
        elif (name in _GLOBAL_FLAGS or name in _GLOBAL_OPTIONS) and previous and previous in _value_options():
            rest.append(arg)  # the value of the option before it
            previous = ""
        elif name in _GLOBAL_FLAGS:
            front.append(arg)
        elif name in _GLOBAL_OPTIONS and name not in _OWN_OPTIONS.get(command, ()):
            front += [arg] if "=" in arg else [arg, next(args, "")]
        else:
            rest.append(arg)
            command = command or ("" if arg.startswith("-") else arg)
            previous = arg if arg.startswith("-") and "=" not in arg else ""
    return front + rest


@cache
def _value_options() -> frozenset[str]:
    """The commands' own options that take a value (asked only when such an option is followed by what
    could be a global option: building the command tree takes some 20 ms)."""
    names: set[str] = set()
    commands: list[Any] = [typer.main.get_command(app)]  # typer's own click, or click's
    while commands:
        command = commands.pop()
        for param in command.params:
            if param.param_type_name == "option" and not param.is_flag and not param.count:
                names.update(param.opts)
        commands += list(getattr(command, "commands", {}).values())
    return frozenset(names - set(_GLOBAL_OPTIONS))


def _fail(message: str, status: int) -> None:
    err.print(without_secrets(message))
    raise SystemExit(status)


def _usage_error(exc: TyperException) -> None:
    """A wrong command line: its help when nothing was asked, else one line."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__.startswith("NoArgsIsHelp") and ctx is not None:
        typer.echo(ctx.get_help())
        raise SystemExit(0)
    hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    _fail(f"Error: {exc.format_message()}{hint}", 1)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``sumchain`` console script."""
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    try:
        status = app(args=args or ["--help"], prog_name="sumchain", standalone_mode=False)
    except models.Interrupted as exc:
        _fail(str(exc), INTERRUPTED)
    except SumchainError as exc:
        _fail(f"{type(exc).__name__}: {exc}", 1)
    except typer.Exit as exc:
        status = exc.exit_code
    except typer.Abort:
        _fail("Interrupted: nothing more was done.", INTERRUPTED)
    except TyperException as exc:  # typer's usage and parameter errors
        _usage_error(exc)
    except OSError as exc:  # the machine's answer: a path that is not a folder, a port in use, ...
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{type(exc).__name__}: {exc.strerror or exc}{where}", 1)
    except Exception as exc:  # a bug: still one line, the traceback on demand
        if os.environ.get("SUMCHAIN_DEBUG"):
            raise
        _fail(f"Unexpected error ({type(exc).__name__}): {exc} (SUMCHAIN_DEBUG=1 shows the traceback)", UNEXPECTED)
    if status == INTERRUPTED:  # typer's answer to Ctrl-C, without a word
        _fail("Interrupted: nothing more was done.", INTERRUPTED)
    if isinstance(status, int) and status:
        raise SystemExit(status)
