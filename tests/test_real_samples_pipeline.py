"""The real PERÚ COMPRAS sample files through every day step: each row published or quarantined."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pytest

from perucompras.reader import month_of_file, read_monthly_file, read_source_dir
from publication import steps
from settings import EXAMPLE_OCID_PREFIX


@pytest.mark.parametrize("month", [(2022, 1), (2025, 12)])
def test_every_sample_row_is_published_or_quarantined_over_its_month(
    sample_dir: Path, tmp_path: Path, month: tuple[int, int]
) -> None:
    files = [p for p in read_source_dir(sample_dir) if month_of_file(p) == month]
    assert files, f"no sample file for {month} in {sample_dir}"
    rows_in_file = sum(read_monthly_file(p).info.row_count for p in files)
    year, number = month
    source_rows = published = quarantined = releases = frameworks = 0
    for day_of_month in range(1, calendar.monthrange(year, number)[1] + 1):
        day = dt.date(year, number, day_of_month)
        extracted = steps.extract(files, day, root=tmp_path / "datasets")
        checked = steps.check_quality(extracted, day)
        mapped = steps.map_releases(
            checked, ocid_prefix=EXAMPLE_OCID_PREFIX, root=tmp_path / "datasets"
        )
        assert mapped.gate_passed, mapped.failures
        assert checked.source is not None and mapped.published_orders is not None
        source_rows += checked.source.source_rows
        published += mapped.published_orders.num_rows
        quarantined += mapped.quarantine.num_rows if mapped.quarantine is not None else 0
        releases += sum(1 for r in mapped.releases if "-OCAM-" in r["ocid"])
        frameworks += sum(1 for r in mapped.releases if "-AM-" in r["ocid"])
        assert {c.name for c in mapped.checks if not c.passed} == set()
    assert source_rows == rows_in_file
    assert published + quarantined == rows_in_file
    assert releases == published
    assert published > 0
    assert frameworks > 0  # one first-stage release per agreement the month uses
