"""Step 1, extract: the day's source rows from the monthly files, through the status store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perucompras.reader import SourceFileError
from publication.extract import DaySource, orders_for_day
from publication.state import StateStore, store_path
from publication.steps.common import StepResult
from quality.rules import CheckResult


@dataclass(frozen=True)
class Extracted(StepResult):
    """The rows assigned to the day (``None`` when a file could not be read)."""

    source: DaySource | None = None

    def metadata(self) -> dict[str, Any]:
        """Counts shown on the Dagster materialization."""
        source = self.source
        return {
            "source_rows": source.source_rows if source else 0,
            "parsed_rows": source.orders.num_rows if source else 0,
            "reader_quarantined": source.quarantine.num_rows if source else 0,
            "files": ", ".join(s["name"] for s in source.sources) if source else "",
        }


def extract(
    files: list[Path], day: dt.date, *, root: Path, state_dir: Path | None = None
) -> Extracted:
    """Read the day's source rows; an unreadable file fails the blocking readability check."""
    try:
        with StateStore(store_path(root, state_dir)) as store:
            source = orders_for_day(files, day, store)
    except SourceFileError as exc:
        check = CheckResult("source_files_readable", False, "block", str(exc))
        return Extracted(day=day, checks=[check], source=None)
    names = ", ".join(s["name"] for s in source.sources) or "none"
    message = f"{len(source.sources)} archivo(s) leído(s): {names}"
    return Extracted(
        day=day,
        checks=[CheckResult("source_files_readable", True, "block", message)],
        source=source,
    )
