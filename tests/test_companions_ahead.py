"""A day's companion files parsed ahead by a worker process (``publication.ahead``): the same
caches and the same published bytes as the day's own parse; a failing or killed worker only
costs the speed-up; the worker never outlives its block or its parent."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from dagster import materialize
from support.prepare_helpers import synthetic_source

from integrity.layout import DayLayout
from pipelines.definitions import ALL_ASSETS, UNANCHORED
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication import ahead, details
from publication.ahead import CompanionsAhead
from publication.details import (
    DETAIL_PREFIX,
    companion_files,
    details_for_day,
    uncached_companions,
)

MONTH = dt.date(2026, 10, 1)
ORDERS = 300


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small synthetic month (orders, detailed export, quotations)."""
    return synthetic_source(tmp_path_factory.mktemp("source"), [MONTH], ORDERS)


def _orders(source: Path) -> pa.Array:
    from perucompras.reader import read_monthly_file

    return read_monthly_file(source / "ReportePCBienes202610.csv").orders["order_number"]


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaped (it runs no more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _not_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing a companion file in this process fails the test (the worker must have)."""

    def refuse(path: Path, *_: object, **__: object) -> None:
        raise AssertionError(f"{path} parsed in the caller")

    monkeypatch.setattr(details, "read_detailed_export_reusing", refuse)
    monkeypatch.setattr(details, "stream_quotations", refuse)
    details._detail_cache.cache_clear()
    details._quotation_table.cache_clear()


def test_the_worker_fills_the_caches_the_days_own_parse_would(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    companions = companion_files(source, MONTH)
    assert set(companions) == {DETAIL_PREFIX, details.QUOTATION_PREFIX}
    own, worker = tmp_path / "own", tmp_path / "worker"
    details._detail_cache.cache_clear()
    reference = details_for_day(companions, _orders(source), MONTH, own)
    assert reference.lines is not None and reference.lines.num_rows > 0
    assert reference.quotations is not None and reference.quotations.num_rows > 0

    with CompanionsAhead(companions, worker) as parsing:
        assert parsing.start()
        assert sorted(parsing.files) == sorted(companions.values())
        assert parsing.pid is not None
        assert parsing.wait() is None
    assert uncached_companions(companions, worker) == []
    assert _files(worker) == _files(own)  # the same Parquet, row memo and info, byte for byte

    _not_in_this_process(monkeypatch)
    read = details_for_day(companions, _orders(source), MONTH, worker)
    for name in ("lines", "deliveries", "quotations", "quarantine"):
        assert getattr(read, name).equals(getattr(reference, name)), name
    assert (read.counts, read.sources) == (reference.counts, reference.sources)


def test_nothing_left_to_parse_starts_no_worker(source: Path, tmp_path: Path) -> None:
    companions = companion_files(source, MONTH)
    details.fill_companion_caches(list(companions.values()), tmp_path / "cache")
    with CompanionsAhead(companions, tmp_path / "cache") as parsing:
        assert not parsing.start()
        assert parsing.pid is None and parsing.files == []
        assert parsing.wait() is None
    with CompanionsAhead({}, tmp_path / "cache") as parsing:
        assert not parsing.start()


def _broken_source(source: Path, folder: Path) -> dict[str, Path]:
    """A copy of ``source``'s month whose detailed export is not a workbook."""
    folder.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    companions = companion_files(folder, MONTH)
    companions[DETAIL_PREFIX].write_bytes(b"ORDEN_ELECTRONICA;TOTAL\nOCAM-2025-1-1-0;1.00\n")
    return companions


def test_a_failing_worker_says_why_and_the_caller_parses_as_without_it(
    source: Path, tmp_path: Path
) -> None:
    from perucompras.reader import SourceFileError

    companions = _broken_source(source, tmp_path / "source")
    cache = tmp_path / "cache"
    with CompanionsAhead(companions, cache) as parsing:
        assert parsing.start()
        problem = parsing.wait()
    assert problem is not None and "SourceFileError" in problem
    assert "ReportePCDetalle202610.xlsx" in problem
    assert not [path for path in cache.glob("*") if "partial" in path.name]
    with pytest.raises(SourceFileError) as own:  # the day's own parse: the same error
        details_for_day(companions, _orders(source), MONTH, cache)
    assert str(own.value) in problem


@pytest.mark.parametrize("error", [RuntimeError("a step failed"), KeyboardInterrupt()])
def test_the_worker_is_stopped_when_the_block_ends_early(
    source: Path, tmp_path: Path, error: BaseException
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(type(error)), CompanionsAhead(companion_files(source, MONTH), cache) as p:
        assert p.start()
        pid = p.pid
        assert pid is not None and not _gone(pid)
        raise error
    assert _gone(pid)
    assert p.pid is None
    assert not [path for path in cache.glob("*") if "partial" in path.name]


def test_a_killed_worker_only_costs_the_speed_up(source: Path, tmp_path: Path) -> None:
    companions = companion_files(source, MONTH)
    cache = tmp_path / "cache"
    with CompanionsAhead(companions, cache) as parsing:
        assert parsing.start() and parsing.pid is not None
        os.kill(parsing.pid, signal.SIGKILL)
        assert parsing.wait() == f"exit status {-signal.SIGKILL}"
    details._detail_cache.cache_clear()
    details._quotation_table.cache_clear()
    read = details_for_day(companions, _orders(source), MONTH, cache)  # parsed here instead
    reference = details_for_day(companions, _orders(source), MONTH, tmp_path / "own")
    assert read.lines is not None and read.lines.equals(reference.lines)
    assert uncached_companions(companions, cache) == []


def test_the_worker_dies_with_its_parent(source: Path, tmp_path: Path) -> None:
    """kill -9 of the process that started the worker: the kernel stops the worker too."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from publication.ahead import CompanionsAhead\n"
        "from publication.details import companion_files\n"
        "import datetime as dt\n"
        "p = CompanionsAhead(companion_files(Path(sys.argv[1]), dt.date(2026, 10, 1)),"
        " Path(sys.argv[2]))\n"
        "assert p.start()\n"
        "print(p.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(source), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _gone(worker):
        time.sleep(0.1)
    assert _gone(worker)


def test_the_worker_refuses_to_run_for_another_parent(source: Path, tmp_path: Path) -> None:
    """Started for a parent that is not its own (gone before the worker could tie itself to
    it): it parses nothing."""
    companions = companion_files(source, MONTH)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "publication.ahead", "--parent", str(os.getpid() + 1_000_000)),
            *("--cache", str(tmp_path / "cache"), *(str(path) for path in companions.values())),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert not (tmp_path / "cache").exists()


def test_an_early_worker_is_taken_over_by_the_days_own(source: Path, tmp_path: Path) -> None:
    """``publicar run`` starts the first day's worker before Dagster sets the run up; the
    day's steps take that worker over instead of starting a second one."""
    companions = companion_files(source, MONTH)
    cache = tmp_path / "cache"
    with CompanionsAhead(companions, cache, early=True) as early:
        assert early.start()
        pid = early.pid
        with CompanionsAhead(dict(companions), cache) as own:
            assert own.start()
            assert own.pid == pid and early.pid is None
            assert own.wait() is None
        early.stop()  # nothing left to stop: the day's own block owned it
    assert pid is not None and _gone(pid)
    assert uncached_companions(companions, cache) == []
    assert ahead._EARLY == {}


def test_an_early_worker_nobody_took_over_is_stopped_with_its_block(
    source: Path, tmp_path: Path
) -> None:
    companions = companion_files(source, MONTH)
    cache = tmp_path / "cache"
    with CompanionsAhead(companions, cache, early=True) as early:
        assert early.start()
        pid = early.pid
    assert pid is not None and _gone(pid)
    assert ahead._EARLY == {}
    # A test process paused (a long collection in a busy session) can let the small month's
    # worker finish before its block ends: what it cached is dropped, so the later block has
    # work either way.
    shutil.rmtree(cache, ignore_errors=True)
    with CompanionsAhead(companions, cache) as own:  # a later block starts its own
        started = own.start()
        assert started, own.wait()
        assert own.pid not in (None, pid)
        assert own.wait() is None


def _publish(tmp: Path, source: Path, day: dt.date) -> dict[str, str]:
    """Publish ``day`` (unanchored) under ``tmp`` from a copy of ``source``; its files."""
    folder = tmp / "source"
    folder.mkdir(parents=True)
    for path in source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    resources = {
        "source": SourceResource(kind="synthetic", directory=str(folder), orders_per_month=ORDERS),
        "datasets": DatasetsResource(root=str(tmp / "datasets")),
        "chain": ChainResource(state_dir=str(tmp / "devchain")),  # anchor not selected
    }
    result = materialize(
        ALL_ASSETS, selection=UNANCHORED, partition_key=day.isoformat(), resources=resources
    )
    assert result.success
    return _files(DayLayout(tmp / "datasets", "perucompras-ocam", day).folder)


@pytest.mark.slow
def test_a_day_mapped_from_the_workers_parse_is_byte_identical(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = dt.date(2026, 10, 2)
    with monkeypatch.context() as serial:
        serial.setattr(CompanionsAhead, "start", lambda self: False)  # the day parses them itself
        details._detail_cache.cache_clear()
        without = _publish(tmp_path / "serial", source, day)
    started: list[int] = []
    real_start = CompanionsAhead.start

    def start(self: CompanionsAhead) -> bool:
        began = real_start(self)
        started.append(self.pid or 0)
        return began

    monkeypatch.setattr(CompanionsAhead, "start", start)
    _not_in_this_process(monkeypatch)  # the mapping reads only what the worker parsed
    overlapped = _publish(tmp_path / "ahead", source, day)
    assert len(started) == 1 and started[0] > 0
    assert _gone(started[0])
    assert overlapped == without
    assert any(name.endswith(".jsonl") or name.endswith(".json") for name in overlapped)


def _broken_day(tmp: Path, source: Path, day: dt.date) -> str:
    """Map ``day`` from a copy of ``source`` with a broken detailed export; the failed step's
    error (its cause: what the day's steps raised), after checking nothing was published."""
    folder = tmp / "source"
    _broken_source(source, folder)
    resources = {
        "source": SourceResource(kind="synthetic", directory=str(folder), orders_per_month=ORDERS),
        "datasets": DatasetsResource(root=str(tmp / "datasets")),
        "chain": ChainResource(state_dir=str(tmp / "devchain")),
    }
    details._detail_cache.cache_clear()
    result = materialize(
        ALL_ASSETS,
        selection=UNANCHORED,
        partition_key=day.isoformat(),
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    assert not DayLayout(tmp / "datasets", "perucompras-ocam", day).folder.exists()
    failures = [event for event in result.all_events if event.is_step_failure]
    assert len(failures) == 1 and failures[0].step_failure_data is not None
    error = failures[0].step_failure_data.error
    assert error is not None and error.cause is not None
    return error.cause.message


def test_a_broken_export_fails_the_day_as_without_the_worker(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker fails on it, the mapping parses it and fails the day with the file's own
    error, as without the worker; nothing of the day is published."""
    day = dt.date(2026, 10, 2)
    with monkeypatch.context() as serial:
        serial.setattr(CompanionsAhead, "start", lambda self: False)
        without = _broken_day(tmp_path / "serial", source, day)
    waited: list[str | None] = []
    real_wait = CompanionsAhead.wait

    def wait(self: CompanionsAhead, *args: Any) -> str | None:
        waited.append(real_wait(self, *args))
        return waited[-1]

    monkeypatch.setattr(CompanionsAhead, "wait", wait)
    overlapped = _broken_day(tmp_path / "ahead", source, day)
    assert overlapped == without
    assert "SourceFileError: ReportePCDetalle202610.xlsx" in overlapped
    assert len(waited) == 1 and waited[0] is not None and "SourceFileError" in waited[0]
