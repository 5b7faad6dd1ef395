"""Consistency checks between a day's OCDS releases and the orders they were built from.

Release multiplicity: the mapping publishes one release per order per observed state and may
add framework-agreement (first-stage) releases with ocid ``{prefix}-AM-{agreement}``. So the
call-off ocids (``identity.ocid_pattern``) must equal the passed orders' set one to one, and there are at least
as many call-off releases as distinct orders. Each call-off release is matched to its source
row(s) by (ocid, release date = ``last_status_at``); the sum of its award (and contract) values,
in integer cents, must equal that row's ``total_cents`` (the same state seen in several snapshots
must carry the same amount).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from ocds_mappings.identity import OcidScheme
from quality.rules import CheckResult, Lang
from settings import DEFAULT_OCID_PATTERN, EXAMPLE_OCID_PREFIX

_SAMPLE = 20


def _cents(amount: Any) -> int | None:
    """Exact cents of an OCDS amount (int, float or numeric string); None if not exact."""
    if amount is None or isinstance(amount, bool):
        return None
    try:
        cents = Decimal(str(amount)) * 100
    except InvalidOperation:
        return None
    return int(cents) if cents == cents.to_integral_value() else None


def _instant(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _referenced_party_ids(release: Mapping[str, Any]) -> Iterable[tuple[str, str | None]]:
    buyer = release.get("buyer")
    if buyer is not None:
        yield "buyer", buyer.get("id")
    entity = (release.get("tender") or {}).get("procuringEntity")
    if entity is not None:
        yield "tender.procuringEntity", entity.get("id")
    for award in release.get("awards") or []:
        for supplier in award.get("suppliers") or []:
            yield "awards.suppliers", supplier.get("id")


def _values_cents(items: Sequence[Mapping[str, Any]] | None) -> int | None:
    if not items:
        return None
    total = 0
    for item in items:
        cents = _cents((item.get("value") or {}).get("amount"))
        if cents is None:
            return None
        total += cents
    return total


def _release_rows(releases: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Flatten the fields the checks need into one Arrow row per release."""
    return pa.table(
        {
            "ocid": pa.array([r.get("ocid") for r in releases], pa.string()),
            "id": pa.array([r.get("id") for r in releases], pa.string()),
            "date": pa.array([r.get("date") for r in releases], pa.string()),
            "instant": pa.array(
                [_instant(r.get("date")) for r in releases], pa.timestamp("us", "UTC")
            ),
            "award_cents": pa.array([_values_cents(r.get("awards")) for r in releases], pa.int64()),
            "contract_cents": pa.array(
                [_values_cents(r.get("contracts")) for r in releases], pa.int64()
            ),
        }
    )


def check_ocds_day(
    releases: Sequence[Mapping[str, Any]],
    orders: pa.Table,
    *,
    prefix: str = EXAMPLE_OCID_PREFIX,
    ocid_pattern: str = DEFAULT_OCID_PATTERN,
    source_rows: int | None = None,
    quarantined_rows: int | None = None,
    lang: Lang = "es",
) -> list[CheckResult]:
    """Check one day's releases against the passed orders they came from."""
    rows = _release_rows(releases)
    checks = [
        _ocid_prefix(rows, prefix, lang),
        _unique_ids(rows, lang),
        _dates_increase(rows, lang),
        _parties_exist(releases, lang),
    ]
    ocids = OcidScheme(prefix, ocid_pattern)
    call_offs = _call_off_rows(rows, ocids)
    expected = _expected_by_state(orders, ocids)
    checks += [
        _values_match(call_offs, expected, "award_cents", "ocds.award_values", lang),
        _values_match(call_offs, expected, "contract_cents", "ocds.contract_values", lang),
        _releases_reconcile(call_offs, expected, lang),
    ]
    if source_rows is not None and quarantined_rows is not None:
        checks.append(reconcile_rows(source_rows, orders.num_rows, quarantined_rows, lang=lang))
    return checks


def reconcile_rows(
    source_rows: int, passed_rows: int, quarantined_rows: int, *, lang: Lang = "es"
) -> CheckResult:
    """Source rows must equal passed + quarantined rows."""
    ok = source_rows == passed_rows + quarantined_rows
    message = text(
        "ocdscheck.rows_reconcile" if ok else "ocdscheck.rows_do_not_reconcile",
        lang,
        source=source_rows,
        passed=passed_rows,
        quarantined=quarantined_rows,
    )
    details = {"source": source_rows, "passed": passed_rows, "quarantined": quarantined_rows}
    return CheckResult("counts.rows_reconcile", ok, "block", message, details)


def _ocid_prefix(rows: pa.Table, prefix: str, lang: Lang) -> CheckResult:
    ocids = rows.column("ocid")
    good = pc.fill_null(pc.starts_with(ocids, f"{prefix}-"), False)
    bad = pc.filter(ocids, pc.invert(good)).to_pylist()
    message = (
        text("ocdscheck.prefix_ok", lang, prefix=prefix)
        if not bad
        else text("ocdscheck.prefix_bad", lang, count=len(bad), prefix=prefix, first=repr(bad[0]))
    )
    return CheckResult("ocds.ocid_prefix", not bad, "block", message, {"bad": bad[:_SAMPLE]})


def _unique_ids(rows: pa.Table, lang: Lang) -> CheckResult:
    counts = pc.value_counts(rows.column("id"))
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1)).to_pylist()
    missing = rows.column("id").null_count
    ok = not repeated and not missing
    message = (
        text("ocdscheck.ids_unique", lang)
        if ok
        else text("ocdscheck.ids_repeated", lang, repeated=repeated[:5], missing=missing)
    )
    details = {"repeated": repeated[:_SAMPLE], "missing": missing}
    return CheckResult("ocds.unique_release_ids", ok, "block", message, details)


def _dates_increase(rows: pa.Table, lang: Lang) -> CheckResult:
    undated = pc.filter(rows.column("id"), pc.is_null(rows.column("instant"))).to_pylist()
    dated = rows.filter(pc.is_valid(rows.column("instant")))
    grouped = dated.group_by(["ocid", "instant"]).aggregate([("id", "count")])
    ties = grouped.filter(pc.greater(grouped.column("id_count"), 1))
    tied_ocids = sorted(set(ties.column("ocid").to_pylist()))
    ok = not tied_ocids and not undated
    message = (
        text("ocdscheck.dates_increase", lang)
        if ok
        else text("ocdscheck.dates_tied", lang, tied=len(tied_ocids), undated=len(undated))
    )
    details = {"tied_ocids": tied_ocids[:_SAMPLE], "undated": undated[:_SAMPLE]}
    return CheckResult("ocds.release_dates_increase", ok, "block", message, details)


def _parties_exist(releases: Sequence[Mapping[str, Any]], lang: Lang) -> CheckResult:
    missing: list[dict[str, Any]] = []
    for release in releases:
        party_ids = {party.get("id") for party in release.get("parties") or []}
        for path, party_id in _referenced_party_ids(release):
            if party_id is None or party_id not in party_ids:
                missing.append({"release": release.get("id"), "path": path, "party": party_id})
    ok = not missing
    first = missing[0] if missing else {}
    message = (
        text("ocdscheck.parties_ok", lang)
        if ok
        else text(
            "ocdscheck.parties_missing",
            lang,
            count=len(missing),
            path=first.get("path"),
            party=repr(first.get("party")),
            release=first.get("release"),
        )
    )
    return CheckResult(
        "ocds.parties_referenced", ok, "block", message, {"missing": missing[:_SAMPLE]}
    )


def _call_off_rows(rows: pa.Table, ocids: OcidScheme) -> pa.Table:
    first_stage = pc.fill_null(pc.starts_with(rows.column("ocid"), ocids.framework("")), False)
    return rows.filter(pc.invert(first_stage))


def _expected_by_state(orders: pa.Table, ocids: OcidScheme) -> pa.Table:
    call_offs = [
        ocids.call_off(order_id, order_number)
        for order_id, order_number in zip(
            orders.column("order_id").to_pylist(),
            orders.column("order_number").to_pylist(),
            strict=True,
        )
    ]
    frame = pa.table(
        {
            "ocid": pa.array(call_offs, pa.string()),
            "instant": _instants(orders.column("last_status_at")),
            "expected_cents": orders.column("total_cents"),
        }
    )
    grouped = frame.group_by(["ocid", "instant"]).aggregate(
        [("expected_cents", "min"), ("expected_cents", "max")]
    )
    same = pc.equal(grouped.column("expected_cents_min"), grouped.column("expected_cents_max"))
    expected = pc.if_else(same, grouped.column("expected_cents_min"), pa.scalar(None, pa.int64()))
    return grouped.select(["ocid", "instant"]).append_column("expected_cents", expected)


def _instants(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pa.array([_instant(v) for v in values.to_pylist()], pa.timestamp("us", "UTC"))


def _values_match(
    call_offs: pa.Table, expected: pa.Table, column: str, name: str, lang: Lang
) -> CheckResult:
    joined = call_offs.select(["ocid", "instant", "id", column]).join(
        expected, ["ocid", "instant"], join_type="left outer"
    )
    actual, wanted = joined.column(column), joined.column("expected_cents")
    differs = pc.fill_null(pc.not_equal(actual, wanted), True)
    # A release without that section (e.g. no contract yet) is not compared.
    differs = pc.and_(differs, pc.is_valid(actual))
    bad = joined.filter(differs).drop_columns(["instant"]).slice(0, _SAMPLE).to_pylist()
    count = int(pc.sum(differs).as_py() or 0)
    label = "award" if column == "award_cents" else "contract"
    first = bad[0] if bad else {}
    message = (
        text("ocdscheck.values_ok", lang, section=label)
        if not count
        else text(
            "ocdscheck.values_differ",
            lang,
            count=count,
            section=label,
            release=first.get("id"),
            found=first.get(column),
            expected=first.get("expected_cents"),
        )
    )
    return CheckResult(name, not count, "block", message, {"mismatches": bad})


def _releases_reconcile(call_offs: pa.Table, expected: pa.Table, lang: Lang) -> CheckResult:
    release_ocids = set(pc.unique(call_offs.column("ocid")).to_pylist()) - {None}
    order_ocids = set(pc.unique(expected.column("ocid")).to_pylist()) - {None}
    without_release = sorted(order_ocids - release_ocids)
    without_order = sorted(release_ocids - order_ocids)
    ok = not without_release and not without_order and call_offs.num_rows >= len(order_ocids)
    details = {
        "releases": call_offs.num_rows,
        "orders_ocids": len(order_ocids),
        "orders_without_release": without_release[:_SAMPLE],
        "releases_without_order": without_order[:_SAMPLE],
    }
    message = (
        text(
            "ocdscheck.releases_reconcile",
            lang,
            releases=call_offs.num_rows,
            orders=len(order_ocids),
        )
        if ok
        else text(
            "ocdscheck.releases_do_not_reconcile",
            lang,
            without_release=len(without_release),
            without_order=len(without_order),
        )
    )
    return CheckResult("counts.releases_reconcile", ok, "block", message, details)
