"""Quality report JSON/HTML and the OCDS output checks."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from support.shared import check_shared

from quality.gate import evaluate_orders
from quality.ocds_checks import check_ocds_day, reconcile_rows
from quality.report import build_report, render_cumulative_html, render_html
from quality.rules import QualityConfig
from quality.sample_orders import clean_orders, planted_defects

DAY = dt.date(2025, 12, 31)
RULES_ONLY = QualityConfig(run_gx=False)
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "perucompras"


def _release(order: dict, prefix: str = "ocds-213czf") -> dict:
    amount = order["total_cents"] / 100
    buyer = {"id": f"PE-RUC-{order['buyer_ruc']}", "name": order["buyer_name"]}
    supplier = {"id": f"PE-RUC-{order['supplier_ruc']}", "name": order["supplier_name"]}
    return {
        "ocid": f"{prefix}-{order['order_id']}",
        "id": f"{order['order_id']}-{order['last_status_at'][:19]}",
        "date": order["last_status_at"],
        "parties": [{**buyer, "roles": ["buyer"]}, {**supplier, "roles": ["supplier"]}],
        "buyer": buyer,
        "tender": {"procuringEntity": dict(buyer)},
        "awards": [{"value": {"amount": amount, "currency": "PEN"}, "suppliers": [supplier]}],
        "contracts": [{"value": {"amount": amount, "currency": "PEN"}}],
    }


def _failed(checks: list) -> set[str]:
    return {check.name for check in checks if not check.passed}


def test_report_json_and_html_contain_the_counts() -> None:
    table, expected = planted_defects(DAY)
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    report = build_report(
        DAY, table.num_rows, outcome.passed.num_rows, outcome.quarantine, outcome.checks
    )
    assert json.loads(json.dumps(report)) == report
    assert report["rows_in"] == 60
    assert report["quarantined"] == len(expected) == outcome.quarantine.num_rows
    assert report["published"] == 60 - len(expected)
    assert report["quarantined_by_rule"]["order_number.unique"] == 3
    assert sum(report["quarantined_by_rule"].values()) == report["quarantined"]
    assert report["checks"]["failed"] == sum(not c.passed for c in outcome.checks)
    assert report["status"] == "warning"  # rows quarantined, unknown shares under 5 %
    blocked = evaluate_orders(table.drop_columns(["status"]), day=DAY, config=RULES_ONLY)
    blocked_report = build_report(DAY, 60, 0, blocked.quarantine, blocked.checks)
    assert blocked_report["status"] == "blocked"
    assert blocked_report["checks"]["failed_blocking"] == 1
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and 'lang="es"' in page
    assert "Informe de calidad" in page and "order_number.unique" in page
    assert f'<td class="n">{report["quarantined"]}</td>' in page
    assert "http" not in page.split("<body>")[0]  # no external assets
    assert "Quality report" in render_html(report, lang="en")


def test_report_html_escapes_source_text() -> None:
    table = clean_orders(25, DAY)
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    report = build_report(DAY, 25, 25, outcome.quarantine, outcome.checks)
    report["checks"]["items"][0]["message"] = "<script>alert(1)</script>"
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_cumulative_page_totals_days() -> None:
    reports = []
    for offset, rows in ((1, 30), (0, 25)):
        day = DAY - dt.timedelta(days=offset)
        table = clean_orders(rows, day)
        outcome = evaluate_orders(table, day=day, config=RULES_ONLY)
        reports.append(build_report(day, rows, rows, outcome.quarantine, outcome.checks))
    page = render_cumulative_html(reports, link_pattern="{yyyy}/{mm}/{dd}/calidad.html")
    assert page.index("2025-12-30") < page.index("2025-12-31")
    assert '<a href="2025/12/31/calidad.html">' in page
    assert '<td class="n">55</td>' in page
    assert "Calidad acumulada" in page


def test_ocds_checks_pass_on_consistent_releases_and_catch_each_defect() -> None:
    orders = clean_orders(12, DAY)
    rows = orders.to_pylist()
    releases = [_release(row) for row in rows]
    assert not _failed(check_ocds_day(releases, orders, source_rows=14, quarantined_rows=2))

    broken = copy.deepcopy(releases)
    broken[0]["ocid"] = "ocds-xxxxxx-" + rows[0]["order_id"]
    broken[1]["id"] = broken[2]["id"]
    broken[3]["awards"][0]["value"]["amount"] += 0.01
    broken[4]["contracts"][0]["value"]["amount"] = 1
    broken[5]["buyer"]["id"] = "PE-RUC-20000000000"
    extra = copy.deepcopy(broken[6])
    extra["id"] = "another-id"
    broken.append(extra)
    broken.pop(7)
    failed = _failed(check_ocds_day(broken, orders, source_rows=14, quarantined_rows=1))
    assert failed == {
        "ocds.ocid_prefix",
        "ocds.unique_release_ids",
        "ocds.release_dates_increase",
        "ocds.parties_referenced",
        "ocds.award_values",
        "ocds.contract_values",
        "counts.releases_reconcile",
        "counts.rows_reconcile",
    }


def test_reconcile_rows_message_names_the_counts() -> None:
    check = reconcile_rows(10, 7, 2)
    assert not check.passed and check.severity == "block"
    assert "10" in check.message and "7" in check.message and "2" in check.message


def test_real_samples_through_reader_gate_mapping_and_ocds_checks() -> None:
    check_shared("samples")
    files = sorted(SAMPLES.glob("ReportePCBienes*.csv"))
    from ocds_mappings.mapping import build_releases
    from perucompras.reader import read_monthly_file

    for path in files:
        orders = read_monthly_file(path).orders
        assert orders.num_rows > 0, path
        outcome = evaluate_orders(orders, day=None, config=RULES_ONLY)
        assert outcome.quarantine.num_rows == 0, outcome.quarantine.to_pylist()
        assert not outcome.blocked
        releases = build_releases(outcome.passed)
        checks = check_ocds_day(
            releases, outcome.passed, source_rows=orders.num_rows, quarantined_rows=0
        )
        assert not _failed(checks), [c for c in checks if not c.passed]
