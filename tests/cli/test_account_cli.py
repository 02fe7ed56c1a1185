"""``sumchain account`` and the signing options, in processes of their own: keys never show."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
from eth_account import Account

from sumchain.keys import KEYSTORE_VARIABLE, Keystore
from tests.helpers import run_sumchain

KEY = "0x" + "3b" * 32
ADDRESS = Account.from_key(KEY).address
PASSWORD = "tr0ub4dor&3"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A folder with a password file; the keystore is ``keys/`` in it."""
    (tmp_path / "password").write_text(PASSWORD + "\n")
    return tmp_path


def sumchain(home: Path, *args: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = run_sumchain(home, *args, env={KEYSTORE_VARIABLE: str(home / "keys")}, stdin=stdin)
    shown = proc.stdout + proc.stderr
    assert KEY[2:] not in shown.lower() and PASSWORD not in shown
    assert proc.returncode == (0 if ok else 1), shown
    return proc


def fails(home: Path, *args: str, message: str, stdin: str = "") -> None:
    lines = sumchain(home, *args, stdin=stdin, ok=False).stderr.strip().splitlines()
    assert len(lines) == 1, lines  # one line, no traceback
    assert message in lines[0]


def test_new_and_list(home: Path) -> None:
    assert "No accounts in" in sumchain(home, "account", "list").stdout
    # naming the account about to be made (as $SUMCHAIN_ACCOUNT would) failed every account command
    assert "No accounts in" in sumchain(home, "--account", "alice", "account", "list").stdout
    created = sumchain(
        home, "--account", "alice", "account", "new", "--name", "alice", "--password-file", "password"
    ).stdout
    address = re.search(r"Created account alice: (0x[0-9a-fA-F]{40})", created)[1]
    path = home / "keys" / "alice.json"
    assert f"Key file: {path}" in created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "keys").stat().st_mode) == 0o700
    assert Keystore(home / "keys").unlock("alice", PASSWORD).address == address
    listed = sumchain(home, "account", "list").stdout
    assert re.search(rf"alice\s*│\s*{address}\s*│\s*alice\.json", listed)
    fails(home, "account", "new", "--name", "alice", "--password-file", "password", message="named 'alice'")
    (home / "keys" / "broken.json").write_text(json.dumps({"bad": 1}))
    listed = sumchain(home, "account", "list")
    assert re.search(rf"alice\s*│\s*{address}", listed.stdout) and "broken" not in listed.stdout
    assert "Note: " in listed.stderr and "broken.json is not a keystore file (no address) (left out)" in listed.stderr


def test_import_from_a_file_or_standard_input(home: Path) -> None:
    (home / "key").write_text(KEY + "\n")
    imported = sumchain(home, "account", "import", "--name", "bob", "--key-file", "key", "--password-file", "password")
    assert f"Imported account bob: {ADDRESS}" in imported.stdout
    content = json.loads((home / "keys" / "bob.json").read_text())
    assert bytes(Account.decrypt(content, PASSWORD)).hex() == KEY[2:]
    fails(
        home,
        "account",
        "import",
        "--key-file",
        "-",
        "--password-file",
        "password",
        stdin=KEY + "\n",
        message=f"{ADDRESS} is already in the keystore as bob.json",
    )
    (home / "keys" / "bob.json").unlink()
    piped = sumchain(home, "account", "import", "--key-file", "-", "--password-file", "password", stdin=KEY + "\n")
    assert f"Imported account {ADDRESS}: {ADDRESS}" in piped.stdout


def test_bad_input_gives_one_line_errors(home: Path) -> None:
    fails(home, "account", "import", "--password-file", "password", message="(private key (hex)): give --key-file")
    (home / "key").write_text("0x1234\n")
    fails(
        home,
        "account",
        "import",
        "--key-file",
        "key",
        "--password-file",
        "password",
        message="InvalidPrivateKey: not a private key: expected 64 hexadecimal digits",
    )  # and before any password is asked for:
    fails(home, "account", "import", "--key-file", "key", message="InvalidPrivateKey: not a private key")
    key, secret = "0x" + "99" * 32, "hunter2-my-real-password"  # given where a file's path belongs: never shown
    fails(home, "account", "import", "--key-file", key, message="cannot read the --key-file: No such file")
    fails(home, "account", "new", "--password-file", secret, message="cannot read the password file: No such")
    for args in (("account", "import", "--key-file", key), ("account", "new", "--password-file", secret)):
        shown = sumchain(home, *args, ok=False)
        assert args[-1] not in shown.stdout + shown.stderr
    fails(home, "--chain", "ws://127.0.0.1:8545", "balance", message="only http:// and https:// node URLs")
    fails(home, "--max-deposit", "5 dollars", "balance", message="InvalidAmount: '5 dollars': unknown unit")
    fails(home, "--chain", "memory", "--account", "carol", "balance", message="no account 'carol' in the keystore")
    assert not (home / "keys").exists()


def test_a_keystore_name_stands_for_its_address_without_a_password(home: Path) -> None:
    Keystore(home / "keys", iterations=2**4).import_key(KEY, PASSWORD, name="alice")
    assert sumchain(home, "--chain", "memory", "balance", "--account", "alice").stdout.startswith(ADDRESS)
