"""revm (the default engine) and py-evm (the reference) agree on everything.

A hypothesis state machine drives two embedded chains, one per engine, from
the same genesis through the same random operations: deploys of every model,
contributions (valid, short of deposit, of a wrong label), refunds and reports
inside and outside their windows, withdrawals, contributions through a contract
that refuses payments, time steps, predictions, and transactions that must
fail: out of gas, above the block gas limit, below the intrinsic gas, sending
more than the balance, garbage calldata, a revert deep in a nested call. After
every step both chains must have given the same receipt (gas, logs, block,
time, created address) or the same error, and hold the same balances, nonces,
code and storage of every account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sumchain import DepositRefundTake, EmbeddedChain, SharedModel
from sumchain.chain.abi import ContractABI
from sumchain.chain.base import BLOCK_GAS_LIMIT
from sumchain.chain.compiler import compile_contract
from sumchain.chain.execution import floor_gas, intrinsic_gas
from sumchain.errors import SumchainError
from sumchain.incentives import DAY
from sumchain.models import MIRRORS
from sumchain.models.reference_file import model_from_spec
from tests.unit.test_every_model import sample_for, spec_for

GENESIS = 1_700_000_000
INCENTIVE = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=3 * DAY, any_claim_wait=6 * DAY)
ACCOUNTS = [1, 2, 3]
MOCK = compile_contract("mocks/rejecting_contributor_mock")


def outcome(action: Callable[[], Any]) -> tuple[str, Any]:
    """What an action gave: ``("ok", value)`` or ``("error", (class, message))``."""
    try:
        return "ok", action()
    except SumchainError as exc:
        return "error", (type(exc).__name__, str(exc))


class EnginesAgree(RuleBasedStateMachine):
    """Two chains, one per engine, driven in lock step."""

    def __init__(self) -> None:
        super().__init__()
        self.chains = [EmbeddedChain(genesis_time=GENESIS, engine=e) for e in ("revm", "py-evm")]
        self.models: list[SharedModel] = []
        self.added: list[tuple[tuple[int, ...], int, int, str]] = []
        self.mock = ""
        self.rng = np.random.default_rng(0)

    def both(self, action: Callable[[EmbeddedChain, int], Any]) -> Any:
        """Run ``action`` on each chain; both must give the same result or the same error."""
        fast, reference = (outcome(lambda c=c, i=i: action(c, i)) for i, c in enumerate(self.chains))
        assert fast == reference, f"revm gave {fast}, py-evm gave {reference}"
        event(fast[0] if fast[0] == "ok" else f"{fast[1][0]}: {fast[1][1][:60]}")
        return fast

    @initialize(model_type=st.sampled_from(sorted(MIRRORS)), seed=st.integers(0, 2**16))
    def deploy(self, model_type: str, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        mirror = model_from_spec(spec_for(model_type, self.rng))
        kind, addresses = self.both(lambda c, i: SharedModel.deploy(c, mirror, mechanism=INCENTIVE).address)
        assert kind == "ok"
        self.models = [SharedModel(c, addresses) for c in self.chains]
        data = MOCK.bytecode
        kind, receipt = self.both(lambda c, i: c.deploy(data, sender=c.accounts[4]))
        self.mock = receipt.contract_address

    @property
    def model(self) -> SharedModel:
        return self.models[0]

    def sample(self) -> list[int]:
        return sample_for(self.model, self.rng)

    @rule(
        sender=st.sampled_from(ACCOUNTS), label_shift=st.integers(0, 2), pay=st.sampled_from(["cost", "less", "more"])
    )
    def add(self, sender: int, label_shift: int, pay: str) -> None:
        sample, label = self.sample(), (int(self.rng.integers(0, 3)) + label_shift) % 3

        def add(chain: EmbeddedChain, i: int) -> Any:
            model = self.models[i]
            cost = model.cost()
            value = {"cost": cost, "less": cost - 1, "more": cost + 10**18}[pay]
            added = model.add_data(sample, label % model.n_classes, sender=sender, value=max(value, 0))
            return added.receipt

        kind, receipt = self.both(add)
        if kind == "ok":
            self.added.append(
                (tuple(sample), label % self.model.n_classes, receipt.timestamp, self.chains[0].accounts[sender])
            )

    @rule(via_mock=st.booleans(), garbage=st.booleans())
    def add_through_the_mock(self, via_mock: bool, garbage: bool) -> None:
        """A contract adds data (a nested call); garbage data reverts deep inside it."""
        data = bytes(3) if garbage else self.model.codec.encode(self.sample())
        abi = ContractABI(MOCK.abi)
        call = abi.encode_call("add", self.model.address, data, 0)
        self.both(lambda c, i: c.transact(self.mock, call, sender=c.accounts[4], value=self.models[i].cost() + 7))

    @precondition(lambda self: self.added)
    @rule(pick=st.integers(0, 10**6), sender=st.sampled_from(ACCOUNTS), own=st.booleans())
    def refund_or_report(self, pick: int, sender: int, own: bool) -> None:
        data, label, time, author = self.added[pick % len(self.added)]
        if own:
            self.both(lambda c, i: self.models[i].refund(data, label, time, sender=author))
        else:
            self.both(lambda c, i: self.models[i].report(data, label, time, author, sender=sender))

    @rule(sender=st.sampled_from([0, *ACCOUNTS]))
    def withdraw(self, sender: int) -> None:
        self.both(lambda c, i: self.models[i].withdraw(sender=sender))

    @rule(seconds=st.sampled_from([0, 1, 3_600, DAY - 1, DAY, 3 * DAY, 7 * DAY]))
    def wait(self, seconds: int) -> None:
        self.both(lambda c, i: c.advance_time(seconds))

    @rule()
    def predict(self) -> None:
        sample = self.sample()
        self.both(lambda c, i: (self.models[i].predict(sample), self.models[i].cost()))

    @rule(
        kind=st.sampled_from(["out of gas", "above block limit", "below intrinsic", "too much value", "garbage", "eoa"])
    )
    def failing_transaction(self, kind: str) -> None:
        payload = self.model.abi.encode_call("add_data", self.model.codec.encode(self.sample()), 0)
        gas, value, to = None, 0, self.model.address
        if kind == "out of gas":
            gas = intrinsic_gas(payload, create=False) + int(self.rng.integers(0, 40_000))
        elif kind == "above block limit":
            gas = BLOCK_GAS_LIMIT + 1
        elif kind == "below intrinsic":
            gas = intrinsic_gas(payload, create=False) - 1
        elif kind == "too much value":
            value = 10**30
        elif kind == "garbage":
            payload = bytes(self.rng.integers(0, 256, size=int(self.rng.integers(0, 40)), dtype=np.uint8))
        else:
            to = self.chains[0].accounts[5]
            value = 12_345
        self.both(lambda c, i: c.transact(to, payload, sender=c.accounts[2], value=value, gas=gas))

    @invariant()
    def same_state(self) -> None:
        fast, reference = self.chains
        assert (fast.block_number(), fast.time()) == (reference.block_number(), reference.time())
        assert fast._engine.state.accounts == reference._engine.state.accounts
        assert fast._engine.state.storage == reference._engine.state.storage


TestEnginesAgree = EnginesAgree.TestCase
TestEnginesAgree.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)


def twins() -> tuple[list[EmbeddedChain], list[SharedModel], str]:
    """Both engines with the same small model and a contract that adds data for others."""
    chains = [EmbeddedChain(genesis_time=GENESIS, engine=e) for e in ("revm", "py-evm")]
    mirror = model_from_spec(spec_for("sparse perceptron", np.random.default_rng(1)))
    models = [SharedModel.deploy(c, mirror, mechanism=INCENTIVE) for c in chains]
    mocks = {c.deploy(MOCK.bytecode, sender=c.accounts[4]).contract_address for c in chains}
    assert len(mocks) == 1 and models[0].address == models[1].address
    return chains, models, mocks.pop()


def add_payload(model: SharedModel) -> bytes:
    return model.abi.encode_call("add_data", model.codec.encode([0, 3]), 1)


def failing(case: str, chain: EmbeddedChain, model: SharedModel, mock: str) -> Any:
    """One transaction that must fail (or, to an account without code, do nothing but move value)."""
    payload = add_payload(model)
    sender = chain.accounts[2]
    if case == "out of gas":
        return chain.transact(model.address, payload, sender=sender, gas=intrinsic_gas(payload, create=False) + 5_000)
    if case == "above the block gas limit":
        return chain.transact(model.address, payload, sender=sender, gas=BLOCK_GAS_LIMIT + 1)
    if case == "below the intrinsic gas":
        return chain.transact(model.address, payload, sender=sender, gas=intrinsic_gas(payload, create=False) - 1)
    if case == "more value than the balance":
        return chain.transact(model.address, payload, sender=sender, value=chain.balance(sender) + 1)
    if case == "a revert deep in a call":
        deep = ContractABI(MOCK.abi).encode_call("add", model.address, bytes(3), 1)
        return chain.transact(mock, deep, sender=sender, value=10**18)
    if case == "a call to an account without code":
        return chain.transact(chain.accounts[7], payload, sender=sender, value=5)
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "out of gas",
        "above the block gas limit",
        "below the intrinsic gas",
        "more value than the balance",
        "a revert deep in a call",
        "a call to an account without code",
    ],
)
def test_each_failure_is_the_same_on_both_engines(case: str) -> None:
    chains, models, mock = twins()
    before = [(c.block_number(), dict(c._engine.state.accounts), dict(c._engine.state.storage)) for c in chains]
    fast, reference = (outcome(lambda c=c, m=m: failing(case, c, m, mock)) for c, m in zip(chains, models, strict=True))
    assert fast == reference
    if case == "a call to an account without code":
        payload = add_payload(models[0])
        assert fast[0] == "ok" and fast[1].gas_used == max(intrinsic_gas(payload, create=False), floor_gas(payload))
    else:
        assert fast[0] == "error"
        assert [(c.block_number(), c._engine.state.accounts, c._engine.state.storage) for c in chains] == before


@pytest.mark.parametrize("engine", ["revm", "py-evm"])
def test_calldata_pays_the_prague_floor(engine: str) -> None:
    """EIP-7623: 1,000 zero bytes to an account without code cost 21,000 + 10 * 1,000, not Cancun's 25,000."""
    chain = EmbeddedChain(engine=engine)
    receipt = chain.transact(chain.accounts[1], bytes(1_000), sender=chain.accounts[0])
    assert receipt.gas_used == 31_000
