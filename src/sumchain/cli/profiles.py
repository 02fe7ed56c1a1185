"""Chain profiles: named nodes in a TOML file, so that ``--chain NAME`` works for every command.

The file is ``$SUMCHAIN_CONFIG``, else ``$XDG_CONFIG_HOME/sumchain/config.toml``,
else ``~/.config/sumchain/config.toml``. Each profile is a table under ``chains``::

    [chains.sepolia]
    url = "https://rpc.sepolia.example"   # the node's JSON-RPC URL (required)
    chain_id = 11155111                   # checked against the node before anything is sent
    account = "alice"                     # a keystore name or an address; --account overrides it
    confirmations = 2                     # blocks each transaction waits for (default 1)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sumchain.errors import ChainError

CONFIG_VARIABLE = "SUMCHAIN_CONFIG"
_KEYS = ("url", "chain_id", "account", "confirmations")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Profile:
    """One named chain.

    Parameters
    ----------
    name : str
        What ``--chain`` calls it.
    url : str
        The node's ``http(s)://`` JSON-RPC URL.
    chain_id : int, optional
        The chain id the node must report; None checks nothing.
    account : str, optional
        The account to act as when ``--account`` is not given.
    confirmations : int
        Blocks each transaction waits for (1: mined).
    """

    name: str
    url: str
    chain_id: int | None = None
    account: str | None = None
    confirmations: int = 1

    def check(self, chain_id: int) -> None:
        """Raise unless the node's ``chain_id`` is the profile's.

        Raises
        ------
        ChainError
            When they differ.
        """
        if self.chain_id is not None and chain_id != self.chain_id:
            raise ChainError(
                f"profile {self.name!r} expects chain id {self.chain_id}, but {self.url} is chain {chain_id}: "
                "nothing was sent"
            )


def config_file() -> Path:
    """Where the profiles are: ``$SUMCHAIN_CONFIG``, else the user's config folder."""
    explicit = os.environ.get(CONFIG_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "sumchain" / "config.toml"


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    """Every profile of the config file (none when it does not exist).

    Raises
    ------
    ChainError
        For a file that is not TOML, or a profile with an unknown key, a missing or
        non-HTTP ``url``, or a value of the wrong type; the message names the file and
        the profile.
    """
    path = config_file() if path is None else path
    if not path.exists():
        return {}
    try:
        chains = tomllib.loads(path.read_text(encoding="utf-8")).get("chains", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ChainError(f"cannot read the chain profiles in {path}: {exc}") from None
    if not isinstance(chains, dict):
        raise ChainError(f"{path}: `chains` must be a table of profiles ([chains.NAME])")
    return {name: _profile(path, name, table) for name, table in chains.items()}


def _profile(path: Path, name: str, table: object) -> Profile:
    """One profile, checked."""
    where = f"{path}: profile {name!r}"
    if not _NAME.fullmatch(name):
        raise ChainError(f"{where}: a name starts with a letter and has letters, digits, '_', '.' or '-'")
    if not isinstance(table, dict):
        raise ChainError(f"{where} must be a table ([chains.{name}])")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ChainError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
    url = table.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ChainError(f"{where}: `url` must be an http(s):// node URL")
    for key in ("chain_id", "confirmations"):
        value = table.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ChainError(f"{where}: `{key}` must be a whole number of at least 1, got {value!r}")
    account = table.get("account")
    if account is not None and not isinstance(account, str):
        raise ChainError(f"{where}: `account` must be a keystore name or an address, as text")
    return Profile(name, url, table.get("chain_id"), account, table.get("confirmations", 1))


def find_profile(name: str) -> Profile | None:
    """The profile called ``name`` in the config file, or None."""
    return load_profiles().get(name)


def unknown_chain(spec: str) -> ChainError:
    """The error for a ``--chain`` that is neither a built-in form nor a profile."""
    names = ", ".join(sorted(load_profiles())) or f"none defined in {config_file()}"
    return ChainError(
        f"unknown chain {spec!r}: use embedded, embedded:PATH, memory, a node URL, or a profile ({names})"
    )
