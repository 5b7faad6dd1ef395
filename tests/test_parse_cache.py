"""The monthly files' parse cache (``publication.extract.parsed``): a cached parse is the fresh
parse, read without parsing; a damaged or partial entry is never taken; a worker process fills
it for the backfill's first day (``MonthsAhead.parse``)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from support.prepare_helpers import synthetic_source

from perucompras.reader import ReadResult, read_monthly_file
from publication import extract
from publication.extract import parsed, read_cached, use_parse_cache
from publication.prepare import MonthsAhead

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small synthetic months."""
    return synthetic_source(tmp_path_factory.mktemp("source"), [OCTOBER, NOVEMBER], 80)


@pytest.fixture
def monthly(source: Path, tmp_path: Path) -> Path:
    """A private copy of October's monthly file (tests rewrite it)."""
    copy = tmp_path / "in" / "ReportePCBienes202610.csv"
    copy.parent.mkdir()
    shutil.copy2(source / "ReportePCBienes202610.csv", copy)
    return copy


def _same(read: ReadResult, fresh: ReadResult) -> None:
    assert read.orders.num_rows > 0 and read.quarantine.num_rows >= 0
    assert read.orders.schema.equals(fresh.orders.schema, check_metadata=True)
    assert read.orders.equals(fresh.orders, check_metadata=True)
    assert read.quarantine.schema.equals(fresh.quarantine.schema, check_metadata=True)
    assert read.quarantine.equals(fresh.quarantine, check_metadata=True)
    assert read.info == fresh.info


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, *_: object, **__: object) -> None:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(extract, "read_monthly_file", refuse)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.iterdir())


def test_a_cached_parse_is_the_fresh_parse_and_is_read_without_parsing(
    monthly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = read_monthly_file(monthly)
    cache = tmp_path / "cache"
    _same(parsed(monthly, cache), fresh)
    (entry,) = _entries(cache)
    assert entry.name.startswith(f"ReportePCBienes202610-{fresh.info.sha256[:16]}-")
    _no_parsing(monkeypatch)
    _same(parsed(monthly, cache), fresh)
    assert _entries(cache) == [entry]


def test_the_language_is_part_of_the_key(monthly: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _same(parsed(monthly, cache, "en"), read_monthly_file(monthly, "en"))
    _same(parsed(monthly, cache, "es"), read_monthly_file(monthly, "es"))
    assert [entry.name[-3:] for entry in _entries(cache)] == ["-en", "-es"]


@pytest.mark.parametrize("damage", ["truncated", "no info", "bad info", "other file"])
def test_a_damaged_entry_is_parsed_again_and_replaced(
    damage: str, monthly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = read_monthly_file(monthly)
    cache = tmp_path / "cache"
    parsed(monthly, cache)
    (entry,) = _entries(cache)
    orders = entry / "orders.arrow"
    if damage == "truncated":
        orders.write_bytes(orders.read_bytes()[: orders.stat().st_size // 2])
    elif damage == "no info":
        (entry / "info.json").unlink()
    elif damage == "bad info":
        (entry / "info.json").write_text("{", encoding="utf-8")
    else:  # another file's parse under this file's name
        info = (entry / "info.json").read_text(encoding="utf-8")
        other = info.replace(fresh.info.sha256, "0" * 64)
        assert other != info
        (entry / "info.json").write_text(other, encoding="utf-8")
    _same(parsed(monthly, cache), fresh)
    assert _entries(cache) == [entry]
    _no_parsing(monkeypatch)
    _same(parsed(monthly, cache), fresh)


def test_a_partial_entry_is_never_read_and_a_dead_process_leftover_is_removed(
    monthly: Path, tmp_path: Path
) -> None:
    """As after a kill -9 while writing: the partial folder of a process that is gone."""
    parsed(monthly, tmp_path / "names")
    (named,) = _entries(tmp_path / "names")
    cache = tmp_path / "cache"
    leftover = cache / f"{named.name}.partial-999999999-dead"
    leftover.mkdir(parents=True)
    (leftover / "info.json").write_text("{", encoding="utf-8")
    _same(parsed(monthly, cache), read_monthly_file(monthly))
    assert [entry.name for entry in _entries(cache)] == [named.name]


def test_a_rewritten_file_gets_its_own_entry(monthly: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = parsed(monthly, cache)
    lines = monthly.read_bytes().splitlines(keepends=True)
    monthly.write_bytes(b"".join(lines[:-5]))
    after = parsed(monthly, cache)
    _same(after, read_monthly_file(monthly))
    assert after.orders.num_rows < before.orders.num_rows
    assert len(_entries(cache)) == 2


def test_read_cached_goes_through_the_cache_only_when_one_is_in_use(
    monthly: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    fresh = read_monthly_file(monthly)
    try:
        use_parse_cache(cache)
        _same(read_cached(monthly), fresh)
        assert len(_entries(cache)) == 1
        shutil.rmtree(cache)
        use_parse_cache(None)
        _same(read_cached(monthly), fresh)
        assert not cache.exists()
    finally:
        use_parse_cache(None)


def test_a_cache_that_is_not_filled_is_read_but_never_written(
    monthly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``publicar run``'s use (``fill=False``): new bytes are parsed in memory and leave nothing
    behind; bytes a backfill parsed before are loaded, not parsed."""
    cache = tmp_path / "cache"
    fresh = read_monthly_file(monthly)
    try:
        use_parse_cache(cache, fill=False)
        _same(read_cached(monthly), fresh)
        assert not cache.exists()
        parsed(monthly, cache)  # as a backfill leaves it
        (entry,) = _entries(cache)
        use_parse_cache(cache, fill=False)  # forgets this process's reads
        _no_parsing(monkeypatch)
        _same(read_cached(monthly), fresh)
        assert _entries(cache) == [entry]
    finally:
        use_parse_cache(None)


def test_an_unfilled_cache_leaves_a_damaged_entry_alone(monthly: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parsed(monthly, cache)
    (entry,) = _entries(cache)
    (entry / "info.json").write_text("{", encoding="utf-8")
    _same(parsed(monthly, cache, fill=False), read_monthly_file(monthly))
    assert _entries(cache) == [entry] and (entry / "info.json").read_text() == "{"


def test_a_worker_fills_the_cache_this_process_then_reads(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    november = source / "ReportePCBienes202611.csv"
    fresh = read_monthly_file(november)
    cache = tmp_path / "cache"
    with MonthsAhead(1, source, cache) as ahead:
        ahead.parse([november])
        assert [future.result(120) for future in ahead._parsing] == [[november.name]]
    _no_parsing(monkeypatch)
    _same(parsed(november, cache), fresh)
