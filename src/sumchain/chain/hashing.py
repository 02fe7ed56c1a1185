"""keccak256 and EIP-55 addresses, without importing eth_utils.

eth_utils pulls in pydantic and takes about a third of a second to import;
the embedded chain and the CLI need only these few functions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from Crypto.Hash import keccak as _keccak

_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``.

    >>> keccak(b"").hex()[:16]
    'c5d2460186f7233c'
    """
    return _keccak.new(digest_bits=256, data=data).digest()


def is_address(value: object) -> bool:
    """Whether ``value`` is a ``0x``-prefixed 20-byte hex string whose mixed case, if any, is a valid checksum.

    >>> is_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), is_address("0x1234")
    (True, False)
    """
    if not isinstance(value, str) or not _HEX_ADDRESS.fullmatch(value):
        return False
    body = value[2:]
    return body in (body.lower(), body.upper()) or checksum(value) == value


def miswritten_address(value: str) -> str | None:
    """What is wrong with ``value`` when it has an address's shape but a wrong EIP-55 checksum, else None:
    a mistyped address must not pass for a name.

    >>> miswritten_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267")[:44]
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267 i'
    >>> miswritten_address("alice"), miswritten_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92267")
    (None, None)
    """
    if not _HEX_ADDRESS.fullmatch(value) or is_address(value):
        return None
    return (
        f"{value} is not a valid address: the case of its letters does not match its checksum (EIP-55); "
        "check it, or write it all in lower case"
    )


def created_address(sender: str, nonce: int) -> str:
    """The address of the contract that ``sender``'s transaction number ``nonce`` creates (CREATE).

    >>> created_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 0)
    '0x5FbDB2315678afecb367f032d93F642f64180aa3'
    """
    import rlp

    return checksum("0x" + keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:].hex())


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """The EIP-55 form of a hex address (cached: the same few addresses recur).

    >>> checksum("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    """
    if not isinstance(address, str) or not _HEX_ADDRESS.fullmatch(address):
        raise ValueError(f"{address!r} is not an address")
    body = address[2:].lower()
    digest = keccak(body.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(body, digest[:40], strict=True))
