"""The steps of one daily partition as plain functions (the Dagster assets only call these).

Each step returns a small result object carrying its output, the outcome of its checks
and ``gate_passed``: a later step refuses to continue from a result whose blocking checks
failed, whichever run produced it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from integrity.canonical import canonical_bytes
from integrity.keys import anchor_key
from integrity.layout import QUALITY_HTML
from perucompras.reader import QUARANTINE_SCHEMA, SourceFileError
from publication.details import DayDetails, details_for_day
from publication.extract import DaySource, orders_for_day
from publication.records import day_record_package
from publication.state import StateStore, rules_fingerprint
from publication.writer import DayContent, PublishedDay, sort_releases, write_day


class GateClosed(RuntimeError):
    """An upstream step failed a blocking check: the day must not go further."""


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result, rendered as a Dagster asset check result by the assets."""

    name: str
    passed: bool
    blocking: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """Common part of every step's result."""

    day: dt.date
    checks: list[CheckOutcome]
    upstream_failures: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[str, ...]:
        """Blocking failures of this step and of every step before it."""
        own = tuple(f"{c.name}: {c.message}" for c in self.checks if c.blocking and not c.passed)
        return self.upstream_failures + own

    @property
    def gate_passed(self) -> bool:
        return not self.failures

    def require_gate(self) -> None:
        """Raise if this result must not be built upon."""
        if self.failures:
            raise GateClosed(f"{self.day}: blocked by " + "; ".join(self.failures))


@dataclass(frozen=True)
class Extracted(StepResult):
    source: DaySource | None = None

    def metadata(self) -> dict[str, Any]:
        source = self.source
        return {
            "source_rows": source.source_rows if source else 0,
            "parsed_rows": source.orders.num_rows if source else 0,
            "reader_quarantined": source.quarantine.num_rows if source else 0,
            "files": ", ".join(s["name"] for s in source.sources) if source else "",
        }


@dataclass(frozen=True)
class Checked(StepResult):
    source: DaySource | None = None
    passed_orders: pa.Table | None = None
    quarantine: pa.Table | None = None

    def metadata(self) -> dict[str, Any]:
        return {
            "passed": self.passed_orders.num_rows if self.passed_orders is not None else 0,
            "quarantined": self.quarantine.num_rows if self.quarantine is not None else 0,
        }


@dataclass(frozen=True)
class Mapped(StepResult):
    checked: Checked | None = None
    # Canonical bytes, not dicts: they are the Merkle leaves as they will be published, and a
    # day with ~60k bids pickles between Dagster steps in milliseconds instead of seconds.
    release_lines: tuple[bytes, ...] = ()
    quarantine: pa.Table | None = None
    published_orders: pa.Table | None = None
    ocid_prefix: str = ""
    detail_counts: dict[str, int] = field(default_factory=dict)
    detail_sources: list[dict[str, Any]] = field(default_factory=list)

    @functools.cached_property
    def releases(self) -> list[dict[str, Any]]:
        """The releases as objects (decoded from the canonical lines)."""
        return [orjson.loads(line) for line in self.release_lines]

    def metadata(self) -> dict[str, Any]:
        return {"releases": len(self.release_lines), **self.detail_counts}


@dataclass(frozen=True)
class Published(StepResult):
    folder: str = ""
    manifest_sha256: str = ""
    merkle_root: str = ""
    tree_size: int = 0
    quarantined: int = 0
    unchanged: bool = False
    quality: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "quality": self.quality,
            "folder": self.folder,
            "manifest_sha256": self.manifest_sha256,
            "merkle_root": self.merkle_root,
            "releases": self.tree_size,
            "quarantined": self.quarantined,
            "unchanged_rerun": self.unchanged,
        }


PUBLISHED_QUARANTINE_SCHEMA = QUARANTINE_SCHEMA.append(pa.field("rules", pa.list_(pa.string())))


def as_published_quarantine(table: pa.Table) -> pa.Table:
    """One quarantine shape for every stage: the reader's columns plus every failed rule."""
    base = table.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA)
    if "rules" in table.column_names:
        rules = table["rules"].cast(pa.list_(pa.string()))
    else:
        rules = pa.array([[rule] for rule in base["rule"].to_pylist()], pa.list_(pa.string()))
    return base.append_column("rules", rules)


# --- extract -------------------------------------------------------------------------------


def state_path(root: Path) -> Path:
    """The status-history store of a datasets root (beside it, never published)."""
    return root.parent / f".{root.name}-state" / "status-history.duckdb"


def extract(files: list[Path], day: dt.date, *, root: Path) -> Extracted:
    """Read the day's source rows; an unreadable file fails the blocking readability check."""
    try:
        with StateStore(state_path(root)) as store:
            source = orders_for_day(files, day, store)
    except SourceFileError as exc:
        check = CheckOutcome("source_files_readable", False, True, str(exc))
        return Extracted(day=day, checks=[check], source=None)
    names = ", ".join(s["name"] for s in source.sources) or "none"
    message = f"{len(source.sources)} archivo(s) leído(s): {names}"
    return Extracted(
        day=day,
        checks=[CheckOutcome("source_files_readable", True, True, message)],
        source=source,
    )


# --- quality -------------------------------------------------------------------------------


def dagster_check_name(rule_id: str) -> str:
    """Dagster check names allow only letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", rule_id)


def table_check_specs() -> list[tuple[str, bool, str]]:
    """(name, blocking, description) of every check the quality gate reports."""
    from quality.rules import ROW_RULES, TABLE_RULES

    return [
        *_rule_specs((*TABLE_RULES, *ROW_RULES)),
        (dagster_check_name("gx.agreement"), True, "Great Expectations agrees with the rules."),
    ]


def _rule_specs(rules: Any) -> list[tuple[str, bool, str]]:
    """Row rules quarantine rows (their checks report); blocking table rules stop the day."""
    return [
        (
            dagster_check_name(rule.id),
            rule.level == "table" and rule.severity == "block",
            rule.description("es"),
        )
        for rule in rules
    ]


def detail_check_specs() -> list[tuple[str, bool, str]]:
    """(name, blocking, description) of the checks on order lines and quotations."""
    from quality.lines import AGREEMENT_CHECK as LINES_AGREEMENT
    from quality.lines import LINE_RULES
    from quality.quotations import AGREEMENT_CHECK as QUOTATIONS_AGREEMENT
    from quality.quotations import QUOTATION_RULES

    return [
        *_rule_specs(LINE_RULES),
        (dagster_check_name(LINES_AGREEMENT), True, "Great Expectations agrees on order lines."),
        *_rule_specs(QUOTATION_RULES),
        (
            dagster_check_name(QUOTATIONS_AGREEMENT),
            True,
            "Great Expectations agrees on quotations.",
        ),
    ]


def _checked_details(details: DayDetails) -> tuple[DayDetails, pa.Table, list[CheckOutcome]]:
    """Apply the line and quotation gates: failing rows (and the rest of their order) held back."""
    from quality.lines import evaluate_lines
    from quality.quotations import evaluate_quotations

    held = [as_published_quarantine(details.quarantine)]
    checks: list[CheckOutcome] = []
    lines, deliveries, quotations = details.lines, details.deliveries, details.quotations
    counts = dict(details.counts)
    if lines is not None and deliveries is not None:
        outcome = evaluate_lines(lines)
        lines = outcome.passed
        deliveries = deliveries.filter(
            pc.is_in(deliveries["order_number"], value_set=lines["order_number"].combine_chunks())
        )
        held.append(as_published_quarantine(outcome.quarantine))
        checks += [_outcome(c) for c in outcome.checks]
        counts["detailLines"] = lines.num_rows
        counts["detailLinesHeldBack"] = outcome.quarantine.num_rows
    if quotations is not None:
        outcome = evaluate_quotations(quotations)
        quotations = outcome.passed
        held.append(as_published_quarantine(outcome.quarantine))
        checks += [_outcome(c) for c in outcome.checks]
        counts["quotations"] = quotations.num_rows
        counts["quotationsHeldBack"] = outcome.quarantine.num_rows
    checked = DayDetails(lines, deliveries, quotations, details.quarantine, counts, details.sources)
    return checked, pa.concat_tables(held), checks


def check_quality(extracted: Extracted, day: dt.date) -> Checked:
    """Apply the row and table rules; failing rows go to quarantine with their rule."""
    extracted.require_gate()
    from quality.gate import evaluate_orders

    source = extracted.source
    assert source is not None
    outcome = evaluate_orders(source.orders, day=day)
    quarantine = pa.concat_tables(
        [as_published_quarantine(source.quarantine), as_published_quarantine(outcome.quarantine)]
    )
    passed = outcome.passed
    reconciles = source.source_rows == passed.num_rows + quarantine.num_rows
    checks = [
        CheckOutcome(
            "rows_reconcile",
            reconciles,
            True,
            f"{source.source_rows} filas de origen = {passed.num_rows} aprobadas + "
            f"{quarantine.num_rows} en cuarentena"
            + ("" if reconciles else ": se perdieron o duplicaron filas"),
        ),
        *[_outcome(c) for c in outcome.checks],
    ]
    return Checked(
        day=day,
        checks=checks,
        upstream_failures=extracted.failures,
        source=source,
        passed_orders=passed,
        quarantine=quarantine,
    )


# --- map -----------------------------------------------------------------------------------


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


NON_BLOCKING_OCDS_CHECKS = frozenset({"ocds.open_codelists"})


def release_check_specs() -> list[tuple[str, bool, str]]:
    """(name, blocking, description) of the checks on the OCDS output."""
    return [
        (dagster_check_name(name), name not in NON_BLOCKING_OCDS_CHECKS, text)
        for name, text in OCDS_CHECKS.items()
    ]


def _outcome(check: Any) -> CheckOutcome:
    """A quality-layer CheckResult as a step check outcome."""
    return CheckOutcome(
        dagster_check_name(check.name),
        check.passed,
        check.severity == "block",
        check.message,
        dict(check.details),
    )


@functools.cache
def _codelists() -> Any:
    from ocds_mappings.schema import codelist_checker

    return codelist_checker()


def codelist_outcomes(releases: list[dict[str, Any]]) -> list[CheckOutcome]:
    """Closed codelists block; values outside an open codelist are reported."""
    report = _codelists().report(releases)
    closed = sorted({(i.codelist, i.value) for i in report if not i.open})
    extra = sorted({(i.codelist, i.value) for i in report if i.open})
    return [
        CheckOutcome(
            dagster_check_name("ocds.closed_codelists"),
            not closed,
            True,
            "todos los valores están en sus listas de códigos cerradas"
            if not closed
            else "fuera de una lista de códigos cerrada: "
            + ", ".join(f"{c}={v!r}" for c, v in closed[:10]),
            {"values": closed[:50]},
        ),
        CheckOutcome(
            dagster_check_name("ocds.open_codelists"),
            not extra,
            False,
            "todos los valores están en sus listas de códigos abiertas"
            if not extra
            else "fuera de una lista de códigos abierta: "
            + ", ".join(f"{c}={v!r}" for c, v in extra[:10]),
            {"values": extra[:50]},
        ),
    ]


@functools.cache
def _validator() -> Any:
    from ocds_mappings.schema import ReleaseValidator

    return ReleaseValidator()


def map_releases(
    checked: Checked,
    *,
    ocid_prefix: str,
    root: Path,
    companions: dict[str, Path] | None = None,
) -> Mapped:
    """Map passed orders to OCDS releases (with lines, deliveries and quotations when the
    month's companion files exist) and validate every release against the schema."""
    checked.require_gate()
    from ocds_mappings.details import attach_details
    from ocds_mappings.mapping import map_orders
    from quality.ocds_checks import check_ocds_day

    assert checked.passed_orders is not None and checked.quarantine is not None
    with StateStore(state_path(root)) as store:
        published = store.published_before(checked.day, checked.passed_orders["order_id"])
        result = map_orders(checked.passed_orders, ocid_prefix=ocid_prefix, published=published)
        published_orders = _without_rows(checked.passed_orders, result.quarantine)
        frameworks = _new_framework_releases(store, published_orders, checked.day, ocid_prefix)
    details, details_held, detail_checks = _checked_details(
        details_for_day(
            companions or {},
            published_orders["order_number"].combine_chunks(),
            checked.day,
            state_path(root).parent / "cache",
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
                ocid_prefix=ocid_prefix,
            ),
        ]
    )
    errors = {
        r["id"]: e for r, e in zip(releases, _validator().validate_many(releases), strict=True) if e
    }
    quarantine = pa.concat_tables(
        [
            checked.quarantine,
            as_published_quarantine(result.quarantine),
            details_held,
        ]
    )
    first_errors = "; ".join(f"{rid}: {errs[0]}" for rid, errs in list(errors.items())[:3])
    checks = [
        CheckOutcome(
            "releases_schema_valid",
            not errors,
            True,
            f"{len(releases)} releases válidas según el esquema OCDS 1.1.5 con extensiones"
            if not errors
            else f"{len(errors)} inválidas: {first_errors}",
            {"invalid": len(errors)},
        ),
        *[
            _outcome(check)
            for check in check_ocds_day(releases, published_orders, prefix=ocid_prefix)
        ],
        *codelist_outcomes(releases),
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
        detail_counts=details.counts,
        detail_sources=details.sources,
    )


def _new_framework_releases(
    store: StateStore, orders: pa.Table, day: dt.date, ocid_prefix: str
) -> list[dict[str, Any]]:
    """First-stage releases of the agreements this day's orders use for the first time."""
    from ocds_mappings.mapping import (
        agreements_first_seen,
        build_framework_releases,
        framework_ocid,
    )

    first_seen = agreements_first_seen(orders)
    ocids = {code: framework_ocid(code, ocid_prefix) for code in first_seen}
    earlier = store.earlier_packages(sorted(ocids.values()), day)
    already = set().union(*earlier.values()) if earlier else set()
    new = {code: date for code, date in first_seen.items() if ocids[code] not in already}
    return build_framework_releases(new, ocid_prefix=ocid_prefix)


def _row_keys(table: pa.Table) -> pa.Array:
    lines = pc.cast(table["source_line"], pa.string())
    return pc.binary_join_element_wise(table["source_file"], lines, ":")


def _without_rows(orders: pa.Table, quarantine: pa.Table) -> pa.Table:
    """Orders minus the rows quarantined later, sorted by order number for the flat files."""
    dropped = pc.is_in(_row_keys(orders), value_set=_row_keys(quarantine).combine_chunks())
    kept = orders.filter(pc.invert(dropped))
    return kept.sort_by([("order_number", "ascending"), ("source_line", "ascending")])


# --- publish -------------------------------------------------------------------------------


def publish(mapped: Mapped, *, root: Path, dataset: str, day: dt.date, base_url: str) -> Published:
    """Write the day's files (only from a result whose every blocking check passed)."""
    mapped.require_gate()
    from ocds_mappings.extensions import extension_urls
    from ocds_mappings.mapping import PERU_COMPRAS_NAME, PERU_COMPRAS_RUC, party_name_variants
    from ocds_mappings.packaging import Publisher, release_package
    from publication.anchoring import check_day_files
    from publication.portal import EXTENSIONS_FOLDER, POLICY_FILE
    from quality.report import build_report, render_html
    from quality.rules import CheckResult

    checked = mapped.checked
    assert checked is not None and checked.source is not None
    assert mapped.quarantine is not None and mapped.published_orders is not None
    source = checked.source
    cutoff = source.cutoff or f"{day.isoformat()}T23:59:59-05:00"
    publisher = Publisher(name=PERU_COMPRAS_NAME, ruc=PERU_COMPRAS_RUC)
    package = release_package(
        [],
        uri=f"{base_url}/{dataset}/{day:%Y/%m/%d}/{dataset}-{day.isoformat()}-releases.json",
        published_date=cutoff,
        publisher=publisher,
        publication_policy=f"{base_url}/{POLICY_FILE}",
        extensions=extension_urls(local_base_url=f"{base_url}/{EXTENSIONS_FOLDER}/"),
    )
    package.pop("releases")
    counts = {
        "sourceRows": source.source_rows,
        "publishedRows": mapped.published_orders.num_rows,
        "quarantinedRows": mapped.quarantine.num_rows,
        "releases": len(mapped.releases),
        "callOffReleases": sum(1 for r in mapped.releases if "-OCAM-" in r["ocid"]),
        **mapped.detail_counts,
    }
    quality = build_report(
        day,
        source.source_rows,
        mapped.published_orders.num_rows,
        mapped.quarantine,
        [
            CheckResult(c.name, c.passed, "block" if c.blocking else "warn", c.message, c.details)
            for c in (*checked.checks, *mapped.checks)
        ],
    )
    quality["party_name_variants"] = party_name_variants(mapped.published_orders)
    with StateStore(state_path(root)) as store:
        records = day_record_package(
            mapped.releases,
            day=day,
            root=root,
            dataset=dataset,
            store=store,
            base_url=base_url,
            package_meta={**package, "publisher": publisher.as_ocds()},
        )
    content = DayContent(
        dataset=dataset,
        day=day,
        cutoff=cutoff,
        ocid_prefix=mapped.ocid_prefix,
        publisher=publisher.as_ocds(),
        package=package,
        release_lines=mapped.release_lines,
        orders=mapped.published_orders,
        quarantine=mapped.quarantine,
        sources=[*source.sources, *mapped.detail_sources],
        counts=counts,
        quality=quality,
        records=records,
        extra_files={QUALITY_HTML: render_html(quality).encode("utf-8")},
    )
    result: PublishedDay = write_day(root, content, anchor_key_hex=anchor_key(dataset, day).hex())
    if not result.differs_from_sources:
        with StateStore(state_path(root)) as store:
            store.record_published(day, mapped.releases)
            store.record_held(day, mapped.quarantine, rules_fingerprint())
    problems = check_day_files(result.folder, result.manifest)
    checks = [
        CheckOutcome(
            "files_match_manifest",
            not problems,
            True,
            "todos los archivos coinciden con el manifiesto"
            if not problems
            else "; ".join(problems),
        ),
        CheckOutcome(
            "anchored_day_unchanged",
            not result.differs_from_sources,
            False,
            "el día publicado coincide con las fuentes actuales"
            if not result.differs_from_sources
            else "las fuentes cambiaron después de anclar este día: se mantiene tal como se ancló y "
            "los estados nuevos se publican en el siguiente día (política de publicación)",
        ),
    ]
    return Published(
        day=day,
        checks=checks,
        upstream_failures=mapped.failures,
        folder=str(result.folder),
        manifest_sha256=result.manifest.sha256,
        merkle_root=result.merkle_root,
        tree_size=result.tree_size,
        quarantined=mapped.quarantine.num_rows,
        unchanged=result.unchanged,
        quality={
            key: quality[key]
            for key in ("status", "rows_in", "published", "quarantined", "quarantined_by_rule")
        },
    )
