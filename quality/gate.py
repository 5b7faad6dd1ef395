"""The daily quality gate: vectorised rules decide quarantine, the GX suite must agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from messages import text
from quality.rules import (
    ORDER_LABELS,
    QUARANTINE_SCHEMA,
    ROW_RULES,
    RULES_BY_ID,
    TABLE_RULES,
    UNKNOWN_SHARE_SOURCE,
    CheckResult,
    QualityConfig,
    Rule,
    blank_strings_to_null,
    build_quarantine,
    catalogue_quarantine,
    catalogue_required_columns_check,
    catalogue_row_checks,
    column_array,
    failure_masks,
    missing_columns,
    prepare,
    rows_of_flagged_groups,
    shown_values,
)

GX_AGREEMENT_CHECK = "gx.agreement"


@dataclass(frozen=True)
class QualityOutcome:
    """Result of the quality gate for one day's orders.

    ``not_evaluated``: checks left out because ``config.run_gx`` is off (the GX cross-check),
    so that a report can say so instead of staying silent.
    """

    passed: pa.Table
    quarantine: pa.Table
    checks: list[CheckResult]
    failures_by_rule: dict[str, int] = field(default_factory=dict)
    not_evaluated: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when any check failed with blocking severity."""
        return any(check.blocking_failure for check in self.checks)

    def blocking_failures(self) -> list[CheckResult]:
        """Return the failed blocking checks."""
        return [check for check in self.checks if check.blocking_failure]


def _required_columns_check(missing: list[str], config: QualityConfig) -> CheckResult:
    return catalogue_required_columns_check(
        RULES_BY_ID["table.required_columns"],
        missing,
        "gate.orders_table",
        "perucompras.reader",
        config,
    )


def _row_count_check(rows: int, day: dt.date | None, config: QualityConfig) -> CheckResult:
    rule = RULES_BY_ID["table.row_count"]
    if day is None:
        message = text("gate.row_count_no_day", config.lang)
        return CheckResult(rule.id, True, config.severity_of(rule), message, {"rows": rows})
    low, high = config.row_count_band(day)
    inside = rows >= low and (high is None or rows <= high)
    band = f"[{low}, {'∞' if high is None else high}]"
    message = text("gate.row_count", config.lang, rows=rows, day=day.isoformat(), band=band)
    details = {"rows": rows, "min": low, "max": high, "weekday": day.weekday()}
    return CheckResult(rule.id, inside, config.severity_of(rule), message, details)


def _unknown_share_checks(
    rows: int, masks: dict[str, np.ndarray], config: QualityConfig
) -> list[CheckResult]:
    """Share of unknown values per column: a warning (the rows themselves are published or
    quarantined one by one; a high share hints at a new value family worth documenting)."""
    checks = []
    for rule in TABLE_RULES:
        source = UNKNOWN_SHARE_SOURCE.get(rule.id)
        if source is None or source not in masks:
            continue
        unknown = int(masks[source].sum())
        share = unknown / rows if rows else 0.0
        ok = share <= config.unknown_share_threshold or unknown < config.unknown_share_min_count
        message = text(
            "gate.unknown_share",
            config.lang,
            column=dict(rule.params)["column"],
            unknown=unknown,
            rows=rows,
            share=f"{share:.2%}",
            threshold=f"{config.unknown_share_threshold:.2%}",
        )
        details = {"unknown": unknown, "rows": rows, "share": share}
        checks.append(CheckResult(rule.id, ok, config.severity_of(rule), message, details))
    return checks


def _gx_agreement_check(
    orders: pa.Table,
    masks: dict[str, np.ndarray],
    table_checks: list[CheckResult],
    day: dt.date | None,
    config: QualityConfig,
) -> CheckResult:
    from quality.gx_suites import agreement_check, run_suite

    low, high = config.row_count_band(day) if day is not None else (0, None)
    outcome = run_suite(orders, config, min_rows=low, max_rows=high)
    compared = [check for check in table_checks if _gx_decides_alike(check, day, config)]
    return agreement_check(GX_AGREEMENT_CHECK, orders, masks, outcome, compared, config)


def _gx_decides_alike(check: CheckResult, day: dt.date | None, config: QualityConfig) -> bool:
    """False where GX cannot decide as the rules do: no day (no band) or too few unknown rows.

    GX's ``mostly`` has no minimum count, so a share check the rules pass for having fewer than
    ``unknown_share_min_count`` unknown rows is left out of the comparison.
    """
    if check.name == "table.row_count":
        return day is not None
    if check.name in UNKNOWN_SHARE_SOURCE:
        return check.details["unknown"] >= config.unknown_share_min_count
    return True


def evaluate_orders(
    orders: pa.Table, *, day: dt.date | None, config: QualityConfig | None = None
) -> QualityOutcome:
    """Apply the quality gate to one day's normalised orders."""
    config = config or QualityConfig()
    missing = missing_columns(orders)
    prepared = prepare(orders)
    masks = failure_masks(prepared, config)
    blocking = {rule_id for rule_id in masks if config.severity_of(RULES_BY_ID[rule_id]) == "block"}
    failed_any, quarantine = build_quarantine(prepared, masks, blocking, config)
    passed = orders.filter(pa.array(~failed_any)) if orders.num_rows else orders
    table_checks = [
        _required_columns_check(missing, config),
        _row_count_check(orders.num_rows, day, config),
        *_unknown_share_checks(orders.num_rows, masks, config),
    ]
    checks = [*table_checks, *catalogue_row_checks(prepared, ROW_RULES, masks, config)]
    if config.run_gx:
        checks.append(_gx_agreement_check(prepared, masks, table_checks, day, config))
    failures = {rule_id: int(mask.sum()) for rule_id, mask in masks.items() if mask.any()}
    skipped = () if config.run_gx else (GX_AGREEMENT_CHECK,)
    return QualityOutcome(passed, quarantine, checks, failures, skipped)


def blocking_row_failures(
    orders: pa.Table, config: QualityConfig | None = None
) -> list[tuple[str, str | None]]:
    """(source column, shown value) of the first blocking rule each failing row breaks (rules
    only, no GX): how a whole file fares, to tell a bad file from a few bad rows."""
    config = config or QualityConfig(run_gx=False)
    if not orders.num_rows:
        return []
    prepared = prepare(orders)
    masks = failure_masks(prepared, config)
    taken = np.zeros(orders.num_rows, dtype=bool)
    found: list[tuple[str, str | None]] = []
    for rule in ROW_RULES:
        if rule.id not in masks or config.severity_of(rule) != "block":
            continue
        mask = masks[rule.id] & ~taken
        if not mask.any():
            continue
        taken |= mask
        values = shown_values(prepared.filter(pa.array(mask)), rule.value_column or rule.field)
        label = ORDER_LABELS.get(rule.field, rule.field)
        found += [(label, value) for value in values.to_pylist()]
    return found


def empty_quarantine() -> pa.Table:
    """Return an empty quarantine table with the shared schema."""
    return QUARANTINE_SCHEMA.empty_table()


def evaluate_catalogue(
    table: pa.Table,
    *,
    rules: tuple[Rule, ...],
    required_columns: tuple[str, ...],
    string_columns: frozenset[str],
    failure_masks: Callable[[pa.Table], dict[str, np.ndarray]],
    table_name: str,
    producer: str,
    config: QualityConfig,
    labels: Mapping[str, str] | None = None,
    gx_agreement: Callable[
        [pa.Table, dict[str, np.ndarray], CheckResult, QualityConfig], CheckResult
    ],
    gx_check: str,
) -> QualityOutcome:
    """The gate of a detail table (lines, quotations) with its own rule catalogue.

    Blank strings become nulls, ``failure_masks`` evaluates the row rules and failing rows are
    quarantined; the catalogue's ``order_incomplete`` rule then holds back the other rows of
    each such order. With ``config.run_gx``, ``gx_agreement`` receives the prepared table, the
    masks GX must reproduce (all but ``order_incomplete``) and the required-columns check, and
    returns the check named ``gx_check``; without, ``gx_check`` is listed as not evaluated.
    """
    missing = [name for name in required_columns if name not in table.column_names]
    prepared = blank_strings_to_null(table, string_columns)
    masks = failure_masks(prepared)
    by_id = {rule.id: rule for rule in rules}
    blocking = {rule_id for rule_id in masks if config.severity_of(by_id[rule_id]) == "block"}
    incomplete = next((rule for rule in rules if rule.kind == "order_incomplete"), None)
    if incomplete is not None and "order_number" in prepared.column_names:
        failed = np.zeros(prepared.num_rows, dtype=bool)
        for rule_id in blocking:
            failed |= masks[rule_id]
        order = column_array(prepared, "order_number")
        masks[incomplete.id] = rows_of_flagged_groups(order, failed) & ~failed
        if config.severity_of(incomplete) == "block":
            blocking.add(incomplete.id)
    failed_any, quarantine = catalogue_quarantine(prepared, rules, masks, blocking, config, labels)
    passed = table.filter(pa.array(~failed_any)) if table.num_rows else table
    required_rule = next(rule for rule in rules if rule.kind == "required_columns")
    required = catalogue_required_columns_check(
        required_rule, missing, table_name, producer, config
    )
    row_rules = tuple(rule for rule in rules if rule.level == "row")
    checks = [required, *catalogue_row_checks(prepared, row_rules, masks, config)]
    if config.run_gx:
        compared = {
            rule_id: mask
            for rule_id, mask in masks.items()
            if incomplete is None or rule_id != incomplete.id
        }
        checks.append(gx_agreement(prepared, compared, required, config))
    failures = {rule_id: int(mask.sum()) for rule_id, mask in masks.items() if mask.any()}
    skipped = () if config.run_gx else (gx_check,)
    return QualityOutcome(passed, quarantine, checks, failures, skipped)
