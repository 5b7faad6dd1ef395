"""Order lines, deliveries and quotations -> items, delivery milestones and bids of call-off releases.

Pure functions over the tables of ``perucompras.detailed_export`` and ``perucompras.quotations``
(no Dagster). Each call-off release gets, for its order (``contracts[0].id``):

- ``contracts[0].items``: one item per product line (id ``{delivery}-{n}``), quantity, unit price
  (IGV excluded) and the delivery address (location extension, ``items[].deliveryAddress``);
- ``contracts[0].implementation.milestones``: one ``delivery`` milestone per delivery, due at
  the end of ``Fecha Fin Entrega``, its status from the order's status (``mapping.STATUS_RULES``:
  ``met`` with ``dateMet`` once paid, ``notMet`` with ``dateModified`` when the contract ended
  without it, else ``scheduled``; the delivery's own status, as exported, is quoted in the
  description, never mapped), after the payment milestone the mapping may have set;
- ``contracts[0].period``: from the first delivery window's start to the last one's end;
- ``bids`` (bids extension): statistics and, given the quotations themselves, one bid per
  quotation (status ``valid``), its supplier added to ``parties`` with role ``tenderer``; the
  award points to the selected quotation through ``awards[].relatedBid``.

The release id is recomputed (it hashes the content), so the result stays deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ocds_mappings.mapping import (
    CURRENCY,
    PARTY_ID_PREFIX,
    PARTY_SCHEME,
    cents_to_number,
    close_milestone,
    party_id,
    release_id,
    status_rule,
)
from perucompras.detailed_export import DELIVERY_KEY_COLUMNS, QUANTITY_SCALE

UNIT_NAME = "Unidad"
COUNTRY_NAME = "Perú"
LINE_COLUMNS = (
    "order_number",
    "delivery_number",
    "line_id",
    "source_line",
    "product_description",
    "brand",
    "part_number",
    "category",
    "quantity_milli",
    "unit_price_cents",
    "department",
    "province",
    "district",
    "delivery_address",
)
DELIVERY_COLUMNS = ("order_number", "delivery_number", "status", *DELIVERY_KEY_COLUMNS)
QUOTATION_COLUMNS = (
    "order_number",
    "source_line",
    "supplier_ruc",
    "supplier_name",
    "total_cents",
    "quoted_at",
    "selected",
)
SUMMARY_COLUMNS = (
    "order_number",
    "quotation_count",
    "supplier_count",
    "selected_count",
    "selected_supplier_ruc",
    "min_total_cents",
    "max_total_cents",
)


def quantity_number(milli: int) -> int | float:
    """Exact JSON number for a quantity in thousandths (an int when whole)."""
    whole, fraction = divmod(milli, QUANTITY_SCALE)
    return whole if fraction == 0 else milli / QUANTITY_SCALE


def _rows_by_order(
    table: pa.Table | None, columns: Iterable[str], orders: pa.Array, sort: list[tuple[str, str]]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``table`` for ``orders``, sorted, grouped by order number."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if table is None or table.num_rows == 0:
        return grouped
    names = list(columns)
    missing = [name for name in names if name not in table.column_names]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)} (see docs/source-formats.md)")
    subset = table.select(names).filter(pc.is_in(table["order_number"], value_set=orders))
    for row in subset.sort_by([("order_number", "ascending"), *sort]).to_pylist():
        grouped[row["order_number"]].append(row)
    return grouped


def _address(row: Mapping[str, Any]) -> dict[str, str]:
    """OCDS Address of a delivery: street, district (and province), department, Perú."""
    address = {"countryName": COUNTRY_NAME}
    if row.get("delivery_address"):
        address["streetAddress"] = row["delivery_address"]
    locality = ", ".join(part for part in (row.get("district"), row.get("province")) if part)
    if locality:
        address["locality"] = locality
    if row.get("department"):
        address["region"] = row["department"]
    return address


def _item(line: Mapping[str, Any]) -> dict[str, Any]:
    """A contract item for one product line."""
    description = line["product_description"]
    extras = [
        f"marca {line['brand']}" if line.get("brand") else None,
        f"n.° de parte {line['part_number']}" if line.get("part_number") else None,
        f"categoría {line['category']}" if line.get("category") else None,
    ]
    extras_text = ", ".join(part for part in extras if part)
    return {
        "id": line["line_id"],
        "description": f"{description} ({extras_text})" if extras_text else description,
        "quantity": quantity_number(line["quantity_milli"]),
        "unit": {
            "name": UNIT_NAME,
            "value": {"amount": cents_to_number(line["unit_price_cents"]), "currency": CURRENCY},
        },
        "deliveryAddress": _address(line),
    }


def _milestone(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery milestone, due at the end of the delivery window (status set by the caller)."""
    number = delivery["delivery_number"]
    place = ", ".join(
        part
        for part in (
            delivery.get("delivery_address"),
            delivery.get("district"),
            delivery.get("province"),
            delivery.get("department"),
        )
        if part
    )
    status = f" Estado de la entrega: {delivery['status']}." if delivery.get("status") else ""
    return {
        "id": f"delivery-{number}",
        "title": f"Entrega {number}",
        "type": "delivery",
        "description": (
            f"Plazo de entrega: {delivery['delivery_days']} días, del "
            f"{delivery['delivery_start'][:10]} al {delivery['delivery_end'][:10]}. "
            f"Lugar de entrega: {place}.{status}"
        ),
        "dueDate": delivery["delivery_end"],
    }


def _period(deliveries: list[dict[str, Any]]) -> dict[str, str] | None:
    """The contract's period: first delivery window start to last window end (when known)."""
    starts = [d["delivery_start"] for d in deliveries if d.get("delivery_start")]
    ends = [d["delivery_end"] for d in deliveries if d.get("delivery_end")]
    period = {}
    if starts:
        period["startDate"] = min(starts)
    if ends:
        period["endDate"] = max(ends)
    return period or None


def _statistics(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """bids.statistics from one order's quotation summary (every quotation counts as valid)."""
    return [
        {"id": "bids", "measure": "bids", "value": summary["quotation_count"]},
        {"id": "validBids", "measure": "validBids", "value": summary["quotation_count"]},
        {"id": "bidders", "measure": "bidders", "value": summary["supplier_count"]},
        {
            "id": "lowestValidBidValue",
            "measure": "lowestValidBidValue",
            "value": cents_to_number(summary["min_total_cents"]),
            "currency": CURRENCY,
        },
        {
            "id": "highestValidBidValue",
            "measure": "highestValidBidValue",
            "value": cents_to_number(summary["max_total_cents"]),
            "currency": CURRENCY,
        },
    ]


def _summaries(quotations: _Quotes) -> dict[str, Any]:
    """The summary fields ``_statistics`` needs, from one order's quotations."""
    rucs, totals, selected = quotations.rucs, quotations.totals, quotations.selected
    chosen = [ruc for ruc, flag in zip(rucs, selected, strict=True) if flag]
    return {
        "quotation_count": len(rucs),
        "supplier_count": len(set(rucs)),
        "selected_count": len(chosen),
        "selected_supplier_ruc": chosen[0] if len(chosen) == 1 else None,
        "min_total_cents": min(totals),
        "max_total_cents": max(totals),
    }


@dataclass(frozen=True)
class _Quotes:
    """One order's quotations as columns, in bid order (quoted at, RUC, source line)."""

    rucs: list[str]
    dates: list[str]
    totals: list[int]
    selected: list[bool]


def _quotes_by_order(quotations: pa.Table | None, orders: pa.Array) -> dict[str, _Quotes]:
    """The quotations of ``orders`` grouped by order number, columns sliced per order (a day
    holds ~60k: no dict per row)."""
    if quotations is None or quotations.num_rows == 0:
        return {}
    missing = [name for name in QUOTATION_COLUMNS if name not in quotations.column_names]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)} (see docs/source-formats.md)")
    table = (
        quotations.select(list(QUOTATION_COLUMNS))
        .filter(pc.is_in(quotations["order_number"], value_set=orders))
        .sort_by(
            [
                ("order_number", "ascending"),
                ("quoted_at", "ascending"),
                ("supplier_ruc", "ascending"),
                ("source_line", "ascending"),
            ]
        )
    )
    numbers = table["order_number"].to_pylist()
    rucs = table["supplier_ruc"].to_pylist()
    dates = table["quoted_at"].to_pylist()
    totals = table["total_cents"].to_pylist()
    selected = table["selected"].to_pylist()
    grouped: dict[str, _Quotes] = {}
    start = 0
    for end in range(1, len(numbers) + 1):
        if end == len(numbers) or numbers[end] != numbers[start]:
            grouped[numbers[start]] = _Quotes(
                rucs[start:end], dates[start:end], totals[start:end], selected[start:end]
            )
            start = end
    return grouped


def _tenderer_names(quotations: pa.Table | None, orders: pa.Array) -> dict[str, str]:
    """One name per quoting RUC: the one on its most recent quotation (then latest line)."""
    if quotations is None or quotations.num_rows == 0:
        return {}
    table = quotations.select(
        ["order_number", "supplier_ruc", "supplier_name", "quoted_at", "source_line"]
    )
    table = table.filter(pc.is_in(table["order_number"], value_set=orders)).sort_by(
        [("supplier_ruc", "ascending"), ("quoted_at", "ascending"), ("source_line", "ascending")]
    )
    return dict(
        zip(table["supplier_ruc"].to_pylist(), table["supplier_name"].to_pylist(), strict=True)
    )


def _add_tenderers(release: dict[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """Give every quoting RUC a party with role ``tenderer``; return RUC -> name used."""
    parties = release.setdefault("parties", [])
    by_id = {party["id"]: party for party in parties}
    used = {}
    for ruc in sorted(names):
        party = by_id.get(party_id(ruc))
        if party is None:
            party = {
                "id": party_id(ruc),
                "name": names[ruc],
                "identifier": {"scheme": PARTY_SCHEME, "id": ruc, "legalName": names[ruc]},
                "roles": ["tenderer"],
            }
            parties.append(party)
        elif "tenderer" not in party.setdefault("roles", []):
            party["roles"].append("tenderer")
        used[ruc] = party["name"]
    return used


def _bids(release: dict[str, Any], quotations: _Quotes, names: Mapping[str, str]) -> dict[str, Any]:
    """bids.details for one order's quotations (parties updated); sets awards[0].relatedBid."""
    rucs = quotations.rucs
    used = _add_tenderers(release, {ruc: names[ruc] for ruc in rucs})
    seen: dict[str, int] = defaultdict(int)
    details = []
    selected_ids = []
    for ruc, date, total, selected in zip(
        rucs, quotations.dates, quotations.totals, quotations.selected, strict=True
    ):
        seen[ruc] += 1
        bid_id = f"COT-{ruc}" if seen[ruc] == 1 else f"COT-{ruc}-{seen[ruc]}"
        details.append(
            {
                "id": bid_id,
                "date": date,
                "status": "valid",
                "tenderers": [{"id": PARTY_ID_PREFIX + ruc, "name": used[ruc]}],
                "value": {"amount": cents_to_number(total), "currency": CURRENCY},
            }
        )
        if selected:
            selected_ids.append((ruc, bid_id))
    awards = release.get("awards") or []
    if len(selected_ids) == 1 and awards:
        ruc, bid_id = selected_ids[0]
        if any(supplier.get("id") == party_id(ruc) for supplier in awards[0].get("suppliers", [])):
            awards[0]["relatedBid"] = bid_id
    return {"statistics": _statistics(_summaries(quotations)), "details": details}


def attach_details(
    releases: Iterable[Mapping[str, Any]],
    *,
    lines: pa.Table | None = None,
    deliveries: pa.Table | None = None,
    quotations: pa.Table | None = None,
    copy: bool = True,
    ids: bool = False,
) -> list[dict[str, Any]]:
    """Copies of ``releases`` with items, delivery milestones and bids added to call-offs
    (``copy=False``: the releases themselves, changed in place, for a caller that owns them;
    ``ids``: every call-off's id set, changed or not, as from ``map_orders(release_ids=False)``).

    ``quotations`` is either the quotations table (``perucompras.quotations.QUOTATION_SCHEMA``:
    bid details, tenderer parties and statistics) or ``quotation_summary(...)`` (statistics
    only). Releases that are not call-offs (no contract), or whose order has no details, are
    returned unchanged.
    """
    copies = (
        [orjson.loads(orjson.dumps(release)) for release in releases]
        if copy
        else [release if isinstance(release, dict) else dict(release) for release in releases]
    )
    call_offs = [r for r in copies if r.get("contracts")]
    orders = pa.array(sorted({r["contracts"][0]["id"] for r in call_offs}), pa.string())
    lines_by_order = _rows_by_order(
        lines,
        LINE_COLUMNS,
        orders,
        [("delivery_number", "ascending"), ("source_line", "ascending")],
    )
    deliveries_by_order = _rows_by_order(
        deliveries, DELIVERY_COLUMNS, orders, [("delivery_number", "ascending")]
    )
    summary_only = quotations is not None and "quotation_count" in quotations.column_names
    if summary_only:
        summaries = {
            rows[0]["order_number"]: rows[0]
            for rows in _rows_by_order(quotations, SUMMARY_COLUMNS, orders, []).values()
        }
        quotes_by_order: dict[str, _Quotes] = {}
        names: dict[str, str] = {}
    else:
        summaries = {}
        quotes_by_order = _quotes_by_order(quotations, orders)
        names = _tenderer_names(quotations, orders)

    for release in call_offs:
        contract = release["contracts"][0]
        order_number = contract["id"]
        changed = False
        order_lines = lines_by_order.get(order_number)
        if order_lines:
            contract["items"] = [_item(line) for line in order_lines]
            changed = True
        order_deliveries = deliveries_by_order.get(order_number)
        if order_deliveries:
            rule = status_rule(contract["statusDetails"])
            milestones = [_milestone(d) for d in order_deliveries]
            for milestone in milestones:
                close_milestone(milestone, rule, release["date"])
            implementation = contract.setdefault("implementation", {})
            implementation["milestones"] = [*implementation.get("milestones", []), *milestones]
            period = _period(order_deliveries)
            if period:
                contract["period"] = period
            changed = True
        if order_number in quotes_by_order:
            release["bids"] = _bids(release, quotes_by_order[order_number], names)
            changed = True
        elif order_number in summaries:
            release["bids"] = {"statistics": _statistics(summaries[order_number])}
            changed = True
        if changed or ids:
            release["id"] = release_id(release, release["tender"]["id"])
    return copies
