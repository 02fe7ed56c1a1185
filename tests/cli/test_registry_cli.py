"""The registry through the command line: deploy lists, `models` shows, `--model NAME` works
wherever an address does, and every refusal is one line that changes nothing."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sumchain import EmbeddedChain
from sumchain.registry import NOTE, Registry
from tests.cli.test_cli import ADDRESS, deployed, fails, run
from tests.helpers import Impostor, readme_block, run_sumchain


def listed(cwd: Path) -> dict[str, str]:
    """Name -> address of every listed model, from `sumchain models --json`."""
    return {e["name"]: e["address"] for e in json.loads(run(cwd, "models", "--json").stdout)}


def block(cwd: Path) -> int:
    chain = EmbeddedChain(cwd / ".sumchain" / "chain.sqlite")
    try:
        return chain.block_number()
    finally:
        chain.close()


def test_deploy_lists_and_names_work_wherever_an_address_does(tmp_path: Path) -> None:
    out = run(tmp_path, "deploy", "--name", "sentiment", "--description", "Sample reviews.").stdout
    address = ADDRESS.fullmatch(out.splitlines()[-1])[1]
    assert re.search(r"^  listed as 'sentiment' in the registry at 0x[0-9a-fA-F]{40} \(tx gas [\d,]+\)$", out, re.M)
    table = run(tmp_path, "models").stdout
    assert re.search(r"^sentiment\s+sparse perceptron\s+0xf39F…2266\s+\d+\s+" + address[:6], table, re.M), table
    assert "Sample reviews." in table and "IMDB vocab" in table
    assert "1 model in the registry at 0x" in table
    (entry,) = json.loads(run(tmp_path, "models", "--json").stdout)
    assert entry["address"] == address and entry["description"] == "Sample reviews."
    assert (entry["model_type"], entry["mechanism"], entry["problem"]) == (
        "sparse perceptron",
        "Deposit, Refund and Take",
        None,
    )

    run(tmp_path, "deploy", "--name", "unlisted", "--no-register")  # now the current model
    assert listed(tmp_path) == {"sentiment": address}
    assert run(tmp_path, "--model", "sentiment", "predict", "a wonderful film").stdout.strip() == "1 (positive)"
    assert run(tmp_path, "info", "--model", "sentiment", "--json").stdout.count(address) == 1  # after the command too
    env = run_sumchain(tmp_path, "add", "a wonderful film", "--label", "1", env={"SUMCHAIN_MODEL": "sentiment"})
    assert "Added contribution #1" in env.stdout, env.stderr
    assert json.loads(run(tmp_path, "--model", "sentiment", "contributions", "--json").stdout)[0]["id"] == 1


def test_a_description_never_reaches_the_terminal_as_controls(tmp_path: Path) -> None:
    """Whoever deploys writes the name and description: their escape sequences (clear the screen, a link)
    and bidirectional overrides are shown as U+FFFD, never obeyed, and rich's markup as it is written
    (a link, or a broken tag that made the command fail); --json keeps them, escaped."""
    hostile = "Nice\x1b[2J\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \u202eekaf [link=http://evil]click[/link]"
    run(tmp_path, "deploy", "--name", "senti[/b]ment", "--description", hostile)
    for shown in (run(tmp_path, "models").stdout, run(tmp_path, "info").stdout):
        assert "\x1b" not in shown and "\u202e" not in shown and "Nice\ufffd[2J" in shown, shown
        assert "senti[/b]ment" in shown and "[link=http://ev" in shown, shown  # the table cuts it short
    assert json.loads(run(tmp_path, "models", "--json").stdout)[0]["description"] == hostile


def test_register_move_and_delist(tmp_path: Path) -> None:
    first = deployed(tmp_path, "--name", "sentiment")
    second = deployed(tmp_path, "--name", "draft", "--no-register")
    moved = run(tmp_path, "register", "--name", "sentiment").stdout  # the current model takes its owner's name
    assert "listed as 'sentiment' in the registry at 0x" in moved and f"in place of {first}" in moved
    assert listed(tmp_path) == {"sentiment": second}
    third = deployed(tmp_path, "--name", "sentiment")  # a new version by the same owner moves it again
    assert listed(tmp_path) == {"sentiment": third}
    run(tmp_path, "--model", first, "register", "--name", "first version")
    assert "Delisted 'sentiment'" in run(tmp_path, "delist", "sentiment").stdout
    assert "Delisted 'first version'" in run(tmp_path, "delist", first).stdout
    assert "No model is listed in the registry at 0x" in run(tmp_path, "models").stdout
    assert json.loads(run(tmp_path, "models", "--json").stdout) == []


def test_reading_a_folder_without_a_chain_leaves_it_empty(tmp_path: Path) -> None:
    """Commands that only read say there is nothing yet, and do not create the chain file they would read."""
    nothing = "No model is listed: there is no chain file .sumchain/chain.sqlite yet."
    assert run(tmp_path, "models").stdout.strip() == nothing
    assert json.loads(run(tmp_path, "models", "--json").stdout) == []
    for command in (("predict", "good"), ("info",), ("contributions", "--all"), ("market", "status")):
        fails(tmp_path, *command, message="no model given: pass --model NAME or ADDRESS, or deploy one first")
    for command in (("delist", "sentiment"), ("register",), ("--model", "sentiment", "predict", "good")):
        fails(tmp_path, *command, message="no model registry here: there is no chain file .sumchain/chain.sqlite yet")
    fails(tmp_path, "--model", "0x" + "00" * 19 + "01", "info", message="there is no chain file .sumchain/chain.sqlite")
    assert list(tmp_path.iterdir()) == []
    other = tmp_path / "elsewhere.sqlite"
    fails(tmp_path, "--chain", f"embedded:{other}", "delist", "x", message=f"there is no chain file {other} yet")
    assert list(tmp_path.iterdir()) == []
    address = deployed(tmp_path, "--name", "sentiment")  # once there is one, the same commands read it
    assert listed(tmp_path) == {"sentiment": address}
    assert run(tmp_path, "--model", "sentiment", "predict", "good").stdout.strip()


def test_refusals_are_one_line_and_change_nothing(tmp_path: Path) -> None:
    address = deployed(tmp_path, "--name", "sentiment")
    before = block(tmp_path)
    fails(
        tmp_path, "--account", "1", "deploy", "--name", "sentiment", message="NameTaken: the name 'sentiment' is taken"
    )
    fails(
        tmp_path,
        "--account",
        "1",
        "deploy",
        "--name",
        "sentiment",
        message="choose another with --name, or deploy it unlisted with --no-register",
    )
    fails(tmp_path, "deploy", "--name", "n" * 65, message="InvalidName: the name 'nnnn")
    fails(tmp_path, "deploy", "--name", " padded", message="leading or trailing spaces")
    fails(tmp_path, "--model", "sentimen", "predict", "good", message="UnknownName: no model named 'sentimen'")
    fails(tmp_path, "--model", "sentimen", "predict", "good", message="did you mean 'sentiment'?")
    fails(tmp_path, "delist", "nothing", message="UnknownName: no model named 'nothing'")
    fails(tmp_path, "--account", "1", "delist", "sentiment", message=f"is not the owner of {address}")
    fails(tmp_path, "--account", "1", "register", "--name", "mine now", message=f"is not the owner of {address}")
    fails(tmp_path, "register", message=f"{address} is already listed as 'sentiment'")
    fails(tmp_path, "--model", "0x" + "12" * 20, "register", message="is not a sumchain model")
    fails(
        tmp_path,
        "--registry",
        address,
        "models",
        message="RegistryError: " + address + " is not a sumchain model registry",
    )
    assert block(tmp_path) == before
    assert listed(tmp_path) == {"sentiment": address}


def test_an_entry_that_leads_nowhere_is_shown_and_refused_by_name(tmp_path: Path) -> None:
    deployed(tmp_path, "--name", "real")
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    registry = Registry.configured(chain)
    assert registry is not None
    impostor = Impostor.deploy(chain)
    chain.transact(
        registry.address, registry.abi.encode_call("register", impostor.address, "fake"), sender=chain.accounts[0]
    )
    chain.close()
    table = run(tmp_path, "models").stdout  # 80 columns: the long reason wraps, names and addresses stay
    assert "unusable:" in table and re.search(r"^fake\s", table, re.M) and re.search(r"^real\s", table, re.M), table
    assert table.count("0xf39F…2266") == 2
    fails(tmp_path, "--model", "fake", "predict", "good", message="NotAModel: the registry's entry 'fake' is unusable:")
    assert "Delisted 'fake'" in run(tmp_path, "delist", "fake").stdout


def test_an_older_chain_file_gets_a_registry_when_first_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(Registry, "ensure", classmethod(lambda cls, chain: None))
        EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite").close()  # as files were before registries
    assert "No model is listed in the registry at 0x" in run(tmp_path, "models").stdout
    address = deployed(tmp_path, "--name", "after")
    assert listed(tmp_path) == {"after": address}


def test_a_registry_that_is_not_noted_is_found_again(tmp_path: Path) -> None:
    address = deployed(tmp_path, "--name", "before")
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    registry = chain.notes[NOTE]
    chain.remember(NOTE, None)  # a process killed between deploying the registry and noting it
    chain.close()
    assert listed(tmp_path) == {"before": address}
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    assert chain.notes[NOTE] == registry
    chain.close()


def test_the_readme_discovering_models_examples_run_as_written(tmp_path: Path) -> None:
    (tmp_path / "test.json").write_text(json.dumps(SCORED))
    for line in readme_block("bash", 'sumchain deploy --name "movie sentiment"').strip().splitlines():
        command, _, comment = line.partition("  #")
        args = shlex.split(command)[1:]
        proc = run_sumchain(tmp_path, *args)
        if "NameTaken" in comment:
            assert proc.returncode == 1 and proc.stderr.startswith("NameTaken: "), proc.stderr
        else:
            assert proc.returncode == 0, f"{line}\n{proc.stdout}{proc.stderr}"
        if "# 1 (positive)" in comment:
            assert proc.stdout.strip() == "1 (positive)"
        if "accuracy 66.7% (2/3)" in comment:
            assert "accuracy 66.7% (2/3)" in proc.stdout, proc.stdout
    (tmp_path / "discover.py").write_text(readme_block("python", "Registry.configured(chain)"))
    done = subprocess.run([sys.executable, "discover.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "toy sparse perceptron 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 Four features.",
        "1",
    ]


SCORED = [
    {"text": "a wonderful, brilliant movie", "label": "positive"},
    {"text": "awful boring mess", "label": 0},
    {"text": "awful boring mess", "label": "positive"},  # the model says negative: wrong
]
"""A test set the sample model gets two of three right."""


def test_the_owner_publishes_a_score_that_models_shows(tmp_path: Path) -> None:
    address = deployed(tmp_path, "--name", "sentiment")
    (tmp_path / "test.json").write_text(json.dumps(SCORED))
    before = block(tmp_path)
    fails(tmp_path, "--account", "1", "publish-score", "test.json", message="RegistryError: 0x7099")
    fails(tmp_path, "publish-score", "missing.json", message="cannot read missing.json")
    assert block(tmp_path) == before
    out = run(tmp_path, "--model", "sentiment", "publish-score", "test.json").stdout
    assert re.fullmatch(
        rf"Published the score of {address}: accuracy 66\.7% \(2/3\) in block {before + 1}, "
        r"test set 0x[0-9a-f]{64} \(tx gas [\d,]+\)\n",
        out,
    ), out
    (entry,) = json.loads(run(tmp_path, "models", "--json").stdout)
    assert entry["score"] | {"test_set": None} == {
        "correct": 2,
        "total": 3,
        "accuracy": 2 / 3,
        "published_at": before + 1,
        "test_set": None,
    }
    listed = " ".join(run(tmp_path, "models").stdout.split())
    assert f"accuracy 66.7% (2/3): the owner's test, block {before + 1}" in listed, listed
