"""The unknown-share checks catch systemic problems, not a few unknown rows on a small day."""

from __future__ import annotations

import datetime as dt

import pytest

from quality.gate import evaluate_orders
from quality.sample_orders import clean_orders, with_values

DAY = dt.date(2026, 5, 12)


@pytest.mark.parametrize(
    ("rows", "unknown", "blocks"), [(10, 1, False), (12, 4, False), (40, 6, True)]
)
def test_unknown_status_share_needs_a_minimum_count(rows: int, unknown: int, blocks: bool) -> None:
    orders = with_values(
        clean_orders(rows, DAY), "status", dict.fromkeys(range(unknown), "EN REVISIÓN")
    )
    outcome = evaluate_orders(orders, day=DAY)
    checks = {check.name: check for check in outcome.checks}
    assert checks["status.unknown_share"].passed is not blocks
    assert checks["gx.agreement"].passed, checks["gx.agreement"].details
    assert outcome.quarantine.num_rows == unknown  # each unknown row is still held back
