"""Synthetic monthly files: determinism, realism and exact compatibility with the reader."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest

from perucompras.agreements import agreement_rows, learned_from, resolve_agreements
from perucompras.reader import COLUMNS, read_monthly_file
from perucompras.ruc import valid_ruc_mask
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects

PARSE_KINDS = {
    "field_count",
    "required_missing",
    "date_unparseable",
    "amount_unparseable",
    "amount_precision",
    "order_number_format",
}


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_month(2025, 11, tmp_path_factory.mktemp("synthetic"))


def test_same_inputs_give_byte_identical_files(tmp_path: Path, month: Path) -> None:
    again = generate_month(2025, 11, tmp_path)
    assert again.read_bytes() == month.read_bytes()
    other_seed = generate_month(2025, 11, tmp_path / "s", seed=7, orders=500)
    assert (
        other_seed.read_bytes() != generate_month(2025, 11, tmp_path / "t", orders=500).read_bytes()
    )


def test_exact_real_format(month: Path) -> None:
    data = month.read_bytes()
    assert month.name == "ReportePCBienes202511.csv"
    assert b"\r" not in data and b'"' not in data and data.endswith(b"\n")
    text = data.decode("latin-1")
    lines = text.split("\n")[:-1]
    assert lines[0] == ";".join(COLUMNS)
    assert {line.count(";") for line in lines} == {18}
    assert len(lines) == 10_001
    assert {line.split(";")[0] for line in lines[1:]} == {"2025-12-01 04:00:00"}


def test_reads_back_with_zero_quarantine_and_realistic_distributions(month: Path) -> None:
    result = read_monthly_file(month)
    orders = result.orders
    assert result.quarantine.num_rows == 0 and orders.num_rows == 10_000
    assert pc.all(valid_ruc_mask(orders["supplier_ruc"])).as_py()
    assert pc.all(valid_ruc_mask(orders["buyer_ruc"])).as_py()
    # 2025: names only; they resolve through the curated table, except the agreements it knows
    # only by name (no official code): those stay without a code
    resolved = resolve_agreements(orders, learned_from(orders))
    unresolved = set(
        pc.filter(resolved["agreement_name"], pc.is_null(resolved["agreement_code"])).to_pylist()
    )
    local = {row["name"] for row in agreement_rows() if row["code_kind"] == "local"}
    assert orders["agreement_code"].null_count == orders.num_rows
    assert unresolved == local
    assert pc.count_distinct(orders["order_number"]).as_py() == 10_000
    rows = orders.select(
        [
            "procedure_type",
            "subtotal_cents",
            "igv_cents",
            "total_cents",
            "status",
            "formalized_at",
            "last_status_at",
            "process_time",
            "buyer_ruc",
            "buyer_name",
            "supplier_ruc",
            "supplier_name",
        ]
    ).to_pylist()
    ordinary = sum(r["procedure_type"] == "Compra ordinaria" for r in rows) / len(rows)
    assert 0.90 < ordinary < 0.96
    spend = Counter()
    for r in rows:
        spend[r["procedure_type"]] += r["total_cents"]
        assert r["subtotal_cents"] + r["igv_cents"] == r["total_cents"]
        assert r["igv_cents"] in (0, (r["subtotal_cents"] * 18 + 50) // 100)
        assert r["formalized_at"] <= r["last_status_at"] <= r["process_time"]
        assert r["formalized_at"].startswith("2025-11-")
    assert 0.45 < spend["Gran Compra"] / sum(spend.values()) < 0.72
    with_igv = sum(r["igv_cents"] > 0 for r in rows) / len(rows)
    assert 0.94 < with_igv < 0.98
    assert set(Counter(r["status"] for r in rows)) == {
        "ACEPTADA",
        "PAGADA",
        "RESUELTA",
        "ORDEN DE COMPRA NULA",
    }
    assert 1_500 < len({r["buyer_ruc"] for r in rows}) <= 3_200
    assert 1_500 < len({r["supplier_ruc"] for r in rows}) <= 3_600
    names = {}
    for r in rows:
        names.setdefault(r["buyer_ruc"], set()).add(r["buyer_name"])
    assert all(len(variants) == 1 for variants in names.values())
    per_day = Counter(dt.date.fromisoformat(r["formalized_at"][:10]).weekday() for r in rows)
    assert per_day[6] * 4 < per_day[2] / 1.0


def test_same_ruc_same_name_across_months(tmp_path: Path) -> None:
    first = read_monthly_file(generate_month(2024, 1, tmp_path, orders=2_000)).orders
    second = read_monthly_file(generate_month(2024, 2, tmp_path, orders=2_000)).orders
    left = dict(
        zip(first["supplier_ruc"].to_pylist(), first["supplier_name"].to_pylist(), strict=False)
    )
    right = dict(
        zip(second["supplier_ruc"].to_pylist(), second["supplier_name"].to_pylist(), strict=False)
    )
    shared = set(left) & set(right)
    assert len(shared) > 100
    assert all(left[ruc] == right[ruc] for ruc in shared)


def test_trimmed_amounts_give_the_same_orders(tmp_path: Path) -> None:
    december = read_monthly_file(generate_month(2025, 12, tmp_path / "a", orders=3_000)).orders
    other_variant = read_monthly_file(
        generate_month(
            2025,
            12,
            tmp_path / "b",
            orders=3_000,
            include_synthetic_agreements=False,
            trim_amounts=True,
        )
    ).orders
    assert december.drop_columns(["raw_subtotal", "raw_igv", "raw_total"]).equals(
        other_variant.drop_columns(["raw_subtotal", "raw_igv", "raw_total"])
    )


@pytest.mark.parametrize("variant", ["utf8_tab", "dmy_dates"])
def test_variants_read_back_to_the_same_orders(tmp_path: Path, variant: str) -> None:
    base = read_monthly_file(generate_month(2023, 3, tmp_path / "latin1", orders=1_500)).orders
    other = read_monthly_file(
        generate_month(2023, 3, tmp_path / variant, orders=1_500, variant=variant)
    )
    assert other.quarantine.num_rows == 0
    if variant == "utf8_tab":
        assert other.info.encoding == "utf-8" and other.info.field_prefix == "\t"
        assert other.orders.equals(base)
    else:
        assert other.info.date_format == "%d/%m/%Y %H:%M"
        assert other.orders["order_number"].equals(base["order_number"])
        truncated = [v[:17] + "00-05:00" for v in base["formalized_at"].to_pylist()]
        assert other.orders["formalized_at"].to_pylist() == truncated


def test_synthetic_agreements_only_when_asked(tmp_path: Path) -> None:
    plain = read_monthly_file(generate_month(2022, 6, tmp_path / "a", orders=3_000)).orders
    extended = read_monthly_file(
        generate_month(2022, 6, tmp_path / "b", orders=3_000, include_synthetic_agreements=True)
    ).orders
    assert not any((code or "").startswith("SYN-") for code in plain["agreement_code"].to_pylist())
    codes = set(extended["agreement_code"].to_pylist()) - {None}
    assert any(code.startswith("SYN-") for code in codes) and len(codes) > 40
    # 2022 labels carry their code, except the agreements known only by name
    local = {row["name"] for row in agreement_rows() if row["code_kind"] == "local"}
    missing = pc.filter(extended["agreement_name"], pc.is_null(extended["agreement_code"]))
    assert set(missing.to_pylist()) <= local
    assert any(label.startswith("EXT-CE-") for label in plain["agreement_raw"].to_pylist())


def test_planted_defects(tmp_path: Path) -> None:
    path = generate_month(2025, 5, tmp_path, orders=800)
    planted = plant_defects(path, list(DEFECT_KINDS), seed=3)
    assert len({defect.line for defect in planted}) == len(DEFECT_KINDS)
    result = read_monthly_file(path)
    assert result.orders.num_rows + result.quarantine.num_rows == 800
    quarantined = {r["source_line"]: r["rule"] for r in result.quarantine.to_pylist()}
    expected = {d.line: d.kind for d in planted if d.kind in PARSE_KINDS}
    assert quarantined == expected
    published = dict(
        zip(result.orders["source_line"].to_pylist(), range(result.orders.num_rows), strict=False)
    )
    rows = result.orders.to_pylist()
    for defect in planted:
        if defect.kind in PARSE_KINDS:
            continue
        row = rows[published[defect.line]]
        if defect.kind == "total_mismatch":
            assert row["subtotal_cents"] + row["igv_cents"] != row["total_cents"]
        elif defect.kind == "unknown_agreement":
            assert row["agreement_code"] is None
        elif defect.kind == "date_order":
            assert row["last_status_at"] < row["formalized_at"]
        elif defect.kind == "ruc_check_digit":
            assert not valid_ruc_mask(
                result.orders["supplier_ruc"].slice(published[defect.line], 1)
            )[0].as_py()
    with pytest.raises(ValueError, match="unknown defect"):
        plant_defects(path, ["nonsense"])


def test_synthetic_cache_is_kept_for_the_same_generator_and_dropped_for_another(
    tmp_path: Path,
) -> None:
    from pipelines.services import _reset_if_generator_changed

    folder = tmp_path / "synthetic"
    _reset_if_generator_changed(folder, "seed=1;orders=10")
    cached = folder / "ReportePCBienes202201.csv"
    cached.write_text("x")
    _reset_if_generator_changed(folder, "seed=1;orders=10")
    assert cached.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["GENERATOR", cached.name]
    _reset_if_generator_changed(folder, "seed=2;orders=10")
    assert sorted(p.name for p in folder.iterdir()) == ["GENERATOR"]
