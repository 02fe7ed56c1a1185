"""Checking many samples at once is checking them one by one, faster.

``check_sparse_batch`` validates a batch with NumPy when its samples are lists or tuples
of plain ints, and falls back to ``check_sparse`` sample by sample otherwise. Hypothesis
draws batches where any sample may be wrong in any way the contract refuses (empty, too
long, unsorted, repeated, out of range, a float, a bool, a string, bytes, a huge int) or
merely unusual (NumPy ints, a tuple, a generator): the batch check must accept exactly
the batches that every sample passes, with the same indices, and otherwise raise the
error of the first bad sample. ``SparsePerceptron.predict`` scores a batch at once (in
int64, or with Python ints for weights too wide for it) and must give, for every sample,
the class of the one-at-a-time rule (the contract's, by the bit-exact tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sumchain import InvalidSample, SparsePerceptron
from sumchain.models.samples import MAX_SAMPLE, check_sparse, check_sparse_batch

N_FEATURES = 50


def valid(draw: st.DrawFn) -> list[int]:
    return sorted(draw(st.sets(st.integers(0, N_FEATURES - 1), min_size=1, max_size=12)))


@st.composite
def samples(draw: st.DrawFn) -> Any:
    """A sample: valid as a list most of the time, else broken or dressed in one of many ways."""
    indices = valid(draw)
    kind = draw(st.sampled_from(["list"] * 8 + ["tuple", "numpy", "generator", "broken"]))
    if kind == "tuple":
        return tuple(indices)
    if kind == "numpy":
        return np.array(indices)
    if kind == "generator":
        return (i for i in indices)
    breaks = {
        "empty": [],
        "too long": list(range(MAX_SAMPLE + 1)),
        "unsorted": indices[::-1] if len(indices) > 1 else [1, 0],
        "repeated": [indices[0], *indices],
        "negative": [-1, *indices],
        "too large": [*indices, N_FEATURES],
        "huge": [*indices, 2**70],
        "float": [*indices[:-1], float(indices[-1])],
        "bool": [True],
        "string": "12",
        "bytes": b"\x01",
        "none": None,
    }
    return breaks[draw(st.sampled_from(sorted(breaks)))]


def one_by_one(batch: list[Any]) -> tuple[list[int], list[int]] | str:
    """What ``check_sparse`` says of each sample: the indices and starts, or the first error."""
    flat, starts = [], []
    for i, sample in enumerate(batch):
        try:
            indices = check_sparse(sample, N_FEATURES)
        except InvalidSample as exc:
            return f"sample {i}: {exc}"
        starts.append(len(flat))
        flat.extend(indices)
    return flat, starts


@settings(max_examples=400, deadline=None)
@given(batch=st.lists(samples(), max_size=8))
def test_a_batch_is_checked_as_its_samples_one_by_one(batch: list[Any]) -> None:
    copies = [list(s) if hasattr(s, "__next__") else s for s in batch]  # a generator is read once
    expected = one_by_one(copies)
    again = [iter(c) if hasattr(s, "__next__") else s for s, c in zip(batch, copies, strict=True)]
    if isinstance(expected, str):
        with pytest.raises(InvalidSample) as caught:
            check_sparse_batch(again, N_FEATURES)
        assert str(caught.value) == expected
    else:
        flat, starts = check_sparse_batch(again, N_FEATURES)
        assert (flat.tolist(), starts.tolist()) == expected


@settings(max_examples=200, deadline=None)
@given(
    bits=st.sampled_from([8, 40, 54, 55, 64]),
    data=st.data(),
    batch=st.lists(st.sets(st.integers(0, N_FEATURES - 1), min_size=1), min_size=1),
)
def test_a_batch_is_predicted_as_each_sample_alone(bits: int, data: st.DataObject, batch: list[set[int]]) -> None:
    """Weights anywhere in their field, up to its bounds: 55 and 64 bits take the exact path."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    weights = data.draw(st.lists(st.integers(low, high), min_size=N_FEATURES, max_size=N_FEATURES))
    intercept = data.draw(st.integers(low, high))
    mirror = SparsePerceptron.from_weights(weights, intercept=intercept, learning_rate=1, weight_bits=bits)
    samples_ = [sorted(s) for s in batch]
    alone = [mirror._predict_one(tuple(s)) for s in samples_]
    assert mirror.predict(samples_).tolist() == alone
    assert mirror.predict([]).tolist() == []
