"""``sumchain.audit`` on a real anvil node: every model audits OK after adds, refunds and
reports; a parameter word poked with ``anvil_setStorageAt`` is named, with the first
contribution after which the chain differs (found in the node's past state)."""

from __future__ import annotations

import numpy as np
import pytest

from sumchain import ContractReverted, SharedModel
from sumchain.audit import audit
from sumchain.chain.rpc import RpcChain
from sumchain.models.reference_file import model_from_spec
from tests.activity import add_some, busy_model, words_base_slot
from tests.helpers import deploy_interrupted
from tests.unit.test_every_model import TYPES, spec_for

pytestmark = pytest.mark.anvil


@pytest.mark.parametrize("model_type", TYPES)
def test_every_model_audits_ok_on_a_node(chain, model_type) -> None:
    activity = busy_model(chain, model_type, contributions=6)
    report = audit(activity.model)
    assert report.ok, report.summary()
    assert report.contributions == 6 and report.upload_transactions >= 1


def storage(chain: RpcChain, address: str, slot: int) -> int:
    return int(chain.request("eth_getStorageAt", address, hex(slot), "latest"), 16)


def poke(chain: RpcChain, address: str, slot: int, value: int) -> None:
    assert chain.request("anvil_setStorageAt", address, hex(slot), "0x" + value.to_bytes(32, "big").hex())


def poke_word(chain: RpcChain, model: SharedModel, word: int) -> int:
    """Flip the lowest bit of parameter word ``word`` (the middle one for -1) in storage; returns
    its index. anvil changes the state of its latest block, which audits then name."""
    words = model.parameter_words()
    word = len(words) // 2 if word < 0 else word
    base = words_base_slot(lambda slot: storage(chain, model.address, slot), words)
    poke(chain, model.address, base + word, words[word] ^ 1)
    return word


@pytest.mark.parametrize("model_type", ["sparse perceptron", "naive bayes", "dense nearest centroid classifier"])
def test_a_poked_word_is_named_with_the_first_divergent_contribution(chain, model_type) -> None:
    model = busy_model(chain, model_type, contributions=4).model
    rng = np.random.default_rng(8)
    add_some(model, rng, 1)  # contribution #5, in the latest block when the word is poked
    word = poke_word(chain, model, -1)
    add_some(model, rng, 2)
    report = audit(model)
    assert not report.ok
    d = report.divergence
    assert d.word == word and d.on_chain == model.parameter_words()[word] and d.expected != d.on_chain
    assert d.contribution is not None and d.contribution.id == 5 and d.block == d.contribution.block_number
    assert d.where == (
        f"first seen after contribution #5 (key 0x{d.contribution.key.hex()[:10]}, "
        f"time {d.contribution.added_time}, block {d.block})"
    )
    assert report.to_json()["divergence"]["contribution"]["id"] == 5


@pytest.mark.parametrize(
    ("model_type", "before", "after"),
    [("naive bayes", 4, "contribution #4"), ("dense perceptron", 0, "the upload")],
)
def test_a_poke_in_a_block_without_contributions_names_that_block(chain, model_type, before, after) -> None:
    """busy_model's last block holds refunds and reports, or (with no contribution) a time step."""
    model = busy_model(chain, model_type, contributions=before).model
    poke_word(chain, model, 1)
    poked = chain.block_number()
    add_some(model, np.random.default_rng(2), 2)
    d = audit(model).divergence
    assert (d.word, d.block, d.contribution.id) == (1, poked, before + 1)
    assert d.where == f"changed in block {poked}, after {after}, before contribution #{before + 1}, by no contribution"


def test_a_poke_after_the_last_contribution_names_no_contribution(chain) -> None:
    model = busy_model(chain, "sparse perceptron", contributions=3).model
    poke_word(chain, model, 0)
    poked = chain.block_number()
    chain.advance_time(60)
    d = audit(model).divergence
    assert (d.word, d.block, d.contribution) == (0, poked, None)
    assert d.where == f"changed in block {poked}, after contribution #3, by no contribution"


def test_a_poke_in_the_uploads_last_block_names_it(chain) -> None:
    model = SharedModel.deploy(chain, model_from_spec(spec_for("naive bayes", np.random.default_rng(1))))
    poke_word(chain, model, 2)
    uploaded = chain.block_number()
    add_some(model, np.random.default_rng(2), 1)
    d = audit(model).divergence
    assert (d.word, d.block, d.contribution.id) == (2, uploaded, 1)
    assert d.where == f"changed in the upload's last block {uploaded}"


def test_a_failed_upload_transaction_is_left_out(chain) -> None:
    """A mined transaction that reverted (here another account's load_parameters with other words)
    changed nothing: the audit must not take its words for the upload."""
    mirror = model_from_spec(spec_for("naive bayes", np.random.default_rng(1)))
    partial, _ = deploy_interrupted(chain, mirror, chunks=0)
    words = mirror.to_words()
    forged = partial.abi.encode_call("load_parameters", 0, [w ^ 1 for w in words])
    with pytest.raises(ContractReverted):
        chain.transact(partial.address, forged, sender=chain.accounts[3], gas=2_000_000)
    (mined,) = chain.w3.eth.get_block("latest", full_transactions=True)["transactions"]
    assert bytes(mined["input"]) == forged  # mined, and failed
    partial.upload_parameters(words)
    add_some(partial, np.random.default_rng(2), 2)
    report = audit(partial)
    assert report.ok and report.upload_transactions == 1, report.summary()
