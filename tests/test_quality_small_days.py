"""The unknown-share checks warn about systemic novelties; they never block a day, and the rows
with an undocumented status are published (never held back)."""

from __future__ import annotations

import datetime as dt

import pytest

from quality.gate import evaluate_orders
from quality.sample_orders import clean_orders, with_values

DAY = dt.date(2026, 5, 12)


@pytest.mark.parametrize(
    ("rows", "unknown", "warns"), [(10, 1, False), (12, 4, False), (40, 6, True)]
)
def test_unknown_status_share_warns_from_a_minimum_count(
    rows: int, unknown: int, warns: bool
) -> None:
    orders = with_values(
        clean_orders(rows, DAY), "status", dict.fromkeys(range(unknown), "EN REVISIÓN")
    )
    outcome = evaluate_orders(orders, day=DAY)
    checks = {check.name: check for check in outcome.checks}
    assert checks["status.unknown_share"].passed is not warns
    assert checks["status.unknown_share"].severity == "warn"
    assert checks["gx.agreement"].passed, checks["gx.agreement"].details
    assert not outcome.blocked
    assert outcome.quarantine.num_rows == 0  # published raw, with a warning
    assert outcome.passed.num_rows == rows
