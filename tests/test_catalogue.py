"""Harvesting catalogues (DCAT-US data.json, DCAT-AP JSON-LD, CKAN) built from published days."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from support import site_days
from support.dcat_us_schema import FEDERAL_REQUIRED, SCHEMA

from integrity.layout import DayLayout
from publication import catalogue
from publication.catalogue import (
    CATALOGUE_CKAN,
    CATALOGUE_JSONLD,
    DATA_JSON,
    CatalogueError,
    ckan_licence,
    write_catalogue,
)
from publication.listing import (
    KIND_OCDS,
    KIND_QUARANTINE,
    anchor_status,
    day_resources,
    published_days,
)
from settings import Identity

DATASET = site_days.DATASET
BASE_URL = site_days.BASE_URL
IDENTITY = Identity(base_url=BASE_URL, contact_email="datos@perucompras.gob.pe")
DAYS = site_days.days(dt.date(2026, 3, 2), 2)
KINDS = {
    "ordenes-ocds",
    "ordenes-tabla",
    "cuarentena",
    "calidad",
    "verificacion",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A datasets root with two published days, the first one anchored."""
    folder = tmp_path / "datasets"
    site_days.publish(folder, DAYS)
    site_days.anchor(folder, DAYS[0])
    return folder


def _load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _identifiers(root: Path) -> dict[str, list[str]]:
    return {
        DATA_JSON: [d["identifier"] for d in _load(root / DATA_JSON)["dataset"]],
        CATALOGUE_JSONLD: [
            d["dct:identifier"] for d in _load(root / CATALOGUE_JSONLD)["dcat:dataset"]
        ],
        CATALOGUE_CKAN: [p["name"] for p in _load(root / CATALOGUE_CKAN)["result"]["results"]],
    }


def test_writes_the_three_catalogues_without_leftovers(root: Path) -> None:
    paths = write_catalogue(root, DATASET, identity=IDENTITY)
    assert paths == [root / DATA_JSON, root / CATALOGUE_JSONLD, root / CATALOGUE_CKAN]
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")]


def test_data_json_validates_against_the_dcat_us_schema(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    data = _load(root / DATA_JSON)
    validator = jsonschema_rs.Draft4Validator(SCHEMA, validate_formats=True)
    errors = [str(error) for error in validator.iter_errors(data)]
    assert not errors, errors[:5]
    assert data["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert data["@id"] == f"{BASE_URL}/{DATA_JSON}"
    assert len(data["dataset"]) == len(KINDS)
    # Non-federal: the US bureau/program codes are left out, which the strict schema would reject.
    strict = {**SCHEMA, "definitions": {**SCHEMA["definitions"]}}
    dataset_schema = dict(strict["definitions"]["dataset"])
    dataset_schema["required"] = [*dataset_schema["required"], *FEDERAL_REQUIRED]
    strict["definitions"]["dataset"] = dataset_schema
    assert not jsonschema_rs.Draft4Validator(strict).is_valid(data)
    # The validator is not a rubber stamp.
    broken = orjson.loads(orjson.dumps(data))
    broken["dataset"][0]["contactPoint"]["hasEmail"] = "datos@perucompras.gob.pe"
    broken["dataset"][1]["distribution"][0]["mediaType"] = "not a media type"
    assert len(list(validator.iter_errors(broken))) == 2


def test_one_dataset_per_kind_with_the_fields_harvesters_use(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    datasets = {d["identifier"]: d for d in _load(root / DATA_JSON)["dataset"]}
    assert set(datasets) == {f"{DATASET}-{kind}" for kind in KINDS}
    ocds = datasets[f"{DATASET}-{KIND_OCDS}"]
    assert ocds["temporal"] == "2026-03-02/2026-03-03"
    assert ocds["modified"] == "2026-03-03T23:59:59-05:00"
    assert ocds["issued"] == "2026-03-02T23:59:59-05:00"
    assert ocds["accrualPeriodicity"] == "R/P1D"
    assert ocds["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ocds["contactPoint"]["hasEmail"] == "mailto:datos@perucompras.gob.pe"
    assert ocds["landingPage"] == f"{BASE_URL}/#{DATASET}-{KIND_OCDS}"
    assert ocds["conformsTo"].endswith("/release-package-schema.json")
    assert "OCDS" in ocds["keyword"]


def test_every_file_of_every_day_is_listed_with_size_checksum_and_media_type(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    pod = {
        d["downloadURL"]: d
        for dataset in _load(root / DATA_JSON)["dataset"]
        for d in dataset["distribution"]
        if "downloadURL" in d
    }
    dcat = {
        d["dcat:downloadURL"]: d
        for dataset in _load(root / CATALOGUE_JSONLD)["dcat:dataset"]
        for d in dataset["dcat:distribution"]
    }
    ckan = {
        r["url"]: r
        for package in _load(root / CATALOGUE_CKAN)["result"]["results"]
        for r in package["resources"]
    }
    on_disk = [path for day in DAYS for path in DayLayout(root, DATASET, day).folder.iterdir()]
    assert len(on_disk) == 10 + 10 + 1  # ten kinds of file a day, and one anchor receipt
    for path in on_disk:
        url = f"{BASE_URL}/{path.relative_to(root).as_posix()}"
        digest, size = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size
        assert dcat[url]["spdx:checksum"]["spdx:checksumValue"] == digest
        assert int(dcat[url]["dcat:byteSize"]) == size
        assert (ckan[url]["hash"], ckan[url]["size"]) == (digest, size)
        assert f"SHA-256: {digest}" in pod[url]["description"]
        assert f"{size} bytes" in pod[url]["description"]
    assert len(pod) == len(dcat) == len(ckan) == len(on_disk)
    csv = next(url for url in dcat if url.endswith("orders.csv"))
    assert dcat[csv]["dcat:mediaType"] == {
        "@id": "https://www.iana.org/assignments/media-types/text/csv"
    }
    assert (pod[csv]["mediaType"], pod[csv]["format"]) == ("text/csv", "CSV")
    jsonl = next(url for url in dcat if url.endswith("releases.jsonl"))
    assert dcat[jsonl]["dcat:mediaType"] == "application/jsonl"
    assert sum(url.endswith("-manifest.json") for url in dcat) == len(DAYS)


def test_ckan_answer_uses_the_ckan_licence_register(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    answer = _load(root / CATALOGUE_CKAN)
    assert answer["success"] is True
    packages = answer["result"]["results"]
    assert answer["result"]["count"] == len(packages) == len(KINDS)
    for package in packages:
        assert package["license_id"] == "cc-by"
        assert package["license_title"] == "Creative Commons Attribution"
        assert package["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
        assert package["num_resources"] == len(package["resources"]) > 0
    assert ckan_licence("https://opendatacommons.org/licenses/by/1-0/").id == "odc-by"
    assert ckan_licence("https://creativecommons.org/publicdomain/zero/1.0/").id == "cc-zero"
    assert ckan_licence("https://example.pe/licencia").id == "notspecified"


def test_dcat_ap_licence_node_matches_the_ckan_register_by_title(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    catalogue_doc = _load(root / CATALOGUE_JSONLD)
    (distribution, *_) = catalogue_doc["dcat:dataset"][0]["dcat:distribution"]
    assert distribution["dct:license"] == {
        "@id": "https://creativecommons.org/licenses/by/4.0/",
        "@type": "dct:LicenseDocument",
        "dct:title": "Creative Commons Attribution",
    }
    assert distribution["@id"] == distribution["dcat:downloadURL"] + "#distribucion"


def _prefixed_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = {k for k in value if ":" in k and not k.startswith("@")}
        for child in value.values():
            keys |= _prefixed_keys(child)
        return keys
    if isinstance(value, list):
        return set().union(*(_prefixed_keys(v) for v in value)) if value else set()
    return set()


def test_every_jsonld_term_prefix_is_declared_in_the_context(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    doc = _load(root / CATALOGUE_JSONLD)
    body = {k: v for k, v in doc.items() if k != "@context"}
    prefixes = {key.split(":", 1)[0] for key in _prefixed_keys(body)}
    assert prefixes and prefixes <= set(doc["@context"]), prefixes - set(doc["@context"])


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return [value] if isinstance(value, str) and value.startswith("https://datos.") else []


def test_every_url_starts_with_the_base_url_setting(root: Path) -> None:
    identity = Identity(base_url="https://datos.abiertos.pe/compras/")
    write_catalogue(root, DATASET, identity=identity)
    urls = [
        url
        for name in (DATA_JSON, CATALOGUE_JSONLD, CATALOGUE_CKAN)
        for url in _urls(_load(root / name))
    ]
    assert len(urls) > 60
    assert all(url.startswith("https://datos.abiertos.pe/compras/") for url in urls), urls


def test_identifiers_are_cumulative_across_days_and_reruns(root: Path, tmp_path: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    first = _identifiers(root)
    first_bytes = {name: (root / name).read_bytes() for name in first}
    write_catalogue(root, DATASET, identity=IDENTITY)  # a re-run: same bytes
    assert {name: (root / name).read_bytes() for name in first} == first_bytes
    other = tmp_path / "elsewhere"  # the same days elsewhere: same bytes
    site_days.publish(other, DAYS)
    site_days.anchor(other, DAYS[0])
    write_catalogue(other, DATASET, identity=IDENTITY)
    assert {name: (other / name).read_bytes() for name in first} == first_bytes
    site_days.publish(root, [dt.date(2026, 3, 4)])
    write_catalogue(root, DATASET, identity=IDENTITY)
    second = _identifiers(root)
    assert second == first  # same datasets, same order, in all three catalogues
    for name in first:
        assert set(first[name]) <= set(second[name])
    # A kind that stops being listed keeps its dataset: harvesters would delete it otherwise.
    resources = [
        r for r in day_resources(published_days(root, DATASET)) if r.kind != KIND_QUARANTINE
    ]
    write_catalogue(root, DATASET, identity=IDENTITY, resources=resources)
    assert {name: set(ids) for name, ids in _identifiers(root).items()} == {
        name: set(ids) for name, ids in first.items()
    }


def test_distributions_per_dataset_are_bounded(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue, "WINDOW_DAYS", 2)
    site_days.publish(root, [dt.date(2026, 3, 4)])
    write_catalogue(root, DATASET, identity=IDENTITY)
    ocds = _load(root / DATA_JSON)["dataset"][0]
    listed = {d["downloadURL"] for d in ocds["distribution"] if "downloadURL" in d}
    assert len(listed) == 2 * 3  # two days x (releases.json, releases.jsonl, records.json)
    assert not [url for url in listed if "2026-03-02" in url]
    assert ocds["temporal"] == "2026-03-02/2026-03-04"  # coverage is still the whole history
    assert f"{BASE_URL}/index.json" in ocds["description"]
    assert {d.get("accessURL") for d in ocds["distribution"]} >= {f"{BASE_URL}/index.json"}


def test_refuses_a_root_without_index(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"index\.json: missing"):
        write_catalogue(tmp_path, DATASET, identity=IDENTITY)


def test_refuses_another_dataset(root: Path) -> None:
    with pytest.raises(CatalogueError, match="not 'otro-dataset'"):
        write_catalogue(root, "otro-dataset", identity=IDENTITY)


def test_refuses_a_manifest_that_differs_from_the_index_and_writes_nothing(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    before = {name: (root / name).read_bytes() for name in (DATA_JSON, CATALOGUE_JSONLD)}
    manifest = DayLayout(root, DATASET, DAYS[0]).manifest
    manifest.write_bytes(manifest.read_bytes().replace(b'"releases":3', b'"releases":4'))
    with pytest.raises(CatalogueError, match=f"{manifest.name}: SHA-256 .* differs"):
        write_catalogue(root, DATASET, identity=IDENTITY)
    assert {name: (root / name).read_bytes() for name in before} == before


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"anchored": True}, ("anchored", None, "anchored")),
        ({"anchored": False}, ("pending", None, "pending")),
        ({"anchored": True, "anchorKind": 2}, ("anchored", "late", "anchored_late")),
        (
            {"anchored": True, "anchor": {"kind": "correction"}},
            ("anchored", "correction", "anchored_correction"),
        ),
        (
            {"anchored": False, "anchorStatus": "pending", "anchorKind": "late"},
            ("pending", "late", "pending"),
        ),
        (
            {"anchored": True, "anchorStatus": "corrected"},
            ("anchored", "correction", "anchored_correction"),
        ),
        ({"anchored": True, "anchorKind": "mystery"}, ("anchored", None, "anchored")),
    ],
)
def test_anchor_status_degrades_gracefully(
    entry: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    status = anchor_status(entry)
    assert (status.state, status.kind, status.key) == expected
