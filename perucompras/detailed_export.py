"""Reader for the "Detallado" XLSX export of PERÚ COMPRAS' public order search (ConsultaOrdenesPub).

The portal writes one sheet (``DatosAbiertos``) with title rows above the header and one row per
product and *electronic order* ``OCAM-YYYY-entity-seq-n``: ``n = 0`` is the order itself (one row
per product: the product's total quantity, subtotal and IGV, the unit price usually 0.00 and no
delivery data), ``n = 1, 2, …`` are its deliveries (one row per product delivered: quantity, unit
price, subtotal, IGV, window and place). Only delivery rows become lines; order rows are checked
against them (per product, per delivery and per order, to the cent) and summarised in ``parents``,
so nothing is counted twice. The header row is found by its column names (accents, case, spaces,
punctuation and the line breaks the portal puts inside some names are ignored), never assumed.
Rows with a problem are quarantined with the file's row number, the column and the raw value; an
order's details are kept whole or not at all. Format and evidence: docs/source-formats.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from integrity.manifest import sha256_file as file_digest
from messages import text
from perucompras.quarantine import (
    MESSAGE_SEPARATOR,
    QUARANTINE_SCHEMA,
    Param,
    quoted,
    render_column,
)
from perucompras.reader import ORDER_NUMBER_PATTERN, source_block
from perucompras.xlsx_rows import WorkbookError, iter_sheets

FILE_PREFIX = "ReportePCDetalle"
FILE_SUFFIX = ".xlsx"
FILE_NAME = f"{FILE_PREFIX}YYYYMM{FILE_SUFFIX}"
FILE_NAME_PATTERN = re.compile(
    rf"^{FILE_PREFIX}(?P<year>[0-9]{{4}})(?P<month>[0-9]{{2}})(?:[-_][^/]*)?\{FILE_SUFFIX}$",
    re.IGNORECASE,
)
PORTAL_FILE_NAME = "DatosAbiertos.xlsx"
SHEET_NAME = "DatosAbiertos"
TITLE = "Datos Abiertos Reporte Detallado de Ordenes"
HEADER_SCAN_ROWS = 30
HEADER_MIN_KNOWN = 4
QUANTITY_SCALE = 1000
QUANTITY_DECIMALS = 3
# integer digits accepted: sums of a month's cents and thousandths stay far inside int64
AMOUNT_DIGITS = 12
QUANTITY_DIGITS = 9
LIMA_OFFSET = "-05:00"
CHUNK_ROWS = 2_048
ORDER_ROW = 0
RAW_SEPARATOR = ";"


@dataclass(frozen=True)
class SourceColumn:
    """One column of the export: its header, the field it is read into, whether it must exist."""

    header: str
    field: str | None = None
    required: bool = False


# The 54 columns in the portal's order. ``field`` None: known but not read (Usuario Creación OC
# holds a DNI and an IP address: personal data, never read).
EXPORT_COLUMNS: tuple[SourceColumn, ...] = (
    SourceColumn("Nro"),
    SourceColumn("Código Acuerdo Marco", "agreement_label"),
    SourceColumn("Ruc Proveedor", "supplier_ruc"),
    SourceColumn("Razón Social Proveedor", "supplier_name"),
    SourceColumn("Ruc Entidad", "buyer_ruc"),
    SourceColumn("Razón Social Entidad", "buyer_name"),
    SourceColumn("Unidad Ejecutora", "executing_unit"),
    SourceColumn("Procedimiento", "procedure"),
    SourceColumn("Tipo de Compra", "purchase_type"),
    SourceColumn("Orden Electrónica", "source_order_number", True),
    SourceColumn("Estado de la Orden Electrónica", "status"),
    SourceColumn("Link Documento Estado"),
    SourceColumn("Total Entregas", "declared_deliveries"),
    SourceColumn("Nro. Documento Estado"),
    SourceColumn("Nro Orden Física", "physical_order_number"),
    SourceColumn("Fecha Documento Estado"),
    SourceColumn("Fecha Ultimo Estado OC", "status_date"),
    SourceColumn("Sub Total Orden Electrónica", "order_subtotal_cents"),
    SourceColumn("IGV Orden Electrónica", "order_igv_cents"),
    SourceColumn("Total Orden Electrónica", "order_total_cents", True),
    SourceColumn("Orden Digitalizada"),
    SourceColumn("Informe Sustento"),
    SourceColumn("Estado Motivo"),
    SourceColumn("Estado Descripción"),
    SourceColumn("Fecha Publicación", "published_date"),
    SourceColumn("Fecha Aceptación", "accepted_date"),
    SourceColumn("Cesión Descripción"),
    SourceColumn("Usuario Creación OC"),
    SourceColumn("Acuerdo Marco", "agreement_name"),
    SourceColumn("Ubigeo Proveedor"),
    SourceColumn("Dirección Proveedor"),
    SourceColumn("Monto Documento Estado"),
    SourceColumn("Catálogo", "catalogue"),
    SourceColumn("Categoría", "category"),
    SourceColumn("Descripción Ficha Producto", "product_description", True),
    SourceColumn("Marca Ficha Producto", "brand"),
    SourceColumn("Nro. Parte", "part_number"),
    SourceColumn("Link Ficha Producto", "product_sheet_url"),
    SourceColumn("Monto Flete Unitario", "unit_freight_cents"),
    SourceColumn("Nro. Entrega", "delivery_number", True),
    SourceColumn("Fecha Inicio Entrega", "delivery_start", True),
    SourceColumn("Plazo Entrega", "delivery_days", True),
    SourceColumn("Fecha Fin Entrega", "delivery_end", True),
    SourceColumn("Ubigeo Entrega", "ubigeo"),
    SourceColumn("Dep. Entrega", "department", True),
    SourceColumn("Prov. Entrega", "province", True),
    SourceColumn("Dist. Entrega", "district", True),
    SourceColumn("Dirección Entrega", "delivery_address", True),
    SourceColumn("Cantidad Entrega", "quantity_milli", True),
    SourceColumn("Entrega afecto IGV", "igv_affected"),
    SourceColumn("Precio Unitario", "unit_price_cents", True),
    SourceColumn("Sub Total", "subtotal_cents", True),
    SourceColumn("IGV Entrega", "igv_cents", True),
    SourceColumn("Monto Total Entrega", "delivery_total_cents", True),
)
# Header cells as the portal writes them: three names carry a CR LF in the middle of a word.
PORTAL_HEADERS: tuple[str, ...] = tuple(
    {
        "Nro Orden Física": "N\r\nro Orden Física",
        "Cesión Descripción": "Cesión Descripc\r\nión",
        "Plazo Entrega": "Plaz\r\no Entrega",
    }.get(column.header, column.header)
    for column in EXPORT_COLUMNS
)
HEADER_BY_FIELD: dict[str, str] = {c.field: c.header for c in EXPORT_COLUMNS if c.field}
REQUIRED_HEADERS: tuple[str, ...] = tuple(c.header for c in EXPORT_COLUMNS if c.required)

AMOUNT_FIELDS = (
    "order_subtotal_cents",
    "order_igv_cents",
    "order_total_cents",
    "unit_freight_cents",
    "unit_price_cents",
    "subtotal_cents",
    "igv_cents",
    "delivery_total_cents",
)
TEXT_FIELDS = (
    "agreement_label",
    "supplier_ruc",
    "supplier_name",
    "buyer_ruc",
    "buyer_name",
    "executing_unit",
    "procedure",
    "purchase_type",
    "status",
    "physical_order_number",
    "agreement_name",
    "catalogue",
    "category",
    "product_description",
    "brand",
    "part_number",
    "product_sheet_url",
    "ubigeo",
    "department",
    "province",
    "district",
    "delivery_address",
    "igv_affected",
)
REQUIRED_ON_EVERY_ROW = (
    "source_order_number",
    "delivery_number",
    "product_description",
    "quantity_milli",
    "subtotal_cents",
    "igv_cents",
)
REQUIRED_ON_ORDER_ROWS = ("order_total_cents",)
REQUIRED_ON_DELIVERY_ROWS = (
    "unit_price_cents",
    "order_total_cents",
    "delivery_total_cents",
    "delivery_start",
    "delivery_end",
    "delivery_days",
    "department",
    "province",
    "district",
    "delivery_address",
)
# Read from the order rows only (every row of an order repeats them).
ORDER_FIELDS = (
    "agreement_label",
    "agreement_name",
    "buyer_ruc",
    "buyer_name",
    "executing_unit",
    "supplier_ruc",
    "supplier_name",
    "procedure",
    "purchase_type",
    "physical_order_number",
    "published_date",
    "accepted_date",
    "declared_deliveries",
)
_NO_ORDER_FIELDS = dict.fromkeys(ORDER_FIELDS)
# One value per delivery: every product row of a delivery repeats them.
DELIVERY_KEY_COLUMNS = (
    "delivery_start",
    "delivery_end",
    "delivery_days",
    "ubigeo",
    "department",
    "province",
    "district",
    "delivery_address",
)

PARSED_SCHEMA = pa.schema(
    [
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("source_order_number", pa.string()),
        ("delivery_number", pa.int32()),
        ("product_key", pa.int64()),
        ("quantity_milli", pa.int64()),
        *[(name, pa.int64()) for name in AMOUNT_FIELDS],
        ("declared_deliveries", pa.int32()),
        ("delivery_days", pa.int32()),
        ("delivery_start", pa.string()),
        ("delivery_end", pa.string()),
        ("status_date", pa.string()),
        ("published_date", pa.string()),
        ("accepted_date", pa.string()),
        *[(name, pa.string()) for name in TEXT_FIELDS],
    ]
)
LINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("source_order_number", pa.string()),
        ("delivery_number", pa.int32()),
        ("line_id", pa.string()),
        ("catalogue", pa.string()),
        ("category", pa.string()),
        ("product_description", pa.string()),
        ("brand", pa.string()),
        ("part_number", pa.string()),
        ("product_sheet_url", pa.string()),
        ("quantity", pa.string()),
        ("quantity_milli", pa.int64()),
        ("unit_price_cents", pa.int64()),
        ("unit_freight_cents", pa.int64()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("delivery_start", pa.string()),
        ("delivery_end", pa.string()),
        ("delivery_days", pa.int32()),
        ("ubigeo", pa.string()),
        ("department", pa.string()),
        ("province", pa.string()),
        ("district", pa.string()),
        ("delivery_address", pa.string()),
    ]
)
DELIVERY_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("source_order_number", pa.string()),
        ("delivery_number", pa.int32()),
        ("status", pa.string()),
        ("status_date", pa.string()),
        ("delivery_start", pa.string()),
        ("delivery_end", pa.string()),
        ("delivery_days", pa.int32()),
        ("ubigeo", pa.string()),
        ("department", pa.string()),
        ("province", pa.string()),
        ("district", pa.string()),
        ("delivery_address", pa.string()),
        ("igv_affected", pa.string()),
        ("line_count", pa.int64()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("total_cents", pa.int64()),
    ]
)
PARENT_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("agreement_label", pa.string()),
        ("agreement_name", pa.string()),
        ("buyer_ruc", pa.string()),
        ("buyer_name", pa.string()),
        ("executing_unit", pa.string()),
        ("supplier_ruc", pa.string()),
        ("supplier_name", pa.string()),
        ("procedure", pa.string()),
        ("purchase_type", pa.string()),
        ("status", pa.string()),
        ("status_date", pa.string()),
        ("physical_order_number", pa.string()),
        ("published_date", pa.string()),
        ("accepted_date", pa.string()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("total_cents", pa.int64()),
        ("product_count", pa.int64()),
        ("line_count", pa.int64()),
        ("delivery_count", pa.int64()),
        ("declared_deliveries", pa.int32()),
        ("order_rows", pa.list_(pa.int64())),
    ]
)


@dataclass(frozen=True)
class DetailFileInfo:
    """Identity of the bytes read and what they contained."""

    name: str
    sha256: str
    size: int
    sheet: str
    header_row: int
    title: dict[str, str]
    row_count: int
    order_rows: int
    delivery_rows: int
    blank_rows: int
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class DetailResult:
    """Lines, deliveries and order summaries of reconciled orders, plus quarantined rows."""

    lines: pa.Table
    deliveries: pa.Table
    parents: pa.Table
    quarantine: pa.Table
    info: DetailFileInfo


# ---------------------------------------------------------------- header


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def header_key(value: object) -> str:
    """A header cell reduced to lowercase letters and digits without accents (``nroentrega``)."""
    text = _OOXML_ESCAPE.sub(lambda match: chr(int(match[1], 16)), str(value))
    text = unicodedata.normalize("NFKD", text).casefold()
    return "".join(char for char in text if char.isalnum() and not unicodedata.combining(char))


COLUMN_BY_KEY: dict[str, SourceColumn] = {header_key(c.header): c for c in EXPORT_COLUMNS}


@dataclass
class _Header:
    """Where the header is and which sheet column holds each field."""

    row: int
    positions: dict[str, int]
    ignored: tuple[str, ...]
    title: dict[str, str]


def _title_pairs(rows: Sequence[Sequence[object]]) -> dict[str, str]:
    """``label: value`` pairs of the title rows (``Acuerdo Marco: …``, ``Fecha Inicial: …``)."""
    pairs: dict[str, str] = {}
    for row in rows:
        cells = [cell_text(value).strip() for value in row]
        if len([cell for cell in cells if cell]) == 1 and not pairs:
            pairs["Título"] = next(cell for cell in cells if cell)
            continue
        for index, cell in enumerate(cells):
            if cell.endswith(":"):
                value = cells[index + 1] if index + 1 < len(cells) else ""
                pairs[cell.rstrip(":").strip()] = value
    return pairs


def _column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _match_header(
    name: str, number: int, row: Sequence[object], above: list[Sequence[object]], lang: str
) -> _Header:
    """Map a header row to fields; a missing required or repeated column is a file error."""
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    ignored: list[str] = []
    for index, value in enumerate(row):
        text = cell_text(value)
        column = COLUMN_BY_KEY.get(header_key(text)) if text.strip() else None
        if column is None:
            if text.strip():
                ignored.append(text.strip())
            continue
        if column.header in seen:
            raise source_block(
                name,
                "source.xlsx_duplicate_column",
                "source.duplicate_columns_fix",
                [(column.header, 2)],
                lang,
                column=repr(column.header),
                row=number,
                first=_column_letter(seen[column.header]),
                second=_column_letter(index),
            )
        seen[column.header] = index
        if column.field:
            positions[column.field] = index
    missing = [header for header in REQUIRED_HEADERS if header not in seen]
    if missing:
        raise source_block(
            name,
            "source.xlsx_missing_columns",
            "source.xlsx_fix",
            Counter(ignored).most_common(3) or [(m, 1) for m in missing[:3]],
            lang,
            row=number,
            missing=", ".join(repr(m) for m in missing),
        )
    return _Header(number, positions, tuple(ignored), _title_pairs(above))


def _find_header(
    name: str, rows: Iterator[tuple[int, Sequence[object]]], lang: str = "es"
) -> _Header | None:
    """Scan the first rows for the header: the first row naming enough known columns."""
    above: list[Sequence[object]] = []
    for number, row in rows:
        keys = {header_key(v) for v in row if isinstance(v, str) and v.strip()}
        if len(keys & COLUMN_BY_KEY.keys()) >= HEADER_MIN_KNOWN:
            return _match_header(name, number, row, above, lang)
        above.append(row)
        if number >= HEADER_SCAN_ROWS:
            break
    return None


# ---------------------------------------------------------------- cells


def cell_text(value: object) -> str:
    """A cell as text: numbers as their shortest decimal (``301592.04``), blanks as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _CellError(Exception):
    """A cell that cannot be read as its column's type: the rule and the catalogue text."""

    def __init__(self, rule: str, key: str, value: object, **params: object) -> None:
        super().__init__(rule)
        self.rule = rule
        self.key = key
        self.value = cell_text(value)
        self.params = params


@dataclass(frozen=True)
class _Problem:
    """One problem of a row: column header, rule, raw value and its catalogue text."""

    header: str
    rule: str
    value: str
    key: str
    params: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The message in ``lang``: the column, the raw value, the rule and the fix (a
        parameter that is itself a ``cell.`` key is rendered in ``lang`` too)."""
        params = {
            name: text(value, lang)
            if isinstance(value, str) and value.startswith("cell.")
            else value
            for name, value in self.params.items()
        }
        return text(self.key, lang, column=self.header, value=f'"{self.value}"', **params)


_DECIMAL_TEXT = re.compile(r"^[0-9]+(?:\.[0-9]*)?$")
_INTEGER_TEXT = re.compile(r"^[0-9]{1,9}$")
_DATE_TEXT = re.compile(
    r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"
    r"(?: (?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<ss>[0-9]{2}))?)?$"
)


def _plain_scaled(text: str, decimals: int, digits: int) -> int | None:
    """``_scaled`` of a plain ``digits[.digits]`` text within range and precision; None for
    anything else (left to the exact path, which also words the problem)."""
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(fraction) > decimals or (fraction and not fraction.isdigit()):
        return None
    units = int(whole)
    if units >= 10**digits:
        return None
    return units * 10**decimals + (int(fraction.ljust(decimals, "0")) if decimals else 0)


def _scaled(value: object, decimals: int, kind: str, digits: int) -> int:
    """A non-negative decimal cell below 10**digits -> integer scaled by 10**decimals (exact)."""
    if type(value) is int and 0 <= value < 10**digits:
        return value * 10**decimals
    if type(value) is float and (plain := _plain_scaled(repr(value), decimals, digits)) is not None:
        return plain
    return _exactly_scaled(value, decimals, kind, digits)


def _exactly_scaled(value: object, decimals: int, kind: str, digits: int) -> int:
    """``_scaled`` through ``Decimal``."""

    def unparseable() -> _CellError:
        return _CellError(f"{kind}_unparseable", f"cell.{kind}_unparseable", value)

    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise unparseable()
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        stripped = value.strip()
        if not _DECIMAL_TEXT.match(stripped):
            raise unparseable()
        number = Decimal(stripped)
    if not number.is_finite() or number < 0:
        raise unparseable()
    if number >= 10**digits:
        raise _CellError(f"{kind}_too_large", f"cell.{kind}_too_large", value, digits=digits)
    scaled = number.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise _CellError(f"{kind}_precision", f"cell.{kind}_precision", value, decimals=decimals)
    return int(scaled)


def parse_amount(value: object) -> int:
    """An amount cell (number or text, at most 2 decimals, no sign) -> integer cents."""
    return _scaled(value, 2, "amount", AMOUNT_DIGITS)


def parse_quantity(value: object) -> int:
    """A quantity cell (at most 3 decimals) -> thousandths."""
    return _scaled(value, QUANTITY_DECIMALS, "quantity", QUANTITY_DIGITS)


def parse_count(value: object, rule: str, what: str) -> int:
    """A whole non-negative number (``Nro. Entrega``, ``Plazo Entrega``)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    if isinstance(value, float) and value.is_integer() and 0 <= value < 10**9:
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value.strip())
    raise _CellError(rule, "cell.count_format", value, what=what)


def parse_date(value: object) -> tuple[dt.date, dt.time | None]:
    """``DD/MM/YYYY`` (optionally ``HH:MM[:SS]``) text or a date cell -> (date, time or None)."""
    if isinstance(value, dt.datetime):
        return value.date(), (value.time() if value.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    match = _DATE_TEXT.match(value.strip()) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        clock = None
        if match["hh"] is not None:
            clock = dt.time(int(match["hh"]), int(match["mi"]), int(match["ss"] or 0))
    except ValueError:
        raise _CellError("date_unparseable", "cell.xlsx_date_unparseable", value) from None
    return day, clock


def _iso(day: dt.date, clock: dt.time) -> str:
    return f"{day.isoformat()}T{clock.isoformat(timespec='seconds')}{LIMA_OFFSET}"


_ORDER_NUMBER = re.compile(ORDER_NUMBER_PATTERN)
_FORMULA_FIELDS = ("quantity_milli", "unit_price_cents", "subtotal_cents")
_END_OF_DAY = dt.time(23, 59, 59)


def _parse_delivery_number(value: object) -> int:
    return parse_count(value, "delivery_number_format", "cell.what_delivery_number")


def _parse_days(value: object) -> int:
    return parse_count(value, "delivery_days_format", "cell.what_days")


def _parse_deliveries(value: object) -> int:
    return parse_count(value, "delivery_count_format", "cell.what_deliveries")


def _text_value(value: object) -> str:
    return (value if isinstance(value, str) else cell_text(value)).strip()


# field -> parser (a _CellError names the rule); text fields are only stripped
_PARSERS: dict[str, Any] = {
    **dict.fromkeys(TEXT_FIELDS, _text_value),
    "source_order_number": _text_value,
    **dict.fromkeys(AMOUNT_FIELDS, parse_amount),
    "quantity_milli": parse_quantity,
    "delivery_number": _parse_delivery_number,
    "delivery_days": _parse_days,
    "declared_deliveries": _parse_deliveries,
    **dict.fromkeys(
        ("delivery_start", "delivery_end", "status_date", "published_date", "accepted_date"),
        parse_date,
    ),
}


_UNKNOWN = object()


class _RowReader:
    """Parse data rows into typed values; collect problems per row.

    A month's cells repeat (dates, prices, quantities written as text): each non-text field
    keeps what its parser returned for each ``str`` and ``float`` cell (parsers are pure
    functions of the cell; equal floats parse alike as numbers, ``-0.0`` and ``0.0``
    included), and a cell that raises is parsed again every time (so every row gets its
    problem). Text fields only strip (a float's text is not cached: ``-0.0`` is not ``0.0``).
    """

    def __init__(self, header: _Header) -> None:
        """Columns of ``header``."""
        self.positions = header.positions
        # text fields never have a problem: read apart, in a tighter loop
        self.text = [
            (name, header.positions[name])
            for name, parse in _PARSERS.items()
            if name in header.positions and parse is _text_value
        ]
        self.present: list[tuple[str, int, Any, tuple[dict[Any, Any], dict[Any, Any]]]]
        self.present = [
            (name, header.positions[name], parse, ({}, {}))
            for name, parse in _PARSERS.items()
            if name in header.positions and parse is not _text_value
        ]
        self.absent = [name for name in _PARSERS if name not in header.positions]

    def parse(self, row: Sequence[object]) -> tuple[dict[str, Any], list[_Problem]]:
        """(typed values, problems) of one data row."""
        values: dict[str, Any] = dict.fromkeys(self.absent)
        problems: list[_Problem] = []
        raw: dict[str, object] = {}
        size = len(row)
        for name, index in self.text:
            cell = row[index] if index < size else None
            if type(cell) is str:
                stripped = cell.strip()
                if stripped:
                    raw[name] = cell
                    values[name] = stripped  # ``_text_value``
                else:
                    values[name] = None
            elif cell is None or (isinstance(cell, str) and not cell.strip()):
                values[name] = None
            else:
                raw[name] = cell
                values[name] = _text_value(cell)
        known: dict[Any, Any] | None
        for name, index, parse, (strings, floats) in self.present:
            cell = row[index] if index < size else None
            if cell is None:
                values[name] = None
                continue
            kind = type(cell)
            if kind is str:
                if not str.strip(cell):  # type: ignore[arg-type]
                    values[name] = None
                    continue
                raw[name] = cell
                known = strings
            elif isinstance(cell, str) and not cell.strip():
                values[name] = None
                continue
            else:
                raw[name] = cell
                known = floats if kind is float else None
            if known is not None:
                found = known.get(cell, _UNKNOWN)
                if found is not _UNKNOWN:
                    values[name] = found
                    continue
            try:
                values[name] = parsed = parse(cell)
            except _CellError as error:
                values[name] = None
                problems.append(
                    _Problem(
                        HEADER_BY_FIELD[name], error.rule, error.value, error.key, error.params
                    )
                )
                continue
            if known is not None:
                known[cell] = parsed

        number = values["source_order_number"]
        parts = _ORDER_NUMBER.match(number) if number else None
        values["order_id"] = parts["order_id"] if parts else None
        if number and parts is None:
            problems.append(
                _Problem(
                    HEADER_BY_FIELD["source_order_number"],
                    "order_number_format",
                    number,
                    "cell.order_number_format",
                )
            )
        delivery = values["delivery_number"]
        if parts and delivery is not None and int(parts["delivery"]) != delivery:
            problems.append(
                _Problem(
                    HEADER_BY_FIELD["delivery_number"],
                    "delivery_number_mismatch",
                    cell_text(raw["delivery_number"]),
                    "cell.delivery_number_mismatch",
                    {"expected": parts["delivery"], "order": f'"{number}"'},
                )
            )
        required = REQUIRED_ON_EVERY_ROW + (
            REQUIRED_ON_ORDER_ROWS if delivery == ORDER_ROW else REQUIRED_ON_DELIVERY_ROWS
        )
        for name in required:
            if values[name] is None and name not in raw:
                problems.append(
                    _Problem(HEADER_BY_FIELD[name], "required_missing", "", "cell.required_missing")
                )
        if delivery and values["quantity_milli"] == 0:
            problems.append(
                _Problem(
                    HEADER_BY_FIELD["quantity_milli"],
                    "quantity_zero",
                    cell_text(raw.get("quantity_milli")),
                    "cell.quantity_zero",
                )
            )
        start, end = values["delivery_start"], values["delivery_end"]
        if start and end and end[0] < start[0]:
            problems.append(
                _Problem(
                    HEADER_BY_FIELD["delivery_end"],
                    "delivery_dates_order",
                    cell_text(raw.get("delivery_end")),
                    "cell.delivery_dates_order",
                    {"end": end[0].isoformat(), "start": start[0].isoformat()},
                )
            )
        quantity, price, subtotal = (
            values["quantity_milli"],
            values["unit_price_cents"],
            values["subtotal_cents"],
        )
        if (
            delivery
            and quantity is not None
            and price is not None
            and subtotal is not None
            and (quantity * price + QUANTITY_SCALE // 2) // QUANTITY_SCALE != subtotal
        ):
            shown = {name: cell_text(raw.get(name)) for name in _FORMULA_FIELDS}
            problems.append(
                _Problem(
                    HEADER_BY_FIELD["subtotal_cents"],
                    "line_amount_mismatch",
                    shown["subtotal_cents"],
                    "cell.line_amount_mismatch",
                    {"quantity": shown["quantity_milli"], "price": shown["unit_price_cents"]},
                )
            )
        return values, problems


_DATE_FIELDS = ("delivery_start", "delivery_end", "status_date", "published_date", "accepted_date")
_PARSED_ROW = operator.itemgetter(*PARSED_SCHEMA.names)


def _finished_date(name: str, parsed: tuple[dt.date, dt.time | None]) -> str:
    """A (date, time) pair -> ISO 8601 text: windows as whole Lima days (from the start of the
    first day to the end of the last), the status date with its time, other dates as dates."""
    day, clock = parsed
    if name == "delivery_start":
        return _iso(day, dt.time())
    if name == "delivery_end":
        return _iso(day, _END_OF_DAY)
    if name == "status_date":
        return _iso(day, clock or dt.time())
    return day.isoformat()


def _product_text(values: dict[str, Any]) -> str:
    """Part number, description and brand joined by ``\\x1f`` (blanks as ``""``)."""
    get = values.get
    return (
        f"{get('part_number') or ''}\x1f{get('product_description') or ''}\x1f{get('brand') or ''}"
    )


def _product_key(values: dict[str, Any]) -> int:
    """A 64-bit key of the product (part number, description, brand) for grouping rows."""
    return int.from_bytes(
        hashlib.blake2b(_product_text(values).encode(), digest_size=8).digest(),
        "big",
        signed=True,
    )


# ---------------------------------------------------------------- workbook


def _open_rows(
    path: Path, lang: str = "es"
) -> Iterator[tuple[str, Iterator[tuple[int, Sequence[object]]]]]:
    """(sheet name, numbered rows) of every worksheet, streamed."""
    try:
        yield from iter_sheets(path)
    except WorkbookError as error:
        raise source_block(
            path.name, "source.xlsx_unreadable", "source.xlsx_fix", [], lang, error=str(error)
        ) from error


def raw_row(row: Sequence[object]) -> str:
    """The row's cells as text joined by ``;`` (trailing blanks dropped)."""
    cells = [cell_text(value) for value in row]
    while cells and not cells[-1]:
        cells.pop()
    return RAW_SEPARATOR.join(cells)


@dataclass
class _Collected:
    """Parsed good rows (in Arrow chunks) and row-level quarantine of one pass over the sheet."""

    source_file: str
    lang: str = "es"
    chunks: list[pa.Table] = field(default_factory=list)
    pending: list[tuple[Any, ...]] = field(default_factory=list)  # PARSED_SCHEMA's order
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    bad_orders: dict[str, tuple[int, str]] = field(default_factory=dict)
    rows: int = 0
    order_rows: int = 0
    delivery_rows: int = 0
    blank_rows: int = 0
    # repeated values' derived forms: product text -> key, (field, parsed date) -> ISO text
    product_keys: dict[str, int] = field(default_factory=dict)
    iso_dates: dict[tuple[str, Any], str] = field(default_factory=dict)
    iso_by_field: dict[str, dict[Any, str | None]] = field(default_factory=dict)

    def add(self, number: int, values: dict[str, Any]) -> None:
        """Keep one parsed row (order-level fields only from order rows: they repeat)."""
        if values["delivery_number"] != ORDER_ROW:
            values.update(_NO_ORDER_FIELDS)
        values["source_line"] = number
        values["order_number"] = f"{values['order_id']}-{ORDER_ROW}"
        text = _product_text(values)
        key = self.product_keys.get(text)
        if key is None:
            key = self.product_keys[text] = _product_key(values)
        values["product_key"] = key
        iso = self.iso_dates
        for name in _DATE_FIELDS:
            parsed = values[name]
            if parsed:
                found = iso.get((name, parsed))
                if found is None:
                    found = iso[(name, parsed)] = _finished_date(name, parsed)
                values[name] = found
            else:
                values[name] = None
        self.pending.append(_PARSED_ROW(values))
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()

    def reject(
        self, number: int, row: Sequence[object], order_id: str | None, problems: list[_Problem]
    ) -> None:
        """Quarantine one row with its first problem (every message kept)."""
        first = problems[0]
        self.quarantine.append(
            {
                "source_file": self.source_file,
                "source_line": number,
                "field": first.header,
                "rule": first.rule,
                "value": first.value,
                "message": MESSAGE_SEPARATOR.join(p.text(self.lang) for p in problems),
                "raw_row": raw_row(row),
            }
        )
        if order_id and order_id not in self.bad_orders:
            self.bad_orders[order_id] = (number, first.rule)

    def flush(self) -> None:
        """Move pending rows into an Arrow chunk."""
        if self.pending:
            columns = [list(column) for column in zip(*self.pending, strict=True)]
            self.chunks.append(pa.table(columns, schema=PARSED_SCHEMA))
            self.pending = []

    def table(self) -> pa.Table:
        """Every kept row."""
        self.flush()
        return pa.concat_tables(self.chunks) if self.chunks else PARSED_SCHEMA.empty_table()


def _collect_rowwise(
    name: str,
    header: _Header,
    rows: Iterator[tuple[int, Sequence[object]]],
    lang: str,
    between: Callable[[], object] | None = None,
) -> _Collected:
    """Parse every data row below the header, one row at a time (the reference ``_collect``
    must match: the tests compare them); ``between``: called every ``CHUNK_ROWS`` rows."""
    reader = _RowReader(header)
    collected = _Collected(name, lang)
    for count, (number, row) in enumerate(rows, 1):
        if between is not None and count % CHUNK_ROWS == 0:
            between()
        if all(_blank(value) for value in row):
            collected.blank_rows += 1
            continue
        collected.rows += 1
        values, problems = reader.parse(row)
        if values["delivery_number"] == ORDER_ROW:
            collected.order_rows += 1
        elif values["delivery_number"] is not None:
            collected.delivery_rows += 1
        if problems:
            collected.reject(number, row, values["order_id"], problems)
        else:
            collected.add(number, values)
    return collected


def _collect(
    name: str,
    header: _Header,
    rows: Iterator[tuple[int, Sequence[object]]],
    lang: str,
    between: Callable[[], object] | None = None,
) -> _Collected:
    """Parse every data row below the header: ``_collect_rowwise``'s result, column by column
    over batches of rows (see ``_collect_batch``); ``between``: called before each batch."""
    reader = _RowReader(header)
    collected = _Collected(name, lang)
    batch: list[tuple[int, Sequence[object]]] = []
    for number, row in rows:
        if _blank_row(row):
            collected.blank_rows += 1
            continue
        batch.append((number, row))
        if len(batch) >= CHUNK_ROWS:
            if between is not None:
                between()
            _collect_batch(reader, collected, batch)
            batch = []
    if batch:
        _collect_batch(reader, collected, batch)
    collected.flush()
    return collected


def _blank_row(row: Sequence[object]) -> bool:
    # a row whose first cell holds something is not blank: the full check only otherwise
    return (not row or _blank(row[0])) and all(_blank(value) for value in row)


def _text_cell(cell: object) -> str | None:
    """A text field's value as ``_RowReader.parse`` reads it (blank: None)."""
    if type(cell) is str:
        return cell.strip() or None
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    return _text_value(cell)


def _parse_column(
    cells: Sequence[object], parse: Any, known: dict[Any, Any], suspect: set[int]
) -> list[Any]:
    """``parse`` of every cell (blank: None); a cell that raises gives None and its row
    position goes into ``suspect``. ``known`` keeps the parsed value of each cell seen (None
    for None and blank strings): parsers are pure, and equal numbers parse alike (an ``int`` and the
    equal ``float`` to the same value, as every parser checks the number, not its type), except
    ``bool`` cells, which always fail and are never looked up."""
    get = known.get
    values = [_UNKNOWN if type(cell) is bool else get(cell, _UNKNOWN) for cell in cells]
    position = 0
    while True:
        try:
            position = values.index(_UNKNOWN, position)
        except ValueError:
            return values
        cell = cells[position]
        value: Any = known.get(cell, _UNKNOWN) if type(cell) is not bool else _UNKNOWN
        if value is not _UNKNOWN:  # parsed earlier in this batch
            pass
        elif cell is None or (isinstance(cell, str) and not cell.strip()):
            value = None
            if cell is None or type(cell) is str:
                known[cell] = None
        else:
            try:
                value = parse(cell)
            except _CellError:
                value = None
                suspect.add(position)
            else:
                if type(cell) is not bool:
                    known[cell] = value
        values[position] = value
        position += 1


def _collect_batch(
    reader: _RowReader, collected: _Collected, batch: list[tuple[int, Sequence[object]]]
) -> None:
    """Parse a batch of non-blank rows into ``collected`` as ``_collect_rowwise`` does: each
    column at once, then the row rules over the columns. A row that breaks a rule (or whose
    cell raised) is parsed again by ``_RowReader.parse``, which words its problems."""
    size = len(batch)
    collected.rows += size
    positions = reader.positions
    width = max(positions.values()) + 1
    padding = (None,) * width
    padded = [row if len(row) >= width else (*row, *padding[len(row) :]) for _, row in batch]
    sheet_columns = list(zip(*padded, strict=False)) if padded else []
    values: dict[str, list[Any]] = {name: [None] * size for name in reader.absent}
    for name, index in reader.text:
        values[name] = [
            (cell.strip() or None) if type(cell) is str else _text_cell(cell)
            for cell in sheet_columns[index]
        ]
    suspect: set[int] = set()
    for name, index, parse, (known, _) in reader.present:
        values[name] = _parse_column(sheet_columns[index], parse, known, suspect)

    number_column = values["source_order_number"]
    delivery_column = values["delivery_number"]
    order_ids: list[str | None] = [None] * size
    match = _ORDER_NUMBER.match
    every_row = [values[name] for name in REQUIRED_ON_EVERY_ROW]
    on_orders = [values[name] for name in REQUIRED_ON_ORDER_ROWS]
    on_deliveries = [values[name] for name in REQUIRED_ON_DELIVERY_ROWS]
    quantities, prices, subtotals = (values[name] for name in _FORMULA_FIELDS)
    starts, ends = values["delivery_start"], values["delivery_end"]
    for position in range(size):
        if position in suspect:
            continue
        number = number_column[position]
        parts = match(number) if number else None
        delivery = delivery_column[position]
        if (
            parts is None
            or delivery is None
            or int(parts["delivery"]) != delivery
            or any(column[position] is None for column in every_row)
            or any(
                column[position] is None
                for column in (on_orders if delivery == ORDER_ROW else on_deliveries)
            )
        ):
            suspect.add(position)
            continue
        order_ids[position] = parts["order_id"]
        if delivery:
            quantity = quantities[position]
            if quantity == 0:
                suspect.add(position)
                continue
            price, subtotal = prices[position], subtotals[position]
            if (
                price is not None
                and (quantity * price + QUANTITY_SCALE // 2) // QUANTITY_SCALE != subtotal
            ):
                suspect.add(position)
                continue
        start, end = starts[position], ends[position]
        if start and end and end[0] < start[0]:
            suspect.add(position)

    keep = [True] * size
    for position in sorted(suspect):
        number, row = batch[position]
        parsed, problems = reader.parse(row)
        delivery_column[position] = parsed["delivery_number"]
        if problems:
            keep[position] = False
            collected.reject(number, row, parsed["order_id"], problems)
        else:  # not expected (every rule is checked above): keep the reference values
            for name, column in values.items():
                column[position] = parsed[name]
            order_ids[position] = parsed["order_id"]
    orders = delivery_column.count(ORDER_ROW)
    collected.order_rows += orders
    collected.delivery_rows += size - orders - delivery_column.count(None)

    kept = [position for position in range(size) if keep[position]]
    if len(kept) < size:
        pick = operator.itemgetter(*kept) if kept else None
        for name, column in values.items():
            values[name] = [] if pick is None else list(_picked(pick, column, len(kept)))
        order_ids = [] if pick is None else list(_picked(pick, order_ids, len(kept)))
        numbers = [batch[position][0] for position in kept]
    else:
        numbers = [number for number, _ in batch]
    _add_columns(collected, numbers, order_ids, values)


def _picked(pick: Any, column: list[Any], count: int) -> tuple[Any, ...]:
    picked = pick(column)
    return picked if count != 1 else (picked,)


def _add_columns(
    collected: _Collected,
    numbers: list[int],
    order_ids: list[str | None],
    values: dict[str, list[Any]],
) -> None:
    """``_Collected.add`` of kept rows given as columns."""
    if not numbers:
        return
    values["source_line"] = numbers
    values["order_id"] = order_ids
    values["order_number"] = [f"{order_id}-{ORDER_ROW}" for order_id in order_ids]
    product_keys = collected.product_keys
    keys = []
    for part, description, brand in zip(
        values["part_number"], values["product_description"], values["brand"], strict=True
    ):
        product = f"{part or ''}\x1f{description or ''}\x1f{brand or ''}"
        key = product_keys.get(product)
        if key is None:
            key = product_keys[product] = _product_key(
                {"part_number": part, "product_description": description, "brand": brand}
            )
        keys.append(key)
    values["product_key"] = keys
    for name in _DATE_FIELDS:
        column = values[name]
        iso = collected.iso_by_field.setdefault(name, {None: None})
        for parsed in set(column).difference(iso):
            # parsed dates are (date, time or None) pairs, never empty: as ``add``
            iso[parsed] = _finished_date(name, parsed) if parsed else None
        values[name] = list(map(iso.__getitem__, column))
    table = pa.table([values[name] for name in PARSED_SCHEMA.names], schema=PARSED_SCHEMA)
    # order-level fields only from order rows (``add``)
    is_order = pc.equal(table["delivery_number"], ORDER_ROW)
    for name in ORDER_FIELDS:
        index = PARSED_SCHEMA.get_field_index(name)
        table = table.set_column(
            index,
            PARSED_SCHEMA.field(index),
            pc.if_else(is_order, table[name], pa.scalar(None, PARSED_SCHEMA.field(index).type)),
        )
    collected.flush()
    collected.chunks.append(table)


# ---------------------------------------------------------------- cross-row checks


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.fill_null(pc.cast(values, pa.string()), "")


def _failures(
    orders: pa.Array | pa.ChunkedArray,
    header: str,
    rule: str,
    lang: str,
    key: str,
    **params: Param,
) -> pa.Table:
    """A table of order-level failures (order_id, field, rule, value, message): the message is
    the catalogue text ``key`` with ``column``, ``order`` and ``params`` filled per order."""
    orders = orders.combine_chunks() if isinstance(orders, pa.ChunkedArray) else orders
    orders = orders.cast(pa.string())
    size = len(orders)
    message = render_column(key, lang, size, column=header, order=quoted(orders), **params)
    return pa.table(
        {
            "order_id": orders,
            "field": pa.array([header] * size, pa.string()),
            "rule": pa.array([rule] * size, pa.string()),
            "value": orders,
            "message": message,
        }
    )


def _amounts(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Cents as a decimal amount for messages (``1234.5``)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return decimal_text(array.cast(pa.int64()), 2)


def _duplicate_products(parsed: pa.Table, lang: str) -> pa.Table:
    counts = parsed.group_by(["order_id", "delivery_number", "product_key"]).aggregate(
        [("source_line", "count"), ("source_line", "min")]
    )
    dup = counts.filter(pc.greater(counts["source_line_count"], 1))
    dup = dup.group_by("order_id").aggregate([("source_line_min", "min")])
    return _failures(
        dup["order_id"],
        HEADER_BY_FIELD["part_number"],
        "duplicate_product_row",
        lang,
        "cell.duplicate_product_row",
        row=dup["source_line_min_min"],
    )


def _order_structure(orders: pa.Table, lines: pa.Table, lang: str) -> list[pa.Table]:
    with_orders = pc.unique(orders["order_id"].combine_chunks())
    with_lines = pc.unique(lines["order_id"].combine_chunks())
    no_order = pc.filter(with_lines, pc.invert(pc.is_in(with_lines, value_set=with_orders)))
    no_lines = pc.filter(with_orders, pc.invert(pc.is_in(with_orders, value_set=with_lines)))
    header = HEADER_BY_FIELD["delivery_number"]
    return [
        _failures(no_order, header, "missing_order_rows", lang, "cell.missing_order_rows"),
        _failures(
            no_lines, header, "order_without_deliveries", lang, "cell.order_without_deliveries"
        ),
    ]


def _order_totals(orders: pa.Table, lines: pa.Table, lang: str) -> list[pa.Table]:
    declared = orders.group_by("order_id").aggregate(
        [("order_total_cents", "min"), ("order_total_cents", "max")]
    )
    split = declared.filter(
        pc.not_equal(declared["order_total_cents_min"], declared["order_total_cents_max"])
    )
    summed = (
        lines.append_column("line_total", pc.add(lines["subtotal_cents"], lines["igv_cents"]))
        .group_by("order_id")
        .aggregate([("line_total", "sum")])
    )
    joined = declared.join(summed, "order_id", join_type="inner")
    wrong = joined.filter(
        pc.fill_null(pc.not_equal(joined["order_total_cents_min"], joined["line_total_sum"]), True)
    )
    header = HEADER_BY_FIELD["order_total_cents"]
    return [
        _failures(
            split["order_id"],
            header,
            "order_total_inconsistent",
            lang,
            "cell.order_total_inconsistent",
            low=_amounts(split["order_total_cents_min"]),
            high=_amounts(split["order_total_cents_max"]),
        ),
        _failures(
            wrong["order_id"],
            header,
            "order_totals_mismatch",
            lang,
            "cell.order_totals_mismatch",
            found=_amounts(wrong["line_total_sum"]),
            expected=_amounts(wrong["order_total_cents_min"]),
        ),
    ]


def _product_totals(orders: pa.Table, lines: pa.Table, lang: str) -> pa.Table:
    keys = ["order_id", "product_key"]
    amounts = ["quantity_milli", "subtotal_cents", "igv_cents"]
    delivered = lines.group_by(keys).aggregate(
        [(name, "sum") for name in amounts] + [("part_number", "min")]
    )
    declared = orders.select([*keys, *amounts, "part_number"])
    joined = declared.join(delivered, keys, join_type="full outer")
    wrong = pa.array([False] * joined.num_rows, pa.bool_())
    for name in amounts:
        differs = pc.fill_null(pc.not_equal(joined[name], joined[f"{name}_sum"]), True)
        wrong = pc.or_(wrong, differs)
    bad = joined.filter(wrong)
    bad = bad.append_column(
        "product", pc.coalesce(bad["part_number"], bad["part_number_min"], pa.scalar(""))
    )
    # A full outer join's row order varies between runs: name the smallest product.
    bad = bad.sort_by([("order_id", "ascending"), ("product", "ascending")])
    bad = bad.group_by("order_id", use_threads=False).aggregate(
        [("product", "first")]
        + [(name, "first") for name in amounts]
        + [(f"{name}_sum", "first") for name in amounts]
    )

    def triple(suffix: str) -> pa.Array:
        quantity = decimal_text(
            bad[f"quantity_milli{suffix}_first"].combine_chunks().cast(pa.int64()),
            QUANTITY_DECIMALS,
        )
        return pc.binary_join_element_wise(
            pc.fill_null(quantity, "—"),
            *[pc.fill_null(_amounts(bad[f"{name}{suffix}_first"]), "—") for name in amounts[1:]],
            " / ",
        )

    return _failures(
        bad["order_id"],
        HEADER_BY_FIELD["quantity_milli"],
        "product_totals_mismatch",
        lang,
        "cell.product_totals_mismatch",
        product=quoted(bad["product_first"]),
        declared=triple(""),
        delivered=triple("_sum"),
    )


def _delivery_checks(lines: pa.Table, lang: str) -> list[pa.Table]:
    key = pc.binary_join_element_wise(
        *[_text(lines[name]) for name in DELIVERY_KEY_COLUMNS], "\x1f"
    )
    table = lines.append_column("delivery_key", key).append_column(
        "line_total", pc.add(lines["subtotal_cents"], lines["igv_cents"])
    )
    grouped = table.group_by(["order_id", "delivery_number"]).aggregate(
        [
            ("delivery_key", "count_distinct"),
            ("line_total", "sum"),
            ("delivery_total_cents", "min"),
            ("delivery_total_cents", "max"),
            ("order_total_cents", "min"),
            ("order_total_cents", "max"),
        ]
    )
    split = grouped.filter(pc.greater(grouped["delivery_key_count_distinct"], 1))
    total = grouped["line_total_sum"]
    wrong_mask = pc.or_(
        pc.or_(
            pc.not_equal(grouped["delivery_total_cents_min"], total),
            pc.not_equal(grouped["delivery_total_cents_max"], total),
        ),
        pc.or_(
            pc.not_equal(grouped["order_total_cents_min"], total),
            pc.not_equal(grouped["order_total_cents_max"], total),
        ),
    )
    wrong = grouped.filter(pc.fill_null(wrong_mask, True))
    return [
        _failures(
            split["order_id"],
            HEADER_BY_FIELD["delivery_end"],
            "delivery_inconsistent",
            lang,
            "cell.delivery_inconsistent",
            delivery=split["delivery_number"],
        ),
        _failures(
            wrong["order_id"],
            HEADER_BY_FIELD["delivery_total_cents"],
            "delivery_total_mismatch",
            lang,
            "cell.delivery_total_mismatch",
            delivery=wrong["delivery_number"],
            found=_amounts(wrong["line_total_sum"]),
            delivery_total=_amounts(wrong["delivery_total_cents_min"]),
            order_total=_amounts(wrong["order_total_cents_min"]),
        ),
    ]


def _incomplete(collected: _Collected) -> pa.Table:
    bad = sorted(collected.bad_orders.items())
    return _failures(
        pa.array([order for order, _ in bad], pa.string()),
        HEADER_BY_FIELD["source_order_number"],
        "order_incomplete",
        collected.lang,
        "cell.order_incomplete",
        row=pa.array([row for _, (row, _) in bad], pa.int64()),
        failed_rule=pa.array([rule for _, (_, rule) in bad], pa.string()),
    )


def _first_failure(parts: list[pa.Table]) -> pa.Table:
    """The first failure (in check order) of each failing order."""
    ranked = [
        part.append_column("rank", pa.array([rank] * part.num_rows, pa.int32()))
        for rank, part in enumerate(parts)
        if part.num_rows
    ]
    names = ("order_id", "field", "rule", "value", "message")
    if not ranked:
        return pa.table({name: pa.array([], pa.string()) for name in names})
    # Parts come from threaded group-bys (row order varies): ties are broken by content.
    table = pa.concat_tables(ranked).sort_by(
        [(name, "ascending") for name in ("order_id", "rank", "field", "value", "message")]
    )
    first = table.group_by("order_id", use_threads=False).aggregate(
        [(name, "first") for name in names[1:]]
    )
    return first.rename_columns({f"{name}_first": name for name in names[1:]}).select(names)


# ---------------------------------------------------------------- outputs


def _with_line_ids(lines: pa.Table, source_file: str) -> pa.Table:
    """Delivery rows -> LINE_SCHEMA: ``line_id`` ``{delivery}-{rank in delivery}``, by row."""
    ordered = lines.sort_by(
        [("order_id", "ascending"), ("delivery_number", "ascending"), ("source_line", "ascending")]
    )
    order = ordered["order_id"].combine_chunks().to_numpy(zero_copy_only=False)
    delivery = ordered["delivery_number"].combine_chunks().to_numpy(zero_copy_only=False)
    count = ordered.num_rows
    if count:
        starts = np.r_[True, (order[1:] != order[:-1]) | (delivery[1:] != delivery[:-1])]
        start_index = np.maximum.accumulate(np.where(starts, np.arange(count), 0))
        rank = np.arange(count) - start_index + 1
    else:
        rank = np.array([], dtype=np.int64)
    ordered = ordered.append_column(
        "line_id",
        pc.binary_join_element_wise(
            ordered["delivery_number"].cast(pa.string()), pa.array(rank).cast(pa.string()), "-"
        ),
    )
    ordered = ordered.append_column(
        "quantity", decimal_text(ordered["quantity_milli"].combine_chunks(), QUANTITY_DECIMALS)
    )
    ordered = ordered.append_column("source_file", pa.array([source_file] * count, pa.string()))
    return ordered.select(LINE_SCHEMA.names).cast(LINE_SCHEMA).sort_by("source_line")


def _deliveries(lines: pa.Table, source_file: str) -> pa.Table:
    """One row per (order, delivery), amounts summed over its product rows."""
    ordered = lines.sort_by(
        [("order_id", "ascending"), ("delivery_number", "ascending"), ("source_line", "ascending")]
    )
    firsts = [
        "source_line",
        "order_number",
        "source_order_number",
        "status",
        "status_date",
        *DELIVERY_KEY_COLUMNS,
        "igv_affected",
        "delivery_total_cents",
    ]
    grouped = ordered.group_by(["order_id", "delivery_number"], use_threads=False).aggregate(
        [(name, "first") for name in firsts]
        + [("source_line", "count"), ("subtotal_cents", "sum"), ("igv_cents", "sum")]
    )
    renamed = {f"{name}_first": name for name in firsts} | {
        "source_line_count": "line_count",
        "subtotal_cents_sum": "subtotal_cents",
        "igv_cents_sum": "igv_cents",
        "delivery_total_cents_first": "total_cents",
    }
    grouped = grouped.rename_columns([renamed.get(n, n) for n in grouped.column_names])
    grouped = grouped.append_column(
        "source_file", pa.array([source_file] * grouped.num_rows, pa.string())
    )
    return (
        grouped.select(DELIVERY_SCHEMA.names)
        .cast(DELIVERY_SCHEMA)
        .sort_by([("order_number", "ascending"), ("delivery_number", "ascending")])
    )


def _parents(orders: pa.Table, lines: pa.Table, source_file: str) -> pa.Table:
    """One row per order from its order rows (``-0``), with its line and delivery counts."""
    ordered = orders.sort_by("source_line")
    firsts = [
        "source_line",
        "order_number",
        "agreement_label",
        "agreement_name",
        "buyer_ruc",
        "buyer_name",
        "executing_unit",
        "supplier_ruc",
        "supplier_name",
        "procedure",
        "purchase_type",
        "status",
        "status_date",
        "physical_order_number",
        "published_date",
        "accepted_date",
        "order_subtotal_cents",
        "order_igv_cents",
        "order_total_cents",
        "declared_deliveries",
    ]
    grouped = ordered.group_by("order_id", use_threads=False).aggregate(
        [(name, "first") for name in firsts] + [("source_line", "count")]
    )
    renamed = {f"{name}_first": name for name in firsts} | {
        "source_line_count": "product_count",
        "order_subtotal_cents_first": "subtotal_cents",
        "order_igv_cents_first": "igv_cents",
        "order_total_cents_first": "total_cents",
    }
    grouped = grouped.rename_columns([renamed.get(n, n) for n in grouped.column_names])
    counts = lines.group_by("order_id").aggregate(
        [("source_line", "count"), ("delivery_number", "count_distinct")]
    )
    counts = counts.rename_columns(
        {"source_line_count": "line_count", "delivery_number_count_distinct": "delivery_count"}
    )
    grouped = grouped.join(counts, "order_id").sort_by("order_id")
    rows = ordered.group_by("order_id", use_threads=False).aggregate([("source_line", "list")])
    grouped = grouped.append_column(
        "order_rows", rows.sort_by("order_id")["source_line_list"]
    ).append_column("source_file", pa.array([source_file] * grouped.num_rows, pa.string()))
    return grouped.select(PARENT_SCHEMA.names).cast(PARENT_SCHEMA).sort_by("source_line")


def decimal_text(scaled: pa.Array, decimals: int) -> pa.Array:
    """Scaled integers -> shortest exact decimal text (``12.5``, ``3``)."""
    factor = 10**decimals
    units = pc.divide(scaled, factor).cast(pa.string())
    fraction = pc.utf8_lpad(
        pc.subtract(scaled, pc.multiply(pc.divide(scaled, factor), factor)).cast(pa.string()),
        decimals,
        "0",
    )
    fraction = pc.replace_substring_regex(fraction, "0+$", "")
    with_point = pc.binary_join_element_wise(units, fraction, ".")
    return pc.if_else(pc.equal(fraction, ""), units, with_point)


def sheet_rows_text(path: Path, sheet: str, wanted: set[int]) -> dict[int, str]:
    """Rows ``wanted`` of ``sheet`` as raw text (a second pass, only when rows are quarantined
    after the first pass)."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    for title, rows in _open_rows(path):
        if title != sheet:
            continue
        for number, row in rows:
            if number in wanted:
                found[number] = raw_row(row)
            if number >= last:
                break
    return found


def _order_quarantine(path: Path, sheet: str, parsed: pa.Table, failed: pa.Table) -> pa.Table:
    """Every kept row of the failed orders, quarantined with its order's failure."""
    rows = parsed.select(["source_line", "order_id"]).join(failed, "order_id", join_type="inner")
    rows = rows.sort_by("source_line")
    raw = sheet_rows_text(path, sheet, set(rows["source_line"].to_pylist()))
    return pa.table(
        {
            "source_file": pa.array([path.name] * rows.num_rows, pa.string()),
            "source_line": rows["source_line"],
            "field": rows["field"],
            "rule": rows["rule"],
            "value": rows["value"],
            "message": rows["message"],
            "raw_row": pa.array([raw.get(n) for n in rows["source_line"].to_pylist()], pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


# ---------------------------------------------------------------- reuse across snapshots
#
# The portal republishes a month's export every day, grown by the new day's rows (older rows
# may change too). A data row's parse depends only on its cells and on the header, file name
# and language (``_collect_batch`` parses each row on its own: batches only share pure
# memos), so a new snapshot can take the parse of every row whose cells are those of a row of
# the previous snapshot, parse the others, and run the checks across rows over the whole. A
# kept row is matched on the cells the reader reads (the running ``Nro`` and other ignored
# columns may shift when rows are inserted); a rejected row on all its cells (its quarantine
# entry quotes the raw row).

MEMO_KEY = "row_key"
# Rows rejected by the row rules, by content: their quarantine entry without file and line,
# the order they name and their delivery number (row counts).
REJECTED_MEMO_SCHEMA = pa.schema(
    [
        (MEMO_KEY, pa.binary(32)),
        ("field", pa.string()),
        ("rule", pa.string()),
        ("value", pa.string()),
        ("message", pa.string()),
        ("raw_row", pa.string()),
        ("order_id", pa.string()),
        ("delivery_number", pa.int64()),
    ]
)
KEPT_MEMO_SCHEMA = PARSED_SCHEMA.append(pa.field(MEMO_KEY, pa.binary(32)))


def row_key(row: Sequence[object]) -> bytes:
    """A data row's cells as a 32-byte key that keeps each cell's type and exact value (``1``,
    ``1.0``, ``True``, ``"1"``, ``0.0`` and ``-0.0`` all differ): SHA-256 of the cells in
    ``marshal`` format 2 (binary floats, no references: the same bytes for equal values,
    whichever objects hold them), or of their ``repr`` for a row holding a type ``marshal``
    does not write (a date cell's ``datetime``)."""
    cells: Any = row if type(row) is tuple else tuple(row)
    try:
        content = b"m" + marshal.dumps(cells, 2)
    except ValueError:
        content = b"r" + repr(cells).encode("utf-8", "surrogatepass")
    return hashlib.sha256(content).digest()


@dataclass(frozen=True)
class RowMemo:
    """One snapshot's data rows by content (``row_key``): kept rows as parsed
    (``KEPT_MEMO_SCHEMA``) and rows the row rules rejected (``REJECTED_MEMO_SCHEMA``), valid
    for a file read with the same ``signature`` (file name, sheet, header and language)."""

    signature: str
    kept: pa.Table
    rejected: pa.Table


def _memo_signature(name: str, sheet: str, header: _Header, lang: str) -> str:
    """What a row's parse depends on besides its cells (the reader's code aside: callers keep
    memos per reader version)."""
    return json.dumps(
        {
            "file": name,
            "sheet": sheet,
            "positions": sorted(header.positions.items()),
            "lang": lang,
            "schema": KEPT_MEMO_SCHEMA.to_string(),
            "keys": "kept: cells read; rejected: all cells",
        },
        ensure_ascii=False,
    )


@dataclass
class _KeyedCollected(_Collected):
    """``_Collected`` that also logs each rejected row (line, order, delivery number)."""

    reader: _RowReader | None = None
    rejected_log: list[tuple[int, str | None, int | None]] = field(default_factory=list)
    # a rejected row's key is over all its cells: its quarantine entry quotes the whole row
    full_keys: dict[int, bytes] = field(default_factory=dict)

    def reject(
        self, number: int, row: Sequence[object], order_id: str | None, problems: list[_Problem]
    ) -> None:
        super().reject(number, row, order_id, problems)
        assert self.reader is not None
        self.rejected_log.append((number, order_id, self.reader.parse(row)[0]["delivery_number"]))
        self.full_keys[number] = row_key(row)


def _read_cells(header: _Header) -> Callable[[Sequence[object]], tuple[object, ...]]:
    """A row's cells in the columns the reader reads (absent trailing cells as None): all a
    kept row's parse depends on. Columns it ignores, the portal's running ``Nro`` first, change
    when rows are inserted above and must not make an unchanged row look new."""
    positions = sorted(set(header.positions.values()))
    width = positions[-1] + 1
    padding = (None,) * width
    pick = operator.itemgetter(*positions)
    single = len(positions) == 1

    def cells(row: Sequence[object]) -> tuple[object, ...]:
        picked = pick(row if len(row) >= width else (*row, *padding[len(row) :]))
        return (picked,) if single else picked

    return cells


def _delivery_counts(deliveries: pa.Array | pa.ChunkedArray) -> tuple[int, int]:
    """(order rows, delivery rows) among rows with these delivery numbers, as ``_collect_batch``
    counts them."""
    orders = pc.sum(pc.equal(deliveries, ORDER_ROW)).as_py() or 0
    return orders, len(deliveries) - orders - deliveries.null_count


def _collect_keyed(
    name: str,
    header: _Header,
    rows: Iterator[tuple[int, Sequence[object]]],
    lang: str,
    earlier: RowMemo | None,
    signature: str,
    between: Callable[[], object] | None = None,
) -> tuple[_Collected, RowMemo]:
    """``_collect``'s result (rows found in ``earlier`` take its parse) and this snapshot's
    ``RowMemo``; ``between``: called every ``CHUNK_ROWS`` rows."""
    reader = _RowReader(header)
    collected = _KeyedCollected(name, lang, reader=reader)
    read_cells = _read_cells(header)
    keys: dict[int, bytes] = {}  # kept rows: over the cells read (``_read_cells``)
    kept_at: dict[bytes, int] = {}
    rejected_at: dict[bytes, int] = {}
    if earlier is not None:
        kept_at = {key: at for at, key in enumerate(earlier.kept[MEMO_KEY].to_pylist())}
        rejected_at = {key: at for at, key in enumerate(earlier.rejected[MEMO_KEY].to_pylist())}
    reused: list[int] = []
    reused_lines: list[int] = []
    reused_rejects: list[tuple[int, int]] = []
    batch: list[tuple[int, Sequence[object]]] = []
    for count, (number, row) in enumerate(rows, 1):
        if between is not None and count % CHUNK_ROWS == 0:
            between()  # every so many rows, whether parsed or taken from the memo
        if _blank_row(row):
            collected.blank_rows += 1
            continue
        key = keys[number] = row_key(read_cells(row))
        if earlier is not None:
            at = kept_at.get(key)
            if at is not None:
                reused.append(at)
                reused_lines.append(number)
                continue
            if rejected_at:
                full = row_key(row)
                at = rejected_at.get(full)
                if at is not None:
                    collected.full_keys[number] = full
                    reused_rejects.append((number, at))
                    continue
        batch.append((number, row))
        if len(batch) >= CHUNK_ROWS:
            _collect_batch(reader, collected, batch)
            batch = []
    if batch:
        _collect_batch(reader, collected, batch)
    collected.flush()
    if earlier is not None:
        _add_reused(collected, earlier, reused, reused_lines, reused_rejects)
    kept = collected.table()
    lines = kept["source_line"].to_pylist()
    kept_memo = kept.append_column(
        pa.field(MEMO_KEY, pa.binary(32)),
        pa.array([keys[line] for line in lines], pa.binary(32)),
    )
    log = {number: (order_id, delivery) for number, order_id, delivery in collected.rejected_log}
    rejected_memo = pa.Table.from_pylist(
        [
            {
                MEMO_KEY: collected.full_keys[entry["source_line"]],
                **{name: entry[name] for name in ("field", "rule", "value", "message", "raw_row")},
                "order_id": log[entry["source_line"]][0],
                "delivery_number": log[entry["source_line"]][1],
            }
            for entry in collected.quarantine
        ],
        schema=REJECTED_MEMO_SCHEMA,
    )
    return collected, RowMemo(signature, kept_memo, rejected_memo)


def _add_reused(
    collected: _KeyedCollected,
    earlier: RowMemo,
    reused: list[int],
    reused_lines: list[int],
    reused_rejects: list[tuple[int, int]],
) -> None:
    """Put the rows taken from ``earlier`` into ``collected`` as the full pass would have: kept
    rows and quarantine entries in line order, the counts, and each order's first rejected row."""
    taken = earlier.kept.take(pa.array(reused, pa.int64())).drop_columns([MEMO_KEY])
    line_index = PARSED_SCHEMA.get_field_index("source_line")
    taken = taken.set_column(
        line_index, PARSED_SCHEMA.field(line_index), pa.array(reused_lines, pa.int64())
    )
    rejected = earlier.rejected.take(pa.array([at for _, at in reused_rejects], pa.int64()))
    collected.rows += taken.num_rows + rejected.num_rows
    for deliveries in (taken["delivery_number"], rejected["delivery_number"]):
        orders, delivery_rows = _delivery_counts(deliveries)
        collected.order_rows += orders
        collected.delivery_rows += delivery_rows
    kept = pa.concat_tables([collected.table(), taken.cast(PARSED_SCHEMA)])
    collected.chunks = [kept.sort_by("source_line")] if taken.num_rows else [kept]
    for (number, _), entry in zip(reused_rejects, rejected.to_pylist(), strict=True):
        collected.quarantine.append(
            {
                "source_file": collected.source_file,
                "source_line": number,
                **{name: entry[name] for name in ("field", "rule", "value", "message", "raw_row")},
            }
        )
        collected.rejected_log.append((number, entry["order_id"], entry["delivery_number"]))
    collected.quarantine.sort(key=lambda entry: int(entry["source_line"]))
    collected.rejected_log.sort(key=lambda logged: logged[0])
    rules = {entry["source_line"]: entry["rule"] for entry in collected.quarantine}
    collected.bad_orders = {}
    for number, order_id, _ in collected.rejected_log:
        if order_id and order_id not in collected.bad_orders:
            collected.bad_orders[order_id] = (number, rules[number])


def _reconciled(collected: _Collected, lang: str) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """The kept order rows and line rows of the orders that pass every order-level check, the
    first failure of each failing order, and the order of every kept row. Every check groups
    rows by order: an order's outcome depends on its own rows only (``orders_in_rows``)."""
    kept = collected.table()
    row_orders = kept.select(["source_line", "order_id"])
    incomplete = _incomplete(collected)
    if incomplete.num_rows:
        kept = kept.filter(
            pc.invert(pc.is_in(kept["order_id"], value_set=incomplete["order_id"].combine_chunks()))
        )
    is_order = pc.equal(kept["delivery_number"], ORDER_ROW)
    orders = kept.filter(is_order)
    lines = kept.filter(pc.invert(is_order))
    del kept, is_order
    failed = _first_failure(
        [
            incomplete,
            _duplicate_products(pa.concat_tables([orders, lines]), lang),
            *_order_structure(orders, lines, lang),
            *_delivery_checks(lines, lang),
            _product_totals(orders, lines, lang),
            *_order_totals(orders, lines, lang),
        ]
    )
    failed_ids = failed["order_id"].combine_chunks()
    orders = orders.filter(pc.invert(pc.is_in(orders["order_id"], value_set=failed_ids)))
    lines = lines.filter(pc.invert(pc.is_in(lines["order_id"], value_set=failed_ids)))
    return orders, lines, failed, row_orders


@dataclass(frozen=True)
class SheetRows:
    """The data rows (below the header) of a detailed export's sheet, read whole."""

    name: str
    sheet: str
    header: _Header
    rows: list[tuple[int, Sequence[object]]]

    def data_rows(self) -> int:
        """Rows that are not blank: ``DetailFileInfo.row_count`` of the whole read."""
        return sum(1 for _, row in self.rows if not _blank_row(row))


class SheetWatcher:
    """Told of a sheet's rows once they are read whole, and called before each batch is
    parsed (``read_detailed_export_reusing``'s ``watcher``)."""

    def rows_read(self, sheet: SheetRows) -> None:
        """The sheet's data rows, read whole, before any is parsed."""

    def between(self) -> None:
        """Before each batch of rows is parsed."""


def order_id_of(row: Sequence[object], index: int) -> str | None:
    """The order of a data row as ``_RowReader.parse`` reads it (``index``: the column of
    the order number), or None when the cell holds no valid order number."""
    number = _text_cell(row[index] if index < len(row) else None)
    parts = _ORDER_NUMBER.match(number) if number else None
    return parts["order_id"] if parts else None


def orders_in_rows(
    sheet: SheetRows, order_ids: set[str], lang: str = "es"
) -> tuple[pa.Table, pa.Table]:
    """Lines and deliveries of ``order_ids`` exactly as ``read_detailed_export`` gives them for
    the whole sheet, parsing only those orders' rows: every row rule reads its own row, and
    every order-level check groups rows by order (``_reconciled``), so an order's lines depend
    on its own rows only. Rows without a valid order number belong to no order (the whole
    read quarantines them)."""
    index = sheet.header.positions["source_order_number"]
    subset = [(number, row) for number, row in sheet.rows if order_id_of(row, index) in order_ids]
    collected = _collect(sheet.name, sheet.header, iter(subset), lang)
    _, lines, _, _ = _reconciled(collected, lang)
    return _with_line_ids(lines, sheet.name), _deliveries(lines, sheet.name)


def read_detailed_export(path: Path, lang: str = "es") -> DetailResult:
    """Read one "Detallado" export: reconciled lines, deliveries and orders plus quarantined rows
    (messages in ``lang``).

    Raises ``SourceFileError`` (file-level, with how to fix it) when the file is not an XLSX
    workbook, no sheet has the export's header in its first rows, or required columns are missing.
    """
    return read_detailed_export_reusing(path, lang, remember=False)[0]


def read_detailed_export_reusing(
    path: Path,
    lang: str = "es",
    earlier: RowMemo | None = None,
    *,
    remember: bool = True,
    watcher: SheetWatcher | None = None,
) -> tuple[DetailResult, RowMemo | None]:
    """``read_detailed_export(path, lang)``, and this snapshot's rows by content (``RowMemo``)
    for the next snapshot of the same file. Rows whose cells are those of a row of ``earlier``
    (an earlier snapshot's memo, read with the same header, file name and language) take its
    parse instead of being parsed again; the result is the one a full parse gives.

    ``remember=False`` with no ``earlier``: a plain full parse that builds no memo (None),
    as a backfill's months need (the keys cost ~10% of a parse; only a daily run's next
    snapshot uses them).

    ``watcher``: the sheet's data rows are read whole before they are parsed, and handed to
    it (a daily run's worker parses the day's orders first, ``publication.ahead``)."""
    path = Path(path)
    sha256, size = file_digest(path)
    header: _Header | None = None
    collected: _Collected | None = None
    memo: RowMemo | None = None
    keyed = remember or earlier is not None
    sheet_title = ""
    for title, rows in _open_rows(path, lang):
        header = _find_header(path.name, rows, lang)
        if header is not None:
            sheet_title = title
            signature = _memo_signature(path.name, title, header, lang)
            reuse = earlier if earlier is not None and earlier.signature == signature else None
            between = None
            if watcher is not None:
                read = list(rows)
                watcher.rows_read(SheetRows(path.name, title, header, read))
                rows, between = iter(read), watcher.between
            if keyed:
                collected, memo = _collect_keyed(
                    path.name, header, rows, lang, reuse, signature, between
                )
            else:
                collected = _collect(path.name, header, rows, lang, between)
            break
    if header is None or collected is None:
        expected = ", ".join(repr(h) for h in REQUIRED_HEADERS[:4])
        raise source_block(
            path.name,
            "source.xlsx_no_header",
            "source.xlsx_fix",
            [],
            lang,
            rows=HEADER_SCAN_ROWS,
            expected=expected,
        )

    orders, lines, failed, row_orders = _reconciled(collected, lang)
    quarantine = pa.concat_tables(
        [
            pa.Table.from_pylist(collected.quarantine, schema=QUARANTINE_SCHEMA),
            _order_quarantine(path, sheet_title, row_orders, failed),
        ]
    ).sort_by("source_line")
    info = DetailFileInfo(
        name=path.name,
        sha256=sha256,
        size=size,
        sheet=sheet_title,
        header_row=header.row,
        title=header.title,
        row_count=collected.rows,
        order_rows=collected.order_rows,
        delivery_rows=collected.delivery_rows,
        blank_rows=collected.blank_rows,
        ignored_columns=header.ignored,
    )
    result = DetailResult(
        lines=_with_line_ids(lines, path.name),
        deliveries=_deliveries(lines, path.name),
        parents=_parents(orders, lines, path.name),
        quarantine=quarantine,
        info=info,
    )
    return result, memo
