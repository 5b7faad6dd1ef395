"""Declared asset checks: every blocking rule its own check, the warning rules of an asset in
one bundled check whose metadata keeps what each rule found (derived from the rules-as-data)."""

from __future__ import annotations

from dagster import AssetCheckSeverity

from pipelines.assets import DAY_CHECKS, PUBLISH_CHECKS, QUALITY_CHECKS, RELEASE_CHECKS
from pipelines.checks import asset_checks
from pipelines.definitions import defs
from publication import steps
from quality.rules import CheckResult

# The checks the assets declare by hand (not from a rules table), with their blocking flag.
EXTRA = {
    "source_orders": {"source_files_readable": True, "source_files_expected_format": True},
    "quality_checked_orders": {"rows_reconcile": True},
    "ocds_releases": {"releases_schema_valid": True},
    "published_day": {"files_match_manifest": True, "anchored_day_unchanged": False},
}
RULES = {
    "quality_checked_orders": steps.table_check_specs(),
    "ocds_releases": [*steps.release_check_specs(), *steps.detail_check_specs()],
}
BUNDLES = {"quality_checked_orders": "quality_warnings", "ocds_releases": "release_warnings"}


def _rules(asset: str) -> dict[str, bool]:
    """Every rule of ``asset`` -> blocking, from the rules tables and the hand-declared checks."""
    return EXTRA[asset] | {name: blocking for name, blocking, _ in RULES.get(asset, [])}


def test_declared_checks_are_the_blocking_rules_and_one_warnings_check_per_asset() -> None:
    graph = defs().resolve_asset_graph()
    declared: dict[str, set[str]] = {}
    for key in graph.asset_check_keys:
        declared.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    assert set(declared) == set(EXTRA)
    for asset, names in declared.items():
        rules = _rules(asset)
        blocking = {name for name, block in rules.items() if block}
        warnings = {name for name, block in rules.items() if not block}
        assert blocking, asset
        if len(warnings) > 1:
            assert names == blocking | {BUNDLES[asset]}, asset
        else:  # a lone warning rule keeps its own check (anchored_day_unchanged)
            assert names == blocking | warnings, asset
    by_asset = {checks.asset: checks for checks in DAY_CHECKS}
    for asset, bundle in BUNDLES.items():
        checks = by_asset[asset]
        assert checks.bundle is not None and checks.bundle.name == bundle
        assert not checks.bundle.blocking
        warnings = {name for name, block in _rules(asset).items() if not block}
        assert len(warnings) > 1
        assert set(checks.bundled) == warnings
        assert set(checks.bundle.metadata) == warnings  # each rule's description, by name
    assert {"igv_cents_rate", "status_known"} <= set(QUALITY_CHECKS.bundled)
    assert {"ocds_open_codelists", "coherence_unknown_status"} <= set(RELEASE_CHECKS.bundled)
    assert PUBLISH_CHECKS.bundle is None
    total = sum(len(names) for names in declared.values())
    assert total == sum(len(checks.specs) for checks in DAY_CHECKS) == 28


def test_a_new_warning_rule_lands_in_the_bundle() -> None:
    specs = [*steps.table_check_specs(), ("brand_new_rule", False, "A rule added later.")]
    checks = asset_checks("quality_checked_orders", specs, "quality_warnings")
    assert "brand_new_rule" in checks.bundled
    assert "brand_new_rule" not in {spec.name for spec in checks.specs}
    outcome = CheckResult("brand_new_rule", False, "warn", "2 filas raras", {"failed_rows": 2})
    (bundle,) = [r for r in checks.results([outcome]) if r.check_name == "quality_warnings"]
    assert not bundle.passed
    assert "brand_new_rule (2)" in (bundle.description or "")
    assert bundle.metadata["brand_new_rule"].value == {
        "passed": False,
        "message": "2 filas raras",
        "details": {"failed_rows": 2},
    }


def test_bundled_result_passes_names_findings_and_says_what_was_not_evaluated() -> None:
    outcomes = [
        CheckResult("rows_reconcile", True, "block", "ok"),
        CheckResult("table_required_columns", False, "block", "falta IGV", {"missing": ["IGV"]}),
        CheckResult("igv_cents_rate", False, "warn", "3 filas", {"failed_rows": 3, "lines": [7]}),
        CheckResult("table_row_count", False, "warn", "fuera de banda", {"rows": 4}),
        CheckResult("status_known", True, "warn", "ninguna fila falla", {"failed_rows": 0}),
    ]
    results = {r.check_name: r for r in QUALITY_CHECKS.results(outcomes, "en")}
    assert set(results) == {spec.name for spec in QUALITY_CHECKS.specs}
    blocked = results["table_required_columns"]
    assert not blocked.passed and blocked.severity == AssetCheckSeverity.ERROR
    assert blocked.description == "falta IGV"
    assert "not evaluated" in (results["gx_agreement"].description or "")

    bundle = results["quality_warnings"]
    assert not bundle.passed and bundle.severity == AssetCheckSeverity.WARN
    assert bundle.description == (  # in the rules' order
        "2 warning rule(s) found something: table_row_count, igv_cents_rate (3)"
    )
    assert set(bundle.metadata) == set(QUALITY_CHECKS.bundled)
    assert bundle.metadata["igv_cents_rate"].value["details"]["lines"] == [7]
    assert bundle.metadata["status_known"].value["passed"] is True
    skipped = [n for n in QUALITY_CHECKS.bundled if n not in {o.name for o in outcomes}]
    assert skipped
    for name in skipped:
        assert str(bundle.metadata[name].value).startswith("not evaluated: nothing to check")

    clean = {
        r.check_name: r
        for r in QUALITY_CHECKS.results([outcomes[-1]], not_evaluated={"igv_cents_rate": "off"})
    }["quality_warnings"]
    assert clean.passed
    assert clean.description == "sin avisos: 1 regla(s) evaluada(s), 30 no evaluada(s)"
    assert clean.metadata["igv_cents_rate"].value == "off"


def test_a_bundled_rule_made_blocking_by_an_override_fails_the_bundle_as_an_error() -> None:
    outcome = CheckResult("table_row_count", False, "block", "fuera de banda", {"rows": 4})
    results = {r.check_name: r for r in QUALITY_CHECKS.results([outcome])}
    bundle = results["quality_warnings"]
    assert not bundle.passed and bundle.severity == AssetCheckSeverity.ERROR
