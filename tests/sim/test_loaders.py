"""Dataset loaders on the few-row samples in tests/data/sim, in each dataset's usual format."""

from __future__ import annotations

import re
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from sumchain.datasets import read_endomondo, read_fake_news, read_imdb, read_imdb_npz, read_keras_word_index
from sumchain.errors import SumchainError
from sumchain.sim.data import load_data
from sumchain.sim.scenario import DatasetSpec

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sim"


def test_imdb_folder_and_archive_give_the_same_reviews(tmp_path: Path) -> None:
    archive = tmp_path / "imdb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLES / "aclImdb", arcname="aclImdb")
    folder = read_imdb(SAMPLES / "aclImdb", "train")
    assert folder == read_imdb(SAMPLES, "train") == read_imdb(archive, "train")
    texts, labels = folder
    assert labels == [0, 0, 1, 1]  # neg before pos; urls_pos.txt is no review
    assert texts[2] == "A great film, wonderful acting and a brilliant story."
    assert read_imdb(SAMPLES / "aclImdb", "test")[1] == [0, 1]


def test_an_imdb_archive_reads_in_the_order_of_names_whatever_order_it_stores_them_in(tmp_path: Path) -> None:
    """An archive made from the unpacked folder stores the reviews in the order the file system lists them:
    a run on it differed from a run on the folder."""
    archive = tmp_path / "shuffled.tar.gz"
    files = sorted((SAMPLES / "aclImdb").rglob("*.txt"), reverse=True)
    with tarfile.open(archive, "w:gz") as tar:
        for file in files:
            tar.add(file, arcname=f"aclImdb/{file.relative_to(SAMPLES / 'aclImdb').as_posix()}")
    with tarfile.open(archive) as tar:
        assert tar.getnames()[0].startswith("aclImdb/train/urls")  # stored backwards
    for split in ("train", "test"):
        assert read_imdb(archive, split) == read_imdb(SAMPLES / "aclImdb", split)


def test_an_uncompressed_imdb_archive_and_a_renamed_folder_read_as_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "imdb.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(SAMPLES / "aclImdb", arcname="aclImdb")
    (tmp_path / "reviews").symlink_to(SAMPLES / "aclImdb", target_is_directory=True)
    for split in ("train", "test"):
        assert read_imdb(archive, split) == read_imdb(tmp_path / "reviews", split) == read_imdb(SAMPLES, split)
    with pytest.raises(SumchainError, match="holds no aclImdb folder"):
        read_imdb(tmp_path, "train")


def test_a_review_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "aclImdb"
    shutil.copytree(SAMPLES / "aclImdb", folder)
    (folder / "train" / "pos" / "0_9.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(SumchainError, match=re.escape("aclImdb/train/pos/0_9.txt is not UTF-8 text")):
        read_imdb(folder, "train")


def test_a_truncated_imdb_archive_is_one_error(tmp_path: Path) -> None:
    archive = tmp_path / "imdb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLES / "aclImdb", arcname="aclImdb")
    (tmp_path / "cut.tar.gz").write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(SumchainError, match=r"cannot read the IMDB archive .*cut\.tar\.gz"):
        read_imdb(tmp_path / "cut.tar.gz", "train")


def test_imdb_folder_without_aclimdb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SumchainError, match="no aclImdb folder"):
        read_imdb(tmp_path, "train")


def test_keras_npz_gives_id_sequences_and_the_word_index_maps_them() -> None:
    sequences, labels = read_imdb_npz(SAMPLES / "imdb.npz", "train")
    assert labels == [1, 1, 0, 0]
    words = read_keras_word_index(SAMPLES / "imdb_word_index.json")
    assert [words.get(i, "?") for i in sequences[0]] == ["?", "the", "great", "film"]  # 1 is the start mark


def test_keras_npz_that_is_no_archive_is_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "imdb.npz"
    bad.write_text("not a zip")
    with pytest.raises(SumchainError, match="cannot read the Keras IMDB file"):
        read_imdb_npz(bad, "train")


def test_keras_npz_with_more_reviews_than_labels_is_one_error(tmp_path: Path) -> None:
    np.savez(tmp_path / "imdb.npz", x_train=np.array([[1, 2], [3, 4]]), y_train=np.array([1]))
    with pytest.raises(SumchainError, match=r"2 reviews \(x_train\) but 1 labels \(y_train\)"):
        read_imdb_npz(tmp_path / "imdb.npz", "train")


@pytest.mark.parametrize(
    ("labels", "shown"), [([0, 5], "5"), ([1, -1], "-1"), ([0.5, 1.0], "0.5"), (["1", "0"], "'1'")]
)
def test_keras_npz_labels_other_than_0_and_1_are_refused_as_the_file_is_read(
    tmp_path: Path, labels: list[object], shown: str
) -> None:
    """A fraction was cut to a class silently, and a 5 refused only by the model, after the baseline."""
    np.savez(tmp_path / "imdb.npz", x_train=np.array([[1, 2], [3, 4]]), y_train=np.array(labels))
    with pytest.raises(SumchainError, match=rf"imdb.npz: label .*{re.escape(shown)}.* \(y_train\) is not 0 or 1"):
        read_imdb_npz(tmp_path / "imdb.npz", "train")


def test_fake_news_keeps_rows_with_text_and_their_labels() -> None:
    texts, labels = read_fake_news(SAMPLES / "fake-news.csv")
    assert labels == [0, 1, 0, 1]  # the row without text is left out
    assert texts[1].startswith("SHOCKING: moon made of cheese\nInsiders say")


def test_fake_news_without_its_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(SumchainError, match="no column 'label'"):
        read_fake_news(bad)


def test_endomondo_keeps_bike_and_run_workouts_with_speed() -> None:
    rows, genders, labels = read_endomondo(SAMPLES / "endomondo.json")
    assert labels == [0, 1, 0, 1]  # the walk and the run without speed are skipped
    assert genders == ["male", "female", "unknown", "male"]
    first = rows[0]
    assert first[0] == pytest.approx((100 + 120 + 135 + 130) / 4 / 100)
    assert first[2:4] == [25.5, 10.1]
    assert read_endomondo(SAMPLES / "endomondo.json", limit=2)[2] == [0, 1]


def test_endomondo_malformed_line_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "e.json"
    bad.write_text("{'sport': 'run', 'speed': [1.0], 'heart_rate': [\n")
    with pytest.raises(SumchainError, match="line 1 is not an Endomondo workout"):
        read_endomondo(bad)


@pytest.mark.parametrize(
    ("name", "path", "classes"),
    [
        ("imdb", SAMPLES / "aclImdb", ("negative", "positive")),
        ("imdb-npz", SAMPLES / "imdb.npz", ("negative", "positive")),
        ("fake-news", SAMPLES / "fake-news.csv", ("reliable", "unreliable")),
        ("endomondo", SAMPLES / "endomondo.json", ("bike", "run")),
        ("breast_cancer", "", ("malignant", "benign")),
    ],
)
def test_each_dataset_becomes_sorted_feature_indices(name: str, path: Path | str, classes: tuple[str, ...]) -> None:
    data = load_data(DatasetSpec(name=name, path=str(path), initial_fraction=0.5), seed=1)
    assert data.class_names == classes
    for sample, label in data.initial + data.stream + data.test:
        assert list(sample) == sorted(set(sample)) and sample
        assert all(0 <= i < data.n_features for i in sample)
        assert label in (0, 1)


def test_imdb_npz_words_map_to_the_reference_vocabulary() -> None:
    from sumchain.encoders import VocabularyEncoder

    data = load_data(DatasetSpec(name="imdb-npz", path=str(SAMPLES / "imdb.npz"), initial_fraction=0.5), seed=0)
    vocabulary = VocabularyEncoder.imdb()
    assert (tuple(vocabulary.encode("great great film")), 1) in data.test


def test_a_missing_dataset_path_is_one_error() -> None:
    with pytest.raises(SumchainError, match="no dataset at"):
        load_data(DatasetSpec(name="fake-news", path="/nonexistent/train.csv"), seed=0)
    with pytest.raises(SumchainError, match="unknown dataset 'mnist'"):
        load_data(DatasetSpec(name="mnist"), seed=0)


def test_endomondo_skips_workouts_whose_summaries_are_not_numbers(tmp_path: Path) -> None:
    """A heart rate of 0 (the summaries divide by the lowest) or a reading that is not finite would turn
    every dense sample into garbage once standardised: such a workout is skipped."""
    good = (SAMPLES / "endomondo.json").read_text().splitlines()
    bad = [
        "{'speed': [10.0, 20.0], 'heart_rate': [0, 120], 'gender': 'male', 'sport': 'bike', 'id': 1}",
        "{'speed': [10.0, 1e999], 'heart_rate': [100, 120], 'gender': 'male', 'sport': 'run', 'id': 2}",
        "{'speed': [10.0, 20.0], 'heart_rate': [-5, 120], 'gender': 'male', 'sport': 'run', 'id': 3}",
        "{'speed': [1e308, 1e308], 'heart_rate': [100, 110], 'gender': 'male', 'sport': 'run', 'id': 4}",
    ]
    path = tmp_path / "endomondo.json"
    path.write_text("\n".join([*bad, *good]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the mean of 1e308s overflowed, with numpy's warning on the terminal
        assert read_endomondo(path) == read_endomondo(SAMPLES / "endomondo.json")
    path.write_text("\n".join(bad) + "\n")
    with pytest.raises(SumchainError, match="holds no bike or run workout"):
        read_endomondo(path)


def test_dense_values_that_cannot_be_standardised_are_one_error() -> None:
    from sumchain.sim.data import _numbers

    rows = np.array([[1.0, 2.0], [1.5, 2.5], [2.0, 1e308], [1.2, -1e308]])
    with pytest.raises(SumchainError, match="cannot be standardised"):
        _numbers(rows, rows, dense=True)
    outlier = np.array([[0.0], [1.0], [0.0], [1.0]])
    with pytest.raises(SumchainError, match="more than 1,000,000 spreads"):
        _numbers(np.array([[1e9]]), outlier, dense=True)
    assert len(_numbers(outlier, outlier, dense=True)) == 4
