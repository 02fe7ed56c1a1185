"""The prediction market on chain: every phase, every bad input beside its control, and the
payouts equal to the Python mirror of the accounting to the wei.

The model is the test perceptron of ``tests.conftest`` (feature 0 says 1, feature 1 says 0,
a mistake moves each present weight by 2). The money invariant is checked after every
step of every market: the contract holds the stakes and the bounty while nothing is
settled, and afterwards exactly what is still owed (``assert_holds``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sumchain import ContractReverted, EmbeddedChain, NaiveBayes, SharedModel, SparsePerceptron
from sumchain.chain.abi import ContractABI, encode_values
from sumchain.chain.compiler import compile_trainer
from sumchain.chain.hashing import keccak
from sumchain.errors import InvalidIncentive, InvalidSample, SumchainError
from sumchain.incentives import DAY
from sumchain.incentives.prediction_market import MAX_PIECES, MAX_TEST_SAMPLES, SETTLED
from sumchain.market import (
    HiddenTestSet,
    Market,
    Payout,
    Piece,
    PredictionMarket,
    evaluation_scores,
    rewards,
    split_test_set,
)
from sumchain.models import OnChainModel
from tests.conftest import WEIGHTS
from tests.helpers import Impostor, assert_deployment_reverts, deploy_interrupted, sparse_bytes

STAKE = 10**15
BOUNTY = 10**17
PARAMETERS = PredictionMarket(stake=STAKE, min_duration=DAY, min_contributions=2, reveal_window=DAY, claim_wait=9 * DAY)
TEST_SAMPLES = [[0], [1], [0, 2], [1, 3], [2], [3], [0, 4], [1, 5]]
TEST_LABELS = [1, 0, 1, 0, 1, 0, 1, 0]


def mirror() -> SparsePerceptron:
    return SparsePerceptron.from_weights(WEIGHTS, learning_rate=2)


def salts() -> object:
    counter = iter(range(1, 10**6))
    return lambda: next(counter).to_bytes(32, "big")


def pieces_of(pieces: int = 4) -> HiddenTestSet:
    return split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=pieces, salt=salts())  # type: ignore[arg-type]


def assert_holds(market: Market, accounts: Sequence[str]) -> None:
    """The contract's balance is what it owes: before the settlement, the stakes and the bounty
    left plus what the rewards moved; after it, what the accounts may still withdraw."""
    status = market.status()
    balance = market.chain.balance(market.address)
    if status["phase"] == "done":
        assert balance == sum(market.owed(a) for a in {*accounts, market.model.owner})
    elif status["phase"] in SETTLED:
        assert balance == status["num_contributions"] * STAKE + status["bounty"]
    else:
        assert balance == status["num_contributions"] * STAKE + status["bounty_left"]


def opened(
    chain: EmbeddedChain,
    tests: HiddenTestSet,
    *,
    bounty: int = BOUNTY,
    parameters: PredictionMarket = PARAMETERS,
    model: OnChainModel | None = None,
) -> Market:
    """A market on the test perceptron (or ``model``), committed, sealed, drawn, with its first piece revealed."""
    market = Market.create(chain, model or mirror(), parameters, bounty=bounty, sender=0)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    first = market.draw(sender=3)
    market.reveal(tests, first, sender=0)
    assert market.phase() == "participation"
    return market


def through_evaluation(chain: EmbeddedChain, market: Market, tests: HiddenTestSet) -> None:
    """Participation ended, the rest revealed, every contribution scored: the market in its reward phase."""
    chain.advance_time(DAY)
    market.end(sender=4)
    market.reveal_rest(tests, sender=0)
    market.evaluate(sender=5)


def finish(chain: EmbeddedChain, market: Market, tests: HiddenTestSet) -> None:
    through_evaluation(chain, market, tests)
    market.settle(sender=6)


def refused_until(chain: EmbeddedChain, second: int, action: Callable[[], object], reason: str) -> None:
    """``action`` in a block mined a second before ``second`` reverts with ``reason``; the clock then stands
    so that the next block is mined at ``second``, where the caller sends it again."""
    chain.advance_time(second - 2 - chain.time())  # the next block is mined a second early
    with pytest.raises(ContractReverted, match=reason):
        action()
    chain.advance_time(1)


# -- the whole story --------------------------------------------------------------


def score_views(market: Market) -> tuple[int, int, int]:
    """The contract's lowest score, sum of scores and sum of the scores that are not negative."""
    return tuple(int(market.model._call(name)) for name in ("lowest_score", "score_sum", "positive_sum"))  # type: ignore[return-value]


def test_a_market_from_commitments_to_withdrawals_pays_what_the_mirror_says(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    people = chain.accounts[1:4]
    staked = [([0, 6], 1, 1), ([1], 1, 2), ([2, 7], 1, 1), ([1, 6], 0, 3), ([0], 0, 2)]
    start = {a: chain.balance(a) for a in people}
    assert score_views(market) == (2**255 - 1, 0, 0)  # no score yet: the lowest is the largest int256
    for sample, label, who in staked:
        market.add_data(sample, label, sender=who)
        assert_holds(market, people)
    finish(chain, market, tests)
    assert market.phase() == "done"
    first = market.status()["first_piece"]
    scores = evaluation_scores(mirror(), tests, first, [(s, y) for s, y, _ in staked])
    assert market.scores() == scores
    payout = rewards(scores, stake=STAKE, bounty=BOUNTY, test_samples=len(tests) - len(tests.pieces[first].samples))
    owed = dict.fromkeys(people, 0)
    for (_, _, who), balance in zip(staked, payout.balances, strict=True):
        owed[chain.accounts[who]] += balance
    assert {a: market.owed(a) for a in people} == owed
    assert market.owed(market.model.owner) == payout.bounty_left
    assert_holds(market, people)
    for account in [*people, market.model.owner]:
        if market.owed(account):
            market.withdraw(sender=account)
    assert chain.balance(market.address) == 0
    assert {a: chain.balance(a) - start[a] for a in people} == {
        a: owed[a] - STAKE * sum(1 for *_, w in staked if chain.accounts[w] == a) for a in people
    }


def test_the_model_is_not_trained_until_the_evaluation(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    before = market.model.parameter_words()
    market.add_data([0, 6], 0, sender=1)
    market.add_data([0, 7], 0, sender=2)
    assert market.model.parameter_words() == before
    finish(chain, market, tests)
    learned = mirror()
    learned.partial_fit([[0, 6], [0, 7]], [0, 0])
    assert market.model.parameter_words() == learned.to_words()


def test_phases_only_move_forward_and_each_step_needs_its_phase(chain) -> None:
    tests = pieces_of()
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.add_data([0], 1, sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: needs at least two pieces"):
        market.seal(sender=0)
    market.commit(tests, sender=0)
    with pytest.raises(ContractReverted, match="market: caller is not the provider"):
        market.seal(sender=1)
    market.seal(sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.commit(tests, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.fund(1, sender=0)  # the bounty is fixed at the seal
    first = market.draw(sender=2)
    with pytest.raises(ContractReverted, match="prediction_market: reveal the drawn piece first"):
        market.reveal(tests, (first + 1) % 4, sender=0)
    market.reveal(tests, first, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market._send("evaluate", 0, [], [], bytes(32), sender=1)
    market.add_data([0], 1, sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: participation too short"):
        market.end(sender=1)
    chain.advance_time(DAY)
    with pytest.raises(ContractReverted, match="prediction_market: too few contributions"):
        market.end(sender=1)
    market.add_data([1], 0, sender=2)
    market.end(sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.add_data([0], 1, sender=1)
    phases = [int(e["phase"]) for e in market._events("PhaseChanged")]
    assert phases == sorted(phases) == [1, 2, 3, 4]


def test_only_the_provider_loads_the_models_parameters_and_predict_waits_for_them(chain) -> None:
    partial, _ = deploy_interrupted(chain, mirror(), chunks=0, mechanism=PARAMETERS)
    words = mirror().to_words()

    def predict(*indices: int) -> bytes:
        return chain.call(partial.address, partial.abi.encode_call("predict", sparse_bytes(*indices)))

    with pytest.raises(ContractReverted, match="market: parameters not loaded"):
        predict(0)
    with pytest.raises(ContractReverted, match="market: caller is not the provider"):
        partial._transact("load_parameters", 0, words, sender=1)
    assert partial._call("words_loaded") == 0
    partial._transact("load_parameters", 0, words, sender=0)
    assert partial.ready() and int.from_bytes(predict(0), "big") == 1
    with pytest.raises(ContractReverted, match="samples: indices not sorted and unique"):
        predict(0, 0)


def test_the_providers_steps_refuse_anyone_else_and_pieces_and_stakes_are_checked(chain) -> None:
    partial, _ = deploy_interrupted(chain, mirror(), chunks=0, mechanism=PARAMETERS)
    market, tests = Market(partial), pieces_of()
    with pytest.raises(ContractReverted, match="market: parameters not loaded"):
        market.seal(sender=0)
    partial._transact("load_parameters", 0, mirror().to_words(), sender=0)
    for step in (lambda: market.fund(BOUNTY, sender=1), lambda: market.commit(tests, sender=1)):
        with pytest.raises(ContractReverted, match="market: caller is not the provider"):
            step()
    market.fund(BOUNTY, sender=0)
    market.commit(tests, sender=0)
    market.seal(sender=0)
    first = market.draw(sender=3)
    with pytest.raises(ContractReverted, match="market: caller is not the provider"):
        market.reveal(tests, first, sender=1)
    samples, labels, salt = tests.pieces[first].arguments(partial.codec.encode)
    for wrong in ([], []), (samples, labels[:-1]):
        with pytest.raises(ContractReverted, match="market: a piece needs as many labels as samples, at least one"):
            market._send("reveal", first, *wrong, salt, sender=0)
    market.reveal(tests, first, sender=0)
    for data, label, reason in (
        (sparse_bytes(0, 0), 1, "samples: indices not sorted and unique"),
        (sparse_bytes(0), 2, "sparse_perceptron: label out of range"),
    ):
        with pytest.raises(ContractReverted, match=reason):
            market._send("add_data", data, label, sender=1, value=STAKE)
    assert market.status()["num_contributions"] == 0


def test_the_seal_needs_a_bounty_and_happens_once_the_draw_needs_it_the_reveal_a_real_piece(chain) -> None:
    tests = pieces_of()
    market = Market(SharedModel.deploy(chain, mirror(), mechanism=PARAMETERS))  # not funded
    market.commit(tests, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: no bounty"):
        market.seal(sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.draw(sender=1)  # nothing sealed yet
    market.fund(BOUNTY, sender=0)
    market.seal(sender=0)
    assert int(market.model._call("sealed_at")) == chain.block_number()
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.seal(sender=0)  # a second seal would move the block the draw waits for
    draw = market.model.abi.encode_call("draw")
    with pytest.raises(ContractReverted, match="prediction_market: draw in a later block than the seal"):
        chain.call(market.address, draw, sender=chain.accounts[1])  # in the seal's own block
    first = market.draw(sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.draw(sender=1)  # drawn once: a second draw could pick another piece
    arguments = tests.pieces[first].arguments(market.model.codec.encode)
    with pytest.raises(ContractReverted, match="prediction_market: no such piece"):
        market._send("reveal", len(tests.pieces), *arguments, sender=0)  # one past the last piece
    market._send("reveal", first, *arguments, sender=0)


def test_commitments_stop_at_the_largest_number_of_pieces(chain) -> None:
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    hashes = [keccak(i.to_bytes(32, "big")) for i in range(MAX_PIECES + 1)]
    for start in range(0, MAX_PIECES - 1, 128):  # all but one, 128 per call
        market._send("commit", start, hashes[start : min(start + 128, MAX_PIECES - 1)], sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: too many pieces"):
        market._send("commit", MAX_PIECES - 1, hashes[MAX_PIECES - 1 :], sender=0)  # one past the largest number
    assert int(market.model._call("num_pieces")) == MAX_PIECES - 1
    market._send("commit", MAX_PIECES - 1, hashes[MAX_PIECES - 1 : MAX_PIECES], sender=0)  # exactly the largest
    assert int(market.model._call("num_pieces")) == MAX_PIECES
    with pytest.raises(ContractReverted, match="prediction_market: too many pieces"):
        market._send("commit", MAX_PIECES, hashes[MAX_PIECES:], sender=0)


def test_a_commitment_sent_twice_is_refused_not_appended_again(chain) -> None:
    """``commit`` names the first piece it gives: the same call sent again (by a wallet that asked a
    node that had not seen the first yet) is refused, and the market can still be sealed and revealed."""
    tests = pieces_of()
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    [call] = market._commit_calls(tests)
    market._send_call(call, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not the next commitment"):
        market._send_call(call, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: not the next commitment"):
        market._send("commit", 5, [bytes(32)], sender=0)  # a gap
    assert market.committed_pieces() == len(tests.pieces) and market._commit_calls(tests) == []
    market.seal(sender=0)
    market.reveal(tests, market.draw(sender=1), sender=0)
    assert market.phase() == "participation"


@pytest.mark.parametrize("stage", ["commit", "sealed", "drawn"])
def test_the_provider_cancels_before_participation_and_gets_the_bounty_back(chain, stage: str) -> None:
    """A provider that lost its salts (or changed its mind) ends the market before anyone could stake:
    the bounty is owed back; nobody else may cancel, nor anyone once participation opened. Once drawn,
    only when the reveal window passed without the drawn piece's reveal (to the second): a provider may
    not cancel at once to draw the public piece again on a new market."""
    tests = pieces_of()
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    if stage != "commit":
        market.commit(tests, sender=0)
        market.seal(sender=0)
    if stage == "drawn":
        market.draw(sender=1)
        assert not market.may_cancel()
        with pytest.raises(ContractReverted, match=r"prediction_market: reveal the drawn piece \(or cancel after"):
            market.cancel(sender=0)
        opens = market.status()["drawn_at"] + PARAMETERS.reveal_window + 1
        refused_until(chain, opens, lambda: market.cancel(sender=0), "prediction_market: reveal the drawn piece")
    assert market.phase() == stage and market.may_cancel()
    with pytest.raises(ContractReverted, match="market: caller is not the provider"):
        market.cancel(sender=1)
    assert market.cancel(sender=0) == BOUNTY
    assert market.phase() == "done" and market.status()["bounty_left"] == 0
    assert market.status()["ended_at"] == chain.time()  # the claim wait before a sweep counts from it
    assert market._events("PhaseChanged")[-1] == {"phase": 8}  # DONE, for the index and the dashboard
    assert_holds(market, [])
    balance = chain.balance(chain.accounts[0])
    assert market.withdraw(sender=0) == BOUNTY and chain.balance(chain.accounts[0]) == balance + BOUNTY
    assert chain.balance(market.address) == 0 and not market.may_cancel()
    with pytest.raises(ContractReverted, match="prediction_market: too late to cancel"):
        market.cancel(sender=0)


@pytest.mark.parametrize(
    ("bounty", "message"),
    [
        (0, "the bounty must be more than 0"),
        (-5, "the bounty must be more than 0"),
        ("1ether", "the bounty must be a number of wei, got '1ether'"),
        (True, "the bounty must be a number of wei, got True"),
        (10**23, "the bounty of 100,000 ETH is more than 0x"),
    ],
)
def test_a_bad_bounty_is_refused_before_anything_is_deployed(chain, bounty: object, message: str) -> None:
    """Before, the market was deployed and loaded first, then left without a bounty (or with none at all,
    for 0): it could never be sealed."""
    before = chain.block_number()
    with pytest.raises(SumchainError, match=message):
        Market.create(chain, mirror(), PARAMETERS, bounty=bounty, sender=0)  # type: ignore[arg-type]
    assert chain.block_number() == before


def test_a_market_without_a_bounty_is_funded_before_its_commitments(chain) -> None:
    """A market whose creation stopped before its funding: the provider's steps refuse to commit what
    could never be sealed, and funding it lets them go on."""
    model = SharedModel.deploy(chain, mirror(), mechanism=PARAMETERS)  # as Market.create stopped half-way
    market = Market(model)
    tests = pieces_of()
    with pytest.raises(SumchainError, match="the market has no bounty, without which it cannot be sealed"):
        market.provide(tests, sender=0)
    assert market.committed_pieces() == 0
    market.fund(BOUNTY, sender=0)
    assert market.provide(tests, sender=0) == ["commit", "seal"] and market.phase() == "sealed"


def test_the_provider_s_steps_send_nothing_for_another_account_or_another_test_set(chain) -> None:
    """Before, a reveal with the wrong file, or from another account, sent the draw first and then was
    refused: the market was drawn for nothing, and the provider could no longer cancel at once."""
    tests = pieces_of()
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    market.provide(tests, sender=0)
    other = split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=4, salt=lambda: bytes([7]) * 32)  # other salts
    before = chain.block_number()
    with pytest.raises(SumchainError, match=r"not the one the market committed to .*: nothing was sent"):
        market.provide(other, sender=0)
    with pytest.raises(SumchainError, match="not the one the market committed to"):
        market.provider_step_call(other)  # the wallet's next step
    with pytest.raises(SumchainError, match=f"only the market's provider, {chain.accounts[0]}, sends its steps"):
        market.provide(tests, sender=1)
    assert chain.block_number() == before and market.phase() == "sealed"
    assert market.cancel(sender=0) == BOUNTY  # still at once: nothing was drawn


def test_a_kept_test_set_carries_on_only_the_commit_it_is_of(chain, tmp_path) -> None:
    """kept_test_set: a new split is kept before any commitment; once the market holds commitments, the
    file they are of carries on (found in the folder, whatever the pieces asked), and another test set,
    or one no file keeps, is refused; no file is written over."""
    from sumchain.market import find_kept_test_set, hidden_set_file, kept_test_set

    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    first = hidden_set_file(tmp_path, market.address, "a")
    for samples, labels in (([[0], [10]], [1, 0]), ([[0], [2, 1]], [1, 0]), ([[0], [1]], [1, 2])):
        with pytest.raises(InvalidSample):  # a feature past the model's, out of order, a class it has not
            kept_test_set(market, samples, labels, first, folder=tmp_path)
        assert not first.exists()  # nothing written for a test set the model cannot take
    hidden, path, carried = kept_test_set(market, TEST_SAMPLES, TEST_LABELS, first, pieces=4, folder=tmp_path)
    assert not carried and path == first and HiddenTestSet.load(first) == hidden
    assert find_kept_test_set(tmp_path, market) is None
    market.commit(HiddenTestSet(hidden.pieces[:1]), sender=0)  # a commit stopped after its first piece
    assert find_kept_test_set(tmp_path, market) == (hidden, first)
    other = hidden_set_file(tmp_path, market.address, "b")
    again, path, carried = kept_test_set(market, TEST_SAMPLES, TEST_LABELS, other, pieces=2, folder=tmp_path)
    assert carried and again == hidden and path == first and not other.exists()  # the file of the first commit
    with pytest.raises(SumchainError, match="holds 1 commitments already, of another test set"):
        kept_test_set(market, TEST_SAMPLES, TEST_LABELS[::-1], other, folder=tmp_path)
    with pytest.raises(SumchainError, match="holds 1 commitments already, of a test set whose pieces and salts"):
        kept_test_set(market, TEST_SAMPLES, TEST_LABELS, other)  # no folder, and no such file
    market.commit(hidden, sender=0)
    assert market.committed_pieces() == 4 and find_kept_test_set(tmp_path, market) == (hidden, first)


def test_the_provider_cannot_cancel_once_participation_opened(chain) -> None:
    market = opened(chain, pieces_of())
    assert not market.may_cancel()
    with pytest.raises(ContractReverted, match="prediction_market: too late to cancel"):
        market.cancel(sender=0)
    assert market.phase() == "participation" and market.owed(market.model.owner) == 0


def ended(chain: EmbeddedChain, tests: HiddenTestSet) -> Market:
    """An opened market with two contributions, its participation ended: the provider's turn to reveal."""
    market = opened(chain, tests)
    market.add_data([0], 1, sender=1)
    market.add_data([1], 0, sender=2)
    chain.advance_time(DAY)
    market.end(sender=1)
    return market


def test_a_wrong_piece_or_salt_is_refused_and_changes_nothing(chain) -> None:
    tests = pieces_of()
    market = ended(chain, tests)
    first = market.status()["first_piece"]
    other = next(k for k in range(4) if k != first)
    piece = tests.pieces[other]
    forged = HiddenTestSet(
        tuple(Piece(p.samples, p.labels, bytes(32)) if k == other else p for k, p in enumerate(tests.pieces))
    )
    flipped = HiddenTestSet(
        tuple(
            Piece(p.samples, tuple(1 - y for y in p.labels), p.salt) if k == other else p
            for k, p in enumerate(tests.pieces)
        )
    )
    before = market.status()
    for wrong in (forged, flipped):
        with pytest.raises(ContractReverted, match="prediction_market: piece does not match its commitment"):
            market.reveal(wrong, other, sender=0)
    assert market.status() == before
    market.reveal(tests, other, sender=0)
    with pytest.raises(ContractReverted, match="prediction_market: piece already revealed"):
        market.reveal(tests, other, sender=0)
    assert piece.labels == tests.pieces[other].labels


def test_a_saved_test_set_reads_back_and_is_never_written_over(tmp_path) -> None:
    hidden = pieces_of()
    hidden.save(tmp_path / "secret.json")
    assert HiddenTestSet.load(tmp_path / "secret.json") == hidden
    assert (tmp_path / "secret.json").stat().st_mode & 0o077 == 0
    with pytest.raises(SumchainError, match="exists: it may hold the salts of an earlier commit"):
        pieces_of(2).save(tmp_path / "secret.json")
    assert HiddenTestSet.load(tmp_path / "secret.json") == hidden
    with pytest.raises(SumchainError, match="cannot write"):
        hidden.save(tmp_path / "secret.json" / "inside")


def test_a_test_set_of_the_wrong_dimension_is_refused(chain) -> None:
    """The client refuses to commit a sample the model cannot read; a provider that commits one
    anyway cannot reveal it (and so forfeits the bounty if it is not the drawn piece)."""
    with pytest.raises(InvalidSample, match=r"index 99 is outside \[0, 10\)"):
        wide = split_test_set([[0], [1], [2], [99]], [1, 0, 1, 0], pieces=2, salt=salts())  # type: ignore[arg-type]
        Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0).commit(wide, sender=0)
    market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
    encode = market.model.codec.encode
    raw = [([encode([0]), encode([1])], [1, 0], bytes(32)), ([encode([2]), (99).to_bytes(4, "big")], [1, 0], bytes(32))]
    hashes = [keccak(encode_values(("bytes[]", "uint8[]", "bytes32"), piece)) for piece in raw]
    market._send("commit", 0, hashes, sender=0)
    market.seal(sender=0)
    first = market.draw(sender=1)
    if first == 0:  # the good piece opens participation; the bad one cannot be revealed after it
        market._send("reveal", 0, *raw[0], sender=0)
        for who in (1, 2):
            market.add_data([0], 1, sender=who)
        chain.advance_time(DAY)
        market.end(sender=1)
    with pytest.raises(ContractReverted, match="samples: index out of range"):
        market._send("reveal", 1, *raw[1], sender=0)
    with pytest.raises(ContractReverted, match="sparse_perceptron: label out of range"):
        market._send("reveal", first, [encode([0])], [2], bytes(32), sender=0)


def test_stakes_must_be_exact(chain) -> None:
    market = opened(chain, pieces_of())
    for value in (STAKE - 1, STAKE + 1):
        with pytest.raises(ContractReverted, match="prediction_market: send exactly the stake"):
            market._send("add_data", market.model.codec.encode([0]), 1, sender=1, value=value)
    assert market.status()["num_contributions"] == 0


def test_participation_ends_from_the_second_its_minimum_duration_is_reached(chain) -> None:
    market = opened(chain, pieces_of())
    for who in (1, 2):
        market.add_data([0], 1, sender=who)
    earliest = market.status()["opened_at"] + PARAMETERS.min_duration
    refused_until(chain, earliest, lambda: market.end(sender=1), "prediction_market: participation too short")
    market.end(sender=1)
    assert market.phase() == "reveal" and chain.time() == earliest


def test_the_evaluation_counts_the_committed_pieces_in_order_before_applying_a_contribution(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    encode = market.model.codec.encode
    for who in (1, 2):
        market.add_data([0], 1, sender=who)
    _, contributor, sample, label = market.contributions()[0]
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market._send("apply_next", encode(sample), label, contributor, sender=1)
    chain.advance_time(DAY)
    market.end(sender=1)
    market.reveal_rest(tests, sender=0)
    assert market.phase() == "evaluate"
    with pytest.raises(ContractReverted, match="prediction_market: the current state is not fully counted"):
        market._send("apply_next", encode(sample), label, contributor, sender=1)
    following = market.status()["next_piece"]
    for piece in set(range(len(tests.pieces))) - {following}:  # real pieces, out of turn
        with pytest.raises(ContractReverted, match="prediction_market: not the next piece"):
            market._send("evaluate", piece, *tests.pieces[piece].arguments(encode), sender=1)
    samples, labels, salt = tests.pieces[following].arguments(encode)
    flipped = [1 - label for label in labels]  # the right piece, but not what was committed
    with pytest.raises(ContractReverted, match="prediction_market: piece does not match its commitment"):
        market._send("evaluate", following, samples, flipped, salt, sender=1)
    market._send("evaluate", following, samples, labels, salt, sender=1)
    assert market.status()["next_piece"] != following
    while market.model.abi.function_name((call := market.next_step_call()).data) == "evaluate":  # type: ignore[union-attr]
        chain.transact(market.address, call.data, sender=chain.accounts[1])
    _, second, later, its_label = market.contributions()[1]
    with pytest.raises(ContractReverted, match="prediction_market: not the next contribution"):
        market._send("apply_next", encode(later), its_label, second, sender=1)
    market._send("apply_next", encode(sample), label, contributor, sender=1)
    assert market.status()["applied"] == 1


def test_the_rest_is_revealed_up_to_the_deadline_second_and_forfeited_only_after_it(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    for who in (1, 2):
        market.add_data([0], 1, sender=who)
    chain.advance_time(DAY)
    market.end(sender=1)
    deadline = market.status()["reveal_deadline"]
    rest = [k for k in range(len(tests.pieces)) if k not in market.revealed_pieces()]
    chain.advance_time(deadline - 1 - chain.time())  # the next block is mined at the deadline
    with pytest.raises(ContractReverted, match="prediction_market: reveal deadline not passed"):
        market.forfeit(sender=1)
    market.reveal(tests, rest[0], sender=0)
    assert chain.time() == deadline
    with pytest.raises(ContractReverted, match="prediction_market: reveal deadline passed"):
        market.reveal(tests, rest[1], sender=0)
    market.forfeit(sender=1)
    assert market.phase() == "forfeited" and chain.time() == deadline + 1


def test_too_few_contributions_end_participation_after_the_claim_wait_too_from_its_exact_second(chain) -> None:
    """A market that fewer joined than its provider asked (2) does not keep the stake and the bounty
    locked: participation ends once it lasted its minimum duration and the claim wait, and runs on."""
    tests = pieces_of()
    market = opened(chain, tests)
    market.add_data([0], 1, sender=1)
    latest = market.status()["opened_at"] + PARAMETERS.min_duration + PARAMETERS.claim_wait
    refused_until(chain, latest, lambda: market.end(sender=2), "prediction_market: too few contributions")
    market.end(sender=2)
    assert market.phase() == "reveal" and chain.time() == latest
    market.reveal_rest(tests, sender=0)
    market.evaluate(sender=5)
    market.settle(sender=5)
    payout = rewards(market.scores(), stake=STAKE, bounty=BOUNTY, test_samples=market.status()["test_samples"])
    assert market.owed(chain.accounts[1]) == payout.balances[0]
    assert market.owed(market.model.owner) == payout.bounty_left
    assert_holds(market, chain.accounts[1:2])


@pytest.mark.parametrize("provider_reveals", [True, False], ids=["revealed", "forfeited"])
def test_a_market_nobody_joined_gives_its_provider_the_bounty_back(chain, provider_reveals: bool) -> None:
    """No contribution: after the minimum duration and the claim wait anyone ends participation, and the
    bounty goes back to the provider, whether it reveals the rest (evaluated, settled) or not
    (forfeited to no one: settled to the provider), never left in the contract."""
    tests = pieces_of()
    market = opened(chain, tests)
    chain.advance_time(PARAMETERS.min_duration + PARAMETERS.claim_wait)
    market.end(sender=1)
    if provider_reveals:
        market.reveal_rest(tests, sender=0)
        assert market.evaluate(sender=5) == 3  # the initial model's count of the three other pieces
    else:
        chain.advance_time(PARAMETERS.reveal_window + 1)
        market.forfeit(sender=1)
    assert market.phase() == ("reward" if provider_reveals else "forfeited")
    assert market.settle(sender=1) == 1 and market.phase() == "done"
    assert market.owed(market.model.owner) == BOUNTY and market.status()["bounty_left"] == 0
    balance = chain.balance(market.model.owner)
    assert market.withdraw(sender=0) == BOUNTY and chain.balance(market.address) == 0
    assert chain.balance(market.model.owner) == balance + BOUNTY  # the embedded chain charges no gas


def test_a_provider_that_does_not_reveal_in_time_loses_the_bounty_to_the_contributors(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    people = chain.accounts[1:3]
    for who in (1, 2, 2):
        market.add_data([0], 1, sender=who)
    chain.advance_time(DAY)
    market.end(sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: reveal deadline not passed"):
        market.forfeit(sender=1)
    chain.advance_time(DAY + 1)
    with pytest.raises(ContractReverted, match="prediction_market: reveal deadline passed"):
        market.reveal_rest(tests, sender=0)
    market.forfeit(sender=1)
    assert market._events("PhaseChanged")[-1] == {"phase": 7}  # FORFEITED
    assert_holds(market, people)
    market.settle(sender=1)
    share = BOUNTY // 3
    assert market.owed(people[0]) == STAKE + share + BOUNTY % 3
    assert market.owed(people[1]) == 2 * (STAKE + share)
    assert market.owed(market.model.owner) == 0
    assert_holds(market, people)
    refusing = Impostor.deploy(chain).address  # a contract without a payable fallback
    with pytest.raises(ContractReverted, match="market: withdrawal failed"):
        market._send("withdraw_to", refusing, sender=1)
    assert market.owed(people[0]) == STAKE + share + BOUNTY % 3  # still owed
    recipient = "0x" + "ab" * 20  # account 1 has its pay sent elsewhere
    market._send("withdraw_to", recipient, sender=1)
    assert chain.balance(recipient) == STAKE + share + BOUNTY % 3
    with pytest.raises(ContractReverted, match="prediction_market: nothing to withdraw"):
        market.withdraw(sender=1)
    with pytest.raises(ContractReverted, match="prediction_market: claim wait not over"):
        market.sweep(people[1], sender=0)
    chain.advance_time(9 * DAY)
    with pytest.raises(ContractReverted, match="market: caller is not the provider"):
        market.sweep(people[1], sender=1)
    market.sweep(people[1], sender=0)
    assert market.owed(people[1]) == 0 and market.owed(market.model.owner) == 2 * (STAKE + share)
    market.withdraw(sender=0)
    assert chain.balance(market.address) == 0


def stuck(chain: EmbeddedChain, tests: HiddenTestSet) -> Market:
    """A market whose evaluation cannot go on, the rest revealed: its naive Bayes model has counted
    2**64 - 1 samples of class 1, so that learning the first contribution (of class 1) would pass the
    count's 64 bits, and every attempt is refused."""
    full = NaiveBayes.from_counts([5, 2**64 - 1], [[3, 1, 1, 0, 2, 0, 1, 0], [0, 2, 1, 3, 0, 2, 0, 1]])
    market = opened(chain, tests, model=full)
    market.add_data([1, 3], 1, sender=1)
    market.add_data([0], 0, sender=2)
    market.add_data([0, 2], 0, sender=1)
    chain.advance_time(DAY)
    market.end(sender=3)
    market.reveal_rest(tests, sender=0)
    return market


def test_an_evaluation_that_cannot_go_on_is_given_up_once_it_has_not_moved_and_pays_as_a_forfeit(chain) -> None:
    """Without a way out, the stakes and the bounty of such a market stayed locked for ever: every step of
    the evaluation reverts, and so did forfeit, cancel, withdraw. Only the provider's model can make every
    step fail (contributions are checked when staked): it loses the bounty to the contributors."""
    tests = pieces_of()
    market = stuck(chain, tests)
    people = chain.accounts[1:3]
    with pytest.raises(ContractReverted, match="naive_bayes: count overflows its field"):
        market.evaluate(sender=5)  # the initial state is counted; learning the first contribution is refused
    before = market.status()
    with pytest.raises(ContractReverted, match="naive_bayes: count overflows its field"):
        market.evaluate(sender=5)
    assert market.status() == before and before["applied"] == 0
    for refused in (market.forfeit, market.cancel, market.withdraw):
        with pytest.raises(ContractReverted):
            refused(sender=0)
    deadline = market.evaluation_deadline()
    assert deadline == before["moved_at"] + PARAMETERS.claim_wait  # from the last piece counted
    assert not market.evaluation_stuck()
    assert market.next_step_call() != market.abandon_call()  # before its deadline, the evaluation is pushed
    moved = "prediction_market: the evaluation moved within the claim wait"
    refused_until(chain, deadline + 1, lambda: market.abandon(sender=5), moved)
    assert market.evaluation_stuck() and market.next_step_call() == market.abandon_call()
    market.abandon(sender=5)
    assert market.phase() == "abandoned" and market._events("PhaseChanged")[-1] == {"phase": 9}
    assert_holds(market, people)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.abandon(sender=5)
    assert market.settle(sender=5) == 1 and market.phase() == "done"
    share = BOUNTY // 3  # account 1 staked twice, account 2 once; the first contribution takes the remainder
    owed = [market.owed(a) for a in (*people, market.model.owner)]
    assert owed == [2 * (STAKE + share) + BOUNTY % 3, STAKE + share, 0]
    assert_holds(market, people)
    with pytest.raises(SumchainError, match="0 of 3 applied: a forfeit or an abandoned evaluation scores none"):
        market.finalized_mirror()
    for who in (1, 2):
        market.withdraw(sender=who)
    assert chain.balance(market.address) == 0


def test_a_healthy_evaluation_is_abandoned_only_once_nobody_pushed_it_for_the_claim_wait(chain) -> None:
    """Each step puts the abandon off: those who would gain by it (the contributors whose data the model
    rejects) cannot give up an evaluation that the others push on."""
    tests = pieces_of()
    market = opened(chain, tests)
    market.add_data([0], 1, sender=1)
    market.add_data([1], 0, sender=2)
    chain.advance_time(DAY)
    market.end(sender=1)
    market.reveal_rest(tests, sender=0)
    moved = "prediction_market: the evaluation moved within the claim wait"
    assert market.status()["moved_at"] == chain.time()  # the last reveal starts it
    with pytest.raises(ContractReverted, match=moved):
        market.abandon(sender=2)
    while market.status()["next_piece"] < len(tests.pieces):  # every piece of the initial state counted
        market.evaluate(sender=5, limit=1)
    for _ in range(2):  # a contribution learned, then a piece counted: each just in time
        chain.advance_time(PARAMETERS.claim_wait - 10)
        market.evaluate(sender=5, limit=1)
        assert market.evaluation_deadline() == chain.time() + PARAMETERS.claim_wait
        chain.advance_time(20)  # past the claim wait after the step before, not after this one
        with pytest.raises(ContractReverted, match=moved):
            market.abandon(sender=2)
    chain.advance_time(PARAMETERS.claim_wait)
    assert not market.evaluation_stuck()  # nobody pushed it, but its next step goes through
    assert market.model.abi.function_name(market.next_step_call().data) in ("evaluate", "apply_next")
    market.abandon(sender=2)  # the contract allows it all the same: it has not moved for the claim wait
    market.settle(sender=2)
    assert market.owed(market.model.owner) == 0 and market.owed(chain.accounts[1]) == STAKE + BOUNTY // 2


def test_only_an_evaluation_is_given_up(chain) -> None:
    """Before the evaluation and after it, abandon is refused: an evaluation that ran to its end pays
    the rewards, however late its settlement."""
    tests = pieces_of()
    market = opened(chain, tests)
    market.add_data([0], 1, sender=1)
    market.add_data([1], 0, sender=2)
    chain.advance_time(30 * DAY)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.abandon(sender=5)
    market.end(sender=1)
    market.reveal_rest(tests, sender=0)
    chain.advance_time(30 * DAY)
    assert not market.evaluation_stuck()  # past its deadline, but its next step goes through
    market.evaluate(sender=5)
    with pytest.raises(ContractReverted, match="prediction_market: not in this phase"):
        market.abandon(sender=5)
    assert market.phase() == "reward"


def test_two_accounts_pushing_the_evaluation_at_once_both_finish_without_an_error(chain, monkeypatch) -> None:
    """Anyone may push the evaluation and the settlement: when another account's identical step lands first,
    the refused one is not an error, and the push carries on from where the market is."""
    tests = pieces_of(4)
    market = ended(chain, tests)
    market.reveal_rest(tests, sender=0)
    send = market._send_call
    raced = []

    def racing(call: object, *, sender: object) -> object:
        send(call, sender=6)  # the other account's step, built from the same state, is mined first
        raced.append(call)
        return send(call, sender=sender)  # now refused: the market moved on

    monkeypatch.setattr(market, "_send_call", racing)
    assert market.evaluate(sender=5) == 0 and market.settle(sender=5) == 0
    assert market.phase() == "done" and len(raced) > 2
    monkeypatch.undo()
    with pytest.raises(ContractReverted, match="not in this phase"):  # a refusal of its own still is one
        market._send_call(market._settle_call(8), sender=5)


def test_another_step_mined_between_building_a_step_and_sending_it_is_no_error(chain, monkeypatch) -> None:
    """Two ``sumchain market evaluate`` at once on anvil: the other's step was mined after this one built
    its own but before it read where the market stood, and the refusal was taken for one of its own."""
    tests = pieces_of(4)
    market = ended(chain, tests)
    market.reveal_rest(tests, sender=0)
    build = market._evaluation_call

    def other_first(*args: object) -> object:
        call = build(*args)  # type: ignore[arg-type]
        market._send_call(call, sender=6)  # the other process's same step, mined first
        return call

    monkeypatch.setattr(market, "_evaluation_call", other_first)
    assert market.evaluate(sender=5) == 0 and market.phase() == "reward"


def test_each_settle_step_returns_the_contributions_left_to_credit(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    for who in (1, 2, 3):
        market.add_data([0], 1, sender=who)
    through_evaluation(chain, market, tests)
    for left in (2, 1, 0):
        step = market._settle_call(1)
        assert int.from_bytes(chain.call(market.address, step.data), "big") == left
        market._send_call(step, sender=6)
    assert market.phase() == "done"


def test_what_nobody_withdrew_is_swept_from_the_claim_waits_exact_second(chain) -> None:
    tests = pieces_of()
    market = opened(chain, tests)
    people = chain.accounts[1:3]
    for who in people:
        market.add_data([0], 1, sender=who)
    finish(chain, market, tests)
    opens = market.status()["ended_at"] + PARAMETERS.claim_wait
    swept = "prediction_market: claim wait not over"
    refused_until(chain, opens, lambda: market.sweep(people[0], sender=0), swept)
    owed, kept = market.owed(people[0]), market.owed(market.model.owner)
    assert market.sweep(people[0], sender=0) == owed > 0
    assert chain.time() == opens and market.owed(people[0]) == 0
    assert market.owed(market.model.owner) == kept + owed  # the provider's now, to withdraw
    with pytest.raises(ContractReverted, match="prediction_market: nothing to sweep"):
        market.sweep(people[0], sender=0)


def test_the_draw_comes_in_a_later_block_and_depends_on_the_commitments(chain) -> None:
    draws = set()
    for seed in range(6):
        with chain.anchor():
            tests = split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=4, salt=lambda s=seed: bytes([s]) * 32)
            market = Market.create(chain, mirror(), PARAMETERS, bounty=BOUNTY, sender=0)
            market.commit(tests, sender=0)
            market.seal(sender=0)
            draws.add(market.draw(sender=1))
    assert len(draws) > 1  # the commitments move the draw: the provider cannot know it before committing


def test_parameters_are_checked(chain) -> None:
    with pytest.raises(InvalidIncentive, match="stake must be in"):
        PredictionMarket(stake=1)
    with pytest.raises(InvalidIncentive, match="min_contributions must be at least 1"):
        PredictionMarket(min_contributions=0)
    for wait in ("min_duration", "reveal_window", "claim_wait"):  # the contract takes 0; the client, with unsafe
        with pytest.raises(InvalidIncentive, match=f"{wait} must be at least 60 s, got 59 s"):
            PredictionMarket(**{wait: 59})
    unsafe = PredictionMarket(STAKE, min_duration=0, reveal_window=0, claim_wait=0, unsafe=True)
    deployed = Market.create(chain, mirror(), unsafe, bounty=BOUNTY, sender=0)
    assert deployed.parameters == unsafe and deployed.parameters.to_json() == {
        "stake": STAKE,
        "min_duration": 0,
        "min_contributions": 1,
        "reveal_window": 0,
        "claim_wait": 0,
    }
    with pytest.raises(SumchainError, match="fit in 2 to 8 pieces"):
        split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=9)
    with pytest.raises(SumchainError, match=r"needs at least 2 samples \(one piece is revealed first\), got 1"):
        split_test_set(TEST_SAMPLES[:1], TEST_LABELS[:1])
    from sumchain.cli.models import mechanism_from_options

    with pytest.raises(InvalidIncentive, match="is created with `sumchain market create`"):
        mechanism_from_options("prediction_market", False, {})


# -- the mirror, on random markets --------------------------------------------------


samples = st.sets(st.integers(0, len(WEIGHTS) - 1), min_size=1, max_size=3).map(sorted)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    staked=st.lists(st.tuples(samples, st.integers(0, 1), st.integers(1, 3)), min_size=2, max_size=7),
    bounty=st.sampled_from([1, 10**9, 10**15, 10**17, 10**17]),
    pieces=st.integers(2, 4),
)
def test_random_markets_pay_exactly_what_the_mirror_computes(chain, staked, bounty: int, pieces: int) -> None:
    with chain.anchor():
        tests = split_test_set(TEST_SAMPLES, TEST_LABELS, pieces=pieces, salt=salts())  # type: ignore[arg-type]
        market = opened(chain, tests, bounty=bounty)
        people = chain.accounts[1:4]
        for sample, label, who in staked:
            market.add_data(sample, label, sender=who)
        finish(chain, market, tests)
        first = market.status()["first_piece"]
        scores = evaluation_scores(mirror(), tests, first, [(s, y) for s, y, _ in staked])
        assert market.scores() == scores
        assert [(e["index"], e["score"]) for e in market._events("Scored")] == list(enumerate(scores))
        assert [e["phase"] for e in market._events("PhaseChanged")] == [1, 2, 3, 4, 5, 6, 8]  # every phase but 0, 7
        assert score_views(market) == (min(scores), sum(scores), sum(s for s in scores if s >= 0))
        counted = [
            (x, y) for k, p in enumerate(tests.pieces) if k != first for x, y in zip(p.samples, p.labels, strict=True)
        ]
        before = sum(int(mirror().predict([x])[0]) == y for x, y in counted)
        assert market.model._call("previous_correct") == before + sum(scores)  # the last state's count
        evaluated = len(tests) - len(tests.pieces[first].samples)
        payout = rewards(scores, stake=STAKE, bounty=bounty, test_samples=evaluated)
        event(f"passes: {int(payout.first_rounds > 0) + int(payout.second_rounds > 0)}")
        event("a contribution dropped" if not all(payout.kept) else "none dropped")
        owed = dict.fromkeys(people, 0)
        for (_, _, who), balance in zip(staked, payout.balances, strict=True):
            owed[chain.accounts[who]] += balance
        assert {a: market.owed(a) for a in people} == owed
        assert market.owed(market.model.owner) == payout.bounty_left
        assert sum(owed.values()) + payout.bounty_left == len(staked) * STAKE + bounty
        assert_holds(market, people)


# -- each branch of the reward passes, on a market made to take it -----------------------------

UNSEEN = [6]
"""A sample whose only feature has weight 0: the test perceptron says 0 for it, and one mistake
(label 1) makes it say 1, one more (label 0) says 0 again."""


def paid(
    chain: EmbeddedChain,
    contributions: Sequence[tuple[Sequence[int], int]],
    *,
    copies: int,
    pieces: int = 2,
    stake: int = STAKE,
) -> tuple[Payout, int]:
    """A market whose every test sample is ``UNSEEN`` with label 1 (``copies`` in each piece) and
    the ``(sample, label)`` contributions, each from its own account (an odd address: the contract
    keeps it in one word with the score, and its lowest bit must come back too): the mirror's payout,
    checked against what the contract owes each account, and the round budget."""
    tests = split_test_set([UNSEEN] * copies * pieces, [1] * copies * pieces, pieces=pieces, salt=salts())  # type: ignore[arg-type]
    parameters = PredictionMarket(stake, min_duration=DAY, min_contributions=2, reveal_window=DAY, claim_wait=9 * DAY)
    market = opened(chain, tests, parameters=parameters)
    people = [a for a in chain.accounts[1:] if int(a, 16) % 2][: len(contributions)]  # see the docstring
    for (sample, label), who in zip(contributions, people, strict=True):
        market.add_data(sample, label, sender=who)
    finish(chain, market, tests)
    evaluated = market.status()["test_samples"]
    assert evaluated == copies * (pieces - 1)
    payout = rewards(market.scores(), stake=stake, bounty=BOUNTY, test_samples=evaluated)
    assert [market.owed(who) for who in people] == list(payout.balances)
    assert market.owed(market.model.owner) == payout.bounty_left
    return payout, BOUNTY // evaluated


def test_a_lone_gain_of_one_sample_is_paid_every_round_of_the_budget(chain) -> None:
    """Scores 1 and 0 (the second contribution, feature 0 said 1, changes nothing): no negative
    score, so one pass pays the round budget to a kept sum of scores of exactly 1."""
    payout, budget = paid(chain, [(UNSEEN, 1), ([0], 1)], copies=1)
    assert (payout.first_rounds, payout.second_rounds) == (0, budget)
    assert payout.balances == (STAKE + budget, STAKE)


def test_the_second_pass_is_capped_by_the_bounty_left_when_kept_gains_exceed_the_test_set(chain) -> None:
    """Scores 2, -2, 2 on 2 test samples: after the first pass the kept contributions' scores add
    up to 4, more than the test set, and the bounty left (not the round budget) sets the second pass."""
    payout, budget = paid(chain, [(UNSEEN, 1), (UNSEEN, 0), (UNSEEN, 1)], copies=2)
    first = STAKE // 2
    assert payout.first_rounds == first
    assert payout.second_rounds == (BOUNTY - 2 * first) // 4 < budget - first
    assert payout.balances == (STAKE + 2 * (first + payout.second_rounds), STAKE - 2 * first, payout.balances[0])


def test_a_loss_of_more_than_half_the_stake_is_dropped_after_one_round(chain) -> None:
    """At the least stake (one wei per possible test sample), a contribution that breaks 16,416 test
    samples loses all but 16,352 wei in the first round of one wei per sample and is dropped; the one
    that mended them is paid the rest of the budget in the second pass."""
    payout, budget = paid(chain, [(UNSEEN, 1), (UNSEEN, 0)], copies=32, pieces=514, stake=MAX_TEST_SAMPLES)
    assert (payout.first_rounds, payout.second_rounds, payout.kept) == (1, budget - 1, (True, False))
    assert payout.balances == (MAX_TEST_SAMPLES + 16_416 * budget, MAX_TEST_SAMPLES - 16_416)


def test_the_index_holds_every_event_of_a_market(chain, tmp_path) -> None:
    """Phases, revealed pieces (their lists as JSON), stakes, scores and withdrawals, as the chain logs them."""
    from sumchain.indexer import Indexer

    tests = pieces_of()
    market = opened(chain, tests)
    market.add_data([0, 6], 0, sender=1)
    market.add_data([1], 0, sender=2)
    finish(chain, market, tests)
    market.withdraw(sender=1)
    indexer = Indexer(chain, tmp_path / "index.sqlite")
    indexer.add(market.address)
    indexer.sync()
    decoded = [market.model.abi.decode_event(list(log.topics), log.data) for log in chain.logs(market.address)]
    assert [(name, args) for name, args, _ in indexer.index.events(market.address)] == decoded
    tables = indexer.index.table_rows()
    assert [len(tables[t]) for t in ("market_piece_revealed", "market_staked", "market_scored")] == [4, 2, 2]


def test_the_finalized_model_has_the_initial_parameters_and_the_kept_contributions(chain) -> None:
    from sumchain import SharedModel
    from sumchain.incentives import Points

    tests = pieces_of()
    market = opened(chain, tests)
    staked = [([0, 6], 1, 1), ([1], 1, 2), ([0, 7], 0, 3), ([2, 7], 1, 1)]
    for sample, label, who in staked:
        market.add_data(sample, label, sender=who)
    with pytest.raises(SumchainError, match="has no scored contributions"):
        market.finalized_mirror()
    finish(chain, market, tests)
    kept = market.kept()
    first = market.status()["first_rounds"]
    assert kept == [first == 0 or score >= 0 for score in market.scores()]
    expected = mirror()
    for (sample, label, _), keep in zip(staked, kept, strict=True):
        if keep:
            expected.partial_fit([sample], [label])
    finalized = market.finalized_mirror()
    assert finalized.to_words() == expected.to_words()
    again = SharedModel.deploy(chain, finalized, mechanism=Points())
    assert again.parameter_words() == expected.to_words() and again.mechanism == Points()


def test_a_forfeited_market_has_nothing_to_finalize(chain) -> None:
    market = ended(chain, pieces_of())
    chain.advance_time(2 * DAY)
    market.forfeit(sender=1)
    market.settle(sender=1)
    with pytest.raises(SumchainError, match="has no scored contributions"):
        market.finalized_mirror()


# -- the unsent calls (for a browser wallet) ------------------------------------------------


def test_the_unsent_calls_take_a_market_through_every_phase_as_the_sending_methods_do(chain) -> None:
    """One market is run with the unsent calls alone (each sent as it is, by whoever), its twin with the
    sending methods: the same scores and the same amounts owed; a call the phase refuses reverts."""
    tests = pieces_of()
    by_calls, sent_twin = opened(chain, tests), opened(chain, tests)
    staked = [([0, 6], 1, 1), ([1], 1, 2), ([1, 6], 0, 3)]
    people = [chain.accounts[w] for _, _, w in staked]

    def send(call, who: int) -> None:
        chain.transact(by_calls.address, call.data, sender=chain.accounts[who], value=call.value)

    abi = by_calls.model.abi
    assert by_calls.next_step_call() is None  # nothing to push in participation
    for sample, label, who in staked:
        call = by_calls.add_data_call(sample, label)
        assert abi.function_name(call.data) == "add_data" and call.value == STAKE
        send(call, who)
        sent_twin.add_data(sample, label, sender=who)
    assert by_calls.contributions() == sent_twin.contributions()
    with pytest.raises(ContractReverted, match="participation too short"):
        chain.estimate_gas(by_calls.address, by_calls.end_call().data, sender=chain.accounts[4])
    chain.advance_time(DAY)
    send(by_calls.end_call(), 4)
    sent_twin.end(sender=4)
    assert by_calls.phase() == sent_twin.phase() == "reveal" and by_calls.next_step_call() is None
    with pytest.raises(ContractReverted, match="not in this phase"):
        chain.estimate_gas(by_calls.address, by_calls.add_data_call([0], 1).data, sender=chain.accounts[1], value=STAKE)
    for market in (by_calls, sent_twin):
        market.reveal_rest(tests, sender=0)

    steps = []
    while (call := by_calls.next_step_call(limit=2)) is not None:
        steps.append(abi.function_name(call.data))
        send(call, 5)
    sent_twin.evaluate(sender=5)
    sent_twin.settle(sender=5, limit=2)
    # before each contribution is learned, and after the last, every piece but the first is counted
    counting = ["evaluate"] * (len(tests.pieces) - 1)
    assert steps == [*counting, "apply_next"] * len(staked) + counting + ["settle"] * 2
    assert by_calls.phase() == sent_twin.phase() == "done"
    assert by_calls.scores() == sent_twin.scores() and len(by_calls.scores()) == len(staked)
    owed = {a: by_calls.owed(a) for a in {*people, by_calls.model.owner}}
    assert owed == {a: sent_twin.owed(a) for a in owed} and sum(owed.values()) == BOUNTY + STAKE * len(staked)
    for account, amount in owed.items():
        if amount:
            before = chain.balance(account)
            chain.transact(by_calls.address, by_calls.withdraw_call().data, sender=account)
            assert chain.balance(account) == before + amount  # the embedded chain's gas price is 0
    assert chain.balance(by_calls.address) == 0
    with pytest.raises(ContractReverted, match="nothing to withdraw"):
        chain.estimate_gas(by_calls.address, by_calls.withdraw_call().data, sender=by_calls.model.owner)


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ([MAX_TEST_SAMPLES - 1, 0, 1, 0, 0], "stake out of range"),
        ([2**96, 0, 1, 0, 0], "stake out of range"),
        ([MAX_TEST_SAMPLES, 0, 0, 0, 0], "needs at least one contribution"),
        ([MAX_TEST_SAMPLES, 2**40, 1, 0, 0], r"wait not below 2\*\*40 seconds"),
        ([MAX_TEST_SAMPLES, 0, 1, 2**40, 0], r"wait not below 2\*\*40 seconds"),
        ([MAX_TEST_SAMPLES, 0, 1, 0, 2**40], r"wait not below 2\*\*40 seconds"),
    ],
)
def test_market_parameters_are_refused_on_chain_just_past_each_bound(
    chain: EmbeddedChain, words: list[int], reason: str
) -> None:
    """The contract's own checks, without the client's (which refuses the same first)."""
    params = SparsePerceptron.from_weights(WEIGHTS).model_params()
    assert_deployment_reverts(
        chain, "sparse_perceptron", params, f"prediction_market: {reason}$", words, "prediction_market"
    )


@pytest.mark.parametrize("words", [[MAX_TEST_SAMPLES, 2**40 - 1, 1, 2**40 - 1, 2**40 - 1], [2**96 - 1, 0, 1, 0, 0]])
def test_market_parameters_at_each_bound_are_accepted_on_chain(chain: EmbeddedChain, words: list[int]) -> None:
    compiled = compile_trainer("sparse_perceptron", "prediction_market")
    abi = ContractABI(compiled.abi)
    params = SparsePerceptron.from_weights(WEIGHTS).model_params()
    address = chain.deploy(
        compiled.bytecode + abi.encode_constructor(params, words, b""), sender=chain.accounts[0]
    ).contract_address
    assert address is not None
    assert abi.decode_output("stake", chain.call(address, abi.encode_call("stake"))) == words[0]
