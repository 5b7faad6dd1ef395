"""The operator setting ``gx_cross_check``: on by default; off, the Great Expectations
cross-checks are left out and every place that would show them says why (never "agreed")."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest
from dagster import materialize

from integrity.layout import DayLayout
from pipelines.definitions import ALL_ASSETS, UNANCHORED
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from quality.gate import GX_AGREEMENT_CHECK, evaluate_orders
from quality.lines import AGREEMENT_CHECK as LINES_AGREEMENT
from quality.quotations import AGREEMENT_CHECK as QUOTATIONS_AGREEMENT
from quality.report import build_report, render_html
from quality.rules import QualityConfig
from quality.sample_orders import clean_orders
from settings import describe, load_settings

DAY = dt.date(2026, 11, 3)
GX_CHECKS = {"gx_agreement", "gx_lines_agreement", "gx_quotations_agreement"}


@pytest.fixture
def no_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_setting_is_on_by_default_and_off_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, no_settings_env: None
) -> None:
    settings = load_settings()
    assert settings.gx_cross_check is True
    assert DatasetsResource.from_settings(settings).day_job().run_gx is True

    monkeypatch.setenv("PERUCOMPRAS_GX_CROSS_CHECK", "false")
    settings = load_settings()
    assert settings.gx_cross_check is False
    (row,) = [row for row in describe(settings) if row.path == "gx_cross_check"]
    assert (row.env, row.value, row.origin) == (
        "PERUCOMPRAS_GX_CROSS_CHECK",
        "false",
        "environment",
    )
    assert DatasetsResource.from_settings(settings).day_job().run_gx is False


def test_gates_without_gx_leave_the_cross_checks_out_and_name_them() -> None:
    from quality.lines import evaluate_lines
    from quality.quotations import evaluate_quotations

    off = QualityConfig(run_gx=False)
    orders = evaluate_orders(clean_orders(30, DAY), day=DAY, config=off)
    assert GX_AGREEMENT_CHECK not in {check.name for check in orders.checks}
    assert orders.not_evaluated == (GX_AGREEMENT_CHECK,)
    empty = pa.table({"order_number": pa.array([], pa.string())})
    assert evaluate_lines(empty, config=off).not_evaluated == (LINES_AGREEMENT,)
    assert evaluate_quotations(empty, config=off).not_evaluated == (QUOTATIONS_AGREEMENT,)


def test_report_lists_checks_not_evaluated_with_the_reason() -> None:
    from publication.steps.common import PUBLISHED_QUARANTINE_SCHEMA, not_evaluated_reasons

    quarantine = PUBLISHED_QUARANTINE_SCHEMA.empty_table()
    assert isinstance(quarantine, pa.Table)
    plain = build_report(DAY, 0, 0, quarantine, [], "en")
    assert "not_evaluated" not in plain  # the key appears only when something was left out
    reasons = not_evaluated_reasons(("gx_agreement",), "en")
    report = build_report(DAY, 0, 0, quarantine, [], "en", reasons)
    assert report["not_evaluated"] == [{"name": "gx_agreement", "reason": reasons["gx_agreement"]}]
    assert "turned the Great Expectations cross-check off" in reasons["gx_agreement"]
    assert "PERUCOMPRAS_GX_CROSS_CHECK" in reasons["gx_agreement"]
    page = render_html(report, "en")
    assert "Checks not evaluated" in page and "<code>gx_agreement</code>" in page


def _publish(tmp: Path, source: SourceResource, *, gx: bool) -> tuple[dict, list, Path]:
    resources = {
        "source": source,
        "datasets": DatasetsResource(root=str(tmp / "datasets"), gx_cross_check=gx),
        "chain": ChainResource(state_dir=str(tmp / "devchain")),  # anchor not selected: unused
    }
    result = materialize(
        ALL_ASSETS, selection=UNANCHORED, partition_key=DAY.isoformat(), resources=resources
    )
    assert result.success
    folder = DayLayout(tmp / "datasets", "perucompras-ocam", DAY).folder
    report = json.loads(next(folder.glob("*-quality.json")).read_text(encoding="utf-8"))
    return report, result.get_asset_check_evaluations(), folder


@pytest.mark.slow
def test_one_day_with_and_without_the_cross_check(tmp_path: Path) -> None:
    source = SourceResource(
        kind="synthetic", directory=str(tmp_path / "source"), orders_per_month=300
    )
    on, on_checks, on_folder = _publish(tmp_path / "on", source, gx=True)
    off, off_checks, off_folder = _publish(tmp_path / "off", source, gx=False)

    on_items = {item["name"]: item for item in on["checks"]["items"]}
    assert set(on_items) >= GX_CHECKS, "the day has orders, lines and quotations"
    assert all(on_items[name]["passed"] for name in GX_CHECKS)
    assert "not_evaluated" not in on

    off_items = {item["name"] for item in off["checks"]["items"]}
    assert not off_items & GX_CHECKS  # no check claims GX ran, let alone agreed
    assert off_items == set(on_items) - GX_CHECKS
    assert {item["name"] for item in off["not_evaluated"]} == GX_CHECKS
    assert all("Great Expectations" in item["reason"] for item in off["not_evaluated"])
    assert off["checks"]["total"] == on["checks"]["total"] - len(GX_CHECKS)

    # The cross-checks block: each stays a Dagster check of its own, never in a warnings bundle.
    bundles = [e for e in off_checks if e.check_name.endswith("_warnings")]
    assert {e.check_name for e in bundles} == {"quality_warnings", "release_warnings"}
    assert not any(GX_CHECKS & set(e.metadata) for e in bundles)
    by_name = {(e.check_name, e.passed): e for e in off_checks}
    for name in GX_CHECKS:
        evaluation = by_name[(name, True)]  # Dagster's declared check: "not evaluated"
        assert "PERUCOMPRAS_GX_CROSS_CHECK" in (evaluation.description or "")
    on_gx = [e for e in on_checks if e.check_name in GX_CHECKS]
    assert len(on_gx) == len(GX_CHECKS) and all(e.passed for e in on_gx)
    assert all("no evaluado" not in (e.description or "") for e in on_gx)

    # Only the quality report (and the files that list its digest) tell the two apart.
    for name in ("orders.csv", "orders.parquet", "quarantine.parquet", "releases.jsonl"):
        day_name = f"perucompras-ocam-{DAY.isoformat()}-{name}"
        assert (on_folder / day_name).read_bytes() == (off_folder / day_name).read_bytes()
