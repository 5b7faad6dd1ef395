"""Step 3, map: OCDS releases of the passed orders (with lines, deliveries and bids), checked."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from integrity.canonical import canonical_bytes
from ocds_mappings.identity import OcidScheme
from ocds_mappings.schema import CodelistChecker, ReleaseValidator
from publication.details import details_for_day
from publication.extract import DaySource
from publication.state import StateStore, store_path
from publication.steps.common import (
    StepResult,
    as_published_quarantine,
    as_step_check,
    dagster_check_name,
)
from publication.steps.quality import Checked, CheckSpec, checked_details
from publication.writer import sort_releases
from quality.coherence import COHERENCE_RULES
from quality.rules import CheckResult
from settings import DEFAULT_OCID_PATTERN

OCDS_CHECKS = {
    "ocds.ocid_prefix": "Every ocid starts with the configured prefix.",
    "ocds.unique_release_ids": "Release ids are unique within the day.",
    "ocds.release_dates_increase": "Release dates strictly increase per ocid.",
    "ocds.parties_referenced": "Every referenced party exists in parties.",
    "ocds.award_values": "Award values equal the source to the cent.",
    "ocds.contract_values": "Contract values equal the source to the cent.",
    "counts.releases_reconcile": "One release per published order state: nothing lost.",
    "ocds.closed_codelists": "Every closed-codelist value is in its codelist.",
    "ocds.open_codelists": "Open-codelist values outside the codelist (reported, not blocking).",
}
OCDS_CHECKS |= {rule.id: rule.en + "." for rule in COHERENCE_RULES}
NON_BLOCKING_OCDS_CHECKS = frozenset(
    {"ocds.open_codelists", *(rule.id for rule in COHERENCE_RULES if rule.severity == "warn")}
)


@dataclass(frozen=True)
class Mapped(StepResult):
    """The day's releases, and the orders and quarantine they were mapped from."""

    checked: Checked | None = None
    # Canonical bytes, not dicts: they are the Merkle leaves as they will be published, and a
    # day with ~60k bids pickles between Dagster steps in milliseconds instead of seconds.
    release_lines: tuple[bytes, ...] = ()
    quarantine: pa.Table | None = None
    published_orders: pa.Table | None = None
    ocid_prefix: str = ""
    ocid_pattern: str = DEFAULT_OCID_PATTERN
    first_stage_basis: dict[str, str] = field(default_factory=dict)
    detail_counts: dict[str, int] = field(default_factory=dict)
    detail_sources: list[dict[str, Any]] = field(default_factory=list)

    @functools.cached_property
    def releases(self) -> list[dict[str, Any]]:
        """The releases as objects (decoded from the canonical lines)."""
        return [orjson.loads(line) for line in self.release_lines]

    def metadata(self) -> dict[str, Any]:
        """Counts shown on the Dagster materialization."""
        return {"releases": len(self.release_lines), **self.detail_counts}


def release_check_specs() -> list[CheckSpec]:
    """(name, blocking, description) of the checks on the OCDS output."""
    return [
        (dagster_check_name(name), name not in NON_BLOCKING_OCDS_CHECKS, text)
        for name, text in OCDS_CHECKS.items()
    ]


@functools.cache
def _codelists(ocds_dir: Path | None) -> CodelistChecker:
    from ocds_mappings.schema import codelist_checker

    return codelist_checker(ocds_dir)


@functools.cache
def _validator(ocds_dir: Path | None) -> ReleaseValidator:
    from ocds_mappings.schema import load_release_schema

    return ReleaseValidator(load_release_schema(ocds_dir))


def codelist_checks(
    releases: list[dict[str, Any]], ocds_dir: Path | None = None
) -> list[CheckResult]:
    """Closed codelists block; values outside an open codelist are reported."""
    report = _codelists(ocds_dir).report(releases)
    closed = sorted({(i.codelist, i.value) for i in report if not i.open})
    extra = sorted({(i.codelist, i.value) for i in report if i.open})
    return [
        CheckResult(
            dagster_check_name("ocds.closed_codelists"),
            not closed,
            "block",
            "todos los valores están en sus listas de códigos cerradas"
            if not closed
            else "fuera de una lista de códigos cerrada: "
            + ", ".join(f"{c}={v!r}" for c, v in closed[:10]),
            {"values": closed[:50]},
        ),
        CheckResult(
            dagster_check_name("ocds.open_codelists"),
            not extra,
            "warn",
            "todos los valores están en sus listas de códigos abiertas"
            if not extra
            else "fuera de una lista de códigos abierta: "
            + ", ".join(f"{c}={v!r}" for c, v in extra[:10]),
            {"values": extra[:50]},
        ),
    ]


def map_releases(
    checked: Checked,
    *,
    ocid_prefix: str,
    root: Path,
    ocid_pattern: str = DEFAULT_OCID_PATTERN,
    state_dir: Path | None = None,
    ocds_dir: Path | None = None,
    companions: dict[str, Path] | None = None,
) -> Mapped:
    """Map passed orders to OCDS releases (with lines, deliveries and quotations when the
    month's companion files exist) and validate every release against the schema."""
    checked.require_gate()
    from ocds_mappings.dates import publication_time
    from ocds_mappings.details import attach_details
    from ocds_mappings.mapping import map_orders
    from quality.coherence import check_coherence
    from quality.ocds_checks import check_ocds_day

    assert checked.passed_orders is not None and checked.quarantine is not None
    store_file = store_path(root, state_dir)
    with StateStore(store_file) as store:
        published = store.published_before(checked.day, checked.passed_orders["order_id"])
        result = map_orders(
            checked.passed_orders,
            ocid_prefix=ocid_prefix,
            ocid_pattern=ocid_pattern,
            published=published,
        )
        published_orders = _without_rows(checked.passed_orders, result.quarantine)
        frameworks, basis = _new_framework_releases(
            store, published_orders, checked.day, ocid_prefix
        )
    details, details_held, detail_checks = checked_details(
        details_for_day(
            companions or {},
            published_orders["order_number"].combine_chunks(),
            checked.day,
            store_file.parent / "cache",
        )
    )
    releases = sort_releases(
        [
            *frameworks,
            *attach_details(
                result.releases,
                lines=details.lines,
                deliveries=details.deliveries,
                quotations=details.quotations,
            ),
        ]
    )
    validations = _validator(ocds_dir).validate_many(releases)
    errors = {r["id"]: e for r, e in zip(releases, validations, strict=True) if e}
    quarantine = pa.concat_tables(
        [checked.quarantine, as_published_quarantine(result.quarantine), details_held]
    )
    first_errors = "; ".join(f"{rid}: {errs[0]}" for rid, errs in list(errors.items())[:3])
    checks = [
        CheckResult(
            "releases_schema_valid",
            not errors,
            "block",
            f"{len(releases)} releases válidas según el esquema OCDS 1.1.5 con extensiones"
            if not errors
            else f"{len(errors)} inválidas: {first_errors}",
            {"invalid": len(errors)},
        ),
        *[
            as_step_check(check)
            for check in check_ocds_day(
                releases, published_orders, prefix=ocid_prefix, ocid_pattern=ocid_pattern
            )
        ],
        *[
            as_step_check(check)
            for check in check_coherence(
                releases, published_date=publication_time(checked.day, _cutoff(checked.source))
            )
        ],
        *codelist_checks(releases, ocds_dir),
        *detail_checks,
    ]
    return Mapped(
        day=checked.day,
        checks=checks,
        upstream_failures=checked.failures,
        checked=checked,
        release_lines=tuple(canonical_bytes(release) for release in releases),
        quarantine=quarantine,
        published_orders=published_orders,
        ocid_prefix=ocid_prefix,
        ocid_pattern=ocid_pattern,
        first_stage_basis=basis,
        detail_counts=details.counts,
        detail_sources=details.sources,
    )


def _cutoff(source: DaySource | None) -> str | None:
    """Newest extraction time of the day's sources (None without sources)."""
    return source.cutoff if source is not None else None


def _new_framework_releases(
    store: StateStore, orders: pa.Table, day: dt.date, ocid_prefix: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """First-stage releases of the agreements this day's orders use for the first time, and
    for each its dating basis (``recorded``, ``agreement_start``, ``first_call_off``).

    The date never depends on where a run starts: a date recorded when the first stage was
    published; else the agreement's known start; else the earliest formalisation of its
    orders in every snapshot loaded so far (all monthly files present), not just this run's.
    """
    from ocds_mappings.mapping import (
        agreements_first_seen,
        build_framework_releases,
        default_agreement_lookup,
        known_start,
    )

    ocids = OcidScheme(ocid_prefix)
    lookup = default_agreement_lookup()
    seen_today = agreements_first_seen(orders)
    candidates = {
        code: ocids.framework(code)
        for code in seen_today
        if (agreement := lookup(code)) is not None and agreement.has_code
    }
    earlier = store.earlier_packages(sorted(candidates.values()), day)
    already = set().union(*earlier.values()) if earlier else set()
    new = {code: ocid for code, ocid in candidates.items() if ocid not in already}
    recorded = store.first_stages(new.values())
    first_call_offs = store.first_call_offs(new)
    dates: dict[str, str] = {}
    basis: dict[str, str] = {}
    for code, ocid in new.items():
        agreement = lookup(code)
        start = known_start(agreement) if agreement is not None else None
        if ocid in recorded:
            dates[code], basis[ocid] = recorded[ocid]
        elif start is not None:
            dates[code], basis[ocid] = start, "agreement_start"
        else:
            seen = [d for d in (first_call_offs.get(code), seen_today[code]) if d]
            dates[code], basis[ocid] = min(seen), "first_call_off"
    return build_framework_releases(dates, ocid_prefix=ocid_prefix, agreements=lookup), basis


def _row_keys(table: pa.Table) -> pa.Array:
    lines = pc.cast(table["source_line"], pa.string())
    return pc.binary_join_element_wise(table["source_file"], lines, ":")


def _without_rows(orders: pa.Table, quarantine: pa.Table) -> pa.Table:
    """Orders minus the rows quarantined later, sorted by order number for the flat files."""
    dropped = pc.is_in(_row_keys(orders), value_set=_row_keys(quarantine).combine_chunks())
    kept = orders.filter(pc.invert(dropped))
    return kept.sort_by([("order_number", "ascending"), ("source_line", "ascending")])
