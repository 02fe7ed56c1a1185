"""The package's surface: every public name resolves, and importing it stays cheap."""

from __future__ import annotations

import sumchain


def test_every_public_name_resolves_and_is_listed() -> None:
    assert sorted(sumchain._EXPORTS) == sumchain.__all__
    for name in sumchain.__all__:
        assert getattr(sumchain, name).__name__ == name
