"""Patched OCDS 1.1.5 schema, compiled per-release validation and codelist checks."""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pytest

from ocds_mappings.extensions import DECLARED_EXTENSIONS, extension_urls
from ocds_mappings.mapping import (
    STATUS_RULES,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
)
from ocds_mappings.schema import (
    OcdsFilesMissingError,
    ReleaseValidator,
    codelist_checker,
    json_merge_patch,
    load_release_schema,
    ocds_dir,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.sample.csv"))
pytestmark = pytest.mark.shared("samples", "schema")


@pytest.fixture(scope="module")
def validator() -> ReleaseValidator:
    """The compiled validator for the patched schema."""
    return ReleaseValidator()


@pytest.fixture(scope="module")
def releases() -> list[dict]:
    """Sample orders in every documented status, plus their framework releases."""
    from perucompras.reader import read_monthly_file

    orders = pa.concat_tables([read_monthly_file(path).orders for path in SAMPLES])
    rows = orders.to_pylist()
    for index, row in enumerate(rows):
        row["status"] = list(STATUS_RULES)[index % len(STATUS_RULES)]
        if index % 3 == 0:
            row["status_document_url"] = (
                "https://saeusceprod01.blob.core.windows.net/x/Resolución 1.pdf"
            )
            row["status_description"] = "Observación | con ; separadores"
    varied = pa.Table.from_pylist(rows, schema=orders.schema)
    return build_releases(varied) + build_framework_releases(agreements_first_seen(varied))


def test_every_release_is_valid(validator: ReleaseValidator, releases: list[dict]) -> None:
    assert validator.validate_many(releases) == [[] for _ in releases]


def test_no_codelist_issue(releases: list[dict]) -> None:
    assert codelist_checker().report(releases) == {}


def test_errors_name_the_json_path(validator: ReleaseValidator, releases: list[dict]) -> None:
    release = copy.deepcopy(releases[0])
    release["contracts"][0]["status"] = "paid"
    release["contracts"][0]["value"]["amountNet"] = "10.00"
    release["date"] = "2025-12-31 12:11:42"
    errors = validator.errors(release)
    assert any(e.startswith("$.contracts[0].status:") for e in errors)
    assert any(e.startswith("$.contracts[0].value.amountNet:") for e in errors)
    assert any(e.startswith("$.date:") and "date-time" in e for e in errors)
    assert all(len(e) < 300 for e in errors)


def test_extension_fields_are_in_the_schema() -> None:
    schema = load_release_schema()
    assert "amountNet" in schema["definitions"]["Value"]["properties"]
    assert "techniques" in schema["definitions"]["Tender"]["properties"]
    assert "bids" in schema["properties"]
    assert len(extension_urls()) == len(DECLARED_EXTENSIONS)
    assert all(url.endswith("/extension.json") for url in extension_urls())


def test_codelist_checker_reports_open_and_closed() -> None:
    checker = codelist_checker()
    release = {
        "tag": ["award", "notATag"],
        "parties": [{"roles": ["buyer", "financialAdvisor"]}],
        "contracts": [{"status": "finished", "documents": [{"documentType": "contractSigned"}]}],
    }
    issues = {(i.path, i.value, i.open) for i in checker.issues(release)}
    assert issues == {
        ("$.tag[1]", "notATag", False),
        ("$.parties[0].roles[1]", "financialAdvisor", True),
        ("$.contracts[0].status", "finished", False),
    }


def test_json_merge_patch_follows_rfc7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    patch = {"a": "z", "c": {"f": None}}
    assert json_merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}
    assert json_merge_patch({"a": [1]}, {"a": [2]}) == {"a": [2]}
    assert json_merge_patch({"a": "b"}, ["c"]) == ["c"]


def test_missing_ocds_dir_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(OcdsFilesMissingError, match="PERUCOMPRAS_OCDS_DIR"):
        ocds_dir(tmp_path)


def test_validate_many_over_a_large_batch(
    validator: ReleaseValidator, releases: list[dict]
) -> None:
    batch = releases * (20_000 // len(releases))
    results = validator.validate_many(batch)
    assert len(results) == len(batch) > 10_000
    assert not any(results)


def test_codelist_report_equals_the_walk_of_each_release(releases: list[dict]) -> None:
    checker = codelist_checker()
    spoiled = copy.deepcopy(releases[:40])
    spoiled[3]["tag"] = ["compiled", "bogusTag"]
    spoiled[7]["contracts"][0]["status"] = "paid"
    spoiled[7]["contracts"][0]["value"]["currency"] = "XXX"
    spoiled[11]["bids"] = {
        "details": [
            {"id": "a", "status": "valid", "value": {"amount": 1, "currency": "PEN"}},
            {"id": "b", "status": "nonsense", "value": {"amount": 2, "currency": "PEN"}},
        ]
    }
    expected: dict = {}
    for release in spoiled:
        for issue in checker.issues(release):
            expected[issue] = expected.get(issue, 0) + 1
    report = checker.report(spoiled)
    assert report == expected
    paths = {issue.path for issue in report}
    assert {"$.tag[1]", "$.contracts[0].status", "$.bids.details[1].status"} <= paths
    assert checker.report(copy.deepcopy(releases)) == {}


def test_each_kind_of_codelist_issue_alone_is_reported(releases: list[dict]) -> None:
    """The column-at-a-time proof that a batch is clean misses none of them: a code in a list,
    a scalar code, a code nested in an object and one in an array of objects."""
    checker = codelist_checker()
    spoils = {
        "$.tag[1]": lambda r: r.update(tag=["compiled", "bogusTag"]),
        "$.contracts[0].status": lambda r: r["contracts"][0].update(status="paid"),
        "$.contracts[0].value.currency": lambda r: r["contracts"][0]["value"].update(
            currency="SOLES"
        ),
        "$.bids.details[1].status": lambda r: r.update(
            bids={"details": [{"id": "a", "status": "valid"}, {"id": "b", "status": "nonsense"}]}
        ),
    }
    for path, spoil in spoils.items():
        batch = copy.deepcopy(releases[:40])
        spoil(batch[5])
        assert {issue.path for issue in checker.report(batch)} == {path}, path
