"""Text to sparse features through a fixed vocabulary.

The IMDB vocabulary is 0xDeCA10B's 1000 words (``data/imdb-vocab.json``,
``{word: index}``). Unlike the reference encoder, which keeps punctuation on
tokens, repeats indices and maps unknown words to 1337, this one strips HTML
line breaks and splits on anything but letters and digits (so "don't"
gives "don" and "t", as the Keras tokenizer that built the vocabulary did),
drops unknown words and returns each index once,
sorted: exactly the input the sparse models accept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources

_TOKEN = re.compile(r"[a-z0-9]+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class VocabularyEncoder:
    """Encode text as the sorted, unique indices of its known words.

    Parameters
    ----------
    vocabulary : mapping of str to int
        Word to feature index.

    Examples
    --------
    >>> enc = VocabularyEncoder.imdb()
    >>> enc.tokens("A great, GREAT movie!<br />Don't miss it.")
    ['a', 'great', 'great', 'movie', 'don', 't', 'miss', 'it']
    >>> enc.encode("A great, GREAT movie!<br />Don't miss it.") == sorted(
    ...     enc.vocabulary[w] for w in ("great", "movie", "don", "miss"))
    True
    """

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self.vocabulary = dict(vocabulary)
        self.n_features = max(self.vocabulary.values()) + 1 if self.vocabulary else 0

    @classmethod
    def imdb(cls) -> VocabularyEncoder:
        """The reference system's 1000-word IMDB vocabulary."""
        text = resources.files("sumchain.data").joinpath("imdb-vocab.json").read_text()
        return cls(json.loads(text))

    def tokens(self, text: str) -> list[str]:
        """Lower-cased words of ``text``, punctuation and HTML breaks removed."""
        return _TOKEN.findall(_BREAK.sub(" ", text).lower())

    def encode(self, text: str) -> list[int]:
        """Sorted, unique indices of the known words of ``text``."""
        return sorted({self.vocabulary[t] for t in self.tokens(text) if t in self.vocabulary})
