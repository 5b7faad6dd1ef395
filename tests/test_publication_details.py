"""Companion discovery, months exported in several files, and the parsed-export cache."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from perucompras.detailed_export import EXPORT_COLUMNS, read_detailed_export
from perucompras.reader import read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export
from perucompras.xlsx_rows import iter_sheets
from publication import details
from publication.details import (
    DETAIL_PREFIX,
    QUOTATION_PREFIX,
    SEVERAL_FILES_RULE,
    companion_files,
    details_for_day,
)

ORDER_COLUMN = [c.header for c in EXPORT_COLUMNS].index("Orden Electrónica")
DAY_ONE = dt.date(2025, 11, 1)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table, Path]:
    folder = tmp_path_factory.mktemp("source")
    month = generate_month(2025, 11, folder, orders=120)
    export = generate_detailed_export(2025, 11, folder, orders=month)
    return folder, read_monthly_file(month).orders, export


def _sheet(path: Path) -> list[list[Any]]:
    sheets = iter_sheets(path)
    _, rows = next(sheets)
    found = [list(row) for _, row in rows]
    sheets.close()
    return found


def _write(path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_companions_of_the_month(tmp_path: Path) -> None:
    names = [
        "ReportePCBienes202511.csv",
        "ReportePCDetalle202511.xlsx",
        "ReportePCDetalle202511-EXT-CE-2022-5.xlsx",
        "ReportePCDetalle202510.xlsx",
        "ReportePCDetalle202511.csv",  # the old reconstructed CSV layout: not a companion
        "Cotizaciones202511.csv",
        "Cotizaciones202512.csv",
        "DatosAbiertos.xlsx",  # the portal's download name: rename it to say its month
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    found = companion_files(tmp_path, dt.date(2025, 11, 20))
    assert found == {
        DETAIL_PREFIX: tmp_path / "ReportePCDetalle202511-EXT-CE-2022-5.xlsx",
        QUOTATION_PREFIX: tmp_path / "Cotizaciones202511.csv",
    }
    assert [p.name for p in details.month_detail_files(found[DETAIL_PREFIX])] == [
        "ReportePCDetalle202511-EXT-CE-2022-5.xlsx",
        "ReportePCDetalle202511.xlsx",
    ]


def test_a_month_in_several_files_is_read_once_per_order(
    source: tuple[Path, pa.Table, Path], tmp_path: Path
) -> None:
    _, orders, export = source
    rows = _sheet(export)
    head, data = rows[:6], rows[6:]
    order_ids = sorted({row[ORDER_COLUMN].rsplit("-", 1)[0] for row in data})
    first_half = set(order_ids[: len(order_ids) // 2])
    repeated = order_ids[-1]  # in the second file, and copied into the first
    part_a = [r for r in data if r[ORDER_COLUMN].rsplit("-", 1)[0] in first_half | {repeated}]
    part_b = [r for r in data if r[ORDER_COLUMN].rsplit("-", 1)[0] not in first_half]
    _write(tmp_path / "ReportePCDetalle202511-a.xlsx", head + part_a)
    second = _write(tmp_path / "ReportePCDetalle202511-b.xlsx", head + part_b)
    companions = companion_files(tmp_path, DAY_ONE)
    numbers = orders["order_number"].combine_chunks()
    result = details_for_day(companions, numbers, DAY_ONE, tmp_path / "cache")
    whole = read_detailed_export(export)
    assert sorted(
        result.lines.drop_columns(["source_file", "source_line"]).to_pylist(), key=str
    ) == (sorted(whole.lines.drop_columns(["source_file", "source_line"]).to_pylist(), key=str))
    assert result.deliveries.num_rows == whole.deliveries.num_rows
    quarantine = result.quarantine.to_pylist()
    repeated_rows = [i + 7 for i, r in enumerate(part_b) if r[ORDER_COLUMN].startswith(repeated)]
    assert repeated_rows
    assert sorted(q["source_line"] for q in quarantine) == repeated_rows
    for row in quarantine:
        assert (row["source_file"], row["rule"]) == (second.name, SEVERAL_FILES_RULE)
        assert "ReportePCDetalle202511-a.xlsx" in row["message"] and repeated in row["raw_row"]
    assert [s["name"] for s in result.sources] == [
        "ReportePCDetalle202511-a.xlsx",
        "ReportePCDetalle202511-b.xlsx",
    ]
    later = details_for_day(companions, numbers, DAY_ONE + dt.timedelta(days=1), tmp_path / "cache")
    assert later.quarantine.num_rows == 0  # charged to the month's first day only


def test_an_export_is_parsed_once_per_content(
    source: tuple[Path, pa.Table, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, orders, export = source
    numbers = orders["order_number"].combine_chunks()
    cache = tmp_path / "cache"
    companions = {DETAIL_PREFIX: export}
    first = details_for_day(companions, numbers, DAY_ONE, cache)
    assert first.lines.num_rows > 0
    details._detail_cache.cache_clear()
    details._quotation_table.cache_clear()

    def no_parsing(path: Path, *_: object) -> None:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(details, "read_detailed_export_reusing", no_parsing)
    again = details_for_day(companions, numbers, DAY_ONE, cache)
    assert again.lines.equals(first.lines) and again.deliveries.equals(first.deliveries)
    one = pa.array([first.lines["order_number"][0].as_py()])
    only = details_for_day(companions, one, DAY_ONE, cache).lines
    assert only.num_rows and only.equals(
        again.lines.filter(pc.is_in(again.lines["order_number"], value_set=one))
    )
    assert len(list(cache.iterdir())) == 1
