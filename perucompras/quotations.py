"""Quotations (proformas) requested for purchase orders: ``CotizacionesYYYYMM.csv``.

No public file exists; the format is documented in docs/source-formats.md. A month holds about
150 quotations per order (~1.5M rows), so files are only ever streamed in record batches:
``stream_quotations`` yields parsed batches and collects unparseable rows in its quarantine,
``quotations_for_orders`` keeps the rows of some orders, ``quotation_summary`` aggregates per
order in DuckDB over the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from perucompras.csv_stream import (
    LineNumberedCsv,
    Problems,
    block_size_for,
    sniff_encoding,
)
from perucompras.quarantine import quoted
from perucompras.reader import QUARANTINE_SCHEMA
from perucompras.ruc import ruc_reasons, valid_ruc_mask

FILE_PREFIX = "Cotizaciones"  # CotizacionesYYYYMM.csv
SELECTED = "SELECCIONADA"
UNSELECTED = "NO SELECCIONADA"
STATUSES = (SELECTED, UNSELECTED)
DEFAULT_BATCH_ROWS = 262_144
QUOTATION_COLUMNS = (
    "ORDEN_ELECTRÓNICA",
    "RUC_PROVEEDOR",
    "PROVEEDOR",
    "PRECIO_UNITARIO",
    "TOTAL",
    "FECHA_COTIZACION",
    "ESTADO",
)
REQUIRED = (
    "ORDEN_ELECTRÓNICA",
    "RUC_PROVEEDOR",
    "PROVEEDOR",
    "TOTAL",
    "FECHA_COTIZACION",
    "ESTADO",
)
QUOTATION_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("supplier_ruc", pa.string()),
        ("supplier_name", pa.string()),
        ("unit_price_cents", pa.int64()),
        ("total_cents", pa.int64()),
        ("quoted_at", pa.string()),
        ("status", pa.string()),
        ("selected", pa.bool_()),
    ]
)
SUMMARY_SCHEMA = pa.schema(
    [
        ("order_number", pa.string()),
        ("order_id", pa.string()),
        ("quotation_count", pa.int64()),
        ("supplier_count", pa.int64()),
        ("selected_count", pa.int64()),
        ("selected_supplier_ruc", pa.string()),
        ("selected_total_cents", pa.int64()),
        ("min_total_cents", pa.int64()),
        ("max_total_cents", pa.int64()),
        ("median_total_cents", pa.int64()),
        ("first_quoted_at", pa.string()),
        ("last_quoted_at", pa.string()),
    ]
)


def _parse(
    batch: pa.RecordBatch, source_line: pa.Array, source_file: str, lang: str = "es"
) -> tuple[pa.RecordBatch, pa.Table]:
    """One string batch -> (parsed good rows, quarantine rows; messages in ``lang``)."""
    column = batch.column
    problems = Problems(batch.num_rows, lang)
    for name in REQUIRED:
        blank = pc.equal(pc.utf8_trim_whitespace(column(name)), "")
        problems.add(
            blank,
            name,
            "required_missing",
            partial(problems.message, "cell.required_missing", column=name),
            "",
        )
    order_number = pc.utf8_trim_whitespace(column("ORDEN_ELECTRÓNICA"))
    parts = problems.parse_order_number(column("ORDEN_ELECTRÓNICA"))
    ruc = pc.utf8_trim_whitespace(column("RUC_PROVEEDOR"))
    problems.add(
        pc.and_(pc.not_equal(ruc, ""), pc.invert(valid_ruc_mask(ruc))),
        "RUC_PROVEEDOR",
        "ruc_invalid",
        lambda: problems.message(
            "cell.ruc_invalid",
            column="RUC_PROVEEDOR",
            value=quoted(ruc),
            reason=ruc_reasons(ruc, lang),
        ),
        ruc,
    )
    amounts = {
        name: problems.parse_amount(column(name), name) for name in ("PRECIO_UNITARIO", "TOTAL")
    }
    quoted_at = problems.parse_date(column("FECHA_COTIZACION"), "FECHA_COTIZACION")
    status = pc.utf8_trim_whitespace(column("ESTADO"))
    problems.add(
        pc.and_(
            pc.not_equal(status, ""), pc.invert(pc.is_in(status, value_set=pa.array(STATUSES)))
        ),
        "ESTADO",
        "unknown_status",
        lambda: problems.message(
            "cell.unknown_value",
            column="ESTADO",
            value=quoted(status),
            allowed=f"{SELECTED}, {UNSELECTED}",
        ),
        status,
    )
    good = problems.good
    parsed = pa.RecordBatch.from_arrays(
        [
            pa.array([source_file] * batch.num_rows, pa.string()),
            source_line,
            order_number,
            pc.struct_field(parts, "order_id"),
            ruc,
            pc.utf8_trim_whitespace(
                pc.replace_substring_regex(column("PROVEEDOR"), r"[\s\p{Z}]+", " ")
            ),
            amounts["PRECIO_UNITARIO"],
            amounts["TOTAL"],
            quoted_at,
            status,
            pc.equal(status, SELECTED),
        ],
        schema=QUOTATION_SCHEMA,
    ).filter(good)
    return parsed, problems.table(source_file, source_line, batch)


class QuotationStream(Iterator[pa.RecordBatch]):
    """Parsed quotation batches of one file; unparseable rows go to ``quarantine``."""

    def __init__(
        self, path: Path, *, batch_rows: int = DEFAULT_BATCH_ROWS, lang: str = "es"
    ) -> None:
        """Open ``path`` for streaming (the header is checked now); messages in ``lang``."""
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.lang = lang
        encoding, self.encoding = sniff_encoding(self.path, QUOTATION_COLUMNS, lang)
        self._csv = LineNumberedCsv(
            self.path, QUOTATION_COLUMNS, encoding, block_size_for(self.path, batch_rows), lang
        )
        self._batches = self._generate()
        self._quarantine: list[pa.Table] = []
        self.rows_read = 0

    def _generate(self) -> Iterator[pa.RecordBatch]:
        """Parse each CSV block and yield batches of ``batch_rows`` rows (the last one shorter)."""
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch, source_line in self._csv:
            self.rows_read += batch.num_rows
            parsed, quarantine = _parse(batch, source_line, self.path.name, self.lang)
            if quarantine.num_rows:
                self._quarantine.append(quarantine)
            pending.append(parsed)
            pending_rows += parsed.num_rows
            while pending_rows >= self.batch_rows:
                merged = pa.concat_batches(pending)
                yield merged.slice(0, self.batch_rows)
                rest = merged.slice(self.batch_rows)
                pending, pending_rows = [rest], rest.num_rows
        if pending_rows:
            yield pa.concat_batches(pending)
        bad = self._csv.take_bad_rows()
        self.rows_read += bad.num_rows
        if bad.num_rows:
            self._quarantine.append(bad)

    def __next__(self) -> pa.RecordBatch:
        """The next parsed batch."""
        return next(self._batches)

    @property
    def quarantine(self) -> pa.Table:
        """Rows quarantined so far (all of them once the stream is exhausted)."""
        if not self._quarantine:
            return QUARANTINE_SCHEMA.empty_table()
        return pa.concat_tables(self._quarantine).sort_by("source_line")


def stream_quotations(
    path: Path, *, batch_rows: int = DEFAULT_BATCH_ROWS, lang: str = "es"
) -> QuotationStream:
    """Stream a ``CotizacionesYYYYMM.csv`` file as parsed record batches (``QUOTATION_SCHEMA``);
    messages of rejected rows in ``lang``."""
    return QuotationStream(path, batch_rows=batch_rows, lang=lang)


def quotations_for_orders(
    path: Path,
    order_numbers: Iterable[str] | pa.Array,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    quarantine: list[pa.Table] | None = None,
) -> pa.Table:
    """The quotations of some orders, filtered batch by batch (the month is never loaded).

    Unparseable rows of the whole file are appended to ``quarantine`` when a list is given.
    """
    wanted = (
        order_numbers
        if isinstance(order_numbers, pa.Array)
        else pa.array(list(order_numbers), pa.string())
    )
    stream = stream_quotations(path, batch_rows=batch_rows)
    kept = [
        batch.filter(pc.is_in(batch.column("order_number"), value_set=wanted)) for batch in stream
    ]
    if quarantine is not None:
        quarantine.append(stream.quarantine)
    return pa.Table.from_batches(kept, schema=QUOTATION_SCHEMA)


def _batches(source: Path | str | pa.Table | Iterable[pa.RecordBatch]) -> pa.RecordBatchReader:
    """An Arrow stream over a quotations file, table or batches."""
    if isinstance(source, str | Path):
        source = stream_quotations(Path(source))
    if isinstance(source, pa.Table):
        return source.select(QUOTATION_SCHEMA.names).cast(QUOTATION_SCHEMA).to_reader()
    return pa.RecordBatchReader.from_batches(QUOTATION_SCHEMA, iter(source))


SUMMARY_SQL = """
SELECT
    order_number,
    min(order_id) AS order_id,
    count(*) AS quotation_count,
    count(DISTINCT supplier_ruc) AS supplier_count,
    count(*) FILTER (WHERE selected) AS selected_count,
    CASE WHEN count(*) FILTER (WHERE selected) = 1
        THEN min(supplier_ruc) FILTER (WHERE selected) END AS selected_supplier_ruc,
    CASE WHEN count(*) FILTER (WHERE selected) = 1
        THEN min(total_cents) FILTER (WHERE selected) END AS selected_total_cents,
    min(total_cents) AS min_total_cents,
    max(total_cents) AS max_total_cents,
    quantile_disc(total_cents, 0.5) AS median_total_cents,
    min(quoted_at) AS first_quoted_at,
    max(quoted_at) AS last_quoted_at
FROM quotations
GROUP BY order_number
ORDER BY order_number
"""


def quotation_summary(source: Path | str | pa.Table | Iterable[pa.RecordBatch]) -> pa.Table:
    """Per order: quotation and supplier counts, the selected quotation, min/max/lower-median TOTAL.

    The median is the lower median (an actual quoted amount, so it stays in whole cents).
    ``selected_*`` are null unless exactly one quotation is ``SELECCIONADA``.
    """
    import duckdb  # not at module level: the daily run's companions worker never needs it

    reader = _batches(source)
    connection = duckdb.connect()
    try:
        connection.register("quotations", reader)
        table = connection.sql(SUMMARY_SQL).to_arrow_table()
    finally:
        connection.close()
    return table.cast(SUMMARY_SCHEMA)
