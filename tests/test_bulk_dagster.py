"""The bulk asset in Dagster: materialised on its own after the days, and the sensor that
requests it once the daily runs are done and the published days changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize
from support.bulk_world import IDENTITY, INDICATORS, World
from support.chain_helpers import UnreachableChain

from pipelines.bulk import BULK_ASSETS, bulk_after_days
from pipelines.resources import BulkResource, DatasetsResource, build_resources
from settings import Bulk, Indicators, load_settings


def _copy(world: World, tmp: Path) -> Path:
    root = tmp / "datasets"
    shutil.copytree(world.root, root, copy_function=os.link)
    return root


def test_the_bulk_asset_brings_the_files_up_to_date_and_reruns_change_nothing(
    bulk_world: World, tmp_path: Path
) -> None:
    root = _copy(bulk_world, tmp_path)
    resources = {
        # The identity the world was built with: the data package carries its base URL.
        "datasets": DatasetsResource(
            root=str(root), state_dir=str(tmp_path / "state"), base_url=IDENTITY.base_url
        ),
        "bulk": BulkResource(concentration_min_orders=INDICATORS.concentration_min_orders),
        # The chain does not answer: the bulk files are published, their anchor pending
        # (anchoring them on a real chain: test_bulk_anchor).
        "chain": UnreachableChain(state_dir=str(tmp_path / "devchain")),
    }
    result = materialize(BULK_ASSETS, resources=resources)
    assert result.success
    output = result.output_for_node("bulk_files")
    assert output["days"] == 5 and output["newest_day"] == "2026-11-03"
    assert output["anchor_status"] == "pendiente"
    receipt = orjson.loads(
        (
            root / "perucompras-ocam-bulk" / "perucompras-ocam-bulk-2026-11-03-anchor.json"
        ).read_bytes()
    )
    assert (receipt["status"], receipt["dataset"]) == ("pendiente", "perucompras-ocam-bulk")
    # A fresh cache, the same bytes: the copied folder is kept as it was.
    assert output["unchanged_rerun"] is True
    again = materialize(BULK_ASSETS, resources=resources).output_for_node("bulk_files")
    assert again["rebuilt"] == "none" and again["unchanged_rerun"] is True
    materialization = result.asset_materializations_for_node("bulk_files")[0]
    assert len(materialization.metadata["anchor_key"].value) == 64
    # The site lists the bulk files: portal links and a catalogue dataset of their own.
    portal = (root / "index.html").read_text(encoding="utf-8")
    assert 'href="perucompras-ocam-bulk/perucompras-ocam-latest-month-orders.csv"' in portal
    catalogue = orjson.loads((root / "data.json").read_bytes())
    identifiers = {dataset["identifier"] for dataset in catalogue["dataset"]}
    assert "perucompras-ocam-masivos" in identifiers, identifiers


def test_the_sensor_waits_for_changes(bulk_world: World, tmp_path: Path) -> None:
    root = _copy(bulk_world, tmp_path)
    datasets = DatasetsResource(root=str(root))
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"datasets": datasets})
        first = bulk_after_days(context)
        assert isinstance(first, RunRequest) and first.run_key
        context = build_sensor_context(
            instance=instance, cursor=context.cursor, resources={"datasets": datasets}
        )
        assert isinstance(bulk_after_days(context), SkipReason)
    empty = DatasetsResource(root=str(tmp_path / "empty"))
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"datasets": empty})
        assert isinstance(bulk_after_days(context), SkipReason)


def test_the_bulk_resource_carries_the_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PERUCOMPRAS_INDICATORS__GRAN_COMPRA_THRESHOLD", "80000.50")
    monkeypatch.setenv("PERUCOMPRAS_BULK__MAX_PART_RELEASES", "1000")
    resource = build_resources(load_settings())["bulk"]
    assert isinstance(resource, BulkResource)
    assert str(resource.indicator_settings().gran_compra_threshold) == "80000.50"
    assert resource.bulk_settings().max_part_releases == 1000
    assert BulkResource().indicator_settings() == Indicators()
    assert BulkResource().bulk_settings() == Bulk()
