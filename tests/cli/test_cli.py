"""The command line end to end: real processes sharing one embedded chain file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def run(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "sumchain", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def fails(cwd: Path, *args: str, message: str) -> None:
    proc = run(cwd, *args, ok=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert message in lines[0]


def test_demo_rewards_the_honest_and_punishes_the_flipper(tmp_path) -> None:
    out = run(tmp_path, "demo").stdout
    match = re.search(r"Honest contributor ([+-][\d.]+) ETH, label-flipper ([+-][\d.]+) ETH", out)
    assert match, out
    assert float(match[1]) > 0 > float(match[2])
    assert not (tmp_path / ".sumchain").exists()  # the demo uses a throwaway chain


def test_full_flow_persists_across_invocations(tmp_path) -> None:
    deployed = run(tmp_path, "deploy").stdout
    address = re.search(r"^(0x[0-9a-fA-F]{40})$", deployed, re.MULTILINE)[1]
    assert (tmp_path / ".sumchain" / "chain.sqlite").exists()
    assert run(tmp_path, "predict", "a wonderful, brilliant movie").stdout.startswith("1")
    assert run(tmp_path, "--model", address, "predict", "awful boring mess").stdout.startswith("0")

    added = run(tmp_path, "add", "a wonderful, brilliant movie", "--label", "positive", "--account", "1").stdout
    time = re.search(r"at time (\d+)", added)[1]
    listed = run(tmp_path, "contributions", "--account", "1").stdout
    assert time in listed and "held" in listed

    fails(
        tmp_path,
        "refund",
        "a wonderful, brilliant movie",
        "--time",
        time,
        "--account",
        "1",
        message="deposit_refund_take: refund wait not over",
    )
    fails(
        tmp_path,
        "report",
        "a wonderful, brilliant movie",
        "--time",
        time,
        "--author",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "--account",
        "1",
        message="deposit_refund_take: authors cannot report their own data",
    )
    run(tmp_path, "time", "advance", "1d")
    assert (
        "Refunded" in run(tmp_path, "refund", "a wonderful, brilliant movie", "--time", time, "--account", "1").stdout
    )
    fails(
        tmp_path,
        "refund",
        "a wonderful, brilliant movie",
        "--time",
        time,
        "--account",
        "1",
        message="deposit_refund_take: already refunded",
    )
    assert "refunded" in run(tmp_path, "contributions", "--all").stdout


def test_bad_input_gives_one_line_errors(tmp_path) -> None:
    run(tmp_path, "deploy")
    fails(tmp_path, "predict", "--indices", "5,3", message="indices must be sorted and unique")
    fails(tmp_path, "predict", "--indices", "1000", message="index 1000 is outside [0, 1000)")
    fails(tmp_path, "add", "--indices", "1,2", "--label", "7", message="label must be 0/negative or 1/positive")
    fails(tmp_path, "add", "--indices", "1,1", message="indices must be sorted and unique")
    fails(
        tmp_path,
        "add",
        "--indices",
        "1,2",
        "--value",
        "1",
        "--account",
        "1",
        message="deposit_refund_take: insufficient deposit",
    )
    fails(tmp_path, "refund", "--indices", "1,2", "--time", "5", message="data_handler: unknown contribution")
    fails(tmp_path, "--account", "12", "balance", message="account index 12 is not between 0 and 9")
    fails(tmp_path, "time", "advance", "soon", message="is not a duration")
    fails(tmp_path, "--chain", "ftp://nowhere", "balance", message="unknown chain")
    fails(tmp_path, "--model", "0x" + "12" * 20, "predict", "good", message="is not a sumchain model")
