"""The model registry on a real anvil node: listing at deployment, finding by name from
Python and from the command line, the owner rules and their revert reasons over RPC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sumchain import ContractReverted, ModelMetadata, SharedModel, SparsePerceptron
from sumchain.chain.rpc import RpcChain
from sumchain.errors import NameTaken, NotAModel, RegistryError
from sumchain.registry import Registry
from tests.helpers import run_sumchain

pytestmark = pytest.mark.anvil

MIRROR = SparsePerceptron.from_weights([5, -5, 0, 0])


def test_list_find_and_delist_on_a_node(chain: RpcChain, tmp_path: Path) -> None:
    registry = Registry.deploy(chain)
    assert Registry.configured(chain) is None  # a node's registry is named, never assumed
    meta = ModelMetadata(name="on anvil", n_features=4, description="Deployed over JSON-RPC.")
    model = SharedModel.deploy(chain, MIRROR, metadata=meta, registry=registry)
    (entry,) = registry.entries()
    assert (entry.name, entry.address, entry.owner) == ("on anvil", model.address, chain.accounts[0])
    assert (entry.model_type, entry.description, entry.problem) == (
        "sparse perceptron",
        "Deployed over JSON-RPC.",
        None,
    )
    assert registry.model("on anvil").predict([0]) == 1

    block = chain.block_number()
    with pytest.raises(NameTaken, match="the name 'on anvil' is taken"):
        SharedModel.deploy(chain, MIRROR, metadata=meta, registry=registry, sender=1)
    with pytest.raises(NotAModel, match="is not a sumchain model"):
        registry.register(chain.accounts[2], name="an account")
    with pytest.raises(RegistryError, match="only the owner may"):
        registry.delist("on anvil", sender=1)
    with pytest.raises(ContractReverted, match="registry: caller is not the model's owner"):
        chain.transact(registry.address, registry.abi.encode_call("delist", model.address), sender=chain.accounts[1])
    assert chain.block_number() == block

    on_node = ("--chain", chain.url, "--registry", registry.address)
    listed = run_sumchain(tmp_path, *on_node, "models", "--json")
    assert [e["address"] for e in json.loads(listed.stdout)] == [model.address], listed.stderr
    predicted = run_sumchain(tmp_path, *on_node, "--model", "on anvil", "predict", "--sample", "1")
    assert predicted.stdout.strip() == "0", predicted.stderr
    unknown = run_sumchain(tmp_path, "--chain", chain.url, "--model", "on anvil", "predict", "--sample", "1")
    assert unknown.returncode == 1 and "no model registry known for this chain" in unknown.stderr

    assert registry.delist("on anvil").address == model.address
    assert registry.entries() == []
