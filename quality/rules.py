"""Business-rule catalogue for the normalised order table and its vectorised implementation.

The catalogue (``RULES``) is plain data: every rule has an id, the column it reports against,
its level (``row`` or ``table``), a default severity, Spanish and English descriptions and the
kind of check. ``evaluate_rules`` applies the row rules with Arrow/NumPy kernels (no per-row
Python) and returns one boolean failure mask per rule; the Great Expectations suite in
``quality.gx_suites`` is generated from the same catalogue and must agree with it.

Null handling follows Great Expectations: a value check (format, set, order, band) ignores a
null value, which is reported by the matching ``not_null`` rule instead. The exceptions are
``status.known`` and ``procedure_type.known``, where a null is an unknown value.

IGV: ``igv_cents.rate`` (0 or 18 % ± 1 cent) only warns by default: orders mixing taxed and
exempt items carry a partial IGV (real row: ReportePCBienes202201 line 12, subtotal 1531.03,
IGV 9.50). ``igv_cents.not_above_rate`` blocks an IGV above the full rate.

Amounts: ``subtotal_cents`` and ``total_cents`` must be strictly positive except on orders in
status ``ORDEN DE COMPRA NULA``, which may carry zero amounts (a voided order keeps its row with
its amounts zeroed); ``igv_cents`` must be zero or more. Negative amounts always fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from perucompras.quarantine import QUARANTINE_SCHEMA as SOURCE_QUARANTINE_SCHEMA

Severity = Literal["block", "warn"]
Level = Literal["row", "table"]
Lang = Literal["es", "en"]

NULL_ORDER_STATUS = "ORDEN DE COMPRA NULA"
KNOWN_STATUSES: frozenset[str] = frozenset({"ACEPTADA", "PAGADA", "RESUELTA", NULL_ORDER_STATUS})
KNOWN_PROCEDURE_TYPES: frozenset[str] = frozenset({"Compra ordinaria", "Gran Compra"})
ISO_LIMA_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}-05:00$"
RUC_PATTERN = r"^(?:10|15|17|20)[0-9]{9}$"

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
    """One quality rule: what is checked, where, and how bad a failure is."""

    id: str
    field: str
    level: Level
    severity: Severity
    kind: str
    description_es: str
    description_en: str
    columns: tuple[str, ...] = ()

    def description(self, lang: Lang = "es") -> str:
        """Return the description in ``lang`` (Spanish by default)."""
        return self.description_es if lang == "es" else self.description_en


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


def catalogue_rule(
    rule_id: str,
    column: str,
    kind: str,
    es: str,
    en: str,
    *,
    prefix: str = "",
    level: Level = "row",
    severity: Severity = "block",
    columns: tuple[str, ...] | None = None,
) -> Rule:
    """A catalogue entry with id ``prefix + rule_id``; ``columns`` defaults to ``(column,)``."""
    return Rule(
        prefix + rule_id,
        column,
        level,
        severity,
        kind,
        es,
        en,
        (column,) if columns is None else columns,
    )


_NOT_NULL = ("order_number", "supplier_ruc", "buyer_ruc", "formalized_at")
_AMOUNTS = ("subtotal_cents", "igv_cents", "total_cents")

RULES: tuple[Rule, ...] = (
    catalogue_rule(
        "table.required_columns",
        "*",
        "required_columns",
        "La tabla normalizada tiene todas las columnas requeridas",
        "The normalised table has every required column",
        level="table",
        columns=(),
    ),
    *(
        catalogue_rule(
            f"{name}.not_null",
            name,
            "not_null",
            f"{name} no está vacío",
            f"{name} is not empty",
        )
        for name in (*_NOT_NULL, *_AMOUNTS)
    ),
    catalogue_rule(
        "agreement_code.known",
        "agreement_code",
        "not_null",
        "El acuerdo marco se reconoce (agreement_code no vacío)",
        "The framework agreement is recognised (agreement_code not empty)",
    ),
    catalogue_rule(
        "order_number.unique",
        "order_number",
        "unique",
        "Cada orden electrónica aparece una sola vez en la foto del día (se ponen en "
        "cuarentena todas las repeticiones)",
        "Each order number appears once per snapshot (every duplicate is quarantined)",
    ),
    *(
        catalogue_rule(
            f"{name}.ruc_valid",
            name,
            "ruc",
            f"{name}: 11 dígitos, prefijo 10/15/17/20 y dígito verificador módulo 11",
            f"{name}: 11 digits, prefix 10/15/17/20 and modulo-11 check digit",
        )
        for name in ("supplier_ruc", "buyer_ruc")
    ),
    catalogue_rule(
        "status.known",
        "status",
        "in_set",
        "El estado de la orden es conocido (ACEPTADA, PAGADA, RESUELTA, ORDEN DE COMPRA NULA)",
        "The order status is known (ACEPTADA, PAGADA, RESUELTA, ORDEN DE COMPRA NULA)",
    ),
    catalogue_rule(
        "procedure_type.known",
        "procedure_type",
        "in_set",
        "El tipo de procedimiento es conocido (Compra ordinaria, Gran Compra)",
        "The procedure type is known (Compra ordinaria, Gran Compra)",
    ),
    *(
        catalogue_rule(
            f"{name}.iso_datetime",
            name,
            "iso_datetime",
            f"{name} tiene formato ISO 8601 con -05:00",
            f"{name} is ISO 8601 with -05:00",
        )
        for name in ("formalized_at", "last_status_at", "process_time")
    ),
    catalogue_rule(
        "last_status_at.not_before_formalized",
        "last_status_at",
        "not_before",
        "FECHA_ÚLTIMO_ESTADO no es anterior a FECHA_FORMALIZACIÓN",
        "last status date is not before the formalisation date",
        columns=("last_status_at", "formalized_at"),
    ),
    catalogue_rule(
        "process_time.not_before_last_status",
        "process_time",
        "not_before",
        "FECHA_PROCESO no es anterior a FECHA_ÚLTIMO_ESTADO",
        "process (extraction) time is not before the last status date",
        columns=("process_time", "last_status_at"),
    ),
    catalogue_rule(
        "total_cents.sum",
        "total_cents",
        "sum",
        "TOTAL = SUB_TOTAL + IGV al céntimo",
        "TOTAL = SUB_TOTAL + IGV to the cent",
        columns=_AMOUNTS,
    ),
    catalogue_rule(
        "igv_cents.rate",
        "igv_cents",
        "igv_band",
        "IGV es 0 o el 18 % del subtotal redondeado (±1 céntimo)",
        "IGV is 0 or 18% of the subtotal, rounded (±1 cent)",
        severity="warn",
        columns=("igv_cents", "subtotal_cents"),
    ),
    catalogue_rule(
        "igv_cents.not_above_rate",
        "igv_cents",
        "igv_cap",
        "IGV no supera el 18 % del subtotal redondeado (+1 céntimo)",
        "IGV does not exceed 18% of the subtotal, rounded (+1 cent)",
        columns=("igv_cents", "subtotal_cents"),
    ),
    *(
        catalogue_rule(
            f"{name}.positive",
            name,
            "positive",
            f"{name} > 0 (0 se admite en ORDEN DE COMPRA NULA)",
            f"{name} > 0 (0 allowed on ORDEN DE COMPRA NULA)",
            columns=(name, "status"),
        )
        for name in ("subtotal_cents", "total_cents")
    ),
    catalogue_rule(
        "igv_cents.non_negative",
        "igv_cents",
        "non_negative",
        "IGV no es negativo",
        "IGV is not negative",
    ),
    catalogue_rule(
        "table.row_count",
        "*",
        "row_count",
        "El número de órdenes del día está en la banda esperada para el día de la semana",
        "The day's order count is within the expected band for its weekday",
        level="table",
        severity="warn",
        columns=(),
    ),
    *(
        catalogue_rule(
            f"{name}.unknown_share",
            name,
            "unknown_share",
            f"La proporción de valores desconocidos en {name} está bajo el umbral",
            f"The share of unknown {name} values is under the threshold",
            level="table",
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


def rule_message_column(
    orders: pa.Table, rule: Rule, failed: np.ndarray, lang: Lang = "es"
) -> pa.Array:
    """Per-row message for ``rule`` (null where the row passes), naming the field and value."""
    shown = [column_array(orders, name).cast(pa.string()) for name in rule.columns]
    parts: list[Any] = []
    for name, values in zip(rule.columns, shown, strict=True):
        parts += [f"{name}=", pc.fill_null(values, "∅"), ", "]
    value_text = pc.binary_join_element_wise(*parts[:-1], "") if parts else pa.scalar("")
    prefix = f"{rule.id}: {rule.description(lang)} ("
    text = pc.binary_join_element_wise(prefix, value_text, ")", "")
    if isinstance(text, pa.Scalar):
        text = pa.array([text.as_py()] * len(orders), pa.string())
    return pc.if_else(pa.array(failed), text, pa.scalar(None, pa.string()))


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
    lang: Lang = "es",
) -> tuple[np.ndarray, pa.Table]:
    """Return (row failed any blocking rule, quarantine table with one row per failed row)."""
    return _quarantine(orders, ROW_RULES, masks, blocking, lang, raw_row_column)


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
    lang: Lang = "es",
) -> tuple[np.ndarray, pa.Table]:
    """Return (row failed a blocking rule, one quarantine row per failed row) for ``rules``.

    ``rule`` and ``field`` name the first failed rule in catalogue order, ``rules`` lists all of
    them and ``raw_row`` is the (normalised) row joined with ``;``.
    """
    return _quarantine(table, rules, masks, blocking, lang, joined_row_text)


def _quarantine(
    table: pa.Table,
    rules: tuple[Rule, ...],
    masks: Mapping[str, np.ndarray],
    blocking: set[str],
    lang: Lang,
    raw_rows: Callable[[pa.Table], pa.Array],
) -> tuple[np.ndarray, pa.Table]:
    """Quarantine rows of ``table`` failing a blocking rule; ``raw_rows`` rebuilds their text."""
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
    shown = [rule for rule in ordered if set(rule.columns) <= set(subset.column_names)]
    messages = [rule_message_column(subset, rule, sub_masks[rule.id], lang) for rule in shown]
    message = (
        pc.binary_join_element_wise(*messages, "; ", null_handling="skip")
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
            message,
            raw_rows(subset),
            rules_list,
        ],
        schema=QUARANTINE_SCHEMA,
    )
    return failed_any, quarantine


def catalogue_row_checks(
    table: pa.Table, rules: tuple[Rule, ...], masks: Mapping[str, np.ndarray], config: QualityConfig
) -> list[CheckResult]:
    """One non-blocking ``CheckResult`` per evaluated row rule (its failures are quarantined)."""
    checks = []
    for rule in rules:
        if rule.id not in masks:
            continue
        mask = masks[rule.id]
        count = int(mask.sum())
        quarantines = config.severity_of(rule) == "block"
        if config.lang == "es":
            outcome = "en cuarentena" if quarantines else "publicadas con advertencia"
            message = f"{rule.description('es')}: {count} filas {outcome}"
        else:
            outcome = "quarantined" if quarantines else "published with a warning"
            message = f"{rule.description('en')}: {count} rows {outcome}"
        details = {
            "failed_rows": count,
            "lines": source_lines_of(table, mask),
            "quarantines": quarantines,
        }
        checks.append(CheckResult(rule.id, count == 0, "warn", message, details))
    return checks


def catalogue_required_columns_check(
    rule: Rule, missing: list[str], table_name: str, producer: str, config: QualityConfig
) -> CheckResult:
    """Blocking check that ``table_name`` has every required column (``producer`` makes it)."""
    names = ", ".join(missing)
    if not missing:
        message = (
            "Están todas las columnas requeridas"
            if config.lang == "es"
            else "All required columns present"
        )
    elif config.lang == "es":
        message = (
            f"Faltan columnas requeridas en la tabla {table_name}: {names}. Revise {producer} "
            "o el encabezado del archivo fuente (docs/source-formats.md)."
        )
    else:
        message = (
            f"Required columns missing from the {table_name} table: {names}. Check {producer} "
            "or the source file header (docs/source-formats.md)."
        )
    return CheckResult(
        rule.id, not missing, config.severity_of(rule), message, {"missing": missing}
    )
