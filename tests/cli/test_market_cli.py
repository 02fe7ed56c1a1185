"""A prediction market through the command line, phase by phase, in separate processes sharing one
chain file; every refusal is one line."""

from __future__ import annotations

import json

import pytest

from sumchain import EmbeddedChain, SharedModel
from sumchain.cli.inputs import read_test_set
from sumchain.cli.output import when
from sumchain.data import tiny_reviews
from sumchain.errors import SumchainError
from sumchain.market import HiddenTestSet, Market, split_test_set
from tests.cli.test_audit_cli import MOOD
from tests.cli.test_cli import deployed, fails, run


def test_a_market_from_create_to_withdrawals(tmp_path) -> None:
    texts, labels = tiny_reviews()
    hidden = [
        {"text": t, "label": "positive" if y else "negative"} for t, y in zip(texts[:48], labels[:48], strict=True)
    ]
    (tmp_path / "test.json").write_text(json.dumps(hidden))
    (tmp_path / "broken.json").write_text("[{")
    fails(tmp_path, "market", "create", "--bounty", "10001ether", "--name", "too rich", message="is more than 0x")
    assert "too rich" not in run(tmp_path, "models").stdout  # refused before anything was deployed
    for option, value, message in [
        ("--reveal-window", "0", "the reveal window must be at least a minute, got 0"),
        ("--claim-wait", "30", "the claim wait must be at least a minute, got 30"),
        ("--min-contributions", "100001", "Input should be less than or equal to 100000"),
    ]:
        fails(tmp_path, "market", "create", "--bounty", "0.1ether", option, value, message=message)
    run(
        tmp_path, "market", "create", "--bounty", "0.1ether", "--min-duration", "1h", "--min-contributions", "2",
        "--reveal-window", "1d", "--name", "sentiment market",
    )  # fmt: skip
    fails(
        tmp_path,
        "market",
        "contribute",
        "a great film",
        "--label",
        "pos",
        message="prediction_market: not in this phase",
    )
    fails(tmp_path, "market", "commit", "test.json", "--account", "1", message="only the market's provider, 0x")
    assert not list((tmp_path / ".sumchain").glob("market-0x*.json"))  # nothing kept of a refused commit
    fails(tmp_path, "market", "commit", "broken.json", message="broken.json is not JSON")
    fails(tmp_path, "market", "commit", "test.json", "--pieces", "1", message="fit in 2 to 48 pieces")
    committed = run(tmp_path, "market", "commit", "test.json", "--pieces", "3").stdout
    assert committed.startswith("Committed 48 test samples in 3 pieces and sealed")  # no bar's leftovers first
    secret = next((tmp_path / ".sumchain").glob("market-0x*.json"))
    assert secret.stat().st_mode & 0o077 == 0  # the salts are the provider's alone
    salts = secret.read_bytes()
    fails(tmp_path, "market", "commit", "test.json", message="in the sealed phase: its test set was committed already")
    fails(tmp_path, "market", "evaluate", message="nothing to evaluate in the sealed phase")
    assert secret.read_bytes() == salts  # a second commit never overwrites the salts the reveal needs
    assert "participation is open" in run(tmp_path, "market", "reveal").stdout
    run(tmp_path, "market", "contribute", "a wonderful, moving film", "--label", "positive", "--account", "1")
    fails(tmp_path, "add", "a fine film", "--label", "positive", message="is a prediction market: its contributions")
    assert "Owed to it by the market" not in run(tmp_path, "balance", "--account", "1").stdout  # nothing owed yet
    run(tmp_path, "market", "contribute", "an awful, boring mess", "--label", "positive", "--account", "2")
    fails(tmp_path, "market", "end", message="prediction_market: participation too short")
    run(tmp_path, "time", "advance", "1h")
    run(tmp_path, "market", "end", "--account", "3")
    assert run(tmp_path, "market", "reveal").stdout.startswith("Revealed every piece")
    evaluated = run(tmp_path, "market", "evaluate", "--account", "3").stdout
    assert evaluated.startswith("Evaluated 2 contributions")
    status = json.loads(run(tmp_path, "market", "status", "--json", "--account", "1").stdout)
    assert status["phase"] == "done" and status["num_contributions"] == 2 and len(status["scores"]) == 2
    owed = {
        who: json.loads(run(tmp_path, "market", "status", "--json", "--account", who).stdout)["owed_to_you"]
        for who in "012"
    }
    assert sum(owed.values()) == status["bounty"] + 2 * status["parameters"]["stake"]
    owes = next(who for who in "012" if owed[who])
    assert "Owed to it by the market (sumchain market withdraw)" in run(tmp_path, "balance", "--account", owes).stdout
    for who in "012":
        if owed[who]:
            assert run(tmp_path, "market", "withdraw", "--account", who).stdout.startswith("Withdrew ")
    fails(tmp_path, "market", "withdraw", "--account", "1", message="nothing to withdraw")
    shown = run(tmp_path, "market", "status").stdout
    assert "phase done" in shown and "sentiment market" in shown
    finalized = run(tmp_path, "market", "finalize", "--mechanism", "points").stdout
    assert "Finalizing with the" in finalized and "with Points" in finalized
    info = json.loads(run(tmp_path, "info", "--json").stdout)  # the finalized model is the current one
    assert info["mechanism"] == "points" and info["name"] == "sentiment market (finalized)"


def test_market_commands_refuse_a_model_that_is_not_a_market(tmp_path) -> None:
    deployed(tmp_path)
    fails(tmp_path, "market", "status", message="runs Deposit, Refund and Take, not a prediction market")
    fails(tmp_path, "deploy", "--mechanism", "prediction_market", message="is created with `sumchain market create`")


def test_a_commit_stopped_half_way_carries_on_with_its_file(tmp_path) -> None:
    texts, labels = tiny_reviews()
    rows = [{"text": t, "label": y} for t, y in zip(texts[:48], labels[:48], strict=True)]
    (tmp_path / "test.json").write_text(json.dumps(rows))
    run(tmp_path, "market", "create", "--bounty", "0.1ether", "--name", "halted")
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    try:  # as a commit stopped after its first transaction leaves it: the file, and one piece committed
        market = Market(SharedModel(chain, chain.notes["model"]))
        hidden = split_test_set(*read_test_set(market.model, tmp_path / "test.json"), pieces=3)
        hidden.save(tmp_path / ".sumchain" / f"market-{market.address}.json")
        market.commit(HiddenTestSet(hidden.pieces[:1]))
        other = split_test_set(*read_test_set(market.model, tmp_path / "test.json"), pieces=3)  # other salts
        with pytest.raises(SumchainError, match="holds 1 commitments of other pieces"):
            market.commit(other)
    finally:
        chain.close()
    fails(tmp_path, "market", "commit", "test.json", "--secret", "new.json", message="holds 1 commitments already")
    carried = run(tmp_path, "market", "commit", "test.json").stdout
    assert "1 of 3 pieces are committed already" in carried and "Committed 48 test samples in 3 pieces" in carried
    assert "participation is open" in run(tmp_path, "market", "reveal").stdout  # the salts of the file reveal it


def test_a_market_at_the_same_address_on_another_chain_never_gets_the_salts_of_the_first(tmp_path) -> None:
    """The same provider on two chains gets the same address for its market: the salts of the first,
    public once revealed there, must not hide the same test set on the second."""
    texts, labels = tiny_reviews()
    rows = [{"text": t, "label": y} for t, y in zip(texts[:8], labels[:8], strict=True)]
    (tmp_path / "test.json").write_text(json.dumps(rows))
    second = ("--chain", f"embedded:{tmp_path / 'second.sqlite'}")
    addresses = []
    for chain in ((), second):
        created = run(tmp_path, *chain, "market", "create", "--bounty", "0.1ether", "--name", "same address")
        addresses.append(created.stdout.splitlines()[-2])
        run(tmp_path, *chain, "market", "commit", "test.json")
        assert "participation is open" in run(tmp_path, *chain, "market", "reveal").stdout
    assert addresses[0] == addresses[1]
    kept = [json.loads(k.read_text()) for k in (tmp_path / ".sumchain").glob(f"market-{addresses[0]}*.json")]
    assert len(kept) == 2 and kept[0]["market"] != kept[1]["market"]
    assert not {p["salt"] for p in kept[0]["pieces"]} & {p["salt"] for p in kept[1]["pieces"]}
    first = next((tmp_path / ".sumchain").glob(f"market-{addresses[0]}*.json"))
    run(tmp_path, *second, "market", "create", "--bounty", "0.1ether", "--name", "third")
    refused = ("market", "commit", "test.json", "--secret", str(first))
    fails(tmp_path, *second, *refused, message="split for another market")


def test_a_market_on_a_model_file_of_any_type(tmp_path) -> None:
    """--model-file runs the market on a reference model file (here naive Bayes, three classes)."""
    (tmp_path / "mood.json").write_text(json.dumps(MOOD))
    rows = [{"sample": [2 * k + i % 2], "label": k} for i in range(4) for k in range(3)]
    (tmp_path / "test.json").write_text(json.dumps(rows))
    create = ("market", "create", "--bounty", "0.1ether", "--min-duration", "1h")
    fails(tmp_path, *create, "--encoder", "IMDB vocab", message="--encoder goes with --model-file")
    fails(tmp_path, *create, "--model-file", "mood.json", "--encoder", "foo", message="'MurmurHash3' or 'hashing'")
    fails(tmp_path, *create, "--model-file", "absent.json", message="absent.json")
    fails(tmp_path, "--max-deposit", "0.01ether", *create, message="the bounty 0.1 ETH is more than --max-deposit")
    assert "No model is listed" in run(tmp_path, "models").stdout  # refused before anything was deployed
    created = run(tmp_path, *create, "--model-file", "mood.json", "--name", "mood market").stdout
    assert "Read a naive bayes model from mood.json" in created and "with Prediction market" in created
    info = json.loads(run(tmp_path, "info", "--json").stdout)
    assert (info["model_type"], info["classes"], info["name"]) == (
        "naive bayes",
        ["sad", "neutral", "happy"],
        "mood market",
    )
    assert (info["mechanism"], info["phase"], info["mechanism_parameters"]) == (
        "prediction_market",
        "commit",
        {
            "stake": 10**15,
            "min_duration": 3_600,
            "min_contributions": 1,
            "reveal_window": 86_400,
            "claim_wait": 366 * 86_400,
        },
    )
    assert "Prediction market in the commit phase, a stake of 0.001 ETH" in run(tmp_path, "info").stdout
    run(tmp_path, "market", "commit", "test.json")
    run(tmp_path, "market", "reveal")
    run(tmp_path, "market", "contribute", "--sample", "4", "--label", "happy", "--account", "1")
    run(tmp_path, "time", "advance", "1h")
    run(tmp_path, "market", "end")
    run(tmp_path, "market", "reveal")
    assert "Evaluated 1 contributions" in run(tmp_path, "market", "evaluate").stdout
    assert json.loads(run(tmp_path, "market", "status", "--json").stdout)["phase"] == "done"
    fails(tmp_path, "market", "evaluate", message="nothing to evaluate: the market is done")
    fails(
        tmp_path, "export", "dataset", "d.csv", "--format", "json", message="--format takes csv or parquet, not 'json'"
    )


def test_the_provider_cancels_before_participation_and_withdraws_the_bounty(tmp_path) -> None:
    run(tmp_path, "market", "create", "--bounty", "0.1ether", "--name", "cancelled")
    fails(tmp_path, "market", "cancel", "--account", "1", message="market: caller is not the provider")
    assert "Cancelled the market: 0.1 ETH is owed to the provider" in run(tmp_path, "market", "cancel").stdout
    assert json.loads(run(tmp_path, "market", "status", "--json").stdout)["phase"] == "done"
    fails(tmp_path, "market", "reveal", message="nothing to reveal in the done phase")
    fails(tmp_path, "market", "cancel", message="prediction_market: too late to cancel")
    assert "Withdrew 0.1 ETH." in run(tmp_path, "market", "withdraw").stdout


def test_an_evaluation_that_cannot_go_on_is_abandoned_and_what_nobody_withdrew_is_swept(tmp_path) -> None:
    """A provider's naive Bayes model whose class b has counted 2**64 - 1 samples cannot learn a sample of
    class b: every evaluation step is refused. Once it has not moved for the claim wait anyone gives the
    evaluation up, which pays as a forfeit; a claim wait after that, the provider sweeps what a
    contributor left."""
    full = {
        "type": "naive bayes",
        "classifications": ["a", "b"],
        "classCounts": [5, 2**64 - 1],
        "featureCounts": [[[0, 3], [1, 1], [2, 1]], [[1, 2], [2, 1], [3, 3]]],
        "totalNumFeatures": 8,
    }
    (tmp_path / "full.json").write_text(json.dumps(full))
    rows = [{"sample": [0], "label": "a"}, {"sample": [1], "label": "b"}, {"sample": [2, 3], "label": "b"}]
    (tmp_path / "test.json").write_text(json.dumps([*rows, {"sample": [0, 2], "label": "a"}]))
    run(
        tmp_path, "market", "create", "--model-file", "full.json", "--bounty", "1ether", "--stake", "0.01ether",
        "--min-duration", "1m", "--reveal-window", "1h", "--claim-wait", "1d",
    )  # fmt: skip
    run(tmp_path, "market", "commit", "test.json")
    run(tmp_path, "market", "reveal")
    run(tmp_path, "market", "contribute", "--sample", "1,3", "--label", "b", "--account", "1")
    run(tmp_path, "market", "contribute", "--sample", "0", "--label", "a", "--account", "2")
    run(tmp_path, "time", "advance", "1m")
    run(tmp_path, "market", "end", "--account", "1")
    run(tmp_path, "market", "reveal")
    fails(
        tmp_path, "market", "evaluate", message="naive_bayes: count overflows its field); if it stays refused, anyone"
    )
    fails(tmp_path, "market", "abandon", message="prediction_market: the evaluation moved within the claim wait")
    shown = run(tmp_path, "market", "status").stdout
    moved_at = json.loads(run(tmp_path, "market", "status", "--json").stdout)["moved_at"]
    shown = " ".join(shown.split())  # as wrapped to the terminal's width
    assert "lasts at least 1m and needs 1 contribution(s), or lasts the claim wait more; reveal window 1h" in shown
    deadline = when(moved_at + 86_400)
    assert f"claim wait 1d. Unless a step moves the evaluation first, anyone may give it up after {deadline}" in shown
    run(tmp_path, "time", "advance", "1d")
    run(tmp_path, "time", "advance", "1h")
    fails(tmp_path, "market", "evaluate", message="anyone may give it up: sumchain market abandon")
    abandoned = run(tmp_path, "market", "abandon", "--account", "3").stdout
    assert "each contributor gets its stakes back with a share of the bounty" in abandoned
    owed = {who: json.loads(run(tmp_path, "market", "status", "--json", "--account", who).stdout) for who in "012"}
    assert [owed[who]["owed_to_you"] for who in "012"] == [0, 51 * 10**16, 51 * 10**16]
    assert owed["0"]["phase"] == "done"
    run(tmp_path, "market", "withdraw", "--account", "1")
    fails(tmp_path, "market", "sweep", message="prediction_market: claim wait not over")
    fails(tmp_path, "market", "finalize", message="0 of 2 applied: a forfeit or an abandoned evaluation")
    run(tmp_path, "time", "advance", "1d")
    fails(tmp_path, "market", "sweep", "--account", "1", message="market: caller is not the provider")
    swept = run(tmp_path, "market", "sweep").stdout
    assert "Swept 0.51 ETH from 0x" in swept and "Swept 0.51 ETH in all" in swept
    assert run(tmp_path, "market", "sweep").stdout.startswith("Nothing to sweep")
    assert run(tmp_path, "market", "withdraw").stdout.startswith("Withdrew 0.51 ETH")


def test_a_market_left_without_its_bounty_is_funded_and_a_resumed_commit_names_its_file(tmp_path) -> None:
    """A creation stopped before the funding left a market that no commit could seal: the commit now says
    so before writing anything, and ``market fund`` funds it. A test set the model cannot take writes
    nothing. A commit that stopped half-way, run again without its --pieces, names the file it carries on."""
    from sumchain.cli.models import sample_model
    from sumchain.incentives import DAY, PredictionMarket
    from sumchain.market import hidden_set_file, hidden_set_tag

    texts, labels = tiny_reviews()
    rows = [{"text": t, "label": y} for t, y in zip(texts[:48], labels[:48], strict=True)]
    (tmp_path / "test.json").write_text(json.dumps(rows))
    (tmp_path / "bad.json").write_text(json.dumps([{"sample": [1, 2, 5000], "label": 1}, {"sample": [3], "label": 0}]))
    (tmp_path / ".sumchain").mkdir()
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    try:  # what a creation stopped after the deployment leaves
        parameters = PredictionMarket(
            stake=10**15, min_duration=3600, min_contributions=1, reveal_window=DAY, claim_wait=DAY
        )
        mirror, metadata = sample_model()
        address = SharedModel.deploy(chain, mirror, mechanism=parameters, metadata=metadata).address
    finally:
        chain.close()
    at = ("--model", address)
    fails(tmp_path, *at, "market", "commit", "test.json", message="the market has no bounty (its creation stopped")
    fails(tmp_path, *at, "market", "fund", "0", message="the bounty must be more than 0")
    fails(tmp_path, *at, "market", "fund", "0.1ether", "--account", "1", message="market: caller is not the provider")
    assert run(tmp_path, *at, "market", "fund", "0.1ether").stdout.startswith("Added 0.1 ETH to the bounty: 0.1 ETH")
    fails(tmp_path, *at, "market", "commit", "bad.json", message="5000")
    assert not list((tmp_path / ".sumchain").glob("market-*.json"))  # nothing kept of a refused commit
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    try:  # a commit of 3 pieces stopped after its first transaction: its file, one piece committed
        market = Market(SharedModel(chain, address))
        samples, numbers = read_test_set(market.model, tmp_path / "test.json")
        hidden = split_test_set(samples, numbers, pieces=3)
        kept = hidden_set_file(tmp_path / ".sumchain", address, hidden_set_tag(samples, numbers, 3, market.identity))
        hidden.save(kept)
        market.commit(HiddenTestSet(hidden.pieces[:1]))
    finally:
        chain.close()
    carried = run(tmp_path, *at, "market", "commit", "test.json").stdout  # without --pieces 3
    assert f"Carrying on the commit of {kept.relative_to(tmp_path)}" in " ".join(carried.split()), carried
    assert "Committed 48 test samples in 3 pieces" in carried
    assert [p.name for p in (tmp_path / ".sumchain").glob("market-*.json")] == [kept.name]
