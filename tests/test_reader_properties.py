"""Property tests: valid rows round-trip in every variant; corruption never crashes or loses rows."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras.reader import COLUMNS, SourceFileError, read_monthly_file
from perucompras.ruc import make_ruc

NAME_ALPHABET = st.characters(
    codec="latin-1", exclude_characters=";\n\r\t", exclude_categories=("Cc", "Cs")
)
names = st.text(NAME_ALPHABET, min_size=1, max_size=30).filter(lambda s: s.strip())
moments = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31))
cents = st.integers(0, 10**12)


@st.composite
def rows(draw: st.DrawFn) -> dict:
    """One valid source row as Python values."""
    formalized = draw(moments)
    return {
        "process": draw(moments),
        "supplier_ruc": make_ruc(
            draw(st.sampled_from(["10", "20"])), draw(st.integers(0, 10**8 - 1))
        ),
        "supplier": draw(names),
        "buyer_ruc": make_ruc("20", draw(st.integers(0, 10**8 - 1))),
        "buyer": draw(names),
        "order": f"OCAM-{formalized.year}-{draw(st.integers(1, 999999))}-{draw(st.integers(1, 9999))}-{draw(st.integers(0, 9))}",
        "formalized": formalized,
        "last": draw(moments),
        "subtotal": draw(cents),
        "igv": draw(cents),
        "agreement": draw(
            st.sampled_from(
                [
                    "EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES",
                    "MOBILIARIO EN GENERAL",
                    "X",
                ]
            )
        ),
        "description": draw(st.one_of(st.just(""), names)),
    }


def amount(value: int, trim: bool) -> str:
    text = f"{value // 100}.{value % 100:02d}"
    return text.rstrip("0").rstrip(".") if trim else text


def when(value: dt.datetime, dmy: bool) -> str:
    return f"{value.day}/{value:%m/%Y %H:%M}" if dmy else f"{value:%Y-%m-%d %H:%M:%S}"


def render(row: dict, dmy: bool, trim: bool) -> list[str]:
    return [
        when(row["process"], dmy),
        row["supplier_ruc"],
        row["supplier"],
        row["buyer_ruc"],
        row["buyer"],
        "Compra ordinaria",
        row["order"],
        "",
        "ACEPTADA",
        "",
        when(row["formalized"], dmy),
        when(row["last"], dmy),
        amount(row["subtotal"], trim),
        amount(row["igv"], trim),
        amount(row["subtotal"] + row["igv"], trim),
        "",
        row["description"],
        "",
        row["agreement"],
    ]


def write(directory: Path, data: list[list[str]], variant: str) -> Path:
    tab = variant == "utf8_tab"
    prefix = "\t" if tab else ""
    lines = [";".join([COLUMNS[0]] + [prefix + c for c in COLUMNS[1:]])]
    lines += [";".join([f[0]] + [prefix + v for v in f[1:]]) for f in data]
    path = directory / "ReportePCBienes202501.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8" if tab else "latin-1"))
    return path


def iso(value: dt.datetime, dmy: bool) -> str:
    value = value.replace(second=0) if dmy else value
    return f"{value:%Y-%m-%dT%H:%M:%S}-05:00"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(rows(), min_size=1, max_size=8),
    variant=st.sampled_from(["latin1", "utf8_tab", "dmy_dates"]),
    trim=st.booleans(),
)
def test_valid_rows_round_trip_exactly(data: list[dict], variant: str, trim: bool) -> None:
    dmy = variant == "dmy_dates"
    with tempfile.TemporaryDirectory() as directory:
        result = read_monthly_file(
            write(Path(directory), [render(r, dmy, trim) for r in data], variant)
        )
    assert result.quarantine.num_rows == 0
    for row, out in zip(data, result.orders.to_pylist(), strict=True):
        assert out["supplier_name"] == " ".join(row["supplier"].split())
        assert out["buyer_ruc"] == row["buyer_ruc"]
        assert out["order_number"] == row["order"]
        assert out["subtotal_cents"] == row["subtotal"]
        assert out["igv_cents"] == row["igv"]
        assert out["total_cents"] == row["subtotal"] + row["igv"]
        assert out["formalized_at"] == iso(row["formalized"], dmy)
        assert out["last_status_at"] == iso(row["last"], dmy)
        assert out["process_time"] == iso(row["process"], dmy)
        assert out["status_description"] == (row["description"] or None)
        assert out["agreement_raw"] == row["agreement"]


corruptions = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.sampled_from(["delete", "insert", "replace"]),
        st.sampled_from([*list(";\n\t.,-/: 0123456789ABCÑ´\r"), "", "  "]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(rows(), min_size=1, max_size=6),
    edits=corruptions,
    variant=st.sampled_from(["latin1", "utf8_tab", "dmy_dates"]),
)
def test_corruption_never_crashes_or_loses_rows(
    data: list[dict], edits: list, variant: str
) -> None:
    dmy = variant == "dmy_dates"
    with tempfile.TemporaryDirectory() as directory:
        path = write(Path(directory), [render(r, dmy, False) for r in data], variant)
        raw = path.read_bytes()
        header_end = raw.index(b"\n") + 1
        body = bytearray(raw[header_end:])
        encoding = "utf-8" if variant == "utf8_tab" else "latin-1"
        for position, action, text in edits:
            index = position % (len(body) + 1)
            payload = text.encode(encoding)
            if action == "delete":
                del body[index : index + 1]
            elif action == "insert":
                body[index:index] = payload
            else:
                body[index : index + 1] = payload
        path.write_bytes(raw[:header_end] + bytes(body))
        expected_rows = bytes(body).decode(encoding, errors="replace").split("\n")
        if expected_rows and expected_rows[-1] == "":
            expected_rows.pop()
        try:
            result = read_monthly_file(path)
        except SourceFileError as error:
            # only a UTF-8 file whose bytes were cut mid-character in half its rows or more
            # may be refused as a whole; fewer damaged rows are quarantined one by one
            assert variant == "utf8_tab" and error.check == "source_files_readable"
            damaged = [r for r in expected_rows if "\ufffd" in r]
            assert damaged and len(damaged) * 2 >= len(expected_rows)
            return
    assert result.info.row_count == len(expected_rows)
    assert result.orders.num_rows + result.quarantine.num_rows == result.info.row_count
    lines = result.orders["source_line"].to_pylist() + result.quarantine["source_line"].to_pylist()
    assert sorted(lines) == list(range(2, result.info.row_count + 2))
