"""Step 1, extract: the day's source rows from the monthly files, through the status store.

Two blocking checks, both about a file as a whole (a row problem only quarantines its row):
``source_files_readable`` (a file cannot be read: empty or binary, wrong separator or encoding,
a required column missing) and ``source_files_expected_format`` (half the rows of a file or more
fail the row rules: the file is probably not in the expected format). Their messages name the
file, the check, the three most frequent offending values and how to fix it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messages import text
from perucompras.reader import ReadResult, SourceFileError, source_block
from publication.extract import DaySource, files_for_day, orders_for_day, read_cached
from publication.state import StateStore, store_path
from publication.steps.common import StepResult
from quality.rules import CheckResult

READABLE = "source_files_readable"
EXPECTED_FORMAT = "source_files_expected_format"
FAILING_SHARE = 0.5


@dataclass(frozen=True)
class Extracted(StepResult):
    """The rows assigned to the day (``None`` when a file could not be read)."""

    source: DaySource | None = None
    synthetic: bool = False
    lang: str = "es"
    run_gx: bool = True

    def metadata(self) -> dict[str, Any]:
        """Counts shown on the Dagster materialization."""
        source = self.source
        return {
            "source_rows": source.source_rows if source else 0,
            "parsed_rows": source.orders.num_rows if source else 0,
            "reader_quarantined": source.quarantine.num_rows if source else 0,
            "files": ", ".join(s["name"] for s in source.sources) if source else "",
            "synthetic": self.synthetic,
        }


def extract(
    files: list[Path],
    day: dt.date,
    *,
    root: Path,
    state_dir: Path | None = None,
    lang: str = "es",
    synthetic: bool = False,
    run_gx: bool = True,
) -> Extracted:
    """Read the day's source rows; a file that cannot be read, or whose rows mostly fail, fails
    a blocking check. ``synthetic`` says the files were generated (labelled downstream);
    ``run_gx`` is carried to the quality gates (the Great Expectations cross-check)."""
    try:
        format_problems = [
            problem
            for path in files_for_day(files, day)
            if (problem := expected_format_problem(read_cached(path, lang), lang))
        ]
        with StateStore(store_path(root, state_dir)) as store:
            source = orders_for_day(files, day, store, lang=lang)
    except SourceFileError as error:
        check = CheckResult(error.check, False, "block", str(error))
        return Extracted(
            day=day, checks=[check], source=None, synthetic=synthetic, lang=lang, run_gx=run_gx
        )
    names = ", ".join(s["name"] for s in source.sources) or "—"
    checks = [
        CheckResult(
            READABLE,
            True,
            "block",
            text("step.files_read", lang, count=len(source.sources), names=names),
        ),
        CheckResult(
            EXPECTED_FORMAT,
            not format_problems,
            "block",
            " ".join(format_problems) or text("step.files_expected_format", lang),
        ),
    ]
    return Extracted(
        day=day, checks=checks, source=source, synthetic=synthetic, lang=lang, run_gx=run_gx
    )


_VERDICTS: dict[tuple[str, str], str | None] = {}


def expected_format_problem(result: ReadResult, lang: str = "es") -> str | None:
    """The block message when half the file's rows or more fail (reader or business rules);
    computed once per file content and language."""
    key = (result.info.sha256, lang)
    if key not in _VERDICTS:
        if len(_VERDICTS) > 32:
            _VERDICTS.clear()
        _VERDICTS[key] = _expected_format_problem(result, lang)
    return _VERDICTS[key]


def _expected_format_problem(result: ReadResult, lang: str) -> str | None:
    from quality.gate import blocking_row_failures

    rows = result.info.row_count
    offending: Counter[str] = Counter()
    for row in result.quarantine.select(["field", "value"]).to_pylist():
        offending[_shown(row["field"], row["value"])] += 1
    for field, value in blocking_row_failures(result.orders):
        offending[_shown(field, value)] += 1
    failed = sum(offending.values())
    if not rows or failed < rows * FAILING_SHARE:
        return None
    error = source_block(
        result.info.name,
        "source.mostly_failing",
        "source.mostly_failing_fix",
        offending.most_common(3),
        lang,
        check=EXPECTED_FORMAT,
        failed=failed,
        rows=rows,
        share=f"{failed / rows:.0%}",
    )
    return str(error)


def _shown(field: str | None, value: str | None) -> str:
    return f'{field or "*"} "{value if value is not None else ""}"'
