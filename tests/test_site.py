"""The publish step refreshes the site at the datasets root once, with the configured identity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrity.layout import RELEASE_PACKAGE, DayLayout
from perucompras.reader import read_source_dir
from perucompras.synthetic import generate_month
from publication import steps
from publication.catalogue import CATALOGUE_CKAN, CATALOGUE_JSONLD
from publication.portal import INDEX_HTML, POLICY_FILE, QUALITY_PAGE, VERIFIER_PAGE
from settings import Identity

DAY = dt.date(2026, 3, 4)
IDENTITY = Identity(
    ocid_prefix="ocds-pe0001",
    base_url="https://datos.abiertos.pe/compras/",
    publisher_name="Observatorio de Compras",
    publisher_scheme="PE-RUC",
    publisher_uid="20999999993",
    publisher_uri="https://observatorio.pe",
)
BASE = "https://datos.abiertos.pe/compras"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One synthetic day published with a non-default identity (steps only, no chain)."""
    tmp = tmp_path_factory.mktemp("site")
    root = tmp / "datasets"
    generate_month(DAY.year, DAY.month, tmp / "source", orders=300)
    files = read_source_dir(tmp / "source")
    checked = steps.check_quality(steps.extract(files, DAY, root=root), DAY)
    mapped = steps.map_releases(checked, ocid_prefix=IDENTITY.ocid_prefix, root=root)
    result = steps.publish(
        mapped,
        root=root,
        dataset="perucompras-ocam",
        day=DAY,
        identity=IDENTITY,
        profile="production",
    )
    assert result.gate_passed, result.failures
    return root, Path(result.folder)


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return [value] if isinstance(value, str) and value.startswith("https://datos.") else []


def test_catalogue_urls_use_the_configured_base_url(published: tuple[Path, Path]) -> None:
    root, _ = published
    package = orjson.loads(
        DayLayout(root, "perucompras-ocam", DAY).path(RELEASE_PACKAGE).read_bytes()
    )
    assert package["uri"].startswith(f"{BASE}/perucompras-ocam/2026/03/04/")
    dcat = orjson.loads((root / CATALOGUE_JSONLD).read_bytes())
    ckan = orjson.loads((root / CATALOGUE_CKAN).read_bytes())
    downloads = [d["dcat:downloadURL"] for d in dcat["dcat:dataset"][0]["dcat:distribution"]]
    assert package["uri"] in downloads
    urls = _urls(dcat) + _urls(ckan)
    assert len(urls) > 10
    assert all(url.startswith(f"{BASE}/") for url in urls), urls
    assert not [url for url in _urls(dcat) + _urls(ckan) if "example.org" in url]
    publisher = dcat["dcat:dataset"][0]["dct:publisher"]
    assert publisher["@id"] == "https://observatorio.pe"
    assert publisher["dct:identifier"] == "PE-RUC-20999999993"
    extras = {extra["key"]: extra["value"] for extra in ckan["result"]["results"][0]["extras"]}
    assert extras["publisher_uri"] == "https://observatorio.pe"
    assert extras["dcat_catalog"] == f"{BASE}/{CATALOGUE_JSONLD}"


def test_packages_name_the_configured_publisher_and_prefix(published: tuple[Path, Path]) -> None:
    root, _ = published
    package = orjson.loads(
        DayLayout(root, "perucompras-ocam", DAY).path(RELEASE_PACKAGE).read_bytes()
    )
    assert package["publisher"] == {
        "name": "Observatorio de Compras",
        "scheme": "PE-RUC",
        "uid": "20999999993",
        "uri": "https://observatorio.pe",
    }
    assert package["publicationPolicy"] == f"{BASE}/{POLICY_FILE}"
    ocids = {release["ocid"] for release in package["releases"]}
    assert ocids and all(ocid.startswith("ocds-pe0001-") for ocid in ocids)
    policy = (root / POLICY_FILE).read_text(encoding="utf-8")
    assert "`ocds-pe0001`" in policy
    assert "Not an official publication" not in policy
    assert "Source of the data: CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS" in policy


def test_every_site_page_is_written(published: tuple[Path, Path]) -> None:
    root, _ = published
    for name in (INDEX_HTML, QUALITY_PAGE, VERIFIER_PAGE, POLICY_FILE, CATALOGUE_JSONLD):
        assert (root / name).is_file(), name
    assert DAY.isoformat() in (root / INDEX_HTML).read_text(encoding="utf-8")


def test_policy_states_which_of_the_two_ways_the_pipeline_runs() -> None:
    from ocds_mappings.docs import policy_markdown

    as_agency = Identity(
        ocid_prefix="ocds-pc0001",
        base_url="https://datos.perucompras.gob.pe/ocds",
        publisher_name="CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS",
        publisher_scheme="PE-RUC",
        publisher_uid="20600927818",
        ocid_pattern="{prefix}-{order_number}",
        contact_email="datos@perucompras.gob.pe",
    )
    agency = policy_markdown(as_agency, profile="production")
    assert "The publisher is PERÚ COMPRAS, the source of the data" in agency
    assert "`{prefix}-{order_number}` with prefix `ocds-pc0001`" in agency
    assert "e-mail datos@perucompras.gob.pe" in agency
    third = policy_markdown(IDENTITY, profile="production")
    assert "Source of the data: CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS" in third
    assert "it is not the publisher of this dataset" in third
    assert "placeholder" not in agency and "placeholder" not in third
    dev = policy_markdown(Identity(), profile="dev", synthetic=True)
    assert "**Not an official publication.**" in dev and "synthetic" in dev
    assert "A real publication runs in one of two ways" in dev
    # the dev publisher is an obvious placeholder, and PERÚ COMPRAS is only the data source
    publisher = dev.split("## Scope")[0]
    assert "Publisher (`publisher` of every package): Publicador de desarrollo (no oficial) " in dev
    assert "(XX-DEV no-oficial)" in publisher and "the development profile's placeholder" in dev
    assert "PE-RUC 20600927818" not in publisher
    assert "The publisher is PERÚ COMPRAS" not in dev
    assert "it is not the publisher of this dataset" in dev
