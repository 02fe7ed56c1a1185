"""The ``sumchain`` command line: a thin layer over :class:`SharedModel`.

Every command parses its options, calls the client, prints the result, and
turns any :class:`~sumchain.errors.SumchainError` into one red line and exit
status 1.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sumchain.chain.base import Chain, resolve_account
from sumchain.chain.embedded import EmbeddedChain
from sumchain.cli_account import SigningOptions, account_app
from sumchain.client import SharedModel
from sumchain.encoders import VocabularyEncoder
from sumchain.errors import ChainError, InvalidSample, SumchainError
from sumchain.gas import BASELINE, HARDFORK_NOTE, IMDB_MODEL, WORKLOADS, gas_report, rows_to_json, workload
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.models import OnChainModel, SparsePerceptron
from sumchain.models.reference_file import read_model_file, write_model_file
from sumchain.units import parse_amount

app = typer.Typer(
    help="sumchain: shared machine-learning models on a blockchain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
time_app = typer.Typer(help="Move a dev chain's clock.", no_args_is_help=True)
app.add_typer(time_app, name="time")
app.add_typer(account_app, name="account")
out = Console()
err = Console(stderr=True)

DEFAULT_CHAIN_FILE = Path(".sumchain") / "chain.sqlite"
_DURATION = re.compile(r"(\d+)([smhdw]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class _State:
    chain_spec: str = "embedded"
    account: str | None = None
    model: str | None = None
    signing: SigningOptions = SigningOptions()
    _chain: Chain | None = None

    def chain(self) -> Chain:
        if self._chain is None:
            self._chain = open_chain(self.chain_spec, self.signing)
        return self._chain


state = _State()


def open_chain(spec: str, signing: SigningOptions | None = None) -> Chain:
    """Open a chain from its spec.

    ``embedded`` (default) is the chain file ``.sumchain/chain.sqlite`` in the
    current folder, ``embedded:PATH`` another file, ``memory`` a throwaway
    in-memory chain, and an ``http(s)://`` URL a JSON-RPC node, which signs and
    confirms as ``signing`` says (``ws(s)://`` URLs are refused with a clear error).
    """
    if spec == "memory":
        return EmbeddedChain()
    if spec == "embedded" or spec.startswith("embedded:"):
        path = Path(spec.partition(":")[2] or DEFAULT_CHAIN_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        return EmbeddedChain(path)
    if re.match(r"^(https?|wss?)://", spec):
        from sumchain.chain.rpc import RpcChain

        return RpcChain(spec, **(signing or SigningOptions()).rpc_options())
    raise ChainError(f"unknown chain {spec!r}: use embedded, embedded:PATH, memory or a node URL")


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``45s``, ``30m``, ``2h``, ``1d`` or ``1w``.

    >>> parse_duration("1d"), parse_duration("90")
    (86400, 90)
    """
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise SumchainError(f"{text!r} is not a duration like 90, 30m, 2h or 1d")
    return int(match[1]) * _UNITS[match[2]]


def parse_label(text: str) -> int:
    """0 or 1 from ``0``/``1``/``neg``/``negative``/``pos``/``positive``."""
    value = text.strip().lower()
    if value in {"0", "neg", "negative"}:
        return 0
    if value in {"1", "pos", "positive"}:
        return 1
    raise InvalidSample(f"label must be 0/negative or 1/positive, got {text!r}")


def _eth(wei: int) -> str:
    return f"{wei / 10**18:,.6f} ETH"


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _model() -> SharedModel:
    chain = state.chain()
    address = state.model or os.environ.get("SUMCHAIN_MODEL")
    if address is None and isinstance(chain, EmbeddedChain):
        address = chain.notes.get("model")
    if address is None:
        raise SumchainError("no model given: pass --model ADDRESS (or deploy one first)")
    return SharedModel(chain, address)


def _sample(model: SharedModel, text: str | None, indices: str | None) -> list[int]:
    if (text is None) == (indices is None):
        raise SumchainError("give the sample either as TEXT or with --indices, not both")
    if indices is not None:
        try:
            return [int(i) for i in indices.replace(" ", "").split(",") if i]
        except ValueError:
            raise SumchainError(f"--indices must be comma-separated integers, got {indices!r}") from None
    return VocabularyEncoder.imdb().encode(text or "")


@app.callback()
def _global(
    chain: Annotated[
        str,
        typer.Option(
            help="embedded (default), embedded:PATH, memory, or a node URL.",
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
        typer.Option(help="Model (trainer) address; default: the last one deployed on an embedded chain."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="On a real network, send without asking for confirmation.")
    ] = False,
    max_deposit: Annotated[
        str | None, typer.Option(help="On a real network, refuse to send a larger deposit, e.g. 0.01ether.")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="File whose first line is the keystore password (else a prompt asks).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a transaction to be mined on a node.")] = 300,
) -> None:
    state.chain_spec, state.model = chain, model
    state.signing = SigningOptions(
        account=account,
        password_file=password_file,
        yes=yes,
        max_deposit=None if max_deposit is None else parse_amount(max_deposit),
        receipt_timeout=timeout,
    )
    state.account = state.signing.acting_account()


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=60, help="Simulated days of contributions.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the sample order.")] = 0,
) -> None:
    """Deploy a sentiment model and watch an honest and a label-flipping contributor."""
    from sumchain.demo import run_demo

    chain = EmbeddedChain() if state.chain_spec == "embedded" else state.chain()
    out.print("[bold]sumchain demo[/]: a shared sentiment model with Deposit, Refund and Take\n")

    def on_deploy(model: SharedModel, accuracy: float) -> None:
        out.print(f"Owner trained a sparse perceptron on 40 reviews and deployed it at [cyan]{model.address}[/].")
        out.print(f"Accuracy on 60 held-out reviews: [bold]{accuracy:.1%}[/]. Deposit now: {_eth(model.cost())}.")
        out.print("Each day the honest contributor adds 10 correctly labelled reviews and the flipper 2 with")
        out.print("flipped labels; after the 1-day wait each refunds its own data the model agrees with and")
        out.print("reports the other's data the model rejects.\n")

    table = Table(title="Day by day: balance change in ETH; adds/refunds/reports so far")
    for column in (
        "day",
        "accuracy",
        "honest ΔETH",
        "flipper ΔETH",
        "honest a/r/r",
        "flipper a/r/r",
    ):
        table.add_column(column, justify="right")

    def on_day(report, agents) -> None:  # type: ignore[no-untyped-def]
        label = "settle" if report.day > days else str(report.day)
        table.add_row(
            label,
            f"{report.accuracy:.1%}",
            *(f"{report.balances[a.name] / 10**18:+.4f}" for a in agents),
            *(f"{a.added}/{a.refunds}/{a.reports}" for a in agents),
        )

    result = run_demo(chain, days=days, seed=seed, on_day=on_day, on_deploy=on_deploy)
    out.print(table)
    final = result.days[-1].balances
    out.print(
        f"\nHonest contributor [green]{final['honest'] / 10**18:+.4f} ETH[/], "
        f"label-flipper [red]{final['flipper'] / 10**18:+.4f} ETH[/]; "
        f"accuracy {result.initial_accuracy:.1%} -> {result.days[-1].accuracy:.1%}."
    )
    model = SharedModel(chain, result.address)
    encoder = VocabularyEncoder.imdb()
    for text in ("A wonderful film, I loved the music.", "Boring plot and awful acting. Avoid it."):
        verdict = "positive" if model.predict(encoder.encode(text)) else "negative"
        out.print(f"Free prediction: {text!r} -> [bold]{verdict}[/]")


CostWeight = Annotated[int, typer.Option(help="Deposit scale in wei.")]
RefundWait = Annotated[str, typer.Option(help="Wait before refunds and reports.")]
OwnerClaimWait = Annotated[str, typer.Option(help="Wait before the owner may take what is left.")]
AnyClaimWait = Annotated[str, typer.Option(help="Wait before anyone may take what is left.")]
_DRT = DepositRefundTake()
_REFUND_WAIT, _OWNER_CLAIM_WAIT, _ANY_CLAIM_WAIT = (
    f"{seconds // DAY}d" for seconds in (_DRT.refund_wait, _DRT.owner_claim_wait, _DRT.any_claim_wait)
)
"""Defaults of the incentive options, as :class:`DepositRefundTake`'s, in days."""


def _deploy(
    mirror: OnChainModel, cost_weight: int, refund_wait: str, owner_claim_wait: str, any_claim_wait: str
) -> None:
    """Deploy a fitted mirror with Deposit, Refund and Take, showing each chunk; it becomes the current model."""
    try:
        incentive = DepositRefundTake(
            cost_weight=cost_weight,
            refund_wait=parse_duration(refund_wait),
            owner_claim_wait=parse_duration(owner_claim_wait),
            any_claim_wait=parse_duration(any_claim_wait),
        )
    except ValueError as exc:
        raise SumchainError(str(exc)) from None
    chain = state.chain()
    total_gas = 0

    def on_chunk(done: int, total: int, receipt) -> None:  # type: ignore[no-untyped-def]
        nonlocal total_gas
        total_gas += receipt.gas_used
        step = f"parameters {done}/{total} words loaded" if done else "contract created"
        out.print(f"  {step} (tx gas {receipt.gas_used:,})")

    model = SharedModel.deploy(chain, mirror, incentive=incentive, sender=state.account, on_chunk=on_chunk)
    if isinstance(chain, EmbeddedChain):
        chain.remember("model", model.address)
    out.print(
        f"Deployed a {mirror.model_type} ({mirror.n_features} features, {mirror.n_classes} classes), "
        f"total gas {total_gas:,}, at:",
        soft_wrap=True,
    )
    out.print(model.address, highlight=False)


@app.command()
def deploy(
    cost_weight: CostWeight = _DRT.cost_weight,
    refund_wait: RefundWait = _REFUND_WAIT,
    owner_claim_wait: OwnerClaimWait = _OWNER_CLAIM_WAIT,
    any_claim_wait: AnyClaimWait = _ANY_CLAIM_WAIT,
) -> None:
    """Train a sparse perceptron on the shipped sample reviews and deploy it (model files: `import`)."""
    from sumchain.data import tiny_reviews

    texts, labels = tiny_reviews()
    encoder = VocabularyEncoder.imdb()
    mirror = SparsePerceptron(n_features=encoder.n_features).fit([encoder.encode(t) for t in texts], labels)
    _deploy(mirror, cost_weight, refund_wait, owner_claim_wait, any_claim_wait)


@app.command("import")
def import_model(
    model_file: Annotated[Path, typer.Argument(help="A model file in the reference system's JSON format.")],
    cost_weight: CostWeight = _DRT.cost_weight,
    refund_wait: RefundWait = _REFUND_WAIT,
    owner_claim_wait: OwnerClaimWait = _OWNER_CLAIM_WAIT,
    any_claim_wait: AnyClaimWait = _ANY_CLAIM_WAIT,
) -> None:
    """Deploy a model file of the reference system (any type) with Deposit, Refund and Take."""
    mirror = read_model_file(model_file).model
    out.print(f"Read a {mirror.model_type} model from {model_file}.", highlight=False, soft_wrap=True)
    _deploy(mirror, cost_weight, refund_wait, owner_claim_wait, any_claim_wait)


@app.command("export")
def export_model(
    model_file: Annotated[Path, typer.Argument(help="Where to write the model, in the reference JSON format.")],
) -> None:
    """Write the current (or --model) model, as it is now on chain, to a reference-format file."""
    model = _model()
    mirror = model.mirror()
    write_model_file(mirror, model_file)
    out.print(f"Wrote the {mirror.model_type} at {model.address} to {model_file}.", highlight=False, soft_wrap=True)


@app.command()
def predict(
    text: Annotated[str | None, typer.Argument(help="Text, encoded with the IMDB vocabulary.")] = None,
    indices: Annotated[str | None, typer.Option(help="The sample as comma-separated feature indices.")] = None,
) -> None:
    """Classify a sample (free)."""
    model = _model()
    label = model.predict(_sample(model, text, indices))
    out.print(f"{label} ({'positive' if label else 'negative'})")


@app.command()
def add(
    text: Annotated[str | None, typer.Argument(help="Text, encoded with the IMDB vocabulary.")] = None,
    label: Annotated[str, typer.Option(help="0/negative or 1/positive.")] = "1",
    indices: Annotated[str | None, typer.Option(help="The sample as comma-separated feature indices.")] = None,
    value: Annotated[
        str | None, typer.Option(help="Amount to send, e.g. 0.01ether or 5gwei (bare: wei); default: the deposit.")
    ] = None,
) -> None:
    """Add a labelled sample, paying the current deposit."""
    model = _model()
    sample = _sample(model, text, indices)
    if value is None:
        out.print(f"Deposit now: {_eth(model.cost())}")
    added = model.add_data(
        sample, parse_label(label), sender=state.account, value=None if value is None else parse_amount(value)
    )
    c = added.contribution
    out.print(f"Added {list(c.data)} with label {c.label} at time {c.added_time}; deposit {_eth(added.cost)}.")
    out.print(f"Refundable from {_when(c.refundable_from)} if the model then agrees.")


@app.command()
def refund(
    added_time: Annotated[int, typer.Option("--time", help="The contribution's time, as `add` printed it.")],
    text: Annotated[str | None, typer.Argument(help="The text as it was added.")] = None,
    label: Annotated[str, typer.Option(help="The label as it was added.")] = "1",
    indices: Annotated[str | None, typer.Option(help="The sample as comma-separated feature indices.")] = None,
) -> None:
    """Get back the deposit of your own contribution."""
    model = _model()
    amount = model.refund(_sample(model, text, indices), parse_label(label), added_time, sender=state.account)
    out.print(f"Refunded {_eth(amount)}.")


@app.command()
def report(
    added_time: Annotated[int, typer.Option("--time", help="The contribution's time.")],
    author: Annotated[str, typer.Option(help="Address of the contribution's author.")],
    text: Annotated[str | None, typer.Argument(help="The text as it was added.")] = None,
    label: Annotated[str, typer.Option(help="The label as it was added.")] = "1",
    indices: Annotated[str | None, typer.Option(help="The sample as comma-separated feature indices.")] = None,
) -> None:
    """Take (part of) the deposit of someone else's contribution the model rejects."""
    model = _model()
    amount = model.report(_sample(model, text, indices), parse_label(label), added_time, author, sender=state.account)
    out.print(f"Took {_eth(amount)}.")


@app.command()
def contributions(
    everyone: Annotated[bool, typer.Option("--all", help="Show every account's contributions.")] = False,
) -> None:
    """List contributions with their deposit state and claim windows."""
    model = _model()
    found = model.contributions(state.account, everyone=everyone)
    now = model.chain.time()
    table = Table(title=f"Contributions (chain time {_when(now)})")
    columns = ["author"] if everyone else []
    columns += ["time", "label", "indices", "deposit ETH", "held ETH", "status", "refundable from"]
    for column in columns:
        table.add_column(column, no_wrap=column in {"author", "time"})
    for c in found:
        shown = ",".join(map(str, c.data[:4])) + ("…" if len(c.data) > 4 else "")
        row = [c.author[:8] + "…"] if everyone else []
        row += [
            str(c.added_time),
            str(c.label),
            shown,
            f"{c.deposit / 10**18:.4f}",
            f"{c.claimable / 10**18:.4f}",
            c.status,
            _when(c.refundable_from),
        ]
        table.add_row(*row)
    out.print(table if found else "No contributions.")


@app.command()
def balance() -> None:
    """Show the balance of the acting account."""
    chain = state.chain()
    address = resolve_account(chain, state.account, signing=False)
    out.print(f"{address}: {_eth(chain.balance(address))}")


@app.command("gas")
def gas_command(
    models: Annotated[
        list[str] | None, typer.Option("--model", help="A baseline model name (repeatable); default: all 8.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON list of rows.")] = False,
    baseline: Annotated[Path, typer.Option(help="The reference figures (gas-baseline.md).")] = BASELINE,
    imdb_model: Annotated[Path, typer.Option(help="The reference's imdb-sentiment-model.json.")] = IMDB_MODEL,
) -> None:
    """Run the gas workloads of gas-baseline.md on fresh embedded chains, beside the reference's figures."""
    names = [workload(name).name for name in models or WORKLOADS]
    if "imdb-sparse-perceptron" in names and not imdb_model.is_file():
        err.print(f"{imdb_model} not found: the IMDB sparse perceptron is synthetic (same shape)", highlight=False)
    if not baseline.is_file():
        err.print(f"{baseline} not found: no reference figures", highlight=False)
    if as_json:
        typer.echo(rows_to_json(gas_report(names, baseline=baseline, imdb_model=imdb_model)))
        return
    for name in names:
        table = Table(title=name, caption=WORKLOADS[name].description)
        for column in ("operation", "gas", "reference gas", "ratio"):
            table.add_column(column, justify="left" if column == "operation" else "right")
        for row in gas_report([name], baseline=baseline, imdb_model=imdb_model):
            reference = "" if row.reference_gas is None else f"{row.reference_gas:,}"
            table.add_row(row.operation, f"{row.gas:,}", reference, "" if row.ratio is None else f"{row.ratio:.3f}")
        out.print(table)
    out.print(HARDFORK_NOTE, highlight=False)


@time_app.command("advance")
def time_advance(
    duration: Annotated[str, typer.Argument(help="How far: 90, 30m, 2h, 1d, 1w.")],
) -> None:
    """Move the clock of a dev chain forward."""
    chain = state.chain()
    if not chain.is_dev:
        raise SumchainError("time can only be advanced on a dev chain")
    chain.advance_time(parse_duration(duration))
    out.print(f"Chain time is now {_when(chain.time())}.")


_GLOBAL_OPTIONS = ("--chain", "--account", "--model", "--max-deposit", "--password-file", "--timeout")
_GLOBAL_FLAGS = ("--yes", "-y")
_OWN_OPTIONS = {"gas": ("--model",)}
"""Options of a command named like a global one: after the command, they are the command's."""


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options to the front, so they work after the command too.

    >>> hoist_global_options(["add", "text", "--account", "1", "--label=1"])
    ['--account', '1', 'add', 'text', '--label=1']
    >>> hoist_global_options(["gas", "--model", "fitness-naive-bayes"])
    ['gas', '--model', 'fitness-naive-bayes']
    >>> hoist_global_options(["add", "--yes", "text"])
    ['--yes', 'add', 'text']
    """
    front: list[str] = []
    rest: list[str] = []
    command = ""
    args = iter(argv)
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_FLAGS:
            front.append(arg)
        elif name in _GLOBAL_OPTIONS and name not in _OWN_OPTIONS.get(command, ()):
            front += [arg] if "=" in arg else [arg, next(args, "")]
        else:
            rest.append(arg)
            command = command or ("" if arg.startswith("-") else arg)
    return front + rest


def main() -> None:
    """Entry point of the ``sumchain`` console script."""
    import sys

    try:
        app(args=hoist_global_options(sys.argv[1:]), prog_name="sumchain")
    except SumchainError as exc:
        err.print(f"[red]{type(exc).__name__}[/]: {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
