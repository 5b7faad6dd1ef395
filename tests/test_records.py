"""Record packages: compiled releases merged offline from the patched schema."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from ocds_mappings.extensions import extension_urls
from ocds_mappings.identity import package_metadata
from ocds_mappings.mapping import build_releases
from ocds_mappings.packaging import record_package, release_package
from ocds_mappings.schema import ReleaseValidator, load_release_schema
from settings import Identity

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.sample.csv"))
pytestmark = pytest.mark.shared("samples")
IDENTITY = Identity(
    publisher_name="Perú Compras Abierto", publisher_scheme="PE-RUC", publisher_uid="20600927818"
)
PACKAGE_ARGS = {
    "uri": "https://example.org/perucompras-ocam/2026/02/01/records.json",
    "published_date": "2026-02-01T23:59:59-05:00",
    "metadata": package_metadata(IDENTITY, profile="production", synthetic=False),
    "extensions": extension_urls(),
}


@pytest.fixture(scope="module")
def two_states() -> list[dict]:
    """An order accepted, then paid with a changed supplier name and a status document."""
    from perucompras.reader import read_monthly_file

    orders = read_monthly_file(SAMPLES[-1]).orders.slice(0, 1)
    row = orders.to_pylist()[0]
    paid = dict(
        row,
        status="PAGADA",
        last_status_at="2026-02-01T10:00:00-05:00",
        process_time="2026-03-01T08:00:00-05:00",
        supplier_name="COMPURED SOCIEDAD ANONIMA CERRADA",
        status_document_url="https://example.org/pago.pdf",
    )
    accepted = dict(row, status="ACEPTADA")
    return build_releases(pa.Table.from_pylist([paid, accepted], schema=orders.schema))


def test_compiled_release_matches_latest_state(two_states: list[dict]) -> None:
    package = record_package(two_states, schema=load_release_schema(), **PACKAGE_ARGS)
    (record,) = package["records"]
    latest = two_states[-1]
    compiled = record["compiledRelease"]
    assert record["ocid"] == latest["ocid"]
    assert [r["id"] for r in record["releases"]] == [r["id"] for r in two_states]
    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == latest["date"]
    assert compiled["contracts"][0]["value"] == latest["contracts"][0]["value"]
    assert compiled["contracts"][0]["status"] == "terminated"
    assert compiled["contracts"][0]["statusDetails"] == "PAGADA"
    implementation = compiled["contracts"][0]["implementation"]
    assert implementation == latest["contracts"][0]["implementation"]
    assert implementation["milestones"][0]["status"] == "met"
    assert compiled["parties"] == latest["parties"]
    assert {p["name"] for p in compiled["parties"]} >= {"COMPURED SOCIEDAD ANONIMA CERRADA"}
    assert ReleaseValidator().errors({**compiled, "id": compiled["id"]}) == []


def test_package_metadata(two_states: list[dict]) -> None:
    package = release_package(two_states, **PACKAGE_ARGS)
    assert package["version"] == "1.1"
    assert package["publishedDate"] == PACKAGE_ARGS["published_date"]
    assert package["publisher"] == {
        "name": "Perú Compras Abierto",
        "scheme": "PE-RUC",
        "uid": "20600927818",
    }
    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["publicationPolicy"] == "http://127.0.0.1:8000/publication-policy.md"
    assert package["releases"] == two_states


def test_dev_and_synthetic_labels_compose() -> None:
    def name(profile: str, synthetic: bool) -> str:
        block = package_metadata(IDENTITY, profile=profile, synthetic=synthetic)  # type: ignore[arg-type]
        return str(block["publisher"]["name"])

    assert name("production", False) == "Perú Compras Abierto"
    assert (
        name("dev", False) == "Perú Compras Abierto (publicación no oficial, perfil de desarrollo)"
    )
    assert (
        name("production", True) == "Perú Compras Abierto (datos sintéticos, no son órdenes reales)"
    )
    assert name("dev", True) == (
        "Perú Compras Abierto (publicación no oficial, perfil de desarrollo; "
        "datos sintéticos, no son órdenes reales)"
    )
