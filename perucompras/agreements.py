"""Framework-agreement (Acuerdo Marco) identity: labels parsed, names resolved, curated table.

The identity of an agreement comes from the data. ``ACUERDO_MARCO`` labels carry the code until
2024-05 (``EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES``) and only the name after:

- a code-prefixed label gives its code and name (``parse_label``), whether or not the curated
  table knows the code;
- a name-only label resolves (``resolve_agreements``) through the name -> code pairs learned from
  code-prefixed labels of every file ingested so far (``learned_names``; the status store keeps
  them), then through the curated table; when several codes carry the same name (an agreement
  re-issued under a new code), the agreement dates decide (``choose_code``);
- otherwise the agreement is known only by its name: no code (null ``agreement_code``), never an
  invented one.

The curated table ``data/framework_agreements.csv`` only enriches (category, canonical name
spellings, dates when known); it never gates. Columns:

- ``code``: official code (``EXT-CE-2021-7``); ``NC-…`` rows (``code_kind = local``) record an
  agreement seen only by name: their code is never published; ``SYN-CE-2099-n`` rows are synthetic
  (used by the synthetic generator only when asked).
- ``name`` and ``name_variants`` (``|``-separated spellings seen in the files).
- ``category`` (goods/services/works) and ``ocds_category`` (OCDS procurementCategory).
- ``name_lookup``: whether a name-only label may resolve to this row without dates (one row per
  name; older editions of an agreement with the same name need their dates).
- ``source``: where the row was established (``sample:<file>``, ``public_document:<doc>``) or
  ``synthetic`` (never real: used by the synthetic generator only when asked).
- Known terms, each with the source it was read from in the next column (empty when unknown:
  never guessed): ``start_date`` / ``end_date`` (``YYYY-MM-DD``, the agreement's term; also
  used to choose between editions with the same name), ``gran_compra_amount`` (PEN, the
  agreement's Gran Compra amount from its parameters annex).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

AGREEMENTS_CSV = Path(__file__).resolve().parent / "data" / "framework_agreements.csv"
# IM-CE-2020-5, EXT-CE-2021-12, EXT-CE-2024-2: family (IM, EXT, …), "CE" (catálogo
# electrónico), year, number; spaces around the dashes and a separator before the name tolerated.
CODE_PATTERN = re.compile(
    r"^(?P<code>[A-Z]{2,4}\s*-\s*CE\s*-\s*(?:19|20)[0-9]{2}\s*-\s*[0-9]{1,3})"
    r"(?=\s|[-–:.]|$)[\s\-–:.]*(?P<name>.*)$",
    re.IGNORECASE,
)
PERIOD_COLUMNS = ("start_date", "end_date")
DEFAULT_CATEGORY = "goods"  # the monthly files are ReportePCBienes: goods
OFFICIAL_KINDS = frozenset({"official", "synthetic"})


@dataclass(frozen=True)
class AgreementInfo:
    """What the mapping needs to know about an Acuerdo Marco with a code (terms when known)."""

    code: str
    name: str
    category: str
    has_code: bool = True
    start_date: str | None = None
    end_date: str | None = None
    gran_compra_cents: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A code a name may stand for, with the dates it was in force (when known)."""

    code: str
    start: str | None
    end: str | None


@dataclass(frozen=True, order=True)
class LearnedName:
    """A (code, name) pair seen in code-prefixed labels, with its first and last order dates."""

    code: str
    key: str
    name: str
    first_seen: str
    last_seen: str


def collapse(text: str) -> str:
    """Whitespace runs (Unicode included) to one space, trimmed."""
    return re.sub(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+", " ", text).strip()


@lru_cache(maxsize=8192)  # a month's orders repeat a few dozen labels
def name_key(name: str) -> str:
    """Matching key of a name: no accents, upper case, punctuation and extra spaces removed."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    return " ".join(re.sub(r"[^0-9A-Z]+", " ", bare).split())


def parse_label(label: str | None) -> tuple[str | None, str | None]:
    """(code or None, display name or None) of one ACUERDO_MARCO label."""
    if label is None:
        return None, None
    cleaned = collapse(label)
    match = CODE_PATTERN.match(cleaned)
    if match is None:
        return None, cleaned or None
    code = re.sub(r"\s+", "", match["code"]).upper()
    return code, collapse(match["name"]) or None


def parse_labels(raw: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorised ``parse_label`` (once per distinct label): (codes, names)."""
    array = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    parsed = [parse_label(label) for label in encoded.dictionary.to_pylist()]
    codes = pa.array([code for code, _ in parsed], pa.string())
    names = pa.array([name for _, name in parsed], pa.string())
    return pc.take(codes, encoded.indices), pc.take(names, encoded.indices)


@cache
def load_agreements() -> pa.Table:
    """Return the curated agreement table as an Arrow table (cached)."""
    rows = _csv_rows()
    table = pa.table(
        {
            "code": pa.array([row["code"] for row in rows], pa.string()),
            "name": pa.array([row["name"] for row in rows], pa.string()),
            "name_variants": pa.array(
                [[v for v in row["name_variants"].split("|") if v] for row in rows],
                pa.list_(pa.string()),
            ),
            "category": pa.array([row["category"] for row in rows], pa.string()),
            "ocds_category": pa.array([row["ocds_category"] for row in rows], pa.string()),
            "code_kind": pa.array([row["code_kind"] for row in rows], pa.string()),
            "name_lookup": pa.array([row["name_lookup"] == "true" for row in rows], pa.bool_()),
            "source": pa.array([row["source"] for row in rows], pa.string()),
            **{
                column: pa.array([row.get(column) or None for row in rows], pa.string())
                for column in PERIOD_COLUMNS
            },
        }
    )
    _check_table(table)
    return table


@cache
def _csv_rows() -> tuple[dict[str, str], ...]:
    with AGREEMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def _check_table(table: pa.Table) -> None:
    """Refuse a table with duplicate codes or a looked-up name that resolves to two codes."""
    codes = table["code"].to_pylist()
    if len(set(codes)) != len(codes):
        raise ValueError(f"{AGREEMENTS_CSV}: duplicate agreement codes")
    looked_up: dict[str, str] = {}
    for row in _csv_rows():
        if row["name_lookup"] != "true":
            continue
        for key in _row_keys(row):
            if looked_up.setdefault(key, row["code"]) != row["code"]:
                raise ValueError(f"{AGREEMENTS_CSV}: the name {key!r} is looked up for two codes")


def _row_keys(row: Mapping[str, str]) -> set[str]:
    spellings = [row["name"], *(v for v in row["name_variants"].split("|") if v)]
    return {name_key(spelling) for spelling in spellings}


@cache
def curated() -> tuple[dict[str, dict[str, str]], dict[str, list[dict[str, str]]]]:
    """(rows by code, rows by name key) of the curated table."""
    load_agreements()  # validates the table
    by_code = {row["code"]: row for row in _csv_rows()}
    by_key: dict[str, list[dict[str, str]]] = {}
    for row in _csv_rows():
        for key in sorted(_row_keys(row)):
            by_key.setdefault(key, []).append(row)
    return by_code, by_key


def _official(row: Mapping[str, str]) -> bool:
    return row["code_kind"] in OFFICIAL_KINDS


def _period(row: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    if row is None:
        return None, None
    return row.get("start_date") or None, row.get("end_date") or None


def candidates_for(key: str, learned: Iterable[LearnedName]) -> list[Candidate]:
    """Codes a name may stand for: learned from code-prefixed labels, then the curated table.

    A learned code is in force from the curated start date when known, else from the first order
    seen with it; it ends at the curated end date when known (never at the last order seen: the
    name-only months would hide later orders). A curated code joins when it is looked up by name
    or has dates.
    """
    by_code, by_key = curated()
    first_seen: dict[str, str] = {}
    for entry in learned:
        if entry.key == key:
            first_seen[entry.code] = min(
                first_seen.get(entry.code, entry.first_seen), entry.first_seen
            )
    found: dict[str, Candidate] = {}
    for code, first in first_seen.items():
        start, end = _period(by_code.get(code))
        found[code] = Candidate(code, start or first or None, end)
    for row in by_key.get(key, []):
        start, end = _period(row)
        if row["code"] in found or not _official(row):
            continue
        if row["name_lookup"] == "true" or start or end:
            found[row["code"]] = Candidate(row["code"], start, end)
    return sorted(found.values(), key=lambda c: c.code)


def choose_code(candidates: list[Candidate], day: str) -> str | None:
    """The code in force on ``day`` (``YYYY-MM-DD``) among editions with the same name.

    1. editions in force on the day (start <= day <= end, an unknown bound open): the latest
       start; 2. else editions started before the day: the latest start; 3. else (every edition
    starts later): the earliest start. Ties go to the greater code (then the smaller one in 3),
    so the choice depends only on the candidates, never on the order they were learned in.
    """
    if not candidates:
        return None

    def started(c: Candidate) -> bool:
        return c.start is None or c.start <= day

    in_force = [c for c in candidates if started(c) and (c.end is None or day <= c.end)]
    pool = in_force or [c for c in candidates if started(c)]
    if pool:
        return max(pool, key=lambda c: (c.start or "", c.code)).code
    return min(candidates, key=lambda c: (c.start or "", c.code)).code


def canonical_names(learned: Iterable[LearnedName]) -> dict[str, str]:
    """One display name per code: the curated name, else the smallest learned spelling."""
    by_code, _ = curated()
    names: dict[str, str] = {}
    for entry in learned:
        if entry.code not in names or entry.name < names[entry.code]:
            names[entry.code] = entry.name
    for code in names:
        if code in by_code:
            names[code] = by_code[code]["name"]
    return names


def learned_from(orders: pa.Table) -> list[LearnedName]:
    """The (code, name) pairs of one table's code-prefixed labels, with first/last order dates."""
    if not orders.num_rows:
        return []
    table = pa.table(
        {
            "code": orders["agreement_code"],
            "name": orders["agreement_name"],
            "day": pc.utf8_slice_codeunits(orders["formalized_at"], 0, 10),
        }
    ).filter(pc.and_(pc.is_valid(orders["agreement_code"]), pc.is_valid(orders["agreement_name"])))
    grouped = table.group_by(["code", "name"]).aggregate([("day", "min"), ("day", "max")])
    return sorted(
        LearnedName(code, name_key(name), name, first or "", last or "")
        for code, name, first, last in zip(
            grouped["code"].to_pylist(),
            grouped["name"].to_pylist(),
            grouped["day_min"].to_pylist(),
            grouped["day_max"].to_pylist(),
            strict=True,
        )
    )


def resolve_agreements(orders: pa.Table, learned: Iterable[LearnedName]) -> pa.Table:
    """Fill ``agreement_code`` and ``agreement_name`` of name-only labels; canonical names.

    ``orders`` carries what the labels say (``agreement_code`` from a code prefix, else null;
    ``agreement_name`` the label's name). A deterministic function of ``orders``, ``learned``
    (as a set) and the curated table.
    """
    learned = sorted(set(learned), key=lambda e: (e.code, e.key, e.name))
    by_code, by_key = curated()
    names = canonical_names(learned)
    codes_in = orders["agreement_code"].to_pylist()
    names_in = orders["agreement_name"].to_pylist()
    days = pc.utf8_slice_codeunits(orders["formalized_at"], 0, 10).to_pylist()
    chosen: dict[tuple[str, str], str | None] = {}
    candidates: dict[str, list[Candidate]] = {}
    codes_out: list[str | None] = []
    names_out: list[str | None] = []
    for code, name, day in zip(codes_in, names_in, days, strict=True):
        key = name_key(name) if name else ""
        if code is None and key:
            if (key, day or "") not in chosen:
                if key not in candidates:
                    candidates[key] = candidates_for(key, learned)
                chosen[key, day or ""] = choose_code(candidates[key], day or "")
            code = chosen[key, day or ""]
        if code is not None:
            name = names.get(code) or (by_code[code]["name"] if code in by_code else name)
        elif key in by_key:
            name = by_key[key][0]["name"]
        codes_out.append(code)
        names_out.append(name)
    index = orders.schema.get_field_index
    orders = orders.set_column(
        index("agreement_code"), "agreement_code", pa.array(codes_out, pa.string())
    )
    return orders.set_column(
        index("agreement_name"), "agreement_name", pa.array(names_out, pa.string())
    )


def agreement_infos(orders: pa.Table) -> dict[str, AgreementInfo]:
    """Code -> what the mapping needs, for every code of resolved ``orders`` (curated category)."""
    by_code, _ = curated()
    pairs = (
        pa.table({"code": orders["agreement_code"], "name": orders["agreement_name"]})
        .filter(pc.is_valid(orders["agreement_code"]))
        .group_by("code")
        .aggregate([("name", "min")])
    )
    terms = agreement_terms()
    infos = {}
    for code, name in zip(pairs["code"].to_pylist(), pairs["name_min"].to_pylist(), strict=True):
        row = by_code.get(code)
        category = row["ocds_category"] if row else DEFAULT_CATEGORY
        term = terms.get(code)
        infos[code] = AgreementInfo(
            code,
            name or (row["name"] if row else code),
            category,
            has_code=row is None or _official(row),
            start_date=term.start_date if term else None,
            end_date=term.end_date if term else None,
            gran_compra_cents=term.gran_compra_cents if term else None,
        )
    return infos


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
