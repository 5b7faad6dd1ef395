"""Daily assets: extract → quality gate → OCDS releases → published day → anchored day.

The five assets are one ``@multi_asset`` (``daily_steps``): a day must go through every step
before the next day starts (a day's extraction and mapping read what earlier days recorded in
the status store), so a run over many days cannot run each step over all of them in turn.

- One partition (the schedule, the sensor, ``publicar run``, a retry): the steps run in order,
  each yielding its asset's output, metadata and checks, as five assets did. A blocking check
  that fails stops the day there and fails the run; every step also refuses to go on from a
  result whose gate failed. A subset runs the steps up to the last one selected (the earlier,
  unselected ones in memory, not materialised).
- A range of partitions (a backfill from the Dagster UI, ``backfill_days_per_run`` days per run
  by the assets' backfill policy): the days go through the batch path of ``publicar backfill``
  (``pipelines.ranges``): in date order, days already anchored skipped, each month's days
  anchored together. Each day's materialisations are recorded with the day's metadata as it
  completes; each check reports once for the range (failed on which days). The first day whose
  gate closes stops the run, which fails naming it; the days before it stay published and
  anchored, and running the range again resumes.

Asset bodies only call plain functions from ``publication`` and ``pipelines.ranges``.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyarrow as pa
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from messages import text
from pipelines.checks import AssetChecks, asset_checks
from pipelines.partitions import daily_partitions
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication import steps
from publication.ahead import CompanionsAhead
from publication.anchoring import ChainSession, anchor_with
from publication.batch import DayJob, DayRun
from publication.site import clear_site_pending, mark_site_pending, refresh_site
from publication.state import store_path
from publication.writer import read_anchor_record
from settings import DEFAULT_BACKFILL_DAYS_PER_RUN

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


SOURCE_ORDERS = AssetKey("source_orders")
QUALITY_CHECKED_ORDERS = AssetKey("quality_checked_orders")
OCDS_RELEASES = AssetKey("ocds_releases")
PUBLISHED_DAY = AssetKey("published_day")
ANCHORED_DAY = AssetKey("anchored_day")
# The steps of a day, in the order they run.
DAY_KEYS = (SOURCE_ORDERS, QUALITY_CHECKED_ORDERS, OCDS_RELEASES, PUBLISHED_DAY, ANCHORED_DAY)
CHECKS_BY_KEY: Mapping[AssetKey, AssetChecks] = {
    SOURCE_ORDERS: EXTRACT_CHECKS,
    QUALITY_CHECKED_ORDERS: QUALITY_CHECKS,
    OCDS_RELEASES: RELEASE_CHECKS,
    PUBLISHED_DAY: PUBLISH_CHECKS,
}
DAY_SPECS = [
    AssetSpec(
        SOURCE_ORDERS,
        description="Source rows of the day read from the monthly ReportePCBienes files.",
        group_name="extract",
        kinds={"csv"},
        skippable=True,
    ),
    AssetSpec(
        QUALITY_CHECKED_ORDERS,
        deps=[SOURCE_ORDERS],
        description="Rows that pass every row-level rule; the rest quarantined with file, line "
        "and rule.",
        group_name="validate",
        kinds={"pandas"},
        skippable=True,
    ),
    AssetSpec(
        OCDS_RELEASES,
        deps=[QUALITY_CHECKED_ORDERS],
        description="OCDS 1.1.5 releases of the day with items, deliveries and bids, "
        "schema-validated.",
        group_name="map",
        kinds={"json"},
        skippable=True,
    ),
    AssetSpec(
        PUBLISHED_DAY,
        deps=[OCDS_RELEASES],
        description="The day's open-data files, manifest and SHA256SUMS, swapped into place "
        "atomically.",
        group_name="publish",
        kinds={"parquet", "json"},
        skippable=True,
    ),
    AssetSpec(
        ANCHORED_DAY,
        deps=[PUBLISHED_DAY],
        description="SHA-256 of the day's manifest in the PublicationLog registry (through the "
        "anchor journal); if the chain cannot be reached the day stays published, marked "
        "``pendiente``.",
        group_name="anchor",
        kinds={"ethereum"},
        skippable=True,
    ),
]


@multi_asset(
    name="daily_steps",
    specs=DAY_SPECS,
    check_specs=[spec for checks in DAY_CHECKS for spec in checks.specs],
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.multi_run(DEFAULT_BACKFILL_DAYS_PER_RUN),
    can_subset=True,
)
def daily_steps(
    context: AssetExecutionContext,
    source: SourceResource,
    datasets: DatasetsResource,
    chain: ChainResource,
) -> Iterator[MaterializeResult | AssetCheckResult | AssetMaterialization]:
    """Extract, check, map, publish and anchor one day, or a range of days in date order
    through the batch path of ``publicar backfill``."""
    if context.has_partition_key:
        yield from _one_day(context, source, datasets, chain)
    else:
        yield from _day_range(context, source, datasets, chain)


def _one_day(
    context: AssetExecutionContext,
    source: SourceResource,
    datasets: DatasetsResource,
    chain: ChainResource,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Every step of the partition's day up to the last selected one, in order."""
    day = dt.date.fromisoformat(context.partition_key)
    # The last step wanted: a selected asset, or the asset of a selected check.
    wanted = {
        *context.selected_asset_keys,
        *(k.asset_key for k in context.selected_asset_check_keys),
    }
    last = max(DAY_KEYS.index(key) for key in wanted)
    with contextlib.ExitStack() as stack:
        sessions: Callable[[], AbstractContextManager[ChainSession]] = functools.partial(
            chain.session, datasets.dataset
        )
        if last == 4 and datasets.lock_held():
            # The embedded chain boots while the day is prepared (only under the root's lock,
            # which serialises anvils on one state: ``publicar run`` holds it throughout).
            sessions = stack.enter_context(chain.launched(datasets.dataset))
        yield from _day_steps(context, day, last, source, datasets, chain, sessions)


def _day_steps(
    context: AssetExecutionContext,
    day: dt.date,
    last: int,
    source: SourceResource,
    datasets: DatasetsResource,
    chain: ChainResource,
    sessions: Callable[[], AbstractContextManager[ChainSession]],
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """The day's steps up to ``last`` (an index of ``DAY_KEYS``), anchoring through
    ``sessions``."""
    job = datasets.day_job()
    step = _Step(context)

    files = source.available_files(day)
    companions = source.companion_files(day)
    # The month's detailed export (and quotations) parsed by a worker process on the other core
    # while the day's orders are read and checked; the mapping waits for it (on a day after the
    # first of its month, only for its own orders' lines, which the worker parses first), then
    # reads the cache. Stopped when the block ends, however it ends.
    with job.companions_ahead(companions if last >= 2 else {}) as ahead:
        ahead.start()
        extracted = job.extract(files, day, synthetic=source.synthetic)
        yield from step.output(SOURCE_ORDERS, extracted.metadata())
        yield from step.checks(EXTRACT_CHECKS.results(extracted.checks, extracted.lang))
        if last == 0 or not extracted.gate_passed:
            step.stop(day, extracted.failures)
            return

        checked = DayJob.check(extracted)
        yield from step.output(QUALITY_CHECKED_ORDERS, checked.metadata())
        skipped = steps.not_evaluated_reasons(checked.not_evaluated, checked.lang)
        yield from step.checks(QUALITY_CHECKS.results(checked.checks, checked.lang, skipped))
        if last == 1 or not checked.gate_passed:
            step.stop(day, checked.failures)
            return

        ready = functools.partial(_companions_ready, context, ahead, day, checked.lang)
        mapped = job.map(checked, companions, details_ready=ready)
    yield from step.output(OCDS_RELEASES, mapped.metadata())
    skipped = steps.not_evaluated_reasons(mapped.not_evaluated, checked.lang)
    yield from step.checks(RELEASE_CHECKS.results(mapped.checks, checked.lang, skipped))
    if last == 2 or not mapped.gate_passed:
        step.stop(day, mapped.failures)
        return

    # With the anchor to follow, the site is refreshed once, after it (as a backfill does);
    # marked pending first, so that a run killed in between leaves the refresh to the next.
    deferred = last == 4
    with datasets.writing():
        if deferred:
            mark_site_pending(_state_dir(datasets), synthetic=checked.synthetic)
        published = job.publish(mapped, refresh_site=not deferred)
        if deferred and not published.gate_passed:
            _refresh_site(datasets, synthetic=checked.synthetic, upload=False)
        stored = datasets.publish_to_storage() if published.gate_passed else None
    metadata = published.metadata()
    if stored is not None:
        metadata["storage"] = {"folders": stored.folders, "files": len(stored.files)}
    yield from step.output(PUBLISHED_DAY, metadata)
    yield from step.checks(PUBLISH_CHECKS.results(published.checks, datasets.language))
    if last == 3 or not published.gate_passed:
        step.stop(day, published.failures)
        return

    record = _anchor_one(context, day, datasets, chain, sessions)
    yield from step.output(ANCHORED_DAY, _record_metadata(record))


def _companions_ready(
    context: AssetExecutionContext,
    ahead: CompanionsAhead,
    day: dt.date,
    lang: str,
    order_numbers: pa.Array,
) -> None:
    """Wait for the worker parsing the companion files ahead, or only for the lines of the
    day's ``order_numbers`` when it parses them first (``CompanionsAhead.wait``); if it failed,
    say so (the mapping parses what it left uncached, and reports a bad file as without it)."""
    problem = ahead.wait(order_numbers, day)
    if problem is not None:
        context.log.warning(text("run.companions_ahead_failed", lang, day=day, problem=problem))


def _anchor_one(
    context: AssetExecutionContext,
    day: dt.date,
    datasets: DatasetsResource,
    chain: ChainResource,
    sessions: Callable[[], AbstractContextManager[ChainSession]],
) -> dict[str, Any]:
    """Anchor one published day through the journal (``pendiente`` if the chain cannot be
    reached), then refresh the site (the anchor shows in feed, catalogues and pages) and upload.
    The refresh is recorded as pending first: a backfill skips the anchored day, and does it."""
    with datasets.writing():
        layout = DayLayout(datasets.path, datasets.dataset, day)
        synthetic = bool(load_manifest(layout.manifest).data.get("synthetic"))
        mark_site_pending(_state_dir(datasets), synthetic=synthetic)
        records = anchor_with(
            datasets.path,
            datasets.dataset,
            [day],
            sessions,
            state_dir=datasets.state_path,
            pin=chain.known_pin(),
            pages=False,  # _refresh_site below writes them
        )
        record = records[0] if records else (read_anchor_record(layout.anchor) or {})
        if record.get("status") != "anclado":
            context.log.warning(f"{day}: anchor pending ({record.get('reason')})")
        _refresh_site(datasets, synthetic=synthetic)
    return record


def _state_dir(datasets: DatasetsResource) -> Path:
    """The folder of the status store (and of the site's pending mark)."""
    return store_path(datasets.path, datasets.state_path).parent


def _refresh_site(datasets: DatasetsResource, *, synthetic: bool, upload: bool = True) -> None:
    """Refresh the site at the root and (``upload``) the storage, then clear the pending
    mark."""
    refresh_site(
        datasets.path,
        datasets.dataset,
        datasets.identity(),
        lang=datasets.language,
        profile=datasets.profile_name,
        synthetic=synthetic,
    )
    if upload:
        datasets.publish_to_storage()
    clear_site_pending(_state_dir(datasets))


class _Step:
    """What one partition's run yields: only the selected outputs and checks; and whether a
    failed blocking check was among them (so a closed gate always fails the run)."""

    def __init__(self, context: AssetExecutionContext) -> None:
        self.selected = context.selected_asset_keys
        self.selected_checks = context.selected_asset_check_keys
        self.blocked = False

    def output(self, key: AssetKey, metadata: Mapping[str, Any]) -> Iterator[MaterializeResult]:
        # No value: the steps hand their results on in memory, nothing goes to an IO manager.
        if key in self.selected:
            yield MaterializeResult(asset_key=key, metadata=dict(metadata))

    def checks(self, results: Iterable[AssetCheckResult]) -> Iterator[AssetCheckResult]:
        for result in results:
            assert result.asset_key is not None and result.check_name is not None
            if AssetCheckKey(result.asset_key, result.check_name) in self.selected_checks:
                self.blocked |= not result.passed and result.severity == AssetCheckSeverity.ERROR
                yield result

    def stop(self, day: dt.date, failures: tuple[str, ...]) -> None:
        """End the day; a closed gate whose failing check was not selected still fails it."""
        if failures and not self.blocked:
            raise Failure(f"{day}: blocked by " + "; ".join(failures))


def _record_metadata(record: Mapping[str, Any]) -> dict[str, MetadataValue]:
    return {key: MetadataValue.text(str(value)) for key, value in record.items()}


def _day_range(
    context: AssetExecutionContext,
    source: SourceResource,
    datasets: DatasetsResource,
    chain: ChainResource,
) -> Iterator[AssetCheckResult | AssetMaterialization]:
    """The range's days through ``pipelines.ranges`` (the batch path of ``publicar backfill``),
    in date order, month by month; stops at the first failed day with a ``Failure`` naming it."""
    from integrity.chain import AnchorConflict
    from pipelines.ranges import DayDone, DayFailed, DaysAnchored, DaySkipped, RangeRun, months

    lang = datasets.language
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    if set(context.selected_asset_keys) != set(DAY_KEYS):
        raise Failure(
            text(
                "range.whole_days_only",
                lang,
                first=days[0],
                last=days[-1],
                selected=", ".join(k.to_user_string() for k in sorted(context.selected_asset_keys)),
            )
        )
    checks = _RangeChecks(context.selected_asset_check_keys)
    failed: DayRun | None = None
    conflict: AnchorConflict | None = None
    context.log.info(f"{days[0]} → {days[-1]}: {len(days)} day(s) through the batch path")
    with (
        datasets.writing(),
        RangeRun(source, datasets, chain) as batch,
    ):
        try:
            for month in months(days):
                for event in batch.month(month):
                    if isinstance(event, DaySkipped):
                        yield from _resumed(datasets, event.day, lang)
                    elif isinstance(event, DayDone | DayFailed):
                        yield from _day_materializations(event.run, checks, datasets.language)
                        if isinstance(event, DayFailed):
                            failed = event.run
                    elif isinstance(event, DaysAnchored):
                        yield from _anchored(context, datasets, event.days)
                if failed is not None:
                    break
        except AnchorConflict as error:
            conflict = error
    yield from checks.results(len(days), lang)
    if conflict is not None:
        raise Failure(text("range.conflict", lang, error=conflict))
    if failed is not None:
        raise Failure(
            text(
                "range.failed",
                lang,
                day=failed.day,
                reasons="; ".join(failed.failures),
                first=days[0],
                last=days[-1],
            )
        )


def _day_materializations(
    run: DayRun, checks: "_RangeChecks", lang: str
) -> Iterator[AssetMaterialization]:
    """A day's materialisations (the steps it reached) with their metadata; its checks are
    kept for the range's results."""
    key = run.day.isoformat()
    extracted = run.extracted
    yield AssetMaterialization(SOURCE_ORDERS, partition=key, metadata=extracted.metadata())
    checks.add(run.day, EXTRACT_CHECKS.results(extracted.checks, extracted.lang))
    checked = run.checked
    if checked is None:
        return
    yield AssetMaterialization(QUALITY_CHECKED_ORDERS, partition=key, metadata=checked.metadata())
    skipped = steps.not_evaluated_reasons(checked.not_evaluated, checked.lang)
    checks.add(run.day, QUALITY_CHECKS.results(checked.checks, checked.lang, skipped))
    mapped = run.mapped
    if mapped is None:
        return
    yield AssetMaterialization(OCDS_RELEASES, partition=key, metadata=mapped.metadata())
    skipped = steps.not_evaluated_reasons(mapped.not_evaluated, checked.lang)
    checks.add(run.day, RELEASE_CHECKS.results(mapped.checks, checked.lang, skipped))
    published = run.published
    if published is None:
        return
    yield AssetMaterialization(PUBLISHED_DAY, partition=key, metadata=published.metadata())
    checks.add(run.day, PUBLISH_CHECKS.results(published.checks, lang))


def _anchored(
    context: AssetExecutionContext, datasets: DatasetsResource, days: list[dt.date]
) -> Iterator[AssetMaterialization]:
    """Each anchored day's materialisation, with its receipt (``anclado`` or ``pendiente``)."""
    for day in days:
        record = read_anchor_record(DayLayout(datasets.path, datasets.dataset, day).anchor) or {}
        if record.get("status") != "anclado":
            context.log.warning(f"{day}: anchor pending ({record.get('reason')})")
        yield AssetMaterialization(
            ANCHORED_DAY, partition=day.isoformat(), metadata=_record_metadata(record)
        )


def _resumed(datasets: DatasetsResource, day: dt.date, lang: str) -> Iterator[AssetMaterialization]:
    """A day already published and finally anchored with its current manifest, not run again:
    its partitions are up to date (the receipt on the anchored day)."""
    note = {"resumed": MetadataValue.text(text("range.resumed", lang))}
    for key in DAY_KEYS[:-1]:
        yield AssetMaterialization(key, partition=day.isoformat(), metadata=note)
    record = read_anchor_record(DayLayout(datasets.path, datasets.dataset, day).anchor) or {}
    yield AssetMaterialization(
        ANCHORED_DAY, partition=day.isoformat(), metadata={**note, **_record_metadata(record)}
    )


class _RangeChecks:
    """Each check's outcomes over a range's days, reported once for the range."""

    def __init__(self, selected: Iterable[AssetCheckKey]) -> None:
        self.selected = set(selected)
        self.outcomes: dict[AssetCheckKey, list[tuple[dt.date, AssetCheckResult]]] = {}

    def add(self, day: dt.date, results: Iterable[AssetCheckResult]) -> None:
        for result in results:
            assert result.asset_key is not None and result.check_name is not None
            key = AssetCheckKey(result.asset_key, result.check_name)
            if key in self.selected:
                self.outcomes.setdefault(key, []).append((day, result))

    def results(self, days: int, lang: str) -> Iterator[AssetCheckResult]:
        """One result per check evaluated on some day: failed when it failed on any day
        (ERROR if a blocking failure), naming the days and what it found."""
        for key, outcomes in self.outcomes.items():
            failed = [(day, result) for day, result in outcomes if not result.passed]
            blocking = any(r.severity == AssetCheckSeverity.ERROR for _, r in failed)
            shown = "; ".join(f"{day}: {(r.description or '').strip()}" for day, r in failed[:5])
            yield AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=not failed,
                severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
                description=(
                    text("range.check_failed", lang, failed=len(failed), days=len(outcomes))
                    + f" {shown}"
                    if failed
                    else text("range.check_passed", lang, days=len(outcomes))
                ),
                metadata={
                    "days_evaluated": len(outcomes),
                    "days_in_range": days,
                    "failed_days": [day.isoformat() for day, _ in failed],
                },
            )
