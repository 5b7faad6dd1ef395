"""End-to-end spine through the real Dagster assets, a real anvil and the published files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from dagster import materialize

from integrity.keys import anchor_key
from integrity.devchain import DevChain
from integrity.layout import DayLayout
from pipelines.definitions import ALL_ASSETS, defs
from pipelines.resources import ChainResource, DatasetsResource, SourceResource

DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1)]


def test_definitions_load_with_assets_checks_job_schedule_and_sensor() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {
        "source_orders",
        "quality_checked_orders",
        "ocds_releases",
        "published_day",
        "anchored_day",
    }
    check_names = {key.name for key in graph.asset_check_keys}
    assert {"source_files_readable", "rows_reconcile", "releases_schema_valid"} <= check_names
    assert defs.resolve_job_def("publicar_dia").partitions_def is not None
    assert defs.resolve_schedule_def("publicar_dia_schedule") is not None
    assert defs.resolve_sensor_def("new_source_files") is not None


def _resources(tmp: Path) -> dict[str, object]:
    return {
        "source": SourceResource(
            kind="synthetic", directory=str(tmp / "source"), orders_per_month=900
        ),
        "datasets": DatasetsResource(root=str(tmp / "datasets")),
        "chain": ChainResource(mode="devchain", state_dir=str(tmp / "devchain")),
    }


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days (across a month boundary) published and anchored on a real anvil."""
    tmp = tmp_path_factory.mktemp("e2e")
    for day in DAYS:
        result = materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=_resources(tmp))
        assert result.success
    return tmp


@pytest.mark.chain
def test_each_day_is_published_anchored_and_chained(published: Path) -> None:
    root = published / "datasets"
    with DevChain(published / "devchain") as chain:
        client = chain.client(read_only=True)
        assert client.count() == len(DAYS)
        previous = bytes(32)
        for day in DAYS:
            layout = DayLayout(root, "perucompras-ocam", day)
            anchor = client.get_anchor(anchor_key("perucompras-ocam", day))
            assert anchor is not None
            assert anchor.digest.hex() == hashlib.sha256(layout.manifest.read_bytes()).hexdigest()
            assert anchor.previous == previous
            previous = anchor_key("perucompras-ocam", day)


@pytest.mark.chain
def test_rerun_is_byte_identical_and_sends_no_transaction(published: Path) -> None:
    root = published / "datasets"
    day = DAYS[1]
    folder = DayLayout(root, "perucompras-ocam", day).folder
    before = _digests(folder)
    with DevChain(published / "devchain") as chain:
        block_before = chain.web3().eth.block_number
    result = materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=_resources(published))
    assert result.success
    assert result.output_for_node("anchored_day")["alreadyAnchored"] is True
    assert result.output_for_node("published_day").unchanged is True
    assert _digests(folder) == before
    with DevChain(published / "devchain") as chain:
        assert chain.web3().eth.block_number == block_before


@pytest.mark.chain
def test_every_source_row_is_published_or_quarantined(published: Path) -> None:
    import pyarrow.parquet as pq

    from integrity.manifest import load_manifest

    for day in DAYS:
        layout = DayLayout(published / "datasets", "perucompras-ocam", day)
        counts = load_manifest(layout.manifest).data["counts"]
        orders = pq.read_table(layout.path("orders.parquet"))
        quarantine = pq.read_table(layout.path("quarantine.parquet"))
        assert counts["sourceRows"] == orders.num_rows + quarantine.num_rows
        assert counts["releases"] == orders.num_rows
        assert counts["sourceRows"] > 0
