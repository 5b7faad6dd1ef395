"""Quality gate for the detailed export's product/delivery lines (``LINE_SCHEMA``).

Same design as ``quality.gate.evaluate_orders``: the catalogue ``LINE_RULES`` is plain data, the
vectorised rules decide quarantine and a Great Expectations suite generated from the same
catalogue must find exactly the same rows (``gx.lines_agreement``). GX is imported lazily.

Null handling follows GX: a value check ignores a null, which its ``*_not_null`` rule reports.
``line_id`` is ``{delivery}-{n}`` (docs/source-formats.md), so it is unique within an order, not
across the table: ``lines.line_id_unique`` checks the pair (order_number, line_id).

The subtotal formula (``Sub Total = Cantidad Entrega × Precio Unitario``, rounded half up; the
unit freight is not part of it) is checked twice, independently: the rules in exact decimal
arithmetic (as the reader does), GX against an expected subtotal computed in int64 (Python
integers for the rare rows whose product would overflow int64).

``lines.order_incomplete`` keeps orders whole: when any line of an order is quarantined by a
blocking rule, every other line of the order is quarantined too (the remaining lines would no
longer add up to the order's total). It is derived from the other rules, so it has no GX
expectation; a line without an order number is quarantined alone. Keep deliveries and parents
only for the orders left in ``passed``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.detailed_export import HEADER_BY_FIELD, LINE_SCHEMA, QUANTITY_SCALE
from quality.gate import QualityOutcome, evaluate_catalogue
from quality.rules import (
    ISO_LIMA_PATTERN,
    CheckResult,
    QualityConfig,
    Rule,
    blank_strings_to_null,
    bool_mask,
    catalogue_rule,
    column_array,
    duplicated_key_mask,
    igv_expected_cents,
    lima_timestamps,
    rules_for_columns,
)

LINE_REQUIRED_COLUMNS: tuple[str, ...] = tuple(LINE_SCHEMA.names)
GX_ASSET = "delivery_lines"
AGREEMENT_CHECK = "gx.lines_agreement"
ORDER_INCOMPLETE = "lines.order_incomplete"
_INT64_HEADROOM = 1 << 62


_rule = functools.partial(catalogue_rule, prefix="lines.")
# Line columns as the export's header names them (messages name the column a publisher sees).
LINE_LABELS: dict[str, str] = {
    **HEADER_BY_FIELD,
    "order_number": HEADER_BY_FIELD["source_order_number"],
    "line_id": "line_id",
}


# (rule name, column, Spanish label: the export's column)
_NOT_NULL: tuple[tuple[str, str, str], ...] = (
    ("order_number", "order_number", "Orden Electrónica"),
    ("delivery_number", "delivery_number", "Nro. Entrega"),
    ("line_id", "line_id", "identificador de línea"),
    ("quantity", "quantity_milli", "Cantidad Entrega"),
    ("unit_price", "unit_price_cents", "Precio Unitario"),
    ("subtotal", "subtotal_cents", "Sub Total"),
    ("igv", "igv_cents", "IGV Entrega"),
    ("delivery_start", "delivery_start", "Fecha Inicio Entrega"),
    ("delivery_end", "delivery_end", "Fecha Fin Entrega"),
    ("delivery_days", "delivery_days", "Plazo Entrega"),
    ("department", "department", "Dep. Entrega"),
    ("province", "province", "Prov. Entrega"),
    ("district", "district", "Dist. Entrega"),
)
_FORMULA_COLUMNS = ("subtotal_cents", "quantity_milli", "unit_price_cents")

LINE_RULES: tuple[Rule, ...] = (
    _rule("required_columns", "*", "required_columns", columns=(), level="table"),
    *(
        _rule(
            f"{name}_not_null",
            column,
            "not_null",
            key="rule.line_not_null",
            params={"column": label},
        )
        for name, column, label in _NOT_NULL
    ),
    _rule("line_id_unique", "line_id", "unique_in_order", columns=("order_number", "line_id")),
    _rule("quantity_positive", "quantity_milli", "positive"),
    _rule("unit_price_non_negative", "unit_price_cents", "non_negative"),
    _rule("unit_freight_non_negative", "unit_freight_cents", "non_negative"),
    _rule("subtotal_formula", "subtotal_cents", "subtotal_formula", columns=_FORMULA_COLUMNS),
    _rule("igv_within_rate", "igv_cents", "igv_range", columns=("igv_cents", "subtotal_cents")),
    *(
        _rule(
            f"{name}_iso",
            name,
            "iso_datetime",
            key="rule.iso_datetime",
            params={"column": LINE_LABELS[name]},
        )
        for name in ("delivery_start", "delivery_end")
    ),
    _rule(
        "delivery_dates_ordered",
        "delivery_end",
        "not_before",
        columns=("delivery_end", "delivery_start"),
    ),
    _rule("delivery_days_non_negative", "delivery_days", "non_negative"),
    _rule(
        "order_incomplete", "order_number", "order_incomplete", row_key="row.line_order_incomplete"
    ),
)
LINE_RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in LINE_RULES}
LINE_ROW_RULES: tuple[Rule, ...] = tuple(rule for rule in LINE_RULES if rule.level == "row")
GX_LINE_RULE_IDS: frozenset[str] = frozenset(
    rule.id for rule in LINE_ROW_RULES if rule.kind != "order_incomplete"
)
_STRING_COLUMNS = frozenset(field.name for field in LINE_SCHEMA if pa.types.is_string(field.type))


_GX_LINE_RULES = tuple(rule for rule in LINE_ROW_RULES if rule.id in GX_LINE_RULE_IDS)


def _applicable(columns: Collection[str]) -> tuple[Rule, ...]:
    return rules_for_columns(_GX_LINE_RULES, columns)


def _decimal(values: pa.Array) -> pa.Array:
    return values.cast(pa.int64()).cast(pa.decimal256(19, 0))


def subtotal_formula_ok(
    quantity_milli: pa.Array, unit_price: pa.Array, subtotal: pa.Array
) -> pa.Array:
    """Per line, exactly: round_half_up(quantity × price) == subtotal (null if missing)."""
    product = pc.multiply(_decimal(quantity_milli), _decimal(unit_price))
    scaled = pc.multiply(_decimal(subtotal), pa.scalar(QUANTITY_SCALE, pa.decimal256(4, 0)))
    half = pa.scalar(QUANTITY_SCALE // 2, pa.decimal256(4, 0))
    return pc.and_(
        pc.less_equal(pc.subtract(scaled, half), product),
        pc.less(product, pc.add(scaled, half)),
    )


def igv_cap_cents(subtotal: pa.Array, config: QualityConfig) -> pa.Array:
    """Highest accepted IGV per line: the full rate of the subtotal, half up, plus tolerance."""
    expected = igv_expected_cents(subtotal, config.igv_rate_basis_points)
    return pc.add(expected, config.igv_tolerance_cents)


def line_failure_masks(lines: pa.Table, config: QualityConfig) -> dict[str, np.ndarray]:
    """Evaluate the applicable line rules (blank strings already null); rule id -> failed rows."""
    masks: dict[str, np.ndarray] = {}
    for rule in _applicable(lines.column_names):
        values = column_array(lines, rule.field)
        if rule.kind == "not_null":
            failed = pc.is_null(values)
        elif rule.kind == "unique_in_order":
            masks[rule.id] = duplicated_key_mask(
                [column_array(lines, name) for name in rule.columns]
            )
            continue
        elif rule.kind == "positive":
            failed = pc.less_equal(values, 0)
        elif rule.kind == "non_negative":
            failed = pc.less(values, 0)
        elif rule.kind == "subtotal_formula":
            subtotal, quantity, price = (column_array(lines, name) for name in rule.columns)
            failed = pc.invert(subtotal_formula_ok(quantity, price, subtotal))
        elif rule.kind == "igv_range":
            cap = igv_cap_cents(column_array(lines, "subtotal_cents"), config)
            failed = pc.or_(pc.less(values, 0), pc.greater(values.cast(pa.int64()), cap))
        elif rule.kind == "iso_datetime":
            failed = pc.invert(pc.match_substring_regex(values, ISO_LIMA_PATTERN))
        elif rule.kind == "not_before":
            later, earlier = (lima_timestamps(column_array(lines, name)) for name in rule.columns)
            failed = pc.less(later, earlier)
        else:  # pragma: no cover - catalogue and implementation are kept in step by tests
            raise ValueError(f"rule {rule.id}: no implementation for kind {rule.kind!r}")
        masks[rule.id] = bool_mask(failed)
    return masks


# ---------------------------------------------------------------- Great Expectations

_SUITES: dict[frozenset[str], Any] = {}


def _expected_subtotal_name() -> str:
    return "_expected_subtotal_cents"


def _expectations_for(rule: Rule) -> list[Any]:
    """The GX expectations implementing one line rule."""
    import great_expectations.expectations as gxe

    from quality.gx_suites import catalogue_expectations

    meta = {"rule_id": rule.id}
    column = rule.field
    if rule.kind == "subtotal_formula":
        return [
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="subtotal_cents",
                column_B=_expected_subtotal_name(),
                ignore_row_if="either_value_is_missing",
                meta=meta,
            )
        ]
    if rule.kind == "igv_range":
        return [
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, meta=meta),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="_igv_cap_cents",
                column_B=column,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta=meta,
            ),
        ]
    generic = catalogue_expectations(rule, LINE_REQUIRED_COLUMNS)
    if generic is None:
        raise ValueError(f"rule {rule.id}: no GX expectation for kind {rule.kind!r}")
    return generic


def build_lines_suite(columns: frozenset[str] | None = None) -> Any:
    """Return the GX ``ExpectationSuite`` for the lines table with ``columns`` (built once)."""
    from quality.gx_suites import cached_suite

    present = frozenset(LINE_REQUIRED_COLUMNS if columns is None else columns)
    return cached_suite(
        _SUITES,
        present,
        name="perucompras_lines",
        asset_name=GX_ASSET,
        rules=(LINE_RULES[0], *_applicable(present)),
        expectations_for=_expectations_for,
    )


def expected_subtotal_cents(quantity_milli: pa.Array, unit_price: pa.Array) -> pa.Array:
    """round_half_up(quantity × price) in int64 (null if an input is missing).

    Independent of ``subtotal_formula_ok``: int64 NumPy arithmetic, with Python integers for
    rows whose product could overflow. A value beyond int64 becomes ``int64 min`` (no subtotal
    an honest file can hold).
    """
    missing = pc.or_(pc.is_null(quantity_milli), pc.is_null(unit_price)).to_numpy(
        zero_copy_only=False
    )
    quantity, price = (
        pc.fill_null(values.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        for values in (quantity_milli, unit_price)
    )
    safe = np.abs(quantity) <= _INT64_HEADROOM // np.maximum(np.abs(price), 1)
    half = QUANTITY_SCALE // 2
    expected = np.where(safe, (quantity * np.where(safe, price, 0) + half) // QUANTITY_SCALE, 0)
    for index in np.flatnonzero(~safe & ~missing):
        exact = (int(quantity[index]) * int(price[index]) + half) // QUANTITY_SCALE
        fits = -(1 << 63) < exact < (1 << 63)
        expected[index] = exact if fits else np.iinfo(np.int64).min
    return pa.array(expected, pa.int64(), mask=missing)


def lines_gx_frame(lines: pa.Table, config: QualityConfig) -> Any:
    """The pandas frame GX validates: the line columns plus derived columns."""
    from quality.gx_suites import arrow_frame

    return arrow_frame(lines_gx_columns(lines, config), lines.num_rows)


def lines_gx_columns(lines: pa.Table, config: QualityConfig) -> dict[str, pa.Array]:
    """The columns of ``lines_gx_frame`` as Arrow arrays, in its order."""
    from quality.gx_suites import timestamp_column

    columns = {name: column_array(lines, name) for name in lines.column_names}
    frame = {name: columns[name] for name in LINE_REQUIRED_COLUMNS if name in columns}
    for rule in _applicable(set(columns)):
        if rule.kind == "subtotal_formula":
            frame[_expected_subtotal_name()] = expected_subtotal_cents(
                columns["quantity_milli"], columns["unit_price_cents"]
            )
        elif rule.kind == "igv_range":
            frame["_igv_cap_cents"] = igv_cap_cents(columns["subtotal_cents"], config)
        elif rule.kind == "not_before":
            for name in rule.columns:
                frame[timestamp_column(name)] = lima_timestamps(columns[name])
    return frame


def run_lines_suite(lines: pa.Table, config: QualityConfig) -> Any:
    """Validate prepared ``lines`` with the cached suite; return a ``GxOutcome`` by rule id."""
    from quality.gx_suites import validate_columns

    suite = build_lines_suite(frozenset(lines.column_names))
    return validate_columns(
        lines_gx_columns(lines, config),
        lines.num_rows,
        suite,
        asset_name=GX_ASSET,
        row_rule_ids=set(GX_LINE_RULE_IDS),
    )


def prevalidate_lines(tables: Iterable[pa.Table], config: QualityConfig) -> Any:
    """Batch validation of several days' lines (as read) for ``gx_suites.prevalidated``;
    None unless they share one column set."""
    from quality.gx_suites import arrow_frame, prevalidate

    prepared = [blank_strings_to_null(t, _STRING_COLUMNS) for t in tables if t.num_rows]
    if not prepared or len({tuple(table.column_names) for table in prepared}) != 1:
        return None
    lines = pa.concat_tables(prepared, promote_options="permissive")
    columns = lines_gx_columns(lines, config)
    return prevalidate(
        arrow_frame(columns, lines.num_rows),
        build_lines_suite(frozenset(lines.column_names)),
        asset_name=GX_ASSET,
        row_rule_ids=set(GX_LINE_RULE_IDS),
        columns=columns,
    )


# ---------------------------------------------------------------- the gate


def evaluate_lines(lines: pa.Table, *, config: QualityConfig | None = None) -> QualityOutcome:
    """Apply the line rules: quarantine failing lines (whole orders), check that GX agrees."""
    config = config or QualityConfig()
    return evaluate_catalogue(
        lines,
        rules=LINE_RULES,
        required_columns=LINE_REQUIRED_COLUMNS,
        string_columns=_STRING_COLUMNS,
        failure_masks=functools.partial(line_failure_masks, config=config),
        table_name="gate.lines_table",
        producer="perucompras.detailed_export.read_detailed_export",
        config=config,
        labels=LINE_LABELS,
        gx_agreement=_agreement,
        gx_check=AGREEMENT_CHECK,
    )


def _agreement(
    prepared: pa.Table,
    compared: dict[str, np.ndarray],
    required: CheckResult,
    config: QualityConfig,
) -> CheckResult:
    """Run GX on the whole lines table and compare with the rules."""
    from quality.gx_suites import agreement_check

    outcome = run_lines_suite(prepared, config)
    details = {"rows_validated": prepared.num_rows, "sampled": False}
    return agreement_check(
        AGREEMENT_CHECK, prepared, compared, outcome, [required], config, details=details
    )
