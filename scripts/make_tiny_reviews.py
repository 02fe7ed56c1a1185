"""Write src/sumchain/data/tiny-reviews.tsv: the demo's small sentiment sample.

The sample is synthetic, written by this script from fixed phrase lists with a
fixed seed, so it carries no third-party text. Each line is ``label<TAB>text``
(1 = positive). About one review in six mixes praise and complaint, so that a
linear model cannot be perfect. Run it again to reproduce the file exactly.
"""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = [
    "movie",
    "film",
    "story",
    "acting",
    "plot",
    "cast",
    "music",
    "ending",
    "script",
    "performances",
    "characters",
    "director",
    "scenes",
]
GOOD = [
    "great",
    "excellent",
    "wonderful",
    "amazing",
    "beautiful",
    "perfect",
    "brilliant",
    "fun",
    "funny",
    "superb",
    "fantastic",
    "touching",
    "strong",
]
BAD = [
    "bad",
    "awful",
    "terrible",
    "boring",
    "poor",
    "horrible",
    "stupid",
    "dull",
    "lame",
    "annoying",
    "ridiculous",
    "worse",
]
GOOD_CLOSERS = [
    "I loved it.",
    "Highly recommend it.",
    "One of the best this year.",
    "A real masterpiece.",
    "I will definitely watch it again.",
    "My new favorite.",
    "I enjoyed every minute.",
]
BAD_CLOSERS = [
    "What a waste of time.",
    "Avoid it.",
    "The worst I have seen.",
    "I was disappointed.",
    "Unfortunately it fails.",
    "A total mess.",
    "Nothing works here.",
]
FILLERS = ["", "Honestly, ", "Well, ", "To be fair, ", "Overall, "]


def review(rng: random.Random, label: int) -> str:
    """One synthetic review of the given sentiment."""
    main, other = (GOOD, BAD) if label else (BAD, GOOD)
    closers = GOOD_CLOSERS if label else BAD_CLOSERS
    parts = [f"{rng.choice(FILLERS)}the {rng.choice(SUBJECTS)} was {rng.choice(main)}."]
    if rng.random() < 0.6:
        parts.append(f"The {rng.choice(SUBJECTS)} felt {rng.choice(main)} too.")
    if rng.random() < 0.17:
        parts.append(f"Only the {rng.choice(SUBJECTS)} was {rng.choice(other)}.")
    parts.append(rng.choice(closers))
    text = " ".join(parts)
    return text[0].upper() + text[1:]


def main() -> None:
    rng = random.Random(20190717)
    rows = [(label, review(rng, label)) for label in [1, 0] * 120]
    rng.shuffle(rows)
    out = Path(__file__).resolve().parent.parent / "src/sumchain/data/tiny-reviews.tsv"
    out.write_text("".join(f"{label}\t{text}\n" for label, text in rows))


if __name__ == "__main__":
    main()
