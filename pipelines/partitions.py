"""The one partitions definition: calendar days in Lima time, from the first monthly file."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition

from settings import SOURCE_FIRST_DAY

LIMA = "America/Lima"

# Every day a monthly file can hold; the `history_start` setting chooses the first one published.
daily_partitions = DailyPartitionsDefinition(
    start_date=SOURCE_FIRST_DAY.isoformat(), timezone=LIMA, end_offset=0
)
