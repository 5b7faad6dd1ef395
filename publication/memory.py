"""Freed memory given back to the system between long steps (a prepared month, a published
month, a bulk file): Arrow's pool and the C heap keep freed blocks for reuse, so a process that
runs for a whole backfill would otherwise hold its largest step's memory to the end."""

from __future__ import annotations

import ctypes
import ctypes.util

import pyarrow as pa


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def release_memory() -> None:
    """Return the memory freed so far by Arrow's pool and the C heap to the system."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
