"""The embedded chain records each transaction's recipient and input (what audits read), forgets
them with the blocks an anchor rolls back, and calls only against its latest block."""

from __future__ import annotations

import pytest

from sumchain import EmbeddedChain
from sumchain.chain.base import BlockTag
from sumchain.errors import ChainError
from tests.conftest import GENESIS


def test_inputs_are_recorded_per_recipient_and_rolled_back(tmp_path) -> None:
    chain = EmbeddedChain(tmp_path / "chain.sqlite", genesis_time=GENESIS)
    alice, bob, carol = chain.accounts[:3]
    start = chain.block_number()  # a chain file's first block holds its registry
    chain.transact(bob, b"\x01\x02", sender=alice)
    chain.transact(carol, b"\x03", sender=alice)
    with chain.anchor():
        chain.transact(bob, b"\x04", sender=carol)
        assert [(s.block_number, s.sender, s.data) for s in chain.transactions_to(bob)] == [
            (start + 1, alice, b"\x01\x02"),
            (start + 3, carol, b"\x04"),
        ]
    assert [s.data for s in chain.transactions_to(bob)] == [b"\x01\x02"]
    assert chain.transactions_to(bob, from_block=start + 2) == []
    chain.close()
    reopened = EmbeddedChain(tmp_path / "chain.sqlite")
    assert [s.data for s in reopened.transactions_to(carol)] == [b"\x03"]
    assert reopened.transactions_to(bob)[0].tx_hash == reopened.block(start + 1).tx_hash


def test_calls_against_a_past_block_are_refused() -> None:
    chain = EmbeddedChain(genesis_time=GENESIS)
    chain.advance_time(1)
    assert chain.call(chain.accounts[1], b"", block=1) == b""
    with pytest.raises(ChainError, match="keeps no past state"):
        chain.call(chain.accounts[1], b"", block=0)


CLOCK = bytes.fromhex("6c" + "42600052436020526040" + "6000f3" + "600052600d6013f3")
"""Creation code of a contract that answers every call with ``(block.timestamp, block.number)``."""


def test_a_pending_call_sees_the_block_the_next_transaction_goes_into() -> None:
    chain = EmbeddedChain(genesis_time=GENESIS)
    clock = chain.deploy(CLOCK, sender=chain.accounts[0]).contract_address
    assert clock is not None

    def read(block: BlockTag) -> tuple[int, int]:
        answer = chain.call(clock, b"", block=block)
        return int.from_bytes(answer[:32], "big"), int.from_bytes(answer[32:], "big")

    latest, pending = read(None), read("pending")
    assert latest == (chain.time(), chain.block_number()) != pending
    mined = chain.transact(clock, b"", sender=chain.accounts[1])
    assert pending == (mined.timestamp, mined.block_number) == read(None)
