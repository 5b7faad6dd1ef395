"""Reader for the detailed per-delivery export of PERÚ COMPRAS' public order search.

The export repeats every order as a PARENT row (``NRO_ENTREGA`` empty, the order totals) followed
by one row per delivery/product line. Parent totals are kept apart from the lines so that nothing
is counted twice, and the lines of every order must add up to its parent to the cent. The file is
streamed in record batches (``pyarrow.csv.open_csv``); only parsed, typed columns are kept.
Format: docs/source-formats.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from perucompras.quarantine import QUARANTINE_SCHEMA, RowProblems
from perucompras.reader import ORDER_NUMBER_PATTERN, SEPARATOR, SourceFileError

LIMA_OFFSET = "-05:00"
FILE_PREFIX = "ReportePCDetalle"  # ReportePCDetalleYYYYMM.csv
MAX_BLOCK_BYTES = 4 << 20
AMOUNT_PATTERN = r"^(?P<units>[0-9]{1,15})(?:\.(?P<fraction>[0-9]*))?$"
QUANTITY_PATTERN = r"^(?P<units>[0-9]{1,12})(?:\.(?P<fraction>[0-9]*))?$"
QUANTITY_SCALE = 1000
QUANTITY_DECIMALS = 3
DATE_PATTERN = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) "
    r"(?P<hh>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<ss>[0-9]{2})$"
)
DETAIL_FILE_PATTERN = r"^ReportePCDetalle(?P<year>[0-9]{4})(?P<month>[0-9]{2})"

DETAIL_COLUMNS = (
    "ORDEN_ELECTRÓNICA",
    "NRO_ENTREGA",
    "RUC_ENTIDAD",
    "ENTIDAD",
    "RUC_PROVEEDOR",
    "PROVEEDOR",
    "CATÁLOGO",
    "CATEGORÍA",
    "DESCRIPCIÓN_FICHA_PRODUCTO",
    "MARCA",
    "NRO_PARTE",
    "CANTIDAD",
    "PRECIO_UNITARIO",
    "FLETE",
    "SUB_TOTAL",
    "IGV",
    "TOTAL",
    "FECHA_INICIO_ENTREGA",
    "FECHA_FIN_ENTREGA",
    "PLAZO_ENTREGA",
    "DEPARTAMENTO",
    "PROVINCIA",
    "DISTRITO",
    "DIRECCIÓN_ENTREGA",
)
PARENT_REQUIRED = ("ORDEN_ELECTRÓNICA", "RUC_PROVEEDOR", "FLETE", "SUB_TOTAL", "IGV", "TOTAL")
LINE_REQUIRED = (
    "ORDEN_ELECTRÓNICA",
    "DESCRIPCIÓN_FICHA_PRODUCTO",
    "CANTIDAD",
    "PRECIO_UNITARIO",
    "FLETE",
    "SUB_TOTAL",
    "IGV",
    "TOTAL",
    "FECHA_INICIO_ENTREGA",
    "FECHA_FIN_ENTREGA",
    "PLAZO_ENTREGA",
    "DEPARTAMENTO",
    "PROVINCIA",
    "DISTRITO",
    "DIRECCIÓN_ENTREGA",
)
AMOUNT_COLUMNS = {
    "PRECIO_UNITARIO": "unit_price_cents",
    "FLETE": "freight_cents",
    "SUB_TOTAL": "subtotal_cents",
    "IGV": "igv_cents",
    "TOTAL": "total_cents",
}
SUMMED_AMOUNTS = ("freight_cents", "subtotal_cents", "igv_cents", "total_cents")
DELIVERY_KEY_COLUMNS = (
    "delivery_start",
    "delivery_end",
    "delivery_days",
    "department",
    "province",
    "district",
    "delivery_address",
)

LINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("delivery_number", pa.int32()),
        ("line_id", pa.string()),
        ("catalogue", pa.string()),
        ("category", pa.string()),
        ("product_description", pa.string()),
        ("brand", pa.string()),
        ("part_number", pa.string()),
        ("quantity", pa.string()),
        ("quantity_milli", pa.int64()),
        ("unit_price_cents", pa.int64()),
        ("freight_cents", pa.int64()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("total_cents", pa.int64()),
        ("delivery_start", pa.string()),
        ("delivery_end", pa.string()),
        ("delivery_days", pa.int32()),
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
        ("delivery_number", pa.int32()),
        ("delivery_start", pa.string()),
        ("delivery_end", pa.string()),
        ("delivery_days", pa.int32()),
        ("department", pa.string()),
        ("province", pa.string()),
        ("district", pa.string()),
        ("delivery_address", pa.string()),
        ("line_count", pa.int64()),
        ("freight_cents", pa.int64()),
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
        ("buyer_ruc", pa.string()),
        ("buyer_name", pa.string()),
        ("supplier_ruc", pa.string()),
        ("supplier_name", pa.string()),
        ("freight_cents", pa.int64()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("total_cents", pa.int64()),
        ("line_count", pa.int64()),
        ("delivery_count", pa.int64()),
    ]
)


@dataclass(frozen=True)
class DetailFileInfo:
    """Identity of the bytes read and what they contained."""

    name: str
    sha256: str
    size: int
    encoding: str
    row_count: int
    parent_rows: int
    line_rows: int


@dataclass(frozen=True)
class DetailResult:
    """Product lines, deliveries and parent rows of reconciled orders, plus quarantined rows."""

    lines: pa.Table
    deliveries: pa.Table
    parents: pa.Table
    quarantine: pa.Table
    info: DetailFileInfo


# ---------------------------------------------------------------- shared vectorised parsing


def _blank(values: pa.Array) -> pa.Array:
    """True where a string is empty or whitespace only."""
    return pc.equal(pc.utf8_trim_whitespace(values), "")


def _null_if_blank(values: pa.Array) -> pa.Array:
    """Trimmed strings, null where blank."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def parse_scaled_decimal(
    values: pa.Array, pattern: str, decimals: int
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Unsigned decimal strings -> (int64 scaled by 10**decimals or null, unparseable, too precise)."""
    parts = pc.extract_regex(pc.utf8_trim_whitespace(values), pattern)
    matched = pc.fill_null(pc.is_valid(parts), False)
    fraction = pc.fill_null(pc.struct_field(parts, "fraction"), "")
    too_precise = pc.and_(matched, pc.greater(pc.utf8_length(fraction), decimals))
    ok = pc.and_(matched, pc.invert(too_precise))
    units = pc.if_else(ok, pc.struct_field(parts, "units"), pa.scalar("0")).cast(pa.int64())
    fraction = pc.utf8_rpad(pc.if_else(ok, fraction, pa.scalar("")), decimals, "0")
    scaled = pc.multiply(units, 10**decimals)
    if decimals:
        scaled = pc.add(scaled, fraction.cast(pa.int64()))
    scaled = pc.if_else(ok, scaled, pa.scalar(None, pa.int64()))
    return scaled, pc.invert(matched), too_precise


def parse_lima_dates(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``YYYY-MM-DD HH:MM:SS`` (Lima wall time) -> (ISO 8601 with -05:00 or null, failed mask)."""
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = pc.fill_null(pc.match_substring_regex(trimmed, DATE_PATTERN), False)
    local = pc.replace_substring(pc.if_else(shaped, trimmed, pa.scalar("")), " ", "T")
    stamps = pc.strptime(local, "%Y-%m-%dT%H:%M:%S", "s", error_is_null=True)
    # strptime rolls 2025-02-30 over to March: a real date formats back to the same text
    valid = pc.fill_null(pc.equal(pc.strftime(stamps, "%Y-%m-%dT%H:%M:%S"), local), False)
    valid = pc.and_(shaped, valid)
    iso = pc.if_else(
        valid, pc.binary_join_element_wise(local, LIMA_OFFSET, ""), pa.scalar(None, pa.string())
    )
    return iso, pc.invert(valid)


def _to_decimal(values: pa.Array) -> pa.Array:
    """int64 (below 10**18 in magnitude) -> decimal128(18, 0), so that products fit in 38 digits."""
    return values.cast(pa.decimal128(19, 0)).cast(pa.decimal128(18, 0))


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


class Problems(RowProblems):
    """Row problems of one CSV batch, with the parsers that record them and their quarantine."""

    def table(self, source_file: str, source_line: pa.Array, batch: pa.RecordBatch) -> pa.Table:
        """Quarantine rows (``QUARANTINE_SCHEMA``) for the rows of ``batch`` with a problem."""
        bad = pc.invert(self.good)
        if not pc.any(bad).as_py():
            return QUARANTINE_SCHEMA.empty_table()
        return pa.table(
            {
                "source_file": pa.array([source_file] * self.size, pa.string()).filter(bad),
                "source_line": source_line.filter(bad),
                "field": self.field.filter(bad),
                "rule": self.rule.filter(bad),
                "message": self.message.filter(bad),
                "raw_row": raw_rows(batch.filter(bad)),
            },
            schema=QUARANTINE_SCHEMA,
        )

    def parse_decimal(
        self, values: pa.Array, field: str, *, pattern: str, decimals: int, kind: str, example: str
    ) -> pa.Array:
        """Scaled integers of ``values``; ``{kind}_unparseable`` / ``{kind}_precision`` recorded."""
        scaled, unparseable, too_precise = parse_scaled_decimal(values, pattern, decimals)
        self.add(
            pc.and_(pc.invert(_blank(values)), unparseable),
            field,
            f"{kind}_unparseable",
            quote_values("", values, f" is not {example}"),
        )
        self.add(
            too_precise,
            field,
            f"{kind}_precision",
            quote_values("", values, f" has more than {decimals} decimals"),
        )
        return scaled

    def parse_amount(self, values: pa.Array, field: str) -> pa.Array:
        """Unsigned amounts with at most 2 decimals -> int64 cents (problems recorded)."""
        return self.parse_decimal(
            values,
            field,
            pattern=AMOUNT_PATTERN,
            decimals=2,
            kind="amount",
            example="an amount like 1234.56 (no sign, no thousands separator)",
        )

    def parse_date(self, values: pa.Array, field: str) -> pa.Array:
        """``YYYY-MM-DD HH:MM:SS`` Lima dates -> ISO 8601 (``date_unparseable`` recorded)."""
        iso, failed = parse_lima_dates(values)
        self.add(
            pc.and_(pc.invert(_blank(values)), failed),
            field,
            "date_unparseable",
            quote_values("", values, " is not a date YYYY-MM-DD HH:MM:SS"),
        )
        return iso

    def parse_order_number(self, values: pa.Array) -> pa.Array:
        """``ORDEN_ELECTRÓNICA`` -> struct (order_id, delivery) or null (``order_number_format``)."""
        parts = pc.extract_regex(pc.utf8_trim_whitespace(values), ORDER_NUMBER_PATTERN)
        self.add(
            pc.and_(pc.invert(_blank(values)), pc.is_null(parts)),
            "ORDEN_ELECTRÓNICA",
            "order_number_format",
            quote_values("", values, " does not look like OCAM-YYYY-entity-seq-n"),
        )
        return parts


def quote_values(prefix: str, values: pa.Array, suffix: str) -> pa.Array:
    """``prefix'value'suffix`` per row, for messages."""
    return pc.binary_join_element_wise(prefix, "'", values, "'", suffix, "")


def sniff_encoding(path: Path, expected_header: tuple[str, ...]) -> tuple[str, str]:
    """Return (pyarrow encoding name, label) from the header bytes; refuse a foreign header."""
    with Path(path).open("rb") as handle:
        head = handle.readline()
    if not head.strip():
        raise SourceFileError(f"{path.name}: the file is empty; download or export it again")
    bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if bom else head
    for encoding, label in (("utf-8", "utf-8-sig" if bom else "utf-8"), ("latin-1", "latin-1")):
        try:
            names = tuple(body.decode(encoding).rstrip("\r\n").split(SEPARATOR))
        except UnicodeDecodeError:
            continue
        if names == expected_header:
            return ("utf8" if encoding == "utf-8" else "latin1"), label
    text = body.decode("latin-1").rstrip("\r\n")
    if SEPARATOR not in text:
        raise SourceFileError(
            f"{path.name}: wrong separator in the header; the file must be separated by ';'"
        )
    found = text.split(SEPARATOR)
    missing = [name for name in expected_header if name not in found]
    raise SourceFileError(
        f"{path.name}: header does not match the documented layout"
        + (f" (missing {', '.join(missing)})" if missing else " (columns out of order)")
        + f"; expected {SEPARATOR.join(expected_header)} (docs/source-formats.md)"
    )


@dataclass
class _Row:
    """An invalid physical row reported by pyarrow's CSV parser."""

    number: int
    text: str
    columns: int


class LineNumberedCsv:
    """Stream a ``;`` CSV without quoting as string batches plus 1-based physical line numbers.

    Rows with the wrong number of fields are reported in ``bad_rows`` (they never reach the
    batches). Each data row is one physical line, so the line numbers of the good rows are the
    physical lines not taken by bad rows.
    """

    def __init__(
        self, path: Path, columns: tuple[str, ...], encoding: str, block_size: int
    ) -> None:
        """Open ``path`` (header skipped) for streaming."""
        self.path = Path(path)
        self.columns = columns
        self.pending: list[_Row] = []
        self.bad_rows: list[_Row] = []
        self._next_line = 2
        self._reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=block_size,
                skip_rows=1,
                column_names=list(columns),
                encoding=encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=SEPARATOR,
                quote_char=False,
                ignore_empty_lines=False,
                invalid_row_handler=self._invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _invalid(self, row: pacsv.InvalidRow) -> str:
        """Remember a row with the wrong field count and skip it."""
        self.pending.append(_Row(int(row.number), row.text, int(row.actual_columns)))
        return "skip"

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, pa.Array]]:
        """Yield (string batch, physical line numbers)."""
        for batch in self._reader:
            if batch.num_rows == 0:
                continue
            skipped = np.array(sorted(row.number for row in self.pending), dtype=np.int64)
            candidates = np.arange(self._next_line, self._next_line + batch.num_rows + len(skipped))
            lines = candidates[~np.isin(candidates, skipped)][: batch.num_rows]
            self._next_line = int(lines[-1]) + 1
            self.bad_rows.extend(row for row in self.pending if row.number < self._next_line)
            self.pending = [row for row in self.pending if row.number >= self._next_line]
            yield batch, pa.array(lines, pa.int64())
        self.bad_rows.extend(self.pending)
        self.pending = []

    def take_bad_rows(self) -> pa.Table:
        """Quarantine rows for the wrong-field-count rows seen so far (and forget them)."""
        rows, self.bad_rows = self.bad_rows, []
        expected = len(self.columns)
        return pa.Table.from_pylist(
            [
                {
                    "source_file": self.path.name,
                    "source_line": row.number,
                    "field": "*",
                    "rule": "field_count",
                    "message": f"*: field_count: expected {expected} fields separated by ';', "
                    f"found {row.columns}",
                    "raw_row": row.text,
                }
                for row in rows
            ],
            schema=QUARANTINE_SCHEMA,
        )


def block_size_for(path: Path, batch_rows: int) -> int:
    """A CSV block size for about ``batch_rows`` rows, capped: parsing needs ~10x the block."""
    with Path(path).open("rb") as handle:
        sample = handle.read(1 << 16)
    lines = max(sample.count(b"\n") - 1, 1)
    row_bytes = max(len(sample) // lines, 16)
    return max(1 << 16, min(batch_rows * row_bytes, MAX_BLOCK_BYTES))


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def raw_rows(batch: pa.RecordBatch) -> pa.Array:
    """The row text (decoded) rebuilt from its string fields."""
    return pc.binary_join_element_wise(*batch.columns, SEPARATOR)


# ---------------------------------------------------------------- detailed export


def _parse_batch(
    batch: pa.RecordBatch, source_line: pa.Array, source_file: str
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """One batch -> (parsed line rows, parsed parent rows, quarantine)."""
    column: Callable[[str], pa.Array] = batch.column
    size = batch.num_rows
    problems = Problems(size)
    delivery_raw = pc.utf8_trim_whitespace(column("NRO_ENTREGA"))
    is_parent = pc.equal(delivery_raw, "")
    is_line = pc.invert(is_parent)

    everywhere = pa.array([True] * size)
    for name in sorted(set(PARENT_REQUIRED) | set(LINE_REQUIRED), key=DETAIL_COLUMNS.index):
        if name in PARENT_REQUIRED and name in LINE_REQUIRED:
            required_on = everywhere
        else:
            required_on = is_parent if name in PARENT_REQUIRED else is_line
        problems.add(
            pc.and_(required_on, _blank(column(name))), name, "required_missing", "empty value"
        )

    order_parts = problems.parse_order_number(column("ORDEN_ELECTRÓNICA"))
    delivery_ok = pc.fill_null(pc.match_substring_regex(delivery_raw, r"^[1-9][0-9]{0,5}$"), False)
    problems.add(
        pc.and_(is_line, pc.invert(delivery_ok)),
        "NRO_ENTREGA",
        "delivery_number_format",
        quote_values("", column("NRO_ENTREGA"), " is not a delivery number 1, 2, …"),
    )
    delivery_number = pc.if_else(delivery_ok, delivery_raw, pa.scalar(None, pa.string())).cast(
        pa.int32()
    )

    amounts = {
        target: problems.parse_amount(column(name), name) for name, target in AMOUNT_COLUMNS.items()
    }
    quantity_milli = problems.parse_decimal(
        column("CANTIDAD"),
        "CANTIDAD",
        pattern=QUANTITY_PATTERN,
        decimals=QUANTITY_DECIMALS,
        kind="quantity",
        example="a quantity like 12 or 2.5",
    )
    problems.add(
        pc.and_(is_line, pc.equal(quantity_milli, 0)), "CANTIDAD", "quantity_zero", "quantity is 0"
    )

    dates = {
        name: problems.parse_date(column(name), name)
        for name in ("FECHA_INICIO_ENTREGA", "FECHA_FIN_ENTREGA")
    }
    problems.add(
        pc.less(dates["FECHA_FIN_ENTREGA"], dates["FECHA_INICIO_ENTREGA"]),
        "FECHA_FIN_ENTREGA",
        "delivery_dates_order",
        pc.binary_join_element_wise(
            "delivery ends ",
            dates["FECHA_FIN_ENTREGA"],
            " before it starts ",
            dates["FECHA_INICIO_ENTREGA"],
            "",
        ),
    )
    days_raw = pc.utf8_trim_whitespace(column("PLAZO_ENTREGA"))
    days_ok = pc.fill_null(pc.match_substring_regex(days_raw, r"^[0-9]{1,4}$"), False)
    problems.add(
        pc.and_(pc.invert(_blank(column("PLAZO_ENTREGA"))), pc.invert(days_ok)),
        "PLAZO_ENTREGA",
        "delivery_days_format",
        quote_values("", column("PLAZO_ENTREGA"), " is not a number of days"),
    )
    delivery_days = pc.if_else(days_ok, days_raw, pa.scalar(None, pa.string())).cast(pa.int32())

    subtotal, igv, total = amounts["subtotal_cents"], amounts["igv_cents"], amounts["total_cents"]
    problems.add(
        pc.not_equal(pc.add(subtotal, igv), total),
        "TOTAL",
        "row_total_mismatch",
        pc.binary_join_element_wise(
            "SUB_TOTAL + IGV = ",
            pc.add(subtotal, igv).cast(pa.string()),
            " cents but TOTAL = ",
            total.cast(pa.string()),
            " cents",
            "",
        ),
    )
    # SUB_TOTAL = round_half_up(CANTIDAD × PRECIO_UNITARIO) + FLETE, exact in decimal128
    product = pc.multiply(_to_decimal(quantity_milli), _to_decimal(amounts["unit_price_cents"]))
    goods = _to_decimal(pc.subtract(subtotal, amounts["freight_cents"]))
    scaled_goods = pc.multiply(goods, pa.scalar(QUANTITY_SCALE, pa.decimal128(4, 0)))
    half = pa.scalar(QUANTITY_SCALE // 2, pa.decimal128(4, 0))
    rounded_matches = pc.and_(
        pc.less_equal(pc.subtract(scaled_goods, half), product),
        pc.less(product, pc.add(scaled_goods, half)),
    )
    problems.add(
        pc.and_(is_line, pc.invert(rounded_matches)),
        "SUB_TOTAL",
        "line_amount_mismatch",
        pc.binary_join_element_wise(
            "CANTIDAD × PRECIO_UNITARIO + FLETE (",
            column("CANTIDAD"),
            " × ",
            column("PRECIO_UNITARIO"),
            " + ",
            column("FLETE"),
            ") does not round to SUB_TOTAL ",
            column("SUB_TOTAL"),
            "",
        ),
    )

    good = problems.good
    quarantine = problems.table(source_file, source_line, batch)
    order_number = pc.utf8_trim_whitespace(column("ORDEN_ELECTRÓNICA"))
    order_id = pc.struct_field(order_parts, "order_id")
    files = pa.array([source_file] * size, pa.string())
    common = {
        "source_file": files,
        "source_line": source_line,
        "order_number": order_number,
        "order_id": order_id,
    }
    lines = pa.table(
        {
            **common,
            "delivery_number": delivery_number,
            "catalogue": _null_if_blank(column("CATÁLOGO")),
            "category": _null_if_blank(column("CATEGORÍA")),
            "product_description": _null_if_blank(column("DESCRIPCIÓN_FICHA_PRODUCTO")),
            "brand": _null_if_blank(column("MARCA")),
            "part_number": _null_if_blank(column("NRO_PARTE")),
            "quantity_milli": quantity_milli,
            **{target: amounts[target] for target in AMOUNT_COLUMNS.values()},
            "delivery_start": dates["FECHA_INICIO_ENTREGA"],
            "delivery_end": dates["FECHA_FIN_ENTREGA"],
            "delivery_days": delivery_days,
            "department": _null_if_blank(column("DEPARTAMENTO")),
            "province": _null_if_blank(column("PROVINCIA")),
            "district": _null_if_blank(column("DISTRITO")),
            "delivery_address": _null_if_blank(column("DIRECCIÓN_ENTREGA")),
        }
    ).filter(pc.and_(good, is_line))
    parents = pa.table(
        {
            **common,
            "buyer_ruc": _null_if_blank(column("RUC_ENTIDAD")),
            "buyer_name": _null_if_blank(column("ENTIDAD")),
            "supplier_ruc": _null_if_blank(column("RUC_PROVEEDOR")),
            "supplier_name": _null_if_blank(column("PROVEEDOR")),
            **{target: amounts[target] for target in SUMMED_AMOUNTS},
        }
    ).filter(pc.and_(good, is_parent))
    return lines, parents, quarantine


def _raw_by_line(path: Path, encoding: str, wanted: set[int]) -> dict[int, str]:
    """Physical lines ``wanted`` of the file as text (for quarantining rows already parsed)."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    codec = "utf-8-sig" if encoding == "utf8" else "latin-1"
    with Path(path).open(encoding=codec, newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if number in wanted:
                found[number] = text.rstrip("\r\n")
            if number >= last:
                break
    return found


class _CrossRowQuarantine:
    """Quarantine for rules that need several rows (whole orders or deliveries)."""

    def __init__(self) -> None:
        """Nothing quarantined yet."""
        self.parts: list[pa.Table] = []

    def add(self, rows: pa.Table, field: str, rule: str, message: pa.Array) -> None:
        """Quarantine ``rows`` (with source_file/source_line) with one message per row."""
        if rows.num_rows == 0:
            return
        self.parts.append(
            pa.table(
                {
                    "source_file": rows["source_file"],
                    "source_line": rows["source_line"],
                    "field": pa.array([field] * rows.num_rows, pa.string()),
                    "rule": pa.array([rule] * rows.num_rows, pa.string()),
                    "message": pc.binary_join_element_wise(f"{field}: {rule}: ", message, ""),
                    "raw_row": pa.nulls(rows.num_rows, pa.string()),
                },
                schema=QUARANTINE_SCHEMA,
            )
        )

    def table(self, path: Path, encoding: str) -> pa.Table:
        """All cross-row quarantine rows, with the raw text of their lines filled in."""
        if not self.parts:
            return QUARANTINE_SCHEMA.empty_table()
        table = pa.concat_tables(self.parts)
        raw = _raw_by_line(path, encoding, set(table["source_line"].to_pylist()))
        texts = pa.array([raw.get(n) for n in table["source_line"].to_pylist()], pa.string())
        return table.set_column(table.schema.get_field_index("raw_row"), "raw_row", texts)


def _orders_in(table: pa.Table, orders: pa.Array) -> pa.Array:
    """Mask of rows whose order_number is in ``orders``."""
    return pc.is_in(table["order_number"], value_set=orders)


def _sums_text(table: pa.Table) -> pa.Array:
    """``FLETE/SUB_TOTAL/IGV/TOTAL = a/b/c/d cents`` per row."""
    parts = [table[name].cast(pa.string()) for name in SUMMED_AMOUNTS]
    return pc.binary_join_element_wise(*parts, "/")


def _reconcile(
    lines: pa.Table, parents: pa.Table, problems: _CrossRowQuarantine
) -> tuple[pa.Table, pa.Table]:
    """Drop (and quarantine) orders whose parent and lines do not reconcile."""
    parent_counts = parents.group_by("order_number").aggregate([("source_line", "count")])
    duplicated = parent_counts.filter(pc.greater(parent_counts["source_line_count"], 1))[
        "order_number"
    ]
    duplicated = duplicated.combine_chunks()
    rows = parents.filter(_orders_in(parents, duplicated))
    problems.add(
        rows,
        "NRO_ENTREGA",
        "duplicate_parent",
        pc.binary_join_element_wise(
            "order ", rows["order_number"], " has more than one parent row (empty NRO_ENTREGA)", ""
        ),
    )
    rows = lines.filter(_orders_in(lines, duplicated))
    problems.add(
        rows,
        "ORDEN_ELECTRÓNICA",
        "duplicate_parent",
        pc.binary_join_element_wise(
            "order ",
            rows["order_number"],
            " has more than one parent row; its lines cannot be reconciled",
            "",
        ),
    )
    parents = parents.filter(pc.invert(_orders_in(parents, duplicated)))
    lines = lines.filter(pc.invert(_orders_in(lines, duplicated)))

    parent_orders = parents["order_number"].combine_chunks()
    orphan = pc.invert(_orders_in(lines, parent_orders))
    rows = lines.filter(orphan)
    problems.add(
        rows,
        "NRO_ENTREGA",
        "missing_parent",
        pc.binary_join_element_wise(
            "order ",
            rows["order_number"],
            " has delivery lines but no parent row (empty NRO_ENTREGA)",
            "",
        ),
    )
    lines = lines.filter(pc.invert(orphan))

    sums = lines.group_by("order_number").aggregate(
        [(name, "sum") for name in SUMMED_AMOUNTS] + [("source_line", "count")]
    )
    joined = parents.join(sums, "order_number", join_type="left outer").sort_by("source_line")
    no_lines = pc.is_null(joined["source_line_count"])
    rows = joined.filter(no_lines)
    problems.add(
        rows,
        "NRO_ENTREGA",
        "parent_without_lines",
        pc.binary_join_element_wise(
            "order ", rows["order_number"], " has a parent row but no delivery lines", ""
        ),
    )
    mismatch = pc.and_(pc.invert(no_lines), _any_not_equal(joined))
    bad = joined.filter(mismatch)
    if bad.num_rows:
        summed = bad.select([f"{name}_sum" for name in SUMMED_AMOUNTS]).rename_columns(
            list(SUMMED_AMOUNTS)
        )
        detail = pc.binary_join_element_wise(
            "lines of order ",
            bad["order_number"],
            " add up to FLETE/SUB_TOTAL/IGV/TOTAL ",
            _sums_text(summed),
            " cents but its parent row says ",
            _sums_text(bad),
            " cents",
            "",
        )
        problems.add(bad, "TOTAL", "order_totals_mismatch", detail)
        messages = pa.table({"order_number": bad["order_number"], "detail": detail})
        bad_lines = lines.filter(_orders_in(lines, bad["order_number"].combine_chunks()))
        bad_lines = bad_lines.join(messages, "order_number").sort_by("source_line")
        problems.add(bad_lines, "TOTAL", "order_totals_mismatch", bad_lines["detail"])
    keep = joined.filter(pc.invert(pc.or_(no_lines, mismatch)))["order_number"].combine_chunks()
    return lines.filter(_orders_in(lines, keep)), parents.filter(_orders_in(parents, keep))


def _any_not_equal(joined: pa.Table) -> pa.Array:
    """True where any parent amount differs from the sum of its lines."""
    result = pa.array([False] * joined.num_rows)
    for name in SUMMED_AMOUNTS:
        result = pc.or_(
            result, pc.fill_null(pc.not_equal(joined[name], joined[f"{name}_sum"]), True)
        )
    return result


def _check_deliveries(
    lines: pa.Table, parents: pa.Table, problems: _CrossRowQuarantine
) -> tuple[pa.Table, pa.Table]:
    """Drop (and quarantine) orders where lines of one delivery disagree on its data."""
    key = pc.binary_join_element_wise(
        *[pc.fill_null(lines[name].cast(pa.string()), "") for name in DELIVERY_KEY_COLUMNS], "\x1f"
    )
    variants = (
        lines.append_column("delivery_key", key)
        .group_by(["order_number", "delivery_number"])
        .aggregate([("delivery_key", "count_distinct")])
    )
    split = variants.filter(pc.greater(variants["delivery_key_count_distinct"], 1))
    orders = pc.unique(split["order_number"].combine_chunks())
    if len(orders) == 0:
        return lines, parents
    for table, field in ((lines, "FECHA_FIN_ENTREGA"), (parents, "ORDEN_ELECTRÓNICA")):
        rows = table.filter(_orders_in(table, orders))
        problems.add(
            rows,
            field,
            "delivery_inconsistent",
            pc.binary_join_element_wise(
                "lines of one delivery of order ",
                rows["order_number"],
                " disagree on its dates, term or address (each delivery has one)",
                "",
            ),
        )
    return (
        lines.filter(pc.invert(_orders_in(lines, orders))),
        parents.filter(pc.invert(_orders_in(parents, orders))),
    )


def _deliveries(lines: pa.Table) -> pa.Table:
    """One row per (order, delivery), amounts summed over its lines."""
    ordered = lines.sort_by(
        [
            ("order_number", "ascending"),
            ("delivery_number", "ascending"),
            ("source_line", "ascending"),
        ]
    )
    grouped = ordered.group_by(["order_number", "delivery_number"], use_threads=False).aggregate(
        [
            ("source_file", "first"),
            ("source_line", "first"),
            ("order_id", "first"),
            ("source_line", "count"),
        ]
        + [(name, "first") for name in DELIVERY_KEY_COLUMNS]
        + [(name, "sum") for name in SUMMED_AMOUNTS]
    )
    renamed = {
        "source_file_first": "source_file",
        "source_line_first": "source_line",
        "order_id_first": "order_id",
        "source_line_count": "line_count",
        **{f"{name}_first": name for name in DELIVERY_KEY_COLUMNS},
        **{f"{name}_sum": name for name in SUMMED_AMOUNTS},
    }
    grouped = grouped.rename_columns([renamed.get(name, name) for name in grouped.column_names])
    return (
        grouped.select(DELIVERY_SCHEMA.names)
        .cast(DELIVERY_SCHEMA)
        .sort_by([("order_number", "ascending"), ("delivery_number", "ascending")])
    )


def _with_line_ids(lines: pa.Table) -> pa.Table:
    """Add ``line_id`` ``{delivery}-{rank in delivery}`` and ``quantity`` text; order by file line."""
    ordered = lines.sort_by(
        [
            ("order_number", "ascending"),
            ("delivery_number", "ascending"),
            ("source_line", "ascending"),
        ]
    )
    order = ordered["order_number"].combine_chunks().to_numpy(zero_copy_only=False)
    delivery = ordered["delivery_number"].combine_chunks().to_numpy(zero_copy_only=False)
    count = ordered.num_rows
    if count:
        starts = np.r_[True, (order[1:] != order[:-1]) | (delivery[1:] != delivery[:-1])]
        start_index = np.maximum.accumulate(np.where(starts, np.arange(count), 0))
        rank = np.arange(count) - start_index + 1
    else:
        rank = np.array([], dtype=np.int64)
    line_id = pc.binary_join_element_wise(
        ordered["delivery_number"].cast(pa.string()), pa.array(rank).cast(pa.string()), "-"
    )
    ordered = ordered.append_column("line_id", line_id).append_column(
        "quantity", decimal_text(ordered["quantity_milli"].combine_chunks(), QUANTITY_DECIMALS)
    )
    return ordered.select(LINE_SCHEMA.names).cast(LINE_SCHEMA).sort_by("source_line")


def read_detailed_export(path: Path, *, batch_rows: int = 262_144) -> DetailResult:
    """Read one detailed export: reconciled lines, deliveries and parents plus quarantined rows."""
    path = Path(path)
    encoding, label = sniff_encoding(path, DETAIL_COLUMNS)
    sha256, size = file_digest(path)
    stream = LineNumberedCsv(path, DETAIL_COLUMNS, encoding, block_size_for(path, batch_rows))
    line_parts: list[pa.Table] = []
    parent_parts: list[pa.Table] = []
    quarantine_parts: list[pa.Table] = []
    row_count = 0
    parent_rows = 0
    for batch, source_line in stream:
        row_count += batch.num_rows
        parent_rows += (
            pc.sum(pc.equal(pc.utf8_trim_whitespace(batch.column("NRO_ENTREGA")), "")).as_py() or 0
        )
        lines, parents, quarantine = _parse_batch(batch, source_line, path.name)
        line_parts.append(lines)
        parent_parts.append(parents)
        quarantine_parts.append(quarantine)
    bad_shape = stream.take_bad_rows()
    row_count += bad_shape.num_rows
    lines = pa.concat_tables(line_parts) if line_parts else None
    parents = pa.concat_tables(parent_parts) if parent_parts else None
    if lines is None or parents is None:
        lines = _empty_parsed_lines()
        parents = _empty_parsed_parents()
    problems = _CrossRowQuarantine()
    lines, parents = _check_deliveries(lines, parents, problems)
    lines, parents = _reconcile(lines, parents, problems)
    deliveries = _deliveries(lines)
    counts = lines.group_by("order_number").aggregate(
        [("source_line", "count"), ("delivery_number", "count_distinct")]
    )
    parents = parents.join(counts, "order_number").rename_columns(
        {"source_line_count": "line_count", "delivery_number_count_distinct": "delivery_count"}
    )
    parents = parents.select(PARENT_SCHEMA.names).cast(PARENT_SCHEMA).sort_by("source_line")
    quarantine = pa.concat_tables([*quarantine_parts, bad_shape, problems.table(path, encoding)])
    quarantine = quarantine.sort_by([("source_line", "ascending")])
    info = DetailFileInfo(
        name=path.name,
        sha256=sha256,
        size=size,
        encoding=label,
        row_count=row_count,
        parent_rows=parent_rows,
        line_rows=row_count - parent_rows - bad_shape.num_rows,
    )
    return DetailResult(
        lines=_with_line_ids(lines),
        deliveries=deliveries,
        parents=parents,
        quarantine=quarantine,
        info=info,
    )


def _empty_parsed_lines() -> pa.Table:
    """Parsed-line columns of an empty file."""
    names = [n for n in LINE_SCHEMA.names if n not in ("line_id", "quantity")]
    return pa.schema([LINE_SCHEMA.field(n) for n in names]).empty_table()


def _empty_parsed_parents() -> pa.Table:
    """Parsed-parent columns of an empty file."""
    names = [n for n in PARENT_SCHEMA.names if n not in ("line_count", "delivery_count")]
    return pa.schema([PARENT_SCHEMA.field(n) for n in names]).empty_table()
