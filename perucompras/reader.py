"""Reader for the monthly PERÚ COMPRAS ``ReportePCBienesYYYYMM.csv`` files (all known variants).

Produces the normalised order table and the quarantine table of docs/ARCHITECTURE.md as Arrow
tables. Only parse-level rules live here; business rules belong to the quality layer.

Variants, detected per file: latin-1 or UTF-8 (optionally with BOM); optionally a TAB before
every field but the first (``field_prefix``); dates ``YYYY-MM-DD HH:MM:SS`` or
``D/MM/YYYY HH:MM``; amounts with 0-2 decimals.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.agreements import resolve_agreements
from perucompras.quarantine import QUARANTINE_SCHEMA, RowProblems

SEPARATOR = ";"
BOM = b"\xef\xbb\xbf"
# Monthly files are read in blocks of this many bytes (~30k rows): peak memory is the result
# plus one block's intermediate arrays, never the whole file's text.
READ_BLOCK_BYTES = 16 << 20
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


def _empty_file_error(path: Path) -> SourceFileError:
    return SourceFileError(
        f"{path.name}: the file is empty; download it again from the open data portal"
    )


def _nul_error(path: Path, offset: int) -> SourceFileError:
    return SourceFileError(
        f"{path.name}: undecodable bytes (NUL at byte {offset}); this is not a text CSV "
        "(compressed or corrupted download?): download it again"
    )


def _control_error(path: Path, byte: int, offset: int) -> SourceFileError:
    return SourceFileError(
        f"{path.name}: undecodable bytes: neither UTF-8 nor latin-1 text (byte "
        f"0x{byte:02x} at offset {offset}); check the encoding "
        "of the download or convert it to latin-1/UTF-8"
    )


CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) of a monthly file's bytes; refuse empty or binary content.

    The one decoding of a whole monthly file in memory (the synthetic defect planter uses it);
    ``read_monthly_file`` applies the same rules block by block (``_scan_file``).
    """
    if not data.strip():
        raise _empty_file_error(path)
    if b"\x00" in data:
        raise _nul_error(path, data.index(b"\x00"))
    if data.startswith(BOM):
        data = data[3:]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        pass
    control = CONTROL_BYTES.search(data)
    if control:
        raise _control_error(path, data[control.start()], control.start())
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


def _line_array(lines: list[str]) -> pa.Array:
    """Data lines as an Arrow string array, the CR of a CRLF line end removed."""
    data = pc.replace_substring_regex(pa.array(lines, pa.large_string()), r"\r$", "")
    return data.cast(pa.string())


def _file_lines(path: Path, encoding: str, block_bytes: int) -> Iterator[list[str]]:
    """The file's lines (split on LF only, as ``str.split("\\n")``), block by block.

    A final empty segment after the last LF is not a line; a BOM is skipped.
    """
    carry = b""
    text_encoding = "latin-1" if encoding == "latin-1" else "utf-8"
    with path.open("rb") as handle:
        block = handle.read(block_bytes)
        if encoding == "utf-8-sig" and block.startswith(BOM):
            block = block[len(BOM) :]
        while block:
            buffer = carry + block
            cut = buffer.rfind(b"\n")
            if cut < 0:
                carry = buffer
            else:
                carry = buffer[cut + 1 :]
                yield buffer[:cut].decode(text_encoding).split("\n")
            block = handle.read(block_bytes)
    if carry:
        yield [carry.decode(text_encoding)]


def _split_fields(lines: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(field count, well-shaped mask, flat fields with malformed rows padded to empty fields)."""
    fields = pc.split_pattern(lines, SEPARATOR)
    field_count = pc.list_value_length(fields)
    well_shaped = pc.equal(field_count, len(COLUMNS))
    padded = pc.if_else(well_shaped, fields, pa.scalar([""] * len(COLUMNS), pa.list_(pa.string())))
    return field_count, well_shaped, pc.list_flatten(padded)


def _column(flat: pa.Array, index: int) -> pa.Array:
    return pc.take(flat, pa.array(np.arange(index, len(flat), len(COLUMNS), dtype=np.int64)))


def _untab(column: str, values: pa.Array) -> pa.Array:
    """A column's values without the TAB a tab-prefixed file puts before every field but the first."""
    return values if column == COLUMNS[0] else pc.replace_substring_regex(values, r"^\t", "")


def _decode_header(latin1_header: str, encoding: str) -> str:
    """The header line, read provisionally as latin-1, in the file's real encoding."""
    if encoding == "latin-1":
        return latin1_header
    raw = latin1_header.encode("latin-1")
    return (raw[len(BOM) :] if encoding == "utf-8-sig" else raw).decode("utf-8")


def _date_votes(columns: dict[str, pa.Array]) -> Counter[str]:
    """Non-empty date values matching each date format, summed over the date columns."""
    votes: Counter[str] = Counter(dict.fromkeys(DATE_PATTERNS, 0))
    for column in DATE_COLUMNS:
        for date_format, pattern in DATE_PATTERNS.items():
            votes[date_format] += (
                pc.sum(
                    pc.fill_null(pc.match_substring_regex(columns[column], pattern), False)
                ).as_py()
                or 0
            )
    return votes


def _pick_date_format(votes: Counter[str]) -> str:
    """The date format matched by most date values of the file (ISO when none matched)."""
    if not votes or votes.most_common(1)[0][1] == 0:
        return ISO_DATE_FORMAT
    return votes.most_common(1)[0][0]


@dataclass
class _FileScan:
    """What one pass over a file's bytes decides before any row is parsed."""

    sha256: str
    size: int
    encoding: str
    header_line: str
    field_prefix: str
    date_format: str


def _scan_file(path: Path, block_bytes: int) -> _FileScan:
    """Hash, decode check (the rules of ``decode_text``), header, field prefix and date format.

    The field prefix and date votes are counted on a provisional latin-1 decoding: separators,
    TABs and date characters are ASCII, which UTF-8 and latin-1 decode identically.
    """
    hasher = hashlib.sha256()
    size = 0
    blank = True
    nul_at: int | None = None
    control: tuple[int, int] | None = None
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with path.open("rb") as handle:
        block = handle.read(block_bytes)
        has_bom = block.startswith(BOM)
        skip = len(BOM) if has_bom else 0
        while block:
            hasher.update(block)
            blank = blank and not block.strip()
            if nul_at is None and (found := block.find(b"\x00")) >= 0:
                nul_at = size + found
            body = block[skip:]
            if utf8:
                try:
                    decoder.decode(body)
                except UnicodeDecodeError:
                    utf8 = False
            # offsets count from after the BOM, as decode_text reports them
            if control is None and (match := CONTROL_BYTES.search(body)):
                control = (body[match.start()], size + skip + match.start() - len(BOM) * has_bom)
            size += len(block)
            skip = 0
            block = handle.read(block_bytes)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if blank:
        raise _empty_file_error(path)
    if nul_at is not None:
        raise _nul_error(path, nul_at)
    if utf8:
        encoding = "utf-8-sig" if has_bom else "utf-8"
    elif control is not None:
        raise _control_error(path, *control)
    else:
        encoding = "latin-1"

    header: str | None = None
    prefix = ""
    tabbed = shaped = 0
    votes = {tab: Counter(dict.fromkeys(DATE_PATTERNS, 0)) for tab in ("", "\t")}
    for lines in _file_lines(path, "latin-1", block_bytes):
        if header is None:
            header = _decode_header(lines.pop(0), encoding)
            prefix = _check_header(path, header)
        if not lines:
            continue
        _, well_shaped, flat = _split_fields(_line_array(lines))
        shaped += pc.sum(well_shaped).as_py() or 0
        tabbed += pc.sum(pc.starts_with(_column(flat, 1), "\t")).as_py() or 0
        raw = {column: _column(flat, COLUMNS.index(column)) for column in DATE_COLUMNS}
        votes[""].update(_date_votes(raw))
        votes["\t"].update(_date_votes({c: _untab(c, values) for c, values in raw.items()}))
    if not prefix:
        prefix = "\t" if tabbed * 2 > shaped else ""
    return _FileScan(
        sha256=hasher.hexdigest(),
        size=size,
        encoding=encoding,
        header_line=header or "",
        field_prefix=prefix,
        date_format=_pick_date_format(votes[prefix]),
    )


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


def read_monthly_file(path: Path, *, block_bytes: int = READ_BLOCK_BYTES) -> ReadResult:
    """Read one monthly file into normalised orders and quarantined rows (never loses a row).

    Streamed in blocks of ``block_bytes``: a first pass hashes the bytes and decides the
    encoding, field prefix and date format for the whole file; a second parses the rows block
    by block. The result does not depend on ``block_bytes``.
    """
    path = Path(path)
    # read() allocates its argument up front: never ask for more than the file holds
    block_bytes = max(min(block_bytes, path.stat().st_size + 1), 2 * len(BOM))
    scan = _scan_file(path, block_bytes)
    orders: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    process_times: dict[str, int] = {}
    row_count = 0
    lines_of_file = _file_lines(path, scan.encoding, block_bytes)
    for number, lines in enumerate(lines_of_file):
        data = _line_array(lines[1:] if number == 0 else lines)
        del lines
        if not len(data):
            continue
        block_orders, block_quarantine = _parse_rows(
            data,
            path.name,
            first_line=row_count + 2,
            field_prefix=scan.field_prefix,
            date_format=scan.date_format,
        )
        row_count += len(data)
        for item in pc.value_counts(
            block_orders["process_time"].drop_null().combine_chunks()
        ).to_pylist():
            process_times[item["values"]] = process_times.get(item["values"], 0) + item["counts"]
        orders.append(block_orders)
        quarantine.append(block_quarantine)
    most_common = max(process_times, key=process_times.__getitem__) if process_times else None
    info = SourceFileInfo(
        name=path.name,
        sha256=scan.sha256,
        size=scan.size,
        encoding=scan.encoding,
        date_format=scan.date_format,
        separator=SEPARATOR,
        field_prefix=scan.field_prefix,
        row_count=row_count,
        process_time=most_common,
    )
    return ReadResult(
        orders=pa.concat_tables(orders) if orders else ORDER_SCHEMA.empty_table(),
        quarantine=pa.concat_tables(quarantine) if quarantine else QUARANTINE_SCHEMA.empty_table(),
        info=info,
    )


def _parse_rows(
    lines: pa.Array, name: str, *, first_line: int, field_prefix: str, date_format: str
) -> tuple[pa.Table, pa.Table]:
    """Parse consecutive data lines (the first at physical line ``first_line``)."""
    row_count = len(lines)
    source_line = pa.array(np.arange(first_line, first_line + row_count, dtype=np.int64))
    field_count, well_shaped, flat = _split_fields(lines)
    columns = {
        column: _untab(column, _column(flat, index)) if field_prefix else _column(flat, index)
        for index, column in enumerate(COLUMNS)
    }

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
            "source_file": pa.repeat(pa.scalar(name, pa.string()), row_count),
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
            "source_file": pa.repeat(pa.scalar(name, pa.string()), row_count),
            "source_line": source_line,
            "field": problems.field,
            "rule": problems.rule,
            "message": problems.message,
            "raw_row": lines,
        },
        schema=QUARANTINE_SCHEMA,
    ).filter(bad)

    return orders, quarantine
