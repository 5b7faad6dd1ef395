"""Deterministic synthetic monthly files in exactly the real ``ReportePCBienesYYYYMM.csv`` format.

Every value of a day's orders depends only on (seed, day) and the month's parameters, and the
entity and supplier pools only on the seed, so generating a month twice gives byte-identical
files and the same RUC keeps the same name across months. ``FECHA_PROCESO`` is the first day of
the next month at 04:00:00, never the run date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.agreements import agreement_rows
from perucompras.reader import COLUMNS, SEPARATOR, decode_text
from perucompras.ruc import make_rucs

Variant = Literal["latin1", "utf8_tab", "dmy_dates"]
VARIANTS: tuple[str, ...] = ("latin1", "utf8_tab", "dmy_dates")
STATUSES = ("ACEPTADA", "PAGADA", "RESUELTA", "ORDEN DE COMPRA NULA")
STATUS_WEIGHTS = (0.43, 0.52, 0.02, 0.03)
SIAF_NOTE = "Actualizado automáticamente por la vinculación con el SIAF"
PDF_URL = "https://apps1.perucompras.gob.pe//OrdenCompra/obtenerPdfOrdenPublico?ID_OrdenCompra="
BLOB_URL = "https://saeusceprod01.blob.core.windows.net/contentidad/uploads/"
WEEKDAY_WEIGHTS = np.array([1.0, 1.05, 1.05, 1.0, 0.95, 0.25, 0.1])
DEFECT_KINDS = (
    "field_count",
    "required_missing",
    "date_unparseable",
    "amount_unparseable",
    "amount_precision",
    "order_number_format",
    "ruc_check_digit",
    "unknown_status",
    "total_mismatch",
    "igv_not_18",
    "date_order",
    "unknown_agreement",
    "duplicate_order",
)
_EPOCH = dt.date(2000, 1, 1)

_PLACES = (
    "PIURA",
    "AREQUIPA",
    "CUSCO",
    "HUANUCO",
    "AYACUCHO",
    "PUNO",
    "TACNA",
    "ICA",
    "JUNIN",
    "LAMBAYEQUE",
    "LA LIBERTAD",
    "CAJAMARCA",
    "APURIMAC",
    "AMAZONAS",
    "LORETO",
    "UCAYALI",
    "SAN MARTIN",
    "MOQUEGUA",
    "PASCO",
    "TUMBES",
    "ANCASH",
    "HUANCAVELICA",
    "MADRE DE DIOS",
    "CALLAO",
    "LIMA",
    "CAÑETE",
    "HUARAL",
    "ABANCAY",
    "ANDAHUAYLAS",
    "CHACHAPOYAS",
    "JAÉN",
    "SULLANA",
    "CHIMBOTE",
    "HUARAZ",
    "TARMA",
    "JULIACA",
    "QUILLABAMBA",
    "MAYNAS",
    "SATIPO",
    "BAGUA",
    "CARHUAZ",
    "VIRU",
    "ILABAYA",
    "ACOMAYO",
    "CANCHIS",
    "AYABACA",
    "SAN ISIDRO",
    "SAN MIGUEL",
    "VILLA EL SALVADOR",
    "SAN SEBASTIAN",
    "HUAROCONDO",
    "COTABAMBAS",
    "PACHITEA",
)
_ENTITY_PATTERNS = (
    "MUNICIPALIDAD DISTRITAL DE {p}",
    "MUNICIPALIDAD PROVINCIAL DE {p}",
    "GOBIERNO REGIONAL DE {p} - UNIDAD EJECUTORA {n} EDUCACION",
    "GOBIERNO REGIONAL DE {p} - SALUD RED {n}",
    "UNIVERSIDAD NACIONAL DE {p}",
    "UNIDAD DE GESTION EDUCATIVA LOCAL DE {p} N° {n}",
    "HOSPITAL REGIONAL DE {p} N° {n}",
    "CORTE SUPERIOR DE JUSTICIA DE {p} - SEDE {n}",
    "DIRECCION REGIONAL DE SALUD {p} - RED {n}",
    "PROGRAMA REGIONAL DE RIEGO Y DRENAJE {p} {n}",
)
_COMPANY_WORDS = (
    "INVERSIONES",
    "CORPORACION",
    "GRUPO",
    "COMERCIAL",
    "DISTRIBUIDORA",
    "NEGOCIACIONES",
    "REPRESENTACIONES",
    "SERVICIOS",
    "SUMINISTROS",
    "TECNOLOGIA",
    "MULTISERVICIOS",
    "IMPORTACIONES",
    "SOLUCIONES",
    "INDUSTRIAS",
    "FERRETERIA",
    "PAPELERIA",
)
_COMPANY_NAMES = (
    "ANDINA",
    "DEL SUR",
    "NORTEÑA",
    "PERU",
    "GLOBAL",
    "SANTA ROSA",
    "EL PROGRESO",
    "LOS ANDES",
    "CORDILLERA",
    "PACIFICO",
    "AMAZONICA",
    "INKA",
    "MILENIUM",
    "KAYSER",
    "ALFA",
    "DELTA",
    "SAN JOSÉ",
    "VIRGEN DEL CARMEN",
    "LA UNION",
    "HNOS. QUISPE",
    "Y & M",
    "J & P",
    "D´LEON",
    "M&A",
    "ORIENTE",
    "CENTRO",
    "TITICACA",
    "MISTI",
    "HUASCARAN",
    "CHAVIN",
    "MOCHICA",
    "NAZCA",
)
_COMPANY_SUFFIXES = (
    "S.A.C.",
    "E.I.R.L.",
    "S.R.L.",
    "S.A.",
    "S.A.C",
    "E.I.R.L",
    "SAC",
    "EMPRESA INDIVIDUAL DE RESPONSABILIDAD LIMITADA",
    "SOCIEDAD ANONIMA CERRADA",
)
_SURNAMES = (
    "QUISPE",
    "MAMANI",
    "FLORES",
    "RODRIGUEZ",
    "GARCIA",
    "HUAMAN",
    "CHAVEZ",
    "TORRES",
    "RAMIREZ",
    "MENDOZA",
    "VARGAS",
    "CASTILLO",
    "ROJAS",
    "ESPINOZA",
    "GUTIERREZ",
    "PEÑA",
    "CALDERON",
    "CORDOVA",
    "BARDALES",
    "SAAVEDRA",
    "MUÑOZ",
    "TICLLA",
    "CONDORI",
    "YUPANQUI",
)
_GIVEN = (
    "JUAN CARLOS",
    "MARIA ELENA",
    "ROSA",
    "LUIS ALBERTO",
    "ANA LUCIA",
    "JOSE",
    "CARMEN",
    "OMAR",
    "RUTH",
    "KEVIN ARTURO",
    "LITA PAOLA",
    "GILMER",
    "BEATRIZ",
    "PAULO CESAR",
    "NAGHELY",
)


@dataclass(frozen=True)
class PlantedDefect:
    """One row changed by ``plant_defects``: 1-based physical line and defect kind."""

    line: int
    kind: str


@dataclass(frozen=True)
class Pools:
    """Buyers, suppliers and agreement labels shared by every month of one seed."""

    buyer_ruc: np.ndarray
    buyer_name: np.ndarray
    buyer_code: np.ndarray
    buyer_weight: np.ndarray
    supplier_ruc: np.ndarray
    supplier_name: np.ndarray
    supplier_weight: np.ndarray
    agreement_code: np.ndarray
    agreement_name: np.ndarray
    agreement_weight: np.ndarray


def _zipf_weights(rng: np.random.Generator, size: int, exponent: float) -> np.ndarray:
    """Return shuffled normalised weights proportional to rank^-exponent."""
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    rng.shuffle(weights)
    return weights / weights.sum()


@cache
def build_pools(
    seed: int,
    buyers: int = 3_200,
    suppliers: int = 3_600,
    include_synthetic_agreements: bool = False,
) -> Pools:
    """Build the seed's entity, supplier and agreement pools (independent of the month)."""
    rng = np.random.default_rng([seed, 0xB0])
    bodies = rng.choice(90_000_000, size=buyers + suppliers, replace=False) + 10_000_000
    buyer_ruc = make_rucs(np.full(buyers, 20), bodies[:buyers])
    person = rng.random(suppliers) < 0.3
    supplier_ruc = make_rucs(np.where(person, 10, 20), bodies[buyers:])

    pattern = rng.integers(0, len(_ENTITY_PATTERNS), buyers)
    place = rng.integers(0, len(_PLACES), buyers)
    buyer_name = np.array(
        [
            _ENTITY_PATTERNS[pattern[i]].format(p=_PLACES[place[i]], n=100 + i)
            for i in range(buyers)
        ],
        dtype=object,
    )
    buyer_code = rng.choice(np.arange(1, 600_000), size=buyers, replace=False)

    words = rng.integers(0, len(_COMPANY_WORDS), suppliers)
    names = rng.integers(0, len(_COMPANY_NAMES), suppliers)
    suffixes = rng.integers(0, len(_COMPANY_SUFFIXES), suppliers)
    surname1 = rng.integers(0, len(_SURNAMES), suppliers)
    surname2 = rng.integers(0, len(_SURNAMES), suppliers)
    given = rng.integers(0, len(_GIVEN), suppliers)
    supplier_name = np.array(
        [
            f"{_SURNAMES[surname1[i]]} {_SURNAMES[surname2[i]]} {_GIVEN[given[i]]}"
            if person[i]
            else f"{_COMPANY_WORDS[words[i]]} {_COMPANY_NAMES[names[i]]} {i} "
            f"{_COMPANY_SUFFIXES[suffixes[i]]}"
            for i in range(suppliers)
        ],
        dtype=object,
    )

    rows = agreement_rows(include_synthetic=include_synthetic_agreements)
    agreement_code = np.array([row["code"] for row in rows], dtype=object)
    agreement_name = np.array([row["name"] for row in rows], dtype=object)
    return Pools(
        buyer_ruc=buyer_ruc,
        buyer_name=buyer_name,
        buyer_code=buyer_code,
        buyer_weight=_zipf_weights(rng, buyers, 0.9),
        supplier_ruc=supplier_ruc,
        supplier_name=supplier_name,
        supplier_weight=_zipf_weights(rng, suppliers, 0.8),
        agreement_code=agreement_code,
        agreement_name=agreement_name,
        agreement_weight=_zipf_weights(rng, len(rows), 1.1),
    )


def _orders_per_day(year: int, month: int, orders: int) -> np.ndarray:
    """Split ``orders`` over the month's days (weekends lighter) by largest remainder."""
    days = calendar.monthrange(year, month)[1]
    weekdays = np.array([dt.date(year, month, day).weekday() for day in range(1, days + 1)])
    share = WEEKDAY_WEIGHTS[weekdays] / WEEKDAY_WEIGHTS[weekdays].sum() * orders
    counts = np.floor(share).astype(np.int64)
    remainder = orders - counts.sum()
    counts[np.argsort(-(share - counts), kind="stable")[:remainder]] += 1
    return counts


def _format_amounts(cents: np.ndarray, trim: bool) -> pa.Array:
    """Format integer cents as ``1234.50`` (or ``1234.5`` / ``1234`` when ``trim``)."""
    units = pa.array(cents // 100).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
    text = pc.binary_join_element_wise(units, fraction, ".")
    if not trim:
        return text
    whole = pa.array(cents % 100 == 0)
    one_decimal = pa.array((cents % 10 == 0) & (cents % 100 != 0))
    text = pc.if_else(one_decimal, pc.utf8_slice_codeunits(text, 0, -1), text)
    return pc.if_else(whole, units, text)


def _format_times(seconds: np.ndarray, dmy: bool) -> pa.Array:
    """Format Unix seconds (already Lima wall time) in the file's date format."""
    stamps = pa.array(seconds.astype("datetime64[s]"))
    if not dmy:
        return pc.strftime(stamps, "%Y-%m-%d %H:%M:%S")
    text = pc.strftime(stamps, "%d/%m/%Y %H:%M")
    return pc.replace_substring_regex(text, r"^0", "")


def _generate_day(
    day: dt.date,
    count: int,
    *,
    seed: int,
    pools: Pools,
    process_seconds: int,
    seq_width: int,
) -> dict[str, np.ndarray]:
    """Generate one day's orders; depends only on (seed, day), the count and the pools."""
    ordinal = (day - _EPOCH).days
    rng = np.random.default_rng([seed, ordinal])
    buyer = rng.choice(len(pools.buyer_ruc), size=count, p=pools.buyer_weight)
    supplier = rng.choice(len(pools.supplier_ruc), size=count, p=pools.supplier_weight)
    agreement = rng.choice(len(pools.agreement_code), size=count, p=pools.agreement_weight)

    day_start = int(np.datetime64(day.isoformat(), "s").astype(np.int64))
    midnight = rng.random(count) < 0.15
    offsets = np.where(midnight, 0, rng.integers(7 * 3600, 20 * 3600, count))
    formalized = day_start + np.sort(offsets)
    span = process_seconds - formalized
    status = rng.choice(len(STATUSES), size=count, p=STATUS_WEIGHTS)
    moved = (status != 0) | (rng.random(count) < 0.3)
    last_status = formalized + np.where(moved, (rng.random(count) * span).astype(np.int64), 0)

    grand = rng.random(count) < 0.07
    subtotal = np.where(
        grand,
        rng.lognormal(np.log(70_000), 1.0, count),
        rng.lognormal(np.log(3_000), 1.2, count),
    )
    subtotal_cents = np.maximum((subtotal * 100).astype(np.int64), 100)
    with_igv = rng.random(count) < 0.96
    igv_cents = np.where(with_igv, (subtotal_cents * 18 + 50) // 100, 0)

    order = np.argsort(buyer, kind="stable")
    rank = np.empty(count, dtype=np.int64)
    sorted_buyers = buyer[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_buyers)) + 1] if count else np.array([], int)
    group_start = np.repeat(starts, np.diff(np.r_[starts, count])) if count else starts
    rank[order] = np.arange(count) - group_start
    seq = day.timetuple().tm_yday * seq_width + rank + 1

    name_variant = rng.random(count)
    hex_ids = rng.integers(0, 2**63, size=(count, 2), dtype=np.int64)
    return {
        "buyer": buyer,
        "supplier": supplier,
        "agreement": agreement,
        "formalized": formalized,
        "last_status": last_status,
        "status": status,
        "grand": grand,
        "subtotal_cents": subtotal_cents,
        "igv_cents": igv_cents,
        "seq": seq,
        "order_pdf_id": 1_000_000 + ordinal * seq_width + np.arange(count),
        "name_variant": name_variant,
        "hex_ids": hex_ids,
        "siaf": rng.random(count) < 0.6,
        "document": rng.random(count) < 0.8,
    }


def _agreement_labels(
    pools: Pools, agreement: np.ndarray, year: int, variant: np.ndarray
) -> pa.Array:
    """Return published labels: ``CODE NAME`` up to 2022, name only later, some spacing noise."""
    names = pools.agreement_name[agreement]
    codes = pools.agreement_code[agreement]
    official = np.array([not code.startswith("NC-") for code in codes], dtype=bool)
    labels = pa.array(names, pa.string())
    if year <= 2022:
        labels = pc.if_else(
            pa.array(official),
            pc.binary_join_element_wise(pa.array(codes, pa.string()), labels, " "),
            labels,
        )
    doubled = pc.replace_substring(labels, " Y ", "  Y ", max_replacements=1)
    labels = pc.if_else(pa.array(variant < 0.05), doubled, labels)
    trailing = pc.binary_join_element_wise(labels, " ", "")
    return pc.if_else(pa.array((variant >= 0.05) & (variant < 0.08)), trailing, labels)


def _name_variants(names: np.ndarray, variant: np.ndarray) -> pa.Array:
    """Apply occasional real-world spelling noise (double or trailing spaces) to names."""
    base = pa.array(names, pa.string())
    doubled = pc.replace_substring(base, " ", "  ", max_replacements=1)
    trailing = pc.binary_join_element_wise(base, " ", "")
    out = pc.if_else(pa.array(variant > 0.985), doubled, base)
    return pc.if_else(pa.array((variant > 0.97) & (variant <= 0.985)), trailing, out)


def file_name(year: int, month: int) -> str:
    """Return the real monthly file name for (year, month)."""
    return f"ReportePCBienes{year:04d}{month:02d}.csv"


def generate_month(
    year: int,
    month: int,
    out_dir: Path,
    *,
    seed: int = 2026,
    orders: int = 10_000,
    variant: Variant = "latin1",
    trim_amounts: bool = False,
    include_synthetic_agreements: bool = False,
    name: str | None = None,
) -> Path:
    """Write one synthetic monthly file and return its path (byte-identical for same inputs).

    ``variant``: ``latin1`` (the usual format), ``utf8_tab`` (UTF-8, TAB before every field but
    the first), ``dmy_dates`` (latin-1 with ``D/MM/YYYY HH:MM`` dates). ``trim_amounts`` writes
    ``3500`` / ``1030.4`` instead of ``3500.00`` / ``1030.40``.
    ``include_synthetic_agreements`` adds the table's ``synthetic`` agreements (~70 in all).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    pools = build_pools(seed, include_synthetic_agreements=include_synthetic_agreements)
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    process_seconds = int(np.datetime64(next_month.isoformat(), "s").astype(np.int64)) + 4 * 3600
    counts = _orders_per_day(year, month, orders)
    seq_width = 10 ** max(3, len(str(int(counts.max()))))
    days = [
        _generate_day(
            dt.date(year, month, index + 1),
            int(count),
            seed=seed,
            pools=pools,
            process_seconds=process_seconds,
            seq_width=seq_width,
        )
        for index, count in enumerate(counts)
    ]
    merged = {key: np.concatenate([day[key] for day in days]) for key in days[0]}
    # newest first, like the real files
    order = np.argsort(-merged["formalized"], kind="stable")
    merged = {key: value[order] for key, value in merged.items()}
    total = len(merged["formalized"])
    dmy = variant == "dmy_dates"

    buyer = merged["buyer"]
    entity_code = pa.array(pools.buyer_code[buyer]).cast(pa.string())
    order_year = pa.array(merged["formalized"].astype("datetime64[s]")).cast(pa.timestamp("s"))
    year_text = pc.strftime(order_year, "%Y")
    seq_text = pa.array(merged["seq"]).cast(pa.string())
    order_id = pc.binary_join_element_wise("OCAM", year_text, entity_code, seq_text, "-")
    status = pa.array(np.array(STATUSES, dtype=object)[merged["status"]], pa.string())
    moved = merged["last_status"] > merged["formalized"]
    hex_text = pc.binary_join_element_wise(
        pc.utf8_lpad(pa.array(np.char.mod("%x", merged["hex_ids"][:, 0]).astype(object)), 16, "0"),
        pc.utf8_lpad(pa.array(np.char.mod("%x", merged["hex_ids"][:, 1]).astype(object)), 16, "0"),
        "",
    )
    with_document = pa.array((merged["status"] != 0) & merged["document"])
    empty = pa.scalar("", pa.string())
    document_url = pc.if_else(
        with_document, pc.binary_join_element_wise(BLOB_URL, hex_text, ".pdf", ""), empty
    )
    if year <= 2022:
        digitized = pc.binary_join_element_wise(BLOB_URL, order_id, "_FISICA.pdf", "")
    else:
        stamp = pc.strftime(order_year, "%d-%m-%y %H-%M-%S")
        digitized = pc.binary_join_element_wise(BLOB_URL, order_id, "_", stamp, "_FISICA.pdf", "")
    siaf = pa.array(moved & (merged["status"] == 1) & merged["siaf"])
    subtotal = merged["subtotal_cents"]
    igv = merged["igv_cents"]
    columns = [
        pa.array([_format_times(np.array([process_seconds]), dmy)[0].as_py()] * total, pa.string()),
        pa.array(pools.supplier_ruc[merged["supplier"]], pa.string()),
        _name_variants(pools.supplier_name[merged["supplier"]], merged["name_variant"]),
        pa.array(pools.buyer_ruc[buyer], pa.string()),
        _name_variants(pools.buyer_name[buyer], 1 - merged["name_variant"]),
        pc.if_else(
            pa.array(merged["grand"]), pa.scalar("Gran Compra"), pa.scalar("Compra ordinaria")
        ),
        pc.binary_join_element_wise(order_id, "0", "-"),
        pc.binary_join_element_wise(
            PDF_URL, pa.array(merged["order_pdf_id"]).cast(pa.string()), "&ImprimirCompleto=1", ""
        ),
        status,
        document_url,
        _format_times(merged["formalized"], dmy),
        _format_times(merged["last_status"], dmy),
        _format_amounts(subtotal, trim_amounts),
        _format_amounts(igv, trim_amounts),
        _format_amounts(subtotal + igv, trim_amounts),
        digitized,
        pc.if_else(siaf, pa.scalar(SIAF_NOTE), empty),
        pa.array([""] * total, pa.string()),
        _agreement_labels(pools, merged["agreement"], year, merged["name_variant"]),
    ]
    if variant == "utf8_tab":
        columns = [columns[0]] + [pc.binary_join_element_wise("\t", c, "") for c in columns[1:]]
        header = SEPARATOR.join([COLUMNS[0]] + ["\t" + c for c in COLUMNS[1:]])
    else:
        header = SEPARATOR.join(COLUMNS)
    lines = pc.binary_join_element_wise(*columns, SEPARATOR) if total else pa.array([], pa.string())
    text = header + "\n" + "".join(line + "\n" for line in lines.to_pylist())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / (name or file_name(year, month))
    encoding = "utf-8" if variant == "utf8_tab" else "latin-1"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(text.encode(encoding))
    temporary.replace(path)
    return path


def _cents(text: str) -> int:
    """Parse a generator-written amount (no sign, 0-2 decimals) into cents."""
    units, _, fraction = text.partition(".")
    return int(units) * 100 + int((fraction + "00")[:2])


def _shift_date(text: str, days: int) -> str:
    """Shift a date written in either file format by ``days`` days, keeping the format."""
    if "/" in text:
        moved = dt.datetime.strptime(text, "%d/%m/%Y %H:%M") + dt.timedelta(days=days)
        return f"{moved.day}/{moved:%m/%Y %H:%M}"
    moved = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S") + dt.timedelta(days=days)
    return f"{moved:%Y-%m-%d %H:%M:%S}"


def plant_defects(path: Path, kinds: list[str], *, seed: int = 0) -> list[PlantedDefect]:
    """Corrupt one distinct data row per requested kind in place; return what was planted.

    Parse-level kinds (``field_count`` … ``order_number_format``) are the reader's rule ids;
    the others are business-rule defects for the quality layer. Deterministic for a seed.
    """
    unknown = sorted(set(kinds) - set(DEFECT_KINDS))
    if unknown:
        raise ValueError(f"unknown defect kind(s) {unknown}; choose from {DEFECT_KINDS}")
    path = Path(path)
    text, encoding = decode_text(path, path.read_bytes())
    lines = text.split("\n")
    trailing_newline = lines[-1] == ""
    if trailing_newline:
        lines.pop()
    data_lines = len(lines) - 1
    if data_lines < len(kinds) + 1:
        raise ValueError(f"{path.name}: {data_lines} data rows, too few to plant {len(kinds)}")
    prefix = "\t" if lines[0].split(SEPARATOR)[1].startswith("\t") else ""
    rng = np.random.default_rng([seed, 0xDEF])
    chosen = rng.choice(np.arange(1, len(lines)), size=len(kinds) + 1, replace=False)
    index = {column: position for position, column in enumerate(COLUMNS)}
    planted = []
    for kind, line_index in zip(kinds, chosen[:-1].tolist(), strict=True):
        raw = lines[line_index].split(SEPARATOR)
        fields = [raw[0]] + [field.removeprefix(prefix) for field in raw[1:]]

        def put(column: str, value: str, fields: list[str] = fields) -> None:
            fields[index[column]] = value

        def get(column: str, fields: list[str] = fields) -> str:
            return fields[index[column]]

        if kind == "field_count":
            fields.pop()
        elif kind == "required_missing":
            put("PROVEEDOR", "")
        elif kind == "date_unparseable":
            put("FECHA_FORMALIZACIÓN", "2025-13-45 99:99:99")
        elif kind == "amount_unparseable":
            put("SUB_TOTAL", get("SUB_TOTAL").replace(".", ",") + ",5")
        elif kind == "amount_precision":
            cents = _cents(get("IGV"))
            put("IGV", f"{cents // 100}.{cents % 100:02d}1")
        elif kind == "order_number_format":
            put("ORDEN_ELECTRÓNICA", get("ORDEN_ELECTRÓNICA").replace("OCAM-", "OC/"))
        elif kind == "ruc_check_digit":
            ruc = get("RUC_PROVEEDOR")
            put("RUC_PROVEEDOR", ruc[:10] + str((int(ruc[10]) + 1) % 10))
        elif kind == "unknown_status":
            put("ESTADO_ORDEN_ELECTRÓNICA", "EN REVISIÓN")
        elif kind == "total_mismatch":
            cents = _cents(get("TOTAL")) + 1
            put("TOTAL", f"{cents // 100}.{cents % 100:02d}")
        elif kind == "igv_not_18":
            subtotal = _cents(get("SUB_TOTAL"))
            igv = (subtotal * 10 + 50) // 100 + 1
            put("IGV", f"{igv // 100}.{igv % 100:02d}")
            total = subtotal + igv
            put("TOTAL", f"{total // 100}.{total % 100:02d}")
        elif kind == "date_order":
            put("FECHA_ÚLTIMO_ESTADO", _shift_date(get("FECHA_FORMALIZACIÓN"), -1))
        elif kind == "unknown_agreement":
            put("ACUERDO_MARCO", "ACUERDO MARCO INEXISTENTE DE PRUEBA")
        elif kind == "duplicate_order":
            other = lines[int(chosen[-1])].split(SEPARATOR)[index["ORDEN_ELECTRÓNICA"]]
            put("ORDEN_ELECTRÓNICA", other.removeprefix(prefix))
        lines[line_index] = SEPARATOR.join([fields[0]] + [prefix + field for field in fields[1:]])
        planted.append(PlantedDefect(line=line_index + 1, kind=kind))
    text = "\n".join(lines) + ("\n" if trailing_newline else "")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(text.encode(encoding))
    temporary.replace(path)
    return sorted(planted, key=lambda defect: defect.line)
