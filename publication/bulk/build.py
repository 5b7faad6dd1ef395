"""Build the bulk dataset from the published days, incrementally and atomically.

Once per run, after the last day: every published day is read once into a cached extract
(``publication.bulk.extract``); each month gets a fingerprint of the days it depends on
(its own days and every day that touched one of its orders) and is rebuilt only when that
fingerprint changes, years and the full history when one of their months does (from the
months' files, redoing only what changed: ``publication.bulk.combine``); a month built ahead
for the same fingerprint (``prebuild_month``, run by a backfill in the background) is taken
like an unchanged one. Unchanged files are hard-linked from the current folder into a
staging folder and listed with the digest its manifest gives them, new ones written there
(flat: every file directly in the folder, see ``publication.bulk.layout``); then
``datapackage.json``, ``provenance.json`` (what was built from what), the days leaves, the
manifest (the day format: ``verificar`` checks the folder like a day) and ``SHA256SUMS``
are written, the staging folder is checked against its manifest, the manifest it replaces
is kept in the sibling history folder, and the staging folder is swapped into place. A run
with nothing new leaves the folder exactly as it was. The check hashes every file: a linked
one that no longer matches sends the build round again with its period rebuilt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.keys import anchor_key
from integrity.manifest import (
    FileEntry,
    Manifest,
    build_manifest,
    file_entry,
    load_manifest,
    manifest_bytes,
    sha256_file,
)
from integrity.merkle import leaf_hashes, root_from_leaf_hashes
from integrity.verify import verify_day_files
from messages import text
from publication.atomic import fsync_dir, write_atomic, write_synced
from publication.bulk import combine, formats
from publication.bulk import layout as bulk_layout
from publication.bulk import workers as bulk_workers
from publication.bulk.extract import (
    EXTRACT_VERSION,
    DayInput,
    ExtractError,
    ensure_extracts,
    prune_extracts,
)
from publication.bulk.formats import JsonlParts, Part, TableStats, TableWriter, Workbook
from publication.bulk.layout import (
    COMPILED,
    DATAPACKAGE,
    DAYS_LEAVES,
    FULL_PERIOD,
    PROVENANCE,
    RELEASES,
    BulkLayout,
    Period,
    history_name,
    latest_name,
    month_period,
    name_problems,
    period_of,
    year_period,
)
from publication.bulk.tables import BulkQueries, connect
from publication.datapackage import (
    FileResource,
    check_unique_names,
    descriptor_bytes,
    package_descriptor,
    package_info,
    resource_name,
)
from publication.dictionary import (
    BULK_TABLES,
    DELIVERIES,
    ITEMS,
    ORDERS,
    Lang,
    Table,
)
from publication.memory import release_memory
from publication.writer import PublicationError, read_index
from settings import Bulk, Identity, Indicators, default_state_dir

# 2: flat folder (every file directly in the bulk folder); a 1 build is rebuilt whole.
FORMAT_VERSION = "perucompras-abierto/bulk/2"
PROVENANCE_FORMAT = "perucompras-abierto/bulk-provenance/1"
CACHE_FOLDER = "bulk"
# Months built ahead during a backfill (``prebuild_month``), one folder per month and
# fingerprint, with what the build needs to take them (``PREBUILT_RECORD``).
PREBUILT_FOLDER = "prebuilt"
PREBUILT_RECORD = "prebuilt.json"
WORKBOOK_TABLES: tuple[tuple[Table, str], ...] = (
    (ORDERS, "workbook.sheet_orders"),
    (ITEMS, "workbook.sheet_items"),
    (DELIVERIES, "workbook.sheet_deliveries"),
)
SUMMED = {"orders": ("total",)}
CSV_TABLES_ALL_PERIODS = frozenset({"orders"})
# Processes for work that splits into independent pieces (the per-day extracts).
WORKERS = min(2, os.cpu_count() or 1)
# From the how-manieth month rebuilt in one build the workbooks are written in a worker process.
WORKBOOKS_AWAY_FROM = 3


@dataclass
class PeriodRecord:
    """What one built period holds and what it was built from (``provenance.json``)."""

    key: str
    fingerprint: str
    inputs: list[Any]
    files: list[str] = field(default_factory=list)
    parts: dict[str, list[Part]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    rebuilt: bool = True

    def to_json(self) -> dict[str, Any]:
        """As written in provenance.json."""
        return {
            "fingerprint": self.fingerprint,
            "inputs": self.inputs,
            "files": sorted(self.files),
            "parts": {kind: [p.to_json() for p in parts] for kind, parts in self.parts.items()},
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> PeriodRecord:
        """A record read back from an earlier provenance.json."""
        return cls(
            key=key,
            fingerprint=str(data["fingerprint"]),
            inputs=list(data["inputs"]),
            files=list(data["files"]),
            parts={
                kind: [Part(p["path"], int(p["lines"]), int(p["bytes"])) for p in parts]
                for kind, parts in data.get("parts", {}).items()
            },
            counts=dict(data.get("counts", {})),
            rebuilt=False,
        )


@dataclass(frozen=True)
class BulkResult:
    """What a build did."""

    folder: Path
    manifest: Manifest | None
    unchanged: bool
    rebuilt: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    days: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """Summary shown on the Dagster materialization."""
        return {
            "folder": str(self.folder),
            "manifest_sha256": self.manifest.sha256 if self.manifest else "",
            "newest_day": self.manifest.data["date"] if self.manifest else "",
            "days": self.days,
            "rebuilt": ", ".join(self.rebuilt) or "none",
            "reused": len(self.reused),
            "unchanged_rerun": self.unchanged,
            **{key: value for key, value in self.counts.items()},
        }


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of what a file set depends on (the extract version
    too: what a month holds depends on how the extracts assign ocids to months)."""
    return hashlib.sha256(canonical_bytes([FORMAT_VERSION, EXTRACT_VERSION, *parts])).hexdigest()


@contextlib.contextmanager
def _lock(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _link(source: Path, target: Path) -> None:
    """Hard-link (same bytes, no copy), or copy where links are not possible; never over a
    file already staged under that name (two files under one published name)."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise PublicationError(
            f"bulk file names: {target.name!r} would be published twice"
        ) from None
    except OSError:
        shutil.copy2(source, target)


def _day_inputs(root: Path, dataset: str) -> list[DayInput]:
    inputs = []
    for entry in read_index(root, dataset):
        folder = root / entry["folder"]
        manifest = load_manifest(folder / entry["manifest"])
        inputs.append(DayInput(dt.date.fromisoformat(entry["date"]), folder, manifest))
    return inputs


class _Build:
    """One build: inputs, the previous folder's records, the staging folder."""

    def __init__(
        self,
        root: Path,
        dataset: str,
        days: list[DayInput],
        staging: Path,
        *,
        identity: Identity,
        bulk: Bulk,
        indicators: Indicators,
        lang: Lang,
        queries: BulkQueries,
        with_indicators: bool,
        fast: bool = True,
        distrust: frozenset[str] = frozenset(),
        prebuilt: Path | None = None,
        temp: Path | None = None,
        concurrent: bool = True,
    ) -> None:
        self.root = root
        self.temp = temp
        self.concurrent = concurrent
        self.fast = fast
        self.prebuilt = prebuilt
        self.distrust = distrust
        self.trusted: dict[str, str] = {}
        self.waiting: list[Future[Any]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.jobs: ThreadPoolExecutor | None = None
        self.months_rebuilt = 0
        self.dataset = dataset
        self.layout = BulkLayout(root, dataset)
        self.days = days
        self.by_day = {d.day: d for d in days}
        self.staging = staging
        self.identity = identity
        self.bulk = bulk
        self.indicators = indicators
        self.lang = lang
        self.queries = queries
        self.with_indicators = with_indicators
        self.old_manifest = _current_manifest(self.layout)
        self.old_records = _current_records(self.layout.folder)
        self.digests: dict[str, tuple[str, int]] = {}
        self.parameters = {
            "dataset": dataset,
            "maxPartBytes": bulk.max_part_bytes,
            "maxPartReleases": bulk.max_part_releases,
            "lang": lang,
        }

    # ------------------------------------------------------------------ reuse

    def _reusable(self, key: str, print_: str) -> PeriodRecord | None:
        """The previous build's record of ``key``, its files linked into the staging folder,
        when the fingerprint is the same and every file is still there with its listed size.
        Their digests are taken from the manifest that lists them: the check of the staging
        folder hashes every file, and a reused file that no longer matches sends the build
        round again with that period rebuilt (``_Stale``)."""
        old = self.old_records.get(key)
        if (
            old is None
            or old.fingerprint != print_
            or self.old_manifest is None
            or key in self.distrust
        ):
            return None
        for path in old.files:
            if self._old_file(path) is None:
                return None
        for path in old.files:
            self._link_trusted(key, path, path)
        return old

    def _old_file(self, name: str) -> tuple[Path, str, int] | None:
        """A file of the current bulk folder with the digest and size its manifest lists
        (None when absent or of another size)."""
        entry = self.old_manifest.files.get(name) if self.old_manifest else None
        path = self.layout.folder / name
        if entry is None or not path.is_file() or path.stat().st_size != int(entry["bytes"]):
            return None
        return path, str(entry["sha256"]), int(entry["bytes"])

    def _link_trusted(self, key: str, old: str, name: str) -> None:
        """Link a file of the current folder (checked by ``_old_file``) as ``name``, listed
        with the digest the current manifest gives it."""
        found = self._old_file(old)
        assert found is not None
        _link(found[0], self.staging / name)
        self.digests[name] = (found[1], found[2])
        self.trusted[name] = key

    def _built_ahead(self, key: str, print_: str) -> PeriodRecord | None:
        """A month built ahead for the same fingerprint (``prebuild_month``: the same files a
        rebuild here would write), its files linked into the staging folder and listed with
        the digests recorded then; the check of the staging folder hashes them, and one that
        no longer matches sends the build round again with the month rebuilt here."""
        if self.prebuilt is None or key in self.distrust:
            return None
        folder = self.prebuilt / _prebuilt_name(key, print_)
        try:
            data = orjson.loads((folder / PREBUILT_RECORD).read_bytes())
            record = PeriodRecord.from_json(key, data["record"])
            digests = {name: (str(d), int(n)) for name, (d, n) in data["digests"].items()}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        if record.fingerprint != print_ or set(digests) != set(record.files):
            return None
        for name in record.files:
            path = folder / name
            if not path.is_file() or path.stat().st_size != digests[name][1]:
                return None
        for name in record.files:
            _link(folder / name, self.staging / name)
            self.digests[name] = digests[name]
            self.trusted[name] = key
        record.rebuilt = True
        return record

    # ------------------------------------------------------------------ months

    def month(self, month: str) -> PeriodRecord:
        """A month's files: reused when its input days did not change, else rebuilt."""
        period = month_period(month)
        inputs = self.queries.inputs(month)
        inputs_json = [
            {"date": day.isoformat(), "manifestSha256": self.by_day[day].sha256} for day in inputs
        ]
        print_ = fingerprint(self.parameters, period.record_key, inputs_json)
        reused = self._reusable(period.record_key, print_) or self._built_ahead(
            period.record_key, print_
        )
        if reused is not None:
            return reused
        record = PeriodRecord(period.record_key, print_, inputs_json)
        own_days = [d for d in inputs if f"{d:%Y-%m}" == month]
        # The JSON Lines parts in the file threads (mostly zlib, which lets go of the GIL)
        # while the tables are written here.
        releases = self._later(self._releases, period, own_days)
        compiled = self._later(self._compiled, period, month, inputs, self.queries.cursor())
        created = dt.datetime.combine(max(inputs), dt.time()) if inputs else dt.datetime(2000, 1, 1)
        title = text("resource.workbook", self.lang, period=month)
        workbook_path = self.staging / period.workbook(self.dataset)
        pool = self._workbook_pool()
        if pool is not None:
            for definition in BULK_TABLES:
                stats = self._write_table(
                    definition, period, self._month_rows(definition, month, inputs), csv=True
                )
                self._count(record, definition, stats)
            tables = {
                t.name: self.staging / period.file(self.dataset, f"{t.name}.parquet")
                for t, _ in WORKBOOK_TABLES
            }
            self.waiting.append(
                pool.submit(write_workbook, workbook_path, created, title, self.lang, tables)
            )
        else:
            workbook = Workbook(workbook_path, created, title)
            try:
                sheets = {
                    t.name: workbook.sheet(text(key, self.lang), t) for t, key in WORKBOOK_TABLES
                }
                for definition in BULK_TABLES:
                    stats = self._write_table(
                        definition,
                        period,
                        self._month_rows(definition, month, inputs),
                        csv=True,
                        sheet=sheets.get(definition.name),
                    )
                    self._count(record, definition, stats)
                _dictionary_sheet(workbook, self.lang)
                workbook.close()
            except BaseException:
                workbook.abort()
                raise
        record.parts[RELEASES] = releases.result()
        record.parts[COMPILED] = compiled.result()
        record.files += [period.workbook(self.dataset)]
        record.files += [part.path for parts in record.parts.values() for part in parts]
        record.files += [
            period.file(self.dataset, f"{t.name}.{ext}")
            for t in BULK_TABLES
            for ext in ("parquet", "csv")
        ]
        return record

    def _month_rows(
        self, definition: Table, month: str, inputs: Sequence[dt.date]
    ) -> pa.RecordBatchReader:
        if definition.name == "orders":
            return self.queries.orders(month, inputs)
        return self.queries.flat(definition.name, month, inputs)

    def _workbook_pool(self) -> ProcessPoolExecutor | None:
        """A worker process for the workbooks once this build rebuilds many months (each
        written there from its month's Parquet files while the next month is built here):
        a month's workbook costs about as much as the rest of the month."""
        self.months_rebuilt += 1
        if WORKERS < 2 or self.months_rebuilt < WORKBOOKS_AWAY_FROM:
            return None
        if self.pool is None:
            self.pool = bulk_workers.pool(1)
        return self.pool

    def _releases(self, period: Period, days: Sequence[dt.date]) -> list[Part]:
        parts = self._parts(period, RELEASES)
        try:
            for day in days:
                for line in _checked_lines(self.by_day[day]):
                    parts.add(line)
            return parts.close(self.staging)
        except BaseException:
            parts.abort()
            raise

    def _compiled(
        self, period: Period, month: str, days: Sequence[dt.date], queries: BulkQueries
    ) -> list[Part]:
        parts = self._parts(period, COMPILED)
        try:
            for value in queries.compiled_values(month, days):
                parts.add(value)
            return parts.close(self.staging)
        except BaseException:
            parts.abort()
            raise

    def _parts(self, period: Period, kind: str) -> JsonlParts:
        path = self.staging / period.file(self.dataset, kind)
        return JsonlParts(
            path.parent,
            path.name,
            max_bytes=self.bulk.max_part_bytes,
            max_lines=self.bulk.max_part_releases,
        )

    def _write_table(
        self,
        definition: Table,
        period: Period,
        batches: pa.RecordBatchReader | Iterator[pa.RecordBatch],
        *,
        csv: bool,
        sheet: Any = None,
    ) -> TableStats:
        writer = TableWriter(
            definition,
            self.staging / period.file(self.dataset, f"{definition.name}.parquet"),
            self.staging / period.file(self.dataset, f"{definition.name}.csv") if csv else None,
            sheet,
            SUMMED.get(definition.name, ()),
        )
        try:
            for batch in batches:
                writer.write(batch)
            return writer.close()
        except BaseException:
            writer.abort()
            raise

    @staticmethod
    def _count(record: PeriodRecord, definition: Table, stats: TableStats) -> None:
        record.counts[definition.name] = stats.rows
        for column, total in stats.sums.items():
            record.counts[f"{definition.name}.{column}"] = f"{total:.2f}"

    # ------------------------------------------------------------------ years, full

    def combined(self, period: Period, months: list[PeriodRecord]) -> PeriodRecord:
        """A year's or the full history's files, concatenated from their months' files."""
        print_ = fingerprint(self.parameters, period.record_key, [m.fingerprint for m in months])
        reused = self._reusable(period.record_key, print_)
        if reused is not None:
            return reused
        record = PeriodRecord(period.record_key, print_, [m.key for m in months])
        fast = self.fast and period.record_key not in self.distrust
        previous = self._previous(period, months) if fast else []
        # Each file is its own job (threads: the work is in Arrow, zlib-free copies and
        # hashing, which let go of the GIL); the record is complete once they are (join).
        for definition in BULK_TABLES:
            self._later(self._combined_table, record, definition, period, months, previous)
            record.files.append(period.file(self.dataset, f"{definition.name}.parquet"))
            if definition.name in CSV_TABLES_ALL_PERIODS:
                record.files.append(period.file(self.dataset, f"{definition.name}.csv"))
        for kind in (RELEASES, COMPILED):
            record.parts[kind] = []
            self._later(self._combined_kind, record, period, kind, months, previous)
        return record

    def _later(self, job: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``job`` in the build's file threads (its errors raised by ``join``); in a build
        that is not ``concurrent``, now, in this thread."""
        if not self.concurrent:
            done: Future[Any] = Future()
            try:
                done.set_result(job(*args))
            except BaseException as error:
                done.set_exception(error)
            self.waiting.append(done)
            return done
        if self.jobs is None:
            self.jobs = ThreadPoolExecutor(WORKERS, thread_name_prefix="bulk-files")
        future = self.jobs.submit(job, *args)
        self.waiting.append(future)
        return future

    def _combined_kind(
        self,
        record: PeriodRecord,
        period: Period,
        kind: str,
        months: list[PeriodRecord],
        previous: list[PeriodRecord],
    ) -> None:
        parts = self._combined_parts(period, kind, months, previous)
        record.parts[kind] = parts
        record.files.extend(part.path for part in parts)

    def _previous(self, period: Period, months: list[PeriodRecord]) -> list[PeriodRecord]:
        """The leading months of ``period`` that are as they were in the previous build of
        the period (same month, same fingerprint: same files), with their previous records."""
        old = self.old_records.get(period.record_key)
        if old is None or self.old_manifest is None:
            return []
        same = []
        for month, key in zip(months, old.inputs, strict=False):
            before = self.old_records.get(month.key)
            if key != month.key or before is None or before.fingerprint != month.fingerprint:
                break
            same.append(before)
        return same

    def _combined_parts(
        self, period: Period, kind: str, months: list[PeriodRecord], previous: list[PeriodRecord]
    ) -> list[Part]:
        """The period's JSON Lines parts: a part made of the same month parts as one of the
        previous build is linked from it, the others are the month parts concatenated."""
        members = [part for month in months for part in month.parts[kind]]
        plan = combine.plan_parts(
            members, max_bytes=self.bulk.max_part_bytes, max_lines=self.bulk.max_part_releases
        )
        if not self.fast or any(not group for group in plan):
            return self._plain_parts(period, kind, members)
        old_plan: list[list[Part]] = []
        old = self.old_records.get(period.record_key)
        unchanged = {part.path for month in previous for part in month.parts.get(kind, [])}
        if unchanged and old is not None and all(key in self.old_records for key in old.inputs):
            old_plan = combine.plan_parts(
                [p for key in old.inputs for p in self.old_records[key].parts.get(kind, [])],
                max_bytes=self.bulk.max_part_bytes,
                max_lines=self.bulk.max_part_releases,
            )
            if len(old_plan) != len(old.parts.get(kind, [])):
                old_plan = []
        stem = period.file(self.dataset, kind)
        parts = []
        for number, (group, name) in enumerate(
            zip(plan, formats.part_paths(stem, len(plan)), strict=True)
        ):
            lines, size = sum(p.lines for p in group), sum(p.bytes for p in group)
            part = Part(name, lines, size)
            if (
                old is not None
                and number < len(old_plan)
                and old_plan[number] == group
                and all(p.path in unchanged for p in group)
                and self._old_file(old.parts[kind][number].path) is not None
            ):
                self._link_trusted(period.record_key, old.parts[kind][number].path, name)
                parts.append(part)
                continue
            self.digests[name] = combine.copy_member_files(
                [self.staging / p.path for p in group], self.staging / name
            )
            parts.append(part)
        return parts

    def _plain_parts(self, period: Period, kind: str, members: list[Part]) -> list[Part]:
        parts = self._parts(period, kind)
        try:
            for part in members:
                parts.add_member(self.staging / part.path, part.lines, part.bytes)
            return parts.close(self.staging)
        except BaseException:
            parts.abort()
            raise

    def _combined_table(
        self,
        record: PeriodRecord,
        definition: Table,
        period: Period,
        months: list[PeriodRecord],
        previous: list[PeriodRecord],
    ) -> None:
        """One table of a year or the full history: Parquet (the previous file's row groups
        before the first changed month kept), CSV as the months' CSV concatenated; the counts
        summed from the months'."""
        try:
            self._write_combined_table(record, definition, period, months, previous)
        finally:
            release_memory()

    def _write_combined_table(
        self,
        record: PeriodRecord,
        definition: Table,
        period: Period,
        months: list[PeriodRecord],
        previous: list[PeriodRecord],
    ) -> None:
        name = definition.name
        parquet = period.file(self.dataset, f"{name}.parquet")
        sources = [
            self.staging / period_of(m.key).file(self.dataset, f"{name}.parquet") for m in months
        ]
        counted = self._summed_counts(definition, months) if self.fast else None
        csv = name in CSV_TABLES_ALL_PERIODS
        if counted is None:
            stats = self._write_table(definition, period, _batches(sources), csv=csv)
            self._count(record, definition, stats)
            return
        record.counts.update(counted)
        if csv:
            target = period.file(self.dataset, f"{name}.csv")
            try:
                self.digests[target] = combine.concat_csv(
                    combine.csv_header(definition),
                    [
                        self.staging / period_of(m.key).file(self.dataset, f"{name}.csv")
                        for m in months
                    ],
                    self.staging / target,
                )
            except combine.NotReusable:
                self.digests.pop(target, None)
                self._write_table(definition, period, _batches(sources), csv=True)
                return
        prefix = None
        found = self._old_file(parquet)
        if found is not None and previous:
            rows = sum(int(m.counts.get(name, 0)) for m in previous)
            prefix = combine.Prefix(found[0], rows, found[1], found[2])
        written = combine.write_parquet(definition, sources, self.staging / parquet, prefix)
        if written is not None:
            self.digests[parquet] = written
        else:
            self._write_table(definition, period, _batches(sources), csv=False)

    @staticmethod
    def _summed_counts(definition: Table, months: list[PeriodRecord]) -> dict[str, Any] | None:
        """A table's counts of a year or the full history from its months' (None when a
        month's record lacks them)."""
        name = definition.name
        keys = [name, *(f"{name}.{column}" for column in SUMMED.get(name, ()))]
        if any(key not in m.counts for m in months for key in keys):
            return None
        counts: dict[str, Any] = {name: sum(int(m.counts[name]) for m in months)}
        for column in SUMMED.get(name, ()):
            total = sum((Decimal(str(m.counts[f"{name}.{column}"])) for m in months), Decimal(0))
            counts[f"{name}.{column}"] = f"{total:.2f}"
        return counts

    # ------------------------------------------------------------------ latest, indicators

    def latest(self, month: PeriodRecord, year: PeriodRecord) -> dict[str, str]:
        """Stable ``{dataset}-latest-…`` names (hard links) of the newest month's and year's
        files, mapped to the names they stand for."""
        aliases = {}
        for record in (month, year):
            period = period_of(record.key)
            for path in sorted(record.files):
                alias = latest_name(self.dataset, period.level, path, period.key)
                _link(self.staging / path, self.staging / alias)
                aliases[alias] = path
                if path in self.digests:
                    self.digests[alias] = self.digests[path]
                if path in self.trusted:
                    self.trusted[alias] = self.trusted[path]
        return aliases

    def indicator_files(self, months: list[PeriodRecord]) -> Callable[[], PeriodRecord]:
        """The indicator tables, computed when the full history changed: started now on the
        months' tables (the full history's rows, in its order), in a thread that DuckDB keeps
        busy while the years and the full history are written; the returned function waits
        for them and writes the files."""
        from publication.indicators import INDICATOR_VERSION

        params = self.indicators.model_dump(mode="json")
        full = fingerprint(self.parameters, FULL_PERIOD.record_key, [m.fingerprint for m in months])
        print_ = fingerprint(INDICATOR_VERSION, params, full, self.with_indicators)
        key = bulk_layout.INDICATORS
        reused = self._reusable(key, print_)
        if reused is not None:
            return lambda: reused
        record = PeriodRecord(key, print_, [FULL_PERIOD.record_key, params])
        if not self.with_indicators:
            return lambda: record
        from publication.indicators import compute_indicators

        def tables(name: str) -> list[Path]:
            return [
                self.staging / period_of(m.key).file(self.dataset, f"{name}.parquet")
                for m in months
            ]

        if not self.fast:  # the reference: from the full-history files, once written

            def plain() -> PeriodRecord:
                orders, items = (
                    self.staging / FULL_PERIOD.file(self.dataset, f"{t.name}.parquet")
                    for t in (ORDERS, ITEMS)
                )
                self._write_indicators(
                    record,
                    compute_indicators(
                        orders,
                        items,
                        self.indicators,
                        memory_limit=self.bulk.memory_limit,
                        temp=self.temp,
                    ),
                )
                return record

            return plain
        pool = ThreadPoolExecutor(1, thread_name_prefix="bulk-indicators")
        future = pool.submit(
            compute_indicators,
            tables(ORDERS.name),
            tables(ITEMS.name),
            self.indicators,
            memory_limit=self.bulk.memory_limit,
            temp=self.temp,
        )
        pool.shutdown(wait=False)
        self.waiting.append(future)

        def finish() -> PeriodRecord:
            self._write_indicators(record, future.result())
            release_memory()
            return record

        return finish

    def _write_indicators(self, record: PeriodRecord, tables: dict[str, pa.Table]) -> None:
        from publication.indicators import INDICATORS, indicator_file

        for name, table in tables.items():
            paths = [indicator_file(self.dataset, name, fmt) for fmt in ("parquet", "csv")]
            writer = TableWriter(INDICATORS[name], self.staging / paths[0], self.staging / paths[1])
            try:
                for batch in table.to_batches():
                    writer.write(batch)
                stats = writer.close()
            except BaseException:
                writer.abort()
                raise
            record.counts[name] = stats.rows
            record.files += paths

    def stale(self) -> frozenset[str]:
        """Periods of the files taken from the current folder that no longer match the
        manifest that listed them (each such file hashed now)."""
        return frozenset(
            key
            for name, key in self.trusted.items()
            if sha256_file(self.staging / name) != self.digests[name]
        )

    def join(self) -> None:
        """Wait for the work started in other threads and processes; raise what failed."""
        for future in self.waiting:
            future.result()

    def wait(self) -> None:
        """Let work started in other threads and processes end, failed or not (before the
        staging folder goes), and stop the worker process."""
        for future in self.waiting:
            with contextlib.suppress(BaseException):
                future.result()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.jobs is not None:
            self.jobs.shutdown(wait=True, cancel_futures=True)
            self.jobs = None


def write_workbook(
    path: Path, created: dt.datetime, title: str, lang: Lang, tables: dict[str, Path]
) -> None:
    """A month's workbook from its tables' Parquet files, as ``_Build.month`` writes it with
    the tables (run in a worker process)."""
    workbook = Workbook(path, created, title)
    try:
        for definition, key in WORKBOOK_TABLES:
            sheet = workbook.sheet(text(key, lang), definition)
            schema = definition.arrow_schema()
            for batch in pq.ParquetFile(tables[definition.name]).iter_batches(
                batch_size=combine.BATCH_ROWS
            ):
                if batch.num_rows:
                    table = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
                    for chunk in table.to_batches():
                        sheet.write(chunk)
            sheet.close()
        _dictionary_sheet(workbook, lang)
        workbook.close()
    except BaseException:
        workbook.abort()
        raise


class _Stale(Exception):
    """Files linked from the current folder no longer match its manifest (periods' keys)."""

    def __init__(self, keys: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(keys)))
        self.keys = keys


def _batches(paths: Sequence[Path]) -> Iterator[pa.RecordBatch]:
    for path in paths:
        yield from pq.ParquetFile(path).iter_batches(batch_size=combine.BATCH_ROWS)


def _checked_lines(day: DayInput) -> Iterator[bytes]:
    """The day's JSON Lines, refused at the end unless they hash to the manifest's digest."""
    path = day.file(layout.RELEASES_JSONL)
    entry = day.manifest.files.get(path.name)
    if entry is None:
        raise ExtractError(f"{path.name} is not listed in the manifest of {day.day}")
    digest = hashlib.sha256()
    size = 0
    pending = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            yield from lines
    if pending:
        yield pending
    if digest.hexdigest() != entry["sha256"] or size != entry["bytes"]:
        raise ExtractError(f"{path}: does not match the manifest of {day.day}")


def _dictionary_sheet(workbook: Workbook, lang: Lang) -> None:
    rows: list[tuple[str, ...]] = [
        (
            text("workbook.column_sheet", lang),
            text("workbook.column_name", lang),
            text("workbook.column_type", lang),
            text("workbook.column_description", lang),
            text("workbook.column_source", lang),
        )
    ]
    from publication.dictionary import TYPE_LABELS

    for definition, key in WORKBOOK_TABLES:
        for column in definition.columns:
            rows.append(
                (
                    text(key, lang),
                    column.name,
                    TYPE_LABELS[column.type][lang],
                    column.description(lang),
                    column.source,
                )
            )
    workbook.notes(text("workbook.sheet_dictionary", lang), rows)


def _current_manifest(bulk: BulkLayout) -> Manifest | None:
    found = bulk.manifests() if bulk.folder.is_dir() else []
    return load_manifest(found[-1]) if found else None


def _current_records(folder: Path) -> dict[str, PeriodRecord]:
    path = folder / PROVENANCE
    if not path.is_file():
        return {}
    try:
        data = orjson.loads(path.read_bytes())
        return {
            key: PeriodRecord.from_json(key, value)
            for key, value in data.get("periods", {}).items()
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return {}


def published_day(root: Path, dataset: str, day: dt.date) -> DayInput:
    """A day just published under ``root``, as a build input."""
    found = layout.DayLayout(root, dataset, day)
    return DayInput(day, found.folder, load_manifest(found.manifest))


def extracts_folder(root: Path, state_dir: Path | None = None) -> Path:
    """Where ``build_bulk`` keeps the per-day extracts of the datasets root ``root``."""
    return (state_dir or default_state_dir(root)) / CACHE_FOLDER / "days"


def build_bulk(
    root: Path,
    dataset: str,
    *,
    identity: Identity,
    state_dir: Path | None = None,
    bulk: Bulk | None = None,
    indicators: Indicators | None = None,
    lang: Lang = "es",
    with_indicators: bool = True,
    fast: bool = True,
) -> BulkResult:
    """Build (or bring up to date) the bulk dataset from every published day of ``dataset``
    (``fast=False``: years and the full history re-encoded from their months' rows, the
    reference the fast paths are tested against)."""
    bulk = bulk or Bulk()
    indicators = indicators or Indicators()
    target = BulkLayout(root, dataset)
    days = _day_inputs(root, dataset)
    if not days:
        return BulkResult(target.folder, None, unchanged=True)
    cache = (state_dir or default_state_dir(root)) / CACHE_FOLDER
    # What the caller freed before (a backfill's publication) goes back to the system first.
    release_memory()
    with _lock(cache):
        folder = extracts_folder(root, state_dir)
        extracts = ensure_extracts(folder, days, WORKERS)
        prune_extracts(folder, extracts.values())
        con = connect(cache / "duckdb-tmp", bulk.memory_limit)
        try:
            queries = BulkQueries(con, extracts, cache / "ocids")
            distrust: frozenset[str] = frozenset()
            while True:
                staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
                build: _Build | None = None
                try:
                    build = _Build(
                        root,
                        dataset,
                        days,
                        staging,
                        identity=identity,
                        bulk=bulk,
                        indicators=indicators,
                        lang=lang,
                        queries=queries,
                        with_indicators=with_indicators,
                        fast=fast,
                        distrust=distrust,
                        prebuilt=cache / PREBUILT_FOLDER if fast else None,
                        temp=cache / "duckdb-tmp-indicators",
                    )
                    result = _assemble(build)
                    break
                except _Stale as stale:
                    # A file taken from the current folder no longer matches its manifest:
                    # once more, with what held it rebuilt.
                    if stale.keys <= distrust:
                        raise PublicationError(
                            f"bulk files changed under {sorted(stale.keys)}"
                        ) from stale
                    distrust |= stale.keys
                except Exception:
                    # Reading a taken file that changed may fail before the check does.
                    keys = build.stale() if build is not None else frozenset()
                    if not keys or keys <= distrust:
                        raise
                    distrust |= keys
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
        finally:
            con.close()
            release_memory()
        # Taken (linked) or outdated: kept, they would only hold on to replaced files.
        shutil.rmtree(cache / PREBUILT_FOLDER, ignore_errors=True)
        write_pages(root, dataset, indicators, newest_day=days[-1].day.isoformat())
        return result


def prebuild_month(
    root: Path,
    dataset: str,
    month: str,
    *,
    state_dir: Path | None = None,
    bulk: Bulk | None = None,
    lang: Lang = "es",
) -> bool:
    """Build one month's files ahead, from the days published so far, where the next
    ``build_bulk`` takes them if the month's fingerprint is still the same (no later day
    touched its orders; same settings): a backfill runs this in a background process while it
    publishes the next month. Nothing is published; False when there was nothing to build."""
    global _AHEAD
    bulk = bulk or Bulk()
    cache = (state_dir or default_state_dir(root)) / CACHE_FOLDER
    folder = cache / PREBUILT_FOLDER
    key = (str(root), dataset, str(cache), bulk.ahead_memory_limit)
    ahead = _AHEAD if _AHEAD is not None and _AHEAD.key == key else None
    if ahead is None:
        _drop_ahead()
    days = _ahead_days(root, dataset, ahead)
    if not days:
        return False
    with _lock(cache):
        extracts = ensure_extracts(extracts_folder(root, state_dir), days, 1)
        folder.mkdir(parents=True, exist_ok=True)
        if ahead is not None and not ahead.queries.extend(extracts):
            _drop_ahead()
            ahead = None
        if ahead is None:
            # One thread, one file at a time (``concurrent=False`` below): the process runs
            # beside the main one on the spare core, where more threads would not build a
            # month sooner, only hold its JSON Lines, compiled releases and tables at once
            # (measured: ~0.65 GiB instead of ~1.0 GiB a month with quotations).
            con = connect(cache / "duckdb-tmp-ahead", bulk.ahead_memory_limit, threads=1)
            ahead = _Ahead(key, con, BulkQueries(con, extracts, folder / "ocids"))
        ahead.days = {day.day: day for day in days}
        _AHEAD = ahead
        try:
            queries = ahead.queries
            if month not in queries.months():
                return False
            staging = Path(tempfile.mkdtemp(prefix=f".{month}-", dir=folder))
            try:
                build = _Build(
                    root,
                    dataset,
                    days,
                    staging,
                    identity=Identity(),
                    bulk=bulk,
                    indicators=Indicators(),
                    lang=lang,
                    queries=queries,
                    with_indicators=False,
                    concurrent=False,
                )
                try:
                    record = build.month(month)
                    build.join()
                finally:
                    build.wait()
                if not record.rebuilt:  # the current bulk folder has it: the build links it
                    return False
                digests = {name: list(sha256_file(staging / name)) for name in record.files}
                write_synced(
                    staging / PREBUILT_RECORD,
                    canonical_bytes({"record": record.to_json(), "digests": digests}),
                )
                target = folder / _prebuilt_name(record.key, record.fingerprint)
                shutil.rmtree(target, ignore_errors=True)
                os.rename(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            _drop_ahead()
            raise
        finally:
            release_memory()
    return True


@dataclass
class _Ahead:
    """What ``prebuild_month`` keeps between the months of one backfill (in its background
    process): the published days read so far and the month membership of every ocid, brought
    up to date with the days published since (``BulkQueries.extend``) instead of loaded again
    from every day for each month (which grew with the history)."""

    key: tuple[str, str, str, str]
    con: Any
    queries: BulkQueries
    days: dict[dt.date, DayInput] = field(default_factory=dict)


_AHEAD: _Ahead | None = None


def _drop_ahead() -> None:
    global _AHEAD
    if _AHEAD is not None:
        with contextlib.suppress(Exception):
            _AHEAD.con.close()
        _AHEAD = None


def _ahead_days(root: Path, dataset: str, ahead: _Ahead | None) -> list[DayInput]:
    """``_day_inputs``, reusing the manifests read for an earlier month when the index gives
    them the same digest (a day published again is read again). Only for months built ahead:
    the build takes one only if its fingerprint, from the manifests it reads itself, is the
    same."""
    known = ahead.days if ahead is not None else {}
    inputs = []
    for entry in read_index(root, dataset):
        day = dt.date.fromisoformat(entry["date"])
        folder = root / entry["folder"]
        found = known.get(day)
        if found is None or found.folder != folder or found.sha256 != entry["manifestSha256"]:
            found = DayInput(day, folder, load_manifest(folder / entry["manifest"]))
        inputs.append(found)
    return inputs


def _prebuilt_name(key: str, print_: str) -> str:
    return f"{key.replace('/', '-')}-{print_[:16]}"


def write_pages(root: Path, dataset: str, indicators: Indicators, *, newest_day: str) -> None:
    """The dictionary and indicator pages at the datasets root, in both languages (rewritten
    only when their bytes change)."""
    from publication.dictionary_pages import write_pages as write_dictionary
    from publication.indicators import INDICATORS, PAGES, indicator_file, read_tables, render_page

    write_dictionary(root, dataset)
    bulk = BulkLayout(root, dataset)
    tables = read_tables(bulk.folder, dataset)
    if not tables:
        return
    links = {
        name: {
            fmt: f"{bulk.name}/{indicator_file(dataset, name, fmt)}" for fmt in ("parquet", "csv")
        }
        for name in INDICATORS
    }
    for lang_key, name in PAGES.items():
        lang: Lang = "en" if lang_key == "en" else "es"
        page = render_page(
            tables, indicators, lang=lang, links=links, newest_day=newest_day
        ).encode("utf-8")
        path = root / name
        if not path.is_file() or path.read_bytes() != page:
            write_atomic(path, page)


def _assemble(build: _Build) -> BulkResult:
    try:
        months = []
        for month in build.queries.months():
            months.append(build.month(month))
            release_memory()
        # Each month waited for its own threads: nothing reads the membership tables now.
        build.queries.release()
        release_memory()
        years: dict[str, list[PeriodRecord]] = {}
        for record in months:
            years.setdefault(record.key.split("/", 1)[1][:4], []).append(record)
        indicator_files = build.indicator_files(months)
        year_records = [build.combined(year_period(y), records) for y, records in years.items()]
        full = build.combined(FULL_PERIOD, months)
        build.join()
        release_memory()
        aliases = build.latest(months[-1], year_records[-1])
        indicators = indicator_files()
    finally:
        build.wait()
    records = [*months, *year_records, full, indicators]
    newest = build.days[-1]
    leaves = [
        canonical_bytes(
            {
                "dataset": build.dataset,
                "date": day.day.isoformat(),
                "manifestSha256": day.sha256,
                "merkleRoot": day.manifest.merkle["root"],
                "treeSize": day.manifest.merkle["treeSize"],
            }
        )
        for day in build.days
    ]
    bulk = build.layout
    leaves_name = bulk.day_name(newest.day, DAYS_LEAVES)
    write_synced(build.staging / leaves_name, b"".join(line + b"\n" for line in leaves))
    provenance = {
        "format": PROVENANCE_FORMAT,
        "dataset": build.dataset,
        "bulkDataset": bulk.name,
        "parameters": build.parameters,
        "periods": {record.key: record.to_json() for record in records},
        "latest": aliases,
    }
    write_synced(build.staging / PROVENANCE, canonical_bytes(provenance))
    published = [path for record in records for path in record.files]
    published += [*aliases, PROVENANCE, leaves_name, DATAPACKAGE]
    published += [manifest_name(bulk, newest.day), bulk.day_name(newest.day, layout.CHECKSUMS)]
    problems = name_problems(published)
    if problems:
        raise PublicationError(f"bulk file names: {'; '.join(problems)}")
    data_files = sorted({path for record in records for path in record.files} | set(aliases))
    numbering = records_parts(records)
    described = [
        _resource(build, path, numbering) for path in [*data_files, PROVENANCE, leaves_name]
    ]
    resources = [resource for resource, _ in described]
    check_unique_names(resources)
    info = package_info(
        build.identity,
        name=bulk.name,
        path=f"{bulk.name}/{DATAPACKAGE}",
        title=text("datapackage.bulk_title", build.lang, date=newest.day.isoformat()),
        description=text("datapackage.bulk_description", build.lang, dataset=build.dataset),
        created=str(newest.manifest.data.get("cutoff", newest.day.isoformat())),
        lang=build.lang,
    )
    write_synced(build.staging / DATAPACKAGE, descriptor_bytes(package_descriptor(info, resources)))
    entries = [
        *(entry for _, entry in described),
        file_entry(build.staging / DATAPACKAGE, media_type="application/json", role="datapackage"),
    ]
    counts = _counts(build, months, full)
    manifest = _write_manifest(build, newest, entries, leaves, leaves_name, counts)
    problems = verify_day_files(build.staging, manifest).problems()
    if problems:
        stale = build.stale()
        if stale:
            raise _Stale(stale)
        raise PublicationError(f"bulk files do not match their manifest: {'; '.join(problems)}")
    rebuilt = tuple(r.key for r in records if r.rebuilt)
    reused = tuple(r.key for r in records if not r.rebuilt)
    old = build.old_manifest
    legacy = (bulk.folder / bulk_layout.LEGACY_HISTORY).exists()
    if old is not None and old.raw == manifest.raw and not rebuilt and not legacy:
        return BulkResult(bulk.folder, old, True, rebuilt, reused, len(build.days), counts)
    if old is not None and old.raw == manifest.raw:
        # Files rebuilt to the same bytes: the manifest, and so its anchor receipt, stay.
        receipt = bulk.day_name(newest.day, layout.ANCHOR)
        if (bulk.folder / receipt).is_file():
            _link(bulk.folder / receipt, build.staging / receipt)
    _keep_history(build, old if old is not None and old.raw != manifest.raw else None)
    _swap(build.staging, bulk.folder)
    return BulkResult(
        bulk.folder,
        load_manifest(bulk.folder / manifest_name(bulk, newest.day)),
        False,
        rebuilt,
        reused,
        len(build.days),
        counts,
    )


def manifest_name(bulk: BulkLayout, day: dt.date) -> str:
    """File name of the bulk manifest whose newest covered day is ``day``."""
    return bulk.day_name(day, layout.MANIFEST)


def _counts(build: _Build, months: list[PeriodRecord], full: PeriodRecord) -> dict[str, int]:
    counts = {
        "days": len(build.days),
        "months": len(months),
        "releases": sum(p.lines for m in months for p in m.parts.get(RELEASES, [])),
        "compiledReleases": sum(p.lines for m in months for p in m.parts.get(COMPILED, [])),
    }
    for definition in BULK_TABLES:
        counts[definition.name] = int(full.counts.get(definition.name, 0))
    return counts


_FORMATS = {
    ".parquet": ("parquet", "application/vnd.apache.parquet"),
    ".csv": ("csv", "text/csv"),
    ".xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".gz": ("jsonl", "application/gzip"),
    ".jsonl": ("jsonl", "application/jsonl"),
    ".json": ("json", "application/json"),
}


def _resource(
    build: _Build, path: str, numbering: dict[str, tuple[int, int]]
) -> tuple[FileResource, FileEntry]:
    """The data-package resource and the manifest entry of one staged file."""
    from publication.bulk.names import bulk_title, table_of

    fmt, media = _FORMATS[Path(path).suffix]
    digest, size = build.digests.get(path) or sha256_file(build.staging / path)
    resource = FileResource(
        path=path,
        name=resource_name(path),
        title=bulk_title(build.dataset, path, numbering, build.lang),
        media_type=media,
        format=fmt,
        bytes=size,
        sha256=digest,
        table=table_of(build.dataset, path),
    )
    return resource, FileEntry(path, digest, size, media, _role(build.dataset, path))


def records_parts(records: Sequence[PeriodRecord]) -> dict[str, tuple[int, int]]:
    """(part number, parts) of every JSON Lines part path."""
    numbering: dict[str, tuple[int, int]] = {}
    for record in records:
        for parts in record.parts.values():
            for number, part in enumerate(parts, start=1):
                numbering[part.path] = (number, len(parts))
    return numbering


def _role(dataset: str, name: str) -> str:
    if name.endswith(".jsonl.gz"):
        return "ocds-compiled-releases" if f"-{COMPILED}" in name else "ocds-releases"
    if name.startswith(f"{dataset}-indicator-"):
        return "indicator"
    if name.endswith(".xlsx"):
        return "workbook"
    if name == PROVENANCE:
        return "provenance"
    if name.endswith(DAYS_LEAVES):
        return "bulk-days-merkle-leaves"
    return "table"


def _write_manifest(
    build: _Build,
    newest: DayInput,
    entries: list[FileEntry],
    leaves: list[bytes],
    leaves_name: str,
    counts: dict[str, int],
) -> Manifest:
    bulk = build.layout
    old = build.old_manifest
    previous: dict[str, str] | None = None
    if old is not None:
        if old.data["date"] < newest.day.isoformat():
            previous = {"date": old.data["date"], "manifestSha256": old.sha256}
        else:
            previous = old.previous
    data = newest.manifest.data
    manifest = build_manifest(
        dataset=bulk.name,
        day=newest.day,
        cutoff=str(data.get("cutoff", "")),
        ocid_prefix=str(data.get("ocidPrefix", "")),
        publisher=dict(data.get("publisher", {})),
        sources=[
            {
                "dataset": build.dataset,
                "firstDay": build.days[0].day.isoformat(),
                "lastDay": newest.day.isoformat(),
                "days": len(build.days),
                "leaves": leaves_name,
            }
        ],
        counts=counts,
        leaves_file=leaves_name,
        tree_size=len(leaves),
        merkle_root_hex=root_from_leaf_hashes(leaf_hashes(leaves)).hex(),
        files=entries,
        previous=previous,
        anchor_key_hex=anchor_key(bulk.name, newest.day).hex(),
    )
    if any(day.manifest.data.get("synthetic") for day in build.days):
        manifest["synthetic"] = True
    raw = manifest_bytes(manifest)
    path = build.staging / manifest_name(bulk, newest.day)
    write_synced(path, raw)
    sums = sorted([(e["sha256"], e["name"]) for e in manifest["files"]], key=lambda s: s[1])
    sums.append((hashlib.sha256(raw).hexdigest(), path.name))
    write_synced(
        build.staging / bulk.day_name(newest.day, layout.CHECKSUMS),
        "".join(f"{digest}  {name}\n" for digest, name in sorted(sums, key=lambda s: s[1])).encode(
            "ascii"
        ),
    )
    return load_manifest(path)


def _keep_history(build: _Build, old: Manifest | None) -> None:
    """Keep the manifest (and receipt) this build replaces in the sibling history folder,
    before the swap: the folder only grows, and each name appears whole (see ``_add_once``).
    A ``history/`` inside the bulk folder (builds before the flat layout) moves there too."""
    bulk = build.layout
    kept: list[tuple[Path, str]] = []
    legacy = bulk.folder / bulk_layout.LEGACY_HISTORY
    if legacy.is_dir():
        for path in sorted(legacy.iterdir()):
            named = _LEGACY_NAME.match(path.name)
            if path.is_file():
                name = history_name(named[2], named[1]) if named else path.name
                kept.append((path, name))
    if old is not None:
        day = dt.date.fromisoformat(old.data["date"])
        for kind in (layout.MANIFEST, layout.ANCHOR):
            path = bulk.folder / bulk.day_name(day, kind)
            if path.is_file():
                kept.append((path, history_name(path.name, old.sha256)))
    if not kept:
        return
    bulk.history.mkdir(mode=0o755, parents=True, exist_ok=True)
    for source, name in kept:
        _add_once(source, bulk.history / name)
    fsync_dir(bulk.history)
    fsync_dir(bulk.root)


# How the history/ folder of the first bulk builds named a replaced file.
_LEGACY_NAME = re.compile(r"^([0-9a-f]{16})-(.+\.json)$")


def _add_once(source: Path, target: Path) -> None:
    """Add ``source`` to an append-only folder as ``target``: nothing is ever replaced (a
    different file already under that name is kept beside it, under its own digest), and the
    name appears only once its bytes are complete (linked or copied under a hidden name,
    then renamed)."""
    digest = sha256_file(source)[0]
    if target.is_file():
        if sha256_file(target)[0] == digest:
            return
        target = target.with_name(history_name(target.name, digest))
        if target.is_file():
            return
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
    tmp.chmod(0o644)
    os.replace(tmp, target)


def _swap(staging: Path, final: Path) -> None:
    """Replace the bulk folder by the staging folder (two renames, as for a day)."""
    for path in staging.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    staging.chmod(0o755)
    if final.exists():
        retired = final.with_name(f".{final.name}-replaced")
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(final, retired)
        os.rename(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, final)
    fsync_dir(final.parent)
