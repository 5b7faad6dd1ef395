"""Business-rule catalogue for the normalised order table and its vectorised implementation.

The catalogue (``RULES``) is plain data: every rule has an id, the column it reports against,
its level (``row`` or ``table``), a default severity, the kind of check and the catalogue key of
its description (``messages/quality.py``, Spanish and English). ``evaluate_rules`` applies the row rules with Arrow/NumPy kernels (no per-row
Python) and returns one boolean failure mask per rule; the Great Expectations suite in
``quality.gx_suites`` is generated from the same catalogue and must agree with it.

Null handling follows Great Expectations: a value check (format, set, order, band) ignores a
null value, which is reported by the matching ``not_null`` rule instead. The exceptions are
``status.known`` and ``procedure_type.known``, where a null is an unknown value.

Row problems never block a day: a row rule either quarantines the row (severity ``block``) or
publishes it with a warning (``warn``). ``status.known``, ``procedure_type.known`` and
``agreement_code.known`` warn (gates catch defects, not novelty): an undocumented status is
published raw in ``statusDetails``, an undocumented TIPO_PROCEDIMIENTO raw in
``procurementMethodDetails`` with no ``competitive`` flag, an agreement without an official code
with its name only. The ``*.unknown_share`` table rules warn too. A quarantined row's message
(``explain_rows``) gives the raw value, the rule in words and what a publisher would change.

IGV: ``igv_cents.rate`` (0 or 18 % ± 1 cent) only warns by default: orders mixing taxed and
exempt items carry a partial IGV (real row: ReportePCBienes202201 line 12, subtotal 1531.03,
IGV 9.50). ``igv_cents.not_above_rate`` blocks an IGV above the full rate.

Amounts: ``subtotal_cents`` and ``total_cents`` must be strictly positive except on orders in
status ``ORDEN DE COMPRA NULA``, which may carry zero amounts (a voided order keeps its row with
its amounts zeroed); ``igv_cents`` must be zero or more. Negative amounts always fail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from perucompras.quarantine import QUARANTINE_SCHEMA as SOURCE_QUARANTINE_SCHEMA
from perucompras.quarantine import Param, quoted, render_column

Severity = Literal["block", "warn"]
Level = Literal["row", "table"]
Lang = Literal["es", "en"]

NULL_ORDER_STATUS = "ORDEN DE COMPRA NULA"
KNOWN_STATUSES: frozenset[str] = frozenset({"ACEPTADA", "PAGADA", "RESUELTA", NULL_ORDER_STATUS})
KNOWN_PROCEDURE_TYPES: frozenset[str] = frozenset({"Compra ordinaria", "Gran Compra"})
ISO_LIMA_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}-05:00$"
RUC_PATTERN = r"^(?:10|15|17|20)[0-9]{9}$"
# An absolute http(s) URL (the mapping percent-encodes spaces and accents in the rest).
URL_PATTERN = r"^\s*https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#].*)?$"
URL_COLUMNS = ("order_pdf_url", "status_document_url", "digitized_order_url")

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
    "delivery_number",
    "order_pdf_url",
    "status",
    "status_document_url",
    "formalized_at",
    "last_status_at",
    "subtotal_cents",
    "igv_cents",
    "total_cents",
    "digitized_order_url",
    "status_description",
    "rights_assignment_description",
    "agreement_raw",
    "agreement_code",
    "agreement_name",
)

# Source column order of the monthly file, as normalised columns, to rebuild a raw row.
RAW_ROW_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("raw_process_time", "process_time"),
    ("supplier_ruc",),
    ("supplier_name",),
    ("buyer_ruc",),
    ("buyer_name",),
    ("procedure_type",),
    ("order_number",),
    ("order_pdf_url",),
    ("status",),
    ("status_document_url",),
    ("raw_formalized_at", "formalized_at"),
    ("raw_last_status_at", "last_status_at"),
    ("raw_subtotal", "subtotal_cents"),
    ("raw_igv", "igv_cents"),
    ("raw_total", "total_cents"),
    ("digitized_order_url",),
    ("status_description",),
    ("rights_assignment_description",),
    ("agreement_raw",),
)

QUARANTINE_SCHEMA = SOURCE_QUARANTINE_SCHEMA.append(pa.field("rules", pa.list_(pa.string())))


@dataclass(frozen=True)
class Rule:
    """One quality rule: what is checked, where, how bad a failure is, and its texts.

    ``key``/``params``: the catalogue text of the description; ``row_key``: the catalogue text
    of a quarantined row's message when the kind's default does not fit; ``value_column``: the
    column whose value a report shows for a failed row (default ``field``).
    """

    id: str
    field: str
    level: Level
    severity: Severity
    kind: str
    key: str
    params: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()
    row_key: str | None = None
    value_column: str | None = None

    def description(self, lang: Lang = "es") -> str:
        """Return the description in ``lang`` (Spanish by default)."""
        return text(self.key, lang, **dict(self.params))


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check, as reported to Dagster and in the daily quality report."""

    name: str
    passed: bool
    severity: Severity
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking_failure(self) -> bool:
        """True when the check failed with blocking severity."""
        return not self.passed and self.severity == "block"


DEFAULT_ROW_COUNT_BANDS: Mapping[int, tuple[int, int | None]] = {
    0: (20, 5000),
    1: (20, 5000),
    2: (20, 5000),
    3: (20, 5000),
    4: (20, 5000),
    5: (0, 3000),
    6: (0, 3000),
}


@dataclass(frozen=True)
class QualityConfig:
    """Tunable thresholds and severities of the quality gate."""

    known_statuses: frozenset[str] = KNOWN_STATUSES
    known_procedure_types: frozenset[str] = KNOWN_PROCEDURE_TYPES
    row_count_bands: Mapping[int, tuple[int, int | None]] = field(
        default_factory=lambda: dict(DEFAULT_ROW_COUNT_BANDS)
    )
    unknown_share_threshold: float = 0.05
    unknown_share_min_count: int = 5
    igv_rate_basis_points: int = 1800
    igv_tolerance_cents: int = 1
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    run_gx: bool = True
    lang: Lang = "es"

    def severity_of(self, rule: Rule) -> Severity:
        """Return the configured severity of ``rule``."""
        return self.severity_overrides.get(rule.id, rule.severity)

    def row_count_band(self, day: dt.date) -> tuple[int, int | None]:
        """Return the expected (min, max) row count for ``day``'s weekday."""
        return self.row_count_bands.get(day.weekday(), (0, None))


def as_lang(lang: str) -> Lang:
    """A language of the catalogue (``es`` or ``en``), refused otherwise."""
    if lang == "es":
        return "es"
    if lang == "en":
        return "en"
    raise ValueError(f"lang {lang!r}: use es or en")


def rule_key(rule_id: str) -> str:
    """The catalogue key of a rule's description: ``rule.`` + the id with ``_`` for ``.``."""
    return "rule." + re.sub(r"[^a-z0-9_]", "_", rule_id.lower())


def catalogue_rule(
    rule_id: str,
    column: str,
    kind: str,
    *,
    key: str | None = None,
    params: Mapping[str, str] | None = None,
    prefix: str = "",
    level: Level = "row",
    severity: Severity = "block",
    columns: tuple[str, ...] | None = None,
    row_key: str | None = None,
    value_column: str | None = None,
) -> Rule:
    """A catalogue entry with id ``prefix + rule_id``; ``columns`` defaults to ``(column,)`` and
    ``key`` to ``rule_key(id)``."""
    full_id = prefix + rule_id
    return Rule(
        full_id,
        column,
        level,
        severity,
        kind,
        key or rule_key(full_id),
        tuple(sorted((params or {}).items())),
        (column,) if columns is None else columns,
        row_key,
        value_column,
    )


# How the monthly file names each normalised column (what a publisher sees in messages).
ORDER_LABELS: dict[str, str] = {
    "process_time": "FECHA_PROCESO",
    "supplier_ruc": "RUC_PROVEEDOR",
    "supplier_name": "PROVEEDOR",
    "buyer_ruc": "RUC_ENTIDAD",
    "buyer_name": "ENTIDAD",
    "procedure_type": "TIPO_PROCEDIMIENTO",
    "order_number": "ORDEN_ELECTRÓNICA",
    "status": "ESTADO_ORDEN_ELECTRÓNICA",
    "formalized_at": "FECHA_FORMALIZACIÓN",
    "last_status_at": "FECHA_ÚLTIMO_ESTADO",
    "subtotal_cents": "SUB_TOTAL",
    "igv_cents": "IGV",
    "total_cents": "TOTAL",
    "agreement_code": "ACUERDO_MARCO",
    "agreement_name": "ACUERDO_MARCO",
    "order_pdf_url": "ORDEN_ELECTRÓNICA_GENERADA",
    "status_document_url": "DOCUMENTO_ESTADO_OCAM",
    "digitized_order_url": "ORDEN_DIGITALIZADA",
}
_NOT_NULL = ("order_number", "supplier_ruc", "buyer_ruc", "formalized_at")
_AMOUNTS = ("subtotal_cents", "igv_cents", "total_cents")

RULES: tuple[Rule, ...] = (
    catalogue_rule(
        "table.required_columns",
        "*",
        "required_columns",
        level="table",
        columns=(),
    ),
    *(
        catalogue_rule(
            f"{name}.not_null",
            name,
            "not_null",
            key="rule.not_null",
            params={"column": ORDER_LABELS[name]},
        )
        for name in (*_NOT_NULL, *_AMOUNTS)
    ),
    catalogue_rule(
        "agreement_code.known",
        "agreement_code",
        "not_null",
        severity="warn",
        value_column="agreement_name",
    ),
    catalogue_rule("order_number.unique", "order_number", "unique"),
    *(
        catalogue_rule(
            f"{name}.ruc_valid",
            name,
            "ruc",
            key="rule.ruc_valid",
            params={"column": ORDER_LABELS[name]},
        )
        for name in ("supplier_ruc", "buyer_ruc")
    ),
    catalogue_rule("status.known", "status", "in_set", severity="warn"),
    catalogue_rule("procedure_type.known", "procedure_type", "in_set", severity="warn"),
    *(
        catalogue_rule(
            f"{name}.iso_datetime",
            name,
            "iso_datetime",
            key="rule.iso_datetime",
            params={"column": ORDER_LABELS[name]},
        )
        for name in ("formalized_at", "last_status_at", "process_time")
    ),
    catalogue_rule(
        "last_status_at.not_before_formalized",
        "last_status_at",
        "not_before",
        columns=("last_status_at", "formalized_at"),
    ),
    catalogue_rule(
        "process_time.not_before_last_status",
        "process_time",
        "not_before",
        columns=("process_time", "last_status_at"),
    ),
    catalogue_rule("total_cents.sum", "total_cents", "sum", columns=_AMOUNTS),
    catalogue_rule(
        "igv_cents.rate",
        "igv_cents",
        "igv_band",
        severity="warn",
        columns=("igv_cents", "subtotal_cents"),
    ),
    catalogue_rule(
        "igv_cents.not_above_rate",
        "igv_cents",
        "igv_cap",
        columns=("igv_cents", "subtotal_cents"),
    ),
    *(
        catalogue_rule(
            f"{name}.positive",
            name,
            "positive",
            key="rule.positive_or_void",
            params={"column": ORDER_LABELS[name]},
            columns=(name, "status"),
        )
        for name in ("subtotal_cents", "total_cents")
    ),
    catalogue_rule("igv_cents.non_negative", "igv_cents", "non_negative"),
    *(
        catalogue_rule(
            f"{name}.url",
            name,
            "url",
            key="rule.url",
            params={"column": ORDER_LABELS[name]},
        )
        for name in URL_COLUMNS
    ),
    catalogue_rule(
        "table.row_count",
        "*",
        "row_count",
        level="table",
        severity="warn",
        columns=(),
    ),
    *(
        catalogue_rule(
            f"{name}.unknown_share",
            name,
            "unknown_share",
            key="rule.unknown_share",
            params={"column": ORDER_LABELS[name]},
            level="table",
            severity="warn",
            columns=(name,),
        )
        for name in ("status", "procedure_type", "agreement_code")
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
ROW_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.level == "row")
TABLE_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.level == "table")
# Which row rule measures "unknown" for each unknown_share table rule.
UNKNOWN_SHARE_SOURCE: dict[str, str] = {
    "status.unknown_share": "status.known",
    "procedure_type.unknown_share": "procedure_type.known",
    "agreement_code.unknown_share": "agreement_code.known",
}


def missing_columns(table: pa.Table | Any) -> list[str]:
    """Return the required columns absent from ``table`` (Arrow table or DataFrame)."""
    present = set(table.column_names if isinstance(table, pa.Table) else table.columns)
    return [name for name in REQUIRED_COLUMNS if name not in present]


def rules_for_columns(rules: tuple[Rule, ...], columns: Collection[str]) -> tuple[Rule, ...]:
    """Return the ``rules`` whose columns are all present."""
    present = set(columns)
    return tuple(rule for rule in rules if set(rule.columns) <= present)


def applicable_row_rules(columns: Collection[str]) -> tuple[Rule, ...]:
    """Return the row rules whose columns are all present."""
    return rules_for_columns(ROW_RULES, columns)


def column_array(table: pa.Table, name: str) -> pa.Array:
    """Column ``name`` of ``table`` as one contiguous array."""
    return table.column(name).combine_chunks()


def blank_to_null(values: pa.Array) -> pa.Array:
    """Turn empty or whitespace-only strings into nulls (other types pass through)."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return values
    blank = pc.equal(pc.utf8_trim_whitespace(values), "")
    return pc.if_else(pc.fill_null(blank, False), pa.scalar(None, values.type), values)


def bool_mask(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow booleans -> NumPy booleans, null counted as false."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def lima_timestamps(values: pa.Array) -> pa.Array:
    """Parse ISO 8601 ``-05:00`` strings into naive Lima timestamps (null if not that format)."""
    well_formed = pc.fill_null(pc.match_substring_regex(values, ISO_LIMA_PATTERN), False)
    kept = pc.if_else(well_formed, values, pa.scalar(None, pa.string()))
    naive = pc.utf8_slice_codeunits(kept, 0, 19)
    return pc.strptime(naive, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)


def ruc_check_digit_ok(values: pa.Array) -> pa.Array:
    """Boolean per value: a well-formed RUC with a valid check digit (null stays null)."""
    from perucompras.ruc import valid_ruc_mask

    valid = valid_ruc_mask(values)
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), valid)


def igv_band_ok(subtotal: pa.Array, igv: pa.Array, config: QualityConfig) -> pa.Array:
    """Boolean per row: IGV is 0 or within tolerance of the configured rate (null if missing)."""
    expected = igv_expected_cents(subtotal, config.igv_rate_basis_points)
    distance = pc.abs(pc.subtract(igv.cast(pa.int64()), expected))
    return pc.or_(pc.equal(igv, 0), pc.less_equal(distance, config.igv_tolerance_cents))


def igv_expected_cents(subtotal: pa.Array, rate_basis_points: int) -> pa.Array:
    """IGV in cents for a subtotal in cents at a rate in basis points, rounded half up."""
    values = pc.fill_null(subtotal.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    mask = pc.is_null(subtotal).to_numpy(zero_copy_only=False)
    # Half-up rounding in integers: floor((x * bp + 5000) / 10000).
    expected = np.floor_divide(values.astype(np.int64) * rate_basis_points + 5000, 10000)
    return pa.array(expected, type=pa.int64(), mask=mask)


def igv_cap_ok(subtotal: pa.Array, igv: pa.Array, config: QualityConfig) -> pa.Array:
    """Boolean per row: IGV is at most the full rate plus tolerance (null if missing)."""
    expected = igv_expected_cents(subtotal, config.igv_rate_basis_points)
    return pc.less_equal(igv.cast(pa.int64()), pc.add(expected, config.igv_tolerance_cents))


def minimum_amount_cents(status: pa.Array) -> pa.Array:
    """Smallest accepted subtotal/total per row: 0 for voided orders, 1 otherwise."""
    voided = pc.fill_null(pc.equal(status, NULL_ORDER_STATUS), False)
    return pc.if_else(voided, pa.scalar(0, pa.int64()), pa.scalar(1, pa.int64()))


def prepare(orders: pa.Table) -> pa.Table:
    """Return ``orders`` with blank strings in checked columns turned into nulls."""
    checked = {name for rule in ROW_RULES for name in rule.columns}
    for index, name in enumerate(orders.column_names):
        if name in checked:
            orders = orders.set_column(index, name, blank_to_null(column_array(orders, name)))
    return orders


def failure_masks(orders: pa.Table, config: QualityConfig) -> dict[str, np.ndarray]:
    """Evaluate every applicable row rule; return rule id -> boolean array (True = fails)."""
    masks: dict[str, np.ndarray] = {}
    timestamps: dict[str, pa.Array] = {}

    def timestamp(name: str) -> pa.Array:
        if name not in timestamps:
            timestamps[name] = lima_timestamps(column_array(orders, name))
        return timestamps[name]

    for rule in applicable_row_rules(orders.column_names):
        values = column_array(orders, rule.field)
        if pa.types.is_null(values.type):  # an all-null (or empty) column read without a type
            values = values.cast(pa.string())
        if rule.kind == "not_null":
            failed = pc.is_null(values)
        elif rule.kind == "unique":
            counts = pc.value_counts(values)
            repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
            failed = pc.and_(pc.is_valid(values), pc.is_in(values, value_set=repeated))
        elif rule.kind == "ruc":
            failed = pc.invert(ruc_check_digit_ok(values))
        elif rule.kind == "in_set":
            known = (
                config.known_statuses if rule.field == "status" else config.known_procedure_types
            )
            failed = pc.invert(pc.is_in(values, value_set=pa.array(sorted(known), pa.string())))
        elif rule.kind == "iso_datetime":
            failed = pc.invert(pc.match_substring_regex(values, ISO_LIMA_PATTERN))
        elif rule.kind == "url":
            failed = pc.invert(pc.match_substring_regex(values, URL_PATTERN))
        elif rule.kind == "not_before":
            later, earlier = rule.columns
            failed = pc.less(timestamp(later), timestamp(earlier))
        elif rule.kind == "sum":
            subtotal, igv, total = (column_array(orders, name) for name in _AMOUNTS)
            failed = pc.not_equal(pc.add(subtotal, igv), total)
        elif rule.kind == "igv_band":
            failed = pc.invert(igv_band_ok(column_array(orders, "subtotal_cents"), values, config))
        elif rule.kind == "igv_cap":
            failed = pc.invert(igv_cap_ok(column_array(orders, "subtotal_cents"), values, config))
        elif rule.kind == "positive":
            failed = pc.less(values, minimum_amount_cents(column_array(orders, "status")))
        elif rule.kind == "non_negative":
            failed = pc.less(values, 0)
        else:  # pragma: no cover - catalogue and implementation are kept in step by tests
            raise ValueError(f"rule {rule.id}: no implementation for kind {rule.kind!r}")
        masks[rule.id] = bool_mask(failed)
    return masks


def cents_text(values: pa.Array) -> pa.Array:
    """Integer cents as a decimal amount (``-12.05``, ``1234.50``); null stays null."""
    cents = values.cast(pa.int64())
    magnitude = pc.abs(cents)
    units = pc.divide(magnitude, 100).cast(pa.string())
    fraction = pc.utf8_lpad(
        pc.subtract(magnitude, pc.multiply(pc.divide(magnitude, 100), 100)).cast(pa.string()),
        2,
        "0",
    )
    sign = pc.if_else(pc.less(cents, 0), pa.scalar("-"), pa.scalar(""))
    return pc.binary_join_element_wise(sign, units, ".", fraction, "")


def shown_values(table: pa.Table, name: str) -> pa.Array:
    """A column's values as a publisher reads them: amounts in soles, quantities in units."""
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    values = column_array(table, name)
    if name.endswith("_cents"):
        return cents_text(values)
    if name.endswith("_milli"):
        milli = values.cast(pa.int64())
        whole = pc.divide(milli, 1000).cast(pa.string())
        rest = pc.utf8_lpad(
            pc.subtract(milli, pc.multiply(pc.divide(milli, 1000), 1000)).cast(pa.string()), 3, "0"
        )
        text_value = pc.binary_join_element_wise(whole, ".", rest, "")
        return pc.replace_substring_regex(text_value, r"\.?0+$", "")
    return values.cast(pa.string())


def _group_counts(keys: pa.Array) -> pa.Array:
    """How many rows share each row's key (null keys count 0)."""
    counts = pc.value_counts(keys.drop_null())
    index = pc.index_in(keys, value_set=counts.field("values"))
    return pc.fill_null(pc.take(counts.field("counts"), index), 0)


def explain_rows(
    table: pa.Table,
    rule: Rule,
    config: QualityConfig,
    labels: Mapping[str, str] | None = None,
) -> tuple[pa.Array, pa.Array]:
    """(message, raw value) per row of ``table`` for a failure of ``rule``.

    The message says the value, the rule in words and what a publisher would change, in
    ``config.lang`` (``row.*`` texts of ``messages/quality.py``, the readers' ``cell.*`` texts
    for what both layers check alike).
    """
    labels = labels or {}
    size = table.num_rows
    lang = config.lang

    def label(name: str) -> str:
        return labels.get(name, name)

    value = shown_values(table, rule.field)
    params: dict[str, Param] = {"column": label(rule.field), "value": quoted(value)}
    kind = rule.kind
    key = {
        "not_null": "row.not_null",
        "unique": "row.unique",
        "unique_in_order": "row.unique_in_order",
        "unique_pair": "row.unique_pair",
        "ruc": "cell.ruc_invalid",
        "in_set": "cell.unknown_value",
        "iso_datetime": "row.iso_datetime",
        "url": "row.url",
        "not_before": "row.not_before",
        "sum": "row.sum",
        "igv_band": "row.igv_band",
        "igv_cap": "row.igv_cap",
        "igv_range": "row.igv_range",
        "positive": "row.positive_or_void" if "status" in rule.columns else "row.positive",
        "non_negative": "row.non_negative",
        "subtotal_formula": "row.subtotal_formula",
        "flag_matches_status": "row.flag_matches_status",
        "one_selected": "row.one_selected",
        "order_incomplete": "row.order_incomplete",
    }.get(kind, "row.generic")
    if kind in ("unique", "unique_in_order", "unique_pair", "one_selected", "order_incomplete"):
        params["order"] = quoted(shown_values(table, "order_number"))
        names = [name for name in rule.columns if name in table.column_names] or [rule.field]
        params["count"] = _group_counts(composite_key([column_array(table, n) for n in names]))
    if kind == "one_selected":
        from perucompras.quotations import SELECTED

        order = column_array(table, "order_number")
        selected = pc.fill_null(pc.equal(column_array(table, "status"), SELECTED), False)
        counts = (
            pa.table({"order": order, "selected": selected.cast(pa.int64())})
            .group_by("order")
            .aggregate([("selected", "sum")])
        )
        index = pc.index_in(order, value_set=counts["order"].combine_chunks())
        params["count"] = pc.fill_null(pc.take(counts["selected_sum"].combine_chunks(), index), 0)
    elif kind == "ruc":
        from perucompras.ruc import ruc_reasons

        params["reason"] = ruc_reasons(column_array(table, rule.field), lang)
    elif kind == "in_set":
        allowed = dict(rule.params).get("allowed")
        if allowed is None:
            known = (
                config.known_statuses if rule.field == "status" else config.known_procedure_types
            )
            allowed = ", ".join(sorted(known))
        params["allowed"] = allowed
    elif kind == "not_before":
        earlier = rule.columns[1]
        params["other"] = label(earlier)
        params["other_value"] = quoted(shown_values(table, earlier))
    elif kind in ("sum", "igv_band", "igv_cap", "igv_range"):
        subtotal = column_array(table, "subtotal_cents")
        expected = igv_expected_cents(subtotal, config.igv_rate_basis_points)
        params["subtotal"] = cents_text(subtotal)
        params["igv"] = shown_values(table, "igv_cents")
        params["expected"] = cents_text(expected)
        params["cap"] = cents_text(pc.add(expected, config.igv_tolerance_cents))
        if kind == "sum":
            igv = column_array(table, "igv_cents").cast(pa.int64())
            params["total"] = shown_values(table, "total_cents")
            params["expected"] = cents_text(pc.add(subtotal.cast(pa.int64()), igv))
    elif kind == "subtotal_formula":
        params["quantity"] = shown_values(table, "quantity_milli")
        params["price"] = shown_values(table, "unit_price_cents")
    elif kind == "flag_matches_status":
        params["status"] = quoted(shown_values(table, "status"))
    elif kind == "not_null":
        value = pa.array([""] * size, pa.string())  # the raw value is empty
    if key == "row.generic":
        params["rule"] = rule.description(lang)
    message = render_column(rule.row_key or key, lang, size, **params)
    if rule.value_column:
        value = shown_values(table, rule.value_column)
    return message, value


def raw_row_column(orders: pa.Table) -> pa.Array:
    """Return ``raw_row`` if present, else rebuild ``;``-joined source fields from the columns."""
    if "raw_row" in orders.column_names:
        return column_array(orders, "raw_row").cast(pa.string())
    pieces: list[Any] = []
    for candidates in RAW_ROW_COLUMNS:
        name = next((c for c in candidates if c in orders.column_names), None)
        if name is None:
            pieces.append(pa.array([""] * len(orders), pa.string()))
        else:
            pieces.append(pc.fill_null(column_array(orders, name).cast(pa.string()), ""))
    if not len(orders):
        return pa.array([], pa.string())
    return pc.binary_join_element_wise(*pieces, ";")


def build_quarantine(
    orders: pa.Table,
    masks: Mapping[str, np.ndarray],
    blocking: set[str],
    config: QualityConfig,
) -> tuple[np.ndarray, pa.Table]:
    """Return (row failed any blocking rule, quarantine table with one row per failed row)."""
    return _quarantine(orders, ROW_RULES, masks, blocking, config, ORDER_LABELS, raw_row_column)


# ---------------------------------------------------------------- catalogue-generic helpers
# Shared by the order, line and quotation gates (quality.gate, quality.lines, quality.quotations).

MAX_LINES_IN_DETAILS = 20


def source_lines_of(
    table: pa.Table, mask: np.ndarray, limit: int = MAX_LINES_IN_DETAILS
) -> list[int]:
    """Source lines (or row indices when there is no ``source_line``) of the first masked rows."""
    if "source_line" not in table.column_names:
        return np.flatnonzero(mask)[:limit].tolist()
    lines = column_array(table, "source_line")
    return pc.filter(lines, pa.array(mask, pa.bool_())).slice(0, limit).to_pylist()


def blank_strings_to_null(table: pa.Table, columns: set[str] | frozenset[str]) -> pa.Table:
    """Return ``table`` with blank strings in ``columns`` turned into nulls."""
    for index, name in enumerate(table.column_names):
        if name in columns:
            table = table.set_column(index, name, blank_to_null(column_array(table, name)))
    return table


def composite_key(columns: list[pa.Array]) -> pa.Array:
    """One string key per row from several columns (null when any part is null)."""
    parts = [values.cast(pa.string()) for values in columns]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


def duplicated_key_mask(columns: list[pa.Array]) -> np.ndarray:
    """True for every row whose (non-null) key is shared with another row."""
    key = composite_key(columns)
    counts = pc.value_counts(key)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    repeated = repeated.drop_null()
    return bool_mask(pc.and_(pc.is_valid(key), pc.is_in(key, value_set=repeated)))


def rows_of_flagged_groups(group: pa.Array, flagged: np.ndarray) -> np.ndarray:
    """True for every row whose (non-null) group value also appears on a flagged row."""
    bad_groups = pc.unique(pc.filter(group, pa.array(flagged, pa.bool_()))).drop_null()
    return bool_mask(pc.is_in(group, value_set=bad_groups))


def joined_row_text(table: pa.Table) -> pa.Array:
    """Every column of each row as text joined with ``;`` (empty for null), for ``raw_row``."""
    if not table.num_rows or not table.num_columns:
        return pa.array([""] * table.num_rows, pa.string())
    pieces = [
        pc.fill_null(column_array(table, name).cast(pa.string()), "") for name in table.column_names
    ]
    return pc.binary_join_element_wise(*pieces, ";")


def catalogue_quarantine(
    table: pa.Table,
    rules: tuple[Rule, ...],
    masks: Mapping[str, np.ndarray],
    blocking: set[str],
    config: QualityConfig,
    labels: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, pa.Table]:
    """Return (row failed a blocking rule, one quarantine row per failed row) for ``rules``.

    ``rule``, ``field`` and ``value`` name the first failed rule in catalogue order and the raw
    value, ``rules`` lists all of them, ``message`` explains each (``explain_rows``, columns
    named by ``labels``) and ``raw_row`` is the (normalised) row joined with ``;``.
    """
    return _quarantine(table, rules, masks, blocking, config, labels or {}, joined_row_text)


def _quarantine(
    table: pa.Table,
    rules: tuple[Rule, ...],
    masks: Mapping[str, np.ndarray],
    blocking: set[str],
    config: QualityConfig,
    labels: Mapping[str, str],
    raw_rows: Callable[[pa.Table], pa.Array],
) -> tuple[np.ndarray, pa.Table]:
    """Quarantine rows of ``table`` failing a blocking rule; ``raw_rows`` rebuilds their text."""
    from perucompras.quarantine import MESSAGE_SEPARATOR

    ordered = [rule for rule in rules if rule.id in masks and rule.id in blocking]
    failed_any = np.zeros(table.num_rows, dtype=bool)
    for rule in ordered:
        failed_any |= masks[rule.id]
    if not failed_any.any():
        return failed_any, QUARANTINE_SCHEMA.empty_table()
    subset = table.take(pa.array(np.flatnonzero(failed_any), pa.int64()))
    sub_masks = {rule.id: masks[rule.id][failed_any] for rule in ordered}
    rule_ids = np.array([rule.id for rule in ordered], dtype=object)
    fields = np.array([rule.field for rule in ordered], dtype=object)
    matrix = np.column_stack([sub_masks[rule.id] for rule in ordered])
    primary = matrix.argmax(axis=1)
    rules_list = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(matrix.sum(axis=1))]), pa.int32()),
        pa.array(np.broadcast_to(rule_ids, matrix.shape)[matrix], pa.string()),
    )
    present = set(subset.column_names)
    messages: list[pa.Array] = []
    value = pa.nulls(subset.num_rows, pa.string())
    for position, rule in enumerate(ordered):
        if not set(rule.columns) <= present:
            continue
        failed = pa.array(sub_masks[rule.id])
        text_column, values = explain_rows(subset, rule, config, labels)
        messages.append(pc.if_else(failed, text_column, pa.scalar(None, pa.string())))
        is_primary = pa.array(primary == position)
        value = pc.if_else(is_primary, values, value)
    message = (
        pc.binary_join_element_wise(*messages, MESSAGE_SEPARATOR, null_handling="skip")
        if messages
        else pa.array(rule_ids[primary], pa.string())
    )

    def optional(name: str, kind: pa.DataType) -> pa.Array:
        if name in subset.column_names:
            return column_array(subset, name).cast(kind)
        return pa.nulls(subset.num_rows, kind)

    quarantine = pa.table(
        [
            optional("source_file", pa.string()),
            optional("source_line", pa.int64()),
            pa.array(fields[primary], pa.string()),
            pa.array(rule_ids[primary], pa.string()),
            value,
            message,
            raw_rows(subset),
            rules_list,
        ],
        schema=QUARANTINE_SCHEMA,
    )
    return failed_any, quarantine


def top_values(values: pa.Array, limit: int = 20) -> list[tuple[str, int]]:
    """The ``limit`` most frequent values (null shown as empty), most frequent first."""
    counts = Counter(
        "" if value is None else str(value) for value in values.to_pylist()
    ).most_common()
    return sorted(counts, key=lambda pair: (-pair[1], pair[0]))[:limit]


def catalogue_row_checks(
    table: pa.Table, rules: tuple[Rule, ...], masks: Mapping[str, np.ndarray], config: QualityConfig
) -> list[CheckResult]:
    """One non-blocking ``CheckResult`` per evaluated row rule (its failures are quarantined
    or published with a warning), with the most frequent failing values."""
    from perucompras.quarantine import format_top

    checks = []
    for rule in rules:
        if rule.id not in masks:
            continue
        mask = masks[rule.id]
        count = int(mask.sum())
        quarantines = config.severity_of(rule) == "block"
        values: list[tuple[str, int]] = []
        if count:
            shown = rule.value_column or rule.field
            failed = table.filter(pa.array(mask))
            values = top_values(shown_values(failed, shown))
        message = text(
            "gate.rows_ok"
            if not count
            else "gate.rows_quarantined"
            if quarantines
            else "gate.rows_warned",
            config.lang,
            rule=rule.description(config.lang),
            count=count,
            top=format_top(values[:3], config.lang),
        )
        details = {
            "failed_rows": count,
            "lines": source_lines_of(table, mask),
            "quarantines": quarantines,
            "values": [{"value": value, "rows": rows} for value, rows in values],
        }
        checks.append(CheckResult(rule.id, count == 0, "warn", message, details))
    return checks


def catalogue_required_columns_check(
    rule: Rule, missing: list[str], table_name: str, producer: str, config: QualityConfig
) -> CheckResult:
    """Blocking check that a table (``table_name``: the catalogue key of its name) has every
    required column (``producer`` makes it)."""
    if missing:
        message = text(
            "gate.required_columns_missing",
            config.lang,
            table=text(table_name, config.lang),
            names=", ".join(missing),
            producer=producer,
        )
    else:
        message = text("gate.required_columns_ok", config.lang)
    return CheckResult(
        rule.id, not missing, config.severity_of(rule), message, {"missing": missing}
    )
