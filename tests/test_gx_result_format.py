"""Issue 15: GX validates without computing the unexpected rows' "query"
(``return_unexpected_index_query`` False in ``gx_suites._RESULT_FORMAT``). Every expectation
result is the one GX gives with plain COMPLETE, less that query, which nothing reads; the
outcomes (failure masks, table results, errors) are the same."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest

from perucompras.detailed_export import read_detailed_export
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects
from perucompras.synthetic_details import generate_detailed_export
from publication.extract import orders_for_day
from quality import gx_suites
from quality.gx_suites import prevalidate_orders, prevalidated, run_suite
from quality.lines import prevalidate_lines, run_lines_suite
from quality.rules import QualityConfig, prepare
from quality.sample_orders import with_values

pytestmark = pytest.mark.slow

MONTH = (2026, 9)
CONFIG = QualityConfig(run_gx=True)
PLAIN_COMPLETE = {"result_format": "COMPLETE"}


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> list[pa.Table]:
    """A synthetic month's days (as read) with one row of each defect kind planted."""
    path = generate_month(*MONTH, tmp_path_factory.mktemp("gxformat"), orders=600)
    plant_defects(path, list(DEFECT_KINDS), seed=5)
    tables = [orders_for_day([path], dt.date(*MONTH, day)).orders for day in range(1, 31)]
    return [table for table in tables if table.num_rows]


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """Detail lines with defects in several columns."""
    folder = tmp_path_factory.mktemp("gxformat_lines")
    orders = generate_month(*MONTH, folder, orders=200)
    table = read_detailed_export(generate_detailed_export(*MONTH, folder, orders=orders)).lines
    table = with_values(table, "quantity_milli", {3: None, 40: -5})
    table = with_values(table, "unit_price_cents", {11: -1})
    table = with_values(table, "subtotal_cents", {20: 1})
    return with_values(table, "delivery_start", {30: "31/12/2026"})


def _run(days: list[pa.Table], lines: pa.Table) -> list[Any]:
    """Outcomes of the order and line suites on each day alone and through a batch (shares
    included)."""
    outcomes: list[Any] = [run_suite(prepare(table), CONFIG) for table in days]
    batch = prevalidate_orders(days, CONFIG)
    assert batch is not None
    with prevalidated([batch]):
        outcomes += [run_suite(prepare(t), CONFIG, min_rows=5, max_rows=40) for t in days]
    parts = [lines.slice(0, 60), lines.slice(60)]
    outcomes += [run_lines_suite(part, CONFIG) for part in parts]
    line_batch = prevalidate_lines(parts, CONFIG)
    assert line_batch is not None
    with prevalidated([line_batch]):
        outcomes += [run_lines_suite(part, CONFIG) for part in parts]
    return outcomes


def _recorded(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[list[dict[str, Any]], Any]:
    """Every GX validation result while ``run()`` runs (each expectation's whole result, the
    suite's success and statistics), and what ``run()`` returned."""
    seen: list[dict[str, Any]] = []
    validate = gx_suites._gx_validate

    def recording_validate(*arguments: Any, **options: Any) -> Any:
        result = validate(*arguments, **options)
        data = json.loads(json.dumps(result.to_json_dict(), sort_keys=True, default=repr))
        seen.append({key: data[key] for key in ("results", "success", "statistics")})
        return result

    with monkeypatch.context() as patch:
        patch.setattr(gx_suites, "_gx_validate", recording_validate)
        returned = run()
    return seen, returned


def _without_query(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """``results`` without any ``unexpected_index_query``, and how many there were."""
    dropped = 0
    for validation in results:
        for item in validation["results"]:
            if "unexpected_index_query" in (item.get("result") or {}):
                del item["result"]["unexpected_index_query"]
                dropped += 1
    return results, dropped


def _comparable(outcome: Any) -> Any:
    return (
        outcome.success,
        sorted((rule, mask.tolist()) for rule, mask in outcome.row_failures.items()),
        json.dumps(outcome.table_results, sort_keys=True, default=repr),
        outcome.expectation_count,
        sorted(outcome.errors.items()),
    )


def test_results_are_complete_results_without_the_query(
    days: list[pa.Table], lines: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gx_suites._RESULT_FORMAT["return_unexpected_index_query"] is False
    monkeypatch.setattr(gx_suites, "_SPLITS", {})
    ours, our_outcomes = _recorded(monkeypatch, lambda: _run(days, lines))
    with monkeypatch.context() as patch:
        patch.setattr(gx_suites, "_RESULT_FORMAT", PLAIN_COMPLETE)
        patch.setattr(gx_suites, "_SPLITS", {})
        complete, complete_outcomes = _recorded(patch, lambda: _run(days, lines))
    assert len(ours) == len(complete) > 2 * len(days)
    assert _without_query(ours)[1] == 0  # the query is neither computed nor returned
    complete, queries = _without_query(complete)
    assert queries > len(days)  # plain COMPLETE computes one per map expectation
    assert any(not validation["success"] for validation in complete)  # failing days compared
    assert ours == complete
    assert [_comparable(o) for o in our_outcomes] == [_comparable(o) for o in complete_outcomes]
    assert any(not outcome.success for outcome in our_outcomes)
