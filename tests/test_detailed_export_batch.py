"""The column-wise row parser of the "Detallado" export (``_collect``) against the row-by-row
reference (``_collect_rowwise``): same kept rows, values and types, same quarantine (row,
field, rule, raw value, message), same counts, on varied and broken cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras import detailed_export as de
from perucompras.detailed_export import EXPORT_COLUMNS, read_detailed_export
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export
from perucompras.xlsx_rows import iter_sheets

HEADER_ROW = 6
COLUMN = {column.header: index for index, column in enumerate(EXPORT_COLUMNS)}


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    month = generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=60)
    export = generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)
    sheets = iter_sheets(export)
    _, rows = next(sheets)
    found = [row for _, row in rows]
    sheets.close()
    return found


def _outcome(collect: Any, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    numbered = iter(list(enumerate(rows, start=1)))
    header = de._find_header("ReportePCDetalle202511.xlsx", numbered)
    assert header is not None
    collected = collect("ReportePCDetalle202511.xlsx", header, numbered, "es")
    table = collected.table()
    return {
        "schema": table.schema,
        "rows": table.to_pylist(),
        "types": [[type(v).__name__ for v in row.values()] for row in table.to_pylist()],
        "quarantine": collected.quarantine,
        "bad_orders": collected.bad_orders,
        "counts": (
            collected.rows,
            collected.order_rows,
            collected.delivery_rows,
            collected.blank_rows,
        ),
    }


def _assert_same(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    new = _outcome(de._collect, rows)
    old = _outcome(de._collect_rowwise, rows)
    assert new["schema"] == old["schema"]
    assert new["counts"] == old["counts"]
    assert new["quarantine"] == old["quarantine"]
    assert new["bad_orders"] == old["bad_orders"]
    assert new["rows"] == old["rows"]
    assert new["types"] == old["types"]
    return new


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches per sheet, so values cached in one batch meet the next."""
    monkeypatch.setattr(de, "CHUNK_ROWS", 37)


def _set(row: tuple[Any, ...], header: str, value: object) -> tuple[Any, ...]:
    cells = list(row) + [None] * (len(EXPORT_COLUMNS) - len(row))
    cells[COLUMN[header]] = value
    return tuple(cells)


def test_the_generated_sheet_reads_the_same(sheet: list[tuple[Any, ...]]) -> None:
    outcome = _assert_same(sheet)
    assert outcome["rows"] and not outcome["quarantine"]


def test_every_row_rule_and_odd_cell_reads_the_same(sheet: list[tuple[Any, ...]]) -> None:
    rows = list(sheet)
    data = range(HEADER_ROW, len(rows))
    lines = [i for i in data if rows[i][COLUMN["Nro. Entrega"]] not in ("0", 0)]
    orders = [i for i in data if rows[i][COLUMN["Nro. Entrega"]] in ("0", 0)]
    plants: list[tuple[int, str, object]] = [
        (lines[0], "Cantidad Entrega", "3,5"),
        (lines[1], "Precio Unitario", "12.345"),
        (lines[2], "Fecha Fin Entrega", "31/02/2025"),
        (lines[3], "Nro. Entrega", "x"),
        (lines[4], "Sub Total", -5),
        (lines[5], "Plazo Entrega", "diez"),
        (lines[6], "Dep. Entrega", "  "),
        (lines[7], "Orden Electrónica", "OCAM-XYZ"),
        (lines[8], "Nro. Entrega", "7"),  # does not match the order number's suffix
        (lines[9], "Cantidad Entrega", "0"),
        (lines[10], "Fecha Inicio Entrega", "31/12/2099"),  # after the end
        (lines[11], "Sub Total", "0.01"),  # quantity × price differs
        (lines[12], "Precio Unitario", None),
        (lines[13], "IGV Entrega", 1),  # a boolean after the equal numbers 1 and 0
        (lines[14], "IGV Entrega", True),
        (lines[15], "IGV Entrega", 0.0),
        (lines[16], "IGV Entrega", False),
        (lines[-1], "IGV Entrega", 1.0),
        (lines[17], "Plazo Entrega", 3.0),  # a float count
        (lines[18], "Plazo Entrega", True),
        (lines[19], "Fecha Inicio Entrega", dt.datetime(2025, 11, 3, 8, 30)),
        (lines[20], "Fecha Fin Entrega", dt.date(2025, 12, 30)),
        (lines[21], "Sub Total", float("nan")),
        (lines[22], "Sub Total", float("inf")),
        (lines[23], "Monto Total Entrega", -0.0),
        (lines[24], "Dirección Entrega", 12345),  # a number in a text column
        (lines[25], "Nro. Parte", 1.5),
        (lines[26], "Marca Ficha Producto", dt.datetime(2025, 1, 2)),
        (lines[27], "Cantidad Entrega", " 2 "),
        (lines[28], "Precio Unitario", 1e16),
        (lines[29], "Fecha Fin Entrega", 45000),  # a serial number, not a date cell
        (orders[0], "Total Orden Electrónica", None),
        (orders[1], "Total Entregas", "dos"),
        (orders[2], "Fecha Publicación", "2025-11-03"),
        (orders[3], "Fecha Aceptación", "3/11/2025 7:05"),
        (orders[4], "Fecha Ultimo Estado OC", "03/11/2025 07:05:09"),
        (orders[5], "Sub Total Orden Electrónica", "3500"),
        (orders[6], "Nro. Entrega", 0.0),
        (orders[7], "Ruc Entidad", 20600927818),
        (orders[8], "Descripción Ficha Producto", "\t "),
    ]
    for index, header, value in plants:
        rows[index] = _set(rows[index], header, value)
    # a zero quantity whose line amounts agree: only the zero rule catches it
    for header in ("Cantidad Entrega", "Sub Total", "IGV Entrega", "Monto Total Entrega"):
        rows[lines[31]] = _set(rows[lines[31]], header, 0)
    rows[lines[30]] = rows[lines[30]][:20]  # a short row
    rows.insert(lines[32], (None, "  ", ""))  # blank rows
    rows.insert(lines[32], ())
    outcome = _assert_same(rows)
    assert len(outcome["quarantine"]) >= 20


_CELLS = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["", "  ", "0", "1", "-1", "3,5", "12.345", "1e3", "31/02/2025", "x", "0.0"]),
    st.sampled_from(["3500", "3500.5", "01/11/2025", "1/11/2025 10:00", " 7 ", "OCAM-2025-1-2-1"]),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 0.0, 1.0, -0.0, True, False, 2, 2.0, 12.5, 1000]),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_cells_read_the_same(sheet: list[tuple[Any, ...]], data: st.DataObject) -> None:
    rows = [tuple(row) for row in sheet[: HEADER_ROW + 120]]
    for _ in range(data.draw(st.integers(min_value=1, max_value=30))):
        row = data.draw(st.integers(min_value=HEADER_ROW, max_value=len(rows) - 1))
        column = data.draw(st.integers(min_value=0, max_value=len(EXPORT_COLUMNS) - 1))
        value = data.draw(_CELLS)
        cells = list(rows[row]) + [None] * (len(EXPORT_COLUMNS) - len(rows[row]))
        cells[column] = value
        if data.draw(st.booleans()):  # the same odd value further down (cached values)
            other = data.draw(st.integers(min_value=HEADER_ROW, max_value=len(rows) - 1))
            more = list(rows[other]) + [None] * (len(EXPORT_COLUMNS) - len(rows[other]))
            more[column] = value
            rows[other] = tuple(more)
        rows[row] = tuple(cells[: data.draw(st.integers(min_value=0, max_value=len(cells)))])
    _assert_same(rows)


def test_read_detailed_export_is_the_same_with_the_reference_parser(
    sheet: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = list(sheet)
    lines = [i for i in range(HEADER_ROW, len(rows)) if rows[i][COLUMN["Nro. Entrega"]] != "0"]
    rows[lines[3]] = _set(rows[lines[3]], "Precio Unitario", "12.345")
    rows[lines[9]] = _set(rows[lines[9]], "Monto Total Entrega", 1.0)

    def in_memory(path: Path, lang: str = "es") -> Any:
        yield "DatosAbiertos", iter(list(enumerate(rows, start=1)))

    monkeypatch.setattr(de, "_open_rows", in_memory)
    monkeypatch.setattr(de, "file_digest", lambda path: ("0" * 64, 0))
    new = read_detailed_export(Path("ReportePCDetalle202511.xlsx"))
    monkeypatch.setattr(de, "_collect", de._collect_rowwise)
    old = read_detailed_export(Path("ReportePCDetalle202511.xlsx"))
    for name in ("lines", "deliveries", "parents", "quarantine"):
        a, b = getattr(new, name), getattr(old, name)
        assert isinstance(a, pa.Table)
        assert a.schema == b.schema and a.to_pylist() == b.to_pylist(), name
    assert new.info == old.info
    assert new.quarantine.num_rows >= 2
