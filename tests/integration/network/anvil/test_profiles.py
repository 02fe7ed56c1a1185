"""Chain profiles: ``--chain NAME`` takes a node's URL, chain id, account and confirmations from
the TOML config file, for every command; a wrong chain id or a bad file is one line, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from sumchain.chain.rpc import RpcChain
from sumchain.cli.session import Session
from tests.helpers import run_sumchain

pytestmark = pytest.mark.anvil


@pytest.fixture
def config(tmp_path: Path, anvil_chain: RpcChain) -> dict[str, str]:
    """A config file with profiles of the session's anvil node; the environment that selects it."""
    url = anvil_chain.url
    (tmp_path / "config.toml").write_text(
        f"""
[chains.local]
url = "{url}"
chain_id = 31337
account = "2"

[chains.careful]
url = "{url}"
confirmations = 3

[chains.elsewhere]
url = "{url}"
chain_id = 1
"""
    )
    return {"SUMCHAIN_CONFIG": str(tmp_path / "config.toml")}


def test_a_profile_is_its_node_and_account(tmp_path: Path, config: dict[str, str], anvil_chain: RpcChain) -> None:
    by_profile = run_sumchain(tmp_path, "--chain", "local", "balance", env=config)
    by_url = run_sumchain(tmp_path, "--chain", anvil_chain.url, "--account", "2", "balance", env=config)
    assert by_profile.returncode == 0, by_profile.stderr
    assert by_profile.stdout == by_url.stdout and by_profile.stdout.startswith(anvil_chain.accounts[2])
    overridden = run_sumchain(tmp_path, "--chain", "local", "--account", "4", "balance", env=config)
    assert overridden.stdout.startswith(anvil_chain.accounts[4])


def test_a_profile_sets_the_confirmations(monkeypatch: pytest.MonkeyPatch, config: dict[str, str]) -> None:
    monkeypatch.setenv("SUMCHAIN_CONFIG", config["SUMCHAIN_CONFIG"])
    session = Session()
    options = {"account": None, "model": None, "registry": None, "yes": True, "max_deposit": None}
    session.configure(chain="careful", password_file=None, timeout=5, **options)
    chain = session.chain()
    assert isinstance(chain, RpcChain) and chain.confirmations == 3
    session.configure(chain="local", password_file=None, timeout=5, **options)
    assert session.chain().confirmations == 1  # type: ignore[attr-defined]


def test_a_wrong_chain_id_is_one_line_and_sends_nothing(
    tmp_path: Path, config: dict[str, str], anvil_chain: RpcChain
) -> None:
    before = anvil_chain.block_number()
    done = run_sumchain(tmp_path, "--chain", "elsewhere", "time", "advance", "60", env=config)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"profile 'elsewhere' expects chain id 1, but {anvil_chain.url} is chain 31337" in done.stderr
    assert anvil_chain.block_number() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[chains.x]\nurl = 'http://127.0.0.1:1'\nrpc = 'typo'\n", "profile 'x': unknown key 'rpc'"),
        ("[chains.x]\nurl = 'ws://127.0.0.1:1'\n", "profile 'x': `url` must be an http(s):// node URL"),
        ("[chains.x]\nurl = 'http://127.0.0.1:1'\nconfirmations = 0\n", "`confirmations` must be a whole number"),
        ("[chains.x\n", "cannot read the chain profiles in"),
    ],
)
def test_a_bad_config_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    done = run_sumchain(tmp_path, "--chain", "x", "balance", env={"SUMCHAIN_CONFIG": str(tmp_path / "bad.toml")})
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr


def test_an_unknown_chain_names_the_profiles(tmp_path: Path, config: dict[str, str]) -> None:
    done = run_sumchain(tmp_path, "--chain", "sepolia", "balance", env=config)
    assert done.returncode == 1
    assert "unknown chain 'sepolia': use embedded, embedded:PATH, memory, a node URL, or a profile " in done.stderr
    assert "(careful, elsewhere, local)" in done.stderr
