"""``sumchain audit`` and ``sumchain export dataset`` end to end: real processes on one chain file."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import IO

from sumchain import EmbeddedChain, SharedModel
from sumchain.dataset import read_dataset
from tests.cli.test_cli import fails, run
from tests.helpers import run_sumchain, sumchain_environment
from tests.unit.test_audit import poke

MOOD = {
    "type": "naive bayes",
    "classifications": ["sad", "neutral", "happy"],
    "classCounts": [4, 4, 4],
    "featureCounts": [[[0, 9], [1, 1]], [[2, 9], [3, 1]], [[4, 9], [5, 1]]],
    "totalNumFeatures": 8,
}


SENT = (((2, 3), "neutral"), ((4,), "happy"), ((0, 5), "sad"))
"""The samples and classes that :func:`mood_with_contributions` adds, in order, from account 1."""


def mood_with_contributions(cwd: Path, *chain: str) -> str:
    """The README's mood model imported, with the three contributions of :data:`SENT`; returns its
    address. ``chain`` are global options before each command (``--chain URL``), none by default."""
    (cwd / "mood.json").write_text(json.dumps(MOOD))
    address = run(cwd, *chain, "import", "mood.json", "--name", "mood").stdout.splitlines()[-1]
    for sample, label in SENT:
        run(cwd, *chain, "add", "--sample", ",".join(map(str, sample)), "--label", label, "--account", "1")
    return address


def test_audit_passes_then_names_a_poked_word(tmp_path) -> None:
    address = mood_with_contributions(tmp_path)
    ok = run(tmp_path, "audit").stdout.strip()
    assert ok.startswith(f"OK: {address} (naive bayes): 3 contributions replayed"), ok
    report = json.loads(run(tmp_path, "audit", address, "--json").stdout)
    assert report["ok"] and report["contributions"] == 3 and report["divergence"] is None
    assert json.loads(run(tmp_path, "audit", "mood", "--json").stdout) == report  # its listed name, as the address

    old, _ = poke(tmp_path / ".sumchain" / "chain.sqlite", address, 1, 12_345)
    diverged = run(tmp_path, "audit", ok=False)
    assert diverged.returncode == 1 and diverged.stdout.startswith("DIVERGED: "), diverged.stdout + diverged.stderr
    assert f"first word 1: expected {old}, on chain 12345" in diverged.stdout
    report = json.loads(run(tmp_path, "audit", "--json", ok=False).stdout)
    assert not report["ok"] and report["divergence"]["word"] == 1 and report["divergence"]["on_chain"] == 12_345


def test_export_dataset_to_csv_and_parquet_beside_the_model_export(tmp_path) -> None:
    address = mood_with_contributions(tmp_path)
    assert run(tmp_path, "export", "dataset", "mood.csv").stdout.strip() == "Wrote 3 contributions to mood.csv (csv)."
    run(tmp_path, "export", "dataset", "mood.out", "--format", "parquet")
    chain = EmbeddedChain(tmp_path / ".sumchain" / "chain.sqlite")
    expected = tuple(SharedModel(chain, address).contributions(everyone=True))
    assert read_dataset(tmp_path / "mood.csv").contributions == expected
    assert read_dataset(tmp_path / "mood.out", format="parquet").contributions == expected
    assert read_dataset(tmp_path / "mood.csv").class_names == ("sad", "neutral", "happy")
    piped = run(tmp_path, "export", "dataset", "-", "--format", "csv").stdout  # the file alone, for a pipe
    assert piped == (tmp_path / "mood.csv").read_text()
    assert run(tmp_path, "export", "dataset", "/dev/stdout", "--format", "csv").stdout == piped  # its line: stderr
    with (tmp_path / "redirected.csv").open("w") as redirected:  # `> redirected.csv`: the line overwrote the header
        done = export_csv_to(tmp_path, "/dev/stdout", redirected)
    assert done.stderr == "Wrote 3 contributions to /dev/stdout (csv).\n"
    assert (tmp_path / "redirected.csv").read_text() == piped
    assert "Wrote the naive bayes" in run(tmp_path, "export", "mood-now.json").stdout  # the model, as before
    assert json.loads((tmp_path / "mood-now.json").read_text())["classCounts"] == [5, 5, 5]


def export_csv_to(cwd: Path, target: str, stdout: IO[str] | int) -> subprocess.CompletedProcess[str]:
    """``sumchain export dataset TARGET --format csv`` with its standard output given (a file, a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "sumchain", "export", "dataset", target, "--format", "csv"],
        cwd=cwd,
        env=sumchain_environment(None),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def test_export_dataset_to_standard_output_is_refused_on_a_terminal(tmp_path) -> None:
    """What the chain says (class names), or Parquet's bytes, would reach the terminal: - is for a pipe."""
    mood_with_contributions(tmp_path)
    terminal, attached = pty.openpty()
    try:
        proc = export_csv_to(tmp_path, "-", attached)
    finally:
        os.close(attached)
        os.close(terminal)
    assert proc.returncode == 1 and "- is for a pipe or a redirect (| or >)" in proc.stderr, proc.stderr


def test_bad_input_is_one_line_and_writes_nothing(tmp_path) -> None:
    fails(tmp_path, "--chain", "http://127.0.0.1:9", "audit", message="cannot reach http://127.0.0.1:9")
    address = mood_with_contributions(tmp_path)
    account = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    fails(tmp_path, "audit", account, message=f"{account} is not a sumchain model")
    fails(tmp_path, "--model", account, "export", "dataset", "x.csv", message="is not a sumchain model")
    fails(tmp_path, "export", "dataset", message="say `sumchain export dataset FILE`")
    fails(tmp_path, "export", "dataset", "x.xlsx", message="cannot tell the format of x.xlsx")
    fails(tmp_path, "export", "dataset", "-", message="standard output (-) needs --format csv or --format parquet")
    fails(
        tmp_path, "export", "dataset", "x.csv", "--format", "json", message="--format takes csv or parquet, not 'json'"
    )
    fails(tmp_path, "export", "m.json", "--format", "csv", message="--format is for `sumchain export dataset FILE`")
    no_pyarrow = tmp_path / "no_pyarrow"
    (no_pyarrow / "pyarrow").mkdir(parents=True)
    (no_pyarrow / "pyarrow" / "__init__.py").write_text("raise ImportError('no pyarrow here')\n")
    proc = run_sumchain(tmp_path, "export", "dataset", "x.parquet", env={"PYTHONPATH": str(no_pyarrow)})
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        'SumchainError: Parquet needs pyarrow: pip install "sumchain[parquet]"'
    ], proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["mood.json", "no_pyarrow"]
    assert run(tmp_path, "audit").stdout.startswith(f"OK: {address}")
