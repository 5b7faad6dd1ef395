"""Daily assets: extract → quality gate → OCDS releases → published day → anchored day.

Asset bodies only call plain functions from ``publication``; blocking checks stop the
rest of the run, and every step also refuses to go on from an upstream result whose
gate failed, so a later run of a single asset (a retry, a backfill, a schedule) cannot
publish or anchor a day that failed a blocking check.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import datetime as dt
from collections.abc import Iterator, Mapping

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from pipelines.partitions import daily_partitions
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication import steps
from publication.anchoring import anchor_with
from publication.batch import DayJob
from publication.site import refresh_site
from publication.writer import read_anchor_record
from quality.rules import CheckResult

EXTRACT_CHECKS = [
    AssetCheckSpec(
        "source_files_readable",
        asset="source_orders",
        blocking=True,
        description="Every monthly file of the day's month can be read as a whole.",
    ),
    AssetCheckSpec(
        "source_files_expected_format",
        asset="source_orders",
        blocking=True,
        description="Fewer than half the rows of each monthly file fail the row rules "
        "(otherwise the file is probably not in the expected format).",
    ),
]
QUALITY_CHECKS = [
    AssetCheckSpec(
        "rows_reconcile",
        asset="quality_checked_orders",
        blocking=True,
        description="Source rows = rows passed + rows quarantined.",
    ),
    *[
        AssetCheckSpec(name, asset="quality_checked_orders", blocking=blocking, description=text)
        for name, blocking, text in steps.table_check_specs()
    ],
]
RELEASE_CHECKS = [
    AssetCheckSpec(
        "releases_schema_valid",
        asset="ocds_releases",
        blocking=True,
        description="Every release validates against the patched OCDS 1.1.5 schema.",
    ),
    *[
        AssetCheckSpec(name, asset="ocds_releases", blocking=blocking, description=text)
        for name, blocking, text in (*steps.release_check_specs(), *steps.detail_check_specs())
    ],
]
PUBLISH_CHECKS = [
    AssetCheckSpec(
        "files_match_manifest",
        asset="published_day",
        blocking=True,
        description="Every published file matches the manifest's SHA-256, size and Merkle root.",
    ),
    AssetCheckSpec(
        "anchored_day_unchanged",
        asset="published_day",
        blocking=False,
        description="An already anchored day still matches the current sources.",
    ),
]


def _day(context: AssetExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


def _checks(
    outcomes: list[CheckResult],
    specs: list[AssetCheckSpec],
    asset_key: str,
    not_evaluated: Mapping[str, str] | None = None,
) -> Iterator[AssetCheckResult]:
    """A result for every declared check; one the step did not evaluate (no file, no rows
    for its columns, or left out by a setting: ``not_evaluated``, name -> reason) passes with
    a note saying so."""
    produced = set()
    for outcome in outcomes:
        produced.add(outcome.name)
        yield _check(outcome, asset_key)
    reasons = not_evaluated or {}
    for spec in specs:
        if spec.name not in produced:
            yield AssetCheckResult(
                check_name=spec.name,
                asset_key=asset_key,
                passed=True,
                severity=AssetCheckSeverity.WARN,
                description=reasons.get(spec.name, "not evaluated for this day (nothing to check)"),
            )


def _check(result: CheckResult, asset_key: str) -> AssetCheckResult:
    blocking = result.severity == "block"
    return AssetCheckResult(
        check_name=result.name,
        asset_key=asset_key,
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        description=result.message,
        metadata={key: MetadataValue.text(str(value)) for key, value in result.details.items()},
    )


@asset(
    partitions_def=daily_partitions,
    check_specs=EXTRACT_CHECKS,
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
    yield from _checks(extracted.checks, EXTRACT_CHECKS, "source_orders")


@asset(
    partitions_def=daily_partitions,
    check_specs=QUALITY_CHECKS,
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
    yield from _checks(checked.checks, QUALITY_CHECKS, "quality_checked_orders", skipped)


@asset(
    partitions_def=daily_partitions,
    check_specs=RELEASE_CHECKS,
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
    skipped = steps.not_evaluated_reasons(mapped.not_evaluated, quality_checked_orders.lang)
    yield from _checks(mapped.checks, RELEASE_CHECKS, "ocds_releases", skipped)


@asset(
    partitions_def=daily_partitions,
    check_specs=PUBLISH_CHECKS,
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
    yield from _checks(published.checks, PUBLISH_CHECKS, "published_day")


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
