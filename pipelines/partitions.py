"""The one partitions definition: calendar days in Lima time, from the first monthly file."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition

LIMA = "America/Lima"
FIRST_DAY = "2022-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_DAY, timezone=LIMA, end_offset=0)
