"""Step 3, map: OCDS releases of the passed orders (with lines, deliveries and bids), checked."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from integrity.canonical import canonical_bytes
from messages import has, text
from ocds_mappings.identity import OcidScheme
from ocds_mappings.mapping import AgreementLookup
from ocds_mappings.schema import CodelistChecker, ReleaseValidator
from perucompras.agreements import agreement_infos
from perucompras.quarantine import QUARANTINE_SCHEMA
from publication.details import details_for_day
from publication.extract import DaySource
from publication.state import StateStore, store_path
from publication.steps.common import (
    StepResult,
    as_published_quarantine,
    as_step_check,
    dagster_check_name,
    gc_paused,
)
from publication.steps.quality import Checked, CheckSpec, checked_details
from publication.writer import sort_releases
from quality.coherence import COHERENCE_RULES
from quality.rules import ORDER_LABELS, CheckResult, as_lang, raw_row_column
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
        """The releases as objects (decoded from the canonical lines, unless ``map_releases``
        kept the objects it made them from)."""
        return [orjson.loads(line) for line in self.release_lines]

    def forget_releases(self) -> None:
        """Drop the release objects (``releases`` decodes the canonical lines again if asked)."""
        self.__dict__.pop("releases", None)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the release objects: the canonical lines hold them."""
        state = dict(self.__dict__)
        state.pop("releases", None)
        return state

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
    releases: list[dict[str, Any]], ocds_dir: Path | None = None, lang: str = "es"
) -> list[CheckResult]:
    """Closed codelists block; values outside an open codelist are reported."""
    report = _codelists(ocds_dir).report(releases)
    closed = sorted({(i.codelist, i.value) for i in report if not i.open})
    extra = sorted({(i.codelist, i.value) for i in report if i.open})

    def listed(pairs: list[tuple[str, str]]) -> str:
        return ", ".join(f"{c}={v!r}" for c, v in pairs[:10])

    return [
        CheckResult(
            dagster_check_name("ocds.closed_codelists"),
            not closed,
            "block",
            text("step.closed_codelists_ok", lang)
            if not closed
            else text("step.closed_codelists_bad", lang, values=listed(closed)),
            {"values": closed[:50]},
        ),
        CheckResult(
            dagster_check_name("ocds.open_codelists"),
            not extra,
            "warn",
            text("step.open_codelists_ok", lang)
            if not extra
            else text("step.open_codelists_bad", lang, values=listed(extra)),
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
    details_ready: Callable[[pa.Array], object] | None = None,
) -> Mapped:
    """Map passed orders to OCDS releases (with lines, deliveries and quotations when the
    month's companion files exist) and validate every release against the schema.
    ``details_ready``: called with the order numbers of the day's published orders before the
    companion files are read (a daily run waits there for the worker parsing them ahead,
    ``publication.ahead``)."""
    checked.require_gate()
    with gc_paused():
        return _map_releases(
            checked,
            ocid_prefix=ocid_prefix,
            root=root,
            ocid_pattern=ocid_pattern,
            state_dir=state_dir,
            ocds_dir=ocds_dir,
            companions=companions,
            details_ready=details_ready,
        )


def _map_releases(
    checked: Checked,
    *,
    ocid_prefix: str,
    root: Path,
    ocid_pattern: str,
    state_dir: Path | None,
    ocds_dir: Path | None,
    companions: dict[str, Path] | None,
    details_ready: Callable[[pa.Array], object] | None = None,
) -> Mapped:
    from ocds_mappings.dates import publication_time
    from ocds_mappings.details import attach_details
    from ocds_mappings.mapping import map_orders
    from quality.coherence import check_coherence
    from quality.ocds_checks import check_ocds_day

    assert checked.passed_orders is not None and checked.quarantine is not None
    lang = checked.lang
    store_file = store_path(root, state_dir)
    agreements = agreement_infos(checked.passed_orders).get
    with StateStore(store_file) as store:
        published = store.published_before(
            checked.day,
            checked.passed_orders["order_id"],
            checked.passed_orders["formalized_at"],
        )
        result = map_orders(
            checked.passed_orders,
            ocid_prefix=ocid_prefix,
            ocid_pattern=ocid_pattern,
            published=published,
            agreements=agreements,
            release_ids=False,  # set by attach_details below, once each release is complete
        )
        published_orders = _without_rows(checked.passed_orders, result.quarantine)
        frameworks, basis = _new_framework_releases(
            store, published_orders, checked.day, ocid_prefix, agreements
        )
    order_numbers = published_orders["order_number"].combine_chunks()
    if details_ready is not None:
        details_ready(order_numbers)
    details, details_held, detail_checks, details_not_evaluated = checked_details(
        details_for_day(
            companions or {},
            order_numbers,
            checked.day,
            store_file.parent / "cache",
            lang=lang,
        ),
        lang,
        run_gx=checked.run_gx,
    )
    releases = sort_releases(
        [
            *frameworks,
            *attach_details(
                result.releases,
                lines=details.lines,
                deliveries=details.deliveries,
                quotations=details.quotations,
                copy=False,  # map_orders' releases are used nowhere else
                ids=True,
            ),
        ]
    )
    validations = _validator(ocds_dir).validate_many(releases)
    releases, published_orders, invalid_held = _hold_invalid_orders(
        releases, validations, published_orders, OcidScheme(ocid_prefix, ocid_pattern), lang
    )
    if invalid_held.num_rows:
        validations = _validator(ocds_dir).validate_many(releases)
    errors = {r["id"]: e for r, e in zip(releases, validations, strict=True) if e}
    quarantine = pa.concat_tables(
        [
            checked.quarantine,
            as_published_quarantine(explained(result.quarantine, lang)),
            invalid_held,
            details_held,
        ]
    )
    first_errors = "; ".join(f"{rid}: {errs[0]}" for rid, errs in list(errors.items())[:3])
    release_lines = tuple(canonical_bytes(release) for release in releases)
    checks = [
        CheckResult(
            "releases_schema_valid",
            not errors,
            "block",
            text("step.releases_valid", lang, count=len(releases))
            if not errors
            else text("step.releases_invalid", lang, count=len(errors), first=first_errors),
            {"invalid": len(errors)},
        ),
        *[
            as_step_check(check)
            for check in check_ocds_day(
                releases,
                published_orders,
                prefix=ocid_prefix,
                ocid_pattern=ocid_pattern,
                lang=as_lang(lang),
            )
        ],
        *[
            as_step_check(check)
            for check in check_coherence(
                releases,
                published_date=publication_time(checked.day, _cutoff(checked.source)),
                serialised=release_lines,
            )
        ],
        *codelist_checks(releases, ocds_dir, lang),
        *detail_checks,
    ]
    mapped = Mapped(
        day=checked.day,
        checks=checks,
        upstream_failures=checked.failures,
        not_evaluated=details_not_evaluated,
        checked=checked,
        release_lines=release_lines,
        quarantine=quarantine,
        published_orders=published_orders,
        ocid_prefix=ocid_prefix,
        ocid_pattern=ocid_pattern,
        first_stage_basis=basis,
        detail_counts=details.counts,
        detail_sources=details.sources,
    )
    # The objects the lines were made from: a batch publishes them without decoding ~60k bids
    # again (equal once canonical; a pickled Mapped decodes its lines instead).
    mapped.__dict__["releases"] = releases
    return mapped


def _cutoff(source: DaySource | None) -> str | None:
    """Newest extraction time of the day's sources (None without sources)."""
    return source.cutoff if source is not None else None


def _new_framework_releases(
    store: StateStore,
    orders: pa.Table,
    day: dt.date,
    ocid_prefix: str,
    lookup: AgreementLookup,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """First-stage releases of the agreements no other package holds yet, and
    for each its dating basis (``recorded``, ``agreement_start``, ``first_call_off``).

    ``lookup`` knows every code of the day's orders (from their own labels, enriched by the
    curated table). The date never depends on where a run starts: a date recorded when the
    first stage was published; else the agreement's known start; else the earliest
    formalisation of its orders in every snapshot loaded so far (all monthly files present),
    not just this run's.
    """
    from ocds_mappings.mapping import agreements_first_seen, build_framework_releases, known_start

    ocids = OcidScheme(ocid_prefix)
    seen_today = agreements_first_seen(orders)
    candidates = {
        code: ocids.framework(code)
        for code in seen_today
        if (agreement := lookup(code)) is not None and agreement.has_code
    }
    already = store.other_packages(sorted(candidates.values()), day)
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


def _hold_invalid_orders(
    releases: list[dict[str, Any]],
    validations: list[list[str]],
    orders: pa.Table,
    ocids: OcidScheme,
    lang: str,
) -> tuple[list[dict[str, Any]], pa.Table, pa.Table]:
    """A call-off release the schema refuses is a row problem: its order's rows of the day are
    quarantined (rule ``ocds.release_invalid``) and its releases left out, so the day still
    publishes. (releases kept, orders kept, quarantine rows)."""
    bad: dict[str, str] = {}
    for release, errors in zip(releases, validations, strict=True):
        ocid = str(release["ocid"])
        if errors and not ocids.is_framework(ocid) and ocid not in bad:
            bad[ocid] = errors[0]
    if not bad:
        return releases, orders, as_published_quarantine(QUARANTINE_SCHEMA.empty_table())
    row_ocids = [
        ocids.call_off(order_id, number)
        for order_id, number in zip(
            orders["order_id"].to_pylist(), orders["order_number"].to_pylist(), strict=True
        )
    ]
    held_mask = pa.array([ocid in bad for ocid in row_ocids], pa.bool_())
    held = orders.filter(held_mask)
    paths, found = [], []
    for ocid in (ocid for ocid in row_ocids if ocid in bad):
        path, _, problem = bad[ocid].partition(": ")
        paths.append(path.removeprefix("$."))
        found.append(problem)
    messages = [
        text("row.release_invalid", lang, order=f'"{order_id}"', path=path, error=problem)
        for order_id, path, problem in zip(held["order_id"].to_pylist(), paths, found, strict=True)
    ]
    quarantine = pa.table(
        {
            "source_file": held["source_file"],
            "source_line": held["source_line"],
            "field": pa.array(paths, pa.string()),
            "rule": pa.array(["ocds.release_invalid"] * held.num_rows, pa.string()),
            "value": pa.array(found, pa.string()),
            "message": pa.array(messages, pa.string()),
            "raw_row": raw_row_column(held),
        },
        schema=QUARANTINE_SCHEMA,
    )
    kept = [release for release in releases if release["ocid"] not in bad]
    return kept, orders.filter(pc.invert(held_mask)), as_published_quarantine(quarantine)


def explained(quarantine: pa.Table, lang: str) -> pa.Table:
    """The mapping's quarantine in the day's language, with the raw value (``map.<rule>`` texts:
    the value, the rule in words, what to change); an unknown rule keeps the mapping's text."""
    if not quarantine.num_rows:
        return quarantine
    values: list[str | None] = []
    messages: list[str] = []
    for row in quarantine.to_pylist():
        source = orjson.loads(row["raw_row"]) if row["raw_row"] else {}
        raw = source.get(row["field"])
        value = None if raw is None else str(raw)
        values.append(value)
        key = f"map.{row['rule']}"
        column = ORDER_LABELS.get(row["field"], row["field"])
        shown = f'"{value}"' if value is not None else text("cell.empty", lang)
        messages.append(text(key, lang, column=column, value=shown) if has(key) else row["message"])
    index = quarantine.schema.get_field_index
    quarantine = quarantine.set_column(index("value"), "value", pa.array(values, pa.string()))
    return quarantine.set_column(index("message"), "message", pa.array(messages, pa.string()))


def _row_keys(table: pa.Table) -> pa.Array:
    lines = pc.cast(table["source_line"], pa.string())
    return pc.binary_join_element_wise(table["source_file"], lines, ":")


def _without_rows(orders: pa.Table, quarantine: pa.Table) -> pa.Table:
    """Orders minus the rows quarantined later, sorted by order number for the flat files."""
    dropped = pc.is_in(_row_keys(orders), value_set=_row_keys(quarantine).combine_chunks())
    kept = orders.filter(pc.invert(dropped))
    return kept.sort_by([("order_number", "ascending"), ("source_line", "ascending")])
