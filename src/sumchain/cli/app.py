"""The ``sumchain`` Typer application, its global options and the shared session.

Every command module registers its commands on :data:`app`. Start-up stays
fast: this module and the command modules import only Typer and Rich at the
top; each command imports what it needs when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sumchain import __version__
from sumchain.cli.session import Session

app = typer.Typer(
    help="sumchain: shared machine-learning models on a blockchain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
time_app = typer.Typer(help="Move a dev chain's clock.", no_args_is_help=True)
app.add_typer(time_app, name="time")

session = Session()
"""What the global options chose: the chain, the account, the model, how to sign."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sumchain {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    chain: Annotated[
        str,
        typer.Option(
            help="embedded (default: .sumchain/chain.sqlite), embedded:PATH, memory, an http(s) node URL, "
            "or a profile of ~/.config/sumchain/config.toml ($SUMCHAIN_CONFIG).",
            envvar="SUMCHAIN_CHAIN",
        ),
    ] = "embedded",
    account: Annotated[
        str | None,
        typer.Option(
            help="Dev account index (0-9, dev chains only), address or keystore name to act as; "
            "default: account 0 on a dev chain, else the only key (keystore or SUMCHAIN_PRIVATE_KEY).",
            envvar="SUMCHAIN_ACCOUNT",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="The model: its name in the registry or its address; default: $SUMCHAIN_MODEL, "
            "else the last one deployed from here.",
            envvar="SUMCHAIN_MODEL",
        ),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(
            help="Address of the model registry; default: the embedded chain's own, or the one noted for the node.",
            envvar="SUMCHAIN_REGISTRY",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="On a real network, send without asking for confirmation.")
    ] = False,
    max_deposit: Annotated[
        str | None, typer.Option(help="Refuse to send a larger deposit (or bounty), e.g. 0.01ether; on every chain.")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="File whose first line is the keystore password (else a prompt asks).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a transaction to be mined on a node.")] = 300,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Options that every command takes (before or after the command's name)."""
    session.configure(
        chain=chain,
        account=account,
        model=model,
        registry=registry,
        yes=yes,
        max_deposit=max_deposit,
        password_file=password_file,
        timeout=timeout,
    )
