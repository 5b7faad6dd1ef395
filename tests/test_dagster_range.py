"""A Dagster run of a range of `publicar_dia` partitions (what a UI backfill launches under the
assets' backfill policy) goes through the batch path of `publicar backfill`: one run, the same
day files as day-by-day runs, one registry entry per day; a failed day stops the range and a
re-run resumes."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    BackfillPolicy,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from support.backfill_helpers import day_files, indexed_days, read_anchor, root_files
from support.chain_helpers import InProcessRegistry, in_process_registry

from integrity.layout import DayLayout
from integrity.verify.trust import Pin
from perucompras.synthetic import generate_month
from pipelines.assets import DAY_KEYS
from pipelines.definitions import ALL_ASSETS, UNANCHORED, publish_day_job
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication.anchoring import ChainSession

DATASET = "perucompras-ocam"
# Across a month boundary: each month's days are anchored together.
DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
ORDERS = 60  # a month: a few orders a day

_REGISTRIES: dict[str, InProcessRegistry] = {}


class InProcessChain(ChainResource):
    """The chain resource with its sessions on an in-process eth-tester registry (one per
    ``state_dir``): no node to start, the same anchoring code path."""

    @contextlib.contextmanager
    def session(self, dataset: str) -> Iterator[ChainSession]:
        yield _REGISTRIES[self.state_dir].session()

    def known_pin(self) -> Pin | None:
        return _REGISTRIES[self.state_dir].pin


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("source")
    for month in (10, 11):
        generate_month(2026, month, folder, orders=ORDERS)
    return folder


def _resources(tmp: Path, source: Path) -> dict[str, Any]:
    _REGISTRIES[str(tmp)] = in_process_registry(DATASET)
    return {
        "source": SourceResource(kind="directory", directory=str(source)),
        # Great Expectations is not the subject here (~1 s a table and day).
        "datasets": DatasetsResource(root=str(tmp / "datasets"), gx_cross_check=False, lang="en"),
        "chain": InProcessChain(mode="rpc", state_dir=str(tmp)),
    }


def _range_run(resources: dict[str, Any], first: dt.date, last: dt.date) -> ExecuteInProcessResult:
    """What the backfill daemon launches for a range: a run of `publicar_dia` tagged with it."""
    job = Definitions(
        assets=ALL_ASSETS, jobs=[publish_day_job], resources=resources
    ).resolve_job_def(publish_day_job.name)
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            },
            raise_on_error=False,
        )


def _materialized_days(result: ExecuteInProcessResult) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in result.get_asset_materialization_events():
        assert event.asset_key is not None
        found.setdefault(event.asset_key.to_user_string(), []).append(str(event.partition))
    return found


def _registry_count(tmp: Path, day: dt.date) -> int:
    return int(_REGISTRIES[str(tmp)].client.count(DATASET, day, "latest"))


@pytest.mark.slow
def test_a_range_is_one_run_with_the_days_of_day_by_day_runs(tmp_path: Path, source: Path) -> None:
    daily = tmp_path / "daily"
    resources = _resources(daily, source)
    for day in DAYS:
        assert materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=resources).success

    ranged = tmp_path / "ranged"
    result = _range_run(_resources(ranged, source), DAYS[0], DAYS[-1])

    assert result.success
    run = result.dagster_run
    assert run.job_name == "publicar_dia"
    assert run.tags[ASSET_PARTITION_RANGE_START_TAG] == "2026-10-30"
    assert run.tags[ASSET_PARTITION_RANGE_END_TAG] == "2026-11-02"
    for day in DAYS:
        assert day_files(ranged / "datasets", day) == day_files(daily / "datasets", day), day
        assert _registry_count(ranged, day) == 1
    assert [d["date"] for d in indexed_days(ranged / "datasets")] == [d.isoformat() for d in DAYS]
    receipts = [read_anchor(ranged / "datasets", day) for day in DAYS]
    assert {r["status"] for r in receipts} == {"anclado"}
    assert [r["batchSize"] for r in receipts] == [2, 2, 2, 2]  # month by month
    # Every asset materialised for every day, each with that day's metadata.
    keys = [day.isoformat() for day in DAYS]
    assert _materialized_days(result) == {key.to_user_string(): keys for key in DAY_KEYS}
    published = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey("published_day")
    ]
    assert [m.metadata["folder"].value for m in published] == [
        str(DayLayout(ranged / "datasets", DATASET, day).folder) for day in DAYS
    ]
    # Each check reports once for the range.
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed or e.severity.value == "WARN" for e in evaluations)
    names = [(e.asset_key, e.check_name) for e in evaluations]
    assert len(names) == len(set(names))


@pytest.mark.slow
def test_a_failed_day_stops_the_range_naming_it_and_a_rerun_resumes(
    tmp_path: Path, source: Path
) -> None:
    folder = tmp_path / "source"
    shutil.copytree(source, folder)
    november = folder / "ReportePCBienes202611.csv"
    good = november.read_bytes()
    november.write_bytes(b"")  # November's file is unreadable: its days fail their first gate
    resources = _resources(tmp_path, folder)
    root = tmp_path / "datasets"

    failed = _range_run(resources, DAYS[0], DAYS[-1])

    assert not failed.success
    failures = [e for e in failed.all_events if e.is_step_failure]
    assert len(failures) == 1
    error = failures[0].step_failure_data.error
    assert error is not None
    assert "2026-11-01 failed its blocking checks" in error.message
    assert "source_files_readable" in error.message
    assert "resumes at 2026-11-01" in error.message
    # The days before it are published and anchored; the days from it on are not published.
    assert [d["date"] for d in indexed_days(root)] == ["2026-10-30", "2026-10-31"]
    assert [_registry_count(tmp_path, day) for day in DAYS] == [1, 1, 0, 0]
    assert not DayLayout(root, DATASET, DAYS[2]).folder.exists()
    assert not DayLayout(root, DATASET, DAYS[3]).folder.exists()
    readable = [
        e for e in failed.get_asset_check_evaluations() if e.check_name == "source_files_readable"
    ]
    assert len(readable) == 1 and not readable[0].passed
    assert "failed on 1 of 3 day(s)" in (readable[0].description or "")

    november.write_bytes(good)  # the fix arrives
    rerun = _range_run(resources, DAYS[0], DAYS[-1])

    assert rerun.success
    assert [d["date"] for d in indexed_days(root)] == [d.isoformat() for d in DAYS]
    assert [_registry_count(tmp_path, day) for day in DAYS] == [1, 1, 1, 1]
    resumed = {
        str(e.partition)
        for e in rerun.get_asset_materialization_events()
        if "resumed" in e.materialization.metadata
    }
    assert resumed == {"2026-10-30", "2026-10-31"}


class _Killed(BaseException):
    """Stands for a kill: nothing after it runs in the step."""


def test_a_daily_run_killed_before_its_site_refresh_leaves_it_to_the_next_range_run(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily run anchors its day, then refreshes the site: killed in between, the day is
    finished and a range run skips it, but does the refresh the daily run left pending."""
    day = DAYS[0]
    clean = tmp_path / "clean"
    assert materialize(
        ALL_ASSETS, partition_key=day.isoformat(), resources=_resources(clean, source)
    ).success

    crash = tmp_path / "crash"
    resources = _resources(crash, source)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr("pipelines.assets.refresh_site", killed)
        with pytest.raises(_Killed):
            materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=resources)
    assert read_anchor(crash / "datasets", day)["status"] == "anclado"
    assert root_files(crash / "datasets") != root_files(clean / "datasets")

    rerun = _range_run(resources, day, day)
    assert rerun.success
    resumed = [
        e
        for e in rerun.get_asset_materialization_events()
        if "resumed" in e.materialization.metadata
    ]
    assert resumed  # the day was skipped as finished
    assert root_files(crash / "datasets") == root_files(clean / "datasets")


def test_a_range_runs_all_five_steps_or_refuses(tmp_path: Path) -> None:
    resources = {
        "source": SourceResource(kind="directory", directory=str(tmp_path / "none")),
        "datasets": DatasetsResource(root=str(tmp_path / "datasets"), lang="en"),
        "chain": ChainResource(state_dir=str(tmp_path / "devchain")),
    }
    result = materialize(
        ALL_ASSETS,
        selection=UNANCHORED,
        resources=resources,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: "2026-10-01",
            ASSET_PARTITION_RANGE_END_TAG: "2026-10-03",
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.step_failure_data.error
    assert error is not None and "Select the whole publicar_dia job" in error.message
    assert not (tmp_path / "datasets").exists()


def test_the_job_backfills_about_a_month_per_run_and_the_setting_changes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [n for n in os.environ if n.startswith("PERUCOMPRAS_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    from pipelines.definitions import defs

    job = defs().resolve_job_def("publicar_dia")
    assert job.backfill_policy == BackfillPolicy.multi_run(31)
    monkeypatch.setenv("PERUCOMPRAS_BACKFILL_DAYS_PER_RUN", "7")
    job = defs().resolve_job_def("publicar_dia")
    assert job.backfill_policy == BackfillPolicy.multi_run(7)


def test_one_partition_runs_the_steps_up_to_the_last_selected(tmp_path: Path, source: Path) -> None:
    """A subset of one day: the unselected steps before the selected one run in memory, only
    the selected asset is materialised and only its checks report; nothing is published."""
    resources = _resources(tmp_path, source)
    result = materialize(
        ALL_ASSETS,
        selection=[AssetKey("ocds_releases")],
        partition_key=DAYS[0].isoformat(),
        resources=resources,
    )
    assert result.success
    assert _materialized_days(result) == {"ocds_releases": [DAYS[0].isoformat()]}
    checked = {e.asset_key.to_user_string() for e in result.get_asset_check_evaluations()}
    assert checked == {"ocds_releases"}
    assert not DayLayout(tmp_path / "datasets", DATASET, DAYS[0]).folder.exists()
