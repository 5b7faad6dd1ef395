"""libcoveocds, offline, on real pipeline outputs: the day's release and record packages built
through extract → check_quality → map_releases → publish, from synthetic files with companions
and from the real sample files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.ocds_offline import libcoveocds_report, mount_offline
from support.shared import SAMPLES, check_shared
from support.snapshots import pay_one_order

from integrity.layout import (
    ANCHOR,
    DEFAULT_DATASET,
    RECORD_PACKAGE,
    RELEASE_PACKAGE,
    DayLayout,
    parse_file_name,
)
from ocds_mappings.docs import DAY_FILES, OPEN_CODELIST_VALUES, policy_markdown
from ocds_mappings.extensions import DECLARED_EXTENSIONS
from ocds_mappings.schema import CodelistChecker, load_codelists, load_release_schema
from perucompras.reader import month_of_file, read_monthly_file, read_source_dir
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export, generate_quotations
from publication import steps
from publication.details import companion_files
from publication.portal import EXTENSIONS_FOLDER
from quality.coherence import COHERENCE_RULES, WARNING_RULES, coherence_findings
from settings import EXAMPLE_OCID_PREFIX, Identity

pytestmark = pytest.mark.shared("schema")
PREFIX = EXAMPLE_OCID_PREFIX
IDENTITY = Identity()
DEFAULT_BASE_URL = IDENTITY.base_url
D1, D2 = dt.date(2025, 11, 10), dt.date(2025, 11, 11)


def _publish_day(files: list[Path], day: dt.date, root: Path, companions_dir: Path | None) -> Path:
    """Run the day's steps (no Dagster, no chain) and return the published folder."""
    # No Great Expectations cross-check: the subject is the OCDS output (~1 s a table and day).
    checked = steps.check_quality(steps.extract(files, day, root=root, run_gx=False), day)
    companions = companion_files(companions_dir, day) if companions_dir else None
    mapped = steps.map_releases(checked, ocid_prefix=PREFIX, root=root, companions=companions)
    published = steps.publish(
        mapped, root=root, dataset=DEFAULT_DATASET, day=day, identity=IDENTITY
    )
    assert published.gate_passed, published.failures
    return Path(published.folder)


@pytest.fixture(scope="module")
def synthetic_days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """D1 published from a synthetic month with companions; D2 after a later snapshot pays one of
    D1's orders (a late state, linked from D2's record package back to D1's release)."""
    source = tmp_path_factory.mktemp("source")
    root = tmp_path_factory.mktemp("published") / "datasets"
    monthly = generate_month(D1.year, D1.month, source, orders=600)
    orders = read_monthly_file(monthly).orders
    generate_detailed_export(D1.year, D1.month, source, orders=orders)
    generate_quotations(D1.year, D1.month, source, orders=orders)
    first = _publish_day([monthly], D1, root, source)
    paid_order = pay_one_order(monthly, D1, D2).rsplit("-", 1)[0]
    second = _publish_day([monthly], D2, root, source)
    return {"root": root, "folders": {D1: first, D2: second}, "paid_order": paid_order}


def _package(root: Path, day: dt.date, kind: str) -> dict[str, Any]:
    """A published day's JSON file, parsed."""
    return orjson.loads(DayLayout(root, DEFAULT_DATASET, day).path(kind).read_bytes())


def _release_url(day: dt.date, release_id: str) -> str:
    """Where the policy says a release published in ``day``'s package lives."""
    name = DayLayout(Path(), DEFAULT_DATASET, day).name(RELEASE_PACKAGE)
    return f"{DEFAULT_BASE_URL}/{DEFAULT_DATASET}/{day:%Y/%m/%d}/{name}#{release_id}"


def _policy_values() -> set[tuple[str, str]]:
    """(codelist, value) pairs the publication policy lists, read from its open-codelist table."""
    rows = {
        line.split(" | ")[0].removeprefix("| "): line
        for line in policy_markdown().splitlines()
        if line.startswith("| ")
    }
    pairs = set()
    for codelist, values in OPEN_CODELIST_VALUES.items():
        row = rows[codelist.removesuffix(".csv")]
        assert row.endswith(" | " + ", ".join(f"`{value}`" for value in values) + " |"), row
        pairs.update((codelist, value) for value in values)
    return pairs


def _open_values_used(releases: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Every (codelist, value) of an open-codelist field in ``releases``."""
    schema = load_release_schema()
    nothing_allowed = {name: frozenset[str]() for name in load_codelists()}
    issues = CodelistChecker(schema, nothing_allowed).report(releases)
    return {(issue.codelist, issue.value) for issue in issues if issue.open}


def _assert_clean(
    package: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp: Path, root: Path
) -> None:
    """libcoveocds (local extensions read as the site serves them from ``root``) finds no
    error, no undeclared field, no empty field and no codelist value outside the policy; the
    coherence suite finds no error and only warnings the policy explains."""
    adapter = mount_offline(
        monkeypatch, package["extensions"], served={f"{DEFAULT_BASE_URL}/": root}
    )
    report = libcoveocds_report(package, tmp)
    assert report["validation_errors"] == []
    assert report["additional_fields"] == []
    assert report["additional_closed_codelist_values"] == {}
    assert report["extensions"]["invalid_extension"] == {}
    assert report.get("additional_checks", {}) == {}
    assert report.get("json_deref_error") is None
    releases = package.get("releases") or _records_releases(package)
    findings = coherence_findings(releases, published_date=package["publishedDate"])
    assert {rule.id: findings[rule.id] for rule in COHERENCE_RULES if rule.severity == "block"} == {
        rule.id: [] for rule in COHERENCE_RULES if rule.severity == "block"
    }
    policy = policy_markdown()
    assert all(f"`{rule.id}`" in policy for rule in WARNING_RULES if findings[rule.id])
    outside = {
        (entry["codelist"], value)
        for entry in report["additional_open_codelist_values"].values()
        for value in entry["values"]
    }
    assert outside <= _policy_values(), f"open-codelist values not in the policy: {outside}"
    for url in package["extensions"]:
        assert adapter.fetched(url), f"{url} was not read through the offline adapter"
    assert adapter.served_only_known_urls(), adapter.requested


def _records_releases(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The compiled releases of a record package."""
    return [record["compiledRelease"] for record in package["records"]]


def test_policy_lists_every_open_codelist_value_and_only_codelist_values(
    synthetic_days: dict[str, Any],
) -> None:
    root = synthetic_days["root"]
    releases = [r for day in (D1, D2) for r in _package(root, day, RELEASE_PACKAGE)["releases"]]
    listed = _policy_values()
    assert _open_values_used(releases) <= listed
    codelists = load_codelists()
    assert {(c, v) for c, v in listed if v not in codelists[c]} == set()


def test_day_release_package_is_clean(
    synthetic_days: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = _package(synthetic_days["root"], D1, RELEASE_PACKAGE)
    releases = package["releases"]
    call_offs = [r for r in releases if "-OCAM-" in r["ocid"]]
    frameworks = [r for r in releases if "-AM-" in r["ocid"]]
    assert call_offs and frameworks
    assert all(r["tender"]["techniques"]["hasFrameworkAgreement"] for r in frameworks)
    links = [p for r in call_offs for p in r["relatedProcesses"]]
    assert all(p.get("identifier") or p["title"] for p in links)
    assert {p["identifier"] for p in links if "identifier" in p} <= {r["ocid"] for r in frameworks}
    # agreements known only by their name: a title, no invented identifier
    by_name = [p for p in links if "identifier" not in p]
    assert all(set(p) == {"id", "relationship", "title"} for p in by_name)
    contracts = [r["contracts"][0] for r in call_offs]
    assert any(c.get("items") for c in contracts)
    assert any(c.get("items", [{}])[0].get("deliveryAddress") for c in contracts)
    assert any(
        m["type"] == "delivery"
        for c in contracts
        for m in c.get("implementation", {}).get("milestones", [])
    )
    assert any(r.get("bids", {}).get("details") for r in call_offs)
    assert any("tenderer" in p["roles"] for r in call_offs for p in r["parties"])
    assert package["extensions"] == [
        f"{DEFAULT_BASE_URL}/{EXTENSIONS_FOLDER}/{e.folder}/extension.json" if e.local else e.url
        for e in DECLARED_EXTENSIONS
    ]
    _assert_clean(package, monkeypatch, tmp_path, synthetic_days["root"])


def test_late_state_release_package_is_clean(
    synthetic_days: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = _package(synthetic_days["root"], D2, RELEASE_PACKAGE)
    late = [r for r in package["releases"] if r["ocid"].endswith(synthetic_days["paid_order"])]
    assert [r["tag"] for r in late] == [["contractTermination"]]
    implementation = late[0]["contracts"][0]["implementation"]
    assert implementation["milestones"][0]["type"] == "payment"
    assert implementation["transactions"][0]["date"] == late[0]["date"]
    _assert_clean(package, monkeypatch, tmp_path, synthetic_days["root"])


def test_day_record_package_links_every_release_and_is_clean(
    synthetic_days: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = synthetic_days["root"]
    package = _package(root, D2, RECORD_PACKAGE)
    published = {
        day: {r["id"]: r for r in _package(root, day, RELEASE_PACKAGE)["releases"]}
        for day in (D1, D2)
    }
    assert {r["ocid"] for r in package["records"]} == {r["ocid"] for r in published[D2].values()}
    urls = {
        _release_url(day, rid): release
        for day in published
        for rid, release in published[day].items()
    }
    for record in package["records"]:
        for link in record["releases"]:
            assert link["url"] in urls, (
                f"{record['ocid']}: {link['url']} names no published release"
            )
            assert urls[link["url"]]["date"] == link["date"]
    (paid,) = [r for r in package["records"] if r["ocid"].endswith(synthetic_days["paid_order"])]
    assert [link["url"].split("/")[-2] for link in paid["releases"]] == [f"{D1:%d}", f"{D2:%d}"]
    assert paid["compiledRelease"]["contracts"][0]["status"] == "terminated"
    assert _open_values_used(_records_releases(package)) <= _policy_values()
    _assert_clean(package, monkeypatch, tmp_path, root)


def test_release_packages_of_the_real_samples_are_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    check_shared("samples")
    files = read_source_dir(SAMPLES)
    root = tmp_path / "datasets"
    days = sorted(
        {
            dt.date.fromisoformat(value[:10])
            for path in files
            for value in read_monthly_file(path).orders["formalized_at"].to_pylist()
            if month_of_file(path) == (int(value[:4]), int(value[5:7]))
        }
    )
    assert days
    published = 0
    for day in days:
        _publish_day(files, day, root, None)
        package = _package(root, day, RELEASE_PACKAGE)
        published += len(package["releases"])
        _assert_clean(package, monkeypatch, tmp_path, root)
        _assert_clean(_package(root, day, RECORD_PACKAGE), monkeypatch, tmp_path, root)
    assert published > 0


def test_policy_lists_exactly_the_files_of_a_published_day(synthetic_days: dict[str, Any]) -> None:
    assert synthetic_days["folders"]
    for day, folder in synthetic_days["folders"].items():
        kinds = set()
        for path in folder.iterdir():
            parsed = parse_file_name(path.name)
            assert parsed is not None and parsed[:2] == (DEFAULT_DATASET, day), path.name
            kinds.add(parsed[2])
        assert kinds == {kind for kind, _ in DAY_FILES} - {ANCHOR}, folder
