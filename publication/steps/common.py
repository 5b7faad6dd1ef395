"""What every step shares: the result base class, its gate, check names, the quarantine shape.

Each step returns a small result object carrying its output, its checks (one type for every
layer: ``quality.rules.CheckResult``) and ``gate_passed``: a later step refuses to continue
from a result whose blocking checks failed, whichever run produced it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from messages import text
from perucompras.reader import QUARANTINE_SCHEMA
from quality.rules import CheckResult


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a step that builds a day's releases (~60k bids, a
    few dicts each): with it on, the growing heap is traversed again and again (≈4× the CPU of
    the building itself). The releases are trees, freed by reference counting; the rare cycle
    waits for the next collection."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class GateClosed(RuntimeError):
    """An upstream step failed a blocking check: the day must not go further."""


@dataclass(frozen=True)
class StepResult:
    """Common part of every step's result.

    ``not_evaluated``: checks (by step name) the step left out on purpose because an operator
    setting turned them off (the Great Expectations cross-check): the quality report and
    Dagster say so instead of showing nothing.
    """

    day: dt.date
    checks: list[CheckResult]
    upstream_failures: tuple[str, ...] = ()
    not_evaluated: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[str, ...]:
        """Blocking failures of this step and of every step before it."""
        own = tuple(f"{c.name}: {c.message}" for c in self.checks if c.blocking_failure)
        return self.upstream_failures + own

    @property
    def gate_passed(self) -> bool:
        """True when no blocking check of this step or an earlier one failed."""
        return not self.failures

    def require_gate(self) -> None:
        """Raise if this result must not be built upon."""
        if self.failures:
            raise GateClosed(f"{self.day}: blocked by " + "; ".join(self.failures))


def not_evaluated_reasons(names: tuple[str, ...], lang: str) -> dict[str, str]:
    """Why each check in ``names`` was left out: today only the Great Expectations
    cross-check can be, when the operator turns it off (``gx_cross_check``)."""
    return {name: text("step.gx_cross_check_off", lang) for name in names}


def dagster_check_name(rule_id: str) -> str:
    """Dagster check names allow only letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", rule_id)


def as_step_check(check: CheckResult) -> CheckResult:
    """A quality-layer check under the name the step reports it (a Dagster check name)."""
    return dataclasses.replace(
        check, name=dagster_check_name(check.name), details=dict(check.details)
    )


PUBLISHED_QUARANTINE_SCHEMA = QUARANTINE_SCHEMA.append(pa.field("rules", pa.list_(pa.string())))


def as_published_quarantine(table: pa.Table) -> pa.Table:
    """One quarantine shape for every stage: the reader's columns plus every failed rule."""
    base = table.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA)
    if "rules" in table.column_names:
        rules = table["rules"].cast(pa.list_(pa.string()))
    else:
        rules = pa.array([[rule] for rule in base["rule"].to_pylist()], pa.list_(pa.string()))
    return base.append_column("rules", rules)
