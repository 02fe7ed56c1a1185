"""Loaders of the paper's datasets from local files, in their usual formats (nothing is downloaded):
IMDB (archive, folder or Keras .npz), Kaggle's fake news CSV, FitRec's Endomondo workouts.

Next to a source checkout the datasets lie in ``../shared/datasets`` (never
shipped in the package); any other copy is read from the path given.
"""

from __future__ import annotations

import ast
import csv
import json
import pickle
import re
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from sumchain.errors import SumchainError

SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
"""``../shared/datasets`` next to the checkout."""
IMDB_ARCHIVE = SHARED_DATASETS / "imdb" / "aclImdb_v1_labeled.tar.gz"
"""The labelled IMDB reviews (Maas et al. 2011) in their ``aclImdb`` layout, as one .tar.gz."""
KERAS_WORD_INDEX = SHARED_DATASETS / "imdb" / "imdb_word_index.json"
"""Keras's ``imdb_word_index.json`` (word to frequency rank)."""
SPLITS = ("train", "test")


def _imdb_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(name, content)`` of every file of an IMDB archive (a tar, compressed or not) or ``aclImdb``
    folder (under any name: the folder holding ``train`` and ``test``), names as in the archive."""
    if path.is_dir():
        root = path if path.name == "aclImdb" or (path / "train").is_dir() else path / "aclImdb"
        if not root.is_dir():
            raise SumchainError(f"{path} holds no aclImdb folder (nor its train and test folders)")
        for split in SPLITS:
            for label in ("neg", "pos"):
                for file in sorted((root / split / label).glob("*.txt")):
                    yield f"aclImdb/{split}/{label}/{file.name}", file.read_bytes()
        return
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.endswith(".txt"):
                yield member.name, handle.read()


def read_imdb(archive: str | Path, split: str) -> tuple[list[str], list[int]]:
    """The reviews of one split of the IMDB dataset and their labels (1 positive, 0 negative).

    Reviews come in the order of their names (``neg`` before ``pos``, then the file names), in an
    archive as in a folder, whatever order the archive stores them in; the ``<br />`` line breaks
    stay in the text (the text encoders remove them).

    Parameters
    ----------
    archive : path
        ``aclImdb_v1_labeled.tar.gz`` (or any .tar.gz of the ``aclImdb/<split>/{pos,neg}/<id>_<rating>.txt``
        files), or the unpacked ``aclImdb`` folder (or the folder holding it).
    split : {"train", "test"}
        Which half.

    Raises
    ------
    SumchainError
        When the split is unknown, or the archive cannot be read or holds no review of the split.
    """
    return read_imdb_splits(archive, (split,))[split]


def read_imdb_splits(archive: str | Path, splits: Sequence[str] = SPLITS) -> dict[str, tuple[list[str], list[int]]]:
    """Several splits of the IMDB dataset, read in one pass over the archive (as :func:`read_imdb`
    reads one): each split's reviews and labels.

    Raises
    ------
    SumchainError
        As :func:`read_imdb`, for any of the splits.
    """
    for split in splits:
        if split not in SPLITS:
            raise SumchainError(f"the IMDB splits are {SPLITS}, got {split!r}")
    review = re.compile(rf"aclImdb/({'|'.join(splits)})/(pos|neg)/\d+_\d+\.txt")
    named: dict[str, list[tuple[str, str, int]]] = {split: [] for split in splits}
    try:
        for name, content in _imdb_files(Path(archive)):
            match = review.fullmatch(name)
            if match:
                try:
                    text = content.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SumchainError(
                        f"cannot read the IMDB archive {archive}: {name} is not UTF-8 text ({exc.reason})"
                    ) from None
                named[match[1]].append((name, text, int(match[2] == "pos")))
    except (OSError, tarfile.TarError, EOFError) as exc:  # EOFError: a truncated gzip stream
        raise SumchainError(
            f"cannot read the IMDB archive {archive}: {exc or 'it ends too early (truncated?)'}"
        ) from None
    found: dict[str, tuple[list[str], list[int]]] = {}
    for split, reviews in named.items():
        if not reviews:
            raise SumchainError(f"the IMDB archive {archive} holds no review of the {split} split")
        reviews.sort()  # by name: an archive and its unpacked folder give the same order, whatever the tar's
        found[split] = ([text for _, text, _ in reviews], [label for _, _, label in reviews])
    return found


def read_imdb_npz(path: str | Path, split: str) -> tuple[list[list[int]], list[int]]:
    """One split of Keras's pre-tokenised ``imdb.npz``: word-id sequences and labels.

    Ids are Keras's: ``rank + 3`` in :data:`KERAS_WORD_INDEX` (0 padding, 1 start, 2
    out of vocabulary). The file stores Python lists, so it is read with pickle
    allowed, as Keras reads it: give only a file you trust.

    Raises
    ------
    SumchainError
        When the split is unknown, the file is no such archive, or a label is not 0 or 1.
    """
    if split not in SPLITS:
        raise SumchainError(f"the IMDB splits are {SPLITS}, got {split!r}")
    if not zipfile.is_zipfile(path):  # np.load would unpickle any other file
        raise SumchainError(f"cannot read the Keras IMDB file {path}: not an .npz archive")
    try:
        with np.load(path, allow_pickle=True) as archive:
            sequences, labels = archive[f"x_{split}"], archive[f"y_{split}"]
            if len(sequences) != len(labels):
                raise ValueError(f"{len(sequences):,} reviews (x_{split}) but {len(labels):,} labels (y_{split})")
            given = labels.tolist()
            wrong = next((i for i, y in enumerate(given) if y not in (0, 1) or isinstance(y, str)), None)
            if wrong is not None:  # 0.5 or 1.7 would have been cut to a class, 5 refused much later
                raise ValueError(f"label {given[wrong]!r} of review {wrong:,} (y_{split}) is not 0 or 1")
            return [[int(i) for i in seq] for seq in sequences], [int(y) for y in labels]
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as exc:
        raise SumchainError(f"cannot read the Keras IMDB file {path}: {exc}") from None


def read_keras_word_index(path: str | Path = KERAS_WORD_INDEX) -> dict[int, str]:
    """Keras id (``rank + 3``) to word, from ``imdb_word_index.json``.

    Raises
    ------
    SumchainError
        When the file cannot be read or is not a ``{word: rank}`` object.
    """
    try:
        ranks = json.loads(Path(path).read_text(encoding="utf-8"))
        return {int(rank) + 3: str(word) for word, rank in ranks.items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise SumchainError(f"cannot read the Keras word index {path}: {exc}") from None


def read_fake_news(path: str | Path) -> tuple[list[str], list[int]]:
    """Kaggle's fake-news ``train.csv``: title and text of each article, and its label
    (1 unreliable, 0 reliable); rows without text are left out, as the reference does.

    Raises
    ------
    SumchainError
        When the file cannot be read, lacks the columns ``title``, ``text`` and ``label``,
        or has a label other than 0 or 1.
    """
    texts, labels = [], []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"title", "text", "label"} - set(reader.fieldnames or ())
            if missing:
                raise SumchainError(f"{path} is not the fake-news CSV: no column {sorted(missing)[0]!r}")
            for row in reader:
                if not (row["text"] or "").strip():
                    continue
                if row["label"] not in ("0", "1"):
                    raise SumchainError(f"{path} line {reader.line_num}: label {row['label']!r} is not 0 or 1")
                texts.append(f"{row['title'] or ''}\n{row['text']}")
                labels.append(int(row["label"]))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SumchainError(f"cannot read the fake-news CSV {path}: {exc}") from None
    if not texts:
        raise SumchainError(f"{path} holds no article with text")
    return texts, labels


ENDOMONDO_SPORTS = ("bike", "run")
"""The two sports the reference tells apart (labels 0 and 1)."""


def read_endomondo(path: str | Path, *, limit: int = 10_000) -> tuple[list[list[float]], list[str], list[int]]:
    """Bike and run workouts of FitRec's ``endomondoHR_proper.json`` (one Python literal a line).

    Each workout gives the reference's six summaries: mean and median heart rate over the
    minimum, maximum, minimum, mean and median speed; with its gender and its label (0 bike,
    1 run). Workouts of other sports, without speed, or whose summaries are not numbers (a heart
    rate reading of 0 or less, a reading that is not finite, readings whose mean overflows a
    float) are skipped.

    Parameters
    ----------
    path : path
        The file.
    limit : int
        Stop after this many workouts (the reference reads 10,000).

    Raises
    ------
    SumchainError
        When the file cannot be read or a line of a bike or run workout is malformed.
    """
    rows: list[list[float]] = []
    genders: list[str] = []
    labels: list[int] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not any(f"'sport': '{sport}'" in line for sport in ENDOMONDO_SPORTS):
                    continue
                try:
                    record = ast.literal_eval(line)
                    if record["sport"] not in ENDOMONDO_SPORTS or "speed" not in record:
                        continue
                    heart, speed = np.asarray(record["heart_rate"], float), np.asarray(record["speed"], float)
                    low = heart.min()
                    if low <= 0 or not (np.isfinite(heart).all() and np.isfinite(speed).all()):
                        continue
                    with np.errstate(over="ignore", invalid="ignore"):  # 1e308 readings: a mean past a float
                        summary = [heart.mean() / low, np.median(heart) / low]
                        summary += [speed.max(), speed.min(), speed.mean(), np.median(speed)]
                    if not np.isfinite(summary).all():
                        continue
                    rows.append(summary)
                    genders.append(str(record["gender"]))
                    labels.append(ENDOMONDO_SPORTS.index(record["sport"]))
                except (ValueError, SyntaxError, KeyError, TypeError) as exc:
                    raise SumchainError(f"{path} line {number} is not an Endomondo workout: {exc}") from None
                if len(rows) >= limit:
                    break
    except (OSError, UnicodeDecodeError) as exc:
        raise SumchainError(f"cannot read the Endomondo file {path}: {exc}") from None
    if not rows:
        raise SumchainError(f"{path} holds no bike or run workout")
    return rows, genders, labels
