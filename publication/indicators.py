"""Red-flag indicators, computed with DuckDB on the published flat tables, per month.

Four indicators, each a table of the data dictionary, published as Parquet and CSV with the
bulk files and explained on ``indicadores.html`` / ``indicators.html`` (method, parameters,
how it relates to OCP's red flags and Cardinal, caveats):

- possible splitting (cf. OCP R011/R055): orders of one entity to one supplier under one
  framework agreement, each below the Gran Compra threshold, formalised within a window of
  W calendar days and adding up to the threshold or more;
- supplier concentration (cf. OCP R040/R050/R051): top supplier's share and HHI of the
  amount per month, per entity and agreement and per agreement;
- price dispersion (cf. OCP R016/R017): unit prices of the same product (agreement and
  description) across entities in a month, quartiles and Tukey's upper fence (as Cardinal's
  outlier indicators);
- status anomalies (no red-flag code; data-quality warnings): paid before formalised,
  resolved shortly after formalisation.

The inputs are the published ``orders`` table (latest state: no order counted twice) and
``items`` table; every query is deterministic (exact decimal sums, explicit tie-breaks).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from messages import text
from publication.dictionary import (
    INDICATOR_CONCENTRATION,
    INDICATOR_PRICES,
    INDICATOR_SPLITTING,
    INDICATOR_STATUS,
    TIMEZONE,
    Lang,
    Table,
)
from settings import Indicators

INDICATOR_VERSION = "indicators/1"
ORDINARY = "Compra ordinaria"
CANCELLED = "cancelled"
PAID, RESOLVED = "PAGADA", "RESUELTA"
PAID_BEFORE, RESOLVED_SOON = "paid_before_formalised", "resolved_soon_after_acceptance"
PAGES: dict[Lang, str] = {"es": "indicadores.html", "en": "indicators.html"}
INDICATORS: dict[str, Table] = {
    "splitting": INDICATOR_SPLITTING,
    "concentration": INDICATOR_CONCENTRATION,
    "price-dispersion": INDICATOR_PRICES,
    "status-anomalies": INDICATOR_STATUS,
}


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in Lima time (months and days are Lima's)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = ?", [TIMEZONE])
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    return con


Source: TypeAlias = Path | Sequence[Path] | pa.Table


def load(con: duckdb.DuckDBPyConnection, orders: Source, items: Source) -> None:
    """Expose the orders and items tables (Parquet files, one after the other, or Arrow
    tables) as views."""
    for name, source in (("orders", orders), ("items", items)):
        if isinstance(source, pa.Table):
            con.register(f"{name}_arrow", source)
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_arrow")
        else:
            paths = [source] if isinstance(source, Path) else list(source)
            literal = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{literal}])")


def _arrow(rows: Sequence[dict[str, Any]], definition: Table) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=definition.arrow_schema())


def splitting(con: duckdb.DuckDBPyConnection, params: Indicators) -> pa.Table:
    """Possible splitting: for each window length, the non-overlapping groups (earliest first)
    of an entity's orders to one supplier under one agreement, each below the threshold,
    formalised within the window and adding up to the threshold or more."""
    threshold = Decimal(params.gran_compra_threshold)
    rows: list[dict[str, Any]] = []
    for days in params.splitting_windows:
        candidates = con.sql(
            """
            WITH base AS (
                SELECT order_number, buyer_ruc, buyer_name, supplier_ruc, supplier_name,
                       agreement_code, formalized_date, total,
                       formalized_date - DATE '1970-01-01' AS day_number
                FROM orders
                WHERE procedure_type = $ordinary AND contract_status IS DISTINCT FROM $cancelled
                  AND total < $threshold AND agreement_code IS NOT NULL
            ), framed AS (
                SELECT *, count(*) OVER w AS orders, sum(total) OVER w AS window_total,
                       max(total) OVER w AS largest, max(formalized_date) OVER w AS window_end,
                       list(order_number) OVER w AS numbers
                FROM base
                WINDOW w AS (PARTITION BY buyer_ruc, supplier_ruc, agreement_code
                             ORDER BY day_number
                             RANGE BETWEEN CURRENT ROW AND $span FOLLOWING)
            )
            SELECT DISTINCT buyer_ruc, supplier_ruc, agreement_code, formalized_date AS start,
                   window_end, orders, window_total, largest,
                   array_to_string(list_sort(numbers), ';') AS numbers,
                   min(buyer_name) OVER g AS buyer_name,
                   min(supplier_name) OVER g AS supplier_name
            FROM framed
            WHERE orders >= $min_orders AND window_total >= $threshold
            WINDOW g AS (PARTITION BY buyer_ruc, supplier_ruc, agreement_code, formalized_date)
            ORDER BY buyer_ruc, supplier_ruc, agreement_code, start
            """,
            params={
                "ordinary": ORDINARY,
                "cancelled": CANCELLED,
                "threshold": threshold,
                "span": days - 1,
                "min_orders": params.splitting_min_orders,
            },
        ).fetchall()
        last_end: dict[tuple[str, str, str], Any] = {}
        for (
            buyer,
            supplier,
            agreement,
            start,
            end,
            count,
            total,
            largest,
            numbers,
            buyer_name,
            supplier_name,
        ) in candidates:
            group = (buyer, supplier, agreement)
            if group in last_end and start <= last_end[group]:
                continue
            last_end[group] = end
            rows.append(
                {
                    "month": f"{start:%Y-%m}",
                    "buyer_ruc": buyer,
                    "buyer_name": buyer_name,
                    "supplier_ruc": supplier,
                    "supplier_name": supplier_name,
                    "agreement_code": agreement,
                    "window_days": days,
                    "window_start": start,
                    "window_end": end,
                    "orders": count,
                    "total": total,
                    "largest_order": largest,
                    "threshold": threshold,
                    "order_numbers": numbers,
                }
            )
    rows.sort(
        key=lambda r: (
            r["month"],
            r["window_days"],
            r["buyer_ruc"],
            r["supplier_ruc"],
            r["agreement_code"],
            r["window_start"],
        )
    )
    return _arrow(rows, INDICATOR_SPLITTING)


def concentration(con: duckdb.DuckDBPyConnection, params: Indicators) -> pa.Table:
    """Top supplier's share and HHI of the amount per month, per entity and agreement and per
    agreement (groups with at least the minimum number of orders)."""
    table = con.sql(
        """
        WITH base AS (
            SELECT strftime(formalized_date, '%Y-%m') AS month, buyer_ruc, buyer_name,
                   agreement_code, supplier_ruc, supplier_name, total
            FROM orders
            WHERE contract_status IS DISTINCT FROM $cancelled AND agreement_code IS NOT NULL
        ), scoped AS (
            SELECT 'entity_agreement' AS scope, month, buyer_ruc, agreement_code, supplier_ruc,
                   total FROM base
            UNION ALL
            SELECT 'agreement', month, NULL, agreement_code, supplier_ruc, total FROM base
        ), by_supplier AS (
            SELECT scope, month, buyer_ruc, agreement_code, supplier_ruc,
                   sum(total) AS value, count(*) AS orders
            FROM scoped GROUP BY ALL
        ), ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY scope, month, buyer_ruc, agreement_code
                ORDER BY value DESC, supplier_ruc) AS rank
            FROM by_supplier
        ), groups AS (
            SELECT scope, month, buyer_ruc, agreement_code, sum(orders)::INTEGER AS orders,
                   count(*)::INTEGER AS suppliers, sum(value) AS total,
                   sum(value * value) AS squares,
                   max(CASE WHEN rank = 1 THEN supplier_ruc END) AS supplier_ruc,
                   max(CASE WHEN rank = 1 THEN value END) AS top_value
            FROM ranked GROUP BY ALL
        )
        SELECT g.month, g.scope, g.buyer_ruc,
               (SELECT min(buyer_name) FROM base b WHERE b.buyer_ruc = g.buyer_ruc) AS buyer_name,
               g.agreement_code, g.orders, g.suppliers, g.total, g.supplier_ruc,
               (SELECT min(supplier_name) FROM base b WHERE b.supplier_ruc = g.supplier_ruc)
                   AS supplier_name,
               CASE WHEN g.total > 0
                    THEN round(CAST(g.top_value AS DOUBLE) / CAST(g.total AS DOUBLE), 6) END
                   AS top_share,
               CASE WHEN g.total > 0
                    THEN round(10000 * CAST(g.squares AS DOUBLE)
                               / (CAST(g.total AS DOUBLE) * CAST(g.total AS DOUBLE)), 2) END
                   AS hhi
        FROM groups g
        WHERE g.orders >= $min_orders
        ORDER BY g.month, g.scope DESC, g.agreement_code, g.buyer_ruc
        """,
        params={"cancelled": CANCELLED, "min_orders": params.concentration_min_orders},
    ).to_arrow_table()
    flagged = [
        hhi is not None and hhi >= params.concentration_hhi_flag for hhi in table["hhi"].to_pylist()
    ]
    table = table.append_column("flagged", pa.array(flagged, pa.bool_()))
    return table.select(INDICATOR_CONCENTRATION.names).cast(INDICATOR_CONCENTRATION.arrow_schema())


def price_dispersion(con: duckdb.DuckDBPyConnection, params: Indicators) -> pa.Table:
    """Unit prices of the same product (agreement and description) across entities, per
    month: quartiles, Tukey's upper fence and the lines above it."""
    table = con.sql(
        """
        WITH lines AS (
            SELECT strftime(o.formalized_date, '%Y-%m') AS month, o.agreement_code,
                   i."contracts/0/items/0/description" AS product,
                   i."contracts/0/items/0/unit/value/amount" AS price, o.buyer_ruc
            FROM items i JOIN orders o ON i.ocid = o.ocid
            WHERE i."contracts/0/items/0/unit/value/amount" > 0
              AND o.contract_status IS DISTINCT FROM $cancelled
              AND o.agreement_code IS NOT NULL AND i."contracts/0/items/0/description" IS NOT NULL
        ), stats AS (
            SELECT month, agreement_code, product, count(*)::INTEGER AS lines,
                   count(DISTINCT buyer_ruc)::INTEGER AS entities, min(price) AS min_price,
                   round(quantile_cont(CAST(price AS DOUBLE), 0.25), 2)::DECIMAL(18, 2) AS q1,
                   round(quantile_cont(CAST(price AS DOUBLE), 0.5), 2)::DECIMAL(18, 2) AS median,
                   round(quantile_cont(CAST(price AS DOUBLE), 0.75), 2)::DECIMAL(18, 2) AS q3,
                   max(price) AS max_price
            FROM lines GROUP BY ALL
            HAVING count(DISTINCT buyer_ruc) >= $min_entities
        ), fenced AS (
            SELECT *, CAST(q3 + 1.5 * (q3 - q1) AS DECIMAL(18, 2)) AS upper_fence FROM stats
        )
        SELECT f.month, f.agreement_code, f.product, f.lines, f.entities, f.min_price,
               f.q1 AS q1_price, f.median AS median_price, f.q3 AS q3_price, f.max_price,
               f.upper_fence,
               (SELECT count(*) FROM lines l WHERE l.month = f.month
                  AND l.agreement_code = f.agreement_code AND l.product = f.product
                  AND l.price > f.upper_fence)::INTEGER AS outliers,
               CASE WHEN f.median > 0 THEN round(CAST(f.max_price AS DOUBLE)
                    / CAST(f.median AS DOUBLE), 4) END AS max_to_median
        FROM fenced f
        ORDER BY f.month, f.agreement_code, f.product
        """,
        params={"cancelled": CANCELLED, "min_entities": params.price_min_entities},
    ).to_arrow_table()
    flagged = [count > 0 for count in table["outliers"].to_pylist()]
    table = table.append_column("flagged", pa.array(flagged, pa.bool_()))
    return table.select(INDICATOR_PRICES.names).cast(INDICATOR_PRICES.arrow_schema())


def status_anomalies(con: duckdb.DuckDBPyConnection, params: Indicators) -> pa.Table:
    """Orders PAGADA dated before their formalisation, and orders RESUELTA within the set
    number of days of it."""
    table = con.sql(
        """
        SELECT strftime(formalized_date, '%Y-%m') AS month,
               CASE WHEN status = $paid THEN $paid_before ELSE $resolved_soon END AS anomaly,
               ocid, order_number, buyer_ruc, buyer_name, supplier_ruc, supplier_name,
               agreement_code, status, formalized_at, last_status_at,
               round((epoch(last_status_at) - epoch(formalized_at)) / 86400.0, 2) AS days_between,
               total
        FROM orders
        WHERE (status = $paid AND last_status_at < formalized_at)
           OR (status = $resolved
               AND epoch(last_status_at) - epoch(formalized_at) <= $days * 86400)
        ORDER BY month, anomaly, order_number
        """,
        params={
            "paid": PAID,
            "resolved": RESOLVED,
            "paid_before": PAID_BEFORE,
            "resolved_soon": RESOLVED_SOON,
            "days": params.resolved_within_days,
        },
    ).to_arrow_table()
    return table.select(INDICATOR_STATUS.names).cast(INDICATOR_STATUS.arrow_schema())


COMPUTE = {
    "splitting": splitting,
    "concentration": concentration,
    "price-dispersion": price_dispersion,
    "status-anomalies": status_anomalies,
}


def compute_indicators(
    orders: Source,
    items: Source,
    params: Indicators,
    *,
    memory_limit: str | None = None,
    temp: Path | None = None,
) -> dict[str, pa.Table]:
    """Every indicator table from the orders and items tables (DuckDB held to
    ``memory_limit``, spilling to ``temp``, when given)."""
    con = connect()
    try:
        if memory_limit is not None:
            con.execute("SET memory_limit = ?", [memory_limit])
        if temp is not None:
            temp.mkdir(parents=True, exist_ok=True)
            con.execute("SET temp_directory = ?", [str(temp)])
        load(con, orders, items)
        return {name: function(con, params) for name, function in COMPUTE.items()}
    finally:
        con.close()


def indicator_file(dataset: str, name: str, fmt: str) -> str:
    """File name of one indicator table."""
    return f"{dataset}-indicator-{name}.{fmt}"


# ----------------------------------------------------------------------------- the page

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.45}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}"
    "th,td{border-bottom:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}"
    "td.n{text-align:right;white-space:nowrap}code{font-size:.85em}"
    ".caveat{background:#fff8e1;padding:.5rem .8rem;border-left:4px solid #f0b400}"
)
TOP_ROWS = 20
PAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "splitting": (
        "month",
        "buyer_name",
        "supplier_name",
        "agreement_code",
        "window_days",
        "orders",
        "total",
        "largest_order",
    ),
    "concentration": (
        "month",
        "scope",
        "buyer_name",
        "agreement_code",
        "orders",
        "suppliers",
        "supplier_name",
        "top_share",
        "hhi",
    ),
    "price-dispersion": (
        "month",
        "agreement_code",
        "product",
        "entities",
        "median_price",
        "max_price",
        "upper_fence",
        "outliers",
    ),
    "status-anomalies": (
        "month",
        "anomaly",
        "order_number",
        "buyer_name",
        "status",
        "days_between",
        "total",
    ),
}
_SORT = {
    "splitting": ("total", True),
    "concentration": ("hhi", True),
    "price-dispersion": ("max_to_median", True),
    "status-anomalies": ("days_between", False),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return html.escape(str(value))


def _flagged(table: pa.Table) -> pa.Table:
    if "flagged" in table.column_names:
        return table.filter(table["flagged"])
    return table


def _top_rows(table: pa.Table, column: str, descending: bool) -> list[dict[str, Any]]:
    """The ``TOP_ROWS`` rows with the highest (lowest) ``column`` among those that have one,
    ties in table order (a stable sort); only those rows are turned into Python values."""
    present = table.filter(pc.is_valid(table[column]))
    keys = present[column].to_pylist()
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)[:TOP_ROWS]
    return present.take(pa.array(order, pa.int64())).to_pylist()


def render_page(
    tables: dict[str, pa.Table],
    params: Indicators,
    *,
    lang: Lang,
    links: dict[str, dict[str, str]],
    newest_day: str,
) -> str:
    """The indicators page: per indicator its method, parameters, relation to OCP/Cardinal,
    caveats, flags per month and the most notable rows; links to the full tables."""
    other = "indicators.html" if lang == "es" else "indicadores.html"
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{html.escape(text('indicators.title', lang))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<p><a href="index.html">{html.escape(text("indicators.home", lang))}</a> · '
        f'<a href="{other}">{html.escape(text("indicators.other_language", lang))}</a></p>',
        f"<h1>{html.escape(text('indicators.title', lang))}</h1>",
        f"<p>{html.escape(text('indicators.intro', lang, date=newest_day))}</p>",
        f'<p class="caveat">{html.escape(text("indicators.not_proof", lang))}</p>',
    ]
    values = {
        "threshold": f"{Decimal(params.gran_compra_threshold):,.2f}",
        "windows": "/".join(str(days) for days in params.splitting_windows),
        "min_orders": str(params.splitting_min_orders),
        "concentration_min": str(params.concentration_min_orders),
        "hhi": str(params.concentration_hhi_flag),
        "min_entities": str(params.price_min_entities),
        "days": str(params.resolved_within_days),
    }
    for name, table in tables.items():
        definition = INDICATORS[name]
        key = name.replace("-", "_")
        flagged = _flagged(table)
        parts.append(f'<h2 id="{name}">{html.escape(definition.title(lang))}</h2>')
        for section in ("method", "reference", "caveats"):
            parts.append(
                f"<p><strong>{html.escape(text(f'indicators.{section}', lang))}.</strong> "
                f"{html.escape(text(f'indicators.{key}.{section}', lang, **values))}</p>"
            )
        downloads = " · ".join(
            f'<a href="{html.escape(href)}">{fmt.upper()}</a>'
            for fmt, href in sorted(links.get(name, {}).items())
        )
        parts.append(
            f"<p>{html.escape(text('indicators.rows', lang, rows=table.num_rows, flagged=flagged.num_rows))}"
            f" {downloads}</p>"
        )
        months = sorted(set(flagged["month"].to_pylist()))
        if months:
            counts = {m: 0 for m in months}
            for month in flagged["month"].to_pylist():
                counts[month] += 1
            parts.append(
                f"<table><thead><tr><th>{html.escape(text('indicators.month', lang))}</th>"
                f"<th>{html.escape(text('indicators.flags', lang))}</th></tr></thead><tbody>"
                + "".join(
                    f"<tr><td>{m}</td><td class=n>{counts[m]}</td></tr>" for m in reversed(months)
                )
                + "</tbody></table>"
            )
            column, descending = _SORT[name]
            rows = _top_rows(flagged, column, descending)
            head = "".join(f"<th>{html.escape(c)}</th>" for c in PAGE_COLUMNS[name])
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td{' class=n' if isinstance(row[c], int | float | Decimal) else ''}>"
                    f"{_cell(row[c])}</td>"
                    for c in PAGE_COLUMNS[name]
                )
                + "</tr>"
                for row in rows
            )
            parts.append(
                f"<p>{html.escape(text('indicators.top', lang, rows=len(rows)))}</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
        else:
            parts.append(f"<p>{html.escape(text('indicators.none', lang))}</p>")
    parts.append(
        f'<p><a href="{"diccionario.html" if lang == "es" else "dictionary.html"}">'
        f"{html.escape(text('indicators.dictionary', lang))}</a></p></body></html>\n"
    )
    return "".join(parts)


def read_tables(folder: Path, dataset: str) -> dict[str, pa.Table]:
    """The published indicator tables of a bulk folder."""
    return {
        name: pq.read_table(folder / indicator_file(dataset, name, "parquet"))
        for name in INDICATORS
        if (folder / indicator_file(dataset, name, "parquet")).is_file()
    }
