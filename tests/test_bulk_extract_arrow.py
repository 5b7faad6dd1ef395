"""The per-day extract read with Arrow (``publication.bulk.extract_arrow``) gives exactly the
reference's tables (one Python object per value), on published days and on real rows, and
leaves to the reference whatever it cannot be sure of."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from support.bulk_world import World
from support.shared import SAMPLES, check_shared

import publication.bulk.build as bulk_build
from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.layout import DEFAULT_DATASET as D
from publication.bulk import extract, extract_arrow

DAY = dt.date(2026, 11, 3)


def _same(day: dt.date, data: bytes) -> dict[str, pa.Table]:
    fast = extract_arrow.extract_tables(day, data)
    assert fast is not None, "the Arrow path refused a package it should read"
    reference = extract.reference_tables(day, data)
    assert list(fast) == list(reference)
    for name, table in reference.items():
        assert fast[name].schema.equals(table.schema, check_metadata=True), name
        assert fast[name].equals(table), name
    return fast


def _package(bulk_world: World) -> dict[str, Any]:
    day = next(d for d in bulk_build._day_inputs(bulk_world.root, D) if d.day == DAY)
    return dict(orjson.loads(day.read_checked(layout.RECORD_PACKAGE)))


def test_published_days_give_the_reference_tables(bulk_world: World) -> None:
    days = bulk_build._day_inputs(bulk_world.root, D)
    rows = {name: 0 for name in extract.FLAT_TABLES}
    for day in days:
        tables = _same(day.day, day.read_checked(layout.RECORD_PACKAGE))
        for name in rows:
            rows[name] += tables[name].num_rows
    # Every kind of row is there to compare: call-offs, frameworks, deliveries, quotations.
    assert all(count > 0 for count in rows.values()), rows


def test_written_extracts_are_byte_identical(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = bulk_build._day_inputs(bulk_world.root, D)
    fast = extract.ensure_extracts(tmp_path / "fast", days, workers=1)
    monkeypatch.setattr(extract_arrow, "extract_tables", lambda day, data: None)
    reference = extract.ensure_extracts(tmp_path / "reference", days, workers=1)
    for day, folder in fast.items():
        names = sorted(path.name for path in folder.iterdir())
        assert names == sorted(path.name for path in reference[day].iterdir())
        for name in names:
            assert (folder / name).read_bytes() == (reference[day] / name).read_bytes(), name


def test_real_rows_give_the_reference_tables() -> None:
    check_shared("samples", "schema")
    from ocds_mappings.extensions import extension_urls
    from ocds_mappings.identity import package_metadata
    from ocds_mappings.mapping import build_releases
    from ocds_mappings.packaging import record_package
    from ocds_mappings.schema import load_release_schema
    from perucompras.reader import read_monthly_file
    from settings import Identity

    for sample in sorted(SAMPLES.glob("ReportePCBienes*.csv")):
        releases = build_releases(read_monthly_file(sample).orders)
        package = record_package(
            releases,
            schema=load_release_schema(),
            uri="https://example.org/records.json",
            published_date="2026-02-01T23:59:59-05:00",
            metadata=package_metadata(Identity(), profile="dev", synthetic=False),
            extensions=extension_urls(),
            release_url=lambda r: f"https://example.org/2026/02/01/releases.json#{r['id']}",
        )
        tables = _same(DAY, canonical_bytes(package))
        assert tables["ocids"].num_rows == len(package["records"]) > 0, sample.name
        assert tables["parties"].num_rows >= 2 * len(package["records"]), sample.name


def _edited(package: dict[str, Any], number: int, edit: Any) -> bytes:
    changed = copy.deepcopy(package)
    edit(changed["records"][number]["compiledRelease"])
    return canonical_bytes(changed)


def _call_off(package: dict[str, Any]) -> int:
    return next(
        n
        for n, record in enumerate(package["records"])
        if record["compiledRelease"].get("contracts") and record["compiledRelease"].get("bids")
    )


def _set(path: str, value: Any) -> Any:
    def edit(release: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = release
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


# Shapes the reference handles in its own way: the Arrow path gives the same tables.
SAME_AS_REFERENCE = {
    "bid without tenderers": _set("bids/details/0/tenderers", []),
    "bid with null tenderers": _set("bids/details/1/tenderers", None),
    "bid with two tenderers": _set(
        "bids/details/0/tenderers", [{"id": "PE-RUC-1", "name": "A"}, {"id": "PE-RUC-2"}]
    ),
    "bid without value": _set("bids/details/0/value", None),
    "no bids": _set("bids", None),
    "party without roles": _set("parties/0/roles", []),
    "party with an empty role": _set("parties/0/roles", [""]),
    "party without identifier": _set("parties/0/identifier", None),
    "integer amount": _set("contracts/0/items/0/unit/value/amount", 12),
    "integer quantity": _set("contracts/0/items/0/quantity", 3),
    "item without unit": _set("contracts/0/items/0/unit", None),
    "contract without items": _set("contracts/0/items", None),
    "blank signature date": _set("contracts/0/dateSigned", ""),
    "other milestone": _set(
        "contracts/0/implementation",
        {"milestones": [{"id": "x", "type": "approval"}, {"id": "d", "type": "delivery"}]},
    ),
    "no contracts (a first stage)": _set("contracts", []),
    "unknown member": _set("extra", {"nested": [1, "two", None]}),
}

# Shapes the reference fails on or reads otherwise than the exact types: left to it.
LEFT_TO_REFERENCE = {
    "null item": _set("contracts/0/items", [None]),
    "null bid": _set("bids/details", [None]),
    "null tenderer": _set("bids/details/0/tenderers", [None]),
    "null role": _set("parties/0/roles", [None]),
    "null contract": _set("contracts", [None]),
    "amount with three decimals": _set("bids/details/0/value/amount", 1.125),
    "amount too large": _set("bids/details/0/value/amount", 1e20),
    "boolean quantity": _set("contracts/0/items/0/quantity", True),
    "numeric bid id": _set("bids/details/0/id", 7),
    "release without id": _set("id", None),
    "contract without any date": lambda r: (r["contracts"][0].pop("dateSigned"), r.pop("date")),
}


@pytest.mark.parametrize("case", sorted(SAME_AS_REFERENCE))
def test_odd_shapes_give_the_reference_tables(bulk_world: World, case: str) -> None:
    package = _package(bulk_world)
    _same(DAY, _edited(package, _call_off(package), SAME_AS_REFERENCE[case]))


@pytest.mark.parametrize("case", sorted(LEFT_TO_REFERENCE))
def test_what_it_cannot_be_sure_of_is_left_to_the_reference(bulk_world: World, case: str) -> None:
    package = _package(bulk_world)
    data = _edited(package, _call_off(package), LEFT_TO_REFERENCE[case])
    assert extract_arrow.extract_tables(DAY, data) is None


def test_packages_it_cannot_cut_are_left_to_the_reference(bulk_world: World) -> None:
    package = _package(bulk_world)
    assert extract_arrow.extract_tables(DAY, canonical_bytes(package)) is not None
    reordered = dict(package, records=[dict(reversed(r.items())) for r in package["records"]])
    assert extract_arrow.extract_tables(DAY, orjson.dumps(reordered)) is None  # not canonical
    first = package["records"][0]["compiledRelease"]
    floats = dict(
        package, records=[dict(package["records"][0], compiledRelease=dict(first, x=1.0))]
    )
    assert extract_arrow.extract_tables(DAY, orjson.dumps(floats)) is None  # 1.0, not 1
    indented = orjson.dumps(package, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert extract_arrow.extract_tables(DAY, indented) is None
    looks_like_a_member = _edited(package, 0, _set("note", {"releases": []}))
    assert extract_arrow.extract_tables(DAY, looks_like_a_member) is None
    assert extract_arrow.extract_tables(DAY, canonical_bytes({"records": []})) is None
