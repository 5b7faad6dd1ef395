"""`publicar`'s pooled Dagster storage writes the databases Dagster's default storage reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dagster import AssetKey, DagsterInstance, Definitions, asset

from pipelines.cli.run import dagster_instance
from pipelines.dagster_storage import PooledSqliteEventLogStorage

DATABASES = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")


def _layout(home: Path) -> dict[str, tuple[list[str], list[str], str]]:
    """Each database's tables, completed data migrations and journal mode."""
    layout = {}
    for name in DATABASES:
        connection = sqlite3.connect(home / name)
        try:
            tables = sorted(
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            )
            migrations = sorted(
                row[0] for row in connection.execute("SELECT name FROM secondary_indexes")
            )
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            connection.close()
        layout[name] = (tables, migrations, mode)
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
    with DagsterInstance.from_config(str(default)) as instance:
        assert job.execute_in_process(instance=instance).success
    assert _layout(pooled) == _layout(default)
    with DagsterInstance.from_config(str(pooled)) as instance:  # as the UI reads it
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success
        assert instance.get_latest_materialization_event(AssetKey("one_asset")) is not None
