"""``sumchain demo``: the whole story on the embedded chain, streamed day by day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sumchain.cli.app import app, session
from sumchain.cli.output import eth, out
from sumchain.errors import SumchainError, without_secrets

if TYPE_CHECKING:
    from sumchain.client import SharedModel
    from sumchain.demo import Agent, DayReport

_ROW = "{:>6}  {:>9}  {:>11}  {:>12}  {:>13}  {:>14}"


def _on_deploy(model: SharedModel, accuracy: float) -> None:
    out.print(
        f"The owner trained a sparse perceptron on 40 reviews and deployed it at [cyan]{model.address}[/].", markup=True
    )
    out.print(
        f"Accuracy on 60 held-out reviews: [bold]{accuracy:.1%}[/]. Deposit now: {eth(model.cost())}.", markup=True
    )
    out.print("Each day an honest contributor adds 10 correctly labelled reviews and a flipper 2 with flipped")
    out.print("labels, each with a deposit; after the 1-day wait each refunds its own data the model agrees")
    out.print("with and reports the other's data the model rejects, taking (part of) its deposit. The flipper")
    out.print("adds data only while it has lost less than 0.2 ETH, its budget.")
    out.print("'honest only' is the accuracy the same model would have with the honest data alone.\n")
    out.print(_ROW.format("day", "accuracy", "honest only", "honest ΔETH", "flipper ΔETH", "adds/refunds/reports"))


def _on_day(report: DayReport, agents: list[Agent], days: int) -> None:
    label = "settle" if report.day > days else str(report.day)
    moves = " ".join(f"{a.added}/{a.refunds}/{a.reports}" for a in agents)
    out.print(
        _ROW.format(
            label,
            f"{report.accuracy:.1%}",
            f"{report.honest_only_accuracy:.1%}",
            *(f"{report.balances[a.name] / 10**18:+.4f}" for a in agents),
            moves,
        )
    )


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=60, help="Simulated days of contributions.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the sample order.")] = 0,
) -> None:
    """Deploy a sentiment model and watch an honest and a label-flipping contributor, day by day."""
    from sumchain.client import SharedModel
    from sumchain.demo import run_demo
    from sumchain.encoders import IMDB_VOCABULARY, encoder_for

    chain = session.chain()
    if not chain.is_dev:
        raise SumchainError("the demo moves the clock: run it on the embedded chain or a dev node")
    out.print("[bold]sumchain demo[/]: a shared sentiment model with Deposit, Refund and Take\n", markup=True)
    result = run_demo(chain, days=days, seed=seed, on_deploy=_on_deploy, on_day=lambda r, a: _on_day(r, a, days))
    session.remember("model", result.address)
    final = result.days[-1]
    out.print(
        f"\nHonest contributor [green]{final.balances['honest'] / 10**18:+.4f} ETH[/], "
        f"label-flipper [red]{final.balances['flipper'] / 10**18:+.4f} ETH[/]; "
        f"accuracy {result.initial_accuracy:.1%} -> {final.accuracy:.1%} "
        f"(with honest data alone: {final.honest_only_accuracy:.1%}).",
        markup=True,
    )
    model = SharedModel(chain, result.address)
    encoder = encoder_for(IMDB_VOCABULARY)
    for text in ("A wonderful film, I loved the music.", "Boring plot and awful acting. Avoid it."):
        label = escape(model.class_name(model.predict(encoder.encode(text))))
        out.print(f"Free prediction: {text!r} -> [bold]{label}[/]", markup=True)
    shown = without_secrets(session.chain_spec)  # a node's URL may carry an API key
    where = "" if session.chain_spec == "embedded" else f" --chain {shown}"
    out.print(f"\nThe model stays on the chain ({shown}). Try next:")
    for command in (
        "sumchain info",
        "sumchain contributions --all",
        'sumchain predict "a dull, predictable story"',
        'sumchain add "a moving and beautiful film" --label positive --account 3',
    ):
        out.print(f"  {command.replace('sumchain', 'sumchain' + where, 1)}")
