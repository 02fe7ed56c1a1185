"""The deposit formula never reverts and never rises with time, for any gap up to 2**64 s.

``cost = cost_weight * 3600 // isqrt(seconds since the last contribution)`` (divisor 1
for a gap of 0). Hypothesis draws gaps from 0 to the largest a 64-bit block time allows,
small ones and powers of two (and their neighbours) often; on a chain that starts at
time 0, with the largest cost weight the contract accepts, the trainer's ``cost()`` at
each gap in turn equals the client's formula and never rises, and a contribution at the
largest gap pays exactly its cost. The client's formula is also checked on its own, at
random pairs of gaps up to 2**64 and at each power of two beside its neighbours.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel, SparsePerceptron
from sumchain.incentives import MAX_COST_WEIGHT

LAST_TIME = 2**64 - 1
"""The last block time that fits 64 bits."""
DEAREST = DepositRefundTake(cost_weight=MAX_COST_WEIGHT)
POWERS = [2**e + d for e in range(65) for d in (-1, 0, 1) if 0 <= 2**e + d <= 2**64]
gaps = st.one_of(st.integers(0, 100), st.sampled_from(POWERS), st.integers(0, 2**64))


@pytest.fixture(scope="module")
def deployed() -> Iterator[SharedModel]:
    chain = EmbeddedChain(genesis_time=0)
    yield SharedModel.deploy(chain, SparsePerceptron.from_weights([1, -1]), mechanism=DEAREST)


@settings(max_examples=60, deadline=None)
@given(drawn=st.lists(gaps, min_size=1, max_size=6))
def test_the_cost_never_reverts_and_never_rises_with_time(deployed: SharedModel, drawn: list[int]) -> None:
    chain = deployed.chain
    with chain.anchor():
        opened = int(deployed._call("last_update_time"))
        largest = LAST_TIME - 1 - opened  # the contribution below comes one second later
        costs = []
        for gap in sorted({min(gap, largest) for gap in drawn}):
            chain.advance_time(opened + gap - chain.time())
            costs.append(deployed.cost())
            assert costs[-1] == DEAREST.cost(gap + 1)  # read for the next block, mined a second later
        assert costs == sorted(costs, reverse=True)
        chain.advance_time(opened + largest - chain.time())
        added = deployed.add_data([0], 1, sender=1, value=DEAREST.cost(largest + 1))
        assert added.cost == DEAREST.cost(largest + 1) == MAX_COST_WEIGHT * 3_600 // (2**32 - 1)
        assert chain.balance(deployed.address) == added.cost


@settings(max_examples=200, deadline=None)
@given(earlier=gaps, later=gaps)
def test_the_formula_never_rises_with_time(earlier: int, later: int) -> None:
    earlier, later = sorted((earlier, later))
    for incentive in (DEAREST, DepositRefundTake(cost_weight=1), DepositRefundTake(cost_weight=0)):
        assert incentive.cost(earlier) >= incentive.cost(later) >= 0


def test_the_formula_at_each_power_of_two_and_its_neighbours() -> None:
    costs = [DEAREST.cost(gap) for gap in sorted(POWERS)]
    assert costs == sorted(costs, reverse=True)
    assert DEAREST.cost(0) == DEAREST.cost(1) == MAX_COST_WEIGHT * 3_600 < 2**96
    assert DEAREST.cost(2**64) == MAX_COST_WEIGHT * 3_600 // 2**32
