"""Select the source rows that belong to one daily partition.

A monthly file holds the orders formalised in that month. Every data row of a file is
assigned to exactly one day, so that per-day counts reconcile:
- a parsed row belongs to the Lima day of its formalisation;
- a row the reader quarantined (no trustworthy date) and a row formalised outside the
  file's month belong to the first day of the file's month, quarantined with a reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from perucompras.reader import (
    ORDER_SCHEMA,
    QUARANTINE_SCHEMA,
    ReadResult,
    month_of_file,
    read_monthly_file,
)
from publication.state import StateStore, rules_fingerprint


@dataclass(frozen=True)
class DaySource:
    """The source rows assigned to one day, with the files they came from."""

    day: dt.date
    orders: pa.Table
    quarantine: pa.Table
    sources: list[dict[str, Any]]
    cutoff: str | None

    @property
    def source_rows(self) -> int:
        """Rows assigned to this day: parsed plus quarantined."""
        return self.orders.num_rows + self.quarantine.num_rows


def read_cached(path: Path) -> ReadResult:
    """Read a monthly file once per content version within a process (days share a month)."""
    stat = path.stat()
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, mtime_ns: int, size: int) -> ReadResult:
    del mtime_ns, size  # part of the cache key only
    return read_monthly_file(Path(path))


def files_for_day(files: list[Path], day: dt.date) -> list[Path]:
    """Monthly files whose month contains ``day``."""
    return [path for path in files if month_of_file(path) == (day.year, day.month)]


def orders_for_day(files: list[Path], day: dt.date, store: StateStore | None = None) -> DaySource:
    """Read the month's files and keep the rows assigned to ``day``.

    With a state store, every available snapshot is ingested (once per file content) and
    the newer states of orders published on earlier days join the day's rows.
    """
    orders: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    sources: list[dict[str, Any]] = []
    cutoffs: list[str] = []
    day_files = files_for_day(files, day)
    if store is not None:
        for path in files:
            if path not in day_files and not store.knows_file(path):
                store.ingest(read_cached(path))
    for path in day_files:
        result = read_cached(path)
        if store is not None:
            store.ingest(result)
        day_orders, day_quarantine = split_for_day(result, day)
        orders.append(day_orders)
        quarantine.append(day_quarantine)
        info = result.info
        sources.append(
            {
                "name": info.name,
                "sha256": info.sha256,
                "bytes": info.size,
                "rowsInFile": info.row_count,
                "rowsForDay": day_orders.num_rows + day_quarantine.num_rows,
                "encoding": info.encoding,
                "dateFormat": info.date_format,
                "processTime": info.process_time,
            }
        )
        if info.process_time:
            cutoffs.append(info.process_time)
    if store is not None:
        late = store.late_states(day)
        retried = store.retry_candidates(day, rules_fingerprint())
        for name, extra in (("late-status-changes", late), ("retried-quarantine", retried)):
            if extra.num_rows:
                orders.append(extra)
                sources.append({"name": name, "rowsForDay": extra.num_rows})
                cutoffs.extend(extra["process_time"].to_pylist())
    return DaySource(
        day=day,
        orders=_concat(orders, ORDER_SCHEMA),
        quarantine=_concat(quarantine, QUARANTINE_SCHEMA),
        sources=sources,
        cutoff=max(cutoffs) if cutoffs else None,
    )


def split_for_day(result: ReadResult, day: dt.date) -> tuple[pa.Table, pa.Table]:
    """Rows of one read file that belong to ``day`` and the quarantine rows charged to it."""
    year, month = month_of_file(Path(result.info.name))
    first_day = day == dt.date(year, month, 1)
    month_prefix = f"{year:04d}-{month:02d}-"
    orders, duplicates = _split_duplicates(result.orders)
    formal_day = pc.utf8_slice_codeunits(orders["formalized_at"], 0, 10)
    dup_formal_day = pc.utf8_slice_codeunits(duplicates["formalized_at"], 0, 10)
    dup_charged = pc.equal(dup_formal_day, day.isoformat())
    if first_day:
        dup_charged = pc.or_(dup_charged, pc.invert(pc.starts_with(dup_formal_day, month_prefix)))
    charged = [_duplicate_rows(duplicates.filter(dup_charged))]
    if first_day:
        strays = orders.filter(pc.invert(pc.starts_with(formal_day, month_prefix)))
        charged += [
            result.quarantine.cast(QUARANTINE_SCHEMA),
            _out_of_month_rows(strays, year, month),
        ]
    return orders.filter(pc.equal(formal_day, day.isoformat())), pa.concat_tables(charged)


def _split_duplicates(orders: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Rows whose order number is unique in the snapshot, and every row of a repeated one."""
    counts = orders.group_by("order_number").aggregate([("order_number", "count")])
    repeated = counts.filter(pc.greater(counts["order_number_count"], 1))["order_number"]
    is_repeated = pc.is_in(orders["order_number"], value_set=repeated.combine_chunks())
    return orders.filter(pc.invert(is_repeated)), orders.filter(is_repeated)


def _duplicate_rows(rows: pa.Table) -> pa.Table:
    from quality.rules import raw_row_column

    count = rows.num_rows
    messages = [
        f"ORDEN_ELECTRÓNICA {number} appears more than once in {name}: every copy is held "
        "back until the source is corrected"
        for number, name in zip(
            rows["order_number"].to_pylist(), rows["source_file"].to_pylist(), strict=True
        )
    ]
    return pa.table(
        {
            "source_file": rows["source_file"],
            "source_line": rows["source_line"],
            "field": pa.array(["ORDEN_ELECTRÓNICA"] * count, pa.string()),
            "rule": pa.array(["order_number.unique"] * count, pa.string()),
            "message": pa.array(messages, pa.string()),
            "raw_row": raw_row_column(rows) if count else pa.array([], pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _out_of_month_rows(strays: pa.Table, year: int, month: int) -> pa.Table:
    count = strays.num_rows
    message = (
        f"FECHA_FORMALIZACIÓN falls outside {year:04d}-{month:02d}, the month of this file; "
        "check the file is the right month's report"
    )
    return pa.table(
        {
            "source_file": strays["source_file"],
            "source_line": strays["source_line"],
            "field": pa.array(["FECHA_FORMALIZACIÓN"] * count, pa.string()),
            "rule": pa.array(["formalized_outside_file_month"] * count, pa.string()),
            "message": pa.array([message] * count, pa.string()),
            "raw_row": strays["raw_formalized_at"],
        },
        schema=QUARANTINE_SCHEMA,
    )


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([table.cast(schema) for table in tables])
