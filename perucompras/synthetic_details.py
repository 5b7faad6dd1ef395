"""Deterministic synthetic detailed exports and quotation files consistent with a monthly file.

Both generators take the month's orders (the normalised table of ``perucompras.reader`` or the
monthly file itself, e.g. one written by ``perucompras.synthetic.generate_month``) and keep its
order numbers, suppliers and totals: the lines of every order add up exactly to its parent row,
and the selected quotation of every order is its supplier's at the order's TOTAL. Output is
byte-identical for the same inputs and seed. Formats: docs/source-formats.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.agreements import load_agreements
from perucompras.detailed_export import DETAIL_COLUMNS, QUANTITY_SCALE
from perucompras.quotations import QUOTATION_COLUMNS, SELECTED, UNSELECTED
from perucompras.reader import SEPARATOR, read_monthly_file
from perucompras.synthetic import build_pools

QUOTATIONS_PER_ORDER = 59_787_821 / 393_734  # reported by PERÚ COMPRAS for 2019 – July 2022
QUOTATION_CHUNK_ORDERS = 1_024
WRITE_CHUNK_ROWS = 100_000
DAY_SECONDS = 86_400
LIMA_OFFSET_SECONDS = 5 * 3600

_PRODUCTS = (
    ("PAPEL BOND 75 G TAMAÑO A4 X 500 HOJAS", "ATLAS", "PB-A4-75", "PAPELES"),
    ("PAPEL BOND 80 G TAMAÑO A4 X 500 HOJAS", "REPORT", "RP-A4-80", "PAPELES"),
    ("TÓNER DE IMPRESIÓN NEGRO 26A", "HP", "CF226A", "TÓNERES"),
    ("TÓNER DE IMPRESIÓN NEGRO TN-1060", "BROTHER", "TN-1060", "TÓNERES"),
    ("CARTUCHO DE TINTA CIAN 664", "EPSON", "T664220", "TINTAS"),
    ("COMPUTADORA DE ESCRITORIO CORE I7 16 GB", "LENOVO", "11T3S0X300", "COMPUTADORAS"),
    ("COMPUTADORA PORTÁTIL CORE I5 8 GB", "DELL", "LAT3540-I5", "COMPUTADORAS"),
    ("MONITOR LED 23.8 PULGADAS", "LG", "24MK430H", "MONITORES"),
    ("ESCÁNER DOCUMENTAL 40 PPM", "FUJITSU", "PA03810-B001", "ESCÁNERES"),
    ("LEJÍA ÓXIDO CLORO 5% X 4 L", "CLOROX", "CLX-4000", "LIMPIEZA"),
    ("PAPEL HIGIÉNICO DOBLE HOJA X 24 ROLLOS", "ELITE", "ELT-24DH", "ASEO"),
    ("JABÓN LÍQUIDO ANTIBACTERIAL X 1 L", "PROMASOL", "JL-1000", "ASEO"),
    ("MASCARILLA KN95 X 20 UNIDADES", "3M", "KN95-20", "PROTECCIÓN"),
    ("GUANTES DE NITRILO TALLA M X 100", "TOP GLOVE", "NIT-M-100", "PROTECCIÓN"),
    ("ARCHIVADOR DE PALANCA LOMO ANCHO", "ARTESCO", "AP-LA-01", "ÚTILES DE ESCRITORIO"),
    ("LAPICERO TINTA SECA AZUL X 50", "FABER-CASTELL", "LP-AZ-50", "ÚTILES DE ESCRITORIO"),
    ("PROYECTOR MULTIMEDIA 3600 LÚMENES", "EPSON", "V11H972020", "EQUIPOS MULTIMEDIA"),
    ("CAMIONETA PICK UP 4X4 DOBLE CABINA", "TOYOTA", "HILUX-4X4-DC", "VEHÍCULOS"),
    ("NEUMÁTICO 265/70 R16", "BRIDGESTONE", "DUELER-265", "NEUMÁTICOS"),
    ("CEMENTO PORTLAND TIPO I X 42.5 KG", "SOL", "CEM-SOL-425", "MATERIALES DE CONSTRUCCIÓN"),
    ("ESCRITORIO DE MELAMINA 1.20 M", "MOBILIARIA", "ESC-120", "MOBILIARIO"),
    ("SILLA GIRATORIA ERGONÓMICA", "ASENTI", "SG-ERG-01", "MOBILIARIO"),
    ("ARROZ PILADO SUPERIOR X 50 KG", "COSTEÑO", "ARZ-50", "ALIMENTOS"),
    ("CONSERVA DE PESCADO GRATED X 170 G", "FLORIDA", "GRT-170", "ALIMENTOS"),
)
_PLACES = (
    ("LIMA", "LIMA", "SAN ISIDRO"),
    ("LIMA", "LIMA", "CERCADO DE LIMA"),
    ("LIMA", "HUARAL", "HUARAL"),
    ("CALLAO", "CALLAO", "BELLAVISTA"),
    ("AREQUIPA", "AREQUIPA", "CAYMA"),
    ("CUSCO", "CUSCO", "SAN SEBASTIÁN"),
    ("CUSCO", "LA CONVENCIÓN", "SANTA ANA"),
    ("PIURA", "SULLANA", "SULLANA"),
    ("LA LIBERTAD", "TRUJILLO", "VÍCTOR LARCO HERRERA"),
    ("LAMBAYEQUE", "CHICLAYO", "JOSÉ LEONARDO ORTIZ"),
    ("JUNÍN", "HUANCAYO", "EL TAMBO"),
    ("PUNO", "SAN ROMÁN", "JULIACA"),
    ("LORETO", "MAYNAS", "IQUITOS"),
    ("ÁNCASH", "SANTA", "CHIMBOTE"),
    ("AYACUCHO", "HUAMANGA", "AYACUCHO"),
    ("CAJAMARCA", "JAÉN", "JAÉN"),
    ("APURÍMAC", "ANDAHUAYLAS", "ANDAHUAYLAS"),
    ("UCAYALI", "CORONEL PORTILLO", "CALLERÍA"),
)
_STREETS = ("AV. LOS ANDES", "JR. UNIÓN", "AV. GRAU", "CALLE LIMA", "AV. BOLOGNESI", "JR. AYACUCHO")
_COPRIME_STRIDES = np.array(
    [7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97]
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


def format_quantity(milli: np.ndarray) -> pa.Array:
    """Quantities in thousandths -> shortest decimal text (``12``, ``2.5``)."""
    milli = np.asarray(milli, dtype=np.int64)
    units = pa.array(milli // QUANTITY_SCALE).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(milli % QUANTITY_SCALE).cast(pa.string()), 3, "0")
    fraction = pc.replace_substring_regex(fraction, "0+$", "")
    return pc.if_else(
        pa.array(milli % QUANTITY_SCALE == 0),
        units,
        pc.binary_join_element_wise(units, fraction, "."),
    )


def format_seconds(seconds: np.ndarray) -> pa.Array:
    """Lima wall-clock Unix seconds -> ``YYYY-MM-DD HH:MM:SS``."""
    stamps = pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))
    return pc.strftime(stamps, "%Y-%m-%d %H:%M:%S")


def _lima_seconds(iso: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """ISO ``…-05:00`` strings -> Lima wall-clock Unix seconds."""
    local = pc.utf8_slice_codeunits(iso, 0, 19)
    stamps = pc.strptime(local, "%Y-%m-%dT%H:%M:%S", "s")
    return stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)


def _write_lines(path: Path, header: str, rows: pa.Array, encoding: str) -> Path:
    """Write header + rows (each followed by LF) through a temporary file, in chunks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write((header + "\n").encode(encoding))
        for start in range(0, len(rows), WRITE_CHUNK_ROWS):
            chunk = rows.slice(start, WRITE_CHUNK_ROWS).to_pylist()
            handle.write(("\n".join(chunk) + "\n").encode(encoding))
    temporary.replace(path)
    return path


def _split_by_weight(totals: np.ndarray, weights: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Split each owner's integer total over its rows by weight, exactly (remainder to row 0)."""
    weight_sums = np.bincount(owner, weights=weights, minlength=len(totals))
    parts = np.floor(totals[owner] * (weights / weight_sums[owner])).astype(np.int64)
    remainder = totals - np.bincount(owner, weights=parts, minlength=len(totals)).astype(np.int64)
    first = np.r_[0, np.cumsum(np.bincount(owner, minlength=len(totals)))[:-1]]
    parts[first] += remainder
    return parts


def _split_igv(
    igv: np.ndarray,
    subtotal: np.ndarray,
    line_subtotal: np.ndarray,
    owner: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """Each line's IGV as a real export has it: 18 % of its own subtotal, rounded half up,
    with the order's few cents of rounding difference spread ±1 cent over its first lines
    (so lines add up to the order exactly). Orders not at 18 % are split by weight."""
    at_rate = igv == (subtotal * 18 + 50) // 100
    expected = (line_subtotal * 18 + 50) // 100
    remainder = igv - np.bincount(owner, weights=expected, minlength=len(igv)).astype(np.int64)
    adjust = np.where(rank < np.abs(remainder)[owner], np.sign(remainder)[owner], 0)
    by_weight = _split_by_weight(igv, line_subtotal.astype(np.float64) + 1.0, owner)
    return np.where(at_rate[owner], expected + adjust, by_weight)


def generate_detailed_export(
    year: int,
    month: int,
    out_dir: Path,
    *,
    orders: pa.Table | Path,
    seed: int = 2026,
    name: str | None = None,
) -> Path:
    """Write ``ReportePCDetalleYYYYMM.csv`` (latin-1): a parent row plus its lines per order."""
    table = _orders(orders)
    count = table.num_rows
    rng = np.random.default_rng([seed, year, month, 0xDE7A])
    subtotal = table["subtotal_cents"].to_numpy().astype(np.int64)
    igv = table["igv_cents"].to_numpy().astype(np.int64)

    wanted = rng.choice(np.arange(1, 6), size=count, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    line_count = np.clip(np.minimum(wanted, subtotal // 2_000), 1, None)
    owner = np.repeat(np.arange(count), line_count)
    starts = np.r_[0, np.cumsum(line_count)[:-1]]
    rank = np.arange(len(owner)) - starts[owner]
    deliveries = np.minimum(rng.choice([1, 2, 3], size=count, p=[0.7, 0.2, 0.1]), line_count)
    delivery = rank * deliveries[owner] // line_count[owner] + 1

    line_subtotal = _split_by_weight(subtotal, 0.2 + rng.random(len(owner)), owner)
    line_igv = _split_igv(igv, subtotal, line_subtotal, owner, rank)
    with_freight = rng.random(count) < 0.25
    freight = np.where(
        with_freight[owner],
        np.floor(line_subtotal * rng.uniform(0.01, 0.05, len(owner))).astype(np.int64),
        0,
    )
    goods = line_subtotal - freight
    whole = rng.integers(1, 200, len(owner)) * QUANTITY_SCALE
    tenths = rng.integers(1, 2_000, len(owner)) * (QUANTITY_SCALE // 10)
    quantity = np.where(rng.random(len(owner)) < 0.9, whole, tenths)
    quantity = np.minimum(quantity, np.maximum(goods // 100, 1) * QUANTITY_SCALE)
    unit_price = goods * QUANTITY_SCALE // quantity
    rounded = (quantity * unit_price + QUANTITY_SCALE // 2) // QUANTITY_SCALE
    freight = freight + (goods - rounded)  # freight absorbs what the unit price cannot carry

    formalized_day = _lima_seconds(table["formalized_at"]) // DAY_SECONDS * DAY_SECONDS
    first_offset = rng.integers(1, 8, count)
    gap = rng.integers(7, 21, count)
    term = rng.integers(3, 31, count)
    start = (
        formalized_day[owner] + (first_offset[owner] + (delivery - 1) * gap[owner]) * DAY_SECONDS
    )
    end = start + (term[owner] - 1) * DAY_SECONDS + DAY_SECONDS - 1
    place = rng.integers(0, len(_PLACES), count)
    street = rng.integers(0, len(_STREETS), count)
    number = rng.integers(100, 2_000, count)
    product = rng.integers(0, len(_PRODUCTS), len(owner))

    agreements = load_agreements()
    names = pc.take(
        agreements["name"],
        pc.index_in(table["agreement_code"], value_set=agreements["code"].combine_chunks()),
    )
    catalogue = pc.fill_null(names, table["agreement_raw"].combine_chunks())

    def column(values: list[str], index: np.ndarray) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[index], pa.string())

    owner_index = pa.array(owner)
    line_columns = {
        "ORDEN_ELECTRÓNICA": table["order_number"].combine_chunks().take(owner_index),
        "NRO_ENTREGA": pa.array(delivery).cast(pa.string()),
        "RUC_ENTIDAD": table["buyer_ruc"].combine_chunks().take(owner_index),
        "ENTIDAD": table["buyer_name"].combine_chunks().take(owner_index),
        "RUC_PROVEEDOR": table["supplier_ruc"].combine_chunks().take(owner_index),
        "PROVEEDOR": table["supplier_name"].combine_chunks().take(owner_index),
        "CATÁLOGO": catalogue.take(owner_index),
        "CATEGORÍA": column([p[3] for p in _PRODUCTS], product),
        "DESCRIPCIÓN_FICHA_PRODUCTO": column([p[0] for p in _PRODUCTS], product),
        "MARCA": column([p[1] for p in _PRODUCTS], product),
        "NRO_PARTE": column([p[2] for p in _PRODUCTS], product),
        "CANTIDAD": format_quantity(quantity),
        "PRECIO_UNITARIO": format_cents(unit_price),
        "FLETE": format_cents(freight),
        "SUB_TOTAL": format_cents(line_subtotal),
        "IGV": format_cents(line_igv),
        "TOTAL": format_cents(line_subtotal + line_igv),
        "FECHA_INICIO_ENTREGA": format_seconds(start),
        "FECHA_FIN_ENTREGA": format_seconds(end),
        "PLAZO_ENTREGA": pa.array(term[owner]).cast(pa.string()),
        "DEPARTAMENTO": column([p[0] for p in _PLACES], place[owner]),
        "PROVINCIA": column([p[1] for p in _PLACES], place[owner]),
        "DISTRITO": column([p[2] for p in _PLACES], place[owner]),
        "DIRECCIÓN_ENTREGA": pc.binary_join_element_wise(
            column(list(_STREETS), street[owner]),
            pa.array(number[owner]).cast(pa.string()),
            " N° ",
        ),
    }
    order_freight = np.bincount(owner, weights=freight, minlength=count).astype(np.int64)
    empty_orders = pa.array([""] * count, pa.string())
    parent_columns = dict.fromkeys(DETAIL_COLUMNS, empty_orders) | {
        "ORDEN_ELECTRÓNICA": table["order_number"].combine_chunks(),
        "RUC_ENTIDAD": table["buyer_ruc"].combine_chunks(),
        "ENTIDAD": table["buyer_name"].combine_chunks(),
        "RUC_PROVEEDOR": table["supplier_ruc"].combine_chunks(),
        "PROVEEDOR": table["supplier_name"].combine_chunks(),
        "CATÁLOGO": catalogue,
        "FLETE": format_cents(order_freight),
        "SUB_TOTAL": format_cents(subtotal),
        "IGV": format_cents(igv),
        "TOTAL": format_cents(subtotal + igv),
    }
    parent_rows = pc.binary_join_element_wise(
        *[parent_columns[name] for name in DETAIL_COLUMNS], SEPARATOR
    )
    line_rows = pc.binary_join_element_wise(
        *[line_columns[name] for name in DETAIL_COLUMNS], SEPARATOR
    )
    # each order's parent row first, then its lines in order
    stride = int(line_count.max(initial=0)) + 1
    sort_key = np.r_[np.arange(count) * stride, owner * stride + rank + 1]
    rows = (
        pa.chunked_array([parent_rows, line_rows])
        .combine_chunks()
        .take(pa.array(np.argsort(sort_key, kind="stable")))
    )
    path = Path(out_dir) / (name or f"ReportePCDetalle{year:04d}{month:02d}.csv")
    return _write_lines(path, SEPARATOR.join(DETAIL_COLUMNS), rows, "latin-1")


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
    path.parent.mkdir(parents=True, exist_ok=True)
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
