"""The real PERÚ COMPRAS sample files through every day step: each row published or quarantined."""

from __future__ import annotations

import calendar
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from perucompras.reader import month_of_file, read_monthly_file, read_source_dir
from perucompras.synthetic_details import generate_quotations
from pipelines.resources import DatasetsResource, SourceResource
from publication import steps
from publication.batch import DayJob
from publication.details import QUOTATION_PREFIX
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


def test_a_real_source_publishes_bids_only_when_a_quotation_file_is_given(
    sample_dir: Path, tmp_path: Path
) -> None:
    """Quotations have no public source: a folder of real files never gets generated ones (even
    with ``source.quotations`` on), so its orders have no bids and no tenderers until a
    quotation file is put beside the monthly file."""
    folder = tmp_path / "real"
    folder.mkdir()
    monthly = folder / "ReportePCBienes202201.csv"
    shutil.copy(sample_dir / "ReportePCBienes202201.sample.csv", monthly)
    source = SourceResource(kind="directory", directory=str(folder), quotations=True)
    day = dt.date(2022, 1, 4)  # 28 orders of the sample

    def call_offs(root: Path) -> list[dict[str, Any]]:
        """The day's call-off releases, through the day steps as the assets run them."""
        job = DatasetsResource(root=str(root), gx_cross_check=False).day_job()
        extracted = job.extract(source.available_files(day), day, synthetic=source.synthetic)
        mapped = job.map(DayJob.check(extracted), source.companion_files(day))
        assert mapped.gate_passed, mapped.failures
        return [release for release in mapped.releases if "-OCAM-" in release["ocid"]]

    def tenderers(releases: list[dict[str, Any]]) -> list[str]:
        return [
            party["id"]
            for release in releases
            for party in release.get("parties", [])
            if "tenderer" in party["roles"]
        ]

    without = call_offs(tmp_path / "without")
    assert len(without) == 28
    assert sorted(path.name for path in folder.iterdir()) == [monthly.name]  # nothing generated
    assert QUOTATION_PREFIX not in source.companion_files(day) and not source.synthetic
    assert [release["ocid"] for release in without if "bids" in release] == []
    assert tenderers(without) == []

    generate_quotations(2022, 1, folder, orders=monthly)
    given = call_offs(tmp_path / "given")
    assert QUOTATION_PREFIX in source.companion_files(day)
    assert [release["ocid"] for release in given] == [release["ocid"] for release in without]
    assert all(release["bids"]["details"] for release in given)  # the selected one at least
    assert len(tenderers(given)) >= len(given)
    assert source.synthetic  # generated quotations: what is published from the folder says so
