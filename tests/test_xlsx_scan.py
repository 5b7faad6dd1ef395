"""The worksheet scanner's fast row path (``_SheetScanner.rows_in``) against its cell-by-cell
reference (``reference_rows_in``): the same numbered rows, values and value types, on generated
sheets of every cell shape the reader knows (inline and shared strings, rich text, entities,
``_xHHHH_`` escapes, empty and self-closed cells, styles, odd or repeated cell references, rows
without numbers), read in chunks of many sizes, and on the synthetic "Detallado" export."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras import xlsx_rows
from perucompras.detailed_export import read_detailed_export
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export
from perucompras.xlsx_rows import _SheetScanner, iter_sheets

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = ["compartido", "A &amp; B", "N_x000D_ro", ""]


def _reference_rows_in(
    self: _SheetScanner, text: str, end: int | None = None
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    return self.reference_rows_in(text if end is None else text[:end])


def _typed(path: Path) -> list[tuple[str, list[str]]]:
    """Every sheet's numbered rows, each value with its type (``1``, ``1.0`` and ``True`` differ)."""
    return [(name, [repr(numbered) for numbered in rows]) for name, rows in iter_sheets(path)]


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _typed(path)
    with monkeypatch.context() as patch:
        patch.setattr(_SheetScanner, "rows_in", _reference_rows_in)
        reference = _typed(path)
    return fast, reference


def _workbook(path: Path, sheet_xml: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Target="styles.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{s}</t></si>" for s in SHARED) + "</sst>",
        )
        archive.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
            "</cellXfs></styleSheet>",
        )
    return path


TEXTS = st.sampled_from(
    ["uno", "", " con espacios ", "Ñandú", "J &amp; P", "&lt;b&gt;", "&#233;&#x41;", "N_x000D_ro"]
)
NUMBERS = st.sampled_from(
    ["0", "7", "20463.2", "72913.85000000001", "1E-05", "1e3", " 12 ", "", "abc", "&#49;2", "45000"]
)
LETTERS = st.sampled_from(["A", "B", "C", "D", "Z", "AA", "AB", "BB"])


@st.composite
def _cell(draw: st.DrawFn, row: int) -> str:
    letters = draw(LETTERS)
    ref = f"{letters}{draw(st.sampled_from([row, row, row + 1]))}"
    kind = draw(st.integers(0, 11))
    if kind <= 3:  # XlsxWriter's unstyled inline string
        return f'<c r="{ref}" t="inlineStr"><is><t>{draw(TEXTS)}</t></is></c>'
    if kind <= 6:  # XlsxWriter's unstyled number
        return f'<c r="{ref}"><v>{draw(NUMBERS)}</v></c>'
    return draw(
        st.sampled_from(
            [
                f'<c r="{ref}"/>',
                f'<c r="{ref}" s="1"><v>{draw(NUMBERS)}</v></c>',
                f'<c r="{ref}" t="s"><v>{draw(st.integers(0, len(SHARED) - 1))}</v></c>',
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{draw(TEXTS)}</t></is></c>',
                f'<c r="{ref}" t="inlineStr"><is><r><t>ri</t></r><r><t>{draw(TEXTS)}</t></r>'
                "<rPh><t>x</t></rPh></is></c>",
                f'<c r="{ref}" t="str"><f>A1</f><v>{draw(TEXTS)}</v></c>',
                f'<c r="{ref}" t="b"><v>1</v></c>',
                f'<c t="n" r="{ref}"><v>{draw(NUMBERS)}</v></c>',
                f"<c><v>{draw(NUMBERS)}</v></c>",
                f'<c r="{letters.lower()}{row}"><v>3</v></c>',
            ]
        )
    )


@st.composite
def _sheet(draw: st.DrawFn) -> str:
    rows = []
    number = 0
    for _ in range(draw(st.integers(0, 90))):
        number += draw(st.sampled_from([1, 1, 1, 2, 5]))
        shape = draw(st.integers(0, 9))
        if shape == 0:
            rows.append(f'<row r="{number}"/>')
            continue
        cells = "".join(draw(st.lists(_cell(number), max_size=8)))
        if shape == 1:
            opening = "<row>"
        elif shape == 2:
            opening = f'<row r="{number}" spans="1:8">'
        elif shape == 3:
            opening = f'<row r="{number}" ht="15" customHeight="1">'
        else:
            opening = f'<row r="{number}">'
        rows.append(f"{opening}{cells}</row>")
    return f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


@pytest.mark.parametrize("chunk", [1 << 20, 300, 37])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_xml=_sheet())
def test_fast_rows_match_the_reference(
    tmp_path_factory: pytest.TempPathFactory, chunk: int, sheet_xml: str
) -> None:
    path = _workbook(tmp_path_factory.mktemp("sheet") / "book.xlsx", sheet_xml)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_rows, "CHUNK_BYTES", chunk)
        fast, reference = _both(path, patch)
    assert fast == reference


def test_a_sheet_of_another_layout_stops_trying_the_simple_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than ``_SIMPLE_MISSES`` styled rows, then XlsxWriter-like rows: the same rows."""
    styled = "".join(
        f'<row r="{n}"><c r="A{n}" s="1"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>x</t>'
        "</is></c></row>"
        for n in range(1, 100)
    )
    plain = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}.5</v></c><c r="C{n}" t="inlineStr"><is><t>y &amp; z'
        "</t></is></c></row>"
        for n in range(100, 140)
    )
    path = _workbook(
        tmp_path / "book.xlsx",
        f'<worksheet xmlns="{MAIN}"><sheetData>{styled}{plain}</sheetData></worksheet>',
    )
    fast, reference = _both(path, monkeypatch)
    assert fast == reference
    assert fast[0][1][-1] == "(139, (139.5, None, 'y & z'))"


def test_repeated_and_unordered_columns_keep_the_last_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
        '<c r="C1"><v>1</v></c><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>c</t></is></c><c r="E1"><v></v></c>'
        '<c r="D1" t="inlineStr"><is><t></t></is></c></row>'
        '<row r="2"><c r="B2"><v>2</v></c><c r="ZZZ2"><v>3</v></c></row></sheetData></worksheet>',
    )
    fast, reference = _both(path, monkeypatch)
    assert fast == reference
    assert fast[0][1][0] == "(1, ('a', None, 'c'))"
    assert fast[0][1][1] == repr((2, (None, 2, *[None] * (26 + 26**2 + 26**3 - 3), 3)))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    month = generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=300)
    return generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)


def _tables(path: Path) -> dict[str, Any]:
    result = read_detailed_export(path)
    tables: dict[str, pa.Table] = {
        "lines": result.lines,
        "deliveries": result.deliveries,
        "parents": result.parents,
        "quarantine": result.quarantine,
    }
    found: dict[str, Any] = {name: table.to_pylist() for name, table in tables.items()}
    found["schemas"] = [table.schema for table in tables.values()]
    found["info"] = result.info
    return found


@pytest.mark.parametrize("chunk", [1 << 20, 1000])
def test_synthetic_export_reads_like_the_reference(
    export: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_rows, "CHUNK_BYTES", chunk)
    fast, reference = _both(export, monkeypatch)
    assert fast == reference
    assert len(fast[0][1]) > 300
    new = _tables(export)
    with monkeypatch.context() as patch:
        patch.setattr(_SheetScanner, "rows_in", _reference_rows_in)
        old = _tables(export)
    assert new == old
