"""The "Detallado" XLSX export: header detection, reconciliation, quarantine, synthetic files."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras.detailed_export import (
    EXPORT_COLUMNS,
    LINE_SCHEMA,
    PORTAL_HEADERS,
    REQUIRED_HEADERS,
    header_key,
    read_detailed_export,
)
from perucompras.reader import QUARANTINE_SCHEMA, SourceFileError, read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import (
    SYNTHETIC_NOTE,
    build_detail_rows,
    generate_detailed_export,
)
from perucompras.xlsx_rows import iter_sheets

HEADER_ROW = 6
COLUMN = {column.header: index for index, column in enumerate(EXPORT_COLUMNS)}
COMPARED = [
    "order_number",
    "source_order_number",
    "delivery_number",
    "catalogue",
    "category",
    "product_description",
    "brand",
    "part_number",
    "quantity_milli",
    "unit_price_cents",
    "unit_freight_cents",
    "subtotal_cents",
    "igv_cents",
    "delivery_start",
    "delivery_end",
    "delivery_days",
    "ubigeo",
    "department",
    "province",
    "district",
    "delivery_address",
]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 orders (~400 export rows): most tests write the whole sheet back as an XLSX; the
    shapes they need are asserted in test_generator_covers_the_real_shapes."""
    return generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=100)


@pytest.fixture(scope="module")
def orders(month: Path) -> pa.Table:
    return read_monthly_file(month).orders


@pytest.fixture(scope="module")
def export(month: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)


@pytest.fixture(scope="module")
def sheet(export: Path) -> list[list[Any]]:
    """The export's rows (title rows, header, data) as cell lists."""
    sheets = iter_sheets(export)
    name, rows = next(sheets)
    assert name == "DatosAbiertos"
    found = [list(row) for _, row in rows]
    sheets.close()
    assert len(found) > HEADER_ROW + 40  # the never-crash test draws from 40 data rows
    return found


@pytest.fixture(scope="module")
def baseline(export: Path) -> Any:
    return read_detailed_export(export)


def _write(path: Path, rows: list[list[Any]]) -> Path:
    """An XLSX (openpyxl: shared strings) with ``rows`` from row 1."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = "DatosAbiertos"
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def _data(sheet: list[list[Any]]) -> list[list[Any]]:
    return [list(row) + [None] * (len(EXPORT_COLUMNS) - len(row)) for row in sheet[HEADER_ROW:]]


def _rows_of(data: list[list[Any]], order_id: str) -> list[int]:
    """Indexes (in ``data``) of the rows of one order."""
    return [
        i
        for i, row in enumerate(data)
        if row[COLUMN["Orden Electrónica"]].startswith(order_id + "-")
    ]


def _without_position(table: pa.Table) -> pa.Table:
    position = {"source_file", "source_line", "order_rows"}
    return table.drop_columns([name for name in table.column_names if name in position])


# ---------------------------------------------------------------- synthetic round trip


def test_round_trip_gives_the_lines_the_generator_intended(
    baseline: Any, month: Path, orders: pa.Table
) -> None:
    intended = build_detail_rows(2025, 11, month)
    intended_lines = intended.filter(pc.greater(intended["delivery_number"], 0))
    assert baseline.quarantine.num_rows == 0
    assert baseline.quarantine.schema == QUARANTINE_SCHEMA
    assert baseline.lines.schema == LINE_SCHEMA
    assert (
        baseline.lines.select(COMPARED).to_pylist() == intended_lines.select(COMPARED).to_pylist()
    )
    assert baseline.info.row_count == intended.num_rows
    assert baseline.info.order_rows + baseline.info.delivery_rows == intended.num_rows
    assert baseline.info.header_row == HEADER_ROW
    assert baseline.info.title["Fecha Inicial"] == "01/11/2025"
    by_order = {row["order_number"]: row for row in orders.to_pylist()}
    assert baseline.parents.num_rows == orders.num_rows
    for parent in baseline.parents.to_pylist():
        order = by_order[parent["order_number"]]
        assert parent["total_cents"] == order["total_cents"]
        assert (parent["subtotal_cents"], parent["igv_cents"]) == (
            order["subtotal_cents"],
            order["igv_cents"],
        )
        assert parent["supplier_ruc"] == order["supplier_ruc"]
        assert parent["status"] == order["status"]
    totals = baseline.deliveries.group_by("order_number").aggregate([("total_cents", "sum")])
    summed = dict(
        zip(totals["order_number"].to_pylist(), totals["total_cents_sum"].to_pylist(), strict=True)
    )
    assert summed == {n: o["total_cents"] for n, o in by_order.items()}
    assert pc.sum(baseline.deliveries["line_count"]).as_py() == baseline.lines.num_rows
    formalized = {n: o["formalized_at"] for n, o in by_order.items()}
    for delivery in baseline.deliveries.to_pylist():
        assert delivery["delivery_start"] > formalized[delivery["order_number"]]
        assert delivery["delivery_end"] > delivery["delivery_start"]


def test_generator_covers_the_real_shapes(baseline: Any) -> None:
    parents = baseline.parents
    assert pc.max(parents["product_count"]).as_py() > 1  # several products: several -0 rows
    assert pc.max(parents["delivery_count"]).as_py() > 2  # several deliveries: -1, -2, …
    assert pc.any(pc.greater(baseline.lines["unit_freight_cents"], 0)).as_py()


def test_order_rows_with_zero_prices_are_not_double_counted(
    sheet: list[list[Any]], baseline: Any, orders: pa.Table
) -> None:
    data = _data(sheet)
    order_rows = [row for row in data if row[COLUMN["Nro. Entrega"]] == "0"]
    assert order_rows and all(row[COLUMN["Precio Unitario"]] == 0 for row in order_rows)
    naive = sum(round(row[COLUMN["Sub Total"]] * 100) for row in data)
    subtotal = pc.sum(orders["subtotal_cents"]).as_py()
    assert naive == 2 * subtotal
    assert pc.sum(baseline.lines["subtotal_cents"]).as_py() == subtotal
    assert pc.sum(baseline.parents["subtotal_cents"]).as_py() == subtotal
    assert baseline.lines.num_rows == len(data) - len(order_rows)


def test_generation_is_byte_identical_and_seeded(export: Path, month: Path, tmp_path: Path) -> None:
    again = generate_detailed_export(2025, 11, tmp_path / "a", orders=month)
    assert again.name == "ReportePCDetalle202511.xlsx"
    assert again.read_bytes() == export.read_bytes()
    other = generate_detailed_export(2025, 11, tmp_path / "b", orders=month, seed=7)
    assert other.read_bytes() != export.read_bytes()
    with zipfile.ZipFile(export) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert "2025-11-01T00:00:00Z" in core and SYNTHETIC_NOTE in core
        # one fixed timestamp for every part (XlsxWriter's constant), never the clock
        assert len({info.date_time for info in archive.infolist()}) == 1


def test_portal_layout_title_rows_and_header(sheet: list[list[Any]]) -> None:
    assert sheet[0] == ["Datos Abiertos Reporte Detallado de Ordenes"]
    assert sheet[1][0] == "Acuerdo Marco: " and sheet[3][0] == "Fecha Inicial: "
    assert sheet[4] == []
    assert sheet[HEADER_ROW - 1] == list(PORTAL_HEADERS)
    assert "N\r\nro Orden Física" in PORTAL_HEADERS  # as the portal writes it


# ---------------------------------------------------------------- header detection


@pytest.mark.parametrize("title_rows", [0, 1, 5, 12])
def test_header_is_found_below_any_title_rows_in_any_column_order(
    sheet: list[list[Any]], baseline: Any, tmp_path: Path, title_rows: int
) -> None:
    header, data = sheet[HEADER_ROW - 1], _data(sheet)
    order = list(range(len(header)))
    random.Random(title_rows).shuffle(order)
    titles = [[f"título {n}:", "valor"] for n in range(title_rows)]
    # other spellings of the same names: accents, case, spaces, dots and line breaks ignored
    respelled = [
        header_key(name).upper() if i % 3 == 0 else name.replace(" ", "  ").lower()
        for i, name in enumerate(header)
    ]
    rows = [*titles, [respelled[i] for i in order], *([row[i] for i in order] for row in data)]
    result = read_detailed_export(_write(tmp_path / "ReportePCDetalle202511.xlsx", rows))
    assert result.info.header_row == title_rows + 1
    assert result.quarantine.num_rows == 0
    assert _without_position(result.lines).equals(_without_position(baseline.lines))
    assert _without_position(result.parents).equals(_without_position(baseline.parents))
    assert _without_position(result.deliveries).equals(_without_position(baseline.deliveries))


def test_unknown_columns_are_ignored_and_reported(sheet: list[list[Any]], tmp_path: Path) -> None:
    rows = [[*row, "extra"] for row in sheet[HEADER_ROW - 1 :]]
    rows[0][-1] = "Columna Nueva"
    result = read_detailed_export(_write(tmp_path / "x.xlsx", rows))
    assert result.info.ignored_columns == ("Columna Nueva",)
    assert result.quarantine.num_rows == 0


@pytest.mark.parametrize(
    "missing", ["Cantidad Entrega", "Orden Electrónica", "Monto Total Entrega"]
)
def test_missing_required_column_is_a_file_error(
    sheet: list[list[Any]], tmp_path: Path, missing: str
) -> None:
    index = COLUMN[missing]
    rows = [row[:index] + row[index + 1 :] for row in sheet]
    path = _write(tmp_path / "ReportePCDetalle202511.xlsx", rows)
    with pytest.raises(SourceFileError) as error:
        read_detailed_export(path, "en")
    message = str(error.value)
    assert path.name in message and repr(missing) in message and "row 6" in message
    assert "check source_files_readable" in message and "Most frequent values" in message
    assert "How to fix it: export the orders again" in message and "Detallado" in message


def test_file_level_errors_say_how_to_fix(sheet: list[list[Any]], tmp_path: Path) -> None:
    no_header = _write(tmp_path / "a.xlsx", [["Reporte"], ["algo", 1], *_data(sheet)[:5]])
    with pytest.raises(SourceFileError, match=r"a\.xlsx: .*no header row in the first.*Detallado"):
        read_detailed_export(no_header, "en")
    csv = tmp_path / "b.xlsx"
    csv.write_bytes(b"ORDEN_ELECTRONICA;TOTAL\nOCAM-2025-1-1-0;1.00\n")
    with pytest.raises(SourceFileError, match=r"b\.xlsx: .*not a readable XLSX workbook.*Exportar"):
        read_detailed_export(csv, "en")
    header = sheet[HEADER_ROW - 1]
    twice = _write(tmp_path / "c.xlsx", [[*header, "Nro. Entrega"], *_data(sheet)[:3]])
    with pytest.raises(SourceFileError, match=r"'Nro\. Entrega' appears twice.*AN and BC"):
        read_detailed_export(twice, "en")
    assert set(REQUIRED_HEADERS) <= {column.header for column in EXPORT_COLUMNS}


# ---------------------------------------------------------------- quarantine


def test_malformed_cells_are_quarantined_with_row_field_and_raw_value(
    sheet: list[list[Any]], baseline: Any, tmp_path: Path
) -> None:
    data = _data(sheet)
    lines = [i for i, row in enumerate(data) if row[COLUMN["Nro. Entrega"]] != "0"]
    plants = {
        lines[0]: ("Cantidad Entrega", "3,5", "quantity_unparseable"),
        lines[10]: ("Precio Unitario", "12.345", "amount_precision"),
        lines[20]: ("Fecha Fin Entrega", "31/02/2025", "date_unparseable"),
        lines[30]: ("Nro. Entrega", "x", "delivery_number_format"),
        lines[40]: ("Sub Total", -5, "amount_unparseable"),
        lines[50]: ("Plazo Entrega", "diez", "delivery_days_format"),
        lines[60]: ("Dep. Entrega", "  ", "required_missing"),
    }
    spoiled = set()
    for index, (header, value, _) in plants.items():
        spoiled.add(data[index][COLUMN["Orden Electrónica"]].rsplit("-", 1)[0])
        data[index][COLUMN[header]] = value
    bad_number = lines[70]
    bad_order = data[bad_number][COLUMN["Orden Electrónica"]].rsplit("-", 1)[0]
    data[bad_number][COLUMN["Orden Electrónica"]] = "OCAM-XYZ"
    path = _write(tmp_path / "ReportePCDetalle202511.xlsx", sheet[:HEADER_ROW] + data)
    result = read_detailed_export(path)
    quarantine = {row["source_line"]: row for row in result.quarantine.to_pylist()}
    for index, (header, value, rule) in plants.items():
        row = quarantine[HEADER_ROW + 1 + index]
        assert (row["field"], row["rule"], row["source_file"]) == (header, rule, path.name)
        if str(value).strip():
            assert f'"{value}"' in row["message"] and str(value) in row["raw_row"]
            assert row["value"] == str(value)
    assert quarantine[HEADER_ROW + 1 + bad_number]["rule"] == "order_number_format"
    # the other rows of the spoiled orders go too; no other order is touched
    for order in spoiled:
        for index in _rows_of(data, order):
            if index not in plants:
                assert quarantine[HEADER_ROW + 1 + index]["rule"] == "order_incomplete"
    kept = set(result.parents["order_id"].to_pylist())
    assert not kept & spoiled
    assert len(kept) == baseline.parents.num_rows - len(spoiled | {bad_order})
    published = result.lines.num_rows + int(pc.sum(result.parents["product_count"]).as_py())
    assert published + result.quarantine.num_rows == len(data)


def _spoil(data: list[list[Any]], order: str, how: str) -> list[list[Any]]:
    rows = _rows_of(data, order)
    first_line = next(i for i in rows if data[i][COLUMN["Nro. Entrega"]] != "0")
    if how == "product_totals_mismatch":
        first_order_row = rows[0]
        data[first_order_row][COLUMN["Cantidad Entrega"]] = "999"
    elif how == "delivery_total_mismatch":
        data[first_line][COLUMN["Monto Total Entrega"]] += 1
    elif how == "order_totals_mismatch":
        for i in rows:
            if data[i][COLUMN["Nro. Entrega"]] == "0":
                data[i][COLUMN["Total Orden Electrónica"]] += 1
    elif how == "order_total_inconsistent":
        data[rows[0]][COLUMN["Total Orden Electrónica"]] += 1
    elif how == "duplicate_product_row":
        data.insert(first_line + 1, list(data[first_line]))
    elif how == "missing_order_rows":
        return [row for i, row in enumerate(data) if i not in rows or i == first_line]
    elif how == "order_without_deliveries":
        return [row for i, row in enumerate(data) if i not in rows or i == rows[0]]
    elif how == "delivery_inconsistent":
        data.insert(first_line + 1, list(data[first_line]))
        data[first_line + 1][COLUMN["Nro. Parte"]] = "OTRO"
        data[first_line + 1][COLUMN["Dirección Entrega"]] = "OTRA DIRECCIÓN 1"
    return data


CROSS_ROW_RULES = [
    "product_totals_mismatch",
    "delivery_total_mismatch",
    "order_totals_mismatch",
    "order_total_inconsistent",
    "duplicate_product_row",
    "missing_order_rows",
    "order_without_deliveries",
    "delivery_inconsistent",
]


@pytest.mark.parametrize("rule", CROSS_ROW_RULES)
def test_orders_that_do_not_reconcile_are_quarantined_whole(
    sheet: list[list[Any]], baseline: Any, tmp_path: Path, rule: str
) -> None:
    data = _data(sheet)
    order_ids = baseline.parents.sort_by([("product_count", "descending")])["order_id"]
    order = order_ids[0].as_py()
    data = _spoil(data, order, rule)
    result = read_detailed_export(_write(tmp_path / "d.xlsx", sheet[:HEADER_ROW] + data))
    quarantined = result.quarantine.to_pylist()
    assert quarantined, rule
    assert {row["rule"] for row in quarantined} == {rule}
    assert sorted(row["source_line"] for row in quarantined) == [
        HEADER_ROW + 1 + i for i in _rows_of(data, order)
    ]
    assert all(row["raw_row"] and order in row["raw_row"] for row in quarantined)
    assert order not in result.parents["order_id"].to_pylist()
    assert order not in result.lines["order_id"].to_pylist()
    assert result.parents.num_rows == baseline.parents.num_rows - 1


def test_an_order_with_several_wrong_products_names_the_smallest_one(
    sheet: list[list[Any]], baseline: Any, tmp_path: Path
) -> None:
    data = _data(sheet)
    order = baseline.parents.sort_by([("product_count", "descending")])["order_id"][0].as_py()
    order_rows = [i for i in _rows_of(data, order) if data[i][COLUMN["Nro. Entrega"]] == "0"]
    assert len(order_rows) >= 2
    for i in order_rows:
        data[i][COLUMN["Cantidad Entrega"]] = "999"
    smallest = min(str(data[i][COLUMN["Nro. Parte"]]) for i in order_rows)
    messages = set()
    for k, rows in enumerate((data, data[::-1])):
        result = read_detailed_export(_write(tmp_path / f"{k}.xlsx", sheet[:HEADER_ROW] + rows))
        found = {row["message"] for row in result.quarantine.to_pylist()}
        assert len(found) == 1
        messages |= found
    assert len(messages) == 1
    assert f'"{smallest}"' in messages.pop()


def test_cells_as_text_numbers_or_dates_read_the_same(
    sheet: list[list[Any]], baseline: Any, tmp_path: Path
) -> None:
    data = _data(sheet)
    for row in data:
        row[COLUMN["Sub Total"]] = f"{row[COLUMN['Sub Total']]:.2f}"
        row[COLUMN["Cantidad Entrega"]] = int(row[COLUMN["Cantidad Entrega"]])
        start = row[COLUMN["Fecha Inicio Entrega"]]
        if start:
            day, month, year = (int(part) for part in start.split("/"))
            row[COLUMN["Fecha Inicio Entrega"]] = dt.datetime(year, month, day)
    blank_rows = [[None] * 3, []]
    path = _write(tmp_path / "e.xlsx", sheet[:HEADER_ROW] + data[:5] + blank_rows + data[5:])
    result = read_detailed_export(path)
    assert result.quarantine.num_rows == 0
    assert result.info.blank_rows == 2
    assert _without_position(result.lines).equals(_without_position(baseline.lines))


# ---------------------------------------------------------------- the real layout


def _portal_like(path: Path) -> Path:
    """A made-up export shaped like a real one: a two-product order (order rows at 0.00) and a
    one-product order delivered in three deliveries, the header row written with the portal's
    CR LF inside three names."""
    header = list(PORTAL_HEADERS)

    def row(values: dict[str, Any]) -> list[Any]:
        cells: list[Any] = [None] * len(header)
        for name, value in values.items():
            cells[COLUMN[name]] = value
        return cells

    common = {
        "Código Acuerdo Marco": "EXT-CE-2022-5 COMPUTADORAS DE ESCRITORIO",
        "Ruc Proveedor": "20100000001",
        "Ruc Entidad": "20100000002",
        "Procedimiento": "COMPRA ORDINARIA",
        "Estado de la Orden Electrónica": "ACEPTADA",
        "Total Entregas": "1",
        "Fecha Ultimo Estado OC": "31/03/2025 17:31:27",
        "Fecha Publicación": "31/03/2025",
        "Monto Documento Estado": 0,
        "Monto Flete Unitario": 0,
    }
    place = {
        "Ubigeo Entrega": "150108",
        "Dep. Entrega": "LIMA",
        "Prov. Entrega": "LIMA",
        "Dist. Entrega": "CHORRILLOS",
        "Dirección Entrega": "CALLE UNO 123 ",
        "Entrega afecto IGV": "SI",
    }
    a, b = ("ESCANER A", "P-1"), ("MONITOR B", "P-2")
    rows = [
        ["Datos Abiertos Reporte Detallado de Ordenes"],
        ["Acuerdo Marco: ", "EXT-CE-2022-5 COMPUTADORAS DE ESCRITORIO "],
        ["Catálogo: ", "Todos"],
        ["Fecha Inicial: ", "01/01/2025", "Fecha Final:", "31/03/2025"],
        [],
        header,
    ]
    order_totals = {
        "Sub Total Orden Electrónica": 1400.0,
        "IGV Orden Electrónica": 252.0,
        "Total Orden Electrónica": 1652.0,
        "Monto Total Entrega": 1652.0,
    }
    for (description, part), (quantity, price, igv) in zip(
        (a, b), (("2", 500.0, 180.0), ("1", 400.0, 72.0)), strict=True
    ):
        rows.append(
            row(
                common
                | order_totals
                | {
                    "Orden Electrónica": "OCAM-2025-7-1-0",
                    "Nro. Entrega": "0",
                    "Descripción Ficha Producto": description,
                    "Nro. Parte": part,
                    "Cantidad Entrega": quantity,
                    "Precio Unitario": 0,
                    "Sub Total": int(quantity) * price,
                    "IGV Entrega": igv,
                }
            )
        )
    for (description, part), (quantity, price, igv) in zip(
        (a, b), (("2", 500.0, 180.0), ("1", 400.0, 72.0)), strict=True
    ):
        rows.append(
            row(
                common
                | order_totals
                | place
                | {
                    "Orden Electrónica": "OCAM-2025-7-1-1",
                    "Nro. Entrega": "1",
                    "Fecha Inicio Entrega": "07/04/2025",
                    "Plazo Entrega": "5",
                    "Fecha Fin Entrega": "12/04/2025",
                    "Descripción Ficha Producto": description,
                    "Nro. Parte": part,
                    "Cantidad Entrega": quantity,
                    "Precio Unitario": price,
                    "Sub Total": int(quantity) * price,
                    "IGV Entrega": igv,
                }
            )
        )
    three = common | {"Total Entregas": "3", "Descripción Ficha Producto": "PANTALLA C"}
    rows.append(
        row(
            three
            | {
                "Orden Electrónica": "OCAM-2025-7-2-0",
                "Nro. Entrega": "0",
                "Cantidad Entrega": "3",
                "Precio Unitario": 0,
                "Sub Total": 300.03,
                "IGV Entrega": 54.0,
                "Sub Total Orden Electrónica": 300.03,
                "IGV Orden Electrónica": 54.0,
                "Total Orden Electrónica": 354.03,
                "Monto Total Entrega": 354.03,
            }
        )
    )
    for number in (1, 2, 3):
        rows.append(
            row(
                three
                | place
                | {
                    "Orden Electrónica": f"OCAM-2025-7-2-{number}",
                    "Nro. Entrega": str(number),
                    "Fecha Inicio Entrega": f"0{number}/05/2025",
                    "Plazo Entrega": "10",
                    "Fecha Fin Entrega": f"1{number}/05/2025",
                    "Cantidad Entrega": "1",
                    "Precio Unitario": 100.01,
                    "Sub Total": 100.01,
                    "IGV Entrega": 18.0,
                    "Sub Total Orden Electrónica": 100.01,
                    "IGV Orden Electrónica": 18.0,
                    "Total Orden Electrónica": 118.01,
                    "Monto Total Entrega": 118.01,
                }
            )
        )
    return _write(path, rows)


def test_a_portal_shaped_export(tmp_path: Path) -> None:
    result = read_detailed_export(_portal_like(tmp_path / "DatosAbiertos.xlsx"))
    assert result.quarantine.num_rows == 0
    assert result.info.header_row == 6
    assert result.info.title == {
        "Título": "Datos Abiertos Reporte Detallado de Ordenes",
        "Acuerdo Marco": "EXT-CE-2022-5 COMPUTADORAS DE ESCRITORIO",
        "Catálogo": "Todos",
        "Fecha Inicial": "01/01/2025",
        "Fecha Final": "31/03/2025",
    }
    lines = result.lines.to_pylist()
    assert [(r["order_number"], r["line_id"], r["part_number"]) for r in lines] == [
        ("OCAM-2025-7-1-0", "1-1", "P-1"),
        ("OCAM-2025-7-1-0", "1-2", "P-2"),
        ("OCAM-2025-7-2-0", "1-1", None),
        ("OCAM-2025-7-2-0", "2-1", None),
        ("OCAM-2025-7-2-0", "3-1", None),
    ]
    assert [r["unit_price_cents"] for r in lines] == [50000, 40000, 10001, 10001, 10001]
    assert lines[0]["delivery_start"] == "2025-04-07T00:00:00-05:00"
    assert lines[0]["delivery_end"] == "2025-04-12T23:59:59-05:00"
    assert lines[0]["delivery_address"] == "CALLE UNO 123"
    deliveries = result.deliveries.to_pylist()
    assert [(d["order_number"], d["delivery_number"], d["total_cents"]) for d in deliveries] == [
        ("OCAM-2025-7-1-0", 1, 165200),
        ("OCAM-2025-7-2-0", 1, 11801),
        ("OCAM-2025-7-2-0", 2, 11801),
        ("OCAM-2025-7-2-0", 3, 11801),
    ]
    parents = {p["order_number"]: p for p in result.parents.to_pylist()}
    assert parents["OCAM-2025-7-1-0"]["total_cents"] == 165200
    assert parents["OCAM-2025-7-1-0"]["product_count"] == 2
    assert parents["OCAM-2025-7-2-0"]["delivery_count"] == 3
    assert parents["OCAM-2025-7-2-0"]["status_date"] == "2025-03-31T17:31:27-05:00"


# ---------------------------------------------------------------- never crash


_CELLS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["", "  ", "0", "1", "-1", "3,5", "12.345", "1e3", "31/02/2025", "x"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_cell_values_never_crash_and_every_row_is_accounted_for(
    sheet: list[list[Any]], data: st.DataObject
) -> None:
    rows = [list(row) for row in sheet[: HEADER_ROW + 40]]
    for _ in range(data.draw(st.integers(min_value=1, max_value=12))):
        row = data.draw(st.integers(min_value=HEADER_ROW, max_value=len(rows) - 1))
        column = data.draw(st.integers(min_value=0, max_value=len(EXPORT_COLUMNS) - 1))
        rows[row] += [None] * (len(EXPORT_COLUMNS) - len(rows[row]))
        rows[row][column] = data.draw(_CELLS)

    def in_memory(path: Path, lang: str = "es") -> Any:
        yield "DatosAbiertos", iter(list(enumerate((tuple(r) for r in rows), start=1)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("perucompras.detailed_export._open_rows", in_memory)
        patch.setattr("perucompras.detailed_export.file_digest", lambda path: ("0" * 64, 0))
        result = read_detailed_export(Path("ReportePCDetalle202511.xlsx"))
    quarantined = result.quarantine.to_pylist()
    for row in quarantined:
        assert row["field"] and row["rule"] and row["message"].startswith(row["field"])
    accounted = (
        result.lines.num_rows
        + (pc.sum(result.parents["product_count"]).as_py() or 0)
        + len(quarantined)
        + result.info.blank_rows
    )
    assert accounted == len(rows) - HEADER_ROW
    assert len({row["source_line"] for row in quarantined}) == len(quarantined)


def _scaled_outcome(parse: Any, value: object, decimals: int, digits: int) -> tuple[Any, ...]:
    from perucompras.detailed_export import _CellError

    try:
        return ("value", parse(value, decimals, "amount", digits))
    except _CellError as error:
        return ("problem", error.rule, repr(error.value), error.key, error.params)


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=0, max_value=1e13).map(lambda x: round(x, 2)),
        st.integers(min_value=-(10**3), max_value=10**14),
        st.booleans(),
        st.from_regex(r"\A ?-?[0-9]{0,14}(\.[0-9]{0,5})? ?\Z"),
    ),
    st.sampled_from([(2, 12), (3, 9), (0, 12)]),
)
def test_amounts_and_quantities_scale_as_the_exact_decimal_path_does(
    value: object, scale: tuple[int, int]
) -> None:
    """The plain-number shortcut gives the exact path's integer, or leaves the cell to it."""
    from perucompras.detailed_export import _exactly_scaled, _scaled

    decimals, digits = scale
    exact = _scaled_outcome(_exactly_scaled, value, decimals, digits)
    assert _scaled_outcome(_scaled, value, decimals, digits) == exact
