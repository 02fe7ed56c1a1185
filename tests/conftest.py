"""Shared fixtures: one embedded chain per session, isolated per test by anchor().

Every hypothesis test runs from one seed per session, printed in the header:
``$SUMCHAIN_TEST_SEED`` if set (to reproduce a run), else a random one. Stateful runs
that record an ``operations`` property have it printed in the summary.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, core, settings

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.incentives import DAY

GENESIS = 1_700_000_000
INCENTIVE = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=5 * DAY, any_claim_wait=9 * DAY)
WEIGHTS = [3, -3, 2, -2, 1, -1, 0, 0, 5, -5]
"""Weights of the small test model: feature 0 says 1, feature 1 says 0, ..."""


SEED_VARIABLE = "SUMCHAIN_TEST_SEED"

# The first text strategy of a fresh checkout builds Hypothesis's Unicode tables (about a second),
# which its too_slow health check takes for slow generation and fails the test that drew first.
settings.register_profile("sumchain", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sumchain")


def pytest_configure(config: pytest.Config) -> None:
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # A shell that starts pytest in the background (`bash .ci/run &`) ignores Ctrl-C for
        # it, and the commands it starts would inherit that: the Ctrl-C tests need it heard.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if config.getoption("hypothesis_seed", None) is None:
        seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
        core.global_force_seed = seed  # what --hypothesis-seed does
        config.stash[SEED_KEY] = seed


SEED_KEY = pytest.StashKey[int]()


def pytest_report_header(config: pytest.Config) -> str | None:
    if SEED_KEY not in config.stash:
        return None
    seed = config.stash[SEED_KEY]
    return f"hypothesis seed {seed} (reproduce with {SEED_VARIABLE}={seed} python -m pytest)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The number of operations of each stateful run (its ``operations`` property), with the seed."""
    seed = config.stash.get(SEED_KEY, None)
    for report in [*terminalreporter.stats.get("passed", []), *terminalreporter.stats.get("failed", [])]:
        for name, value in getattr(report, "user_properties", []):
            if name == "operations":
                terminalreporter.write_line(f"{report.nodeid}: {value:,} operations, hypothesis seed {seed}")


@pytest.fixture(scope="session")
def session_chain() -> EmbeddedChain:
    return EmbeddedChain(genesis_time=GENESIS)


@pytest.fixture(scope="session")
def deployed(session_chain: EmbeddedChain) -> SharedModel:
    mirror = SparsePerceptron.from_weights(WEIGHTS, intercept=0, learning_rate=2)
    return SharedModel.deploy(session_chain, mirror, mechanism=INCENTIVE, sender=0)


@pytest.fixture
def chain(session_chain: EmbeddedChain, deployed: SharedModel) -> Iterator[EmbeddedChain]:
    """The session chain, rolled back after each test."""
    with session_chain.anchor():
        yield session_chain


@pytest.fixture
def model(chain: EmbeddedChain, deployed: SharedModel) -> SharedModel:
    return deployed
