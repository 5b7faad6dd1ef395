"""The bulk dataset read back in every format: counts and totals agree across formats and with
the latest state of every order (no double counting across days), files are byte-identical
and rebuilt only when an input day changed, and the folder verifies like a day."""

from __future__ import annotations

import csv as csv_module
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.bulk_world import IDENTITY, INDICATORS, World, snapshot

import publication.bulk.build as bulk_build
from integrity.cli_verificar import run as verificar
from integrity.layout import DEFAULT_DATASET, DayLayout
from integrity.manifest import load_manifest
from integrity.verify import verify_day_files
from publication.bulk import build_bulk, bulk_anchor_target
from publication.bulk.formats import BOM
from publication.bulk.layout import name_problems
from publication.dictionary import BULK_TABLES, ORDERS, TIMEZONE
from publication.writer import PublicationError
from settings import Bulk

D = DEFAULT_DATASET
MONTHS = ("2026-10", "2026-11")
VENV_BIN = Path(sys.executable).parent


def month_file(world: World, month: str, kind: str) -> Path:
    return world.bulk / f"{D}-{month}-{kind}"


def period_files(world: World, kind: str) -> dict[str, Path]:
    """The file of one kind for every month, the year and the full history."""
    files = {month: month_file(world, month, kind) for month in MONTHS}
    files["2026"] = world.bulk / f"{D}-2026-{kind}"
    files["full"] = world.bulk / f"{D}-{kind}"
    return files


def day_orders(world: World) -> pa.Table:
    """Every published day's order rows, with their package day (what a naive sum uses)."""
    tables = []
    for day in world.days:
        table = pq.read_table(DayLayout(world.root, D, day).path("orders.parquet"))
        tables.append(table.append_column("day", pa.array([day] * table.num_rows)))
    return pa.concat_tables(tables)


def expected_latest(world: World) -> dict[str, tuple[str, int]]:
    """order_id -> (status, total cents) of its latest state, computed from the day files."""
    latest: dict[str, tuple[str, str, int]] = {}
    for row in day_orders(world).to_pylist():
        key = (row["last_status_at"], row["day"].isoformat())
        current = latest.get(row["order_id"])
        if current is None or key > (current[0], current[1]):
            latest[row["order_id"]] = (row["last_status_at"], row["day"].isoformat(), row)
    return {order: (row["status"], row["total_cents"]) for order, (_, _, row) in latest.items()}


def read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rb") as handle:
        return [orjson.loads(line) for line in handle.read().splitlines()]


def test_latest_state_table_counts_every_order_once_in_its_latest_state(
    bulk_world: World,
) -> None:
    expected = expected_latest(bulk_world)
    con = duckdb.connect()
    full = period_files(bulk_world, "orders.parquet")["full"]
    rows = con.execute(
        f"SELECT order_id, status, total, states, package_date, first_package_date "
        f"FROM read_parquet('{full}')"
    ).fetchall()
    assert len(rows) == len(expected) > 50
    assert {r[0] for r in rows} == set(expected)
    for order_id, status, total, *_ in rows:
        assert (status, int(total * 100)) == expected[order_id]
    naive = day_orders(bulk_world)
    assert naive.num_rows > len(expected), "the fixture must have late states"
    late = {number.rsplit("-", 1)[0]: days for number, days in bulk_world.late.items()}
    assert len(late) == 3
    by_id = {r[0]: r for r in rows}
    for order_id, (first, paid) in late.items():
        _, status, _, states, package, first_package = by_id[order_id]
        assert (status, states, package, first_package) == ("PAGADA", 2, paid, first)
    month_counts = [
        con.execute(f"SELECT count(*) FROM read_parquet('{p}')").fetchone()[0]  # type: ignore[index]
        for p in (month_file(bulk_world, m, "orders.parquet") for m in MONTHS)
    ]
    assert sum(month_counts) == len(expected)


@pytest.mark.parametrize("period", [*MONTHS, "2026", "full"])
def test_counts_and_totals_agree_across_formats(bulk_world: World, period: str) -> None:
    con = duckdb.connect()
    parquet = period_files(bulk_world, "orders.parquet")[period]
    csv = period_files(bulk_world, "orders.csv")[period]
    count, total = con.execute(
        f"SELECT count(*), sum(total) FROM read_parquet('{parquet}')"
    ).fetchone()  # type: ignore[misc]
    csv_count, csv_total = con.execute(
        f"SELECT count(*), sum(CAST(total AS DECIMAL(18, 2))) FROM read_csv('{csv}', "
        "all_varchar = true)"
    ).fetchone()  # type: ignore[misc]
    assert count > 0 and (csv_count, csv_total) == (count, total)
    compiled = read_jsonl_gz(period_files(bulk_world, "compiled-releases.jsonl.gz")[period])
    call_offs = [r for r in compiled if r.get("contracts")]
    assert len(call_offs) == count
    assert sum(Decimal(str(r["contracts"][0]["value"]["amount"])) for r in call_offs) == total
    assert len({r["ocid"] for r in compiled}) == len(compiled)
    if period in MONTHS:
        from openpyxl import load_workbook

        book = load_workbook(bulk_world.bulk / f"{D}-{period}.xlsx", read_only=True)
        assert book.sheetnames == ["ordenes", "productos", "entregas", "diccionario"]
        sheet = book["ordenes"]
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == ORDERS.names
        column = ORDERS.names.index("total")
        assert len(values) - 1 == count
        assert round(sum(Decimal(str(row[column])) for row in values[1:]), 2) == total
        for sheet_name, kind in (("productos", "items"), ("entregas", "deliveries")):
            rows = sum(1 for _ in book[sheet_name].iter_rows()) - 1
            expected = con.execute(
                f"SELECT count(*) FROM read_parquet('{month_file(bulk_world, period, kind + '.parquet')}')"
            ).fetchone()[0]  # type: ignore[index]
            assert rows == expected > 0


def test_releases_files_hold_every_published_release_exactly_once(bulk_world: World) -> None:
    published = Counter()
    for day in bulk_world.days:
        lines = DayLayout(bulk_world.root, D, day).path("releases.jsonl").read_bytes().splitlines()
        published.update(orjson.loads(line)["id"] for line in lines)
    files = period_files(bulk_world, "releases.jsonl.gz")
    for period in ("2026", "full"):
        ids = Counter(r["id"] for r in read_jsonl_gz(files[period]))
        assert ids == published and max(ids.values()) == 1
    by_month = Counter()
    for month in MONTHS:
        releases = read_jsonl_gz(files[month])
        by_month.update(r["id"] for r in releases)
    assert by_month == published
    assert sum(published.values()) == bulk_world.builds["third"].result.counts["releases"]


def test_ocdskit_compiles_the_releases_into_the_published_compiled_releases(
    bulk_world: World, tmp_path: Path
) -> None:
    from ocds_mappings.schema import load_release_schema

    schema = tmp_path / "release-schema.json"
    schema.write_text(json.dumps(load_release_schema(None)))
    releases = gzip.decompress(period_files(bulk_world, "releases.jsonl.gz")["full"].read_bytes())
    packaged = subprocess.run(
        [VENV_BIN / "ocdskit", "package-releases"], input=releases, capture_output=True, check=True
    )
    package = json.loads(packaged.stdout)
    assert len(package["releases"]) == releases.count(b"\n")
    compiled = subprocess.run(
        [VENV_BIN / "ocdskit", "compile", "--schema", str(schema)],
        input=releases,
        capture_output=True,
        check=True,
    )
    theirs = {r["ocid"]: r for r in map(json.loads, compiled.stdout.splitlines())}
    ours = {
        r["ocid"]: r
        for r in read_jsonl_gz(period_files(bulk_world, "compiled-releases.jsonl.gz")["full"])
    }
    assert set(theirs) == set(ours) and len(ours) > 50
    assert theirs == ours


def test_csv_is_utf8_with_bom_and_round_trips_accents(bulk_world: World) -> None:
    csv = period_files(bulk_world, "orders.csv")["full"]
    raw = csv.read_bytes()
    assert raw.startswith(BOM) and not raw.startswith(BOM * 2)
    text = raw.decode("utf-8-sig")
    assert text.startswith('"ocid",')
    names = set(
        pq.read_table(period_files(bulk_world, "orders.parquet")["full"])["buyer_name"].to_pylist()
    )
    accented = sorted(name for name in names if any(ord(ch) > 127 for ch in name))
    assert accented, "the synthetic names must have accents"
    assert any("JAÉN" in name for name in names)
    for name in accented:
        assert f'"{name}"' in text
    assert "JAÃ" not in text
    first_row = next(csv_module.DictReader(io.StringIO(text)))
    formalized = first_row["formalized_at"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", formalized), formalized
    day_csv = DayLayout(bulk_world.root, D, bulk_world.days[0]).path("orders.csv").read_bytes()
    assert day_csv.startswith(BOM)


def test_parquet_has_exact_decimals_real_times_and_described_columns(bulk_world: World) -> None:
    for definition in BULK_TABLES:
        path = period_files(bulk_world, f"{definition.name}.parquet")["full"]
        schema = pq.read_schema(path)
        assert schema.names == definition.names
        for field in schema:
            assert field.metadata and field.metadata[b"description"], (definition.name, field.name)
    schema = pq.read_schema(period_files(bulk_world, "orders.parquet")["full"])
    assert schema.field("total").type == pa.decimal128(18, 2)
    assert schema.field("formalized_at").type == pa.timestamp("ms", tz=TIMEZONE)
    assert schema.field("formalized_date").type == pa.date32()
    assert schema.field("total").metadata[b"unit"] == b"PEN"
    assert schema.metadata[b"table"] == b"orders"


def test_the_bulk_folder_verifies_like_a_day_and_sha256sum_accepts_it(
    bulk_world: World, tmp_path: Path
) -> None:
    result = verify_day_files(bulk_world.bulk)
    assert result.problems() == []
    assert result.checks["integrity"].status.value == "ok"
    assert result.checks["inclusion"].status.value == "ok"
    manifest = load_manifest(next(bulk_world.bulk.glob("*-manifest.json")))
    assert manifest.dataset == f"{D}-bulk" and manifest.data["date"] == "2026-11-03"
    assert manifest.merkle["treeSize"] == len(bulk_world.days)
    sums = next(bulk_world.bulk.glob("*-SHA256SUMS"))
    check = subprocess.run(["sha256sum", "-c", sums.name], cwd=bulk_world.bulk, capture_output=True)
    assert check.returncode == 0, check.stdout.decode()
    listed = set(manifest.files)
    assert all("/" not in name for name in listed)
    assert {p for p in bulk_world.bulk.iterdir() if not p.is_file()} == set()
    on_disk = {p.name for p in bulk_world.bulk.iterdir()}
    assert on_disk - listed == {sums.name, f"{D}-bulk-2026-11-03-manifest.json"}
    copy = tmp_path / "bulk"
    shutil.copytree(bulk_world.bulk, copy)
    target = copy / f"{D}-2026-10-orders.csv"
    target.write_bytes(target.read_bytes().replace(b"PAGADA", b"PAGADO", 1))
    problems = verify_day_files(copy).problems()
    assert problems and any(target.name in p for p in problems)


def test_verificar_accepts_the_bulk_folder(bulk_world: World) -> None:
    out = io.StringIO()
    args = [str(bulk_world.bulk), "--datasets", str(bulk_world.root), "--offline"]
    code = verificar(args, out=out)
    # 3: every file intact, listed and in the Merkle tree; the chain not consulted.
    assert code == 3, out.getvalue()
    listed = len(load_manifest(next(bulk_world.bulk.glob("*-manifest.json"))).files)
    assert "FALLA" not in out.getvalue() and f"{listed} archivo(s) coinciden" in out.getvalue()


def test_published_names_must_be_plain_and_unique(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert name_problems([f"{D}-orders.csv", f"{D}-2026-orders.csv"]) == []
    assert name_problems([f"full/{D}-orders.csv", "a.csv", "a.csv", "..", ".x"]) == [
        "'..' is not a plain file name",
        "'.x' is not a plain file name",
        "'a.csv' would be published 2 times",
        f"'full/{D}-orders.csv' is not a plain file name",
    ]
    root = tmp_path / "datasets"
    shutil.copytree(bulk_world.root, root, copy_function=os.link)
    before = snapshot(root / f"{D}-bulk")
    # A latest alias named like the file it stands for: two files under one name.
    monkeypatch.setattr(bulk_build, "latest_name", lambda dataset, level, name, key: name)
    with pytest.raises(PublicationError, match="would be published twice"):
        build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=tmp_path / "s")
    assert snapshot(root / f"{D}-bulk") == before
    assert not [p for p in root.iterdir() if p.name.startswith(f".{D}-bulk")]


def test_a_history_folder_inside_the_bulk_folder_moves_beside_it(
    bulk_world: World, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    shutil.copytree(bulk_world.root, root, copy_function=os.link)
    legacy = root / f"{D}-bulk" / "history"
    legacy.mkdir()
    old = legacy / f"0123456789abcdef-{D}-bulk-2026-10-31-manifest.json"
    old.write_bytes(b"{}")
    kept = sorted(p.name for p in (root / f"{D}-bulk-history").iterdir())
    manifest = next((root / f"{D}-bulk").glob("*-manifest.json")).read_bytes()
    result = build_bulk(
        root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=tmp_path / "state"
    )
    assert result.rebuilt == () and not result.unchanged
    assert not legacy.exists()
    history = root / f"{D}-bulk-history"
    moved = f"{D}-bulk-2026-10-31-manifest-0123456789abcdef.json"
    assert sorted(p.name for p in history.iterdir()) == sorted([*kept, moved])
    assert (history / moved).read_bytes() == b"{}"
    assert next((root / f"{D}-bulk").glob("*-manifest.json")).read_bytes() == manifest
    assert verify_day_files(root / f"{D}-bulk").problems() == []


def test_the_bulk_folder_and_its_history_upload_to_an_object_store(
    bulk_world: World, tmp_path: Path
) -> None:
    from publication.storage import LocalStore, publish_root

    store = tmp_path / "store"
    report = publish_root(LocalStore(store), bulk_world.root)
    assert f"{D}-bulk" in report.folders
    assert verify_day_files(store / f"{D}-bulk").problems() == []
    history = bulk_world.root / f"{D}-bulk-history"
    copied = sorted(p.name for p in (store / f"{D}-bulk-history").iterdir())
    assert copied == sorted(p.name for p in history.iterdir()) and len(copied) == 2
    assert not publish_root(LocalStore(store), bulk_world.root).changed


def test_the_data_package_validates_with_frictionless(bulk_world: World) -> None:
    import frictionless

    descriptor = json.loads((bulk_world.bulk / "datapackage.json").read_text())
    manifest = load_manifest(next(bulk_world.bulk.glob("*-manifest.json")))
    resources = {r["path"]: r for r in descriptor["resources"]}
    assert set(resources) == set(manifest.files) - {"datapackage.json"}
    for path, resource in resources.items():
        entry = manifest.files[path]
        assert (
            resource["bytes"] == entry["bytes"] and resource["hash"] == f"sha256:{entry['sha256']}"
        )
        assert resource["mediatype"] == entry["mediaType"]
    tables = [r for r in descriptor["resources"] if "schema" in r]
    assert {r["format"] for r in tables} == {"parquet", "csv"}
    report = frictionless.validate(str(bulk_world.bulk / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "type", "note"])[:10]
    day = DayLayout(bulk_world.root, D, bulk_world.days[-1]).path("datapackage.json")
    report = frictionless.validate(str(day))
    assert report.valid, report.flatten(["resourcePath", "type", "note"])[:10]
    assert len(report.tasks) == 8


def test_parquet_resources_match_their_table_schema(bulk_world: World, tmp_path: Path) -> None:
    """frictionless reads Parquet without counting bytes: validated as tables without them."""
    import frictionless

    descriptor = json.loads((bulk_world.bulk / "datapackage.json").read_text())
    parquet = [
        {**{k: v for k, v in r.items() if k not in ("bytes", "hash")}, "type": "table"}
        for r in descriptor["resources"]
        if r["path"] in {f"{D}-{t.name}.parquet" for t in BULK_TABLES}
        or (r["format"] == "parquet" and r["path"].startswith(f"{D}-indicator-"))
    ]
    assert len(parquet) == 10
    package = tmp_path / "datapackage.json"
    package.write_text(json.dumps({"name": "parquet", "resources": parquet}))
    for resource in parquet:
        os.symlink(bulk_world.bulk / resource["path"], tmp_path / Path(resource["path"]).name)
        resource["path"] = Path(resource["path"]).name
    package.write_text(json.dumps({"name": "parquet", "resources": parquet}))
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["resourcePath", "type", "note"])[:10]


def test_rebuilds_only_what_an_input_day_changed_and_reruns_are_byte_identical(
    bulk_world: World,
) -> None:
    first, again, second, third = (
        bulk_world.builds[n] for n in ("first", "again", "second", "third")
    )
    assert again.result.unchanged and again.files == first.files
    assert again.result.rebuilt == () and len(again.result.reused) == 5
    assert second.result.rebuilt == ("month/2026-11", "year/2026", "full", "indicators")
    october = {
        p: v
        for p, v in first.files.items()
        if p.startswith(f"{D}-2026-10-") or p == f"{D}-2026-10.xlsx"
    }
    assert len(october) == 15
    assert all(second.files[p] == v for p, v in october.items()), "October must be reused as is"
    november = [p for p in first.files if p.startswith(f"{D}-2026-11-") and p.endswith(".parquet")]
    assert november
    assert all(second.files[p][0] != first.files[p][0] for p in november)
    assert "month/2026-10" in third.result.rebuilt, "a late state of October rebuilds October"
    provenance = json.loads((bulk_world.bulk / "provenance.json").read_text())
    october_inputs = [i["date"] for i in provenance["periods"]["month/2026-10"]["inputs"]]
    assert october_inputs == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-03"]
    assert provenance["periods"]["year/2026"]["inputs"] == ["month/2026-10", "month/2026-11"]


def test_a_fresh_build_equals_the_incremental_one(bulk_world: World, tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    shutil.copytree(
        bulk_world.root,
        root,
        ignore=shutil.ignore_patterns(f"{D}-bulk"),
        copy_function=os.link,
    )
    result = build_bulk(
        root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=tmp_path / "state"
    )
    fresh = {p: sha for p, (_, sha) in snapshot(root / f"{D}-bulk").items()}
    incremental = {p: sha for p, (_, sha) in bulk_world.builds["third"].files.items()}
    manifest = next(p for p in fresh if p.endswith("-manifest.json"))
    # The manifest links back to the previous build, which the fresh root never had.
    assert {p: s for p, s in fresh.items() if p != manifest and not p.endswith("SHA256SUMS")} == {
        p: s for p, s in incremental.items() if p != manifest and not p.endswith("SHA256SUMS")
    }
    assert load_manifest(root / f"{D}-bulk" / manifest).previous is None
    assert result.rebuilt == ("month/2026-10", "month/2026-11", "year/2026", "full", "indicators")


def test_history_keeps_the_replaced_manifests_and_the_chain_links_them(bulk_world: World) -> None:
    folder = bulk_world.root / f"{D}-bulk-history"
    history = sorted(p.name for p in folder.iterdir())
    assert len(history) == 2
    for name, day in zip(history, ("2026-11-01", "2026-11-02"), strict=True):
        assert re.fullmatch(rf"{D}-bulk-{day}-manifest-[0-9a-f]{{16}}\.json", name), name
        assert load_manifest(folder / name).sha256.startswith(name[-21:-5])
    current = load_manifest(next(bulk_world.bulk.glob("*-manifest.json")))
    previous = load_manifest(folder / history[-1])
    assert previous.data["date"] == "2026-11-02"
    assert current.previous == {"date": "2026-11-02", "manifestSha256": previous.sha256}
    target = bulk_anchor_target(bulk_world.root, D)
    assert target is not None and target.manifest_sha256 == current.sha256
    assert (target.dataset, target.day.isoformat()) == (f"{D}-bulk", "2026-11-03")


def test_big_months_are_split_into_parts_and_years_concatenate_them(
    bulk_world: World, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    shutil.copytree(
        bulk_world.root, root, ignore=shutil.ignore_patterns(f"{D}-bulk"), copy_function=os.link
    )
    build_bulk(
        root,
        D,
        identity=IDENTITY,
        state_dir=tmp_path / "state",
        bulk=Bulk(max_part_releases=20, max_part_bytes=10**9),
        with_indicators=False,
    )
    bulk = root / f"{D}-bulk"
    october = sorted(bulk.glob(f"{D}-2026-10-releases-part-*.jsonl.gz"))
    assert len(october) >= 2
    lines = [len(read_jsonl_gz(p)) for p in october]
    assert all(0 < n <= 20 for n in lines)
    full_parts = sorted(bulk.glob(f"{D}-releases-part-*.jsonl.gz"))
    assert len(full_parts) >= 3
    whole = [r["id"] for p in full_parts for r in read_jsonl_gz(p)]
    expected = [
        r["id"] for r in read_jsonl_gz(period_files(bulk_world, "releases.jsonl.gz")["full"])
    ]
    assert whole == expected
    count = (
        duckdb.connect()
        .execute(f"SELECT count(*) FROM read_json('{full_parts[0]}', format = 'newline_delimited')")
        .fetchone()[0]
    )  # type: ignore[index]
    assert count == len(read_jsonl_gz(full_parts[0]))
    assert verify_day_files(bulk).problems() == []


FLATTENTOOL_SHEETS = {
    "items": "con_items",
    "deliveries": "con_imp_milestones",
    "parties": "parties",
    "bids": "bid_details",
}


def _same(ours: object, theirs: str) -> bool:
    if ours is None:
        return theirs == ""
    if isinstance(ours, Decimal):
        return ours == Decimal(theirs)
    if hasattr(ours, "isoformat") and "T" in theirs:
        import datetime as dt

        return ours == dt.datetime.fromisoformat(theirs)  # type: ignore[comparison-overlap]
    return str(ours) == theirs


def test_flat_tables_use_flattentool_names_and_values(bulk_world: World, tmp_path: Path) -> None:
    compiled = read_jsonl_gz(period_files(bulk_world, "compiled-releases.jsonl.gz")["full"])
    sample = [r for r in compiled if r.get("bids") and r["contracts"][0].get("items")][:3]
    assert len(sample) == 3
    source = tmp_path / "sample.json"
    source.write_text(json.dumps({"releases": sample}))
    subprocess.run(
        [
            VENV_BIN / "flatten-tool",
            "flatten",
            "--root-list-path",
            "releases",
            "--root-id",
            "ocid",
            "--main-sheet-name",
            "releases",
            "-f",
            "csv",
            "-o",
            str(tmp_path / "flat"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    ocids = [r["ocid"] for r in sample]
    for table, sheet in FLATTENTOOL_SHEETS.items():
        with (tmp_path / "flat" / f"{sheet}.csv").open(encoding="utf-8") as handle:
            theirs = list(csv_module.DictReader(handle))
        if table == "deliveries":  # delivery milestones only (a paid order also has payment)
            kind = "contracts/0/implementation/milestones/0/type"
            assert {row[kind] for row in theirs} <= {"delivery", "payment"}
            theirs = [row for row in theirs if row[kind] == "delivery"]
        path = period_files(bulk_world, f"{table}.parquet")["full"]
        ours = [r for r in pq.read_table(path).to_pylist() if r["ocid"] in ocids]
        assert len(ours) == len(theirs) > 0, table
        shared = [c for c in ours[0] if c in theirs[0]]
        missing = set(ours[0]) - set(shared)
        assert missing <= {"bids/details/0/tenderers/0/id", "bids/details/0/tenderers/0/name"}
        for mine, flat in zip(ours, theirs, strict=True):
            for column in shared:
                assert _same(mine[column], flat[column]), (
                    table,
                    column,
                    mine[column],
                    flat[column],
                )


def test_a_reused_file_that_no_longer_matches_its_manifest_is_rebuilt(
    bulk_world: World, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    shutil.copytree(bulk_world.root, root, copy_function=shutil.copy2)
    state = tmp_path / "state"
    build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=state)
    target = root / f"{D}-bulk" / f"{D}-2026-10-orders.csv"
    original = target.read_bytes()
    target.write_bytes(original.replace(b"PAGADA", b"PAGADO", 1))
    result = build_bulk(root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=state)
    assert result.rebuilt == ("month/2026-10",) and not result.unchanged
    assert target.read_bytes() == original
    assert verify_day_files(root / f"{D}-bulk").problems() == []


def test_a_day_without_releases_is_taken_by_the_bulk_build(tmp_path: Path) -> None:
    import datetime as dt

    from support.bulk_world import publish_day

    from perucompras.synthetic import generate_month

    source, root = tmp_path / "source", tmp_path / "datasets"
    generate_month(2026, 12, source, orders=1)
    days = [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
    for day in days:
        publish_day(root, source, day)
    sizes = [load_manifest(DayLayout(root, D, day).manifest).merkle["treeSize"] for day in days]
    assert 0 in sizes  # one order: at least one of the two days has none
    result = build_bulk(
        root, D, identity=IDENTITY, state_dir=tmp_path / "state", with_indicators=False
    )
    assert result.days == 2
    assert result.counts["releases"] == sum(sizes)
    month = root / f"{D}-bulk" / f"{D}-2026-12-orders.parquet"
    assert pq.read_table(month).num_rows == 1  # the one order, once
