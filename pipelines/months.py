"""Months prepared ahead in Dagster: ``mes_preparado`` (month partitions) and its job.

A backfill of ``mes_preparado`` over a range of months is one run (``BackfillPolicy.single_run``;
the instance runs one run at a time, see dagster.yaml): a first step makes sure each month's
files are there, one after the other (synthetic months generated, portal files downloaded), then
one step per month fills the month's caches (``publication.prepare.prepare_month``), and the job
``preparar_meses`` runs those steps on Dagster's multiprocess executor, ``prepare_workers`` at a
time. The daily assets do not depend on it: they find the caches warm and skip the parsing.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    AssetsDefinition,
    AssetSelection,
    BackfillPolicy,
    DynamicOut,
    DynamicOutput,
    MonthlyPartitionsDefinition,
    Nothing,
    OpExecutionContext,
    Out,
    define_asset_job,
    graph_asset,
    multiprocess_executor,
    op,
)

from pipelines.partitions import LIMA
from pipelines.resources import DatasetsResource, SourceResource
from publication.prepare import cache_dir, prepare_month
from settings import SOURCE_FIRST_DAY

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

PREPARE_JOB = "preparar_meses"


def monthly_partitions_from(start: dt.date) -> MonthlyPartitionsDefinition:
    """Lima months from ``start``'s month up to the current one."""
    return MonthlyPartitionsDefinition(
        start_date=start.replace(day=1).isoformat(), timezone=LIMA, end_offset=1
    )


@op(out=DynamicOut(str))
def meses_del_rango(
    context: OpExecutionContext, source: SourceResource
) -> Iterator[DynamicOutput[str]]:
    """One output per month of the run, once the month's files are there."""
    for key in context.partition_keys:
        source.monthly_files(dt.date.fromisoformat(key))
        yield DynamicOutput(key, mapping_key=key.replace("-", "_"))


@op
def preparar_mes(
    context: OpExecutionContext, mes: str, source: SourceResource, datasets: DatasetsResource
) -> dict[str, str]:
    """Parse the month's detailed export and quotations into the cache (if not there yet)."""
    prepared = prepare_month(
        Path(source.directory),
        dt.date.fromisoformat(mes),
        cache_dir(datasets.path, datasets.state_path),
        lang=datasets.language,
    )
    files = ", ".join(prepared.files) or "-"
    context.log.info(f"{prepared.month}: {files} ({prepared.seconds:.1f} s)")
    return {"month": prepared.month, "files": files}


@op(out=Out(Nothing))
def meses_listos(context: OpExecutionContext, preparados: list[dict[str, str]]) -> None:
    """What the run prepared, month by month (as metadata: no value is stored, so a run can
    cover many partitions)."""
    ordered = sorted(preparados, key=lambda item: item["month"])
    context.add_output_metadata({item["month"]: item["files"] for item in ordered})


@graph_asset(
    partitions_def=monthly_partitions_from(SOURCE_FIRST_DAY),
    backfill_policy=BackfillPolicy.single_run(),
    group_name="extract",
    kinds={"parquet"},
)
def mes_preparado() -> None:
    """The month's detailed export and quotations parsed into the cache, ahead of its days."""
    return meses_listos(meses_del_rango().map(preparar_mes).collect())


def with_history_start(start: dt.date) -> AssetsDefinition:
    """``mes_preparado`` partitioned from ``start``'s month (the ``history_start`` setting)."""
    partitions = monthly_partitions_from(start)
    return mes_preparado.map_asset_specs(
        lambda spec: spec.replace_attributes(partitions_def=partitions)
    )


def prepare_months_job(workers: int) -> "UnresolvedAssetJobDefinition":
    """The job of ``mes_preparado`` on the multiprocess executor, ``workers`` months at once
    (at least one)."""
    return define_asset_job(
        PREPARE_JOB,
        selection=AssetSelection.assets(mes_preparado),
        executor_def=multiprocess_executor.configured({"max_concurrent": max(1, workers)}),
        description="Parse months' detailed exports and quotations ahead of their days, "
        "in parallel (prepare_workers at a time).",
    )
