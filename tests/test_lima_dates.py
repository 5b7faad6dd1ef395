"""``parse_lima_dates`` (quotation dates): the same results as the strftime round trip it replaced."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from perucompras.csv_stream import DATE_PATTERN, LIMA_OFFSET, parse_lima_dates

VALUES = [
    "2025-02-28 23:59:59",
    "  2024-02-29 00:00:00 ",
    "2025-02-29 10:00:00",  # not a leap year: strptime rolls it over to March
    "2025-02-30 10:00:00",
    "2025-04-31 08:15:00",
    "2025-01-31 24:00:00",
    "2025-01-15 10:60:00",
    "2025-01-15 10:59:60",
    "2025-13-01 00:00:00",
    "2025-00-10 00:00:00",
    "0999-01-01 00:00:00",
    "0000-01-01 00:00:00",
    "2025-01-15T10:00:00",
    "2025-01-15 10:00",
    "15/01/2025 10:00:00",
    "",
    "   ",
    None,
    "2025-1-15 10:00:00",
    "2025-01-15 10:00:00.5",
    "1994-12-31 23:59:59",
]


def _strftime_reference(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The implementation before the cast: strptime, then strftime back and compare."""
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = pc.fill_null(pc.match_substring_regex(trimmed, DATE_PATTERN), False)
    local = pc.replace_substring(pc.if_else(shaped, trimmed, pa.scalar("")), " ", "T")
    stamps = pc.strptime(local, "%Y-%m-%dT%H:%M:%S", "s", error_is_null=True)
    valid = pc.fill_null(pc.equal(pc.strftime(stamps, "%Y-%m-%dT%H:%M:%S"), local), False)
    valid = pc.and_(shaped, valid)
    iso = pc.if_else(
        valid, pc.binary_join_element_wise(local, LIMA_OFFSET, ""), pa.scalar(None, pa.string())
    )
    return iso, pc.invert(valid)


def test_same_as_the_strftime_round_trip() -> None:
    values = pa.array(VALUES, pa.string())
    iso, failed = parse_lima_dates(values)
    expected_iso, expected_failed = _strftime_reference(values)
    assert iso.cast(pa.string()).to_pylist() == expected_iso.cast(pa.string()).to_pylist()
    assert failed.to_pylist() == expected_failed.to_pylist()


def test_real_dates_pass_and_rolled_over_ones_fail() -> None:
    iso, failed = parse_lima_dates(pa.array(VALUES))
    by_value = dict(zip(VALUES, zip(iso.to_pylist(), failed.to_pylist(), strict=True), strict=True))
    assert by_value["2025-02-28 23:59:59"] == ("2025-02-28T23:59:59-05:00", False)
    assert by_value["  2024-02-29 00:00:00 "] == ("2024-02-29T00:00:00-05:00", False)
    for rolled in ("2025-02-29 10:00:00", "2025-04-31 08:15:00", "2025-01-31 24:00:00"):
        assert by_value[rolled] == (None, True), rolled
    assert by_value[None] == (None, True)


def test_chunked_columns() -> None:
    chunked = pa.chunked_array([VALUES[:7], VALUES[7:]], pa.string())
    iso, failed = parse_lima_dates(chunked)
    expected_iso, expected_failed = _strftime_reference(chunked)
    assert iso.to_pylist() == expected_iso.to_pylist()
    assert failed.to_pylist() == expected_failed.to_pylist()
