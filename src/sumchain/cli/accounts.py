"""``sumchain account new | import | list``, and how the command line signs on a node.

Keys live in an encrypted keystore (:mod:`sumchain.keys`). Passwords come from
``--password-file`` (a global option) or a hidden prompt on the terminal;
private keys from a hidden prompt or a file (``-`` for standard input), never
from the command line. Nothing here prints a key or a password.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sumchain.chain.hashing import is_address, miswritten_address
from sumchain.cli.app import app
from sumchain.cli.output import err, out
from sumchain.errors import KeystoreError, TransactionDeclined, UnknownAccount
from sumchain.units import is_whole

if TYPE_CHECKING:
    from sumchain.chain.confirm import Confirmation, TransactionPreview
    from sumchain.keys import KeystoreAccount, KeystoreEntry

account_app = typer.Typer(help="Keystore accounts, to sign on real networks.", no_args_is_help=True)
app.add_typer(account_app, name="account")

Name = Annotated[
    str | None,
    typer.Option(help="A name to choose the account by (--account NAME); default: its address."),
]


def _secret(prompt: str, *, confirm: bool = False, instead: str = "--password-file") -> str:
    """A hidden answer typed on the terminal (``instead``: the option that gives it without one)."""
    if not sys.stdin.isatty():
        raise KeystoreError(f"no terminal to ask on ({prompt.lower()}): give {instead}")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True))


def password(password_file: Path | None, prompt: str, *, confirm: bool = False) -> str:
    """The password in ``password_file``, else one typed at a hidden prompt."""
    if password_file is not None:
        from sumchain.keys import read_password_file

        return read_password_file(password_file)
    return _secret(prompt, confirm=confirm)


def _password_file(ctx: typer.Context) -> Path | None:
    """The global ``--password-file`` (set on the root command)."""
    value = ctx.find_root().params.get("password_file")
    return Path(value) if value is not None else None


def _created(verb: str, entry: KeystoreEntry) -> None:
    out.print(f"{verb} account {entry.label}: {entry.address}", highlight=False)
    out.print(f"Key file: {entry.path}", highlight=False, soft_wrap=True)


@account_app.command("new")
def new(ctx: typer.Context, name: Name = None) -> None:
    """Create a random key, stored encrypted with a password."""
    from sumchain.keys import Keystore

    keystore = Keystore()
    secret = password(_password_file(ctx), "Password for the new account", confirm=True)
    _created("Created", keystore.new(secret, name=name))


@account_app.command("import")
def import_key(
    ctx: typer.Context,
    name: Name = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="A file whose first line is the private key in hex, or - for standard input."),
    ] = None,
) -> None:
    """Store an existing private key encrypted (typed at a hidden prompt, or read from --key-file)."""
    if key_file is None:
        key = _secret("Private key (hex)", instead="--key-file (a file, or - for standard input)")
    elif str(key_file) == "-":
        key = sys.stdin.readline()
    else:
        try:
            key = key_file.read_text(encoding="utf-8").partition("\n")[0]
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise KeystoreError(  # not named: a key given in its place would be shown
                f"cannot read the --key-file: {reason} (it takes a file's path, or - for standard input, "
                "not the key itself)"
            ) from None
    from sumchain.keys import Keystore, parse_private_key

    parse_private_key(key)  # not a key: said before the password is asked for, twice
    keystore = Keystore()
    secret = password(_password_file(ctx), "Password for the imported account", confirm=True)
    _created("Imported", keystore.import_key(key, secret, name=name))


@account_app.command("list")
def list_accounts() -> None:
    """Show the keystore's accounts: names, addresses, files."""
    from rich.table import Table

    from sumchain.keys import Keystore

    keystore = Keystore()
    entries = keystore.entries()
    for problem in keystore.unreadable().values():
        err.print(f"Note: {problem} (left out)", highlight=False, soft_wrap=True)
    if not entries:
        out.print(
            f"No accounts in {keystore.folder}: create one with `sumchain account new` or `sumchain account import`.",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(title=f"Keystore {keystore.folder}")
    for column in ("name", "address", "file"):
        table.add_column(column, no_wrap=column == "address")
    for entry in entries:
        table.add_row(entry.name or "", entry.address, entry.path.name)
    out.print(table)


def ask_on_terminal(preview: TransactionPreview) -> bool:
    """Show a transaction's deposit and gas fee in ETH on standard error, and ask whether to send it.

    Raises
    ------
    TransactionDeclined
        When there is no answer (standard input closed).
    """
    from rich.table import Table

    table = Table(title="Transaction to send", show_header=False)
    for label, text in preview.rows():
        table.add_row(label, text)
    err.print(table)
    try:
        answer = bool(typer.confirm("Send it?", default=False, err=True))
    except typer.Abort:
        err.print()  # end the prompt's line: no answer came to end it
        raise TransactionDeclined("no answer: nothing was sent (--yes sends without asking)") from None
    if not sys.stdin.isatty():  # a piped answer is not echoed, nor is the end of its line
        err.print()
    return answer


@dataclass(frozen=True)
class SigningOptions:
    """The global options that govern signing and sending on a JSON-RPC node.

    Parameters
    ----------
    account : str, optional
        ``--account``: a dev index, an address, or a keystore name.
    password_file : Path, optional
        Where the keystore password is; a prompt asks for it otherwise.
    yes : bool
        Send without asking (``--yes``).
    max_deposit : int, optional
        The largest deposit in wei (``--max-deposit``).
    receipt_timeout : float
        Seconds to wait for a transaction to be mined (``--timeout``).
    confirmations : int
        Blocks each transaction waits for (a chain profile's ``confirmations``).
    """

    account: str | None = None
    password_file: Path | None = None
    yes: bool = False
    max_deposit: int | None = None
    receipt_timeout: float = 300
    confirmations: int = 1

    def keystore_account(self) -> KeystoreAccount | None:
        """The keystore entry ``--account`` names, by name or address; None for an index or another address.

        Raises
        ------
        UnknownAccount
            For a name that is not in the keystore.
        """
        if self.account is None or is_whole(self.account):
            return None
        from sumchain.keys import Keystore, KeystoreAccount

        keystore = Keystore()
        try:
            entry = keystore.find(self.account)
        except UnknownAccount:
            if is_address(self.account):
                return None  # a dev account, or the SUMCHAIN_PRIVATE_KEY one
            if (problem := miswritten_address(self.account)) is not None:
                raise UnknownAccount(problem) from None
            raise
        return KeystoreAccount(keystore, entry, lambda: password(self.password_file, f"Password for {entry.label}"))

    def acting_account(self) -> str | None:
        """``--account`` as :func:`~sumchain.chain.base.resolve_account` takes it: a name becomes its address."""
        found = self.keystore_account()
        return found.address if found else self.account

    def confirmation(self) -> Confirmation:
        """The ``confirm`` hook of a chain: ``--max-deposit`` on every chain, the question off dev chains."""
        from sumchain.chain.confirm import Confirmation

        return Confirmation(None if self.yes else ask_on_terminal, max_deposit=self.max_deposit)

    def rpc_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~sumchain.chain.rpc.RpcChain`: the keystore key, timeout, confirmation."""
        found = self.keystore_account()
        return {
            "keys": [found] if found else [],
            "receipt_timeout": self.receipt_timeout,
            "confirmations": self.confirmations,
            "confirm": self.confirmation(),
        }
