"""A real month of any year 2022-2026 in the portal's file variants publishes whole.

The real samples are moved to another month (dates and the year inside the order number; the
sample's clock times kept) and written as the portal writes its files: latin-1, UTF-8 with a TAB
before every field but the first, ``D/MM/YYYY HH:MM`` dates, ``_0`` file names. Every row must
be published (amounts to the cent) or quarantined naming its file, line, field and raw value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_real_month_publishes_whole import DEC, JAN, day_file, publish, quality, releases

from perucompras.reader import COLUMNS, DMY_DATE_FORMAT, ISO_DATE_FORMAT, read_monthly_file

DATES = [COLUMNS.index(c) for c in ("FECHA_PROCESO", "FECHA_FORMALIZACIÓN", "FECHA_ÚLTIMO_ESTADO")]
ORDER, TOTAL = COLUMNS.index("ORDEN_ELECTRÓNICA"), COLUMNS.index("TOTAL")
SUPPLIER_RUC, SUBTOTAL = COLUMNS.index("RUC_PROVEEDOR"), COLUMNS.index("SUB_TOTAL")
FORMALISED = COLUMNS.index("FECHA_FORMALIZACIÓN")

# (sample, target month, file name suffix, encoding, date format)
VARIANTS = [
    (JAN, (2022, 1), "", "latin-1", ISO_DATE_FORMAT),
    (JAN, (2023, 1), "", "utf-8-tab", ISO_DATE_FORMAT),
    (JAN, (2024, 3), "_0", "latin-1", DMY_DATE_FORMAT),
    (DEC, (2025, 1), "_0", "utf-8-tab", DMY_DATE_FORMAT),
    (DEC, (2025, 12), "", "latin-1", ISO_DATE_FORMAT),
    (DEC, (2026, 5), "", "latin-1", DMY_DATE_FORMAT),
]
# The months the samples come from, as the portal wrote them: the GX cross-check runs there.
# In the other variants the reader hands the quality gate the same rows (dates and order years
# moved): the subject there is reading the variant, and GX would validate those rows again.
ORIGINAL_MONTHS = {(2022, 1), (2025, 12)}


def _moved(value: str, months: int, date_format: str) -> str:
    """``value`` (``YYYY-MM-DD HH:MM:SS``) ``months`` later, the day clamped to the month."""
    when = dt.datetime.strptime(value, ISO_DATE_FORMAT)
    index = when.year * 12 + when.month - 1 + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    moved = when.replace(year=year, month=month + 1, day=day)
    if date_format == DMY_DATE_FORMAT:  # D/MM/YYYY HH:MM: no leading zero on the day
        return f"{moved.day}/{moved:%m/%Y %H:%M}"
    return moved.strftime(date_format)


def variant_file(
    sample: Path, folder: Path, month: tuple[int, int], suffix: str, encoding: str, fmt: str
) -> tuple[Path, list[list[str]]]:
    """The sample moved to ``month`` and written in the given variant; (path, rows' fields)."""
    header, *lines = sample.read_bytes().decode("latin-1").split("\n")
    source_year, source_month = int(sample.name[15:19]), int(sample.name[19:21])
    shift = (month[0] - source_year) * 12 + month[1] - source_month
    rows = []
    for line in filter(None, lines):
        fields = line.split(";")
        for position in DATES:
            fields[position] = _moved(fields[position], shift, fmt)
        fields[ORDER] = re.sub(r"^OCAM-\d{4}-", f"OCAM-{month[0]}-", fields[ORDER])
        rows.append(fields)
    prefix = "\t" if encoding == "utf-8-tab" else ""
    out = [(";" + prefix).join(header.split(";"))]
    out += [(";" + prefix).join(fields) for fields in rows]
    path = folder / f"ReportePCBienes{month[0]}{month[1]:02d}{suffix}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(f"{line}\n" for line in out)
    path.write_bytes(data.encode("utf-8" if prefix else "latin-1"))
    return path, rows


def month_days(path: Path, month: tuple[int, int]) -> list[dt.date]:
    """The first day of the month and every formalisation day of the file."""
    values = read_monthly_file(path).orders["formalized_at"].to_pylist()
    days = {dt.date.fromisoformat(value[:10]) for value in values}
    return sorted(days | {dt.date(*month, 1)})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "month", "suffix", "encoding", "fmt"),
    VARIANTS,
    ids=[
        f"{m[0]}-{m[1]:02d}{s}-{e}-{'dmy' if f == DMY_DATE_FORMAT else 'iso'}"
        for _, m, s, e, f in VARIANTS
    ],
)
def test_a_real_month_of_any_year_and_variant_publishes_every_row(
    sample_dir: Path,
    tmp_path: Path,
    sample: str,
    month: tuple[int, int],
    suffix: str,
    encoding: str,
    fmt: str,
) -> None:
    path, rows = variant_file(
        sample_dir / sample, tmp_path / "source", month, suffix, encoding, fmt
    )
    info = read_monthly_file(path).info
    assert (info.encoding, info.field_prefix, info.date_format) == (
        "utf-8" if encoding == "utf-8-tab" else "latin-1",
        "\t" if encoding == "utf-8-tab" else "",
        fmt,
    )
    root = tmp_path / "datasets"
    days = month_days(path, month)
    assert len(days) > 2
    run_gx = month in ORIGINAL_MONTHS
    results = [publish([path], day, root, run_gx=run_gx) for day in days]
    assert sum(r.quarantined for r in results) == 0
    reports = [quality(root, day) for day in days]
    assert all(("not_evaluated" in r) is not run_gx for r in reports)  # GX ran where meant to
    assert sum(r["rows_in"] for r in reports) == len(rows)
    assert sum(r["published"] for r in reports) == len(rows)
    totals = {
        r["ocid"].split("-OCAM-")[1]: r["contracts"][0]["value"]["amount"]
        for day in days
        for r in releases(root, day)
        if "-OCAM-" in r["ocid"]
    }
    expected = {
        fields[ORDER].removeprefix("OCAM-").rsplit("-", 1)[0]: Decimal(fields[TOTAL])
        for fields in rows
    }
    assert len(expected) == len(rows)
    assert {order: Decimal(str(amount)) for order, amount in totals.items()} == expected


@pytest.mark.slow
def test_row_problems_in_a_tab_and_dmy_file_quarantine_the_row_naming_file_line_field_value(
    sample_dir: Path, tmp_path: Path
) -> None:
    """UTF-8 + TAB + D/MM/YYYY: the quarantine shows the raw value without the TAB prefix."""
    path, rows = variant_file(
        sample_dir / DEC, tmp_path / "source", (2025, 1), "_0", "utf-8-tab", DMY_DATE_FORMAT
    )
    day = dt.date.fromisoformat(read_monthly_file(path).orders["formalized_at"][0].as_py()[:10])
    same_day = [i for i, f in enumerate(rows) if _day_of_dmy(f[FORMALISED]) == day]
    assert len(same_day) >= 4
    broken = {
        same_day[0]: (SUPPLIER_RUC, "2060092781", "supplier_ruc"),
        same_day[1]: (SUBTOTAL, "1,623.00", "subtotal_cents"),
        same_day[2]: (FORMALISED, "31/02/2025 10:00", "formalized_at"),
    }
    lines = path.read_bytes().decode("utf-8").split("\n")
    for index, (column, value, _) in broken.items():
        fields = lines[index + 1].split(";\t")
        fields[column] = value
        lines[index + 1] = ";\t".join(fields)
    path.write_bytes("\n".join(lines).encode("utf-8"))

    root = tmp_path / "datasets"
    days = month_days(path, (2025, 1))
    results = {d: publish([path], d, root) for d in days}
    assert sum(r.quarantined for r in results.values()) == len(broken)
    reports = [quality(root, d) for d in days]
    assert sum(r["rows_in"] for r in reports) == len(rows)
    assert sum(r["published"] for r in reports) == len(rows) - len(broken)
    quarantined = []
    for d in days:
        table = pq.read_table(day_file(root, d, "quarantine.parquet"))
        quarantined += table.to_pylist()
    by_line = {row["source_line"]: row for row in quarantined}
    assert set(by_line) == {index + 2 for index in broken}
    for index, (column, value, field) in broken.items():
        row = by_line[index + 2]
        assert row["source_file"] == path.name
        # the reader names the source column, the quality rules the normalised one
        assert row["field"] in (field, COLUMNS[column])
        assert row["value"] == value
        assert f'"{value}"' in row["message"]


def _day_of_dmy(value: str) -> dt.date:
    return dt.datetime.strptime(value, DMY_DATE_FORMAT).date()
