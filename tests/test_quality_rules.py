"""Vectorised quality rules: each planted defect is caught with its rule id and source line."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from quality.gate import evaluate_orders
from quality.rules import (
    REQUIRED_COLUMNS,
    RULES,
    QualityConfig,
    failure_masks,
    igv_expected_cents,
    prepare,
)
from quality.sample_orders import clean_orders, planted_defects, planted_warnings, with_values

DAY = dt.date(2025, 12, 31)  # a Wednesday
RULES_ONLY = QualityConfig(run_gx=False)
REPO = Path(__file__).resolve().parents[1]


def _line(table: pa.Table, position: int) -> int:
    return table.column("source_line")[position].as_py()


def _quarantined(outcome_table: pa.Table) -> dict[int, list[str]]:
    rows = outcome_table.select(["source_line", "rules"]).to_pylist()
    return {row["source_line"]: row["rules"] for row in rows}


def test_clean_table_passes_with_zero_quarantine() -> None:
    table = clean_orders(200, DAY)
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    assert outcome.quarantine.num_rows == 0
    assert outcome.passed.num_rows == 200
    assert outcome.passed.equals(table)
    assert not outcome.blocked
    assert all(check.passed for check in outcome.checks), [
        check for check in outcome.checks if not check.passed
    ]


def test_every_planted_defect_is_caught_with_rule_and_line() -> None:
    table, expected = planted_defects(DAY)
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    found = _quarantined(outcome.quarantine)
    assert set(found) == set(expected)
    for line, rule_id in expected.items():
        assert rule_id in found[line], (line, rule_id, found[line])
    assert outcome.passed.num_rows + outcome.quarantine.num_rows == table.num_rows
    assert set(outcome.quarantine.column_names) >= {
        "source_file",
        "source_line",
        "field",
        "rule",
        "message",
        "raw_row",
    }
    by_line = {row["source_line"]: row for row in outcome.quarantine.to_pylist()}
    ruc_row = by_line[_line(table, 5)]
    assert ruc_row["field"] == "supplier_ruc"
    assert ruc_row["rule"] == "supplier_ruc.ruc_valid"
    assert ruc_row["value"] == "20100186171"
    assert ruc_row["message"] == (
        'RUC_PROVEEDOR "20100186171": su dígito verificador es 1 y debería ser 0 (módulo 11): '
        "corrija el RUC en la fuente."
    )
    assert "20100186171" in ruc_row["raw_row"]
    assert ruc_row["raw_row"].count(";") == 18
    short = by_line[_line(table, 6)]
    assert short["message"].startswith('RUC_ENTIDAD "2010018617": tiene 10 caracteres; un RUC')
    # published with a warning, never quarantined: undocumented statuses and procedure types,
    # agreements by name
    warned = planted_warnings(DAY)
    assert set(warned.values()) == {"status.known", "procedure_type.known", "agreement_code.known"}
    assert not set(warned) & set(found)
    assert set(warned) <= set(outcome.passed["source_line"].to_pylist())


NOT_PLANTED = {
    "process_time.iso_datetime",
    "last_status_at.iso_datetime",
    "subtotal_cents.not_null",
    "total_cents.not_null",
}


def test_every_row_rule_is_implemented_and_exercised() -> None:
    table, _ = planted_defects(DAY)
    masks = failure_masks(prepare(table), RULES_ONLY)
    row_rules = {rule.id for rule in RULES if rule.level == "row"}
    assert set(masks) == row_rules
    exercised = {rule_id for rule_id, mask in masks.items() if mask.any()}
    assert exercised == row_rules - NOT_PLANTED


def test_several_failures_on_one_row_are_joined_with_a_stable_primary_rule() -> None:
    table = clean_orders(10, DAY)
    table = with_values(table, "supplier_ruc", {4: "123"})
    table = with_values(table, "order_pdf_url", {4: "orden.pdf"})
    table = with_values(table, "procedure_type", {4: "Subasta"})  # warns, never quarantines
    table = with_values(table, "status", {4: "DESCONOCIDO"})
    outcome = evaluate_orders(table, day=DAY, config=QualityConfig(run_gx=False, lang="en"))
    (row,) = outcome.quarantine.to_pylist()
    assert row["rules"] == ["supplier_ruc.ruc_valid", "order_pdf_url.url"]
    assert (row["rule"], row["field"], row["value"]) == (
        "supplier_ruc.ruc_valid",
        "supplier_ruc",
        "123",
    )
    assert row["message"] == (
        'RUC_PROVEEDOR "123": has 3 characters; a RUC has 11 digits: fix the RUC in the source. | '
        'ORDEN_ELECTRÓNICA_GENERADA "orden.pdf" is not an absolute http(s) URL '
        "(https://host/path): fix the link in the source or leave it empty."
    )


def test_null_order_with_zero_amounts_is_accepted_but_negative_is_not() -> None:
    table = clean_orders(10, DAY)
    table = with_values(table, "status", {2: "ORDEN DE COMPRA NULA", 3: "ORDEN DE COMPRA NULA"})
    for column in ("subtotal_cents", "igv_cents", "total_cents"):
        table = with_values(table, column, {2: 0})
    table = with_values(table, "subtotal_cents", {3: -100})
    table = with_values(table, "igv_cents", {3: 0})
    table = with_values(table, "total_cents", {3: -100})
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    found = _quarantined(outcome.quarantine)
    assert set(found) == {_line(table, 3)}
    assert "subtotal_cents.positive" in found[_line(table, 3)]


def test_igv_band_accepts_one_cent_and_zero_igv() -> None:
    table = clean_orders(10, DAY)
    subtotal = table.column("subtotal_cents")[1].as_py()
    igv = igv_expected_cents(pa.array([subtotal]), 1800)[0].as_py()
    table = with_values(table, "igv_cents", {1: igv + 1, 2: 0})
    table = with_values(
        table,
        "total_cents",
        {1: subtotal + igv + 1, 2: table.column("subtotal_cents")[2].as_py()},
    )
    assert evaluate_orders(table, day=DAY, config=RULES_ONLY).quarantine.num_rows == 0


def test_igv_expected_rounds_half_up_in_integers() -> None:
    # 781.25 * 18% = 140.625 -> 140.63 (real row of ReportePCBienes202201).
    assert igv_expected_cents(pa.array([78125, 176020, None]), 1800).to_pylist() == [
        14063,
        31684,
        None,
    ]


def test_missing_column_is_a_blocking_failure_naming_the_column() -> None:
    table = clean_orders(20, DAY).drop_columns(["agreement_code"])
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    (failure,) = outcome.blocking_failures()
    assert failure.name == "table.required_columns"
    assert "agreement_code" in failure.message
    assert failure.details["missing"] == ["agreement_code"]
    assert outcome.blocked


def test_row_count_band_warns_by_default_and_severity_is_configurable() -> None:
    table = clean_orders(5, DAY)
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    check = next(c for c in outcome.checks if c.name == "table.row_count")
    assert not check.passed and check.severity == "warn"
    assert not outcome.blocked
    strict = QualityConfig(run_gx=False, severity_overrides={"table.row_count": "block"})
    assert evaluate_orders(table, day=DAY, config=strict).blocked
    saturday = evaluate_orders(table, day=dt.date(2026, 1, 3), config=RULES_ONLY)
    assert next(c for c in saturday.checks if c.name == "table.row_count").passed


def test_unknown_statuses_are_published_with_a_warning_however_many() -> None:
    table = clean_orders(100, DAY)
    table = with_values(table, "status", dict.fromkeys(range(40), "NUEVO"))
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    assert not outcome.blocked and outcome.quarantine.num_rows == 0
    checks = {c.name: c for c in outcome.checks}
    share = checks["status.unknown_share"]
    assert not share.passed and share.severity == "warn" and share.details["unknown"] == 40
    known = checks["status.known"]
    assert not known.passed and known.details["values"] == [{"value": "NUEVO", "rows": 40}]
    assert "40 filas publicadas con advertencia" in known.message and '"NUEVO"' not in known.message


def test_agreement_without_code_is_published_with_its_name_and_a_warning() -> None:
    table = clean_orders(30, DAY)
    table = with_values(table, "agreement_code", {3: None})
    table = with_values(table, "agreement_name", {3: "NOMBRE NUEVO"})
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    assert outcome.quarantine.num_rows == 0 and outcome.passed.num_rows == 30
    check = next(c for c in outcome.checks if c.name == "agreement_code.known")
    assert not check.passed and check.severity == "warn"
    assert check.details["lines"] == [_line(table, 3)]
    assert check.details["values"] == [{"value": "NOMBRE NUEVO", "rows": 1}]
    strict = QualityConfig(run_gx=False, severity_overrides={"agreement_code.known": "block"})
    assert evaluate_orders(table, day=DAY, config=strict).quarantine.num_rows == 1


def test_required_columns_match_the_architecture_document() -> None:
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert REQUIRED_COLUMNS
    for column in REQUIRED_COLUMNS:
        assert column in text, column


def test_import_quality_rules_does_not_import_great_expectations() -> None:
    code = (
        "import sys, quality, quality.rules, quality.gate, quality.report, quality.ocds_checks; "
        "assert 'great_expectations' not in sys.modules, 'great_expectations imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_tables(rows: int) -> None:
    outcome = evaluate_orders(clean_orders(rows, DAY), day=None, config=RULES_ONLY)
    assert outcome.passed.num_rows == rows and outcome.quarantine.num_rows == 0


def test_partial_igv_warns_without_quarantine() -> None:
    # Mixed taxed/exempt order as in ReportePCBienes202201 line 12: 1531.03 + 9.50.
    table = clean_orders(10, DAY)
    table = with_values(table, "subtotal_cents", {4: 153103})
    table = with_values(table, "igv_cents", {4: 950})
    table = with_values(table, "total_cents", {4: 154053})
    outcome = evaluate_orders(table, day=DAY, config=RULES_ONLY)
    assert outcome.quarantine.num_rows == 0
    check = next(c for c in outcome.checks if c.name == "igv_cents.rate")
    assert not check.passed and check.details["lines"] == [_line(table, 4)]
