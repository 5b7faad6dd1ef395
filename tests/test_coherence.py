"""The coherence suite: each rule catches what it names, and a synthetic month with every
status and the real samples give zero errors and only warnings the policy explains."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ocds_mappings.caveats import WARNINGS
from ocds_mappings.details import attach_details
from ocds_mappings.docs import policy_markdown
from ocds_mappings.mapping import (
    STATUS_RULES,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
)
from ocds_mappings.packaging import record_package
from ocds_mappings.schema import load_release_schema
from perucompras.detailed_export import read_detailed_export
from perucompras.quotations import quotations_for_orders
from perucompras.reader import read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export, generate_quotations
from quality.coherence import COHERENCE_RULES, WARNING_RULES, check_coherence, coherence_findings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.csv"))
ERRORS = [rule.id for rule in COHERENCE_RULES if rule.severity == "block"]


def _errors(releases: list[dict[str, Any]], published_date: str | None = None) -> dict[str, list]:
    found = coherence_findings(releases, published_date=published_date)
    return {rule: found[rule] for rule in ERRORS if found[rule]}


def _compiled(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compiled releases of every ocid (what the record packages carry)."""
    package = record_package(
        releases,
        schema=load_release_schema(),
        uri="u",
        published_date="2026-01-01T00:00:00-05:00",
        metadata={"publisher": {"name": "p"}, "license": "l", "publicationPolicy": "p"},
        extensions=[],
    )
    return [record["compiledRelease"] for record in package["records"]]


def _assert_clean(releases: list[dict[str, Any]]) -> None:
    assert releases
    assert _errors(releases) == {}
    assert _errors(_compiled(releases)) == {}
    policy = policy_markdown()
    found = coherence_findings(releases)
    for rule in WARNING_RULES:
        if found[rule.id]:
            assert f"`{rule.id}`: {WARNINGS[rule.id]}" in policy


def _warning_checks() -> set[str]:
    """Every check that warns without blocking: the warning-severity rules of the quality
    catalogues, the coherence warnings and the mapping step's non-blocking output checks."""
    from publication.steps.mapping import NON_BLOCKING_OCDS_CHECKS
    from quality.lines import LINE_RULES
    from quality.quotations import QUOTATION_RULES
    from quality.rules import RULES

    catalogued = {r.id for r in (*RULES, *LINE_RULES, *QUOTATION_RULES) if r.severity == "warn"}
    return catalogued | {rule.id for rule in WARNING_RULES} | set(NON_BLOCKING_OCDS_CHECKS)


def test_every_warning_is_explained_in_the_policy() -> None:
    warnings = _warning_checks()
    assert {
        "igv_cents.rate",
        "table.row_count",
        "status.unknown_share",
        "procedure_type.unknown_share",
        "agreement_code.unknown_share",
        "status.known",
        "procedure_type.known",
        "agreement_code.known",
        "ocds.open_codelists",
        "coherence.unknown_status",
        "coherence.unknown_procedure",
    } <= warnings
    assert warnings == set(WARNINGS)  # none unexplained, no explanation of a blocking check
    policy = policy_markdown()
    section = policy.split("## Checks and warnings")[1].split("\n## ")[0]
    for check_id in sorted(warnings):
        assert f"- `{check_id}`: {WARNINGS[check_id]}" in section
    for rule in WARNING_RULES:
        assert rule.policy == WARNINGS[rule.id]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """A synthetic month (every status), with lines, deliveries, quotations and first stages,
    and a later snapshot in which some accepted orders were paid, resolved or voided."""
    folder = tmp_path_factory.mktemp("month")
    monthly = generate_month(2025, 10, folder, orders=250)
    orders = read_monthly_file(monthly).orders
    detail = read_detailed_export(generate_detailed_export(2025, 10, folder, orders=orders))
    quotes = quotations_for_orders(
        generate_quotations(2025, 10, folder, orders=orders),
        orders["order_number"].combine_chunks(),
    )
    rows = orders.to_pylist()
    accepted = [row for row in rows if row["status"] == "ACEPTADA"]
    later = []
    for index, row in enumerate(accepted[:60]):
        status = ("PAGADA", "RESUELTA", "ORDEN DE COMPRA NULA")[index % 3]
        later.append(
            dict(
                row,
                status=status,
                last_status_at="2025-12-15T10:00:00-05:00",
                process_time="2026-01-02T08:00:00-05:00",
            )
        )
    both = pa.concat_tables([orders, pa.Table.from_pylist(later, schema=orders.schema)])
    releases = attach_details(
        build_releases(both), lines=detail.lines, deliveries=detail.deliveries, quotations=quotes
    )
    return [*build_framework_releases(agreements_first_seen(orders)), *releases]


@pytest.mark.shared("schema")
def test_a_synthetic_month_with_every_status_is_coherent(month: list[dict[str, Any]]) -> None:
    statuses = {r["contracts"][0]["statusDetails"] for r in month if r.get("contracts")}
    assert statuses == set(STATUS_RULES)
    assert any(len(r["tag"]) == 1 and r["tag"][0] != "tender" for r in month)  # later states
    _assert_clean(month)


@pytest.mark.shared("samples", "schema")
def test_the_real_samples_are_coherent() -> None:
    orders = pa.concat_tables([read_monthly_file(path).orders for path in SAMPLES])
    releases = [
        *build_framework_releases(agreements_first_seen(orders)),
        *build_releases(orders),
    ]
    _assert_clean(releases)


def _paid(month: list[dict[str, Any]]) -> dict[str, Any]:
    release = next(
        r
        for r in month
        if r.get("contracts")
        and r["contracts"][0]["statusDetails"] == "PAGADA"
        and len(r["contracts"][0]["implementation"]["milestones"]) > 1
    )
    return copy.deepcopy(release)


@pytest.mark.shared("schema")
def test_each_rule_catches_what_it_names(month: list[dict[str, Any]]) -> None:
    def broken(change: Any) -> dict[str, list[str]]:
        release = _paid(month)
        change(release)
        return {rule: found for rule, found in coherence_findings([release]).items() if found}

    contract = "contracts"
    cases = {
        "coherence.dates_in_order": lambda r: r[contract][0].update(
            dateSigned="2099-01-01T00:00:00-05:00"
        ),
        "coherence.statuses_agree": lambda r: r[contract][0]["implementation"]["milestones"][1].pop(
            "dateMet"
        ),
        "coherence.no_empty_fields": lambda r: r["tender"].update(title=" "),
        "coherence.party_names_match": lambda r: r["awards"][0]["suppliers"][0].update(name="OTRO"),
        "coherence.party_references": lambda r: r["buyer"].update(id="PE-RUC-00000000000"),
        "coherence.amounts_non_negative": lambda r: r[contract][0]["value"].update(amount=-1),
        "coherence.unknown_status": lambda r: (
            r[contract][0].pop("status"),
            r["awards"][0].pop("status"),
            r[contract][0].update(statusDetails="NUEVO"),
        ),
        "coherence.unknown_procedure": lambda r: r["tender"].update(procurementMethodDetails="X"),
    }
    assert set(cases) == {rule.id for rule in COHERENCE_RULES}
    for rule_id, change in cases.items():
        assert rule_id in broken(change), rule_id

    cancelled = _paid(month)
    cancelled[contract][0]["status"] = "cancelled"
    found = coherence_findings([cancelled])["coherence.statuses_agree"]
    assert any("(before signature) but has dateSigned" in f for f in found)
    assert any("has transactions" in f for f in found)
    late = coherence_findings([_paid(month)], published_date="2000-01-01T00:00:00-05:00")
    assert late["coherence.dates_in_order"]


def test_reference_findings_name_the_path_of_every_kind_of_reference() -> None:
    """Each kind of party reference, named by its path, for a missing party, another name and
    a missing role; a party with a role nothing references."""
    party = {"id": "A", "name": "Ana", "roles": ["buyer", "procuringEntity", "payer"]}
    release = {
        "id": "r1",
        "parties": [party, {"id": "B", "name": "Beto", "roles": ["supplier", "tenderer"]}],
        "buyer": {"id": "A", "name": "Ana"},
        "tender": {
            "procuringEntity": {"id": "A", "name": "ANA"},
            "tenderers": [{"id": "B", "name": "Beto"}, {"id": "Z", "name": "Zoe"}],
        },
        "awards": [{"id": "1", "suppliers": [{"id": "B", "name": "Beto"}, {"id": "A"}]}],
        "bids": {
            "details": [
                {"tenderers": [{"id": "B", "name": "Beto"}]},
                {"tenderers": [{"id": "B", "name": "BETO"}, {"id": "Y", "name": "Yo"}]},
            ]
        },
        "contracts": [
            {
                "implementation": {
                    "transactions": [
                        {"payer": {"id": "A", "name": "Ana"}, "payee": {"id": "B", "name": "Beto"}}
                    ]
                }
            }
        ],
    }
    found = coherence_findings([release])
    assert found["coherence.party_names_match"] == [
        "r1: tender.procuringEntity.name 'ANA' differs from the party's 'Ana'",
        "r1: awards[0].suppliers[1].name None differs from the party's 'Ana'",
        "r1: bids.details[1].tenderers[0].name 'BETO' differs from the party's 'Beto'",
    ]
    assert found["coherence.party_references"] == [
        "r1: tender.tenderers[1] references 'Z', not in parties",
        "r1: awards[0].suppliers[1] references 'A', whose roles lack 'supplier'",
        "r1: bids.details[1].tenderers[1] references 'Y', not in parties",
        "r1: contracts[0].implementation.transactions[0].payee references 'B', whose roles "
        "lack 'payee'",
    ]


@pytest.mark.shared("schema")
def test_day_checks_block_on_errors_and_warn_on_warnings(month: list[dict[str, Any]]) -> None:
    clean = check_coherence(month)
    assert [c.name for c in clean] == [rule.id for rule in COHERENCE_RULES]
    assert all(c.passed for c in clean)
    release = _paid(month)
    release["tender"]["procurementMethodDetails"] = "X"
    release["awards"][0]["suppliers"][0]["name"] = "OTRO"
    checks = {c.name: c for c in check_coherence([release], lang="en")}
    assert checks["coherence.party_names_match"].blocking_failure
    warning = checks["coherence.unknown_procedure"]
    assert not warning.passed and not warning.blocking_failure
    assert warning.details["count"] == 1 and warning.message.startswith("1 finding(s)")


def test_dates_compare_instants_in_a_fixed_order_whatever_the_text() -> None:
    signed = "2026-02-03T10:00:00-05:00"
    release = {
        "id": "r",
        "date": "2026-02-03T15:00:00+00:00",  # 10:00 in Lima: equal, not after
        "awards": [{"id": "a", "date": "2026-02-03T10:00:01-05:00"}],
        "contracts": [
            {
                "awardID": "a",
                "dateSigned": signed,
                "period": {"startDate": "2026-03-01T00:00:00-05:00", "endDate": "not a date"},
                "implementation": {
                    "transactions": [
                        {"date": "2026-02-03T09:00:00-05:00"},
                        {"date": "2026-02-03T09:00:00"},  # no offset: never compared
                    ]
                },
            }
        ],
    }
    found = coherence_findings([release], published_date=signed)["coherence.dates_in_order"]
    assert found == [
        "r: awards[0].date 2026-02-03T10:00:01-05:00 is after date 2026-02-03T15:00:00+00:00",
        "r: award date 2026-02-03T10:00:01-05:00 is after contracts[0].dateSigned " + signed,
        "r: contracts[0].dateSigned 2026-02-03T10:00:00-05:00 is after "
        "contracts[0].implementation.transactions[0].date 2026-02-03T09:00:00-05:00",
    ]
    # the same texts again (remembered parses) give the same findings
    assert coherence_findings([release], published_date=signed)["coherence.dates_in_order"] == found
