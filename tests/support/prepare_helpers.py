"""Helpers of the month-preparation tests that worker processes import (spawned: by name)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from pipelines.services import SourceService
from settings.model import Source


def killed_worker(*_: object, **__: object) -> None:
    """A worker that dies as if killed (the pool breaks)."""
    os._exit(9)


def held_month(source_dir: Path, month: dt.date, cache: Path, **_: object) -> object:
    """A month's preparation that ends once the test creates ``cache/release-YYYY-MM``; it
    hands back the month and this worker's PID as its GX outcomes."""
    from publication.prepare import PreparedMonth

    flag = cache / f"release-{month:%Y-%m}"
    while not flag.exists():
        time.sleep(0.02)
    return PreparedMonth(f"{month:%Y-%m}", gx_outcomes={"pid": os.getpid()})


def synthetic_source(workdir: Path, months: list[dt.date], orders_per_month: int) -> Path:
    """Generate ``months`` of the synthetic source where ``publicar`` run in ``workdir``
    looks for them (as benchmarks/full_history.py does); the folder."""
    folder = workdir / ".cache" / "source" / "synthetic"
    defaults = Source()
    source = SourceService(
        kind="synthetic",
        directory=str(folder),
        seed=defaults.seed,
        orders_per_month=orders_per_month,
        quotations=defaults.quotations,
        portal_url=defaults.portal_url,
        portal_dataset=defaults.portal_dataset,
    )
    for month in months:
        source.monthly_files(month)
    return folder


def start_and_die(source: str, cache: str) -> None:
    """Queue two months in a worker, print the workers' PIDs, then die as with kill -9."""
    from publication.prepare import MonthsAhead

    ahead = MonthsAhead(1, Path(source), Path(cache))
    ahead.start([dt.date(2026, 10, 1), dt.date(2026, 11, 1)])
    assert ahead._pool is not None
    print(" ".join(map(str, ahead._pool._processes)), flush=True)
    os.kill(os.getpid(), 9)


if __name__ == "__main__":
    import sys

    start_and_die(sys.argv[1], sys.argv[2])


def own_name_into(path: Path) -> None:
    """Write this process's name, as the system shows it (``/proc/self/comm``), to ``path``."""
    path.write_text(Path("/proc/self/comm").read_text().strip())
