"""``sumchain.audit`` on the embedded chain: every model audits OK after adds, refunds and
reports; a word changed in the chain file behind the trainer's back is named; a chain file
that has no record of the upload is refused in one line."""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest

from sumchain import EmbeddedChain, SharedModel, SumchainError
from sumchain.audit import audit
from sumchain.models.reference_file import model_from_spec
from tests.activity import add_some, busy_model, words_base_slot
from tests.conftest import GENESIS
from tests.helpers import deploy_interrupted
from tests.unit.test_every_model import TYPES, spec_for


@pytest.mark.parametrize("model_type", TYPES)
def test_every_model_audits_ok_after_adds_refunds_and_reports(chain, model_type) -> None:
    activity = busy_model(chain, model_type)
    assert activity.refunded and activity.added == 12
    report = audit(activity.model)
    assert report.ok, report.summary()
    assert report.contributions == 12
    assert report.words == len(activity.model.parameter_words()) == report.to_json()["words"]
    assert report.summary().startswith(f"OK: {activity.model.address} ({model_type}): 12 contributions replayed")


def test_reports_happen_in_the_activity(chain) -> None:
    """The activity exercises reports too (else the OK audits above would not cover them)."""
    assert sum(busy_model(chain, t).reported for t in TYPES) > 0


def test_a_model_without_contributions_audits_ok(chain) -> None:
    model = busy_model(chain, "naive bayes", contributions=0).model
    report = audit(model)
    assert report.ok and report.contributions == 0


def poke(path, address: str, word: int, value: int) -> tuple[int, int]:
    """Change parameter word ``word`` in the chain file's storage; returns (old value, slot)."""
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT slot, value FROM storage WHERE address = ?", (address.lower(),)))
        stored = {int.from_bytes(slot, "big"): int.from_bytes(v, "big") for slot, v in rows.items()}
        words = SharedModel(EmbeddedChain(path), address).parameter_words()
        slot = words_base_slot(lambda s: stored.get(s, 0), words) + word
        raw = value.to_bytes(32, "big").lstrip(b"\0")
        db.execute(
            "UPDATE storage SET value = ? WHERE address = ? AND slot = ?",
            (raw, address.lower(), slot.to_bytes(32, "big").lstrip(b"\0")),
        )
        assert db.total_changes == 1
    return words[word], slot


def test_a_word_changed_behind_the_trainers_back_is_named(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path, genesis_time=GENESIS)
    activity = busy_model(chain, "sparse perceptron")
    words = activity.model.parameter_words()
    chain.close()
    word = len(words) - 1
    old, _ = poke(path, activity.model.address, word, words[word] ^ 0xFF)
    model = SharedModel(EmbeddedChain(path), activity.model.address)
    report = audit(model)
    assert not report.ok
    d = report.divergence
    assert (d.word, d.expected, d.on_chain, d.differing_words) == (word, old, old ^ 0xFF, 1)
    assert d.contribution is None and "keeps no past state" in d.where
    assert report.summary().startswith("DIVERGED: ") and f"first word {word}: expected {old}" in report.summary()
    assert report.to_json()["divergence"]["word"] == word


def test_a_chain_file_without_the_upload_is_refused(tmp_path) -> None:
    """A file written before transaction inputs were recorded: the upload cannot be found."""
    path = tmp_path / "chain.sqlite"
    chain = EmbeddedChain(path, genesis_time=GENESIS)
    model = busy_model(chain, "naive bayes", contributions=2).model
    chain.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE transactions")
    reopened = SharedModel(EmbeddedChain(path), model.address)  # opening adds the table back, empty
    with pytest.raises(SumchainError, match=r"no record of the parameter upload .* \(0 of \d+ words found"):
        audit(reopened)


def test_thousands_of_contributions_replay_in_seconds(chain) -> None:
    model = busy_model(chain, "sparse perceptron", contributions=0).model
    add_some(model, np.random.default_rng(5), 2_000)
    started = time.perf_counter()
    report = audit(model)
    assert report.ok and report.contributions == 2_000
    assert time.perf_counter() - started < 30  # about 1 s here; the bound only catches a quadratic replay


def test_an_unfinished_upload_is_refused(chain) -> None:
    mirror = model_from_spec(spec_for("naive bayes", np.random.default_rng(1)))
    partial, _ = deploy_interrupted(chain, mirror, chunks=0)
    with pytest.raises(SumchainError, match=r"upload of 0x[0-9a-fA-F]{40} is unfinished \(0 of \d+ words\)"):
        audit(partial)
