"""The fast signer gives eth-account's bytes exactly, for any transaction sumchain sends."""

from __future__ import annotations

from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from sumchain.chain.accounts import dev_private_keys
from sumchain.chain.signing import sign

ACCOUNTS = [Account.from_key(key) for key in dev_private_keys()[:3]]
words = st.integers(0, 2**256 - 1)
transactions = st.fixed_dictionaries(
    {
        "chainId": st.integers(1, 2**64),
        "nonce": st.integers(0, 2**64 - 1),
        "maxPriorityFeePerGas": words,
        "maxFeePerGas": words,
        "gas": st.integers(21_000, 2**63),
        "value": words,
        "data": st.binary(max_size=300),
    },
    optional={"to": st.binary(min_size=20, max_size=20).map(to_checksum_address)},
)


@settings(max_examples=200, deadline=None)
@given(tx=transactions, who=st.sampled_from(ACCOUNTS))
def test_type_2_transactions_are_signed_byte_for_byte_as_eth_account_does(tx, who) -> None:  # type: ignore[no-untyped-def]
    expected = who.sign_transaction(tx)
    assert sign(who, tx) == (bytes(expected.raw_transaction), bytes(expected.hash))


def test_a_legacy_transaction_goes_through_eth_account() -> None:
    tx = {
        "chainId": 1,
        "nonce": 3,
        "gasPrice": 10**9,
        "gas": 21_000,
        "to": ACCOUNTS[1].address,
        "value": 5,
        "data": b"",
    }
    expected = ACCOUNTS[0].sign_transaction(tx)
    assert sign(ACCOUNTS[0], tx) == (bytes(expected.raw_transaction), bytes(expected.hash))
