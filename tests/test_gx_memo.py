"""Issue 15: GX outcomes memoized by content (``gx_suites.memo_key``, ``recording``,
``memoized``): any change of what GX sees changes the key, and a hit is the outcome a
validation gives."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects
from publication.extract import orders_for_day
from quality import gx_suites
from quality.gx_suites import (
    ORDERS_ASSET,
    GxOutcome,
    build_suite,
    columns_key,
    gx_columns,
    gx_frame,
    memo_key,
    memoized,
    recording,
    run_suite,
)
from quality.rules import RULES, QualityConfig, prepare

CONFIG = QualityConfig(run_gx=True)
ROW_RULES = {rule.id for rule in RULES if rule.level == "row"}
PARAMETERS = {"min_rows": 0, "max_rows": None}


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """The orders of a day holding a planted defect, prepared as the gate does."""
    path = generate_month(2026, 9, tmp_path_factory.mktemp("gxmemo"), orders=400)
    plant_defects(path, list(DEFECT_KINDS), seed=5)
    days = [dt.date(2026, 9, day) for day in range(1, 31)]
    tables = [orders_for_day([Path(path)], day).orders for day in days]
    for table in tables:
        prepared = prepare(table)
        if table.num_rows and not run_suite(prepared, CONFIG).success:
            return prepared
    raise AssertionError("no day with a planted defect")


def _key(frame: pd.DataFrame, **changes: Any) -> str | None:
    arguments: dict[str, Any] = {
        "suite": build_suite(CONFIG),
        "asset_name": ORDERS_ASSET,
        "row_rule_ids": ROW_RULES,
        "expectation_parameters": PARAMETERS,
        **changes,
    }
    return memo_key(frame, **arguments)


@pytest.fixture(scope="module")
def frame(orders: pa.Table) -> pd.DataFrame:
    """The frame GX validates for the day."""
    return gx_frame(orders, CONFIG)


def test_the_key_depends_on_content_not_on_the_objects(
    orders: pa.Table, frame: pd.DataFrame
) -> None:
    key = _key(frame)
    assert key is not None
    assert _key(frame.copy(deep=True)) == key
    assert _key(gx_frame(orders, CONFIG)) == key  # rebuilt from the same rows
    import great_expectations as gx

    same = gx.ExpectationSuite(name="another_name")
    for expectation in build_suite(CONFIG).expectations:
        same.add_expectation(copy.deepcopy(expectation))
    assert _key(frame, suite=same) == key  # the suite by its expectations, not its name


def _changed(frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    changed = frame.copy(deep=True)
    changed.loc[3, column] = value
    return changed


def test_any_change_of_what_gx_sees_changes_the_key(frame: pd.DataFrame) -> None:
    key = _key(frame)
    text_value = frame.loc[3, "supplier_name"]
    amount = frame.loc[3, "total_cents"]
    other_suite = build_suite(QualityConfig(known_statuses=CONFIG.known_statuses | {"OTRO"}))
    variants: dict[str, str | None] = {
        "a string cell": _key(_changed(frame, "supplier_name", f"{text_value}x")),
        "an integer cell": _key(_changed(frame, "total_cents", amount + 1)),
        "a cell made null": _key(_changed(frame, "total_cents", pd.NA)),
        "a string made null": _key(_changed(frame, "supplier_name", None)),
        "a dtype": _key(frame.astype({"total_cents": "float64"})),
        "a column name": _key(frame.rename(columns={"supplier_name": "supplier"})),
        "the column order": _key(frame[list(reversed(frame.columns))]),
        "the row order": _key(frame.iloc[::-1].reset_index(drop=True)),
        "the index": _key(frame.set_axis(range(1, len(frame) + 1))),
        "a row fewer": _key(frame.iloc[:-1]),
        "a parameter": _key(frame, expectation_parameters={"min_rows": 1, "max_rows": None}),
        "the suite": _key(frame, suite=other_suite),
        "the row rules": _key(frame, row_rule_ids=ROW_RULES - {next(iter(ROW_RULES))}),
        "the asset": _key(frame, asset_name="delivery_lines"),
    }
    assert all(variants.values())
    assert key not in variants.values()
    assert len(set(variants.values())) == len(variants)


def test_what_a_null_hides_is_not_content_but_its_kind_is() -> None:
    def integers(hidden: int) -> pd.DataFrame:
        values = pd.arrays.IntegerArray(np.array([1, hidden]), np.array([False, True]))
        return pd.DataFrame({"total_cents": values})

    suite = build_suite(CONFIG)
    arguments: dict[str, Any] = {"asset_name": ORDERS_ASSET, "row_rule_ids": ROW_RULES}
    assert memo_key(integers(5), suite, **arguments) == memo_key(integers(7), suite, **arguments)
    none = pd.DataFrame({"status": pd.Series(["A", None], dtype=object)})
    nan = pd.DataFrame({"status": pd.Series(["A", np.nan], dtype=object)})
    assert memo_key(none, suite, **arguments) != memo_key(nan, suite, **arguments)
    mixed = pd.DataFrame({"status": pd.Series(["A", 1], dtype=object)})
    assert memo_key(mixed, suite, **arguments) is None  # not covered: never memoized


def test_each_column_keeps_its_own_nulls() -> None:
    # A null and an empty string have the same string bytes: only the column's own null mask
    # tells them apart, also when other columns (with or without nulls) come first or after.
    suite = build_suite(CONFIG)
    arguments: dict[str, Any] = {"asset_name": ORDERS_ASSET, "row_rule_ids": ROW_RULES}

    def frame(status: list[str | None], hidden: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "before": pd.Series([None, "x"], dtype=object),
                "status": pd.Series(status, dtype=object),
                "total_cents": pd.arrays.IntegerArray(
                    np.array([hidden, 2]), np.array([1, 0], bool)
                ),
                "after": pd.Series(["y", "z"], dtype=object),
            }
        )

    null, empty = frame(["A", None], 0), frame(["A", ""], 0)
    assert memo_key(null, suite, **arguments) != memo_key(empty, suite, **arguments)
    assert memo_key(null, suite, **arguments) == memo_key(frame(["A", None], 9), suite, **arguments)


def _assert_same(found: GxOutcome, expected: GxOutcome) -> None:
    assert found.success == expected.success
    assert found.expectation_count == expected.expectation_count
    assert found.errors == expected.errors
    assert found.table_results == expected.table_results
    assert found.row_failures.keys() == expected.row_failures.keys()
    for rule_id, mask in expected.row_failures.items():
        assert np.array_equal(found.row_failures[rule_id], mask), rule_id


def test_a_hit_is_the_outcome_of_a_fresh_validation_and_validates_nothing(
    orders: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = run_suite(orders, CONFIG, min_rows=1, max_rows=None)
    assert not fresh.success and any(mask.any() for mask in fresh.row_failures.values())
    with recording() as recorded:
        run_suite(orders, CONFIG, min_rows=1, max_rows=None)
    assert len(recorded) == 1
    shipped: dict[str, GxOutcome] = copy.deepcopy(recorded)  # as through the worker pool

    def refuse(*_: object) -> None:
        raise AssertionError("validated although memoized")

    with monkeypatch.context() as patch, memoized(shipped):
        patch.setattr(gx_suites, "_gx_validate", refuse)
        found = run_suite(orders, CONFIG, min_rows=1, max_rows=None)
        _assert_same(found, fresh)
        next(iter(found.row_failures.values()))[:] = True  # a copy: the memo is unchanged
        _assert_same(run_suite(orders, CONFIG, min_rows=1, max_rows=None), fresh)
    assert not gx_suites._MEMO
    other = run_suite(orders, CONFIG, min_rows=2, max_rows=None)  # another key: validated
    assert other.expectation_count == fresh.expectation_count


def _columns_key(columns: dict[str, pa.Array], rows: int, **changes: Any) -> str | None:
    arguments: dict[str, Any] = {
        "suite": build_suite(CONFIG),
        "asset_name": ORDERS_ASSET,
        "row_rule_ids": ROW_RULES,
        "expectation_parameters": PARAMETERS,
        **changes,
    }
    return columns_key(columns, rows, **arguments)


def _set(columns: dict[str, pa.Array], name: str, row: int, value: Any) -> dict[str, pa.Array]:
    values = columns[name].to_pylist()
    values[row] = value
    return {**columns, name: pa.array(values, columns[name].type)}


def test_the_arrow_key_depends_on_content_not_on_the_arrays(orders: pa.Table) -> None:
    columns = gx_columns(orders, CONFIG)
    rows = orders.num_rows
    key = _columns_key(columns, rows)
    assert key is not None
    assert _columns_key(gx_columns(orders, CONFIG), rows) == key  # rebuilt from the same rows
    # the same values behind an offset, in chunks, or copied
    padded = pa.concat_tables([orders.slice(0, 1), orders]).slice(1)
    assert _columns_key(gx_columns(padded, CONFIG), rows) == key
    chunked = {name: pa.chunked_array([v.slice(0, 2), v.slice(2)]) for name, v in columns.items()}
    assert _columns_key(chunked, rows) == key  # type: ignore[arg-type]
    copied = {name: pa.array(v.to_pylist(), v.type) for name, v in columns.items()}
    assert _columns_key(copied, rows) == key


def test_any_change_of_the_arrow_columns_changes_the_key(orders: pa.Table) -> None:
    columns = gx_columns(orders, CONFIG)
    rows = orders.num_rows
    key = _columns_key(columns, rows)
    name = columns["supplier_name"][3].as_py()
    amount = columns["total_cents"][3].as_py()
    names = list(columns)
    variants: dict[str, str | None] = {
        "a string cell": _columns_key(_set(columns, "supplier_name", 3, f"{name}x"), rows),
        "an integer cell": _columns_key(_set(columns, "total_cents", 3, amount + 1), rows),
        "a cell made null": _columns_key(_set(columns, "total_cents", 3, None), rows),
        "a string made null": _columns_key(_set(columns, "supplier_name", 3, None), rows),
        "a string made empty": _columns_key(_set(columns, "supplier_name", 3, ""), rows),
        "a type": _columns_key(
            {**columns, "total_cents": columns["total_cents"].cast(pa.float64())}, rows
        ),
        "a column name": _columns_key(
            {("supplier" if n == "supplier_name" else n): v for n, v in columns.items()}, rows
        ),
        "the column order": _columns_key({n: columns[n] for n in reversed(names)}, rows),
        "the row order": _columns_key({n: v[::-1] for n, v in columns.items()}, rows),
        "a row fewer": _columns_key({n: v[:-1] for n, v in columns.items()}, rows - 1),
        "a parameter": _columns_key(
            columns, rows, expectation_parameters={"min_rows": 1, "max_rows": None}
        ),
        "the asset": _columns_key(columns, rows, asset_name="delivery_lines"),
    }
    assert all(variants.values())
    assert key not in variants.values()
    assert len(set(variants.values())) == len(variants)
    assert key != _key(gx_frame(orders, CONFIG))  # never mistaken for a frame's key


def test_what_a_null_hides_is_not_in_the_arrow_key() -> None:
    def columns(hidden: int, text_hidden: str) -> dict[str, pa.Array]:
        mask = pa.array([False, True])
        return {
            "total_cents": pc.if_else(mask, pa.scalar(None, pa.int64()), pa.array([1, hidden])),
            "status": pc.if_else(mask, pa.scalar(None, pa.string()), pa.array(["A", text_hidden])),
            "when": pa.array([1, None], pa.timestamp("s")),
        }

    assert _columns_key(columns(5, "x"), 2) == _columns_key(columns(7, "yy"), 2)
    assert _columns_key({"items": pa.array([[1], [2]])}, 2) is None  # not covered


def test_a_hit_builds_no_frame(orders: pa.Table, monkeypatch: pytest.MonkeyPatch) -> None:
    with recording() as recorded:
        fresh = run_suite(orders, CONFIG)
    shipped: dict[str, GxOutcome] = copy.deepcopy(recorded)

    def refuse(*_: object) -> None:
        raise AssertionError("frame built although memoized")

    with monkeypatch.context() as patch, memoized(shipped):
        patch.setattr(gx_suites, "arrow_frame", refuse)
        _assert_same(run_suite(orders, CONFIG), fresh)
