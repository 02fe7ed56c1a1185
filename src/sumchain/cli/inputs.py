"""What a user types, as the model takes it: samples (text or ``--sample``) and labels."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sumchain.errors import InvalidSample, SumchainError
from sumchain.units import is_whole

if TYPE_CHECKING:
    from sumchain.client import SharedModel


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_sample(text: str, *, sparse: bool, value_bits: int = 64) -> list[int]:
    """A ``--sample``: comma-separated feature indices, or real values (sent as ``round(x * 1e9)``,
    which must fit in ``value_bits`` signed bits).

    Raises
    ------
    InvalidSample
        For anything that is not a whole number (sparse) or a finite number (dense).

    Examples
    --------
    >>> parse_sample("3, 17,250", sparse=True)
    [3, 17, 250]
    >>> parse_sample("0.5,-1,2e-9", sparse=False)
    [500000000, -1000000000, 2]
    >>> parse_sample("9223372036.854775807,-9223372036.854775808", sparse=False) == [2**63 - 1, -(2**63)]
    True
    >>> parse_sample("1e999999999", sparse=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: --sample takes numbers from -9,223,372,036.854775808 to ..., got '1e999999999'
    >>> parse_sample("1.5", sparse=True)
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidSample: --sample takes feature indices (whole numbers), got '1.5'
    """
    parts = [part.strip() for part in text.split(",")]
    if parts == [""]:
        return []
    if sparse:
        for part in parts:
            if not is_whole(part):
                raise InvalidSample(f"--sample takes feature indices (whole numbers), got {part!r}")
        return [int(part) for part in parts]
    from sumchain.models.fixed_point import SCALE
    from sumchain.models.packing import signed_range

    least, most = signed_range(value_bits)
    values = []
    for part in parts:
        if not _NUMBER.fullmatch(part):  # float() also reads 1_000, other scripts' digits, inf and nan
            raise InvalidSample(f"--sample takes numbers, got {part!r}")
        try:  # exactly: a float is off by more than a billionth past 2**53
            value = round(Decimal(part) * SCALE)
        except ArithmeticError:  # an exponent past Decimal's (1e999999999): out of any range
            value = most + 1
        if not least <= value <= most:
            smallest, largest = f"{Decimal(least) / SCALE:,}", f"{Decimal(most) / SCALE:,}"
            raise InvalidSample(
                f"--sample takes numbers from {smallest} to {largest} here (sent as billionths in {value_bits} "
                f"signed bits), got {part!r}"
            )
        values.append(value)
    return values


def model_sample(model: SharedModel, text: str) -> list[int]:
    """A ``--sample`` as ``model`` takes it: feature indices, or values that fit its bits (:func:`parse_sample`)."""
    return parse_sample(text, sparse=model.codec.sparse, value_bits=model.codec.value_bits)


def sample_from(model: SharedModel, text: str | None, sample: str | None, image: Path | None = None) -> list[int]:
    """The sample to send: ``TEXT`` or ``--image`` through the model's own encoder, or ``--sample``.

    Raises
    ------
    SumchainError
        When not exactly one is given, the input is refused, or the model's encoder is not
        installed (the message names the extra to install).
    """
    if sum(given is not None for given in (text, sample, image)) != 1:
        raise InvalidSample("give the sample as TEXT, with --image or with --sample (one of them)")
    if sample is not None:
        return model_sample(model, sample)
    return model.encode(text if image is None else image)


def describe(model: SharedModel, label: int) -> str:
    """A label with its class name: ``1 (positive)``."""
    name = model.class_name(label)
    return f"{label} ({name})" if name != str(label) else str(label)


def read_test_set(model: SharedModel, path: Path) -> tuple[list[list[int]], list[int]]:
    """The labelled samples of a test-set file: a JSON list of {"text"|"sample", "label"}, as ``model`` takes them."""
    try:
        rows = json.loads(path.read_text())
    except OSError as exc:
        raise SumchainError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SumchainError(f"{path} is not JSON: {exc}") from None
    return labelled_samples(model, rows, where=str(path))


def labelled_samples(model: SharedModel, rows: object, *, where: str) -> tuple[list[list[int]], list[int]]:
    """The labelled samples of a test set as JSON values (a list of {"text"|"sample", "label"}),
    as ``model`` takes them; ``where`` names the test set in errors.

    Raises
    ------
    SumchainError
        For anything but a non-empty list of such objects, a sample or a label the model refuses.
    """
    if not isinstance(rows, list) or not rows:
        raise SumchainError(f'{where} must hold a JSON list of {{"text" or "sample", "label"}} objects')
    samples, labels = [], []
    for i, row in enumerate(rows):
        if (
            not isinstance(row, dict)
            or ("text" in row) == ("sample" in row)
            or not isinstance(row.get("text", ""), str)
            or not isinstance(row.get("sample", []), list)
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in row.get("sample", []))
            or isinstance(row.get("label"), bool)
            or not isinstance(row.get("label"), int | str)
        ):
            raise SumchainError(
                f'{where}, item {i}: give "label" and one of "text" (a string) or "sample" (a list of numbers)'
            )
        if "text" in row:
            samples.append(model.encode(row["text"]))
        else:
            samples.append(model_sample(model, ",".join(map(str, row["sample"]))))
        labels.append(model.check_label(row["label"]))
    return samples, labels
