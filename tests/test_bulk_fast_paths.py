"""The bulk build's fast paths give the bytes of the reference paths they replace: worksheet
rows printed a batch at a time (against xlsxwriter cell by cell), years and the full history
from their months (against every row read back and written again)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import multiprocessing
import os
import random
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from support.bulk_world import IDENTITY, INDICATORS, World, snapshot

import publication.bulk.build as bulk_build
from integrity.layout import DEFAULT_DATASET as D
from publication.bulk import build_bulk, combine, extract, formats
from publication.bulk.formats import JsonlParts, Part, TableWriter, Workbook
from publication.bulk.tables import BulkQueries
from publication.dictionary import Column, Table
from settings import Bulk

LIMA = dt.timezone(dt.timedelta(hours=-5))
LIMA_ZONE = ZoneInfo("America/Lima")
# Texts xlsxwriter escapes, flags or cuts: XML specials, control characters and their
# literal escapes, leading/trailing (Unicode) whitespace, text that looks like a rich string,
# characters outside the BMP, and one past Excel's 32,767 UTF-16 units.
TRICKY = [
    "",
    "plain",
    "Ñandú & <acentos> \"comillas\" 'apóstrofo'",
    "línea\nsiguiente",
    "N\r\nro",
    " leading",
    "trailing ",
    "\ttab",
    "nbsp\xa0",
    "\u3000ideographic",
    "sep\x1c",
    "bell\x07 and nul\x00",
    "literal _x0041_ escape",
    "_xFFFF_ and \ufffe \uffff",
    "<r><t>rich?</t></r>",
    "<r>half",
    "emoji 😀 outside the BMP",
    "a" * 20_000 + "😀" * 7_000,
]


def _table(columns: list[tuple[str, str]]) -> Table:
    return Table(
        "edge",
        "Edge",
        "Edge",
        "edge cases",
        "edge cases",
        tuple(Column(name, kind, name, name) for name, kind in columns),  # type: ignore[arg-type]
    )


COLUMNS = [
    ("text", "string"),
    ("tags", "list"),
    ("small", "int32"),
    ("big", "int64"),
    ("ratio", "float"),
    ("amount", "soles"),
    ("quantity", "quantity"),
    ("day", "date"),
    ("moment", "timestamp"),
    ("flag", "boolean"),
    ("last", "string"),
]


def _value(rng: random.Random, kind: str) -> Any:
    if rng.random() < 0.3:
        return None
    if kind == "string":
        return rng.choice(TRICKY) if rng.random() < 0.5 else f"v{rng.randrange(50)}"
    if kind == "list":
        return [rng.choice(TRICKY[:6]) for _ in range(rng.randrange(3))]
    if kind == "int32":
        return rng.randrange(-(2**31), 2**31)
    if kind == "int64":
        return rng.choice([0, 1, 10**16 + 1, -(2**63), 2**63 - 1, rng.randrange(10**12)])
    if kind == "float":
        return rng.choice([0.1, -0.0, 1e-7, 1e16, 12345.678, rng.random()])
    if kind == "soles":
        return Decimal(rng.randrange(-(10**14), 10**14)) / 100
    if kind == "quantity":
        return Decimal(rng.randrange(0, 10**9)) / 1000
    if kind == "date":
        return dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(60_000))
    if kind == "timestamp":
        base = dt.datetime(1900, 2, 27, tzinfo=dt.UTC)
        return base + dt.timedelta(seconds=rng.randrange(4 * 10**9))
    if kind == "boolean":
        return rng.random() < 0.5
    raise AssertionError(kind)


def _batches(table: Table, rng: random.Random, sizes: list[int]) -> list[pa.RecordBatch]:
    schema = table.arrow_schema()
    batches = []
    for size in sizes:
        rows = [{c.name: _value(rng, c.type) for c in table.columns} for _ in range(size)]
        if size > 2:
            rows[1] = dict.fromkeys(table.names)  # a row without a value
            rows[-1] = {**dict.fromkeys(table.names), "last": "only the last column"}
        batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
    return batches


def _workbook(path: Path, tables: list[tuple[Table, list[pa.RecordBatch]]], fast: bool) -> bytes:
    book = Workbook(path, dt.datetime(2026, 11, 30), "edge cases")
    try:
        sheets = [
            (book.sheet(f"{t.name}{n}", t, fast=fast), batches)
            for n, (t, batches) in enumerate(tables)
        ]
        for sheet, batches in sheets:
            for batch in batches:
                sheet.write(batch)
            sheet.close()
        book.notes("notes", [("a", "b"), ("c", " d ")])
        book.close()
    except BaseException:
        book.abort()
        raise
    return path.read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_printed_rows_equal_xlsxwriter_cell_by_cell(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    table = _table(COLUMNS)
    sizes = [1, 0, 40, 2, 1, 300, 3]
    tables = [(table, _batches(table, rng, sizes)), (table, _batches(table, rng, [5, 1]))]
    fast = _workbook(tmp_path / "fast.xlsx", tables, fast=True)
    reference = _workbook(tmp_path / "reference.xlsx", tables, fast=False)
    assert fast == reference


def test_formats_get_their_index_in_the_order_cells_are_printed(tmp_path: Path) -> None:
    """A format first used in a batch's last row, or by the second sheet, keeps the index
    xlsxwriter would give it (the order of first use)."""
    table = _table(COLUMNS)
    schema = table.arrow_schema()
    empty = dict.fromkeys(table.names)
    late = [
        {**empty, "text": "a"},
        {**empty, "day": dt.date(2026, 1, 2)},
        {**empty, "moment": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=LIMA), "amount": Decimal(1)},
    ]
    other = [{**empty, "quantity": Decimal("1.5")}, {**empty, "amount": Decimal("2.25")}]
    tables = [
        (table, [pa.RecordBatch.from_pylist(late, schema=schema)]),
        (table, [pa.RecordBatch.from_pylist(other, schema=schema)]),
    ]
    fast = _workbook(tmp_path / "fast.xlsx", tables, fast=True)
    assert fast == _workbook(tmp_path / "reference.xlsx", tables, fast=False)


def test_rows_past_the_sheet_limit_continue_on_a_new_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats, "EXCEL_ROWS", 7)
    rng = random.Random(4)
    table = _table(COLUMNS)
    tables = [(table, _batches(table, rng, [4, 9, 1, 13]))]
    fast = _workbook(tmp_path / "fast.xlsx", tables, fast=True)
    assert fast == _workbook(tmp_path / "reference.xlsx", tables, fast=False)
    assert b"edge0 (4)" in _sheet_names(tmp_path / "fast.xlsx")


def test_not_a_number_is_refused_as_xlsxwriter_refuses_it(tmp_path: Path) -> None:
    table = _table([("ratio", "float")])
    batch = pa.RecordBatch.from_pylist(
        [{"ratio": 1.0}, {"ratio": float("nan")}, {"ratio": 2.0}], schema=table.arrow_schema()
    )
    for fast in (True, False):
        with pytest.raises(TypeError, match="NAN/INF"):
            _workbook(tmp_path / f"{fast}.xlsx", [(table, [batch])], fast=fast)


def _sheet_names(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return b" ".join(re.findall(rb'name="([^"]+)"', archive.read("xl/workbook.xml")))


# ------------------------------------------------------------------ years and full history
#
# The reference: every month's Parquet read back and written again through TableWriter (the
# plain path of build._Build.combined, also build_bulk(fast=False)).


def _month_files(
    folder: Path, table: Table, months: list[list[dict[str, Any]]], tag: str
) -> tuple[list[Path], list[Path]]:
    parquets, csvs = [], []
    for number, rows in enumerate(months):
        parquet, csv = folder / f"{tag}{number}.parquet", folder / f"{tag}{number}.csv"
        writer = TableWriter(table, parquet, csv)
        batch = pa.RecordBatch.from_pylist(rows, schema=table.arrow_schema())
        for start in range(0, len(rows), 7):  # months come from the queries in batches
            writer.write(batch.slice(start, 7))
        writer.close()
        parquets.append(parquet)
        csvs.append(csv)
    return parquets, csvs


def _reference(table: Table, parquets: list[Path], parquet: Path, csv: Path | None) -> None:
    writer = TableWriter(table, parquet, csv)
    for batch in bulk_build._batches(parquets):
        writer.write(batch)
    writer.close()


def _rows(rng: random.Random, table: Table, count: int) -> list[dict[str, Any]]:
    return [{c.name: _value(rng, c.type) for c in table.columns} for _ in range(count)]


EDGE_COLUMNS = [c for c in COLUMNS if c[0] != "last"]


@pytest.mark.parametrize("seed", [5, 6])
def test_concatenated_month_csvs_equal_the_re_encoded_csv(tmp_path: Path, seed: int) -> None:
    """Quotes, newlines, non-ASCII text, nulls, lists, Lima times; an empty month first, one
    in the middle and one last: the BOM and the header once, then every month's rows."""
    rng = random.Random(seed)
    table = _table(EDGE_COLUMNS)
    sizes = [0, 13, 1, 0, 40, 0]
    parquets, csvs = _month_files(tmp_path, table, [_rows(rng, table, n) for n in sizes], "m")
    _reference(table, parquets, tmp_path / "ref.parquet", tmp_path / "ref.csv")
    got = combine.concat_csv(combine.csv_header(table), csvs, tmp_path / "fast.csv")
    expected = (tmp_path / "ref.csv").read_bytes()
    assert (tmp_path / "fast.csv").read_bytes() == expected
    assert got == (hashlib.sha256(expected).hexdigest(), len(expected))
    assert expected.startswith(formats.BOM) and expected.count(formats.BOM) == 1


def test_a_month_csv_with_another_header_is_not_concatenated(tmp_path: Path) -> None:
    table = _table(EDGE_COLUMNS)
    _, csvs = _month_files(tmp_path, table, [_rows(random.Random(7), table, 3)], "m")
    other = _table([("other", "string")])
    with pytest.raises(combine.NotReusable):
        combine.concat_csv(combine.csv_header(other), csvs, tmp_path / "fast.csv")


@pytest.mark.parametrize("seed", range(8))
def test_kept_row_groups_and_a_rewritten_tail_equal_the_rewritten_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Small row groups and batches, so that a period has many and a month many batches:
    the previous file of the period, months changed from a random one on (sizes too), and
    the period written again both ways."""
    monkeypatch.setattr(formats, "ROW_GROUP", 24)
    monkeypatch.setattr(combine, "BATCH_ROWS", 10)
    rng = random.Random(seed)
    table = _table(EDGE_COLUMNS)
    sizes = [rng.choice([0, 1, 9, 24, 31, 50]) for _ in range(6)]
    before = [_rows(rng, table, n) for n in sizes]
    changed = rng.randrange(len(sizes))
    after = before[:changed] + [_rows(rng, table, rng.choice([0, 5, 30])) for _ in sizes[changed:]]
    old, _ = _month_files(tmp_path, table, before, "old")
    new, _ = _month_files(tmp_path, table, after, "new")
    new = old[:changed] + new[changed:]  # unchanged months: the same files
    _reference(table, old, tmp_path / "old.parquet", None)
    _reference(table, new, tmp_path / "ref.parquet", None)
    data = (tmp_path / "old.parquet").read_bytes()
    prefix = combine.Prefix(
        tmp_path / "old.parquet",
        sum(sizes[:changed]),
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    got = combine.write_parquet(table, new, tmp_path / "fast.parquet", prefix)
    if sum(sizes[:changed]) < 24:
        assert got is None  # nothing to keep: the caller writes the plain way
        return
    expected = (tmp_path / "ref.parquet").read_bytes()
    assert (tmp_path / "fast.parquet").read_bytes() == expected
    assert got == (hashlib.sha256(expected).hexdigest(), len(expected))


def test_a_previous_file_that_does_not_match_its_manifest_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats, "ROW_GROUP", 24)
    table = _table(EDGE_COLUMNS)
    months, _ = _month_files(tmp_path, table, [_rows(random.Random(8), table, 60)], "m")
    _reference(table, months, tmp_path / "old.parquet", None)
    data = (tmp_path / "old.parquet").read_bytes()
    prefix = combine.Prefix(tmp_path / "old.parquet", 60, "0" * 64, len(data))
    assert combine.write_parquet(table, months, tmp_path / "fast.parquet", prefix) is None


def test_parquet_footers_re_encode_to_themselves(tmp_path: Path) -> None:
    table = _table(EDGE_COLUMNS)
    months, _ = _month_files(tmp_path, table, [_rows(random.Random(9), table, 40)], "m")
    data = months[0].read_bytes()
    raw = data[len(data) - 8 - int.from_bytes(data[-8:-4], "little") : -8]
    assert combine.thrift_encode(combine.thrift_decode(raw)) == raw
    fields = combine.thrift_decode(raw)
    assert [f[0] for f in fields][:4] == [1, 2, 3, 4]  # version, schema, rows, row groups


def test_planned_parts_are_the_parts_jsonl_parts_writes(tmp_path: Path) -> None:
    rng = random.Random(10)
    for _ in range(20):
        members = [
            Part(f"m{n}.jsonl.gz", rng.randrange(0, 9), rng.randrange(0, 900)) for n in range(12)
        ]
        writer = JsonlParts(tmp_path, "p", max_bytes=1000, max_lines=10)
        for member in members:
            source = tmp_path / member.path
            source.write_bytes(gzip.compress(b"x" * member.bytes))
            writer.add_member(source, member.lines, member.bytes)
        written = writer.close(tmp_path)
        plan = combine.plan_parts(members, max_bytes=1000, max_lines=10)
        assert [(sum(p.lines for p in g), sum(p.bytes for p in g)) for g in plan] == [
            (part.lines, part.bytes) for part in written
        ]


def test_an_incremental_build_keeping_what_did_not_change_equals_a_plain_fresh_one(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Day 11-02 changes November only: the next build keeps October's row groups and JSON
    Lines parts of the year and full-history files (small row groups and parts here, so that
    there are some to keep) and gives what a plain build from scratch gives."""
    monkeypatch.setattr(formats, "ROW_GROUP", 8)
    monkeypatch.setattr(combine, "BATCH_ROWS", 5)
    kept: list[object] = []
    write_parquet = combine.write_parquet
    monkeypatch.setattr(
        combine, "write_parquet", lambda *args: kept.append(write_parquet(*args)) or kept[-1]
    )
    small = Bulk(max_part_releases=10, max_part_bytes=10**9)
    day = "perucompras-ocam/2026/11/02"
    later = shutil.ignore_patterns(f"{D}-bulk*", "03")

    root = tmp_path / "incremental" / "datasets"
    shutil.copytree(bulk_world.root, root, ignore=later, copy_function=os.link)
    shutil.rmtree(root / day)
    build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS, bulk=small)
    part = root / f"{D}-bulk" / f"{D}-releases-part-001.jsonl.gz"
    inode = part.stat().st_ino
    shutil.copytree(bulk_world.root / day, root / day, copy_function=os.link)
    result = build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS, bulk=small)
    assert result.rebuilt == ("month/2026-11", "year/2026", "full", "indicators")
    assert part.stat().st_ino == inode, "October's part of the full history is linked"
    assert any(found is not None for found in kept), "October's row groups are kept"

    plain = tmp_path / "plain" / "datasets"
    shutil.copytree(bulk_world.root, plain, ignore=later, copy_function=os.link)
    build_bulk(plain, D, identity=IDENTITY, indicators=INDICATORS, bulk=small, fast=False)
    ours, reference = snapshot(root / f"{D}-bulk"), snapshot(plain / f"{D}-bulk")
    linked = {p for p in ours if p.endswith(("-manifest.json", "SHA256SUMS"))}  # previous link
    assert {p: v[1] for p, v in ours.items() if p not in linked} == {
        p: v[1] for p, v in reference.items() if p not in linked
    }


def test_extracts_made_in_worker_processes_equal_the_ones_made_here(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract, "PARALLEL_FROM", 1)
    days = bulk_build._day_inputs(bulk_world.root, D)
    here = extract.ensure_extracts(tmp_path / "here", days, workers=1)
    workers = extract.ensure_extracts(tmp_path / "workers", days, workers=2)
    assert [p.name for p in here.values()] == [p.name for p in workers.values()]
    for day, folder in here.items():
        files = sorted(p.name for p in folder.iterdir())
        assert files == sorted(p.name for p in workers[day].iterdir())
        for name in files:
            assert (folder / name).read_bytes() == (workers[day] / name).read_bytes()


def _same_extracts(made: dict[dt.date, Path], here: dict[dt.date, Path]) -> None:
    assert [p.name for p in made.values()] == [p.name for p in here.values()]
    for day, folder in here.items():
        for path in folder.iterdir():
            assert (made[day] / path.name).read_bytes() == path.read_bytes()


def test_extracts_made_ahead_during_a_backfill_are_the_ones_the_build_uses(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = bulk_build._day_inputs(bulk_world.root, D)
    published = [bulk_build.published_day(bulk_world.root, D, day.day) for day in days]
    assert [day.sha256 for day in published] == [day.sha256 for day in days]
    cache = tmp_path / "ahead"
    with extract.ExtractsAhead(cache) as ahead:
        ahead.add(published[:2])
        ahead.add(published)
        ahead.close(finish=True)
    here = extract.ensure_extracts(tmp_path / "here", days, workers=1)

    def refuse(*args: Any) -> None:
        raise AssertionError("extracted again")

    monkeypatch.setattr(extract, "_extract", refuse)
    _same_extracts(extract.ensure_extracts(cache, days, workers=1), here)
    with extract.ExtractsAhead(cache) as ahead:
        ahead.add(published)  # all made: no worker started
        assert ahead._pool is None


def test_extracts_still_queued_at_the_end_of_a_backfill_are_made_before_the_build(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``finish_here``: the background process and this one share what is left; the build
    then finds every extract, the same bytes as made by the build itself."""
    days = bulk_build._day_inputs(bulk_world.root, D)
    published = [bulk_build.published_day(bulk_world.root, D, day.day) for day in days]
    cache = tmp_path / "ahead"
    ahead = extract.ExtractsAhead(cache)
    ahead.add(published)
    ahead.then(os.getpid)  # other work queued after them: dropped (or done, harmless)
    ahead.finish_here()
    assert ahead._pool is None
    here = extract.ensure_extracts(tmp_path / "here", days, workers=1)

    def refuse(*args: Any) -> None:
        raise AssertionError("extracted again")

    monkeypatch.setattr(extract, "_extract", refuse)
    _same_extracts(extract.ensure_extracts(cache, days, workers=2), here)
    extract.ExtractsAhead(cache).finish_here()  # nothing queued: nothing to do


def test_extracts_ahead_start_no_process_until_told_then_do_the_held_work_in_order(
    bulk_world: World, tmp_path: Path
) -> None:
    """A backfill runs one background process at a time: the extracts' process is not
    started while ``start_when`` says no (the month workers have the spare core and memory);
    the work held meanwhile is handed over, in the order queued, once it says yes."""
    days = bulk_build._day_inputs(bulk_world.root, D)
    published = [bulk_build.published_day(bulk_world.root, D, day.day) for day in days]
    assert len(published) >= 3
    cache = tmp_path / "ahead"
    cache.mkdir()
    busy = [True]
    asked: list[bool] = []

    def start_when() -> bool:
        asked.append(not busy[0])
        return not busy[0]

    before = {child.pid for child in multiprocessing.active_children()}
    with extract.ExtractsAhead(cache, start_when=start_when) as ahead:
        ahead.add(published[:2])
        ahead.then(os.listdir, str(cache))  # after the first two days' extracts
        assert ahead._pool is None
        assert {child.pid for child in multiprocessing.active_children()} == before
        assert os.listdir(cache) == [] and asked == [False, False]
        busy[0] = False
        ahead.add(published[2:])
        assert [day for day, _ in ahead._extracts] == published
        (then,) = ahead._then
        assert sorted(then.result()) == sorted(
            extract.extract_folder(cache, day).name for day in published[:2]
        )
        ahead.close(finish=True)
    here = extract.ensure_extracts(tmp_path / "here", days, workers=1)
    _same_extracts(extract.ensure_extracts(cache, days, workers=1), here)


def test_extracts_held_at_the_end_of_a_backfill_are_made_here_before_the_build(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month workers busy to the end (a short backfill): ``finish_here`` makes every extract
    held, in this process, and starts no other; held work other than extracts is dropped."""
    days = bulk_build._day_inputs(bulk_world.root, D)
    published = [bulk_build.published_day(bulk_world.root, D, day.day) for day in days]
    cache = tmp_path / "ahead"
    before = {child.pid for child in multiprocessing.active_children()}
    ahead = extract.ExtractsAhead(cache, start_when=lambda: False)
    ahead.add(published)
    ahead.then(shutil.rmtree, str(cache))  # dropped: never run
    ahead.finish_here()
    assert ahead._pool is None
    assert {child.pid for child in multiprocessing.active_children()} == before
    here = extract.ensure_extracts(tmp_path / "here", days, workers=1)

    def refuse(*args: Any) -> None:
        raise AssertionError("extracted again")

    monkeypatch.setattr(extract, "_extract", refuse)
    _same_extracts(extract.ensure_extracts(cache, days, workers=2), here)


def test_months_built_ahead_are_taken_by_the_build_and_give_the_same_files(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = {}
    for name in ("ahead", "plain"):
        roots[name] = tmp_path / name / "datasets"
        shutil.copytree(
            bulk_world.root,
            roots[name],
            ignore=shutil.ignore_patterns(f"{D}-bulk*"),
            copy_function=os.link,
        )
    root = roots["ahead"]

    def no_threads(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a month built ahead writes one file at a time, in one thread")

    with monkeypatch.context() as patched:
        patched.setattr(bulk_build, "ThreadPoolExecutor", no_threads)
        ahead_bulk = Bulk(ahead_memory_limit="200MB")
        assert bulk_build.prebuild_month(root, D, "2026-10", bulk=ahead_bulk)
        # The background process's connection keeps to its own, smaller limit and one
        # thread (the main process has the other core), its cursors too.
        assert bulk_build._AHEAD is not None
        for con in (bulk_build._AHEAD.con, bulk_build._AHEAD.queries.cursor().con):
            found = con.execute(
                "SELECT current_setting('memory_limit'), current_setting('threads')"
            ).fetchone()
            assert found == ("190.7 MiB", 1)
        assert bulk_build.prebuild_month(root, D, "2026-11", bulk=ahead_bulk)
    assert not bulk_build.prebuild_month(root, D, "2026-12")
    prebuilt = bulk_build.default_state_dir(root) / bulk_build.CACHE_FOLDER / "prebuilt"
    # One that no longer matches its month (another fingerprint) is left where it is.
    (prebuilt / "month-2026-11-0000000000000000").mkdir()

    def refuse(*args: Any) -> None:
        raise AssertionError("month built again")

    with monkeypatch.context() as patched:
        patched.setattr(bulk_build._Build, "_month_rows", refuse)
        ahead = build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS)
    plain = build_bulk(roots["plain"], D, identity=IDENTITY, indicators=INDICATORS)
    assert ahead.rebuilt == plain.rebuilt
    assert plain.rebuilt == ("month/2026-10", "month/2026-11", "year/2026", "full", "indicators")
    assert not prebuilt.exists()
    ours, reference = snapshot(root / f"{D}-bulk"), snapshot(roots["plain"] / f"{D}-bulk")
    assert {p: v[1] for p, v in ours.items()} == {p: v[1] for p, v in reference.items()}


def _membership(queries: BulkQueries) -> dict[str, Any]:
    """Everything a month's files are made from: months, inputs, and every month's rows."""
    found: dict[str, Any] = {"months": queries.months()}
    for name in ("ocid_map", "ocid_latest"):
        found[name] = sorted(queries.con.execute(f"SELECT * FROM {name}").fetchall())
    for month in found["months"]:
        days = queries.inputs(month)
        found[month] = (
            days,
            queries.orders(month, days).read_all(),
            [queries.flat(name, month, days).read_all() for name in extract.FLAT_TABLES],
            [batch.column(0).to_pylist() for batch in queries.compiled(month, days)],
        )
    return found


def test_membership_brought_up_to_date_day_by_day_equals_one_loaded_from_every_day(
    bulk_world: World, tmp_path: Path
) -> None:
    """The late states cross the month boundary (an order of 10-30 paid on 11-01, one of 10-31
    on 11-03): whatever the split, extending gives every month what a full load gives."""
    days = bulk_build._day_inputs(bulk_world.root, D)
    extracts = extract.ensure_extracts(tmp_path / "cache", days, workers=1)
    dates = sorted(extracts)

    def first(n: int) -> dict[dt.date, Path]:
        return {day: extracts[day] for day in dates[:n]}

    reference = {
        n: _membership(BulkQueries(duckdb.connect(), first(n), tmp_path / f"u{n}"))
        for n in range(1, len(dates) + 1)
    }
    for start in range(1, len(dates)):
        queries = BulkQueries(duckdb.connect(), first(start))
        queries.inputs(dates[0].strftime("%Y-%m"))
        for n in range(start + 1, len(dates) + 1):
            assert queries.extend(first(n))
            assert _membership(queries) == reference[n], (start, n)
        assert queries.extend(first(len(dates)))  # nothing new
        assert _membership(queries) == reference[len(dates)]
    # Not a continuation: a day before the newest loaded one, a day of another version.
    queries = BulkQueries(duckdb.connect(), {dates[1]: extracts[dates[1]]})
    assert not queries.extend(first(2))
    queries = BulkQueries(duckdb.connect(), first(2))
    assert not queries.extend({**first(3), dates[0]: tmp_path / "other"})
    assert not queries.extend(first(1))
    assert _membership(queries) == reference[2]


def test_months_built_ahead_one_after_another_equal_months_built_from_scratch(
    bulk_world: World, tmp_path: Path
) -> None:
    """A backfill's background process keeps the membership between months and reads only
    the days published since: the month it builds then is the one a fresh process builds."""
    late = {f"{day:%Y/%m/%d}" for day in bulk_world.days[2:]}

    def copy(target: Path, *, everything: bool) -> Path:
        def ignore(folder: str, names: list[str]) -> set[str]:
            skipped = {n for n in names if n.startswith(f"{D}-bulk")}
            if not everything:
                skipped |= {n for n in names if "/".join([*Path(folder).parts[-2:], n]) in late}
            return skipped

        shutil.copytree(bulk_world.root, target, ignore=ignore, copy_function=os.link)
        return target

    grown = copy(tmp_path / "grown" / "datasets", everything=False)
    bulk_build._drop_ahead()
    try:
        assert bulk_build.prebuild_month(grown, D, "2026-10")
        kept = bulk_build._AHEAD
        assert kept is not None
        assert len(kept.queries.extracts) == 2
        for day in bulk_world.days[2:]:
            source = bulk_world.root / D / f"{day:%Y/%m/%d}"
            shutil.copytree(source, grown / D / f"{day:%Y/%m/%d}", copy_function=os.link)
        assert bulk_build.prebuild_month(grown, D, "2026-10")
        assert bulk_build.prebuild_month(grown, D, "2026-11")
        assert bulk_build._AHEAD is kept  # brought up to date, not loaded again
        assert len(kept.queries.extracts) == len(bulk_world.days)
        bulk_build._drop_ahead()
        fresh = copy(tmp_path / "fresh" / "datasets", everything=True)
        for month in ("2026-10", "2026-11"):
            bulk_build._drop_ahead()
            assert bulk_build.prebuild_month(fresh, D, month)
    finally:
        bulk_build._drop_ahead()
    made = {}
    for name, root in (("grown", grown), ("fresh", fresh)):
        prebuilt = bulk_build.default_state_dir(root) / bulk_build.CACHE_FOLDER / "prebuilt"
        made[name] = {
            f"{folder.name}/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in sorted(prebuilt.glob("month-*"))
            for path in sorted(folder.iterdir())
        }
    # The October built before the late days (another fingerprint) stays beside the new one.
    assert set(made["fresh"]) < set(made["grown"])
    assert {k: made["grown"][k] for k in made["fresh"]} == made["fresh"]
    assert len({k.split("/")[0] for k in made["fresh"]}) == 2


def test_a_day_that_no_longer_matches_its_manifest_stops_the_extracts(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract, "PARALLEL_FROM", 1)
    root = tmp_path / "datasets"
    shutil.copytree(bulk_world.root, root, ignore=shutil.ignore_patterns(f"{D}-bulk*"))
    days = bulk_build._day_inputs(root, D)
    records = days[1].file("records.json")
    records.write_bytes(records.read_bytes().replace(b"ACEPTADA", b"ACEPTADO", 1))
    with pytest.raises(extract.ExtractError, match=days[1].day.isoformat()):
        extract.ensure_extracts(tmp_path / "cache", days, workers=2)


def test_workbooks_written_in_a_worker_process_equal_the_ones_written_with_the_tables(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_build, "WORKBOOKS_AWAY_FROM", 1)
    monkeypatch.setattr(bulk_build, "WORKERS", 2)
    root = tmp_path / "datasets"
    shutil.copytree(
        bulk_world.root, root, ignore=shutil.ignore_patterns(f"{D}-bulk*"), copy_function=os.link
    )
    result = build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS)
    assert result.rebuilt == ("month/2026-10", "month/2026-11", "year/2026", "full", "indicators")
    away = snapshot(root / f"{D}-bulk")
    here = bulk_world.builds["third"].files
    workbooks = [p for p in away if p.endswith(".xlsx")]
    assert len(workbooks) == 3  # two months and the latest month's alias
    assert {p: away[p][1] for p in workbooks} == {p: here[p][1] for p in workbooks}


def test_texts_printed_as_they_are_are_the_texts_xlsxwriter_would_not_change(
    tmp_path: Path,
) -> None:
    """Every character of the Basic Multilingual Plane and a few beyond, alone, first, last
    and inside a text: the shortcut agrees with xlsxwriter's steps."""
    book = Workbook(tmp_path / "t.xlsx", dt.datetime(2026, 1, 1), "t")
    try:
        writer = book.sheet("t", _table([("text", "string")]))
        writer._new_sheet()
        sheet = writer._sheet
        chars = [chr(c) for c in range(0x10000)] + ["😀", "\U000e0001", "\U0010ffff"]
        texts = [t for c in chars for t in (c, f"{c}b", f"a{c}", f"a{c}b")]
        texts += ["_x0041_", "a_x00e9_b", "_x12G4_", "<r>x</r>", "x" * 16_384, "é" * 16_383]
        for text in texts:
            assert writer._string(sheet, text) == formats._string_cell(sheet, text), repr(text)
    finally:
        book.abort()


def test_text_cells_made_in_arrow_equal_xlsxwriter_steps_text_by_text(tmp_path: Path) -> None:
    """Every character of the Basic Multilingual Plane and a few beyond, alone, first, last
    and inside a text, with XML characters around: the cells of a whole column made in Arrow
    are the ones ``_string`` makes one text at a time (xlsxwriter's steps)."""
    book = Workbook(tmp_path / "t.xlsx", dt.datetime(2026, 1, 1), "t")
    try:
        writer = book.sheet("t", _table([("text", "string")]))
        writer._new_sheet()
        sheet = writer._sheet
        chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
        chars += ["😀", "\U000e0001", "\U0010ffff"]
        texts: list[str | None] = [t for c in chars for t in (c, f"{c}b", f"a{c}", f"a{c}b")]
        texts += [f"&{c}<" for c in chars[:0x3100]] + [f"{c}&amp;>" for c in chars[:0x3100]]
        texts += [*TRICKY, None, "", "<r>x</r>", "<r>", "a<r>b</r>", "M&A S.A.", "x" * 16_384]
        texts += ["é" * 16_383, "&" * 16_383, "&" * 16_385, "https://x/?a=1&b=2", None]
        array = pa.array(texts, pa.string())
        reference = [None if t is None else formats._string_cell(sheet, t) for t in texts]
        assert writer._cell_array(sheet, 0, array).to_pylist() == reference
        assert writer._cell_array(sheet, 0, array.slice(3, 5000)).to_pylist() == reference[3:5003]
    finally:
        book.abort()


def test_the_arrow_whitespace_class_is_pythons() -> None:
    """The whitespace ``_ARROW_BREAKERS`` looks for first and last is Python's ``\\s``
    (xlsxwriter's patterns), code point by code point."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    found = pc.match_substring_regex(pa.array(chars), f"^[{formats._WHITESPACE}]$")
    assert found.to_pylist() == [re.match(r"\s", c) is not None for c in chars]


# Lima's offset changes (tzdata): LMT to -5 in 1908, summer times 1938-1940, 1986-1987, 1990,
# 1994; and Excel's serials around 1900-01-01 and its 29 February 1900.
AROUND = [
    dt.datetime(1900, 1, 1),
    dt.datetime(1900, 3, 1),
    dt.datetime(1908, 7, 28),
    *(dt.datetime(year, month, day) for year, month, day in [(1938, 1, 1), (1938, 4, 1)]),
    *(dt.datetime(year, month, day) for year, month, day in [(1938, 9, 25), (1939, 3, 26)]),
    *(dt.datetime(year, month, day) for year, month, day in [(1939, 9, 24), (1940, 3, 24)]),
    *(dt.datetime(year, month, 1) for year in (1986, 1987, 1990, 1994) for month in (1, 4)),
]


def test_excel_serials_of_whole_columns_equal_xlsxwriter_one_by_one(tmp_path: Path) -> None:
    moments = [
        (when + dt.timedelta(minutes=minutes, milliseconds=7 * minutes)).replace(tzinfo=dt.UTC)
        for when in AROUND
        for minutes in range(-26 * 60, 26 * 60, 17)
    ]
    array = pa.array([None, *moments, None], pa.timestamp("ms", tz="America/Lima"))
    book = Workbook(tmp_path / "t.xlsx", dt.datetime(2026, 1, 1), "t")
    try:
        sheet = book.book.add_worksheet("t")
        expected = [
            None
            if v is None
            else sheet._convert_date_time(v.astimezone(LIMA_ZONE).replace(tzinfo=None))
            for v in array.to_pylist()
        ]
        assert formats._excel_serials(sheet, array) == expected
        assert formats._excel_serials(sheet, array.slice(5, 700)) == expected[5:705]
    finally:
        book.abort()


def test_decimals_as_floats_equal_python_float_of_each_decimal() -> None:
    rng = random.Random(11)
    for scale, big in ((2, 10**16), (3, 10**15), (2, 10**20)):
        values = [None, Decimal(0), Decimal(2**53) / 10**scale, -Decimal(2**53 + 1) / 10**scale]
        values += [Decimal(rng.randrange(-big, big)) / 10**scale for _ in range(2000)]
        array = pa.array(values, pa.decimal128(38, scale))
        expected = [None if v is None else float(v) for v in array.to_pylist()]
        assert formats._decimal_floats(array) == expected
        assert formats._decimal_floats(array.slice(3, 500)) == expected[3:503]


def test_month_unions_of_the_ocid_extracts_give_the_same_membership(
    bulk_world: World, tmp_path: Path
) -> None:
    days = bulk_build._day_inputs(bulk_world.root, D)
    extracts = extract.ensure_extracts(tmp_path / "days", days, workers=1)

    def membership(unions: Path | None) -> tuple[Any, ...]:
        queries = BulkQueries(duckdb.connect(), extracts, unions)
        rows = queries.con.execute("SELECT * FROM ocid_map ORDER BY ocid").fetchall()
        months = queries.months()
        return rows, months, [queries.inputs(month) for month in months]

    assert membership(tmp_path / "unions") == membership(None)
    assert [p.name.split("-")[1:3] for p in (tmp_path / "unions").iterdir()] == [["2026", "10"]]
    # Another version of an October day: another union, the old one goes.
    moved = {**extracts, days[0].day: extracts[days[0].day].rename(tmp_path / "days" / "other")}
    before = {p.name for p in (tmp_path / "unions").iterdir()}
    BulkQueries(duckdb.connect(), moved, tmp_path / "unions")
    after = {p.name for p in (tmp_path / "unions").iterdir()}
    assert len(after) == 1 and after != before


def test_a_taken_month_file_that_changed_is_rebuilt_even_when_reading_it_fails(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """October's Parquet garbled in the bulk folder (same size): the next build takes it at
    its listed digest, fails reading it for the full history, and goes round again with
    October rebuilt; the result is the plain build's."""
    monkeypatch.setattr(formats, "ROW_GROUP", 8)
    monkeypatch.setattr(combine, "BATCH_ROWS", 5)
    day = "perucompras-ocam/2026/11/02"
    later = shutil.ignore_patterns(f"{D}-bulk*", "03")
    root = tmp_path / "incremental" / "datasets"
    shutil.copytree(bulk_world.root, root, ignore=later, copy_function=os.link)
    shutil.rmtree(root / day)
    build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS)
    october = root / f"{D}-bulk" / f"{D}-2026-10-orders.parquet"
    data = bytearray(october.read_bytes())
    data[100:1100] = bytes(1000)
    october.unlink()  # the file is a link shared with the previous build's history
    october.write_bytes(bytes(data))
    shutil.copytree(bulk_world.root / day, root / day, copy_function=os.link)
    result = build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS)
    assert result.rebuilt == ("month/2026-10", "month/2026-11", "year/2026", "full", "indicators")
    plain = tmp_path / "plain" / "datasets"
    shutil.copytree(bulk_world.root, plain, ignore=later, copy_function=os.link)
    build_bulk(plain, D, identity=IDENTITY, indicators=INDICATORS, fast=False)
    ours, reference = snapshot(root / f"{D}-bulk"), snapshot(plain / f"{D}-bulk")
    linked = {p for p in ours if p.endswith(("-manifest.json", "SHA256SUMS"))}
    assert {p: v[1] for p, v in ours.items() if p not in linked} == {
        p: v[1] for p, v in reference.items() if p not in linked
    }
