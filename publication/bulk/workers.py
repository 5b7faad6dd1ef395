"""Worker processes of a bulk build: spawned (a clean interpreter, not a fork of one holding
Dagster's or DuckDB's threads) and gone with their parent."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

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
    """Give the memory freed by a finished step back to the system: Arrow's pool and the C
    heap keep freed blocks for reuse, so a long build or backfill would otherwise only grow."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def pool(workers: int, *, nice: int = 0) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that exit when this process is gone (``nice``:
    how much lower their scheduling priority is)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(), nice),
    )


def _watch_parent(parent: int, nice: int = 0) -> None:
    """In a worker: exit as soon as ``parent`` is gone (killed with -9, a worker would otherwise
    wait for work forever); what it was writing is a temporary file the next build removes."""
    if nice:
        os.nice(nice)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
