"""The bulk build's fast paths give the bytes of the reference paths they replace: worksheet
rows printed a batch at a time (against xlsxwriter cell by cell)."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from publication.bulk import formats
from publication.bulk.formats import Workbook
from publication.dictionary import Column, Table

LIMA = dt.timezone(dt.timedelta(hours=-5))
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
        return base + dt.timedelta(milliseconds=rng.randrange(4 * 10**12))
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
