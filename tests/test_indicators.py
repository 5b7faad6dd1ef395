"""Each red-flag indicator on small hand-built tables whose answer is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from publication import indicators
from publication.dictionary import INDICATOR_TABLES, ITEMS, ORDERS
from publication.indicators import (
    INDICATORS,
    PAID_BEFORE,
    RESOLVED_SOON,
    compute_indicators,
    render_page,
)
from settings import Indicators

LIMA = ZoneInfo("America/Lima")
PARAMS = Indicators()
_counter = iter(range(1, 10_000))


def order(
    day: str,
    total: str,
    *,
    buyer: str = "20100000001",
    supplier: str = "20500000001",
    agreement: str = "EXT-CE-2021-7",
    procedure: str = "Compra ordinaria",
    status: str = "ACEPTADA",
    contract_status: str = "active",
    last_status: str | None = None,
) -> dict[str, Any]:
    """One latest-state order row (only the columns the indicators read are meaningful)."""
    number = next(_counter)
    formalized = dt.datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=LIMA)
    last = (
        dt.datetime.fromisoformat(last_status).replace(tzinfo=LIMA) if last_status else formalized
    )
    return {
        "ocid": f"ocds-213czf-OCAM-2026-1-{number}",
        "order_number": f"OCAM-2026-1-{number:05d}-0",
        "order_id": f"OCAM-2026-1-{number:05d}",
        "formalized_at": formalized,
        "formalized_date": formalized.date(),
        "last_status_at": last,
        "status": status,
        "contract_status": contract_status,
        "procedure_type": procedure,
        "buyer_ruc": buyer,
        "buyer_name": f"ENTIDAD {buyer[-3:]}",
        "supplier_ruc": supplier,
        "supplier_name": f"PROVEEDOR {supplier[-3:]}",
        "agreement_code": agreement,
        "total": Decimal(total),
        "currency": "PEN",
    }


def tables(
    orders: list[dict[str, Any]], items: list[dict[str, Any]] | None = None
) -> dict[str, pa.Table]:
    return compute_indicators(
        pa.Table.from_pylist(orders, schema=ORDERS.arrow_schema()),
        pa.Table.from_pylist(items or [], schema=ITEMS.arrow_schema()),
        PARAMS,
    )


def test_splitting_flags_small_orders_that_add_up_within_the_window() -> None:
    rows = [
        order("2026-03-02", "40000.00"),
        order("2026-03-04", "35000.00"),
        order("2026-03-06", "30000.00"),  # 105,000 within 5 days: flagged (7 and 30 days)
        order("2026-03-20", "60000.00"),
        order("2026-03-24", "45000.00"),  # 105,000 within 5 days: flagged again (7 days)
        order("2026-03-03", "99999.99", supplier="20500000002"),
        order("2026-03-05", "150000.00", supplier="20500000002"),  # over the threshold: excluded
        order("2026-03-03", "60000.00", supplier="20500000003"),
        order("2026-03-04", "60000.00", supplier="20500000003", procedure="Gran Compra"),
        order("2026-03-03", "60000.00", supplier="20500000004"),
        order("2026-03-04", "60000.00", supplier="20500000004", contract_status="cancelled"),
        order("2026-03-03", "60000.00", supplier="20500000005"),
        order("2026-03-04", "60000.00", supplier="20500000005", agreement="IM-CE-2020-5"),
    ]
    result = tables(rows)["splitting"].to_pylist()
    by_window = {(r["window_days"], r["window_start"]): r for r in result}
    assert set(by_window) == {
        (7, dt.date(2026, 3, 2)),
        (7, dt.date(2026, 3, 20)),
        (30, dt.date(2026, 3, 2)),
    }
    week = by_window[(7, dt.date(2026, 3, 2))]
    assert (week["orders"], week["total"], week["largest_order"]) == (
        3,
        Decimal("105000.00"),
        Decimal("40000.00"),
    )
    assert week["window_end"] == dt.date(2026, 3, 6) and week["month"] == "2026-03"
    assert week["order_numbers"] == ";".join(r["order_number"] for r in rows[:3])
    assert week["threshold"] == Decimal("100000.00")
    assert (week["buyer_ruc"], week["supplier_ruc"], week["agreement_code"]) == (
        "20100000001",
        "20500000001",
        "EXT-CE-2021-7",
    )
    # 30 days from 03-02 reach 03-31: the five orders form one group, no second one after it.
    month = by_window[(30, dt.date(2026, 3, 2))]
    assert (month["orders"], month["total"], month["window_end"]) == (
        5,
        Decimal("210000.00"),
        dt.date(2026, 3, 24),
    )
    late = by_window[(7, dt.date(2026, 3, 20))]
    assert late["orders"] == 2 and late["total"] == Decimal("105000.00")


def test_splitting_needs_the_minimum_number_of_orders_and_the_sum() -> None:
    rows = [order("2026-05-01", "99999.99"), order("2026-05-10", "99999.99")]
    assert tables(rows)["splitting"].num_rows == 1  # 30-day window only
    rows = [order("2026-05-01", "50000.00"), order("2026-05-02", "49999.99")]
    assert tables(rows)["splitting"].num_rows == 0


def test_concentration_share_and_hhi_with_a_minimum_of_orders() -> None:
    rows = [order("2026-04-01", "100.00", supplier="20500000001") for _ in range(15)]
    rows += [order("2026-04-02", "100.00", supplier="20500000002") for _ in range(5)]
    rows += [
        order("2026-04-03", "100.00", buyer="20100000009", supplier="20500000003")
        for _ in range(19)
    ]
    result = tables(rows)["concentration"].to_pylist()
    scoped = {(r["scope"], r["buyer_ruc"]): r for r in result}
    assert set(scoped) == {("entity_agreement", "20100000001"), ("agreement", None)}
    entity = scoped[("entity_agreement", "20100000001")]
    assert (entity["orders"], entity["suppliers"], entity["total"]) == (20, 2, Decimal("2000.00"))
    assert entity["supplier_ruc"] == "20500000001" and entity["top_share"] == 0.75
    assert entity["hhi"] == 6250.0 and entity["flagged"] is True
    agreement = scoped[("agreement", None)]
    assert (agreement["orders"], agreement["suppliers"]) == (39, 3)
    assert agreement["supplier_ruc"] == "20500000003"
    shares = [1500 / 3900, 500 / 3900, 1900 / 3900]
    assert agreement["hhi"] == round(sum((100 * s) ** 2 for s in shares), 2)
    assert agreement["flagged"] is True


def test_concentration_ties_go_to_the_lower_ruc_and_low_hhi_is_not_flagged() -> None:
    rows = [
        order("2026-04-01", "100.00", supplier=f"2050000000{n}") for n in range(5) for _ in range(4)
    ]
    (row,) = [r for r in tables(rows)["concentration"].to_pylist() if r["scope"] == "agreement"]
    assert row["supplier_ruc"] == "20500000000" and row["top_share"] == 0.2
    assert row["hhi"] == 2000.0 and row["flagged"] is False


def item(
    order_row: dict[str, Any], price: str, description: str = "PAPEL BOND A4"
) -> dict[str, Any]:
    return {
        "ocid": order_row["ocid"],
        "id": order_row["ocid"] + "-compiled",
        "contracts/0/id": order_row["order_number"],
        "contracts/0/items/0/id": "1-1",
        "contracts/0/items/0/description": description,
        "contracts/0/items/0/quantity": Decimal("1.000"),
        "contracts/0/items/0/unit/value/amount": Decimal(price),
    }


def test_price_dispersion_fences_and_outliers_per_product() -> None:
    orders = [order("2026-06-01", "1.00", buyer=f"2010000000{n}") for n in range(5)]
    items = [
        item(o, p)
        for o, p in zip(orders, ("10.00", "10.00", "10.00", "10.00", "100.00"), strict=True)
    ]
    items += [item(orders[0], "0.00")]  # the -0 row's zero price is ignored
    two = [order("2026-06-01", "1.00", buyer=f"2010000001{n}") for n in range(2)]
    items += [item(o, "5.00", "TONER") for o in two]  # two entities only: not reported
    (row,) = tables([*orders, *two], items)["price-dispersion"].to_pylist()
    assert (row["product"], row["lines"], row["entities"]) == ("PAPEL BOND A4", 5, 5)
    assert (row["min_price"], row["q1_price"], row["median_price"], row["q3_price"]) == (
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("10.00"),
    )
    assert row["upper_fence"] == Decimal("10.00") and row["max_price"] == Decimal("100.00")
    assert row["outliers"] == 1 and row["max_to_median"] == 10.0 and row["flagged"] is True


def test_price_dispersion_without_outliers_is_reported_unflagged() -> None:
    orders = [order("2026-06-01", "1.00", buyer=f"2010000000{n}") for n in range(4)]
    items = [item(o, p) for o, p in zip(orders, ("10.00", "11.00", "12.00", "13.00"), strict=True)]
    (row,) = tables(orders, items)["price-dispersion"].to_pylist()
    assert (row["q1_price"], row["q3_price"], row["upper_fence"]) == (
        Decimal("10.75"),
        Decimal("12.25"),
        Decimal("14.50"),
    )
    assert row["outliers"] == 0 and row["flagged"] is False


def test_status_anomalies() -> None:
    rows = [
        order("2026-07-10", "1.00", status="PAGADA", last_status="2026-07-08T10:00:00"),
        order("2026-07-10", "1.00", status="PAGADA", last_status="2026-07-20T10:00:00"),
        order("2026-07-10", "1.00", status="RESUELTA", last_status="2026-07-15T10:00:00"),
        order("2026-07-10", "1.00", status="RESUELTA", last_status="2026-09-15T10:00:00"),
        order("2026-07-10", "1.00", status="ACEPTADA", last_status="2026-07-01T10:00:00"),
    ]
    result = tables(rows)["status-anomalies"].to_pylist()
    assert [(r["anomaly"], r["order_number"], r["days_between"]) for r in result] == [
        (PAID_BEFORE, rows[0]["order_number"], -2.0),
        (RESOLVED_SOON, rows[2]["order_number"], 5.0),
    ]
    assert result[0]["month"] == "2026-07" and result[0]["status"] == "PAGADA"


def test_every_indicator_has_its_dictionary_table_and_an_explained_page() -> None:
    assert [t.name for t in INDICATORS.values()] == [t.name for t in INDICATOR_TABLES]
    rows = [order("2026-03-02", "60000.00"), order("2026-03-04", "60000.00")]
    computed = tables(rows)
    for name, table in computed.items():
        assert table.schema.names == INDICATORS[name].names
    links = {"splitting": {"parquet": "x/splitting.parquet", "csv": "x/splitting.csv"}}
    for lang, words in (
        ("es", ("Método", "Limitaciones", "R011")),
        ("en", ("Method", "Limits", "R011")),
    ):
        page = render_page(computed, PARAMS, lang=lang, links=links, newest_day="2026-03-31")
        assert all(word in page for word in words)
        assert "100,000.00" in page and "7/30" in page
        assert 'href="x/splitting.parquet"' in page
        assert rows[0]["buyer_name"] in page
        assert page.count("<h2") == 4


@pytest.mark.parametrize("windows", ["30,7", "[7, 30]"])
def test_windows_setting_is_parsed_and_sorted(
    windows: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import load_settings

    monkeypatch.setenv("PERUCOMPRAS_INDICATORS__SPLITTING_WINDOWS", windows)
    assert load_settings().indicators.splitting_windows == [7, 30]


@pytest.mark.parametrize("descending", [True, False])
def test_the_page_lists_the_top_rows_of_a_stable_sort(descending: bool) -> None:
    """Ties keep table order, missing values are left out, as sorting every row would."""
    import random

    from publication import indicators

    rng = random.Random(3)
    keys = [rng.choice([None, 1.5, 2.0, 2.0, 3.25, 7.0]) for _ in range(200)]
    table = pa.table({"key": pa.array(keys, pa.float64()), "row": list(range(200))})
    present = [r for r in table.to_pylist() if r["key"] is not None]
    expected = sorted(present, key=lambda r: r["key"], reverse=descending)[: indicators.TOP_ROWS]
    assert indicators._top_rows(table, "key", descending) == expected


def test_a_memory_limit_holds_the_connection_and_leaves_the_tables_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        order("2026-03-02", "40000.00"),
        order("2026-03-04", "35000.00"),
        order("2026-03-06", "30000.00"),
        order("2026-03-03", "60000.00", supplier="20500000003"),
    ]
    orders = pa.Table.from_pylist(rows, schema=ORDERS.arrow_schema())
    items = pa.Table.from_pylist([], schema=ITEMS.arrow_schema())
    seen: list[tuple[Any, ...]] = []
    real_load = indicators.load

    def load(con: Any, *args: Any) -> None:
        found = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()
        seen.append(tuple(found[0]))
        real_load(con, *args)

    monkeypatch.setattr(indicators, "load", load)
    plain = compute_indicators(orders, items, PARAMS)
    held = compute_indicators(orders, items, PARAMS, memory_limit="64MB", temp=tmp_path / "spill")
    assert held == plain and plain["splitting"].num_rows > 0
    # DuckDB shows 64 MB as 61.0 MiB; unlimited it is 80% of the machine's memory.
    assert seen[1][0] == "61.0 MiB" and seen[0][0] != seen[1][0]
    assert seen[1][1] == str(tmp_path / "spill") and (tmp_path / "spill").is_dir()
