"""A daily run's worker parses the day's orders first (``publication.ahead``,
``publication.details._OrdersFirst``): the lines and deliveries of a set of orders parsed from
their rows alone are those the whole export's read gives them, rejected rows, broken orders and
unreadable order numbers included; the mapping of a day after the first of its month takes them
as soon as the worker has them, and the day is byte-identical to one mapped from the whole
month's parse; the first day of a month, a month with quotations still to parse, or with
several exports, waits for the whole worker as before."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.prepare_helpers import synthetic_source
from test_companions_ahead import _files, _gone, _not_in_this_process
from test_detailed_export_reuse import _CELLS, _data, _head, _sheet_of, _spoiled, _write

from perucompras import detailed_export as de
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export
from publication import details
from publication.ahead import CompanionsAhead
from publication.details import (
    DETAIL_PREFIX,
    QUOTATION_PREFIX,
    companion_files,
    details_for_day,
    fill_companion_caches,
)

MONTH = dt.date(2026, 10, 1)
DAY = dt.date(2026, 10, 2)
ORDERS = 300
HOLD = Path(__file__).resolve().parent / "support" / "orders_first_hold"


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    """A synthetic month's export (80 orders) as cell lists: title rows, header, data."""
    month = generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=80)
    export = generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)
    return _sheet_of(export)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small synthetic month with a detailed export and no quotations."""
    folder = synthetic_source(tmp_path_factory.mktemp("source"), [MONTH], ORDERS)
    for path in folder.glob(f"{QUOTATION_PREFIX}*"):
        path.unlink()
    return folder


class _Kept(de.SheetWatcher):
    def rows_read(self, sheet: de.SheetRows) -> None:
        self.sheet = sheet


def _whole_and_rows(path: Path) -> tuple[de.DetailResult, de.SheetRows]:
    watcher = _Kept()
    result, _ = de.read_detailed_export_reusing(path, remember=False, watcher=watcher)
    return result, watcher.sheet


def _assert_as_whole(result: de.DetailResult, sheet: de.SheetRows, ids: set[str]) -> None:
    lines, deliveries = de.orders_in_rows(sheet, ids)
    numbers = pa.array(sorted(f"{order}-{de.ORDER_ROW}" for order in ids), pa.string())
    assert lines.equals(result.lines.filter(pc.is_in(result.lines["order_number"], numbers)))
    assert deliveries.equals(
        result.deliveries.filter(pc.is_in(result.deliveries["order_number"], numbers))
    )


def test_a_watched_read_is_the_same_read(sheet: list[list[Any]], tmp_path: Path) -> None:
    path = _write(tmp_path / "export.xlsx", _head(sheet) + _spoiled(_data(sheet), 7))
    plain = de.read_detailed_export(path)
    watched, rows = _whole_and_rows(path)
    for name in ("lines", "deliveries", "parents", "quarantine"):
        assert getattr(watched, name).equals(getattr(plain, name)), name
    assert watched.info == plain.info
    assert rows.data_rows() == plain.info.row_count
    assert plain.quarantine.num_rows >= 2  # a rejected row and a broken order


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), _CELLS), max_size=15),
    share=st.floats(0.0, 1.0),
)
def test_orders_parsed_from_their_rows_are_as_in_the_whole_read(
    sheet: list[list[Any]],
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    edits: list[tuple[int, int, Any]],
    share: float,
) -> None:
    """Random cells spoiled (order numbers and delivery numbers included), rows duplicated or
    blanked: any set of orders, with orders absent from the file, gets the whole read's lines."""
    rng = random.Random(seed)
    data = _spoiled(_data(sheet), rng.randrange(40))
    for row, column, cell in edits:
        data[row % len(data)][column % len(data[0])] = cell
    if rng.random() < 0.5:
        data.insert(rng.randrange(len(data)), list(data[rng.randrange(len(data))]))
    if rng.random() < 0.5:
        data.insert(rng.randrange(len(data)), [None] * len(data[0]))
    path = _write(
        tmp_path_factory.mktemp("edits") / "ReportePCDetalle202511.xlsx", _head(sheet) + data
    )
    result, rows = _whole_and_rows(path)
    assert rows.data_rows() == result.info.row_count
    index = rows.header.positions["source_order_number"]
    every = sorted({de.order_id_of(row, index) for _, row in rows.rows} - {None})
    ids = {order for order in every if rng.random() < share} | {"OCAM-2099-1-1", "nada"}
    _assert_as_whole(result, rows, {str(order) for order in ids})


def _month(source: Path, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    for path in source.iterdir():
        shutil.copyfile(path, folder / path.name)
    companions = companion_files(folder, MONTH)
    assert set(companions) == {DETAIL_PREFIX}
    return companions


def _day_numbers(source: Path, day: dt.date) -> pa.Array:
    from publication.extract import orders_for_day

    files = sorted(source.glob("ReportePCBienes*.csv"))
    return orders_for_day(files, day).orders["order_number"].combine_chunks()


def test_the_worker_writes_the_days_orders_first_and_the_day_reads_only_them(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    companions = _month(source, tmp_path / "source")
    numbers = _day_numbers(source, DAY)
    assert 0 < len(numbers) < ORDERS
    details._detail_cache.cache_clear()
    reference = details_for_day(companions, numbers, DAY, tmp_path / "own")

    cache = tmp_path / "cache"
    wanted = tmp_path / "wanted.json"
    wanted.write_text(json.dumps(details.day_order_numbers(numbers)))
    fill_companion_caches([companions[DETAIL_PREFIX]], cache, wanted=wanted)
    folder = details.orders_first_folder(
        companions[DETAIL_PREFIX], cache, "es", details.day_order_numbers(numbers)
    )
    assert (folder / "source.json").exists()
    shutil.rmtree(details.detail_cache_folder(companions[DETAIL_PREFIX], cache))  # not whole
    _not_in_this_process(monkeypatch)
    read = details_for_day(companions, numbers, DAY, cache)
    assert read.lines is not None and read.lines.num_rows > 0
    for name in ("lines", "deliveries", "quarantine"):
        assert getattr(read, name).equals(getattr(reference, name)), name
    assert (read.counts, read.sources) == (reference.counts, reference.sources)


def test_the_mapping_takes_the_days_orders_first_and_the_block_cleans_up(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    companions = _month(source, tmp_path / "source")
    numbers = _day_numbers(source, DAY)
    monkeypatch.setenv("PYTHONPATH", str(HOLD))
    monkeypatch.setenv("ORDERS_FIRST_HOLD", "1")
    cache = tmp_path / "cache"
    with CompanionsAhead(companions, cache) as parsing:
        assert parsing.start()
        pid = parsing.pid
        assert pid is not None
        assert parsing.wait(numbers, DAY) is None
        assert parsing.pid == pid  # still running: it goes on with the month
        assert len(list(cache.glob("*.day-*"))) == 1
        assert parsing.wanted.exists()
    assert _gone(pid)
    assert not list(cache.glob("*.day-*")) and not parsing.wanted.exists()
    assert not [path for path in cache.glob("*") if "partial" in path.name]


@pytest.mark.parametrize("case", ["first day", "quotations", "two exports"])
def test_otherwise_the_mapping_waits_for_the_whole_worker(
    source: Path, tmp_path: Path, case: str
) -> None:
    folder = tmp_path / "source"
    companions = _month(source, folder)
    day = MONTH if case == "first day" else DAY
    if case == "quotations":
        everything = synthetic_source(tmp_path / "with", [MONTH], ORDERS)
        for path in everything.glob(f"{QUOTATION_PREFIX}*"):
            shutil.copyfile(path, folder / path.name)
        companions = companion_files(folder, MONTH)
    if case == "two exports":
        detail = companions[DETAIL_PREFIX]
        shutil.copyfile(detail, detail.with_name(f"{detail.stem}-2.xlsx"))
    with CompanionsAhead(companions, tmp_path / "cache") as parsing:
        assert parsing.start()
        assert parsing.wait(_day_numbers(source, day), day) is None
        assert parsing.pid is None  # waited for to the end
    assert not list((tmp_path / "cache").glob("*.day-*"))


def _publish(tmp: Path, source: Path, day: dt.date) -> dict[str, str]:
    """Publish ``day`` (unanchored) under ``tmp`` from a copy of ``source`` (no quotations);
    its files."""
    from dagster import materialize

    from integrity.layout import DayLayout
    from pipelines.definitions import ALL_ASSETS, UNANCHORED
    from pipelines.resources import ChainResource, DatasetsResource, SourceResource

    folder = tmp / "source"
    _month(source, folder)
    resources = {
        "source": SourceResource(
            kind="synthetic", directory=str(folder), orders_per_month=ORDERS, quotations=False
        ),
        "datasets": DatasetsResource(root=str(tmp / "datasets")),
        "chain": ChainResource(state_dir=str(tmp / "devchain")),  # anchor not selected
    }
    result = materialize(
        ALL_ASSETS, selection=UNANCHORED, partition_key=day.isoformat(), resources=resources
    )
    assert result.success
    assert not list(folder.glob(f"{QUOTATION_PREFIX}*"))
    return _files(DayLayout(tmp / "datasets", "perucompras-ocam", day).folder)


@pytest.mark.slow
def test_a_day_mapped_from_its_orders_first_is_byte_identical(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as serial:
        serial.setattr(CompanionsAhead, "start", lambda self: False)  # the day parses them itself
        details._detail_cache.cache_clear()
        without = _publish(tmp_path / "serial", source, DAY)
    monkeypatch.setenv("PYTHONPATH", str(HOLD))
    monkeypatch.setenv("ORDERS_FIRST_HOLD", "1")
    taken: list[Any] = []
    real = details._orders_first

    def orders_first(*args: Any) -> Any:
        taken.append(real(*args))
        return taken[-1]

    monkeypatch.setattr(details, "_orders_first", orders_first)
    _not_in_this_process(monkeypatch)  # the mapping reads only what the worker parsed
    first = _publish(tmp_path / "ahead", source, DAY)
    assert len(taken) == 1 and taken[0] is not None
    assert first == without
    assert any(name.endswith(".jsonl") for name in first)
    assert not list((tmp_path / "ahead").rglob("*.day-*"))


def test_a_new_worker_sweeps_what_dead_runs_left(source: Path, tmp_path: Path) -> None:
    import os
    import subprocess

    companions = _month(source, tmp_path / "source")
    cache = tmp_path / "cache"
    cache.mkdir()
    finished = subprocess.Popen(["true"])
    finished.wait()
    gone = finished.pid  # reaped: no such process
    stale_request = cache / f"ahead-{gone}-0000.wanted.json"
    live_request = cache / f"ahead-{os.getpid()}-0000.wanted.json"
    old_day, new_day = cache / "x.day-0000000000000000", cache / "y.day-1111111111111111"
    for path in (stale_request, live_request):
        path.write_text("[]")
    for folder in (old_day, new_day):
        folder.mkdir()
    os.utime(old_day, (0, 0))
    with CompanionsAhead(companions, cache) as parsing:
        assert parsing.start()
    assert not stale_request.exists() and live_request.exists()
    assert not old_day.exists() and new_day.exists()


def test_the_worker_looks_for_the_request_while_rows_come_from_the_memo(
    sheet: list[list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request made after the rows were read is still seen: the worker looks every so many
    rows, even when each is taken from yesterday's memo and none is parsed."""
    monkeypatch.setattr(de, "CHUNK_ROWS", 16)
    path = _write(tmp_path / "ReportePCDetalle202511.xlsx", sheet)
    _, memo = de.read_detailed_export_reusing(path)
    parsed: list[int] = []
    monkeypatch.setattr(de, "_collect_batch", lambda _r, _c, batch: parsed.append(len(batch)))

    class Counted(de.SheetWatcher):
        calls = 0

        def between(self) -> None:
            self.calls += 1

    watcher = Counted()
    de.read_detailed_export_reusing(path, "es", memo, watcher=watcher)
    assert parsed == []  # every row from the memo
    assert watcher.calls >= (len(sheet) - 7) // 16 > 0
