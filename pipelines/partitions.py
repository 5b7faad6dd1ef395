"""The one partitions definition: calendar days in Lima time, from the first day published.

The assets are declared with ``daily_partitions`` (from the first monthly file); the code
location and ``publicar`` rebuild them with ``with_history_start`` from the ``history_start``
setting, so the UI shows no day that cannot be published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dagster import AssetsDefinition, DailyPartitionsDefinition

from settings import SOURCE_FIRST_DAY

LIMA = "America/Lima"


def daily_partitions_from(start: dt.date) -> DailyPartitionsDefinition:
    """Daily Lima partitions from ``start`` up to today."""
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=LIMA, end_offset=0)


# Every day a monthly file can hold: what the asset decorators see before the settings load.
daily_partitions = daily_partitions_from(SOURCE_FIRST_DAY)


def with_history_start(
    assets: Sequence[AssetsDefinition], start: dt.date
) -> list[AssetsDefinition]:
    """The assets partitioned from ``start`` (the ``history_start`` setting) on."""
    partitions = daily_partitions_from(start)
    return [
        asset.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=partitions))
        for asset in assets
    ]
