"""``mes_preparado`` in Dagster: a run over a range of months fills their caches, and a day
run of ``publicar_dia``'s assets then reads them without parsing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dagster import AssetKey, materialize
from support.prepare_helpers import synthetic_source

from pipelines.definitions import ALL_ASSETS, defs
from pipelines.months import PREPARE_JOB, mes_preparado
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication import details
from publication.prepare import cache_dir

RANGE = {
    "dagster/asset_partition_range_start": "2026-10-01",
    "dagster/asset_partition_range_end": "2026-11-01",
}


def test_a_range_of_months_is_prepared_in_one_run_and_days_read_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = synthetic_source(tmp_path, [dt.date(2026, 10, 1), dt.date(2026, 11, 1)], 60)
    resources = {
        "source": SourceResource(kind="directory", directory=str(source)),
        "datasets": DatasetsResource(
            root=str(tmp_path / "datasets"),
            state_dir=str(tmp_path / "state"),
            gx_cross_check=False,
        ),
    }
    result = materialize([mes_preparado], resources=resources, tags=RANGE)
    assert result.success
    materializations = result.asset_materializations_for_node("mes_preparado")
    assert [m.partition for m in materializations] == ["2026-10-01", "2026-11-01"]
    assert {key: entry.value for key, entry in materializations[0].metadata.items()} == {
        "2026-10": "ReportePCBienes202610.csv, ReportePCDetalle202610.xlsx, Cotizaciones202610.csv",
        "2026-11": "ReportePCBienes202611.csv, ReportePCDetalle202611.xlsx, Cotizaciones202611.csv",
    }
    cache = cache_dir(tmp_path / "datasets", tmp_path / "state")
    assert len([p for p in cache.glob("ReportePCBienes2026*") if p.is_dir()]) == 2
    assert len(list(cache.glob("ReportePCDetalle2026*"))) == 2
    assert len(list(cache.glob("Cotizaciones2026*.rejected.parquet"))) == 2

    def refuse(path: Path, *_: object, **__: object) -> None:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(details, "read_detailed_export_reusing", refuse)
    monkeypatch.setattr(details, "stream_quotations", refuse)
    details._detail_cache.cache_clear()
    details._quotation_table.cache_clear()
    day = materialize(
        ALL_ASSETS,
        selection=[AssetKey("ocds_releases")],
        # anchor not selected: the chain is unused
        resources={**resources, "chain": ChainResource(state_dir=str(tmp_path / "devchain"))},
        partition_key="2026-11-02",
    )
    assert day.success
    [mapped] = [
        m for m in day.get_asset_materialization_events() if m.asset_key.path == ["ocds_releases"]
    ]
    counts = {key: entry.value for key, entry in mapped.materialization.metadata.items()}
    assert counts["releases"] and counts["detailLines"] and counts["quotations"]


def test_the_job_runs_months_on_the_multiprocess_executor() -> None:
    job = defs().resolve_job_def(PREPARE_JOB)
    assert job.executor_def.name == "multiprocess"
    assert [str(key.path[-1]) for key in job.asset_layer.executable_asset_keys] == ["mes_preparado"]
