"""The registry client: chain files come with a registry, deploy lists by default, names are
checked before anything is sent, and entries that lead nowhere say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from sumchain import EmbeddedChain, ModelMetadata, SharedModel, SparsePerceptron
from sumchain.encoders import HashingEncoder
from sumchain.errors import InvalidName, NameTaken, NotAModel, RegistryError, UnknownName
from sumchain.registry import EMBEDDED_DEPLOYER, NOTE, Registry, check_name, hash_test_set
from tests.helpers import Impostor

MIRROR = SparsePerceptron.from_weights([5, -5, 0, 0])


def meta(name: str) -> ModelMetadata:
    return ModelMetadata(name=name, n_features=4)


@pytest.fixture
def registry(chain: EmbeddedChain) -> Registry:
    return Registry.deploy(chain)


def test_a_new_chain_file_comes_with_a_registry_and_deploy_lists_into_it(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path / "chain.sqlite")
    registry = Registry.configured(chain)
    assert registry is not None and chain.notes[NOTE] == registry.address
    assert chain.nonce(chain.accounts[0]) == 0  # no dev account paid for it
    encoder = HashingEncoder(n_features=4)
    model = SharedModel.deploy(chain, MIRROR, metadata=encoder.metadata("toy", description="A toy."))
    (entry,) = registry.entries()
    assert entry.to_json() == {
        "name": "toy",
        "address": model.address,
        "owner": chain.accounts[0],
        "deployed_at": model.deployed_at,
        "model_type": "sparse perceptron",
        "mechanism": "Deposit, Refund and Take",
        "description": "A toy.",
        "encoder": encoder.id,
        "problem": None,
        "score": None,
    }
    chain.close()
    reopened = EmbeddedChain(tmp_path / "chain.sqlite")
    assert Registry.configured(reopened).find("toy") == entry  # type: ignore[union-attr]
    assert EmbeddedChain(tmp_path / "other.sqlite").notes[NOTE] == registry.address  # the deployer's first contract


def test_a_new_chain_file_appears_with_its_registry_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that opens the file as soon as it exists finds the registry (it used to deploy unlisted,
    once in about 35 races): the registry goes in under a temporary name, before the file is moved into place."""
    path, seen = tmp_path / "chain.sqlite", []
    ensure = Registry.ensure.__func__

    def watched(cls: type[Registry], chain: EmbeddedChain) -> Registry:
        seen.append(path.exists())
        return ensure(cls, chain)

    monkeypatch.setattr(Registry, "ensure", classmethod(watched))
    chain = EmbeddedChain(path)
    assert seen == [False] and Registry.configured(chain) is not None
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("chain.sqlite")) == []


def test_an_older_chain_file_gets_its_registry_on_first_need(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(Registry, "ensure", classmethod(lambda cls, chain: None))
        chain = EmbeddedChain(tmp_path / "chain.sqlite")  # as files were before registries
    assert Registry.configured(chain) is None
    unlisted = SharedModel.deploy(chain, MIRROR)  # no registry configured: nothing to list into
    registry = Registry.ensure(chain)
    assert registry.entries() == [] and Registry.ensure(chain).address == registry.address
    assert chain.nonce(EMBEDDED_DEPLOYER) == 1
    registry.register(unlisted, name="listed later")
    assert registry.find("listed later").address == unlisted.address


def test_deploy_lists_by_default_and_not_when_told(chain: EmbeddedChain, registry: Registry) -> None:
    chain.remember(NOTE, registry.address)
    listed = []
    first = SharedModel.deploy(chain, MIRROR, metadata=meta("first"), on_listed=listed.append)
    assert listed[0].entry.address == first.address and listed[0].replaced is None
    assert first.words_loaded() == len(MIRROR.to_words())  # listed, then uploaded
    SharedModel.deploy(chain, MIRROR, metadata=meta("unlisted"), registry=False)
    other = Registry.deploy(chain)
    SharedModel.deploy(chain, MIRROR, metadata=meta("elsewhere"), registry=other)
    assert [e.name for e in registry.entries()] == ["first"]
    assert [e.name for e in other.entries()] == ["elsewhere"]


def test_a_name_moves_to_its_owners_new_model_and_no_one_else_takes_it(
    chain: EmbeddedChain, registry: Registry
) -> None:
    old = SharedModel.deploy(chain, MIRROR, metadata=meta("sentiment"), registry=registry)
    new = SharedModel.deploy(chain, MIRROR, metadata=meta("sentiment"))
    assert registry.register(new).replaced == old.address
    assert [e.address for e in registry.entries()] == [new.address]
    block = chain.block_number()
    with pytest.raises(NameTaken, match=f"the name 'sentiment' is taken: {new.address}"):
        SharedModel.deploy(chain, MIRROR, metadata=meta("sentiment"), registry=registry, sender=1)
    assert chain.block_number() == block  # checked before anything was sent


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("é" * 33, "takes 66 bytes; the registry takes at most 64"),
        (" padded", "leading or trailing spaces"),
        ("two\nlines", "control characters"),
        ("0x" + "ab" * 20, "looks like an address"),
        ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267", "looks like an address"),  # its case no checksum
    ],
)
def test_names_the_registry_refuses(
    chain: EmbeddedChain, registry: Registry, model: SharedModel, name: str, reason: str
) -> None:
    with pytest.raises(InvalidName, match=reason):
        check_name(name)
    block = chain.block_number()
    with pytest.raises(InvalidName, match=reason):
        registry.register(model, name=name)
    with pytest.raises(InvalidName, match=reason):
        SharedModel.deploy(chain, MIRROR, metadata=meta(name), registry=registry)
    assert chain.block_number() == block and registry.entries() == []


def test_only_models_and_their_owners(chain: EmbeddedChain, registry: Registry, model: SharedModel) -> None:
    block = chain.block_number()
    for address in (chain.accounts[3], registry.address, "0x" + "77" * 20):
        with pytest.raises(NotAModel, match=f"{address[:10]}.* is not a sumchain model"):
            registry.register(address, name="nothing")
    with pytest.raises(RegistryError, match=f"is not the owner of {model.address}"):
        registry.register(model, name="not mine", sender=1)
    registry.register(model, name="mine")
    with pytest.raises(RegistryError, match="is already listed as 'mine'"):
        registry.register(model, name="twice")
    with pytest.raises(RegistryError, match="only the owner may"):
        registry.delist("mine", sender=1)
    assert chain.block_number() == block + 1
    with pytest.raises(RegistryError, match="is not a sumchain model registry"):
        Registry(chain, model.address)


def test_find_and_delist_by_name_or_address(chain: EmbeddedChain, registry: Registry, model: SharedModel) -> None:
    registry.register(model, name="Movie Sentiment")
    assert registry.model("Movie Sentiment").address == model.address
    assert registry.model(model.address).address == model.address
    with pytest.raises(UnknownName, match=r"no model named 'movie sentiment' .*did you mean 'Movie Sentiment'"):
        registry.find("movie sentiment")
    assert registry.delist(model.address).name == "Movie Sentiment"
    with pytest.raises(UnknownName, match=f"{model.address} is not listed"):
        registry.delist(model.address)
    with pytest.raises(UnknownName, match="no model named 'Movie Sentiment' in the registry at"):
        registry.delist("Movie Sentiment")
    assert registry.entries() == [] and registry.count() == 1


def test_entries_read_every_page(chain: EmbeddedChain, registry: Registry) -> None:
    impostors = [Impostor.deploy(chain) for _ in range(230)]
    for i, impostor in enumerate(impostors):
        data = registry.abi.encode_call("register", impostor.address, f"m{i}")
        chain.transact(registry.address, data, sender=chain.accounts[0])
    registry.delist("m100")
    entries = registry.entries(details=False)
    assert [e.name for e in entries] == [f"m{i}" for i in range(230) if i != 100]
    assert all(e.model_type is None and e.problem is None for e in entries)


@pytest.mark.parametrize("engine", ["revm", "py-evm"])
def test_entries_that_lead_nowhere_say_so(engine: str) -> None:
    """An impostor (owner() and deployed_at() but no model) and a listing whose contract
    self-destructed in its creating transaction: listed, and shown as unusable. (The revm
    engine once deleted the code of another account of that transaction, picked by the
    random order of revm's journal: often the registry itself.)"""
    chain = EmbeddedChain(engine=engine)
    registry = Registry.deploy(chain)
    impostor, factory = Impostor.deploy(chain), Impostor.deploy(chain)
    chain.transact(
        registry.address, registry.abi.encode_call("register", impostor.address, "impostor"), sender=chain.accounts[0]
    )
    factory.send("list_and_destroy", registry.address, "ghost")
    problems = {e.name: e.problem for e in registry.entries()}
    assert problems.keys() == {"impostor", "ghost"} and all("is not a sumchain model" in p for p in problems.values())
    for name in ("impostor", "ghost"):
        with pytest.raises(NotAModel, match=f"the registry's entry '{name}' is unusable: 0x.* is not a sumchain model"):
            registry.model(name)
    ghost = registry.find("ghost")
    assert ghost.owner == factory.address and chain.call(ghost.address, b"") == b""
    assert chain.call(factory.address, factory.abi.encode_call("deployed_at")) != b""


def test_the_owner_publishes_the_score_the_model_on_chain_gets(chain: EmbeddedChain, registry: Registry) -> None:
    model = SharedModel.deploy(chain, MIRROR, metadata=meta("toy"), registry=registry)
    samples, labels = [[0], [1], [0, 2], [1, 3]], [1, 0, 0, 0]  # the model says 1, 0, 1, 0: three right
    before = chain.block_number()
    score, receipt = registry.publish_score("toy", samples, labels)
    assert (score.correct, score.total, score.accuracy) == (3, 4, 0.75)
    assert score.test_set == "0x" + hash_test_set(samples, labels).hex() and score.published_at == before + 1
    assert registry.find("toy").score == score == registry.score_of(model.address)
    assert registry.entries()[0].to_json()["score"] == {
        "correct": 3,
        "total": 4,
        "test_set": score.test_set,
        "published_at": score.published_at,
        "accuracy": 0.75,
    }
    again, _ = registry.publish_score(model.address, [[0]], ["1"])  # a later score replaces it; labels by number
    assert (again.correct, again.total) == (1, 1) and registry.find("toy").score == again
    assert receipt.gas_used <= 73_300, receipt.gas_used  # 71,785: two fresh words and the event


def test_only_the_owner_publishes_a_score_of_a_listed_model(chain: EmbeddedChain, registry: Registry) -> None:
    model = SharedModel.deploy(chain, MIRROR, metadata=meta("toy"), registry=registry)
    unlisted = SharedModel.deploy(chain, MIRROR, metadata=meta("other"), registry=False)
    before = chain.block_number()
    with pytest.raises(RegistryError, match="is not the owner of"):
        registry.publish_score("toy", [[0]], [1], sender=1)
    with pytest.raises(UnknownName, match="is not listed"):
        registry.publish_score(unlisted.address, [[0]], [1])
    with pytest.raises(RegistryError, match="a score needs test samples and one label each, got 0 and 0"):
        registry.publish_score("toy", [], [])
    with pytest.raises(RegistryError, match="got 2 and 1"):
        registry.publish_score("toy", [[0], [1]], [1])
    assert chain.block_number() == before and registry.score_of(model.address) is None


def test_a_registry_of_version_1_keeps_no_scores(chain: EmbeddedChain, registry: Registry) -> None:
    model = SharedModel.deploy(chain, MIRROR, metadata=meta("toy"), registry=registry)
    registry.publish_score("toy", [[0]], [1])
    registry.version = 1  # as a registry deployed before scores answers
    assert registry.score_of(model.address) is None and registry.find("toy").score is None
    with pytest.raises(RegistryError, match="version 1, which keeps no scores"):
        registry.publish_score("toy", [[0]], [1])
