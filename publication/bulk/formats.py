"""Writers of the bulk formats, streamed batch by batch and byte-identical on re-run.

- Parquet (zstd) with the dictionary's schema, in row groups of a fixed size;
- CSV in UTF-8 with a byte order mark, Lima date-times as ``YYYY-MM-DD HH:MM:SS``;
- XLSX (xlsxwriter, constant memory), one sheet per table, a new sheet past Excel's row limit;
- JSON Lines in gzip members, split into parts under a byte and a line limit; year and
  full-history files concatenate the month members (a multi-member gzip is one valid file).

Every file is written under a temporary name and renamed when complete, so a truncated file
is never visible under its published name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gzip
import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from math import isinf, isnan
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from xlsxwriter.utility import (  # type: ignore[attr-defined]
    RE_LEADING_WHITESPACE,
    RE_TRAILING_WHITESPACE,
    _preserve_whitespace,
    _utf16_len,
    _utf16_truncate,
    xl_col_to_name,
)

from publication.dictionary import CSV_DATETIME_FORMAT, TIMEZONE, Table

BOM = b"\xef\xbb\xbf"
ROW_GROUP = 131_072
EXCEL_ROWS = 1_048_576
# zlib level 4, not the default 6: on a month of releases with quotations (286 MiB of JSON
# Lines) it compressed in 1.82 s of CPU instead of 3.40 s, for 44.0 MiB instead of 41.8 MiB;
# a backfill compresses every month's releases and compiled releases.
GZIP_LEVEL = 4
_LIMA = ZoneInfo(TIMEZONE)


@contextlib.contextmanager
def temporary(path: Path) -> Iterator[Path]:
    """A temporary sibling of ``path``, renamed to it on success, removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def csv_view(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch as printed in CSV: Lima date-times without offset, lists joined by ``;``."""
    arrays = []
    fields = []
    for f, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_timestamp(f.type):
            seconds = column.cast(pa.timestamp("s", tz=f.type.tz))
            column = pc.strftime(seconds, format=CSV_DATETIME_FORMAT)
            f = pa.field(f.name, pa.string())
        elif pa.types.is_list(f.type):
            column = pc.binary_join(column, ";")
            f = pa.field(f.name, pa.string())
        arrays.append(column)
        fields.append(f.remove_metadata())
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


@dataclass
class TableStats:
    """Rows written and exact sums of the requested columns."""

    rows: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)


class TableWriter:
    """One table streamed to Parquet, optionally CSV and an Excel sheet, at once."""

    def __init__(
        self,
        definition: Table,
        parquet: Path,
        csv: Path | None = None,
        sheet: SheetWriter | None = None,
        sums: tuple[str, ...] = (),
    ) -> None:
        self.definition = definition
        self.schema = definition.arrow_schema()
        self.stats = TableStats(sums=dict.fromkeys(sums, Decimal(0)))
        self._stack = contextlib.ExitStack()
        self._parquet_tmp = self._stack.enter_context(temporary(parquet))
        self._parquet = pq.ParquetWriter(
            self._parquet_tmp,
            self.schema,
            compression="zstd",
            use_dictionary=True,
            write_statistics=True,
        )
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._csv: pa_csv.CSVWriter | None = None
        self._csv_handle: IO[bytes] | None = None
        if csv is not None:
            self._csv_handle = self._stack.enter_context(
                self._stack.enter_context(temporary(csv)).open("wb")
            )
            self._csv_handle.write(BOM)
        self.sheet = sheet

    def write(self, batch: pa.RecordBatch) -> None:
        """Add rows (cast to the dictionary's schema)."""
        if batch.num_rows == 0:
            return
        batch = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema)
        for chunk in batch.to_batches():
            self._add(chunk)

    def _add(self, batch: pa.RecordBatch) -> None:
        self.stats.rows += batch.num_rows
        for name in self.stats.sums:
            total = pc.sum(batch.column(name)).as_py()
            if total is not None:
                self.stats.sums[name] += Decimal(total)
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        while self._pending_rows >= ROW_GROUP:
            self._flush(ROW_GROUP)
        if self._csv_handle is not None:
            view = csv_view(batch)
            if self._csv is None:
                self._csv = pa_csv.CSVWriter(self._csv_handle, view.schema)
            self._csv.write_batch(view)
        if self.sheet is not None:
            self.sheet.write(batch)

    def resume(self, batch: pa.RecordBatch, done: int) -> None:
        """Go on with a table whose first row groups were written elsewhere: ``batch`` is the
        one during which the last of them was completed and ``done`` its rows that were in
        them; what stays pending is what ``_flush`` keeps of it (Parquet only)."""
        table = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema)
        rest = pa.Table.from_batches(table.to_batches(), schema=self.schema).slice(done)
        self._pending = rest.to_batches()
        self._pending_rows = rest.num_rows
        self.stats.rows += rest.num_rows

    def _flush(self, rows: int) -> None:
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        self._parquet.write_table(table.slice(0, rows), row_group_size=rows)
        rest = table.slice(rows)
        self._pending = rest.to_batches()
        self._pending_rows = rest.num_rows

    def close(self) -> TableStats:
        """Finish every file (renamed into place) and return the counts."""
        if self._pending_rows:
            self._flush(self._pending_rows)
        self._parquet.close()
        if self._csv_handle is not None:
            if self._csv is None:
                empty = csv_view(pa.RecordBatch.from_pylist([], schema=self.schema))
                self._csv = pa_csv.CSVWriter(self._csv_handle, empty.schema)
            self._csv.close()
            self._csv_handle.flush()
        if self.sheet is not None:
            self.sheet.close()
        self._stack.close()
        return self.stats

    def abort(self) -> None:
        """Drop the temporary files (after an error)."""
        with contextlib.suppress(Exception):
            self._parquet.close()
        with contextlib.suppress(Exception):
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


class Workbook:
    """An XLSX file written in constant memory, with a fixed creation date (same bytes on
    re-run) and no automatic conversion of texts to formulas, numbers or links."""

    def __init__(self, path: Path, created: dt.datetime, title: str) -> None:
        import xlsxwriter

        self._context = temporary(path)
        self._tmp = self._context.__enter__()
        self.book = xlsxwriter.Workbook(
            str(self._tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self.book.set_properties({"title": title, "created": created})
        self.header = self.book.add_format({"bold": True})
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.quantity = self.book.add_format({"num_format": "#,##0.###"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(self, name: str, definition: Table, *, fast: bool = True) -> SheetWriter:
        """A sheet for one table (started when its first row, or its header, is written)."""
        return SheetWriter(self, name, definition, fast=fast)

    def notes(self, name: str, rows: list[tuple[str, ...]]) -> None:
        """A sheet of plain text rows (the first one bold)."""
        sheet = self.book.add_worksheet(name)
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                sheet.write_string(number, column, value, self.header if number == 0 else None)

    def close(self) -> None:
        """Finish the file and rename it into place."""
        self.book.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the temporary file (after an error)."""
        with contextlib.suppress(Exception):
            self.book.close()
        with contextlib.suppress(Exception):
            self._context.__exit__(RuntimeError, RuntimeError("aborted"), None)


class SheetWriter:
    """Rows of one table on a sheet, continued on ``name (2)`` past Excel's row limit.

    Rows are rendered here, as xlsxwriter renders them in constant-memory mode (same XML,
    same order of format indices), a batch at a time: calling xlsxwriter once per cell cost
    most of a month's build. The last row of each batch goes through xlsxwriter itself, so
    that what stays pending until the next row or the package (the order in which formats
    get their index) is exactly xlsxwriter's; ``fast=False`` writes every cell through it
    (the reference the tests compare with).
    """

    def __init__(
        self, workbook: Workbook, name: str, definition: Table, *, fast: bool = True
    ) -> None:
        self.workbook = workbook
        self.name = name
        self.definition = definition
        self.fast = fast
        self.sheets = 0
        self.row = EXCEL_ROWS
        self._sheet: Any = None
        self._writers = [self._writer(column.type) for column in definition.columns]
        self._styled = self._styled_columns()
        self._strings: dict[str, str] = {}
        self._days: dict[dt.date, str] = {}

    def _writer(self, kind: str) -> Any:
        book = self.workbook

        def text(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_string(row, col, str(value))

        def number(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, value)

        def money(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, float(value), book.money)

        def quantity(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, float(value), book.quantity)

        def moment(sheet: Any, row: int, col: int, value: Any) -> None:
            local = value.astimezone(_LIMA).replace(tzinfo=None)
            sheet.write_datetime(row, col, local, book.datetime)

        def day(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), book.date)

        def boolean(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_boolean(row, col, bool(value))

        return {
            "soles": money,
            "quantity": quantity,
            "int32": number,
            "int64": number,
            "float": number,
            "timestamp": moment,
            "date": day,
            "boolean": boolean,
        }.get(kind, text)

    def _cells(self, sheet: Any, col: int, array: pa.Array) -> list[str | None]:
        """What follows ``<c r="A2"`` for each value of a column (None where no cell), as
        xlsxwriter's ``_write_cell`` prints what the column's ``_writer`` stores. Format
        indices must already be assigned (``_print``)."""
        book = self.workbook
        kind = self.definition.columns[col].type
        if kind in ("soles", "quantity"):
            s = (book.money if kind == "soles" else book.quantity).xf_index
            numbers = _decimal_floats(array)
            return [None if v is None else f' s="{s}"><v>{v:.16G}</v></c>' for v in numbers]
        if kind == "timestamp":
            s = book.datetime.xf_index
            serials = _excel_serials(sheet, array)
            return [None if v is None else f' s="{s}"><v>{v:.16G}</v></c>' for v in serials]
        values = array.to_pylist()
        if kind in ("int32", "int64", "float"):
            for v in values:
                if v is not None and (isnan(v) or isinf(v)):
                    raise TypeError(
                        "NAN/INF not supported in write_number() without "
                        "'nan_inf_to_errors' Workbook() option"
                    )
            return [None if v is None else f"><v>{v:.16G}</v></c>" for v in values]
        if kind == "date":
            s, days = book.date.xf_index, self._days
            for v in values:
                if v is not None and v not in days:
                    days[v] = f"{sheet._convert_date_time(dt.datetime.combine(v, dt.time())):.16G}"
            return [None if v is None else f' s="{s}"><v>{days[v]}</v></c>' for v in values]
        if kind == "boolean":
            return [None if v is None else f' t="b"><v>{1 if v else 0}</v></c>' for v in values]
        strings = self._strings
        return [
            None
            if v is None
            else strings.get(v) or self._string(sheet, v)
            if v.__class__ is str
            else self._string(sheet, str(v))
            for v in values
        ]

    def _cell_array(self, sheet: Any, col: int, array: pa.Array) -> pa.Array:
        """``_cells`` as a large-string array (null where no cell): a text column's cells made
        in Arrow, only the texts ``_PLAIN_TEXT_BREAKERS`` may flag through ``_string``."""
        kind = self.definition.columns[col].type
        if kind in _NOT_TEXT or not (
            pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        ):
            return pa.array(self._cells(sheet, col, array), pa.large_string())
        texts = array.cast(pa.large_string())
        odd = pc.or_(
            pc.greater(pc.utf8_length(texts), sheet.xls_strmax // 2),
            pc.match_substring_regex(texts, _ARROW_BREAKERS),
        ).fill_null(False)
        # Beyond that, only the XML characters: escaped as xlsxwriter's ``_escape_data`` does.
        escaped = texts
        for char, entity in _XML_ESCAPES:
            escaped = pc.replace_substring(escaped, char, entity)
        cells = pc.binary_join_element_wise(
            _large(' t="inlineStr"><is><t>'), escaped, _large("</t></is></c>"), _large("")
        )
        if not pc.any(odd).as_py():
            return cells
        flagged = texts.filter(odd).to_pylist()
        return pc.replace_with_mask(
            cells, odd, pa.array([self._string(sheet, v) for v in flagged], pa.large_string())
        )

    def _styled_columns(self) -> list[tuple[int, Any]]:
        book = self.workbook
        formats = {
            "soles": book.money,
            "quantity": book.quantity,
            "timestamp": book.datetime,
            "date": book.date,
        }
        return [
            (col, formats[column.type])
            for col, column in enumerate(self.definition.columns)
            if column.type in formats
        ]

    def _string(self, sheet: Any, value: str) -> str:
        """An inline string cell, through xlsxwriter's own steps (once per distinct text)."""
        found = self._strings.get(value)
        if found is not None:
            return found
        if len(value) <= sheet.xls_strmax // 2 and not _PLAIN_TEXT_BREAKERS.search(value):
            # Nothing xlsxwriter does would change the text or flag it: printed as it is.
            found = f' t="inlineStr"><is><t>{value}</t></is></c>'
        else:
            found = _string_cell(sheet, value)
        if len(self._strings) < _STRING_CACHE:
            self._strings[value] = found
        return found

    def _new_sheet(self) -> None:
        self.sheets += 1
        name = self.name if self.sheets == 1 else f"{self.name} ({self.sheets})"
        self._sheet = self.workbook.book.add_worksheet(name[:31])
        for col, column in enumerate(self.definition.columns):
            self._sheet.write_string(0, col, column.name, self.workbook.header)
        self._sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, batch: pa.RecordBatch) -> None:
        """Append rows (already in the dictionary's schema)."""
        start = 0
        while start < batch.num_rows:
            if self.row >= EXCEL_ROWS:
                self._new_sheet()
            size = min(batch.num_rows - start, EXCEL_ROWS - self.row)
            chunk = batch.slice(start, size)
            if self.fast:
                self._rows(chunk)
            else:
                columns = [column.to_pylist() for column in chunk.columns]
                for values in zip(*columns, strict=True):
                    self._reference_row(values)
            start += size

    def _reference_row(self, values: tuple[Any, ...] | list[Any]) -> None:
        """One row written cell by cell through xlsxwriter."""
        sheet, row, writers = self._sheet, self.row, self._writers
        for col, value in enumerate(values):
            if value is not None:
                writers[col](sheet, row, col, value)
        self.row += 1

    def _rows(self, chunk: pa.RecordBatch) -> None:
        """Rows that fit on the current sheet: all but the last one with a value printed
        here into the sheet's row data, the last one through xlsxwriter."""
        first = self.row
        filled = np.zeros(chunk.num_rows, dtype=bool)
        for column in chunk.columns:
            filled |= column.is_valid().to_numpy(zero_copy_only=False)
        placed = np.flatnonzero(filled)
        if len(placed) > 1:
            self._print(self._sheet, chunk.take(pa.array(placed[:-1])), first + placed[:-1])
        if len(placed):
            last = int(placed[-1])
            self.row = first + last
            self._reference_row([column[last].as_py() for column in chunk.columns])
        self.row = first + chunk.num_rows

    def _print(self, sheet: Any, rows: pa.RecordBatch, numbers: np.ndarray) -> None:
        # As the first cell of the first row would: the pending row is printed, then the
        # dimensions cover every printed row (cells only ever in the header's columns).
        first, last = int(numbers[0]), int(numbers[-1])
        sheet._check_dimensions(first, 0)
        sheet._write_single_row(first)
        # Formats get their index at their first cell in row order, as when printed one by one.
        waiting = [(col, fmt) for col, fmt in self._styled if fmt.xf_index is None]
        if waiting:
            valid = {col: rows.column(col).is_valid().to_numpy(False) for col, _ in waiting}
            for index in range(rows.num_rows):
                for col, fmt in list(waiting):
                    if valid[col][index]:
                        fmt._get_xf_index()
                        waiting.remove((col, fmt))
                if not waiting:
                    break
        letters = _column_letters(rows.num_columns)
        out: list[str] = []
        real = sheet.fh
        sheet.fh = _TagWriter(out)
        try:
            sheet._write_row(first, None)
        finally:
            sheet.fh = real
        # The row tag depends on the sheet's settings, not on the row: printed here when it
        # is the plain one for the first row, else by xlsxwriter for every row.
        plain = out == [f'<row r="{first + 1}">']
        out.clear()
        if plain and self.fast:
            arrays = [self._cell_array(sheet, col, c) for col, c in enumerate(rows.columns)]
            sheet._check_dimensions(last, 0)
            _write_utf8(real, _printed_rows(numbers, letters, arrays))
            return
        cells = [self._cells(sheet, col, column) for col, column in enumerate(rows.columns)]
        for row, row_cells in zip(numbers.tolist(), zip(*cells, strict=True), strict=True):
            number = f'{row + 1}"'
            if plain:
                out.append(f'<row r="{number}>')
            else:
                sheet.fh = _TagWriter(out)
                try:
                    sheet._write_row(row, None)
                finally:
                    sheet.fh = real
            for col, cell in enumerate(row_cells):
                if cell is not None:
                    out.append(f'<c r="{letters[col]}{number}{cell}')
            out.append("</row>")
        sheet._check_dimensions(last, 0)
        real.write("".join(out))

    def close(self) -> None:
        """Make sure the sheet exists (with its header) even when the table is empty."""
        if self._sheet is None:
            self._new_sheet()


_STRING_CACHE = 100_000
_NOT_TEXT = frozenset(
    {"soles", "quantity", "timestamp", "int32", "int64", "float", "date", "boolean"}
)
# Python's ``\s`` (what xlsxwriter's whitespace patterns match), every code point of it.
_WHITESPACE = "".join(
    f"\\x{{{code:x}}}"
    for code in (
        *range(0x09, 0x0E),
        *range(0x1C, 0x21),
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
)
# What makes xlsxwriter print a text otherwise than as it is, XML characters aside (see
# ``_PLAIN_TEXT_BREAKERS``), in RE2 (Arrow): the same escapes and control characters, a
# whitespace first or last code point, a start like a rich string's.
_ARROW_BREAKERS = (
    r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|^<r>|"
    f"^[{_WHITESPACE}]|[{_WHITESPACE}]$"
)
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _printed_rows(numbers: np.ndarray, letters: list[str], cells: list[pa.Array]) -> pa.Buffer:
    """``<row r="N">`` and each row's cells (``<c r="A2"`` and what ``_cells`` gives, none
    where null) then ``</row>``, for every row at once, joined in Arrow."""
    rows = pa.array(numbers + 1, pa.int64()).cast(pa.large_string())
    pieces = [
        pc.binary_join_element_wise(_large(f'<c r="{letter}'), rows, _large('"'), cell, _large(""))
        for letter, cell in zip(letters, cells, strict=True)
    ]
    joined = pc.binary_join_element_wise(
        _large('<row r="'),
        rows,
        _large('">'),
        *pieces,
        _large("</row>"),
        _large(""),
        null_handling="replace",
        null_replacement="",
    )
    listed = pa.LargeListArray.from_arrays(pa.array([0, len(joined)], pa.int64()), joined)
    buffer = pc.binary_join(listed, _large(""))[0].as_buffer()
    return buffer if buffer is not None else pa.py_buffer(b"")


def _write_utf8(handle: Any, data: pa.Buffer) -> None:
    """UTF-8 bytes onto xlsxwriter's row-data file (text, UTF-8): straight to its byte
    buffer when nothing would be translated (no decoding and encoding again)."""
    if (
        isinstance(handle, io.TextIOWrapper)
        and handle.encoding.lower().replace("-", "") == "utf8"
        and os.linesep == "\n"
    ):
        handle.flush()
        handle.buffer.write(memoryview(data))
    else:
        handle.write(data.to_pybytes().decode("utf-8"))


# What makes xlsxwriter print a text otherwise than as it is: its control-character escapes
# (and literal escapes), the XML characters it escapes in text, leading or trailing
# whitespace (xml:space, with its own patterns), and "<r>" (the only start of a rich string).
_PLAIN_TEXT_BREAKERS = re.compile(
    r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|"
    + RE_LEADING_WHITESPACE.pattern
    + "|"
    + RE_TRAILING_WHITESPACE.pattern
)


def _decimal_floats(array: pa.Array) -> list[float | None]:
    """``float(value)`` of each decimal (None where null): the unscaled integer over the power
    of ten, one correctly rounded division, equal to Python's conversion when the unscaled
    integer is exact in a double (else Python's conversion itself)."""
    if not pa.types.is_decimal128(array.type):
        return [None if v is None else float(v) for v in array.to_pylist()]
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    words = np.frombuffer(array.buffers()[1], dtype="<i8")
    words = words[array.offset * 2 : (array.offset + len(array)) * 2]
    low, high = words[0::2], words[1::2]
    exact = (high == (low >> 63)) & (low <= 2**53) & (low >= -(2**53))
    if not bool(np.all(exact | ~valid)):
        return [None if v is None else float(v) for v in array.to_pylist()]
    floats = (low.astype(np.float64) / float(10**array.type.scale)).tolist()
    return [value if ok else None for value, ok in zip(floats, valid.tolist(), strict=True)]


_EXCEL_EPOCH_MS = (dt.datetime(1899, 12, 31) - dt.datetime(1970, 1, 1)) // dt.timedelta(
    milliseconds=1
)
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


@functools.lru_cache(maxsize=65_536)
def _lima_offset_ms(hour: int) -> int | None:
    """Lima's UTC offset in milliseconds through one UTC hour (None if it changes within)."""
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour)
    end = start + dt.timedelta(milliseconds=_HOUR_MS - 1)
    first, last = start.astimezone(_LIMA).utcoffset(), end.astimezone(_LIMA).utcoffset()
    if first is None or first != last:
        return None
    return first // dt.timedelta(milliseconds=1)


def _excel_serials(sheet: Any, array: pa.Array) -> list[float | None]:
    """The Excel serial xlsxwriter stores for each Lima time of a millisecond timestamp
    column (``sheet._convert_date_time`` of the naive Lima wall time), computed on whole
    arrays with the same float operations in the same order; values in an hour in which
    Lima's offset changes go through xlsxwriter one by one."""
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    if array.type.unit != "ms" or sheet.date_1904 or not valid.any():
        return [
            None
            if v is None
            else sheet._convert_date_time(v.astimezone(_LIMA).replace(tzinfo=None))
            for v in array.to_pylist()
        ]
    utc = pc.cast(array, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    hours, where = np.unique(np.floor_divide(utc, _HOUR_MS), return_inverse=True)
    offsets = [_lima_offset_ms(int(hour)) for hour in hours.tolist()]
    known = np.array([offset is not None for offset in offsets])[where]
    shift = np.array([offset or 0 for offset in offsets], dtype=np.int64)[where]
    delta = utc + shift - _EXCEL_EPOCH_MS
    days = np.floor_divide(delta, _DAY_MS)
    rest = delta - days * _DAY_MS
    seconds = np.floor_divide(rest, 1000)
    micros = (rest - seconds * 1000) * 1000
    serial = days.astype(np.float64) + (
        seconds.astype(np.float64) + micros.astype(np.float64) / 1e6
    ) / float(60 * 60 * 24)
    serial = np.where(days == 1, serial - 1, serial)  # 1900-01-01: xlsxwriter's time-only rule
    serial = np.where(serial > 59, serial + 1, serial)  # Excel's 29 February 1900
    out: list[float | None] = [
        value if ok else None for value, ok in zip(serial.tolist(), valid.tolist(), strict=True)
    ]
    for index in np.flatnonzero(valid & ~known).tolist():
        local = array[index].as_py().astimezone(_LIMA).replace(tzinfo=None)
        out[index] = sheet._convert_date_time(local)
    return out


def _string_cell(sheet: Any, value: str) -> str:
    """What follows ``<c r="A2"`` for a text, step by step as xlsxwriter's ``_write_string``
    and ``_write_cell`` (constant memory) do."""
    string = value
    if len(string) > sheet.xls_strmax // 2 and _utf16_len(string) > sheet.xls_strmax:
        string = _utf16_truncate(string, sheet.xls_strmax)
    string = sheet._escape_control_characters(string)
    if string.startswith("<r>") and string.endswith("</r>"):
        return f' t="inlineStr"><is>{string}</is></c>'
    space = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
    return f' t="inlineStr"><is><t{space}>{sheet._escape_data(string)}</t></is></c>'


class _TagWriter:
    """A file-like sink that collects what xlsxwriter writes (row tags) into a list."""

    def __init__(self, out: list[str]) -> None:
        self.write = out.append


def _column_letters(count: int) -> list[str]:
    return [xl_col_to_name(col) for col in range(count)]


@dataclass(frozen=True)
class Part:
    """One JSON Lines part: its path (relative to the bulk folder), lines, uncompressed size."""

    path: str
    lines: int
    bytes: int

    def to_json(self) -> dict[str, Any]:
        """As recorded in provenance.json."""
        return {"path": self.path, "lines": self.lines, "bytes": self.bytes}


def part_paths(stem: str, count: int) -> list[str]:
    """``stem.jsonl.gz`` for one part, ``stem-part-001.jsonl.gz``... for several."""
    if count == 1:
        return [f"{stem}.jsonl.gz"]
    return [f"{stem}-part-{number:03d}.jsonl.gz" for number in range(1, count + 1)]


class JsonlParts:
    """JSON Lines written as gzip parts of at most ``max_bytes`` uncompressed and
    ``max_lines`` lines (OCDS hosting guidance: ~1 GB and 250,000 contracts per file)."""

    def __init__(self, folder: Path, stem: str, *, max_bytes: int, max_lines: int) -> None:
        self.folder = folder
        self.stem = stem
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self._tmp: list[Path] = []
        self._sizes: list[tuple[int, int]] = []
        self._raw: IO[bytes] | None = None
        self._gzip: gzip.GzipFile | None = None
        self._lines = self._bytes = 0

    def _open(self) -> None:
        self._close_member()
        tmp = self.folder / f".{Path(self.stem).name}.{len(self._tmp)}.tmp"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        self._tmp.append(tmp)
        self._sizes.append((0, 0))
        self._raw = tmp.open("wb")
        self._lines = self._bytes = 0

    def _member(self) -> gzip.GzipFile:
        if self._gzip is None:
            assert self._raw is not None
            self._gzip = gzip.GzipFile(
                filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=self._raw, mtime=0
            )
        return self._gzip

    def _close_member(self) -> None:
        if self._gzip is not None:
            self._gzip.close()
            self._gzip = None

    def _fits(self, lines: int, size: int) -> bool:
        return self._raw is not None and (
            self._lines == 0
            or (self._lines + lines <= self.max_lines and self._bytes + size <= self.max_bytes)
        )

    def _count(self, lines: int, size: int) -> None:
        self._lines += lines
        self._bytes += size
        self._sizes[-1] = (self._lines, self._bytes)

    def add(self, line: bytes) -> None:
        """One line (without its newline)."""
        size = len(line) + 1
        if not self._fits(1, size):
            self._open()
        self._member().write(line + b"\n")
        self._count(1, size)

    def add_member(self, path: Path, lines: int, size: int) -> None:
        """A whole gzip file written by another ``JsonlParts`` (copied, not recompressed)."""
        if not self._fits(lines, size):
            self._open()
        self._close_member()
        assert self._raw is not None
        with path.open("rb") as source:
            shutil.copyfileobj(source, self._raw, 1 << 20)
        self._count(lines, size)

    def close(self, relative_to: Path) -> list[Part]:
        """Finish and rename the parts; an empty stream still gives one valid gzip file."""
        if self._raw is None:
            self._open()
        if self._raw is not None and self._raw.tell() == 0:
            self._member()
        self._close_member()
        assert self._raw is not None
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        parts = []
        for tmp, name, (lines, size) in zip(
            self._tmp, part_paths(self.stem, len(self._tmp)), self._sizes, strict=True
        ):
            target = self.folder / Path(name).name
            os.replace(tmp, target)
            parts.append(Part(target.relative_to(relative_to).as_posix(), lines, size))
        return parts

    def abort(self) -> None:
        """Drop the temporary parts (after an error)."""
        with contextlib.suppress(Exception):
            self._close_member()
        if self._raw is not None:
            self._raw.close()
        for tmp in self._tmp:
            tmp.unlink(missing_ok=True)
