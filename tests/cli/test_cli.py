"""The command line end to end: real processes sharing one embedded chain file."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from sumchain import gas
from tests.helpers import run_sumchain

ADDRESS = re.compile(r"^(0x[0-9a-fA-F]{40})$", re.MULTILINE)


def run(cwd: Path, *args: str, ok: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = run_sumchain(cwd, *args, stdin=stdin)
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def fails(cwd: Path, *args: str, message: str, status: int = 1) -> None:
    """The command exits with ``status`` and exactly one line on standard error, containing ``message``."""
    proc = run(cwd, *args, ok=False)
    assert proc.returncode == status, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert message in lines[0], lines[0]


def deployed(cwd: Path, *args: str) -> str:
    """Deploy the sample model; returns its address (the last line of the output, alone)."""
    out = run(cwd, "deploy", *args).stdout
    return ADDRESS.fullmatch(out.splitlines()[-1])[1]


def test_full_flow_by_contribution_id_across_invocations(tmp_path) -> None:
    address = deployed(tmp_path)
    assert (tmp_path / ".sumchain" / "chain.sqlite").exists()
    assert run(tmp_path, "predict", "a wonderful, brilliant movie").stdout.strip() == "1 (positive)"
    assert run(tmp_path, "--model", address, "predict", "awful boring mess").stdout.strip() == "0 (negative)"
    info = json.loads(run(tmp_path, "info", "--json").stdout)
    assert info["classes"] == ["negative", "positive"] and info["encoder"] == "IMDB vocab"

    added = run(tmp_path, "add", "a wonderful, brilliant movie", "--label", "positive", "--account", "1").stdout
    assert re.search(r"Added contribution #1 \(key 0x[0-9a-f]{10}\): 1 \(positive\)", added), added
    flipped = run(tmp_path, "add", "an awful, boring mess", "--label", "pos", "--account", "2").stdout
    assert "Added contribution #2" in flipped
    listed = run(tmp_path, "contributions", "--account", "1").stdout
    assert "#1" in listed and "held" in listed and "#2" not in listed
    full = json.loads(run(tmp_path, "contributions", "--all", "--json").stdout)
    assert [c["id"] for c in full] == [1, 2] and all(isinstance(i, int) for i in full[1]["data"])
    assert full[1]["author"] == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" and full[1]["class"] == "positive"

    fails(tmp_path, "refund", "1", "--account", "1", message="deposit_refund_take: refund wait not over")
    fails(tmp_path, "refund", "1", "--account", "2", message="is 0x70997970C51812dc3A010C7d01b50e0d17dc79C8's: only")
    fails(tmp_path, "report", "#1", "--account", "1", message="authors cannot report their own data")
    run(tmp_path, "time", "advance", "1d")
    refunded = run(tmp_path, "refund", "#1", "--account", "1").stdout
    assert re.match(r"Contribution #1: refunded [\d.]+ ETH\.", refunded), refunded
    fails(tmp_path, "refund", "1", "--account", "1", message="deposit_refund_take: already refunded")
    key = full[1]["key"][:12]
    took = run(tmp_path, "report", key, "--account", "1").stdout
    assert re.match(r"Contribution #2 by 0x3C44\w+: took [\d.]+ ETH\.", took), took
    statuses = {c["id"]: c["status"] for c in json.loads(run(tmp_path, "contributions", "--all", "--json").stdout)}
    assert statuses[1] == "refunded" and statuses[2] in ("taken", "partly taken")


def test_points_through_the_command_line(tmp_path) -> None:
    """Deploy with Points, contribute for free, validate, report, and read the leaderboard."""
    fails(tmp_path, "deploy", "--mechanism", "bounty", message="unknown mechanism 'bounty'; choose one of")
    fails(
        tmp_path, "deploy", "--mechanism", "points", "--cost-weight", "1ether", message="Points takes no --cost-weight"
    )
    deployed(tmp_path, "--mechanism", "points", "--refund-wait", "1h", "--name", "points sentiment")
    info = json.loads(run(tmp_path, "info", "--json").stdout)
    assert (info["mechanism"], info["mechanism_parameters"], info["deposit_now_wei"]) == (
        "points",
        {"refund_wait": 3600},
        0,
    )
    assert "Points: contributing is free; after 1h" in run(tmp_path, "info").stdout
    assert (
        "deposit 0 ETH"
        in run(tmp_path, "add", "a wonderful, brilliant movie", "--label", "pos", "--account", "1").stdout
    )
    run(tmp_path, "add", "an awful, boring mess", "--label", "pos", "--account", "2")
    fails(tmp_path, "refund", "1", "--account", "1", message="points: refund wait not over")
    run(tmp_path, "time", "advance", "1h")
    assert run(tmp_path, "refund", "1", "--account", "1").stdout.strip() == "Contribution #1: validated it: +1 point."
    fails(tmp_path, "refund", "1", "--account", "1", message="points: already validated")
    reported = run(tmp_path, "report", "2", "--account", "1").stdout.strip()
    assert reported.startswith("Contribution #2 by 0x3C44") and reported.endswith(": reported it: +1 point."), reported
    fails(tmp_path, "report", "2", "--account", "3", message="points: already reported")
    statuses = [c["status"] for c in json.loads(run(tmp_path, "contributions", "--all", "--json").stdout)]
    assert statuses == ["validated", "reported"]
    board = json.loads(run(tmp_path, "points", "--json").stdout)
    assert board["unit"] == "points"
    assert [(s["score"], s["validated"], s["reported"], s["reports"]) for s in board["standings"]] == [
        (2, 1, 0, 1),
        (0, 0, 1, 0),
    ]
    table = run(tmp_path, "leaderboard").stdout
    assert "Points: leaderboard of points sentiment" in table and "0x7099…79C8" in table


def test_a_three_class_model_through_the_command_line(tmp_path) -> None:
    spec = {
        "type": "naive bayes",
        "classifications": ["sad", "neutral", "happy"],
        "classCounts": [4, 4, 4],
        "featureCounts": [[[0, 9], [1, 1]], [[2, 9], [3, 1]], [[4, 9], [5, 1]]],
        "totalNumFeatures": 8,
    }
    (tmp_path / "mood.json").write_text(json.dumps(spec))
    run(tmp_path, "import", "mood.json", "--name", "mood")
    assert run(tmp_path, "predict", "--sample", "4").stdout.strip() == "2 (happy)"
    assert "1 (neutral)" in run(tmp_path, "add", "--sample", "2,3", "--label", "NEUT", "--account", "1").stdout
    assert "0 (sad)" in run(tmp_path, "add", "--sample", "0", "--label", "0", "--account", "1").stdout
    fails(tmp_path, "add", "--sample", "1", "--label", "angry", message="'angry' is not a class of this model")
    fails(tmp_path, "add", "--sample", "1", "--label", "3", message="label must be in [0, 3), got 3")
    fails(tmp_path, "predict", "so happy", message="no encoder for raw input: give its features instead")
    run(tmp_path, "export", "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["classifications"] == ["sad", "neutral", "happy"]


def test_a_dense_model_takes_real_values(tmp_path) -> None:
    spec = {
        "type": "dense nearest centroid classifier",
        "centroids": {
            "low": {"centroid": [-1.0, -1.0, 0.0], "dataCount": 3},
            "high": {"centroid": [1.0, 1.0, 0.0], "dataCount": 3},
        },
    }
    (tmp_path / "centroids.json").write_text(json.dumps(spec))
    run(tmp_path, "import", "centroids.json")
    assert run(tmp_path, "predict", "--sample", "0.9, 1.2, 0").stdout.strip() == "1 (high)"
    assert run(tmp_path, "predict", "--sample=-0.5,-2,0.1").stdout.strip() == "0 (low)"
    added = run(tmp_path, "add", "--sample", "0.5,0.25,-1", "--label", "high", "--account", "1").stdout
    assert "1 (high)" in added
    data = json.loads(run(tmp_path, "contributions", "--account", "1", "--json").stdout)[0]["data"]
    assert data == [500_000_000, 250_000_000, -1_000_000_000]
    fails(tmp_path, "predict", "--sample", "1,2", message="expected 3 values, got 2")
    fails(tmp_path, "predict", "--sample", "0,0,0", message="the zero vector carries no information")
    fails(tmp_path, "predict", "--sample", "1,nan,0", message="--sample takes numbers, got 'nan'")
    fails(tmp_path, "predict", "--sample", "1_000,1,0", message="--sample takes numbers, got '1_000'")
    fails(tmp_path, "predict", "--sample", "\u0661,1,0", message="--sample takes numbers, got '\u0661'")
    too_large = "--sample takes numbers from -2.147483648 to 2.147483647 here (sent as billionths in 32 signed bits)"
    fails(tmp_path, "predict", "--sample", "2.1474836475,1,0", message=f"{too_large}, got '2.1474836475'")
    fails(tmp_path, "predict", "--sample", "1,1e300,0", message=f"{too_large}, got '1e300'")
    assert run(tmp_path, "predict", "--sample", "2.147483647,1,0").stdout.strip() == "1 (high)"


def test_bad_input_gives_one_line_errors_and_changes_nothing(tmp_path) -> None:
    address = deployed(tmp_path)
    fails(tmp_path, "predict", "--sample", "5,3", message="indices must be sorted and unique")
    fails(tmp_path, "predict", "--sample", "1000", message="index 1000 is outside [0, 1000)")
    fails(tmp_path, "predict", "--sample", "1.5", message="--sample takes feature indices (whole numbers), got '1.5'")
    fails(tmp_path, "predict", "--sample", "", message="a sample needs at least one feature index")
    fails(tmp_path, "predict", "qwertyuiop zxcvb", message="no word of the text is in the model's vocabulary")
    fails(tmp_path, "predict", "", message="InvalidSample: the text is empty")
    fails(tmp_path, "predict", message="give the sample as TEXT, with --image or with --sample (one of them)")
    fails(tmp_path, "predict", "good", "--sample", "1", message="(one of them)")
    fails(tmp_path, "predict", "--image", "digit.png", message="this model's encoder reads texts, not images")
    fails(tmp_path, "add", "--sample", "1,2", message="Missing option '--label'")
    fails(tmp_path, "add", "--sample", "1,2", "--label", "7", message="label must be in [0, 2), got 7")
    fails(tmp_path, "add", "--sample", "1", "--label", "\u0661", message="label '\u0661' is not a class of this model")
    wrong_case = address[:2] + address[2:].swapcase()  # mixed case both ways: one of them is no checksum
    fails(tmp_path, "--model", wrong_case, "info", message="does not match its checksum (EIP-55)")
    fails(tmp_path, "--account", wrong_case, "balance", message="does not match its checksum (EIP-55)")
    fails(tmp_path, "--model", "", "info", message="no model named ''")
    fails(tmp_path, "--chain", "embedded:typo/dir/x.sqlite", "balance", message="no folder typo/dir for the chain file")
    assert not (tmp_path / "typo").exists()
    fails(tmp_path, "add", "--sample", "1,1", "--label", "1", message="indices must be sorted and unique")
    fails(
        tmp_path,
        "add",
        "--sample",
        "1,2",
        "--label",
        "1",
        "--value",
        "1",
        "--account",
        "1",
        message="deposit_refund_take: insufficient deposit",
    )
    fails(tmp_path, "add", "--sample", "1,2", "--label", "1", "--value", "1.5wei", message="not a whole number of wei")
    fails(tmp_path, "refund", "5", message="no contribution #5: the model has 0")
    fails(tmp_path, "refund", "zzz", message="neither a contribution id")
    fails(tmp_path, "--account", "12", "balance", message="account index 12 is not between 0 and 9")
    fails(tmp_path, "--account", "0x1234", "balance", message="no account '0x1234' in the keystore")
    fails(tmp_path, "time", "advance", "soon", message="is not a duration")
    fails(tmp_path, "time", "advance", "0", message="time advance needs a duration of at least a second, got 0")
    signer = "0x" + "ab" * 20
    fails(tmp_path, "--account", signer, "add", "good", "--label", "1", message="it signs with its dev accounts (0-9)")
    fails(tmp_path, "time", "advance", f"{10**23}d", message="time cannot pass")
    fails(tmp_path, "--chain", "ftp://nowhere", "balance", message="only http:// and https://")
    fails(tmp_path, "--chain", "gopher", "balance", message="unknown chain")
    fails(tmp_path, "--chain", "ws://127.0.0.1:1", "balance", message="only http:// and https://")
    fails(tmp_path, "--chain", "embedded:.", "balance", message="is a folder, not a chain file")
    (tmp_path / "blocker").write_text("x")
    fails(tmp_path, "--chain", "embedded:blocker/c.sqlite", "balance", message="no folder blocker for the chain file")
    fails(tmp_path, "--model", "0x" + "12" * 20, "predict", "good", message="is not a sumchain model")
    fails(tmp_path, "--model", "banana", "predict", "good", message="UnknownName: no model named 'banana'")
    fails(tmp_path, "--model", "3", "predict", "good", message="no model named '3' in the registry")
    fails(tmp_path, "withdraw", "--to", "0x12", message="is neither an account index nor an address")
    fails(tmp_path, "withdraw", message="trainer: nothing to withdraw")
    fails(
        tmp_path,
        "deploy",
        "--refund-wait",
        "0",
        "--owner-claim-wait",
        "0",
        "--any-claim-wait",
        "0",
        message="refund_wait",
    )
    fails(tmp_path, "no-such-command", message="No such command")
    assert json.loads(run(tmp_path, "contributions", "--all", "--json").stdout) == []
    assert run(tmp_path, "info", "--json").stdout.count(address) == 1
    run(tmp_path, "deploy", "--refund-wait", "0", "--owner-claim-wait", "0", "--any-claim-wait", "0", "--unsafe")


def test_help_and_version_are_quick_answers(tmp_path) -> None:
    assert "Commands:" in run(tmp_path, "--help").stdout
    assert "Commands:" in run(tmp_path).stdout  # no arguments: the help
    assert run(tmp_path, "--version").stdout.startswith("sumchain ")
    assert not (tmp_path / ".sumchain").exists()


def test_paths_that_cannot_be_used_are_one_line(tmp_path: Path) -> None:
    deployed(tmp_path)
    (tmp_path / "afile").write_text("x")
    fails(tmp_path, "export", "dataset", "afile/d.csv", message="cannot write afile/d.csv: Not a directory")
    fails(tmp_path, "index", "--db", "afile/x.sqlite", message="FileExistsError: File exists: afile")
    fails(tmp_path, "index", "--follow", "--interval", "0", message="'--interval': Input should be greater than")
    fails(tmp_path, "deploy", "--name", "", message="a model's name must not be empty")
    fails(tmp_path, "market", "create", "--bounty", "1ether", "--name", " ", message="a model's name must not be empty")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["afile"]


@pytest.mark.skipif(
    not (gas.BASELINE.is_file() and gas.IMDB_MODEL.is_file()),
    reason="../shared/original is not next to the checkout (gas notes the missing defaults before the error)",
)
def test_malformed_reference_files_of_gas_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text("{")
    fails(tmp_path, "gas", "--imdb-model", "model.json", message="model.json is not a JSON model file")
    (tmp_path / "baseline.md").write_bytes(b"```json\n[{\n```\n")
    fails(tmp_path, "gas", "--baseline", "baseline.md", message="a JSON block of baseline rows that cannot be read")
    fails(tmp_path, "gas", "--baseline", "absent.md", message="no file at absent.md")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["baseline.md", "model.json"]


def refuses_a_deposit_over_the_maximum(cwd: Path, *chain: str) -> None:
    """``--max-deposit`` refuses an add that would pay more, before anything is sent; a larger cap sends it."""
    deployed(cwd, *chain)
    before = run(cwd, *chain, "contributions", "--all", "--json").stdout
    fails(
        cwd, *chain, "--max-deposit", "1wei", "add", "great film", "--label", "positive", "--account", "1",
        message="DepositLimitExceeded: sending",
    )  # fmt: skip
    assert run(cwd, *chain, "contributions", "--all", "--json").stdout == before
    run(cwd, *chain, "--max-deposit", "100ether", "add", "great film", "--label", "positive", "--account", "1")
    assert len(json.loads(run(cwd, *chain, "contributions", "--all", "--json").stdout)) == len(json.loads(before)) + 1


def test_max_deposit_holds_on_the_embedded_chain(tmp_path) -> None:
    refuses_a_deposit_over_the_maximum(tmp_path)


def test_a_node_url_is_shown_without_its_secrets(tmp_path: Path) -> None:
    """A node's URL often holds an API key (Infura's path, a user and password): an error shows its host only."""
    proc = run(tmp_path, "--chain", "http://user:hunter2@127.0.0.1:1/v3/APIKEY?token=T0K", "balance", ok=False)
    assert proc.returncode == 1 and proc.stderr.startswith("ChainError: cannot reach http://127.0.0.1:1/…: ")
    assert not any(secret in proc.stdout + proc.stderr for secret in ("hunter2", "APIKEY", "T0K", "user"))
    for url in ("http://user:hun'ter2@127.0.0.1:1/", "http://user:hun@ter2@127.0.0.1:1/"):  # a quote, an @
        proc = run(tmp_path, "--chain", url, "balance", ok=False)
        assert proc.returncode == 1 and "ter2" not in proc.stderr, proc.stderr
    key = "0x" + "5b" * 32  # typed where an account, a chain or a registry goes: never echoed
    for given in (("--account", key, "balance"), ("--chain", key, "info")):
        proc = run(tmp_path, *given, ok=False)
        assert proc.returncode == 1 and "5b5b5b" not in proc.stderr and "(64 hex digits: not shown)" in proc.stderr


def test_an_options_value_shaped_like_yes_stays_its_value(tmp_path: Path) -> None:
    """``--description -y`` made ``-y`` the global ``--yes`` (no confirmation on a real network) and the
    description ``--no-register``."""
    run(tmp_path, "deploy", "--description", "-y", "--no-register")
    assert json.loads(run(tmp_path, "info", "--json").stdout)["description"] == "-y"
