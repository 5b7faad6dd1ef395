"""A new snapshot of a "Detallado" export parsed reusing the previous snapshot's rows
(``read_detailed_export_reusing``) gives exactly what a full parse gives: same lines,
deliveries, orders and quarantine (file, row, field, rule, raw value, message), same counts,
and the same memo for the snapshot after it; rows added, changed, removed or moved, cells
re-typed, the file re-encoded (shared or inline strings), a changed header (no reuse); and the
cache (``publication.details``) reuses an earlier snapshot's memo, or parses in full when it
cannot read one."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras import detailed_export as de
from perucompras.detailed_export import (
    EXPORT_COLUMNS,
    RowMemo,
    read_detailed_export,
    read_detailed_export_reusing,
)
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export
from perucompras.xlsx_rows import iter_sheets
from publication import details

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
REAL_SAMPLE = SHARED / "data" / "perucompras" / "ReportePCBienes202512.sample.csv"
NAME = "ReportePCDetalle202511.xlsx"
HEADER_ROW = 6
COLUMN = {column.header: index for index, column in enumerate(EXPORT_COLUMNS)}


def _sheet_of(export: Path) -> list[list[Any]]:
    sheets = iter_sheets(export)
    _, rows = next(sheets)
    found = [list(row) for _, row in rows]
    sheets.close()
    return found


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    """A synthetic month's export (80 orders) as cell lists: title rows, header, data."""
    month = generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=80)
    export = generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)
    return _sheet_of(export)


@pytest.fixture(scope="module")
def real_sheet(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    """An export built from the real December 2025 sample's orders."""
    folder = tmp_path_factory.mktemp("real")
    orders = folder / "ReportePCBienes202512.csv"
    shutil.copyfile(REAL_SAMPLE, orders)
    return _sheet_of(generate_detailed_export(2025, 12, folder / "detail", orders=orders))


def _write(path: Path, rows: list[list[Any]]) -> Path:
    """An XLSX written by openpyxl (shared strings), ``rows`` from row 1."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = "DatosAbiertos"
    for row in rows:
        worksheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _assert_same(full: tuple[Any, RowMemo], reused: tuple[Any, RowMemo]) -> None:
    (result, memo), (again, again_memo) = full, reused
    for name in ("lines", "deliveries", "parents", "quarantine"):
        assert getattr(again, name).equals(getattr(result, name)), name
        assert getattr(again, name).schema == getattr(result, name).schema, name
    assert again.info == result.info
    assert again_memo.signature == memo.signature
    assert again_memo.kept.equals(memo.kept)
    assert again_memo.rejected.equals(memo.rejected)


def _check(tmp_path: Path, earlier: list[list[Any]], later: list[list[Any]]) -> tuple[Any, Any]:
    """Parse ``earlier`` in full, then ``later`` in full and reusing ``earlier``'s memo: the
    same. Returns the full result and how many of ``later``'s rows were taken from the memo."""
    _, memo = read_detailed_export_reusing(_write(tmp_path / "a" / NAME, earlier))
    later_path = _write(tmp_path / "b" / NAME, later)
    full = read_detailed_export_reusing(later_path)
    parsed: list[int] = []
    original = de._collect_batch

    def counted(reader: Any, collected: Any, batch: list[Any]) -> None:
        parsed.append(len(batch))
        original(reader, collected, batch)

    de._collect_batch = counted
    try:
        reused = read_detailed_export_reusing(later_path, "es", memo)
    finally:
        de._collect_batch = original
    _assert_same(full, reused)
    plain = read_detailed_export(later_path)  # no memo: the row-key pass is skipped
    for name in ("lines", "deliveries", "parents", "quarantine"):
        assert getattr(plain, name).equals(getattr(full[0], name)), name
    assert plain.info == full[0].info
    return full[0], full[0].info.row_count - sum(parsed)


def _head(sheet: list[list[Any]]) -> list[list[Any]]:
    return [list(row) for row in sheet[:HEADER_ROW]]


def _data(sheet: list[list[Any]]) -> list[list[Any]]:
    return [list(row) for row in sheet[HEADER_ROW:]]


def _spoiled(data: list[list[Any]], at: int) -> list[list[Any]]:
    """``data`` with a row-level reject (a malformed quantity) at ``at`` and a cross-row
    failure (a delivery's total off by one) further down."""
    data = [list(row) for row in data]
    data[at][COLUMN["Cantidad Entrega"]] = "tres"
    line = next(
        i
        for i in range(at + 5, len(data))
        if data[i][COLUMN["Nro. Entrega"]] not in ("0", 0, None)
        and isinstance(data[i][COLUMN["Monto Total Entrega"]], int | float)
    )
    data[line][COLUMN["Monto Total Entrega"]] += 1
    return data


def test_appended_rows(sheet: list[list[Any]], tmp_path: Path) -> None:
    data = _data(sheet)
    result, reused = _check(tmp_path, _head(sheet) + data[:-40], _head(sheet) + data)
    assert result.lines.num_rows > 0
    assert reused == len(data) - 40


def test_changed_middle_rows_and_rejects_kept_or_fixed(
    sheet: list[list[Any]], tmp_path: Path
) -> None:
    data = _data(sheet)
    earlier = _spoiled(data, 20)
    later = _spoiled(earlier, 120)  # the earlier rejects stay, new ones appear
    later[60][COLUMN["Estado de la Orden Electrónica"]] = "PAGADA"
    result, reused = _check(tmp_path / "1", _head(sheet) + earlier, _head(sheet) + later)
    assert result.quarantine.num_rows > 2
    assert len(set(result.quarantine["rule"].to_pylist())) >= 2
    assert 0 < reused < len(data)
    # the earlier rejects fixed: their rows parsed again
    _check(tmp_path / "2", _head(sheet) + later, _head(sheet) + data)


def test_removed_and_moved_rows_take_their_new_line_numbers(
    sheet: list[list[Any]], tmp_path: Path
) -> None:
    data = _spoiled(_data(sheet), 30)
    later = data[50:] + data[10:40]  # rows gone, others moved up and reordered
    result, reused = _check(tmp_path, _head(sheet) + data, _head(sheet) + later)
    assert reused == len(later)  # every row known: none parsed again
    assert result.quarantine.num_rows > 0


def test_rows_inserted_above_renumber_nro_and_still_reuse(
    sheet: list[list[Any]], tmp_path: Path
) -> None:
    """The portal's running ``Nro`` shifts for every row below an insertion: kept rows are
    still taken from the memo; a rejected row whose ``Nro`` moved is parsed again, so its
    quarantine entry quotes the new raw row."""
    data = _spoiled(_data(sheet), 30)
    nro = COLUMN["Nro"]

    def numbered(rows: list[list[Any]]) -> list[list[Any]]:
        return [[at, *row[nro + 1 :]] if nro == 0 else row for at, row in enumerate(rows, 1)]

    assert nro == 0
    earlier = numbered(data[25:])
    later = numbered(data)  # 25 new rows on top: every earlier row's Nro moves by 25
    result, reused = _check(tmp_path, _head(sheet) + earlier, _head(sheet) + later)
    assert reused >= len(earlier) - result.quarantine.num_rows
    assert reused < len(later)


def test_cells_retyped_or_blank_rows_added(sheet: list[list[Any]], tmp_path: Path) -> None:
    data = _data(sheet)
    later = [list(row) for row in data]
    for row in later[5:25]:  # numbers written as text, text numbers as numbers
        for index, cell in enumerate(row):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                row[index] = str(cell)
            elif isinstance(cell, str) and cell.isdigit() and len(cell) < 6:
                row[index] = int(cell)
    later.insert(40, [None] * len(EXPORT_COLUMNS))
    later.insert(41, [""] * 3)
    _check(tmp_path, _head(sheet) + data, _head(sheet) + later)


def test_reencoded_file_reuses_every_row(sheet: list[list[Any]], tmp_path: Path) -> None:
    """The generator writes inline strings (xlsxwriter), openpyxl shared strings: the memo is
    by cell values, so a re-encoded file takes every row from it, with the same result."""
    month = generate_month(2025, 11, tmp_path / "month", orders=80)
    original = generate_detailed_export(2025, 11, tmp_path / "inline", orders=month)
    _, memo = read_detailed_export_reusing(original)
    rewritten = _write(tmp_path / "shared" / NAME, _sheet_of(original))
    assert rewritten.read_bytes() != original.read_bytes()
    _assert_same(
        read_detailed_export_reusing(rewritten), read_detailed_export_reusing(rewritten, "es", memo)
    )
    assert memo.kept.num_rows > 0


def test_changed_header_or_language_parses_in_full(sheet: list[list[Any]], tmp_path: Path) -> None:
    data = _data(sheet)
    _, memo = read_detailed_export_reusing(_write(tmp_path / "a" / NAME, sheet))
    swapped = [list(row) for row in sheet]
    for row in swapped[HEADER_ROW - 1 :]:
        row[0], row[1] = row[1], row[0]
    moved = _write(tmp_path / "b" / NAME, swapped)
    assert read_detailed_export_reusing(moved, "es", memo)[1].signature != memo.signature
    _assert_same(
        read_detailed_export_reusing(moved), read_detailed_export_reusing(moved, "es", memo)
    )
    same = _write(tmp_path / "c" / NAME, _head(sheet) + _spoiled(data, 10))
    english = read_detailed_export_reusing(same, "en")
    _assert_same(english, read_detailed_export_reusing(same, "en", memo))
    other_name = _write(tmp_path / "d" / "ReportePCDetalle202511-otro.xlsx", sheet)
    assert read_detailed_export_reusing(other_name)[1].signature != memo.signature


def test_real_sample_orders(real_sheet: list[list[Any]], tmp_path: Path) -> None:
    data = _data(real_sheet)
    assert len(data) > 100
    earlier = _spoiled(data[:-30], 15)
    later = _spoiled(data, 70)
    later[40][COLUMN["Estado de la Orden Electrónica"]] = "RESUELTA"
    _, reused = _check(tmp_path, _head(real_sheet) + earlier, _head(real_sheet) + later)
    assert 0 < reused < len(later)


_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "0", "1", "-1", "2.5", "abc", "01/11/2025", "31/02/2025", "1e3"]),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(
        st.tuples(st.sampled_from(["cell", "drop", "copy", "move"]), st.integers(0, 10**6), _CELLS),
        max_size=12,
    ),
)
def test_random_edits_between_snapshots(
    sheet: list[list[Any]], tmp_path_factory: pytest.TempPathFactory, seed: int, edits: list[Any]
) -> None:
    rng = random.Random(seed)
    data = _data(sheet)[: 120 + rng.randrange(60)]
    earlier = [list(row) for row in data]
    later = [list(row) for row in data]
    for kind, where, cell in edits:
        for rows in (later,) if rng.random() < 0.7 else (earlier, later):
            at = where % len(rows)
            if kind == "cell":
                rows[at][where % len(EXPORT_COLUMNS)] = cell
            elif kind == "drop":
                del rows[at]
            elif kind == "copy":
                rows.insert(rng.randrange(len(rows)), list(rows[at]))
            else:
                rows.insert(rng.randrange(len(rows)), rows.pop(at))
    _check(tmp_path_factory.mktemp("edits"), _head(sheet) + earlier, _head(sheet) + later)


# ---------------------------------------------------------------- the cache


def test_cache_reuses_an_earlier_snapshot_and_falls_back_in_full(
    sheet: list[list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data(sheet)
    cache = tmp_path / "cache"
    folder = tmp_path / "source"
    path = folder / NAME
    _write(path, _head(sheet) + data[:-30])
    details._fill_detail_cache(path, cache)
    _write(path, _head(sheet) + _spoiled(data, 25))
    earlier: list[RowMemo | None] = []
    reader = details.read_detailed_export_reusing

    def seen(path: Path, lang: str = "es", memo: RowMemo | None = None, **options: Any) -> Any:
        earlier.append(memo)
        return reader(path, lang, memo, **options)

    monkeypatch.setattr(details, "read_detailed_export_reusing", seen)
    first = {entry.name for entry in cache.iterdir()}
    _, reused = details._fill_detail_cache(path, cache)
    assert earlier[-1] is not None and earlier[-1].kept.num_rows > 0
    # one memo per file name: the earlier snapshot's is dropped, its parse kept
    (older,) = first
    assert not (cache / older / "rows.json").exists()
    assert (cache / older / "lines.parquet").exists()
    assert sum((entry / "rows.json").exists() for entry in cache.iterdir()) == 1
    assert reused is not None
    full = read_detailed_export(path)
    for name in ("lines", "deliveries", "parents", "quarantine"):
        assert getattr(reused, name).equals(getattr(full, name)), name
    # a damaged memo: the next snapshot is parsed in full, with the same result
    for entry in cache.iterdir():
        kept = entry / "rows-kept.parquet"
        if kept.exists():
            kept.write_bytes(kept.read_bytes()[:100])
    _write(path, _head(sheet) + data)
    _, again = details._fill_detail_cache(path, cache)
    assert earlier[-1] is None
    assert again is not None and again.lines.equals(read_detailed_export(path).lines)
    # the files in the cache are exactly those a full parse leaves
    assert sorted(p.name for p in cache.iterdir() if "partial" in p.name) == []


def test_row_keys_keep_types_and_values_not_identities() -> None:
    import datetime as dt

    cells: list[object] = [1, 1.0, True, "1", 0.0, -0.0, None, "", dt.datetime(2025, 11, 3)]
    keys = {de.row_key((cell,)) for cell in cells}
    assert len(keys) == len(cells)
    shared = "".join(["ACEP", "TADA"])
    assert de.row_key((shared, shared)) == de.row_key(("ACEPTADA", "".join(["ACEP", "TADA"])))
    assert de.row_key([1, "a"]) == de.row_key((1, "a"))
    assert de.row_key((dt.datetime(2025, 11, 3), 1)) != de.row_key((dt.datetime(2025, 11, 3), 1.0))


def test_read_cells_are_the_read_columns_in_order_short_rows_padded() -> None:
    header = de._Header(row=1, positions={"b": 3, "a": 1, "c": 3}, ignored=(), title={})
    cells = de._read_cells(header)
    assert cells(["nro", "x", "skip", "y", "after"]) == ("x", "y")
    assert cells(("nro", "x")) == ("x", None)
    assert cells(()) == (None, None)
    one = de._read_cells(de._Header(row=1, positions={"a": 2}, ignored=(), title={}))
    assert one(["nro", "skip", "x"]) == ("x",)
    assert one(["nro"]) == (None,)
    assert de.row_key(one(["n", "s", 7])) == de.row_key((7,))


def test_a_backfill_parse_keeps_no_memo_and_the_next_snapshot_writes_one(
    sheet: list[list[Any]], tmp_path: Path
) -> None:
    data = _data(sheet)
    cache, path = tmp_path / "cache", tmp_path / "source" / NAME
    _write(path, _head(sheet) + data[:-30])
    folder, result = details._fill_detail_cache(path, cache, remember=False)
    assert result is not None and not (folder / "rows.json").exists()
    assert {p.name for p in folder.iterdir()} == {
        *(f"{name}.parquet" for name in details._DETAIL_TABLES),
        "info.json",
    }
    _write(path, _head(sheet) + data)
    later, again = details._fill_detail_cache(path, cache)
    assert (later / "rows.json").exists()
    assert again is not None and again.lines.equals(read_detailed_export(path).lines)
