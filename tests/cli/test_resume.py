"""Interrupted deploys and imports: remembered as soon as the contract exists, finished by running again."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from pathlib import Path

from sumchain import EmbeddedChain, SharedModel
from sumchain.models.reference_file import read_model_file
from tests.cli.test_cli import ADDRESS, fails, run
from tests.helpers import start_sumchain

FEATURES = 60_000
"""Enough weights for several parameter chunks (10,000 words at 6 weights a word)."""


def big_model(folder: Path) -> Path:
    path = folder / "big.json"
    weights = [((i * 7919) % 2001 - 1000) / 1000 for i in range(FEATURES)]
    path.write_text(json.dumps({"type": "sparse perceptron", "weights": weights, "intercept": 0.0}))
    return path


def interrupted_import(cwd: Path, path: Path, *options: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Start an import, press Ctrl-C after the second parameter chunk; returns the address and the outcome."""
    process = start_sumchain(cwd, "import", str(path), *options)
    assert process.stdout is not None
    lines = []
    while sum(line.startswith("  parameters") for line in lines) < 2:
        line = process.stdout.readline()
        assert line, "".join(lines) + (process.stderr.read() if process.stderr else "")
        lines.append(line)
    process.send_signal(signal.SIGINT)
    out, errors = process.communicate(timeout=120)
    address = next(line.split()[3] for line in lines if line.startswith("  contract created at"))
    return address, subprocess.CompletedProcess(process.args, process.returncode, "".join(lines) + out, errors)


def words_loaded(cwd: Path, address: str) -> int:
    chain = EmbeddedChain(cwd / ".sumchain" / "chain.sqlite")
    try:
        return SharedModel(chain, address).words_loaded()
    finally:
        chain.close()


def test_ctrl_c_says_how_to_resume_and_the_same_command_finishes_the_upload(tmp_path) -> None:
    path = big_model(tmp_path)
    options = ("--name", "my big model", "--cost-weight", "0.002ether")  # the hint gave the command without them
    address, stopped = interrupted_import(tmp_path, path, *options)
    assert stopped.returncode == 130
    message = stopped.stderr.strip().splitlines()
    assert len(message) == 1 and f"the model at {address} is remembered" in message[0]
    hinted = message[0].split("run the same command again to finish the upload: ")[1]
    assert shlex.split(hinted) == ["sumchain", "import", str(path), *options]
    total = len(read_model_file(path).model.to_words())
    loaded = words_loaded(tmp_path, address)
    assert 0 < loaded < total

    fails(tmp_path, "predict", "--sample", "1", message="trainer: parameters not loaded")  # the current model
    shown = " ".join(run(tmp_path, "info").stdout.split())  # it looked usable, with a deposit
    assert f"Unfinished: {loaded:,} of its {total:,} parameter words are loaded" in shown
    resumed = run(tmp_path, *shlex.split(hinted)[1:]).stdout  # the same command again
    assert f"Resuming the upload of the model at {address} ({loaded}/{total} words)." in resumed
    assert ADDRESS.fullmatch(resumed.splitlines()[-1])[1] == address
    assert words_loaded(tmp_path, address) == total
    info = json.loads(run(tmp_path, "info", "--json").stdout)
    assert (info["parameter_words_loaded"], info["parameter_words"]) == (total, total)
    assert "Unfinished" not in run(tmp_path, "info").stdout
    assert run(tmp_path, "predict", "--sample", "1,2").stdout.strip() in ("0", "1")
    fails(tmp_path, "import", str(path), *options, "--resume", message="nothing to resume")


def test_resume_finishes_the_remembered_deploy_and_refuses_another_model(tmp_path) -> None:
    path = big_model(tmp_path)
    address, _ = interrupted_import(tmp_path, path)
    fails(
        tmp_path, "deploy", "--resume", message=f"nothing to resume for this model (the ones remembered, at {address}"
    )
    fails(tmp_path, "--account", "1", "import", str(path), "--resume", message="nothing to resume")  # not its own
    note = run(tmp_path, "deploy")  # a new deploy leaves the unfinished one as it is
    assert "the unfinished deploy at" in note.stderr
    finished = run(tmp_path, "import", str(path), "--resume").stdout
    assert ADDRESS.fullmatch(finished.splitlines()[-1])[1] == address
