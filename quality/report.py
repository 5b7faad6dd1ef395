"""Per-day quality report (JSON-ready dict) and small static HTML pages, Spanish first."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from messages import text
from quality.rules import CheckResult, Lang

REPORT_VERSION = 1
_SAMPLE_ROWS = 20

# Checks whose failures are published with a warning the report lists by value.
WARNING_LISTS: tuple[tuple[str, str], ...] = (
    ("agreement_code.known", "agreements_without_code"),
    ("status.known", "unknown_statuses"),
)


def _labels(lang: Lang) -> Callable[[str], str]:
    """The report's labels (``report.*`` texts of ``messages/quality.py``) in ``lang``."""
    return lambda key: text(f"report.{key}", lang)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:72rem}"
    "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}th{background:#f2f2f2}td.n{text-align:right}"
    ".ok{color:#17612a}.blocked{color:#a30000;font-weight:bold}.warning{color:#8a5a00}"
)


def _jsonable(value: Any) -> Any:
    """Convert NumPy/Arrow/date values nested in ``value`` into plain JSON types."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, pa.Scalar):
        return _jsonable(value.as_py())
    return value


def _counts_by(values: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    if len(values) == 0:
        return {}
    counts = pc.value_counts(values)
    pairs = zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
    return dict(sorted(((str(key), int(count)) for key, count in pairs), key=lambda kv: kv[0]))


def warning_lists(checks: Sequence[CheckResult], lang: Lang = "es") -> list[dict[str, Any]]:
    """Values published with a warning, by kind: agreements without an official code (known
    only by their name) and statuses without a documented mapping."""
    by_name = {check.name: check for check in checks}
    found = []
    for rule_id, kind in WARNING_LISTS:
        check = by_name.get(rule_id) or by_name.get(re.sub(r"[^A-Za-z0-9_]", "_", rule_id))
        if check is None or check.passed or not check.details.get("values"):
            continue
        found.append(
            {
                "kind": kind,
                "check": check.name,
                "title": text(f"report.{kind}", lang),
                "explanation": text(f"report.{kind}_explanation", lang),
                "rows": int(check.details.get("failed_rows", 0)),
                "values": _jsonable(check.details["values"]),
            }
        )
    return found


def build_report(
    day: dt.date,
    source_rows: int,
    published: int,
    quarantine: pa.Table,
    checks: Sequence[CheckResult],
    lang: Lang = "es",
    not_evaluated: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the JSON-ready quality report of one day (texts in ``lang``).

    ``not_evaluated`` (check name -> reason): checks an operator setting left out (the Great
    Expectations cross-check); listed under ``not_evaluated``, a key present only then, so that
    the report never reads as if they had run and passed.
    """
    by_primary = _counts_by(quarantine.column("rule")) if quarantine.num_rows else {}
    by_any: dict[str, int] = {}
    if quarantine.num_rows and "rules" in quarantine.column_names:
        by_any = _counts_by(pc.list_flatten(quarantine.column("rules")))
    failed = [check for check in checks if not check.passed]
    blocking = [check for check in failed if check.severity == "block"]
    status = "blocked" if blocking else "warning" if failed else "ok"
    sample_columns = [
        c for c in ("source_file", "source_line", "rule", "message") if c in quarantine.column_names
    ]
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "day": day.isoformat(),
        "status": status,
        "rows_in": int(source_rows),
        "published": int(published),
        "quarantined": int(quarantine.num_rows),
        "quarantined_by_rule": by_primary,
        "quarantined_by_any_rule": by_any,
        "warnings": warning_lists(checks, lang),
        "checks": {
            "total": len(checks),
            "passed": len(checks) - len(failed),
            "failed": len(failed),
            "failed_blocking": len(blocking),
            "items": [
                {
                    "name": check.name,
                    "passed": check.passed,
                    "severity": check.severity,
                    "message": check.message,
                    "details": _jsonable(check.details),
                }
                for check in checks
            ],
        },
        "quarantine_sample": _jsonable(
            quarantine.select(sample_columns).slice(0, _SAMPLE_ROWS).to_pylist()
        ),
    }
    if not_evaluated:
        report["not_evaluated"] = [
            {"name": name, "reason": reason} for name, reason in not_evaluated.items()
        ]
    return report


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str, lang: Lang) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if index in numeric else f"<td>{cell}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def render_html(report: Mapping[str, Any], lang: Lang = "es") -> str:
    """Render one day's report as a self-contained HTML page."""
    t = _labels(lang)
    status = report["status"]
    summary = _table(
        [t("rows_in"), t("published"), t("quarantined"), t("status")],
        [
            [
                _e(report["rows_in"]),
                _e(report["published"]),
                _e(report["quarantined"]),
                f'<span class="{_e(status)}">{_e(t(status))}</span>',
            ]
        ],
        {0, 1, 2},
    )
    by_rule = report["quarantined_by_rule"]
    rules_html = (
        _table(
            [t("rule"), t("rows")],
            [[f"<code>{_e(rule)}</code>", _e(count)] for rule, count in by_rule.items()],
            {1},
        )
        if by_rule
        else f"<p>{_e(t('none'))}</p>\n"
    )
    check_rows = [
        [
            f"<code>{_e(item['name'])}</code>",
            f'<span class="{"ok" if item["passed"] else "blocked" if item["severity"] == "block" else "warning"}">'
            f"{_e(t('passed') if item['passed'] else t('failed'))}</span>",
            _e(t(item["severity"])),
            _e(item["message"]),
        ]
        for item in report["checks"]["items"]
    ]
    checks_html = _table([t("check"), t("result"), t("severity"), t("message")], check_rows, set())
    skipped = report.get("not_evaluated") or []
    if skipped:
        checks_html += f"<h3>{_e(t('not_evaluated'))}</h3>\n" + _table(
            [t("check"), t("reason")],
            [[f"<code>{_e(item['name'])}</code>", _e(item["reason"])] for item in skipped],
            set(),
        )
    sample = report.get("quarantine_sample") or []
    sample_html = (
        _table(
            [t("file"), t("line"), t("rule"), t("message")],
            [
                [
                    _e(row.get("source_file")),
                    _e(row.get("source_line")),
                    f"<code>{_e(row.get('rule'))}</code>",
                    _e(row.get("message")),
                ]
                for row in sample
            ],
            {1},
        )
        if sample
        else f"<p>{_e(t('none'))}</p>\n"
    )
    checks = report["checks"]
    warnings_html = "".join(
        f"<h3>{_e(item['title'])} ({_e(item['rows'])})</h3>\n<p>{_e(item['explanation'])}</p>\n"
        + _table(
            [t("value"), t("rows")],
            [[_e(entry["value"]), _e(entry["rows"])] for entry in item["values"]],
            {1},
        )
        for item in report.get("warnings") or []
    )
    body = (
        f"<h1>{_e(t('title'))} — {_e(report['day'])}</h1>\n{summary}"
        + (f"<h2>{_e(t('warnings'))}</h2>\n{warnings_html}" if warnings_html else "")
        + f"<h2>{_e(t('by_rule'))}</h2>\n{rules_html}"
        f"<h2>{_e(t('checks'))} ({_e(checks['passed'])}/{_e(checks['total'])})</h2>\n{checks_html}"
        f"<h2>{_e(t('sample'))}</h2>\n{sample_html}"
    )
    return _page(f"{t('title')} {report['day']}", body, lang)


def render_cumulative_html(
    reports: Sequence[Mapping[str, Any]], lang: Lang = "es", link_pattern: str | None = None
) -> str:
    """Render the cumulative quality page: one line per day plus totals.

    ``link_pattern`` (e.g. ``"{yyyy}/{mm}/{dd}/calidad.html"``) links each day to its report.
    """
    t = _labels(lang)
    ordered = sorted(reports, key=lambda report: report["day"])
    rows = []
    for report in ordered:
        day = _e(report["day"])
        if link_pattern:
            yyyy, mm, dd = str(report["day"]).split("-")
            day = f'<a href="{_e(link_pattern.format(yyyy=yyyy, mm=mm, dd=dd))}">{day}</a>'
        rows.append(
            [
                day,
                _e(report["rows_in"]),
                _e(report["published"]),
                _e(report["quarantined"]),
                _e(report["checks"]["failed"]),
                f'<span class="{_e(report["status"])}">{_e(t(report["status"]))}</span>',
            ]
        )
    totals = [sum(int(r[key]) for r in ordered) for key in ("rows_in", "published", "quarantined")]
    failed_total = sum(int(r["checks"]["failed"]) for r in ordered)
    rows.append(
        [f"<strong>{_e(t('total'))}</strong>", *(_e(v) for v in totals), _e(failed_total), ""]
    )
    table = _table(
        [t("day"), t("rows_in"), t("published"), t("quarantined"), t("failed_checks"), t("status")],
        rows,
        {1, 2, 3, 4},
    )
    rule_totals: dict[str, int] = {}
    for report in ordered:
        for rule, count in report["quarantined_by_rule"].items():
            rule_totals[rule] = rule_totals.get(rule, 0) + int(count)
    rules_html = (
        _table(
            [t("rule"), t("rows")],
            [
                [f"<code>{_e(rule)}</code>", _e(count)]
                for rule, count in sorted(rule_totals.items())
            ],
            {1},
        )
        if rule_totals
        else f"<p>{_e(t('none'))}</p>\n"
    )
    body = f"<h1>{_e(t('cumulative'))}</h1>\n{table}<h2>{_e(t('by_rule'))}</h2>\n{rules_html}"
    return _page(t("cumulative"), body, lang)
