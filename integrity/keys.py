"""Identifiers of a published day (no web3 import: the verifier's start-up stays fast).

The registry (``PublicationLog``) keys entries by dataset id and day number. The manifest's
``anchorKey`` field (``SHA-256("{dataset}/{YYYY-MM-DD}")``) names the day too; it was the v1
registry's key and the v2 registry does not use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib


def dataset_id(name: str) -> bytes:
    """The registry's dataset id: SHA-256 of the UTF-8 name."""
    if not name:
        raise ValueError("the dataset name must not be empty")
    return hashlib.sha256(name.encode("utf-8")).digest()


def day_number(day: dt.date) -> int:
    """Return the date as the contract's YYYYMMDD integer (2026-11-14 -> 20261114)."""
    return day.year * 10_000 + day.month * 100 + day.day


def anchor_key(dataset: str, day: dt.date) -> bytes:
    """The manifest's ``anchorKey``: ``SHA-256(utf8("{dataset}/{YYYY-MM-DD}"))``."""
    if not dataset or "/" in dataset:
        raise ValueError(f"dataset name {dataset!r} must be non-empty and contain no '/'")
    return hashlib.sha256(f"{dataset}/{day.isoformat()}".encode()).digest()
