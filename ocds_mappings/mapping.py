"""Normalised purchase-order table -> OCDS 1.1.5 call-off and framework-agreement releases.

Statuses: ``STATUS_RULES`` decides, for each raw ESTADO_ORDEN_ELECTRÓNICA, the award, contract
and milestone states in one place, never contradicting the codelists (docs/mapping.md, "Order
status"). A raw status not in the table is published as it is, in ``statusDetails``, with no
award or contract status guessed (the quality gate warns about it).

Procedures: ``PROCEDURE_RULES`` says what each TIPO_PROCEDIMIENTO means and whether the
call-off is competitive, with the sources (docs/mapping.md, "Procedure").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ocds_mappings.dates import END_OF_DAY, START_OF_DAY
from ocds_mappings.identity import PERU_COMPRAS_NAME, PERU_COMPRAS_RUC, OcidScheme
from perucompras.quarantine import QUARANTINE_SCHEMA
from settings import DEFAULT_OCID_PATTERN, EXAMPLE_OCID_PREFIX

__all__ = ["PERU_COMPRAS_NAME", "PERU_COMPRAS_RUC"]

CURRENCY = "PEN"
LANGUAGE = "es"
PARTY_ID_PREFIX = "PE-RUC-"
PARTY_SCHEME = "PE-RUC"
MAX_CENTS = 10**15  # amounts stay below 1e13 PEN: exact as JSON numbers and in canonical JSON
ISO_LIMA_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$"
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"
PROCUREMENT_METHOD = "selective"
FRAMEWORK_METHOD_DETAILS = (
    "Acuerdo Marco: selección de proveedores para los Catálogos Electrónicos de Acuerdos Marco"
)
BUYER_CATEGORIES = (
    "Todas las entidades públicas que contratan bienes incluidos en los Catálogos Electrónicos "
    "de Acuerdos Marco"
)
# frameworkAgreementMethod (techniques extension, closed codelist): call-offs are awarded both
# without reopening competition (Compra ordinaria) and with it (Gran Compra's quotation round).
FRAMEWORK_METHOD = "withAndWithoutReopeningCompetition"
PAYMENT_MILESTONE_ID = "payment"
DEFAULT_CATEGORY = "goods"  # the monthly files are ReportePCBienes: goods


@dataclass(frozen=True)
class StatusRule:
    """How one raw ESTADO_ORDEN_ELECTRÓNICA value maps to OCDS (None: left unset, never guessed)."""

    raw: str
    slug: str
    award_status: str | None
    contract_status: str | None
    signed: bool
    terminal: bool
    paid: bool
    delivery_status: str
    later_tag: str
    status_document_type: str
    note: str | None
    meaning: str


STATUS_RULES: dict[str, StatusRule] = {
    rule.raw: rule
    for rule in (
        StatusRule(
            "ACEPTADA",
            "accepted",
            "active",
            "active",
            True,
            False,
            False,
            "scheduled",
            "contractUpdate",
            "contractAnnexe",
            None,
            "The supplier accepted the order: award and contract in force (`active`, "
            "`dateSigned` = FECHA_FORMALIZACIÓN); deliveries `scheduled` for their `dueDate`.",
        ),
        StatusRule(
            "PAGADA",
            "paid",
            "active",
            "terminated",
            True,
            True,
            True,
            "met",
            "contractTermination",
            "contractAnnexe",
            None,
            "The order was paid: the contract came to a close by completion (`terminated`). "
            "A `payment` milestone `met` with `dateMet` = FECHA_ÚLTIMO_ESTADO and a transaction "
            "of the order's TOTAL on that date, buyer as payer, supplier as payee; every "
            "delivery milestone `met`, `dateMet` = FECHA_ÚLTIMO_ESTADO (the source has no "
            "delivery date: a paid order's deliveries were received by then).",
        ),
        StatusRule(
            "RESUELTA",
            "resolved",
            "active",
            "terminated",
            True,
            True,
            False,
            "notMet",
            "contractTermination",
            "contractArrangements",
            "Orden resuelta: el contrato terminó antes de cumplirse.",
            "The contract was resolved after it was signed (early termination, `terminated`; "
            "said in `description`); the award was made and stays `active`; delivery "
            "milestones `notMet` with `dateModified` = FECHA_ÚLTIMO_ESTADO.",
        ),
        StatusRule(
            "ORDEN DE COMPRA NULA",
            "void",
            "cancelled",
            "cancelled",
            False,
            True,
            False,
            "notMet",
            "awardCancellation",
            "cancellationDetails",
            "Orden de compra declarada nula.",
            "The order was declared void before it came into force: award and contract "
            "`cancelled` (the codelist: cancelled before signature), no `dateSigned`; delivery "
            "milestones `notMet` with `dateModified` = FECHA_ÚLTIMO_ESTADO.",
        ),
    )
}


def status_rule(raw: str) -> StatusRule:
    """The rule of a raw status; an unknown one keeps its value only, nothing guessed."""
    rule = STATUS_RULES.get(raw)
    if rule is not None:
        return rule
    return StatusRule(
        raw,
        "other",
        None,
        None,
        True,
        False,
        False,
        "scheduled",
        "contractUpdate",
        "contractAnnexe",
        None,
        "Any other value: kept in `statusDetails`, no award or contract status.",
    )


@dataclass(frozen=True)
class ProcedureRule:
    """What one TIPO_PROCEDIMIENTO means for a call-off, and where that is established."""

    raw: str
    competitive: bool | None
    meaning: str
    sources: tuple[str, ...]


REGLAS_TIPO_I = (
    "PERÚ COMPRAS, Reglas Estándar del Método Especial de Contratación a través de los "
    "Catálogos Electrónicos de Acuerdos Marco – Tipo I, Modificación IV (abril 2024), "
    "https://es.scribd.com/document/739971001/5416680-reglas-operatividad-mod-iv-2024"
)
ANEXO_IM_CE_2017_6 = (
    "PERÚ COMPRAS, Anexo N° 01: IM-CE-2017-6 Parámetros y condiciones del Método Especial de "
    "Contratación (firmado el 22.03.2019): «Monto establecido para las Grandes Compras: "
    "S/ 100,000.00», https://fdocuments.ec/document/"
    "central-de-compras-pblicas-direccin-de-per-compras-2019-03-28-de-las-compras.html"
)
IM_CE_IMPLEMENTACION = (
    "PERÚ COMPRAS, IM-CE Procedimiento para la implementación de los Catálogos Electrónicos de "
    "Acuerdos Marco, §1.2 (contratación «sin mediar procedimiento de selección»), "
    "http://docplayer.es/42954808-im-ce-procedimiento-para-la-implementacion-de-los-catalogos-"
    "electronicos-de-acuerdos-marco.html"
)
FAQ_PROVEEDORES = (
    "gob.pe, Preguntas frecuentes sobre Acuerdos Marco para proveedores, pregunta 4 (proformas "
    "de las entidades), https://www.gob.pe/36575-preguntas-frecuentes-sobre-acuerdos-marco-para-"
    "proveedores"
)
OCDS_FRAMEWORK_GUIDANCE = (
    "OCDS 1.1 guidance, Framework agreements (open-contracting/standard, branch 1.1 @ 715687a), "
    "https://standard.open-contracting.org/latest/en/guidance/map/framework_agreements/"
)

PROCEDURE_RULES: dict[str, ProcedureRule] = {
    rule.raw: rule
    for rule in (
        ProcedureRule(
            "Compra ordinaria",
            False,
            "The entity places the order itself, choosing among the catalogue's offers "
            "(ficha-producto, price, stock) on the terms the agreement already fixed, «sin "
            "mediar procedimiento de selección» (IM-CE §1.2): no competition is reopened among "
            "the agreement's suppliers, which the OCDS guidance calls a direct call-off "
            "(award without second-stage competition: `tender.competitive` `false`). Entities "
            "may ask suppliers for quotations (proformas) before ordering; no rule text read "
            "for this project makes that a second stage where suppliers compete (the Gran "
            "Compra quotation round is one), so it is read as the entity's market check, not "
            "as a mini-competition.",
            (IM_CE_IMPLEMENTACION, OCDS_FRAMEWORK_GUIDANCE, FAQ_PROVEEDORES, REGLAS_TIPO_I),
        ),
        ProcedureRule(
            "Gran Compra",
            True,
            "A purchase above the agreement's Gran Compra amount (S/ 100,000 in the "
            "IM-CE-2017-6 parameters; a parameter of each agreement, not a national constant) "
            "goes through a quotation round among the catalogue's suppliers, who quote their "
            "own price, delivery term and freight: a mini-competition, `tender.competitive` "
            "`true`. The flag is the source's: small orders flagged Gran Compra exist (a split "
            "requirement), so it is never derived from the order's amount.",
            (ANEXO_IM_CE_2017_6, REGLAS_TIPO_I, OCDS_FRAMEWORK_GUIDANCE),
        ),
    )
}


@dataclass(frozen=True)
class FieldMapping:
    """One normalised column and where it goes in a call-off release (for the docs)."""

    source: str
    column: str
    ocds_paths: tuple[str, ...]
    note: str = ""


FIELD_MAPPINGS: tuple[FieldMapping, ...] = (
    FieldMapping(
        "FECHA_PROCESO", "process_time", (), "Not published; picks the latest name per RUC."
    ),
    FieldMapping(
        "RUC_PROVEEDOR",
        "supplier_ruc",
        ("parties[].id", "parties[].identifier.id", "awards[].suppliers[].id"),
        "`PE-RUC-{ruc}`; identifier scheme `PE-RUC`; role `supplier`.",
    ),
    FieldMapping(
        "PROVEEDOR",
        "supplier_name",
        ("parties[].name", "parties[].identifier.legalName", "awards[].suppliers[].name"),
        "One name per RUC: the most recent one in the batch.",
    ),
    FieldMapping(
        "RUC_ENTIDAD",
        "buyer_ruc",
        ("parties[].id", "buyer.id", "tender.procuringEntity.id"),
        "Roles `buyer` and `procuringEntity` (and `payer` when the order is paid).",
    ),
    FieldMapping(
        "ENTIDAD",
        "buyer_name",
        ("parties[].name", "buyer.name", "tender.procuringEntity.name"),
        "One name per RUC: the most recent one in the batch.",
    ),
    FieldMapping(
        "TIPO_PROCEDIMIENTO",
        "procedure_type",
        ("tender.procurementMethodDetails", "tender.competitive"),
        "Raw value; `tender.competitive` from the procedure table; `tender.procurementMethod` "
        "is `selective` for every call-off (only the agreement's suppliers can be chosen).",
    ),
    FieldMapping(
        "ORDEN_ELECTRÓNICA",
        "order_number / order_id",
        (
            "ocid",
            "id",
            "tender.id",
            "tender.title",
            "awards[].id",
            "contracts[].id",
            "contracts[].awardID",
            "contracts[].title",
        ),
        "ocid from the `identity.ocid_pattern` setting (default `{prefix}-{order_id}`); tender "
        "and award use the order id (no `-n` suffix); the contract id is the full number.",
    ),
    FieldMapping(
        "ORDEN_ELECTRÓNICA_GENERADA",
        "order_pdf_url",
        ("contracts[].documents[id=order-pdf].url",),
        "documentType `contractSigned`.",
    ),
    FieldMapping(
        "ESTADO_ORDEN_ELECTRÓNICA",
        "status",
        (
            "awards[].status",
            "contracts[].status",
            "contracts[].statusDetails",
            "contracts[].implementation",
            "tag",
        ),
        "See the status table; the raw value is kept in `statusDetails` (status details "
        "extension); an undocumented value sets no `contracts[].status` nor award status.",
    ),
    FieldMapping(
        "DOCUMENTO_ESTADO_OCAM",
        "status_document_url",
        ("contracts[].documents[id=status-document-{slug}].url",),
        "documentType from the status table.",
    ),
    FieldMapping(
        "FECHA_FORMALIZACIÓN",
        "formalized_at",
        ("awards[].date", "contracts[].dateSigned"),
        "Lima time, `-05:00`; a value at exactly 00:00:00 is a date without time (see Dates); "
        "no `dateSigned` when the status table says the order was never signed.",
    ),
    FieldMapping(
        "FECHA_ÚLTIMO_ESTADO",
        "last_status_at",
        (
            "date",
            "id",
            "contracts[].implementation.milestones[].dateMet",
            "contracts[].implementation.milestones[].dateModified",
            "contracts[].implementation.transactions[].date",
        ),
        "Lima time, `-05:00`.",
    ),
    FieldMapping(
        "SUB_TOTAL",
        "subtotal_cents",
        ("awards[].value.amountNet", "contracts[].value.amountNet"),
        "Net amount extension (`ocds_mappings/extensions/net_amount`).",
    ),
    FieldMapping("IGV", "igv_cents", (), "Not published separately: `amount - amountNet`."),
    FieldMapping(
        "TOTAL",
        "total_cents",
        (
            "awards[].value.amount",
            "contracts[].value.amount",
            "contracts[].implementation.transactions[].value.amount",
        ),
        "Currency `PEN`; TOTAL = SUB_TOTAL + IGV is checked; the payment transaction of a paid "
        "order is its TOTAL (the source has no other paid amount).",
    ),
    FieldMapping(
        "ORDEN_DIGITALIZADA",
        "digitized_order_url",
        ("contracts[].documents[id=digitized-order].url",),
        "documentType `contractSigned`.",
    ),
    FieldMapping("DESCRIPCIÓN_ESTADO", "status_description", ("contracts[].description",)),
    FieldMapping(
        "DESCRIPCIÓN_CESIÓN_DERECHOS", "rights_assignment_description", ("contracts[].description",)
    ),
    FieldMapping(
        "ACUERDO_MARCO",
        "agreement_code / agreement_name",
        ("relatedProcesses[].identifier", "relatedProcesses[].title", "tender.title"),
        "`{prefix}-AM-{code}`, relationship `framework`, scheme `ocid`; an agreement known only "
        "by its name (no official code) gets relationship `framework` and its title only: no "
        "scheme nor identifier.",
    ),
)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_line",
    "process_time",
    "supplier_ruc",
    "supplier_name",
    "buyer_ruc",
    "buyer_name",
    "procedure_type",
    "order_number",
    "order_id",
    "status",
    "formalized_at",
    "last_status_at",
    "subtotal_cents",
    "igv_cents",
    "total_cents",
    "agreement_code",
)
# agreement_code may be null: the agreement is known only by its name (``agreement_name``,
# an optional column), and no code is invented for it.
NULLABLE_COLUMNS: frozenset[str] = frozenset({"agreement_code"})
NAME_ONLY_COLUMN = "agreement_name"
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "order_pdf_url",
    "status_document_url",
    "digitized_order_url",
    "status_description",
    "rights_assignment_description",
)


class AgreementInfo(Protocol):
    """What the mapping needs to know about an Acuerdo Marco."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def has_code(self) -> bool: ...
    @property
    def start_date(self) -> str | None: ...
    @property
    def end_date(self) -> str | None: ...
    @property
    def gran_compra_cents(self) -> int | None: ...


@dataclass(frozen=True)
class Agreement:
    """A framework agreement: code, name, OCDS procurement category and known terms.

    ``has_code`` is false for an agreement known only by its name (table rows with
    ``code_kind = local``): it gets no ocid and no first stage. Dates are ``YYYY-MM-DD``.
    """

    code: str
    name: str
    category: str
    has_code: bool = True
    start_date: str | None = None
    end_date: str | None = None
    gran_compra_cents: int | None = None


AgreementLookup = Callable[[str], AgreementInfo | None]


def default_agreement_lookup() -> AgreementLookup:
    """Code -> agreement from the curated table in `perucompras.agreements` (the only coupling)."""
    from perucompras.agreements import agreement_terms, load_agreements

    rows = load_agreements().select(["code", "name", "ocds_category", "code_kind"]).to_pylist()
    terms = agreement_terms()
    table = {
        row["code"]: Agreement(
            row["code"],
            row["name"],
            row["ocds_category"],
            has_code=row["code_kind"] != "local",
            start_date=terms[row["code"]].start_date if row["code"] in terms else None,
            end_date=terms[row["code"]].end_date if row["code"] in terms else None,
            gran_compra_cents=(
                terms[row["code"]].gran_compra_cents if row["code"] in terms else None
            ),
        )
        for row in rows
    }
    return table.get


class UnmappableOrdersError(ValueError):
    """Some orders cannot be mapped; `quarantine` says which row, field and rule."""

    def __init__(self, quarantine: pa.Table) -> None:
        """Summarise the first few problems in the message."""
        self.quarantine = quarantine
        lines = [
            f"{row['source_file']}:{row['source_line']} {row['field']} ({row['rule']}): {row['message']}"
            for row in quarantine.slice(0, 5).to_pylist()
        ]
        more = quarantine.num_rows - len(lines)
        suffix = f"\n… and {more} more" if more > 0 else ""
        super().__init__(
            f"{quarantine.num_rows} problem(s) while mapping orders to OCDS:\n"
            + "\n".join(lines)
            + suffix
        )


@dataclass(frozen=True)
class MappingResult:
    """Releases built, rows quarantined and states skipped because they were already published."""

    releases: list[dict[str, Any]]
    quarantine: pa.Table
    already_published: int


def cents_to_number(cents: int) -> int | float:
    """Exact JSON number for integer cents: an int when whole, else the float whose repr is the decimal."""
    if not -MAX_CENTS < cents < MAX_CENTS:
        raise ValueError(f"{cents} cents is outside the exact range ±{MAX_CENTS}")
    whole, fraction = divmod(cents, 100)
    return whole if fraction == 0 else cents / 100


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes for our value space (ASCII keys, ints, floats in [1e-6, 1e15), whole amounts as ints)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def release_id(release: Mapping[str, Any], order_id: str) -> str:
    """`{order_id}-{YYYYMMDDTHHMMSS}-{sha256(canonical release without id)[:8]}`."""
    body = {key: value for key, value in release.items() if key != "id"}
    digest = hashlib.sha256(canonical_json(body)).hexdigest()[:8]
    date = release["date"]
    stamp = f"{date[0:4]}{date[5:7]}{date[8:10]}T{date[11:13]}{date[14:16]}{date[17:19]}"
    return f"{order_id}-{stamp}-{digest}"


def party_id(ruc: str) -> str:
    """OCDS party id of a RUC holder."""
    return f"{PARTY_ID_PREFIX}{ruc}"


def framework_ocid(agreement_code: str, ocid_prefix: str = EXAMPLE_OCID_PREFIX) -> str:
    """ocid of an Acuerdo Marco's first-stage process."""
    return OcidScheme(ocid_prefix).framework(agreement_code)


# What ``quote(url, safe=_URL_SAFE)`` leaves as it is: its always-safe ASCII and ``_URL_SAFE``.
_PLAIN_URL = re.compile(r"[A-Za-z0-9_.\-~/:?#\[\]@!$&'()*+,;=%]*")


def _document_url(url: str) -> str:
    """Percent-encode what the `uri` format refuses (spaces, accents), keep existing escapes."""
    stripped = url.strip()
    if _PLAIN_URL.fullmatch(stripped):
        return stripped  # the usual URL: nothing to encode
    return quote(stripped, safe=_URL_SAFE)


def _column(table: pa.Table, name: str) -> pa.Array:
    """A column as one contiguous array."""
    return table[name].combine_chunks()


def _blank(values: pa.Array) -> pa.Array:
    """True where a value is null or (for strings) only whitespace."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), True)
    return pc.is_null(values)


class _Quarantine:
    """Collects (row mask, field, rule, message builder) problems, column-wise."""

    def __init__(self, table: pa.Table) -> None:
        """Start with no problem for any row of `table`."""
        self.table = table
        self.entries: list[dict[str, Any]] = []
        self.bad = pa.array([False] * table.num_rows, pa.bool_())

    def add(self, mask: pa.Array, field: str, rule: str, message: Callable[..., str]) -> None:
        """Quarantine rows where `mask` is true (null counts as false)."""
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            return
        for row in self.table.filter(mask).to_pylist():
            self.entries.append(
                {
                    "source_file": row.get("source_file"),
                    "source_line": row.get("source_line"),
                    "field": field,
                    "rule": rule,
                    "message": message(row),
                    "raw_row": orjson.dumps(row, default=str).decode(),
                }
            )
        self.bad = pc.or_(self.bad, mask)

    def to_table(self) -> pa.Table:
        """The quarantine table (architecture schema)."""
        return pa.Table.from_pylist(self.entries, schema=QUARANTINE_SCHEMA)


def _check_rows(table: pa.Table) -> _Quarantine:
    """Vectorised row checks: what cannot be published exactly (an agreement the lookup does
    not know is not one of them: the order's own label decides, ``_agreements``)."""
    problems = _Quarantine(table)
    for name in (column for column in REQUIRED_COLUMNS if column not in NULLABLE_COLUMNS):
        problems.add(
            _blank(_column(table, name)),
            name,
            "required",
            lambda row, name=name: f"{name} is empty; fix the source row or the reader",
        )
    for name in ("formalized_at", "last_status_at"):
        problems.add(
            pc.invert(pc.match_substring_regex(_column(table, name), ISO_LIMA_PATTERN)),
            name,
            "date_format",
            lambda row, name=name: f"{name} {row[name]!r} is not YYYY-MM-DDTHH:MM:SS-05:00",
        )
    subtotal, igv, total = (
        _column(table, c) for c in ("subtotal_cents", "igv_cents", "total_cents")
    )
    problems.add(
        pc.not_equal(pc.add(subtotal, igv), total),
        "total_cents",
        "total_mismatch",
        lambda row: (
            f"SUB_TOTAL + IGV = {row['subtotal_cents'] + row['igv_cents']} cents but TOTAL = "
            f"{row['total_cents']} cents"
        ),
    )
    for name, values in (("subtotal_cents", subtotal), ("total_cents", total)):
        problems.add(
            pc.or_(pc.less(values, 0), pc.greater_equal(values, MAX_CENTS)),
            name,
            "amount_range",
            lambda row, name=name: (
                f"{name} {row[name]} is negative or too large to publish exactly"
            ),
        )
    return problems


def _agreements(table: pa.Table, lookup: AgreementLookup) -> dict[str, AgreementInfo]:
    """Code -> agreement for every code of ``table``: the lookup's, else the code and name the
    order's label carries (category goods), as the publication policy says: the orders' own
    labels decide, the curated table only enriches."""
    pairs = (
        pa.table({"code": _column(table, "agreement_code"), "name": _name_column(table)})
        .filter(pc.is_valid(_column(table, "agreement_code")))
        .group_by("code")
        .aggregate([("name", "min")])
    )
    found: dict[str, AgreementInfo] = {}
    for code, name in zip(pairs["code"].to_pylist(), pairs["name_min"].to_pylist(), strict=True):
        info = lookup(code)
        found[code] = info if info is not None else Agreement(code, name or code, DEFAULT_CATEGORY)
    return found


def _name_column(table: pa.Table) -> pa.Array:
    """The agreement names of ``table`` (nulls when the optional column is absent)."""
    if NAME_ONLY_COLUMN in table.column_names:
        return _column(table, NAME_ONLY_COLUMN)
    return pa.nulls(table.num_rows, pa.string())


def _canonical_party_names(table: pa.Table) -> dict[str, str]:
    """One name per RUC: the one of the most recent row (by process time, then status date)."""
    stacked = pa.concat_tables(
        [
            pa.table(
                {
                    "ruc": _column(table, f"{role}_ruc"),
                    "name": _column(table, f"{role}_name"),
                    "process_time": _column(table, "process_time"),
                    "last_status_at": _column(table, "last_status_at"),
                }
            )
            for role in ("buyer", "supplier")
        ]
    )
    ordered = stacked.sort_by(
        [("ruc", "ascending"), ("process_time", "ascending"), ("last_status_at", "ascending")]
    )
    ruc = _column(ordered, "ruc")
    if len(ruc) == 0:
        return {}
    is_last = pa.concat_arrays([pc.not_equal(ruc[:-1], ruc[1:]), pa.array([True], pa.bool_())])
    latest = ordered.filter(is_last)
    return dict(zip(latest["ruc"].to_pylist(), latest["name"].to_pylist(), strict=True))


def party_name_variants(table: pa.Table) -> list[dict[str, Any]]:
    """RUCs that appear under more than one name: the name used (latest) and the others."""
    used = _canonical_party_names(table)
    stacked = pa.concat_tables(
        [
            pa.table({"ruc": _column(table, f"{role}_ruc"), "name": _column(table, f"{role}_name")})
            for role in ("buyer", "supplier")
        ]
    )
    names = stacked.group_by("ruc").aggregate([("name", "distinct")])
    several = names.filter(pc.greater(pc.list_value_length(names["name_distinct"]), 1))
    return [
        {"ruc": ruc, "used": used[ruc], "others": sorted(set(all_names) - {used[ruc]})}
        for ruc, all_names in sorted(
            zip(several["ruc"].to_pylist(), several["name_distinct"].to_pylist(), strict=True)
        )
    ]


def _shift_equal(values: pa.Array, offset: int) -> pa.Array:
    """values[i] == values[i + offset] (false where i + offset is out of range)."""
    n = len(values)
    if n == 0:
        return pa.array([], pa.bool_())
    pad = pa.array([False] * min(abs(offset), n), pa.bool_())
    if offset > 0:
        return pa.concat_arrays(
            [pc.fill_null(pc.equal(values[:-offset], values[offset:]), False), pad]
        )
    return pa.concat_arrays([pad, pc.fill_null(pc.equal(values[-offset:], values[:offset]), False)])


def _party(ruc: str, name: str, roles: list[str]) -> dict[str, Any]:
    """A party identified by RUC."""
    return {
        "id": party_id(ruc),
        "name": name,
        "identifier": {"scheme": PARTY_SCHEME, "id": ruc, "legalName": name},
        "roles": roles,
    }


_ORDER_PDFS = (
    ("order_pdf_url", "order-pdf", "Orden de compra electrónica (PDF generado por PERÚ COMPRAS)"),
    ("digitized_order_url", "digitized-order", "Orden de compra digitalizada"),
)


def _documents(row: Mapping[str, Any], rule: StatusRule) -> list[dict[str, Any]]:
    """The order's documents that the source links to."""
    documents = [
        {
            "id": document_id,
            "documentType": "contractSigned",
            "title": title,
            "url": _document_url(row[column]),
            "format": "application/pdf",
            "language": LANGUAGE,
        }
        for column, document_id, title in _ORDER_PDFS
        if row.get(column)
    ]
    if row.get("status_document_url"):
        url = _document_url(row["status_document_url"])
        document = {
            "id": f"status-document-{rule.slug}",
            "documentType": rule.status_document_type,
            "title": f"Documento del estado {rule.raw}",
            "url": url,
            "language": LANGUAGE,
        }
        if url.lower().endswith(".pdf"):
            document["format"] = "application/pdf"
        documents.append(document)
    return documents


def _contract_description(row: Mapping[str, Any], rule: StatusRule) -> str | None:
    """Status note, DESCRIPCIÓN_ESTADO and DESCRIPCIÓN_CESIÓN_DERECHOS, when any."""
    parts = []
    if rule.note:
        parts.append(rule.note)
    if row.get("status_description") and row["status_description"].strip():
        parts.append(f"Descripción del estado: {row['status_description'].strip()}")
    if row.get("rights_assignment_description") and row["rights_assignment_description"].strip():
        parts.append(f"Cesión de derechos: {row['rights_assignment_description'].strip()}")
    return " ".join(parts) or None


def close_milestone(milestone: dict[str, Any], rule: StatusRule, status_date: str) -> None:
    """Set a milestone's status from the order's status (in place): met with its date, closed
    as ``notMet`` when the contract ended without it, left ``scheduled`` otherwise."""
    milestone["status"] = rule.delivery_status
    milestone.pop("dateMet", None)
    milestone.pop("dateModified", None)
    if rule.delivery_status == "met":
        milestone["dateMet"] = status_date
    elif rule.delivery_status != "scheduled":
        milestone["dateModified"] = status_date


def _implementation(
    row: Mapping[str, Any], rule: StatusRule, buyer: dict[str, str], supplier: dict[str, str]
) -> dict[str, Any] | None:
    """Payment milestone and transaction of a paid order (the order's TOTAL on its status date)."""
    if not rule.paid:
        return None
    date = row["last_status_at"]
    return {
        "milestones": [
            {
                "id": PAYMENT_MILESTONE_ID,
                "title": "Pago de la orden de compra",
                "type": "payment",
                "status": "met",
                "dateMet": date,
            }
        ],
        "transactions": [
            {
                "id": f"{row['order_number']}-pago",
                "date": date,
                "value": {"amount": cents_to_number(row["total_cents"]), "currency": CURRENCY},
                "payer": dict(buyer),
                "payee": dict(supplier),
            }
        ],
    }


def _parties(row: Mapping[str, Any], rule: StatusRule) -> list[dict[str, Any]]:
    """Buyer (also procuring entity, and payer of a paid order) and supplier (payee)."""
    buyer_roles = ["buyer", "procuringEntity", *(["payer"] if rule.paid else [])]
    supplier_roles = ["supplier", *(["payee"] if rule.paid else [])]
    if row["buyer_ruc"] == row["supplier_ruc"]:
        return [_party(row["buyer_ruc"], row["buyer_name"], [*buyer_roles, *supplier_roles])]
    return [
        _party(row["buyer_ruc"], row["buyer_name"], buyer_roles),
        _party(row["supplier_ruc"], row["supplier_name"], supplier_roles),
    ]


def related_framework(agreement: AgreementInfo, ocids: OcidScheme) -> dict[str, Any]:
    """The call-off's link to its Acuerdo Marco: by ocid, or by title only when the agreement
    is known only by its name (no first stage is published for it)."""
    related: dict[str, Any] = {"id": "1", "relationship": ["framework"]}
    if agreement.has_code:
        related["scheme"] = "ocid"
        related["identifier"] = ocids.framework(agreement.code)
    if agreement.name:
        related["title"] = agreement.name
    return related


def _name_only(name: str | None) -> Agreement:
    """An agreement known only by its name (null code): linked by title, never given a code."""
    return Agreement("", (name or "").strip(), DEFAULT_CATEGORY, has_code=False)


def _call_off_release(
    row: Mapping[str, Any],
    tag: list[str],
    agreement: AgreementInfo,
    ocids: OcidScheme,
    *,
    first: bool = True,
    with_id: bool = True,
) -> dict[str, Any]:
    """One call-off release from one normalised row (names already canonical; ``with_id``
    False: its id left empty).

    A later state that has no value for a field an earlier state set (``dateSigned`` of a
    void order, the status of an unknown one) sets it to ``null``, which removes it from the
    compiled release (OCDS merging), so a record never keeps a value its latest state denies.
    """
    rule = status_rule(row["status"])
    procedure = PROCEDURE_RULES.get(row["procedure_type"])
    buyer = {"id": party_id(row["buyer_ruc"]), "name": row["buyer_name"]}
    supplier = {"id": party_id(row["supplier_ruc"]), "name": row["supplier_name"]}
    total = cents_to_number(row["total_cents"])
    net = cents_to_number(row["subtotal_cents"])
    order_number = row["order_number"]
    tender: dict[str, Any] = {
        "id": row["order_id"],
        "title": f"Orden de compra electrónica {order_number}"
        + (f": {agreement.name}" if agreement.name else ""),
        "status": "complete",
        "procuringEntity": dict(buyer),
        "procurementMethod": PROCUREMENT_METHOD,
        "procurementMethodDetails": row["procedure_type"],
        "mainProcurementCategory": agreement.category,
    }
    if procedure is not None and procedure.competitive is not None:
        tender["competitive"] = procedure.competitive
    award: dict[str, Any] = {"id": row["order_id"]}
    if rule.award_status is not None or not first:
        award["status"] = rule.award_status
    award |= {
        "date": row["formalized_at"],
        "value": {"amount": total, "amountNet": net, "currency": CURRENCY},
        "suppliers": [supplier],
    }
    contract: dict[str, Any] = {
        "id": order_number,
        "awardID": row["order_id"],
        "title": f"Orden de compra electrónica {order_number}",
    }
    if rule.contract_status is not None or not first:
        contract["status"] = rule.contract_status
    contract |= {
        "statusDetails": row["status"],
        "value": {"amount": total, "amountNet": net, "currency": CURRENCY},
    }
    if rule.signed or not first:
        contract["dateSigned"] = row["formalized_at"] if rule.signed else None
    description = _contract_description(row, rule)
    if description:
        contract["description"] = description
    documents = _documents(row, rule)
    if documents:
        contract["documents"] = documents
    implementation = _implementation(row, rule, buyer, supplier)
    if implementation:
        contract["implementation"] = implementation
    release: dict[str, Any] = {
        "ocid": ocids.call_off(row["order_id"], order_number),
        "id": "",
        "date": row["last_status_at"],
        "tag": tag,
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": _parties(row, rule),
        "buyer": buyer,
        "tender": tender,
        "relatedProcesses": [related_framework(agreement, ocids)],
        "awards": [award],
        "contracts": [contract],
    }
    if with_id:
        release["id"] = release_id(release, row["order_id"])
    return release


def map_orders(
    orders: pa.Table,
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    ocid_pattern: str = DEFAULT_OCID_PATTERN,
    agreements: AgreementLookup | None = None,
    published: Mapping[str, str] | None = None,
    party_names: Mapping[str, str] | None = None,
    release_ids: bool = True,
) -> MappingResult:
    """Build call-off releases and quarantine what cannot be mapped.

    `published` maps order_id -> date of the latest release already published for it: such
    orders get update tags, and a state dated at or before that date is not published again
    (an earlier date is quarantined). `party_names` overrides the name chosen for a RUC.
    `release_ids` False: ids left empty, for a caller that sets them once the releases are
    complete (``details.attach_details(..., ids=True)``).
    """
    missing = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c not in orders.column_names]
    if missing:
        raise ValueError(
            f"orders table lacks column(s) {', '.join(missing)} (see docs/ARCHITECTURE.md)"
        )
    ocids = OcidScheme(ocid_prefix, ocid_pattern)
    lookup = agreements if agreements is not None else default_agreement_lookup()
    published = published or {}
    problems = _check_rows(orders)
    table = orders.filter(pc.invert(problems.bad))
    known_agreements = _agreements(table, lookup)

    table = table.sort_by(
        [("order_id", "ascending"), ("last_status_at", "ascending"), ("process_time", "ascending")]
    )
    # The same state seen in several snapshots: keep the most recent snapshot's row.
    same_state_as_next = pc.and_(
        _shift_equal(_column(table, "order_id"), 1),
        _shift_equal(_column(table, "last_status_at"), 1),
    )
    table = table.filter(pc.invert(same_state_as_next))

    later = _Quarantine(table)
    grouped = table.group_by("order_id").aggregate([("order_number", "count_distinct")])
    split_orders = grouped.filter(pc.greater(grouped["order_number_count_distinct"], 1))["order_id"]
    later.add(
        pc.is_in(_column(table, "order_id"), value_set=split_orders.combine_chunks()),
        "order_number",
        "several_order_numbers",
        lambda row: (
            f"order {row['order_id']} appears with several delivery suffixes in one batch "
            f"({row['order_number']}); one contracting process per order is not defined for them"
        ),
    )
    order_ids = _column(table, "order_id")
    published_ids = pa.array(list(published), pa.string())
    previous_date = pc.take(
        pa.array(list(published.values()), pa.string()),
        pc.index_in(order_ids, value_set=published_ids),
    )
    status_dates = _column(table, "last_status_at")
    later.add(
        pc.less(status_dates, previous_date),
        "last_status_at",
        "status_date_before_published",
        lambda row: (
            f"state dated {row['last_status_at']} is older than the release already published "
            f"for {row['order_id']} ({published[row['order_id']]}); check the source snapshot"
        ),
    )
    already = pc.fill_null(pc.equal(status_dates, previous_date), False)
    already_published = pc.sum(pc.and_(already, pc.invert(later.bad))).as_py() or 0
    table = table.filter(pc.invert(pc.or_(later.bad, already)))

    order_ids = _column(table, "order_id")
    first_in_batch = pc.invert(_shift_equal(order_ids, -1))
    is_first = pc.and_(first_in_batch, pc.invert(pc.is_in(order_ids, value_set=published_ids)))

    names = _canonical_party_names(table)
    names.update(party_names or {})
    extra = [NAME_ONLY_COLUMN] if NAME_ONLY_COLUMN in table.column_names else []
    rows = (
        table.select([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *extra])
        .append_column("is_first", is_first)
        .to_pylist()
    )
    releases = []
    for row in rows:
        row["buyer_name"] = names[row["buyer_ruc"]]
        row["supplier_name"] = names[row["supplier_ruc"]]
        first = bool(row["is_first"])
        tag = ["award", "contract"] if first else [status_rule(row["status"]).later_tag]
        code = row["agreement_code"]
        agreement = known_agreements[code] if code else _name_only(row.get(NAME_ONLY_COLUMN))
        releases.append(
            _call_off_release(row, tag, agreement, ocids, first=first, with_id=release_ids)
        )
    quarantine = pa.concat_tables([problems.to_table(), later.to_table()])
    return MappingResult(releases, quarantine, already_published)


def build_releases(
    orders: pa.Table,
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    ocid_pattern: str = DEFAULT_OCID_PATTERN,
    agreements: AgreementLookup | None = None,
    published: Mapping[str, str] | None = None,
    party_names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Call-off releases for every order state; raises `UnmappableOrdersError` if any row cannot be mapped."""
    result = map_orders(
        orders,
        ocid_prefix=ocid_prefix,
        ocid_pattern=ocid_pattern,
        agreements=agreements,
        published=published,
        party_names=party_names,
    )
    if result.quarantine.num_rows:
        raise UnmappableOrdersError(result.quarantine)
    return result.releases


def agreements_first_seen(orders: pa.Table) -> dict[str, str]:
    """Agreement code -> earliest FECHA_FORMALIZACIÓN among its orders (a deterministic date)."""
    table = orders.select(["agreement_code", "formalized_at"]).filter(
        pc.is_valid(orders["agreement_code"])
    )
    grouped = table.group_by("agreement_code").aggregate([("formalized_at", "min")])
    return dict(
        zip(
            grouped["agreement_code"].to_pylist(),
            grouped["formalized_at_min"].to_pylist(),
            strict=True,
        )
    )


def known_start(agreement: AgreementInfo) -> str | None:
    """The first-stage release date an agreement's curated start gives (start of that day)."""
    return f"{agreement.start_date}{START_OF_DAY}" if agreement.start_date else None


def _framework_agreement(agreement: AgreementInfo) -> dict[str, Any]:
    """``tender.techniques.frameworkAgreement``: who may buy, and what else is known."""
    details: dict[str, Any] = {"method": FRAMEWORK_METHOD, "buyerCategories": BUYER_CATEGORIES}
    if agreement.gran_compra_cents is not None:
        amount = f"{agreement.gran_compra_cents / 100:,.2f}"
        details["description"] = (
            f"Monto establecido para las Grandes Compras: S/ {amount}; por encima de él, la "
            "orden pasa por una cotización entre los proveedores del catálogo."
        )
    return details


def build_framework_releases(
    dates: Mapping[str, str],
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    agreements: AgreementLookup | None = None,
) -> list[dict[str, Any]]:
    """One first-stage release per Acuerdo Marco with a code; ``dates`` maps code -> date.

    The date must not depend on the run: the agreement's known start (``known_start``), else
    its first call-off in the whole loaded history, fixed once published (the status store
    decides, ``publication.steps.mapping``). Agreements known only by their name get none.
    """
    lookup = agreements if agreements is not None else default_agreement_lookup()
    ocids = OcidScheme(ocid_prefix)
    entity = {"id": party_id(PERU_COMPRAS_RUC), "name": PERU_COMPRAS_NAME}
    releases = []
    for code, date in sorted(dates.items()):
        agreement = lookup(code)
        if agreement is None:
            raise ValueError(
                f"agreement code {code!r} is not in the agreements table; "
                "add it to perucompras/data/framework_agreements.csv"
            )
        if not agreement.has_code:
            continue
        tender: dict[str, Any] = {
            "id": f"AM-{code}",
            "title": agreement.name,
            "description": (
                f"Acuerdo Marco {code}: {agreement.name}. Las entidades públicas compran sus "
                "bienes de los Catálogos Electrónicos de Acuerdos Marco que opera PERÚ COMPRAS; "
                "cada orden de compra electrónica es un proceso de contratación propio que "
                "enlaza a este."
            ),
            "status": "complete",
            "procuringEntity": dict(entity),
            "procurementMethod": PROCUREMENT_METHOD,
            "procurementMethodDetails": FRAMEWORK_METHOD_DETAILS,
            "mainProcurementCategory": agreement.category,
            "techniques": {
                "hasFrameworkAgreement": True,
                "frameworkAgreement": _framework_agreement(agreement),
            },
        }
        period = {}
        if agreement.start_date:
            period["startDate"] = f"{agreement.start_date}{START_OF_DAY}"
        if agreement.end_date:
            period["endDate"] = f"{agreement.end_date}{END_OF_DAY}"
        if period:
            tender["contractPeriod"] = period
        release: dict[str, Any] = {
            "ocid": ocids.framework(code),
            "id": "",
            "date": date,
            "tag": ["tender"],
            "initiationType": "tender",
            "language": LANGUAGE,
            "parties": [_party(PERU_COMPRAS_RUC, PERU_COMPRAS_NAME, ["procuringEntity"])],
            "tender": tender,
        }
        release["id"] = release_id(release, f"AM-{code}")
        releases.append(release)
    return releases


def iter_agreement_codes(releases: Iterable[Mapping[str, Any]], ocid_prefix: str) -> set[str]:
    """Agreement codes referenced by call-off releases (to know which first stages to publish)."""
    ocids = OcidScheme(ocid_prefix)
    return {
        code
        for release in releases
        for process in release.get("relatedProcesses", [])
        if (code := ocids.agreement_code(process.get("identifier", ""))) is not None
    }
