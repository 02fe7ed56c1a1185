"""The command line on a real anvil node: ``sumchain export dataset`` (CSV and Parquet rows are the
contributions the command line sent, as the node's events tell them) and ``--max-deposit``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sumchain import SharedModel
from sumchain.chain.rpc import RpcChain
from sumchain.dataset import read_dataset
from sumchain.registry import NOTE, Registry
from tests.cli.test_audit_cli import SENT, mood_with_contributions
from tests.cli.test_cli import refuses_a_deposit_over_the_maximum, run

pytestmark = pytest.mark.anvil


def test_export_dataset_from_a_node_to_csv_and_parquet(chain: RpcChain, tmp_path: Path) -> None:
    node = ("--chain", chain.url)
    address = mood_with_contributions(tmp_path, *node)
    out = run(tmp_path, *node, "export", "dataset", "mood.csv").stdout.strip()
    assert out == "Wrote 3 contributions to mood.csv (csv)."
    run(tmp_path, *node, "export", "dataset", "mood.out", "--format", "parquet")
    model = SharedModel(chain, address)
    expected = tuple(model.contributions(everyone=True))
    for written in (read_dataset(tmp_path / "mood.csv"), read_dataset(tmp_path / "mood.out", format="parquet")):
        assert written.contributions == expected
        assert written.class_names == ("sad", "neutral", "happy")
        rows = [(c.data, written.class_names[c.label], c.author, c.status) for c in written.contributions]
        assert rows == [(sample, label, chain.accounts[1], "held") for sample, label in SENT]
        assert [c.deposit for c in written.contributions] == [c.deposit for c in expected] and expected[0].deposit > 0
        assert [c.block_number for c in written.contributions] == sorted({c.block_number for c in expected})


def test_max_deposit_holds_on_a_dev_node(chain: RpcChain, tmp_path: Path) -> None:
    refuses_a_deposit_over_the_maximum(tmp_path, "--chain", chain.url)


def test_a_deploy_on_a_node_without_a_known_registry_says_it_stays_unlisted(chain: RpcChain, tmp_path: Path) -> None:
    deployed = run(tmp_path, "--chain", chain.url, "deploy", "--name", "alone")
    assert (
        "no model registry is known for this node" in deployed.stderr
        and "'alone' is deployed unlisted" in deployed.stderr
    )
    quiet = run(tmp_path, "--chain", chain.url, "deploy", "--name", "alone", "--no-register")
    assert "registry" not in quiet.stderr


def test_notes_are_the_chains_at_its_host_and_keep_no_url_path(chain: RpcChain, tmp_path: Path) -> None:
    """Keyed by the chain's id and first block at the node's host: another path on it finds the current model,
    the file holds no path (where API keys go), and an older sumchain's notes under the whole URL move there."""
    workspace = tmp_path / ".sumchain" / "workspace.json"
    workspace.parent.mkdir()
    registry = Registry.deploy(chain)
    workspace.write_text(json.dumps({f"{chain.url} {chain.chain_id}": {NOTE: registry.address}}))
    run(tmp_path, "--chain", chain.url, "deploy", "--name", "spelled")
    found = json.loads(run(tmp_path, "--chain", chain.url + "/", "info", "--json").stdout)
    assert found["address"] == registry.find("spelled").address
    (key,) = json.loads(workspace.read_text())
    assert key == f"chain {chain.chain_id} genesis {chain.block_hashes([0])[0]} at {chain.url}"
