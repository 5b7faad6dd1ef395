"""Dagster asset checks of the daily assets, declared from the steps' rules-as-data.

Every blocking rule is its own check (what stops a day is named in the UI and by
``publicar run``). The warning rules of an asset (more than one) are bundled into ONE check:
each declared check costs Dagster events and a query per day, and a warning never stops a
day. The bundle passes when every rule in it passed; its description names the rules that
found something, with their counts, and its metadata holds one entry per rule (what the rule's
own check showed before, or why it was not evaluated that day). A single warning rule stays a
check of its own, under its rule's name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from messages import DEFAULT_LANG, text
from publication.steps.quality import CheckSpec
from quality.rules import CheckResult

# Rule names shown in a bundle's one-line description; the metadata always has them all.
_NAMED_IN_DESCRIPTION = 6
# Detail keys that count what a rule found, in order of preference; else the first list.
_COUNT_KEYS = ("failed_rows", "count", "unknown")
_LIST_KEYS = ("values", "sample", "missing", "mismatches", "bad", "lines")


@dataclass(frozen=True)
class AssetChecks:
    """The checks one asset declares: its blocking rules one by one, its warnings bundled."""

    asset: str
    individual: tuple[AssetCheckSpec, ...]
    bundle: AssetCheckSpec | None = None
    bundled: tuple[str, ...] = ()

    @property
    def specs(self) -> list[AssetCheckSpec]:
        """Every check the asset declares to Dagster."""
        return [*self.individual, *([self.bundle] if self.bundle is not None else [])]

    def results(
        self,
        outcomes: Iterable[CheckResult],
        lang: str = DEFAULT_LANG,
        not_evaluated: Mapping[str, str] | None = None,
    ) -> Iterator[AssetCheckResult]:
        """A result for every declared check, in the step's order; a check or bundled rule
        the step did not evaluate (no file, no rows for its columns, or left out by a setting:
        ``not_evaluated``, name -> reason) passes with a note saying why."""
        reasons = dict(not_evaluated or {})
        bundled = set(self.bundled)
        in_bundle: dict[str, CheckResult] = {}
        produced: set[str] = set()
        for outcome in outcomes:
            if outcome.name in bundled:
                in_bundle[outcome.name] = outcome
            else:
                produced.add(outcome.name)
                yield _individual(outcome, self.asset)
        for spec in self.individual:
            if spec.name not in produced:
                yield AssetCheckResult(
                    check_name=spec.name,
                    asset_key=self.asset,
                    passed=True,
                    severity=AssetCheckSeverity.WARN,
                    description=_reason(spec.name, reasons, lang),
                )
        if self.bundle is not None:
            yield self._bundled_result(in_bundle, reasons, lang)

    def _bundled_result(
        self, outcomes: Mapping[str, CheckResult], reasons: Mapping[str, str], lang: str
    ) -> AssetCheckResult:
        assert self.bundle is not None
        found = [outcomes[name] for name in self.bundled if name in outcomes]
        failed = [outcome for outcome in found if not outcome.passed]
        metadata: dict[str, MetadataValue] = {}
        for name in self.bundled:
            outcome = outcomes.get(name)
            metadata[name] = (
                MetadataValue.text(_reason(name, reasons, lang))
                if outcome is None
                else MetadataValue.json(_entry(outcome))
            )
        if failed:
            shown = [_named_count(outcome) for outcome in failed[:_NAMED_IN_DESCRIPTION]]
            if len(failed) > _NAMED_IN_DESCRIPTION:
                shown.append(text("step.warnings_more", lang, count=len(failed) - len(shown)))
            description = text(
                "step.warnings_found", lang, count=len(failed), found=", ".join(shown)
            )
        else:
            description = text(
                "step.warnings_none",
                lang,
                evaluated=len(found),
                skipped=len(self.bundled) - len(found),
            )
        # Only a severity override can make a bundled rule block; the step's gate then stops
        # the day, and the bundle says so with an error.
        blocking = any(outcome.blocking_failure for outcome in failed)
        return AssetCheckResult(
            check_name=self.bundle.name,
            asset_key=self.asset,
            passed=not failed,
            severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
            description=description,
            metadata=metadata,
        )


def asset_checks(asset: str, specs: Sequence[CheckSpec], warnings_check: str) -> AssetChecks:
    """The checks of ``asset`` from its rules: blocking ones individually, the warning ones
    in the check ``warnings_check`` (when there are two or more)."""
    warnings = [(name, description) for name, blocking, description in specs if not blocking]
    bundle_them = len(warnings) > 1
    individual = tuple(
        AssetCheckSpec(name, asset=asset, blocking=blocking, description=description)
        for name, blocking, description in specs
        if blocking or not bundle_them
    )
    if not bundle_them:
        return AssetChecks(asset, individual)
    names = tuple(name for name, _ in warnings)
    bundle = AssetCheckSpec(
        warnings_check,
        asset=asset,
        blocking=False,
        description=text("step.warnings_check", DEFAULT_LANG, names=", ".join(names)),
        metadata=dict(warnings),
    )
    return AssetChecks(asset, individual, bundle, names)


def _individual(result: CheckResult, asset_key: str) -> AssetCheckResult:
    blocking = result.severity == "block"
    return AssetCheckResult(
        check_name=result.name,
        asset_key=asset_key,
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        description=result.message,
        metadata={key: MetadataValue.text(str(value)) for key, value in result.details.items()},
    )


def _reason(name: str, reasons: Mapping[str, str], lang: str) -> str:
    return reasons.get(name) or text("step.not_evaluated_nothing", lang)


def _entry(outcome: CheckResult) -> dict[str, Any]:
    """What a bundled rule found: passed, its message and its details (JSON-safe)."""
    details = json.loads(json.dumps(outcome.details, default=str))
    return {"passed": outcome.passed, "message": outcome.message, "details": details}


def _named_count(outcome: CheckResult) -> str:
    """``rule (count)``, or the rule alone when its details count nothing."""
    count = found_count(outcome.details)
    return outcome.name if count is None else f"{outcome.name} ({count})"


def found_count(details: Mapping[str, Any]) -> int | None:
    """How many things a rule found, read from its details (None when they do not say)."""
    for key in _COUNT_KEYS:
        value = details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    for key in _LIST_KEYS:
        value = details.get(key)
        if isinstance(value, list | tuple):
            return len(value)
    return None
