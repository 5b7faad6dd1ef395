"""Worker processes of a bulk build: spawned (a clean interpreter, not a fork of one holding
Dagster's or DuckDB's threads) and gone with their parent."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from publication.process_name import BULK_WORKER, name_this_process


def pool(workers: int, *, nice: int = 0, name: str = BULK_WORKER) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that exit when this process is gone (``nice``:
    how much lower their scheduling priority is; ``name``: theirs, as ``ps`` shows it)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(), nice, name),
    )


def _watch_parent(parent: int, nice: int = 0, name: str = BULK_WORKER) -> None:
    """In a worker: exit as soon as ``parent`` is gone (killed with -9, a worker would otherwise
    wait for work forever); what it was writing is a temporary file the next build removes."""
    name_this_process(name)
    if nice:
        os.nice(nice)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
