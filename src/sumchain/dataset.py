"""The contributed dataset, rebuilt from a model's events: in Python, CSV and Parquet.

Every contribution (:mod:`sumchain.contributions`) becomes one row: its id and key,
the kind of features and the sample, the label (number and class name), the author, the block time and
block, the deposit, what is left of it and its final state in the mechanism's
words (``refunded``, ``taken``, ``partly taken``, ``held`` under Deposit, Refund
and Take; ``validated``, ``reported``, ``pending`` under Points), who reported
it and what each report took, and its claim windows (empty where the
mechanism has none).

In a CSV file (UTF-8, a header line, comma-separated, readable by a spreadsheet)
the sample is one column of space-separated integers: feature indices for a
sparse model, fixed-point values (``round(x * 1e9)``) for a dense one;
``reported_by`` and ``report_amounts`` (in the same order) are space-separated too; amounts are whole wei, times whole
seconds (``added_utc`` repeats the time in words). A Parquet file (``pip install
"sumchain[parquet]"``) has the same columns with the sample and the reporters as
lists, and amounts as decimal strings (wei do not fit 64 bits). Both read back
into the same :class:`Dataset` (:func:`read_dataset`).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from sumchain.contributions import Contribution
from sumchain.errors import SumchainError

FORMATS = ("csv", "parquet")
"""File formats of :meth:`Dataset.write`, named by a file's suffix."""
COLUMNS = (
    "id",
    "key",
    "features",
    "sample",
    "label",
    "class",
    "author",
    "added_time",
    "added_utc",
    "block_number",
    "deposit",
    "claimable",
    "status",
    "refunded",
    "reported_by",
    "report_amounts",
    "refundable_from",
    "owner_claim_from",
    "any_claim_from",
)
"""Columns of a dataset file, in order."""
_COUNTS = ("id", "label", "block_number")
_TIMES = ("added_time", "refundable_from", "owner_claim_from", "any_claim_from")
_AMOUNTS = ("deposit", "claimable")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
"""How a cell a spreadsheet would run as a formula starts (and the quote that escapes one)."""


def _spreadsheet_safe(name: str) -> str:
    """A class name as a CSV cell: quoted with a leading ``'`` when a spreadsheet would run it as a
    formula (class names come from whoever deployed the model; ``-1`` and ``+1`` stay numbers).

    >>> _spreadsheet_safe("=HYPERLINK(1)"), _spreadsheet_safe("-1"), _spreadsheet_safe("positive")
    ("'=HYPERLINK(1)", '-1', 'positive')
    """
    try:
        float(name)
    except ValueError:
        return "'" + name if name.startswith(_FORMULA_STARTS) else name
    return name


def _from_spreadsheet_safe(cell: str) -> str:
    """A class name read back from a CSV cell (see :func:`_spreadsheet_safe`)."""
    return cell[1:] if cell.startswith("'") else cell


def _utc(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, ValueError, OSError):
        return ""


def file_format(path: Path, given: str | None = None) -> str:
    """The format to write ``path`` in: ``given``, else the file's suffix.

    >>> file_format(Path("data.CSV")), file_format(Path("data.out"), "parquet")
    ('csv', 'parquet')
    """
    name = (given or path.suffix.lstrip(".")).lower()
    if given is not None and name not in FORMATS:
        raise SumchainError(f"--format takes {' or '.join(FORMATS)}, not {given!r}")
    if name not in FORMATS:
        raise SumchainError(f"cannot tell the format of {path}: name it .csv or .parquet, or give --format csv|parquet")
    return name


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise SumchainError('Parquet needs pyarrow: pip install "sumchain[parquet]"') from None
    return pyarrow


@dataclass(frozen=True)
class Dataset:
    """A model's contributions as a dataset: samples, labels and what became of each.

    Attributes
    ----------
    contributions : tuple of Contribution
        In order of addition (``#1`` first).
    class_names : tuple of str
        Name of each class, by number.
    sparse : bool
        Whether samples are feature indices (else fixed-point values).

    Examples
    --------
    >>> from sumchain import EmbeddedChain, SharedModel, SparsePerceptron
    >>> model = SharedModel.deploy(EmbeddedChain(), SparsePerceptron.from_weights([5, -5, 0, 0]))
    >>> added = model.add_data([1, 2], 1, sender=1)
    >>> data = model.dataset()
    >>> data.X, data.y.tolist(), data.rows()[0]["status"]
    ([(1, 2)], [1], 'held')
    """

    contributions: tuple[Contribution, ...]
    class_names: tuple[str, ...]
    sparse: bool

    def __len__(self) -> int:
        return len(self.contributions)

    @property
    def X(self) -> list[tuple[int, ...]] | np.ndarray:
        """The samples: a list of index tuples (sparse), or a 2-D ``int64`` array (dense)."""
        samples = [c.data for c in self.contributions]
        if self.sparse:
            return samples
        return np.array(samples, dtype=np.int64).reshape(len(samples), -1)

    @property
    def y(self) -> np.ndarray:
        """The labels, as class numbers."""
        return np.array([c.label for c in self.contributions], dtype=np.int64)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per contribution, keyed by :data:`COLUMNS` (sample and reporters as lists)."""
        return [
            {
                "id": c.id,
                "key": "0x" + c.key.hex(),
                "features": "indices" if self.sparse else "values",
                "sample": list(c.data),
                "label": c.label,
                "class": self.class_names[c.label] if c.label < len(self.class_names) else str(c.label),
                "author": c.author,
                "added_time": c.added_time,
                "added_utc": _utc(c.added_time),
                "block_number": c.block_number,
                "deposit": c.deposit,
                "claimable": c.claimable,
                "status": c.status,
                "refunded": c.refunded,
                "reported_by": [reporter for reporter, _ in c.reports],
                "report_amounts": [amount for _, amount in c.reports],
                "refundable_from": c.refundable_from,
                "owner_claim_from": c.owner_claim_from,
                "any_claim_from": c.any_claim_from,
            }
            for c in self.contributions
        ]

    def to_pandas(self) -> Any:
        """The rows as a :class:`pandas.DataFrame` (needs pandas, which sumchain does not install)."""
        try:
            import pandas
        except ImportError:
            raise SumchainError("to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.rows(), columns=list(COLUMNS))

    def write(self, path: str | Path, *, format: str | None = None) -> Path:
        """Write the dataset to ``path`` as CSV or Parquet (by its suffix, or ``format``).

        A file is written under a temporary name and moved into place, so a failure
        leaves no half-written file; through a symbolic link, where the link points
        (the link stays). A pipe, a device, or a name under ``/dev`` or ``/proc``
        (``/dev/stdout``, whatever the shell made of it) is written into as it is,
        appending (after what a ``>>`` kept).

        Raises
        ------
        SumchainError
            When the format is unknown, pyarrow is missing for Parquet, or the file cannot be written.
        """
        path = Path(path)
        kind = file_format(path, format)
        try:
            into = str(path.absolute()).startswith(("/dev/", "/proc/")) or (path.exists() and not path.is_file())
            target = path.resolve() if path.is_symlink() else path
        except (OSError, RuntimeError) as exc:  # a loop of links (RuntimeError before Python 3.13), no access
            raise SumchainError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if into:
            try:
                with path.open("ab") as stream:
                    self.dump(stream, kind)
            except OSError as exc:
                raise SumchainError(f"cannot write {path}: {exc.strerror or exc}") from None
            return path
        if kind == "parquet":
            _pyarrow()  # missing: said before anything is written
        temporary = target.with_name(f".{target.name}.partial")
        try:
            with temporary.open("wb") as stream:
                self.dump(stream, kind)
            temporary.replace(target)
        except (OSError, ValueError, OverflowError) as exc:  # pyarrow's errors are ValueErrors
            with contextlib.suppress(OSError):  # in a folder that does not exist, or a file, there is none
                temporary.unlink(missing_ok=True)
            raise SumchainError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
        return path

    def dump(self, stream: BinaryIO, format: str) -> None:
        """Write the dataset to an open binary stream (standard output's ``sys.stdout.buffer``) as
        ``format``: ``csv`` or ``parquet``.

        Raises
        ------
        SumchainError
            For another format, or Parquet without pyarrow.
        """
        if format not in FORMATS:
            raise SumchainError(f"the format is csv or parquet, not {format!r}")
        if format == "parquet":
            _pyarrow().parquet.write_table(self._arrow_table(_pyarrow()), stream)
            return
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            row["sample"] = " ".join(map(str, row["sample"]))
            row["reported_by"] = " ".join(row["reported_by"])
            row["report_amounts"] = " ".join(map(str, row["report_amounts"]))
            row["refunded"] = "yes" if row["refunded"] else "no"
            row["class"] = _spreadsheet_safe(row["class"])
            writer.writerow(row)
        text.flush()
        text.detach()  # the stream stays open, its owner's

    def _arrow_table(self, pyarrow: Any) -> Any:
        rows = self.rows()
        types = (
            {name: pyarrow.int64() for name in _COUNTS}
            | {name: pyarrow.uint64() for name in _TIMES}
            | {
                "sample": pyarrow.list_(pyarrow.int64()),
                "reported_by": pyarrow.list_(pyarrow.string()),
                "report_amounts": pyarrow.list_(pyarrow.string()),
                "refunded": pyarrow.bool_(),
            }
        )
        columns = {name: [row[name] for row in rows] for name in COLUMNS}
        for name in _AMOUNTS:
            columns[name] = [str(value) for value in columns[name]]
        columns["report_amounts"] = [[str(value) for value in amounts] for amounts in columns["report_amounts"]]
        schema = pyarrow.schema([(name, types.get(name, pyarrow.string())) for name in COLUMNS])
        return pyarrow.table(columns, schema=schema)


def _contribution(row: dict[str, Any]) -> Contribution:
    """A contribution from one row of a file (whole numbers may arrive as text)."""
    return Contribution(
        id=int(row["id"]),
        key=bytes.fromhex(str(row["key"]).removeprefix("0x")),
        data=tuple(int(v) for v in row["sample"]),
        label=int(row["label"]),
        added_time=int(row["added_time"]),
        author=str(row["author"]),
        deposit=int(row["deposit"]),
        claimable=int(row["claimable"]),
        refunded=row["refunded"] in (True, "yes"),
        status=str(row["status"]),
        refundable_from=int(row["refundable_from"]),
        owner_claim_from=_optional(row["owner_claim_from"]),
        any_claim_from=_optional(row["any_claim_from"]),
        block_number=int(row["block_number"]),
        reports=tuple(zip(map(str, row["reported_by"]), map(int, row["report_amounts"]), strict=True)),
    )


def _optional(value: Any) -> int | None:
    """A whole number of a file, or None where the file has none (a mechanism without claim windows)."""
    return None if value is None or value == "" else int(value)


def _class_names(rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """Class names as far as the rows show them (numbers for classes nobody used)."""
    named = {int(row["label"]): str(row["class"]) for row in rows}
    return tuple(named.get(k, str(k)) for k in range(max(named, default=-1) + 1))


def read_dataset(path: str | Path, *, format: str | None = None) -> Dataset:
    """A dataset written by :meth:`Dataset.write`, read back.

    Raises
    ------
    SumchainError
        When the file is missing, of another shape, or pyarrow is missing for Parquet.
    """
    path = Path(path)
    kind = file_format(path, format)
    try:
        if kind == "csv":
            with path.open(newline="", encoding="utf-8") as file:
                rows: list[dict[str, Any]] = list(csv.DictReader(file))
            for row in rows:
                row["sample"] = row["sample"].split()
                row["reported_by"] = row["reported_by"].split()
                row["report_amounts"] = row["report_amounts"].split()
                row["class"] = _from_spreadsheet_safe(row["class"])
        else:
            rows = _pyarrow().parquet.read_table(path).to_pylist()
        contributions = tuple(_contribution(row) for row in rows)
        sparse = {row["features"] for row in rows} != {"values"}
    except OSError as exc:
        raise SumchainError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise SumchainError(f"{path} is not a sumchain dataset file ({type(exc).__name__}: {exc})") from None
    return Dataset(contributions, _class_names(rows), sparse)
