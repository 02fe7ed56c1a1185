"""Parsing untrusted JSON (model files, metadata read from a chain) within bounds.

``json.loads`` recurses once per nesting level in C: a few hundred kilobytes
of ``[`` overflow the C stack (a segmentation fault, not an exception) as
soon as the recursion limit is high, and py-evm raises it to 100,000 when it
is imported. :func:`loads` therefore measures the nesting before parsing,
without recursion and whatever ``sys.getrecursionlimit()`` says, and also
bounds the number of values (a file of ``[],`` repeated is small on disk but
large in memory) and refuses duplicate keys (the parser would keep the last
one silently).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (model files need 4)."""

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*(?:"|\Z)')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """An upper bound of the nesting depth ``json.loads`` reaches on ``text``.

    Escapes and strings are removed first, then the depth is the highest
    running count of opening minus closing brackets. It is exact for valid
    JSON; on invalid text it may exceed the depth the parser reaches before
    it fails, never fall below it. Every step is linear in C (no Python loop
    over the characters, no recursion).

    Examples
    --------
    >>> nesting_depth('{"a": [[1, 2], "]]]"]}')
    3
    >>> nesting_depth("[" * 100_000)
    100000
    """
    unescaped = _ESCAPE.sub("", text) if "\\" in text else text
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", unescaped))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets), initial=0))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: an object, or ValueError on a repeated key."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {json.dumps(key)} appears twice in one object")
            seen.add(key)
    return found


def loads(
    text: str,
    *,
    max_items: int,
    max_depth: int = MAX_DEPTH,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """Parse JSON text that may be hostile.

    Parameters
    ----------
    text : str
        The JSON text.
    max_items : int
        Largest number of values, counted as commas plus opening brackets
        (an upper bound of the containers and of the values in them, strings
        included, so it errs on the safe side).
    max_depth : int
        Deepest nesting of arrays and objects.
    parse_constant : callable, optional
        Passed to ``json.loads`` (called for ``NaN``, ``Infinity`` and
        ``-Infinity``; by default they become floats).

    Raises
    ------
    ValueError
        When the text is not JSON, has more values or deeper nesting than
        allowed, or repeats a key in an object; the message says which.

    Examples
    --------
    >>> loads('{"weights": [0.5, -1]}', max_items=10)
    {'weights': [0.5, -1]}
    >>> loads("[" * 200_000, max_items=10**6)
    Traceback (most recent call last):
    ...
    ValueError: JSON nested 200,000 levels deep, more than the 64 allowed
    >>> loads('{"a": 1, "a": 2}', max_items=10)
    Traceback (most recent call last):
    ...
    ValueError: the key "a" appears twice in one object
    """
    opening = text.count("[") + text.count("{")
    items = text.count(",") + opening
    if items > max_items:
        raise ValueError(f"JSON with about {items:,} values, more than the {max_items:,} allowed")
    if opening > max_depth:
        depth = nesting_depth(text)
        if depth > max_depth:
            raise ValueError(f"JSON nested {depth:,} levels deep, more than the {max_depth} allowed")
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=parse_constant)


__all__ = ["MAX_DEPTH", "loads", "nesting_depth"]
