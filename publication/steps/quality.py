"""Step 2, quality gate: row and table rules on the orders, and the gates of lines and bids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from publication.details import DayDetails
from publication.extract import DaySource
from publication.steps.common import (
    StepResult,
    as_published_quarantine,
    as_step_check,
    dagster_check_name,
)
from publication.steps.extraction import Extracted
from quality.rules import CheckResult, Rule, as_lang

CheckSpec = tuple[str, bool, str]


@dataclass(frozen=True)
class Checked(StepResult):
    """Orders that passed the rules, and every row held back so far."""

    source: DaySource | None = None
    passed_orders: pa.Table | None = None
    quarantine: pa.Table | None = None
    synthetic: bool = False
    lang: str = "es"
    run_gx: bool = True

    def metadata(self) -> dict[str, Any]:
        """Counts shown on the Dagster materialization."""
        return {
            "passed": self.passed_orders.num_rows if self.passed_orders is not None else 0,
            "quarantined": self.quarantine.num_rows if self.quarantine is not None else 0,
        }


def _rule_specs(rules: Iterable[Rule]) -> list[CheckSpec]:
    """Row rules quarantine rows (their checks report); blocking table rules stop the day."""
    return [
        (
            dagster_check_name(rule.id),
            rule.level == "table" and rule.severity == "block",
            rule.description("es"),
        )
        for rule in rules
    ]


def table_check_specs() -> list[CheckSpec]:
    """(name, blocking, description) of every check the quality gate reports."""
    from quality.rules import ROW_RULES, TABLE_RULES

    return [
        *_rule_specs((*TABLE_RULES, *ROW_RULES)),
        (dagster_check_name("gx.agreement"), True, "Great Expectations agrees with the rules."),
    ]


def detail_check_specs() -> list[CheckSpec]:
    """(name, blocking, description) of the checks on order lines and quotations."""
    from quality.lines import AGREEMENT_CHECK as LINES_AGREEMENT
    from quality.lines import LINE_RULES
    from quality.quotations import AGREEMENT_CHECK as QUOTATIONS_AGREEMENT
    from quality.quotations import QUOTATION_RULES

    return [
        *_rule_specs(LINE_RULES),
        (dagster_check_name(LINES_AGREEMENT), True, "Great Expectations agrees on order lines."),
        *_rule_specs(QUOTATION_RULES),
        (
            dagster_check_name(QUOTATIONS_AGREEMENT),
            True,
            "Great Expectations agrees on quotations.",
        ),
    ]


def check_quality(extracted: Extracted, day: dt.date) -> Checked:
    """Apply the row and table rules; failing rows go to quarantine with their rule (texts in
    the extraction's language; the GX cross-check as the extraction carries it)."""
    extracted.require_gate()
    lang = extracted.lang
    from quality.gate import evaluate_orders
    from quality.rules import QualityConfig

    source = extracted.source
    assert source is not None
    config = QualityConfig(lang=as_lang(lang), run_gx=extracted.run_gx)
    outcome = evaluate_orders(source.orders, day=day, config=config)
    quarantine = pa.concat_tables(
        [as_published_quarantine(source.quarantine), as_published_quarantine(outcome.quarantine)]
    )
    passed = outcome.passed
    reconciles = source.source_rows == passed.num_rows + quarantine.num_rows
    checks = [
        CheckResult(
            "rows_reconcile",
            reconciles,
            "block",
            text(
                "step.rows_reconcile" if reconciles else "step.rows_do_not_reconcile",
                lang,
                source=source.source_rows,
                passed=passed.num_rows,
                quarantined=quarantine.num_rows,
            ),
        ),
        *[as_step_check(c) for c in outcome.checks],
    ]
    return Checked(
        day=day,
        checks=checks,
        upstream_failures=extracted.failures,
        not_evaluated=tuple(dagster_check_name(name) for name in outcome.not_evaluated),
        source=source,
        passed_orders=passed,
        quarantine=quarantine,
        synthetic=extracted.synthetic,
        lang=lang,
        run_gx=extracted.run_gx,
    )


def checked_details(
    details: DayDetails, lang: str = "es", *, run_gx: bool = True
) -> tuple[DayDetails, pa.Table, list[CheckResult], tuple[str, ...]]:
    """Apply the line and quotation gates: failing rows (and the rest of their order) held back.

    Returns the checked details, the rows held back, the checks and the checks left out
    (``run_gx`` off: the GX cross-checks of the tables that were there)."""
    from quality.lines import evaluate_lines
    from quality.quotations import evaluate_quotations
    from quality.rules import QualityConfig

    config = QualityConfig(lang=as_lang(lang), run_gx=run_gx)
    held = [as_published_quarantine(details.quarantine)]
    checks: list[CheckResult] = []
    not_evaluated: list[str] = []
    lines, deliveries, quotations = details.lines, details.deliveries, details.quotations
    counts = dict(details.counts)
    if lines is not None and deliveries is not None:
        outcome = evaluate_lines(lines, config=config)
        lines = outcome.passed
        deliveries = deliveries.filter(
            pc.is_in(deliveries["order_number"], value_set=lines["order_number"].combine_chunks())
        )
        held.append(as_published_quarantine(outcome.quarantine))
        checks += [as_step_check(c) for c in outcome.checks]
        not_evaluated += [dagster_check_name(name) for name in outcome.not_evaluated]
        counts["detailLines"] = lines.num_rows
        counts["detailLinesHeldBack"] = outcome.quarantine.num_rows
    if quotations is not None:
        quoted = evaluate_quotations(quotations, config=config)
        quotations = quoted.passed
        held.append(as_published_quarantine(quoted.quarantine))
        checks += [as_step_check(c) for c in quoted.checks]
        not_evaluated += [dagster_check_name(name) for name in quoted.not_evaluated]
        counts["quotations"] = quotations.num_rows
        counts["quotationsHeldBack"] = quoted.quarantine.num_rows
    checked = DayDetails(lines, deliveries, quotations, details.quarantine, counts, details.sources)
    return checked, pa.concat_tables(held), checks, tuple(not_evaluated)
