"""Call-off and framework releases built from the real sample rows."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from ocdsmerge import Merger

from ocds_mappings import docs
from ocds_mappings.mapping import (
    PROCEDURE_RULES,
    STATUS_RULES,
    Agreement,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
    canonical_json,
    cents_to_number,
    map_orders,
    release_id,
)
from ocds_mappings.packaging import compiled_release
from ocds_mappings.schema import ReleaseValidator, load_codelists, load_release_schema
from quality.coherence import coherence_findings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.sample.csv"))
pytestmark = pytest.mark.shared("samples")


@pytest.fixture(scope="module")
def orders() -> pa.Table:
    """Both sample months through the project's reader, agreements resolved as the pipeline
    does (names of 2025-12 through the codes the 2022-01 labels carry)."""
    from perucompras.agreements import learned_from, resolve_agreements
    from perucompras.reader import read_monthly_file

    read = pa.concat_tables([read_monthly_file(path).orders for path in SAMPLES])
    return resolve_agreements(read, learned_from(read))


def _with(table: pa.Table, row_index: int, **changes: object) -> pa.Table:
    """One row of `table` with some columns changed."""
    row = table.slice(row_index, 1).to_pylist()[0]
    row.update(changes)
    return pa.Table.from_pylist([row], schema=table.schema)


def test_every_sample_row_maps_to_one_first_release(orders: pa.Table) -> None:
    from perucompras.agreements import agreement_infos

    result = map_orders(orders, agreements=agreement_infos(orders).get)
    assert result.quarantine.num_rows == 0
    assert len(result.releases) == orders.num_rows
    by_ocid = {r["ocid"]: r for r in result.releases}
    for row in orders.to_pylist():
        release = by_ocid[f"ocds-213czf-{row['order_id']}"]
        contract, award = release["contracts"][0], release["awards"][0]
        assert release["tag"] == ["award", "contract"]
        assert release["date"] == row["last_status_at"]
        assert contract["id"] == row["order_number"]
        assert contract["statusDetails"] == row["status"]
        assert contract["status"] == STATUS_RULES[row["status"]].contract_status
        assert contract["dateSigned"] == award["date"] == row["formalized_at"]
        assert release["tender"]["status"] == "complete"
        assert contract["title"] == f"Orden de compra electrónica {row['order_number']}"
        competitive = PROCEDURE_RULES[row["procedure_type"]].competitive
        assert release["tender"].get("competitive") == competitive
        assert release["buyer"]["id"] == f"PE-RUC-{row['buyer_ruc']}"
        assert award["suppliers"][0]["id"] == f"PE-RUC-{row['supplier_ruc']}"
        assert release["tender"]["procurementMethodDetails"] == row["procedure_type"]
        link = release["relatedProcesses"][0]
        assert link["relationship"] == ["framework"] and link["title"]
        code = row["agreement_code"]
        if code and not code.startswith("NC-"):
            assert link["identifier"] == f"ocds-213czf-AM-{code}"
        else:  # known only by its name: no invented identifier
            assert set(link) == {"id", "relationship", "title"}
        stamp = row["last_status_at"][:19].replace("-", "").replace(":", "")
        assert release["id"].startswith(f"{row['order_id']}-{stamp}-")
        assert "#" not in release["id"]


def test_amounts_are_exact(orders: pa.Table) -> None:
    releases = {r["contracts"][0]["id"]: r for r in build_releases(orders)}
    assert orders.num_rows > 0 and len(releases) == orders.num_rows
    for row in orders.to_pylist():
        value = releases[row["order_number"]]["contracts"][0]["value"]
        assert Decimal(repr(value["amount"])) * 100 == row["total_cents"]
        assert Decimal(repr(value["amountNet"])) * 100 == row["subtotal_cents"]
        assert value["currency"] == "PEN"


@pytest.mark.parametrize(
    ("cents", "expected"),
    [(350000, "3500"), (191514, "1915.14"), (1, "0.01"), (412832204, "4128322.04"), (10, "0.1")],
)
def test_cents_become_the_exact_decimal(cents: int, expected: str) -> None:
    assert canonical_json(cents_to_number(cents)).decode() == expected


def test_canonical_json_matches_rfc8785(orders: pa.Table) -> None:
    releases = build_releases(orders)
    assert releases
    for release in releases:
        assert canonical_json(release) == rfc8785.dumps(release)


def test_release_id_hashes_the_release_without_id(orders: pa.Table) -> None:
    release = build_releases(orders)[0]
    assert release_id(release, release["tender"]["id"]) == release["id"]
    changed = copy.deepcopy(release)
    changed["contracts"][0]["value"]["amount"] += 1
    assert release_id(changed, release["tender"]["id"]) != release["id"]


def test_mapping_is_deterministic(orders: pa.Table) -> None:
    first = build_releases(orders)
    second = build_releases(orders.take(list(reversed(range(orders.num_rows)))))
    assert canonical_json(first) == canonical_json(second)


def test_one_party_per_ruc_with_one_name(orders: pa.Table) -> None:
    renamed = _with(orders, 0, buyer_name="OLD NAME", process_time="2000-01-01T00:00:00-05:00")
    later = _with(
        orders,
        1,
        buyer_ruc=renamed["buyer_ruc"][0].as_py(),
        buyer_name="NEW NAME",
        process_time="2030-01-01T00:00:00-05:00",
    )
    releases = build_releases(pa.concat_tables([renamed, later]))
    for release in releases:
        ids = [party["id"] for party in release["parties"]]
        assert len(ids) == len(set(ids))
        names = {p["id"]: p["name"] for p in release["parties"]}
        assert release["buyer"]["name"] == names[release["buyer"]["id"]] == "NEW NAME"
        assert release["tender"]["procuringEntity"]["name"] == "NEW NAME"
        supplier = release["awards"][0]["suppliers"][0]
        assert supplier["name"] == names[supplier["id"]]


def test_buyer_that_is_also_supplier_is_one_party(orders: pa.Table) -> None:
    row = orders.slice(0, 1).to_pylist()[0]
    same = _with(
        orders,
        0,
        supplier_ruc=row["buyer_ruc"],
        supplier_name=row["buyer_name"],
        status="ACEPTADA",
    )
    (release,) = build_releases(same)
    assert [p["roles"] for p in release["parties"]] == [["buyer", "procuringEntity", "supplier"]]
    (paid,) = build_releases(_with(same, 0, status="PAGADA"))
    assert [p["roles"] for p in paid["parties"]] == [
        ["buyer", "procuringEntity", "payer", "supplier", "payee"]
    ]


@pytest.mark.parametrize("status", list(STATUS_RULES))
def test_status_table(orders: pa.Table, status: str) -> None:
    rule = STATUS_RULES[status]
    row = _with(orders, 0, status=status, status_document_url="https://example.org/estado 1.pdf")
    (release,) = build_releases(row)
    contract, award = release["contracts"][0], release["awards"][0]
    assert contract["status"] == rule.contract_status
    assert award["status"] == rule.award_status
    assert contract["statusDetails"] == status
    assert ("dateSigned" in contract) == rule.signed
    status_doc = contract["documents"][-1]
    assert status_doc["documentType"] == rule.status_document_type
    assert status_doc["url"] == "https://example.org/estado%201.pdf"
    implementation = contract.get("implementation", {})
    status_date = row["last_status_at"][0].as_py()
    if status == "PAGADA":
        assert implementation["milestones"] == [
            {
                "id": "payment",
                "title": "Pago de la orden de compra",
                "type": "payment",
                "status": "met",
                "dateMet": status_date,
            }
        ]
        (transaction,) = implementation["transactions"]
        assert transaction["date"] == status_date
        assert transaction["value"] == {
            "amount": contract["value"]["amount"],
            "currency": "PEN",
        }
        assert transaction["payer"] == release["buyer"]
        assert transaction["payee"] == award["suppliers"][0]
        roles = {party["id"]: party["roles"] for party in release["parties"]}
        assert "payer" in roles[release["buyer"]["id"]]
        assert "payee" in roles[award["suppliers"][0]["id"]]
    else:
        assert implementation == {}
    if status == "RESUELTA":
        assert "antes de cumplirse" in contract["description"]
    if status == "ORDEN DE COMPRA NULA":
        assert (award["status"], contract["status"]) == ("cancelled", "cancelled")
        assert "dateSigned" not in contract
    assert {
        rule_id: found for rule_id, found in coherence_findings([release]).items() if found
    } == {}


def test_unknown_status_is_published_raw_never_guessed(orders: pa.Table) -> None:
    unknown = _with(orders, 0, status="EN PROCESO")
    result = map_orders(pa.concat_tables([unknown, orders.slice(1, 2)]))
    assert result.quarantine.num_rows == 0 and len(result.releases) == 3
    (release,) = [r for r in result.releases if r["contracts"][0]["statusDetails"] == "EN PROCESO"]
    contract, award = release["contracts"][0], release["awards"][0]
    assert "status" not in contract and "status" not in award
    assert "implementation" not in contract
    findings = coherence_findings([release])
    assert len(findings["coherence.unknown_status"]) == 1
    assert [rule for rule, found in findings.items() if found] == ["coherence.unknown_status"]
    later = _with(unknown, 0, status="EN PROCESO", last_status_at="2026-02-01T09:00:00-05:00")
    order_id = unknown["order_id"][0].as_py()
    (update,) = map_orders(later, published={order_id: "2025-01-01T00:00:00-05:00"}).releases
    assert update["tag"] == ["contractUpdate"]


def test_procedure_table_sets_competitive_only_where_supported(orders: pa.Table) -> None:
    grand = build_releases(_with(orders, 0, procedure_type="Gran Compra"))[0]["tender"]
    ordinary = build_releases(_with(orders, 0, procedure_type="Compra ordinaria"))[0]["tender"]
    other = build_releases(_with(orders, 0, procedure_type="Compra Directa X"))[0]
    assert grand["competitive"] is True and grand["procurementMethodDetails"] == "Gran Compra"
    # a direct call-off (no second-stage competition): the OCDS guidance's competitive false
    assert ordinary["competitive"] is False
    assert ordinary["procurementMethodDetails"] == "Compra ordinaria"
    assert "competitive" not in other["tender"]
    assert other["tender"]["procurementMethodDetails"] == "Compra Directa X"
    assert coherence_findings([other])["coherence.unknown_procedure"]
    assert all(rule.sources for rule in PROCEDURE_RULES.values())


def test_ocid_pattern_is_applied(orders: pa.Table) -> None:
    (release,) = build_releases(
        orders.slice(0, 1), ocid_prefix="ocds-abc123", ocid_pattern="{prefix}-{order_number}"
    )
    assert release["ocid"] == f"ocds-abc123-{orders['order_number'][0].as_py()}"
    assert release["relatedProcesses"][0]["identifier"].startswith("ocds-abc123-AM-")


def test_agreement_known_only_by_name_has_no_framework_ocid(orders: pa.Table) -> None:
    code = orders["agreement_code"][0].as_py()
    fake = {code: Agreement(code, "SOLO NOMBRE", "goods", has_code=False)}
    (release,) = build_releases(orders.slice(0, 1), agreements=fake.get)
    assert release["relatedProcesses"] == [
        {"id": "1", "relationship": ["framework"], "title": "SOLO NOMBRE"}
    ]
    assert build_framework_releases({code: "2025-01-01T00:00:00-05:00"}, agreements=fake.get) == []


def test_inconsistent_total_is_quarantined_an_unknown_agreement_is_not(orders: pa.Table) -> None:
    row = orders.slice(0, 1).to_pylist()[0]
    bad_total = _with(orders, 0, total_cents=row["total_cents"] + 1)
    new_agreement = _with(
        orders, 1, agreement_code="XX-CE-1999-1", agreement_name="ACUERDO NUEVO DE PRUEBA"
    )
    result = map_orders(pa.concat_tables([bad_total, new_agreement]))
    assert result.quarantine["rule"].to_pylist() == ["total_mismatch"]
    # the order's own label decides: a code the curated table does not know is published
    (release,) = result.releases
    assert release["relatedProcesses"] == [
        {
            "id": "1",
            "relationship": ["framework"],
            "scheme": "ocid",
            "identifier": "ocds-213czf-AM-XX-CE-1999-1",
            "title": "ACUERDO NUEVO DE PRUEBA",
        }
    ]
    assert release["tender"]["mainProcurementCategory"] == "goods"


def test_later_states_get_update_and_termination_tags(orders: pa.Table) -> None:
    accepted = _with(orders, 0, status="ACEPTADA", last_status_at="2025-12-31T12:11:42-05:00")
    paid = _with(orders, 0, status="PAGADA", last_status_at="2026-02-01T09:00:00-05:00")
    first, second = build_releases(pa.concat_tables([paid, accepted]))
    assert (first["tag"], second["tag"]) == (["award", "contract"], ["contractTermination"])
    assert first["ocid"] == second["ocid"] and first["date"] < second["date"]

    order_id = accepted["order_id"][0].as_py()
    published = {order_id: "2025-12-31T12:11:42-05:00"}
    result = map_orders(pa.concat_tables([accepted, paid]), published=published)
    assert result.already_published == 1
    assert [r["tag"] for r in result.releases] == [["contractTermination"]]
    update = map_orders(accepted, published={order_id: "2025-01-01T00:00:00-05:00"})
    assert update.releases[0]["tag"] == ["contractUpdate"]
    older = map_orders(accepted, published={order_id: "2026-03-01T00:00:00-05:00"})
    assert older.quarantine["rule"].to_pylist() == ["status_date_before_published"]


def test_same_state_in_two_snapshots_is_one_release(orders: pa.Table) -> None:
    snapshot = _with(orders, 0, process_time="2026-02-01T08:00:00-05:00")
    assert len(build_releases(pa.concat_tables([orders.slice(0, 1), snapshot]))) == 1


def test_agreements_come_from_the_lookup_given(orders: pa.Table) -> None:
    code = orders["agreement_code"][0].as_py()
    fake = {code: Agreement(code, "NOMBRE DE PRUEBA", "goods")}
    (release,) = build_releases(orders.slice(0, 1), agreements=fake.get, ocid_prefix="ocds-test")
    assert release["ocid"].startswith("ocds-test-")
    assert release["relatedProcesses"][0] == {
        "id": "1",
        "relationship": ["framework"],
        "scheme": "ocid",
        "identifier": f"ocds-test-AM-{code}",
        "title": "NOMBRE DE PRUEBA",
    }


def test_framework_releases(orders: pa.Table) -> None:
    used = agreements_first_seen(orders)
    releases = build_framework_releases(used)
    coded = sorted(used)
    assert coded and not any(code.startswith("NC-") for code in coded)  # local codes: never
    # the samples have agreements known by name only: a null code, no first stage for them
    assert orders.filter(pc.is_null(orders["agreement_code"])).num_rows > 0
    assert [r["ocid"] for r in releases] == [f"ocds-213czf-AM-{c}" for c in coded]
    for release in releases:
        tender = release["tender"]
        assert "buyer" not in release
        assert release["parties"][0]["roles"] == ["procuringEntity"]
        assert tender["procuringEntity"]["id"] == "PE-RUC-20600927818"
        assert tender["status"] == "complete" and tender["procurementMethod"] == "selective"
        assert tender["techniques"]["hasFrameworkAgreement"] is True
        assert tender["techniques"]["frameworkAgreement"]["buyerCategories"]
        # call-offs with (Gran Compra) and without (Compra ordinaria) reopened competition
        method = tender["techniques"]["frameworkAgreement"]["method"]
        assert method == "withAndWithoutReopeningCompetition"
        assert method in load_codelists()["frameworkAgreementMethod.csv"]
        assert release["date"] == used[release["ocid"].removeprefix("ocds-213czf-AM-")]
    assert build_framework_releases(used) == releases
    assert {k: v for k, v in coherence_findings(releases).items() if v} == {}
    validator = ReleaseValidator(load_release_schema())
    assert [validator.errors(release) for release in releases] == [[] for _ in releases]


def test_framework_release_carries_the_known_term() -> None:
    known = Agreement(
        "XX-CE-2024-1",
        "PRUEBA",
        "goods",
        start_date="2024-03-01",
        end_date="2026-02-28",
        gran_compra_cents=10_000_000,
    )
    (release,) = build_framework_releases(
        {"XX-CE-2024-1": "2024-03-01T00:00:00-05:00"}, agreements={known.code: known}.get
    )
    tender = release["tender"]
    assert tender["contractPeriod"] == {
        "startDate": "2024-03-01T00:00:00-05:00",
        "endDate": "2026-02-28T23:59:59-05:00",
    }
    assert "S/ 100,000.00" in tender["techniques"]["frameworkAgreement"]["description"]


def test_committed_docs_are_generated_from_the_code() -> None:
    assert docs.GENERATED
    for name, render in docs.GENERATED.items():
        assert (docs.DOCS_DIR / name).read_text(encoding="utf-8") == render(), (
            f"docs/{name} is stale: run `python -m ocds_mappings.docs`"
        )


def test_party_name_variants_keep_the_latest_name_and_record_the_others() -> None:
    import pyarrow as pa

    from ocds_mappings.mapping import party_name_variants

    table = pa.table(
        {
            "buyer_ruc": ["20172606777", "20172606777", "20148092282"],
            "buyer_name": ["UNIV. NAC. DE PIURA", "UNIVERSIDAD NACIONAL DE PIURA", "UNMSM"],
            "supplier_ruc": ["20530182038"] * 3,
            "supplier_name": ["COMPUDATA SRL"] * 3,
            "process_time": ["2022-05-12T12:51:18-05:00"] * 3,
            "last_status_at": [
                "2022-01-04T00:00:00-05:00",
                "2022-02-18T11:11:28-05:00",
                "2022-01-05T00:00:00-05:00",
            ],
        }
    )
    assert party_name_variants(table) == [
        {
            "ruc": "20172606777",
            "used": "UNIVERSIDAD NACIONAL DE PIURA",
            "others": ["UNIV. NAC. DE PIURA"],
        }
    ]


def test_a_later_void_state_removes_the_signature_from_the_record(orders: pa.Table) -> None:
    accepted = _with(orders, 0, status="ACEPTADA", last_status_at="2025-12-31T12:11:42-05:00")
    void = _with(
        orders, 0, status="ORDEN DE COMPRA NULA", last_status_at="2026-01-05T09:00:00-05:00"
    )
    first, later = build_releases(pa.concat_tables([accepted, void]))
    assert later["tag"] == ["awardCancellation"]
    assert later["contracts"][0]["dateSigned"] is None  # null: removed when merged
    assert ReleaseValidator().errors(later) == []
    compiled = compiled_release([first, later], Merger(schema=load_release_schema()))
    assert "dateSigned" not in compiled["contracts"][0]
    assert compiled["contracts"][0]["status"] == compiled["awards"][0]["status"] == "cancelled"
    assert {k: v for k, v in coherence_findings([compiled]).items() if v} == {}


def test_a_null_agreement_code_links_by_name_only(orders: pa.Table) -> None:
    row = orders.slice(0, 1).to_pylist()[0]
    table = pa.Table.from_pylist(
        [dict(row, agreement_code=None, agreement_name="LLANTAS, NEUMÁTICOS Y ACCESORIOS")],
        schema=orders.schema,
    )
    result = map_orders(table)
    assert result.quarantine.num_rows == 0
    (release,) = result.releases
    assert release["relatedProcesses"] == [
        {"id": "1", "relationship": ["framework"], "title": "LLANTAS, NEUMÁTICOS Y ACCESORIOS"}
    ]
    assert release["tender"]["title"].endswith(": LLANTAS, NEUMÁTICOS Y ACCESORIOS")
    assert agreements_first_seen(table) == {}


@settings(max_examples=300, deadline=None)
# Arrow strings are valid UTF-8: no lone surrogates (quote cannot encode them either).
@given(
    st.text(
        st.characters(exclude_categories=("Cs",))
        | st.sampled_from(list("/:?#[]@!$&'()*+,;=%~ _.-")),
        max_size=20,
    )
)
def test_document_urls_are_quoted_as_quote_does(url: str) -> None:
    from urllib.parse import quote

    from ocds_mappings.mapping import _URL_SAFE, _document_url

    assert _document_url(url) == quote(url.strip(), safe=_URL_SAFE)
    plain = "https://x.example/a-b_c.d~e/%20?q=1&r=(2)#f"
    assert _document_url(f" {plain} ") == plain
