"""Real headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright, nothing downloaded.

A :class:`Console` records every console error and uncaught exception of a page; the
``page`` fixture fails a test that leaves any it did not expect.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Page

CHROMIUM = Path("/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
BENCHMARK_LOG = REPO_ROOT / "benchmarks" / "dashboard-browser.json"
"""Where the browser tests write their timings (measured, never asserted)."""
DOCS = REPO_ROOT / "docs"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class Console:
    """The console errors and page exceptions seen, and the ones a test announced."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        def on_error(error: Error) -> None:
            self.errors.append(f"uncaught: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def expect(self, pattern: str) -> None:
        """Allow console errors matching ``pattern`` (a failed request the test provokes)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def record_timings(figures: dict[str, Any]) -> None:
    """Write the timings of this run to :data:`BENCHMARK_LOG` (the latest run's; nothing asserts them)."""
    BENCHMARK_LOG.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
                "browser": "Debian chromium, headless, via Playwright",
                "what": "model page first render: navigation start to the page drawn with its contributions; "
                "prediction round trip: Enter in the form to the class shown (median of the runs)",
                **figures,
            },
            indent=1,
        )
        + "\n"
    )


def tab_to(page: Page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus (a keyboard user's way there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus in {limit} Tab presses")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
    .map((e) => e.outerHTML)"""
"""JavaScript: the form fields that have no label."""


WIDER_THAN = """(width) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${e.getBoundingClientRect().right}`)"""
"""JavaScript: the elements that reach past ``width`` pixels (a page too wide for the screen)."""


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot into docs/."""
    path = DOCS / name
    page.screenshot(path=str(path), full_page=True)
    return path
