"""Values computed from published files, remembered while every file stays the same file.

The site is refreshed many times in a backfill, each time from every published day: re-reading and
re-parsing each earlier day's files at every refresh made the refresh grow with the history.
A value is reused only while each of its files has the same settled identity (device, inode,
size, modification and change times, unchanged for ``SETTLED_NS``: ``publication.atomic``)
and the caller's ``extra`` is equal; anything else computes it again from the files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from publication.atomic import settled_identity

T = TypeVar("T")

_MISSING = ("missing",)
_VALUES: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}


def _identity(path: str | Path) -> tuple[Any, ...] | None:
    """A file's settled identity, ``_MISSING`` if there is none, None if it changed just now."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return _MISSING
    return settled_identity(info)


def remembered(
    key: Hashable,
    paths: Sequence[str | Path],
    compute: Callable[[], T],
    *,
    extra: Hashable = None,
) -> T:
    """``compute()``, or the value it gave for ``key`` when ``paths`` were the same settled
    files (or missing alike) and ``extra`` was equal. The value is shared: never mutate it."""
    identities = tuple(_identity(path) for path in paths)
    state = (*identities, extra)
    known = _VALUES.get(key)
    if known is not None and known[0] == state:
        value: T = known[1]
        return value
    value = compute()
    if None not in identities:
        _VALUES[key] = (state, value)
    else:
        _VALUES.pop(key, None)
    return value


def forget_key(key: Hashable) -> None:
    """Drop the value remembered for ``key``."""
    _VALUES.pop(key, None)


def forget() -> None:
    """Drop every remembered value (tests)."""
    _VALUES.clear()
