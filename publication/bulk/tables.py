"""The flat tables of one month, as DuckDB queries over the per-day extracts.

``BulkQueries`` loads the small ``ocids`` extracts of every published day and decides, for
each ocid, the month it belongs to (its formalisation month as first published, so an order
never moves between files) and the last day that touched it (where its latest state is).
A month's tables then read only the extracts of the days that touch that month's ocids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from publication.bulk.extract import COMPILED, DAY_COLUMN, FLAT_TABLES, OCIDS, ORDERS, POSITION
from publication.dictionary import ORDERS as ORDERS_TABLE
from publication.dictionary import TIMEZONE

BATCH_ROWS = 65_536
COMPILED_BATCH_ROWS = 256

# Latest state of an order: newest status date, then the newest package, then the newest
# snapshot and line (equal states seen in two snapshots).
_ORDER_COLUMNS = ", ".join(
    f"l.{name}"
    if name in ("contract_status", "states", "release_id", "package_date", "first_package_date")
    else ("'PEN' AS currency" if name == "currency" else f"o.{name}")
    for name in ORDERS_TABLE.names
)


def connect(temp: Path, memory_limit: str, *, threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that spills to ``temp`` beyond ``memory_limit``, in Lima time,
    running its queries on ``threads`` threads (the database's setting: its cursors share it)."""
    temp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(temp)])
    con.execute("SET threads = ?", [threads])
    _session(con)
    return con


def _session(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET TimeZone = ?", [TIMEZONE])
    con.execute("SET enable_progress_bar = false")


class BulkQueries:
    """Month membership of every ocid and the month-level table queries."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        extracts: dict[dt.date, Path],
        unions: Path | None = None,
    ) -> None:
        self.con = con
        self.extracts = extracts
        self.unions = unions
        self._touching: dict[str, set[dt.date]] | None = None
        self._loaded = False
        self._load()

    def _load(self) -> None:
        if self._loaded:
            return
        con = self.con
        files = _ocid_files(self.extracts, self.unions)
        con.execute("CREATE OR REPLACE TABLE ocids AS SELECT * FROM read_parquet($f)", {"f": files})
        con.execute(
            f"""CREATE OR REPLACE TABLE ocid_map AS
            SELECT ocid, arg_min(month, {DAY_COLUMN}) AS month,
                   max({DAY_COLUMN}) AS latest_day, bool_or(framework) AS framework
            FROM ocids GROUP BY ocid"""
        )
        con.execute(
            f"""CREATE OR REPLACE TABLE ocid_latest AS
            SELECT o.* FROM ocids o JOIN ocid_map m
              ON o.ocid = m.ocid AND o.{DAY_COLUMN} = m.latest_day"""
        )
        self._loaded = True

    def extend(self, extracts: dict[dt.date, Path]) -> bool:
        """Bring the membership up to ``extracts`` reading only the days it adds, when it adds
        days after every day loaded and keeps the loaded ones as they were (a backfill's next
        days): an ocid's month is the one of its earliest day, already loaded, its latest
        state the one of its newest day. False, with nothing changed, otherwise (the caller
        starts again from every day). The same tables and inputs as a load of every day
        (tested); the ``ocids`` rows are no longer kept (only the load needs them)."""
        old = self.extracts
        if not old or any(extracts.get(day) != path for day, path in old.items()):
            return False
        added = sorted(set(extracts) - set(old))
        if added and added[0] <= max(old):
            return False
        self._load()
        self._touching_map()
        con = self.con
        con.execute("DROP TABLE IF EXISTS ocids")
        if added:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE ocids_added AS SELECT * FROM read_parquet($f)",
                {"f": [str(extracts[day] / f"{OCIDS}.parquet") for day in added]},
            )
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE map_added AS
                SELECT ocid, arg_min(month, {DAY_COLUMN}) AS month,
                       max({DAY_COLUMN}) AS latest_day, bool_or(framework) AS framework
                FROM ocids_added GROUP BY ocid"""
            )
            con.execute(
                """UPDATE ocid_map SET latest_day = a.latest_day,
                       framework = ocid_map.framework OR a.framework
                FROM map_added a WHERE ocid_map.ocid = a.ocid"""
            )
            con.execute(
                """INSERT INTO ocid_map SELECT ocid, month, latest_day, framework FROM map_added a
                WHERE NOT EXISTS (SELECT 1 FROM ocid_map m WHERE m.ocid = a.ocid)"""
            )
            con.execute("DELETE FROM ocid_latest WHERE ocid IN (SELECT ocid FROM map_added)")
            con.execute(
                f"""INSERT INTO ocid_latest SELECT o.* FROM ocids_added o JOIN map_added m
                  ON o.ocid = m.ocid AND o.{DAY_COLUMN} = m.latest_day"""
            )
            rows = con.execute(
                f"""SELECT m.month, list(DISTINCT o.{DAY_COLUMN}) FROM ocids_added o
                JOIN ocid_map m USING (ocid) GROUP BY m.month"""
            ).fetchall()
            assert self._touching is not None
            for found, days in rows:
                self._touching.setdefault(str(found), set()).update(days)
            con.execute("DROP TABLE ocids_added")
            con.execute("DROP TABLE map_added")
        self.extracts = dict(extracts)
        return True

    def release(self) -> None:
        """Drop the membership tables (they grow with the history) once the months are built;
        the next query loads them again."""
        if self._loaded:
            for table in ("ocid_latest", "ocid_map", "ocids"):
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
            self._loaded = False

    def cursor(self) -> BulkQueries:
        """The same queries on a cursor of the same database, for another thread."""
        self._load()
        other = object.__new__(BulkQueries)
        other.__dict__.update(self.__dict__)
        other.con = self.con.cursor()
        _session(other.con)
        return other

    def months(self) -> list[str]:
        """Every month with an ocid or a published day."""
        self._load()
        rows = self.con.execute("SELECT DISTINCT month FROM ocid_map").fetchall()
        found = {str(row[0]) for row in rows} | {f"{day:%Y-%m}" for day in self.extracts}
        return sorted(found)

    def inputs(self, month: str) -> list[dt.date]:
        """Days a month's files depend on: its own days (their releases) and every day that
        touched one of its ocids (their latest states)."""
        days = self._touching_map().get(month, set()) | {
            d for d in self.extracts if f"{d:%Y-%m}" == month
        }
        return sorted(days)

    def _touching_map(self) -> dict[str, set[dt.date]]:
        """Every month's days that touched one of its ocids."""
        if self._touching is None:
            self._load()
            rows = self.con.sql(
                f"""SELECT m.month, list(DISTINCT o.{DAY_COLUMN}) FROM ocids o
                JOIN ocid_map m USING (ocid) GROUP BY m.month"""
            ).fetchall()
            self._touching = {str(found): set(days) for found, days in rows}
        return self._touching

    def _files(self, days: Sequence[dt.date], name: str) -> list[str]:
        return [str(self.extracts[day] / f"{name}.parquet") for day in days]

    def orders(self, month: str, days: Sequence[dt.date]) -> pa.RecordBatchReader:
        """The month's orders in their latest state, one row each, by order number."""
        self._load()
        return self.con.sql(
            f"""SELECT {_ORDER_COLUMNS} FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY ocid ORDER BY last_status_at DESC, {DAY_COLUMN} DESC,
                    process_time DESC, source_file DESC, source_line DESC) AS state_rank
                FROM read_parquet($f)
                WHERE ocid IN (SELECT ocid FROM ocid_map WHERE month = $m AND NOT framework)
            ) o JOIN ocid_latest l ON l.ocid = o.ocid
            WHERE o.state_rank = 1
            ORDER BY o.order_number, o.ocid""",
            params={"f": self._files(days, ORDERS), "m": month},
        ).to_arrow_reader(BATCH_ROWS)

    def flat(self, table: str, month: str, days: Sequence[dt.date]) -> pa.RecordBatchReader:
        """Rows of an OCDS-side table for the month's ocids, from each ocid's latest day."""
        self._load()
        columns = ", ".join(f't."{name}"' for name in FLAT_TABLES[table].names)
        return self.con.sql(
            f"""SELECT {columns} FROM read_parquet($f) t JOIN ocid_map m
              ON t.ocid = m.ocid AND t.{DAY_COLUMN} = m.latest_day
            WHERE m.month = $m ORDER BY t.ocid, t.{POSITION}""",
            params={"f": self._files(days, table), "m": month},
        ).to_arrow_reader(BATCH_ROWS)

    def compiled(self, month: str, days: Sequence[dt.date]) -> Iterator[pa.RecordBatch]:
        """``compiled_values`` in record batches of one binary column, ``json``."""
        batch: list[bytes] = []
        for value in self.compiled_values(month, days):
            batch.append(value)
            if len(batch) == COMPILED_BATCH_ROWS:
                yield pa.record_batch([pa.array(batch, pa.binary())], names=["json"])
                batch = []
        if batch:
            yield pa.record_batch([pa.array(batch, pa.binary())], names=["json"])

    def compiled_values(self, month: str, days: Sequence[dt.date]) -> Iterator[bytes]:
        """Compiled releases (canonical JSON) of the month's ocids, latest state, by ocid.

        A merge of the days' extracts (each written in ocid order, one row per ocid) rather
        than a DuckDB sort: with ~150 bids per order a month's compiled releases weigh
        ~650 MB, more than the sort could hold under the memory limit.
        """
        self._load()
        latest = dict(
            self.con.execute(
                "SELECT ocid, latest_day FROM ocid_map WHERE month = ?", [month]
            ).fetchall()
        )
        streams = [
            _latest_rows(self.extracts[day] / f"{COMPILED}.parquet", day, latest) for day in days
        ]
        for _, value in heapq.merge(*streams, key=lambda row: row[0]):
            yield value


def _latest_rows(
    path: Path, day: dt.date, latest: dict[str, dt.date]
) -> Iterator[tuple[str, bytes]]:
    """(ocid, json) of a day's compiled extract whose ocid has this day as its latest, in
    file (ocid) order, read a few rows at a time."""
    source = pq.ParquetFile(path, buffer_size=1 << 20)
    previous = ""
    for batch in source.iter_batches(batch_size=_MERGE_BATCH_ROWS, columns=["ocid", "json"]):
        for ocid, value in zip(
            batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True
        ):
            if ocid < previous:
                raise ValueError(f"{path}: not in ocid order at {ocid}; rebuild the extracts")
            previous = ocid
            if latest.get(ocid) == day:
                yield ocid, value


_MERGE_BATCH_ROWS = 32


def _ocid_files(extracts: dict[dt.date, Path], unions: Path | None) -> list[str]:
    """The ``ocids`` extracts to read: with a ``unions`` folder, the days of each month before
    the newest day's come from one file per month (written once, named after the extracts it
    joins, so a re-published day makes a new one), the newest month's days one by one."""
    days = sorted(extracts)
    if unions is None or not days:
        return [str(extracts[day] / f"{OCIDS}.parquet") for day in days]
    unions.mkdir(parents=True, exist_ok=True)
    newest = f"{days[-1]:%Y-%m}"
    files: list[str] = []
    wanted: set[str] = set()
    for month in sorted({f"{day:%Y-%m}" for day in days}):
        members = [extracts[day] for day in days if f"{day:%Y-%m}" == month]
        parts = [str(folder / f"{OCIDS}.parquet") for folder in members]
        if month == newest:
            files += parts
            continue
        key = hashlib.sha256("\n".join(f.name for f in members).encode()).hexdigest()[:16]
        union = unions / f"{OCIDS}-{month}-{key}.parquet"
        wanted.add(union.name)
        if not union.is_file():
            tmp = union.with_name(f".{union.name}.tmp")
            pq.write_table(pa.concat_tables(pq.ParquetFile(part).read() for part in parts), tmp)
            os.replace(tmp, union)
        files.append(str(union))
    for path in unions.glob(f"{OCIDS}-*.parquet"):
        if path.name not in wanted:
            path.unlink(missing_ok=True)
    return files
