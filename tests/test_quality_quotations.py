"""Quality gate for quotations: planted defects per rule, grouped rules, GX agreement, sampling."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from perucompras.quotations import QUOTATION_SCHEMA, SELECTED, UNSELECTED, stream_quotations
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_quotations
from quality.gate import QualityOutcome
from quality.quotations import (
    AGREEMENT_CHECK,
    GX_QUOTATION_RULE_IDS,
    ORDER_INCOMPLETE,
    QUOTATION_RULES,
    QUOTATION_RULES_BY_ID,
    evaluate_quotations,
    gx_sample_mask,
)
from quality.rules import QUARANTINE_SCHEMA, QualityConfig
from quality.sample_orders import with_values

WITH_GX = QualityConfig(run_gx=True)
RULES_ONLY = QualityConfig(run_gx=False)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """About one day of quotations (~50k rows for 330 orders) as the reader streams them."""
    folder = tmp_path_factory.mktemp("quotations")
    month = generate_month(2025, 3, folder, orders=330)
    path = generate_quotations(2025, 3, folder, orders=month)
    return pa.Table.from_batches(list(stream_quotations(path)), schema=QUOTATION_SCHEMA)


def _set(table: pa.Table, row: int, **values: object) -> pa.Table:
    for column, value in values.items():
        table = with_values(table, column, {row: value})
    return table


def _value(table: pa.Table, column: str, row: int) -> object:
    return table.column(column)[row].as_py()


Plant = Callable[[pa.Table, list[int]], tuple[pa.Table, list[int]]]


def _on_first_unselected(**values: object) -> Plant:
    def plant(table: pa.Table, rows: list[int]) -> tuple[pa.Table, list[int]]:
        row = next(r for r in rows if not _value(table, "selected", r))
        return _set(table, row, **values), [row]

    return plant


def _second_selection(table: pa.Table, rows: list[int]) -> tuple[pa.Table, list[int]]:
    row = next(r for r in rows if not _value(table, "selected", r))
    return _set(table, row, status=SELECTED, selected=True), rows


def _no_selection(table: pa.Table, rows: list[int]) -> tuple[pa.Table, list[int]]:
    row = next(r for r in rows if _value(table, "selected", r))
    return _set(table, row, status=UNSELECTED, selected=False), rows


def _supplier_twice(table: pa.Table, rows: list[int]) -> tuple[pa.Table, list[int]]:
    first, second = [r for r in rows if not _value(table, "selected", r)][:2]
    return _set(table, second, supplier_ruc=_value(table, "supplier_ruc", first)), [first, second]


# rule id -> (planting on the rows of one order: returns the rows that must fail, their rules)
PLANTS: dict[str, tuple[Plant, set[str]]] = {
    "quotations.order_number_not_null": (
        _on_first_unselected(order_number=None),
        {"quotations.order_number_not_null"},
    ),
    "quotations.supplier_ruc_not_null": (
        _on_first_unselected(supplier_ruc="  "),
        {"quotations.supplier_ruc_not_null"},
    ),
    "quotations.total_not_null": (
        _on_first_unselected(total_cents=None),
        {"quotations.total_not_null"},
    ),
    "quotations.supplier_ruc_valid": (
        _on_first_unselected(supplier_ruc="20100186171"),
        {"quotations.supplier_ruc_valid"},
    ),
    "quotations.total_positive": (
        _on_first_unselected(total_cents=0),
        {"quotations.total_positive"},
    ),
    "quotations.status_known": (
        _on_first_unselected(status="ANULADA"),
        {"quotations.status_known"},
    ),
    "quotations.selected_matches_status": (
        _on_first_unselected(selected=True),
        {"quotations.selected_matches_status"},
    ),
    "quotations.one_selected_per_order": (
        _second_selection,
        {"quotations.one_selected_per_order"},
    ),
    "quotations.one_per_supplier": (_supplier_twice, {"quotations.one_per_supplier"}),
}


@pytest.fixture(scope="module")
def planted(clean: pa.Table) -> tuple[pa.Table, dict[str, tuple[list[int], set[str]]], set[str]]:
    """Each rule's defect planted in its own order, plus an order left with no selection."""
    orders = clean["order_number"].to_pylist()
    rows_of: dict[str, list[int]] = {}
    for index, order in enumerate(orders):
        rows_of.setdefault(order, []).append(index)
    chosen = [order for order in sorted(rows_of) if len(rows_of[order]) >= 5]
    table = clean
    expected: dict[str, tuple[list[int], set[str]]] = {}
    spoiled: set[str] = set()
    for order, (rule_id, (plant, rules)) in zip(chosen, sorted(PLANTS.items()), strict=False):
        table, failing = plant(table, rows_of[order])
        expected[rule_id] = (failing, rules)
        if rule_id != "quotations.order_number_not_null":  # that row no longer names its order
            spoiled.add(order)
    order = chosen[len(PLANTS)]
    table, failing = _no_selection(table, rows_of[order])
    expected["no_selection"] = (failing, {"quotations.one_selected_per_order"})
    spoiled.add(order)
    return table, expected, spoiled


@pytest.fixture(scope="module")
def planted_outcome(planted: tuple[pa.Table, dict, set]) -> QualityOutcome:
    return evaluate_quotations(planted[0], config=WITH_GX)


def _agreement(outcome: QualityOutcome) -> object:
    return next(check for check in outcome.checks if check.name == AGREEMENT_CHECK)


def test_every_checked_rule_has_a_planted_defect() -> None:
    row_ids = {rule.id for rule in QUOTATION_RULES if rule.level == "row"}
    assert set(PLANTS) == row_ids - {ORDER_INCOMPLETE} == set(GX_QUOTATION_RULE_IDS)


def test_clean_day_passes_with_gx(clean: pa.Table) -> None:
    outcome = evaluate_quotations(clean, config=WITH_GX)
    assert clean.num_rows > 45_000
    assert outcome.quarantine.num_rows == 0 and outcome.passed.equals(clean)
    assert all(check.passed for check in outcome.checks), outcome.blocking_failures()
    assert not _agreement(outcome).details["sampled"]


@pytest.mark.parametrize("case", sorted({*PLANTS, "no_selection"}))
def test_planted_defect_is_quarantined_by_its_rule(
    planted: tuple[pa.Table, dict, set], planted_outcome: QualityOutcome, case: str
) -> None:
    table, expected, _ = planted
    rows, rules = expected[case]
    lines = table["source_line"].take(pa.array(rows)).to_pylist()
    quarantine = planted_outcome.quarantine
    found = quarantine.filter(pc.is_in(quarantine["source_line"], pa.array(lines)))
    assert sorted(found["source_line"].to_pylist()) == sorted(lines)
    for row in found.to_pylist():
        assert set(row["rules"]) == rules, row
        assert row["field"] == QUOTATION_RULES_BY_ID[row["rule"]].field
    rule_id = next(iter(rules))
    check = next(c for c in planted_outcome.checks if c.name == rule_id)
    assert not check.passed and check.severity == "warn" and check.details["quarantines"]


def test_whole_orders_are_quarantined_and_the_rest_passes(
    planted: tuple[pa.Table, dict, set], planted_outcome: QualityOutcome
) -> None:
    table, expected, spoiled = planted
    quarantine = planted_outcome.quarantine
    assert quarantine.schema.equals(QUARANTINE_SCHEMA)
    in_spoiled = pc.is_in(table["order_number"], pa.array(sorted(spoiled)))
    # the quotation planted without an order number is the only one outside a spoiled order
    assert quarantine.num_rows == pc.sum(in_spoiled).as_py() + 1
    planted_lines = {
        line
        for rows, _ in expected.values()
        for line in table["source_line"].take(pa.array(rows)).to_pylist()
    }
    collateral = quarantine.filter(
        pc.invert(pc.is_in(quarantine["source_line"], pa.array(sorted(planted_lines))))
    )
    assert collateral.num_rows > 0
    assert set(collateral["rule"].to_pylist()) == {ORDER_INCOMPLETE}
    passed = planted_outcome.passed
    assert not set(passed["order_number"].to_pylist()) & spoiled
    assert passed.num_rows + quarantine.num_rows == table.num_rows
    selected = passed.group_by("order_number").aggregate([("selected", "sum")])
    assert set(selected["selected_sum"].to_pylist()) == {1}


def test_gx_agrees_on_the_full_table(planted_outcome: QualityOutcome) -> None:
    agreement = _agreement(planted_outcome)
    assert agreement.passed, agreement.details
    assert not agreement.details["sampled"]
    assert not agreement.details["gx_success"]


def test_gx_agrees_on_a_deterministic_sample_of_whole_orders(
    planted: tuple[pa.Table, dict, set], planted_outcome: QualityOutcome
) -> None:
    table = planted[0]
    outcome = evaluate_quotations(table, config=WITH_GX, gx_sample_rows=5_000)
    agreement = _agreement(outcome)
    assert agreement.passed, agreement.details
    assert agreement.details["sampled"] and agreement.details["rows"] == table.num_rows
    assert 1_000 < agreement.details["rows_validated"] <= 5_000
    assert outcome.quarantine.equals(planted_outcome.quarantine)

    flagged = np.zeros(table.num_rows, dtype=bool)
    flagged[7] = True
    sample = gx_sample_mask(table, flagged, 5_000)
    assert np.array_equal(sample, gx_sample_mask(table, flagged, 5_000))
    assert sample[7] and sample.sum() <= 5_000
    orders = table["order_number"].combine_chunks()
    sampled_orders = pc.unique(orders.filter(pa.array(sample))).drop_null()
    assert pc.sum(pc.is_in(orders, value_set=sampled_orders)).as_py() == sample.sum()


def test_gx_reports_a_disagreement(planted: tuple[pa.Table, dict, set]) -> None:
    from quality import gx_suites
    from quality.quotations import quotation_failure_masks, run_quotations_suite

    table = planted[0]
    masks = quotation_failure_masks(table)
    masks["quotations.one_per_supplier"][:3] = True
    outcome = run_quotations_suite(table)
    check = gx_suites.agreement_check(AGREEMENT_CHECK, table, masks, outcome, [], WITH_GX)
    assert not check.passed and check.severity == "block"
    assert list(check.details["disagreements"]) == ["quotations.one_per_supplier"]


def test_gx_outcome_does_not_need_the_batch_fingerprint(
    planted: tuple[pa.Table, dict, set], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX validates without hashing the frame (``gx_suites._without_fingerprint``) and finds the
    same rows and table results as GX with its fingerprint; the engine's threshold is restored."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    from quality import gx_suites
    from quality.quotations import run_quotations_suite

    table = planted[0]
    threshold = engine.HASH_THRESHOLD
    hashed: list[int] = []
    original = engine.hash_pandas_dataframe
    monkeypatch.setattr(
        engine, "hash_pandas_dataframe", lambda frame: hashed.append(1) or original(frame)
    )
    fast = run_quotations_suite(table)
    assert not hashed
    assert engine.HASH_THRESHOLD is threshold  # the same object, put back

    @contextlib.contextmanager
    def keep_fingerprint() -> Iterator[None]:
        yield

    monkeypatch.setattr(gx_suites, "_without_fingerprint", keep_fingerprint)
    slow = run_quotations_suite(table)
    assert hashed  # GX hashes the frame (twice per validation in GX 1.24.1)
    assert fast.success == slow.success and not fast.success
    assert fast.row_failures.keys() == slow.row_failures.keys()
    for rule_id, mask in slow.row_failures.items():
        assert np.array_equal(fast.row_failures[rule_id], mask), rule_id
    assert fast.table_results == slow.table_results
    assert fast.errors == slow.errors


def test_missing_column_blocks(clean: pa.Table) -> None:
    outcome = evaluate_quotations(clean.slice(0, 500).drop_columns(["selected"]), config=WITH_GX)
    assert [check.name for check in outcome.blocking_failures()] == ["quotations.required_columns"]
    assert "selected" in outcome.blocking_failures()[0].message
    assert "quotations.selected_matches_status" not in {check.name for check in outcome.checks}
    assert _agreement(outcome).passed


def test_warn_severity_publishes_and_english_messages(clean: pa.Table) -> None:
    row = next(i for i in range(50) if not _value(clean, "selected", i))
    table = _set(clean.slice(0, 2_000), row, total_cents=0)
    warn = QualityConfig(run_gx=False, severity_overrides={"quotations.total_positive": "warn"})
    outcome = evaluate_quotations(table, config=warn)
    assert outcome.quarantine.num_rows == 0 and outcome.failures_by_rule == {
        "quotations.total_positive": 1
    }
    english = evaluate_quotations(table, config=QualityConfig(run_gx=False, lang="en"))
    line = _value(table, "source_line", row)
    message = english.quarantine.filter(pc.equal(english.quarantine["source_line"], line))
    assert (
        message["message"][0].as_py() == 'TOTAL "0.00" is not above 0: fix the value in the source.'
    )


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_tables(clean: pa.Table, rows: int) -> None:
    first_order = _value(clean, "order_number", 0)
    table = clean.filter(pc.equal(clean["order_number"], first_order)).slice(0, rows)
    table = _set(table, 0, status=SELECTED, selected=True) if rows else table
    outcome = evaluate_quotations(table, config=WITH_GX)
    assert outcome.passed.num_rows == rows and not outcome.blocked


def test_catalogue_has_bilingual_descriptions_and_stable_ids() -> None:
    assert len({rule.id for rule in QUOTATION_RULES}) == len(QUOTATION_RULES)
    for rule in QUOTATION_RULES:
        assert rule.id.startswith("quotations.") and rule.description("es")
        assert rule.description("es") != rule.description("en")
        assert rule.severity in ("block", "warn") and rule.level in ("row", "table")
