"""The status store's DuckDB memory limit: from the settings, applied to every open of the file."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipelines.ranges import RangeRun
from pipelines.services import ChainService, DatasetsService, SourceService
from publication.state import StateStore, store_path
from settings import DEFAULT_STATE_MEMORY_LIMIT, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PERUCOMPRAS_* variable from the caller; an empty working directory."""
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(StateStore, "_memory_limit", DEFAULT_STATE_MEMORY_LIMIT)
    return tmp_path


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def _as_duckdb_says(limit: str) -> str:
    """``limit`` as DuckDB reports it back (e.g. 512MB -> 488.2 MiB)."""
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [limit])
    return _limit(con)


def test_a_store_opened_without_a_limit_gets_the_settings_default(tmp_path: Path) -> None:
    with StateStore(tmp_path / "status.duckdb") as store:
        assert _limit(store.con) == _as_duckdb_says(DEFAULT_STATE_MEMORY_LIMIT)
        assert _limit(store.con) != _limit(duckdb.connect())  # not DuckDB's 80% of RAM


def test_the_configured_limit_reaches_the_backfill_store_and_its_cursors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_STATE_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("PERUCOMPRAS_DATASETS_ROOT", str(tmp_path / "datasets"))
    settings = load_settings()
    datasets = DatasetsService.from_settings(settings)
    assert datasets.day_job().state_memory_limit == "300MB"
    source = SourceService.from_settings(settings)
    chain = ChainService.from_settings(settings)
    with RangeRun(source, datasets, chain):
        job = datasets.day_job()
        with StateStore(store_path(job.root, job.state_dir)) as store:  # a cursor on the run's
            assert _limit(store.con) == _as_duckdb_says("300MB")


def test_the_configured_limit_reaches_a_daily_run_s_own_opens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_STATE_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("PERUCOMPRAS_DATASETS_ROOT", str(tmp_path / "datasets"))
    job = DatasetsService.from_settings(load_settings()).day_job()
    with StateStore(store_path(job.root, job.state_dir)) as store:  # as a daily step opens it
        assert _limit(store.con) == _as_duckdb_says("300MB")


@pytest.mark.parametrize("value", ["lots", "512", "-1GB", "1TB"])
def test_an_invalid_limit_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_STATE_MEMORY_LIMIT", value)
    with pytest.raises(SettingsError, match="PERUCOMPRAS_STATE_MEMORY_LIMIT"):
        load_settings()
