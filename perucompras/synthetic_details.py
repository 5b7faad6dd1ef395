"""Deterministic synthetic detailed exports and quotation files consistent with a monthly file.

Both generators take the month's orders (the normalised table of ``perucompras.reader`` or the
monthly file itself, e.g. one written by ``perucompras.synthetic.generate_month``) and keep its
order numbers, suppliers and totals. The detailed export is an XLSX in the layout of the portal's
"Detallado" export (title rows, the 54 columns, order rows ``-0`` with zero unit prices, then one
row per product and delivery) whose lines add up exactly to each order; the selected quotation of
every order is its supplier's at the order's TOTAL. Output is byte-identical for the same inputs
and seed. Formats: docs/source-formats.md.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.detailed_export import (
    EXPORT_COLUMNS,
    FILE_PREFIX,
    FILE_SUFFIX,
    ORDER_ROW,
    PORTAL_HEADERS,
    QUANTITY_SCALE,
    SHEET_NAME,
    TITLE,
)
from perucompras.quotations import QUOTATION_COLUMNS, SELECTED, UNSELECTED
from perucompras.reader import SEPARATOR, read_monthly_file
from perucompras.synthetic import build_pools, mark_synthetic

QUOTATIONS_PER_ORDER = 59_787_821 / 393_734  # reported by PERÚ COMPRAS for 2019 – July 2022
QUOTATION_CHUNK_ORDERS = 1_024
DAY_SECONDS = 86_400
LIMA_OFFSET_SECONDS = 5 * 3600
MAX_DELIVERIES = 8
WRITE_BATCH_ROWS = 4_096
TITLE_ROWS = 5  # title, agreement, catalogue, date range, an empty row; the header is row 6
SYNTHETIC_NOTE = (
    "DATOS SINTÉTICOS generados por perucompras-abierto con el formato de la exportación "
    "'Detallado' de ConsultaOrdenesPub: no es una exportación real"
)

# (description, brand, part number, category, catalogue)
_PRODUCTS = (
    ("PAPEL BOND 75 G TAMAÑO A4 X 500 HOJAS", "ATLAS", "PB-A4-75", "PAPEL BOND", "PAPELES"),
    ("PAPEL BOND 80 G TAMAÑO A4 X 500 HOJAS", "REPORT", "RP-A4-80", "PAPEL BOND", "PAPELES"),
    ("TÓNER DE IMPRESIÓN NEGRO 26A", "HP", "CF226A", "TÓNER", "CONSUMIBLES"),
    ("TÓNER DE IMPRESIÓN NEGRO TN-1060", "BROTHER", "TN-1060", "TÓNER", "CONSUMIBLES"),
    ("CARTUCHO DE TINTA CIAN 664", "EPSON", "T664220", "TINTA", "CONSUMIBLES"),
    (
        "COMPUTADORA DE ESCRITORIO CORE I7 16 GB",
        "LENOVO",
        "11T3S0X300",
        "COMPUTADORA DE ESCRITORIO",
        "COMPUTADORAS DE ESCRITORIO",
    ),
    (
        "COMPUTADORA PORTÁTIL CORE I5 8 GB",
        "DELL",
        "LAT3540-I5",
        "COMPUTADORA PORTÁTIL",
        "COMPUTADORAS PORTÁTILES",
    ),
    ("MONITOR LED 23.8 PULGADAS", "LG", "24MK430H", "MONITOR", "COMPUTADORAS DE ESCRITORIO"),
    ("ESCÁNER DOCUMENTAL 40 PPM", "FUJITSU", "PA03810-B001", "ESCANER DE DOCUMENTOS", "ESCÁNERES"),
    ("LEJÍA ÓXIDO CLORO 5% X 4 L", "CLOROX", "CLX-4000", "LEJÍA", "MATERIALES DE LIMPIEZA"),
    ("PAPEL HIGIÉNICO DOBLE HOJA X 24 ROLLOS", "ELITE", "ELT-24DH", "PAPEL HIGIÉNICO", "ASEO"),
    ("JABÓN LÍQUIDO ANTIBACTERIAL X 1 L", "PROMASOL", "JL-1000", "JABÓN LÍQUIDO", "ASEO"),
    ("MASCARILLA KN95 X 20 UNIDADES", "3M", "KN95-20", "MASCARILLA", "PROTECCIÓN PERSONAL"),
    (
        "GUANTES DE NITRILO TALLA M X 100",
        "TOP GLOVE",
        "NIT-M-100",
        "GUANTES",
        "PROTECCIÓN PERSONAL",
    ),
    (
        "ARCHIVADOR DE PALANCA LOMO ANCHO",
        "ARTESCO",
        "AP-LA-01",
        "ARCHIVADOR",
        "ÚTILES DE ESCRITORIO",
    ),
    (
        "LAPICERO TINTA SECA AZUL X 50",
        "FABER-CASTELL",
        "LP-AZ-50",
        "LAPICERO",
        "ÚTILES DE ESCRITORIO",
    ),
    ("PROYECTOR MULTIMEDIA 3600 LÚMENES", "EPSON", "V11H972020", "PROYECTOR", "MULTIMEDIA"),
    ("CAMIONETA PICK UP 4X4 DOBLE CABINA", "TOYOTA", "HILUX-4X4-DC", "CAMIONETA", "VEHÍCULOS"),
    ("NEUMÁTICO 265/70 R16", "BRIDGESTONE", "DUELER-265", "NEUMÁTICO", "LLANTAS Y NEUMÁTICOS"),
    ("CEMENTO PORTLAND TIPO I X 42.5 KG", "SOL", "CEM-SOL-425", "CEMENTO", "CONSTRUCCIÓN"),
    ("ESCRITORIO DE MELAMINA 1.20 M", "MOBILIARIA", "ESC-120", "ESCRITORIO", "MOBILIARIO"),
    ("SILLA GIRATORIA ERGONÓMICA", "ASENTI", "SG-ERG-01", "SILLA", "MOBILIARIO"),
    ("ARROZ PILADO SUPERIOR X 50 KG", "COSTEÑO", "ARZ-50", "ARROZ", "ALIMENTOS"),
    ("CONSERVA DE PESCADO GRATED X 170 G", "FLORIDA", "GRT-170", "CONSERVAS", "ALIMENTOS"),
)
# (ubigeo, department, province, district)
_PLACES = (
    ("150131", "LIMA", "LIMA", "SAN ISIDRO"),
    ("150101", "LIMA", "LIMA", "LIMA"),
    ("150601", "LIMA", "HUARAL", "HUARAL"),
    ("070102", "CALLAO", "CALLAO", "BELLAVISTA"),
    ("040103", "AREQUIPA", "AREQUIPA", "CAYMA"),
    ("080105", "CUSCO", "CUSCO", "SAN SEBASTIAN"),
    ("080901", "CUSCO", "LA CONVENCION", "SANTA ANA"),
    ("200601", "PIURA", "SULLANA", "SULLANA"),
    ("130111", "LA LIBERTAD", "TRUJILLO", "VICTOR LARCO HERRERA"),
    ("140105", "LAMBAYEQUE", "CHICLAYO", "JOSE LEONARDO ORTIZ"),
    ("120114", "JUNIN", "HUANCAYO", "EL TAMBO"),
    ("211101", "PUNO", "SAN ROMAN", "JULIACA"),
    ("160101", "LORETO", "MAYNAS", "IQUITOS"),
    ("021801", "ANCASH", "SANTA", "CHIMBOTE"),
    ("050101", "AYACUCHO", "HUAMANGA", "AYACUCHO"),
    ("060801", "CAJAMARCA", "JAEN", "JAEN"),
    ("030201", "APURIMAC", "ANDAHUAYLAS", "ANDAHUAYLAS"),
    ("250101", "UCAYALI", "CORONEL PORTILLO", "CALLERIA"),
    ("170101", "MADRE DE DIOS", "TAMBOPATA", "TAMBOPATA"),
)
_STREETS = ("AV. LOS ANDES", "JR. UNIÓN", "AV. GRAU", "CALLE LIMA", "AV. BOLOGNESI", "JR. AYACUCHO")
_COPRIME_STRIDES = np.array(
    [7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97]
)
_ITEM_STRIDES = np.array([1, 5, 7, 11])  # coprime to len(_PRODUCTS) == 24
_AGREEMENT_CODE = re.compile(r"^\s*(?:[A-Z]+-)?[A-Z]+-CE-[0-9]{4}-[0-9]+\s+")
_NUMBER_COLUMNS = frozenset(
    {
        "Nro",
        "Sub Total Orden Electrónica",
        "IGV Orden Electrónica",
        "Total Orden Electrónica",
        "Monto Documento Estado",
        "Monto Flete Unitario",
        "Precio Unitario",
        "Sub Total",
        "IGV Entrega",
        "Monto Total Entrega",
    }
)


def _orders(orders: pa.Table | Path | str) -> pa.Table:
    """The month's normalised orders in file order (reading the monthly file if given a path)."""
    if isinstance(orders, str | Path):
        orders = read_monthly_file(Path(orders)).orders
    return orders.sort_by("source_line")


def format_cents(cents: np.ndarray) -> pa.Array:
    """Integer cents -> ``1234.50`` text."""
    cents = np.asarray(cents, dtype=np.int64)
    units = pa.array(cents // 100).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, fraction, ".")


def format_seconds(seconds: np.ndarray) -> pa.Array:
    """Lima wall-clock Unix seconds -> ``YYYY-MM-DD HH:MM:SS``."""
    stamps = pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))
    return pc.strftime(stamps, "%Y-%m-%d %H:%M:%S")


def _lima_seconds(iso: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """ISO ``…-05:00`` strings -> Lima wall-clock Unix seconds."""
    local = pc.utf8_slice_codeunits(iso, 0, 19)
    stamps = pc.strptime(local, "%Y-%m-%dT%H:%M:%S", "s")
    return stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)


def _split_by_weight(totals: np.ndarray, weights: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Split each owner's integer total over its rows by weight, exactly (remainder to row 0)."""
    weight_sums = np.bincount(owner, weights=weights, minlength=len(totals))
    parts = np.floor(totals[owner] * (weights / weight_sums[owner])).astype(np.int64)
    remainder = totals - np.bincount(owner, weights=parts, minlength=len(totals)).astype(np.int64)
    first = np.r_[0, np.cumsum(np.bincount(owner, minlength=len(totals)))[:-1]]
    parts[first] += remainder
    return parts


def _starts(counts: np.ndarray) -> np.ndarray:
    """Index of each group's first row for consecutive groups of ``counts`` rows."""
    return np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)


def _largest_divisor(values: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Per value, the largest divisor not above its limit (1 for 0)."""
    result = np.ones(len(values), dtype=np.int64)
    found = values <= 0
    for candidate in range(int(limits.max(initial=1)), 1, -1):
        hit = ~found & (limits >= candidate) & (values % candidate == 0)
        result[hit] = candidate
        found |= hit
    return result


def _split_igv(
    igv: np.ndarray, subtotal: np.ndarray, line_subtotal: np.ndarray, owner: np.ndarray
) -> np.ndarray:
    """Each order's IGV over its lines as a real export has it: 18 % of each line's subtotal,
    rounded half up, the order's few cents of rounding difference spread ±1 cent over its
    largest lines (so lines add up to the order exactly). Orders not at 18 % split by weight."""
    count = len(igv)
    at_rate = igv == (subtotal * 18 + 50) // 100
    expected = (line_subtotal * 18 + 50) // 100
    remainder = igv - np.bincount(owner, weights=expected, minlength=count).astype(np.int64)
    by_size = np.lexsort((-line_subtotal, owner))
    rank = np.empty(len(owner), dtype=np.int64)
    rank[by_size] = (
        np.arange(len(owner)) - _starts(np.bincount(owner, minlength=count))[owner[by_size]]
    )
    adjust = np.where(rank < np.abs(remainder)[owner], np.sign(remainder)[owner], 0)
    weighted = _split_by_weight(igv, line_subtotal.astype(np.float64) + 1.0, owner)
    split = np.where(at_rate[owner], expected + adjust, weighted)
    # the rare leftover (more cents than lines, or a line pushed below 0) goes to the largest line
    negative = np.minimum(split, 0)
    split = split - negative
    leftover = igv - np.bincount(owner, weights=split, minlength=count).astype(np.int64)
    largest = by_size[_starts(np.bincount(owner, minlength=count))]
    split[largest] += leftover[owner[largest]]
    return split


def _agreement_names(table: pa.Table) -> tuple[list[str], list[str]]:
    """(``CODE NAME`` label, name) per order from the monthly file's agreement columns."""
    from perucompras.agreements import learned_from, resolve_agreements

    resolved = resolve_agreements(table, learned_from(table))
    labels, names = [], []
    for raw, code in zip(
        table["agreement_raw"].to_pylist(), resolved["agreement_code"].to_pylist(), strict=True
    ):
        name = _AGREEMENT_CODE.sub("", raw or "").strip()
        names.append(name)
        labels.append(f"{code} {name}" if code else (raw or "").strip())
    return labels, names


def build_detail_rows(
    year: int, month: int, orders: pa.Table | Path, *, seed: int = 2026
) -> pa.Table:
    """The rows of the synthetic export for ``orders``, typed, in sheet order.

    Per order: one order row (``-0``) per product (its total quantity, unit price 0, its subtotal
    and IGV, the order's totals), then per delivery one row per product delivered (quantity,
    unit price, subtotal = quantity × unit price exactly, IGV, window and place, the delivery's
    totals). Column names are the reader's fields (``perucompras.detailed_export``).
    """
    table = _orders(orders)
    count = table.num_rows
    rng = np.random.default_rng([seed, year, month, 0xDE7A])
    subtotal = table["subtotal_cents"].to_numpy().astype(np.int64)
    igv = table["igv_cents"].to_numpy().astype(np.int64)

    wanted = rng.choice([1, 2, 3, 4], size=count, p=[0.6, 0.22, 0.12, 0.06])
    products = np.clip(np.minimum(wanted, subtotal // 5_000), 1, None)
    requested = rng.choice(
        [1, 2, 3, 4, 6, MAX_DELIVERIES], size=count, p=[0.82, 0.1, 0.04, 0.02, 0.01, 0.01]
    )
    owner = np.repeat(np.arange(count), products)  # product -> order
    product_share = _split_by_weight(subtotal, 0.3 + rng.random(len(owner)), owner)
    target = np.clip(np.round(rng.lognormal(1.2, 1.1, len(owner))), 1, 400).astype(np.int64)
    target = np.maximum(target, requested[owner])
    quantity = _largest_divisor(product_share, target)
    unit_price = np.where(quantity > 0, product_share // quantity, 0)
    spread = np.minimum(requested[owner], quantity)
    deliveries = np.maximum.reduceat(spread, _starts(products)) if count else spread
    spread = np.minimum(deliveries[owner], quantity)
    freight = np.where(rng.random(len(owner)) < 0.05, rng.integers(1, 200, len(owner)) * 100, 0)
    # distinct products within an order: a random start and a stride coprime to the catalogue
    product_rank = np.arange(len(owner)) - _starts(products)[owner]
    first_item = rng.integers(0, len(_PRODUCTS), count)
    stride = rng.choice(_ITEM_STRIDES, count)
    catalogue_item = (first_item[owner] + product_rank * stride[owner]) % len(_PRODUCTS)

    # delivery rows, ordered by (order, delivery, product)
    product_of = np.repeat(np.arange(len(owner)), spread)
    delivery = np.arange(len(product_of)) - _starts(spread)[product_of] + 1
    order_of = owner[product_of]
    sort = np.lexsort((product_of, delivery, order_of))
    product_of, delivery, order_of = product_of[sort], delivery[sort], order_of[sort]
    share = spread[product_of]
    line_quantity = quantity[product_of] // share + (delivery <= quantity[product_of] % share)
    line_subtotal = line_quantity * unit_price[product_of]
    line_igv = _split_igv(igv, subtotal, line_subtotal, order_of)
    delivery_key = order_of * (MAX_DELIVERIES + 1) + delivery
    _, delivery_index = np.unique(delivery_key, return_inverse=True)
    delivery_total = np.bincount(delivery_index, weights=line_subtotal + line_igv).astype(np.int64)
    delivery_subtotal = np.bincount(delivery_index, weights=line_subtotal).astype(np.int64)
    delivery_igv = np.bincount(delivery_index, weights=line_igv).astype(np.int64)
    product_igv = np.bincount(product_of, weights=line_igv, minlength=len(owner)).astype(np.int64)

    formalized = _lima_seconds(table["formalized_at"]) // DAY_SECONDS * DAY_SECONDS
    first_offset = rng.integers(2, 10, count)
    gap = rng.integers(7, 21, count)
    term = rng.integers(2, 31, count)
    start = formalized[order_of] + (first_offset[order_of] + (delivery - 1) * gap[order_of]) * (
        DAY_SECONDS
    )
    end = start + term[order_of] * DAY_SECONDS
    place = rng.integers(0, len(_PLACES), (count, MAX_DELIVERIES + 1))[order_of, delivery]
    street = rng.integers(0, len(_STREETS), (count, MAX_DELIVERIES + 1))[order_of, delivery]
    number = rng.integers(100, 2_000, (count, MAX_DELIVERIES + 1))[order_of, delivery]
    purchase = np.where(rng.random(count) < 0.85, "INDIVIDUAL", "PAQUETE")

    order_rows = len(owner)
    rows = order_rows + len(product_of)
    # sheet order: per order its order rows (by product), then its delivery rows
    row_order = np.r_[owner, order_of]
    row_delivery = np.r_[np.zeros(order_rows, dtype=np.int64), delivery]
    row_product = np.r_[np.arange(order_rows), product_of]
    sheet = np.lexsort((row_product, row_delivery, row_order))
    is_delivery = np.r_[np.zeros(order_rows, dtype=bool), np.ones(len(product_of), dtype=bool)]

    def pick(values: np.ndarray) -> np.ndarray:
        return values[sheet]

    labels, names = _agreement_names(table)
    product_fields = [np.array([p[i] for p in _PRODUCTS], dtype=object) for i in range(5)]
    place_fields = [np.array([p[i] for p in _PLACES], dtype=object) for i in range(4)]
    orders_col = {
        name: np.array(table[name].to_pylist(), dtype=object)
        for name in (
            "order_id",
            "supplier_ruc",
            "supplier_name",
            "buyer_ruc",
            "buyer_name",
            "procedure_type",
            "status",
            "last_status_at",
            "formalized_at",
        )
    }
    delivery_or_zero = np.r_[np.zeros(order_rows, dtype=np.int64), delivery]
    order_index = pick(row_order)
    item = pick(catalogue_item[row_product])
    on_delivery = pick(is_delivery)
    at_place = pick(np.r_[np.zeros(order_rows, dtype=np.int64), place])

    def delivery_only(values: np.ndarray) -> list[Any]:
        return [v if flag else None for v, flag in zip(values.tolist(), on_delivery, strict=True)]

    def iso_day(seconds: np.ndarray, clock: str) -> np.ndarray:
        days = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[D]")
        return np.char.add(days.astype(str), f"T{clock}-05:00")

    order_ids = orders_col["order_id"][order_index]
    numbers = pick(delivery_or_zero)
    source_numbers = [
        f"{oid}-{n}" for oid, n in zip(order_ids.tolist(), numbers.tolist(), strict=True)
    ]
    entity = [oid.split("-")[2] for oid in order_ids.tolist()]
    sequence = [oid.split("-")[3] for oid in order_ids.tolist()]
    order_total = subtotal + igv
    status_at = orders_col["last_status_at"][order_index]
    formalized_at = orders_col["formalized_at"][order_index]
    starts = np.r_[np.zeros(order_rows, dtype=np.int64), start]
    ends = np.r_[np.zeros(order_rows, dtype=np.int64), end]
    terms = np.r_[np.zeros(order_rows, dtype=np.int64), term[order_of]]
    streets = np.r_[np.zeros(order_rows, dtype=np.int64), street]
    houses = np.r_[np.zeros(order_rows, dtype=np.int64), number]
    columns: dict[str, Any] = {
        "order_id": order_ids.tolist(),
        "order_number": [f"{oid}-{ORDER_ROW}" for oid in order_ids.tolist()],
        "source_order_number": source_numbers,
        "delivery_number": numbers.tolist(),
        "agreement_label": [labels[i] for i in order_index.tolist()],
        "agreement_name": [names[i] for i in order_index.tolist()],
        "supplier_ruc": orders_col["supplier_ruc"][order_index].tolist(),
        "supplier_name": orders_col["supplier_name"][order_index].tolist(),
        "buyer_ruc": orders_col["buyer_ruc"][order_index].tolist(),
        "buyer_name": orders_col["buyer_name"][order_index].tolist(),
        "executing_unit": entity,
        "procedure": [str(p or "").upper() for p in orders_col["procedure_type"][order_index]],
        "purchase_type": purchase[order_index].tolist(),
        "status": orders_col["status"][order_index].tolist(),
        "status_date": [s[:19] + "-05:00" if s else None for s in status_at.tolist()],
        "declared_deliveries": deliveries[order_index].tolist(),
        "physical_order_number": [f"ORDEN DE COMPRA N° {s}-{year}" for s in sequence],
        "published_date": [s[:10] if s else None for s in formalized_at.tolist()],
        "accepted_date": [s[:10] if s else None for s in formalized_at.tolist()],
        "order_subtotal_cents": np.where(
            on_delivery,
            pick(np.r_[np.zeros(order_rows, dtype=np.int64), delivery_subtotal[delivery_index]]),
            subtotal[order_index],
        ).tolist(),
        "order_igv_cents": np.where(
            on_delivery,
            pick(np.r_[np.zeros(order_rows, dtype=np.int64), delivery_igv[delivery_index]]),
            igv[order_index],
        ).tolist(),
        "order_total_cents": np.where(
            on_delivery,
            pick(np.r_[np.zeros(order_rows, dtype=np.int64), delivery_total[delivery_index]]),
            order_total[order_index],
        ).tolist(),
        "catalogue": product_fields[4][item].tolist(),
        "category": product_fields[3][item].tolist(),
        "product_description": [
            f"{d} : MARCA {b} MODELO {p} UNIDAD"
            for d, b, p in zip(
                product_fields[0][item],
                product_fields[1][item],
                product_fields[2][item],
                strict=True,
            )
        ],
        "brand": product_fields[1][item].tolist(),
        "part_number": product_fields[2][item].tolist(),
        "unit_freight_cents": pick(freight[row_product]).tolist(),
        "delivery_start": delivery_only(iso_day(pick(starts), "00:00:00")),
        "delivery_days": delivery_only(pick(terms)),
        "delivery_end": delivery_only(iso_day(pick(ends), "23:59:59")),
        "ubigeo": delivery_only(place_fields[0][at_place]),
        "department": delivery_only(place_fields[1][at_place]),
        "province": delivery_only(place_fields[2][at_place]),
        "district": delivery_only(place_fields[3][at_place]),
        "delivery_address": delivery_only(
            np.array(
                [
                    f"{_STREETS[s]} N° {h}"
                    for s, h in zip(pick(streets).tolist(), pick(houses).tolist(), strict=True)
                ],
                dtype=object,
            )
        ),
        "quantity_milli": (pick(np.r_[quantity, line_quantity]) * QUANTITY_SCALE).tolist(),
        "igv_affected": delivery_only(
            np.where(pick(np.r_[product_igv, line_igv]) > 0, "SI", "NO").astype(object)
        ),
        "unit_price_cents": np.where(
            on_delivery,
            pick(np.r_[np.zeros(order_rows, dtype=np.int64), unit_price[product_of]]),
            0,
        ).tolist(),
        "subtotal_cents": pick(np.r_[product_share, line_subtotal]).tolist(),
        "igv_cents": pick(np.r_[product_igv, line_igv]).tolist(),
        "delivery_total_cents": np.where(
            on_delivery,
            pick(np.r_[np.zeros(order_rows, dtype=np.int64), delivery_total[delivery_index]]),
            order_total[order_index],
        ).tolist(),
    }
    assert len(columns["order_id"]) == rows
    return pa.table(columns)


def _display_date(iso: str | None, with_time: bool = False) -> str | None:
    """ISO date or date-time -> ``DD/MM/YYYY`` (``HH:MM:SS``) as the portal writes it."""
    if not iso:
        return None
    text = f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"
    return f"{text} {iso[11:19]}" if with_time else text


def _sheet_values(rows: pa.RecordBatch, first_number: int) -> dict[str, list[Any]]:
    """Cell values per export column: text as the portal writes it, amounts as numbers."""
    data = rows.to_pydict()
    count = rows.num_rows

    def cents(name: str) -> list[float | None]:
        return [None if v is None else v / 100 for v in data[name]]

    values: dict[str, list[Any]] = {column.header: [None] * count for column in EXPORT_COLUMNS}
    values.update(
        {
            "Nro": list(range(first_number, first_number + count)),
            "Código Acuerdo Marco": data["agreement_label"],
            "Ruc Proveedor": data["supplier_ruc"],
            "Razón Social Proveedor": data["supplier_name"],
            "Ruc Entidad": data["buyer_ruc"],
            "Razón Social Entidad": data["buyer_name"],
            "Unidad Ejecutora": data["executing_unit"],
            "Procedimiento": data["procedure"],
            "Tipo de Compra": data["purchase_type"],
            "Orden Electrónica": data["source_order_number"],
            "Estado de la Orden Electrónica": data["status"],
            "Total Entregas": [str(v) for v in data["declared_deliveries"]],
            "Nro Orden Física": data["physical_order_number"],
            "Fecha Ultimo Estado OC": [_display_date(v, True) for v in data["status_date"]],
            "Sub Total Orden Electrónica": cents("order_subtotal_cents"),
            "IGV Orden Electrónica": cents("order_igv_cents"),
            "Total Orden Electrónica": cents("order_total_cents"),
            "Fecha Publicación": [_display_date(v) for v in data["published_date"]],
            "Fecha Aceptación": [_display_date(v) for v in data["accepted_date"]],
            "Acuerdo Marco": data["agreement_name"],
            "Monto Documento Estado": [0] * count,
            "Catálogo": data["catalogue"],
            "Categoría": data["category"],
            "Descripción Ficha Producto": data["product_description"],
            "Marca Ficha Producto": data["brand"],
            "Nro. Parte": data["part_number"],
            "Monto Flete Unitario": cents("unit_freight_cents"),
            "Nro. Entrega": [str(v) for v in data["delivery_number"]],
            "Fecha Inicio Entrega": [_display_date(v) for v in data["delivery_start"]],
            "Plazo Entrega": [None if v is None else str(v) for v in data["delivery_days"]],
            "Fecha Fin Entrega": [_display_date(v) for v in data["delivery_end"]],
            "Ubigeo Entrega": data["ubigeo"],
            "Dep. Entrega": data["department"],
            "Prov. Entrega": data["province"],
            "Dist. Entrega": data["district"],
            "Dirección Entrega": data["delivery_address"],
            "Cantidad Entrega": [str(v // QUANTITY_SCALE) for v in data["quantity_milli"]],
            "Entrega afecto IGV": data["igv_affected"],
            "Precio Unitario": cents("unit_price_cents"),
            "Sub Total": cents("subtotal_cents"),
            "IGV Entrega": cents("igv_cents"),
            "Monto Total Entrega": cents("delivery_total_cents"),
        }
    )
    return values


def write_detail_workbook(
    rows: pa.Table, path: Path, *, first_day: dt.date, last_day: dt.date
) -> Path:
    """Write ``rows`` (``build_detail_rows``) as the portal's XLSX layout, byte-deterministic."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    workbook = xlsxwriter.Workbook(str(temporary), {"constant_memory": True})
    workbook.set_properties(
        {
            "title": TITLE,
            "comments": SYNTHETIC_NOTE,
            "created": dt.datetime(first_day.year, first_day.month, first_day.day),
        }
    )
    sheet = workbook.add_worksheet(SHEET_NAME)
    sheet.write_string(0, 0, TITLE)
    sheet.write_string(1, 0, "Acuerdo Marco: ")
    sheet.write_string(1, 1, "Todos")
    sheet.write_string(2, 0, "Catálogo: ")
    sheet.write_string(2, 1, "Todos")
    sheet.write_string(3, 0, "Fecha Inicial: ")
    sheet.write_string(3, 1, first_day.strftime("%d/%m/%Y"))
    sheet.write_string(3, 2, "Fecha Final:")
    sheet.write_string(3, 3, last_day.strftime("%d/%m/%Y"))
    for index, header in enumerate(PORTAL_HEADERS):
        sheet.write_string(TITLE_ROWS, index, header)
    write_string, write_number = sheet.write_string, sheet.write_number
    row = TITLE_ROWS + 1
    for batch in rows.to_batches(max_chunksize=WRITE_BATCH_ROWS):
        values = _sheet_values(batch, row - TITLE_ROWS)
        columns = [
            (index, values[column.header], column.header in _NUMBER_COLUMNS)
            for index, column in enumerate(EXPORT_COLUMNS)
        ]
        for offset in range(batch.num_rows):
            for index, cells, numeric in columns:
                value = cells[offset]
                if value is None:
                    continue
                if numeric:
                    write_number(row, index, value)
                else:
                    write_string(row, index, value)
            row += 1
    workbook.close()
    temporary.replace(path)
    return path


def generate_detailed_export(
    year: int,
    month: int,
    out_dir: Path,
    *,
    orders: pa.Table | Path,
    seed: int = 2026,
    name: str | None = None,
) -> Path:
    """Write ``ReportePCDetalleYYYYMM.xlsx``: the month's orders in the "Detallado" layout."""
    rows = build_detail_rows(year, month, orders, seed=seed)
    first_day = dt.date(year, month, 1)
    last_day = (first_day + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    mark_synthetic(Path(out_dir))
    path = Path(out_dir) / (name or f"{FILE_PREFIX}{year:04d}{month:02d}{FILE_SUFFIX}")
    return write_detail_workbook(rows, path, first_day=first_day, last_day=last_day)


def _quotation_chunk(
    rng: np.random.Generator,
    table: pa.Table,
    supplier_index: np.ndarray,
    pools_size: int,
    mean: float,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Quotation values for a chunk of orders: (columns as numpy arrays, owning order index)."""
    count = table.num_rows
    # heavy-tailed counts with the reported mean; at least the selected quotation
    per_order = np.clip(rng.negative_binomial(2, 2 / (2 + mean - 1), count) + 1, 1, pools_size)
    owner = np.repeat(np.arange(count), per_order)
    starts = np.r_[0, np.cumsum(per_order)[:-1]]
    rank = np.arange(len(owner)) - starts[owner]
    stride = rng.choice(_COPRIME_STRIDES, count)
    # distinct suppliers per order; rank 0 is the order's own supplier (the selected one)
    supplier = (supplier_index[owner] + rank * stride[owner]) % pools_size
    total = table["subtotal_cents"].to_numpy().astype(np.int64) + table[
        "igv_cents"
    ].to_numpy().astype(np.int64)
    markup = np.where(rank == 0, 1.0, rng.lognormal(0.08, 0.12, len(owner)))
    quoted = np.maximum(np.round(total[owner] * markup).astype(np.int64), 1)
    quoted[rank == 0] = total[owner][rank == 0]
    units = rng.integers(1, 100, count)[owner]
    unit_price = (quoted + units // 2) // units
    formalized = _lima_seconds(table["formalized_at"])
    before = rng.integers(3_600, 10 * DAY_SECONDS, len(owner))
    return {
        "supplier": supplier,
        "total": quoted,
        "unit_price": unit_price,
        "quoted_at": formalized[owner] - before,
        "selected": rank == 0,
    }, owner


def generate_quotations(
    year: int,
    month: int,
    out_dir: Path,
    *,
    orders: pa.Table | Path,
    seed: int = 2026,
    per_order: float = QUOTATIONS_PER_ORDER,
    name: str | None = None,
) -> Path:
    """Write ``CotizacionesYYYYMM.csv`` (UTF-8), ~``per_order`` quotations per order, in chunks.

    Suppliers come from the seed's pool of ``perucompras.synthetic``; every order has exactly
    one ``SELECCIONADA`` quotation, its own supplier's, at the order's TOTAL.
    """
    table = _orders(orders)
    pools = build_pools(seed)
    pool_ruc = pa.array(pools.supplier_ruc, pa.string())
    pool_name = pa.array(pools.supplier_name, pa.string())
    position = {ruc: index for index, ruc in enumerate(pools.supplier_ruc.tolist())}
    rucs = table["supplier_ruc"].to_pylist()
    missing = sorted({ruc for ruc in rucs if ruc not in position})
    # suppliers of real files are not in the synthetic pool: append them
    if missing:
        pool_ruc = pa.concat_arrays([pool_ruc, pa.array(missing, pa.string())])
        names = dict(zip(rucs, table["supplier_name"].to_pylist(), strict=True))
        pool_name = pa.concat_arrays([pool_name, pa.array([names[r] for r in missing])])
        position.update({ruc: len(position) + i for i, ruc in enumerate(missing)})
    supplier_index = np.array([position[ruc] for ruc in rucs], dtype=np.int64)
    status_text = pa.array([UNSELECTED, SELECTED], pa.string())

    path = Path(out_dir) / (name or f"Cotizaciones{year:04d}{month:02d}.csv")
    mark_synthetic(path.parent)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write((SEPARATOR.join(QUOTATION_COLUMNS) + "\n").encode("utf-8"))
        for chunk_number, begin in enumerate(range(0, table.num_rows, QUOTATION_CHUNK_ORDERS)):
            chunk = table.slice(begin, QUOTATION_CHUNK_ORDERS)
            rng = np.random.default_rng([seed, year, month, 0xC07, chunk_number])
            values, owner = _quotation_chunk(
                rng, chunk, supplier_index[begin : begin + chunk.num_rows], len(pool_ruc), per_order
            )
            supplier = pa.array(values["supplier"])
            rows = pc.binary_join_element_wise(
                chunk["order_number"].combine_chunks().take(pa.array(owner)),
                pool_ruc.take(supplier),
                pool_name.take(supplier),
                format_cents(values["unit_price"]),
                format_cents(values["total"]),
                format_seconds(values["quoted_at"]),
                status_text.take(pa.array(values["selected"].astype(np.int8))),
                SEPARATOR,
            )
            text = pc.binary_join_element_wise(rows, "\n", "")
            handle.write(_concat_utf8(text))
    temporary.replace(path)
    return path


def _concat_utf8(lines: pa.Array) -> bytes:
    """Concatenate string array values into UTF-8 bytes without Python strings per row."""
    if len(lines) == 0:
        return b""
    _, offsets, data = lines.cast(pa.large_string()).buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return data.to_pybytes()[bounds[0] : bounds[-1]]
