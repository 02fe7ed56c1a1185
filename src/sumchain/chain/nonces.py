"""Nonces for an account that keeps many transactions in flight.

Asking the node for ``eth_getTransactionCount(pending)`` before every
transaction costs a round trip and races with transactions just sent; the
:class:`NonceManager` asks once per account and counts from there. When the
node says a nonce was wrong (another process used the account, a transaction
was dropped, a dev chain was rolled back), :meth:`NonceManager.forget` makes
the next one ask again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class NonceManager:
    """The next nonce of each account, counted locally after one question to the node.

    Examples
    --------
    >>> nonces = NonceManager()
    >>> [nonces.take("0xab", lambda: 7) for _ in range(3)]
    [7, 8, 9]
    >>> nonces.forget("0xab"); nonces.take("0xab", lambda: 12)
    12
    """

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, account: str, ask_node: Callable[[], int]) -> int:
        """The nonce for the account's next transaction (the node is asked only the first time)."""
        with self._lock:
            nonce = self._next.get(account)
            if nonce is None:
                nonce = ask_node()
            self._next[account] = nonce + 1
            return nonce

    def forget(self, account: str | None = None) -> None:
        """Ask the node again next time: for one account, or (None) for all."""
        with self._lock:
            if account is None:
                self._next.clear()
            else:
                self._next.pop(account, None)
