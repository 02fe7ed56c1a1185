"""The paper's scenario on the full IMDB reviews of ../shared/datasets, for two simulated days."""

from __future__ import annotations

import pytest

from sumchain.datasets import IMDB_ARCHIVE
from sumchain.sim import load_scenario, simulate


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
