"""Commands about models: ``deploy``, ``import``, ``export``, ``info``, ``predict``.

A deploy is remembered as soon as its contract exists: the address becomes the
current model and, until the last parameter chunk is in, the unfinished deploy.
Running the same command again (or with ``--resume``) finishes the upload of
that model instead of deploying a new one; Ctrl-C in the middle says so.

Unless told ``--no-register``, a deploy lists the model in the chain's registry
under its name right after the contract is created (whether the name is free is
checked before anything is sent); a resumed deploy lists it if it is not yet.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sumchain.chain.hashing import created_address
from sumchain.cli.app import app, session
from sumchain.cli.inputs import describe, sample_from
from sumchain.cli.output import err, eth, out, parse_duration
from sumchain.errors import ChainError, InvalidName, NameTaken, NotAModel, SumchainError, without_secrets

if TYPE_CHECKING:
    from sumchain.chain.base import Chain, Receipt
    from sumchain.client import SharedModel
    from sumchain.incentives import Mechanism
    from sumchain.market import PredictionMarket
    from sumchain.metadata import ModelMetadata
    from sumchain.models import OnChainModel
    from sumchain.registry import Listed


class Interrupted(SumchainError):
    """Ctrl-C stopped a command; the message says how to go on."""


MechanismName = Annotated[
    str, typer.Option("--mechanism", help="The incentive mechanism: deposit_refund_take or points.")
]
CostWeight = Annotated[
    str | None,
    typer.Option(help="Deposit scale, e.g. 0.001ether (the default) or 10**15 wei as 1000000000000000."),
]
RefundWait = Annotated[
    str | None, typer.Option(help="Wait before refunds (validations) and reports (90, 30m, 2h, 1d; default 1d).")
]
OwnerClaimWait = Annotated[str | None, typer.Option(help="Wait before the owner may take what is left (default 9d).")]
AnyClaimWait = Annotated[str | None, typer.Option(help="Wait before anyone may take what is left (default 9d).")]
Unsafe = Annotated[bool, typer.Option(help="Allow waits the client calls absurd (under a minute, over ten years).")]
EncoderOption = Annotated[
    str | None,
    typer.Option(
        help="An encoder of raw input: 'IMDB vocab', 'MurmurHash3' (2**32 features), or 'hashing' (each word's "
        "MurmurHash3 modulo the model's features); reference files do not say, and a file's own encoder and "
        "encoderParams fields are kept otherwise."
    ),
]
Resume = Annotated[bool, typer.Option(help="Finish the remembered unfinished deploy of this model (an error if none).")]


def _named(value: str | None) -> str | None:
    """A ``--name`` given empty is refused (it would quietly fall back to the default name)."""
    if value is not None and not value.strip():
        raise typer.BadParameter("a model's name must not be empty")
    return value


Name = Annotated[
    str | None,
    typer.Option(
        callback=_named, help="The model's name, published on chain and listed in the registry (at most 64 bytes)."
    ),
]
Register = Annotated[bool, typer.Option(help="List the model in the chain's registry under its name.")]
Description = Annotated[str | None, typer.Option(help="A description, published on chain.")]
Text = Annotated[str | None, typer.Argument(help="Raw input (text), encoded with the model's own encoder.")]
SampleOption = Annotated[
    str | None,
    typer.Option("--sample", help="The features: comma-separated indices (sparse models) or real values (dense)."),
]
ImageOption = Annotated[
    Path | None,
    typer.Option("--image", help="Raw input: an image file (PNG, PGM, JPEG...), encoded with the model's own encoder."),
]


def mechanism_from_options(name: str, unsafe: bool, options: Mapping[str, Any]) -> Mechanism:
    """The mechanism called ``name`` with the parameters given on the command line (others at their defaults).

    ``options`` holds a command's arguments by name (its ``locals()``): of those, the parameters of
    any mechanism (:attr:`Mechanism.options <sumchain.incentives.Mechanism.options>`) that were given
    (not None) are parsed, as an amount (``cost_weight``) or a duration, and passed to the mechanism,
    which refuses the ones it does not take.

    Raises
    ------
    InvalidIncentive
        For an unknown mechanism, or a parameter it does not take or that is out of range.
    """
    from sumchain.errors import InvalidIncentive
    from sumchain.incentives import MECHANISMS, Mechanism

    claims = {key: cls for key, cls in MECHANISMS.items() if issubclass(cls, Mechanism)}
    if name not in MECHANISMS:
        raise InvalidIncentive(f"unknown mechanism {name!r}; choose one of {', '.join(claims)}")
    chosen = MECHANISMS[name]
    if not issubclass(chosen, Mechanism):
        raise InvalidIncentive(f"a {chosen.title.lower()} is created with `sumchain market create`")
    from sumchain.units import parse_amount

    known = {option for cls in claims.values() for option in cls.options}
    given = {
        option: parse_amount(text) if option == "cost_weight" else parse_duration(text)
        for option, text in options.items()
        if option in known and text is not None
    }
    return chosen.from_options(given, unsafe=unsafe)


MAX_MIN_CONTRIBUTIONS = 100_000
"""Most contributions a prediction market may wait for (each is one transaction to evaluate)."""


def market_from_options(
    stake: str = "0.001ether",
    min_duration: str = "1d",
    min_contributions: int = 1,
    reveal_window: str = "1d",
    claim_wait: str = "366d",
) -> PredictionMarket:
    """A prediction market's parameters as ``sumchain market create`` and the dashboard take them: the
    stake an amount (``0.001ether``), the waits durations (``90``, ``30m``, ``1d``), each at least a minute.

    Raises
    ------
    SumchainError
        For an amount or a duration that does not parse, a wait under a minute (0 would end,
        forfeit or sweep the market at once), or a number of contributions out of 1 to
        :data:`MAX_MIN_CONTRIBUTIONS`.
    """
    from sumchain.incentives.deposit_refund_take import MIN_REFUND_WAIT
    from sumchain.market import PredictionMarket
    from sumchain.units import parse_amount

    waits = {"min_duration": min_duration, "reveal_window": reveal_window, "claim_wait": claim_wait}
    seconds = {key: parse_duration(given) for key, given in waits.items()}
    for key, given in waits.items():
        if seconds[key] < MIN_REFUND_WAIT:
            raise SumchainError(f"the {key.replace('_', ' ')} must be at least a minute, got {given}")
    if isinstance(min_contributions, bool) or not 1 <= min_contributions <= MAX_MIN_CONTRIBUTIONS:
        raise SumchainError(
            f"the contributions to wait for must be 1 to {MAX_MIN_CONTRIBUTIONS:,}, got {min_contributions}"
        )
    return PredictionMarket(
        stake=parse_amount(stake),
        min_duration=seconds["min_duration"],
        min_contributions=min_contributions,
        reveal_window=seconds["reveal_window"],
        claim_wait=seconds["claim_wait"],
    )


def check_bounty(chain: Chain, provider: str, amount: int, most: int | None) -> None:
    """Check a prediction market's bounty before anything is deployed.

    Parameters
    ----------
    chain : Chain
        Where the market goes.
    provider : str
        Who funds it.
    amount : int
        The bounty, in wei.
    most : int, optional
        The most one transaction may send (``--max-deposit``).

    Raises
    ------
    SumchainError
        For no bounty, more than the provider holds, or more than ``most`` (:class:`DepositLimitExceeded`).
    """
    from sumchain.errors import DepositLimitExceeded
    from sumchain.market.client import check_bounty as check_held

    check_held(chain, provider, amount)
    if most is not None and amount > most:
        raise DepositLimitExceeded(f"the bounty {eth(amount)} is more than --max-deposit {eth(most)}: nothing was sent")


def sample_model(name: str | None = None, description: str | None = None) -> tuple[OnChainModel, ModelMetadata]:
    """The built-in model: a sparse perceptron over the IMDB vocabulary, trained on the shipped sample reviews.

    Returns
    -------
    (OnChainModel, ModelMetadata)
        The fitted mirror and its metadata (class names, encoder), named ``name`` if given.
    """
    from sumchain.data import tiny_reviews
    from sumchain.encoders import IMDB_VOCABULARY, encoder_for
    from sumchain.metadata import ModelMetadata
    from sumchain.models import SparsePerceptron

    texts, labels = tiny_reviews()
    encoder = encoder_for(IMDB_VOCABULARY)
    mirror = SparsePerceptron(n_features=encoder.n_features).fit([encoder.encode(t) for t in texts], labels)
    metadata = ModelMetadata(
        name=name or "movie sentiment (sample)",
        description=description
        if description is not None
        else "Sparse perceptron over the reference's 1000-word IMDB vocabulary, trained on 240 sample reviews.",
        n_features=encoder.n_features,
        class_names=("negative", "positive"),
        encoder=IMDB_VOCABULARY,
    )
    return mirror, metadata


def deploy_model(
    mirror: OnChainModel,
    metadata: ModelMetadata,
    mechanism: Mechanism | PredictionMarket,
    *,
    resume: bool,
    command: str,
    register: bool,
) -> None:
    """Deploy (or finish deploying) a model, printing each transaction; it becomes the current model."""
    from sumchain.chain.base import resolve_account
    from sumchain.cli.listing import print_listed
    from sumchain.client import SharedModel
    from sumchain.unfinished import fingerprint as fingerprint_of
    from sumchain.unfinished import remember_unfinished, unfinished_deploys

    chain = session.chain()
    registry = session.registry_if_any() if register else None
    if register and registry is None:
        err.print(
            "Note: no model registry is known for this node (give --registry ADDRESS; `sumchain node` starts a "
            f"node with one), so {metadata.name!r} is deployed unlisted: reach it by its address."
        )
    account = resolve_account(chain, session.account)
    fingerprint = fingerprint_of(mirror, metadata, mechanism, account)
    unfinished = unfinished_deploys(session)
    words = mirror.to_words()
    total_gas = 0
    address: str | None = unfinished.get(fingerprint)

    def on_chunk(done: int, total: int, receipt: Receipt) -> None:
        nonlocal total_gas, address
        total_gas += receipt.gas_used
        if done == 0 and receipt.contract_address:
            address = receipt.contract_address
            session.remember("model", address)
            remember_unfinished(session, fingerprint, address)
            out.print(f"  contract created at {address} (tx gas {receipt.gas_used:,})")
        else:
            out.print(f"  parameters {done}/{total} words loaded (tx gas {receipt.gas_used:,})")

    def on_listed(listed: Listed) -> None:
        nonlocal total_gas
        assert registry is not None
        total_gas += listed.receipt.gas_used
        print_listed(listed, registry)

    again = f"run the same command again to finish the upload: {_this_command()}"
    first_nonce = chain.nonce(account) if address is None else 0  # to tell, if interrupted, whether it created
    try:
        if address is not None:
            _wait_for_unmined(chain, account)  # the interrupted run's last transaction, or its creation
            model = _remembered_model(chain, address, fingerprint)
            session.remember("model", address)
            out.print(f"Resuming the upload of the model at {address} ({model.words_loaded()}/{len(words)} words).")
            if registry is not None and registry.entry_of(address) is None:
                on_listed(registry.register(model, name=metadata.name, sender=session.account))
            model.upload_parameters(words, sender=session.account, on_chunk=on_chunk)
        elif resume:
            remembered = ", ".join(unfinished.values())
            others = f" (the ones remembered, at {remembered}, are of another model, settings or account)"
            raise SumchainError(f"nothing to resume for this model{others if unfinished else ''}")
        else:
            for other in unfinished.values():
                err.print(
                    f"Note: the unfinished deploy at {other} stays as it is (its command, run again by the account "
                    "that started it, finishes it)."
                )
            model = SharedModel.deploy(
                chain,
                mirror,
                mechanism=mechanism,
                metadata=metadata,
                sender=session.account,
                on_chunk=on_chunk,
                registry=registry or False,
                on_listed=on_listed,
            )
    except (InvalidName, NameTaken) as exc:
        unlisted = "" if command.startswith("market") else ", or deploy it unlisted with --no-register"  # markets list
        raise type(exc)(f"{exc}: choose another with --name{unlisted}") from None
    except KeyboardInterrupt:
        if address is None and (created := _created(chain, account, first_nonce, fingerprint)) is not None:
            raise Interrupted(
                f"interrupted once the contract's creation was sent: the model at {created} (once mined) is "
                f"remembered; {again}"
            ) from None
        if address is None:
            raise Interrupted("interrupted before the contract's creation was sent: nothing was deployed") from None
        raise Interrupted(
            f"interrupted: the model at {address} is remembered with its parameters partly loaded; {again}"
        ) from None
    except ChainError as exc:  # out of ether, a node gone, a receipt late: the same command goes on
        if address is None:
            address = _created(chain, account, first_nonce, fingerprint)
        if address is not None:
            exc.args = (f"{exc}; the model at {address} is remembered: {again}",)  # the error itself, its fields kept
        raise
    remember_unfinished(session, fingerprint, None)
    out.print(
        f"Deployed a {mirror.model_type} ({mirror.n_features} features, {mirror.n_classes} classes) "
        f"with {mechanism.title}, total gas {total_gas:,}, at:"
    )
    out.print(model.address)


@app.command()
def deploy(
    name: Name = None,
    description: Description = None,
    mechanism: MechanismName = "deposit_refund_take",
    cost_weight: CostWeight = None,
    refund_wait: RefundWait = None,
    owner_claim_wait: OwnerClaimWait = None,
    any_claim_wait: AnyClaimWait = None,
    unsafe: Unsafe = False,
    resume: Resume = False,
    register: Register = True,
) -> None:
    """Train a sentiment model on the shipped sample reviews and deploy it (model files: `import`)."""
    mirror, metadata = sample_model(name, description)
    chosen = mechanism_from_options(mechanism, unsafe, locals())
    deploy_model(mirror, metadata, chosen, resume=resume, command="deploy", register=register)


@app.command("import")
def import_model(
    model_file: Annotated[Path, typer.Argument(help="A model file in the reference system's JSON format.")],
    name: Name = None,
    description: Description = None,
    encoder: EncoderOption = None,
    mechanism: MechanismName = "deposit_refund_take",
    cost_weight: CostWeight = None,
    refund_wait: RefundWait = None,
    owner_claim_wait: OwnerClaimWait = None,
    any_claim_wait: AnyClaimWait = None,
    unsafe: Unsafe = False,
    resume: Resume = False,
    register: Register = True,
) -> None:
    """Deploy a model file of the reference system (any type), keeping its class names and features."""
    chosen = mechanism_from_options(mechanism, unsafe, locals())
    model, metadata = read_model(model_file, name, description, encoder)
    deploy_model(model, metadata, chosen, resume=resume, command=f"import {model_file}", register=register)


def read_model(
    model_file: Path, name: str | None, description: str | None, encoder: str | None
) -> tuple[OnChainModel, ModelMetadata]:
    """A model file of the reference system and its metadata, ``--name``, ``--description`` and
    ``--encoder`` given instead of the file's (an encoder this installation knows)."""
    from dataclasses import replace

    from sumchain.models.reference_file import read_model_file

    loaded = read_model_file(model_file)
    metadata = replace(
        loaded.metadata,
        name=name or loaded.metadata.name,
        description=loaded.metadata.description if description is None else description,
        encoder=encoder or loaded.metadata.encoder,
    )
    if encoder is not None:  # a built-in encoder, before anything is sent
        metadata = _with_encoder(metadata, encoder, loaded.model.n_features)
    out.print(f"Read a {loaded.model.model_type} model from {model_file}.")
    return loaded.model, metadata


def _with_encoder(metadata: ModelMetadata, encoder: str, n_features: int) -> ModelMetadata:
    """``metadata`` with the ``--encoder`` given: a built-in name, or ``hashing`` for the model's features.

    Raises
    ------
    EncoderUnavailable
        For another name, or ``MurmurHash3`` for a model that does not take its 2**32 feature indices.
    """
    from dataclasses import replace

    from sumchain.encoders import IMDB_VOCABULARY, MURMUR_HASH_3, HashingEncoder
    from sumchain.errors import EncoderUnavailable

    chosen = encoder.casefold()
    if chosen == "hashing":
        hashing = HashingEncoder(n_features=n_features)
        return replace(metadata, encoder=hashing.id, encoder_params=hashing.params())
    if chosen == MURMUR_HASH_3.casefold() and n_features != 2**32:
        raise EncoderUnavailable(
            f"{MURMUR_HASH_3} gives 2**32 feature indices (the reference's sparse weights), and this model takes "
            f"{n_features:,}: --encoder hashing hashes each word modulo {n_features:,} instead"
        )
    if chosen != IMDB_VOCABULARY.casefold() and chosen != MURMUR_HASH_3.casefold():
        raise EncoderUnavailable(
            f"--encoder takes {IMDB_VOCABULARY!r}, {MURMUR_HASH_3!r} or 'hashing', not {encoder!r}"
        )
    return metadata


@app.command("export")
def export_model(
    model_file: Annotated[
        Path,
        typer.Argument(
            help="Where to write the model, in the reference JSON format (- for standard output); "
            "or `dataset`, then FILE."
        ),
    ],
    dataset_file: Annotated[
        Path | None,
        typer.Argument(
            help="After `dataset`: the CSV or Parquet file to write the contributions to (- for standard output, "
            "with --format)."
        ),
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="With `dataset`: csv or parquet (default: FILE's suffix).")
    ] = None,
) -> None:
    """Write the current model, as it is now on chain, to a reference-format file (class names kept);
    `export dataset FILE` writes every contribution (sample, label, author, time, deposit, state)."""
    from sumchain.models.reference_file import model_to_spec, write_model_file

    if dataset_file is not None or file_format is not None or str(model_file) == "dataset":
        export_dataset(model_file, dataset_file, file_format)
        return
    model = session.model()
    mirror = model.mirror()
    if str(model_file) == "-":  # the file alone on standard output, for a pipe
        typer.echo(json.dumps(model_to_spec(mirror, model.metadata), indent=2))
        return
    write_model_file(mirror, model_file, model.metadata)
    out.print(f"Wrote the {mirror.model_type} at {model.address} to {model_file}.")


def _this_command() -> str:
    """The command line being run, quoted for a shell, to run again (errors show a node's URL cut to its host:
    the one given then goes in its place)."""
    command = "sumchain " + shlex.join(sys.argv[1:])
    return command if without_secrets(command) == command else f"{command} (with the node's URL you gave)"


def _created(chain: Chain, account: str, first_nonce: int, fingerprint: str) -> str | None:
    """The contract a deploy interrupted or failed before its creation's receipt makes, remembered, if its
    creation was sent (mined or not yet); None if not, or if the node cannot tell now."""
    from sumchain.unfinished import remember_unfinished

    try:
        sent = chain.nonce(account) > first_nonce
    except SumchainError:  # the node is why it stopped: nothing is claimed
        return None
    if not sent:
        return None
    address = created_address(account, first_nonce)
    remember_unfinished(session, fingerprint, address)
    session.remember("model", address)
    return address


def _wait_for_unmined(chain: Chain, account: str) -> None:
    """Wait until the node has mined ``account``'s transactions (an interrupted upload's last chunk, or its
    contract's creation): a resume from before them would send a chunk out of order."""
    waiting = chain.unmined(account)
    if waiting:
        out.print(f"Waiting for {waiting} earlier transaction(s) of {account} to be mined (Ctrl-C stops)...")
    while waiting:
        time.sleep(1)
        waiting = chain.unmined(account)


def _remembered_model(chain: Chain, address: str, fingerprint: str) -> SharedModel:
    """The remembered unfinished model at ``address``.

    Raises
    ------
    SumchainError
        When nothing is there (its creation was dropped, or the chain was reset): the note is forgotten.
    """
    from sumchain.client import SharedModel
    from sumchain.unfinished import remember_unfinished

    try:
        return SharedModel(chain, address)
    except NotAModel:
        remember_unfinished(session, fingerprint, None)
        raise SumchainError(
            f"no model is at {address}, where an interrupted deploy was remembered (its creation was never "
            "mined, or the chain was reset): forgotten; run the command again to deploy anew"
        ) from None


def export_dataset(word: Path, dataset_file: Path | None, file_format: str | None) -> None:
    """``sumchain export dataset FILE``: the contributions to CSV or Parquet."""
    from sumchain.dataset import file_format as format_of

    if str(word) != "dataset" and dataset_file is None and file_format is not None:
        raise SumchainError(
            f"--format is for `sumchain export dataset FILE`; the model goes to {word} as reference JSON, without it"
        )
    if str(word) != "dataset" or dataset_file is None:
        raise SumchainError(
            "to export the contributions say `sumchain export dataset FILE` (.csv or .parquet); "
            "to write the model to a file named dataset, give its full path"
        )
    if str(dataset_file) == "-" and file_format is None:
        raise SumchainError("standard output (-) needs --format csv or --format parquet")
    if str(dataset_file) == "-" and sys.stdout.isatty():  # what the chain says, or Parquet's bytes, to a terminal
        raise SumchainError("- is for a pipe or a redirect (| or >): standard output is a terminal here")
    kind = format_of(dataset_file, file_format)  # a wrong name fails before the chain is read
    data = session.model().dataset()
    if str(dataset_file) == "-":  # the file alone on standard output, for a pipe
        data.dump(sys.stdout.buffer, kind)
        return
    data.write(dataset_file, format=kind)
    plural = "" if len(data) == 1 else "s"
    said = err if _is_standard_output(dataset_file) else out  # /dev/stdout: the line is not part of the file
    said.print(f"Wrote {len(data)} contribution{plural} to {dataset_file} ({kind}).")


def _is_standard_output(path: Path) -> bool:
    """Whether ``path`` is where standard output goes (``/dev/stdout``, ``/proc/self/fd/1``, its file)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, io.UnsupportedOperation):  # no such file, or a captured output
        return False


@app.command()
def info(
    as_json: Annotated[bool, typer.Option("--json", help="Print everything as one JSON object.")] = False,
) -> None:
    """Describe the current model: what it is, its classes and encoder, its mechanism."""

    from sumchain.incentives import Mechanism
    from sumchain.market import Market
    from sumchain.unfinished import unfinished_line

    model = session.model()
    meta = model.metadata
    facts: dict[str, Any] = {
        "address": model.address,
        "name": meta.name,
        "description": meta.description,
        "model_type": model.mirror_class.model_type,
        "features": f"{model.n_features} {meta.feature_kind}",
        "classes": [model.class_name(k) for k in range(model.n_classes)],
        "encoder": meta.encoder,
        "encoder_params": meta.encoder_params,
        "owner": model.owner,
        "deployed_at_block": model.deployed_at,
        "parameter_words": model.total_words(),
        "parameter_words_loaded": model.words_loaded(),
    }
    if issubclass(model.mechanism_class, Mechanism):
        mechanism = model.mechanism
        facts |= {
            "mechanism": mechanism.mechanism_type,
            "mechanism_parameters": mechanism.to_json(),
            "deposit_now_wei": model.cost(),
        }
        summary = mechanism.summary(model.cost())
    else:  # a prediction market: a stake a contribution, and phases
        market = Market(model)
        phase, parameters = market.phase(), market.parameters
        facts |= {
            "mechanism": parameters.mechanism_type,
            "mechanism_parameters": parameters.to_json(),
            "phase": phase,
        }
        summary = (
            f"{parameters.title} in the {phase} phase, a stake of {eth(parameters.stake)} a contribution "
            "(sumchain market status)."
        )
    if as_json:
        typer.echo(json.dumps(facts, indent=1))
        return
    out.print(f"[bold]{escape(meta.name)}[/] at {model.address}", markup=True)
    if meta.description:
        out.print(meta.description)
    out.print(f"A {facts['model_type']} over {facts['features']}; classes: {', '.join(facts['classes'])}.")
    out.print(f"Encoder: {_encoder_line(model)}. Owner {model.owner}, block {model.deployed_at}.")
    if unfinished := unfinished_line(facts["parameter_words_loaded"], facts["parameter_words"]):
        out.print(unfinished)
    out.print(summary)


def _encoder_line(model: SharedModel) -> str:
    """The model's encoder id, with what it does or why it cannot be used here."""
    if model.metadata.encoder is None:
        return "none (give --sample)"
    try:
        return f"{model.metadata.encoder} ({model.encoder.describe()})"
    except SumchainError as exc:
        return f"{model.metadata.encoder} (not usable here: {exc})"


@app.command()
def predict(text: Text = None, sample: SampleOption = None, image: ImageOption = None) -> None:
    """Classify an input (free): prints the class number and name."""
    model = session.model()
    out.print(describe(model, model.predict(sample_from(model, text, sample, image))))
