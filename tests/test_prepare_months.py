"""Months prepared ahead (``publication.prepare``): the companion files' caches filled in other
processes, and a backfill with worker processes byte-identical to one without."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.backfill_helpers import NO_GX, backfill_in_process, day_files
from support.prepare_helpers import held_month, synthetic_source

from publication import details, extract
from publication.details import companion_files, details_for_day, month_detail_files
from publication.prepare import MonthsAhead, prepare_month

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small synthetic months (orders, detailed export, quotations)."""
    return synthetic_source(tmp_path_factory.mktemp("source"), [OCTOBER, NOVEMBER], 60)


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, *_: object, **__: object) -> None:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(details, "read_detailed_export_reusing", refuse)
    monkeypatch.setattr(details, "stream_quotations", refuse)
    details._detail_cache.cache_clear()
    details._quotation_table.cache_clear()


def test_a_prepared_month_is_read_from_the_cache_without_parsing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    prepared = prepare_month(source, OCTOBER, cache)
    assert prepared.month == "2026-10"
    assert prepared.files == (
        "ReportePCBienes202610.csv",
        "ReportePCDetalle202610.xlsx",
        "Cotizaciones202610.csv",
    )
    filled = sorted(path.name for path in cache.iterdir())
    assert len(filled) == 4 and not [name for name in filled if "partial" in name]
    companions = companion_files(source, OCTOBER)
    parsed = details_for_day(companions, _all_orders(source), OCTOBER, tmp_path / "parsed")
    _no_parsing(monkeypatch)
    assert prepare_month(source, OCTOBER, cache).files == prepared.files  # idempotent
    read = details_for_day(companions, _all_orders(source), OCTOBER, cache)
    assert parsed.lines is not None and parsed.lines.num_rows > 0
    assert read.lines is not None and read.lines.equals(parsed.lines)
    assert read.deliveries is not None and read.deliveries.equals(parsed.deliveries)
    assert read.quotations is not None and read.quotations.equals(parsed.quotations)
    assert read.quarantine.equals(parsed.quarantine) and read.sources == parsed.sources
    assert sorted(path.name for path in cache.iterdir()) == filled


def _all_orders(source: Path) -> object:
    import pyarrow as pa

    from perucompras.detailed_export import read_detailed_export

    export = month_detail_files(companion_files(source, OCTOBER)[details.DETAIL_PREFIX])[0]
    return pa.array(sorted(set(read_detailed_export(export).lines["order_number"].to_pylist())))


def _quotation_orders(path: Path) -> object:
    import pyarrow as pa

    from perucompras.quotations import stream_quotations

    numbers = sorted({n for b in stream_quotations(path) for n in b["order_number"].to_pylist()})
    return pa.array(numbers[::3], pa.string())


def test_a_day_reads_its_quotations_from_the_dictionary_encoded_month_unchanged(
    source: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from perucompras.quotations import QUOTATION_SCHEMA, stream_quotations

    details.forget_quotations()
    companions = companion_files(source, OCTOBER)
    path = companions[details.QUOTATION_PREFIX]
    wanted = _quotation_orders(path)
    whole = pa.Table.from_batches(list(stream_quotations(path)), schema=QUOTATION_SCHEMA)
    expected = whole.filter(pc.is_in(whole["order_number"], value_set=wanted)).sort_by(
        [("order_number", "ascending"), ("source_line", "ascending")]
    )
    day = details_for_day(companions, wanted, OCTOBER, tmp_path / "cache")
    month = details._quotation_month(path, tmp_path / "cache")[0]
    assert pa.types.is_dictionary(month.schema.field("supplier_name").type)  # held compact
    assert day.quotations is not None and day.quotations.schema == QUOTATION_SCHEMA
    assert expected.num_rows and day.quotations.equals(expected)


def test_a_process_never_holds_two_months_of_quotations(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    details.forget_quotations()
    cache = tmp_path / "cache"
    held_when_read: list[int] = []
    read_table = details.pq.read_table

    def recording(path: object, *args: object, **kwargs: object) -> object:
        if "Cotizaciones" in str(path) and ".rejected." not in str(path):
            held_when_read.append(details._quotation_table.cache_info().currsize)
        return read_table(path, *args, **kwargs)

    monkeypatch.setattr(details.pq, "read_table", recording)
    for month in (OCTOBER, NOVEMBER):
        companions = companion_files(source, month)
        details_for_day(companions, _quotation_orders(companions["Cotizaciones"]), month, cache)
    assert held_when_read == [0, 0]


def test_a_worker_lets_go_of_its_months_quotations_once_prepared(
    source: Path, tmp_path: Path
) -> None:
    details.forget_quotations()
    prepare_month(source, NOVEMBER, tmp_path / "cache", gx=True)
    assert details._quotation_table.cache_info().currsize == 0
    # nor its detailed export's parse and its monthly files' reads (the next month is others)
    assert details._detail_cache.cache_info().currsize == 0
    assert extract._read_cached.cache_info().currsize == 0
    companions = companion_files(source, NOVEMBER)
    day = details_for_day(
        companions, _quotation_orders(companions["Cotizaciones"]), NOVEMBER, tmp_path / "cache"
    )
    assert day.quotations is not None and day.quotations.num_rows > 0  # read again on demand


def test_two_processes_preparing_one_month_leave_one_whole_cache(
    source: Path, tmp_path: Path
) -> None:
    """Kill-safe and race-safe: partial files are per process and renamed whole; a partial
    left by a dead process is removed by the next writer."""
    prepare_month(source, OCTOBER, tmp_path / "names")
    cache = tmp_path / "cache"
    cache.mkdir()
    for final in (tmp_path / "names").iterdir():  # as if a killed process had left them
        (cache / f"{final.name}.partial-999999999-dead").mkdir()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=prepare_month, args=(source, OCTOBER, cache)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    names = sorted(path.name for path in cache.iterdir())
    assert len(names) == 4 and not [name for name in names if "partial" in name], names


@pytest.mark.slow
def test_backfill_with_workers_is_byte_identical_and_parses_later_months_ahead(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers off, on, and on but killed: same day files (manifests, hence Merkle roots);
    with workers, this process parses only the first month; a killed worker loses nothing."""
    workdir = source.parents[2]
    days = [dt.date(2026, 10, 31), dt.date(2026, 11, 1)]
    parsed: list[str] = []
    reader = details.read_detailed_export_reusing

    def counted(path: Path, *args: object, **kwargs: object) -> object:
        parsed.append(path.name)
        return reader(path, *args, **kwargs)

    monkeypatch.setattr(details, "read_detailed_export_reusing", counted)
    results: dict[str, dict[dt.date, dict[str, str]]] = {}
    for name, workers in (("off", "0"), ("on", "1"), ("killed", "1")):
        if name == "killed":
            monkeypatch.setattr(
                "pipelines.cli.backfill._PREPARE", _import("support.prepare_helpers.killed_worker")
            )
        parsed.clear()
        root = tmp_path / name / "datasets"
        code, out, err = backfill_in_process(
            workdir, root, days[0], days[-1], 60, prepare_workers=workers, **NO_GX
        )
        assert code == 0, err
        assert "Traceback" not in out + err
        results[name] = {day: day_files(root, day) for day in days}
        if name == "on":
            assert parsed == ["ReportePCDetalle202610.xlsx"]
        else:
            assert parsed == ["ReportePCDetalle202610.xlsx", "ReportePCDetalle202611.xlsx"]
        warned = "2026-11" in out and "BrokenProcessPool" in out
        assert warned == (name == "killed"), out
    assert results["on"] == results["off"] == results["killed"]


@pytest.mark.slow
def test_with_gx_the_main_process_takes_a_prepared_months_outcomes_and_writes_the_same_bytes(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX on: with a worker, the days of the month prepared ahead run no GX validation in this
    process (their outcomes come from the worker, by content; no batch prevalidation either),
    and the day files are those of a run without workers."""
    from publication import batch
    from quality import gx_suites

    workdir = source.parents[2]
    days = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), NOVEMBER, dt.date(2026, 11, 2)]
    current: list[dt.date] = []
    validated: list[dt.date] = []
    prevalidated: list[dt.date] = []
    run_day, gx_validate, prevalidate = batch.run_day, gx_suites._gx_validate, batch._prevalidate

    def counted_day(job: object, day: dt.date, *args: object, **kwargs: object) -> object:
        current[:] = [day]
        try:
            return run_day(job, day, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            current.clear()

    def counted_validation(*args: object, **kwargs: object) -> object:
        validated.extend(current)
        return gx_validate(*args, **kwargs)  # type: ignore[arg-type]

    def counted_batch(job: object, batch_days: list[dt.date], *args: object) -> object:
        prevalidated.extend(batch_days)
        return prevalidate(job, batch_days, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "run_day", counted_day)
    monkeypatch.setattr(gx_suites, "_gx_validate", counted_validation)
    monkeypatch.setattr(batch, "_prevalidate", counted_batch)
    results: dict[str, dict[dt.date, dict[str, str]]] = {}
    for name, workers in (("off", "0"), ("on", "1")):
        validated.clear()
        prevalidated.clear()
        root = tmp_path / name / "datasets"
        code, out, err = backfill_in_process(
            workdir, root, days[0], days[-1], 60, prepare_workers=workers
        )
        assert code == 0, err
        assert "Traceback" not in out + err
        results[name] = {day: day_files(root, day) for day in days}
        november = [day for day in validated if day.month == 11]
        if name == "off":
            assert november and prevalidated == days
        else:
            assert not november, november
            assert prevalidated == days[:2]
        assert {day for day in validated if day.month == 10} == set(days[:2])
    assert results["on"] == results["off"]


def _import(dotted: str) -> object:
    import importlib

    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_workers_stop_once_every_queued_month_is_done(tmp_path: Path) -> None:
    """An idle worker would hold its imports and last month in memory to the end of a
    backfill: once every month queued is done, the workers stop; the months' results are
    still handed over, and a month queued later starts a worker again."""
    december = dt.date(2026, 12, 1)
    cache = tmp_path / "cache"
    cache.mkdir()
    before = {child.pid for child in multiprocessing.active_children()}

    def workers() -> set[int]:
        return {child.pid for child in multiprocessing.active_children()} - before

    with MonthsAhead(1, tmp_path, cache, prepare=held_month) as ahead:
        ahead.start([OCTOBER, NOVEMBER])
        (cache / "release-2026-10").touch()
        assert ahead.wait(OCTOBER) is None
        first = workers()
        assert len(first) == 1 and ahead.running  # November is still being prepared
        assert ahead.gx_outcomes(OCTOBER) == {"pid": next(iter(first))}
        (cache / "release-2026-11").touch()
        assert ahead.wait(NOVEMBER) is None
        assert workers() == set() and not ahead.running
        assert ahead.gx_outcomes(NOVEMBER) == {"pid": next(iter(first))}
        ahead.start([december])
        second = workers()
        assert len(second) == 1 and second != first
        (cache / "release-2026-12").touch()
        assert ahead.wait(december) is None
        assert ahead.gx_outcomes(december) == {"pid": next(iter(second))}
        assert workers() == set() and not ahead.running


@pytest.mark.parametrize("quotations", [True, False])
def test_with_quotations_each_month_is_prepared_in_a_process_of_its_own(
    tmp_path: Path, quotations: bool
) -> None:
    """A worker that goes on to the next month of quotations holds what GX and pandas left
    fragmented in its heap (60-100 MiB more after each month, measured): with quotations in
    the source, every month gets a fresh process, with one worker as with several; without,
    a worker goes on (a fresh process would cost as much as such a month)."""
    source = tmp_path / "source"
    source.mkdir()
    if quotations:
        (source / "Cotizaciones202607.csv").write_text("")
    months = [dt.date(2026, month, 1) for month in (7, 8, 9, 10)]
    cache = tmp_path / "cache"
    cache.mkdir()
    for month in months:
        (cache / f"release-{month:%Y-%m}").touch()
    for workers in (1, 2):
        with MonthsAhead(workers, source, cache, prepare=held_month) as ahead:
            assert ahead.fresh_per_month() is quotations
            ahead.start(months)
            assert [ahead.wait(month) for month in months] == [None] * 4
            pids = {ahead.gx_outcomes(month)["pid"] for month in months}
            assert os.getpid() not in pids and not ahead.running
            assert len(pids) == 4 if quotations else len(pids) <= workers


def test_months_ahead_does_nothing_without_workers(source: Path, tmp_path: Path) -> None:
    with MonthsAhead(0, source, tmp_path / "cache") as ahead:
        ahead.start([OCTOBER, NOVEMBER])
        assert ahead.wait(NOVEMBER) is None
    assert not (tmp_path / "cache").exists()


def test_workers_do_not_outlive_a_killed_backfill(source: Path, tmp_path: Path) -> None:
    """kill -9 of the process that started the workers: they exit too (no orphan waiting
    for work forever), and what they wrote is whole or a partial the next writer removes."""
    helper = Path(__file__).parent / "support" / "prepare_helpers.py"
    done = subprocess.run(
        [sys.executable, str(helper), str(source), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == -9, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert workers
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.2)
    assert not any(map(_running, workers))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
