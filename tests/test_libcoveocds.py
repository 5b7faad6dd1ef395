"""libcoveocds, run offline against the shared OCDS files, finds nothing wrong in our packages."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from support.ocds_offline import LocalExtensionsAdapter, libcoveocds_report, mount_offline

from ocds_mappings.extensions import extension_urls
from ocds_mappings.identity import package_metadata
from ocds_mappings.mapping import (
    STATUS_RULES,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
)
from ocds_mappings.packaging import release_package
from publication.ocds_site import write_ocds_documents
from settings import DEV_BASE_URL, Identity

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.sample.csv"))
pytestmark = pytest.mark.shared("samples", "schema")


@pytest.fixture
def offline_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LocalExtensionsAdapter:
    """Official extensions from the OCDS files, local ones as the site refresh writes them
    under the dev base URL; any other request fails."""
    site = tmp_path / "site"
    write_ocds_documents(site, "perucompras-ocam", Identity(), profile="dev", synthetic=False)
    return mount_offline(monkeypatch, extension_urls(), served={f"{DEV_BASE_URL}/": site})


@pytest.fixture(scope="module")
def package() -> dict:
    """A release package of sample rows in every status, plus framework releases."""
    from perucompras.reader import read_monthly_file

    orders = pa.concat_tables([read_monthly_file(path).orders for path in SAMPLES])
    rows = orders.to_pylist()
    for index, row in enumerate(rows):
        row["status"] = list(STATUS_RULES)[index % len(STATUS_RULES)]
        if index % 2:
            row["status_document_url"] = "https://example.org/documento estado.pdf"
            row["rights_assignment_description"] = "Cesión a favor de un tercero"
    varied = pa.Table.from_pylist(rows, schema=orders.schema)
    releases = build_releases(varied) + build_framework_releases(agreements_first_seen(varied))
    return release_package(
        releases,
        uri="https://example.org/perucompras-ocam/2026/01/01/release-package.json",
        published_date="2026-01-01T23:59:59-05:00",
        metadata=package_metadata(Identity(), profile="dev", synthetic=False),
        extensions=extension_urls(),
    )


def test_libcoveocds_finds_no_error(
    package: dict, offline_session: LocalExtensionsAdapter, tmp_path: Path
) -> None:
    result = libcoveocds_report(package, tmp_path)

    assert result["validation_errors"] == []
    assert result.get("additional_fields", []) == []
    assert result.get("additional_closed_codelist_values", {}) == {}
    assert result.get("invalid_extension", {}) == {}
    assert result.get("additional_checks", {}) == {}
    for extension_url in extension_urls():
        assert offline_session.fetched(extension_url), (
            f"{extension_url} was not fetched through the local adapter"
        )
    assert offline_session.served_only_known_urls()
