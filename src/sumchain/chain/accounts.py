"""The development accounts: the same ten keys as anvil's and Hardhat's defaults.

Both chain backends use them, so ``--account 1`` is the same address on the
embedded chain and on a local anvil node. They are public test keys: anyone
can sign with them, so :class:`~sumchain.chain.rpc.RpcChain` uses them only on
dev chains, and real funds must never be sent to them.
"""

from __future__ import annotations

from functools import cache

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 10


@cache
def dev_private_keys(count: int = DEV_ACCOUNT_COUNT) -> tuple[bytes, ...]:
    """Private keys of the first ``count`` development accounts."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return tuple(
        bytes(Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key) for i in range(count)
    )


@cache
def dev_addresses(count: int = DEV_ACCOUNT_COUNT) -> tuple[str, ...]:
    """Checksummed addresses of the first ``count`` development accounts.

    >>> dev_addresses(1)
    ('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',)
    """
    from eth_account import Account

    return tuple(Account.from_key(key).address for key in dev_private_keys(count))
