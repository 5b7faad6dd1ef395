"""csv-rows/1: a CSV's rows in normal form, the same however a spreadsheet saved them."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrity import csvrows
from integrity.manifest import file_entry

PUBLISHED = (
    b'"order_number","buyer","total_cents"\n'
    b'"OCAM-2025-1-1","MUNICIPALIDAD DE \xc3\x91A\xc3\x91A, LIMA",100000\n'
    b'"OCAM-2025-1-2","ENTIDAD ""A""",2500\n'
)


def resaved(data: bytes) -> dict[str, bytes]:
    """The same rows as a spreadsheet might save them."""
    text = data.decode("utf-8")
    excel = 'order_number;buyer;total_cents\r\nOCAM-2025-1-1;MUNICIPALIDAD DE ÑAÑA, LIMA;100000\r\nOCAM-2025-1-2;"ENTIDAD ""A""";2500\r\n'
    return {
        "crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "bom": csvrows.BOM + data,
        "windows-1252": text.encode("cp1252"),
        "semicolon-unquoted": excel.encode("cp1252"),
        "no-final-newline": data.rstrip(b"\n"),
    }


@pytest.mark.parametrize("variant", sorted(resaved(PUBLISHED)))
def test_a_resaved_csv_has_the_same_rows(variant: str) -> None:
    original = csvrows.parse(PUBLISHED)
    other = csvrows.parse(resaved(PUBLISHED)[variant])
    assert other.records == original.records
    assert other.digest() == original.digest()
    assert original.summary() == {"method": "csv-rows/1", "count": 2, "sha256": original.digest()}


def test_a_changed_amount_changes_the_rows() -> None:
    changed = PUBLISHED.replace(b"100000", b"100001")
    assert csvrows.parse(changed).digest() != csvrows.parse(PUBLISHED).digest()
    assert csvrows.parse(changed).rows[0][2] == "100001"


def test_the_writer_records_the_rows_of_a_published_csv(tmp_path: Path) -> None:
    table = pa.table({"order_number": ["OCAM-1", "OCAM-2"], "total_cents": [100, 2500]})
    path = tmp_path / "orders.csv"
    pa_csv.write_csv(table, path)
    entry = file_entry(path, media_type="text/csv", role="orders-table").to_json()
    assert entry["rows"] == csvrows.parse(path.read_bytes()).summary()
    assert entry["rows"]["count"] == 2
    other = file_entry(path, media_type="application/json", role="x").to_json()
    assert "rows" not in other


def _reference_digest(records: list[list[str]]) -> str:
    """csv-rows/1 written out with the exact (pure Python) RFC 8785 serialiser."""
    import hashlib

    from integrity.canonical import jcs_bytes

    return hashlib.sha256(b"".join(jcs_bytes(record) + b"\n" for record in records)).hexdigest()


_AWKWARD = [
    ["a,1.0]", "null", "1e-7", "-0", "12345678901234567"],
    ['quote " and \\ backslash', "\x00\x01\x1f\x7f", "tab\tnew\nline\rcr\x08\x0c"],
    ["ÑAÑA", "emoji 😀", "\u2028\u2029", "\ue000\uffff", "𝄞\ue001"],
    [],
    [""],
]


@pytest.mark.parametrize("records", [_AWKWARD, [[str(n), "x" * n] for n in range(50)]])
def test_the_digest_is_the_canonical_one(records: list[list[str]]) -> None:
    rows = csvrows.CsvRows(records, bom=False, encoding="utf-8", delimiter=",", line_ends="lf")
    assert rows.digest() == _reference_digest(records)


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@given(st.lists(st.lists(_TEXT, max_size=5), max_size=5))
def test_the_digest_is_the_canonical_one_for_any_strings(records: list[list[str]]) -> None:
    rows = csvrows.CsvRows(records, bom=False, encoding="utf-8", delimiter=",", line_ends="lf")
    assert rows.digest() == _reference_digest(records)
