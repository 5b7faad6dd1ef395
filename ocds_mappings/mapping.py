"""Normalised purchase-order table -> OCDS 1.1.5 call-off and framework-agreement releases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.quarantine import QUARANTINE_SCHEMA
from settings import EXAMPLE_OCID_PREFIX

CURRENCY = "PEN"
LANGUAGE = "es"
PARTY_ID_PREFIX = "PE-RUC-"
PARTY_SCHEME = "PE-RUC"
PERU_COMPRAS_RUC = "20600927818"
PERU_COMPRAS_NAME = "CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS"
MAX_CENTS = 10**15  # amounts stay below 1e13 PEN: exact as JSON numbers and in canonical JSON
ISO_LIMA_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$"
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class StatusRule:
    """How one raw ESTADO_ORDEN_ELECTRÓNICA value maps to OCDS."""

    raw: str
    contract_status: str
    terminal: bool
    slug: str
    status_document_type: str
    payment_met: bool
    note: str | None
    meaning: str


STATUS_RULES: dict[str, StatusRule] = {
    rule.raw: rule
    for rule in (
        StatusRule(
            "ACEPTADA",
            "active",
            False,
            "accepted",
            "contractAnnexe",
            False,
            None,
            "The supplier accepted the order: the contract is in force.",
        ),
        StatusRule(
            "PAGADA",
            "terminated",
            True,
            "paid",
            "contractAnnexe",
            True,
            None,
            "The order was paid: the contract is complete. Adds a `payment` milestone, "
            "status `met`, `dateMet` = FECHA_ÚLTIMO_ESTADO.",
        ),
        StatusRule(
            "RESUELTA",
            "terminated",
            True,
            "resolved",
            "contractArrangements",
            False,
            "Orden resuelta: el contrato terminó antes de cumplirse.",
            "The contract was resolved (ended early, before completion); said in `description`.",
        ),
        StatusRule(
            "ORDEN DE COMPRA NULA",
            "cancelled",
            True,
            "void",
            "cancellationDetails",
            False,
            "Orden de compra declarada nula.",
            "The order was declared void; said in `description`.",
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
        "Roles `buyer` and `procuringEntity`.",
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
        ("tender.procurementMethodDetails",),
        "`tender.procurementMethod` is `selective` for every call-off.",
    ),
    FieldMapping(
        "ORDEN_ELECTRÓNICA",
        "order_number / order_id",
        ("ocid", "id", "tender.id", "awards[].id", "contracts[].id", "contracts[].awardID"),
        "ocid and award use the order id (no `-n` suffix); the contract id is the full number.",
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
        ("contracts[].status", "contracts[].statusDetails", "tag"),
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
        "Lima time, `-05:00`.",
    ),
    FieldMapping(
        "FECHA_ÚLTIMO_ESTADO",
        "last_status_at",
        ("date", "id", "contracts[].milestones[id=payment].dateMet"),
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
        ("awards[].value.amount", "contracts[].value.amount"),
        "Currency `PEN`; TOTAL = SUB_TOTAL + IGV is checked.",
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
        ("relatedProcesses[].identifier", "relatedProcesses[].title"),
        "`{prefix}-AM-{code}`, relationship `framework`, scheme `ocid`; an agreement known only "
        "by its name: relationship `framework` and `title`, no scheme nor identifier.",
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
# agreement_code may be null: the agreement is known only by its name (``agreement_name``).
NULLABLE_COLUMNS: frozenset[str] = frozenset({"agreement_code"})
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


@dataclass(frozen=True)
class Agreement:
    """A framework agreement: code, name and OCDS procurement category."""

    code: str
    name: str
    category: str


AgreementLookup = Callable[[str], AgreementInfo | None]


def default_agreement_lookup() -> AgreementLookup:
    """Code -> agreement from the curated table in `perucompras.agreements` (the only coupling)."""
    from perucompras.agreements import load_agreements

    rows = load_agreements().select(["code", "name", "ocds_category"]).to_pylist()
    table = {row["code"]: Agreement(row["code"], row["name"], row["ocds_category"]) for row in rows}
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
    return f"{ocid_prefix}-AM-{agreement_code}"


def _document_url(url: str) -> str:
    """Percent-encode what the `uri` format refuses (spaces, accents), keep existing escapes."""
    return quote(url.strip(), safe=_URL_SAFE)


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


def _check_rows(
    table: pa.Table, agreements: AgreementLookup
) -> tuple[_Quarantine, dict[str, AgreementInfo]]:
    """Vectorised row checks; returns the problems and the agreements that resolved."""
    problems = _Quarantine(table)
    for name in (c for c in REQUIRED_COLUMNS if c not in NULLABLE_COLUMNS):
        problems.add(
            _blank(_column(table, name)),
            name,
            "required",
            lambda row, name=name: f"{name} is empty; fix the source row or the reader",
        )
    codes = _column(table, "agreement_code")
    known = {
        code: info
        for code in pc.unique(codes.drop_null()).to_pylist()
        if (info := agreements(code)) is not None
    }
    problems.add(
        pc.and_(
            pc.is_valid(codes),
            pc.invert(pc.is_in(codes, value_set=pa.array(list(known), pa.string()))),
        ),
        "agreement_code",
        "unknown_agreement",
        lambda row: (
            f"agreement code {row['agreement_code']!r} is not in the agreements table; "
            "add it to perucompras/data/framework_agreements.csv"
        ),
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
    return problems, known


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


def status_rule(raw: str) -> StatusRule:
    """The documented mapping of a status, or for any other value one that guesses nothing:
    no ``contracts.status`` and no award status; the raw value stays in ``statusDetails``."""
    return STATUS_RULES.get(raw) or StatusRule(
        raw, "", False, "status", "contractAnnexe", False, None, "Undocumented status."
    )


def framework_link(
    agreement: AgreementInfo | None, name: str | None, ocid_prefix: str
) -> dict[str, Any]:
    """The call-off's ``relatedProcesses`` entry: the first stage's ocid when the agreement has
    a code; an agreement known only by its name gets its title and no identifier."""
    if agreement is None:
        link: dict[str, Any] = {"id": "1", "relationship": ["framework"]}
        if name:
            link["title"] = name
        return link
    return {
        "id": "1",
        "relationship": ["framework"],
        "scheme": "ocid",
        "identifier": framework_ocid(agreement.code, ocid_prefix),
        "title": agreement.name,
    }


def _call_off_release(
    row: Mapping[str, Any], tag: list[str], agreement: AgreementInfo | None, ocid_prefix: str
) -> dict[str, Any]:
    """One call-off release from one normalised row (names already canonical)."""
    rule = status_rule(row["status"])
    buyer_ruc, supplier_ruc = row["buyer_ruc"], row["supplier_ruc"]
    buyer = {"id": party_id(buyer_ruc), "name": row["buyer_name"]}
    supplier = {"id": party_id(supplier_ruc), "name": row["supplier_name"]}
    if buyer_ruc == supplier_ruc:
        parties = [_party(buyer_ruc, row["buyer_name"], ["buyer", "procuringEntity", "supplier"])]
    else:
        parties = [
            _party(buyer_ruc, row["buyer_name"], ["buyer", "procuringEntity"]),
            _party(supplier_ruc, row["supplier_name"], ["supplier"]),
        ]
    total = cents_to_number(row["total_cents"])
    net = cents_to_number(row["subtotal_cents"])
    contract: dict[str, Any] = {
        "id": row["order_number"],
        "awardID": row["order_id"],
        **({"status": rule.contract_status} if rule.contract_status else {}),
        "statusDetails": row["status"],
        "value": {"amount": total, "amountNet": net, "currency": CURRENCY},
        "dateSigned": row["formalized_at"],
    }
    description = _contract_description(row, rule)
    if description:
        contract["description"] = description
    documents = _documents(row, rule)
    if documents:
        contract["documents"] = documents
    if rule.payment_met:
        contract["milestones"] = [
            {
                "id": "payment",
                "title": "Pago de la orden de compra",
                "type": "payment",
                "status": "met",
                "dateMet": row["last_status_at"],
            }
        ]
    release: dict[str, Any] = {
        "ocid": f"{ocid_prefix}-{row['order_id']}",
        "id": "",
        "date": row["last_status_at"],
        "tag": tag,
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": parties,
        "buyer": buyer,
        "tender": {
            "id": row["order_id"],
            "procuringEntity": dict(buyer),
            "procurementMethod": "selective",
            "procurementMethodDetails": row["procedure_type"],
            "mainProcurementCategory": "goods",
        },
        "relatedProcesses": [framework_link(agreement, row.get("agreement_name"), ocid_prefix)],
        "awards": [
            {
                "id": row["order_id"],
                **({"status": "active"} if rule.contract_status else {}),
                "date": row["formalized_at"],
                "value": {"amount": total, "amountNet": net, "currency": CURRENCY},
                "suppliers": [supplier],
            }
        ],
        "contracts": [contract],
    }
    release["id"] = release_id(release, row["order_id"])
    return release


def map_orders(
    orders: pa.Table,
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    agreements: AgreementLookup | None = None,
    published: Mapping[str, str] | None = None,
    party_names: Mapping[str, str] | None = None,
) -> MappingResult:
    """Build call-off releases and quarantine what cannot be mapped.

    `published` maps order_id -> date of the latest release already published for it: such
    orders get update tags, and a state dated at or before that date is not published again
    (an earlier date is quarantined). `party_names` overrides the name chosen for a RUC.
    """
    missing = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c not in orders.column_names]
    if missing:
        raise ValueError(
            f"orders table lacks column(s) {', '.join(missing)} (see docs/ARCHITECTURE.md)"
        )
    lookup = agreements if agreements is not None else default_agreement_lookup()
    published = published or {}
    problems, known_agreements = _check_rows(orders, lookup)
    table = orders.filter(pc.invert(problems.bad))

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
    names_column = [c for c in ("agreement_name",) if c in table.column_names]
    rows = (
        table.select([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *names_column])
        .append_column("is_first", is_first)
        .to_pylist()
    )
    releases = []
    for row in rows:
        row["buyer_name"] = names[row["buyer_ruc"]]
        row["supplier_name"] = names[row["supplier_ruc"]]
        if row["is_first"]:
            tag = ["award", "contract"]
        elif status_rule(row["status"]).terminal:
            tag = ["contractTermination"]
        else:
            tag = ["contractUpdate"]
        agreement = known_agreements.get(row["agreement_code"] or "")
        releases.append(_call_off_release(row, tag, agreement, ocid_prefix))
    quarantine = pa.concat_tables([problems.to_table(), later.to_table()])
    return MappingResult(releases, quarantine, already_published)


def build_releases(
    orders: pa.Table,
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    agreements: AgreementLookup | None = None,
    published: Mapping[str, str] | None = None,
    party_names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Call-off releases for every order state; raises `UnmappableOrdersError` if any row cannot be mapped."""
    result = map_orders(
        orders,
        ocid_prefix=ocid_prefix,
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


def build_framework_releases(
    agreements_used: Mapping[str, str],
    *,
    ocid_prefix: str = EXAMPLE_OCID_PREFIX,
    agreements: AgreementLookup | None = None,
) -> list[dict[str, Any]]:
    """One first-stage release per Acuerdo Marco; `agreements_used` maps code -> release date.

    Use `agreements_first_seen(orders)` for the dates so they do not depend on the run.
    """
    lookup = agreements if agreements is not None else default_agreement_lookup()
    entity = {"id": party_id(PERU_COMPRAS_RUC), "name": PERU_COMPRAS_NAME}
    releases = []
    for code, date in sorted(agreements_used.items()):
        agreement = lookup(code)
        if agreement is None:
            raise ValueError(
                f"agreement code {code!r} is not in the agreements table; "
                "add it to perucompras/data/framework_agreements.csv"
            )
        release: dict[str, Any] = {
            "ocid": framework_ocid(code, ocid_prefix),
            "id": "",
            "date": date,
            "tag": ["tender"],
            "initiationType": "tender",
            "language": LANGUAGE,
            "parties": [_party(PERU_COMPRAS_RUC, PERU_COMPRAS_NAME, ["buyer", "procuringEntity"])],
            "buyer": dict(entity),
            "tender": {
                "id": f"AM-{code}",
                "title": agreement.name,
                "description": f"Acuerdo Marco {code}: {agreement.name}",
                "procuringEntity": dict(entity),
                "procurementMethod": "selective",
                "procurementMethodDetails": "Acuerdo Marco",
                "mainProcurementCategory": agreement.category,
                "techniques": {"hasFrameworkAgreement": True},
            },
        }
        release["id"] = release_id(release, f"AM-{code}")
        releases.append(release)
    return releases


def iter_agreement_codes(releases: Iterable[Mapping[str, Any]], ocid_prefix: str) -> set[str]:
    """Agreement codes referenced by call-off releases (to know which first stages to publish)."""
    prefix = f"{ocid_prefix}-AM-"
    return {
        process["identifier"][len(prefix) :]
        for release in releases
        for process in release.get("relatedProcesses", [])
        if process.get("identifier", "").startswith(prefix)
    }
