"""Per-day extracts: the flat rows of one published day, cached as Parquet.

Each published day is read once (its ``records.json`` and ``orders.parquet``, checked against
the day's manifest while reading) into small Parquet files in the status-store folder:

- ``ocids``: one row per ocid the day touches (month it belongs to: an order's formalisation
  month, a framework agreement's publication month; states, latest release);
- ``compiled``: the compiled release of each of those ocids as canonical JSON bytes;
- ``orders``, ``items``, ``deliveries``, ``bids``, ``parties``, ``agreements``: the flat
  rows (dictionary types), with the package day and the position in its OCDS array.

An extract is keyed by the day's manifest digest: a re-published (changed) day gets a new
one, an unchanged day is never read again. The record package of a day holds, for every
ocid it touches, the compiled release over its whole history, so the latest state of an
ocid is the one in the extract of the last day that touched it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.manifest import Manifest
from publication.bulk import workers as bulk_workers
from publication.bulk.extract_schema import (
    COMPILED,
    COMPILED_ROW_GROUP,
    COMPILED_SCHEMA,
    DAY_COLUMN,
    DELIVERY,
    FLAT_TABLES,
    MILESTONE_KEYS,
    OCID_SCHEMA,
    OCIDS,
    ORDERS,
    POSITION,
    ROW_COLUMNS,
    as_table,
    extract_schema,
    release_link,
    timestamps,
)
from publication.dictionary import SOLES, Table
from publication.memory import release_memory
from publication.process_name import AHEAD

EXTRACT_VERSION = "3"
# Missing extracts made in worker processes from this many on (fewer: not worth starting them).
PARALLEL_FROM = 16
# How much lower the priority of the process making extracts during a backfill is.
AHEAD_NICE = 10
DONE = "DONE"


class ExtractError(RuntimeError):
    """A published day cannot be read into the bulk files (changed or malformed file)."""


@dataclass(frozen=True)
class DayInput:
    """One published day the bulk files are built from."""

    day: dt.date
    folder: Path
    manifest: Manifest

    @property
    def sha256(self) -> str:
        """The day's manifest digest (what the bulk files record as their input)."""
        return self.manifest.sha256

    def file(self, kind: str) -> Path:
        """Path of one of the day's files."""
        return self.folder / f"{self.manifest.dataset}-{self.day.isoformat()}-{kind}"

    def read_checked(self, kind: str) -> bytes:
        """The bytes of a listed file, refused unless they match the manifest."""
        path = self.file(kind)
        entry = self.manifest.files.get(path.name)
        if entry is None:
            raise ExtractError(f"{path.name} is not listed in the manifest of {self.day}")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["bytes"]:
            raise ExtractError(
                f"{path}: does not match the manifest of {self.day}; restore the published "
                "day (verificar shows what changed) before building the bulk files"
            )
        return data


def extract_folder(cache: Path, day: DayInput) -> Path:
    """Where the extract of a day version lives."""
    return cache / f"{day.day.isoformat()}-{day.sha256[:16]}-v{EXTRACT_VERSION}"


def ensure_extract(cache: Path, day: DayInput) -> Path:
    """The extract of a day, built once per day version (atomically: a folder rename)."""
    target = extract_folder(cache, day)
    if (target / DONE).exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache))
    try:
        _extract(day, staging)
        (staging / DONE).write_text(day.sha256)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_extracts(cache: Path, days: Sequence[DayInput], workers: int) -> dict[dt.date, Path]:
    """The extract of every day; when many are missing (a first build, a backfill), they are
    made in ``workers`` processes first (each day's extract depends on that day alone)."""
    missing = [day for day in days if not (extract_folder(cache, day) / DONE).exists()]
    if workers > 1 and len(missing) >= PARALLEL_FROM:
        pool = bulk_workers.pool(workers)
        try:
            for future in [pool.submit(ensure_extract, cache, day) for day in missing]:
                future.result()
        except Exception:
            # A worker's failure only costs the speed-up: the days left are extracted below,
            # where a bad day is reported, the first in date order.
            pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return {day.day: ensure_extract(cache, day) for day in days}


# Work for ``ExtractsAhead``'s process: (the day of an extract or None, function, args, kwargs).
_Work = tuple[DayInput | None, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class ExtractsAhead:
    """The extracts of days just published, made in one background process at a lower
    priority while a backfill publishes the next days (it leaves the second core mostly
    idle), so that the bulk build at the end finds them made. They are the extracts
    ``ensure_extracts`` would make (same function, same key: a day published again gets a
    new one); a day that fails here is left to the build, which reports it. Other work can
    follow the extracts in the same process (``then``: the backfill builds months ahead).
    ``start_when``: the process is started only once it returns True (asked at each ``add``
    and ``then``); until then the work is held, in order."""

    def __init__(self, cache: Path, *, start_when: Callable[[], bool] | None = None) -> None:
        self.cache = cache
        self._start_when = start_when
        self._pool: ProcessPoolExecutor | None = None
        self._queued: set[Path] = set()
        self._broken = False
        self._held: list[_Work] = []
        self._extracts: list[tuple[DayInput, Future[Any]]] = []
        self._then: list[Future[Any]] = []

    def add(self, days: Iterable[DayInput]) -> None:
        """Queue the extracts of ``days`` (those not made yet)."""
        missing = [
            day
            for day in days
            if extract_folder(self.cache, day) not in self._queued
            and not (extract_folder(self.cache, day) / DONE).exists()
        ]
        if not missing or self._broken:
            return
        self._queued.update(extract_folder(self.cache, day) for day in missing)
        self._queue([(day, _extract_ahead, (self.cache, day), {}) for day in missing])

    def then(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queue other work after the extracts queued so far (its failure is ignored too)."""
        if not self._broken:
            self._queue([(None, job, args, kwargs)])

    def _queue(self, work: list[_Work]) -> None:
        """Hand ``work`` to the process after what is held; with ``start_when`` saying not
        yet, hold it all and start no process: another background process of the run (the
        month workers) has the spare core and memory until then."""
        self._held += work
        if self._pool is None and self._start_when is not None and not self._start_when():
            return
        held, self._held = self._held, []
        try:
            if self._pool is None:
                self._pool = bulk_workers.pool(1, nice=AHEAD_NICE, name=AHEAD)
            for day, job, args, kwargs in held:
                future = self._pool.submit(job, *args, **kwargs)
                if day is None:
                    self._then.append(future)
                else:
                    self._extracts.append((day, future))
        except (BrokenExecutor, RuntimeError):
            # A lost worker only costs the head start: the build makes what is missing.
            self._broken = True
            self.close()

    def finish_here(self) -> None:
        """The queued extracts made now, before the build: the process finishes the ones it
        has taken, this process makes the others (from the newest back, each taken off the
        queue first, so none is made twice); the other work queued is dropped. The build
        then finds every extract made and starts no worker processes for them. A day that
        fails here is left to the build, which reports it."""
        held = [(day, None) for day, *_ in self._held if day is not None]
        self._held = []
        if self._pool is None and not held:
            return
        for future in self._then:
            future.cancel()
        for day, future in reversed([*self._extracts, *held]):
            if future is not None and future.done():
                continue
            if future is not None and not future.cancel():
                break  # taken by the process, and every one queued before it too
            try:
                ensure_extract(self.cache, day)
            except Exception:
                break
            finally:
                release_memory()
        self.close()

    def close(self, *, finish: bool = False) -> None:
        """Stop the process once the job under way is done; the queued ones are dropped (the
        build, with every core, makes what is missing) unless ``finish``. Failures are left
        to the build."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=not finish)
            self._pool = None
        self._extracts, self._then, self._held = [], [], []

    def __enter__(self) -> ExtractsAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _extract_ahead(cache: Path, day: DayInput) -> None:
    """``ensure_extract`` in the long-lived background process, its memory let go after."""
    try:
        ensure_extract(cache, day)
    finally:
        release_memory()


def prune_extracts(cache: Path, keep: Iterable[Path]) -> None:
    """Drop extracts of day versions no longer published."""
    wanted = {path.name for path in keep}
    if not cache.is_dir():
        return
    for path in cache.iterdir():
        if path.is_dir() and path.name[:4].isdigit() and path.name not in wanted:
            shutil.rmtree(path, ignore_errors=True)


def _extract(day: DayInput, out: Path) -> None:
    from publication.bulk.extract_arrow import extract_tables

    prefix = str(day.manifest.data.get("ocidPrefix", ""))
    # ParquetFile, not read_table: the same table without the datasets layer (whose import
    # brings pandas into the background process).
    orders = pq.ParquetFile(pa.BufferReader(day.read_checked(layout.ORDERS_PARQUET))).read()
    pq.write_table(_orders(orders, day.day, prefix), out / f"{ORDERS}.parquet")
    data = day.read_checked(layout.RECORD_PACKAGE)
    tables = extract_tables(day.day, data)
    _write_tables(reference_tables(day.day, data) if tables is None else tables, out)


def reference_tables(day: dt.date, data: bytes) -> dict[str, pa.Table]:
    """The extract's tables of a day from its record package, one Python object per value
    (the reference ``extract_arrow`` must equal; it takes over whatever that one refuses)."""
    records = orjson.loads(data).get("records", [])
    cut = compiled_slices(data, records)
    builder = _RowBuilder(day)
    for number in sorted(range(len(records)), key=lambda n: str(records[n]["ocid"])):
        builder.add(records[number], cut[number] if cut is not None else None)
    return builder.tables()


def _write_tables(tables: Mapping[str, pa.Table], out: Path) -> None:
    for name, table in tables.items():
        if name == COMPILED:
            pq.write_table(
                table,
                out / f"{COMPILED}.parquet",
                compression="zstd",
                row_group_size=COMPILED_ROW_GROUP,
                # Nothing looks up a release by its bytes: no dictionary, no statistics for them.
                use_dictionary=["ocid", DAY_COLUMN],
                write_statistics=["ocid", DAY_COLUMN],
            )
        else:
            pq.write_table(table, out / f"{name}.parquet")


_HEAD = b'{"compiledRelease":'
_RELEASES_MEMBER = b'"releases":'
_RECORD_KEYS = frozenset({"compiledRelease", "ocid", "releases"})


def compiled_slices(data: bytes, records: Sequence[Mapping[str, Any]]) -> list[bytes] | None:
    """``canonical_bytes(record["compiledRelease"])`` of each record, cut from ``data``, the
    record package's canonical bytes, instead of serialised again; None when they cannot be
    told apart for certain (then each is serialised).

    In canonical bytes a record is ``{"compiledRelease":C,"ocid":O,"releases":R}``, C the
    compiled release's canonical bytes. When ``{"compiledRelease":`` and ``"releases":``
    each occur in the package exactly once per record, every occurrence is a record's own
    member (a compiled release, a link or another member of the package holding either
    would add one), in record order: C is what lies between them, less ``,"ocid":O,``
    (checked). The first record's C is also serialised and compared, so a package written
    otherwise than canonically is never cut."""
    if (
        not records
        or data.count(_HEAD) != len(records)
        or data.count(_RELEASES_MEMBER) != len(records)
    ):
        return None
    slices: list[bytes] = []
    at = 0
    for record in records:
        if record.keys() != _RECORD_KEYS:
            return None
        start = data.index(_HEAD, at) + len(_HEAD)
        key = data.index(_RELEASES_MEMBER, start)
        tail = b',"ocid":' + orjson.dumps(record["ocid"]) + b","
        end = key - len(tail)
        if end <= start or data[end:key] != tail:
            return None
        slices.append(data[start:end])
        at = key
    if slices[0] != canonical_bytes(records[0]["compiledRelease"]):
        return None
    return slices


def _orders(table: pa.Table, day: dt.date, prefix: str) -> pa.Table:
    """The day's order rows with their ocid, package day and the dictionary's types."""
    n = table.num_rows
    ocid = pc.binary_join_element_wise(pa.array([prefix] * n, pa.string()), table["order_id"], "-")
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "ocid": ocid,
        DAY_COLUMN: pa.array([day] * n, pa.date32()),
    }
    for name in (
        "order_number",
        "order_id",
        "delivery_number",
        "status",
        "procedure_type",
        "buyer_ruc",
        "buyer_name",
        "supplier_ruc",
        "supplier_name",
        "agreement_code",
        "agreement_raw",
        "order_pdf_url",
        "digitized_order_url",
        "status_document_url",
        "status_description",
        "rights_assignment_description",
        "source_file",
        "source_line",
    ):
        columns[name] = table[name]
    columns["formalized_at"] = timestamps(table["formalized_at"])
    columns["formalized_date"] = pc.cast(
        pc.utf8_slice_codeunits(table["formalized_at"], 0, 10), pa.date32()
    )
    columns["last_status_at"] = timestamps(table["last_status_at"])
    columns["process_time"] = timestamps(table["process_time"])
    for name in ("subtotal", "igv", "total"):
        columns[name] = cents_to_soles(table[f"{name}_cents"])
    return pa.table(columns)


def cents_to_soles(cents: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Exact soles (decimal128(18, 2)) from integer cents: the cents are the unscaled value."""
    array = cents.combine_chunks() if isinstance(cents, pa.ChunkedArray) else cents
    values = np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False), dtype="<i8")
    words = np.empty(len(values) * 2, dtype="<i8")
    words[0::2] = values
    words[1::2] = np.where(values < 0, -1, 0)
    validity = array.buffers()[0] if array.null_count else None
    return pa.Array.from_buffers(
        SOLES, len(values), [validity, pa.py_buffer(words.tobytes())], array.null_count
    )


def _number_text(value: Any) -> str | None:
    """A JSON number as exact text (orjson gives the shortest float repr)."""
    if value is None or isinstance(value, bool):
        return None
    return str(value) if isinstance(value, int) else repr(float(value))


class _RowBuilder:
    """Column lists of every extract table, filled record by record (the flat tables' rows
    as tuples, made columns once the day is read)."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self.ocids: dict[str, list[Any]] = defaultdict(list)
        self.compiled: dict[str, list[Any]] = defaultdict(list)
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in FLAT_TABLES}

    def add(self, record: Mapping[str, Any], compiled_json: bytes | None = None) -> None:
        """One record's rows (``compiled_json``: its compiled release's canonical bytes when
        known, else serialised here)."""
        ocid = str(record["ocid"])
        compiled = record["compiledRelease"]
        links = [release_link(str(link.get("url", ""))) for link in record.get("releases", [])]
        contracts = compiled.get("contracts") or []
        framework = not contracts
        dated = contracts[0].get("dateSigned") if contracts else None
        # A call-off belongs to its formalisation month; a framework agreement (first stage,
        # dated by the agreement's start, often years before the history) to the month of
        # the day that first publishes it (the earliest day wins in BulkQueries).
        month = f"{self.day:%Y-%m}" if framework else str(dated or compiled.get("date", ""))[:7]
        self.ocids["ocid"].append(ocid)
        self.ocids[DAY_COLUMN].append(self.day)
        self.ocids["month"].append(month)
        self.ocids["framework"].append(framework)
        self.ocids["states"].append(len(links))
        self.ocids["release_id"].append(links[-1][0] if links else None)
        self.ocids["package_date"].append(links[-1][1] if links else self.day)
        self.ocids["first_package_date"].append(links[0][1] if links else self.day)
        self.ocids["contract_status"].append(contracts[0].get("status") if contracts else None)
        self.compiled["ocid"].append(ocid)
        self.compiled[DAY_COLUMN].append(self.day)
        self.compiled["json"].append(
            canonical_bytes(compiled) if compiled_json is None else compiled_json
        )
        release = str(compiled.get("id", ""))
        day = self.day
        if framework:
            tender = compiled.get("tender") or {}
            self.rows["agreements"].append(
                (
                    ocid,
                    release,
                    day,
                    0,
                    compiled.get("date"),
                    tender.get("id"),
                    tender.get("title"),
                    tender.get("description"),
                    tender.get("procurementMethod"),
                    tender.get("procurementMethodDetails"),
                )
            )
        self._contracts(ocid, release, contracts)
        self._bids(ocid, release, compiled.get("bids") or {})
        parties = self.rows["parties"]
        for position, party in enumerate(compiled.get("parties") or []):
            identifier = party.get("identifier") or {}
            parties.append(
                (
                    ocid,
                    release,
                    day,
                    position,
                    party.get("id"),
                    party.get("name"),
                    identifier.get("scheme"),
                    identifier.get("id"),
                    identifier.get("legalName"),
                    ";".join(party.get("roles") or []) or None,
                )
            )

    def _contracts(self, ocid: str, release: str, contracts: list[dict[str, Any]]) -> None:
        day = self.day
        items, deliveries = self.rows["items"], self.rows["deliveries"]
        item_position = milestone_position = 0
        for contract in contracts:
            contract_id = contract.get("id")
            for item in contract.get("items") or []:
                unit = item.get("unit") or {}
                value = unit.get("value") or {}
                address = item.get("deliveryAddress") or {}
                items.append(
                    (
                        ocid,
                        release,
                        day,
                        item_position,
                        contract_id,
                        item.get("id"),
                        item.get("description"),
                        _number_text(item.get("quantity")),
                        unit.get("name"),
                        _number_text(value.get("amount")),
                        value.get("currency"),
                        address.get("streetAddress"),
                        address.get("locality"),
                        address.get("region"),
                        address.get("countryName"),
                    )
                )
                item_position += 1
            implementation = contract.get("implementation") or {}
            for milestone in implementation.get("milestones") or []:
                if milestone.get("type") != DELIVERY:
                    continue
                deliveries.append(
                    (
                        ocid,
                        release,
                        day,
                        milestone_position,
                        contract_id,
                        *(milestone.get(key) for key in MILESTONE_KEYS),
                    )
                )
                milestone_position += 1

    def _bids(self, ocid: str, release: str, bids: Mapping[str, Any]) -> None:
        day = self.day
        rows = self.rows["bids"]
        position = 0
        for bid in bids.get("details") or []:
            value = bid.get("value") or {}
            for tenderer in bid.get("tenderers") or [{}]:
                rows.append(
                    (
                        ocid,
                        release,
                        day,
                        position,
                        bid.get("id"),
                        bid.get("date"),
                        bid.get("status"),
                        _number_text(value.get("amount")),
                        value.get("currency"),
                        tenderer.get("id"),
                        tenderer.get("name"),
                    )
                )
                position += 1

    def columns(self, table: str) -> dict[str, list[Any]]:
        """A flat table's rows as column lists by name (none when the day has no rows)."""
        rows = self.rows[table]
        if not rows:
            return {}
        names = ("ocid", "id", DAY_COLUMN, POSITION, *ROW_COLUMNS[table])
        return {
            name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)
        }

    def tables(self) -> dict[str, pa.Table]:
        """Every extract table, by name (the order they are written in)."""
        tables = {
            OCIDS: as_table(self.ocids, OCID_SCHEMA),
            COMPILED: as_table(self.compiled, COMPILED_SCHEMA),
        }
        for name, definition in FLAT_TABLES.items():
            tables[name] = _typed(self.columns(name), definition)
        return tables


def _typed(rows: Mapping[str, list[Any]], definition: Table) -> pa.Table:
    """Column lists converted to the dictionary's types (exact decimals, Lima timestamps)."""
    schema = extract_schema(definition)
    arrays = []
    for field in schema:
        values = rows.get(field.name, [])
        if pa.types.is_decimal(field.type):
            arrays.append(pa.array(values, pa.string()).cast(field.type))
        elif pa.types.is_timestamp(field.type):
            arrays.append(timestamps(pa.array(values, pa.string())))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
