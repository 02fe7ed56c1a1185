"""The keystore: encrypted files in a private folder, unlocked by password; keys never shown."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest
from eth_account import Account

from sumchain.errors import InvalidPrivateKey, KeystoreError, SumchainError, UnknownAccount, WrongPassword
from sumchain.keys import (
    KEYSTORE_VARIABLE,
    PRIVATE_KEY_VARIABLE,
    Keystore,
    KeystoreAccount,
    default_keystore,
    key_from_env,
    parse_private_key,
    read_password_file,
)

KEY = "0x" + "4c" * 32
ADDRESS = Account.from_key(KEY).address
LIGHT = 2**4
"""scrypt cost for tests: files stay standard, encryption takes milliseconds."""


@pytest.fixture
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keystore:
    monkeypatch.setenv(KEYSTORE_VARIABLE, str(tmp_path / "keys"))
    return Keystore(iterations=LIGHT)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYSTORE_VARIABLE, str(tmp_path / "mine"))
    assert default_keystore() == tmp_path / "mine"
    monkeypatch.delenv(KEYSTORE_VARIABLE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert default_keystore() == tmp_path / "config" / "sumchain" / "keystore"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_keystore() == tmp_path / "home" / ".config" / "sumchain" / "keystore"


def test_import_writes_a_standard_private_file(keystore: Keystore) -> None:
    assert keystore.entries() == []
    entry = keystore.import_key(KEY, "correct horse", name="alice")
    assert (entry.address, entry.name, entry.label) == (ADDRESS, "alice", "alice")
    assert entry.path == keystore.folder / "alice.json"
    assert mode(keystore.folder) == 0o700
    assert mode(entry.path) == 0o600
    content = json.loads(entry.path.read_text())
    assert content["version"] == 3 and content["crypto"]["kdf"] == "scrypt"
    assert KEY[2:] not in entry.path.read_text()
    assert bytes(Account.decrypt(content, "correct horse")).hex() == KEY[2:]  # any V3 reader opens it
    assert sorted(p.name for p in keystore.folder.iterdir()) == [".lock", "alice.json"]  # no temporary file left
    assert mode(keystore.folder / ".lock") == 0o600


def test_new_keys_are_random_and_unnamed_ones_go_by_address(keystore: Keystore) -> None:
    first, second = keystore.new("pw"), keystore.new("pw")
    assert first.address != second.address
    assert first.name is None and first.label == first.address
    assert first.path.name == f"{first.address}.json"
    assert {e.address for e in keystore.entries()} == {first.address, second.address}
    assert keystore.unlock(first.address.lower(), "pw").address == first.address


def test_a_keystore_path_that_is_a_file_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(KeystoreError, match="is a file, not a folder"):
        Keystore(tmp_path / "file").entries()
    assert Keystore(tmp_path / "absent").entries() == []  # a keystore not made yet is empty


def test_entries_are_listed_named_first(keystore: Keystore) -> None:
    unnamed = keystore.new("pw")
    keystore.import_key(KEY, "pw", name="zoe")
    bob = keystore.new("pw", name="bob")
    assert [(e.name, e.address) for e in keystore.entries()] == [
        ("bob", bob.address),
        ("zoe", ADDRESS),
        (None, unnamed.address),
    ]


def test_unlock_by_name_or_address(keystore: Keystore) -> None:
    keystore.import_key(bytes.fromhex(KEY[2:]), "pw", name="alice")
    assert bytes(keystore.unlock("alice", "pw").key).hex() == KEY[2:]
    assert keystore.unlock(ADDRESS, "pw").address == ADDRESS
    assert keystore.find(ADDRESS.lower()).name == "alice"


def test_wrong_password_is_one_clear_error(keystore: Keystore) -> None:
    keystore.import_key(KEY, "right", name="alice")
    with pytest.raises(WrongPassword, match=r"^wrong password for alice$") as caught:
        keystore.unlock("alice", "wrong")
    assert isinstance(caught.value, SumchainError)


def test_unknown_account(keystore: Keystore) -> None:
    with pytest.raises(UnknownAccount, match=r"no account .carol. in the keystore .*sumchain account list"):
        keystore.unlock("carol", "pw")


@pytest.mark.parametrize("name", ["0abc", "with space", "a/b", "", "x" * 65, "0x" + "ab" * 20, "-x"])
def test_bad_names_are_refused(keystore: Keystore, name: str) -> None:
    with pytest.raises(KeystoreError, match="invalid account name"):
        keystore.new("pw", name=name)
    assert keystore.entries() == []


def test_duplicates_and_empty_passwords_are_refused(keystore: Keystore) -> None:
    keystore.import_key(KEY, "pw", name="alice")
    with pytest.raises(KeystoreError, match=f"{ADDRESS} is already in the keystore as alice.json"):
        keystore.import_key(KEY, "pw", name="other")
    with pytest.raises(KeystoreError, match="already has an account named 'alice'"):
        keystore.new("pw", name="alice")
    with pytest.raises(KeystoreError, match="the password is empty"):
        keystore.new("", name="bob")
    assert [e.name for e in keystore.entries()] == ["alice"]
    assert sorted(p.name for p in keystore.folder.iterdir()) == [".lock", "alice.json"]  # no temporary file left


def test_without_fcntl_the_keystore_still_stores(keystore: Keystore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no fcntl: the module must import and store there (the check before the link stays)."""
    monkeypatch.setitem(sys.modules, "fcntl", None)
    assert keystore.import_key(KEY, "pw", name="alice").path.name == "alice.json"
    with pytest.raises(KeystoreError, match="already in the keystore"):
        keystore.import_key(KEY, "pw", name="bob")
    assert not (keystore.folder / ".lock").exists()


def test_one_key_stored_at_once_under_two_names_is_stored_once(
    keystore: Keystore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports of one key that both find it absent, then encrypt (the slow part) side by side:
    the second to write is refused, as if it had come later."""
    both_encrypting = threading.Barrier(2, timeout=30)
    encrypt = Account.encrypt

    def encrypt_beside_the_other(key: bytes, password: str, **options: object) -> dict[str, object]:
        both_encrypting.wait()
        return encrypt(key, password, **options)

    monkeypatch.setattr(Account, "encrypt", encrypt_beside_the_other)
    outcomes: dict[str, str] = {}

    def store(name: str) -> None:
        try:
            outcomes[name] = Keystore(iterations=LIGHT).import_key(KEY, "pw", name=name).path.name
        except KeystoreError as exc:
            outcomes[name] = str(exc)

    threads = [threading.Thread(target=store, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.address for e in keystore.entries()] == [ADDRESS]
    stored = keystore.entries()[0].path.name
    refused = next(outcome for name, outcome in outcomes.items() if f"{name}.json" != stored)
    assert refused == f"{ADDRESS} is already in the keystore as {stored}"


def test_a_folder_that_exists_keeps_its_mode_and_its_files_are_private(keystore: Keystore) -> None:
    """SUMCHAIN_KEYSTORE may name a shared folder, the home or the project: it is not locked down."""
    keystore.folder.mkdir()
    os.chmod(keystore.folder, 0o1777)
    entry = keystore.new("pw")
    assert mode(keystore.folder) == 0o1777 and mode(entry.path) == 0o600


def test_a_file_whose_address_is_not_its_keys_is_refused_when_unlocked(keystore: Keystore) -> None:
    """The listed account (whose deposit is shown, whose gas is estimated) must be the one that signs."""
    entry = keystore.import_key(KEY, "pw", name="mallory")
    content = json.loads(entry.path.read_text())
    content["address"] = "11" * 20
    entry.path.write_text(json.dumps(content))
    (forged,) = keystore.entries()
    assert forged.address == "0x" + "11" * 20
    with pytest.raises(KeystoreError, match=f"says it holds 0x1{{40}}, but its key is {ADDRESS}'s: the file was"):
        keystore.unlock("mallory", "pw")


def test_geths_files_are_read_unnamed(keystore: Keystore) -> None:
    keystore.import_key(KEY, "pw", name="alice")
    geth = keystore.folder / f"UTC--2026-12-02T05-00-00.000000000Z--{ADDRESS[2:].lower()}"
    (keystore.folder / "alice.json").rename(geth)
    (entry,) = keystore.entries()
    assert (entry.name, entry.address, entry.path) == (None, ADDRESS, geth)
    assert keystore.unlock(ADDRESS, "pw").address == ADDRESS
    geth.rename(geth.with_name(geth.name + ".json"))  # both patterns: listed once
    assert [e.address for e in keystore.entries()] == [ADDRESS]


def test_unreadable_files_are_named_and_left_out(keystore: Keystore) -> None:
    """A file that is no keystore file does not stand in the way of the others (it is named instead)."""
    alice = keystore.new("pw", name="alice")
    (keystore.folder / "junk.json").write_text("{not json")
    (keystore.folder / "empty.json").write_text(json.dumps({"bad": 1}))
    assert keystore.entries() == [alice] and keystore.find("alice") == alice
    problems = keystore.unreadable()
    assert sorted(p.name for p in problems) == ["empty.json", "junk.json"]
    assert problems[keystore.folder / "empty.json"].endswith("empty.json is not a keystore file (no address)")
    with pytest.raises(KeystoreError, match=r"junk\.json: it is not a keystore file"):
        keystore.find("junk")
    (keystore.folder / "junk.json").write_text(json.dumps({"address": ADDRESS[2:].lower(), "crypto": {}}))
    with pytest.raises(KeystoreError, match=r"cannot decrypt .*junk\.json"):
        keystore.unlock("junk", "pw")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        *((text, "expected 64 hexadecimal digits (32 bytes)") for text in ("", "0x12", "zz" * 32, KEY[2:] + "00")),
        *((text, "its number must be above 0 and below the secp256k1 order") for text in ("00" * 32, "ff" * 32)),
    ],
)
def test_invalid_keys_are_refused_without_echo(keystore: Keystore, text: str, reason: str) -> None:
    with pytest.raises(InvalidPrivateKey) as caught:
        keystore.import_key(text, "pw")
    assert str(caught.value) == f"not a private key: {reason}"
    assert keystore.entries() == []


def test_parse_private_key_accepts_hex_with_or_without_prefix() -> None:
    assert parse_private_key(KEY).address == parse_private_key(f" {KEY[2:]}\n").address == ADDRESS


def test_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRIVATE_KEY_VARIABLE, raising=False)
    assert key_from_env() is None
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, KEY)
    assert key_from_env().address == ADDRESS
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, KEY[:-2])
    with pytest.raises(InvalidPrivateKey, match=f"^{PRIVATE_KEY_VARIABLE} is not a private key") as caught:
        key_from_env()
    assert KEY[2:-2] not in str(caught.value)


def test_password_file(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("s3cret with spaces \r\nsecond line\n")
    assert read_password_file(path) == "s3cret with spaces "
    path.write_text("\n")
    with pytest.raises(KeystoreError, match="is empty"):
        read_password_file(path)
    with pytest.raises(KeystoreError, match=r"cannot read the password file: No such file"):
        read_password_file(tmp_path / "missing")


def test_keystore_account_asks_for_the_password_once_and_only_to_sign(keystore: Keystore) -> None:
    entry = keystore.import_key(KEY, "pw", name="alice")
    asked: list[str] = []

    def password() -> str:
        asked.append("alice")
        return "pw"

    account = KeystoreAccount(keystore, entry, password)
    assert account.address == ADDRESS and asked == []
    assert account.unlock().address == ADDRESS
    assert account.unlock() is account.unlock()
    assert asked == ["alice"]
    assert KEY[2:] not in repr(account)


def test_a_keystore_account_decrypts_its_own_file(keystore: Keystore) -> None:
    """Another file may hold the same key under another password (a backup): the one named is decrypted, not
    the first found by its address."""
    work = keystore.import_key(KEY, "work-pw", name="work")
    (keystore.folder / "backup.json").write_text(json.dumps(Account.encrypt(KEY, "backup-pw", iterations=2**4)))
    backup = keystore.find("backup")
    for entry, password in ((work, "work-pw"), (backup, "backup-pw")):
        assert KeystoreAccount(keystore, entry, lambda password=password: password).unlock().address == ADDRESS


def test_a_keystore_file_of_another_version_is_one_error(keystore: Keystore) -> None:
    entry = keystore.import_key(KEY, "pw", name="old")
    entry.path.write_text(json.dumps(json.loads(entry.path.read_text()) | {"version": 1}))
    with pytest.raises(KeystoreError, match="only version 3 keystore files are read"):
        keystore.unlock("old", "pw")


def test_keystore_account_with_a_wrong_password(keystore: Keystore) -> None:
    entry = keystore.import_key(KEY, "pw", name="alice")
    with pytest.raises(WrongPassword):
        KeystoreAccount(keystore, entry, lambda: "nope").unlock()


def test_nothing_is_printed(keystore: Keystore, capsys: pytest.CaptureFixture[str], caplog) -> None:
    caplog.set_level("DEBUG")
    entry = keystore.import_key(KEY, "hunter2", name="alice")
    keystore.unlock("alice", "hunter2")
    keystore.entries()
    with pytest.raises(WrongPassword):
        keystore.unlock("alice", "hunter3")
    captured = capsys.readouterr()
    shown = captured.out + captured.err + caplog.text + repr(entry)
    assert KEY[2:] not in shown.lower() and "hunter" not in shown
