"""The prediction market on a real anvil node: every phase through the Python client, the
provider, two contributors and a bystander paying gas, the scores and payouts equal to the
mirror's, and every wei withdrawn (each balance checked with its transactions' fees)."""

from __future__ import annotations

import pytest

from sumchain import SparsePerceptron
from sumchain.chain.rpc import RpcChain
from sumchain.incentives import DAY
from sumchain.market import Market, evaluation_scores, rewards, split_test_set
from tests.conftest import WEIGHTS
from tests.unit.test_prediction_market import BOUNTY, PARAMETERS, STAKE, TEST_LABELS, TEST_SAMPLES, salts

pytestmark = pytest.mark.anvil


def last_fee(chain: RpcChain) -> int:
    """What the sender of the latest block's one transaction paid for gas (anvil mines one per block)."""
    (tx_hash,) = chain.w3.eth.get_block("latest")["transactions"]
    mined = chain.w3.eth.get_transaction_receipt(tx_hash)
    return int(mined["gasUsed"]) * int(mined["effectiveGasPrice"])


def test_a_market_runs_every_phase_on_a_node(chain: RpcChain) -> None:
    mirror = SparsePerceptron.from_weights(WEIGHTS, learning_rate=2)
    tests = split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=4, salt=salts())  # type: ignore[arg-type]
    market = Market.create(chain, mirror, PARAMETERS, bounty=BOUNTY, sender=0)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    first = market.draw(sender=3)
    market.reveal(tests, first, sender=0)
    staked = [([0, 6], 1, 1), ([1], 1, 2), ([2, 7], 1, 1), ([1, 6], 0, 2), ([0], 0, 2)]
    for sample, label, who in staked:
        before = chain.balance(chain.accounts[who])
        market.add_data(sample, label, sender=who)
        assert chain.balance(chain.accounts[who]) == before - STAKE - last_fee(chain)
    chain.advance_time(DAY)
    market.end(sender=3)
    market.reveal_rest(tests, sender=0)
    market.evaluate(sender=3)
    market.settle(sender=3)
    assert market.phase() == "done"

    scores = evaluation_scores(mirror, tests, first, [(s, y) for s, y, _ in staked])
    assert market.scores() == scores
    payout = rewards(
        scores, stake=STAKE, bounty=BOUNTY, test_samples=len(TEST_SAMPLES) - len(tests.pieces[first].samples)
    )
    owed = {0: payout.bounty_left, 1: 0, 2: 0}
    for (*_, who), balance in zip(staked, payout.balances, strict=True):
        owed[who] += balance
    assert {k: market.owed(k) for k in owed} == owed
    assert chain.balance(market.address) == sum(owed.values()) == len(staked) * STAKE + BOUNTY
    for account, amount in owed.items():
        if amount:
            before = chain.balance(chain.accounts[account])
            assert market.withdraw(sender=account) == amount
            assert chain.balance(chain.accounts[account]) == before + amount - last_fee(chain)
    assert chain.balance(market.address) == 0


def test_a_draw_is_mined_whichever_piece_its_block_draws(chain: RpcChain) -> None:
    """The piece drawn depends on the block's randomness, and its gas on the piece (storing a nonzero
    index costs more than storing zero): drawn from the same seal after 0 to 11 empty blocks, every
    draw is mined, and both pieces come up."""
    mirror = SparsePerceptron.from_weights(WEIGHTS, learning_rate=2)
    tests = split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=2, salt=salts())  # type: ignore[arg-type]
    market = Market.create(chain, mirror, PARAMETERS, bounty=BOUNTY, sender=0)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    drawn = set()
    for blocks in range(12):
        with chain.anchor():
            for _ in range(blocks):
                chain.request("evm_mine")  # another block, another randomness
            drawn.add(market.draw(sender=3))
            assert market.phase() == "drawn"
    assert drawn == {0, 1}
