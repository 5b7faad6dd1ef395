"""Portal catalogue entries (DCAT-AP JSON-LD and CKAN package) built from published days."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from integrity.canonical import canonical_bytes
from integrity.keys import anchor_key
from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from perucompras.reader import QUARANTINE_SCHEMA
from publication.catalogue import (
    CATALOGUE_CKAN,
    CATALOGUE_JSONLD,
    CatalogueError,
    write_catalogue,
)
from publication.writer import DayContent, write_day
from settings import Identity

DATASET = "perucompras-ocam"
BASE_URL = "https://datos.example.org/perucompras"
IDENTITY = Identity(base_url=BASE_URL)
DAYS = [dt.date(2026, 3, 2), dt.date(2026, 3, 3)]
KINDS = ("releases.json", "releases.jsonl", "orders.parquet", "orders.csv")


def _release(day: dt.date, number: int) -> dict[str, Any]:
    return {
        "ocid": f"ocds-213czf-OCAM-2026-{number}",
        "id": f"OCAM-2026-{number}-{day:%Y%m%d}T100000-0000000{number}",
        "date": f"{day.isoformat()}T10:00:00-05:00",
        "tag": ["contract"],
        "initiationType": "tender",
    }


def _content(day: dt.date) -> DayContent:
    releases = [_release(day, n) for n in range(1, 4)]
    orders = pa.table(
        {
            "order_number": [f"OCAM-2026-{n}-0" for n in range(1, 4)],
            "total_cents": pa.array([1180, 23600, 5900], pa.int64()),
        }
    )
    return DayContent(
        dataset=DATASET,
        day=day,
        cutoff=f"{day.isoformat()}T23:59:59-05:00",
        ocid_prefix="ocds-213czf",
        publisher={"name": "PERÚ COMPRAS", "scheme": "PE-RUC", "uid": "20600927818"},
        package={"uri": f"{BASE_URL}/{day}", "version": "1.1"},
        release_lines=[canonical_bytes(r) for r in releases],
        orders=orders,
        quarantine=QUARANTINE_SCHEMA.empty_table(),
        sources=[],
        counts={"releases": len(releases)},
    )


def _publish(root: Path, days: list[dt.date]) -> None:
    for day in days:
        write_day(root, _content(day), anchor_key_hex=anchor_key(DATASET, day).hex())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A datasets root with two published (unanchored) days."""
    folder = tmp_path / "datasets"
    _publish(folder, DAYS)
    return folder


def _load(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())


def test_writes_both_files_at_the_datasets_root_without_leftovers(root: Path) -> None:
    paths = write_catalogue(root, DATASET, identity=IDENTITY)
    assert paths == [root / CATALOGUE_JSONLD, root / CATALOGUE_CKAN]
    assert not [p.name for p in root.iterdir() if p.name.startswith(".catalog")]


def test_jsonld_is_a_dcat_catalogue_with_one_dataset(root: Path) -> None:
    write_catalogue(root, DATASET, identity=Identity(base_url=BASE_URL + "/"))
    catalogue = _load(root / CATALOGUE_JSONLD)
    context = catalogue["@context"]
    assert context["dcat"] == "http://www.w3.org/ns/dcat#"
    assert context["dct"] == "http://purl.org/dc/terms/"
    assert context["spdx"] == "http://spdx.org/rdf/terms#"
    assert catalogue["@type"] == "dcat:Catalog"
    (dataset,) = catalogue["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset"
    assert dataset["@id"] == f"{BASE_URL}/{DATASET}"
    assert dataset["dct:title"]["@language"] == "es"
    assert "Acuerdos Marco" in dataset["dct:title"]["@value"]
    assert dataset["dct:publisher"]["dct:identifier"] == "PE-RUC-20600927818"
    assert dataset["dct:publisher"]["adms:identifier"]["skos:notation"] == "20600927818"
    assert dataset["dct:license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["dct:temporal"] == {
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": "2026-03-02",
        "dcat:endDate": "2026-03-03",
    }
    keywords = {k["@value"] for k in dataset["dcat:keyword"]}
    assert {"OCDS", "compras públicas", "acuerdos marco"} <= keywords


def _prefixed_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = {k for k in value if ":" in k and not k.startswith("@")}
        for child in value.values():
            keys |= _prefixed_keys(child)
        return keys
    if isinstance(value, list):
        return set().union(*(_prefixed_keys(v) for v in value)) if value else set()
    return set()


def test_every_term_prefix_is_declared_in_the_context(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    catalogue = _load(root / CATALOGUE_JSONLD)
    body = {k: v for k, v in catalogue.items() if k != "@context"}
    prefixes = {key.split(":", 1)[0] for key in _prefixed_keys(body)}
    assert prefixes <= set(catalogue["@context"]), prefixes - set(catalogue["@context"])


def test_one_distribution_per_day_and_format_with_the_manifest_checksums(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    (dataset,) = _load(root / CATALOGUE_JSONLD)["dcat:dataset"]
    distributions = {d["dcat:downloadURL"]: d for d in dataset["dcat:distribution"]}
    assert len(distributions) == len(DAYS) * len(KINDS)
    for day in DAYS:
        layout = DayLayout(root, DATASET, day)
        listed = load_manifest(layout.manifest).files
        for kind in KINDS:
            name = layout.name(kind)
            url = f"{BASE_URL}/{DATASET}/{day:%Y/%m/%d}/{name}"
            distribution = distributions[url]
            checksum = distribution["spdx:checksum"]
            assert checksum["spdx:algorithm"].endswith("checksumAlgorithm_sha256")
            assert checksum["spdx:checksumValue"] == listed[name]["sha256"]
            on_disk = hashlib.sha256(layout.path(kind).read_bytes()).hexdigest()
            assert checksum["spdx:checksumValue"] == on_disk
            assert int(distribution["dcat:byteSize"]) == layout.path(kind).stat().st_size
            assert distribution["dct:issued"] == f"{day.isoformat()}T23:59:59-05:00"
            assert distribution["dcat:accessURL"] == f"{BASE_URL}/{DATASET}/{day:%Y/%m/%d}/"
    media = {
        d["dcat:downloadURL"].rsplit("-", 1)[1]: d["dcat:mediaType"] for d in distributions.values()
    }
    assert media["orders.csv"] == {"@id": "https://www.iana.org/assignments/media-types/text/csv"}
    assert media["releases.jsonl"] == "application/jsonl"


def test_ckan_package_lists_the_same_resources(root: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    answer = _load(root / CATALOGUE_CKAN)
    assert answer["success"] is True
    package = answer["result"]
    assert package["name"] == DATASET
    assert package["license_id"] == "CC-BY-4.0"
    assert package["num_resources"] == len(package["resources"]) == len(DAYS) * len(KINDS)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2026-03-02", "2026-03-03")
    (dataset,) = _load(root / CATALOGUE_JSONLD)["dcat:dataset"]
    dcat = {
        d["dcat:downloadURL"]: d["spdx:checksum"]["spdx:checksumValue"]
        for d in dataset["dcat:distribution"]
    }
    assert {r["url"]: r["hash"] for r in package["resources"]} == dcat
    assert {r["format"] for r in package["resources"]} == {"JSON", "JSONL", "Parquet", "CSV"}


def test_same_days_give_byte_identical_catalogues(root: Path, tmp_path: Path) -> None:
    write_catalogue(root, DATASET, identity=IDENTITY)
    first = {name: (root / name).read_bytes() for name in (CATALOGUE_JSONLD, CATALOGUE_CKAN)}
    write_catalogue(root, DATASET, identity=IDENTITY)
    assert {name: (root / name).read_bytes() for name in first} == first
    other = tmp_path / "elsewhere"
    _publish(other, DAYS)
    write_catalogue(other, DATASET, identity=IDENTITY)
    assert {name: (other / name).read_bytes() for name in first} == first


def test_a_new_day_extends_the_catalogue(root: Path) -> None:
    _publish(root, [dt.date(2026, 3, 4)])
    write_catalogue(root, DATASET, identity=IDENTITY)
    (dataset,) = _load(root / CATALOGUE_JSONLD)["dcat:dataset"]
    assert dataset["dct:temporal"]["dcat:endDate"] == "2026-03-04"
    assert len(dataset["dcat:distribution"]) == 3 * len(KINDS)


def test_refuses_a_root_without_index(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"index\.json: missing"):
        write_catalogue(tmp_path, DATASET, identity=IDENTITY)


def test_refuses_another_dataset(root: Path) -> None:
    with pytest.raises(CatalogueError, match="not 'otro-dataset'"):
        write_catalogue(root, "otro-dataset", identity=IDENTITY)


def test_refuses_a_manifest_that_differs_from_the_index(root: Path) -> None:
    manifest = DayLayout(root, DATASET, DAYS[0]).manifest
    before = (root / CATALOGUE_JSONLD).read_bytes() if (root / CATALOGUE_JSONLD).exists() else None
    manifest.write_bytes(manifest.read_bytes().replace(b'"releases":3', b'"releases":4'))
    with pytest.raises(CatalogueError, match=f"{manifest.name}: SHA-256 .* differs"):
        write_catalogue(root, DATASET, identity=IDENTITY)
    after = (root / CATALOGUE_JSONLD).read_bytes() if (root / CATALOGUE_JSONLD).exists() else None
    assert after == before  # the catalogue is not rewritten from a tampered manifest
