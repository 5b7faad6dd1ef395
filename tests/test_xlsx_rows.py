"""The stdlib XLSX row streamer agrees with openpyxl on what writers produce, and on odd XML."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from perucompras.xlsx_rows import WorkbookError, decode_escapes, iter_sheets, unescape_xml

TRICKY = [
    "plain",
    "Ñandú & <acentos> \"comillas\" 'apóstrofo'",
    "N\r\nro Orden Física",
    "  spaces kept  ",
    "literal _x0041_ escape",
]
NUMBERS = [0, 7, 301592.04, 72913.85, 0.1, 1e-05, 123456789012]


def _rows(path: Path) -> dict[str, list[tuple[int, tuple[Any, ...]]]]:
    return {name: list(rows) for name, rows in iter_sheets(path)}


def _openpyxl_rows(
    path: Path, *, decode: bool = False
) -> dict[str, list[tuple[int, tuple[Any, ...]]]]:
    """openpyxl's values; it decodes ``_xHHHH_`` in shared strings only (``decode`` the rest)."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found = {}
    for sheet in workbook.worksheets:
        sheet.reset_dimensions()
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [decode_escapes(v) if decode and isinstance(v, str) else v for v in row]
            while cells and cells[-1] is None:
                cells.pop()
            rows.append((number, tuple(cells)))
        while rows and not rows[-1][1]:
            rows.pop()
        found[sheet.title] = rows
    workbook.close()
    return found


def _without_literal_escape(
    sheets: dict[str, list[tuple[int, tuple[Any, ...]]]],
) -> dict[str, list[tuple[int, tuple[Any, ...]]]]:
    literal = TRICKY.index("literal _x0041_ escape")
    return {
        name: [
            (n, tuple(None if n == 3 and i == literal else v for i, v in enumerate(row)))
            for n, row in rows
        ]
        for name, rows in sheets.items()
    }


def _xlsxwriter_book(path: Path, *, constant_memory: bool) -> Path:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    first = workbook.add_worksheet("DatosAbiertos")
    first.write_string(0, 0, "title")
    for column, text in enumerate(TRICKY):  # row 2 (index 1) left empty
        first.write_string(2, column, text)
    for column, number in enumerate(NUMBERS):
        first.write_number(3, column, number)
    first.write_boolean(4, 0, True)
    first.write_datetime(4, 1, dt.datetime(2025, 4, 7), dates)
    first.write_string(4, 5, "after a gap of cells")
    second = workbook.add_worksheet("Otra")
    second.write_string(0, 0, "second sheet")
    workbook.close()
    return path


@pytest.mark.parametrize("constant_memory", [True, False], ids=["inline", "shared"])
def test_xlsxwriter_files_read_like_openpyxl(tmp_path: Path, constant_memory: bool) -> None:
    path = _xlsxwriter_book(tmp_path / "book.xlsx", constant_memory=constant_memory)
    mine = _rows(path)
    assert list(mine) == ["DatosAbiertos", "Otra"]
    # openpyxl decodes _x005F_ (a literal "_x") in shared strings only: compare without that cell
    theirs = _openpyxl_rows(path, decode=True)
    assert _without_literal_escape(mine) == _without_literal_escape(theirs)
    rows = dict(mine["DatosAbiertos"])
    assert rows[2] == ()
    assert list(rows[3]) == TRICKY
    assert list(rows[4]) == NUMBERS
    assert rows[5] == (True, dt.datetime(2025, 4, 7), None, None, None, "after a gap of cells")


def test_openpyxl_written_file(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Hoja"
    sheet.append(["Nro", "Fecha", "Monto", None, "Texto"])
    sheet.append([1, dt.datetime(2024, 2, 29, 13, 5), Decimal("12.5"), None, "a&b"])
    sheet["B2"].number_format = "dd/mm/yyyy hh:mm"
    workbook.save(tmp_path / "book.xlsx")
    mine = _rows(tmp_path / "book.xlsx")
    assert mine == _openpyxl_rows(tmp_path / "book.xlsx")
    assert mine["Hoja"][1] == (2, (1, dt.datetime(2024, 2, 29, 13, 5), 12.5, None, "a&b"))


def _hand_made(path: Path, sheet_xml: str, *, shared: str | None = None) -> Path:
    """A minimal workbook around ``sheet_xml`` (for XML shapes common writers do not emit)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Target="sharedStrings.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
    return path


def test_odd_but_valid_xml_shapes(tmp_path: Path) -> None:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    prefixed = _hand_made(
        tmp_path / "prefixed.xlsx",
        f'<x:worksheet xmlns:x="{main}"><x:sheetData>'
        '<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>uno</x:t></x:is></x:c>'
        '<x:c t="n" r="C2"><x:v>2.50</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>",
    )
    assert _rows(prefixed) == {"S": [(1, ()), (2, (None, "uno", 2.5))]}
    odd = _hand_made(
        tmp_path / "odd.xlsx",
        f'<worksheet xmlns="{main}"><sheetData>'
        # attributes out of the schema's order, rich text, phonetic runs, formulas, no r
        '<row><c t="s" r="A1"><v>0</v></c><c r="B1" t="inlineStr"><is><r><t>ri</t></r>'
        '<r><rPr/><t xml:space="preserve">ch </t></r><rPh><t>x</t></rPh></is></c>'
        '<c r="C1"><f>1+1</f><v>2</v></c><c r="D1" t="str"><f>A1</f><v>&amp;&#233;&#x41;</v></c>'
        '<c r="E1" t="b"><v>0</v></c><c r="F1" t="e"><v>#N/A</v></c><c r="G1"/></row>'
        '<row><c><v>5</v></c><c><v>6</v></c></row><row r="4"/>'
        "</sheetData></worksheet>",
        shared=f'<sst xmlns="{main}"><si><t>comp</t><rPh><t>y</t></rPh></si></sst>',
    )
    assert _rows(odd) == {
        "S": [
            (1, ("comp", "rich ", 2, "&éA", False, "#N/A")),
            (2, (5, 6)),
            (3, ()),
            (4, ()),
        ]
    }


def test_rows_spanning_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("perucompras.xlsx_rows.CHUNK_BYTES", 64)
    path = _xlsxwriter_book(tmp_path / "book.xlsx", constant_memory=True)
    monkeypatch.undo()
    expected = _rows(path)
    monkeypatch.setattr("perucompras.xlsx_rows.CHUNK_BYTES", 7)
    assert _rows(path) == expected


def test_not_a_workbook(tmp_path: Path) -> None:
    csv = tmp_path / "export.xlsx"
    csv.write_text("ORDEN;TOTAL\n1;2\n")
    with pytest.raises(WorkbookError, match="ZIP"):
        list(iter_sheets(csv))
    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(WorkbookError, match=r"workbook\.xml"):
        list(iter_sheets(other_zip))


def test_unescaping() -> None:
    assert unescape_xml("a &lt;b&gt; &amp;amp; &#10;&#x263A;") == "a <b> &amp; \n☺"
    assert decode_escapes("N_x000D_\nro _x005F_x") == "N\r\nro _x"
