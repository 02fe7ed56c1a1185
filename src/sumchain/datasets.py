"""Loaders of the paper's datasets from local files, in their usual formats (nothing is downloaded).

Next to a source checkout the datasets lie in ``../shared/datasets`` (never
shipped in the package); any other copy is read from the path given.
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

from sumchain.errors import SumchainError

SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
"""``../shared/datasets`` next to the checkout."""
IMDB_ARCHIVE = SHARED_DATASETS / "imdb" / "aclImdb_v1_labeled.tar.gz"
"""The labelled IMDB reviews (Maas et al. 2011) in their ``aclImdb`` layout, as one .tar.gz."""
SPLITS = ("train", "test")


def read_imdb(archive: str | Path, split: str) -> tuple[list[str], list[int]]:
    """The reviews of one split of the IMDB archive and their labels (1 positive, 0 negative).

    Reviews come in archive order (``neg`` before ``pos``); the ``<br />``
    line breaks stay in the text (the text encoders remove them).

    Parameters
    ----------
    archive : path
        ``aclImdb_v1_labeled.tar.gz`` (or any .tar.gz of the ``aclImdb/<split>/{pos,neg}/<id>_<rating>.txt`` files).
    split : {"train", "test"}
        Which half.

    Raises
    ------
    SumchainError
        When the split is unknown, or the archive cannot be read or holds no review of the split.
    """
    if split not in SPLITS:
        raise SumchainError(f"the IMDB splits are {SPLITS}, got {split!r}")
    review = re.compile(rf"aclImdb/{split}/(pos|neg)/\d+_\d+\.txt")
    texts, labels = [], []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                found = review.fullmatch(member.name)
                handle = tar.extractfile(member) if found else None
                if found and handle is not None:
                    texts.append(handle.read().decode("utf-8"))
                    labels.append(int(found[1] == "pos"))
    except (OSError, tarfile.TarError, UnicodeDecodeError) as exc:
        raise SumchainError(f"cannot read the IMDB archive {archive}: {exc}") from None
    if not texts:
        raise SumchainError(f"the IMDB archive {archive} holds no review of the {split} split")
    return texts, labels
