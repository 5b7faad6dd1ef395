"""Order lines, deliveries and quotations of one day's orders, from the month's companion files.

Companions of ``ReportePCBienesYYYYMM.csv`` in the same folder:
``ReportePCDetalleYYYYMM.csv`` (the detailed per-delivery export) and
``CotizacionesYYYYMM.csv`` (quotations). Both are optional. A month of quotations is
~1.5M rows, so it is streamed once into a Parquet cache keyed by the file's SHA-256 and
each day reads only its orders from it. Rows the readers reject are quarantined on the
first day of the file's month, like the monthly file's own rejects.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from perucompras.detailed_export import FILE_PREFIX as DETAIL_FILE_PREFIX
from perucompras.detailed_export import DetailResult, read_detailed_export
from perucompras.quotations import FILE_PREFIX as QUOTATION_FILE_PREFIX
from perucompras.quotations import QUOTATION_SCHEMA, stream_quotations
from perucompras.reader import QUARANTINE_SCHEMA

DETAIL_PREFIX = DETAIL_FILE_PREFIX
QUOTATION_PREFIX = QUOTATION_FILE_PREFIX
_MONTH_FILE = re.compile(
    rf"^(?P<prefix>{DETAIL_PREFIX}|{QUOTATION_PREFIX})(?P<y>\d{{4}})(?P<m>\d{{2}})"
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


def companion_files(folder: Path, day: dt.date) -> dict[str, Path]:
    """The detailed export and quotations files of ``day``'s month found in ``folder``."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.csv")):
        match = _MONTH_FILE.match(path.name)
        if match and (int(match["y"]), int(match["m"])) == (day.year, day.month):
            found[match["prefix"]] = path
    return found


def details_for_day(
    companions: dict[str, Path], order_numbers: pa.Array, day: dt.date, cache_dir: Path
) -> DayDetails:
    """Read the companions and keep the rows of ``order_numbers`` (the day's published orders)."""
    first_day = day.day == 1
    quarantine: list[pa.Table] = []
    counts: dict[str, int] = {}
    sources: list[dict[str, Any]] = []
    lines = deliveries = quotations = None
    if detail_path := companions.get(DETAIL_PREFIX):
        stat = detail_path.stat()
        detail = _read_detail_cached(str(detail_path), stat.st_mtime_ns, stat.st_size)
        lines = detail.lines.filter(pc.is_in(detail.lines["order_number"], value_set=order_numbers))
        deliveries = detail.deliveries.filter(
            pc.is_in(detail.deliveries["order_number"], value_set=order_numbers)
        )
        counts["detailLines"] = lines.num_rows
        if first_day:
            quarantine.append(detail.quarantine.select(QUARANTINE_SCHEMA.names))
            counts["detailRowsQuarantined"] = detail.quarantine.num_rows
        sources.append(
            {
                "name": detail_path.name,
                "sha256": detail.info.sha256,
                "rowsInFile": detail.info.row_count,
            }
        )
    if quotation_path := companions.get(QUOTATION_PREFIX):
        cache, rejected, info = _quotation_cache(quotation_path, cache_dir)
        table = ds.dataset(cache, format="parquet").to_table(
            filter=ds.field("order_number").isin(order_numbers.to_pylist())
        )
        quotations = table.sort_by([("order_number", "ascending"), ("source_line", "ascending")])
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


@functools.lru_cache(maxsize=2)
def _read_detail_cached(path: str, mtime_ns: int, size: int) -> DetailResult:
    """Days of one month share its detailed export: read it once per content version."""
    del mtime_ns, size  # part of the cache key only
    return read_detailed_export(Path(path))


def _quotation_cache(path: Path, cache_dir: Path) -> tuple[Path, pa.Table, dict[str, Any]]:
    """Stream the quotations file once into Parquet (valid rows) plus its rejected rows."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / f"{path.stem}-{digest[:16]}.parquet"
    rejected_path = cache.with_suffix(".rejected.parquet")
    if not cache.exists() or not rejected_path.exists():
        stream = stream_quotations(path, batch_rows=65_536)
        partial = cache.with_suffix(".partial")
        with pq.ParquetWriter(partial, QUOTATION_SCHEMA, compression="zstd") as writer:
            for batch in stream:
                writer.write_batch(batch)
        pq.write_table(stream.quarantine.select(QUARANTINE_SCHEMA.names), rejected_path)
        partial.replace(cache)
    rejected = pq.read_table(rejected_path)
    rows = pq.ParquetFile(cache).metadata.num_rows + rejected.num_rows
    return cache, rejected, {"name": path.name, "sha256": digest, "rowsInFile": rows}
