"""Dagster's SQLite storage for ``publicar run``: the default storage's files and schema (the
UI and the daemon read them with the default storage, as before), written through one pooled
engine per database.

The default storage opens a new engine and connection for every event it stores (about 200
per day's run, run database and cross-run index) and closes them again; closing a WAL
database's last connection checkpoints it, so every event waited for the disk several times.
Here a database keeps its connection for the process and commits with
``synchronous=NORMAL``: still atomic and crash-safe for the process (WAL), only a power
failure may lose the last commits of a run's log, never the published files, which do not
live here.

Dagster also reads its ~90 Alembic migration scripts again for every revision check and stamp
(a new run's database: two; each storage at start: one or two), ~0.1 s each; here they are
read once per process (``_cache_alembic_scripts``). And the event log remembers which of its
index's tables exist instead of inspecting the schema for every asset check event, and the
latest materialization of an asset's partition until it stores another: every asset check
result looks it up (28 a day's run, against 4 materializations).

A step's stdout and stderr go to the files the UI shows, and to the terminal: Dagster mirrors
each of them with a ``tail -F`` process and a Python process watching for orphans (four
processes started and stopped per run, ~0.2 s); here a thread of this process copies what the
files receive to the terminal (``TailingComputeLogManager``), the same files written the same
way.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, Any

import dagster._core.storage.sql as dagster_sql
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from dagster import AssetKey, DagsterEventType
from dagster._core.event_api import AssetRecordsFilter, EventRecordsResult
from dagster._core.events.log import EventLogEntry
from dagster._core.execution.compute_logs import redirect_to_file
from dagster._core.storage.compute_log_manager import CapturedLogContext, ComputeIOType
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.local_compute_log_manager import (
    IO_TYPE_EXTENSION,
    LocalComputeLogManager,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import (
    SqliteScheduleStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from dagster._utils import ensure_file, touch_file
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# The storage these classes replace: Dagster's default, or ``storage: sqlite:`` in dagster.yaml.
SQLITE_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")
# Engines kept open by one event log: the index, the current run's database and a few more.
_OPEN_SHARDS = 4


def _pooled(conn_string: str) -> Engine:
    """An engine keeping its connection open, in WAL mode with ``synchronous=NORMAL``."""
    engine = create_engine(
        conn_string,
        pool_size=1,
        max_overflow=4,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    event.listen(engine, "connect", _pragmas)
    return engine


# By the options of the config's [alembic] section, interpolated, but for ``here`` (the
# folder of its .ini file): the three storages' configs differ only there.
_SCRIPTS: dict[frozenset[tuple[str, str]], ScriptDirectory] = {}


def _scripts(config: Config) -> ScriptDirectory:
    """The Alembic scripts of ``config``, read once per process for configs alike."""
    options = config.get_section(config.config_ini_section, {})
    key = frozenset((name, value) for name, value in options.items() if name != "here")
    script = _SCRIPTS.get(key)
    if script is None:
        script = _SCRIPTS[key] = ScriptDirectory.from_config(config)
    return script


class _CachedScriptDirectory(ScriptDirectory):
    """What ``dagster_sql.check_alembic_revision`` builds: the cached scripts of the config."""

    @classmethod
    def from_config(cls, config: Config) -> ScriptDirectory:
        return _scripts(config)


def _stamp(config: Config, revision: str) -> None:
    """``alembic.command.stamp(config, revision)`` (online, no tag, no purge) with the cached
    scripts; Dagster holds its ``_alembic_lock`` around it."""
    script = _scripts(config)
    destination = (revision,)

    def do_stamp(rev: Any, _context: Any) -> Any:
        return script._stamp_revs(destination, rev)

    with EnvironmentContext(config, script, fn=do_stamp, destination_rev=destination):
        script.run_env()


def _cache_alembic_scripts() -> None:
    """Point Dagster's revision check and stamp (``dagster._core.storage.sql``, only there) at
    the cached scripts."""
    dagster_sql.ScriptDirectory = _CachedScriptDirectory  # type: ignore[misc]
    dagster_sql.stamp = _stamp  # type: ignore[assignment]


_cache_alembic_scripts()


def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL before Dagster creates the tables: each DDL statement commits without a rollback
    # journal. Dagster sets WAL itself right after; the mode is stored in the file.
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _precreate(base_dir: str, name: str) -> bool:
    """Create an empty database in WAL mode if there is none (True), so that Dagster's
    first-time DDL commits cheaply."""
    path = os.path.join(base_dir, f"{name}.db")
    if os.path.exists(path):
        return False
    os.makedirs(base_dir, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return True


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with pooled engines (the last few databases used)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._connections: dict[str, Connection] = {}
        self._engines_lock = threading.Lock()
        self._tables: set[str] = set()
        self._asset_key_columns: set[str] = set()
        self._secondary_indexes: set[str] = set()
        self._latest: dict[tuple[AssetKey, str], EventRecordsResult] = {}
        fresh = _precreate(os.path.abspath(base_dir), INDEX_SHARD_NAME)
        super().__init__(base_dir, inst_data)
        if fresh:
            # What the default storage does for a new index (it found the file created above).
            self.reindex_events()
            self.reindex_assets()

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = self._engines[shard] = _pooled(self.conn_string_for_shard(shard))
            self._engines.move_to_end(shard)
            while len(self._engines) > _OPEN_SHARDS:
                evicted = next(iter(self._engines))
                if evicted == INDEX_SHARD_NAME:
                    self._engines.move_to_end(evicted)
                    evicted = next(iter(self._engines))
                self._close(evicted)
            return engine

    def _close(self, shard: str) -> None:
        connection = self._connections.pop(shard, None)
        if connection is not None:
            connection.close()
        self._engines.pop(shard).dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        # One connection per open database, checked out once: ``_db_lock`` already keeps a
        # single transaction at a time, and a pool checkout and reset per transaction (six per
        # event) cost more than the transaction's own statements.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            conn = self._connections.get(shard)
            if conn is None:
                conn = self._connections[shard] = engine.connect()
            with conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Dagster's check (a new engine and a schema inspection of the index, for every asset
        check event), remembered once the table exists: migrations only ever add tables."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    def has_asset_key_col(self, column_name: str) -> bool:
        """Dagster's schema inspection of the asset keys table (several per materialization and
        lookup), remembered once the column exists: migrations only ever add columns."""
        if column_name in self._asset_key_columns:
            return True
        found = super().has_asset_key_col(column_name)
        if found:
            self._asset_key_columns.add(column_name)
        return found

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        if column_name in self._asset_key_columns:
            return True
        found = super()._has_asset_key_col_on_connection(conn, column_name)
        if found:
            self._asset_key_columns.add(column_name)
        return found

    def has_secondary_index(self, name: str) -> bool:
        """Dagster's query for a completed data migration (before every asset lookup),
        remembered once it is complete: nothing in a run undoes one."""
        if name in self._secondary_indexes:
            return True
        found = super().has_secondary_index(name)
        if found:
            self._secondary_indexes.add(name)
        return found

    def fetch_materializations(
        self,
        records_filter: AssetKey | AssetRecordsFilter,
        limit: int,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> EventRecordsResult:
        """Dagster's query; the latest materialization of one partition (what each asset check
        result asks for its target) remembered until a materialization is stored."""
        key = _latest_of_partition(records_filter, limit, cursor, ascending)
        found = self._latest.get(key) if key is not None else None
        if found is None:
            found = super().fetch_materializations(records_filter, limit, cursor, ascending)
            if key is not None and found.records:
                self._latest[key] = found
        return found

    def store_event(self, event: EventLogEntry) -> None:
        # (``store_event_batch`` stores each event through here.)
        if event.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION:
            self._latest.clear()
        super().store_event(event)

    def wipe(self) -> None:
        self._latest.clear()
        super().wipe()

    def wipe_asset(self, asset_key: AssetKey) -> None:
        self._latest.clear()
        super().wipe_asset(asset_key)

    def wipe_asset_partitions(self, asset_key: AssetKey, partition_keys: Sequence[str]) -> None:
        self._latest.clear()
        super().wipe_asset_partitions(asset_key, partition_keys)

    def delete_events(self, run_id: str) -> None:
        self._latest.clear()
        super().delete_events(run_id)

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock, self._engines_lock:
            while self._engines:
                self._close(next(iter(self._engines)))


def _latest_of_partition(
    records_filter: AssetKey | AssetRecordsFilter, limit: int, cursor: str | None, ascending: bool
) -> tuple[AssetKey, str] | None:
    """(asset, partition) when the query asks for the latest materialization of one partition
    and nothing else, else None."""
    if not isinstance(records_filter, AssetRecordsFilter) or (limit, cursor, ascending) != (
        1,
        None,
        False,
    ):
        return None
    partitions = records_filter.asset_partitions
    if partitions is None or len(partitions) != 1:
        return None
    if records_filter._replace(asset_partitions=None) != AssetRecordsFilter(
        records_filter.asset_key
    ):
        return None
    return records_filter.asset_key, partitions[0]


class PooledSqliteRunStorage(SqliteRunStorage):
    """``SqliteRunStorage`` with one pooled engine; its schema checks of the runs table
    remembered once true (migrations only ever add columns)."""

    _engine: Engine | None = None
    _has_stats_columns = False
    _has_backfill_column = False

    @classmethod
    def from_local(
        cls, base_dir: str, inst_data: ConfigurableClassData | None = None
    ) -> PooledSqliteRunStorage:
        _precreate(base_dir, "runs")
        return super().from_local(base_dir, inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._engine is None:
            self._engine = _pooled(self._conn_string)
        with _transaction(self._engine) as conn:
            yield conn

    def has_run_stats_index_cols(self) -> bool:
        self._has_stats_columns = self._has_stats_columns or super().has_run_stats_index_cols()
        return self._has_stats_columns

    def has_backfill_id_column(self) -> bool:
        self._has_backfill_column = self._has_backfill_column or super().has_backfill_id_column()
        return self._has_backfill_column

    def dispose(self) -> None:
        super().dispose()
        if self._engine is not None:
            self._engine.dispose()


class PooledSqliteScheduleStorage(SqliteScheduleStorage):
    """``SqliteScheduleStorage`` with one pooled engine."""

    _engine: Engine | None = None

    @classmethod
    def from_local(
        cls, base_dir: str, inst_data: ConfigurableClassData | None = None
    ) -> PooledSqliteScheduleStorage:
        _precreate(base_dir, "schedules")
        storage = super().from_local(base_dir, inst_data)
        assert isinstance(storage, PooledSqliteScheduleStorage)
        return storage

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._engine is None:
            self._engine = _pooled(self._conn_string)
        with _transaction(self._engine) as conn:
            yield conn

    def dispose(self) -> None:
        super().dispose()
        if self._engine is not None:
            self._engine.dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """The default SQLite storage's layout under ``base_dir`` (the Dagster home), pooled."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        history = os.path.join(base_dir, "history")
        self._run_storage = PooledSqliteRunStorage.from_local(history)
        self._event_log_storage = PooledSqliteEventLogStorage(os.path.join(history, "runs"))
        self._schedule_storage = PooledSqliteScheduleStorage.from_local(
            os.path.join(base_dir, "schedules")
        )
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, str]
    ) -> PooledSqliteStorage:
        os.makedirs(config_value["base_dir"], exist_ok=True)
        return cls(config_value["base_dir"], inst_data)


def storage_override(home: str) -> dict[str, Any]:
    """The instance override that stores runs in ``home`` through ``PooledSqliteStorage``."""
    return {
        "storage": {
            "custom": {
                "module": __name__,
                "class": PooledSqliteStorage.__name__,
                "config": {"base_dir": home},
            }
        }
    }


# Dagster's default compute log manager, which ``TailingComputeLogManager`` replaces.
LOCAL_COMPUTE_LOGS = ("dagster._core.storage.local_compute_log_manager", "LocalComputeLogManager")
# How often the thread looks for new output while a step runs (``tail -F``: every second).
_TAIL_SECONDS = 0.05


def _fileno(stream: IO[str]) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class _Tail(threading.Thread):
    """Copy ``path``, and what it receives until ``stop``, to the file descriptor ``to_fd``
    (``tail -F -c +0``, Dagster's mirror)."""

    def __init__(self, path: str, to_fd: int) -> None:
        super().__init__(name="publicar-compute-log-tail", daemon=True)
        self._source = open(path, "rb")  # noqa: SIM115 (closed by ``run``)
        self._to_fd = to_fd
        self._done = threading.Event()

    def run(self) -> None:
        with self._source:
            while not self._done.wait(_TAIL_SECONDS):
                self._copy()
            self._copy()  # what came in before ``stop``

    def _copy(self) -> None:
        while chunk := self._source.read(1 << 16):
            view = memoryview(chunk)
            while view:
                try:
                    view = view[os.write(self._to_fd, view) :]
                except OSError:  # the terminal went away: the file keeps the output
                    return

    def stop(self) -> None:
        self._done.set()
        self.join()


@contextmanager
def _mirrored(stream: IO[str], path: str) -> Iterator[None]:
    """``dagster._core.execution.compute_logs.mirror_stream_to_file`` without processes: the
    stream's file descriptor writes to ``path`` (``redirect_to_file``, as there), and a thread
    copies the file's new bytes to where the descriptor pointed before."""
    fd = _fileno(stream)
    assert fd is not None
    ensure_file(path)
    terminal = os.dup(fd)
    tail = _Tail(path, terminal)
    tail.start()
    try:
        with redirect_to_file(stream, path):
            yield
    finally:
        tail.stop()
        os.close(terminal)


class TailingComputeLogManager(LocalComputeLogManager):
    """Dagster's ``LocalComputeLogManager`` (same files, same config), mirroring a step's
    output to the terminal from a thread (``_mirrored``) instead of four processes."""

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> TailingComputeLogManager:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Iterator[CapturedLogContext]:
        if _fileno(sys.stdout) is None or _fileno(sys.stderr) is None:
            with super().capture_logs(log_key) as context:  # Dagster's own way (no descriptor)
                yield context
            return
        outpath = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDOUT])
        errpath = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDERR])
        with ExitStack() as stack:
            stack.enter_context(_mirrored(sys.stdout, outpath))
            stack.enter_context(_mirrored(sys.stderr, errpath))
            yield CapturedLogContext(log_key)
        # leave artifact on filesystem so that we know the capture is completed (as Dagster)
        touch_file(self.complete_artifact_path(log_key))


def tailing_compute_logs(data: ConfigurableClassData) -> ConfigurableClassData:
    """``data`` (Dagster's local compute logs) for ``TailingComputeLogManager``."""
    return ConfigurableClassData(__name__, TailingComputeLogManager.__name__, data.config_yaml)
