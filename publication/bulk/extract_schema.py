"""The per-day extract's tables: names, schemas and the conversions both of its readers
share (``publication.bulk.extract``'s reference, one Python object per value, and
``publication.bulk.extract_arrow``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from publication.dictionary import (
    AGREEMENTS,
    BIDS,
    DELIVERIES,
    ITEMS,
    PARTIES,
    TIMEZONE,
    Table,
)

ORDERS = "orders"
OCIDS = "ocids"
COMPILED = "compiled"
DAY_COLUMN = "_day"
POSITION = "_pos"
FLAT_TABLES: dict[str, Table] = {
    "items": ITEMS,
    "deliveries": DELIVERIES,
    "bids": BIDS,
    "parties": PARTIES,
    "agreements": AGREEMENTS,
}
OCID_SCHEMA = pa.schema(
    [
        ("ocid", pa.string()),
        (DAY_COLUMN, pa.date32()),
        ("month", pa.string()),
        ("framework", pa.bool_()),
        ("states", pa.int32()),
        ("release_id", pa.string()),
        ("package_date", pa.date32()),
        ("first_package_date", pa.date32()),
        ("contract_status", pa.string()),
    ]
)
# Rows per row group of the compiled extracts: a month's build merges every day's file at
# once (``BulkQueries.compiled``) and a reader holds one decoded row group per file; with
# ~150 bids per order a release weighs ~65 KB.
COMPILED_ROW_GROUP = 16
COMPILED_SCHEMA = pa.schema(
    [("ocid", pa.string()), (DAY_COLUMN, pa.date32()), ("json", pa.binary())]
)
_PACKAGE_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/[^/]*$")
DELIVERY = "delivery"


def timestamps(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ISO 8601 texts with an offset (``2026-11-02T07:18:19-05:00``) as Lima timestamps."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if len(array) == 0:
        return pa.array([], pa.timestamp("ms", tz=TIMEZONE))
    parsed = pc.strptime(array, format="%Y-%m-%dT%H:%M:%S%z", unit="s", error_is_null=False)
    return parsed.cast(pa.timestamp("ms", tz=TIMEZONE))


def release_link(url: str) -> tuple[str, dt.date | None]:
    """(release id, package day) of a record's linked release URL."""
    path, _, fragment = url.partition("#")
    match = _PACKAGE_DAY.search(path)
    day = dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None
    return fragment, day


MILESTONE = "contracts/0/implementation/milestones/0/"
MILESTONE_KEYS = ("id", "title", "type", "status", "dueDate", "description")
# The value columns of each flat table's rows, in the order both readers fill them (after
# ocid, release id, package day and position).
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "agreements": (
        "date",
        "tender/id",
        "tender/title",
        "tender/description",
        "tender/procurementMethod",
        "tender/procurementMethodDetails",
    ),
    "parties": (
        "parties/0/id",
        "parties/0/name",
        "parties/0/identifier/scheme",
        "parties/0/identifier/id",
        "parties/0/identifier/legalName",
        "parties/0/roles",
    ),
    "items": (
        "contracts/0/id",
        "contracts/0/items/0/id",
        "contracts/0/items/0/description",
        "contracts/0/items/0/quantity",
        "contracts/0/items/0/unit/name",
        "contracts/0/items/0/unit/value/amount",
        "contracts/0/items/0/unit/value/currency",
        "contracts/0/items/0/deliveryAddress/streetAddress",
        "contracts/0/items/0/deliveryAddress/locality",
        "contracts/0/items/0/deliveryAddress/region",
        "contracts/0/items/0/deliveryAddress/countryName",
    ),
    "deliveries": ("contracts/0/id", *(MILESTONE + key for key in MILESTONE_KEYS)),
    "bids": (
        "bids/details/0/id",
        "bids/details/0/date",
        "bids/details/0/status",
        "bids/details/0/value/amount",
        "bids/details/0/value/currency",
        "bids/details/0/tenderers/0/id",
        "bids/details/0/tenderers/0/name",
    ),
}


def as_table(columns: Mapping[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """Column lists as a table of ``schema`` (a day without records: no rows, every column)."""
    return pa.table({name: columns.get(name, []) for name in schema.names}, schema=schema)


def extract_schema(definition: Table) -> pa.Schema:
    """A flat table's extract schema: its dictionary columns, the package day and position."""
    return (
        definition.arrow_schema()
        .append(pa.field(DAY_COLUMN, pa.date32()))
        .append(pa.field(POSITION, pa.int32()))
    )
