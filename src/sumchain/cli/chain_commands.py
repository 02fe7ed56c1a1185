"""Commands about the chain itself: ``balance`` and ``time advance``."""

from __future__ import annotations

from typing import Annotated

import typer

from sumchain.cli.app import app, session, time_app
from sumchain.cli.output import eth, out, parse_duration, when
from sumchain.errors import SumchainError


@app.command()
def balance() -> None:
    """Show the acting account's balance (and payments waiting for it in the current model, if any)."""
    from sumchain.chain.base import resolve_account
    from sumchain.market import Market, PredictionMarket

    chain = session.chain()
    address = resolve_account(chain, session.account, signing=False)
    out.print(f"{address}: {eth(chain.balance(address))}")
    if session.model_ref or session.remembered("model"):
        model = session.model()
        if model.mechanism_class is PredictionMarket:
            owed = Market(model).owed(address)
            if owed:
                out.print(f"Owed to it by the market (sumchain market withdraw): {eth(owed)}")
            return
        pending = model.pending_withdrawal(address)
        if pending:
            out.print(f"Waiting for it in the model (sumchain withdraw): {eth(pending)}")


@time_app.command("advance")
def time_advance(duration: Annotated[str, typer.Argument(help="How far: 90, 30m, 2h, 1d, 1w.")]) -> None:
    """Move the clock of a dev chain forward (one empty block)."""
    chain = session.chain()
    if not chain.is_dev:
        raise SumchainError("time can only be advanced on a dev chain")
    seconds = parse_duration(duration)
    if seconds == 0:
        raise SumchainError("time advance needs a duration of at least a second, got 0")
    chain.advance_time(seconds)
    out.print(f"Chain time is now {when(chain.time())}.")
