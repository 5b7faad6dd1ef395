"""`publicar`'s pooled Dagster storage writes the databases Dagster's default storage reads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    Definitions,
    MaterializeResult,
    asset,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._core.event_api import AssetRecordsFilter
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


CHECKS = [AssetCheckSpec(f"check_{n}", asset="day_asset") for n in range(3)]


@asset(partitions_def=DailyPartitionsDefinition("2026-01-01"), check_specs=CHECKS)
def day_asset() -> Iterator[MaterializeResult | AssetCheckResult]:
    """A daily asset with three checks, as the day's steps yield them: output, then checks."""
    yield MaterializeResult()
    for spec in CHECKS:
        yield AssetCheckResult(check_name=spec.name, passed=True)


def test_each_check_targets_its_own_runs_materialization(tmp_path: Path) -> None:
    """The latest materialization of the partition is remembered between a run's checks and
    forgotten when a later run materializes the partition again."""
    job = Definitions(assets=[day_asset]).resolve_implicit_global_asset_job_def()
    with dagster_instance(tmp_path) as instance:
        for partition in ["2026-01-02", "2026-01-02", "2026-01-03"]:
            result = job.execute_in_process(instance=instance, partition_key=partition)
            assert result.success
            (materialization,) = instance.fetch_materializations(
                AssetRecordsFilter(AssetKey("day_asset"), [partition]), limit=1
            ).records
            assert materialization.run_id == result.run_id
            evaluations = [
                e.event_specific_data
                for e in result.all_events
                if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
            ]
            assert len(evaluations) == len(CHECKS)
            for evaluation in evaluations:
                assert isinstance(evaluation, AssetCheckEvaluation)
                target = evaluation.target_materialization_data
                assert target is not None
                assert (target.run_id, target.storage_id) == (
                    result.run_id,
                    materialization.storage_id,
                )


# A step that writes to stdout and stderr, itself and through a child process, run through
# ``dagster_instance`` (argv[1]: the home) in a process whose descriptors are the test's pipes.
TALKING_STEP = """
import os, sys
from dagster import Definitions, asset
from pipelines.cli.run import dagster_instance

@asset
def talker() -> int:
    print("out from the step", flush=True)
    print("err from the step", file=sys.stderr, flush=True)
    os.system("echo out from a child; echo err from a child >&2")
    return 1

job = Definitions(assets=[talker]).resolve_implicit_global_asset_job_def()
with dagster_instance(sys.argv[1]) as instance:
    print(type(instance.compute_log_manager).__name__, flush=True)
    config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    assert job.execute_in_process(instance=instance, run_config=config).success
print("after the run", flush=True)
"""


def test_a_steps_output_goes_to_the_compute_log_files_and_to_the_terminal(tmp_path: Path) -> None:
    """Dagster's files (what the UI shows) and the terminal get the step's output, without
    Dagster's ``tail`` and watcher processes."""
    # A configured home, as publicar's: without it Dagster warns on stderr about the missing file.
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        [sys.executable, "-c", TALKING_STEP, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    out_lines = ["out from the step", "out from a child"]
    err_lines = ["err from the step", "err from a child"]
    assert done.stdout.splitlines() == ["TailingComputeLogManager", *out_lines, "after the run"]
    assert done.stderr.splitlines() == err_lines
    (logs,) = tmp_path.glob("storage/*/compute_logs")
    (out,) = logs.glob("*.out")
    assert out.read_text().splitlines() == out_lines
    assert out.with_suffix(".err").read_text().splitlines() == err_lines
    assert out.with_suffix(".complete").exists()
