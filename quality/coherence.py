"""Coherence suite over OCDS releases: the registry-grade checks libcoveocds does not make.

Rules as data (``COHERENCE_RULES``): an id, a severity, descriptions and the function that
yields one finding per problem in a release. Errors (``block``) must never happen: dates out of
order, statuses that contradict each other or their codelist definition, empty fields,
references to parties that do not exist or carry another name or role, negative amounts.
Warnings (``warn``) are published data that a user must read with care; each is explained in
the publication policy (``policy``: ``ocds_mappings.caveats.WARNINGS``, which the policy lists).

The reference and name checks re-implement Pelican's "Parties are referenced", "Supplier's
name is consistent" and role checks; the date checks its timeline checks (open-contracting/
pelican-backend, docs/checks/en.md); ``no_empty`` is libcoveocds' ``empty_field``.

Runs as a day check of the mapping step and, in the tests, over a synthetic month with every
status and over the real samples (releases and compiled releases).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from ocds_mappings.caveats import UNKNOWN_PROCEDURE, UNKNOWN_STATUS, WARNINGS
from ocds_mappings.mapping import FRAMEWORK_METHOD_DETAILS, PROCEDURE_RULES, STATUS_RULES
from quality.rules import CheckResult, Lang, Severity

Release = Mapping[str, Any]
_SAMPLE = 20
_SCREEN_FROM = 1 << 16  # bytes: below it the searches cost less than the screen's set-up
INCOMPLETE_TENDER = frozenset(
    {"planning", "planned", "active", "cancelled", "unsuccessful", "withdrawn"}
)
CLOSED_CONTRACT = frozenset({"terminated", "cancelled"})
# OrganizationReference paths and the party role each one needs.
_REFERENCE_ROLES = (
    ("buyer", "buyer"),
    ("tender.procuringEntity", "procuringEntity"),
    ("tender.tenderers", "tenderer"),
    ("awards.suppliers", "supplier"),
    ("bids.details.tenderers", "tenderer"),
    ("contracts.implementation.transactions.payer", "payer"),
    ("contracts.implementation.transactions.payee", "payee"),
)


@dataclass(frozen=True)
class Context:
    """What a check may compare a release with besides itself."""

    published_date: str | None = None
    # The release as orjson bytes (``coherence_findings``), searched in C before any walk.
    data: bytes | None = None
    # Searches of the whole day's bytes (``coherence_findings``) that proved, for every release
    # at once, what ``_may_hold_empty`` / ``_amounts_plainly_fine`` of its own bytes prove.
    empty_free: bool = False
    amounts_fine: bool = False
    # What one rule derived from the release for the others (``_release_references``).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CoherenceRule:
    """One coherence rule: findings are problems (``block``) or caveats to read (``warn``)."""

    id: str
    severity: Severity
    es: str
    en: str
    policy: str
    check: Callable[[Release, Context], Iterator[str]] = field(repr=False)

    def description(self, lang: Lang) -> str:
        """The rule in ``lang``."""
        return self.es if lang == "es" else self.en


def _instant(value: Any) -> dt.datetime | None:
    return _parsed_instant(value) if isinstance(value, str) else None


# A release repeats its few timestamps (its date, the award's, the signature's) across many
# comparisons, and a day's releases share them: each distinct text is parsed once.
@functools.lru_cache(maxsize=8192)
def _parsed_instant(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _references(release: Release) -> Iterator[tuple[str, tuple[int, ...], str, Mapping[str, Any]]]:
    """(path template, its indices, role, OrganizationReference) for every party reference in
    a release; the path (``template.format(*indices)``) is made only for a finding: a release
    with quotations holds thousands of references and almost never one."""
    tender = release.get("tender") or {}
    if isinstance(release.get("buyer"), dict):
        yield "buyer", (), "buyer", release["buyer"]
    if isinstance(tender.get("procuringEntity"), dict):
        yield "tender.procuringEntity", (), "procuringEntity", tender["procuringEntity"]
    for i, reference in enumerate(tender.get("tenderers") or []):
        yield "tender.tenderers[{}]", (i,), "tenderer", reference
    for a, award in enumerate(release.get("awards") or []):
        for i, reference in enumerate(award.get("suppliers") or []):
            yield "awards[{}].suppliers[{}]", (a, i), "supplier", reference
    for b, bid in enumerate((release.get("bids") or {}).get("details") or []):
        for i, reference in enumerate(bid.get("tenderers") or []):
            yield "bids.details[{}].tenderers[{}]", (b, i), "tenderer", reference
    for c, contract in enumerate(release.get("contracts") or []):
        transactions = (contract.get("implementation") or {}).get("transactions") or []
        for t, transaction in enumerate(transactions):
            for key, role in (("payer", "payer"), ("payee", "payee")):
                if isinstance(transaction.get(key), dict):
                    path = f"contracts[{{}}].implementation.transactions[{{}}].{key}"
                    yield path, (c, t), role, transaction[key]


def _release_references(
    release: Release, context: Context
) -> tuple[list[tuple[str, tuple[int, ...], str, Mapping[str, Any]]], dict[Any, Any]]:
    """``_references`` and ``_parties`` of a release, made once for the rules that read them
    (kept in ``context.memo``)."""
    found = context.memo.get("references")
    if found is None:
        found = context.memo["references"] = (list(_references(release)), _parties(release))
    return found  # type: ignore[no-any-return]


def _parties(release: Release) -> dict[Any, Mapping[str, Any]]:
    return {party.get("id"): party for party in release.get("parties") or []}


def _milestones(contract: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for i, milestone in enumerate(contract.get("milestones") or []):
        yield f"milestones[{i}]", milestone
    for i, milestone in enumerate((contract.get("implementation") or {}).get("milestones") or []):
        yield f"implementation.milestones[{i}]", milestone


def _after(earlier: Any, later: Any, what_earlier: str, what_later: str) -> str | None:
    """The finding when ``earlier`` is an instant after the instant ``later``, else None."""
    if _is_after(earlier, later):
        return f"{what_earlier} {earlier} is after {what_later} {later}"
    return None


def _is_after(earlier: Any, later: Any) -> bool:
    """Whether ``earlier`` and ``later`` are both instants and ``earlier`` is after ``later``."""
    first, second = _instant(earlier), _instant(later)
    return first is not None and second is not None and first > second


def _dates_in_order(release: Release, context: Context) -> Iterator[str]:
    # Each comparison names its fields only when it finds something (a release makes dozens of
    # comparisons and almost never a finding): the same findings, in the same order, as
    # ``_after`` on every pair.
    found: list[str] = []
    date = release.get("date")
    if context.published_date is not None and _is_after(date, context.published_date):
        found.append(f"date {date} is after publishedDate {context.published_date}")
    tender = release.get("tender") or {}
    for key in ("tenderPeriod", "contractPeriod"):
        period = tender.get(key) or {}
        start, end = period.get("startDate"), period.get("endDate")
        if _is_after(start, end):
            found.append(f"tender.{key}.startDate {start} is after endDate {end}")
    awards = {award.get("id"): award for award in release.get("awards") or []}
    for a, award in enumerate(release.get("awards") or []):
        award_date = award.get("date")
        if _is_after(award_date, date):
            found.append(f"awards[{a}].date {award_date} is after date {date}")
    for c, contract in enumerate(release.get("contracts") or []):
        signed = contract.get("dateSigned")
        if _is_after(signed, date):
            found.append(f"contracts[{c}].dateSigned {signed} is after date {date}")
        award_date = (awards.get(contract.get("awardID")) or {}).get("date")
        if _is_after(award_date, signed):
            found.append(f"award date {award_date} is after contracts[{c}].dateSigned {signed}")
        period = contract.get("period") or {}
        start, end = period.get("startDate"), period.get("endDate")
        if _is_after(start, end):
            found.append(f"contracts[{c}].period.startDate {start} is after endDate {end}")
        for path, milestone in _milestones(contract):
            for key in ("dateMet", "dateModified"):
                when = milestone.get(key)
                if _is_after(when, date):
                    found.append(f"contracts[{c}].{path}.{key} {when} is after date {date}")
        transactions = (contract.get("implementation") or {}).get("transactions") or []
        for t, transaction in enumerate(transactions):
            when = transaction.get("date")
            path = f"contracts[{c}].implementation.transactions[{t}].date"
            if _is_after(when, date):
                found.append(f"{path} {when} is after date {date}")
            if _is_after(signed, when):
                found.append(f"contracts[{c}].dateSigned {signed} is after {path} {when}")
    yield from found


def _statuses_agree(release: Release, context: Context) -> Iterator[str]:
    del context
    tender_status = (release.get("tender") or {}).get("status")
    if tender_status in INCOMPLETE_TENDER and (release.get("awards") or release.get("contracts")):
        yield f"tender.status {tender_status!r} with awards or contracts"
    awards = {award.get("id"): award for award in release.get("awards") or []}
    for c, contract in enumerate(release.get("contracts") or []):
        where = f"contracts[{c}]"
        status = contract.get("status")
        award_status = (awards.get(contract.get("awardID")) or {}).get("status")
        implementation = contract.get("implementation") or {}
        transactions = implementation.get("transactions") or []
        if status == "cancelled":
            if contract.get("dateSigned"):
                yield f"{where} cancelled (before signature) but has dateSigned"
            if transactions:
                yield f"{where} cancelled but has transactions"
            if award_status not in (None, "cancelled"):
                yield f"{where} cancelled but its award is {award_status!r}"
        if status in ("active", "terminated"):
            if not contract.get("dateSigned"):
                yield f"{where} {status} (signed) but has no dateSigned"
            if award_status not in (None, "active"):
                yield f"{where} {status} but its award is {award_status!r}"
        if award_status == "cancelled" and status not in (None, "cancelled"):
            yield f"{where} is {status!r} but its award is cancelled"
        paid = False
        for path, milestone in _milestones(contract):
            milestone_status = milestone.get("status")
            if milestone_status == "met" and not milestone.get("dateMet"):
                yield f"{where}.{path} met without dateMet"
            if milestone_status != "met" and milestone.get("dateMet"):
                yield f"{where}.{path} {milestone_status!r} with a dateMet"
            if status in CLOSED_CONTRACT and milestone_status == "scheduled":
                yield f"{where}.{path} still scheduled on a {status} contract"
            if status == "cancelled" and milestone_status == "met":
                yield f"{where}.{path} met on a contract cancelled before signature"
            paid |= milestone.get("type") == "payment" and milestone_status == "met"
        if paid and not transactions:
            yield f"{where} has a met payment milestone and no transaction"


# A JSON text whose value holds an empty object, array or string contains ``{}``, ``[]`` or
# ``""``; one holding a string of whitespace only (``str.isspace``, raw or as orjson escapes
# it) contains a quote followed by one of the lead bytes below, and then ``_BLANK``. Finding
# none proves a walk would find nothing; finding one only means "walk this part".
_BLANK_LEADS = (b'" ', b'"\\', b'"\xc2', b'"\xe1', b'"\xe2', b'"\xe3')
_SPACE = (
    rb"(?:[ \t\n\r\f\v]|\\[tnrf]|\\u00(?:0[9a-d]|1[c-f]|85|a0)"
    rb"|\\u(?:1680|200[0-9a]|2028|2029|202f|205f|3000)"
    rb"|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
)
_BLANK = re.compile(rb'"' + _SPACE + rb'+"', re.IGNORECASE)
# Any of ``_BLANK_LEADS`` in one pass (a quote then one of their second bytes): a space is in
# almost every release, so searching the leads one by one crawled through every quote.
_ANY_LEAD = re.compile(b'"[' + re.escape(b"".join(lead[1:] for lead in _BLANK_LEADS)) + b"]")


# Every byte pair the searches of ``_may_hold_empty`` start from, as little-endian 16-bit
# values: one vectorised look-up over a day's bytes finds none of them far more often than
# not, where each search of its own crawled through every brace or quote (~4x the time on a
# day with quotations).
_EMPTY_PAIRS = np.zeros(1 << 16, dtype=bool)
_EMPTY_PAIRS[[int.from_bytes(pair, "little") for pair in (b"{}", b"[]", b'""', *_BLANK_LEADS)]] = 1


def _has_empty_pair(data: bytes) -> bool:
    """Whether any two adjacent bytes of ``data`` are one of ``_EMPTY_PAIRS``."""
    size = len(data)
    if size < 2:
        return False
    even = np.frombuffer(data, dtype="<u2", count=size // 2)
    odd = np.frombuffer(data, dtype="<u2", offset=1, count=(size - 1) // 2)
    return bool(_EMPTY_PAIRS[even].any() or _EMPTY_PAIRS[odd].any())


def _may_hold_empty(data: bytes) -> bool:
    """Whether ``data`` (orjson) may hold what ``_empties`` reports (memory searches first,
    then one search for a quote that may open a blank string); large ``data`` (a day's
    releases) is screened for their starting byte pairs first."""
    if len(data) > _SCREEN_FROM and not _has_empty_pair(data):
        return False
    return (
        b"{}" in data
        or b"[]" in data
        or b'""' in data
        or (_ANY_LEAD.search(data) is not None and _BLANK.search(data) is not None)
    )


def _may_hold_amount_problem(data: bytes) -> bool:
    """Whether ``data`` (orjson) may hold what ``_amount_problems`` reports."""
    return b'"amountNet"' in data or b'"amount":-' in data


# A dict whose first two members are a number ``amount`` then a number ``amountNet`` (orjson
# bytes). ``{"amount":`` and ``"amountNet":`` occur in JSON text only as keys (a quote inside a
# string is escaped), so when every ``"amountNet":`` is in such a pair, the pairs are every
# dict a net-above-gross finding could come from.
_NUMBER = rb"(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
_AMOUNT_PAIR = re.compile(rb'\{"amount":' + _NUMBER + rb',"amountNet":' + _NUMBER + rb"[,}]")


_NET_KEY = b'"amountNet":'
_GROSS_KEY = b'{"amount":'


def _number(token: bytes) -> int | float:
    return float(token) if any(c in token for c in b".eE") else int(token)


def _amounts_plainly_fine(data: bytes) -> bool:
    """Whether ``data`` (a release as orjson bytes) proves that ``_amount_problems`` finds
    nothing: no negative amount, and every net amount in a pair no greater than its gross."""
    if b'"amount":-' in data:
        return False
    # Each ``"amountNet":`` must end the pair that starts at the nearest ``{"amount":`` before
    # it (only a number lies between them in a pair): the pairs ``_AMOUNT_PAIR.findall``
    # gives when their count is the key's, found from the keys instead of a regex scan.
    position = data.find(_NET_KEY)
    while position != -1:
        if data.startswith(b"-", position + len(_NET_KEY)):
            return False
        start = data.rfind(_GROSS_KEY, 0, position)
        pair = _AMOUNT_PAIR.match(data, start) if start != -1 else None
        if pair is None or pair.end(1) + 1 != position:
            return False
        gross, net = pair.groups()
        if _number(net) > _number(gross):
            return False
        position = data.find(_NET_KEY, position + len(_NET_KEY))
    return True


def _parts_to_walk(release: Release, maybe: Callable[[bytes], bool]) -> list[str] | None:
    """The top-level keys of ``release`` whose JSON may hold a finding of a walk (in key
    order), or None to walk it all (a value orjson cannot serialise). Releases are mostly
    bids that can hold none: their serialised bytes are searched in C instead of walked."""
    keys = []
    for key, value in release.items():
        if isinstance(value, dict | list):
            try:
                data = orjson.dumps(value)
            except TypeError:
                return None
            if maybe(data):
                keys.append(key)
        else:
            keys.append(key)
    return keys


def _empties(value: Any, path: list[str], found: list[str]) -> None:
    """Append a finding per empty string, object or array under ``value`` (a container), in
    depth first, parents before children; ``path`` is joined only for a finding (releases have
    thousands of nodes and almost never an empty one)."""
    if not value:
        found.append(f"{''.join(path)} is empty")
        return
    items = value.items() if isinstance(value, dict) else enumerate(value)
    dict_keys = isinstance(value, dict)
    for key, item in items:
        if isinstance(item, str):
            if not item.strip():
                step = f".{key}" if dict_keys else f"[{key}]"
                found.append(f"{''.join(path)}{step} is an empty string")
        elif isinstance(item, dict | list):
            path.append(f".{key}" if dict_keys else f"[{key}]")
            _empties(item, path, found)
            path.pop()


def _no_empty(release: Release, context: Context) -> Iterator[str]:
    if context.empty_free or (context.data is not None and not _may_hold_empty(context.data)):
        return
    if isinstance(release, dict) and release:
        keys = _parts_to_walk(release, _may_hold_empty)
        found: list[str] = []
        if keys is None:
            _empties(release, ["$"], found)
        elif keys:  # (an empty selection is not an empty release)
            _empties({key: release[key] for key in keys}, ["$"], found)
        yield from found
    elif isinstance(release, dict | list):
        found = []
        _empties(release, ["$"], found)
        yield from found
    elif isinstance(release, str) and not release.strip():
        yield "$ is an empty string"


def _names_match(release: Release, context: Context) -> Iterator[str]:
    references, parties = _release_references(release, context)
    for template, indices, _, reference in references:
        party = parties.get(reference.get("id"))
        if party is not None and reference.get("name") != party.get("name"):
            path = template.format(*indices)
            yield f"{path}.name {reference.get('name')!r} differs from the party's {party.get('name')!r}"


def _references_resolve(release: Release, context: Context) -> Iterator[str]:
    references, parties = _release_references(release, context)
    referenced: set[tuple[Any, str]] = set()
    for template, indices, role, reference in references:
        party = parties.get(reference.get("id"))
        referenced.add((reference.get("id"), role))
        if party is None:
            path = template.format(*indices)
            yield f"{path} references {reference.get('id')!r}, not in parties"
        elif role not in (party.get("roles") or []):
            path = template.format(*indices)
            yield f"{path} references {reference.get('id')!r}, whose roles lack {role!r}"
    roles_checked = {role for _, role in _REFERENCE_ROLES} - {"buyer"}
    for party in release.get("parties") or []:
        for role in party.get("roles") or []:
            if role in roles_checked and (party.get("id"), role) not in referenced:
                yield f"party {party.get('id')!r} has role {role!r} but nothing references it so"


def _amount_problems(value: Any, path: list[str], found: list[str]) -> None:
    """Append a finding per negative amount or net above gross under ``value`` (a container),
    depth first, parents before children; ``path`` is joined only for a finding."""
    if isinstance(value, dict):
        for key in ("amount", "amountNet"):
            amount = value.get(key)
            if isinstance(amount, int | float) and not isinstance(amount, bool) and amount < 0:
                found.append(f"{''.join(path)}.{key} {amount} is negative")
        amount, net = value.get("amount"), value.get("amountNet")
        if isinstance(amount, int | float) and isinstance(net, int | float) and net > amount:
            found.append(f"{''.join(path)}.amountNet {net} exceeds amount {amount}")
        for key, item in value.items():
            if isinstance(item, dict | list):
                path.append(f".{key}")
                _amount_problems(item, path, found)
                path.pop()
    else:
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                path.append(f"[{index}]")
                _amount_problems(item, path, found)
                path.pop()


def _amounts(release: Release, context: Context) -> Iterator[str]:
    if context.amounts_fine or (context.data is not None and _amounts_plainly_fine(context.data)):
        found: list[str] = []
    elif isinstance(release, dict):
        keys = _parts_to_walk(release, _may_hold_amount_problem)
        found = []
        _amount_problems(release if keys is None else {k: release[k] for k in keys}, ["$"], found)
    else:
        found = []
        if isinstance(release, list):
            _amount_problems(release, ["$"], found)
    yield from found
    for c, contract in enumerate(release.get("contracts") or []):
        transactions = (contract.get("implementation") or {}).get("transactions") or []
        paid = sum((t.get("value") or {}).get("amount") or 0 for t in transactions)
        value = (contract.get("value") or {}).get("amount")
        if transactions and isinstance(value, int | float) and paid > value:
            yield f"contracts[{c}] transactions total {paid} exceeds the contract value {value}"


def _unknown_status(release: Release, context: Context) -> Iterator[str]:
    del context
    for c, contract in enumerate(release.get("contracts") or []):
        raw = contract.get("statusDetails")
        if raw is not None and raw not in STATUS_RULES:
            yield f"contracts[{c}].statusDetails {raw!r}: no contract or award status published"


def _unknown_procedure(release: Release, context: Context) -> Iterator[str]:
    del context
    details = (release.get("tender") or {}).get("procurementMethodDetails")
    if (
        details is not None
        and details != FRAMEWORK_METHOD_DETAILS
        and details not in PROCEDURE_RULES
    ):
        yield f"tender.procurementMethodDetails {details!r}: tender.competitive left unset"


COHERENCE_RULES: tuple[CoherenceRule, ...] = (
    CoherenceRule(
        "coherence.dates_in_order",
        "block",
        "Las fechas están en orden (adjudicación ≤ firma ≤ release ≤ publicación; "
        "periodos, hitos y transacciones)",
        "Dates are in order (award ≤ signature ≤ release ≤ publication; periods, milestones, "
        "transactions)",
        "",
        _dates_in_order,
    ),
    CoherenceRule(
        "coherence.statuses_agree",
        "block",
        "Los estados de la licitación, adjudicación, contrato e hitos no se contradicen",
        "Tender, award, contract and milestone statuses agree with each other and their codelists",
        "",
        _statuses_agree,
    ),
    CoherenceRule(
        "coherence.no_empty_fields",
        "block",
        "Ningún texto, objeto o lista vacío",
        "No empty string, object or array",
        "",
        _no_empty,
    ),
    CoherenceRule(
        "coherence.party_names_match",
        "block",
        "Cada referencia a una parte lleva el nombre de esa parte",
        "Every party reference carries the party's name",
        "",
        _names_match,
    ),
    CoherenceRule(
        "coherence.party_references",
        "block",
        "Cada referencia apunta a una parte con ese rol, y cada rol está referenciado",
        "Every reference points to a party with that role, and every role is referenced",
        "",
        _references_resolve,
    ),
    CoherenceRule(
        "coherence.amounts_non_negative",
        "block",
        "Montos no negativos; neto ≤ bruto; pagos ≤ valor del contrato",
        "Amounts are not negative; net ≤ gross; payments ≤ contract value",
        "",
        _amounts,
    ),
    CoherenceRule(
        UNKNOWN_STATUS,
        "warn",
        "Estado de orden sin correspondencia documentada: solo se publica el valor original",
        "Order status with no documented mapping: only the raw value is published",
        WARNINGS[UNKNOWN_STATUS],
        _unknown_status,
    ),
    CoherenceRule(
        UNKNOWN_PROCEDURE,
        "warn",
        "Tipo de procedimiento sin correspondencia documentada: competitive sin valor",
        "Procedure type with no documented mapping: competitive left unset",
        WARNINGS[UNKNOWN_PROCEDURE],
        _unknown_procedure,
    ),
)
WARNING_RULES = tuple(rule for rule in COHERENCE_RULES if rule.severity == "warn")


def coherence_findings(
    releases: Sequence[Release],
    *,
    published_date: str | None = None,
    serialised: Sequence[bytes] | None = None,
) -> dict[str, list[str]]:
    """Rule id -> findings (``{release id}: {problem}``) over ``releases``; every rule listed.

    Each release is serialised once (``Context.data``): the empty-field and amount rules search
    its bytes and walk it only when they may hold a finding. ``serialised``: each release's
    JSON bytes already made (canonical or orjson: the searches need any compact JSON of it).
    With ``serialised``, the searches run first over the day's bytes joined by NUL (a byte no
    JSON text holds raw and no pattern matches): a day that holds no possible finding skips the
    search of each release (a match in one release's bytes is a match in the joined bytes, and
    no amount pair or key spans a NUL, so the counts of each release add up to the day's)."""
    found: dict[str, list[str]] = {rule.id: [] for rule in COHERENCE_RULES}
    empty_free = amounts_fine = False
    if serialised is not None and len(serialised) > 1:
        day = b"\0".join(serialised)
        empty_free = not _may_hold_empty(day)
        amounts_fine = _amounts_plainly_fine(day)
        del day
    for position, release in enumerate(releases):
        data: bytes | None
        if serialised is not None:
            data = serialised[position]
        else:
            try:
                data = orjson.dumps(release)
            except TypeError:
                data = None  # walked as before
        context = Context(
            published_date=published_date,
            data=data,
            empty_free=empty_free,
            amounts_fine=amounts_fine,
        )
        for rule in COHERENCE_RULES:
            found[rule.id] += [
                f"{release.get('id')}: {problem}" for problem in rule.check(release, context)
            ]
    return found


def check_coherence(
    releases: Sequence[Release],
    *,
    published_date: str | None = None,
    lang: Lang = "es",
    serialised: Sequence[bytes] | None = None,
) -> list[CheckResult]:
    """One check per rule: an error rule blocks the day, a warning rule reports
    (``serialised``: as in ``coherence_findings``)."""
    found = coherence_findings(releases, published_date=published_date, serialised=serialised)
    checks = []
    for rule in COHERENCE_RULES:
        problems = found[rule.id]
        if not problems:
            message = rule.description(lang)
        else:
            head = "; ".join(problems[:3])
            message = (
                f"{len(problems)} hallazgo(s): {head}"
                if lang == "es"
                else f"{len(problems)} finding(s): {head}"
            )
        checks.append(
            CheckResult(
                rule.id,
                not problems,
                rule.severity,
                message,
                {"count": len(problems), "sample": problems[:_SAMPLE]},
            )
        )
    return checks
