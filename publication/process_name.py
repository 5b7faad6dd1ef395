"""Names of a run's worker processes as the system shows them (``ps -o comm``, ``top``,
``/proc/PID/comm``): which part of a run each one is, for an operator watching a backfill
and for the benchmark that adds up their memory by part. Linux only; elsewhere, nothing."""

from __future__ import annotations

import ctypes
import ctypes.util

MONTH_WORKER = "publicar-months"  # months parsed ahead (publication.prepare)
AHEAD = "publicar-ahead"  # extracts and months built ahead (publication.bulk.ExtractsAhead)
BULK_WORKER = "publicar-bulk"  # a bulk build's workers (extracts, workbooks)

_PR_SET_NAME = 15  # prctl(2); the name is cut to 15 bytes


def name_this_process(name: str) -> None:
    """Give the calling thread, a worker's main thread, ``name`` (its process's name)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError, TypeError):
        return  # not Linux: the name is only a convenience
