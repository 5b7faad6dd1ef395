"""Select the source rows that belong to one daily partition.

A monthly file holds the orders formalised in that month. Every data row of a file is
assigned to exactly one day, so that per-day counts reconcile:
- a parsed row belongs to the Lima day of its formalisation;
- a row the reader quarantined (no trustworthy date) and a row formalised outside the
  file's month belong to the first day of the file's month, quarantined with a reason.

The day's rows then get their framework agreement (``perucompras.agreements``): a name-only
label resolves through what the code-prefixed labels of every ingested file taught (the status
store's ``agreement_names``), so the result depends on the set of files ingested, never on the
order they arrived in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from perucompras.agreements import LearnedName, learned_from, resolve_agreements
from perucompras.quarantine import quoted, render_column
from perucompras.reader import (
    ORDER_SCHEMA,
    QUARANTINE_SCHEMA,
    ReadResult,
    SourceFileError,
    SourceFileInfo,
    month_of_file,
    read_monthly_file,
)
from publication.state import StateStore, file_digest, rules_fingerprint


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


# The parse cache this process uses (``use_parse_cache``), if any: its folder, and whether
# this process also fills it.
_PARSE_CACHE: dict[str, Path] = {}
_FILLS: dict[str, bool] = {}


def use_parse_cache(folder: Path | None, *, fill: bool = True) -> None:
    """Keep each monthly file's parse in ``folder`` (by content: ``parsed``) for this process
    and any other to reuse; ``fill=False``: only reuse what is there (a parse of new bytes is
    not left behind); None: parse in memory only."""
    _PARSE_CACHE.clear()
    _FILLS.clear()
    if folder is not None:
        _PARSE_CACHE["folder"] = folder
        _FILLS["fill"] = fill
    _read_cached.cache_clear()


def forget_reads() -> None:
    """Let go of the monthly files' reads this process holds (a worker done with its month)."""
    _read_cached.cache_clear()


def read_cached(path: Path, lang: str = "es") -> ReadResult:
    """Read a monthly file once per content version within a process (days share a month),
    through the parse cache when one is in use."""
    stat = path.stat()
    folder = _PARSE_CACHE.get("folder")
    fill = _FILLS.get("fill", True)
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size, lang, folder, fill)


@functools.lru_cache(maxsize=4)
def _read_cached(
    path: str, mtime_ns: int, size: int, lang: str, folder: Path | None, fill: bool = True
) -> ReadResult:
    del mtime_ns, size  # part of the cache key only
    if folder is None:
        return read_monthly_file(Path(path), lang)
    return parsed(Path(path), folder, lang, fill=fill)


def parsed(path: Path, folder: Path, lang: str = "es", *, fill: bool = True) -> ReadResult:
    """``read_monthly_file(path, lang)``, from ``folder`` when a process parsed the same bytes
    with the same reader before (an entry that cannot be loaded is parsed again), else parsed
    and, with ``fill``, left there. Several processes may fill an entry at once: each writes its
    own partial folder and renames it into place; a kill at any point leaves the entry complete
    or absent."""
    digest = file_digest(path)
    entry = folder / f"{path.stem}-{digest[:16]}-{_reader_version()}-{lang}"
    cached = _load_parsed(entry, digest)
    if cached is not None:
        return cached
    if not fill:
        return read_monthly_file(path, lang)
    if entry.exists():  # not loadable (damaged): moved aside, then written again
        _drop(entry)
    result = read_monthly_file(path, lang)
    if result.info.sha256 == digest:  # not rewritten since it was hashed
        _save_parsed(entry, result)
    return result


@functools.cache
def _reader_version() -> str:
    """Digest of the reader's code and texts: a changed reader never reuses an old parse."""
    import messages
    import perucompras.agreements
    import perucompras.quarantine
    import perucompras.reader

    digest = hashlib.sha256()
    modules = (perucompras.reader, perucompras.agreements, perucompras.quarantine)
    for file in [Path(str(module.__file__)) for module in modules] + sorted(
        Path(str(messages.__file__)).parent.glob("*.py")
    ):
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def _load_parsed(entry: Path, digest: str) -> ReadResult | None:
    try:
        info = json.loads((entry / "info.json").read_text(encoding="utf-8"))
        info["ignored_columns"] = tuple(info["ignored_columns"])
        result = ReadResult(
            orders=_read_ipc(entry / "orders.arrow"),
            quarantine=_read_ipc(entry / "quarantine.arrow"),
            info=SourceFileInfo(**info),
        )
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException):
        return None  # absent, or not written by this code: parse again
    if result.info.sha256 != digest or result.orders.schema != ORDER_SCHEMA:
        return None
    return result


def _drop(entry: Path) -> None:
    from publication.details import _partial

    aside = _partial(entry)
    try:
        entry.rename(aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _read_ipc(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


_IPC = pa.ipc.IpcWriteOptions(compression="zstd")  # 1/6 of the bytes, read in ~30 ms a month


def _save_parsed(entry: Path, result: ReadResult) -> None:
    """Write ``entry`` whole or not at all (a full disk only costs the reuse)."""
    from publication.details import _partial

    partial: Path | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = _partial(entry)
        partial.mkdir()
        for name, table in (("orders", result.orders), ("quarantine", result.quarantine)):
            with pa.ipc.new_file(
                str(partial / f"{name}.arrow"), table.schema, options=_IPC
            ) as writer:
                writer.write_table(table)
        info = dataclasses.asdict(result.info)
        (partial / "info.json").write_text(
            json.dumps(info, ensure_ascii=False, sort_keys=True), encoding="utf-8"
        )
        partial.rename(entry)
    except OSError:  # another process renamed its copy first, or no room: drop this one
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)


def _readable(paths: list[Path], lang: str) -> Iterator[ReadResult]:
    """Each readable file of ``paths``, read when asked for (an unreadable file blocks its own
    month's days, not this one)."""
    for path in paths:
        try:
            result = read_cached(path, lang)
        except SourceFileError:
            continue
        yield result


def files_for_day(files: list[Path], day: dt.date) -> list[Path]:
    """Monthly files whose month contains ``day``."""
    return [path for path in files if month_of_file(path) == (day.year, day.month)]


def orders_for_day(
    files: list[Path], day: dt.date, store: StateStore | None = None, *, lang: str = "es"
) -> DaySource:
    """Read the month's files and keep the rows assigned to ``day``.

    With a state store, every available snapshot is ingested (once per file content) and
    the newer states of orders published on earlier days join the day's rows. Agreements are
    resolved last, once every file is ingested.
    """
    orders: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    sources: list[dict[str, Any]] = []
    cutoffs: list[str] = []
    day_files = files_for_day(files, day)
    if store is not None:
        unknown = [path for path in files if path not in day_files and not store.knows_file(path)]
        # The first day of a backfill finds every month's file: one transaction for all.
        store.ingest_many(_readable(unknown, lang))
    learned: list[LearnedName] = []
    for path in day_files:
        result = read_cached(path, lang)
        if store is not None:
            store.ingest(result)
        else:
            learned += learned_from(result.orders)
        day_orders, day_quarantine = split_for_day(result, day, lang)
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
    if store is not None:
        learned = store.learned_agreements()
    return DaySource(
        day=day,
        orders=resolve_agreements(_concat(orders, ORDER_SCHEMA), learned),
        quarantine=_concat(quarantine, QUARANTINE_SCHEMA),
        sources=sources,
        cutoff=max(cutoffs) if cutoffs else None,
    )


def split_for_day(result: ReadResult, day: dt.date, lang: str = "es") -> tuple[pa.Table, pa.Table]:
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
    charged = [_duplicate_rows(duplicates.filter(dup_charged), lang)]
    if first_day:
        strays = orders.filter(pc.invert(pc.starts_with(formal_day, month_prefix)))
        charged += [
            result.quarantine.cast(QUARANTINE_SCHEMA),
            _out_of_month_rows(strays, year, month, lang),
        ]
    return orders.filter(pc.equal(formal_day, day.isoformat())), pa.concat_tables(charged)


def _split_duplicates(orders: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Rows whose order number is unique in the snapshot, and every row of a repeated one
    (remembered for the last few tables: each day of a month splits the same file's rows)."""
    for table, split in _SPLITS:
        if table is orders:
            return split
    split = _split_duplicates_of(orders)
    _SPLITS.insert(0, (orders, split))
    del _SPLITS[4:]
    return split


# (table, its split), newest first; the tables are kept alive here, so identity is enough.
_SPLITS: list[tuple[pa.Table, tuple[pa.Table, pa.Table]]] = []


def _split_duplicates_of(orders: pa.Table) -> tuple[pa.Table, pa.Table]:
    counts = orders.group_by("order_number").aggregate([("order_number", "count")])
    repeated = counts.filter(pc.greater(counts["order_number_count"], 1))["order_number"]
    is_repeated = pc.is_in(orders["order_number"], value_set=repeated.combine_chunks())
    return orders.filter(pc.invert(is_repeated)), orders.filter(is_repeated)


def _duplicate_rows(rows: pa.Table, lang: str) -> pa.Table:
    from quality.rules import raw_row_column

    count = rows.num_rows
    message = render_column(
        "cell.duplicate_order",
        lang,
        count,
        column="ORDEN_ELECTRÓNICA",
        value=quoted(rows["order_number"]),
        file=rows["source_file"],
    )
    return pa.table(
        {
            "source_file": rows["source_file"],
            "source_line": rows["source_line"],
            "field": pa.array(["ORDEN_ELECTRÓNICA"] * count, pa.string()),
            "rule": pa.array(["order_number.unique"] * count, pa.string()),
            "value": rows["order_number"],
            "message": message,
            "raw_row": raw_row_column(rows) if count else pa.array([], pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _raw_rows(rows: pa.Table) -> pa.Array:
    from quality.rules import raw_row_column

    return raw_row_column(rows) if rows.num_rows else pa.array([], pa.string())


def _out_of_month_rows(strays: pa.Table, year: int, month: int, lang: str) -> pa.Table:
    count = strays.num_rows
    message = render_column(
        "cell.outside_month",
        lang,
        count,
        column="FECHA_FORMALIZACIÓN",
        value=quoted(strays["raw_formalized_at"]),
        month=f"{year:04d}-{month:02d}",
    )
    return pa.table(
        {
            "source_file": strays["source_file"],
            "source_line": strays["source_line"],
            "field": pa.array(["FECHA_FORMALIZACIÓN"] * count, pa.string()),
            "rule": pa.array(["formalized_outside_file_month"] * count, pa.string()),
            "value": strays["raw_formalized_at"],
            "message": message,
            "raw_row": _raw_rows(strays),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([table.cast(schema) for table in tables])
