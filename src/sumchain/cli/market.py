"""``sumchain market``: a prediction market with a hidden test set, phase by phase.

The provider runs ``create`` (deploys the sample sentiment model, or a model file, as a market and funds the
bounty; ``fund`` adds to it before the seal), ``commit TEST_SET`` (splits the test set into pieces, keeps
them with their salts in a file of its own, commits their hashes and seals), ``reveal`` (first the drawn piece, which
opens participation; after ``end``, every other piece), or ``cancel`` before participation opens
(the bounty back); contributors ``contribute``; anyone
``end``s participation, pushes the ``evaluate``-ion and its settlement, and ``withdraw``s what
it is owed, or ``abandon``-s an evaluation that has not moved for the claim wait; the provider
``sweep``-s what nobody withdrew after the claim wait;
``status`` shows where the market stands. The current model (``--model``) is the
market.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sumchain.cli.app import app, session
from sumchain.cli.inputs import describe, read_test_set, sample_from
from sumchain.cli.models import (
    MAX_MIN_CONTRIBUTIONS,
    Description,
    EncoderOption,
    ImageOption,
    Name,
    SampleOption,
    Text,
    check_bounty,
    deploy_model,
    market_from_options,
    read_model,
    sample_model,
)
from sumchain.cli.output import eth, out, progress_bar, when
from sumchain.errors import ContractReverted, SumchainError
from sumchain.incentives.deposit_refund_take import duration
from sumchain.incentives.prediction_market import SETTLED

if TYPE_CHECKING:
    from sumchain.market import HiddenTestSet, Market

market_app = typer.Typer(help="A prediction market: a bounty for data that improves a hidden test set.")
app.add_typer(market_app, name="market", no_args_is_help=True)

SecretOption = Annotated[
    Path | None,
    typer.Option(
        "--secret",
        help="The provider's file of pieces and salts (default: commit writes .sumchain/market-ADDRESS-TAG.json; "
        "reveal finds the file in .sumchain the market committed to).",
    ),
]


def _market() -> Market:
    from sumchain.market import Market

    return Market(session.model())


def _secret_path(market: Market, secret: Path | None, tag: str) -> Path:
    """``--secret``, else the workspace's file of this test set for this market (``tag``: see
    :func:`~sumchain.market.hidden_set_tag`), the one the dashboard would keep it in."""
    from sumchain.cli.session import WORKSPACE
    from sumchain.market import hidden_set_file

    if secret is not None:
        return secret
    WORKSPACE.mkdir(exist_ok=True)
    return hidden_set_file(WORKSPACE, market.address, tag)


def _kept(market: Market, secret: Path | None) -> HiddenTestSet:
    """The provider's test set: the file of ``--secret``, else the one in the workspace the market
    committed to (``market commit``'s, or the dashboard's)."""
    from sumchain.cli.session import WORKSPACE
    from sumchain.market import HiddenTestSet, find_kept_test_set

    if secret is not None:
        return HiddenTestSet.load(secret)
    found = find_kept_test_set(WORKSPACE, market)
    if found is None:
        raise SumchainError(
            f"no file in {WORKSPACE} keeps the test set the market committed to: give its file with --secret"
        )
    return found[0]


@market_app.command("create")
def create(
    bounty: Annotated[str, typer.Option(help="The bounty, e.g. 0.1ether.")],
    stake: Annotated[str, typer.Option(help="Stake of each contributed sample.")] = "0.001ether",
    min_duration: Annotated[str, typer.Option(help="Participation lasts at least this (90, 30m, 2h, 1d).")] = "1d",
    min_contributions: Annotated[
        int, typer.Option(min=1, max=MAX_MIN_CONTRIBUTIONS, help="Contributions needed before participation may end.")
    ] = 1,
    reveal_window: Annotated[str, typer.Option(help="The provider's time to reveal the rest once it ends.")] = "1d",
    claim_wait: Annotated[
        str,
        typer.Option(
            help="After the end, the provider may sweep what is left; participation with too few contributions "
            "may end this long after --min-duration; an evaluation that has not moved this long may be abandoned "
            "(it then pays as a forfeit)."
        ),
    ] = "366d",
    model_file: Annotated[
        Path | None,
        typer.Option(
            help="A model file of the reference system (any type) to run the market on; "
            "default: the sample sentiment model."
        ),
    ] = None,
    encoder: EncoderOption = None,
    name: Name = None,
    description: Description = None,
) -> None:
    """Deploy a model (the sample sentiment model, or --model-file) as a prediction market and fund its bounty
    (you are the provider; if it stops before the bounty is funded: sumchain market fund AMOUNT)."""
    from sumchain.chain.base import resolve_account
    from sumchain.units import parse_amount

    parameters = market_from_options(stake, min_duration, min_contributions, reveal_window, claim_wait)
    chain = session.chain()
    amount = parse_amount(bounty)
    check_bounty(chain, resolve_account(chain, session.account), amount, session.max_deposit)
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


@market_app.command("fund")
def fund(amount: Annotated[str, typer.Argument(help="Wei to add to the bounty, e.g. 0.1ether.")]) -> None:
    """Add to the bounty before the test set is sealed (the provider): for a market whose creation stopped
    before it was funded, or a larger bounty."""
    from sumchain.chain.base import resolve_account
    from sumchain.units import parse_amount

    market = _market()
    value = parse_amount(amount)
    check_bounty(market.chain, resolve_account(market.chain, session.account), value, session.max_deposit)
    market.fund(value, sender=session.account)
    out.print(f"Added {eth(value)} to the bounty: {eth(int(market._read('bounty')))} in all.")


@market_app.command("commit")
def commit(
    test_set: Annotated[
        Path, typer.Argument(help='The hidden test set: a JSON list of {"text" or "sample", "label"}.')
    ],
    pieces: Annotated[
        int | None,
        typer.Option(help="Pieces to split it into: at least 2, of at most 32 samples each (default: the fewest)."),
    ] = None,
    secret: SecretOption = None,
) -> None:
    """Split the test set into pieces, keep them (with their salts) in a file, commit their hashes and seal.

    Run again after a commit that stopped half-way, it carries on with the pieces and salts of its file."""
    from sumchain.chain.base import resolve_account
    from sumchain.cli.session import WORKSPACE
    from sumchain.market import hidden_set_tag, kept_test_set

    market = _market()
    if market.phase() != "commit":
        raise SumchainError(f"the market is in the {market.phase()} phase: its test set was committed already")
    provider = market.model.owner
    if resolve_account(market.chain, session.account) != provider:
        raise SumchainError(f"only the market's provider, {provider}, commits its test set: nothing was written")
    if not market.funded():
        raise SumchainError(
            "the market has no bounty (its creation stopped before funding it): sumchain market fund AMOUNT first; "
            "nothing was written"
        )
    samples, labels = read_test_set(market.model, test_set)
    path = _secret_path(market, secret, hidden_set_tag(samples, labels, pieces, market.identity))
    hidden, path, carried_on = kept_test_set(
        market, samples, labels, path, pieces=pieces, folder=WORKSPACE if secret is None else None
    )
    if carried_on:
        out.print(
            f"Carrying on the commit of {path}: {market.committed_pieces()} of {len(hidden.pieces)} pieces are "
            "committed already."
        )
    with progress_bar() as progress:
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
    market = _market()
    phase = market.phase()
    if phase not in ("sealed", "drawn", "reveal"):
        raise SumchainError(f"nothing to reveal in the {phase} phase")
    hidden = _kept(market, secret)
    with progress_bar() as progress:
        steps = {"sealed": 2, "drawn": 1}.get(phase) or len(hidden.pieces) - market.status()["num_revealed"]
        task = progress.add_task("revealing", total=steps)
        sent = market.provide(hidden, sender=session.account, on_step=lambda _: progress.advance(task))
    if not sent:
        raise SumchainError("nothing to reveal: the reveal deadline passed (anyone may run: sumchain market forfeit)")
    if phase == "reveal":
        out.print("Revealed every piece; anyone may now run: sumchain market evaluate")
    else:
        first = market.status()["first_piece"]
        out.print(f"Revealed the drawn piece {first}; participation is open: sumchain market contribute TEXT --label L")


@market_app.command("cancel")
def cancel() -> None:
    """End the market before participation opens and take the bounty back (the provider; nobody has staked
    yet): for a provider that lost the file of its commit, or changed its mind."""
    owed = _market().cancel(sender=session.account)
    out.print(f"Cancelled the market: {eth(owed)} is owed to the provider (sumchain market withdraw).")


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
    """End participation (once it lasted long enough with enough contributions, or with fewer once it also
    lasted the claim wait); the provider then reveals."""
    market = _market()
    market.end(sender=session.account)
    out.print(
        f"Participation ended; the provider reveals the rest before {when(int(market._read('reveal_deadline')))}."
    )


@market_app.command("forfeit")
def forfeit() -> None:
    """After a missed reveal deadline, give the bounty to the contributors (back to the provider if there are
    none), and settle."""
    market = _market()
    market.forfeit(sender=session.account)
    market.settle(sender=session.account)
    went = "to the contributors" if market.contributions() else "back to the provider: nobody contributed"
    out.print(f"The provider did not reveal in time: the bounty went {went} (sumchain market withdraw).")


@market_app.command("abandon")
def abandon() -> None:
    """Give up an evaluation that has not moved for the claim wait (its steps refused: the provider's model cannot
    learn, say), then settle: as after a forfeit, each stake back with a share of the bounty."""
    market = _market()
    market.abandon(sender=session.account)
    market.settle(sender=session.account)
    out.print(
        "The evaluation was given up: each contributor gets its stakes back with a share of the bounty "
        "(sumchain market withdraw)."
    )


def _evaluation_refused(market: Market, refused: ContractReverted) -> SumchainError:
    """A refused evaluation step, with the way out of an evaluation that cannot go on."""
    deadline = market.evaluation_deadline() or 0  # set: the evaluation runs
    way_out = (
        "anyone may give it up: sumchain market abandon (each stake back with a share of the bounty)"
        if market.evaluation_stuck()
        else f"if it stays refused, anyone may give it up after {when(deadline)}: sumchain market abandon"
    )
    return SumchainError(f"the evaluation's next step is refused ({refused}); {way_out}")


@market_app.command("evaluate")
def evaluate() -> None:
    """Push the evaluation (one piece or one contribution per transaction) and the settlement to the end."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    market = _market()
    if market.phase() == "done":
        raise SumchainError("nothing to evaluate: the market is done (its scores: sumchain market status)")
    if market.phase() not in ("evaluate", *SETTLED):
        raise SumchainError(f"nothing to evaluate in the {market.phase()} phase: every piece is revealed first")
    total = int(market._read("num_contributions"))
    columns = (
        TextColumn("evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("contributions"),
        TimeElapsedColumn(),
    )
    with progress_bar(*columns) as progress:
        task = progress.add_task("evaluate", total=total)
        try:
            sent = market.evaluate(
                sender=session.account, on_step=lambda done, _: progress.update(task, completed=done)
            )
        except ContractReverted as refused:
            raise _evaluation_refused(market, refused) from None
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


@market_app.command("sweep")
def sweep(
    accounts: Annotated[
        list[str] | None,
        typer.Argument(help="Accounts (addresses or dev numbers); default: every contributor still owed something."),
    ] = None,
) -> None:
    """Move what contributors did not withdraw to you, the provider, once the claim wait after the end has passed;
    then withdraw it (sumchain market withdraw)."""
    from sumchain.chain.base import resolve_account

    market = _market()
    chain = market.chain
    if accounts:
        named = [resolve_account(chain, a, signing=False) for a in accounts]
    else:
        named = [a for a in dict.fromkeys(c for _, c, _, _ in market.contributions()) if market.owed(a)]
        if not named:
            out.print("Nothing to sweep: every contributor withdrew what it was owed.")
            return
    total = 0
    for account in named:
        amount = market.sweep(account, sender=session.account)
        total += amount
        out.print(f"Swept {eth(amount)} from {account}.")
    out.print(f"Swept {eth(total)} in all: withdraw it with sumchain market withdraw.")


@market_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False) -> None:
    """Where the market stands: phase, bounty, pieces, contributions, evaluation, what you are owed."""
    market = _market()
    figures = market.status() | {"owed_to_you": market.owed(session.account), "scores": market.scores()}
    if as_json:
        typer.echo(json.dumps(figures, indent=1))
        return
    out.print(
        f"[bold]{escape(market.model.metadata.name)}[/] at {market.address}: phase {figures['phase']}", markup=True
    )
    out.print(
        f"Bounty {eth(figures['bounty'])} ({eth(figures['bounty_left'])} left); "
        f"stake {eth(market.parameters.stake)}; {figures['num_revealed']}/{figures['num_pieces']} pieces revealed; "
        f"{figures['num_contributions']} contributions, {figures['applied']} evaluated; "
        f"you are owed {eth(figures['owed_to_you'])}."
    )
    p = market.parameters
    out.print(
        f"Participation lasts at least {duration(p.min_duration)} and needs {p.min_contributions} contribution(s), "
        f"or lasts the claim wait more; reveal window {duration(p.reveal_window)}; claim wait {duration(p.claim_wait)}."
    )
    deadline = market.evaluation_deadline()
    if figures["phase"] == "evaluate" and deadline is not None:
        out.print(
            f"Unless a step moves the evaluation first, anyone may give it up after {when(deadline)} "
            "(sumchain market abandon; each stake back with a share of the bounty)."
        )
    if figures["scores"]:
        out.print(f"Scores (test samples): {figures['scores']}")
