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
import gzip
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from publication.dictionary import CSV_DATETIME_FORMAT, TIMEZONE, Table

BOM = b"\xef\xbb\xbf"
ROW_GROUP = 131_072
EXCEL_ROWS = 1_048_576
GZIP_LEVEL = 6
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

    def sheet(self, name: str, definition: Table) -> SheetWriter:
        """A sheet for one table (started when its first row, or its header, is written)."""
        return SheetWriter(self, name, definition)

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
    """Rows of one table on a sheet, continued on ``name (2)`` past Excel's row limit."""

    def __init__(self, workbook: Workbook, name: str, definition: Table) -> None:
        self.workbook = workbook
        self.name = name
        self.definition = definition
        self.sheets = 0
        self.row = EXCEL_ROWS
        self._sheet: Any = None
        self._writers = [self._writer(column.type) for column in definition.columns]

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
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        writers = self._writers
        for values in zip(*columns, strict=True):
            if self.row >= EXCEL_ROWS:
                self._new_sheet()
            sheet, row = self._sheet, self.row
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](sheet, row, col, value)
            self.row += 1

    def close(self) -> None:
        """Make sure the sheet exists (with its header) even when the table is empty."""
        if self._sheet is None:
            self._new_sheet()


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
