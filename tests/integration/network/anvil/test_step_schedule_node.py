"""The perceptrons' shrinking step (``decay``) on a real anvil node: the embedded chain's
test, run here with the node's ``chain`` fixture. A sparse and a dense perceptron with a
decay are fitted, deployed over JSON-RPC, taught 40 samples each, and read back: the
weights and the count of samples seen are the mirror's, bit for bit."""

from __future__ import annotations

import pytest

from tests.unit.test_step_schedule import (
    test_the_contract_learns_bit_exactly_as_the_mirror_and_counts_every_sample as test_on_a_node_the_contract_learns_bit_exactly_as_the_mirror,  # noqa: E501
)

pytestmark = pytest.mark.anvil

__all__ = ["test_on_a_node_the_contract_learns_bit_exactly_as_the_mirror"]
