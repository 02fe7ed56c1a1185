"""Signing keys for real networks: encrypted keystore files, or one key in an environment variable.

A keystore is a folder of standard encrypted JSON files (Web3 Secret Storage,
version 3, as geth and eth-account write them): ``$SUMCHAIN_KEYSTORE``, else
``$XDG_CONFIG_HOME/sumchain/keystore``, else ``~/.config/sumchain/keystore``.
The folder is created private to its owner (mode 0700; a folder that exists
keeps its mode) and each file is too (0600). An account may have a name; its
file is then ``NAME.json``, else ``0xADDRESS.json``; geth's ``UTC--...`` files
are read too, unnamed.

Private keys and passwords are never printed, logged or put in an error
message; only addresses are.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sumchain.chain.hashing import checksum, is_address
from sumchain.errors import InvalidPrivateKey, KeystoreError, UnknownAccount, WrongPassword

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

KEYSTORE_VARIABLE = "SUMCHAIN_KEYSTORE"
PRIVATE_KEY_VARIABLE = "SUMCHAIN_PRIVATE_KEY"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_SUFFIX = ".json"
_GETH_PREFIX = "UTC--"
"""How the files geth writes are named (``UTC--TIME--ADDRESS``, no suffix); they are read, unnamed."""
_LOCK = ".lock"
"""The file locked while an account is added (see :meth:`Keystore._locked`)."""


def default_keystore() -> Path:
    """The keystore folder: ``$SUMCHAIN_KEYSTORE``, ``$XDG_CONFIG_HOME/sumchain/keystore`` or ``~/.config/...``."""
    if os.environ.get(KEYSTORE_VARIABLE):
        return Path(os.environ[KEYSTORE_VARIABLE]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "sumchain" / "keystore"


def _hex_address(value: object) -> str:
    """A keystore file's ``address`` (V3 files write it without ``0x``) with its ``0x``."""
    text = str(value or "")
    return text if text[:2].lower() == "0x" else "0x" + text


def _account_class() -> Any:
    """eth-account's ``Account`` (imported on first use: it takes a second to import)."""
    from eth_account import Account

    return Account


def parse_private_key(text: str | bytes) -> LocalAccount:
    """The account of a private key given as 32 bytes or 64 hex digits (``0x`` optional).

    Raises
    ------
    InvalidPrivateKey
        When it is not a valid key; the message never contains the text.

    Examples
    --------
    >>> parse_private_key("0x" + "01" * 32).address
    '0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1'
    >>> parse_private_key("0x1234")
    Traceback (most recent call last):
    ...
    sumchain.errors.InvalidPrivateKey: not a private key: expected 64 hexadecimal digits (32 bytes)
    """
    try:
        key = text if isinstance(text, bytes) else bytes.fromhex(text.strip().removeprefix("0x"))
        if len(key) != 32:
            raise ValueError
    except ValueError:
        raise InvalidPrivateKey("not a private key: expected 64 hexadecimal digits (32 bytes)") from None
    try:
        return _account_class().from_key(key)
    except ValueError:  # 0, or the curve's order or above
        raise InvalidPrivateKey("not a private key: its number must be above 0 and below the secp256k1 order") from None


def key_from_env() -> LocalAccount | None:
    """The account of the key in ``$SUMCHAIN_PRIVATE_KEY`` (hex), or None when it is unset or empty.

    Raises
    ------
    InvalidPrivateKey
        When the variable holds something else than a private key.
    """
    text = os.environ.get(PRIVATE_KEY_VARIABLE, "").strip()
    if not text:
        return None
    try:
        return parse_private_key(text)
    except InvalidPrivateKey:
        raise InvalidPrivateKey(f"{PRIVATE_KEY_VARIABLE} is not a private key (64 hexadecimal digits)") from None


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password in the first line of a file (its line ending removed).

    Raises
    ------
    KeystoreError
        When the file cannot be read or its first line is empty; the path is not repeated, since
        a password given in its place would be shown.
    """
    try:
        with open(path, encoding="utf-8") as file:
            password = file.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise KeystoreError(
            f"cannot read the password file: {reason} (--password-file takes the path of a file whose first "
            "line is the password, not the password itself)"
        ) from None
    if not password:
        raise KeystoreError("the password file is empty: its first line is the password")
    return password


@dataclass(frozen=True)
class KeystoreEntry:
    """One account of a keystore: its address, optional name and file."""

    address: str
    name: str | None
    path: Path

    @property
    def label(self) -> str:
        """The name, or the address when there is none."""
        return self.name or self.address


class Keystore:
    """A folder of encrypted key files.

    Parameters
    ----------
    folder : path, optional
        Where the files are; :func:`default_keystore` by default.
    iterations : int, optional
        scrypt cost parameter ``n`` (a power of two) for new files; eth-account's
        default (``2**18``, about a second per encryption) when None. Reading a
        file uses the parameters stored in it.

    Examples
    --------
    >>> import tempfile
    >>> keystore = Keystore(tempfile.mkdtemp(), iterations=2**4)
    >>> entry = keystore.import_key("0x" + "01" * 32, "secret", name="alice")
    >>> [(e.name, e.address) for e in keystore.entries()]
    [('alice', '0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1')]
    >>> keystore.unlock("alice", "secret").address == entry.address
    True
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None, *, iterations: int | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_keystore()
        self.iterations = iterations

    def entries(self) -> list[KeystoreEntry]:
        """The accounts in the folder, sorted by name then address (none if the folder does not exist); a
        file that is no keystore file is left out (:meth:`unreadable` says which), not in the others' way.

        Raises
        ------
        KeystoreError
            When the keystore's path is a file, not a folder.
        """
        return self._scan()[0]

    def unreadable(self) -> dict[Path, str]:
        """The files of the folder that :meth:`entries` leaves out, with what is wrong with each."""
        return self._scan()[1]

    def find(self, account: str) -> KeystoreEntry:
        """The entry with this name or address.

        Raises
        ------
        UnknownAccount
            When no entry matches.
        KeystoreError
            When the file of that name is no keystore file.
        """
        address = checksum(account) if is_address(account) else None
        entries, unreadable = self._scan()
        for entry in entries:
            if account == entry.name or address == entry.address:
                return entry
        problem = unreadable.get(self.folder / f"{account}{_SUFFIX}")
        if problem is not None:
            raise KeystoreError(problem)
        raise UnknownAccount(f"no account {account!r} in the keystore {self.folder} (see `sumchain account list`)")

    def new(self, password: str, *, name: str | None = None) -> KeystoreEntry:
        """Create a random key and store it encrypted.

        Raises
        ------
        KeystoreError
            For an empty password, or a name that is invalid or taken.
        """
        return self._store(_account_class().create(), password, name)

    def import_key(self, private_key: str | bytes, password: str, *, name: str | None = None) -> KeystoreEntry:
        """Store an existing private key (hex text or 32 bytes) encrypted.

        Raises
        ------
        InvalidPrivateKey
            When ``private_key`` is not a private key.
        KeystoreError
            For an empty password, a name that is invalid or taken, or a key
            that is already in the keystore.
        """
        return self._store(parse_private_key(private_key), password, name)

    def unlock(self, account: str, password: str) -> LocalAccount:
        """Decrypt the key of the entry with this name or address.

        Raises
        ------
        UnknownAccount
            When no entry matches.
        WrongPassword
            When the password does not decrypt the file.
        KeystoreError
            When the key is not the address the file says (the file was altered): the account
            listed, whose deposit was shown, would not be the one that signs.
        """
        return self.unlock_entry(self.find(account), password)

    def unlock_entry(self, entry: KeystoreEntry, password: str) -> LocalAccount:
        """Decrypt the key of ``entry``'s file (another file may hold the same key, with another password).

        Raises
        ------
        WrongPassword, KeystoreError
            As :meth:`unlock`.
        """
        try:
            key = _account_class().decrypt(self._read_json(entry.path), password)
        except NotImplementedError:  # eth-keyfile reads version 3 only
            raise KeystoreError(f"cannot decrypt {entry.path}: only version 3 keystore files are read") from None
        except (ValueError, KeyError, TypeError) as exc:  # eth-keyfile's errors for a malformed file
            if isinstance(exc, ValueError) and "MAC mismatch" in str(exc):
                raise WrongPassword(f"wrong password for {entry.label}") from None
            raise KeystoreError(f"cannot decrypt {entry.path}: it is not a valid keystore file") from None
        unlocked = _account_class().from_key(key)
        if unlocked.address != entry.address:
            raise KeystoreError(
                f"{entry.path} says it holds {entry.address}, but its key is {unlocked.address}'s: "
                "the file was altered; nothing was signed"
            )
        return unlocked

    # -- files ---------------------------------------------------------------

    def _scan(self) -> tuple[list[KeystoreEntry], dict[Path, str]]:
        """The entries of the folder, sorted, and the files that are none, with why."""
        if not self.folder.is_dir():
            if self.folder.exists():
                raise KeystoreError(f"the keystore {self.folder} is a file, not a folder")
            return [], {}
        found, unreadable = [], {}
        for path in {*self.folder.glob(f"*{_SUFFIX}"), *self.folder.glob(f"{_GETH_PREFIX}*")}:  # once each
            try:
                found.append(self._read_entry(path))
            except KeystoreError as exc:
                unreadable[path] = str(exc)
        return sorted(found, key=lambda e: (e.name is None, e.name or "", e.address)), unreadable

    def _read_json(self, path: Path) -> dict[str, object]:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise KeystoreError(f"cannot read {path}: it is not a keystore file") from None
        if not isinstance(content, dict) or not is_address(_hex_address(content.get("address"))):
            raise KeystoreError(f"{path} is not a keystore file (no address)")
        return content

    def _read_entry(self, path: Path) -> KeystoreEntry:
        address = checksum(_hex_address(self._read_json(path)["address"]))
        stem = path.name.removesuffix(_SUFFIX)
        return KeystoreEntry(address, None if is_address(stem) or stem.startswith(_GETH_PREFIX) else stem, path)

    def _store(self, account: LocalAccount, password: str, name: str | None) -> KeystoreEntry:
        if not password:
            raise KeystoreError("the password is empty")
        if name is not None and (not _NAME.fullmatch(name) or is_address(name)):
            raise KeystoreError(
                f"invalid account name {name!r}: a letter, then up to 63 letters, digits, '_', '.' or '-'"
            )
        self._check_new(account.address)  # before the slow encryption, to answer at once
        path = self.folder / f"{name or account.address}{_SUFFIX}"
        content = json.dumps(_account_class().encrypt(account.key, password, kdf="scrypt", iterations=self.iterations))
        try:
            self.folder.mkdir(parents=True)
        except FileExistsError:
            pass  # a folder of the user's (a shared one, the home) keeps its mode
        else:
            os.chmod(self.folder, 0o700)
        with self._locked():  # another process may have stored the same key while this one encrypted
            self._check_new(account.address)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                    file.write(content)
                    file.flush()
                    os.fsync(file.fileno())
                os.link(temporary, path)  # fails if the name is taken: never overwrites a key
            except FileExistsError:
                raise KeystoreError(f"the keystore already has an account named {name!r}") from None
            finally:
                temporary.unlink(missing_ok=True)
        return KeystoreEntry(account.address, name, path)

    def _check_new(self, address: str) -> None:
        for entry in self.entries():
            if entry.address == address:
                raise KeystoreError(f"{address} is already in the keystore as {entry.path.name}")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the keystore's lock (its file ``.lock``, open for writing, as a lock over NFS needs)
        while adding a file, so that two processes storing one key under two names do not both
        succeed. Where there is no ``fcntl`` (Windows), the check again before the file is linked
        is all there is.

        Raises
        ------
        KeystoreError
            When the lock file cannot be made or locked.
        """
        try:
            import fcntl
        except ImportError:
            yield
            return
        try:
            descriptor = os.open(self.folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise KeystoreError(f"cannot lock the keystore {self.folder}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
            except OSError as exc:
                raise KeystoreError(f"cannot lock the keystore {self.folder}: {exc.strerror or exc}") from None
            yield
        finally:
            os.close(descriptor)


@dataclass
class KeystoreAccount:
    """A keystore entry whose key is decrypted the first time it signs.

    Parameters
    ----------
    keystore : Keystore
        Where the entry is.
    entry : KeystoreEntry
        The account.
    password : callable
        Returns the password when it is first needed (a prompt, a file read).
    """

    keystore: Keystore
    entry: KeystoreEntry
    password: Callable[[], str]
    _unlocked: LocalAccount | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        """The checksummed address (known without the password)."""
        return self.entry.address

    def unlock(self) -> LocalAccount:
        """The decrypted account, asking for the password once.

        Raises
        ------
        WrongPassword
            When the password does not decrypt the file.
        """
        if self._unlocked is None:
            self._unlocked = self.keystore.unlock_entry(self.entry, self.password())
        return self._unlocked
