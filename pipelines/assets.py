"""Daily assets: extract → quality gate → OCDS releases → published day → anchored day.

Asset bodies only call plain functions from ``publication``; blocking checks stop the
rest of the run, and every step also refuses to go on from an upstream result whose
gate failed, so a later run of a single asset (a retry, a backfill, a schedule) cannot
publish or anchor a day that failed a blocking check.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import datetime as dt
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from pipelines.checks import asset_checks
from pipelines.partitions import daily_partitions
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication import steps
from publication.anchoring import anchor_with
from publication.batch import DayJob
from publication.site import refresh_site
from publication.writer import read_anchor_record

EXTRACT_CHECKS = asset_checks(
    "source_orders",
    [
        (
            "source_files_readable",
            True,
            "Every monthly file of the day's month can be read as a whole.",
        ),
        (
            "source_files_expected_format",
            True,
            "Fewer than half the rows of each monthly file fail the row rules "
            "(otherwise the file is probably not in the expected format).",
        ),
    ],
    "source_warnings",
)
QUALITY_CHECKS = asset_checks(
    "quality_checked_orders",
    [
        ("rows_reconcile", True, "Source rows = rows passed + rows quarantined."),
        *steps.table_check_specs(),
    ],
    "quality_warnings",
)
RELEASE_CHECKS = asset_checks(
    "ocds_releases",
    [
        (
            "releases_schema_valid",
            True,
            "Every release validates against the patched OCDS 1.1.5 schema.",
        ),
        *steps.release_check_specs(),
        *steps.detail_check_specs(),
    ],
    "release_warnings",
)
PUBLISH_CHECKS = asset_checks(
    "published_day",
    [
        (
            "files_match_manifest",
            True,
            "Every published file matches the manifest's SHA-256, size and Merkle root.",
        ),
        (
            "anchored_day_unchanged",
            False,
            "An already anchored day still matches the current sources.",
        ),
    ],
    "publish_warnings",
)
DAY_CHECKS = (EXTRACT_CHECKS, QUALITY_CHECKS, RELEASE_CHECKS, PUBLISH_CHECKS)


def _day(context: AssetExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


@asset(
    partitions_def=daily_partitions,
    check_specs=EXTRACT_CHECKS.specs,
    group_name="extract",
    kinds={"csv"},
)
def source_orders(
    context: AssetExecutionContext, source: SourceResource, datasets: DatasetsResource
) -> Iterator[Output | AssetCheckResult]:
    """Source rows of the day read from the monthly ReportePCBienes files."""
    day = _day(context)
    files = source.available_files(day)
    extracted = datasets.day_job().extract(files, day, synthetic=source.synthetic)
    yield Output(extracted, metadata=extracted.metadata())
    yield from EXTRACT_CHECKS.results(extracted.checks, extracted.lang)


@asset(
    partitions_def=daily_partitions,
    check_specs=QUALITY_CHECKS.specs,
    group_name="validate",
    kinds={"pandas"},
)
def quality_checked_orders(
    context: AssetExecutionContext, source_orders: steps.Extracted
) -> Iterator[Output | AssetCheckResult]:
    """Rows that pass every row-level rule; the rest quarantined with file, line and rule."""
    assert source_orders.day == _day(context)
    checked = DayJob.check(source_orders)
    yield Output(checked, metadata=checked.metadata())
    skipped = steps.not_evaluated_reasons(checked.not_evaluated, checked.lang)
    yield from QUALITY_CHECKS.results(checked.checks, checked.lang, skipped)


@asset(
    partitions_def=daily_partitions,
    check_specs=RELEASE_CHECKS.specs,
    group_name="map",
    kinds={"json"},
)
def ocds_releases(
    context: AssetExecutionContext,
    quality_checked_orders: steps.Checked,
    source: SourceResource,
    datasets: DatasetsResource,
) -> Iterator[Output | AssetCheckResult]:
    """OCDS 1.1.5 releases of the day with items, deliveries and bids, schema-validated."""
    mapped = datasets.day_job().map(quality_checked_orders, source.companion_files(_day(context)))
    yield Output(mapped, metadata=mapped.metadata())
    lang = quality_checked_orders.lang
    skipped = steps.not_evaluated_reasons(mapped.not_evaluated, lang)
    yield from RELEASE_CHECKS.results(mapped.checks, lang, skipped)


@asset(
    partitions_def=daily_partitions,
    check_specs=PUBLISH_CHECKS.specs,
    group_name="publish",
    kinds={"parquet", "json"},
)
def published_day(
    context: AssetExecutionContext, ocds_releases: steps.Mapped, datasets: DatasetsResource
) -> Iterator[Output | AssetCheckResult]:
    """The day's open-data files, manifest and SHA256SUMS, swapped into place atomically."""
    assert ocds_releases.day == _day(context)
    with datasets.writing():
        published = datasets.day_job().publish(ocds_releases)
        stored = datasets.publish_to_storage() if published.gate_passed else None
    metadata = published.metadata()
    if stored is not None:
        metadata["storage"] = {"folders": stored.folders, "files": len(stored.files)}
    yield Output(published, metadata=metadata)
    yield from PUBLISH_CHECKS.results(published.checks, datasets.language)


@asset(partitions_def=daily_partitions, group_name="anchor", kinds={"ethereum"})
def anchored_day(
    context: AssetExecutionContext,
    published_day: steps.Published,
    datasets: DatasetsResource,
    chain: ChainResource,
) -> Output[dict]:
    """SHA-256 of the day's manifest in the PublicationLog registry (through the anchor
    journal); if the chain cannot be reached the day stays published, marked ``pendiente``."""
    if not published_day.gate_passed:
        raise Failure(f"{context.partition_key}: blocked by " + "; ".join(published_day.failures))
    day = _day(context)
    with datasets.writing():
        records = anchor_with(
            datasets.path,
            datasets.dataset,
            [day],
            lambda: chain.session(datasets.dataset),
            state_dir=datasets.state_path,
            pin=chain.known_pin(),
        )
        receipt = DayLayout(datasets.path, datasets.dataset, day).anchor
        record = records[0] if records else (read_anchor_record(receipt) or {})
        if record.get("status") != "anclado":
            context.log.warning(f"{day}: anchor pending ({record.get('reason')})")
        # The anchor shows in the catalogues, feed and pages, then reaches the storage.
        manifest = load_manifest(DayLayout(datasets.path, datasets.dataset, day).manifest)
        refresh_site(
            datasets.path,
            datasets.dataset,
            datasets.identity(),
            lang=datasets.language,
            profile=datasets.profile_name,
            synthetic=bool(manifest.data.get("synthetic")),
        )
        datasets.publish_to_storage()
    return Output(record, metadata={k: MetadataValue.text(str(v)) for k, v in record.items()})
