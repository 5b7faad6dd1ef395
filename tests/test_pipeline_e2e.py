"""End-to-end spine through the real Dagster assets, a real anvil and the published files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import orjson
import pytest
from dagster import materialize

from integrity.devchain import DevChain
from integrity.layout import DayLayout
from messages import text as message
from pipelines.cli.run import materialized
from pipelines.definitions import ALL_ASSETS, defs
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from publication.site import pending_site_refresh
from publication.state import store_path

DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1)]
# 12, 3 and 2 orders on those days (a Friday, then a weekend): the spine is the subject, not the
# volume; the monthly companions (an XLSX export, quotations) are generated at this size too.
ORDERS_PER_MONTH = 300


def test_definitions_load_with_assets_checks_job_schedule_and_sensor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_DATASETS_ROOT", str(tmp_path / "publicados"))
    loaded = defs()  # the settings are read here, when Dagster loads the code location
    assert loaded.resources is not None
    assert loaded.resources["datasets"].root == str(tmp_path / "publicados")
    graph = loaded.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {
        "source_orders",
        "quality_checked_orders",
        "ocds_releases",
        "published_day",
        "anchored_day",
        "bulk_files",
        "mes_preparado",
    }
    check_names = {key.name for key in graph.asset_check_keys}
    assert {"source_files_readable", "rows_reconcile", "releases_schema_valid"} <= check_names
    # Warning rules are metadata entries of one check per asset, not checks of their own.
    assert {"quality_warnings", "release_warnings", "anchored_day_unchanged"} <= check_names
    assert not {"igv_cents_rate", "ocds_open_codelists"} & check_names
    assert loaded.resolve_job_def("publicar_dia").partitions_def is not None
    assert loaded.resolve_schedule_def("publicar_dia_schedule") is not None
    assert loaded.resolve_sensor_def("new_source_files") is not None
    assert loaded.resolve_job_def("publicar_archivos_masivos").partitions_def is None
    assert loaded.resolve_sensor_def("bulk_after_days") is not None
    assert loaded.resolve_sensor_def("pending_anchors") is not None
    assert loaded.resolve_job_def("anclar_pendientes") is not None


def _resources(tmp: Path) -> dict[str, object]:
    return {
        "source": SourceResource(
            kind="synthetic", directory=str(tmp / "source"), orders_per_month=ORDERS_PER_MONTH
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
def test_each_day_is_published_and_anchored_once(published: Path) -> None:
    root = published / "datasets"
    with DevChain(published / "devchain") as chain:
        client = chain.client(read_only=True)
        assert client.dataset_info("perucompras-ocam").entries == len(DAYS)
        for seq, day in enumerate(DAYS, start=1):
            layout = DayLayout(root, "perucompras-ocam", day)
            entries = client.latest_entry("perucompras-ocam", day)
            assert entries.count == 1 and entries.latest is not None
            assert entries.latest.digest == hashlib.sha256(layout.manifest.read_bytes()).digest()
            assert (entries.latest.seq, entries.latest.kind) == (seq, 1)
            record = orjson.loads(layout.anchor.read_bytes())
            assert (record["status"], record["seq"], record["devChain"]) == ("anclado", seq, True)
    pin = (published / "devchain" / "trust-pin.json").read_bytes()
    assert (root / "trust.json").read_bytes() == pin  # the copy for humans is the pin used


@pytest.mark.chain
def test_each_day_enters_the_change_feed_once_already_anchored(published: Path) -> None:
    """A day's run refreshes the site once, after the anchor (as a backfill does): no
    ``day.published`` while pending followed by ``day.anchored``, and no refresh left pending."""
    root = published / "datasets"
    items = [
        item
        for page in sorted((root / "cambios").glob("pagina-*.json"))
        for item in orjson.loads(page.read_bytes())["items"]
        if item["type"].startswith("day.")
    ]
    assert [(item["type"], item["day"], item["anchor"]) for item in items] == [
        ("day.published", day.isoformat(), "anchored") for day in DAYS
    ]
    assert pending_site_refresh(store_path(root, None).parent) is None


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
    assert materialized(result, "anchored_day")["status"] == "anclado"
    assert materialized(result, "published_day")["unchanged_rerun"] is True
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
        assert counts["callOffReleases"] == orders.num_rows
        assert counts["releases"] >= counts["callOffReleases"]
        assert counts["sourceRows"] > 0


def _verify(*argv: str) -> tuple[int, str]:
    import io

    from integrity.cli_verificar import run

    out = io.StringIO()
    code = run(list(argv), out)
    return code, out.getvalue()


@pytest.fixture()
def day_copy(published: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the published datasets root (tests tamper with it)."""
    import shutil

    root = tmp_path / "datasets"
    shutil.copytree(published / "datasets", root)
    return root, DayLayout(root, "perucompras-ocam", DAYS[1]).folder


@pytest.mark.chain
def test_untampered_day_verifies_against_the_chain(
    published: Path, day_copy: tuple[Path, Path]
) -> None:
    root, folder = day_copy
    code, text = _verify(
        str(folder), "--datasets", str(root), "--devchain", str(published / "devchain")
    )
    assert code == 0, text
    assert "VERIFICADO" in text
    assert message("synthetic.note", "es") in text.splitlines()  # generated source files


@pytest.mark.chain
@pytest.mark.parametrize(
    "kind",
    [
        "releases.json",
        "releases.jsonl",
        "orders.parquet",
        "orders.csv",
        "quarantine.parquet",
        "quality.json",
        "quality.html",
        "datapackage.json",
    ],
)
def test_flipping_one_byte_of_any_file_is_reported_naming_the_file(
    day_copy: tuple[Path, Path], kind: str
) -> None:
    root, folder = day_copy
    target = folder / f"perucompras-ocam-{DAYS[1].isoformat()}-{kind}"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    for path in (folder, target):
        code, text = _verify(str(path), "--datasets", str(root), "--offline")
        assert code == 1, text
        assert target.name in text
        assert "FALLA" in text


@pytest.mark.chain
def test_deleting_a_jsonl_row_is_reported(day_copy: tuple[Path, Path]) -> None:
    root, folder = day_copy
    target = folder / f"perucompras-ocam-{DAYS[1].isoformat()}-releases.jsonl"
    lines = target.read_bytes().splitlines(keepends=True)
    assert len(lines) >= 3  # a row in the middle goes
    middle = len(lines) // 2
    target.write_bytes(b"".join(lines[:middle] + lines[middle + 1 :]))
    code, text = _verify(str(target), "--datasets", str(root), "--offline", "--lang", "en")
    assert code == 1, text
    assert target.name in text and "FAIL" in text


@pytest.mark.chain
def test_editing_the_manifest_is_caught_by_the_anchor(
    published: Path, day_copy: tuple[Path, Path]
) -> None:
    root, folder = day_copy
    manifest = folder / f"perucompras-ocam-{DAYS[1].isoformat()}-manifest.json"
    manifest.write_bytes(
        manifest.read_bytes().replace(b'"timezone":"America/Lima"', b'"timezone":"America/Bogota"')
    )
    code, text = _verify(
        str(folder), "--datasets", str(root), "--devchain", str(published / "devchain")
    )
    assert code == 1, text
    assert "FALLA" in text and manifest.name in text


@pytest.mark.chain
def test_publicar_proof_of_one_order_verifies_against_the_chain(
    published: Path, tmp_path: Path
) -> None:
    import orjson

    from pipelines.cli import main as publicar

    layout = DayLayout(published / "datasets", "perucompras-ocam", DAYS[0])
    lines = layout.path("releases.jsonl").read_bytes().splitlines()
    first = orjson.loads(next(line for line in lines if b'"contracts"' in line))
    order_number = first["contracts"][0]["id"]
    out = tmp_path / "proof.json"
    assert (
        publicar(["proof", order_number, "--datasets", str(published / "datasets"), "-o", str(out)])
        == 0
    )
    code, text = _verify(
        str(out),
        "--datasets",
        str(published / "datasets"),
        "--devchain",
        str(published / "devchain"),
    )
    assert code == 0, text
    edited = orjson.loads(out.read_bytes())
    edited["line"] = edited["line"].replace('"currency":"PEN"', '"currency":"USD"', 1)
    out.write_bytes(orjson.dumps(edited))
    code, text = _verify(str(out), "--datasets", str(published / "datasets"), "--offline")
    assert code == 1, text
