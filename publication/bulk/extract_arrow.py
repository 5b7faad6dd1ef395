"""The per-day extract's tables read with Arrow's JSON reader instead of Python objects.

A day's record package with ~150 quotations per order holds ~65,000 bids: building Python
objects for them (``orjson.loads``) and rows from those costs about a second a day, most of
a backfill's background work. Here the record package is cut as ``compiled_slices`` cuts it:
the compiled releases (canonical bytes, one JSON object each, no raw newline) are read as
JSON Lines by Arrow, with an explicit schema of only the members the extract uses, amounts
straight to the dictionary's exact decimals; the rest of the package, each compiled release
replaced by ``null``, is small and parsed with orjson for the ocids and the release links.
The flat tables are then made with Arrow kernels.

``extract_tables`` gives exactly the tables of the reference (``_RowBuilder``, one Python
object per value), or None whenever it cannot be sure to: a member of another type than the
schema's, a null element in a list the reference would fail on, a number an exact decimal
cannot hold, anything the cut does not recognise. The caller then builds them the reference
way, which also reports what is wrong. Tests compare both on published days.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from integrity.canonical import canonical_bytes
from publication.bulk.extract_schema import (
    COMPILED,
    COMPILED_SCHEMA,
    DAY_COLUMN,
    DELIVERY,
    FLAT_TABLES,
    MILESTONE_KEYS,
    OCID_SCHEMA,
    OCIDS,
    POSITION,
    ROW_COLUMNS,
    as_table,
    extract_schema,
    release_link,
    timestamps,
)
from publication.dictionary import Table

_HEAD = b'{"compiledRelease":'
_RELEASES_MEMBER = b'"releases":'
_OCID_MEMBER = b',"ocid":'
_RECORD_KEYS = frozenset({"compiledRelease", "ocid", "releases"})

_S = pa.struct
_TEXT = pa.string()


def _schema() -> pa.Schema:
    """The compiled release members the extract reads (numbers as the dictionary's decimals,
    dates as text: the reference parses them the same way, with ``timestamps``)."""
    flat = {name: extract_schema(definition) for name, definition in FLAT_TABLES.items()}

    def decimal(table: str, column: str) -> pa.DataType:
        return flat[table].field(column).type

    value = _S(
        [
            ("amount", decimal("items", "contracts/0/items/0/unit/value/amount")),
            ("currency", _TEXT),
        ]
    )
    item = _S(
        [
            ("id", _TEXT),
            ("description", _TEXT),
            ("quantity", decimal("items", "contracts/0/items/0/quantity")),
            ("unit", _S([("name", _TEXT), ("value", value)])),
            (
                "deliveryAddress",
                _S([(k, _TEXT) for k in ("streetAddress", "locality", "region", "countryName")]),
            ),
        ]
    )
    milestone = _S(
        [(k, _TEXT) for k in ("id", "title", "type", "status", "dueDate", "description")]
    )
    contract = _S(
        [
            ("id", _TEXT),
            ("dateSigned", _TEXT),
            ("status", _TEXT),
            ("items", pa.list_(item)),
            ("implementation", _S([("milestones", pa.list_(milestone))])),
        ]
    )
    bid_value = _S(
        [("amount", decimal("bids", "bids/details/0/value/amount")), ("currency", _TEXT)]
    )
    bid = _S(
        [
            ("id", _TEXT),
            ("date", _TEXT),
            ("status", _TEXT),
            ("value", bid_value),
            ("tenderers", pa.list_(_S([("id", _TEXT), ("name", _TEXT)]))),
        ]
    )
    party = _S(
        [
            ("id", _TEXT),
            ("name", _TEXT),
            ("identifier", _S([("scheme", _TEXT), ("id", _TEXT), ("legalName", _TEXT)])),
            ("roles", pa.list_(_TEXT)),
        ]
    )
    tender_keys = ("id", "title", "description", "procurementMethod", "procurementMethodDetails")
    return pa.schema(
        [
            ("id", _TEXT),
            ("date", _TEXT),
            ("tender", _S([(k, _TEXT) for k in tender_keys])),
            ("contracts", pa.list_(contract)),
            ("bids", _S([("details", pa.list_(bid))])),
            ("parties", pa.list_(party)),
        ]
    )


_SCHEMA = _schema()


class _NotSure(Exception):
    """The reference's tables may differ from what this module would make."""


def extract_tables(day: dt.date, data: bytes) -> dict[str, pa.Table] | None:
    """The extract's tables of ``day`` from its record package's canonical bytes (the
    reference's exactly), or None when the reference must make them."""
    try:
        return _tables(day, data)
    except Exception:  # whatever it is, the reference makes the tables (and reports it)
        return None


def _cut(data: bytes) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The records (compiled releases left out) and each one's compiled release bytes."""
    count = data.count(_HEAD)
    if not count or data.count(_RELEASES_MEMBER) != count or b"\n" in data:
        raise _NotSure("not a record package this module can cut")
    pieces: list[bytes] = []
    slices: list[bytes] = []
    ocids: list[bytes] = []
    at = 0
    for _ in range(count):
        start = data.index(_HEAD, at) + len(_HEAD)
        key = data.index(_RELEASES_MEMBER, start)
        end = data.rindex(_OCID_MEMBER, start, key)
        if data[key - 1 : key] != b"," or end <= start:
            raise _NotSure("record members out of place")
        pieces += [data[at:start], b"null"]
        slices.append(data[start:end])
        ocids.append(data[end + len(_OCID_MEMBER) : key - 1])
        at = end
    pieces.append(data[at:])
    records = orjson.loads(b"".join(pieces)).get("records", [])
    if len(records) != count:
        raise _NotSure("records and cut compiled releases do not pair up")
    for record, ocid in zip(records, ocids, strict=True):
        if (
            not isinstance(record, dict)
            or record.keys() != _RECORD_KEYS
            or record["compiledRelease"] is not None
            or record["ocid"] != orjson.loads(ocid)
        ):
            raise _NotSure("a record is not what the cut took it for")
    # The package must be canonical for a slice to be its compiled release's own bytes.
    if slices[0] != canonical_bytes(orjson.loads(slices[0])):
        raise _NotSure("the record package is not canonical JSON")
    return records, slices


def _tables(day: dt.date, data: bytes) -> dict[str, pa.Table]:
    records, slices = _cut(data)
    order = sorted(range(len(records)), key=lambda n: str(records[n]["ocid"]))
    records = [records[n] for n in order]
    slices = [slices[n] for n in order]
    compiled = pj.read_json(
        io.BytesIO(b"\n".join(slices)),
        read_options=pj.ReadOptions(
            use_threads=False, block_size=max(1 << 24, 2 * max(map(len, slices)))
        ),
        parse_options=pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore"),
    )
    if compiled.num_rows != len(records):
        raise _NotSure("not one compiled release per record")
    releases = _column(compiled, "id")
    if releases.null_count:
        raise _NotSure("a compiled release without an id")
    ocids = pa.array([str(record["ocid"]) for record in records], _TEXT)
    rows = _Rows(day, ocids, releases)
    contracts = _column(compiled, "contracts")
    tables = {
        OCIDS: _ocids(day, records, compiled, contracts),
        COMPILED: as_table(
            {"ocid": ocids.to_pylist(), DAY_COLUMN: [day] * len(records), "json": slices},
            COMPILED_SCHEMA,
        ),
    }
    tables["items"], tables["deliveries"] = rows.contracts(contracts)
    tables["bids"] = rows.bids(pc.struct_field(_column(compiled, "bids"), "details"))
    tables["parties"] = rows.parties(_column(compiled, "parties"))
    tables["agreements"] = rows.agreements(compiled, contracts)
    return tables


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _ocids(
    day: dt.date, records: list[dict[str, Any]], compiled: pa.Table, contracts: pa.Array
) -> pa.Table:
    """The ``ocids`` table, one row per record, as ``_RowBuilder.add`` fills it."""
    each, owners = _elements(contracts)
    firsts = np.full(len(records), -1, np.int64)
    heads = np.flatnonzero(_positions(owners, len(records)) == 0)
    firsts[owners[heads]] = heads
    first = pa.array(firsts, mask=firsts < 0)
    dated = _blank_to_null(_field(each, "dateSigned").take(first)).to_pylist()
    statuses = _field(each, "status").take(first).to_pylist()
    dates = _column(compiled, "date").to_pylist()
    columns: dict[str, list[Any]] = {name: [] for name in OCID_SCHEMA.names}
    for number, record in enumerate(records):
        links = [release_link(str(link.get("url", ""))) for link in record.get("releases", [])]
        framework = firsts[number] < 0
        if framework:
            month = f"{day:%Y-%m}"
        elif dated[number] is None and dates[number] is None:
            raise _NotSure("a contract without a date")  # the reference's text would be "None"
        else:
            month = str(dated[number] or dates[number])[:7]
        columns["ocid"].append(str(record["ocid"]))
        columns[DAY_COLUMN].append(day)
        columns["month"].append(month)
        columns["framework"].append(bool(framework))
        columns["states"].append(len(links))
        columns["release_id"].append(links[-1][0] if links else None)
        columns["package_date"].append(links[-1][1] if links else day)
        columns["first_package_date"].append(links[0][1] if links else day)
        columns["contract_status"].append(None if framework else statuses[number])
    return as_table(columns, OCID_SCHEMA)


def _blank_to_null(values: pa.Array) -> pa.Array:
    """Empty texts as nulls (the reference's ``value or fallback``)."""
    return pc.if_else(pc.equal(values, ""), None, values)


def _elements(lists: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The elements of every list and the index of the list each comes from; a null element
    is refused (the reference fails on it)."""
    values = pc.list_flatten(lists)
    if values.null_count:
        raise _NotSure("a null element in a list")
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    return values, parents.astype(np.int64, copy=False)


def _positions(parents: np.ndarray, count: int) -> np.ndarray:
    """Each row's position among the rows of its record (``parents`` in record order)."""
    per = np.bincount(parents, minlength=count)
    starts = np.cumsum(per) - per
    return np.arange(len(parents), dtype=np.int64) - starts[parents]


def _field(values: pa.Array, *path: str) -> pa.Array:
    """A nested member of struct ``values`` (null where a struct on the way is null)."""
    for name in path:
        values = pc.struct_field(values, name)
    return values


class _Rows:
    """The flat tables, each row keyed as ``_RowBuilder`` keys it (ocid, release id, package
    day, position in its array)."""

    def __init__(self, day: dt.date, ocids: pa.Array, releases: pa.Array) -> None:
        self.day = day
        self.ocids = ocids
        self.releases = releases

    def table(
        self, name: str, parents: np.ndarray, positions: np.ndarray, values: list[pa.Array]
    ) -> pa.Table:
        """A flat table from its rows' records, positions and value columns (in
        ``ROW_COLUMNS`` order), typed as ``_typed`` types the reference's."""
        definition: Table = FLAT_TABLES[name]
        schema = extract_schema(definition)
        taken = pa.array(parents)
        columns: dict[str, pa.Array] = {
            "ocid": self.ocids.take(taken),
            "id": self.releases.take(taken),
            DAY_COLUMN: pa.array([self.day] * len(parents), pa.date32()),
            POSITION: pa.array(positions, pa.int32()),
        }
        columns.update(zip(ROW_COLUMNS[name], values, strict=True))
        arrays = []
        for field in schema:
            array = columns[field.name]
            if pa.types.is_timestamp(field.type):
                array = timestamps(array.cast(_TEXT))
            arrays.append(array.cast(field.type))
        return pa.Table.from_arrays(arrays, schema=schema)

    def agreements(self, compiled: pa.Table, contracts: pa.Array) -> pa.Table:
        lengths = pc.fill_null(pc.list_value_length(contracts), 0).to_numpy()
        parents = np.flatnonzero(lengths == 0)
        tender = _column(compiled, "tender").take(pa.array(parents))
        values = [_column(compiled, "date").take(pa.array(parents))]
        values += [
            _field(tender, key)
            for key in (
                "id",
                "title",
                "description",
                "procurementMethod",
                "procurementMethodDetails",
            )
        ]
        return self.table("agreements", parents, np.zeros(len(parents), np.int64), values)

    def contracts(self, contracts: pa.Array) -> tuple[pa.Table, pa.Table]:
        """``items`` and ``deliveries`` (delivery milestones only, numbered among them)."""
        count = len(contracts)
        each, owners = _elements(contracts)
        items, item_contracts = _elements(_field(each, "items"))
        parents = owners[item_contracts]
        values = [
            _field(each, "id").take(pa.array(item_contracts)),
            _field(items, "id"),
            _field(items, "description"),
            _field(items, "quantity"),
            _field(items, "unit", "name"),
            _field(items, "unit", "value", "amount"),
            _field(items, "unit", "value", "currency"),
            *(
                _field(items, "deliveryAddress", key)
                for key in ("streetAddress", "locality", "region", "countryName")
            ),
        ]
        item_table = self.table("items", parents, _positions(parents, count), values)
        milestones, milestone_contracts = _elements(_field(each, "implementation", "milestones"))
        keep = pc.fill_null(pc.equal(_field(milestones, "type"), DELIVERY), False)
        kept = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        milestones = milestones.take(pa.array(kept))
        milestone_contracts = milestone_contracts[kept]
        parents = owners[milestone_contracts]
        values = [_field(each, "id").take(pa.array(milestone_contracts))]
        values += [_field(milestones, key) for key in MILESTONE_KEYS]
        delivery_table = self.table("deliveries", parents, _positions(parents, count), values)
        return item_table, delivery_table

    def bids(self, details: pa.Array) -> pa.Table:
        """One row per bid and tenderer; a bid without tenderers gives one row without."""
        bids, owners = _elements(details)
        tenderers, tenderer_bids = _elements(_field(bids, "tenderers"))
        per_bid = np.bincount(tenderer_bids, minlength=len(bids))
        rows_per_bid = np.maximum(per_bid, 1)
        row_bids = np.repeat(np.arange(len(bids), dtype=np.int64), rows_per_bid)
        first_row = np.cumsum(rows_per_bid) - rows_per_bid
        first_tenderer = np.cumsum(per_bid) - per_bid
        rank = np.arange(len(row_bids), dtype=np.int64) - first_row[row_bids]
        which = pa.array(first_tenderer[row_bids] + rank, mask=per_bid[row_bids] == 0)
        parents = owners[row_bids]
        taken = pa.array(row_bids)
        values = [
            _field(bids, "id").take(taken),
            _field(bids, "date").take(taken),
            _field(bids, "status").take(taken),
            _field(bids, "value", "amount").take(taken),
            _field(bids, "value", "currency").take(taken),
            _field(tenderers, "id").take(which),
            _field(tenderers, "name").take(which),
        ]
        return self.table("bids", parents, _positions(parents, len(details)), values)

    def parties(self, lists: pa.Array) -> pa.Table:
        parties, parents = _elements(lists)
        roles = _field(parties, "roles")
        if pc.list_flatten(roles).null_count:
            raise _NotSure("a null role")
        joined = _blank_to_null(pc.binary_join(roles, ";"))
        values = [
            _field(parties, "id"),
            _field(parties, "name"),
            _field(parties, "identifier", "scheme"),
            _field(parties, "identifier", "id"),
            _field(parties, "identifier", "legalName"),
            joined,
        ]
        return self.table("parties", parents, _positions(parents, len(lists)), values)
