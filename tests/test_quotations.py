"""Quotation files: generator ratio and consistency, streaming, quarantine and summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from perucompras.quotations import (
    QUOTATION_COLUMNS,
    QUOTATION_SCHEMA,
    SELECTED,
    quotation_summary,
    quotations_for_orders,
    stream_quotations,
)
from perucompras.reader import QUARANTINE_SCHEMA, SEPARATOR, read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import QUOTATIONS_PER_ORDER, generate_quotations


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_month(2025, 11, tmp_path_factory.mktemp("month"), orders=400)


@pytest.fixture(scope="module")
def orders(month: Path) -> pa.Table:
    return read_monthly_file(month).orders


@pytest.fixture(scope="module")
def quotations_file(month: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_quotations(2025, 11, tmp_path_factory.mktemp("quotes"), orders=month)


@pytest.fixture(scope="module")
def everything(quotations_file: Path) -> pa.Table:
    return pa.Table.from_batches(list(stream_quotations(quotations_file)), schema=QUOTATION_SCHEMA)


def test_ratio_and_one_selected_quotation_per_order(everything: pa.Table, orders: pa.Table) -> None:
    per_order = everything.num_rows / orders.num_rows
    assert 0.85 * QUOTATIONS_PER_ORDER < per_order < 1.15 * QUOTATIONS_PER_ORDER
    summary = quotation_summary(everything)
    assert summary.num_rows == orders.num_rows
    assert set(summary["selected_count"].to_pylist()) == {1}
    assert summary["quotation_count"].to_pylist() == summary["supplier_count"].to_pylist()
    expected = {
        row["order_number"]: (row["supplier_ruc"], row["total_cents"], row["formalized_at"])
        for row in orders.to_pylist()
    }
    for row in summary.to_pylist():
        ruc, total, formalized = expected[row["order_number"]]
        assert (row["selected_supplier_ruc"], row["selected_total_cents"]) == (ruc, total)
        assert row["last_quoted_at"] < formalized


def test_generation_is_byte_identical_and_seeded(
    quotations_file: Path, month: Path, tmp_path: Path
) -> None:
    again = generate_quotations(2025, 11, tmp_path / "a", orders=month)
    assert again.read_bytes() == quotations_file.read_bytes()
    other = generate_quotations(2025, 11, tmp_path / "b", orders=month, seed=9)
    assert other.read_bytes() != quotations_file.read_bytes()
    assert quotations_file.read_bytes().decode("utf-8").split("\n", 1)[0] == SEPARATOR.join(
        QUOTATION_COLUMNS
    )


def test_stream_batches_are_bounded_and_complete(
    quotations_file: Path, everything: pa.Table
) -> None:
    stream = stream_quotations(quotations_file, batch_rows=5_000)
    sizes = [batch.num_rows for batch in stream]
    assert max(sizes) == 5_000 and sum(sizes) == everything.num_rows
    assert stream.rows_read == everything.num_rows
    assert stream.quarantine.num_rows == 0
    lines = everything["source_line"].to_numpy()
    assert (lines == np.arange(2, everything.num_rows + 2)).all()


def test_quotations_for_orders_filters_while_streaming(
    quotations_file: Path, everything: pa.Table, orders: pa.Table
) -> None:
    wanted = orders["order_number"].to_pylist()[:7]
    subset = quotations_for_orders(quotations_file, wanted, batch_rows=4_096)
    expected = everything.filter(pc.is_in(everything["order_number"], value_set=pa.array(wanted)))
    assert subset.equals(expected)
    assert set(subset["order_number"].to_pylist()) == set(wanted)


def test_summary_matches_a_direct_computation(everything: pa.Table, quotations_file: Path) -> None:
    summary = quotation_summary(quotations_file)
    assert summary.equals(quotation_summary(everything))
    first = summary.to_pylist()[0]
    totals = np.sort(
        everything.filter(pc.equal(everything["order_number"], first["order_number"]))[
            "total_cents"
        ].to_numpy()
    )
    assert first["min_total_cents"] == totals[0]
    assert first["max_total_cents"] == totals[-1]
    assert first["median_total_cents"] == totals[(len(totals) - 1) // 2]


def test_unparseable_rows_are_quarantined_with_line_and_field(
    quotations_file: Path, tmp_path: Path
) -> None:
    lines = quotations_file.read_bytes().decode("utf-8").split("\n")
    planted = {
        3: ("TOTAL", "amount_unparseable", lambda f: f.__setitem__(4, "1.234,50")),
        10: ("ESTADO", "unknown_status", lambda f: f.__setitem__(6, "ANULADA")),
        20: (
            "RUC_PROVEEDOR",
            "ruc_invalid",
            lambda f: f.__setitem__(1, f[1][:10] + str((int(f[1][10]) + 1) % 10)),
        ),
        30: ("FECHA_COTIZACION", "date_unparseable", lambda f: f.__setitem__(5, "31/11/2025")),
        5000: ("*", "field_count", lambda f: f.pop()),
    }
    for line, (_, _, change) in planted.items():
        fields = lines[line - 1].split(SEPARATOR)
        change(fields)
        lines[line - 1] = SEPARATOR.join(fields)
    path = tmp_path / "Cotizaciones202511.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    stream = stream_quotations(path, batch_rows=1_000)
    good = pa.Table.from_batches(list(stream), schema=QUOTATION_SCHEMA)
    quarantine = stream.quarantine
    assert quarantine.schema == QUARANTINE_SCHEMA
    found = {row["source_line"]: (row["field"], row["rule"]) for row in quarantine.to_pylist()}
    assert found == {line: (field, rule) for line, (field, rule, _) in planted.items()}
    assert good.num_rows + quarantine.num_rows == len(lines) - 2
    assert not set(good["source_line"].to_pylist()) & set(planted)
    assert set(good["status"].to_pylist()) <= {SELECTED, "NO SELECCIONADA"}


def test_streaming_memory_does_not_grow_with_the_file(month: Path, tmp_path: Path) -> None:
    big = generate_quotations(2025, 11, tmp_path, orders=month, per_order=600)
    baseline = pa.total_allocated_bytes()
    allocated = []
    for batch in stream_quotations(big, batch_rows=2_048):
        allocated.append((batch.num_rows, pa.total_allocated_bytes() - baseline))
    assert sum(rows for rows, _ in allocated) > 200_000
    half = len(allocated) // 2
    first, second = (max(size for _, size in part) for part in (allocated[:half], allocated[half:]))
    assert max(first, second) < big.stat().st_size / 2
    assert second <= first + (1 << 20)
