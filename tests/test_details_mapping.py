"""Items, delivery milestones and bids attached to call-off releases: schema-valid and exact."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from ocds_mappings.details import attach_details
from ocds_mappings.extensions import DECLARED_EXTENSIONS, Extension
from ocds_mappings.mapping import (
    agreements_first_seen,
    build_framework_releases,
    build_releases,
    map_orders,
    release_id,
    status_rule,
)
from ocds_mappings.schema import ReleaseValidator, load_release_schema
from perucompras.detailed_export import DetailResult, read_detailed_export
from perucompras.quotations import quotation_summary, quotations_for_orders
from perucompras.reader import read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export, generate_quotations

pytestmark = pytest.mark.shared("schema")
LOCATION = Extension(
    "location",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_location/v1.1.5/extension.json",
    "location-v1.1.5",
)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, DetailResult, pa.Table]:
    folder = tmp_path_factory.mktemp("details")
    month = generate_month(2025, 11, folder, orders=120)
    orders = read_monthly_file(month).orders
    detail = read_detailed_export(generate_detailed_export(2025, 11, folder, orders=orders))
    quotes = quotations_for_orders(
        generate_quotations(2025, 11, folder, orders=orders),
        orders["order_number"].combine_chunks(),
    )
    return orders, detail, quotes


@pytest.fixture(scope="module")
def releases(sources: tuple[pa.Table, DetailResult, pa.Table]) -> list[dict[str, Any]]:
    orders, detail, quotes = sources
    return attach_details(
        build_releases(orders), lines=detail.lines, deliveries=detail.deliveries, quotations=quotes
    )


def test_every_release_validates_with_and_without_the_location_extension(
    releases: list[dict[str, Any]],
) -> None:
    plain = ReleaseValidator()
    located = ReleaseValidator(load_release_schema(extensions=(*DECLARED_EXTENSIONS, LOCATION)))
    assert releases
    for release in releases:
        assert plain.errors(release) == []
        assert located.errors(release) == []


def test_items_and_milestones_follow_the_lines(
    releases: list[dict[str, Any]], sources: tuple[pa.Table, DetailResult, pa.Table]
) -> None:
    _, detail, _ = sources
    lines = Counter(detail.lines["order_number"].to_pylist())
    deliveries = Counter(detail.deliveries["order_number"].to_pylist())
    prices = {(row["order_number"], row["line_id"]): row for row in detail.lines.to_pylist()}
    by_delivery: dict[str, list[dict[str, Any]]] = {}
    assert releases
    for row in detail.deliveries.to_pylist():
        by_delivery.setdefault(row["order_number"], []).append(row)
    for release in releases:
        contract = release["contracts"][0]
        assert len(contract["items"]) == lines[contract["id"]]
        every = contract["implementation"]["milestones"]
        milestones = [m for m in every if m["type"] == "delivery"]
        paid = contract["statusDetails"] == "PAGADA"
        assert [m["id"] for m in every if m["type"] == "payment"] == (["payment"] if paid else [])
        assert len(milestones) == deliveries[contract["id"]]
        rule = status_rule(contract["statusDetails"])
        assert {m["status"] for m in milestones} == {rule.delivery_status}
        for milestone in milestones:
            if rule.delivery_status == "met":
                assert milestone["dateMet"] == release["date"]
            elif rule.delivery_status == "notMet":
                assert milestone["dateModified"] == release["date"] and "dateMet" not in milestone
        windows = by_delivery[contract["id"]]
        assert contract["period"] == {
            "startDate": min(d["delivery_start"] for d in windows),
            "endDate": max(d["delivery_end"] for d in windows),
        }
        statuses = {d["delivery_number"]: d["status"] for d in by_delivery[contract["id"]]}
        for milestone in milestones:
            number = int(milestone["id"].removeprefix("delivery-"))
            assert milestone["dueDate"].endswith("T23:59:59-05:00")
            assert milestone["description"].endswith(f"Estado de la entrega: {statuses[number]}.")
        for item in contract["items"]:
            line = prices[(contract["id"], item["id"])]
            assert Decimal(str(item["unit"]["value"]["amount"])) * 100 == line["unit_price_cents"]
            assert Decimal(str(item["quantity"])) * 1000 == line["quantity_milli"]
            assert item["deliveryAddress"]["region"] == line["department"]


def test_every_status_is_coherent_with_details(releases: list[dict[str, Any]]) -> None:
    from quality.coherence import coherence_findings

    statuses = {release["contracts"][0]["statusDetails"] for release in releases}
    assert statuses == {"ACEPTADA", "PAGADA", "RESUELTA", "ORDEN DE COMPRA NULA"}
    assert {rule: found for rule, found in coherence_findings(releases).items() if found} == {}


def test_bids_tenderers_and_related_bid(
    releases: list[dict[str, Any]], sources: tuple[pa.Table, DetailResult, pa.Table]
) -> None:
    _, _, quotes = sources
    summary = {row["order_number"]: row for row in quotation_summary(quotes).to_pylist()}
    assert releases
    for release in releases:
        contract = release["contracts"][0]
        stats = {s["measure"]: s["value"] for s in release["bids"]["statistics"]}
        row = summary[contract["id"]]
        assert stats["bids"] == len(release["bids"]["details"]) == row["quotation_count"]
        assert Decimal(str(stats["lowestValidBidValue"])) * 100 == row["min_total_cents"]
        party_ids = [party["id"] for party in release["parties"]]
        assert len(party_ids) == len(set(party_ids))
        roles = {party["id"]: party["roles"] for party in release["parties"]}
        for bid in release["bids"]["details"]:
            assert "tenderer" in roles[bid["tenderers"][0]["id"]]
        supplier = release["awards"][0]["suppliers"][0]["id"]
        assert {"supplier", "tenderer"} <= set(roles[supplier])
        related = next(
            b for b in release["bids"]["details"] if b["id"] == release["awards"][0]["relatedBid"]
        )
        assert related["tenderers"][0]["id"] == supplier
        assert related["value"]["amount"] == release["awards"][0]["value"]["amount"]


def test_ids_are_recomputed_and_results_deterministic(
    releases: list[dict[str, Any]], sources: tuple[pa.Table, DetailResult, pa.Table]
) -> None:
    orders, detail, quotes = sources
    base = build_releases(orders)
    again = attach_details(
        base, lines=detail.lines, deliveries=detail.deliveries, quotations=quotes
    )
    assert again == releases
    assert base == build_releases(orders)  # the input releases are not modified
    for before, after in zip(base, releases, strict=True):
        assert after["id"] != before["id"]
        assert after["id"] == release_id(after, after["tender"]["id"])


def test_ids_set_once_by_attach_details_are_those_of_both_steps(
    releases: list[dict[str, Any]], sources: tuple[pa.Table, DetailResult, pa.Table]
) -> None:
    """The mapping step leaves ids to ``attach_details``: the same releases, details or none."""
    orders, detail, quotes = sources
    unnamed = map_orders(orders, release_ids=False).releases
    assert unnamed and all(release["id"] == "" for release in unnamed)
    named = attach_details(
        unnamed, lines=detail.lines, deliveries=detail.deliveries, quotations=quotes, ids=True
    )
    assert named == releases
    bare = attach_details(map_orders(orders, release_ids=False).releases, ids=True)
    assert bare == build_releases(orders)  # no details: the ids map_orders gives


def test_summary_gives_statistics_only_and_other_releases_stay(
    sources: tuple[pa.Table, DetailResult, pa.Table],
) -> None:
    orders, _, quotes = sources
    framework = build_framework_releases(agreements_first_seen(orders))
    base = build_releases(orders)
    result = attach_details([*framework, *base], quotations=quotation_summary(quotes))
    assert result[: len(framework)] == framework
    validator = ReleaseValidator()
    for before, release in zip(base, result[len(framework) :], strict=True):
        assert "details" not in release["bids"]
        assert release["parties"] == before["parties"]
        assert "items" not in release["contracts"][0]
        assert validator.errors(release) == []
