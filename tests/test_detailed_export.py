"""Detailed per-delivery export: generator consistency, reconciliation and quarantine."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from perucompras.detailed_export import DETAIL_COLUMNS, read_detailed_export
from perucompras.reader import QUARANTINE_SCHEMA, SEPARATOR, SourceFileError, read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export

INDEX = {name: position for position, name in enumerate(DETAIL_COLUMNS)}


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=300)


@pytest.fixture(scope="module")
def orders(month: Path) -> pa.Table:
    return read_monthly_file(month).orders


@pytest.fixture(scope="module")
def export(month: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_detailed_export(2025, 11, tmp_path_factory.mktemp("detail"), orders=month)


def _rows(path: Path) -> list[list[str]]:
    """Data rows of an export as field lists (header excluded)."""
    text = path.read_bytes().decode("latin-1")
    return [line.split(SEPARATOR) for line in text.split("\n")[1:] if line]


def _write(path: Path, rows: list[list[str]]) -> Path:
    """Write an export with the documented header."""
    lines = [SEPARATOR.join(DETAIL_COLUMNS), *(SEPARATOR.join(row) for row in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def _sum(table: pa.Table, column: str) -> int:
    return pc.sum(table[column]).as_py() or 0


def test_round_trip_keeps_every_order_and_amount(export: Path, orders: pa.Table) -> None:
    result = read_detailed_export(export)
    assert result.quarantine.num_rows == 0
    assert result.quarantine.schema == QUARANTINE_SCHEMA
    assert result.info.parent_rows == result.parents.num_rows == orders.num_rows
    assert result.info.line_rows == result.lines.num_rows
    assert result.info.encoding == "latin-1"
    by_order = {row["order_number"]: row for row in orders.to_pylist()}
    for parent in result.parents.to_pylist():
        order = by_order[parent["order_number"]]
        assert parent["total_cents"] == order["total_cents"]
        assert parent["subtotal_cents"] == order["subtotal_cents"]
        assert parent["supplier_ruc"] == order["supplier_ruc"]
    sums = result.lines.group_by("order_number").aggregate([("total_cents", "sum")])
    line_totals = dict(
        zip(sums["order_number"].to_pylist(), sums["total_cents_sum"].to_pylist(), strict=True)
    )
    assert line_totals == {n: o["total_cents"] for n, o in by_order.items()}
    assert _sum(result.deliveries, "total_cents") == _sum(orders, "total_cents")
    assert _sum(result.deliveries, "line_count") == result.lines.num_rows


def test_parent_rows_are_not_double_counted(export: Path, orders: pa.Table) -> None:
    naive = sum(int(row[INDEX["TOTAL"]].replace(".", "")) for row in _rows(export))
    result = read_detailed_export(export)
    assert naive == 2 * _sum(orders, "total_cents")
    assert _sum(result.lines, "total_cents") == _sum(result.parents, "total_cents")
    assert _sum(result.lines, "total_cents") == _sum(orders, "total_cents")


def test_lines_are_exact_and_deliveries_follow_formalisation(
    export: Path, orders: pa.Table
) -> None:
    result = read_detailed_export(export)
    for line in result.lines.to_pylist():
        rounded = (line["quantity_milli"] * line["unit_price_cents"] + 500) // 1000
        assert rounded + line["freight_cents"] == line["subtotal_cents"]
        assert line["subtotal_cents"] + line["igv_cents"] == line["total_cents"]
        assert line["delivery_start"].endswith("-05:00")
        assert line["line_id"].startswith(f"{line['delivery_number']}-")
    formalized = dict(
        zip(orders["order_number"].to_pylist(), orders["formalized_at"].to_pylist(), strict=True)
    )
    for delivery in result.deliveries.to_pylist():
        assert delivery["delivery_start"] > formalized[delivery["order_number"]]
        assert delivery["delivery_end"] >= delivery["delivery_start"]
    ids = result.lines.select(["order_number", "line_id"]).to_pylist()
    assert len({(row["order_number"], row["line_id"]) for row in ids}) == len(ids)


def test_generation_is_byte_identical_and_seeded(export: Path, month: Path, tmp_path: Path) -> None:
    again = generate_detailed_export(2025, 11, tmp_path / "a", orders=month)
    assert again.read_bytes() == export.read_bytes()
    other = generate_detailed_export(2025, 11, tmp_path / "b", orders=month, seed=7)
    assert other.read_bytes() != export.read_bytes()


def test_mismatched_order_is_quarantined_with_file_line_and_field(
    export: Path, tmp_path: Path
) -> None:
    rows = _rows(export)
    # a line that is consistent by itself (FLETE, SUB_TOTAL and TOTAL all +1 cent) but no longer
    # adds up to its parent
    target = next(i for i, row in enumerate(rows) if row[INDEX["NRO_ENTREGA"]])
    order = rows[target][INDEX["ORDEN_ELECTRÓNICA"]]
    for column in ("FLETE", "SUB_TOTAL", "TOTAL"):
        cents = int(rows[target][INDEX[column]].replace(".", "")) + 1
        rows[target][INDEX[column]] = f"{cents // 100}.{cents % 100:02d}"
    path = _write(tmp_path / "ReportePCDetalle202511.csv", rows)
    result = read_detailed_export(path)
    order_lines = [i + 2 for i, row in enumerate(rows) if row[INDEX["ORDEN_ELECTRÓNICA"]] == order]
    quarantined = result.quarantine.to_pylist()
    assert sorted(row["source_line"] for row in quarantined) == order_lines
    assert {row["rule"] for row in quarantined} == {"order_totals_mismatch"}
    assert {row["field"] for row in quarantined} == {"TOTAL"}
    assert {row["source_file"] for row in quarantined} == {path.name}
    assert all(order in row["message"] and row["raw_row"].startswith(order) for row in quarantined)
    assert order not in result.parents["order_number"].to_pylist()
    assert order not in result.lines["order_number"].to_pylist()
    assert result.parents.num_rows == 299


def test_parse_errors_and_structure_problems(export: Path, tmp_path: Path) -> None:
    rows = _rows(export)
    parents = [i for i, row in enumerate(rows) if not row[INDEX["NRO_ENTREGA"]]]
    lines = [i for i, row in enumerate(rows) if row[INDEX["NRO_ENTREGA"]]]
    rows[lines[0]][INDEX["CANTIDAD"]] = "3,5"
    rows[lines[5]][INDEX["FECHA_FIN_ENTREGA"]] = "2025-02-30 23:59:59"
    rows[lines[9]] = rows[lines[9]][:-1]
    orphan_order = rows[parents[20]][INDEX["ORDEN_ELECTRÓNICA"]]
    rows[parents[20]][INDEX["NRO_ENTREGA"]] = "x"
    duplicated = rows[parents[40]]
    rows.insert(parents[40], list(duplicated))
    path = _write(tmp_path / "ReportePCDetalle202511.csv", rows)
    result = read_detailed_export(path, batch_rows=64)
    found = {(row["source_line"], row["rule"]) for row in result.quarantine.to_pylist()}
    assert (lines[0] + 2, "quantity_unparseable") in found
    assert (lines[5] + 2, "date_unparseable") in found
    assert (lines[9] + 2, "field_count") in found
    bad_number = result.quarantine.filter(
        pc.equal(result.quarantine["source_line"], parents[20] + 2)
    )
    assert "NRO_ENTREGA: delivery_number_format" in bad_number["message"][0].as_py()
    assert (parents[40] + 2, "duplicate_parent") in found
    assert (parents[40] + 3, "duplicate_parent") in found
    rules = {row["rule"] for row in result.quarantine.to_pylist()}
    assert "missing_parent" in rules
    assert orphan_order not in result.parents["order_number"].to_pylist()
    kept = set(result.parents["order_number"].to_pylist())
    quarantined = set(result.quarantine["source_line"].to_pylist())
    for index, row in enumerate(rows):
        assert (row[INDEX["ORDEN_ELECTRÓNICA"]] in kept) != (index + 2 in quarantined)


def test_small_batches_give_the_same_result(export: Path) -> None:
    whole = read_detailed_export(export)
    streamed = read_detailed_export(export, batch_rows=50)
    assert streamed.lines.equals(whole.lines)
    assert streamed.deliveries.equals(whole.deliveries)
    assert streamed.parents.equals(whole.parents)


def test_utf8_copy_reads_the_same(export: Path, tmp_path: Path) -> None:
    utf8 = tmp_path / "ReportePCDetalle202511.csv"
    utf8.write_bytes(export.read_bytes().decode("latin-1").encode("utf-8"))
    result = read_detailed_export(utf8)
    assert result.info.encoding == "utf-8"
    assert result.lines.drop_columns(["source_file"]).equals(
        read_detailed_export(export).lines.drop_columns(["source_file"])
    )


def test_foreign_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ReportePCDetalle202511.csv"
    path.write_bytes(b"ORDEN_ELECTRONICA;TOTAL\nOCAM-2025-1-1-0;1.00\n")
    with pytest.raises(SourceFileError, match=r"missing .*NRO_ENTREGA"):
        read_detailed_export(path)
    path.write_bytes(b"")
    with pytest.raises(SourceFileError, match="empty"):
        read_detailed_export(path)
