"""Pending anchors: the job that anchors them and the sensor that starts it when the chain is back.

A day whose chain was unreachable is published with an ``anchor.json`` that says
``pendiente``; so is the bulk folder built then. Every few minutes ``pending_anchors`` looks
for such days (in ``index.json``'s day folders) and for a bulk manifest not anchored yet and,
if the chain answers and no such run is already going, requests ``anclar_pendientes``, which
anchors the days in date order, several per transaction
(``publication.anchoring.anchor_pending_with``), then the bulk manifest
(``anchor_if_pending``).
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
from dagster import (
    DagsterRunStatus,
    OpExecutionContext,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    job,
    op,
    sensor,
)

from pipelines.resources import ChainResource, DatasetsResource
from publication.anchoring import (
    anchor_if_pending,
    anchor_pending_with,
    pending_days,
    target_pending,
)
from publication.bulk import bulk_anchor_target

JOB_NAME = "anclar_pendientes"
_ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED]


@op
def anchor_pending_days(
    context: OpExecutionContext, datasets: DatasetsResource, chain: ChainResource
) -> list[dict]:
    """Anchor every published day still waiting for its anchor (date order, batches), then
    the bulk manifest if it waits too."""
    with datasets.writing():
        records = anchor_pending_with(
            datasets.path,
            datasets.dataset,
            lambda: chain.session(datasets.dataset),
            state_dir=datasets.state_path,
            pin=chain.known_pin(),
        )
        anchored = [r for r in records if r.get("status") == "anclado"]
        context.log.info(f"{len(anchored)} of {len(records)} pending day(s) anchored")
        bulk = anchor_if_pending(
            datasets.path,
            bulk_anchor_target(datasets.path, datasets.dataset),
            lambda: chain.session(datasets.dataset),
            state_dir=datasets.state_path,
            pin=chain.known_pin(),
        )
    for record in bulk:
        context.log.info(f"bulk files up to {record.get('day')}: {record.get('status')}")
    return records + bulk


@job(name=JOB_NAME, description="Anchor the published days still waiting for their anchor.")
def anchor_pending_job() -> None:
    """One op: ``anchor_pending_days``."""
    anchor_pending_days()


@sensor(job=anchor_pending_job, minimum_interval_seconds=300)
def pending_anchors(
    context: SensorEvaluationContext, datasets: DatasetsResource, chain: ChainResource
) -> RunRequest | SkipReason:
    """Request ``anclar_pendientes`` when days (or the bulk manifest) wait for their anchor
    and the chain answers."""
    days = pending_days(datasets.path, datasets.dataset)
    target = bulk_anchor_target(datasets.path, datasets.dataset)
    bulk = target is not None and target_pending(target)
    if not days and not bulk:
        return SkipReason("no published day waits for its anchor")
    running = context.instance.get_runs(RunsFilter(job_name=JOB_NAME, statuses=_ACTIVE), limit=1)
    if running:
        return SkipReason(f"{JOB_NAME} is already running")
    if not chain.reachable():
        return SkipReason(f"{len(days)} day(s) pending; the chain does not answer yet")
    tags = {"pending_days": f"{days[0]}..{days[-1]} ({len(days)})" if days else "0"}
    if bulk:
        tags["pending_bulk"] = target.day.isoformat() if target is not None else ""
    return RunRequest(tags=tags)
