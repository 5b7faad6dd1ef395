"""Issue 15: a batch's GX validation gives every day the outcome a validation of that day gives."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from perucompras.detailed_export import read_detailed_export
from perucompras.reader import COLUMNS
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects
from perucompras.synthetic_details import generate_detailed_export
from publication.extract import orders_for_day
from quality import gx_suites
from quality.gx_suites import (
    GxOutcome,
    batch_outcome,
    columns_outcome,
    gx_frame,
    prevalidated,
    run_suite,
)
from quality.lines import (
    GX_LINE_RULE_IDS,
    lines_gx_columns,
    lines_gx_frame,
    prevalidate_lines,
    run_lines_suite,
)
from quality.rules import RULES, QualityConfig, prepare
from quality.sample_orders import with_values

pytestmark = pytest.mark.slow

MONTH = (2026, 9)
CONFIG = QualityConfig(run_gx=True)
ORDER_ROW_RULES = {rule.id for rule in RULES if rule.level == "row"}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[dt.date]]:
    """A synthetic month with one row of each defect kind planted; the days those rows name."""
    path = generate_month(*MONTH, tmp_path_factory.mktemp("gxbatch"), orders=1500)
    rows = plant_defects(path, list(DEFECT_KINDS), seed=5)
    assert {p.kind for p in rows} == set(DEFECT_KINDS)
    lines = path.read_bytes().decode("latin-1").split("\n")
    formalized = COLUMNS.index("FECHA_FORMALIZACIÓN")
    days = set()
    for defect in rows:
        fields = lines[defect.line - 1].split(";")
        try:  # a planted unreadable date or short row names no day
            days.add(dt.date.fromisoformat(fields[formalized][:10]))
        except (IndexError, ValueError):
            continue
    return path, days


@pytest.fixture(scope="module")
def month(planted: tuple[Path, set[dt.date]]) -> tuple[Path, dict[dt.date, pa.Table]]:
    """The planted month; each day's orders as read."""
    path, _ = planted
    last = calendar.monthrange(*MONTH)[1]
    days = [dt.date(*MONTH, day) for day in range(1, last + 1)]
    return path, {day: orders_for_day([path], day).orders for day in days}


@pytest.fixture(scope="module")
def compared_days(planted: tuple[Path, set[dt.date]]) -> list[dt.date]:
    """The days validated alone and from the batch (which holds the whole month): the first
    week (every weekday's row-count band, both sides of the every-third-day shortfall, a
    weekend's small days) and every day holding a planted defect row."""
    _, planted_days = planted
    assert len(planted_days) >= 6
    first_week = {dt.date(*MONTH, day) for day in range(1, 8)}
    return sorted(first_week | planted_days)


def _assert_same(batched: GxOutcome, alone: GxOutcome) -> None:
    assert batched.expectation_count == alone.expectation_count
    assert batched.success == alone.success
    assert batched.errors == alone.errors
    assert list(batched.table_results.items()) == list(alone.table_results.items())
    assert list(batched.row_failures) == list(alone.row_failures)
    for rule_id, mask in alone.row_failures.items():
        np.testing.assert_array_equal(batched.row_failures[rule_id], mask, err_msg=rule_id)


def _parameters(day: dt.date, rows: int = 0) -> dict[str, int | None]:
    """The day's row-count band; every third day one its rows fall short of."""
    low, high = CONFIG.row_count_band(day)
    return {"min_rows": rows + 1 if day.day % 3 == 0 else low, "max_rows": high}


def test_batch_outcomes_equal_per_day_outcomes_for_orders(
    month: tuple[Path, dict[dt.date, pa.Table]], compared_days: list[dt.date]
) -> None:
    _, tables = month
    batch = gx_suites.prevalidate_orders(tables.values(), CONFIG)  # the whole month
    assert batch is not None
    compared, failing_rules, failing_tables = [], set(), set()
    passing_rules, passing_tables = set(), set()
    for day in compared_days:
        table = tables[day]
        assert table.num_rows, day
        orders = prepare(table)
        band = _parameters(day, orders.num_rows)
        alone = run_suite(orders, CONFIG, **band)
        from_pandas = batch_outcome(batch, gx_frame(orders, CONFIG), ORDER_ROW_RULES, band)
        assert from_pandas is not None, day
        columns = gx_suites.gx_columns(orders, CONFIG)
        from_arrow = columns_outcome(batch, columns, orders.num_rows, ORDER_ROW_RULES, band)
        assert from_arrow is not None, day  # run_suite below takes this path
        _assert_same(from_arrow, from_pandas)
        with prevalidated([batch]):
            batched = run_suite(orders, CONFIG, **band)
        _assert_same(batched, alone)
        compared.append(day)
        failing_rules |= {rule for rule, mask in alone.row_failures.items() if mask.any()}
        failing_tables |= {rule for rule, r in alone.table_results.items() if not r["success"]}
        passing_rules |= {rule for rule, mask in alone.row_failures.items() if not mask.all()}
        passing_tables |= {rule for rule, r in alone.table_results.items() if r["success"]}
    assert compared == compared_days and len(compared) >= 12
    # the planted rows and the month's small days really exercise failing results
    assert {"supplier_ruc.ruc_valid", "total_cents.sum", "status.known"} <= failing_rules
    assert {"table.row_count", "agreement_code.unknown_share"} <= failing_tables
    # ... and every expectation that fails somewhere also passes on another compared day
    assert failing_rules <= passing_rules and failing_tables <= passing_tables


def test_a_day_with_a_row_the_batch_does_not_hold_is_validated_whole(
    month: tuple[Path, dict[dt.date, pa.Table]],
) -> None:
    _, tables = month
    day = dt.date(*MONTH, 15)
    batch = gx_suites.prevalidate_orders(tables.values(), CONFIG)
    assert batch is not None
    # a late state of one of the day's orders: same order, another status and time
    late = tables[day].slice(0, 1)
    late = with_values(late, "status", {0: "ANULADA"})
    late = with_values(late, "last_status_at", {0: "2026-09-30T10:00:00-05:00"})
    orders = prepare(pa.concat_tables([tables[day], late]))
    frame = gx_frame(orders, CONFIG)
    assert batch_outcome(batch, frame, ORDER_ROW_RULES, _parameters(day)) is None
    alone = run_suite(orders, CONFIG, **_parameters(day))
    with prevalidated([batch]):
        batched = run_suite(orders, CONFIG, **_parameters(day))
    _assert_same(batched, alone)
    unique = alone.row_failures["order_number.unique"]
    assert unique[0] and unique[-1] and unique.sum() == 2


def test_rows_read_twice_are_found_by_their_whole_content(
    month: tuple[Path, dict[dt.date, pa.Table]],
) -> None:
    _, tables = month
    day = dt.date(*MONTH, 15)
    # the day's file read again with one order changed: same file and lines, other content
    again = with_values(tables[day], "status", {0: "ANULADA"})
    assert again["source_line"].equals(tables[day]["source_line"])
    batch = gx_suites.prevalidate_orders([tables[day], again], CONFIG)
    assert batch is not None
    for table, by_content in ((tables[day], False), (again, True)):
        orders = prepare(table)
        band = _parameters(day, orders.num_rows)
        alone = run_suite(orders, CONFIG, **band)
        assert batch_outcome(batch, gx_frame(orders, CONFIG), ORDER_ROW_RULES, band)
        assert ("whole_index" in vars(batch)) == by_content  # found by where read, or not
        with prevalidated([batch]):
            batched = run_suite(orders, CONFIG, **band)
        _assert_same(batched, alone)
    # every order number is repeated in the batch: each day's uniqueness was validated alone
    assert not alone.row_failures["order_number.unique"].any()


def test_uniqueness_from_the_batch_equals_uniqueness_within_each_day(
    month: tuple[Path, dict[dt.date, pa.Table]],
) -> None:
    _, tables = month
    first, second, third = (dt.date(*MONTH, day) for day in (8, 9, 10))
    number = tables[first]["order_number"][0].as_py()
    days = {
        first: tables[first],  # its first order number is repeated on the next day only
        second: with_values(tables[second], "order_number", {0: number}),
        third: with_values(  # and within this day
            tables[third], "order_number", {1: tables[third]["order_number"][0].as_py()}
        ),
        dt.date(*MONTH, 11): tables[dt.date(*MONTH, 11)],  # nothing repeated
    }
    batch = gx_suites.prevalidate_orders(days.values(), CONFIG)
    assert batch is not None
    repeated = {}
    for day, table in days.items():
        orders = prepare(table)
        band = _parameters(day, orders.num_rows)
        alone = run_suite(orders, CONFIG, **band)
        assert batch_outcome(batch, gx_frame(orders, CONFIG), ORDER_ROW_RULES, band), day
        with prevalidated([batch]):
            batched = run_suite(orders, CONFIG, **band)
        _assert_same(batched, alone)
        repeated[day.day] = alone.row_failures["order_number.unique"].nonzero()[0].tolist()
    assert repeated == {8: [], 9: [], 10: [0, 1], 11: []}


def test_unknown_shares_from_the_batch_equal_each_day_validated_alone(
    month: tuple[Path, dict[dt.date, pa.Table]],
) -> None:
    _, tables = month
    base = [tables[dt.date(*MONTH, day)].slice(0, 20) for day in (14, 15, 16, 17)]
    assert all(table.num_rows == 20 for table in base)
    days = {
        dt.date(*MONTH, 14): with_values(base[0], "status", {3: "NUEVO"}),  # 95 %: passes
        dt.date(*MONTH, 15): with_values(base[1], "status", {3: "NUEVO", 9: "OTRO"}),  # 90 %
        dt.date(*MONTH, 16): with_values(base[2], "agreement_code", dict.fromkeys(range(20))),
        dt.date(*MONTH, 17): with_values(base[3], "procedure_type", {0: None, 1: "X", 2: "Y"}),
    }
    batch = gx_suites.prevalidate_orders(days.values(), CONFIG)
    assert batch is not None
    shares = {}
    for day, table in days.items():
        orders = prepare(table)
        band = _parameters(day, orders.num_rows)
        alone = run_suite(orders, CONFIG, **band)
        assert batch_outcome(batch, gx_frame(orders, CONFIG), ORDER_ROW_RULES, band), day
        with prevalidated([batch]):
            batched = run_suite(orders, CONFIG, **band)
        _assert_same(batched, alone)
        shares[day.day] = [
            alone.table_results[f"{name}.unknown_share"]["success"]
            for name in ("status", "agreement_code", "procedure_type")
        ]
    # the status share at the threshold passes, below it fails; a day without agreement
    # codes and one with unknown procedure types fail theirs
    assert [shares[14][0], shares[15][0], shares[16][1], shares[17][2]] == [
        True,
        False,
        False,
        False,
    ]


def test_batch_outcomes_equal_per_day_outcomes_for_lines(tmp_path: Path) -> None:
    orders_file = generate_month(*MONTH, tmp_path, orders=300)
    lines = read_detailed_export(generate_detailed_export(*MONTH, tmp_path, orders=orders_file))
    table = lines.lines
    assert table.num_rows > 100
    table = with_values(table, "quantity_milli", {3: None, 40: -5})
    table = with_values(table, "unit_price_cents", {11: -1})
    table = with_values(table, "subtotal_cents", {20: 1})
    table = with_values(table, "delivery_start", {30: "31/12/2026"})
    order_numbers = table["order_number"].to_pylist()
    twin = next(i for i in range(1, len(order_numbers)) if order_numbers[i] == order_numbers[i - 1])
    table = with_values(table, "line_id", {twin: table["line_id"][twin - 1].as_py()})
    rank = {number: i for i, number in enumerate(dict.fromkeys(order_numbers))}
    groups = np.array([rank[number] % 4 for number in order_numbers])
    days = [table.filter(pa.array(groups == group)) for group in range(4)]
    assert all(day.num_rows for day in days)
    batch = prevalidate_lines(days, CONFIG)
    assert batch is not None
    failing = set()
    for day in days:
        alone = run_lines_suite(day, CONFIG)
        from_pandas = batch_outcome(batch, lines_gx_frame(day, CONFIG), set(GX_LINE_RULE_IDS))
        assert from_pandas is not None
        columns = lines_gx_columns(day, CONFIG)
        from_arrow = columns_outcome(batch, columns, day.num_rows, set(GX_LINE_RULE_IDS))
        assert from_arrow is not None  # run_lines_suite below takes this path
        _assert_same(from_arrow, from_pandas)
        with prevalidated([batch]):
            batched = run_lines_suite(day, CONFIG)
        _assert_same(batched, alone)
        failing |= {rule for rule, mask in alone.row_failures.items() if mask.any()}
    assert {
        "lines.quantity_not_null",
        "lines.quantity_positive",
        "lines.unit_price_non_negative",
        "lines.subtotal_formula",
        "lines.delivery_start_iso",
        "lines.line_id_unique",
    } <= failing


def test_a_failing_pre_pass_only_costs_the_speed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publication import batch
    from settings import Identity

    def broken(*_: object) -> list[object]:
        raise RuntimeError("an unreadable month")

    monkeypatch.setattr(batch, "_prevalidate", broken)
    job = batch.DayJob(root=tmp_path, dataset="perucompras-ocam", identity=Identity())
    days = [dt.date(*MONTH, 1), dt.date(*MONTH, 2)]
    assert batch._safely_prevalidated(job, days, lambda day: ([], {})) == []


def test_rows_found_in_arrow_are_the_rows_found_in_pandas(
    month: tuple[Path, dict[dt.date, pa.Table]],
) -> None:
    _, tables = month
    batch = gx_suites.prevalidate_orders(tables.values(), CONFIG)
    assert batch is not None and batch.arrow is not None
    found = 0
    for table in tables.values():
        orders = prepare(table)
        if not orders.num_rows:
            continue
        columns = gx_suites.gx_columns(orders, CONFIG)
        rows = gx_suites._arrow_rows(batch, columns)
        assert rows is not None
        pandas_rows = gx_suites._rows_of(batch, gx_frame(orders, CONFIG))
        assert pandas_rows is not None and rows.tolist() == pandas_rows.tolist()
        found += 1
    assert found >= 20
    # read where a batch row was read, with other content: not found in Arrow, the pandas
    # frames then find it by content (or not at all), as without the Arrow columns
    day = dt.date(*MONTH, 15)
    changed = prepare(with_values(tables[day], "status", {0: "ANULADA"}))
    assert gx_suites._arrow_rows(batch, gx_suites.gx_columns(changed, CONFIG)) is None
    assert gx_suites._rows_of(batch, gx_frame(changed, CONFIG)) is None
    again = gx_suites.prevalidate_orders(
        [tables[day], with_values(tables[day], "status", {0: "ANULADA"})], CONFIG
    )
    assert again is not None
    assert gx_suites._arrow_rows(again, gx_suites.gx_columns(changed, CONFIG)) is None
    by_content = gx_suites._rows_of(again, gx_frame(changed, CONFIG))
    assert by_content is not None and by_content[0] == tables[day].num_rows
    # another column type: not found in Arrow
    columns = gx_suites.gx_columns(prepare(tables[day]), CONFIG)
    columns["source_line"] = columns["source_line"].cast(pa.int32())
    assert gx_suites._arrow_rows(batch, columns) is None
