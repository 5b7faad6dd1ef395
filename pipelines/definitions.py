"""Dagster code location: assets, checks, the daily job, its schedule, the source sensor, and the
job and sensor that anchor pending days (``pipelines.pending``).

``defs`` loads the settings once, when Dagster loads the code location, and builds the
resources from them; importing this module reads no setting.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import (
    AssetsDefinition,
    AssetSelection,
    BackfillPolicy,
    Definitions,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    definitions,
    sensor,
)

from integrity.manifest import sha256_file
from perucompras.reader import month_of_file, read_source_dir
from pipelines.assets import DAY_KEYS, daily_steps
from pipelines.bulk import BULK_ASSETS, bulk_after_days, publish_bulk_job
from pipelines.months import prepare_months_job
from pipelines.months import with_history_start as months_from
from pipelines.partitions import daily_partitions_from, with_history_start
from pipelines.pending import anchor_pending_job, pending_anchors
from pipelines.resources import DatasetsResource, SourceResource, build_resources
from publication.writer import read_index
from settings import Settings, load_settings

# One multi-asset: the five daily assets (``pipelines.assets``).
ALL_ASSETS = [daily_steps]
# Every day's step but the anchor (tests and tools that publish without a chain).
UNANCHORED = [key for key in DAY_KEYS if key.to_user_string() != "anchored_day"]

publish_day_job = define_asset_job(
    "publicar_dia",
    selection=AssetSelection.assets(*DAY_KEYS),
    description="Extract, check, map, publish and anchor one day of catalogue orders.",
)

# Yesterday's partition, every morning in Lima: the day is complete by then.
daily_schedule = build_schedule_from_partitioned_job(
    publish_day_job, hour_of_day=6, minute_of_hour=0, name="publicar_dia_schedule"
)


@sensor(job=publish_day_job, minimum_interval_seconds=300)
def new_source_files(
    context: SensorEvaluationContext, source: SourceResource, datasets: DatasetsResource
) -> list[RunRequest] | SkipReason:
    """Request the not-yet-anchored days of a month whose source file is new or changed."""
    folder = Path(source.directory)
    if source.kind != "directory" or not folder.is_dir():
        return SkipReason("the sensor watches a directory source (source.kind = directory)")
    seen: dict[str, str] = dict(
        line.split("=", 1) for line in (context.cursor or "").split(";") if "=" in line
    )
    requests: list[RunRequest] = []
    for path in read_source_dir(folder):
        digest = sha256_file(path)[0][:16]
        if seen.get(path.name) == digest:
            continue
        seen[path.name] = digest
        year, month = month_of_file(path)
        anchored = {d["date"] for d in read_index(datasets.path, datasets.dataset) if d["anchored"]}
        partitions = daily_partitions_from(dt.date.fromisoformat(datasets.history_start))
        keys = [
            key
            for key in partitions.get_partition_keys()
            if key.startswith(f"{year:04d}-{month:02d}-")
            and key >= datasets.history_start
            and key not in anchored
        ]
        requests.extend(
            RunRequest(run_key=f"{path.name}:{digest}:{key}", partition_key=key) for key in keys
        )
    context.update_cursor(";".join(f"{k}={v}" for k, v in sorted(seen.items())))
    return requests or SkipReason("no new or changed source files")


def day_assets(settings: Settings) -> list[AssetsDefinition]:
    """The daily assets as the settings configure them: partitions from ``history_start``, a
    backfill policy of ``backfill_days_per_run`` days per run."""
    policy = BackfillPolicy.multi_run(settings.backfill_days_per_run)
    return [
        assets.with_attributes(backfill_policy=policy)
        for assets in with_history_start(ALL_ASSETS, settings.history_start)
    ]


@definitions
def defs() -> Definitions:
    """The code location, its resources and partitions built from the settings (loaded here,
    once): the daily partitions start at ``history_start``; a backfill runs
    ``backfill_days_per_run`` days per run."""
    settings = load_settings()
    return Definitions(
        assets=[*day_assets(settings), *BULK_ASSETS, months_from(settings.history_start)],
        jobs=[
            publish_day_job,
            publish_bulk_job,
            anchor_pending_job,
            prepare_months_job(settings.prepare_workers),
        ],
        schedules=[daily_schedule],
        sensors=[new_source_files, bulk_after_days, pending_anchors],
        resources=build_resources(settings),
    )
