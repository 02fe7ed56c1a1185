"""The IMDB loader, on a small archive of the ``aclImdb`` layout made here (and the real one when present)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from sumchain.datasets import IMDB_ARCHIVE, read_imdb
from sumchain.errors import SumchainError


def archive(path: Path, files: dict[str, str]) -> Path:
    """A .tar.gz at ``path`` holding ``files`` (name: text)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_split_gives_its_reviews_and_labels(tmp_path) -> None:
    path = archive(
        tmp_path / "imdb.tar.gz",
        {
            "aclImdb/README": "about",
            "aclImdb/train/neg/0_2.txt": "Dull.<br />Bad.",
            "aclImdb/train/pos/3_9.txt": "Great fun, café!",
            "aclImdb/train/urls_pos.txt": "http://example.org",
            "aclImdb/test/pos/1_10.txt": "Superb.",
        },
    )
    assert read_imdb(path, "train") == (["Dull.<br />Bad.", "Great fun, café!"], [0, 1])
    assert read_imdb(path, "test") == (["Superb."], [1])


@pytest.mark.parametrize(
    ("split", "problem"),
    [("unsup", "the IMDB splits are"), ("test", "holds no review of the test split")],
)
def test_a_split_that_is_not_there_is_a_clear_error(tmp_path, split, problem) -> None:
    path = archive(tmp_path / "imdb.tar.gz", {"aclImdb/train/neg/0_2.txt": "Dull."})
    with pytest.raises(SumchainError, match=problem):
        read_imdb(path, split)


def test_a_missing_or_broken_archive_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tar")
    for path in (tmp_path / "broken.tar.gz", tmp_path / "missing.tar.gz"):
        with pytest.raises(SumchainError, match="cannot read the IMDB archive"):
            read_imdb(path, "train")


@pytest.mark.skipif(not IMDB_ARCHIVE.exists(), reason=f"the IMDB archive is not at {IMDB_ARCHIVE}")
def test_the_real_archive_has_25000_balanced_reviews_per_split() -> None:
    texts, labels = read_imdb(IMDB_ARCHIVE, "test")
    assert len(texts) == 25_000 and sum(labels) == 12_500
