"""The paper's scenario on the full IMDB reviews of ../shared/datasets, for two simulated days."""

from __future__ import annotations

import dataclasses

import pytest

from sumchain.datasets import IMDB_ARCHIVE
from sumchain.sim import load_scenario, simulate
from sumchain.sim.data import load_data


@pytest.mark.skipif(not IMDB_ARCHIVE.exists(), reason=f"the IMDB archive is not at {IMDB_ARCHIVE}")
def test_two_days_of_the_paper_scenario_on_imdb() -> None:
    run = simulate(load_scenario("paper-drt"), days=2)
    good, bad = run.agents
    assert run.baseline == pytest.approx(0.8150, abs=0.001)  # the perceptron on all 25,000 training reviews
    assert run.accuracy[0] == pytest.approx(0.7810, abs=0.001)  # trained on 8% (2,000 reviews)
    assert 2 * 24 * 6 * 0.7 < good.added < 2 * 24 * 6 * 1.05  # every ~10 min, on a turn with p = accuracy + 0.15
    assert 2 * 24 * 0.9 < bad.added <= 2 * 24 + 1  # every hour, always
    assert good.refunds > 100 and bad.reports + good.reports > 0
    assert run.reverted == 0
    assert run.times[-1] == pytest.approx(2)


@pytest.mark.skipif(not IMDB_ARCHIVE.exists(), reason=f"the IMDB archive is not at {IMDB_ARCHIVE}")
def test_a_limit_draws_its_reviews_at_random_from_both_classes() -> None:
    """The archive is read by label (negative first): the first 1,000 reviews would all be negative."""
    spec = dataclasses.replace(load_scenario("paper-drt").dataset, limit=1_000)
    data = load_data(spec, 0)
    train = data.initial + data.stream
    assert len(train) <= 1_000 and len(data.test) <= 1_000
    for part in (train, data.test):
        assert 0.4 < sum(label for _, label in part) / len(part) < 0.6
    assert load_data(spec, 0) == data and load_data(spec, 1) != data
