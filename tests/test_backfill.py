"""`publicar backfill`: many days in one process, byte-identical to day-by-day publication."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from support.backfill_helpers import (
    backfill_in_process,
    day_files,
    indexed_days,
    read_anchor,
    registry_counts,
)

GOLDEN = Path(__file__).parent / "golden" / "manifests.json"


@pytest.mark.slow
def test_backfill_writes_the_golden_days_and_anchors_them_in_one_batch(tmp_path: Path) -> None:
    """The golden digests come from Dagster runs of one day each: the batch path writes the
    same bytes (across a month boundary), anchors each month's days in one transaction, one registry
    entry each, and prints one line per day when stdout is not a terminal."""
    expected = json.loads(GOLDEN.read_text())
    days = sorted(dt.date.fromisoformat(day) for day in expected)
    assert len(days) == 3
    root = tmp_path / "datasets"
    code, out, err = backfill_in_process(tmp_path, root, days[0], days[-1], 900)
    assert code == 0, err
    assert "Traceback" not in err
    for n, day in enumerate(days, 1):
        assert day_files(root, day) == expected[day.isoformat()], f"{day} differs"
        line = next(x for x in out.splitlines() if x.startswith(day.isoformat()))
        assert f"[{n}/3," in line
    assert [d["date"] for d in indexed_days(root)] == [d.isoformat() for d in days]
    receipts = [read_anchor(root, day) for day in days]
    assert {r["status"] for r in receipts} == {"anclado"}
    # anchored month by month, each month's days in one transaction
    assert [r["batchSize"] for r in receipts] == [2, 2, 1]
    assert receipts[0]["txHash"] == receipts[1]["txHash"] != receipts[2]["txHash"]
    counts = registry_counts(root, days)
    assert counts == {day: 1 for day in days}
