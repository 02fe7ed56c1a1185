"""Helpers shared by the tests: state snapshots for "nothing changed" checks,
deployments that revert or stop half-way, empty samples refused everywhere, a
contract account (``contracts/mocks/attacker_mock.vy``) that makes calls in one block,
and the README's code blocks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sumchain import ContractReverted, InvalidSample, SharedModel
from sumchain.chain.abi import ContractABI, decode_revert
from sumchain.chain.base import Chain, Receipt
from sumchain.chain.compiler import compile_contract, compile_trainer
from sumchain.models import OnChainModel
from sumchain.models.samples import INDEX_BYTES, VALUE_BYTES

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_block(language: str, containing: str) -> str:
    """The README's first code block in ``language`` that contains ``containing``."""
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)
    return next(block for block in blocks if containing in block)


def observable_state(model: SharedModel) -> dict[str, Any]:
    """Everything a revert must leave as it was."""
    chain = model.chain
    return {
        "balances": [chain.balance(a) for a in chain.accounts[:4]] + [chain.balance(model.address)],
        "parameters": model.parameter_words(),
        "contributions": model.contributions(everyone=True),
        "last_update": model._call("last_update_time"),
        "total_good": model._call("total_good"),
        "num_valid": [model._call("num_valid", a) for a in chain.accounts[:4]],
    }


def assert_deployment_reverts(
    chain: Chain,
    model: str,
    params: Sequence[int],
    reason: str,
    words: Sequence[int] = (0, 0, 0, 0),
    mechanism: str = "deposit_refund_take",
) -> None:
    """Creating the trainer of ``model`` with ``mechanism``, these model parameters and mechanism
    ``words`` (and empty metadata) reverts with ``reason``."""
    with pytest.raises(ContractReverted, match=reason):
        deploy_unchecked(chain, model, params, words, mechanism)


def deploy_unchecked(
    chain: Chain,
    model: str,
    params: Sequence[int],
    words: Sequence[int] = (0, 0, 0, 0),
    mechanism: str = "deposit_refund_take",
) -> SharedModel:
    """The trainer of ``model`` with ``mechanism``, these model parameters and mechanism ``words``
    (and empty metadata), created without the client's checks and with no parameter loaded."""
    compiled = compile_trainer(model, mechanism)
    data = compiled.bytecode + ContractABI(compiled.abi).encode_constructor(params, list(words), b"")
    return SharedModel(chain, chain.deploy(data, sender=chain.accounts[0]).contract_address)


def deploy_interrupted(
    chain: Chain, mirror: OnChainModel, *, chunks: int, **options: Any
) -> tuple[SharedModel, list[Receipt]]:
    """Deploy ``mirror`` but stop after the creation and ``chunks`` parameter chunks; the exception
    that stopped it names the contract and the words loaded.

    Returns the partly loaded model and the receipts so far (creation first).
    """
    receipts: list[Receipt] = []

    class Interrupted(Exception):
        pass

    def stop(done: int, total: int, receipt: Receipt) -> None:
        receipts.append(receipt)
        if len(receipts) > chunks:
            raise Interrupted

    with pytest.raises(Interrupted) as stopped:
        SharedModel.deploy(chain, mirror, on_chunk=stop, **options)
    partial = SharedModel(chain, receipts[0].contract_address)
    assert stopped.value.__notes__ == [
        f"The model was created at {partial.address}, {partial.words_loaded()} of {len(mirror.to_words())} of its "
        f"parameter words loaded: SharedModel(chain, {partial.address!r}).upload_parameters(words) goes on, with "
        "the same words."
    ]
    return partial, receipts


def sparse_bytes(*indices: int) -> bytes:
    """A sparse sample packed as the contracts read it, without the client's checks."""
    return b"".join(i.to_bytes(INDEX_BYTES, "big") for i in indices)


def empty_sample(model: SharedModel) -> tuple[list[int], bytes, str]:
    """The sample that carries no information for ``model``: no index (sparse) or the
    zero vector (dense), its packed bytes and the contract's revert reason."""
    if model.codec.sparse:
        return [], b"", "samples: empty sample"
    return [0] * model.n_features, bytes(VALUE_BYTES * model.n_features), "samples: zero sample"


def assert_empty_sample_refused(model: SharedModel, mirror: OnChainModel, label: int) -> None:
    """The mirror, the client and the contract (``predict`` and ``add_data``) all refuse
    the empty sample, and nothing changes on either side."""
    chain = model.chain
    sample, data, reason = empty_sample(model)
    words = mirror.to_words()
    with pytest.raises(InvalidSample):
        mirror.partial_fit([sample], [label])
    with pytest.raises(InvalidSample):
        mirror.predict([sample])
    assert mirror.to_words() == words
    before = observable_state(model)
    with pytest.raises(InvalidSample):
        model.add_data(sample, label, sender=1)
    with pytest.raises(InvalidSample):
        model.predict(sample)
    with pytest.raises(ContractReverted, match=reason):
        chain.call(model.address, model.abi.encode_call("predict", data))
    with pytest.raises(ContractReverted, match=reason):
        chain.transact(
            model.address, model.abi.encode_call("add_data", data, label), sender=chain.accounts[1], value=10**19
        )
    assert observable_state(model) == before


def sumchain_environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """The environment of a ``sumchain`` process in a test: wide plain output, no model or key inherited."""
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    for name in ("SUMCHAIN_MODEL", "SUMCHAIN_PRIVATE_KEY"):
        environment.pop(name, None)
    environment.update(env or {})
    return environment


def run_sumchain(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``sumchain ARGS`` as a process of its own in ``cwd``, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "sumchain", *args],
        cwd=cwd,
        env=sumchain_environment(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def start_sumchain(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """``sumchain ARGS`` started in ``cwd`` and left running, its output in pipes (to stop it with a signal)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sumchain", *args],
        cwd=cwd,
        env=sumchain_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


Call = tuple[str, bytes, int]
"""A call that an :class:`Actor` makes: target address, calldata, value in wei."""


@dataclass(frozen=True)
class Actor:
    """A deployed ``attacker_mock``: a contract account that makes several calls in one
    transaction, so in one block, and answers payments as told (``ACCEPT``, ``REFUSE``,
    ``BURN``), re-entering a contract first when set to."""

    chain: Chain
    address: str
    abi: ContractABI

    ACCEPT, REFUSE, BURN = 0, 1, 2

    @classmethod
    def deploy(cls, chain: Chain) -> Actor:
        compiled = compile_contract("mocks/attacker_mock")
        address = chain.deploy(compiled.bytecode, sender=chain.accounts[0]).contract_address
        assert address is not None
        return cls(chain, address, ContractABI(compiled.abi))

    def run_call(self, *calls: Call) -> bytes:
        """The calldata of ``run(calls)``, for this actor to make them when another one calls it."""
        targets, datas, values = zip(*calls, strict=True) if calls else ((), (), ())
        return self.abi.encode_call("run", list(targets), list(datas), list(values))

    def run(self, *calls: Call, sender: int = 5, value: int = 0, gas: int | None = None) -> list[str | None]:
        """Make ``calls`` in one transaction (sent by dev account ``sender`` with ``value``);
        for each, None when it succeeded, else its revert reason."""
        data = self.run_call(*calls)
        self.chain.transact(self.address, data, sender=self.chain.accounts[sender], value=value, gas=gas)
        return self.outcomes(len(calls))

    def outcomes(self, count: int) -> list[str | None]:
        """What the last ``run`` left: per call, None or its revert reason."""
        found = []
        for i in range(count):
            success, data = self.read("outcomes", i)
            found.append(None if success else decode_revert(data))
        return found

    def read(self, name: str, *args: Any) -> Any:
        """The value of the view ``name``."""
        return self.abi.decode_output(name, self.chain.call(self.address, self.abi.encode_call(name, *args)))

    def answer(self, answer: int, *, sender: int = 5) -> None:
        """Answer payments with ``answer`` from now on."""
        self._set("set_answer", answer, sender=sender)

    def reenter(self, call: Call | None, *, sender: int = 5) -> None:
        """Make every payment first call ``call`` (None: stop re-entering)."""
        self._set("set_reentry", *(call or ("0x" + "00" * 20, b"", 0)), sender=sender)

    def _set(self, name: str, *args: Any, sender: int) -> None:
        self.chain.transact(self.address, self.abi.encode_call(name, *args), sender=self.chain.accounts[sender])

    def reentry(self) -> str | None:
        """The last re-entrant call: None when it succeeded, else its revert reason."""
        success, data = self.read("reentry")
        return None if success else decode_revert(data)


@dataclass(frozen=True)
class Impostor:
    """A deployed ``impostor_model_mock``: answers ``owner()`` and ``deployed_at()`` as a
    trainer does (its deployer is the owner) but is no sumchain model."""

    chain: Chain
    address: str
    abi: ContractABI

    @classmethod
    def deploy(cls, chain: Chain, *, sender: int = 0) -> Impostor:
        compiled = compile_contract("mocks/impostor_model_mock")
        address = chain.deploy(compiled.bytecode, sender=chain.accounts[sender]).contract_address
        assert address is not None
        return cls(chain, address, ContractABI(compiled.abi))

    def send(self, name: str, *args: Any, sender: int = 0) -> Receipt:
        """Call ``name(*args)`` of the mock in a transaction from dev account ``sender``."""
        return self.chain.transact(self.address, self.abi.encode_call(name, *args), sender=self.chain.accounts[sender])
