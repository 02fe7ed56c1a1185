"""Small files shipped with sumchain: the IMDB vocabulary and the demo sample."""

from __future__ import annotations

from importlib import resources


def tiny_reviews() -> tuple[list[str], list[int]]:
    """The demo's 240 short synthetic movie reviews and their labels (1 = positive).

    Written by ``scripts/make_tiny_reviews.py``; no third-party text.

    >>> texts, labels = tiny_reviews()
    >>> len(texts), sum(labels)
    (240, 120)
    """
    texts, labels = [], []
    for line in resources.files(__name__).joinpath("tiny-reviews.tsv").read_text().splitlines():
        label, text = line.split("\t", 1)
        texts.append(text)
        labels.append(int(label))
    return texts, labels
