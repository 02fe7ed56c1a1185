"""``sumchain market``: a prediction market with a hidden test set, phase by phase.

The provider runs ``create`` (deploys the sample sentiment model, or a model file, as a market and funds the
bounty), ``commit TEST_SET`` (splits the test set into pieces, keeps them with their salts in
a file of its own, commits their hashes and seals), ``reveal`` (first the drawn piece, which
opens participation; after ``end``, every other piece); contributors ``contribute``; anyone
``end``s participation, pushes the ``evaluate``-ion and its settlement, and ``withdraw``s what
it is owed; ``status`` shows where the market stands. The current model (``--model``) is the
market.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sumchain.cli.app import app, session
from sumchain.cli.inputs import describe, read_test_set, sample_from
from sumchain.cli.models import (
    Description,
    EncoderOption,
    ImageOption,
    Name,
    SampleOption,
    Text,
    deploy_model,
    read_model,
    sample_model,
)
from sumchain.cli.output import eth, out, parse_duration, when
from sumchain.errors import DepositLimitExceeded, SumchainError

if TYPE_CHECKING:
    from sumchain.market import HiddenTestSet, Market

market_app = typer.Typer(help="A prediction market: a bounty for data that improves a hidden test set.")
app.add_typer(market_app, name="market", no_args_is_help=True)

MAX_MIN_CONTRIBUTIONS = 100_000
"""Most contributions ``market create`` lets a market wait for (each is one transaction to evaluate)."""

SecretOption = Annotated[
    Path | None,
    typer.Option("--secret", help="The provider's file of pieces and salts (default: .sumchain/market-ADDRESS.json)."),
]


def _market() -> Market:
    from sumchain.market import Market

    return Market(session.model())


def _secret_path(market: Market, secret: Path | None) -> Path:
    from sumchain.cli.session import WORKSPACE

    if secret is not None:
        return secret
    WORKSPACE.mkdir(exist_ok=True)
    return WORKSPACE / f"market-{market.address}.json"


@market_app.command("create")
def create(
    bounty: Annotated[str, typer.Option(help="The bounty, e.g. 0.1ether.")],
    stake: Annotated[str, typer.Option(help="Stake of each contributed sample.")] = "0.001ether",
    min_duration: Annotated[str, typer.Option(help="Participation lasts at least this (90, 30m, 2h, 1d).")] = "1d",
    min_contributions: Annotated[
        int, typer.Option(min=1, max=MAX_MIN_CONTRIBUTIONS, help="Contributions needed before participation may end.")
    ] = 1,
    reveal_window: Annotated[str, typer.Option(help="The provider's time to reveal the rest once it ends.")] = "1d",
    claim_wait: Annotated[str, typer.Option(help="After the end, the provider may sweep what is left.")] = "366d",
    model_file: Annotated[
        Path | None,
        typer.Option(help="A model file of the reference system (any type) to run the market on; default: the sample"),
    ] = None,
    encoder: EncoderOption = None,
    name: Name = None,
    description: Description = None,
) -> None:
    """Deploy a model (the sample sentiment model, or --model-file) as a prediction market and fund its bounty
    (you are the provider)."""
    from sumchain.chain.base import resolve_account
    from sumchain.incentives.deposit_refund_take import MIN_REFUND_WAIT
    from sumchain.market import PredictionMarket
    from sumchain.units import parse_amount

    waits = {"min_duration": min_duration, "reveal_window": reveal_window, "claim_wait": claim_wait}
    seconds = {key: parse_duration(given) for key, given in waits.items()}
    for key, given in waits.items():
        if seconds[key] < MIN_REFUND_WAIT:  # 0 would end, forfeit or sweep the market at once
            raise SumchainError(f"--{key.replace('_', '-')} must be at least a minute, got {given}")
    parameters = PredictionMarket(stake=parse_amount(stake), min_contributions=min_contributions, **seconds)
    amount = parse_amount(bounty)
    if amount <= 0:
        raise SumchainError("the bounty must be more than 0")
    chain = session.chain()
    provider = resolve_account(chain, session.account)
    held = chain.balance(provider)
    if held < amount:  # checked before anything is deployed
        raise SumchainError(f"the bounty of {eth(amount)} is more than {provider} holds ({eth(held)})")
    most = session.max_deposit
    if most is not None and amount > most:
        raise DepositLimitExceeded(f"the bounty {eth(amount)} is more than --max-deposit {eth(most)}: nothing was sent")
    if model_file is None:
        if encoder is not None:
            raise SumchainError("--encoder goes with --model-file (the sample model has its own)")
        mirror, metadata = sample_model(name or "movie sentiment (market)", description)
    else:
        mirror, metadata = read_model(model_file, name, description, encoder)
    deploy_model(mirror, metadata, parameters, resume=False, command="market create", register=True)
    market = _market()
    market.fund(amount, sender=session.account)
    out.print(f"Funded a bounty of {eth(amount)}. Next: sumchain market commit TEST_SET.json")


@market_app.command("commit")
def commit(
    test_set: Annotated[
        Path, typer.Argument(help='The hidden test set: a JSON list of {"text" or "sample", "label"}.')
    ],
    pieces: Annotated[int | None, typer.Option(help="Pieces to split it into (default: the fewest of 32).")] = None,
    secret: SecretOption = None,
) -> None:
    """Split the test set into pieces, keep them (with their salts) in a file, commit their hashes and seal.

    Run again after a commit that stopped half-way, it carries on with the pieces and salts of its file."""
    from rich.progress import Progress

    from sumchain.chain.base import resolve_account
    from sumchain.market import HiddenTestSet, split_test_set

    market = _market()
    if market.phase() != "commit":
        raise SumchainError(f"the market is in the {market.phase()} phase: its test set was committed already")
    provider = market.model.owner
    if resolve_account(market.chain, session.account) != provider:
        raise SumchainError(f"only the market's provider, {provider}, commits its test set: nothing was written")
    samples, labels = read_test_set(market.model, test_set)
    path = _secret_path(market, secret)
    kept = HiddenTestSet.load(path) if path.exists() else None
    held = market.committed_pieces()
    if kept is not None and kept.holds(samples, labels) and (held or pieces in (None, len(kept.pieces))):
        hidden = kept  # a commit that stopped half-way: the same pieces and salts
        out.print(f"Carrying on the commit of {path}: {held} of {len(kept.pieces)} pieces are committed already.")
    elif held:
        raise SumchainError(
            f"the market holds {held} commitments already, of the test set whose pieces and salts are in the file "
            f"of that commit; {path} {'is missing' if kept is None else 'holds another'}: give that file with --secret"
        )
    else:
        hidden = split_test_set(samples, labels, pieces=pieces)
        hidden.save(path)  # refuses a file that exists: it may keep the salts of another commit
    with Progress(transient=True) as progress:
        task = progress.add_task("committing", total=len(hidden.pieces))
        market.commit(hidden, sender=session.account, on_step=lambda done, _: progress.update(task, completed=done))
    market.seal(sender=session.account)
    out.print(
        f"Committed {len(hidden)} test samples in {len(hidden.pieces)} pieces and sealed; the pieces and their "
        f"salts are in {path} (keep it secret until you reveal). Next: sumchain market reveal"
    )


@market_app.command("reveal")
def reveal(secret: SecretOption = None) -> None:
    """Reveal what is due: the drawn piece (drawing it first), or, after the end, every other piece."""
    from rich.progress import Progress

    from sumchain.market import HiddenTestSet

    market = _market()
    hidden: HiddenTestSet = HiddenTestSet.load(_secret_path(market, secret))
    phase = market.phase()
    if phase == "sealed":
        market.draw(sender=session.account)
        phase = market.phase()
    if phase == "drawn":
        first = int(market._read("first_piece"))
        market.reveal(hidden, first, sender=session.account)
        out.print(f"Revealed the drawn piece {first}; participation is open: sumchain market contribute TEXT --label L")
        return
    if phase != "reveal":
        raise SumchainError(f"nothing to reveal in the {phase} phase")
    with Progress(transient=True) as progress:
        task = progress.add_task("revealing", total=len(hidden.pieces) - 1)
        market.reveal_rest(
            hidden, sender=session.account, on_step=lambda done, _: progress.update(task, completed=done)
        )
    out.print("Revealed every piece; anyone may now run: sumchain market evaluate")


@market_app.command("contribute")
def contribute(
    label: Annotated[str, typer.Option(help="The class: its name (or a unique prefix) or its number.")],
    text: Text = None,
    sample: SampleOption = None,
    image: ImageOption = None,
) -> None:
    """Stake on a labelled input during participation (the model learns it at the evaluation)."""
    market = _market()
    features = sample_from(market.model, text, sample, image)
    number = market.model.check_label(label)
    index = market.add_data(features, number, sender=session.account)
    out.print(f"Staked {eth(market.parameters.stake)} on contribution {index}: {describe(market.model, number)}.")


@market_app.command("end")
def end() -> None:
    """End participation (once it lasted long enough with enough contributions); the provider then reveals."""
    market = _market()
    market.end(sender=session.account)
    out.print(
        f"Participation ended; the provider reveals the rest before {when(int(market._read('reveal_deadline')))}."
    )


@market_app.command("forfeit")
def forfeit() -> None:
    """After a missed reveal deadline, give the bounty to the contributors, and settle."""
    market = _market()
    market.forfeit(sender=session.account)
    market.settle(sender=session.account)
    out.print("The provider did not reveal in time: the bounty went to the contributors (sumchain market withdraw).")


@market_app.command("evaluate")
def evaluate() -> None:
    """Push the evaluation (one piece or one contribution per transaction) and the settlement to the end."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    market = _market()
    if market.phase() == "done":
        raise SumchainError("nothing to evaluate: the market is done (its scores: sumchain market status)")
    if market.phase() not in ("evaluate", "reward", "forfeited"):
        raise SumchainError(f"nothing to evaluate in the {market.phase()} phase: every piece is revealed first")
    total = int(market._read("num_contributions"))
    columns = (
        TextColumn("evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("contributions"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("evaluate", total=total)
        sent = market.evaluate(sender=session.account, on_step=lambda done, _: progress.update(task, completed=done))
    sent += market.settle(sender=session.account)
    scores = market.scores()
    out.print(f"Evaluated {len(scores)} contributions in {sent} transactions; scores (test samples): {scores}")
    out.print("Everyone may now withdraw: sumchain market withdraw")


@market_app.command("finalize")
def finalize(
    mechanism: Annotated[
        str, typer.Option("--mechanism", help="The new model's mechanism: deposit_refund_take or points.")
    ] = "deposit_refund_take",
    name: Name = None,
) -> None:
    """Deploy the model the market leaves (its initial parameters and the kept contributions) as a
    normal model with any mechanism; it becomes the current model."""
    from dataclasses import replace

    from sumchain.cli.models import mechanism_from_options

    market = _market()
    mirror = market.finalized_mirror()
    kept = sum(market.kept())
    chosen = mechanism_from_options(mechanism, False, {})
    metadata = replace(market.model.metadata, name=name or f"{market.model.metadata.name} (finalized)")
    out.print(f"Finalizing with the {kept} kept contribution{'s' if kept != 1 else ''} of {market.address}.")
    deploy_model(mirror, metadata, chosen, resume=False, command="market finalize", register=True)


@market_app.command("withdraw")
def withdraw() -> None:
    """Collect what you are owed once the market is done (stakes, rewards, or the provider's bounty left)."""
    amount = _market().withdraw(sender=session.account)
    out.print(f"Withdrew {eth(amount)}.")


@market_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False) -> None:
    """Where the market stands: phase, bounty, pieces, contributions, evaluation, what you are owed."""
    market = _market()
    figures = market.status() | {"owed_to_you": market.owed(session.account), "scores": market.scores()}
    if as_json:
        typer.echo(json.dumps(figures, indent=1))
        return
    out.print(f"[bold]{market.model.metadata.name}[/] at {market.address}: phase {figures['phase']}")
    out.print(
        f"Bounty {eth(figures['bounty'])} ({eth(figures['bounty_left'])} left); "
        f"stake {eth(market.parameters.stake)}; {figures['num_revealed']}/{figures['num_pieces']} pieces revealed; "
        f"{figures['num_contributions']} contributions, {figures['applied']} evaluated; "
        f"you are owed {eth(figures['owed_to_you'])}."
    )
    if figures["scores"]:
        out.print(f"Scores (test samples): {figures['scores']}")
