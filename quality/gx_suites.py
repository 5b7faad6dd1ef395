"""Great Expectations (GX Core 1.x) suite generated from the rule catalogue in ``quality.rules``.

``great_expectations`` takes seconds to import, so it is imported lazily inside functions; the
ephemeral context, the pandas datasource and the suites are built once per process and cached.
Checks GX has no expectation for (RUC check digit, IGV band, minimum amount per status) run on
derived columns computed with the same vectorised helpers as the rules and are expected true.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from quality.gx_configurations import memoized_configurations
from quality.rules import (
    ISO_LIMA_PATTERN,
    REQUIRED_COLUMNS,
    RUC_PATTERN,
    RULES,
    UNKNOWN_SHARE_SOURCE,
    URL_PATTERN,
    CheckResult,
    QualityConfig,
    Rule,
    applicable_row_rules,
    igv_band_ok,
    igv_cap_ok,
    lima_timestamps,
    minimum_amount_cents,
    prepare,
    ruc_check_digit_ok,
    source_lines_of,
)

SUITE_NAME = "perucompras_orders"
DATASOURCE = "perucompras"
ORDERS_ASSET = "orders_day"
BATCH_DEFINITION = "whole_day"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class GxOutcome:
    """GX validation of one day, translated back to rule ids."""

    success: bool
    row_failures: dict[str, np.ndarray]
    table_results: dict[str, dict[str, Any]]
    expectation_count: int
    errors: dict[str, str] = field(default_factory=dict)


def _derived_name(rule: Rule) -> str:
    return f"_{rule.field}__{rule.kind}"


def timestamp_column(column: str) -> str:
    """Name of the derived column holding ``column`` as a Lima timestamp (``not_before`` rules)."""
    return f"_{column}__ts"


def _config_key(config: QualityConfig, columns: frozenset[str]) -> tuple[Any, ...]:
    return (
        tuple(sorted(config.known_statuses)),
        tuple(sorted(config.known_procedure_types)),
        config.unknown_share_threshold,
        columns,
    )


@functools.cache
def _context() -> Any:
    """Return the process-wide ephemeral GX context with one pandas dataframe asset."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    project_config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=project_config)
    asset = context.data_sources.add_pandas(DATASOURCE).add_dataframe_asset(ORDERS_ASSET)
    asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    return context


def _expectations_for(rule: Rule, config: QualityConfig) -> list[Any]:
    """Return the GX expectations implementing ``rule``."""
    import great_expectations.expectations as gxe

    meta = {"rule_id": rule.id}
    kind, column = rule.kind, rule.field
    if kind == "unique":
        return [gxe.ExpectColumnValuesToBeUnique(column=column, meta=meta)]
    if kind == "ruc":
        return [
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=RUC_PATTERN, meta=meta),
            gxe.ExpectColumnValuesToBeInSet(
                column=_derived_name(rule), value_set=[True], meta=meta
            ),
        ]
    if kind == "in_set":
        known = config.known_statuses if column == "status" else config.known_procedure_types
        return [gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(known), meta=meta)]
    if kind == "url":
        return [gxe.ExpectColumnValuesToMatchRegex(column=column, regex=URL_PATTERN, meta=meta)]
    if kind == "sum":
        return [
            gxe.ExpectMulticolumnSumToEqual(
                column_list=["subtotal_cents", "igv_cents", _derived_name(rule)],
                sum_total=0,
                ignore_row_if="any_value_is_missing",
                meta=meta,
            )
        ]
    if kind in ("igv_band", "igv_cap"):
        return [
            gxe.ExpectColumnValuesToBeInSet(column=_derived_name(rule), value_set=[True], meta=meta)
        ]
    if kind == "positive":
        # at least the per-status minimum (0 on voided orders), not the generic "above 0"
        return [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column,
                column_B="_minimum_amount_cents",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta=meta,
            )
        ]
    if kind == "row_count":
        return [
            gxe.ExpectTableRowCountToBeBetween(
                min_value={"$PARAMETER": "min_rows"},
                max_value={"$PARAMETER": "max_rows"},
                meta=meta,
            )
        ]
    if kind == "unknown_share":
        mostly = 1.0 - config.unknown_share_threshold
        source = UNKNOWN_SHARE_SOURCE[rule.id]
        source_rule = next(r for r in RULES if r.id == source)
        if source_rule.kind == "not_null":
            return [gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly, meta=meta)]
        known = config.known_statuses if column == "status" else config.known_procedure_types
        return [
            gxe.ExpectColumnValuesToBeInSet(
                column=column, value_set=sorted(known), mostly=mostly, meta=meta
            )
        ]
    generic = catalogue_expectations(rule, REQUIRED_COLUMNS)
    if generic is None:
        raise ValueError(f"rule {rule.id}: no GX expectation for kind {kind!r}")
    return generic


_SUITES: dict[tuple[Any, ...], Any] = {}


def build_suite(config: QualityConfig, columns: frozenset[str] | None = None) -> Any:
    """Return the GX ``ExpectationSuite`` for ``config`` and a column set (built once, cached)."""
    present = frozenset(REQUIRED_COLUMNS if columns is None else columns)
    row_rules = set(applicable_row_rules(present))
    rules = [
        rule
        for rule in RULES
        if (rule in row_rules if rule.level == "row" else set(rule.columns) <= present)
    ]
    return cached_suite(
        _SUITES,
        _config_key(config, present),
        name=SUITE_NAME,
        asset_name=ORDERS_ASSET,
        rules=rules,
        expectations_for=lambda rule: _expectations_for(rule, config),
    )


def gx_frame(orders: pa.Table, config: QualityConfig) -> pd.DataFrame:
    """Return the DataFrame GX validates: checked columns plus derived columns."""
    return arrow_frame(gx_columns(orders, config), orders.num_rows)


def gx_columns(orders: pa.Table, config: QualityConfig) -> dict[str, pa.Array]:
    """The columns of ``gx_frame`` as Arrow arrays, in its order."""
    columns = {name: orders.column(name).combine_chunks() for name in orders.column_names}
    frame: dict[str, Any] = {}
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            continue
        values = columns[name]
        if name in ("status", "procedure_type"):
            values = pc.fill_null(values, "")
        frame[name] = values
    for rule in applicable_row_rules(columns):
        if rule.kind == "ruc":
            frame[_derived_name(rule)] = ruc_check_digit_ok(columns[rule.field])
        elif rule.kind == "igv_band":
            subtotal, igv = columns["subtotal_cents"], columns["igv_cents"]
            frame[_derived_name(rule)] = igv_band_ok(subtotal, igv, config)
        elif rule.kind == "igv_cap":
            subtotal, igv = columns["subtotal_cents"], columns["igv_cents"]
            frame[_derived_name(rule)] = igv_cap_ok(subtotal, igv, config)
        elif rule.kind == "sum":
            frame[_derived_name(rule)] = pc.negate(columns["total_cents"])
        elif rule.kind == "positive":
            frame["_minimum_amount_cents"] = minimum_amount_cents(columns["status"])
        elif rule.kind == "not_before":
            for name in rule.columns:
                frame[timestamp_column(name)] = lima_timestamps(columns[name])
    return frame


def _pandas_type(arrow_type: pa.DataType) -> Any:
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def run_suite(
    orders: pa.Table,
    config: QualityConfig,
    *,
    min_rows: int = 0,
    max_rows: int | None = None,
) -> GxOutcome:
    """Validate ``orders`` (already prepared) with the cached suite; map results to rule ids."""
    suite = build_suite(config, frozenset(orders.column_names))
    return validate_columns(
        gx_columns(orders, config),
        orders.num_rows,
        suite,
        asset_name=ORDERS_ASSET,
        row_rule_ids={rule.id for rule in RULES if rule.level == "row"},
        expectation_parameters={"min_rows": min_rows, "max_rows": max_rows},
    )


def prevalidate_orders(days: Iterable[pa.Table], config: QualityConfig) -> Prevalidated | None:
    """Batch validation of several days' orders (as read, before ``prepare``) for
    ``prevalidated``; None unless they share one column set."""
    tables = [prepare(table) for table in days if table.num_rows]
    if not tables or len({tuple(table.column_names) for table in tables}) != 1:
        return None
    orders = pa.concat_tables(tables, promote_options="permissive")
    columns = gx_columns(orders, config)
    return prevalidate(
        arrow_frame(columns, orders.num_rows),
        build_suite(config, frozenset(orders.column_names)),
        asset_name=ORDERS_ASSET,
        row_rule_ids={rule.id for rule in RULES if rule.level == "row"},
        columns=columns,
    )


def _observed(result: Mapping[str, Any]) -> Any:
    if "observed_value" in result:
        return result["observed_value"]
    if "unexpected_percent" in result:
        return {
            "unexpected_count": result.get("unexpected_count"),
            "unexpected_percent": result.get("unexpected_percent"),
        }
    return None


# ---------------------------------------------------------------- catalogue-generic helpers
# Used by the order, line and quotation suites: one dataframe asset per table kind in the same
# cached context, suites cached per column set, GX results mapped back to catalogue rule ids.

_ASSETS: set[str] = set()


def dataframe_batch_definition(asset_name: str) -> Any:
    """Return the whole-dataframe batch definition of ``asset_name`` (created on first use)."""
    source = _context().data_sources.get(DATASOURCE)
    with _LOCK:
        if asset_name not in _ASSETS and asset_name not in source.get_asset_names():
            source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(
                BATCH_DEFINITION
            )
        _ASSETS.add(asset_name)
    return source.get_asset(asset_name).get_batch_definition(BATCH_DEFINITION)


def arrow_frame(columns: Mapping[str, pa.Array], rows: int) -> pd.DataFrame:
    """Arrow columns -> the pandas frame GX validates (nullable Int64/boolean dtypes)."""
    table = pa.table(dict(columns)) if columns else pa.table({"_empty": pa.nulls(rows)})
    return table.to_pandas(types_mapper=_pandas_type)


def catalogue_expectations(rule: Rule, required_columns: tuple[str, ...]) -> list[Any] | None:
    """GX expectations for the rule kinds every catalogue means alike; None for other kinds.

    ``positive`` here is strictly above 0 (the order catalogue has its own, per status).
    """
    import great_expectations.expectations as gxe

    meta = {"rule_id": rule.id}
    kind, column = rule.kind, rule.field
    if kind == "required_columns":
        return [
            gxe.ExpectTableColumnsToMatchSet(
                column_set=list(required_columns), exact_match=False, meta=meta
            ),
            *(gxe.ExpectColumnToExist(column=name, meta=meta) for name in required_columns),
        ]
    if kind == "not_null":
        return [gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta)]
    if kind == "positive":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=0, strict_min=True, meta=meta
            )
        ]
    if kind == "non_negative":
        return [gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, meta=meta)]
    if kind == "iso_datetime":
        return [
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=ISO_LIMA_PATTERN, meta=meta)
        ]
    if kind == "not_before":
        later, earlier = rule.columns
        return [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=timestamp_column(later),
                column_B=timestamp_column(earlier),
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta=meta,
            )
        ]
    if kind in ("unique_in_order", "unique_pair"):
        return [
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=list(rule.columns), ignore_row_if="any_value_is_missing", meta=meta
            )
        ]
    return None


def cached_suite(
    cache: dict[Any, Any],
    key: Hashable,
    *,
    name: str,
    asset_name: str,
    rules: Iterable[Rule],
    expectations_for: Callable[[Rule], list[Any]],
) -> Any:
    """The suite of ``rules`` stored under ``key`` in ``cache`` (built on first use)."""
    import great_expectations as gx

    dataframe_batch_definition(asset_name)
    with _LOCK:
        if key not in cache:
            expectations = [e for rule in rules for e in expectations_for(rule)]
            cache[key] = gx.ExpectationSuite(
                name=f"{name}_{len(cache)}", expectations=_distinct(expectations)
            )
        return cache[key]


# What GX ignores when it tells two expectations of a suite apart (``ExpectationSuite.
# _expectations_are_equalish``, used by ``add_expectation``).
_NOT_DISTINCT = {"id", "rendered_content", "notes", "meta"}


def _distinct(expectations: Iterable[Any]) -> list[Any]:
    """The expectations ``ExpectationSuite.add_expectation`` would keep, one by one: the first of
    each set of equal ones. Each one's fields are read once (``add_expectation`` reads both
    sides' for every pair: ~0.25 s for the order suite)."""
    kept: list[Any] = []
    seen: list[tuple[str, dict[str, Any]]] = []
    for expectation in expectations:
        fields = (expectation.expectation_type, expectation.dict(exclude=_NOT_DISTINCT))
        if fields not in seen:
            seen.append(fields)
            kept.append(expectation)
    return kept


def validate_frame(
    frame: pd.DataFrame,
    suite: Any,
    *,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> GxOutcome:
    """Validate ``frame`` with ``suite``; row expectations -> failure masks per ``meta.rule_id``.

    An empty frame's outcome depends only on its columns, the suite and the parameters: it is
    validated once per process and reused (days without orders cost almost nothing). Inside
    ``memoized``, a frame whose exact content (and suite, parameters, code) another process
    validated takes that outcome (``memo_key``); inside ``recording``, every outcome computed
    is kept under its key. Inside ``prevalidated``, a frame whose rows a registered batch holds
    takes the batch's row-local results and GX validates only the rest of the suite on it
    (``batch_outcome``).
    """
    return _memoized(
        lambda: memo_key(frame, suite, asset_name, row_rule_ids, expectation_parameters),
        lambda: _validate_or_reuse_empty(
            frame, suite, asset_name, row_rule_ids, expectation_parameters
        ),
    )


def validate_columns(
    columns: Mapping[str, pa.Array],
    rows: int,
    suite: Any,
    *,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> GxOutcome:
    """``validate_frame`` of ``arrow_frame(columns, rows)``, memoized by the Arrow columns'
    content (``columns_key``): a frame another process validated is not even built."""
    return _memoized(
        lambda: columns_key(columns, rows, suite, asset_name, row_rule_ids, expectation_parameters),
        lambda: _validate_columns(
            columns, rows, suite, asset_name, row_rule_ids, expectation_parameters
        ),
    )


def _validate_columns(
    columns: Mapping[str, pa.Array],
    rows: int,
    suite: Any,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None,
) -> GxOutcome:
    """``_validate_or_reuse_empty`` of ``arrow_frame(columns, rows)``; inside ``prevalidated``,
    a day whose rows a batch holds in its Arrow columns (``columns_outcome``) is validated
    from them without building its whole frame."""
    with _LOCK:
        batch = _PREVALIDATED.get((asset_name, suite.name))
    if batch is not None:
        batched = columns_outcome(batch, columns, rows, row_rule_ids, expectation_parameters)
        if batched is not None:
            return batched
    return _validate_or_reuse_empty(
        arrow_frame(columns, rows), suite, asset_name, row_rule_ids, expectation_parameters
    )


def _memoized(key_of: Callable[[], str | None], validate: Callable[[], GxOutcome]) -> GxOutcome:
    """``validate()``, or a copy of the outcome ``memoized`` holds under ``key_of()``; inside
    ``recording``, the outcome is kept under that key (the key is computed only then)."""
    key = None
    if _MEMO or _RECORDERS:
        key = key_of()
        with _LOCK:
            remembered = _MEMO.get(key) if key is not None else None
        if remembered is not None:
            return copy.deepcopy(remembered)
    outcome = validate()
    if key is not None:
        with _LOCK:
            for recorder in _RECORDERS:
                recorder[key] = copy.deepcopy(outcome)
    return outcome


def _validate_or_reuse_empty(
    frame: pd.DataFrame,
    suite: Any,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None,
) -> GxOutcome:
    if len(frame) == 0:
        key = (
            asset_name,
            suite.name,
            tuple((str(column), str(dtype)) for column, dtype in frame.dtypes.items()),
            tuple(sorted(row_rule_ids)),
            tuple(sorted((k, repr(v)) for k, v in (expectation_parameters or {}).items())),
        )
        with _LOCK:
            known = _EMPTY_OUTCOMES.get(key)
        if known is None:
            known = _validate_frame(frame, suite, asset_name, row_rule_ids, expectation_parameters)
            with _LOCK:
                _EMPTY_OUTCOMES[key] = known
        return copy.deepcopy(known)
    return _validate_frame(frame, suite, asset_name, row_rule_ids, expectation_parameters)


_EMPTY_OUTCOMES: dict[Hashable, GxOutcome] = {}


def _validate_frame(
    frame: pd.DataFrame,
    suite: Any,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None,
) -> GxOutcome:
    batched = _from_prevalidated(frame, suite, asset_name, row_rule_ids, expectation_parameters)
    if batched is not None:
        return batched
    result = _gx_validate(frame, suite, asset_name, expectation_parameters)
    return _outcome(
        [_Item.of(item) for item in result.results], len(frame), row_rule_ids, bool(result.success)
    )


# COMPLETE: each failing row's index (``unexpected_index_list``) is what an outcome is made of.
# ``return_unexpected_index_query`` False: GX 1.x otherwise computes, for every map expectation
# of every validation, a pandas "query" of the unexpected rows (a boolean-filtered copy of the
# column, ~1/8 of a validation's metric time) and puts it in the result, where nothing here
# reads it (``_outcome`` reads the index list and ``_observed`` values); the other results are
# the same (tests/test_gx_result_format.py).
_RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


@contextlib.contextmanager
def _without_fingerprint() -> Iterator[None]:
    """GX's pandas engine without its batch fingerprint (held by the caller's ``_LOCK``).

    When it makes a batch, GX's pandas engine hashes every cell of the frame
    (``pd.util.hash_pandas_object``, then MD5) into ``batch_markers["pandas_data_fingerprint"]``
    whenever the frame weighs less than its module's ``HASH_THRESHOLD``: a quarter of the time a
    day's ~60k quotations take to validate. Nothing here reads batch markers (outcomes come from
    the expectation results alone), so the threshold is 0 while a batch is made and restored
    after; a GX without that module constant hashes as before.
    """
    from great_expectations.execution_engine import pandas_execution_engine as engine

    threshold = getattr(engine, "HASH_THRESHOLD", None)
    if threshold is None:
        yield
        return
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


def _gx_validate(
    frame: pd.DataFrame,
    suite: Any,
    asset_name: str,
    expectation_parameters: Mapping[str, Any] | None,
) -> Any:
    batch_definition = dataframe_batch_definition(asset_name)
    with _LOCK, memoized_configurations(), _without_fingerprint():
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(
            suite,
            result_format=dict(_RESULT_FORMAT),
            expectation_parameters=dict(expectation_parameters or {}),
        )


@dataclass(frozen=True)
class _Item:
    """The parts of one GX expectation result an outcome is built from."""

    rule_id: str
    type: str
    success: bool
    result: Mapping[str, Any]
    error: str | None

    @classmethod
    def of(cls, item: Any) -> _Item:
        expectation = item.expectation_config
        raised = item.exception_info and item.exception_info.get("raised_exception")
        return cls(
            rule_id=(expectation.meta or {}).get("rule_id", expectation.type),
            type=expectation.type,
            success=bool(item.success),
            result=item.result,
            error=str(item.exception_info.get("exception_message")) if raised else None,
        )


def _outcome(items: list[_Item], rows: int, row_rule_ids: set[str], success: bool) -> GxOutcome:
    """Translate expectation results (in suite order) into a ``GxOutcome`` by rule id."""
    row_failures: dict[str, np.ndarray] = {}
    table_results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for item in items:
        if item.error is not None:
            errors[item.rule_id] = item.error
        if item.rule_id in row_rule_ids:
            mask = row_failures.setdefault(item.rule_id, np.zeros(rows, dtype=bool))
            indices = item.result.get("unexpected_index_list") or []
            mask[np.asarray(indices, dtype=np.int64)] = True
            continue
        entry = table_results.setdefault(
            item.rule_id, {"success": True, "observed": [], "expectations": []}
        )
        entry["success"] = entry["success"] and item.success
        entry["expectations"].append(item.type)
        observed = _observed(item.result)
        if observed is not None:
            entry["observed"].append(observed)
    return GxOutcome(
        success=success,
        row_failures=row_failures,
        table_results=table_results,
        expectation_count=len(items),
        errors=errors,
    )


# ---------------------------------------------------------------- batch validation
# A backfill validates many days. The expectations whose result for a row depends on that row
# alone (and those that look only at the column set) are validated once on a frame holding
# every row of the batch; each day then runs only the rest (row count) and takes the row-local
# results of its own rows, found by content. A ``mostly`` share of a row-local check is decided
# by the expectation's own code on the day's counts, its rows flagged by the batched check that
# differs only in ``mostly`` (``_share_item``). Uniqueness is validated on
# the batch too: a day's rows are some of the batch's rows, so a value repeated within the day
# is repeated in the batch; when the batch flags none of the day's rows, the day has no
# repeated value, and otherwise GX validates uniqueness on the day itself. A day with a row the
# batch frame does not hold, other columns or dtypes, or an error anywhere, is validated whole,
# as without a batch. GX sees only the columns the day's expectations name (``_narrow``).

_COLUMN_SET_TYPES = frozenset({"expect_column_to_exist", "expect_table_columns_to_match_set"})
_ROW_LOCAL_TYPES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_multicolumn_sum_to_equal",
    }
)


def _batchable(expectation: Any, row_rule_ids: set[str]) -> bool:
    """True when a day's result is the batch's result restricted to the day's rows.

    Column-set expectations see the same columns; a row-local map expectation without
    ``mostly`` flags each row on its own and succeeds exactly when it flags none.
    """
    kind = expectation.expectation_type
    if kind in _COLUMN_SET_TYPES:
        return True
    return (
        kind in _ROW_LOCAL_TYPES
        and (expectation.meta or {}).get("rule_id") in row_rule_ids
        and getattr(expectation, "mostly", 1) == 1
    )


_UNIQUE_TYPES = frozenset(
    {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
)
# The arguments naming the columns an expectation reads; ``_narrow`` keeps only those.
_COLUMN_ARGUMENTS = ("column", "column_list", "column_A", "column_B")
_NARROWABLE_TYPES = _UNIQUE_TYPES | _ROW_LOCAL_TYPES | {"expect_table_row_count_to_be_between"}


def _unique_in_subsets(expectation: Any, row_rule_ids: set[str]) -> bool:
    """True for a uniqueness expectation of a row rule without ``mostly``: rows repeated within
    a subset of the batch's rows are repeated in the batch (``batch_outcome``)."""
    return (
        expectation.expectation_type in _UNIQUE_TYPES
        and (expectation.meta or {}).get("rule_id") in row_rule_ids
        and getattr(expectation, "mostly", 1) == 1
    )


# ``mostly`` shares of a row-local check: GX's own decision (the expectation's ``_validate``)
# on the day's counts, its unexpected rows taken from the batched expectation that differs only
# in ``mostly`` (the rows it flags are the rows flagged with any ``mostly``).
_SHARE_METRICS = {
    "expect_column_values_to_be_in_set": "column_values.in_set",
    "expect_column_values_to_not_be_null": "column_values.nonnull",
}


def _share_twin(expectations: list[Any], index: int, batched: list[int]) -> int | None:
    """The position of the batched expectation that differs from ``expectations[index]`` (a
    ``mostly`` share) only in ``mostly`` and ``meta``; None when there is none."""
    expectation = expectations[index]
    if expectation.expectation_type not in _SHARE_METRICS:
        return None
    if not 0 < (getattr(expectation, "mostly", 1) or 1) < 1:
        return None
    kwargs = dict(expectation.configuration.kwargs)
    kwargs.pop("mostly", None)
    for twin in batched:
        other = expectations[twin]
        if other.expectation_type != expectation.expectation_type:
            continue
        other_kwargs = dict(other.configuration.kwargs)
        if other_kwargs.pop("mostly", 1) == 1 and other_kwargs == kwargs:
            return twin
    return None


def _share_item(expectation: Any, frame: pd.DataFrame, flagged: np.ndarray) -> _Item | None:
    """The result of the ``mostly`` share ``expectation`` on ``frame`` whose rows ``flagged``
    (positions) are unexpected, decided by the expectation's own ``_validate`` as GX does for
    the metrics a validation of ``frame`` computes; None when it cannot be built."""
    metric = _SHARE_METRICS[expectation.expectation_type]
    column = frame[expectation.configuration.kwargs["column"]]
    metrics = {
        "table.row_count": len(frame),
        "column_values.nonnull.unexpected_count": int(column.isna().sum()),
        f"{metric}.unexpected_count": len(flagged),
        f"{metric}.unexpected_values": column.iloc[flagged].tolist(),
        f"{metric}.unexpected_index_list": frame.index[flagged].tolist(),
        f"{metric}.unexpected_index_query": None,
    }
    try:
        with memoized_configurations():
            raw = expectation._validate(
                metrics=metrics, runtime_configuration={"result_format": _RESULT_FORMAT}
            )
    except Exception:  # only costs the speed-up
        return None
    return _Item(
        rule_id=(expectation.meta or {}).get("rule_id", expectation.expectation_type),
        type=expectation.expectation_type,
        success=bool(raw["success"]),
        result=raw["result"],
        error=None,
    )


def _columns_read(expectations: Iterable[Any]) -> tuple[str, ...] | None:
    """The columns ``expectations`` read, in first-named order (none for a row count alone);
    None when one of them may read others (then GX gets the whole frame)."""
    names: list[str] = []
    for expectation in expectations:
        if expectation.expectation_type not in _NARROWABLE_TYPES:
            return None
        kwargs = expectation.configuration.kwargs
        for argument in _COLUMN_ARGUMENTS:
            value = kwargs.get(argument)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, list | tuple):
                names.extend(str(name) for name in value)
    return tuple(dict.fromkeys(names))


def _narrow(frame: pd.DataFrame, columns: tuple[str, ...] | None) -> pd.DataFrame:
    """``frame`` with only ``columns`` (same rows and index; its first column when they name
    none: a row count): the results of expectations that read only those columns are the
    same, and GX hashes and copies less."""
    if columns is None or not set(columns) <= set(frame.columns):
        return frame
    return frame[list(columns)] if columns else frame.iloc[:, :1]


def _row_keys(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


# Where each source row was read: tells a batch's rows apart at the cost of hashing two columns
# instead of every column. Only finds candidates: ``_rows_of`` compares them whole.
_LOCATOR_COLUMNS = ("source_file", "source_line")


@dataclass(frozen=True)
class _RowIndex:
    """A frame's row keys (of ``columns``, or of every column when None), sorted, to find the
    first row with each key of another frame at once."""

    columns: tuple[str, ...] | None
    keys: np.ndarray
    positions: np.ndarray  # ``positions[i]``: the first row whose key is ``keys[i]``

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: tuple[str, ...] | None) -> _RowIndex:
        """The index of ``frame``'s rows by ``columns``."""
        keys = _row_keys(frame if columns is None else frame[list(columns)])
        order = np.argsort(keys, kind="stable")
        return cls(columns, keys[order], order)

    def find(self, frame: pd.DataFrame) -> np.ndarray | None:
        """For each row of ``frame``, the first indexed row with its key; None when a key is
        missing."""
        if self.columns is not None and not set(self.columns) <= set(frame.columns):
            return None
        keys = _row_keys(frame if self.columns is None else frame[list(self.columns)])
        if not len(self.keys):
            return None
        at = np.minimum(np.searchsorted(self.keys, keys, side="left"), len(self.keys) - 1)
        if not np.array_equal(self.keys[at], keys):
            return None
        return self.positions[at]


def _located(frame: pd.DataFrame) -> _RowIndex | None:
    """The index of ``frame``'s rows by where they were read; None without those columns."""
    if not set(_LOCATOR_COLUMNS) <= set(frame.columns):
        return None
    return _RowIndex.of(frame, _LOCATOR_COLUMNS)


def _rows_of(batch: Prevalidated, frame: pd.DataFrame) -> np.ndarray | None:
    """Positions of batch rows equal to ``frame``'s rows, in order (values, nulls and dtypes
    compared whole); None when the batch does not hold one of them. Found by where they were
    read, or else (rows read twice, another frame) by every column."""
    day = frame.reset_index(drop=True)

    def held(index: _RowIndex) -> np.ndarray | None:
        rows = index.find(frame)
        if rows is None or not batch.frame.iloc[rows].reset_index(drop=True).equals(day):
            return None
        return rows

    rows = held(batch.located) if batch.located is not None else None
    return rows if rows is not None else held(batch.whole_index)


def _arrow_rows(batch: Prevalidated, columns: Mapping[str, pa.Array]) -> np.ndarray | None:
    """``_rows_of`` read from the Arrow columns the frames are made of (``arrow_frame``): the
    first batch row read where each row of ``columns`` was read, when the batch's Arrow rows
    there equal them whole (types, values and nulls); None otherwise (then ``_rows_of``
    looks in the pandas frames, by content too). ``arrow_frame`` converts row by row, so
    equal Arrow rows make equal frame rows: the rows ``_rows_of`` finds, without building
    and comparing pandas rows."""
    held = batch.arrow
    locations = batch.arrow_locations
    if held is None or locations is None:
        return None
    try:
        day = pa.table(dict(columns))
    except (pa.ArrowException, ValueError, TypeError):
        return None
    if day.num_rows == 0 or not day.schema.equals(held.schema):
        return None
    file, line = (day.column(name).to_pylist() for name in _LOCATOR_COLUMNS)
    found = [locations.get(key) for key in zip(file, line, strict=True)]
    if None in found:
        return None
    rows = np.asarray(found, dtype=np.int64)
    if not held.take(pa.array(rows)).equals(day):
        return None
    return rows


def _validation_order(expectations: list[Any]) -> list[int]:
    """Positions of ``expectations`` in the order GX 1.x reports their results: grouped by
    ``column`` argument in order of first appearance (``Validator.process_expectations_for_
    validation``); checked against GX's actual order at every use."""
    groups: dict[str | None, list[int]] = {}
    for index, expectation in enumerate(expectations):
        column = expectation.configuration.kwargs.get("column")
        groups.setdefault(column if isinstance(column, str) else None, []).append(index)
    return [index for group in groups.values() for index in group]


def _sub_suite(name: str, expectations: list[Any], indices: list[int]) -> tuple[Any, list[str]]:
    """A suite of copies of ``expectations[indices]`` whose ids are their positions, and the ids
    in the order GX reports them."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    copies = [suite.add_expectation(_copy(expectations[index])) for index in indices]
    for index, expectation in zip(indices, copies, strict=True):
        expectation.id = str(index)
    return suite, [str(indices[i]) for i in _validation_order(copies)]


def _copy(expectation: Any) -> Any:
    """``copy.deepcopy(expectation)`` without deep-copying the suite it belongs to: an
    expectation holds its suite's save callback (a bound method), so a plain deep copy copies
    the whole suite, every expectation of it included, for each expectation (~1 s per process
    for the order suite). The copy's fields are deep copies either way; its callback is
    re-bound by the ``add_expectation`` it is made for."""
    callback = getattr(expectation, "_save_callback", None)
    owner = getattr(callback, "__self__", None)
    memo = {id(owner): owner} if owner is not None else {}
    return copy.deepcopy(expectation, memo)


def _results_by_id(result: Any, expected_ids: list[str]) -> dict[int, _Item] | None:
    """Results of a sub-suite keyed by full-suite position; None on an error or when GX
    reported them in another order than ``_validation_order`` predicts."""
    ids = [item.expectation_config.id for item in result.results]
    items = [_Item.of(item) for item in result.results]
    if ids != expected_ids or any(item.error is not None for item in items):
        return None
    return {int(key): item for key, item in zip(ids, items, strict=True)}


@dataclass(frozen=True)
class _DaySuite:
    """Expectations GX validates on each day, and the columns they read."""

    suite: Any
    ids: list[str]
    columns: tuple[str, ...] | None


@dataclass(frozen=True)
class Prevalidated:
    """Row-local GX results of a batch frame, for the days whose rows it holds."""

    asset_name: str
    suite_name: str
    row_rule_ids: frozenset[str]
    frame: pd.DataFrame
    located: _RowIndex | None  # its rows by where they were read
    batch_items: Mapping[int, tuple[_Item, np.ndarray | None]]
    day: _DaySuite | None  # the expectations not validated on the batch
    with_unique: _DaySuite | None  # those and the uniqueness ones
    unique: frozenset[int]
    order: tuple[int, ...]
    shares: Mapping[int, tuple[Any, int]] = field(default_factory=dict)
    # the Arrow columns ``frame`` was made of (``arrow_frame``), when known
    arrow: pa.Table | None = None

    @functools.cached_property
    def arrow_locations(self) -> dict[tuple[Any, Any], int] | None:
        """The first row of ``arrow`` read at each (file, line); None without them."""
        if self.arrow is None or not set(_LOCATOR_COLUMNS) <= set(self.arrow.column_names):
            return None
        file, line = (self.arrow.column(name).to_pylist() for name in _LOCATOR_COLUMNS)
        locations: dict[tuple[Any, Any], int] = {}
        for position, key in enumerate(zip(file, line, strict=True)):
            locations.setdefault(key, position)
        return locations

    @functools.cached_property
    def whole_index(self) -> _RowIndex:
        """Its rows by every column (built when first needed)."""
        return _RowIndex.of(self.frame, None)


@dataclass(frozen=True)
class _Split:
    """A suite cut in two: expectations validated once per batch, and the rest (per day)."""

    batch_suite: Any
    batch_ids: list[str]
    day: _DaySuite | None
    with_unique: _DaySuite | None
    unique: frozenset[int]
    order: tuple[int, ...]
    # ``mostly`` share expectation position -> (the expectation, its batched twin's position)
    shares: Mapping[int, tuple[Any, int]] = field(default_factory=dict)


_SPLITS: dict[tuple[str, frozenset[str]], _Split | None] = {}


def _split(suite: Any, row_rule_ids: set[str]) -> _Split | None:
    """The split of ``suite`` (built once per suite); None without a batchable expectation."""
    key = (suite.name, frozenset(row_rule_ids))
    if key not in _SPLITS:
        expectations = list(suite.expectations)
        batched = [i for i, e in enumerate(expectations) if _batchable(e, row_rule_ids)]
        unique = [i for i, e in enumerate(expectations) if _unique_in_subsets(e, row_rule_ids)]
        shares = {
            i: (expectations[i], twin)
            for i in range(len(expectations))
            if (twin := _share_twin(expectations, i, batched)) is not None
        }
        rest = [i for i in range(len(expectations)) if i not in {*batched, *unique, *shares}]
        split = None
        if batched:
            batch_suite, batch_ids = _sub_suite(
                f"{suite.name}__batch", expectations, sorted(batched + unique)
            )
            order = tuple(_validation_order(expectations))
            split = _Split(
                batch_suite,
                batch_ids,
                _day_suite(f"{suite.name}__day", expectations, rest),
                _day_suite(f"{suite.name}__day_unique", expectations, sorted(rest + unique)),
                frozenset(unique),
                order,
                shares,
            )
        with _LOCK:
            _SPLITS[key] = split
    return _SPLITS[key]


def _day_suite(name: str, expectations: list[Any], indices: list[int]) -> _DaySuite | None:
    """The sub-suite of ``expectations[indices]`` validated per day; None when empty."""
    if not indices:
        return None
    suite, ids = _sub_suite(name, expectations, indices)
    return _DaySuite(suite, ids, _columns_read(expectations[i] for i in indices))


def prevalidate(
    frame: pd.DataFrame,
    suite: Any,
    *,
    asset_name: str,
    row_rule_ids: set[str],
    columns: Mapping[str, pa.Array] | None = None,
) -> Prevalidated | None:
    """Validate the batchable expectations of ``suite`` once on ``frame`` (a batch's rows);
    None when nothing can be reused (no rows, no batchable expectation, a GX error).
    ``columns``: the Arrow columns ``frame`` was made of (``arrow_frame``), if known."""
    split = _split(suite, row_rule_ids)
    if len(frame) == 0 or split is None:
        return None
    frame = frame.reset_index(drop=True)
    result = _gx_validate(frame, split.batch_suite, asset_name, None)
    results = _results_by_id(result, split.batch_ids)
    if results is None:
        return None
    batch_items: dict[int, tuple[_Item, np.ndarray | None]] = {}
    for index, item in results.items():
        failed = None
        if item.type not in _COLUMN_SET_TYPES:
            failed = np.zeros(len(frame), dtype=bool)
            unexpected = item.result.get("unexpected_index_list") or []
            failed[np.asarray(unexpected, dtype=np.int64)] = True
        batch_items[index] = (item, failed)
    return Prevalidated(
        asset_name=asset_name,
        suite_name=suite.name,
        row_rule_ids=frozenset(row_rule_ids),
        frame=frame,
        located=_located(frame),
        batch_items=batch_items,
        day=split.day,
        with_unique=split.with_unique,
        unique=split.unique,
        order=split.order,
        shares=split.shares,
        arrow=_arrow_table(columns, len(frame)),
    )


def _arrow_table(columns: Mapping[str, pa.Array] | None, rows: int) -> pa.Table | None:
    """``columns`` as one table of ``rows`` rows; None when they are not that."""
    if not columns:
        return None
    try:
        table = pa.table(dict(columns))
    except (pa.ArrowException, ValueError, TypeError):
        return None
    return table if table.num_rows == rows else None


_PREVALIDATED: dict[tuple[str, str], Prevalidated] = {}


@contextlib.contextmanager
def prevalidated(batches: Iterable[Prevalidated | None]) -> Iterator[None]:
    """Within the block, ``validate_frame`` reuses ``batches`` for the days they cover."""
    registered = [batch for batch in batches if batch is not None]
    keys = [(batch.asset_name, batch.suite_name) for batch in registered]
    with _LOCK:
        previous = {key: _PREVALIDATED.get(key) for key in keys}
        _PREVALIDATED.update(zip(keys, registered, strict=True))
    try:
        yield
    finally:
        with _LOCK:
            for key, before in previous.items():
                if before is None:
                    _PREVALIDATED.pop(key, None)
                else:
                    _PREVALIDATED[key] = before


def _from_prevalidated(
    frame: pd.DataFrame,
    suite: Any,
    asset_name: str,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None,
) -> GxOutcome | None:
    with _LOCK:
        batch = _PREVALIDATED.get((asset_name, suite.name))
    if batch is None:
        return None
    return batch_outcome(batch, frame, row_rule_ids, expectation_parameters)


def batch_outcome(
    batch: Prevalidated,
    frame: pd.DataFrame,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> GxOutcome | None:
    """The day's outcome from ``batch`` plus a GX run of the day suite on ``frame``; None
    when ``batch`` does not hold every row of ``frame`` (then validate the day whole)."""
    if (
        len(frame) == 0
        or frozenset(row_rule_ids) != batch.row_rule_ids
        or list(frame.columns) != list(batch.frame.columns)
        or not frame.dtypes.equals(batch.frame.dtypes)
    ):
        return None
    rows = _rows_of(batch, frame)
    if rows is None:
        return None
    return _rows_outcome(
        batch,
        rows,
        len(frame),
        lambda names: _narrow(frame, names),
        row_rule_ids,
        expectation_parameters,
    )


def columns_outcome(
    batch: Prevalidated,
    columns: Mapping[str, pa.Array],
    rows: int,
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> GxOutcome | None:
    """``batch_outcome`` of ``arrow_frame(columns, rows)`` when the batch's Arrow columns hold
    its rows (``_arrow_rows``: then the frames' columns and dtypes are the batch's too); GX and
    the ``mostly`` shares get frames of only the columns they read, made the same way
    (``arrow_frame`` converts column by column: the same frames as the whole frame's columns).
    None when it cannot tell (then ``batch_outcome`` of the whole frame decides)."""
    if rows == 0 or frozenset(row_rule_ids) != batch.row_rule_ids:
        return None
    found = _arrow_rows(batch, columns)
    if found is None:
        return None
    return _rows_outcome(
        batch,
        found,
        rows,
        lambda names: _arrow_part(columns, rows, names),
        row_rule_ids,
        expectation_parameters,
    )


def _arrow_part(
    columns: Mapping[str, pa.Array], rows: int, names: tuple[str, ...] | None
) -> pd.DataFrame:
    """``_narrow(arrow_frame(columns, rows), names)``, converting only the columns kept."""
    if names is None or not set(names) <= set(columns):
        return arrow_frame(columns, rows)
    kept = names if names else tuple(columns)[:1]
    return arrow_frame({name: columns[name] for name in kept}, rows)


def _rows_outcome(
    batch: Prevalidated,
    rows: np.ndarray,
    count: int,
    part: Callable[[tuple[str, ...] | None], pd.DataFrame],
    row_rule_ids: set[str],
    expectation_parameters: Mapping[str, Any] | None,
) -> GxOutcome | None:
    """The outcome of a day of ``count`` rows, the batch's ``rows``; ``part(names)``: the
    day's frame with only the columns ``names`` (``_narrow``)."""
    # distinct batch rows: the day's rows are a sub-multiset of the batch's
    subset = len(np.unique(rows)) == len(rows)
    day = batch.day
    items: dict[int, _Item] = {}
    for index, (item, failed) in batch.batch_items.items():
        if failed is None:
            items[index] = item
            continue
        unexpected = np.flatnonzero(failed[rows]).tolist()
        if index in batch.unique and (unexpected or not subset):
            day = batch.with_unique  # validated on the day itself
            continue
        items[index] = dataclasses.replace(
            item, success=not unexpected, result={"unexpected_index_list": unexpected}
        )
    for index, (expectation, twin) in batch.shares.items():
        _, failed = batch.batch_items[twin]
        if failed is None:
            return None
        column = expectation.configuration.kwargs["column"]
        share = _share_item(expectation, part((column,)), np.flatnonzero(failed[rows]))
        if share is None:
            return None
        items[index] = share
    if day is not None:
        narrow = part(day.columns)
        result = _gx_validate(narrow, day.suite, batch.asset_name, expectation_parameters)
        day_items = _results_by_id(result, day.ids)
        if day_items is None:
            return None
        items.update(day_items)
    ordered = [items[index] for index in batch.order]
    return _outcome(ordered, count, row_rule_ids, all(item.success for item in ordered))


def agreement_check(
    name: str,
    table: pa.Table,
    masks: Mapping[str, np.ndarray],
    outcome: GxOutcome,
    table_checks: list[CheckResult],
    config: QualityConfig,
    *,
    details: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Blocking check that GX found exactly the rows (and table results) the rules found."""
    disagreements: dict[str, Any] = {}
    for rule_id, mask in masks.items():
        gx_mask = outcome.row_failures.get(rule_id)
        if gx_mask is None or not np.array_equal(gx_mask, mask):
            gx_lines = [] if gx_mask is None else source_lines_of(table, gx_mask)
            disagreements[rule_id] = {"rules": source_lines_of(table, mask), "gx": gx_lines}
    for check in table_checks:
        gx_table = outcome.table_results.get(check.name)
        if gx_table is not None and gx_table["success"] != check.passed:
            disagreements[check.name] = {"rules": check.passed, "gx": gx_table["success"]}
    agreed = not disagreements and not outcome.errors
    names = ", ".join(sorted(disagreements) + sorted(outcome.errors))
    message = (
        text("gate.gx_agrees", config.lang, count=outcome.expectation_count)
        if agreed
        else text("gate.gx_disagrees", config.lang, names=names)
    )
    payload = {
        "expectations": outcome.expectation_count,
        "gx_success": outcome.success,
        "disagreements": disagreements,
        "errors": outcome.errors,
        **(details or {}),
    }
    return CheckResult(name, agreed, "block", message, payload)


# ---------------------------------------------------------------- outcomes by content
# GX is deterministic: the same frame (values, nulls, dtypes, columns, index) validated with the
# same expectations, parameters and code gives the same outcome. A backfill's worker processes
# validate a month's days ahead (``publication.prepare``) and hand the outcomes over by key;
# this process then only looks them up (``memoized``). Only an exact key is used: any other
# frame is validated as usual.


def memo_key(
    frame: pd.DataFrame,
    suite: Any,
    asset_name: str,
    row_rule_ids: Iterable[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> str | None:
    """SHA-256 of everything a validation's outcome depends on; None for a frame with a
    column this encoding does not cover (then it is never memoized)."""
    digest = hashlib.sha256()
    header = {
        "version": _memo_version(),
        "asset": asset_name,
        "suite": _suite_identity(suite),
        "row_rules": sorted(row_rule_ids),
        "parameters": sorted((str(k), repr(v)) for k, v in (expectation_parameters or {}).items()),
        "rows": len(frame),
        "columns": [[repr(name), str(dtype)] for name, dtype in frame.dtypes.items()],
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        digest.update(f"range {index.start} {index.stop} {index.step}".encode())
    elif not _digest_values(digest, pd.Series(index, dtype=index.dtype), f"index {index.dtype}"):
        return None
    nulls = frame.isna().to_numpy(dtype=bool)  # every column's at once (column by column is slow)
    for position, (_, column) in enumerate(frame.items()):
        if not _digest_values(digest, column, f"column {position}", nulls[:, position]):
            return None
    return digest.hexdigest()


def _digest_values(
    digest: Any, values: pd.Series, label: str, nulls: np.ndarray | None = None
) -> bool:
    """Feed ``values`` (nulls, then the values with nulls as 0: nothing hidden behind a null
    reaches the digest) to ``digest``; False for a dtype not covered. ``nulls``:
    ``values.isna()`` when the caller has it."""
    if nulls is None:
        nulls = values.isna().to_numpy(dtype=bool)
    digest.update(f"{label} {values.dtype} {len(values)}\n".encode())
    digest.update(np.packbits(nulls).tobytes())
    dtype = values.dtype
    data: np.ndarray
    if isinstance(dtype, pd.Int64Dtype):
        data = values.to_numpy(dtype=np.int64, na_value=0)
    elif isinstance(dtype, pd.BooleanDtype):
        data = values.to_numpy(dtype=bool, na_value=False)
    elif isinstance(dtype, np.dtype) and dtype.kind in "biu":
        data = values.to_numpy()
    elif isinstance(dtype, np.dtype) and dtype.kind in "mM":
        data = values.to_numpy().view(np.int64)
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        data = np.where(nulls, 0.0, values.to_numpy())
    elif isinstance(dtype, np.dtype) and dtype.kind == "O":
        objects = values.to_numpy(dtype=object)
        # a null's kind (None, NaN, NaT, NA) is part of the content
        digest.update(repr([type(value).__name__ for value in objects[nulls]]).encode())
        try:
            strings = pa.array(objects, from_pandas=True)
        except (pa.ArrowException, ValueError, TypeError):
            return False
        if not (pa.types.is_string(strings.type) or pa.types.is_null(strings.type)):
            return False
        strings = strings.cast(pa.large_string())
        _, offsets_buffer, data_buffer = strings.buffers()
        offsets = np.frombuffer(
            offsets_buffer, dtype=np.int64, count=len(strings) + 1, offset=strings.offset * 8
        )
        digest.update((offsets - offsets[0]).tobytes())
        if data_buffer is not None:
            digest.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
        return True
    else:
        return False
    digest.update(np.ascontiguousarray(data).tobytes())
    return True


def columns_key(
    columns: Mapping[str, pa.Array],
    rows: int,
    suite: Any,
    asset_name: str,
    row_rule_ids: Iterable[str],
    expectation_parameters: Mapping[str, Any] | None = None,
) -> str | None:
    """``memo_key`` of ``arrow_frame(columns, rows)`` read from the Arrow arrays the frame is
    built from (a function of them: same arrays, same frame); None for a type this encoding
    does not cover. Not equal to ``memo_key``: each outcome is looked up by the key it was
    recorded under."""
    arrays = {}
    for name, values in columns.items():
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not isinstance(values, pa.Array):
            return None
        arrays[name] = values
    digest = hashlib.sha256()
    header = {
        "version": _memo_version(),
        "encoding": "arrow",
        "asset": asset_name,
        "suite": _suite_identity(suite),
        "row_rules": sorted(row_rule_ids),
        "parameters": sorted((str(k), repr(v)) for k, v in (expectation_parameters or {}).items()),
        "rows": rows,
        "columns": [[name, str(values.type), len(values)] for name, values in arrays.items()],
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    for position, values in enumerate(arrays.values()):
        if not _digest_arrow(digest, values, f"column {position}"):
            return None
    return digest.hexdigest()


def _digest_arrow(digest: Any, values: pa.Array, label: str) -> bool:
    """Feed ``values`` (validity, then the values with nulls as zero or empty: nothing hidden
    behind a null reaches the digest) to ``digest``; False for a type not covered."""
    kind = values.type
    digest.update(f"{label} {kind} {len(values)}\n".encode())
    if pa.types.is_null(kind):
        return True
    if pa.types.is_timestamp(kind) or pa.types.is_date64(kind) or pa.types.is_duration(kind):
        values = values.view(pa.int64())
    elif pa.types.is_date32(kind):
        values = values.view(pa.int32())
    elif not (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
    ):
        return False
    if values.null_count:
        digest.update(b"N" + np.packbits(values.is_null().to_numpy(zero_copy_only=False)).tobytes())
        blank: Any = 0
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            blank = ""
        elif pa.types.is_boolean(kind):
            blank = False
        values = pc.fill_null(values, pa.scalar(blank, values.type))
    else:
        digest.update(b"-")  # no null
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        digest.update(np.ascontiguousarray(values.to_numpy(zero_copy_only=False)).tobytes())
        return True
    strings = values.cast(pa.large_string())
    _, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(
        offsets_buffer, dtype=np.int64, count=len(strings) + 1, offset=strings.offset * 8
    )
    digest.update((offsets - offsets[0]).tobytes())
    if data_buffer is not None:
        digest.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
    return True


_SUITE_IDENTITIES: dict[int, tuple[Any, int, str]] = {}


def _suite_identity(suite: Any) -> str:
    """Digest of the suite's expectation configurations, in order (not its name: names depend
    on the order suites were built in a process). Suites are not changed once validated."""
    count = len(suite.expectations)
    with _LOCK:
        known = _SUITE_IDENTITIES.get(id(suite))
    if known is not None and known[0] is suite and known[1] == count:
        return known[2]
    configurations = []
    for expectation in suite.expectations:
        configuration = expectation.configuration.to_json_dict()
        configuration.pop("id", None)
        configurations.append(configuration)
    text_form = json.dumps(configurations, sort_keys=True, default=repr)
    identity = hashlib.sha256(text_form.encode()).hexdigest()
    with _LOCK:
        _SUITE_IDENTITIES[id(suite)] = (suite, count, identity)
    return identity


@functools.cache
def _memo_version() -> str:
    """The code an outcome depends on: GX and its frame libraries, and this module, the lines
    module (how results become outcomes) and the rules module (derived columns)."""
    import great_expectations as gx

    digest = hashlib.sha256()
    versions = (gx.__version__, pd.__version__, np.__version__, pa.__version__)
    digest.update(" ".join(versions).encode())
    here = Path(__file__)
    # no import: lines imports this; rules derives columns of the frames
    for module_file in (here, here.with_name("lines.py"), here.with_name("rules.py")):
        digest.update(module_file.read_bytes())
    return digest.hexdigest()


_MEMO: dict[str, GxOutcome] = {}
_RECORDERS: list[dict[str, GxOutcome]] = []


@contextlib.contextmanager
def memoized(outcomes: Mapping[str, GxOutcome]) -> Iterator[None]:
    """Within the block, ``validate_frame`` returns a copy of ``outcomes[memo_key(...)]`` for a
    frame whose key it holds (outcomes recorded by ``recording``, in any process)."""
    with _LOCK:
        previous = {key: _MEMO.get(key) for key in outcomes}
        _MEMO.update(outcomes)
    try:
        yield
    finally:
        with _LOCK:
            for key, before in previous.items():
                if before is None:
                    _MEMO.pop(key, None)
                else:
                    _MEMO[key] = before


@contextlib.contextmanager
def recording() -> Iterator[dict[str, GxOutcome]]:
    """Within the block, every outcome ``validate_frame`` returns is also kept in the yielded
    dict under its ``memo_key`` (for ``memoized`` in another process)."""
    recorded: dict[str, GxOutcome] = {}
    with _LOCK:
        _RECORDERS.append(recorded)
    try:
        yield recorded
    finally:
        with _LOCK:
            for position, recorder in enumerate(_RECORDERS):
                if recorder is recorded:
                    del _RECORDERS[position]
                    break
