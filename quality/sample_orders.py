"""Clean normalised order tables built in memory, for tests and timing of the quality gate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from perucompras.ruc import make_rucs

_AGREEMENTS = (
    ("COMPUTADORAS DE ESCRITORIO, COMPUTADORAS PORTÁTILES  Y ESCÁNERES", "EXT-CE-2024-2"),
    ("LLANTAS, NEUMÁTICOS Y ACCESORIOS", "EXT-CE-2022-5"),
    ("ÚTILES DE ESCRITORIO, PAPELES Y CARTONES", "EXT-CE-2021-7"),
)


def _iso(moments: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(moments.astype("datetime64[s]"), unit="s")
    return np.char.add(text.astype(str), "-05:00").astype(object)


def _raw(moments: np.ndarray) -> list[str]:
    return [text.replace("T", " ") for text in np.datetime_as_string(moments, unit="s").tolist()]


def _money_text(cents: np.ndarray) -> list[str]:
    return [f"{value // 100}.{value % 100:02d}" for value in cents.tolist()]


def clean_orders(rows: int, day: dt.date = dt.date(2025, 12, 31), seed: int = 7) -> pa.Table:
    """Return ``rows`` valid orders formalised on ``day`` with every normalised column."""
    rng = np.random.default_rng(seed)
    sequence = np.arange(rows)
    entity = rng.integers(1, 900, rows)
    order_id = np.char.add(
        np.char.add(f"OCAM-{day.year}-", entity.astype(str)),
        np.char.add("-", (sequence + 1).astype(str)),
    )
    order_number = np.char.add(order_id, "-0")
    start = np.datetime64(day.isoformat() + "T00:00:00")
    formalized = start + rng.integers(0, 86_400, rows).astype("timedelta64[s]")
    last_status = formalized + rng.integers(0, 3_600, rows).astype("timedelta64[s]")
    process = np.full(rows, start + np.timedelta64(2, "D") + np.timedelta64(8, "h"))
    subtotal = rng.integers(1_000, 5_000_000, rows).astype(np.int64)
    igv = (subtotal * 1800 + 5000) // 10000
    igv[sequence % 25 == 3] = 0
    total = subtotal + igv
    agreement = rng.integers(0, len(_AGREEMENTS), rows)
    statuses = np.array(["ACEPTADA", "PAGADA", "RESUELTA"], dtype=object)
    procedures = np.array(["Compra ordinaria", "Gran Compra"], dtype=object)
    url = "https://apps1.perucompras.gob.pe//OrdenCompra/obtenerPdfOrdenPublico?ID_OrdenCompra="
    columns = {
        "source_file": pa.array([f"ReportePCBienes{day:%Y%m}.csv"] * rows, pa.string()),
        "source_line": pa.array(sequence + 2, pa.int64()),
        "process_time": pa.array(_iso(process), pa.string()),
        "supplier_ruc": pa.array(make_rucs(np.full(rows, 20), rng.integers(0, 10**8, rows))),
        "supplier_name": pa.array([f"PROVEEDOR {i % 97} S.A.C." for i in range(rows)]),
        "buyer_ruc": pa.array(make_rucs(np.full(rows, 20), entity * 1000 + 7)),
        "buyer_name": pa.array([f"ENTIDAD {i}" for i in entity.tolist()]),
        "procedure_type": pa.array(procedures[(sequence % 14 == 0).astype(int)], pa.string()),
        "order_number": pa.array(order_number.astype(object), pa.string()),
        "order_id": pa.array(order_id.astype(object), pa.string()),
        "delivery_number": pa.array(np.zeros(rows, dtype=np.int32), pa.int32()),
        "order_pdf_url": pa.array(np.char.add(url, (sequence + 3_400_000).astype(str)).tolist()),
        "status": pa.array(statuses[sequence % 3], pa.string()),
        "status_document_url": pa.nulls(rows, pa.string()),
        "formalized_at": pa.array(_iso(formalized), pa.string()),
        "last_status_at": pa.array(_iso(last_status), pa.string()),
        "subtotal_cents": pa.array(subtotal, pa.int64()),
        "igv_cents": pa.array(igv, pa.int64()),
        "total_cents": pa.array(total, pa.int64()),
        "digitized_order_url": pa.nulls(rows, pa.string()),
        "status_description": pa.nulls(rows, pa.string()),
        "rights_assignment_description": pa.nulls(rows, pa.string()),
        "agreement_raw": pa.array([_AGREEMENTS[i][0] for i in agreement.tolist()], pa.string()),
        "agreement_code": pa.array([_AGREEMENTS[i][1] for i in agreement.tolist()], pa.string()),
        "agreement_name": pa.array(
            [" ".join(_AGREEMENTS[i][0].split()) for i in agreement.tolist()], pa.string()
        ),
        "raw_process_time": pa.array(_raw(process), pa.string()),
        "raw_formalized_at": pa.array(_raw(formalized), pa.string()),
        "raw_last_status_at": pa.array(_raw(last_status), pa.string()),
        "raw_subtotal": pa.array(_money_text(subtotal), pa.string()),
        "raw_igv": pa.array(_money_text(igv), pa.string()),
        "raw_total": pa.array(_money_text(total), pa.string()),
    }
    return pa.table(columns)


def with_values(table: pa.Table, column: str, updates: dict[int, object]) -> pa.Table:
    """Return ``table`` with ``column`` set to the given values at the given row positions."""
    values = table.column(column).to_pylist()
    for position, value in updates.items():
        values[position] = value
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(values, table.schema.field(column).type))


# (column, row position, bad value, rule id expected to catch it)
DEFECTS: tuple[tuple[str, int, object, str], ...] = (
    ("order_number", 1, None, "order_number.not_null"),
    ("supplier_ruc", 2, None, "supplier_ruc.not_null"),
    ("buyer_ruc", 3, "   ", "buyer_ruc.not_null"),
    ("formalized_at", 4, None, "formalized_at.not_null"),
    ("supplier_ruc", 5, "20100186171", "supplier_ruc.ruc_valid"),
    ("buyer_ruc", 6, "2010018617", "buyer_ruc.ruc_valid"),
    ("supplier_ruc", 7, "30100186170", "supplier_ruc.ruc_valid"),
    ("status", 8, "ANULADA", "status.known"),
    ("status", 9, None, "status.known"),
    ("procedure_type", 10, "Subasta", "procedure_type.known"),
    ("last_status_at", 11, "2025-12-30T23:59:59-05:00", "last_status_at.not_before_formalized"),
    ("process_time", 12, "2025-12-31T00:00:00-05:00", "process_time.not_before_last_status"),
    ("formalized_at", 13, "2025-12-31 10:00:00", "formalized_at.iso_datetime"),
    ("total_cents", 14, 1, "total_cents.sum"),
    ("agreement_code", 15, None, "agreement_code.known"),
    ("igv_cents", 16, None, "igv_cents.not_null"),
    ("order_pdf_url", 23, "orden.pdf", "order_pdf_url.url"),
    ("status_document_url", 24, "ftp://servidor/doc.pdf", "status_document_url.url"),
    ("digitized_order_url", 25, "https:/sin-servidor", "digitized_order_url.url"),
)


def planted_defects(day: dt.date = dt.date(2025, 12, 31)) -> tuple[pa.Table, dict[int, str]]:
    """Return 60 orders with one defect of every kind planted, and source_line -> rule id of
    the rows a blocking rule quarantines (``planted_warnings`` gives the rest)."""
    table, planted = _planted(day)
    return table, {line: rule for line, rule in planted.items() if _blocks(rule)}


def planted_warnings(day: dt.date = dt.date(2025, 12, 31)) -> dict[int, str]:
    """source_line -> rule id of the planted rows published with a warning (not quarantined)."""
    _, planted = _planted(day)
    return {line: rule for line, rule in planted.items() if not _blocks(rule)}


def _blocks(rule_id: str) -> bool:
    from quality.rules import RULES_BY_ID

    return RULES_BY_ID[rule_id].severity == "block"


def _planted(day: dt.date) -> tuple[pa.Table, dict[int, str]]:
    """The 60 orders with every planted defect, and source_line -> rule id of each."""
    table = clean_orders(60, day)
    lines = table.column("source_line").to_pylist()
    expected: dict[int, str] = {}

    def amounts(position: int, subtotal: int, igv: int, rule_id: str) -> None:
        nonlocal table
        table = with_values(table, "subtotal_cents", {position: subtotal})
        table = with_values(table, "igv_cents", {position: igv})
        table = with_values(table, "total_cents", {position: subtotal + igv})
        expected[lines[position]] = rule_id

    for column, position, value, rule_id in DEFECTS:
        table = with_values(table, column, {position: value})
        expected[lines[position]] = rule_id
    subtotal = table.column("subtotal_cents")[17].as_py()
    amounts(17, subtotal, (subtotal * 1800 + 5000) // 10000 + 2, "igv_cents.not_above_rate")
    amounts(18, 0, 0, "subtotal_cents.positive")
    amounts(19, table.column("subtotal_cents")[19].as_py(), -5, "igv_cents.non_negative")
    duplicate = table.column("order_number")[20].as_py()
    table = with_values(table, "order_number", {21: duplicate, 22: duplicate})
    for position in (20, 21, 22):
        expected[lines[position]] = "order_number.unique"
    return table, expected
