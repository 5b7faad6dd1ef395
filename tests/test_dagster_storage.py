"""`publicar`'s pooled Dagster storage writes the databases Dagster's default storage reads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance, Definitions, asset
from sqlalchemy import event
from sqlalchemy.pool import Pool

from pipelines.cli.run import dagster_instance
from pipelines.dagster_storage import PooledSqliteEventLogStorage

DATABASES = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")
# Dagster's default storage, untouched by ``pipelines.dagster_storage`` (another process).
DEFAULT_HOME = """
import sys
from dagster import DagsterInstance, Definitions, asset

@asset
def one_asset() -> int:
    return 1

job = Definitions(assets=[one_asset]).resolve_implicit_global_asset_job_def()
with DagsterInstance.from_config(sys.argv[1]) as instance:
    assert job.execute_in_process(instance=instance).success
"""


def _databases(home: Path) -> dict[str, Path]:
    """The home's databases by name, its one run's database as ``history/runs/RUN.db``."""
    found = {name: home / name for name in DATABASES}
    (run,) = (path for path in (home / "history/runs").glob("*.db") if path.stem != "index")
    found["history/runs/RUN.db"] = run
    return found


def _layout(home: Path) -> dict[str, tuple[list[str], list[str], list[str], str]]:
    """Each database's schema (tables and indexes), Alembic revision, completed data
    migrations and journal mode."""
    layout = {}
    for name, path in _databases(home).items():
        connection = sqlite3.connect(path)
        try:
            schema = sorted(
                row[0] for row in connection.execute("SELECT sql FROM sqlite_master") if row[0]
            )
            revision = [row[0] for row in connection.execute("SELECT * FROM alembic_version")]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            migrations = (
                sorted(row[0] for row in connection.execute("SELECT name FROM secondary_indexes"))
                if "secondary_indexes" in tables
                else []
            )
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            connection.close()
        layout[name] = (schema, revision, migrations, mode)
    return layout


@asset
def one_asset() -> int:
    """An asset to run."""
    return 1


def test_a_new_home_matches_dagsters_and_its_runs_read_back(tmp_path: Path) -> None:
    pooled, default = tmp_path / "pooled", tmp_path / "default"
    pooled.mkdir()
    default.mkdir()
    job = Definitions(assets=[one_asset]).resolve_implicit_global_asset_job_def()
    with dagster_instance(pooled) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert job.execute_in_process(instance=instance).success
    subprocess.run([sys.executable, "-c", DEFAULT_HOME, str(default)], check=True)
    assert _layout(pooled) == _layout(default)
    with DagsterInstance.from_config(str(pooled)) as instance:  # as the UI reads it
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success
        assert instance.get_latest_materialization_event(AssetKey("one_asset")) is not None


def test_the_event_log_checks_out_one_connection_per_database(tmp_path: Path) -> None:
    checkouts: Counter[str] = Counter()

    def count(dbapi_connection: sqlite3.Connection, _record: Any, _proxy: Any) -> None:
        path = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
        checkouts[Path(path).name] += 1

    job = Definitions(assets=[one_asset]).resolve_implicit_global_asset_job_def()
    event.listen(Pool, "checkout", count)
    try:
        with dagster_instance(tmp_path) as instance:
            result = job.execute_in_process(instance=instance)
    finally:
        event.remove(Pool, "checkout", count)
    assert result.success
    # The run writes ~20 events, each one to two transactions (a checkout each before);
    # what is left are Dagster's own first-time engines (schema creation, revision checks).
    assert checkouts[f"{result.run_id}.db"] < 10
    assert checkouts["index.db"] < 10
