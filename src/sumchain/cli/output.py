"""How the command line prints: two consoles, progress bars, amounts in ETH, times in UTC, durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console

from sumchain.errors import SumchainError

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn
    from rich.text import Text

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal obeys rather than shows (escape sequences: clearing the screen, links), and the
bidirectional overrides that reorder what is shown; tabs and line breaks are kept."""


def shown_safely(text: str) -> str:
    """``text`` with every character a terminal would obey replaced by U+FFFD: descriptions and class
    names come from whoever deployed a model.

    >>> shown_safely("Nice\x1b[2J movie\u202e")
    'Nice\ufffd[2J movie\ufffd'
    """
    return _CONTROLS.sub("\ufffd", text)


class SafeConsole(Console):
    """A rich console whose text (cells of tables included) never carries terminal controls (see
    :func:`shown_safely`); its own styling still reaches the terminal. Markup is off unless a print
    asks for it (``markup=True``, what the chain says then passed through :func:`rich.markup.escape`):
    a name such as ``[link=http://...]`` is text, not a link."""

    def render_str(self, text: str, **options: object) -> Text:
        return super().render_str(shown_safely(text), **options)  # type: ignore[arg-type]


out = SafeConsole(highlight=False, soft_wrap=True, markup=False)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)


def progress_bar(*columns: ProgressColumn | str) -> Progress:
    """A bar on standard error while a command works, gone when it is done (none when that is not a terminal,
    so that nothing but the command's output reaches a pipe or a file)."""
    from rich.progress import Progress

    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


_DURATION = re.compile(r"([0-9]{1,78})([smhdw]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


def eth(wei: int) -> str:
    """An amount of wei in ETH, exactly (``0.001 ETH``)."""
    from sumchain.units import format_amount

    return format_amount(wei)


def when(timestamp: int) -> str:
    """A block time in UTC, to the second (``2026-11-30 10:02:03 UTC``); the raw number past year 9999."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):
        return f"time {timestamp:,}"


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``45s``, ``30m``, ``2h``, ``1d`` or ``1w``.

    >>> parse_duration("1d"), parse_duration("90")
    (86400, 90)
    """
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise SumchainError(f"{text!r} is not a duration like 90, 30m, 2h or 1d")
    return int(match[1]) * _SECONDS[match[2]]


def countdown(seconds: int) -> str:
    """A wait in words: ``now``, ``in 3h 20m``, ``in 2d 4h``.

    >>> countdown(0), countdown(12_000), countdown(190_000)
    ('now', 'in 3h 20m', 'in 2d 4h')
    """
    if seconds <= 0:
        return "now"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"in {days}d {hours}h"
    if hours:
        return f"in {hours}h {minutes}m"
    return f"in {max(minutes, 1)}m" if seconds >= 60 else f"in {seconds}s"
