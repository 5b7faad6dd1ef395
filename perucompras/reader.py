"""Reader for the monthly PERÚ COMPRAS ``ReportePCBienesYYYYMM.csv`` files (all known variants).

Produces the normalised order table and the quarantine table of docs/ARCHITECTURE.md as Arrow
tables. Only parse-level rules live here; business rules belong to the quality layer.

Variants, detected per file: latin-1 or UTF-8 (optionally with BOM); optionally a TAB before
every field but the first (``field_prefix``); dates ``YYYY-MM-DD HH:MM:SS`` or
``D/MM/YYYY HH:MM``; amounts with 0-2 decimals.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.agreements import resolve_agreements
from perucompras.quarantine import QUARANTINE_SCHEMA, RowProblems

SEPARATOR = ";"
LIMA_OFFSET = "-05:00"
ISO_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DMY_DATE_FORMAT = "%d/%m/%Y %H:%M"

COLUMNS = (
    "FECHA_PROCESO",
    "RUC_PROVEEDOR",
    "PROVEEDOR",
    "RUC_ENTIDAD",
    "ENTIDAD",
    "TIPO_PROCEDIMIENTO",
    "ORDEN_ELECTRÓNICA",
    "ORDEN_ELECTRÓNICA_GENERADA",
    "ESTADO_ORDEN_ELECTRÓNICA",
    "DOCUMENTO_ESTADO_OCAM",
    "FECHA_FORMALIZACIÓN",
    "FECHA_ÚLTIMO_ESTADO",
    "SUB_TOTAL",
    "IGV",
    "TOTAL",
    "ORDEN_DIGITALIZADA",
    "DESCRIPCIÓN_ESTADO",
    "DESCRIPCIÓN_CESIÓN_DERECHOS",
    "ACUERDO_MARCO",
)
REQUIRED_COLUMNS = (
    "FECHA_PROCESO",
    "RUC_PROVEEDOR",
    "PROVEEDOR",
    "RUC_ENTIDAD",
    "ENTIDAD",
    "TIPO_PROCEDIMIENTO",
    "ORDEN_ELECTRÓNICA",
    "ESTADO_ORDEN_ELECTRÓNICA",
    "FECHA_FORMALIZACIÓN",
    "FECHA_ÚLTIMO_ESTADO",
    "SUB_TOTAL",
    "IGV",
    "TOTAL",
    "ACUERDO_MARCO",
)
NAME_COLUMNS = ("PROVEEDOR", "ENTIDAD")
DATE_COLUMNS = ("FECHA_PROCESO", "FECHA_FORMALIZACIÓN", "FECHA_ÚLTIMO_ESTADO")
AMOUNT_COLUMNS = ("SUB_TOTAL", "IGV", "TOTAL")
ORDER_NUMBER_PATTERN = r"^(?P<order_id>OCAM-[0-9]{4}-[0-9]+-[0-9]+)-(?P<delivery>[0-9]{1,9})$"
AMOUNT_PATTERN = r"^(?P<sign>-?)(?P<units>[0-9]{1,15})(?:\.(?P<fraction>[0-9]+))?$"
DATE_PATTERNS = {
    ISO_DATE_FORMAT: (
        r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) "
        r"(?P<hh>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<ss>[0-9]{2})$"
    ),
    DMY_DATE_FORMAT: (
        r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4}) "
        r"(?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2})(?P<ss>)$"
    ),
}
FILE_NAME_PATTERN = re.compile(r"^ReportePCBienes(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?:_[0-9]+)?")

ORDER_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("process_time", pa.string()),
        ("supplier_ruc", pa.string()),
        ("supplier_name", pa.string()),
        ("buyer_ruc", pa.string()),
        ("buyer_name", pa.string()),
        ("procedure_type", pa.string()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("delivery_number", pa.int32()),
        ("order_pdf_url", pa.string()),
        ("status", pa.string()),
        ("status_document_url", pa.string()),
        ("formalized_at", pa.string()),
        ("last_status_at", pa.string()),
        ("subtotal_cents", pa.int64()),
        ("igv_cents", pa.int64()),
        ("total_cents", pa.int64()),
        ("digitized_order_url", pa.string()),
        ("status_description", pa.string()),
        ("rights_assignment_description", pa.string()),
        ("agreement_raw", pa.string()),
        ("agreement_code", pa.string()),
        ("raw_process_time", pa.string()),
        ("raw_formalized_at", pa.string()),
        ("raw_last_status_at", pa.string()),
        ("raw_subtotal", pa.string()),
        ("raw_igv", pa.string()),
        ("raw_total", pa.string()),
    ]
)


class SourceFileError(ValueError):
    """A whole monthly file cannot be read; the message names the file, the problem and a fix."""


@dataclass(frozen=True)
class SourceFileInfo:
    """What was read: identity of the bytes and the variant detected."""

    name: str
    sha256: str
    size: int
    encoding: str
    date_format: str
    separator: str
    field_prefix: str
    row_count: int
    process_time: str | None


@dataclass(frozen=True)
class ReadResult:
    """Normalised orders, quarantined rows and file information for one monthly file."""

    orders: pa.Table
    quarantine: pa.Table
    info: SourceFileInfo


def month_of_file(path: Path) -> tuple[int, int]:
    """Return (year, month) from a ``ReportePCBienesYYYYMM[_n][.sample].csv`` file name."""
    match = FILE_NAME_PATTERN.match(Path(path).name)
    if not match or not 1 <= int(match["month"]) <= 12:
        raise SourceFileError(
            f"{Path(path).name}: not a monthly file name; expected ReportePCBienesYYYYMM.csv "
            "(optionally _n before .csv)"
        )
    return int(match["year"]), int(match["month"])


def read_source_dir(directory: Path) -> list[Path]:
    """List the monthly files in ``directory`` sorted by (year, month, name)."""
    files = [
        path
        for path in Path(directory).iterdir()
        if path.is_file() and path.suffix.lower() == ".csv" and FILE_NAME_PATTERN.match(path.name)
    ]
    return sorted(files, key=lambda path: (*month_of_file(path), path.name))


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) of a monthly file's bytes; refuse empty or binary content.

    The one decoding of the monthly files: the reader and the synthetic defect planter use it.
    """
    if not data.strip():
        raise SourceFileError(
            f"{path.name}: the file is empty; download it again from the open data portal"
        )
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise SourceFileError(
            f"{path.name}: undecodable bytes (NUL at byte {offset}); this is not a text CSV "
            "(compressed or corrupted download?): download it again"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        pass
    control = re.search(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", data)
    if control:
        raise SourceFileError(
            f"{path.name}: undecodable bytes: neither UTF-8 nor latin-1 text (byte "
            f"0x{data[control.start()]:02x} at offset {control.start()}); check the encoding "
            "of the download or convert it to latin-1/UTF-8"
        )
    return data.decode("latin-1"), "latin-1"


def _check_header(path: Path, header_line: str) -> str:
    """Validate the header and return the detected field prefix (``"\\t"`` or ``""``)."""
    header_line = header_line.rstrip("\r")
    if SEPARATOR not in header_line:
        found = next((sep for sep in (",", "\t", "|") if sep in header_line), None)
        hint = f"it looks separated by {found!r}" if found else "no separator found"
        raise SourceFileError(
            f"{path.name}: wrong separator in the header ({hint}); the monthly files use ';': "
            "re-export the file with ';' as the separator"
        )
    raw_names = header_line.split(SEPARATOR)
    prefix = "\t" if len(raw_names) > 1 and all(n.startswith("\t") for n in raw_names[1:]) else ""
    names = [name.strip().lstrip("\ufeff") for name in raw_names]
    missing = [column for column in COLUMNS if column not in names]
    unexpected = [name for name in names if name not in COLUMNS]
    if missing or unexpected or tuple(names) != COLUMNS:
        details = []
        if missing:
            details.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            details.append(f"unexpected column(s) {', '.join(repr(n) for n in unexpected)}")
        if not details:
            details.append(f"columns out of order: {', '.join(names)}")
        raise SourceFileError(
            f"{path.name}: header does not match the 19-column PERÚ COMPRAS layout: "
            f"{'; '.join(details)}; expected {SEPARATOR.join(COLUMNS)} "
            "(a renamed column needs a reader update)"
        )
    return prefix


def _split_lines(text: str) -> tuple[str, pa.Array]:
    """Return the header line and the data lines (CR of CRLF removed) as an Arrow array."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    data = (
        pa.array(lines[1:], pa.large_string())
        if len(lines) > 1
        else pa.array([], pa.large_string())
    )
    data = pc.replace_substring_regex(data, r"\r$", "")
    return lines[0], data.cast(pa.string())


def _detect_date_format(columns: dict[str, pa.Array]) -> str:
    """Pick the date format matched by most non-empty date values of the file."""
    votes: Counter[str] = Counter()
    for column in DATE_COLUMNS:
        for date_format, pattern in DATE_PATTERNS.items():
            votes[date_format] += (
                pc.sum(
                    pc.fill_null(pc.match_substring_regex(columns[column], pattern), False)
                ).as_py()
                or 0
            )
    if not votes or votes.most_common(1)[0][1] == 0:
        return ISO_DATE_FORMAT
    return votes.most_common(1)[0][0]


def _parse_dates(values: pa.Array, date_format: str) -> tuple[pa.Array, pa.Array]:
    """Return (ISO 8601 Lima strings or null, failed mask) for raw date strings."""
    parts = pc.extract_regex(pc.utf8_trim_whitespace(values), DATE_PATTERNS[date_format])

    def part(name: str, width: int) -> pa.Array:
        text = pc.struct_field(parts, name)
        text = pc.if_else(pc.equal(text, ""), pa.scalar("0"), text)
        return pc.utf8_lpad(text, width, "0")

    local = pc.binary_join_element_wise(
        part("y", 4),
        "-",
        part("m", 2),
        "-",
        part("d", 2),
        "T",
        part("hh", 2),
        ":",
        part("mi", 2),
        ":",
        part("ss", 2),
        "",
    )
    stamps = pc.strptime(local, "%Y-%m-%dT%H:%M:%S", "s", error_is_null=True)
    # strptime rolls 2025-02-30 over to March and 10:00:60 to 10:01: a real value keeps its parts
    valid = pc.is_valid(stamps)
    for name, extract in (("d", pc.day), ("hh", pc.hour), ("mi", pc.minute), ("ss", pc.second)):
        valid = pc.and_(valid, pc.equal(extract(stamps), part(name, 2).cast(pa.int64())))
    valid = pc.fill_null(valid, False)
    iso = pc.if_else(
        valid, pc.binary_join_element_wise(local, LIMA_OFFSET, ""), pa.scalar(None, pa.string())
    )
    return iso, pc.invert(valid)


def _parse_amounts(values: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Return (cents or null, unparseable mask, too-many-decimals mask) for raw amounts."""
    parts = pc.extract_regex(pc.utf8_trim_whitespace(values), AMOUNT_PATTERN)
    matched = pc.fill_null(pc.is_valid(parts), False)
    fraction = pc.struct_field(parts, "fraction")
    too_precise = pc.and_(matched, pc.fill_null(pc.greater(pc.utf8_length(fraction), 2), False))
    ok = pc.and_(matched, pc.invert(too_precise))
    units = pc.if_else(ok, pc.struct_field(parts, "units"), pa.scalar("0")).cast(pa.int64())
    fraction_text = pc.utf8_rpad(pc.if_else(ok, fraction, pa.scalar("0")), 2, "0")
    fraction_text = pc.if_else(pc.equal(fraction_text, ""), pa.scalar("00"), fraction_text)
    cents = pc.add(pc.multiply(units, 100), fraction_text.cast(pa.int64()))
    negative = pc.equal(pc.struct_field(parts, "sign"), "-")
    cents = pc.if_else(pc.fill_null(negative, False), pc.negate(cents), cents)
    cents = pc.if_else(ok, cents, pa.scalar(None, pa.int64()))
    unparseable = pc.invert(pc.or_(ok, too_precise))
    return cents, unparseable, too_precise


def _empty_to_null(values: pa.Array) -> pa.Array:
    """Map empty or whitespace-only strings to null."""
    blank = pc.equal(pc.utf8_trim_whitespace(values), "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), values)


def _on_distinct(values: pa.Array, function: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """Apply an element-wise ``function`` once per distinct value (names repeat a lot)."""
    encoded = pc.dictionary_encode(values)
    return pc.take(function(encoded.dictionary), encoded.indices)


def _collapse_whitespace(values: pa.Array) -> pa.Array:
    """Collapse runs of (Unicode) whitespace to one space and trim."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(values, r"[\s\p{Z}]+", " "))


def _normalise_name(values: pa.Array) -> pa.Array:
    """Collapse runs of whitespace to one space and trim, once per distinct name."""
    return _on_distinct(values, _collapse_whitespace)


def read_monthly_file(path: Path) -> ReadResult:
    """Read one monthly file into normalised orders and quarantined rows (never loses a row)."""
    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    text, encoding = decode_text(path, data)
    header_line, lines = _split_lines(text)
    field_prefix = _check_header(path, header_line)
    row_count = len(lines)
    source_line = pa.array(np.arange(2, row_count + 2, dtype=np.int64))

    fields = pc.split_pattern(lines, SEPARATOR)
    field_count = pc.list_value_length(fields)
    well_shaped = pc.equal(field_count, len(COLUMNS))
    padded = pc.if_else(well_shaped, fields, pa.scalar([""] * len(COLUMNS), pa.list_(pa.string())))
    flat = pc.list_flatten(padded)
    if not field_prefix and row_count:
        second = pc.take(flat, pa.array(np.arange(1, len(flat), len(COLUMNS), dtype=np.int64)))
        tabbed = pc.sum(pc.starts_with(second, "\t")).as_py() or 0
        field_prefix = "\t" if tabbed * 2 > pc.sum(well_shaped).as_py() else ""
    columns: dict[str, pa.Array] = {}
    for index, column in enumerate(COLUMNS):
        values = pc.take(flat, pa.array(np.arange(index, len(flat), len(COLUMNS), dtype=np.int64)))
        if field_prefix and index > 0:
            values = pc.replace_substring_regex(values, r"^\t", "")
        columns[column] = values

    problems = RowProblems(row_count)
    problems.add(
        pc.invert(well_shaped),
        "*",
        "field_count",
        pc.binary_join_element_wise(
            f"expected {len(COLUMNS)} fields separated by ';', found ",
            field_count.cast(pa.string()),
            "",
        ),
    )
    for column in REQUIRED_COLUMNS:
        blank = pc.equal(pc.utf8_trim_whitespace(columns[column]), "")
        problems.add(pc.and_(well_shaped, blank), column, "required_missing", "empty value")

    date_format = _detect_date_format(columns)
    parsed_dates: dict[str, pa.Array] = {}
    for column in DATE_COLUMNS:
        iso, failed = _parse_dates(columns[column], date_format)
        present = pc.not_equal(pc.utf8_trim_whitespace(columns[column]), "")
        problems.add(
            pc.and_(pc.and_(well_shaped, present), failed),
            column,
            "date_unparseable",
            pc.binary_join_element_wise(
                "'",
                columns[column],
                f"' is not a valid date in this file's format {date_format}",
                "",
            ),
        )
        parsed_dates[column] = iso

    parsed_amounts: dict[str, pa.Array] = {}
    for column in AMOUNT_COLUMNS:
        cents, unparseable, too_precise = _parse_amounts(columns[column])
        present = pc.not_equal(pc.utf8_trim_whitespace(columns[column]), "")
        problems.add(
            pc.and_(pc.and_(well_shaped, present), unparseable),
            column,
            "amount_unparseable",
            pc.binary_join_element_wise(
                "'",
                columns[column],
                "' is not an amount like 1234.56 (decimal point, no thousands separator)",
                "",
            ),
        )
        problems.add(
            pc.and_(well_shaped, too_precise),
            column,
            "amount_precision",
            pc.binary_join_element_wise("'", columns[column], "' has more than 2 decimals", ""),
        )
        parsed_amounts[column] = cents

    order_parts = pc.extract_regex(columns["ORDEN_ELECTRÓNICA"], ORDER_NUMBER_PATTERN)
    present = pc.not_equal(pc.utf8_trim_whitespace(columns["ORDEN_ELECTRÓNICA"]), "")
    problems.add(
        pc.and_(pc.and_(well_shaped, present), pc.is_null(order_parts)),
        "ORDEN_ELECTRÓNICA",
        "order_number_format",
        pc.binary_join_element_wise(
            "'", columns["ORDEN_ELECTRÓNICA"], "' does not look like OCAM-YYYY-entity-seq-n", ""
        ),
    )

    good = problems.good
    process_time = parsed_dates["FECHA_PROCESO"]
    orders = pa.table(
        {
            "source_file": pa.repeat(pa.scalar(path.name, pa.string()), row_count),
            "source_line": source_line,
            "process_time": process_time,
            "supplier_ruc": pc.utf8_trim_whitespace(columns["RUC_PROVEEDOR"]),
            "supplier_name": _normalise_name(columns["PROVEEDOR"]),
            "buyer_ruc": pc.utf8_trim_whitespace(columns["RUC_ENTIDAD"]),
            "buyer_name": _normalise_name(columns["ENTIDAD"]),
            "procedure_type": _normalise_name(columns["TIPO_PROCEDIMIENTO"]),
            "order_number": pc.utf8_trim_whitespace(columns["ORDEN_ELECTRÓNICA"]),
            "order_id": pc.struct_field(order_parts, "order_id"),
            "delivery_number": pc.struct_field(order_parts, "delivery").cast(pa.int32()),
            "order_pdf_url": _empty_to_null(columns["ORDEN_ELECTRÓNICA_GENERADA"]),
            "status": _normalise_name(columns["ESTADO_ORDEN_ELECTRÓNICA"]),
            "status_document_url": _empty_to_null(columns["DOCUMENTO_ESTADO_OCAM"]),
            "formalized_at": parsed_dates["FECHA_FORMALIZACIÓN"],
            "last_status_at": parsed_dates["FECHA_ÚLTIMO_ESTADO"],
            "subtotal_cents": parsed_amounts["SUB_TOTAL"],
            "igv_cents": parsed_amounts["IGV"],
            "total_cents": parsed_amounts["TOTAL"],
            "digitized_order_url": _empty_to_null(columns["ORDEN_DIGITALIZADA"]),
            "status_description": _empty_to_null(columns["DESCRIPCIÓN_ESTADO"]),
            "rights_assignment_description": _empty_to_null(columns["DESCRIPCIÓN_CESIÓN_DERECHOS"]),
            "agreement_raw": columns["ACUERDO_MARCO"],
            "agreement_code": _on_distinct(columns["ACUERDO_MARCO"], resolve_agreements),
            "raw_process_time": columns["FECHA_PROCESO"],
            "raw_formalized_at": columns["FECHA_FORMALIZACIÓN"],
            "raw_last_status_at": columns["FECHA_ÚLTIMO_ESTADO"],
            "raw_subtotal": columns["SUB_TOTAL"],
            "raw_igv": columns["IGV"],
            "raw_total": columns["TOTAL"],
        },
        schema=ORDER_SCHEMA,
    ).filter(good)

    bad = pc.invert(good)
    quarantine = pa.table(
        {
            "source_file": pa.repeat(pa.scalar(path.name, pa.string()), row_count),
            "source_line": source_line,
            "field": problems.field,
            "rule": problems.rule,
            "message": problems.message,
            "raw_row": lines,
        },
        schema=QUARANTINE_SCHEMA,
    ).filter(bad)

    counts = pc.value_counts(orders["process_time"].drop_null().combine_chunks()).to_pylist()
    most_common = max(counts, key=lambda item: item["counts"])["values"] if counts else None
    info = SourceFileInfo(
        name=path.name,
        sha256=digest,
        size=len(data),
        encoding=encoding,
        date_format=date_format,
        separator=SEPARATOR,
        field_prefix=field_prefix,
        row_count=row_count,
        process_time=most_common,
    )
    return ReadResult(orders=orders, quarantine=quarantine, info=info)
