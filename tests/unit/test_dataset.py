"""The contributed dataset: rebuilt from the events, written to CSV and Parquet, read back the same."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from sumchain import EmbeddedChain, SumchainError
from sumchain.dataset import COLUMNS, read_dataset
from tests.activity import busy_model
from tests.unit.test_every_model import TYPES


@pytest.mark.parametrize("model_type", TYPES)
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_files_read_back_equal_the_contributions(chain, tmp_path, model_type, suffix) -> None:
    model = busy_model(chain, model_type).model
    data = model.dataset()
    assert data.contributions == tuple(model.contributions(everyone=True)) and len(data) == 12
    path = data.write(tmp_path / f"data.{suffix}")
    back = read_dataset(path)
    assert back.contributions == data.contributions
    assert back.sparse == data.sparse == model.codec.sparse
    assert {c.status for c in back.contributions} >= {"refunded"}
    assert [p.name for p in tmp_path.iterdir()] == [f"data.{suffix}"]  # no temporary file left


def test_csv_is_plain_text_anyone_can_read(chain, tmp_path) -> None:
    model = busy_model(chain, "naive bayes").model
    model.dataset().write(tmp_path / "data.csv")
    with (tmp_path / "data.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    first = model.contributions(everyone=True)[0]
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["sample"] == " ".join(map(str, first.data)) and rows[0]["features"] == "indices"
    assert rows[0]["class"] == model.class_name(first.label) and rows[0]["author"] == first.author
    assert int(rows[0]["deposit"]) == first.deposit and rows[0]["status"] == first.status
    assert rows[0]["added_utc"].startswith("2023-11-")


def test_a_class_name_a_spreadsheet_would_run_is_quoted_in_csv_and_read_back_as_it_was(chain, tmp_path) -> None:
    data = busy_model(chain, "naive bayes").model.dataset()
    hostile = replace(data, class_names=('=HYPERLINK("http://x","ok")', "-1", "'quoted"))
    hostile.write(tmp_path / "data.csv")
    with (tmp_path / "data.csv").open(newline="") as file:
        cells = {row["class"] for row in csv.DictReader(file)}
    assert cells <= {'\'=HYPERLINK("http://x","ok")', "-1", "''quoted"} and len(cells) > 1
    assert read_dataset(tmp_path / "data.csv").class_names[: len(cells)] == hostile.class_names[: len(cells)]


def test_samples_and_labels_for_numpy(chain) -> None:
    dense = busy_model(chain, "dense perceptron").model
    data = dense.dataset()
    assert isinstance(data.X, np.ndarray) and data.X.shape == (12, dense.n_features)
    assert data.y.tolist() == [c.label for c in dense.contributions(everyone=True)]
    sparse = busy_model(chain, "sparse perceptron").model.dataset()
    assert [c.data for c in sparse.contributions] == sparse.X


def test_to_pandas_has_one_row_per_contribution(chain) -> None:
    pytest.importorskip("pandas")
    frame = busy_model(chain, "naive bayes").model.dataset().to_pandas()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 12


def test_without_pandas_to_pandas_names_it(chain, monkeypatch) -> None:
    data = busy_model(chain, "naive bayes", contributions=1).model.dataset()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(SumchainError, match="to_pandas needs pandas: pip install pandas"):
        data.to_pandas()


def test_parquet_without_pyarrow_names_the_extra_and_writes_nothing(chain, tmp_path, monkeypatch) -> None:
    data = busy_model(chain, "naive bayes", contributions=1).model.dataset()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(SumchainError, match=r'Parquet needs pyarrow: pip install "sumchain\[parquet\]"'):
        data.write(tmp_path / "data.parquet")
    assert list(tmp_path.iterdir()) == []


def test_a_link_is_written_through_and_a_pipe_into(chain, tmp_path) -> None:
    """Not replaced by a file: the link stays and its target gets the rows; a pipe's reader gets them."""
    data = busy_model(chain, "naive bayes", contributions=2).model.dataset()
    (tmp_path / "link.csv").symlink_to("target.csv")
    data.write(tmp_path / "link.csv")
    assert (tmp_path / "link.csv").is_symlink() and read_dataset(tmp_path / "target.csv") == data
    os.mkfifo(tmp_path / "pipe")
    with ThreadPoolExecutor(1) as reader:
        read = reader.submit((tmp_path / "pipe").read_bytes)
        data.write(tmp_path / "pipe", format="csv")
        written = read.result(timeout=30)
    (tmp_path / "copy.csv").write_bytes(written)
    assert read_dataset(tmp_path / "copy.csv") == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.csv", "link.csv", "pipe", "target.csv"]
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    with pytest.raises(SumchainError, match=r"cannot write .*loop\.csv"):
        data.write(tmp_path / "loop.csv")
    with pytest.raises(SumchainError, match="the format is csv or parquet, not 'json'"):
        data.dump(io.BytesIO(), "json")


def test_dev_stdout_is_written_into_whatever_the_shell_made_of_it(tmp_path) -> None:
    """A pipe (resolved through /proc, it named no file) or a file opened by >> (replaced, it lost what it held)."""
    script = (
        "import sys; from sumchain.dataset import Dataset, read_dataset; "
        "read_dataset(sys.argv[1]).write('/dev/stdout', format='csv')"
    )
    data = busy_model(EmbeddedChain(), "naive bayes", contributions=2).model.dataset()
    data.write(tmp_path / "data.csv")
    piped = subprocess.run([sys.executable, "-c", script, tmp_path / "data.csv"], capture_output=True, check=True)
    assert piped.stdout == (tmp_path / "data.csv").read_bytes()
    (tmp_path / "appended.csv").write_bytes(b"kept\n")
    with (tmp_path / "appended.csv").open("ab") as shell:
        subprocess.run([sys.executable, "-c", script, tmp_path / "data.csv"], stdout=shell, check=True)
    assert (tmp_path / "appended.csv").read_bytes() == b"kept\n" + (tmp_path / "data.csv").read_bytes()


def test_bad_names_and_files_are_refused_in_one_line(chain, tmp_path) -> None:
    data = busy_model(chain, "naive bayes", contributions=1).model.dataset()
    with pytest.raises(SumchainError, match=r"cannot tell the format of .*data\.xlsx: name it \.csv or \.parquet"):
        data.write(tmp_path / "data.xlsx")
    with pytest.raises(SumchainError, match="cannot write"):
        data.write(tmp_path / "missing" / "data.csv")
    (tmp_path / "other.csv").write_text("name,age\nann,3\n")
    with pytest.raises(SumchainError, match="is not a sumchain dataset file"):
        read_dataset(tmp_path / "other.csv")
    with pytest.raises(SumchainError, match="cannot read"):
        read_dataset(tmp_path / "none.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv"]
