"""The registry contract itself, called through its ABI: who may list and delist, unique
names, paging, what it refuses (each success beside its revert twin), and its gas."""

from __future__ import annotations

from typing import Any

import pytest

from sumchain import ContractReverted, EmbeddedChain, SharedModel
from sumchain.chain.abi import ContractABI
from sumchain.chain.compiler import compile_contract
from sumchain.chain.hashing import checksum
from tests.helpers import Impostor

EMPTY = "0x" + "00" * 20


class RawRegistry:
    """The registry contract, called directly (the client checks more before sending)."""

    def __init__(self, chain: EmbeddedChain) -> None:
        compiled = compile_contract("registry")
        self.chain, self.abi = chain, ContractABI(compiled.abi)
        address = chain.deploy(compiled.bytecode, sender=chain.accounts[0]).contract_address
        assert address is not None
        self.address = address

    def send(self, name: str, *args: Any, sender: int = 0) -> int:
        """Send ``name(*args)`` from dev account ``sender``; returns the gas used."""
        data = self.abi.encode_call(name, *args)
        return self.chain.transact(self.address, data, sender=self.chain.accounts[sender]).gas_used

    def read(self, name: str, *args: Any) -> Any:
        return self.abi.decode_output(name, self.chain.call(self.address, self.abi.encode_call(name, *args)))

    def listed(self) -> list[tuple[str, str, int, bytes]]:
        """Every entry, paged as a client does: (model, owner, deployed_at, name)."""
        found = []
        for start in range(0, self.read("count"), 100):
            found += [(checksum(m), checksum(o), b, bytes(n)) for m, o, b, n in self.read("entries", start, 100)]
        return found

    def state(self) -> tuple[Any, ...]:
        return self.read("count"), self.listed(), self.chain.block_number()


@pytest.fixture
def registry(chain: EmbeddedChain) -> RawRegistry:
    return RawRegistry(chain)


def test_the_owner_lists_its_model_and_anyone_reads_it(registry: RawRegistry, model: SharedModel) -> None:
    with pytest.raises(ContractReverted, match="registry: caller is not the model's owner"):
        registry.send("register", model.address, "sentiment", sender=1)
    assert registry.state()[:2] == (0, [])
    registry.send("register", model.address, "sentiment")
    entry = (model.address, model.owner, model.deployed_at, b"sentiment")
    assert registry.listed() == [entry]
    assert registry.read("model_of", "sentiment") == model.address
    assert registry.read("model_of", "Sentiment") == EMPTY  # names are exact
    assert registry.read("entry", model.address)[3] == b"sentiment"
    assert registry.read("entry", registry.address) == (EMPTY, EMPTY, 0, b"")


def test_a_model_is_listed_once(registry: RawRegistry, model: SharedModel) -> None:
    registry.send("register", model.address, "sentiment")
    before = registry.state()
    with pytest.raises(ContractReverted, match="registry: model already listed"):
        registry.send("register", model.address, "another name")
    assert registry.state() == before


def test_a_name_belongs_to_the_owner_who_holds_it(registry: RawRegistry, chain: EmbeddedChain) -> None:
    mine, again, theirs = Impostor.deploy(chain), Impostor.deploy(chain), Impostor.deploy(chain, sender=1)
    registry.send("register", mine.address, "shared name")
    before = registry.state()
    with pytest.raises(ContractReverted, match="registry: name taken by another owner"):
        registry.send("register", theirs.address, "shared name", sender=1)
    assert registry.state() == before
    registry.send("register", again.address, "shared name")  # the same owner: the name moves (a new version)
    assert [e[0] for e in registry.listed()] == [again.address]
    assert registry.read("entry", mine.address)[0] == EMPTY
    registry.send("register", theirs.address, "shared name ", sender=1)  # another name: fine


def test_only_the_owner_delists_and_the_name_is_free_again(registry: RawRegistry, chain: EmbeddedChain) -> None:
    mine, theirs = Impostor.deploy(chain), Impostor.deploy(chain, sender=1)
    registry.send("register", mine.address, "name")
    before = registry.state()
    with pytest.raises(ContractReverted, match="registry: caller is not the model's owner"):
        registry.send("delist", mine.address, sender=1)
    with pytest.raises(ContractReverted, match="registry: model not listed"):
        registry.send("delist", theirs.address, sender=1)
    assert registry.state() == before
    registry.send("delist", mine.address)
    assert registry.listed() == [] and registry.read("model_of", "name") == EMPTY
    with pytest.raises(ContractReverted, match="registry: model not listed"):
        registry.send("delist", mine.address)
    registry.send("register", theirs.address, "name", sender=1)
    registry.send("register", mine.address, "listed again")  # a new position; the old one stays empty
    assert [(e[0], e[3]) for e in registry.listed()] == [(theirs.address, b"name"), (mine.address, b"listed again")]
    assert registry.read("count") == 3


@pytest.mark.parametrize(
    "name", ["x", "é" * 16, "y" * 32, "z" * 33, "w" * 64, "x" * 32 + "y", "0123456789" * 6 + "abcd"]
)
def test_names_of_one_to_64_bytes_read_back_exactly(registry: RawRegistry, chain: EmbeddedChain, name: str) -> None:
    first, second = Impostor.deploy(chain), Impostor.deploy(chain)
    registry.send("register", first.address, "q" * 64)  # dirty name words left behind for `second`'s position
    registry.send("delist", first.address)
    registry.send("register", first.address, name)
    registry.send("register", second.address, name[::-1] + "!" if len(name.encode()) < 64 else "short")
    assert registry.read("entry", first.address)[3].decode() == name


def test_what_the_registry_refuses(registry: RawRegistry, chain: EmbeddedChain, model: SharedModel) -> None:
    impostor = Impostor.deploy(chain)
    impostor.send("set_owner", chain.accounts[0], True)
    before = registry.state()
    cases = [
        (impostor.address, "owner reverts", "registry: not a sumchain model"),
        (registry.address, "no owner() at all", "registry: not a sumchain model"),
        (chain.accounts[3], "an account", "registry: no contract at the address"),
        ("0x" + "77" * 20, "nothing there", "registry: no contract at the address"),
        (model.address, "", "registry: empty name"),
    ]
    for address, name, reason in cases:
        with pytest.raises(ContractReverted, match=reason):
            registry.send("register", address, name)
    with pytest.raises(ContractReverted, match="execution reverted without a reason"):  # the ABI bound: 64 bytes
        registry.send("register", model.address, "n" * 65)
    with pytest.raises(ContractReverted, match="registry: page larger than 100"):
        registry.read("entries", 0, 101)
    assert registry.state() == before


def test_a_contract_may_own_and_list_a_model(registry: RawRegistry, chain: EmbeddedChain) -> None:
    owner, model = Impostor.deploy(chain), Impostor.deploy(chain)
    model.send("set_owner", owner.address, False)
    with pytest.raises(ContractReverted, match="registry: caller is not the model's owner"):
        registry.send("register", model.address, "held by a contract")
    owner.send("register", registry.address, model.address, "held by a contract")
    assert registry.listed()[0][:2] == (model.address, owner.address)


def test_pages_cover_every_position_once(registry: RawRegistry, chain: EmbeddedChain) -> None:
    models = [Impostor.deploy(chain) for _ in range(205)]
    for i, impostor in enumerate(models):
        registry.send("register", impostor.address, f"model {i}")
    for i in (0, 99, 100, 150, 204):
        registry.send("delist", models[i].address)
    kept = [m.address for i, m in enumerate(models) if i not in (0, 99, 100, 150, 204)]
    assert [e[0] for e in registry.listed()] == kept
    assert len(registry.read("entries", 0, 100)) == 98  # positions 0..99, two delisted
    assert [checksum(e[0]) for e in registry.read("entries", 199, 100)] == [m.address for m in models[199:204]]
    assert registry.read("entries", 205, 100) == () and registry.read("entries", 10**30, 100) == ()
    assert registry.read("entries", 3, 0) == ()


def test_gas_of_listing_and_delisting(registry: RawRegistry, chain: EmbeddedChain) -> None:
    """Measured, then pinned at about 2% above. An impostor's ``owner()`` and ``deployed_at()``
    read storage; a trainer's are immutables, so listing a real model costs about 6,000 less
    (``sumchain deploy`` prints it: about 140,000 for the first listing, 123,000 after)."""
    first, second, long_name = Impostor.deploy(chain), Impostor.deploy(chain), Impostor.deploy(chain)
    gas = {
        "first listing": registry.send("register", first.address, "movie sentiment"),
        "later listing": registry.send("register", second.address, "another model"),
        "64-byte name": registry.send("register", long_name.address, "n" * 64),
        "delist": registry.send("delist", second.address),
    }
    assert gas["first listing"] <= 149_600, gas  # 146,636: `count` goes from 0 to 1, one more fresh word
    assert gas["later listing"] <= 132_100, gas  # 129,500: four fresh words (position, entry, name, name hash)
    assert gas["64-byte name"] - gas["later listing"] <= 23_700, gas  # 23,255: the name's second word
    assert gas["delist"] <= 34_600, gas  # 33,876, refunds included


def test_the_owner_publishes_a_score_and_anyone_reads_it(registry: RawRegistry, model: SharedModel) -> None:
    test_set = b"\x11" * 32
    assert registry.read("score", model.address) == (0, 0, b"\x00" * 32, 0)
    with pytest.raises(ContractReverted, match="registry: model not listed"):
        registry.send("publish_score", model.address, 3, 4, test_set)
    registry.send("register", model.address, "sentiment")
    before = registry.read("score", model.address), registry.chain.block_number()
    with pytest.raises(ContractReverted, match="registry: caller is not the model's owner"):
        registry.send("publish_score", model.address, 3, 4, test_set, sender=1)
    with pytest.raises(ContractReverted, match="registry: a score needs 0 < total and correct <= total"):
        registry.send("publish_score", model.address, 5, 4, test_set)
    with pytest.raises(ContractReverted, match="registry: a score needs 0 < total and correct <= total"):
        registry.send("publish_score", model.address, 0, 0, test_set)
    assert (registry.read("score", model.address), registry.chain.block_number()) == before
    gas = registry.send("publish_score", model.address, 3, 4, test_set)
    published = registry.chain.block_number()
    assert registry.read("score", model.address) == (3, 4, test_set, published)
    registry.send("publish_score", model.address, 2**64 - 1, 2**64 - 1, b"\x22" * 32)
    assert registry.read("score", model.address) == (2**64 - 1, 2**64 - 1, b"\x22" * 32, published + 1)
    assert gas <= 73_300, gas  # 71,797: two fresh words (the packed score, the test set's hash) and the event


def test_an_owner_wider_than_an_address_or_a_later_deployment_is_no_model(
    registry: RawRegistry, chain: EmbeddedChain
) -> None:
    """The words a model answers for ``owner()`` and ``deployed_at()``, each just past its bound
    (refused as no model) and at it (taken as a model: then only the owner check remains)."""
    impostor = Impostor.deploy(chain)
    me = int(chain.accounts[0], 16)

    def answer(owner_word: int, deployed_later: int) -> None:
        """Set the words; ``deployed_later`` counts blocks from the registration's, the next one."""
        impostor.send("set_words", owner_word, chain.block_number() + 2 + deployed_later)

    for owner_word, deployed_later, reason in [
        (2**160, 0, "registry: not a sumchain model"),
        (me, 1, "registry: not a sumchain model"),
        (2**160 - 1, 0, "registry: caller is not the model's owner"),
    ]:
        answer(owner_word, deployed_later)
        before = registry.state()
        with pytest.raises(ContractReverted, match=reason):
            registry.send("register", impostor.address, "x")
        assert registry.state() == before
    answer(me, 0)
    registry.send("register", impostor.address, "x")
    assert registry.listed()[0][:2] == (impostor.address, chain.accounts[0])


@pytest.mark.parametrize(
    ("answer", "how"),
    [(2, "reverts with 32 bytes of data, the owner's word"), (3, "answers the owner's word after writing storage")],
)
def test_an_owner_that_misbehaves_is_no_model_even_with_the_callers_word(
    registry: RawRegistry, chain: EmbeddedChain, answer: int, how: str
) -> None:
    """``owner()`` is asked in a static call whose answer counts only when the call succeeds with
    exactly one word: a word that names the caller is refused when ``owner()`` gives it in a revert
    or after writing storage (``how`` says which, in the test's id)."""
    impostor = Impostor.deploy(chain)
    registry.send("register", impostor.address, "the control")  # it answers: listed
    registry.send("delist", impostor.address)
    impostor.send("set_answer", answer)
    before = registry.state()
    with pytest.raises(ContractReverted, match="registry: not a sumchain model"):
        registry.send("register", impostor.address, "x")
    assert registry.state() == before
