"""Streaming helpers for the project's own ``;`` CSV companion files (quotations).

Files are streamed in record batches (``pyarrow.csv.open_csv``) with 1-based physical line
numbers; ``Problems`` records row problems column-wise and builds their quarantine rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from messages import text
from perucompras.quarantine import QUARANTINE_SCHEMA, Param, RowProblems, quoted, render_column
from perucompras.reader import ORDER_NUMBER_PATTERN, SEPARATOR, source_block

LIMA_OFFSET = "-05:00"
MAX_BLOCK_BYTES = 4 << 20
AMOUNT_PATTERN = r"^(?P<units>[0-9]{1,15})(?:\.(?P<fraction>[0-9]*))?$"
DATE_PATTERN = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) "
    r"(?P<hh>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<ss>[0-9]{2})$"
)


def _blank(values: pa.Array) -> pa.Array:
    """True where a string is empty or whitespace only."""
    return pc.equal(pc.utf8_trim_whitespace(values), "")


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
    text = pc.if_else(shaped, trimmed, pa.scalar(""))
    stamps = pc.strptime(text, "%Y-%m-%d %H:%M:%S", "s", error_is_null=True)
    # strptime rolls 2025-02-30 over to March: a real date prints back as the same text (a
    # cast to string prints ``YYYY-MM-DD HH:MM:SS``, ~10x faster than ``strftime``)
    valid = pc.fill_null(pc.equal(stamps.cast(pa.string()), text), False)
    valid = pc.and_(shaped, valid)
    local = pc.replace_substring(text, " ", "T")
    iso = pc.if_else(
        valid, pc.binary_join_element_wise(local, LIMA_OFFSET, ""), pa.scalar(None, pa.string())
    )
    return iso, pc.invert(valid)


class Problems(RowProblems):
    """Row problems of one CSV batch, with the parsers that record them and their quarantine
    (messages in ``lang``)."""

    def __init__(self, size: int, lang: str = "es") -> None:
        """No problem yet for any of ``size`` rows."""
        super().__init__(size)
        self.lang = lang

    def message(self, key: str, **params: Param) -> pa.Array:
        """The catalogue text ``key`` per row of the batch."""
        return render_column(key, self.lang, self.size, **params)

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
                "value": self.value.filter(bad),
                "message": self.messages.filter(bad),
                "raw_row": raw_rows(batch.filter(bad)),
            },
            schema=QUARANTINE_SCHEMA,
        )

    def parse_amount(self, values: pa.Array, field: str) -> pa.Array:
        """Unsigned amounts with at most 2 decimals -> int64 cents (``amount_unparseable`` /
        ``amount_precision`` recorded)."""
        scaled, unparseable, too_precise = parse_scaled_decimal(values, AMOUNT_PATTERN, 2)
        self.add(
            pc.and_(pc.invert(_blank(values)), unparseable),
            field,
            "amount_unparseable",
            lambda: self.message("cell.amount_unparseable", column=field, value=quoted(values)),
            values,
        )
        self.add(
            too_precise,
            field,
            "amount_precision",
            lambda: self.message(
                "cell.amount_precision", column=field, value=quoted(values), decimals=2
            ),
            values,
        )
        return scaled

    def parse_date(self, values: pa.Array, field: str) -> pa.Array:
        """``YYYY-MM-DD HH:MM:SS`` Lima dates -> ISO 8601 (``date_unparseable`` recorded)."""
        iso, failed = parse_lima_dates(values)
        self.add(
            pc.and_(pc.invert(_blank(values)), failed),
            field,
            "date_unparseable",
            lambda: self.message(
                "cell.date_unparseable",
                column=field,
                value=quoted(values),
                format="Y-m-d H:M:S",
            ),
            values,
        )
        return iso

    def parse_order_number(self, values: pa.Array) -> pa.Array:
        """``ORDEN_ELECTRÓNICA`` -> struct (order_id, delivery) or null (``order_number_format``)."""
        parts = pc.extract_regex(pc.utf8_trim_whitespace(values), ORDER_NUMBER_PATTERN)
        self.add(
            pc.and_(pc.invert(_blank(values)), pc.is_null(parts)),
            "ORDEN_ELECTRÓNICA",
            "order_number_format",
            lambda: self.message(
                "cell.order_number_format", column="ORDEN_ELECTRÓNICA", value=quoted(values)
            ),
            values,
        )
        return parts


def sniff_encoding(
    path: Path, expected_header: tuple[str, ...], lang: str = "es"
) -> tuple[str, str]:
    """Return (pyarrow encoding name, label) from the header bytes; refuse a foreign header."""
    with Path(path).open("rb") as handle:
        head = handle.readline()
    if not head.strip():
        raise source_block(path.name, "source.empty", "source.empty_fix", [], lang, size=0)
    bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if bom else head
    for encoding, label in (("utf-8", "utf-8-sig" if bom else "utf-8"), ("latin-1", "latin-1")):
        try:
            names = tuple(body.decode(encoding).rstrip("\r\n").split(SEPARATOR))
        except UnicodeDecodeError:
            continue
        if names == expected_header:
            return ("utf8" if encoding == "utf-8" else "latin1"), label
    header = body.decode("latin-1").rstrip("\r\n")
    if SEPARATOR not in header:
        counts = Counter(ch for ch in header if ch in ",\t|:")
        raise source_block(
            path.name,
            "source.separator",
            "source.separator_fix",
            [(repr(ch), count) for ch, count in counts.most_common(3)],
            lang,
            found=text("source.separator_none", lang)
            if not counts
            else text("source.separator_found", lang, separator=repr(counts.most_common(1)[0][0])),
        )
    found = header.split(SEPARATOR)
    missing = [name for name in expected_header if name not in found] or list(expected_header)
    unknown = Counter(name for name in found if name not in expected_header)
    raise source_block(
        path.name,
        "source.missing_columns",
        "source.missing_columns_fix",
        unknown.most_common(3) or [(name, 1) for name in missing[:3]],
        lang,
        missing=", ".join(missing),
        expected=SEPARATOR.join(expected_header),
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
        self,
        path: Path,
        columns: tuple[str, ...],
        encoding: str,
        block_size: int,
        lang: str = "es",
    ) -> None:
        """Open ``path`` (header skipped) for streaming."""
        self.path = Path(path)
        self.columns = columns
        self.lang = lang
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
                    "value": str(row.columns),
                    "message": text(
                        "cell.field_count", self.lang, found=row.columns, expected=expected
                    ),
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


def raw_rows(batch: pa.RecordBatch) -> pa.Array:
    """The row text (decoded) rebuilt from its string fields."""
    return pc.binary_join_element_wise(*batch.columns, SEPARATOR)


# ---------------------------------------------------------------- detailed export
