"""Order lines, deliveries and quotations of one day's orders, from the month's companion files.

Companions of ``ReportePCBienesYYYYMM.csv`` in the same folder, both optional:

- the portal's "Detallado" export saved as ``ReportePCDetalleYYYYMM.xlsx``; the portal exports
  one Acuerdo Marco at a time, so a month may come in several files
  ``ReportePCDetalleYYYYMM-<anything>.xlsx``, all read (an order found in two of them is kept
  from the first by name and its rows in the others are quarantined);
- ``CotizacionesYYYYMM.csv`` (quotations).

Each file is read once per content version into a Parquet cache keyed by its SHA-256 (and the
reader's code), and each day reads only its orders from it. Rows the readers reject are
quarantined on the first day of the file's month, like the monthly file's own rejects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from messages import source as source_messages
from messages import text
from perucompras import csv_stream, detailed_export, xlsx_rows
from perucompras import quotations as quotation_reader
from perucompras.detailed_export import FILE_NAME_PATTERN as DETAIL_FILE_NAME
from perucompras.detailed_export import FILE_PREFIX as DETAIL_FILE_PREFIX
from perucompras.detailed_export import (
    HEADER_BY_FIELD,
    DetailFileInfo,
    DetailResult,
    RowMemo,
    read_detailed_export_reusing,
    sheet_rows_text,
)
from perucompras.quotations import FILE_PREFIX as QUOTATION_FILE_PREFIX
from perucompras.quotations import QUOTATION_SCHEMA, stream_quotations
from perucompras.reader import QUARANTINE_SCHEMA

DETAIL_PREFIX = DETAIL_FILE_PREFIX
QUOTATION_PREFIX = QUOTATION_FILE_PREFIX
_QUOTATION_FILE = re.compile(rf"^{QUOTATION_PREFIX}(?P<year>\d{{4}})(?P<month>\d{{2}}).*\.csv$")
_DETAIL_TABLES = ("lines", "deliveries", "parents", "quarantine")
SEVERAL_FILES_RULE = "order_in_several_files"
# Columns of a month's quotations held dictionary-encoded (a few thousand distinct values over
# ~1.5M rows): the month table a process keeps weighs ~120 MiB instead of ~300.
_QUOTATION_DICTIONARY = (
    "source_file",
    "order_number",
    "order_id",
    "supplier_ruc",
    "supplier_name",
    "status",
)


@dataclass(frozen=True)
class DayDetails:
    """Lines, deliveries and quotations of the day's orders, and the rows held back."""

    lines: pa.Table | None = None
    deliveries: pa.Table | None = None
    quotations: pa.Table | None = None
    quarantine: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    counts: dict[str, int] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)


def _month_of(pattern: re.Pattern[str], path: Path) -> tuple[int, int] | None:
    match = pattern.match(path.name)
    return (int(match["year"]), int(match["month"])) if match else None


def companion_files(folder: Path, day: dt.date) -> dict[str, Path]:
    """The detailed export (the first of the month's, by name) and quotations of ``day``'s month."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    month = (day.year, day.month)
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if _month_of(DETAIL_FILE_NAME, path) == month:
            found.setdefault(DETAIL_PREFIX, path)
        elif _month_of(_QUOTATION_FILE, path) == month:
            found.setdefault(QUOTATION_PREFIX, path)
    return found


def month_detail_files(first: Path) -> list[Path]:
    """``first`` and the other detailed exports of its month in its folder, sorted by name."""
    month = _month_of(DETAIL_FILE_NAME, first)
    return sorted(
        {first}
        | {
            path
            for path in first.parent.iterdir()
            if path.is_file() and month and _month_of(DETAIL_FILE_NAME, path) == month
        }
    )


def details_for_day(
    companions: dict[str, Path],
    order_numbers: pa.Array,
    day: dt.date,
    cache_dir: Path,
    *,
    lang: str = "es",
) -> DayDetails:
    """Read the companions and keep the rows of ``order_numbers`` (the day's published orders);
    rejected rows' messages in ``lang``."""
    first_day = day.day == 1
    quarantine: list[pa.Table] = []
    counts: dict[str, int] = {}
    sources: list[dict[str, Any]] = []
    lines = deliveries = quotations = None
    detail_path = companions.get(DETAIL_PREFIX)
    orders_first = (
        None
        if detail_path is None or first_day
        else _orders_first(detail_path, cache_dir, lang, order_numbers)
    )
    if orders_first is not None:
        lines, deliveries, source = orders_first
        lines = lines.filter(pc.is_in(lines["order_number"], value_set=order_numbers))
        deliveries = deliveries.filter(
            pc.is_in(deliveries["order_number"], value_set=order_numbers)
        )
        counts["detailLines"] = lines.num_rows
        sources.append(source)
    elif detail_path is not None:
        paths = month_detail_files(detail_path)
        results = [_detail_cached(path, cache_dir, lang) for path in paths]
        all_lines, all_deliveries, rejected = _combine(list(zip(paths, results, strict=True)), lang)
        lines = all_lines.filter(pc.is_in(all_lines["order_number"], value_set=order_numbers))
        deliveries = all_deliveries.filter(
            pc.is_in(all_deliveries["order_number"], value_set=order_numbers)
        )
        counts["detailLines"] = lines.num_rows
        if first_day:
            quarantine.append(rejected)
            counts["detailRowsQuarantined"] = rejected.num_rows
        sources += [
            {"name": r.info.name, "sha256": r.info.sha256, "rowsInFile": r.info.row_count}
            for r in results
        ]
    if quotation_path := companions.get(QUOTATION_PREFIX):
        month, rejected, info = _quotation_month(quotation_path, cache_dir, lang)
        quotations = _quotations_of(month, order_numbers)
        counts["quotations"] = quotations.num_rows
        if first_day:
            quarantine.append(rejected)
            counts["quotationRowsQuarantined"] = rejected.num_rows
        sources.append(info)
    return DayDetails(
        lines=lines,
        deliveries=deliveries,
        quotations=quotations,
        quarantine=pa.concat_tables(quarantine) if quarantine else QUARANTINE_SCHEMA.empty_table(),
        counts=counts,
        sources=sources,
    )


# The lines and deliveries of one day's orders, parsed first by a daily run's worker
# (``publication.ahead``) while it goes on with the whole month's export: the mapping of a day
# after the first of its month takes them instead of waiting for the month (whose rejected
# rows only the first day publishes). ``orders_in_rows`` gives them as the whole read does.
_ORDERS_FIRST_TABLES = ("lines", "deliveries")


def day_order_numbers(order_numbers: pa.Array) -> list[str]:
    """The day's order numbers as the mapping asks the worker for them (sorted, distinct)."""
    return sorted(set(order_numbers.cast(pa.string()).drop_null().to_pylist()))


def _numbers_digest(order_numbers: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(order_numbers))).encode()).hexdigest()[:16]


def orders_first_folder(path: Path, cache_dir: Path, lang: str, order_numbers: list[str]) -> Path:
    """Where the worker puts the lines and deliveries of ``order_numbers`` (the day's) of the
    detailed export ``path``."""
    folder = detail_cache_folder(path, cache_dir, lang).name
    return cache_dir / f"{folder}.day-{_numbers_digest(order_numbers)}"


def _orders_first(
    path: Path, cache_dir: Path, lang: str, order_numbers: pa.Array
) -> tuple[pa.Table, pa.Table, dict[str, Any]] | None:
    """The day's orders' lines, deliveries and source entry from the worker's folder, when
    the month's export is its only one and the whole parse is not cached (None otherwise)."""
    # by name first: a backfill's days never have one, and the file's digest costs ~10 ms
    if not any(cache_dir.glob(f"{glob.escape(path.stem)}-*-{lang}.day-*")):
        return None
    if month_detail_files(path) != [path]:
        return None
    folder = orders_first_folder(path, cache_dir, lang, day_order_numbers(order_numbers))
    if (detail_cache_folder(path, cache_dir, lang) / "info.json").exists():
        return None  # the month's parse: read as usual
    if not (folder / "source.json").exists():
        return None
    source = json.loads((folder / "source.json").read_text())
    lines, deliveries = (pq.read_table(folder / f"{name}.parquet") for name in _ORDERS_FIRST_TABLES)
    return lines, deliveries, source


class _OrdersFirst(detailed_export.SheetWatcher):
    """In a daily run's worker: once the export's rows are read, the lines and deliveries of
    the orders the day asks for (``wanted``: a JSON list of order numbers the mapping writes
    when it waits) are parsed and written first, then the whole month as usual."""

    def __init__(self, path: Path, cache_dir: Path, lang: str, wanted: Path) -> None:
        self.path, self.cache_dir, self.lang, self.wanted = path, cache_dir, lang, wanted
        self.sheet: detailed_export.SheetRows | None = None
        self.done = False

    def rows_read(self, sheet: detailed_export.SheetRows) -> None:
        self.sheet = sheet
        self.between()

    def between(self) -> None:
        if self.done or self.sheet is None or not self.wanted.exists():
            return
        self.done = True
        numbers = [str(number) for number in json.loads(self.wanted.read_text())]
        ids = {number.removesuffix(f"-{detailed_export.ORDER_ROW}") for number in numbers}
        lines, deliveries = detailed_export.orders_in_rows(self.sheet, ids, self.lang)
        digest = _file_digest(self.path)
        folder = orders_first_folder(self.path, self.cache_dir, self.lang, numbers)
        partial = _partial(folder)
        partial.mkdir(parents=True)
        for name, table in zip(_ORDERS_FIRST_TABLES, (lines, deliveries), strict=True):
            pq.write_table(table, partial / f"{name}.parquet")
        source = {"name": self.path.name, "sha256": digest, "rowsInFile": self.sheet.data_rows()}
        (partial / "source.json").write_text(json.dumps(source, ensure_ascii=False))
        try:
            partial.rename(folder)
        except OSError:  # already there (the same bytes)
            shutil.rmtree(partial, ignore_errors=True)


def _combine(
    results: list[tuple[Path, DetailResult]], lang: str = "es"
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Lines, deliveries and quarantine of a month's exports; an order is kept from one file."""
    lines: list[pa.Table] = []
    deliveries: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    first_file: dict[str, str] = {}
    for path, result in results:
        quarantine.append(result.quarantine.select(QUARANTINE_SCHEMA.names))
        orders = result.parents["order_id"].to_pylist()
        repeated = sorted({order for order in orders if order in first_file})
        if repeated:
            quarantine.append(_repeated_orders(path, result, repeated, first_file, lang))
            value_set = pa.array(repeated, pa.string())
            lines.append(
                result.lines.filter(pc.invert(pc.is_in(result.lines["order_id"], value_set)))
            )
            deliveries.append(
                result.deliveries.filter(
                    pc.invert(pc.is_in(result.deliveries["order_id"], value_set))
                )
            )
        else:
            lines.append(result.lines)
            deliveries.append(result.deliveries)
        for order in orders:
            first_file.setdefault(order, result.info.name)
    return (
        pa.concat_tables(lines) if lines else detailed_export.LINE_SCHEMA.empty_table(),
        pa.concat_tables(deliveries)
        if deliveries
        else detailed_export.DELIVERY_SCHEMA.empty_table(),
        pa.concat_tables(quarantine) if quarantine else QUARANTINE_SCHEMA.empty_table(),
    )


def _repeated_orders(
    path: Path,
    result: DetailResult,
    repeated: list[str],
    first_file: dict[str, str],
    lang: str = "es",
) -> pa.Table:
    """Every row of ``repeated`` orders in ``result`` as quarantine rows."""
    value_set = pa.array(repeated, pa.string())
    parents = result.parents.filter(pc.is_in(result.parents["order_id"], value_set))
    rows = [
        (order, row)
        for order, order_rows in zip(
            parents["order_id"].to_pylist(), parents["order_rows"].to_pylist(), strict=True
        )
        for row in order_rows
    ]
    lines = result.lines.filter(pc.is_in(result.lines["order_id"], value_set))
    rows += zip(lines["order_id"].to_pylist(), lines["source_line"].to_pylist(), strict=True)
    header = HEADER_BY_FIELD["source_order_number"]
    raw = sheet_rows_text(path, result.info.sheet, {row for _, row in rows})
    return pa.Table.from_pylist(
        [
            {
                "source_file": result.info.name,
                "source_line": row,
                "field": header,
                "rule": SEVERAL_FILES_RULE,
                "value": order,
                "message": text(
                    "cell.order_in_several_files",
                    lang,
                    column=header,
                    value=f'"{order}"',
                    first=first_file[order],
                ),
                "raw_row": raw.get(row),
            }
            for order, row in sorted(rows, key=lambda item: item[1])
        ],
        schema=QUARANTINE_SCHEMA,
    )


@functools.cache
def _reader_version() -> str:
    """Digest of the readers' code and their texts: a new reader never reuses an old cache."""
    digest = hashlib.sha256()
    for module in (detailed_export, xlsx_rows, quotation_reader, csv_stream, source_messages):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:12]


def _detail_cached(path: Path, cache_dir: Path, lang: str = "es") -> DetailResult:
    stat = path.stat()
    return _detail_cache(str(path), stat.st_mtime_ns, stat.st_size, str(cache_dir), lang)


@functools.lru_cache(maxsize=4)
def _detail_cache(
    path_text: str, mtime_ns: int, size: int, cache_text: str, lang: str
) -> DetailResult:
    """Days of one month share its detailed export: parse it once per content version (Parquet
    cache keyed by the file's SHA-256, the reader's code and the language), then read it."""
    del mtime_ns, size  # part of the in-process cache key only
    folder, result = _fill_detail_cache(Path(path_text), Path(cache_text), lang)
    if result is not None:
        return result
    info = json.loads((folder / "info.json").read_text())
    info["ignored_columns"] = tuple(info["ignored_columns"])
    tables = {name: pq.read_table(folder / f"{name}.parquet") for name in _DETAIL_TABLES}
    return DetailResult(**tables, info=DetailFileInfo(**info))


def detail_cache_folder(path: Path, cache_dir: Path, lang: str = "es") -> Path:
    """The cache folder of a detailed export's bytes (complete once it holds ``info.json``)."""
    digest = _file_digest(path)
    return cache_dir / f"{path.stem}-{digest[:16]}-{_reader_version()}-{lang}"


def uncached_companions(
    companions: dict[str, Path], cache_dir: Path, lang: str = "es"
) -> list[Path]:
    """The month's companion files (every detailed export of the month, the quotations) whose
    parse is not in ``cache_dir`` yet: what ``details_for_day`` would parse now."""
    found: list[Path] = []
    if detail := companions.get(DETAIL_PREFIX):
        found += [
            path
            for path in month_detail_files(detail)
            if not (detail_cache_folder(path, cache_dir, lang) / "info.json").exists()
        ]
    if quotations := companions.get(QUOTATION_PREFIX):
        cache = quotation_cache_file(quotations, cache_dir, lang)
        if not cache.exists() or not cache.with_suffix(".rejected.parquet").exists():
            found.append(quotations)
    return found


def fill_companion_caches(
    paths: list[Path], cache_dir: Path, lang: str = "es", *, wanted: Path | None = None
) -> None:
    """Parse companion files (detailed exports, quotations) into ``cache_dir`` as
    ``details_for_day`` does (a detailed export with its row memo), without reading them back:
    a worker parsing ahead of the day's mapping (``publication.ahead``). ``wanted``: where the
    mapping asks for its day's orders (``_OrdersFirst``)."""
    for path in paths:
        if _month_of(DETAIL_FILE_NAME, path) is not None:
            watcher = None if wanted is None else _OrdersFirst(path, cache_dir, lang, wanted)
            _fill_detail_cache(path, cache_dir, lang, watcher=watcher)
        elif _month_of(_QUOTATION_FILE, path) is not None:
            _quotation_cache(path, cache_dir, lang)
        else:
            raise ValueError(f"{path.name} is not a detailed export or a quotations file")


def _fill_detail_cache(
    path: Path,
    cache_dir: Path,
    lang: str = "es",
    *,
    remember: bool = True,
    watcher: detailed_export.SheetWatcher | None = None,
) -> tuple[Path, DetailResult | None]:
    """The cache folder of ``path``, written now if missing (then with the parsed result).
    ``remember``: also keep the rows by content for the file's next snapshot (``RowMemo``).

    Several processes may fill it at once (``publication.prepare``): each writes its own
    partial folder and renames it into place; whoever comes second drops its copy (same bytes).
    """
    folder = detail_cache_folder(path, cache_dir, lang)
    if (folder / "info.json").exists():
        return folder, None
    earlier_folder, earlier = (
        _earlier_memo(path, cache_dir, folder.name, lang) if remember else (None, None)
    )
    result, memo = read_detailed_export_reusing(
        path, lang, earlier, remember=remember, watcher=watcher
    )
    partial = _partial(folder)
    partial.mkdir(parents=True)
    for name in _DETAIL_TABLES:
        pq.write_table(getattr(result, name), partial / f"{name}.parquet")
    if memo is not None:
        _save_memo(partial, memo)
    info = dataclasses.asdict(result.info)
    (partial / "info.json").write_text(json.dumps(info, ensure_ascii=False, sort_keys=True))
    try:
        partial.rename(folder)
    except OSError:  # another process renamed its copy first (a folder is complete or absent)
        if not (folder / "info.json").exists():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    if earlier_folder is not None:
        _drop_memo(earlier_folder)  # superseded: one memo per file name is kept
    return folder, result


# The rows of a parsed export by content (``detailed_export.RowMemo``), kept in its cache folder:
# the next snapshot of the same file (the portal's daily republication) parses only the rows
# that are new or changed.
_MEMO_FILES = ("rows-kept.parquet", "rows-rejected.parquet", "rows.json")


def _save_memo(folder: Path, memo: RowMemo) -> None:
    """Write ``memo`` into a cache folder being filled (its signature last: a memo is read only
    when whole)."""
    kept, rejected, signature = (folder / name for name in _MEMO_FILES)
    pq.write_table(memo.kept, kept, compression="zstd")
    pq.write_table(memo.rejected, rejected, compression="zstd")
    signature.write_text(json.dumps({"signature": memo.signature}, ensure_ascii=False))


def _drop_memo(folder: Path) -> None:
    """Remove a folder's memo, its signature first (a reader never takes a partial memo; one
    that reads it anyway and then misses a file parses in full)."""
    for name in reversed(_MEMO_FILES):
        (folder / name).unlink(missing_ok=True)


def _earlier_memo(
    path: Path, cache_dir: Path, skip: str, lang: str
) -> tuple[Path | None, RowMemo | None]:
    """The newest other parse of a file with ``path``'s name by this reader and in ``lang`` (an
    earlier snapshot) whose memo can be read, and that memo; (None, None) otherwise (a full
    parse)."""
    pattern = f"{glob.escape(path.stem)}-*-{_reader_version()}-{lang}"
    found: list[tuple[int, Path]] = []
    for folder in cache_dir.glob(pattern):
        if folder.name == skip or ".partial" in folder.name:
            continue
        try:
            info = json.loads((folder / "info.json").read_text())
            if info.get("name") != path.name or not (folder / _MEMO_FILES[2]).exists():
                continue
            found.append(((folder / "info.json").stat().st_mtime_ns, folder))
        except (OSError, ValueError, AttributeError):
            continue
    for _, folder in sorted(found, reverse=True):
        memo = _load_memo(folder)
        if memo is not None:
            return folder, memo
    return None, None


def _load_memo(folder: Path) -> RowMemo | None:
    kept, rejected, signature = (folder / name for name in _MEMO_FILES)
    try:
        memo = RowMemo(
            signature=str(json.loads(signature.read_text())["signature"]),
            kept=pq.read_table(kept),
            rejected=pq.read_table(rejected),
        )
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException):
        return None  # damaged or not written by this code: a full parse
    if (
        memo.kept.schema != detailed_export.KEPT_MEMO_SCHEMA
        or memo.rejected.schema != detailed_export.REJECTED_MEMO_SCHEMA
    ):
        return None
    return memo


def _partial(final: Path) -> Path:
    """A new partial path for ``final``, this process's own; partials left by processes that
    are gone (killed mid-write) are removed first."""
    for stale in final.parent.glob(f"{glob.escape(final.name)}.partial*"):
        owner = stale.name.rpartition(".partial")[2].lstrip("-").partition("-")[0]
        if not (owner.isdigit() and _alive(int(owner))):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    return final.with_name(f"{final.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _quotations_of(month: pa.Table, order_numbers: pa.Array) -> pa.Table:
    """The rows of ``order_numbers`` in a month's table (``_quotation_table``), as plain
    ``QUOTATION_SCHEMA`` columns, by order number and source line."""
    wanted = order_numbers.cast(pa.string())
    column = month["order_number"]
    if pa.types.is_dictionary(column.type):
        # Test the ~10k distinct numbers, not the ~1.5M rows, then map through the indices.
        mask = pa.chunked_array(
            [
                pc.take(pc.is_in(chunk.dictionary, value_set=wanted), chunk.indices)
                for chunk in column.chunks
            ],
            pa.bool_(),
        )
    else:
        mask = pc.is_in(column, value_set=wanted)
    return (
        month.filter(mask)
        .cast(QUOTATION_SCHEMA)
        .sort_by([("order_number", "ascending"), ("source_line", "ascending")])
    )


def _quotation_month(
    path: Path, cache_dir: Path, lang: str = "es"
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    """The month's valid quotations (string columns dictionary-encoded, see
    ``_quotations_of``), rejected rows and source info, read from the cache once per process
    and file version: the days of a month filter the same table instead of each hashing the
    CSV and reading the whole Parquet again. Another month's table is let go before this one
    is read, so a process never holds two."""
    global _quotation_key
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, str(cache_dir), lang)
    if key != _quotation_key:
        _quotation_table.cache_clear()
        _quotation_key = key
    return _quotation_table(*key)


_quotation_key: tuple[str, int, int, str, str] | None = None


@functools.lru_cache(maxsize=1)
def _quotation_table(
    path_text: str, mtime_ns: int, size: int, cache_text: str, lang: str
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    del mtime_ns, size  # part of the in-process cache key only
    cache, rejected, info = _quotation_cache(Path(path_text), Path(cache_text), lang)
    return pq.read_table(cache, read_dictionary=_QUOTATION_DICTIONARY), rejected, info


def forget_details() -> None:
    """Let go of the detailed exports' parses this process holds (a worker done with its
    month)."""
    _detail_cache.cache_clear()


def forget_quotations() -> None:
    """Let go of the month's quotations this process holds (a worker done with its month)."""
    global _quotation_key
    _quotation_table.cache_clear()
    _quotation_key = None


def _quotation_cache(
    path: Path, cache_dir: Path, lang: str = "es"
) -> tuple[Path, pa.Table, dict[str, Any]]:
    """Stream the quotations file once into Parquet (valid rows) plus its rejected rows.

    Both files are renamed into place, the rejected rows first: the cache is complete once the
    valid rows' file exists, whichever process (``publication.prepare``) wrote it.
    """
    digest = _file_digest(path)
    cache = quotation_cache_file(path, cache_dir, lang, digest=digest)
    cache_dir.mkdir(parents=True, exist_ok=True)
    rejected_path = cache.with_suffix(".rejected.parquet")
    if not cache.exists() or not rejected_path.exists():
        stream = stream_quotations(path, batch_rows=65_536, lang=lang)
        partial = _partial(cache)
        with pq.ParquetWriter(partial, QUOTATION_SCHEMA, compression="zstd") as writer:
            for batch in stream:
                writer.write_batch(batch)
        rejected_partial = _partial(rejected_path)
        pq.write_table(stream.quarantine.select(QUARANTINE_SCHEMA.names), rejected_partial)
        rejected_partial.replace(rejected_path)
        partial.replace(cache)
    rejected = pq.read_table(rejected_path)
    rows = pq.ParquetFile(cache).metadata.num_rows + rejected.num_rows
    return cache, rejected, {"name": path.name, "sha256": digest, "rowsInFile": rows}


def quotation_cache_file(
    path: Path, cache_dir: Path, lang: str = "es", *, digest: str | None = None
) -> Path:
    """The cache file of a quotations file's valid rows (its rejected rows beside it);
    ``digest``: the file's SHA-256, if already known."""
    digest = digest or _file_digest(path)
    return cache_dir / f"{path.stem}-{digest[:16]}-{_reader_version()}-{lang}.parquet"


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
