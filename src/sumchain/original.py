"""Where the reference system's material lies next to a source checkout (``../shared/original``).

Never shipped in the package: the gas report and the tests read the reference's
own files from there when they are present, and say so when they are not.
"""

from __future__ import annotations

from pathlib import Path

ORIGINAL = Path(__file__).resolve().parents[3] / "shared" / "original"
"""``../shared/original`` next to the checkout."""
BASELINE = ORIGINAL / "gas-baseline.md"
"""The reference's gas per operation."""
IMDB_MODEL = ORIGINAL / "imdb-sentiment-model.json"
"""The reference's IMDB sentiment model file."""
