"""Registry keys and day numbers (no web3 import: the verifier's start-up stays fast)."""

from __future__ import annotations

import datetime as dt
import hashlib


def anchor_key(dataset: str, day: dt.date) -> bytes:
    """Return ``SHA-256(utf8("{dataset}/{YYYY-MM-DD}"))``, the registry key of one day."""
    if not dataset or "/" in dataset:
        raise ValueError(f"dataset name {dataset!r} must be non-empty and contain no '/'")
    return hashlib.sha256(f"{dataset}/{day.isoformat()}".encode()).digest()


def day_number(day: dt.date) -> int:
    """Return the date as the contract's YYYYMMDD integer (2026-11-14 -> 20261114)."""
    return day.year * 10_000 + day.month * 100 + day.day
