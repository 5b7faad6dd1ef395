"""Status history: what each source snapshot said and what has been published (DuckDB).

A monthly file is a snapshot of each order's *current* status. To publish every status
change as a new release without rewriting an anchored day, the store keeps:

- ``observations``: every normalised order row of every ingested snapshot, keyed by the
  file's SHA-256 (a re-generated file with the same name is a new snapshot);
- ``published``: one row per published release (order, release date, package day);
- ``agreement_names``: per snapshot, the (code, name) pairs its code-prefixed ACUERDO_MARCO
  labels carry, with the first and last formalisation day seen: what name-only labels of any
  file resolve through (``learned_agreements``, aggregated over every snapshot, so that the
  result does not depend on the order files were ingested in).
- ``first_stages``: the date of each framework agreement's first-stage release, fixed the
  first time it is published (its agreement's known start, else the first call-off in the
  whole loaded history: ``first_call_offs``), so that no later run dates it differently.
- ``anchor_journal``: one row per (dataset, day) anchored or to anchor on chain, with the
  state of its transaction (``AnchorJournalRow``; the state machine is in
  ``publication.anchoring``).

Tables derived from these, kept at each write for the keys it touched: ``newest_by_*`` (the
newest observation of each order and delivery) and what answers ``late_states`` and
``retry_candidates`` for a day after every package without reading the history (``_DERIVED``).

Publication policy: the first state of an order lands in the package of the Lima day it
was formalised; a later state discovered in a newer snapshot lands in the package of the
first day run after its discovery (``late_states``). Each release appears in exactly one
daily package. The store can be rebuilt from the published JSON Lines files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from integrity.manifest import sha256_file
from perucompras.agreements import LearnedName
from perucompras.reader import ORDER_SCHEMA, ReadResult
from publication.atomic import settled_identity
from settings import DEFAULT_STATE_MEMORY_LIMIT, default_state_dir

STORE_FILE = "status-history.duckdb"

# The newest observation of each order (delivery) and of each order id, kept up to date at
# ingest: the daily queries read them instead of ranking every observation ever made.
# The trailing keys only make exact ties resolve the same way every time.
_NEWEST = {"newest_by_number": "order_number", "newest_by_order": "order_id"}
_NEWEST_FIRST = (
    "process_time DESC, last_status_at DESC, source_file DESC, source_line DESC, "
    "snapshot_sha256 DESC"
)

# What answers ``late_states`` and ``retry_candidates`` for a day after every package (the daily
# forward case) without reading the whole history: each table is what its query here gives over
# the base tables, kept so in the transaction of every write that changes it (only the keys the
# write touched). The original queries stay the reference and answer every other day.
# ``order_marks`` is clustered by formalisation day: a day's writes find their rows by it.
_DERIVED = {
    "published_days": "SELECT DISTINCT package_day FROM {published}",
    "order_marks": """
        SELECT n.order_id, TRY_CAST(substr(n.formalized_at, 1, 10) AS DATE) AS formal_day,
               n.last_status_at AS status_at, p.order_id IS NOT NULL AS published, p.last_date
        FROM {newest_by_order} n LEFT JOIN (
            SELECT order_id, max(release_date) AS last_date FROM {published} GROUP BY order_id
        ) p USING (order_id)
        ORDER BY formal_day, order_id
    """,
    "late_pending": """
        SELECT n.* FROM {newest_by_order} n JOIN order_marks m USING (order_id)
        WHERE n.last_status_at > m.last_date
    """,
    "retry_pool": """
        SELECT n.* FROM {newest_by_number} n JOIN order_marks m USING (order_id)
        WHERE NOT m.published
          AND CAST(substr(n.formalized_at, 1, 10) AS DATE) IN (SELECT package_day FROM published_days)
    """,
}
_DERIVED_VERSION = 1
# Rows the derived tables cannot stand for (never produced by the reader): a null key, or a
# formalisation time whose first ten characters are not exactly its ISO date. One such row
# turns them off for good and every day takes the reference queries.
_IRREGULAR = (
    "order_id IS NULL OR order_number IS NULL OR (formalized_at IS NOT NULL AND coalesce("
    "strftime(TRY_CAST(substr(formalized_at, 1, 10) AS DATE), '%Y-%m-%d') "
    "<> substr(formalized_at, 1, 10), true))"
)


_MARKS = pa.schema(
    [
        ("order_id", pa.string()),
        ("formal_day", pa.date32()),
        ("status_at", pa.string()),
        ("last_date", pa.string()),
    ]
)


class _OcidDays:
    """A superset of the (ocid, package day) pairs of ``published``, kept in memory by a long run
    (``shared=True``): ocids by their in-process ``hash()`` (sorted, ~12 bytes a release, and the
    newest pairs in a dict), so a day's lookup reads ``published`` only when one of its ocids may
    be there, and only on those days. Never shrunk: a stale or colliding entry only adds a day
    for the exact query to rule out."""

    _MERGE_AT = 50_000

    def __init__(self) -> None:
        self.hashes = np.empty(0, np.int64)
        self.days = np.empty(0, np.int32)  # date ordinals
        self.recent: dict[int, set[int]] = {}
        self.ready = False

    def load(self, ocids: pa.ChunkedArray, days: pa.ChunkedArray) -> None:
        hashes = np.fromiter((hash(ocid) for ocid in ocids.to_pylist()), np.int64, len(ocids))
        ordinals = days.cast(pa.int32()).to_numpy() + _EPOCH_ORDINAL
        order = np.argsort(hashes, kind="stable")
        self.hashes, self.days = hashes[order], ordinals[order].astype(np.int32)
        self.ready = True

    def add(self, ocids: Sequence[str], day: dt.date) -> None:
        ordinal = day.toordinal()
        for ocid in ocids:
            self.recent.setdefault(hash(ocid), set()).add(ordinal)
        if len(self.recent) >= self._MERGE_AT:
            pairs = [(key, value) for key, values in self.recent.items() for value in values]
            hashes = np.concatenate([self.hashes, np.array([k for k, _ in pairs], np.int64)])
            days = np.concatenate([self.days, np.array([v for _, v in pairs], np.int32)])
            order = np.argsort(hashes, kind="stable")
            self.hashes, self.days, self.recent = hashes[order], days[order], {}

    def candidates(self, ocids: Sequence[str]) -> tuple[list[str], list[dt.date]]:
        """The ocids that may be in ``published`` and every day they may be in."""
        keys = [hash(ocid) for ocid in ocids]
        wanted = np.array(keys, np.int64)
        starts = np.searchsorted(self.hashes, wanted, "left")
        ends = np.searchsorted(self.hashes, wanted, "right")
        found: list[str] = []
        ordinals: set[int] = set()
        for ocid, key, start, end in zip(ocids, keys, starts.tolist(), ends.tolist(), strict=True):
            recent = self.recent.get(key)
            if start < end or recent:
                found.append(ocid)
                ordinals.update(self.days[start:end].tolist())
                ordinals.update(recent or ())
        return found, [dt.date.fromordinal(ordinal) for ordinal in sorted(ordinals)]


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class _OrderSpans:
    """For each order id of ``published``, a span of package days holding all its releases (the
    first and last day, or wider), kept in memory by a long run (``shared=True``) so that a day
    re-published below later packages finds "published before the day" without reading every
    package: an order whose span ends before the day has all its releases there, one whose span
    starts on or after it has none, and only those whose span straddles the day are read, on the
    days of the span. Never shrunk: a stale span only sends an order to the exact query."""

    _MERGE_AT = 50_000

    def __init__(self) -> None:
        self.hashes = np.empty(0, np.int64)
        self.ids: pa.Array = pa.array([], pa.string())
        self.first = np.empty(0, np.int32)  # date ordinals
        self.last = np.empty(0, np.int32)
        self.recent: dict[str, tuple[int, int]] = {}
        self.ready = False

    def load(self, table: pa.Table) -> None:
        """``table``: order_id, first and last package day (one row per order id)."""
        self._set(
            table["order_id"].combine_chunks(),
            table["first"].cast(pa.int32()).to_numpy() + _EPOCH_ORDINAL,
            table["last"].cast(pa.int32()).to_numpy() + _EPOCH_ORDINAL,
        )
        self.ready = True

    def _set(self, ids: pa.Array, first: np.ndarray, last: np.ndarray) -> None:
        hashes = np.fromiter((hash(key) for key in ids.to_pylist()), np.int64, len(ids))
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.ids = ids.take(pa.array(order))
        self.first, self.last = first[order].astype(np.int32), last[order].astype(np.int32)

    def add(self, ids: Iterable[str], day: dt.date) -> None:
        ordinal = day.toordinal()
        for key in set(ids):
            first, last = self.recent.get(key, (ordinal, ordinal))
            self.recent[key] = (min(first, ordinal), max(last, ordinal))
        if len(self.recent) >= self._MERGE_AT:
            keys = list(self.recent)
            merged = (
                pa.table(
                    {
                        "order_id": pa.concat_arrays([self.ids, pa.array(keys, pa.string())]),
                        "first": np.concatenate(
                            [self.first, np.array([self.recent[k][0] for k in keys], np.int32)]
                        ),
                        "last": np.concatenate(
                            [self.last, np.array([self.recent[k][1] for k in keys], np.int32)]
                        ),
                    }
                )
                .group_by("order_id")
                .aggregate([("first", "min"), ("last", "max")])
            )
            self._set(
                merged["order_id"].combine_chunks(),
                merged["first_min"].to_numpy(),
                merged["last_max"].to_numpy(),
            )
            self.recent = {}

    def span(self, key: str) -> tuple[int, int] | None:
        """The (first, last) day ordinals of ``key``; None: never published."""
        found = self.recent.get(key)
        position = int(np.searchsorted(self.hashes, hash(key), "left"))
        wanted = hash(key)
        while position < len(self.hashes) and self.hashes[position] == wanted:
            if self.ids[position].as_py() == key:
                first, last = int(self.first[position]), int(self.last[position])
                if found is None:
                    return first, last
                return min(first, found[0]), max(last, found[1])
            position += 1
        return found

    def straddling(self, day: dt.date) -> list[str]:
        """The order ids whose span has days both before ``day`` and on or after it."""
        ordinal = day.toordinal()
        mask = (self.first < ordinal) & (self.last >= ordinal)
        found = set(self.ids.filter(pa.array(mask)).to_pylist())
        for key in self.recent:
            span = self.span(key)
            if span is not None and span[0] < ordinal <= span[1]:
                found.add(key)
        return sorted(found)


_IN_TRANSACTION = "(in a transaction)"
# Remembered reads an incremental day write (published, first stages, held; no rebuild) leaves
# as they were: whether the derived tables are kept, and the names learned from snapshots.
_KEPT_BY_DAY_WRITES = ("regular", "learned_agreements")


class _Reshuffled(Exception):
    """A release already in another package (or twice in one): rebuild the derived tables."""


_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS snapshots (
    sha256 VARCHAR PRIMARY KEY, name VARCHAR, process_time VARCHAR, rows BIGINT
);
CREATE TABLE IF NOT EXISTS published (
    release_id VARCHAR PRIMARY KEY, ocid VARCHAR, order_id VARCHAR,
    release_date VARCHAR, package_day DATE
);
CREATE TABLE IF NOT EXISTS held (
    order_number VARCHAR, snapshot_sha256 VARCHAR, package_day DATE, rule VARCHAR,
    fingerprint VARCHAR
);
CREATE TABLE IF NOT EXISTS agreement_names (
    snapshot_sha256 VARCHAR, code VARCHAR, name_key VARCHAR, name VARCHAR,
    first_seen VARCHAR, last_seen VARCHAR,
    PRIMARY KEY (snapshot_sha256, code, name)
);
CREATE TABLE IF NOT EXISTS first_stages (
    ocid VARCHAR PRIMARY KEY, agreement_code VARCHAR, release_id VARCHAR,
    release_date VARCHAR, basis VARCHAR, package_day DATE
);
CREATE TABLE IF NOT EXISTS anchor_journal (
    dataset VARCHAR NOT NULL,
    day DATE NOT NULL,
    digest VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    correction BOOLEAN NOT NULL,
    chain_id BIGINT,
    contract VARCHAR,
    nonce BIGINT,
    tx_hash VARCHAR,
    raw_tx VARCHAR,
    fee_params VARCHAR,
    replaced VARCHAR,
    batch_size INTEGER,
    block_number BIGINT,
    block_hash VARCHAR,
    gas_used BIGINT,
    fee_wei HUGEINT,
    seq BIGINT,
    kind INTEGER,
    entries INTEGER,
    sends INTEGER NOT NULL,
    reorgs INTEGER NOT NULL,
    note VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, day)
);
"""

AnchorState = Literal["PENDING", "SUBMITTED", "INCLUDED", "FINAL"]
ANCHOR_STATES: tuple[AnchorState, ...] = ("PENDING", "SUBMITTED", "INCLUDED", "FINAL")


@dataclass
class AnchorJournalRow:
    """One day's way onto the chain: PENDING -> SUBMITTED -> INCLUDED -> FINAL.

    ``raw_tx`` (hex) is the signed transaction recorded *before* it is sent; ``replaced``
    lists the hashes of earlier transactions with the same nonce (stuck ones replaced with a
    higher fee); ``fee_params`` is the JSON of ``integrity.chain.FeeParams``; ``gas_used``
    and ``fee_wei`` are those of the whole transaction, shared by ``batch_size`` days.
    """

    dataset: str
    day: dt.date
    digest: str
    state: AnchorState = "PENDING"
    correction: bool = False
    chain_id: int | None = None
    contract: str | None = None
    nonce: int | None = None
    tx_hash: str | None = None
    raw_tx: str | None = field(default=None, repr=False)
    fee_params: str | None = None
    replaced: str | None = None
    batch_size: int | None = None
    block_number: int | None = None
    block_hash: str | None = None
    gas_used: int | None = None
    fee_wei: int | None = None
    seq: int | None = None
    kind: int | None = None
    entries: int | None = None
    sends: int = 0
    reorgs: int = 0
    note: str | None = None
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


_JOURNAL_COLUMNS = [f.name for f in fields(AnchorJournalRow)]


def store_path(root: Path, state_dir: Path | None = None) -> Path:
    """The status store of a datasets root: in ``state_dir``, else beside the root."""
    return (state_dir or default_state_dir(root)) / STORE_FILE


def rules_fingerprint() -> str:
    """What decides quarantine: the agreements table and the rule catalogue with severities.

    A row held back under one fingerprint is retried once the fingerprint changes (e.g. a new
    agreement is added to the table).
    """
    from perucompras.agreements import AGREEMENTS_CSV
    from quality.rules import RULES

    digest = hashlib.sha256(AGREEMENTS_CSV.read_bytes())
    for rule in RULES:
        digest.update(f"{rule.id}:{rule.severity}:{rule.kind}\n".encode())
    return digest.hexdigest()


class StateStore:
    """A DuckDB file holding source observations and published releases.

    ``shared=True`` (a long run, e.g. a backfill, holding the store open): until it is closed,
    every other ``StateStore`` of the same file in this process is a cursor on its connection,
    which skips opening the file and the schema statements (four opens a day).
    ``memory_limit``: DuckDB's memory limit for the file; by default the process's
    (``use_memory_limit``, set from the ``state_memory_limit`` setting by whoever reads the
    settings). Without one DuckDB would keep up to 80% of the machine's memory for a long run.
    """

    _shared: ClassVar[dict[Path, StateStore]] = {}
    _memory_limit: ClassVar[str] = DEFAULT_STATE_MEMORY_LIMIT

    @classmethod
    def use_memory_limit(cls, memory_limit: str) -> None:
        """Make ``memory_limit`` the limit of every store this process opens without one."""
        cls._memory_limit = memory_limit

    def __init__(
        self,
        path: Path,
        *,
        shared: bool = False,
        memory_limit: str | None = None,
    ) -> None:
        self.path = path
        self.con: duckdb.DuckDBPyConnection
        self._known: set[str]
        self._ocid_days: _OcidDays | None = None
        self._order_spans: _OrderSpans | None = None
        self._memo: dict[str, Any] | None = None
        self._key = path.resolve()
        self._sharing = False
        holder = StateStore._shared.get(self._key)
        if holder is not None:
            self._memo = holder._memo  # a second connection's writes must clear it too
        if holder is not None and not shared:
            self.con = holder.con.cursor()
            self._known = holder._known
            self._ocid_days = holder._ocid_days
            self._order_spans = holder._order_spans
            return
        # Digests of snapshots found ingested (rows are never removed): a long run asks
        # about every source file every day.
        self._known = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        # SET, not a connect config: a second open of the file in this process with another
        # config would be refused (the limit is the file's, whoever set it last).
        self._run("SET memory_limit = ?", [memory_limit or StateStore._memory_limit])
        self._run(_SCHEMA_SQL)
        empty = ORDER_SCHEMA.empty_table().append_column(
            "snapshot_sha256", pa.array([], pa.string())
        )
        self.con.register("_empty_observations", empty)
        self._run("CREATE TABLE IF NOT EXISTS observations AS SELECT * FROM _empty_observations")
        self.con.unregister("_empty_observations")
        self._upgrade()
        present = {row[0] for row in self._run("SELECT table_name FROM duckdb_tables()")}
        self._build_newest(present)
        self._build_derived(present)
        if shared and holder is None:
            self._ocid_days = _OcidDays()
            self._order_spans = _OrderSpans()
            # Answers of reads that only a transaction can change, shared by the run's
            # cursors (a day asks them once per step); every transaction forgets them.
            self._memo = {}
            StateStore._shared[self._key] = self
            self._sharing = True

    def _upgrade(self) -> None:
        """Stores written before ``agreement_name`` existed: add the column, learn old labels."""
        columns = {row[0] for row in self._run("DESCRIBE observations")}
        if "agreement_name" in columns:
            return
        for table in [*_NEWEST, "derived_meta"]:  # rebuilt from the upgraded observations
            self._run(f"DROP TABLE IF EXISTS {table}")
        self._run("ALTER TABLE observations ADD COLUMN agreement_name VARCHAR")
        from perucompras.agreements import parse_label

        labels = [row[0] for row in self._run("SELECT DISTINCT agreement_raw FROM observations")]
        for label in labels:
            code, name = parse_label(label)
            self._run(
                "UPDATE observations SET agreement_code = ?, agreement_name = ? "
                "WHERE agreement_raw = ?",
                [code, name, label],
            )
        for (digest,) in self._run("SELECT sha256 FROM snapshots"):
            rows = self.con.sql(
                "SELECT * FROM observations WHERE snapshot_sha256 = ?", params=[digest]
            ).to_arrow_table()
            self._record_agreement_names(digest, rows)

    def _build_newest(self, present: set[str]) -> None:
        """Create a missing ``newest_by_*`` table from every observation (a new store, one
        written before the tables existed, or an upgrade that dropped them)."""
        for table, key in _NEWEST.items():
            if table not in present:
                self._run(
                    f"CREATE TABLE {table} AS SELECT * FROM observations "
                    f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {_NEWEST_FIRST}) = 1"
                )

    def _merge_newest(self, new: str, digests: list[str]) -> None:
        """Fold the observations of the snapshots ``digests`` (``new``: the SQL condition
        selecting them, keys in ``_ingested``) into the ``newest_by_*`` tables: a key seen once
        among them and not yet in a table is its own newest row, copied as it is; only the
        others are ranked, with the table's row for them. The newest-first order is total, so
        the result is what a window over every observation gives."""
        for table, key in _NEWEST.items():
            self._run(
                f"CREATE OR REPLACE TEMP TABLE _contested AS SELECT {key} FROM _ingested "
                f"GROUP BY {key} HAVING count(*) > 1 OR {key} IN (SELECT {key} FROM {table})"
            )
            self._run(
                f"INSERT INTO {table} BY NAME SELECT o.* FROM observations o "
                f"ANTI JOIN _contested c ON o.{key} IS NOT DISTINCT FROM c.{key} WHERE {new}",
                digests,
            )
            if not self._run("SELECT 1 FROM _contested LIMIT 1"):
                continue
            touched = f"{key} IN (SELECT {key} FROM _contested)"
            self._run(
                f"CREATE OR REPLACE TEMP TABLE _merged AS SELECT * FROM ("
                f"SELECT * FROM {table} WHERE {touched} UNION ALL BY NAME SELECT o.* FROM "
                f"observations o SEMI JOIN _contested c ON o.{key} IS NOT DISTINCT FROM c.{key} "
                f"WHERE {new}"
                f") QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {_NEWEST_FIRST}) = 1",
                digests,
            )
            self._run(f"DELETE FROM {table} WHERE {touched}")
            self._run(f"INSERT INTO {table} BY NAME SELECT * FROM _merged")
            self._run("DROP TABLE _merged")
        self._run("DROP TABLE _contested")

    def _build_derived(self, present: set[str]) -> None:
        """Create the derived tables when missing, of another version, or out of step with the
        base tables (the snapshot or release count moved: a write by code that did not keep
        them; the newest tables rebuilt)."""
        if present.issuperset([*_NEWEST, "derived_meta"]):
            meta = self._run("SELECT version, regular, snapshots, releases FROM derived_meta")
            counts = self._run(
                "SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM published)"
            )
            if (
                meta
                and meta[0][0] == _DERIVED_VERSION
                and meta[0][2:] == counts[0]
                and (not meta[0][1] or present.issuperset(_DERIVED))
            ):
                return
        with self._transaction():
            self._rebuild_derived()

    def _rebuild_derived(self) -> None:
        for table in ["derived_meta", *_DERIVED]:
            self._run(f"DROP TABLE IF EXISTS {table}")
        (irregular,) = self._run(
            f"SELECT EXISTS (SELECT 1 FROM observations WHERE {_IRREGULAR}) "
            "OR EXISTS (SELECT 1 FROM published WHERE order_id IS NULL)"
        )[0]
        if not irregular:
            for table, sql in _DERIVED.items():
                self._run(
                    f"CREATE TABLE {table} AS "
                    + sql.format(
                        published="published",
                        newest_by_order="newest_by_order",
                        newest_by_number="newest_by_number",
                    )
                )
        self._run(
            "CREATE TABLE derived_meta "
            "(version INTEGER, regular BOOLEAN, snapshots BIGINT, releases BIGINT)"
        )
        self._run("INSERT INTO derived_meta VALUES (?, ?, 0, 0)", [_DERIVED_VERSION, not irregular])
        self._derived_counts()

    def _derived_counts(self) -> None:
        self._run(
            "UPDATE derived_meta SET snapshots = (SELECT count(*) FROM snapshots), "
            "releases = (SELECT count(*) FROM published)"
        )

    def _remembered(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        """``sql``'s rows, read again only after a transaction (a shared run's memo; outside
        one, and inside a transaction, always read)."""
        memo = self._memo
        if memo is None or memo.get(_IN_TRANSACTION):
            return self._run(sql)
        if name not in memo:
            memo[name] = self._run(sql)
        rows: list[tuple[Any, ...]] = memo[name]
        return rows

    def _derived_on(self) -> bool:
        rows = self._remembered("regular", "SELECT regular FROM derived_meta")
        return bool(rows and rows[0][0])

    def _fast_day(self, day: dt.date) -> bool:
        """Whether the derived tables answer for ``day``: kept, and every package is older
        (so "published before ``day``" is "published")."""
        if not self._derived_on():
            return False
        (last,) = self._remembered("last_package", "SELECT max(package_day) FROM published_days")[0]
        return last is None or bool(last < day)

    def _derive_ingest(self, new: str, digests: list[str]) -> None:
        """Refresh the derived rows of the orders of the snapshots ``digests`` (``new``: the SQL
        condition selecting their observations, keys in ``_ingested``; after ``_merge_newest``:
        only their newest rows changed)."""
        if not self._derived_on():
            return
        if self._run(f"SELECT 1 FROM observations WHERE {new} AND ({_IRREGULAR}) LIMIT 1", digests):
            for table in _DERIVED:
                self._run(f"DROP TABLE {table}")
            self._run("UPDATE derived_meta SET regular = false")
            return
        ids, numbers = "(SELECT order_id FROM _ingested)", "(SELECT order_number FROM _ingested)"
        by_order = f"(SELECT * FROM newest_by_order WHERE order_id IN {ids})"
        self._run(f"DELETE FROM order_marks WHERE order_id IN {ids}")
        self._run(
            "INSERT INTO order_marks BY NAME "
            + _DERIVED["order_marks"].format(
                newest_by_order=by_order,
                published=f"(SELECT * FROM published WHERE order_id IN {ids})",
            )
        )
        self._run(f"DELETE FROM late_pending WHERE order_id IN {ids}")
        self._run(
            "INSERT INTO late_pending BY NAME "
            + _DERIVED["late_pending"].format(newest_by_order=by_order)
        )
        self._run(f"DELETE FROM retry_pool WHERE order_number IN {numbers}")
        self._run(
            "INSERT INTO retry_pool BY NAME "
            + _DERIVED["retry_pool"].format(
                newest_by_number=f"(SELECT * FROM newest_by_number WHERE order_number IN {numbers})"
            )
        )

    def _publish_incrementally(
        self, day: dt.date, table: pa.Table | None, *, after_every_package: bool = False
    ) -> None:
        """``record_published``'s write (``table`` registered as ``_published``) and the derived
        rows it changes; raises ``_Reshuffled`` if a release id is already in another package or
        twice in this one (the caller then takes the plain write and rebuilds).
        ``after_every_package``: ``_fast_day(day)`` held before the transaction, so ``day`` has
        no package yet and there is nothing to look up."""
        gone = (
            []
            if after_every_package
            else [
                row[0]
                for row in self._run(
                    "SELECT DISTINCT order_id FROM published WHERE package_day = ?", [day]
                )
            ]
        )
        if gone:
            self._run("DELETE FROM published WHERE package_day = ?", [day])
        if table is not None:
            (inserted,) = self._run(
                "INSERT INTO published SELECT * FROM _published ON CONFLICT DO NOTHING"
            )[0]
            if inserted != table.num_rows:
                raise _Reshuffled
        if not gone and table is None:
            return
        if gone:
            self._derive_republished(day, gone)
            self._run("DROP TABLE _touched")
        else:
            assert table is not None
            # The day's rows in ``published`` are exactly ``table``'s (none before, all
            # inserted): its orders' last dates are grouped here, not read back (VARCHAR max in
            # DuckDB and Arrow alike: byte order).
            touched = (
                pa.table(
                    {
                        "order_id": table["order_id"].cast(pa.string()),
                        "release_date": table["release_date"].cast(pa.string()),
                    }
                )
                .group_by("order_id")
                .aggregate([("release_date", "max")])
                .rename_columns(["order_id", "last_date"])
            )
            with self._registered("_touched", touched):
                self._derive_published(day, touched.num_rows)
        self._derived_counts()

    def _derive_published(self, day: dt.date, touched: int) -> None:
        """A first package for ``day`` (its ``touched`` orders registered as ``_touched``): its
        orders' last dates only grow, and the day's orders that stay unpublished join the
        retry pool. Rows are found by formalisation day."""
        self._run("INSERT INTO published_days VALUES (?)", [day])
        marks = self._update_marks(
            day,  # greatest() skips nulls, as max() does
            "published = true, last_date = greatest(order_marks.last_date, t.last_date)",
            touched,
        )
        self._derive_late(marks)
        self._run("DELETE FROM retry_pool WHERE order_id IN (SELECT order_id FROM _touched)")
        candidates = self._run(
            "SELECT order_number, order_id FROM newest_by_number WHERE "
            f"{_formalized_on(day)} AND order_id NOT IN (SELECT order_id FROM _touched)"
        )
        if not candidates:
            return
        wanted = sorted({order_id for _, order_id in candidates})
        self.con.register("_ids", pa.table({"order_id": pa.array(wanted, pa.string())}))
        published = dict(
            self._run(
                "SELECT order_id, published FROM order_marks WHERE formal_day = ? "
                "AND order_id IN (SELECT order_id FROM _ids)",
                [day],
            )
        )
        if len(published) < len(wanted):
            published = dict(
                self._run(
                    "SELECT order_id, published FROM order_marks "
                    "WHERE order_id IN (SELECT order_id FROM _ids)"
                )
            )
        self.con.unregister("_ids")
        numbers = [number for number, order_id in candidates if not published[order_id]]
        self._insert_newest("retry_pool", "order_number", numbers, [day] * len(numbers))

    def _update_marks(
        self, day: dt.date, assignments: str, touched: int | None = None
    ) -> list[tuple[Any, ...]]:
        """Set ``assignments`` (from ``_touched`` as ``t``) on the ``order_marks`` rows of the
        touched orders, found by formalisation day first (``day``, and those of the pending
        rows of these orders), then among all rows; their new marks. ``touched``: the row
        count of ``_touched`` when the caller knows it."""
        days = {day} | {
            row[0]
            for row in self._run(
                "SELECT DISTINCT TRY_CAST(substr(formalized_at, 1, 10) AS DATE) FROM ("
                "SELECT formalized_at FROM late_pending WHERE order_id IN (SELECT order_id FROM "
                "_touched) UNION ALL SELECT formalized_at FROM retry_pool WHERE order_id IN "
                "(SELECT order_id FROM _touched))"
            )
            if row[0] is not None
        }
        on_days = (
            "order_marks.formal_day BETWEEN ? AND ? "
            f"AND order_marks.formal_day IN ({', '.join('?' for _ in days)})"
        )
        params: list[Any] = [min(days), max(days), *days]
        marks: list[tuple[Any, ...]] = []
        for where in (on_days, f"({on_days}) IS NOT TRUE"):
            marks += self._run(
                f"UPDATE order_marks SET {assignments} FROM _touched t "
                f"WHERE order_marks.order_id = t.order_id AND {where} "
                "RETURNING order_marks.order_id, order_marks.formal_day, order_marks.status_at, "
                "order_marks.last_date",
                params,
            )
            if touched is None:
                touched = self._run("SELECT count(*) FROM _touched")[0][0]
            if len(marks) == touched:
                break
        return marks

    def _derive_republished(self, day: dt.date, gone: list[str]) -> None:
        """Another package for a day that had one: recount the touched orders from ``published``."""
        self._run("DELETE FROM published_days WHERE package_day = ?", [day])
        self._run(
            "INSERT INTO published_days SELECT DISTINCT package_day FROM published "
            "WHERE package_day = ?",
            [day],
        )
        self.con.register("_gone", pa.table({"order_id": pa.array(gone, pa.string())}))
        ids = (
            "SELECT order_id FROM published WHERE package_day = ? UNION SELECT order_id FROM _gone"
        )
        self._run(
            f"CREATE OR REPLACE TEMP TABLE _touched AS SELECT t.order_id, a.releases, a.last_date "
            f"FROM ({ids}) t LEFT JOIN (SELECT order_id, count(*) AS releases, max(release_date) "
            f"AS last_date FROM published WHERE order_id IN ({ids}) GROUP BY order_id) a "
            "USING (order_id)",
            [day, day],
        )
        self.con.unregister("_gone")
        marks = self._update_marks(
            day, "published = t.releases IS NOT NULL, last_date = t.last_date"
        )
        self._derive_late(marks)
        ids = "(SELECT order_id FROM _touched)"
        self._run(
            f"DELETE FROM retry_pool WHERE order_id IN {ids} OR substr(formalized_at, 1, 10) = ?",
            [day.isoformat()],
        )
        self._run(
            "INSERT INTO retry_pool BY NAME "
            + _DERIVED["retry_pool"].format(
                newest_by_number=f"(SELECT * FROM newest_by_number WHERE order_id IN {ids} "
                f"OR {_formalized_on(day)})"
            )
        )

    def _derive_late(self, marks: list[tuple[Any, ...]]) -> None:
        """Bring ``late_pending`` in line with the new marks of touched orders."""
        columns = zip(*marks, strict=True) if marks else [[]] * len(_MARKS)
        self.con.register("_marks", pa.table(list(columns), schema=_MARKS))
        self._run(
            "DELETE FROM late_pending WHERE order_id IN "
            "(SELECT order_id FROM _marks WHERE (status_at > last_date) IS NOT TRUE)"
        )
        wanted = self._run(
            "SELECT order_id, formal_day FROM _marks WHERE status_at > last_date "
            "AND order_id NOT IN (SELECT order_id FROM late_pending)"
        )
        self.con.unregister("_marks")
        if wanted:
            keys, days = zip(*wanted, strict=True)
            self._insert_newest("late_pending", "order_id", list(keys), list(days))

    def _insert_newest(
        self, target: str, key: str, keys: list[str], days: list[dt.date | None]
    ) -> None:
        """Copy the newest rows of ``keys`` into ``target``, looked up by their formalisation
        days first (cheap: the newest tables lie in file order), then among all rows."""
        if not keys:
            return
        source = "newest_by_order" if key == "order_id" else "newest_by_number"
        self.con.register("_keys", pa.table({key: pa.array(keys, pa.string())}))
        known = [day for day in days if day is not None]
        found = 0
        if len(known) == len(days) and max(known) < dt.date.max:
            (found,) = self._run(
                f"INSERT INTO {target} BY NAME SELECT * FROM {source} "
                f"WHERE formalized_at >= ? AND formalized_at < ? AND {key} IN (SELECT {key} FROM _keys)",
                [min(known).isoformat(), (max(known) + dt.timedelta(days=1)).isoformat()],
            )[0]
        if found < len(keys):
            self._run(
                f"INSERT INTO {target} BY NAME SELECT * FROM {source} "
                f"WHERE {key} IN (SELECT {key} FROM _keys) "
                f"AND {key} NOT IN (SELECT {key} FROM {target})"
            )
        self.con.unregister("_keys")

    def _run(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute and fetch everything (DuckDB refuses new work over an unfinished result)."""
        return self.con.execute(sql, params or []).fetchall()

    def close(self) -> None:
        if self._sharing:
            del StateStore._shared[self._key]
            self._sharing = False
        self.con.close()

    @contextlib.contextmanager
    def _transaction(self, keep: Iterable[str] = ()) -> Iterator[None]:
        """Statements that must land together (a kill between them would leave half a write).
        ``keep``: remembered reads the statements cannot change, kept once they commit."""
        memo = self._memo
        kept: dict[str, Any] = {}
        if memo is not None:
            kept = {name: memo[name] for name in keep if name in memo}
            memo.clear()
            memo[_IN_TRANSACTION] = True
        committed = False
        try:
            self.con.begin()
            try:
                yield
            except BaseException:
                self.con.rollback()
                raise
            self.con.commit()
            committed = True
        finally:
            if memo is not None:
                memo.clear()
                if committed:
                    memo.update(kept)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def knows_file(self, path: Path) -> bool:
        """Whether this exact file content has been ingested already."""
        digest = file_digest(path)
        if digest in self._known:
            return True
        known = bool(self._run("SELECT 1 FROM snapshots WHERE sha256 = ?", [digest]))
        if known:
            self._known.add(digest)
        return known

    def ingest(self, result: ReadResult) -> bool:
        """Record a snapshot's parsed rows once per file content; True if it was new."""
        return self.ingest_many([result]) == 1

    def ingest_many(self, results: Iterable[ReadResult]) -> int:
        """``ingest`` each of ``results`` in one transaction (a kill leaves all or none),
        folded into the newest and derived tables once at the end (their newest-first order is
        total, so the tables are those one ingest after the other leaves); how many were new.
        ``results`` is read one at a time: the first day of a backfill finds every month's
        file, and only the store holds them all."""
        seen: set[str] = set()

        def fresh() -> Iterator[ReadResult]:
            for result in results:
                digest = result.info.sha256
                if (
                    digest in seen
                    or digest in self._known
                    or self._run("SELECT 1 FROM snapshots WHERE sha256 = ?", [digest])
                ):
                    continue
                seen.add(digest)
                yield result

        pending = fresh()
        first = next(pending, None)
        if first is None:
            return 0  # no transaction: a shared run's memo stays
        digests: list[str] = []
        columns = [row[0] for row in self._run("DESCRIBE observations")]
        batch = itertools.chain([first], pending)
        del first  # each snapshot's rows are dropped once in the store
        with self._transaction():
            for result in batch:
                self._insert_snapshot(result, columns)
                digests.append(result.info.sha256)
            new = f"snapshot_sha256 IN ({', '.join('?' for _ in digests)})"
            self._run(
                "CREATE OR REPLACE TEMP TABLE _ingested AS "
                f"SELECT order_id, order_number FROM observations WHERE {new}",
                digests,
            )
            self._merge_newest(new, digests)
            self._derive_ingest(new, digests)
            self._run("DROP TABLE _ingested")
            self._derived_counts()
        self._known.update(digests)  # committed: rows are never removed
        return len(digests)

    def _insert_snapshot(self, result: ReadResult, columns: list[str]) -> None:
        """A snapshot's observations (``columns``: those of the table, in its order), learned
        agreement names and ``snapshots`` row."""
        info = result.info
        rows = result.orders.cast(ORDER_SCHEMA).append_column(
            "snapshot_sha256", pa.array([info.sha256] * result.orders.num_rows, pa.string())
        )
        # A relation, not a registered view: a view dropped inside a transaction keeps its
        # Arrow table alive until the commit (every month's rows at once on a first day).
        self.con.from_arrow(rows.select(columns)).insert_into("observations")
        self._record_agreement_names(info.sha256, result.orders)
        self._run(
            "INSERT INTO snapshots VALUES (?, ?, ?, ?)",
            [info.sha256, info.name, info.process_time, result.orders.num_rows],
        )

    def _record_agreement_names(self, digest: str, orders: pa.Table) -> None:
        """The (code, name) pairs of one snapshot's code-prefixed labels."""
        from perucompras.agreements import learned_from

        learned = learned_from(orders)
        if not learned:
            return
        table = pa.table(
            {
                "snapshot_sha256": [digest] * len(learned),
                "code": [entry.code for entry in learned],
                "name_key": [entry.key for entry in learned],
                "name": [entry.name for entry in learned],
                "first_seen": [entry.first_seen for entry in learned],
                "last_seen": [entry.last_seen for entry in learned],
            }
        )
        self.con.register("_names", table)
        self._run("INSERT OR REPLACE INTO agreement_names SELECT * FROM _names")
        self.con.unregister("_names")

    def learned_agreements(self) -> list[LearnedName]:
        """Every (code, name) pair learned from code-prefixed labels of any ingested snapshot,
        with the first and last formalisation day over all of them (order-independent)."""
        rows = self._remembered(
            "learned_agreements",
            """
            SELECT code, name_key, name, min(first_seen), max(last_seen)
            FROM agreement_names GROUP BY code, name_key, name ORDER BY code, name_key, name
            """,
        )
        return [LearnedName(*row) for row in rows]

    def record_published(self, day: dt.date, releases: Iterable[Mapping[str, Any]]) -> None:
        """Remember which releases went into ``day``'s package (idempotent per release id)."""
        self._write_published(day, list(releases), lambda: None)

    def record_day(
        self,
        day: dt.date,
        releases: Sequence[Mapping[str, Any]],
        first_stage_basis: Mapping[str, str],
        quarantine: pa.Table,
        fingerprint: str,
    ) -> None:
        """``record_published``, ``record_first_stages`` and ``record_held`` of a published day
        in one transaction: one commit a day, and a kill leaves all three or none."""
        stages = self._first_stage_rows(day, releases, first_stage_basis)

        def then() -> None:
            self._insert_first_stages(stages)
            self._replace_held(day, quarantine, fingerprint)

        self._write_published(day, releases, then)

    def _write_published(
        self, day: dt.date, releases: Sequence[Mapping[str, Any]], then: Callable[[], None]
    ) -> None:
        """``record_published``'s write, then ``then`` in the same transaction."""
        rows = [
            (r["id"], r["ocid"], _order_id(r), r["date"], day)
            for r in releases
            if r["ocid"] and r.get("tag") != ["planning"]
        ]
        table = (
            pa.table(
                list(zip(*rows, strict=True)),
                names=["release_id", "ocid", "order_id", "release_date", "package_day"],
            )
            if rows
            else None
        )
        if table is not None and self._ocid_days is not None and self._ocid_days.ready:
            # before the write: an entry for a write that fails is only a day to rule out
            self._ocid_days.add(table["ocid"].to_pylist(), day)
        if table is not None and self._order_spans is not None and self._order_spans.ready:
            self._order_spans.add(table["order_id"].to_pylist(), day)
        if self._derived_on():
            # remembered reads (a shared store's; else two statements to save one), taken
            # before the transaction turns remembering off
            after_every_package = self._memo is not None and self._fast_day(day)
            try:
                with (
                    self._transaction(keep=_KEPT_BY_DAY_WRITES),
                    self._registered("_published", table),
                ):
                    self._publish_incrementally(day, table, after_every_package=after_every_package)
                    then()
                return
            except _Reshuffled:
                pass
        with self._transaction():
            self._run("DELETE FROM published WHERE package_day = ?", [day])
            if table is not None:
                with self._registered("_published", table):
                    self._run("INSERT OR REPLACE INTO published SELECT * FROM _published")
            if self._derived_on():
                self._rebuild_derived()
            then()

    @contextlib.contextmanager
    def _registered(self, name: str, table: pa.Table | None) -> Iterator[None]:
        """``table`` visible to SQL as ``name`` for the block (nothing if None)."""
        if table is None:
            yield
            return
        self.con.register(name, table)
        try:
            yield
        finally:
            self.con.unregister(name)

    def published_before(
        self, day: dt.date, order_ids: pa.Array, formalized_at: pa.Array | None = None
    ) -> dict[str, str]:
        """order_id → date of its latest release in a package before ``day``.

        ``formalized_at``: the orders' formalisation times (a hint, same length): after every
        package, their ``order_marks`` rows are looked up by formalisation day instead of
        joining every release ever published; an order not found there takes the full query."""
        if formalized_at is not None and self._fast_day(day):
            found = self._published_from_marks(order_ids, formalized_at)
            if found is not None:
                return found
        spans = self._spans()
        if spans is not None:
            return self._published_in_spans(spans, day, order_ids)
        self.con.register("_ids", pa.table({"order_id": order_ids}))
        rows = self._run(
            """
            SELECT p.order_id, max(p.release_date)
            FROM published p JOIN _ids USING (order_id)
            WHERE p.package_day < ?
            GROUP BY p.order_id
            """,
            [day],
        )
        self.con.unregister("_ids")
        return dict(rows)

    def _spans(self) -> _OrderSpans | None:
        """A long run's order spans (read from ``published`` the first time), else None."""
        spans = self._order_spans
        if spans is None:
            return None
        if not spans.ready:
            spans.load(
                self.con.sql(
                    'SELECT order_id, min(package_day) AS "first", max(package_day) AS "last" '
                    "FROM published WHERE order_id IS NOT NULL GROUP BY order_id"
                ).to_arrow_table()
            )
        return spans

    def _published_in_spans(
        self, spans: _OrderSpans, day: dt.date, order_ids: pa.Array
    ) -> dict[str, str]:
        """``published_before`` read only on the package days of the orders' spans before
        ``day`` (an order never published, or only on or after ``day``, is not read)."""
        ordinal = day.toordinal()
        wanted: list[str] = []
        first = ordinal
        for key in set(order_ids.drop_null().to_pylist()):
            span = spans.span(key)
            if span is not None and span[0] < ordinal:
                wanted.append(key)
                first = min(first, span[0])
        if not wanted:
            return {}
        with self._registered("_ids", pa.table({"order_id": pa.array(wanted, pa.string())})):
            rows = self._run(
                """
                SELECT p.order_id, max(p.release_date)
                FROM published p JOIN _ids USING (order_id)
                WHERE p.package_day >= ? AND p.package_day < ?
                GROUP BY p.order_id
                """,
                [dt.date.fromordinal(first), day],
            )
        return dict(rows)

    def _published_from_marks(
        self, order_ids: pa.Array, formalized_at: pa.Array
    ) -> dict[str, str] | None:
        """``published_before`` for a day after every package, from ``order_marks`` (its
        ``last_date`` is the latest release date of the order over every package), rows found
        by the formalisation days of ``formalized_at``; None when an order is not found there
        (another formalisation day in its newest snapshot, or no observation)."""
        ids = pa.table({"order_id": order_ids}).filter(pc.is_valid(order_ids))
        wanted = len(set(ids["order_id"].to_pylist()))
        if not wanted:
            return {}
        days = pc.unique(pc.utf8_slice_codeunits(formalized_at, 0, 10)).to_pylist()
        known = sorted({dt.date.fromisoformat(d) for d in days if d and _is_iso_day(d)})
        if not known:
            return None
        self.con.register("_ids", ids)
        try:
            rows = self._run(
                "SELECT order_id, published, last_date FROM order_marks "
                f"WHERE formal_day BETWEEN ? AND ? AND formal_day IN ({', '.join('?' for _ in known)}) "
                "AND order_id IN (SELECT order_id FROM _ids)",
                [known[0], known[-1], *known],
            )
        finally:
            self.con.unregister("_ids")
        if len(rows) < wanted:
            return None
        return {order_id: last for order_id, published, last in rows if published}

    def earlier_packages(self, ocids: list[str], day: dt.date) -> dict[dt.date, set[str]]:
        """Package day → ocids (among ``ocids``) that have releases in that earlier package."""
        rows = self._ocid_packages(
            ocids, "p.package_day < ?", day, lambda other: other < day, "p.package_day, p.ocid"
        )
        found: dict[dt.date, set[str]] = {}
        for package_day, ocid in rows:
            found.setdefault(package_day, set()).add(ocid)
        return found

    def other_packages(self, ocids: list[str], day: dt.date) -> set[str]:
        """The ocids (among ``ocids``) with releases in any package but ``day``'s (a day
        published late finds the first stages a later package already holds)."""
        rows = self._ocid_packages(
            ocids, "p.package_day <> ?", day, lambda other: other != day, "p.ocid"
        )
        return {ocid for (ocid,) in rows}

    def _ocid_packages(
        self,
        ocids: list[str],
        condition: str,
        day: dt.date,
        keeps: Callable[[dt.date], bool],
        columns: str,
    ) -> list[tuple[Any, ...]]:
        """Distinct ``columns`` of the ``published`` rows of ``ocids`` whose package day meets
        ``condition`` on ``day`` (``keeps`` in Python); a long run first narrows ``ocids`` and the
        days to read with ``_OcidDays``."""
        index = self._ocid_days
        if index is None:
            self.con.register("_ocids", pa.table({"ocid": pa.array(ocids, pa.string())}))
            try:
                return self._run(
                    f"SELECT DISTINCT {columns} FROM published p JOIN _ocids USING (ocid) "
                    f"WHERE {condition} ORDER BY ALL",
                    [day],
                )
            finally:
                self.con.unregister("_ocids")
        if not index.ready:
            table = self.con.sql("SELECT ocid, package_day FROM published").to_arrow_table()
            index.load(table["ocid"], table["package_day"])
        ocids, days = index.candidates(ocids)
        days = [candidate for candidate in days if keeps(candidate)]
        if not days:
            return []
        # constants, not a join: the scan then reads the ocids of the days' row groups only
        return self._run(
            f"SELECT DISTINCT {columns} FROM published p WHERE p.package_day BETWEEN ? AND ? "
            f"AND p.package_day IN ({', '.join('?' for _ in days)}) AND {condition} "
            f"AND p.ocid IN ({', '.join('?' for _ in ocids)}) ORDER BY ALL",
            [min(days), max(days), *days, day, *ocids],
        )

    def first_call_offs(self, codes: Iterable[str]) -> dict[str, str]:
        """Agreement code -> earliest FECHA_FORMALIZACIÓN of its orders in every snapshot seen.

        Name-only labels count under the code they resolve to (``resolve_agreements`` with
        what every snapshot taught), as the day's own orders do.
        """
        from perucompras.agreements import resolve_agreements

        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = self._run(
            "SELECT agreement_code, agreement_name, min(formalized_at) FROM observations "
            "GROUP BY agreement_code, agreement_name, substr(formalized_at, 1, 10)"
        )
        seen = pa.table(
            [pa.array(column, pa.string()) for column in zip(*rows, strict=True)]
            if rows
            else [pa.array([], pa.string())] * 3,
            names=["agreement_code", "agreement_name", "formalized_at"],
        )
        resolved = resolve_agreements(seen, self.learned_agreements())
        earliest = (
            resolved.filter(pc.is_in(resolved["agreement_code"], pa.array(wanted, pa.string())))
            .group_by("agreement_code")
            .aggregate([("formalized_at", "min")])
        )
        return dict(
            zip(
                earliest["agreement_code"].to_pylist(),
                earliest["formalized_at_min"].to_pylist(),
                strict=True,
            )
        )

    def first_stages(self, ocids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """ocid -> (release date, basis) of first stages already recorded."""
        wanted = sorted(set(ocids))
        if not wanted:
            return {}
        self.con.register("_ocids", pa.table({"ocid": pa.array(wanted, pa.string())}))
        rows = self._run(
            "SELECT f.ocid, f.release_date, f.basis FROM first_stages f JOIN _ocids USING (ocid)"
        )
        self.con.unregister("_ocids")
        return {ocid: (date, basis) for ocid, date, basis in rows}

    def record_first_stages(
        self, day: dt.date, releases: Iterable[Mapping[str, Any]], basis: Mapping[str, str]
    ) -> None:
        """Fix the date of first stages published in ``day``'s package (the first record stays)."""
        rows = self._first_stage_rows(day, releases, basis)
        if rows:
            with self._transaction():
                self._insert_first_stages(rows)

    @staticmethod
    def _first_stage_rows(
        day: dt.date, releases: Iterable[Mapping[str, Any]], basis: Mapping[str, str]
    ) -> list[list[Any]]:
        return [
            [
                str(release["ocid"]),
                str(release["tender"]["id"]).removeprefix("AM-"),
                release["id"],
                release["date"],
                basis[str(release["ocid"])],
                day,
            ]
            for release in releases
            if str(release["ocid"]) in basis
        ]

    def _insert_first_stages(self, rows: list[list[Any]]) -> None:
        if rows:
            self.con.executemany(
                "INSERT OR IGNORE INTO first_stages VALUES (?, ?, ?, ?, ?, ?)", rows
            )

    def record_held(self, day: dt.date, quarantine: pa.Table, fingerprint: str) -> None:
        """Remember which parsed orders ``day`` held back, under which snapshot and rules.

        Quarantine rows are matched to the newest snapshot of their file (rows the reader
        could not parse have no observation and wait for a corrected file).
        """
        with self._transaction():
            self._replace_held(day, quarantine, fingerprint)

    def _replace_held(self, day: dt.date, quarantine: pa.Table, fingerprint: str) -> None:
        self._run("DELETE FROM held WHERE package_day = ?", [day])
        if quarantine.num_rows:
            self._insert_held(day, quarantine, fingerprint)

    def _insert_held(self, day: dt.date, quarantine: pa.Table, fingerprint: str) -> None:
        self.con.register("_held", quarantine.select(["source_file", "source_line", "rule"]))
        self._run(
            """
            INSERT INTO held
            WITH newest_snapshot AS (
                SELECT o.source_file, o.snapshot_sha256 FROM observations o
                JOIN snapshots s ON s.sha256 = o.snapshot_sha256
                QUALIFY row_number() OVER (
                    PARTITION BY o.source_file ORDER BY s.process_time DESC, s.sha256
                ) = 1
            )
            SELECT DISTINCT o.order_number, o.snapshot_sha256, ?::DATE, h.rule, ?
            FROM _held h
            JOIN newest_snapshot n USING (source_file)
            JOIN observations o ON o.source_file = h.source_file
                AND o.source_line = h.source_line AND o.snapshot_sha256 = n.snapshot_sha256
            """,
            [day, fingerprint],
        )
        self.con.unregister("_held")

    def retry_candidates(self, day: dt.date, fingerprint: str) -> pa.Table:
        """Newest state of never-published orders of earlier days worth another try.

        An order formalised on a day already packaged before ``day``, never published, whose
        newest observation was not already held back under the same rules: a corrected
        snapshot, an order that appeared late, or rows held under rules that changed since.
        """
        if not self._derived_on():
            return self._retry_candidates_reference(day, fingerprint)
        # ``retry_pool`` holds the orders formalised on any packaged day: those of the days
        # packaged before ``day`` are the ones formalised before it (a day re-published below
        # later packages)
        earlier = (
            "" if self._fast_day(day) else "CAST(substr(r.formalized_at, 1, 10) AS DATE) < $day AND"
        )
        table = self.con.sql(
            f"""
            SELECT r.* EXCLUDE (snapshot_sha256) FROM retry_pool r
            WHERE {earlier} NOT EXISTS (
                SELECT 1 FROM held h
                WHERE h.order_number = r.order_number
                  AND h.snapshot_sha256 = r.snapshot_sha256
                  AND h.fingerprint = $fingerprint
                  AND h.package_day < $day
            )
            ORDER BY order_number
            """,
            params={"day": day, "fingerprint": fingerprint},
        ).to_arrow_table()
        return table.select(ORDER_SCHEMA.names).cast(ORDER_SCHEMA)

    def _retry_candidates_reference(self, day: dt.date, fingerprint: str) -> pa.Table:
        """``retry_candidates`` over the whole history (any day; the derived tables' spec)."""
        table = self.con.sql(
            """
            WITH newest AS (SELECT * FROM newest_by_number),
            packaged AS (SELECT DISTINCT package_day FROM published WHERE package_day < $day)
            SELECT newest.* EXCLUDE (snapshot_sha256) FROM newest
            WHERE CAST(substr(newest.formalized_at, 1, 10) AS DATE) IN (SELECT * FROM packaged)
              AND newest.order_id NOT IN (SELECT order_id FROM published)
              AND NOT EXISTS (
                  SELECT 1 FROM held h
                  WHERE h.order_number = newest.order_number
                    AND h.snapshot_sha256 = newest.snapshot_sha256
                    AND h.fingerprint = $fingerprint
                    AND h.package_day < $day
              )
            ORDER BY order_number
            """,
            params={"day": day, "fingerprint": fingerprint},
        ).to_arrow_table()
        return table.select(ORDER_SCHEMA.names).cast(ORDER_SCHEMA)

    def package_days(self, ocid_or_order: str) -> list[dt.date]:
        """Days whose package holds a release of this ocid, order id or order number."""
        order_id = ocid_or_order.rsplit("-", 1)[0] if ocid_or_order.count("-") == 4 else None
        rows = self._run(
            "SELECT DISTINCT package_day FROM published "
            "WHERE ocid = ? OR order_id = ? OR order_id = ? ORDER BY package_day",
            [ocid_or_order, ocid_or_order, order_id],
        )
        return [row[0] for row in rows]

    def anchor_row(self, dataset: str, day: dt.date) -> AnchorJournalRow | None:
        """The journal row of one day, if it has one."""
        rows = self.anchor_rows(dataset, days=[day])
        return rows[0] if rows else None

    def anchor_rows(
        self,
        dataset: str,
        *,
        states: Iterable[AnchorState] | None = None,
        days: Iterable[dt.date] | None = None,
    ) -> list[AnchorJournalRow]:
        """Journal rows of a dataset (optionally only some states or days), by day."""
        sql = f"SELECT {', '.join(_JOURNAL_COLUMNS)} FROM anchor_journal WHERE dataset = ?"
        params: list[Any] = [dataset]
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({', '.join('?' for _ in wanted)})"
            params += wanted
        if days is not None:
            chosen = list(days)
            sql += f" AND day IN ({', '.join('?' for _ in chosen)})" if chosen else " AND false"
            params += chosen
        rows = self._run(sql + " ORDER BY day", params)
        return [AnchorJournalRow(**dict(zip(_JOURNAL_COLUMNS, row, strict=True))) for row in rows]

    def save_anchor_row(self, row: AnchorJournalRow) -> None:
        """Insert or replace a journal row (stamped with the current time)."""
        self.save_anchor_rows([row])

    def save_anchor_rows(self, rows: Sequence[AnchorJournalRow]) -> None:
        """Insert or replace journal rows in one statement (a kill leaves all or none of them
        saved): DuckDB plans each statement, ~10 ms, so a batch's rows move together."""
        rows = list({(row.dataset, row.day): row for row in rows}.values())  # one per key
        if not rows:
            return
        now = dt.datetime.now(dt.UTC)
        values: list[Any] = []
        for row in rows:
            row.updated_at = now
            fields_of_row = asdict(row)
            values += [fields_of_row[name] for name in _JOURNAL_COLUMNS]
        placeholders = "(" + ", ".join("?" for _ in _JOURNAL_COLUMNS) + ")"
        self._run(
            f"INSERT OR REPLACE INTO anchor_journal ({', '.join(_JOURNAL_COLUMNS)}) "
            f"VALUES {', '.join([placeholders] * len(rows))}",
            values,
        )

    def late_states(self, day: dt.date) -> pa.Table:
        """Newest observed state of orders published before ``day`` that changed since."""
        if not self._fast_day(day):
            spans = self._spans() if self._derived_on() else None
            if spans is None:
                return self._late_states_reference(day)
            return self._late_states_in_spans(spans, day)
        table = self.con.sql(
            "SELECT * EXCLUDE (snapshot_sha256) FROM late_pending "
            "WHERE substr(formalized_at, 1, 10) <> ? ORDER BY order_id",
            params=[day.isoformat()],
        ).to_arrow_table()
        return table.select(ORDER_SCHEMA.names).cast(ORDER_SCHEMA)

    def _late_states_in_spans(self, spans: _OrderSpans, day: dt.date) -> pa.Table:
        """``late_states`` for a day below later packages: ``late_pending`` (against every
        package) answers for the orders whose releases all lie before ``day``; the orders with
        releases on both sides of it are compared with their releases before it, read on the
        days of their spans; the orders with none before it are left out."""
        ordinal = day.toordinal()
        exact = spans.straddling(day)
        keep: list[str] = []
        for (key,) in self._run("SELECT order_id FROM late_pending"):
            span = spans.span(key)
            if span is None:
                exact.append(key)  # not in the spans: read it (never happens when they are kept)
            elif span[1] < ordinal:
                keep.append(key)
        firsts = [span[0] if (span := spans.span(key)) else None for key in exact]
        # the releases before ``day`` lie on the days of the spans (all days for an order
        # missing from them)
        since = "AND p.package_day >= ?" if firsts and None not in firsts else ""
        params: list[Any] = (
            [dt.date.fromordinal(min(f for f in firsts if f is not None))] if since else []
        )
        with (
            self._registered("_keep", pa.table({"order_id": pa.array(keep, pa.string())})),
            self._registered(
                "_exact", pa.table({"order_id": pa.array(sorted(set(exact)), pa.string())})
            ),
        ):
            table = self.con.sql(
                f"""
                WITH before AS (
                    SELECT p.order_id, max(p.release_date) AS last_date
                    FROM published p SEMI JOIN _exact USING (order_id)
                    WHERE p.package_day < ? {since}
                    GROUP BY p.order_id
                )
                SELECT * EXCLUDE (snapshot_sha256) FROM (
                    SELECT l.* FROM late_pending l SEMI JOIN _keep USING (order_id)
                    UNION ALL BY NAME
                    SELECT n.* FROM newest_by_order n JOIN before USING (order_id)
                    WHERE n.last_status_at > before.last_date
                )
                WHERE substr(formalized_at, 1, 10) <> ?
                ORDER BY order_id
                """,
                params=[day, *params, day.isoformat()],
            ).to_arrow_table()
        return table.select(ORDER_SCHEMA.names).cast(ORDER_SCHEMA)

    def _late_states_reference(self, day: dt.date) -> pa.Table:
        """``late_states`` over the whole history (any day; the derived tables' spec)."""
        table = self.con.sql(
            """
            WITH newest AS (SELECT * EXCLUDE (snapshot_sha256) FROM newest_by_order),
            before AS (
                SELECT order_id, max(release_date) AS last_date
                FROM published WHERE package_day < ? GROUP BY order_id
            )
            SELECT newest.* FROM newest JOIN before USING (order_id)
            WHERE newest.last_status_at > before.last_date
              AND substr(newest.formalized_at, 1, 10) <> ?
            ORDER BY order_id
            """,
            params=[day, day.isoformat()],
        ).to_arrow_table()
        return table.select(ORDER_SCHEMA.names).cast(ORDER_SCHEMA)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, remembered in this process while it stays the same settled file:
    every day checks every snapshot of the source folder, which at the full history meant
    hashing ~300 MB a day."""
    identity = settled_identity(path.stat())
    if identity is None:
        return sha256_file(path)[0]
    return _digest_of(os.fspath(path), identity)


@functools.lru_cache(maxsize=4096)
def _digest_of(path: str, identity: tuple[int, ...]) -> str:
    del identity  # part of the cache key only
    return sha256_file(Path(path))[0]


def _is_iso_day(text: str) -> bool:
    """Whether ``text`` is exactly an ISO date (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _formalized_on(day: dt.date) -> str:
    """SQL: a newest row formalised on ``day`` (the range lets DuckDB skip row groups)."""
    iso = day.isoformat()
    below = f" AND formalized_at < '{day + dt.timedelta(days=1)}'" if day < dt.date.max else ""
    return f"(formalized_at >= '{iso}'{below} AND substr(formalized_at, 1, 10) = '{iso}')"


def _order_id(release: Mapping[str, Any]) -> str:
    """A call-off's order id is its award id (whatever the ocid pattern); else the ocid."""
    awards = release.get("awards") or []
    return str(awards[0]["id"]) if awards else str(release["ocid"])
