"""The bulk dataset in Dagster: one unpartitioned asset downstream of the daily ones.

``bulk_files`` reads every published day (the daily partitions of ``published_day``),
brings the bulk dataset up to date and anchors its manifest (dataset ``{dataset}-bulk``,
through the same anchor journal and chain as the days; nothing is sent when the manifest is
already anchored; if the chain cannot be reached the receipt says ``pendiente`` and the
``pending_anchors`` sensor or ``publicar anchor --pending`` finish it); ``publicar run`` materialises it once after the last day
of the run, and in the code location the sensor ``bulk_after_days`` requests it once the
daily runs are done and the published days changed (a backfill builds it once).
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
from dagster import (
    AssetExecutionContext,
    AssetSelection,
    DagsterRunStatus,
    MetadataValue,
    Output,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    sensor,
)

from integrity.layout import INDEX_FILE
from integrity.manifest import load_manifest, sha256_file
from pipelines.assets import PUBLISHED_DAY
from pipelines.resources import BulkResource, ChainResource, DatasetsResource
from publication.anchoring import anchor_if_pending
from publication.bulk import build_bulk, bulk_anchor_target
from publication.site import refresh_site
from publication.writer import ANCHORED, read_anchor_record

DAY_JOB = "publicar_dia"
PENDING = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


@asset(deps=[PUBLISHED_DAY], group_name="bulk", kinds={"parquet", "csv", "xlsx", "ethereum"})
def bulk_files(
    context: AssetExecutionContext,
    datasets: DatasetsResource,
    bulk: BulkResource,
    chain: ChainResource,
) -> Output[dict]:
    """Month, year and full-history files, flat tables and indicators of the published days,
    their manifest anchored (or marked ``pendiente`` if the chain cannot be reached)."""
    with datasets.writing():
        result = build_bulk(
            datasets.path,
            datasets.dataset,
            identity=datasets.identity(),
            state_dir=datasets.state_path,
            bulk=bulk.bulk_settings(),
            indicators=bulk.indicator_settings(),
            lang=datasets.language,
        )
        summary = result.metadata()
        target = bulk_anchor_target(datasets.path, datasets.dataset)
        if target is not None:
            # Sessions are opened for the days' dataset: its trust pin covers the bulk dataset.
            records = anchor_if_pending(
                datasets.path,
                target,
                lambda: chain.session(datasets.dataset),
                state_dir=datasets.state_path,
                pin=chain.known_pin(),
            )
            record = records[0] if records else (read_anchor_record(target.receipt) or {})
            summary["anchor_status"] = str(record.get("status", ""))
            summary["anchor_seq"] = record.get("seq") or ""
            if record.get("status") != ANCHORED:
                context.log.warning(f"bulk files: anchor pending ({record.get('reason')})")
        metadata = {key: MetadataValue.text(str(value)) for key, value in summary.items()}
        if target is not None:
            metadata["anchor_key"] = MetadataValue.text(target.anchor_key_hex)
        # The portal, catalogues and feed list the new bulk files, then the storage gets them.
        refresh_site(
            datasets.path,
            datasets.dataset,
            datasets.identity(),
            lang=datasets.language,
            profile=datasets.profile_name,
            synthetic=bool(
                target is not None and load_manifest(target.manifest).data.get("synthetic")
            ),
        )
        datasets.publish_to_storage()
    context.log.info(
        "bulk files: rebuilt %s, reused %d", ", ".join(result.rebuilt) or "none", len(result.reused)
    )
    return Output(summary, metadata=metadata)


BULK_ASSETS = [bulk_files]

publish_bulk_job = define_asset_job(
    "publicar_archivos_masivos",
    selection=AssetSelection.assets(bulk_files),
    description="Bring the bulk files (month, year, full history) and indicators up to date.",
)


@sensor(job=publish_bulk_job, minimum_interval_seconds=300)
def bulk_after_days(
    context: SensorEvaluationContext, datasets: DatasetsResource
) -> RunRequest | SkipReason:
    """Request the bulk files once no daily run is pending and the published days changed."""
    pending = context.instance.get_runs(
        filters=RunsFilter(job_name=DAY_JOB, statuses=PENDING), limit=1
    )
    if pending:
        return SkipReason("daily runs still pending: the bulk files wait for the last one")
    index = datasets.path / INDEX_FILE
    if not index.is_file():
        return SkipReason("no published day yet")
    digest = sha256_file(index)[0]
    if context.cursor == digest:
        return SkipReason("the published days did not change")
    context.update_cursor(digest)
    return RunRequest(run_key=f"bulk:{digest[:16]}")
