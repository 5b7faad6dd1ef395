"""Quality gate for the quotations (proformas) of purchase orders (``QUOTATION_SCHEMA``).

Same design as ``quality.gate.evaluate_orders``: the catalogue ``QUOTATION_RULES`` is plain data,
the vectorised rules decide quarantine over the whole table and a Great Expectations suite
generated from the same catalogue must find exactly the same rows (``gx.quotations_agreement``).
GX is imported lazily.

Grouped rules quarantine every quotation of the offending order (or pair): an order with zero or
several ``SELECCIONADA`` quotations, a supplier quoting twice for one order. GX checks the first
on a per-row count of selected quotations in the row's order, computed with pandas (the rules
use an Arrow group-by), and the second with ``ExpectCompoundColumnsToBeUnique``.
``quotations.order_incomplete`` keeps orders whole (bid statistics need every quotation): when
any quotation of an order is quarantined, all of them are. It is derived from the other rules,
so it has no GX expectation. A quotation without an order number cannot be tied to its order:
it is quarantined alone.

A day holds ~50k quotations (~1.5M a month). GX validates at most ``GX_SAMPLE_ROWS`` rows: above
that, a deterministic sample of whole orders (every order with a flagged row, then orders taken
by a stable hash of their number until the budget is reached) and the agreement check compares
the rules and GX on that sample. The rules always run on the full table.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.quotations import QUOTATION_SCHEMA, SELECTED, STATUSES
from quality.gate import QualityOutcome, evaluate_catalogue
from quality.rules import (
    RUC_PATTERN,
    CheckResult,
    QualityConfig,
    Rule,
    bool_mask,
    catalogue_rule,
    column_array,
    duplicated_key_mask,
    ruc_check_digit_ok,
    rules_for_columns,
)

if TYPE_CHECKING:
    import pandas as pd

QUOTATION_REQUIRED_COLUMNS: tuple[str, ...] = tuple(QUOTATION_SCHEMA.names)
GX_ASSET = "quotations"
AGREEMENT_CHECK = "gx.quotations_agreement"
ORDER_INCOMPLETE = "quotations.order_incomplete"
GX_SAMPLE_ROWS = 100_000
SAMPLE_SALT = "perucompras-quotations-gx-sample"


_rule = functools.partial(catalogue_rule, prefix="quotations.")
# Quotation columns as the quotation file names them.
QUOTATION_LABELS: dict[str, str] = {
    "order_number": "ORDEN_ELECTRÓNICA",
    "order_id": "ORDEN_ELECTRÓNICA",
    "supplier_ruc": "RUC_PROVEEDOR",
    "supplier_name": "PROVEEDOR",
    "unit_price_cents": "PRECIO_UNITARIO",
    "total_cents": "TOTAL",
    "quoted_at": "FECHA_COTIZACION",
    "status": "ESTADO",
    "selected": "selected",
}


QUOTATION_RULES: tuple[Rule, ...] = (
    _rule("required_columns", "*", "required_columns", columns=(), level="table"),
    *(
        _rule(
            f"{name}_not_null",
            column,
            "not_null",
            key="rule.quotation_not_null",
            params={"column": QUOTATION_LABELS[column]},
        )
        for name, column in (
            ("order_number", "order_number"),
            ("supplier_ruc", "supplier_ruc"),
            ("total", "total_cents"),
        )
    ),
    _rule(
        "supplier_ruc_valid",
        "supplier_ruc",
        "ruc",
        key="rule.ruc_valid",
        params={"column": QUOTATION_LABELS["supplier_ruc"]},
    ),
    _rule("total_positive", "total_cents", "positive"),
    _rule(
        "status_known",
        "status",
        "in_set",
        params={"allowed": ", ".join(STATUSES)},
    ),
    _rule(
        "selected_matches_status",
        "selected",
        "flag_matches_status",
        params={"selected": SELECTED},
        columns=("selected", "status"),
    ),
    _rule(
        "one_selected_per_order",
        "status",
        "one_selected",
        params={"selected": SELECTED},
        columns=("order_number", "status"),
    ),
    _rule(
        "one_per_supplier", "supplier_ruc", "unique_pair", columns=("order_number", "supplier_ruc")
    ),
    _rule(
        "order_incomplete",
        "order_number",
        "order_incomplete",
        row_key="row.quotation_order_incomplete",
    ),
)
QUOTATION_RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in QUOTATION_RULES}
QUOTATION_ROW_RULES: tuple[Rule, ...] = tuple(
    rule for rule in QUOTATION_RULES if rule.level == "row"
)
GX_QUOTATION_RULE_IDS: frozenset[str] = frozenset(
    rule.id for rule in QUOTATION_ROW_RULES if rule.kind != "order_incomplete"
)
_STRING_COLUMNS = frozenset(
    field.name for field in QUOTATION_SCHEMA if pa.types.is_string(field.type)
)


_GX_QUOTATION_RULES = tuple(
    rule for rule in QUOTATION_ROW_RULES if rule.id in GX_QUOTATION_RULE_IDS
)


def _applicable(columns: list[str] | set[str] | frozenset[str]) -> tuple[Rule, ...]:
    return rules_for_columns(_GX_QUOTATION_RULES, columns)


def _is_selected(status: pa.Array) -> pa.Array:
    return pc.fill_null(pc.equal(status, SELECTED), False)


def orders_without_one_selection(order_number: pa.Array, status: pa.Array) -> pa.Array:
    """Order numbers whose quotations have zero or several ``SELECCIONADA`` (Arrow group-by)."""
    counts = (
        pa.table({"order_number": order_number, "selected": _is_selected(status).cast(pa.int64())})
        .filter(pc.is_valid(order_number))
        .group_by("order_number")
        .aggregate([("selected", "sum")])
    )
    return counts.filter(pc.not_equal(counts["selected_sum"], 1))["order_number"].combine_chunks()


def quotation_failure_masks(quotations: pa.Table) -> dict[str, np.ndarray]:
    """Evaluate the applicable rules (blank strings already null); rule id -> failed rows."""
    masks: dict[str, np.ndarray] = {}
    for rule in _applicable(quotations.column_names):
        values = column_array(quotations, rule.field)
        if rule.kind == "not_null":
            failed = pc.is_null(values)
        elif rule.kind == "ruc":
            failed = pc.invert(ruc_check_digit_ok(values))
        elif rule.kind == "positive":
            failed = pc.less_equal(values, 0)
        elif rule.kind == "in_set":
            failed = pc.invert(pc.is_in(values, value_set=pa.array(STATUSES, pa.string())))
        elif rule.kind == "flag_matches_status":
            status = column_array(quotations, "status")
            failed = pc.fill_null(pc.not_equal(values, _is_selected(status)), True)
        elif rule.kind == "one_selected":
            order = column_array(quotations, "order_number")
            bad = orders_without_one_selection(order, column_array(quotations, "status"))
            failed = pc.is_in(order, value_set=bad)
        elif rule.kind == "unique_pair":
            masks[rule.id] = duplicated_key_mask(
                [column_array(quotations, n) for n in rule.columns]
            )
            continue
        else:  # pragma: no cover - catalogue and implementation are kept in step by tests
            raise ValueError(f"rule {rule.id}: no implementation for kind {rule.kind!r}")
        masks[rule.id] = bool_mask(failed)
    return masks


# ---------------------------------------------------------------- Great Expectations

_SUITES: dict[frozenset[str], Any] = {}


def _expectations_for(rule: Rule) -> list[Any]:
    """The GX expectations implementing one quotation rule."""
    import great_expectations.expectations as gxe

    from quality.gx_suites import catalogue_expectations

    meta = {"rule_id": rule.id}
    column = rule.field
    if rule.kind == "ruc":
        return [
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=RUC_PATTERN, meta=meta),
            gxe.ExpectColumnValuesToBeInSet(
                column="_supplier_ruc__check", value_set=[True], meta=meta
            ),
        ]
    if rule.kind == "in_set":
        return [gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(STATUSES), meta=meta)]
    if rule.kind == "flag_matches_status":
        return [
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A=column, column_B="_status_is_selected", ignore_row_if="neither", meta=meta
            )
        ]
    if rule.kind == "one_selected":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column="_selected_in_order", min_value=1, max_value=1, meta=meta
            )
        ]
    generic = catalogue_expectations(rule, QUOTATION_REQUIRED_COLUMNS)
    if generic is None:
        raise ValueError(f"rule {rule.id}: no GX expectation for kind {rule.kind!r}")
    return generic


def build_quotations_suite(columns: frozenset[str] | None = None) -> Any:
    """Return the GX ``ExpectationSuite`` for a quotations table with ``columns`` (built once)."""
    from quality.gx_suites import cached_suite

    present = frozenset(QUOTATION_REQUIRED_COLUMNS if columns is None else columns)
    return cached_suite(
        _SUITES,
        present,
        name="perucompras_quotations",
        asset_name=GX_ASSET,
        rules=(QUOTATION_RULES[0], *_applicable(present)),
        expectations_for=_expectations_for,
    )


def quotations_gx_frame(quotations: pa.Table) -> pd.DataFrame:
    """The pandas frame GX validates: the quotation columns plus derived columns."""
    from quality.gx_suites import arrow_frame

    columns = {name: column_array(quotations, name) for name in quotations.column_names}
    arrow = {name: columns[name] for name in QUOTATION_REQUIRED_COLUMNS if name in columns}
    if "status" in arrow:
        arrow["status"] = pc.fill_null(arrow["status"], "")
    if "supplier_ruc" in arrow:
        arrow["_supplier_ruc__check"] = ruc_check_digit_ok(arrow["supplier_ruc"])
    frame = arrow_frame(arrow, quotations.num_rows)
    if {"order_number", "status"} <= set(frame.columns):
        selected = (frame["status"] == SELECTED).astype("Int64")
        counts = selected.groupby(frame["order_number"], dropna=True).transform("sum")
        frame["_selected_in_order"] = counts.astype("Int64")
    if "status" in frame.columns:
        frame["_status_is_selected"] = (frame["status"] == SELECTED).astype("boolean")
    return frame


def run_quotations_suite(quotations: pa.Table) -> Any:
    """Validate prepared ``quotations`` with the cached suite; return a ``GxOutcome``."""
    from quality.gx_suites import validate_frame

    suite = build_quotations_suite(frozenset(quotations.column_names))
    return validate_frame(
        quotations_gx_frame(quotations),
        suite,
        asset_name=GX_ASSET,
        row_rule_ids=set(GX_QUOTATION_RULE_IDS),
    )


def gx_sample_mask(
    quotations: pa.Table, flagged: np.ndarray, max_rows: int = GX_SAMPLE_ROWS
) -> np.ndarray:
    """Rows GX validates: all when ``max_rows`` allows, else a deterministic sample of orders.

    The sample keeps whole orders (so the per-order rules mean the same on it): every order
    with a flagged row first, then orders in the order of a salted stable hash of their number
    while they fit in ``max_rows``. Rows without an order number are kept when flagged.
    """
    rows = quotations.num_rows
    if rows <= max_rows or "order_number" not in quotations.column_names:
        return np.ones(rows, dtype=bool)
    import pandas as pd

    order = pd.Series(column_array(quotations, "order_number").to_pandas(), dtype=object)
    codes, uniques = pd.factorize(order, use_na_sentinel=True)
    known = codes >= 0
    sizes = np.bincount(codes[known], minlength=len(uniques))
    forced = np.zeros(len(uniques), dtype=bool)
    forced[np.unique(codes[known & flagged])] = True
    salted = pc.binary_join_element_wise(SAMPLE_SALT, pa.array(uniques, pa.string()), "\x1f")
    rank = np.argsort(pd.util.hash_array(salted.to_numpy(zero_copy_only=False)), kind="stable")
    budget = max_rows - int(sizes[forced].sum()) - int((~known & flagged).sum())
    chosen = forced.copy()
    candidates = rank[~forced[rank]]
    fits = np.cumsum(sizes[candidates]) <= max(budget, 0)
    chosen[candidates[fits]] = True
    sample = np.zeros(rows, dtype=bool)
    sample[known] = chosen[codes[known]]
    sample[~known & flagged] = True
    return sample


# ---------------------------------------------------------------- the gate


def evaluate_quotations(
    quotations: pa.Table,
    *,
    config: QualityConfig | None = None,
    gx_sample_rows: int = GX_SAMPLE_ROWS,
) -> QualityOutcome:
    """Apply the quotation rules to the whole table; GX must agree (on a sample above a size)."""
    return evaluate_catalogue(
        quotations,
        rules=QUOTATION_RULES,
        required_columns=QUOTATION_REQUIRED_COLUMNS,
        string_columns=_STRING_COLUMNS,
        failure_masks=quotation_failure_masks,
        table_name="gate.quotations_table",
        producer="perucompras.quotations.stream_quotations",
        config=config or QualityConfig(),
        labels=QUOTATION_LABELS,
        gx_agreement=functools.partial(_agreement, max_rows=gx_sample_rows),
        gx_check=AGREEMENT_CHECK,
    )


def _agreement(
    prepared: pa.Table,
    compared: dict[str, np.ndarray],
    required: CheckResult,
    config: QualityConfig,
    *,
    max_rows: int,
) -> CheckResult:
    """Run GX on the whole table or its sample and compare with the rules there."""
    from quality.gx_suites import agreement_check

    flagged = np.zeros(prepared.num_rows, dtype=bool)
    for mask in compared.values():
        flagged |= mask
    sample = gx_sample_mask(prepared, flagged, max_rows)
    sampled = not sample.all()
    validated = prepared.filter(pa.array(sample)) if sampled else prepared
    if sampled:
        # The sample holds whole orders, so every rule means the same on it as on the table.
        compared = {rule_id: mask[sample] for rule_id, mask in compared.items()}
    outcome = run_quotations_suite(validated)
    details = {
        "rows_validated": validated.num_rows,
        "rows": prepared.num_rows,
        "sampled": sampled,
        "sample": (
            f"whole orders: every order with a flagged row, then orders by salted hash "
            f"({SAMPLE_SALT!r}) up to {max_rows} rows"
            if sampled
            else None
        ),
    }
    return agreement_check(
        AGREEMENT_CHECK, validated, compared, outcome, [required], config, details=details
    )
