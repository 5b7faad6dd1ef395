"""Curated PERÚ COMPRAS framework-agreement (Acuerdo Marco) table and label resolution.

``data/framework_agreements.csv`` columns:

- ``code``: official code (``EXT-CE-2021-7``); ``NC-…`` for agreements seen only by name (no
  official code established yet: ``code_kind = local``); ``SYN-CE-2099-n`` for synthetic rows.
- ``name`` and ``name_variants`` (``|``-separated spellings seen in the files).
- ``category`` (goods/services/works) and ``ocds_category`` (OCDS procurementCategory).
- ``name_lookup``: whether a name-only label resolves to this row (one row per name; older
  editions of an agreement with the same name resolve by code only).
- ``source``: where the row was established (``sample:<file>``, ``public_document:<doc>``) or
  ``synthetic`` (never real: used by the synthetic generator only when asked).
- Known terms, each with the source it was read from in the next column (empty when unknown:
  never guessed): ``start_date`` / ``end_date`` (``YYYY-MM-DD``, the agreement's term),
  ``gran_compra_amount`` (PEN, the agreement's Gran Compra amount from its parameters annex).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

AGREEMENTS_CSV = Path(__file__).resolve().parent / "data" / "framework_agreements.csv"
CODE_PATTERN = r"^(?P<code>[A-Z]{2,4}-CE-[0-9]{4}-[0-9]+)(?:\s+(?P<name>.*))?$"


def normalise_labels(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Upper-case, strip accents, collapse whitespace and trim agreement labels (vectorised)."""
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    text = pc.utf8_normalize(raw.cast(pa.string()), "NFKD")
    text = pc.replace_substring_regex(text, r"\p{Mn}+", "")
    text = pc.replace_substring_regex(text, r"[´`]", "")
    text = pc.utf8_upper(text)
    text = pc.replace_substring_regex(text, r"[\s\p{Z}]+", " ")
    return pc.utf8_trim_whitespace(text)


@cache
def load_agreements() -> pa.Table:
    """Return the curated agreement table as an Arrow table (cached)."""
    with AGREEMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    table = pa.table(
        {
            "code": pa.array(columns["code"], pa.string()),
            "name": pa.array(columns["name"], pa.string()),
            "name_variants": pa.array(
                [[v for v in text.split("|") if v] for text in columns["name_variants"]],
                pa.list_(pa.string()),
            ),
            "category": pa.array(columns["category"], pa.string()),
            "ocds_category": pa.array(columns["ocds_category"], pa.string()),
            "code_kind": pa.array(columns["code_kind"], pa.string()),
            "name_lookup": pa.array([v == "true" for v in columns["name_lookup"]], pa.bool_()),
            "source": pa.array(columns["source"], pa.string()),
        }
    )
    _check_table(table)
    return table


def _check_table(table: pa.Table) -> None:
    """Refuse a table with duplicate codes or a name that resolves to two codes."""
    codes = table["code"].to_pylist()
    if len(set(codes)) != len(codes):
        raise ValueError(f"{AGREEMENTS_CSV}: duplicate agreement codes")
    keys, _ = _name_index()
    if len(set(keys)) != len(keys):
        raise ValueError(f"{AGREEMENTS_CSV}: a normalised name maps to more than one code")


@cache
def _name_index() -> tuple[list[str], list[str]]:
    """Return (normalised name, code) pairs for every looked-up name and variant."""
    with AGREEMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names: list[str] = []
    codes: list[str] = []
    for row in rows:
        if row["name_lookup"] != "true":
            continue
        spellings = [row["name"], *(v for v in row["name_variants"].split("|") if v)]
        normalised = set(normalise_labels(pa.array(spellings)).to_pylist())
        names.extend(sorted(normalised))
        codes.extend([row["code"]] * len(normalised))
    return names, codes


def resolve_agreements(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Map published ACUERDO_MARCO labels to agreement codes; null when unknown.

    A label with a code prefix resolves by that code only (an unknown code stays unknown even
    if the name is known: it may be a renewed agreement); a name-only label resolves by name.
    """
    normalised = normalise_labels(raw)
    parts = pc.extract_regex(normalised, CODE_PATTERN)
    prefixed_code = pc.struct_field(parts, [0])
    has_code = pc.fill_null(pc.is_valid(prefixed_code), False)
    table_codes = load_agreements()["code"].combine_chunks()
    code_hits = pc.take(table_codes, pc.index_in(prefixed_code, value_set=table_codes))
    names, codes = _name_index()
    name_hits = pc.take(
        pa.array(codes, pa.string()), pc.index_in(normalised, value_set=pa.array(names))
    )
    return pc.if_else(has_code, code_hits, name_hits)


def agreement_rows(*, include_synthetic: bool = False) -> list[dict[str, str]]:
    """Return agreement rows usable for labels (name-lookup rows, synthetic only on request)."""
    table = load_agreements()
    rows = table.select(["code", "name", "code_kind", "name_lookup", "source"]).to_pylist()
    return [
        row
        for row in rows
        if row["name_lookup"] and (include_synthetic or row["code_kind"] != "synthetic")
    ]


TERM_COLUMNS = ("start_date", "end_date", "gran_compra_amount")
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


@dataclass(frozen=True)
class AgreementTerms:
    """An agreement's known term and Gran Compra amount, each with its source (None: unknown)."""

    code: str
    start_date: str | None
    end_date: str | None
    gran_compra_cents: int | None
    sources: dict[str, str]


def _terms_of(row: dict[str, str]) -> AgreementTerms:
    """One row's terms; a value without a source (or the reverse) is refused."""
    for column in TERM_COLUMNS:
        if bool(row[column].strip()) != bool(row[f"{column}_source"].strip()):
            raise ValueError(
                f"{AGREEMENTS_CSV}: {row['code']}: {column} and {column}_source must be given "
                "together (every curated value names its source)"
            )
    for column in ("start_date", "end_date"):
        if row[column]:
            dt.date.fromisoformat(row[column])
    start, end = row["start_date"] or None, row["end_date"] or None
    if start and end and end < start:
        raise ValueError(f"{AGREEMENTS_CSV}: {row['code']}: end_date {end} before {start}")
    amount = row["gran_compra_amount"]
    if amount and not _AMOUNT.match(amount):
        raise ValueError(f"{AGREEMENTS_CSV}: {row['code']}: gran_compra_amount {amount!r}")
    cents = None
    if amount:
        whole, _, fraction = amount.partition(".")
        cents = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    sources = {c: row[f"{c}_source"] for c in TERM_COLUMNS if row[f"{c}_source"]}
    return AgreementTerms(row["code"], start, end, cents, sources)


@cache
def agreement_terms() -> dict[str, AgreementTerms]:
    """Code -> the known terms of every agreement of the curated table (cached)."""
    with AGREEMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: _terms_of(row) for row in csv.DictReader(handle)}
