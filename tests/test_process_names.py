"""Each kind of worker process of a run names itself, so ``ps``/``top`` (and the full-history
benchmark, which adds up memory by part of the run) can tell them apart."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from support.prepare_helpers import held_month, own_name_into

from publication.bulk import ExtractsAhead
from publication.bulk import workers as bulk_workers
from publication.prepare import MonthsAhead
from publication.process_name import AHEAD, BULK_WORKER, MONTH_WORKER, name_this_process

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/comm").exists(), reason="process names are read from Linux /proc"
)


def _written(path: Path) -> str:
    for _ in range(600):
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_bulk_workers_and_the_background_process_say_which_they_are(tmp_path: Path) -> None:
    pool = bulk_workers.pool(1)
    try:
        pool.submit(own_name_into, tmp_path / "bulk").result()
    finally:
        pool.shutdown()
    assert (tmp_path / "bulk").read_text() == BULK_WORKER
    with ExtractsAhead(tmp_path / "cache") as ahead:
        ahead.then(own_name_into, tmp_path / "ahead")
        assert _written(tmp_path / "ahead") == AHEAD


def test_month_workers_say_which_they_are(tmp_path: Path) -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    cache = tmp_path / "cache"
    cache.mkdir()
    october = dt.date(2026, 10, 1)
    with MonthsAhead(1, tmp_path, cache, prepare=held_month) as months:
        months.start([october])
        try:
            # held_month waits for its release file: the worker is inside its month.
            workers = [c for c in multiprocessing.active_children() if c.pid not in before]
            assert len(workers) == 1
            comm = Path(f"/proc/{workers[0].pid}/comm")
            for _ in range(600):
                if comm.read_text().strip() == MONTH_WORKER:
                    break
                time.sleep(0.05)
            assert comm.read_text().strip() == MONTH_WORKER
        finally:
            (cache / "release-2026-10").touch()
            assert months.wait(october) is None


def test_a_name_is_cut_to_what_the_system_keeps() -> None:
    assert max(len(name) for name in (AHEAD, BULK_WORKER, MONTH_WORKER)) <= 15
    seen: list[str] = []

    def named() -> None:  # a thread of its own: the test process keeps its name
        name_this_process("publicar-test-a-long-name")
        seen.append(Path("/proc/thread-self/comm").read_text().strip())

    thread = threading.Thread(target=named)
    thread.start()
    thread.join()
    assert seen == ["publicar-test-a"]
