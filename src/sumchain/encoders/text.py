"""Text to sparse features: a vocabulary (fixed or learnt from a corpus) or feature hashing.

Tokenization, the same for fitting and encoding, for both encoders:

1. the text is put in Unicode's composed form (NFC), so that "café" typed
   with a combining accent is the same word as with the accented letter;
2. HTML line breaks (``<br />``, as in the IMDB reviews) become spaces;
3. the text is lower-cased (``str.lower``);
4. the words are the runs of Unicode letters and digits (Python's ``re``
   classes), everything else separating them: punctuation never sticks to a
   word, and "don't" gives "don" and "t", as the Keras tokenizer that built
   the reference's IMDB vocabulary did.

The reference's IMDB encoder instead split on white space only, kept
punctuation on words, repeated indices and mapped unknown words to 1337;
sumchain drops unknown words and returns each index once, sorted: exactly
the input the sparse models accept. A text that gives no feature (no known
word) is refused, since the models refuse an empty sample.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any, Self

import mmh3

from sumchain.encoders.base import MAX_PARAMS_BYTES, Encoder, canonical_json, check_int, check_names, check_text
from sumchain.errors import EncoderError, InvalidSample, NotFittedError
from sumchain.models.fixed_point import SCALE
from sumchain.models.samples import MAX_INDEX, MAX_SAMPLE, unit_vector

_TOKEN = re.compile(r"[^\W_]+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
SIGN_BIT = 2**31


def tokens(text: str) -> list[str]:
    """The words of ``text``, as every text encoder sees them (see the module's docstring).

    >>> tokens("A great, GREAT movie!<br />Don't miss it... Café 10/10")
    ['a', 'great', 'great', 'movie', 'don', 't', 'miss', 'it', 'café', '10', '10']
    >>> tokens("nai\u0308ve cafe\u0301") == tokens("naïve café") == ["naïve", "café"]
    True
    """
    return _TOKEN.findall(_BREAK.sub(" ", unicodedata.normalize("NFC", text)).lower())


class VocabularyEncoder(Encoder):
    """Text as the sorted, unique indices of its words in a vocabulary.

    The vocabulary is given (word -> index, or the words in index order) or
    learnt by :meth:`fit`: the ``max_features`` words found in the most texts
    of a corpus (ties by alphabetical order), the most frequent first. Its
    words travel in the model's metadata, one space between each, so they
    must fit in :data:`~sumchain.encoders.base.MAX_PARAMS_BYTES` (12,288
    bytes, each word its length plus one byte: the 1,819 words found in the
    most IMDB reviews fit); a larger vocabulary is refused, saying how many of
    its words fit, when the model's metadata is made.

    Parameters
    ----------
    vocabulary : mapping of str to int, or sequence of str, optional
        Each word's index (indices ``0 .. n - 1``, each once), or the words in
        index order. Without it, :meth:`fit` learns one.
    max_features : int
        Size of the vocabulary :meth:`fit` learns.

    Examples
    --------
    >>> enc = VocabularyEncoder.imdb()
    >>> enc.encode("A great, GREAT movie!<br />Don't miss it.") == sorted(
    ...     enc.vocabulary_[w] for w in ("great", "movie", "don", "miss"))
    True
    >>> enc = VocabularyEncoder(max_features=3).fit(["good film", "bad film", "good plot", "good"])
    >>> enc.words_, enc.encode("A GOOD film!")
    (['good', 'film', 'bad'], [0, 1])
    """

    kind = "vocabulary"
    input_kind = "text"

    def __init__(self, vocabulary: Mapping[str, int] | Sequence[str] | None = None, *, max_features: int = 1_000):
        self.vocabulary = vocabulary
        self.max_features = max_features
        if vocabulary is not None:
            self._set_words(_words_in_order(vocabulary))

    def _set_words(self, words: list[str]) -> None:
        for word in words:
            if tokens(word) != [word]:
                raise EncoderError(f"vocabulary words are single lower-case words (see tokens()), got {word!r:.40}")
        if len(set(words)) != len(words):
            raise EncoderError("vocabulary words must differ")
        if not words:
            raise EncoderError("a vocabulary needs at least one word")
        self.words_ = words
        self.vocabulary_ = {word: i for i, word in enumerate(words)}

    @classmethod
    def imdb(cls) -> VocabularyEncoder:
        """The reference system's 1000-word IMDB vocabulary (id ``"IMDB vocab"``)."""
        text = resources.files("sumchain.data").joinpath("imdb-vocab.json").read_text()
        return cls(json.loads(text))

    def fit(self, X: Iterable[str], y: Iterable[int] | None = None) -> Self:
        """Learn the ``max_features`` words found in the most texts of ``X`` (a given vocabulary stays).

        Raises
        ------
        InvalidSample
            When a text is not a text (see :func:`~sumchain.encoders.base.check_text`).
        """
        if self.vocabulary is not None:
            return self
        check_int(self.max_features, "max_features", 1, MAX_INDEX)
        found: Counter[str] = Counter()
        for i, text in enumerate(X):
            try:
                found.update(set(tokens(check_text(text))))
            except InvalidSample as exc:
                raise InvalidSample(f"text {i}: {exc}") from None
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        self._set_words([word for word, _ in ranked[: self.max_features]])
        return self

    def _fitted_words(self) -> list[str]:
        if not hasattr(self, "words_"):
            raise NotFittedError("this VocabularyEncoder has no vocabulary yet: call fit with a corpus first")
        return self.words_

    @property
    def n_features(self) -> int:
        return len(self._fitted_words())

    @property
    def feature_kind(self) -> str:
        return "indices"

    def params(self) -> dict[str, Any]:
        return {"words": " ".join(self._fitted_words())}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        check_names(params, cls.kind, ["words"])
        if not isinstance(params["words"], str):
            raise EncoderError("a vocabulary's words are one string, the words separated by single spaces")
        return cls(params["words"].split(" "))

    def _too_large_hint(self) -> str:
        words = self._fitted_words()
        budget, fit = MAX_PARAMS_BYTES - len(canonical_json({"words": ""})), 0
        for word in words:
            budget -= len(word.encode()) + 1
            if budget < 0:
                break
            fit += 1
        return f": its first {fit:,} words of {len(words):,} fit (a smaller max_features), or use feature hashing"

    def describe(self) -> str:
        return f"vocabulary of {self.n_features:,} words, each present word's index"

    def encode(self, raw: Any) -> list[int]:
        """Sorted, unique indices of the known words of a text.

        Raises
        ------
        InvalidSample
            When the text is not a text (see :func:`~sumchain.encoders.base.check_text`) or has no
            word of the vocabulary.
        """
        self._fitted_words()
        vocabulary = self.vocabulary_
        found = sorted({vocabulary[t] for t in tokens(check_text(raw)) if t in vocabulary})
        if not found:
            raise InvalidSample("no word of the text is in the model's vocabulary: nothing to send")
        if len(found) > MAX_SAMPLE:
            raise InvalidSample(f"the text has {len(found)} words of the vocabulary, more than the {MAX_SAMPLE} sent")
        return found


def _words_in_order(vocabulary: Mapping[str, int] | Sequence[str]) -> list[str]:
    """The words of a vocabulary in index order, checking that the indices are ``0 .. n - 1``."""
    if isinstance(vocabulary, str):
        raise EncoderError("a vocabulary is a mapping of words to indices or a sequence of words, got a string")
    if not isinstance(vocabulary, Mapping):
        return list(vocabulary)
    words = sorted(vocabulary, key=lambda w: vocabulary[w])
    if [vocabulary[w] for w in words] != list(range(len(words))):
        raise EncoderError("a vocabulary's indices must be 0 .. n - 1, each once")
    return words


class HashingEncoder(Encoder):
    """Text as its words' MurmurHash3 buckets: no vocabulary to learn or ship.

    Each word's bucket is its unsigned 32-bit MurmurHash3 (x86_32, seed 0, of
    its UTF-8 bytes; ``mmh3.hash(word, signed=False)``, as the reference's
    simulator) modulo ``n_features``. By default the text gives the sorted,
    unique buckets of its words (for the sparse models); with
    ``counts=True`` it gives the vector of bucket counts, normalized to unit
    length at scale 1e9 (for the dense models), where ``signed=True`` counts
    a word as -1 when its hash's top bit is set, so that collisions tend to
    cancel out rather than add up.

    Parameters
    ----------
    n_features : int
        Number of buckets, 1 to ``2**32`` (at most 512 with ``counts``, a dense sample's limit).
    counts : bool
        Give the dense vector of counts instead of the indices.
    signed : bool
        With ``counts``, add -1 for the words whose hash has its top bit set.

    Examples
    --------
    >>> HashingEncoder(n_features=2**20).encode("good film, good plot")
    [98369, 142679, 515837]
    >>> HashingEncoder(n_features=4, counts=True).encode("good good film")
    [0, 894427191, 0, 447213595]
    """

    kind = "hashing"
    input_kind = "text"

    def __init__(self, *, n_features: int, counts: bool = False, signed: bool = False) -> None:
        self._n_features = n_features
        self.counts = counts
        self.signed = signed
        check_int(n_features, "n_features", 1, MAX_SAMPLE if counts else MAX_INDEX + 1)
        if not isinstance(counts, bool) or not isinstance(signed, bool):
            raise EncoderError(f"counts and signed are true or false, got {counts!r} and {signed!r}")
        if signed and not counts:
            raise EncoderError("signed hashing gives counts of -1: it needs counts=True (a dense vector)")

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def feature_kind(self) -> str:
        return "values" if self.counts else "indices"

    def params(self) -> dict[str, Any]:
        return {"n_features": self._n_features, "counts": self.counts, "signed": self.signed}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        return cls(**check_names(params, cls.kind, ["n_features", "counts", "signed"]))

    def describe(self) -> str:
        what = ("signed " if self.signed else "") + "counts" if self.counts else "present buckets"
        return f"MurmurHash3 feature hashing into {self.n_features:,} buckets, {what}"

    def encode(self, raw: Any) -> list[int]:
        """The buckets of a text's words (sorted, unique), or their counts as a unit vector.

        Raises
        ------
        InvalidSample
            When the text is not a text (see :func:`~sumchain.encoders.base.check_text`), has no
            word, has more distinct buckets than a sample takes, or its signed counts cancel out.
        """
        words = tokens(check_text(raw))
        if not words:
            raise InvalidSample("the text has no word (letters or digits): nothing to send")
        hashes = [mmh3.hash(word, 0, False) for word in words]
        n = self._n_features
        if not self.counts:
            found = sorted({h % n for h in hashes})
            if len(found) > MAX_SAMPLE:
                raise InvalidSample(f"the text has {len(found)} distinct buckets, more than the {MAX_SAMPLE} sent")
            return found
        counts: dict[int, int] = {}
        for h in hashes:
            counts[h % n] = counts.get(h % n, 0) + (-1 if self.signed and h >= SIGN_BIT else 1)
        present = {bucket: count for bucket, count in counts.items() if count}
        if not present:
            raise InvalidSample("the text's signed word counts cancel out to the zero vector: nothing to send")
        vector = [0] * n
        for bucket, value in zip(present, unit_vector(c * SCALE for c in present.values()), strict=True):
            vector[bucket] = value
        return vector
