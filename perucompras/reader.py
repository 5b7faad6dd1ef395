"""Reader for the monthly PERÚ COMPRAS ``ReportePCBienesYYYYMM.csv`` files (all known variants).

Produces the normalised order table and the quarantine table of docs/ARCHITECTURE.md as Arrow
tables. Only parse-level rules live here; business rules belong to the quality layer.

Variants, detected per file: latin-1 (Windows-1252 when bytes 0x80-0x9f occur) or UTF-8
(optionally with BOM); optionally a TAB before every field but the first (``field_prefix``);
dates ``YYYY-MM-DD HH:MM:SS`` or ``D/MM/YYYY HH:MM``; amounts with 0-2 decimals; columns found
by name (accents and case ignored), optional columns may be missing and unknown ones are ignored.

Only a problem of the file as a whole refuses it (``SourceFileError``, check
``source_files_readable``): empty or binary content, a wrong separator, a required column
missing or repeated, or undecodable bytes in half the rows or more. Everything else quarantines
the row alone, with the column, the raw value and a message from the catalogue
(``messages/source.py``) in the language asked for.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from perucompras.agreements import parse_labels
from perucompras.quarantine import (
    QUARANTINE_SCHEMA,
    Param,
    RowProblems,
    format_top,
    quoted,
    render_column,
)

SEPARATOR = ";"
BOM = b"\xef\xbb\xbf"
# Monthly files are read in blocks of this many bytes (~30k rows): peak memory is the result
# plus one block's intermediate arrays, never the whole file's text.
READ_BLOCK_BYTES = 16 << 20
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Each byte as its class for ``_byte_classes``: L a UTF-8 lead byte (C2-F4), C a continuation
# byte in the C1 range (80-9F), D another continuation byte (A0-BF), B a ``BINARY_BYTES`` byte.
_BYTE_CLASSES = bytes(
    ord(
        "L"
        if 0xC2 <= byte <= 0xF4
        else "C"
        if 0x80 <= byte <= 0x9F
        else "D"
        if 0xA0 <= byte <= 0xBF
        else "B"
        if BINARY_BYTES.fullmatch(bytes([byte]))
        else "x"
    )
    for byte in range(256)
)
READABLE_CHECK = "source_files_readable"
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
        ("agreement_name", pa.string()),
        ("raw_process_time", pa.string()),
        ("raw_formalized_at", pa.string()),
        ("raw_last_status_at", pa.string()),
        ("raw_subtotal", pa.string()),
        ("raw_igv", pa.string()),
        ("raw_total", pa.string()),
    ]
)


class SourceFileError(ValueError):
    """A whole file cannot be read; the message names the file, the check, the most frequent
    offending values and a fix (``source.block``)."""

    def __init__(self, message: str, *, file: str = "", check: str = READABLE_CHECK) -> None:
        """``message`` is the rendered text; ``file`` and ``check`` say what it is about."""
        super().__init__(message)
        self.file = file
        self.check = check


def source_block(
    file: str,
    problem: str,
    fix: str,
    top: list[tuple[str, int]],
    lang: str = "es",
    *,
    check: str = READABLE_CHECK,
    **params: object,
) -> SourceFileError:
    """A ``SourceFileError`` in the one block format: file, check, problem, top values, fix."""
    message = text(
        "source.block",
        lang,
        file=file,
        check=check,
        problem=text(problem, lang, **params),
        top=format_top(top, lang),
        fix=text(fix, lang, **params),
    )
    return SourceFileError(message, file=file, check=check)


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
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadResult:
    """Normalised orders, quarantined rows and file information for one monthly file."""

    orders: pa.Table
    quarantine: pa.Table
    info: SourceFileInfo


def month_of_file(path: Path, lang: str = "es") -> tuple[int, int]:
    """Return (year, month) from a ``ReportePCBienesYYYYMM[_n][.sample].csv`` file name."""
    name = Path(path).name
    match = FILE_NAME_PATTERN.match(name)
    if not match or not 1 <= int(match["month"]) <= 12:
        raise source_block(name, "source.file_name", "source.file_name_fix", [(name, 1)], lang)
    return int(match["year"]), int(match["month"])


def read_source_dir(directory: Path) -> list[Path]:
    """List the monthly files in ``directory`` sorted by (year, month, name)."""
    files = [
        path
        for path in Path(directory).iterdir()
        if path.is_file()
        and path.suffix.lower() == ".csv"
        and (match := FILE_NAME_PATTERN.match(path.name))
        and 1 <= int(match["month"]) <= 12
    ]
    return sorted(files, key=lambda path: (*month_of_file(path), path.name))


def _byte_counts(data: bytes, pattern: bytes) -> list[tuple[str, int]]:
    """The three most frequent bytes matching ``pattern``, shown as ``0x81``."""
    counts = Counter(data[m.start()] for m in re.finditer(pattern, data))
    return [(f"0x{byte:02x}", count) for byte, count in counts.most_common(3)]


def decode_text(path: Path, data: bytes, lang: str = "es") -> tuple[str, str]:
    """Return (text, encoding name) of a monthly file's bytes; refuse empty or binary content.

    UTF-8 (BOM accepted) when the bytes are UTF-8, or mostly UTF-8 with a few damaged
    sequences; else Windows-1252 (latin-1 whenever no byte 0x80-0x9f is present). A byte that is
    not text in that encoding becomes U+FFFD, which quarantines its row (``encoding_invalid``).
    The one decoding of the monthly files: the reader and the synthetic defect planter use it.
    """
    name = Path(path).name
    if not data.strip():
        raise source_block(name, "source.empty", "source.empty_fix", [], lang, size=len(data))
    first_line = data.split(b"\n", 1)[0]
    nul = data.count(b"\x00")
    if b"\x00" in first_line or nul * 100 > len(data):
        raise source_block(
            name,
            "source.binary",
            "source.binary_fix",
            _byte_counts(data, rb"[\x00-\x08\x0b\x0c\x0e-\x1f]"),
            lang,
            count=nul,
            offset=data.index(b"\x00"),
        )
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8-sig"
    try:
        return _clean(data.decode("utf-8")), encoding
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8", errors="replace")
    if len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", data)) > replaced.count("\ufffd"):
        return _clean(replaced), encoding
    if re.search(rb"[\x80-\x9f]", data):
        return _clean(data.decode("cp1252", errors="replace")), "cp1252"
    return _clean(data.decode("latin-1")), "latin-1"


# The bytes that a control character ``_clean`` replaces can come from in the three codecs of
# ``_Encoding``: C0 controls and DEL only from their own byte; U+0080-U+009F in latin-1 from
# the same byte, in UTF-8 from a sequence holding a byte 80-9F, never in cp1252 (its bytes
# 80-9F decode to other characters or U+FFFD). A block without them needs no cleaning.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def _clean(text_value: str) -> str:
    """Control characters (NUL and the like, never tab or line ends) become U+FFFD."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "\ufffd", text_value)


def _column_key(name: str) -> str:
    """Header matching key: no accents, BOM, case, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9A-Z]", "", bare.upper())


_KEYS = {_column_key(column): column for column in COLUMNS}


@dataclass(frozen=True)
class _Header:
    """Where each known column is, how many fields a row has, and the field prefix."""

    positions: dict[str, int]
    width: int
    prefix: str
    ignored: tuple[str, ...]


def _check_header(path: Path, header_line: str, lang: str = "es") -> _Header:
    """Map the header's columns by name; a wrong separator or a missing required column (or a
    repeated one) refuses the file. Optional columns may be absent, unknown ones are ignored."""
    name = Path(path).name
    header_line = header_line.rstrip("\r")
    if SEPARATOR not in header_line:
        counts = Counter(ch for ch in header_line if ch in ",\t|:")
        found = (
            text("source.separator_found", lang, separator=repr(counts.most_common(1)[0][0]))
            if counts
            else text("source.separator_none", lang)
        )
        raise source_block(
            name,
            "source.separator",
            "source.separator_fix",
            [(repr(ch), count) for ch, count in counts.most_common(3)],
            lang,
            found=found,
        )
    raw_names = header_line.split(SEPARATOR)
    prefix = "\t" if len(raw_names) > 1 and all(n.startswith("\t") for n in raw_names[1:]) else ""
    names = [raw.strip().lstrip("\ufeff") for raw in raw_names]
    positions: dict[str, int] = {}
    repeated: Counter[str] = Counter()
    ignored: list[str] = []
    for index, raw in enumerate(names):
        column = _KEYS.get(_column_key(raw))
        if column is None:
            ignored.append(raw)
        elif column in positions:
            repeated[column] += 1
        else:
            positions[column] = index
    if repeated:
        raise source_block(
            name,
            "source.duplicate_columns",
            "source.duplicate_columns_fix",
            [(column, count + 1) for column, count in repeated.most_common(3)],
            lang,
            columns=", ".join(sorted(repeated)),
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        unknown = Counter(raw for raw in ignored if raw) or Counter(missing)
        raise source_block(
            name,
            "source.missing_columns",
            "source.missing_columns_fix",
            unknown.most_common(3),
            lang,
            missing=", ".join(missing),
            expected=", ".join(REQUIRED_COLUMNS),
        )
    return _Header(positions, len(names), prefix, tuple(raw for raw in ignored if raw))


def _line_array(lines: list[str]) -> pa.Array:
    """Data lines as an Arrow string array, the CR of a CRLF line end removed."""
    data = pc.replace_substring_regex(pa.array(lines, pa.large_string()), r"\r$", "")
    return data.cast(pa.string())


def _date_votes(columns: dict[str, pa.Array]) -> Counter[str]:
    """Date values matching each date format, summed over the date columns."""
    votes: Counter[str] = Counter()
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


def _parse_dates(values: pa.Array, date_format: str) -> tuple[pa.Array, pa.Array]:
    """Return (ISO 8601 Lima strings or null, failed mask) for raw date strings."""
    parts = pc.extract_regex(pc.utf8_trim_whitespace(values), DATE_PATTERNS[date_format])

    def part(name: str, width: int) -> pa.Array:
        value = pc.struct_field(parts, name)
        value = pc.if_else(pc.equal(value, ""), pa.scalar("0"), value)
        return pc.utf8_lpad(value, width, "0")

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


def _damaged_fragment(lines: pa.Array) -> pa.Array:
    """Up to 10 characters either side of the first U+FFFD of each line (null when none)."""
    parts = pc.extract_regex(lines, r"(?P<near>.{0,10}\x{FFFD}.{0,10})")
    return pc.struct_field(parts, "near")


def _split(lines: pa.Array, header: _Header) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(field count, well-shaped mask, flat fields with malformed rows padded to empty fields)."""
    fields = pc.split_pattern(lines, SEPARATOR)
    field_count = pc.list_value_length(fields)
    well_shaped = pc.equal(field_count, header.width)
    padded = pc.if_else(well_shaped, fields, pa.scalar([""] * header.width, pa.list_(pa.string())))
    return field_count, well_shaped, pc.list_flatten(padded)


def _column_values(
    flat: pa.Array, header: _Header, column: str, row_count: int, prefix: str
) -> pa.Array:
    """One named column (empty when the header lacks it), without the field prefix."""
    index = header.positions.get(column)
    if index is None:
        return pa.array([""] * row_count, pa.string())
    values = pc.take(flat, pa.array(np.arange(index, len(flat), header.width, dtype=np.int64)))
    if prefix and index > 0:
        values = pc.replace_substring_regex(values, r"^\t", "")
    return values


def _columns(
    lines: pa.Array,
    header: _Header,
    row_count: int,
    prefix: str,
    split: tuple[pa.Array, pa.Array, pa.Array] | None = None,
) -> tuple[dict[str, pa.Array], pa.Array, pa.Array]:
    """Split rows into named columns (absent optional columns empty); (columns, field count,
    well-shaped mask). ``split`` is ``_split(lines, header)`` when already computed."""
    field_count, well_shaped, flat = split if split is not None else _split(lines, header)
    columns = {
        column: _column_values(flat, header, column, row_count, prefix) for column in COLUMNS
    }
    return columns, field_count, well_shaped


@dataclass(frozen=True)
class _Encoding:
    """How a file's bytes decode, decided over the whole file (the rules of ``decode_text``)."""

    name: str
    codec: str
    errors: str
    bom: bool

    def decode(self, block: bytes) -> str:
        """One block of whole lines as text (control characters as U+FFFD)."""
        text_value = block.decode(self.codec, errors=self.errors)
        if len(block.translate(None, _CONTROL_BYTES)) == len(block):
            return text_value  # no control character to clean (``_CONTROL_BYTES``)
        return _clean(text_value)


def _line_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines (each but the last ends with LF)."""
    carry = b""
    with path.open("rb") as handle:
        while block := handle.read(block_bytes):
            buffer = carry + block
            cut = buffer.rfind(b"\n")
            if cut < 0:
                carry = buffer
                continue
            carry = buffer[cut + 1 :]
            yield buffer[: cut + 1]
    if carry:
        yield carry


def _text_blocks(path: Path, encoding: _Encoding, block_bytes: int) -> Iterator[list[str]]:
    """The file's lines (as ``text.split("\\n")``, a final empty one dropped), block by block."""
    for number, block in enumerate(_line_blocks(path, block_bytes)):
        if number == 0 and encoding.bom:
            block = block[len(BOM) :]
        lines = encoding.decode(block).split("\n")
        if lines[-1] == "":
            lines.pop()
        yield lines


def _byte_classes(body: bytes) -> tuple[int, bool, bool]:
    """(``len(UTF8_SEQUENCE.findall(body))``, whether a byte 80-9F occurs, whether a
    ``BINARY_BYTES`` byte occurs) from one byte-wise translation instead of three regex scans.
    A UTF-8 sequence match is a lead byte followed by one or more continuation bytes; a lead is
    never a continuation, so the matches are exactly the lead bytes followed by a continuation:
    the (non-overlapping) occurrences of ``LC`` and ``LD`` in the classes."""
    classes = body.translate(_BYTE_CLASSES)
    return classes.count(b"LC") + classes.count(b"LD"), b"C" in classes, b"B" in classes


def _scan_bytes(path: Path, block_bytes: int, lang: str) -> tuple[str, int, _Encoding]:
    """(SHA-256, size, encoding) in one pass; the refusals of ``decode_text``, same messages."""
    name = path.name
    hasher = hashlib.sha256()
    size = nul = sequences = replaced = 0
    blank, strict, c1 = True, True, False
    first_nul: int | None = None
    first_line_nul = False
    binary: Counter[int] = Counter()
    bom = False
    for number, block in enumerate(_line_blocks(path, block_bytes)):
        hasher.update(block)
        if number == 0:
            bom = block.startswith(BOM)
            first_line_nul = b"\x00" in block.split(b"\n", 1)[0]
        blank = blank and not block.strip()
        if b"\x00" in block:
            nul += block.count(b"\x00")
            if first_nul is None:
                first_nul = size + block.index(b"\x00")
        body = block[len(BOM) :] if number == 0 and bom else block
        body_sequences, body_c1, body_binary = _byte_classes(body)
        if body_binary:  # (the BOM holds none)
            binary.update(block[m.start()] for m in BINARY_BYTES.finditer(block))
        sequences += body_sequences
        c1 = c1 or body_c1
        try:
            replaced += body.decode("utf-8").count("\ufffd")
        except UnicodeDecodeError:
            strict = False
            replaced += body.decode("utf-8", errors="replace").count("\ufffd")
        size += len(block)
    if blank:
        raise source_block(name, "source.empty", "source.empty_fix", [], lang, size=size)
    if first_line_nul or nul * 100 > size:
        raise source_block(
            name,
            "source.binary",
            "source.binary_fix",
            [(f"0x{byte:02x}", count) for byte, count in binary.most_common(3)],
            lang,
            count=nul,
            offset=first_nul,
        )
    utf8 = "utf-8-sig" if bom else "utf-8"
    if strict:
        encoding = _Encoding(utf8, "utf-8", "strict", bom)
    elif sequences > replaced:
        encoding = _Encoding(utf8, "utf-8", "replace", bom)
    elif c1:
        encoding = _Encoding("cp1252", "cp1252", "replace", False)
    else:
        encoding = _Encoding("latin-1", "latin-1", "strict", False)
    return hasher.hexdigest(), size, encoding


def _scan_rows(
    path: Path, encoding: _Encoding, block_bytes: int, lang: str
) -> tuple[_Header, str, str]:
    """(header, field prefix, date format) decided over every row of the file."""
    header: _Header | None = None
    tabbed = shaped = rows = 0
    votes: dict[str, Counter[str]] = {"": Counter(), "\t": Counter()}
    for block in _text_blocks(path, encoding, block_bytes):
        if header is None:
            header = _check_header(path, block.pop(0), lang)
        if not block:
            continue
        lines = _line_array(block)
        rows += len(lines)
        _, well_shaped, flat = _split(lines, header)
        shaped += pc.sum(well_shaped).as_py() or 0
        if header.width > 1:
            second = pc.take(flat, pa.array(np.arange(1, len(flat), header.width, dtype=np.int64)))
            tabbed += pc.sum(pc.starts_with(second, "\t")).as_py() or 0
        for prefix, counter in votes.items():
            dates = {
                column: _column_values(flat, header, column, len(lines), prefix)
                for column in DATE_COLUMNS
            }
            counter.update(_date_votes(dates))
    assert header is not None  # a blank file was refused by _scan_bytes
    prefix = _pick_prefix(header, rows, tabbed, shaped)
    return header, prefix, _pick_date_format(votes[prefix])


def _pick_prefix(header: _Header, rows: int, tabbed: int, shaped: int) -> str:
    """The field prefix: the header's, else a TAB when most well-shaped rows have one."""
    prefix = header.prefix
    if not prefix and rows and header.width > 1:
        prefix = "\t" if tabbed * 2 > shaped else ""
    return prefix


@dataclass(frozen=True)
class _WholeFile:
    """A file read in one block: its lines and their split, decoded and split once for both
    the scan (header, field prefix, date format) and the parse."""

    header: _Header
    prefix: str
    date_format: str
    lines: pa.Array
    split: tuple[pa.Array, pa.Array, pa.Array] | None


def _scan_whole(path: Path, encoding: _Encoding, block_bytes: int, lang: str) -> _WholeFile:
    """``_scan_rows`` for a file that one read holds (at most two text blocks: the lines up to
    the last LF and a last line without one), keeping the lines and their split for the parse.
    The same header, prefix and date format: the prefix depends on every row and the date
    votes on the prefix, so with every row at hand only the chosen prefix's votes are counted
    (``_scan_rows`` counts both while the prefix is still open)."""
    lines = [line for block in _text_blocks(path, encoding, block_bytes) for line in block]
    header = _check_header(path, lines.pop(0), lang)
    data = _line_array(lines)
    if not lines:
        return _WholeFile(header, header.prefix, _pick_date_format(Counter()), data, None)
    split = _split(data, header)
    _, well_shaped, flat = split
    shaped = pc.sum(well_shaped).as_py() or 0
    tabbed = 0
    if header.width > 1:
        second = pc.take(flat, pa.array(np.arange(1, len(flat), header.width, dtype=np.int64)))
        tabbed = pc.sum(pc.starts_with(second, "\t")).as_py() or 0
    prefix = _pick_prefix(header, len(data), tabbed, shaped)
    dates = {
        column: _column_values(flat, header, column, len(data), prefix) for column in DATE_COLUMNS
    }
    votes: Counter[str] = Counter()
    votes.update(_date_votes(dates))
    return _WholeFile(header, prefix, _pick_date_format(votes), data, split)


def read_monthly_file(
    path: Path, lang: str = "es", *, block_bytes: int = READ_BLOCK_BYTES
) -> ReadResult:
    """Read one monthly file into normalised orders and quarantined rows (never loses a row).

    Messages (quarantine and refusals) are in ``lang``. Streamed in blocks of ``block_bytes``:
    one pass decides the encoding (hashing the bytes), one the header, field prefix and date
    format, one parses the rows; the result does not depend on ``block_bytes``. A file that
    one block holds (a month of orders is a few MB) is decoded and split once for the last two.
    """
    path = Path(path)
    # read() allocates its argument up front: never ask for more than the file holds
    block_bytes = max(min(block_bytes, path.stat().st_size + 1), 2 * len(BOM))
    digest, size, encoding = _scan_bytes(path, block_bytes, lang)
    blocks: Iterator[tuple[pa.Array, tuple[pa.Array, pa.Array, pa.Array] | None]]
    if size < block_bytes:  # one read holds the file: decode and split its rows once
        whole = _scan_whole(path, encoding, block_bytes, lang)
        header, field_prefix, date_format = whole.header, whole.prefix, whole.date_format
        blocks = iter([(whole.lines, whole.split)])
    else:
        header, field_prefix, date_format = _scan_rows(path, encoding, block_bytes, lang)
        blocks = (
            (_line_array(block[1:] if number == 0 else block), None)
            for number, block in enumerate(_text_blocks(path, encoding, block_bytes))
        )
    orders: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    process_times: dict[str, int] = {}
    fragments: Counter[str] = Counter()
    row_count = damaged_rows = 0
    for lines, split in blocks:
        if not len(lines):
            continue
        parsed, rejected, damaged = _parse_rows(
            path,
            lines,
            header,
            lang,
            first_line=row_count + 2,
            encoding=encoding.name,
            field_prefix=field_prefix,
            date_format=date_format,
            split=split,
        )
        row_count += len(lines)
        damaged_rows += int(pc.sum(pc.is_valid(damaged)).as_py() or 0)
        fragments.update(v for v in damaged.to_pylist() if v is not None)
        for item in pc.value_counts(
            parsed["process_time"].drop_null().combine_chunks()
        ).to_pylist():
            process_times[item["values"]] = process_times.get(item["values"], 0) + item["counts"]
        orders.append(parsed)
        quarantine.append(rejected)
    _refuse_if_mostly_damaged(path, damaged_rows, fragments, row_count, encoding.name, lang)
    most_common = max(process_times, key=process_times.__getitem__) if process_times else None
    info = SourceFileInfo(
        name=path.name,
        sha256=digest,
        size=size,
        encoding=encoding.name,
        date_format=date_format,
        separator=SEPARATOR,
        field_prefix=field_prefix,
        row_count=row_count,
        process_time=most_common,
        ignored_columns=header.ignored,
    )
    return ReadResult(
        orders=pa.concat_tables(orders) if orders else ORDER_SCHEMA.empty_table(),
        quarantine=pa.concat_tables(quarantine) if quarantine else QUARANTINE_SCHEMA.empty_table(),
        info=info,
    )


def _parse_rows(
    path: Path,
    lines: pa.Array,
    header: _Header,
    lang: str,
    *,
    first_line: int,
    encoding: str,
    field_prefix: str,
    date_format: str,
    split: tuple[pa.Array, pa.Array, pa.Array] | None = None,
) -> tuple[pa.Table, pa.Table, pa.Array]:
    """Parse consecutive data lines (the first at physical line ``first_line``): orders,
    quarantined rows, and the damaged fragment of each line (null when none). ``split`` is
    ``_split(lines, header)`` when the scan already computed it."""
    row_count = len(lines)
    source_line = pa.array(np.arange(first_line, first_line + row_count, dtype=np.int64))
    columns, field_count, well_shaped = _columns(lines, header, row_count, field_prefix, split)

    def message(key: str, shown: pa.Array | None = None, **params: Param) -> Callable[[], pa.Array]:
        """The text ``key`` per row, rendered only if a row fails (``problems.add``), with
        ``shown`` (raw values) quoted as its ``value``."""

        def render() -> pa.Array:
            if shown is not None:
                params["value"] = quoted(shown)
            return render_column(key, lang, row_count, **params)

        return render

    problems = RowProblems(row_count)
    damaged = _damaged_fragment(lines)
    problems.add(
        pc.is_valid(damaged),
        "*",
        "encoding_invalid",
        message("cell.encoding_invalid", damaged, encoding=encoding),
        damaged,
    )
    problems.add(
        pc.invert(well_shaped),
        "*",
        "field_count",
        message("cell.field_count", found=field_count, expected=header.width),
        field_count.cast(pa.string()),
    )
    for column in REQUIRED_COLUMNS:
        blank = pc.equal(pc.utf8_trim_whitespace(columns[column]), "")
        problems.add(
            pc.and_(well_shaped, blank),
            column,
            "required_missing",
            message("cell.required_missing", column=column),
            "",
        )

    parsed_dates: dict[str, pa.Array] = {}
    for column in DATE_COLUMNS:
        iso, failed = _parse_dates(columns[column], date_format)
        present = pc.not_equal(pc.utf8_trim_whitespace(columns[column]), "")
        problems.add(
            pc.and_(pc.and_(well_shaped, present), failed),
            column,
            "date_unparseable",
            message(
                "cell.date_unparseable",
                columns[column],
                column=column,
                format=date_format.replace("%", ""),
            ),
            columns[column],
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
            message("cell.signed_amount_unparseable", columns[column], column=column),
            columns[column],
        )
        problems.add(
            pc.and_(well_shaped, too_precise),
            column,
            "amount_precision",
            message("cell.amount_precision", columns[column], column=column, decimals=2),
            columns[column],
        )
        parsed_amounts[column] = cents

    order_parts = pc.extract_regex(
        pc.utf8_trim_whitespace(columns["ORDEN_ELECTRÓNICA"]), ORDER_NUMBER_PATTERN
    )
    present = pc.not_equal(pc.utf8_trim_whitespace(columns["ORDEN_ELECTRÓNICA"]), "")
    problems.add(
        pc.and_(pc.and_(well_shaped, present), pc.is_null(order_parts)),
        "ORDEN_ELECTRÓNICA",
        "order_number_format",
        message(
            "cell.order_number_format",
            columns["ORDEN_ELECTRÓNICA"],
            column="ORDEN_ELECTRÓNICA",
        ),
        columns["ORDEN_ELECTRÓNICA"],
    )

    good = problems.good
    agreement_code, agreement_name = parse_labels(columns["ACUERDO_MARCO"])
    orders = pa.table(
        {
            "source_file": pa.repeat(pa.scalar(path.name, pa.string()), row_count),
            "source_line": source_line,
            "process_time": parsed_dates["FECHA_PROCESO"],
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
            "agreement_code": agreement_code,
            "agreement_name": agreement_name,
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
            "value": problems.value,
            "message": problems.messages,
            "raw_row": lines,
        },
        schema=QUARANTINE_SCHEMA,
    ).filter(bad)

    return orders, quarantine, damaged


def _refuse_if_mostly_damaged(
    path: Path, count: int, fragments: Counter[str], rows: int, encoding: str, lang: str
) -> None:
    """Half the rows or more with undecodable bytes: the encoding is wrong, not a few rows."""
    if not count or count * 2 < rows:
        return
    raise source_block(
        Path(path).name,
        "source.undecodable",
        "source.undecodable_fix",
        fragments.most_common(3),
        lang,
        count=count,
        rows=rows,
        encoding=encoding,
    )
