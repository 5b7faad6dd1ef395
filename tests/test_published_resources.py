"""The resources API lists every published file once, with what the catalogues, the portal
page and the feed need (URL path, titles in both languages, kind, media type, size, digest,
dataset, period)."""

from __future__ import annotations

import hashlib
from collections import Counter

from support.bulk_world import World

from integrity.layout import DEFAULT_DATASET
from publication.resources import Resource, bulk_resources, published_resources

BASE = "https://datos.example.pe/perucompras"


def test_every_published_file_is_listed_once_with_its_real_size_and_digest(
    bulk_world: World,
) -> None:
    resources = published_resources(bulk_world.root, DEFAULT_DATASET)
    paths = Counter(r.path for r in resources)
    assert max(paths.values()) == 1
    listed = set(paths)
    on_disk = {
        p.relative_to(bulk_world.root).as_posix()
        for p in bulk_world.root.rglob("*")
        if p.is_file()
        and (
            p.relative_to(bulk_world.root).parts[0] in (DEFAULT_DATASET, f"{DEFAULT_DATASET}-bulk")
        )
    }
    assert on_disk == listed - {r.path for r in resources if r.kind == "page"}
    for resource in resources:
        data = (bulk_world.root / resource.path).read_bytes()
        assert (resource.bytes, resource.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert resource.url(BASE) == f"{BASE}/{resource.path}"
        assert resource.title("es") and resource.title("en") and resource.media_type


def test_kinds_periods_and_aliases(bulk_world: World) -> None:
    resources = published_resources(bulk_world.root, DEFAULT_DATASET)
    by_kind = Counter(r.kind for r in resources)
    assert set(by_kind) == {
        "day-file",
        "bulk-file",
        "latest-alias",
        "indicator",
        "metadata",
        "page",
    }
    assert by_kind["day-file"] == 5 * 11  # 9 listed files, the manifest and SHA256SUMS
    assert by_kind["page"] == 4 and by_kind["indicator"] == 8
    days = {r.period for r in resources if r.kind == "day-file"}
    assert days == {d.isoformat() for d in bulk_world.days}
    bulk: dict[str, Resource] = {r.path: r for r in resources if r.dataset.endswith("-bulk")}
    periods = {(r.level, r.period) for r in bulk.values() if r.kind == "bulk-file"}
    assert periods == {
        ("month", "2026-10"),
        ("month", "2026-11"),
        ("year", "2026"),
        ("full", "full"),
    }
    assert all(r.path.count("/") == 1 for r in bulk.values()), "the bulk folder is flat"
    orders = bulk[f"{DEFAULT_DATASET}-bulk/{DEFAULT_DATASET}-orders.parquet"]
    assert (orders.table, orders.format, orders.media_type) == (
        "orders",
        "parquet",
        "application/vnd.apache.parquet",
    )
    assert (
        orders.title("es") == "Órdenes de compra (estado más reciente), historia completa (PARQUET)"
    )
    assert orders.title("en") == "Purchase orders (latest state), full history (PARQUET)"
    aliases = [r for r in bulk.values() if r.kind == "latest-alias"]
    assert aliases
    for alias in aliases:
        assert alias.alias_of in bulk and bulk[alias.alias_of].sha256 == alias.sha256
        assert alias.period == bulk[alias.alias_of].period
    assert {a.period for a in aliases} == {"2026-11", "2026"}
    metadata = sorted(r.path.rsplit("/", 1)[1] for r in bulk.values() if r.kind == "metadata")
    assert metadata == [
        "datapackage.json",
        f"{DEFAULT_DATASET}-bulk-2026-11-03-SHA256SUMS",
        f"{DEFAULT_DATASET}-bulk-2026-11-03-days.jsonl",
        f"{DEFAULT_DATASET}-bulk-2026-11-03-manifest.json",
        "provenance.json",
    ]


def test_no_bulk_resources_before_the_first_build(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert bulk_resources(tmp_path) == []
    assert published_resources(tmp_path) == []
