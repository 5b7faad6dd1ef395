"""Static pages at the datasets root: the portal (Spanish first, English beside it), month
pages, the cumulative quality page, the OCDS documents the packages point to.

The portal works without JavaScript: the landing page lists the latest ``LATEST_DAYS`` days,
and every month has its own page listing all of its days (links are plain ``<a>``); a tiny
script (``portal.js``) only adds a date filter. Every link is relative and derived from what
exists: the day files from the manifests, the other pages and files from the resource list
or from the file being there, so no page ever links a file that is not published.
"""

from __future__ import annotations

import functools
import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from messages import LANGUAGES, text
from publication.atomic import write_atomic
from publication.catalogue import CatalogueDataset, catalogue_datasets
from publication.listing import (
    KIND_BULK,
    KIND_DICTIONARY,
    KIND_INDICATORS,
    MONTHS_FOLDER,
    Day,
    Resource,
    human_size,
    month_page,
    page_name,
)
from publication.mediatypes import of_name
from settings import Lang

INDEX_HTML = "index.html"
QUALITY_PAGE = "calidad.html"
VERIFIER_PAGE = "verificar.html"
PORTAL_SCRIPT = "portal.js"
POLICY_FILE = layout.POLICY_FILE
EXTENSIONS_FOLDER = layout.EXTENSIONS_FOLDER
LATEST_DAYS = 31

# Root files linked when they exist, in this order: (path, message key).
ROOT_LINKS = (
    (VERIFIER_PAGE, "link.verifier"),
    (QUALITY_PAGE, "link.quality"),
    (POLICY_FILE, "link.policy"),
    (layout.INDEX_FILE, "link.index"),
    (layout.TRUST_FILE, "link.trust"),
    ("data.json", "link.data_json"),
    ("catalog.jsonld", "link.dcat"),
    ("catalog.json", "link.ckan"),
    ("feed.json", "link.feed"),
    ("cambios/index.json", "link.changes"),
)
# Kinds whose own files (pages, latest aliases) are linked at the top of the portal.
FEATURED_KINDS = (KIND_BULK, KIND_DICTIONARY, KIND_INDICATORS)

_STYLE = """
:root{--ink:#1c2733;--muted:#5b6b7a;--line:#d9e0e7;--band:#0b4f6c;--soft:#f3f6f9;--ok:#17663a;
--warn:#8a5a00;--bad:#9b1c1c}
[hidden]{display:none!important}*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);
margin:0;line-height:1.45}header{background:var(--band);color:#fff;padding:1.2rem 1rem}
header a{color:#fff}.wrap{max-width:76rem;margin:0 auto;padding:0 1rem}
header .wrap{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
h1{font-size:1.5rem;margin:0}h2{font-size:1.2rem;margin:1.6rem 0 .6rem;border-bottom:2px solid var(--line);
padding-bottom:.2rem}h3{font-size:1rem;margin:.2rem 0}main{padding-bottom:2rem}
ul.links{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;padding:0;list-style:none}
.datasets{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:.8rem}
.datasets section{background:var(--soft);border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem}
.datasets p{margin:.3rem 0;font-size:.92rem}.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid var(--line);
padding:.35rem .45rem;text-align:left;vertical-align:top}th{background:var(--soft)}
td.n{text-align:right;white-space:nowrap}td.d{white-space:nowrap;font-weight:600}
td.f a{white-space:nowrap}code{font-size:.85em}.s-ok,.s-anchored{color:var(--ok)}
.s-warning,.s-pending{color:var(--warn)}.s-blocked{color:var(--bad)}
form#filtro{display:flex;gap:.8rem;align-items:end;flex-wrap:wrap;margin:.4rem 0 .8rem}
form#filtro label{display:flex;flex-direction:column;font-size:.85rem}
nav.months ul{display:flex;flex-wrap:wrap;gap:.3rem .9rem;padding:0;list-style:none}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.85rem;padding:1rem 0}
.sintetico{background:#fff3cd;border:1px solid #c9a227;padding:.6rem 1rem}
""".strip().replace("\n", "")

PORTAL_JS = b"""// Date filter of the portal's day table (the page works without it).
(function () {
  "use strict";
  var form = document.getElementById("filtro");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-date]"));
  var from = form.elements.desde, to = form.elements.hasta;
  var empty = document.getElementById("filtro-vacio");
  function monthLink(month) {
    return document.querySelector('nav.months a[data-month="' + month + '"]');
  }
  function apply() {
    var start = from.value, end = to.value, shown = 0;
    rows.forEach(function (row) {
      var day = row.getAttribute("data-date");
      var keep = (!start || day >= start) && (!end || day <= end);
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    var link = monthLink((start || end).slice(0, 7));
    empty.textContent = "";
    empty.hidden = shown > 0 || !link;
    if (!empty.hidden) {
      var copy = link.cloneNode(true);
      empty.appendChild(document.createTextNode(empty.getAttribute("data-text") + " "));
      empty.appendChild(copy);
    }
  }
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
})();
"""


@dataclass(frozen=True)
class SiteLink:
    """A link of the portal's top section: a path from the datasets root and its label."""

    path: str
    label: dict[str, str]
    size: int | None = None


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def site_links(root: Path, resources: Sequence[Resource]) -> list[SiteLink]:
    """The top links: root pages and files that exist, then the featured kinds' own files."""
    links = [
        SiteLink(path, {lang: text(key, lang) for lang in LANGUAGES})
        for path, key in ROOT_LINKS
        if (root / path).is_file()
    ]
    for kind in FEATURED_KINDS:
        for resource in resources:
            featured = resource.granularity in ("latest", "all") or resource.media_type.startswith(
                "text/html"
            )
            if resource.kind == kind and featured:
                links.append(SiteLink(resource.path, dict(resource.titles), resource.size))
    return links


def month_label(month: str, lang: str) -> str:
    """``marzo de 2026`` / ``March 2026``."""
    names = text("portal.month_names", lang).split(";")
    year, number = month.split("-")
    return text("portal.month_label", lang, name=names[int(number) - 1], year=year)


@dataclass(frozen=True)
class PortalContext:
    """Everything a portal page shows, read once per refresh."""

    dataset: str
    days: Sequence[Day]
    links: Sequence[SiteLink]
    datasets: Sequence[CatalogueDataset]
    licence: str | None
    costs: AnchorCosts | None = None


# PERÚ COMPRAS' reported yearly cost of its time-stamping API, for comparison.
STAMPING_API_YEARLY_PEN = "S/ 36 800"


@dataclass(frozen=True)
class AnchorCosts:
    """What anchoring the published days cost, from their ``anchor.json`` receipts."""

    days: int
    pending: int
    transactions: int
    gas: int
    fee_wei: int
    unit: str
    dev_chain: bool


def anchor_costs(root: Path, dataset: str, days: Sequence[Day]) -> AnchorCosts:
    """Sum gas and fees over the distinct transactions of the anchored days."""
    from publication.writer import ANCHORED, read_anchor_record

    seen: dict[str, tuple[int, int]] = {}
    anchored = pending = 0
    unit, dev_chain = "ETH", False
    for day in days:
        record = read_anchor_record(root / day.folder / f"{dataset}-{day.date}-{layout.ANCHOR}")
        if record is None or record.get("status") != ANCHORED:
            pending += 1
            continue
        anchored += 1
        unit = str(record.get("feeUnit") or unit)
        dev_chain = dev_chain or bool(record.get("devChain"))
        tx_hash = record.get("txHash")
        if isinstance(tx_hash, str) and record.get("feeWei") is not None:
            seen[tx_hash] = (int(record.get("gasUsed") or 0), int(record["feeWei"]))
    return AnchorCosts(
        days=anchored,
        pending=pending,
        transactions=len(seen),
        gas=sum(gas for gas, _ in seen.values()),
        fee_wei=sum(fee for _, fee in seen.values()),
        unit=unit,
        dev_chain=dev_chain,
    )


def render_costs(costs: AnchorCosts, lang: str = "es") -> str:
    """The landing page's paragraph on what anchoring costs (and the pending days)."""
    from integrity.chain import wei_to_unit

    parts = [
        text(
            "portal.anchor_costs",
            lang,
            amount=_e(wei_to_unit(costs.fee_wei)),
            unit=_e(costs.unit),
            wei=costs.fee_wei,
            gas=f"{costs.gas:,}",
            transactions=costs.transactions,
            days=costs.days,
        )
    ]
    if costs.dev_chain:
        parts.append(text("portal.anchor_costs_dev", lang))
    parts.append(text("portal.anchor_reference", lang, yearly=STAMPING_API_YEARLY_PEN))
    if costs.pending:
        parts.append(text("portal.anchor_pending", lang, count=costs.pending))
    return "<p>" + "".join(parts) + "</p>"


def _status(kind: str, key: str, lang: str) -> str:
    css = key.split("_")[0]
    return f'<span class="s-{_e(css)}">{_e(text(f"day.{kind}.{key}", lang))}</span>'


def _day_row(day: Day, up: str, lang: str) -> str:
    files = " · ".join(
        f'<a href="{_e(up + r.path)}" title="{_e(r.title(lang))}">'
        f"{_e(r.name.removeprefix(f'{r.dataset}-{day.date}-'))}</a> "
        f'<span class="muted">({_e(human_size(r.size, lang))})</span>'
        for r in day.resources
    )
    quality = day.quality or "unknown"
    synthetic = (
        f' <strong class="s-warning">{_e(text("publication.synthetic_day", lang))}</strong>'
        if day.synthetic
        else ""
    )
    return (
        f'<tr id="dia-{_e(day.date)}" data-date="{_e(day.date)}">'
        f"<td class=d>{_e(day.date)}{synthetic}</td><td class=n>{day.tree_size}</td>"
        f"<td class=n>{_e(human_size(day.size, lang))}</td>"
        f"<td>{_status('quality', quality, lang)}</td>"
        f"<td>{_status('anchor', day.anchor.key, lang)}</td>"
        f"<td class=f>{files}</td>"
        f"<td><code>{_e(day.manifest_sha256[:16])}…</code></td></tr>"
    )


def _synthetic_banner(days: Sequence[Day], lang: str) -> str:
    """A warning above the days when any of them comes from synthetic source files."""
    count = sum(1 for day in days if day.synthetic)
    if not count:
        return ""
    message = text("publication.synthetic_banner", lang, count=count)
    return f'<p class="sintetico"><strong>{_e(message)}</strong></p>'


def _days_table(days: Sequence[Day], up: str, lang: str) -> str:
    if not days:
        return f"<p>{_e(text('portal.no_days', lang))}</p>"
    head = "".join(
        f"<th>{_e(text(f'table.{key}', lang))}</th>"
        for key in ("day", "releases", "size", "quality", "anchor", "files", "manifest")
    )
    rows = "".join(_day_row(day, up, lang) for day in reversed(days))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _filter(lang: str) -> str:
    return (
        f'<form id="filtro" hidden><fieldset style="border:0;padding:0;margin:0;display:flex;'
        f'gap:.8rem;align-items:end"><legend class="muted">{_e(text("filter.legend", lang))}</legend>'
        f'<label>{_e(text("filter.from", lang))}<input type="date" name="desde"></label>'
        f'<label>{_e(text("filter.to", lang))}<input type="date" name="hasta"></label>'
        f'<button type="reset">{_e(text("filter.clear", lang))}</button></fieldset></form>'
        f'<p id="filtro-vacio" hidden data-text="{_e(text("filter.none", lang))}"></p>'
    )


def _months_nav(days: Sequence[Day], up: str, lang: str) -> str:
    counts: dict[str, int] = defaultdict(int)
    for day in days:
        counts[day.month] += 1
    items = "".join(
        f'<li><a data-month="{_e(month)}" href="{_e(up + month_page(month, lang))}">'
        f"{_e(month_label(month, lang))}</a> <span class=muted>({count})</span></li>"
        for month, count in sorted(counts.items(), reverse=True)
    )
    return (
        f'<nav class="months"><h2>{_e(text("portal.section.months", lang))}</h2>'
        f"<ul>{items}</ul></nav>"
    )


def _links(links: Sequence[SiteLink], up: str, lang: str) -> str:
    items = "".join(
        f'<li><a href="{_e(up + link.path)}">{_e(link.label.get(lang) or link.label["es"])}</a>'
        + (f' <span class="muted">({_e(human_size(link.size, lang))})</span>' if link.size else "")
        + "</li>"
        for link in links
    )
    return f'<h2>{_e(text("portal.section.links", lang))}</h2><ul class="links">{items}</ul>'


def _datasets(context: PortalContext, up: str, lang: str) -> str:
    sections = []
    for entry in context.datasets:
        formats = sorted({of_name(r.media_type).label for r in entry.resources})
        body = (
            f'<section id="{_e(entry.identifier)}"><h3>{_e(entry.text("name", lang))}</h3>'
            f"<p>{_e(entry.text('description', lang))}</p>"
            f'<p class="muted">{_e(text("portal.dataset_files", lang, count=len(entry.resources), formats=", ".join(formats)))}</p>'
        )
        if entry.kind in FEATURED_KINDS:
            body += (
                "<ul>"
                + "".join(
                    f'<li><a href="{_e(up + r.path)}">{_e(r.title(lang))}</a> '
                    f'<span class="muted">({_e(human_size(r.size, lang))})</span></li>'
                    for r in entry.listed
                )
                + "</ul>"
            )
        sections.append(body + "</section>")
    return (
        f"<h2>{_e(text('portal.section.datasets', lang))}</h2>"
        f'<div class="datasets">{"".join(sections)}</div>'
    )


def _page(title: str, lang: str, up: str, other: str, body: str, licence: str | None) -> str:
    before, after = _page_frame(title, lang, up, other, licence)
    return before + body + after


def _page_frame(title: str, lang: str, up: str, other: str, licence: str | None) -> tuple[str, str]:
    """A page's markup before and after its body."""
    footer = text("portal.footer", lang, licence=licence) if licence else ""
    before = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f'<header><div class="wrap"><h1>{_e(title)}</h1>'
        f'<a href="{_e(other)}" hreflang="{"en" if lang == "es" else "es"}">'
        f"{_e(text('portal.other_language', lang))}</a></div></header>"
        '<main class="wrap">'
    )
    after = (
        "</main>"
        f'<footer><div class="wrap">{_e(footer)}</div></footer>'
        f'<script src="{_e(up + PORTAL_SCRIPT)}" defer></script></body></html>\n'
    )
    return before, after


def render_index(context: PortalContext, lang: str = "es") -> str:
    """The landing page: links, datasets, the latest days and every month."""
    days = context.days
    shown = days[-LATEST_DAYS:]
    note = (
        text("portal.latest_days", lang, count=len(shown))
        if len(shown) < len(days)
        else text("portal.all_days", lang, count=len(days))
    )
    other = page_name("index", "en" if lang == "es" else "es")
    body = (
        f"<p>{text('portal.intro', lang)}</p>"
        + _synthetic_banner(days, lang)
        + _links(context.links, "", lang)
        + f'<h2>{_e(text("portal.section.days", lang))}</h2><p class="muted">{_e(note)}</p>'
        + (render_costs(context.costs, lang) if context.costs and days else "")
        + _filter(lang)
        + _days_table(shown, "", lang)
        + (_months_nav(days, "", lang) if days else "")
        + _datasets(context, "", lang)
    )
    return _page(text("portal.title", lang), lang, "", other, body, context.licence)


def render_month(context: PortalContext, month: str, lang: str = "es") -> str:
    """A month page: every day of the month (the no-JavaScript way through a long history)."""
    days = [day for day in context.days if day.month == month]
    return _month_page(days, month, lang, context.licence, _months_nav(context.days, "../", lang))


def _month_page(days: Sequence[Day], month: str, lang: str, licence: str | None, nav: str) -> str:
    """``render_month`` given the month's days and the months menu (shared by every month)."""
    head, tail = _month_parts(days, month, lang, licence)
    return head + nav + tail


# The parts of each month page around the months menu, with the inputs they were rendered
# from (the month's days, the licence): a refresh renders again only the months whose days
# changed (their menu changes whenever any month gains a day, so it is rendered once per page).
_MONTH_PARTS: dict[tuple[str, str], tuple[tuple[Day, ...], str | None, tuple[str, str]]] = {}


def _month_parts(
    days: Sequence[Day], month: str, lang: str, licence: str | None
) -> tuple[str, str]:
    key = (month, lang)
    inputs = tuple(days)
    known = _MONTH_PARTS.get(key)
    if known is not None and known[1] == licence and known[0] == inputs:
        return known[2]
    label = month_label(month, lang)
    other = page_name(month, "en" if lang == "es" else "es")
    home = page_name("index", lang)
    title = text("portal.month_title", lang, month=label)
    before, tail = _page_frame(title, lang, "../", other, licence)
    head = (
        before + f'<p><a href="../{_e(home)}">{_e(text("portal.home", lang))}</a></p>'
        f"<h2>{_e(text('portal.section.days', lang))}</h2>"
        f'<p class="muted">{_e(text("portal.month_days", lang, count=len(days), month=label))}</p>'
        + _synthetic_banner(days, lang)
        + _filter(lang)
        + _days_table(days, "../", lang)
    )
    _MONTH_PARTS[key] = (inputs, licence, (head, tail))
    return head, tail


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)


def write_portal(root: Path, context: PortalContext) -> list[Path]:
    """Write the landing page and every month page in both languages (changed ones only)."""
    written = []
    _write_if_changed(root / PORTAL_SCRIPT, PORTAL_JS)
    by_month: dict[str, list[Day]] = defaultdict(list)
    for day in context.days:
        by_month[day.month].append(day)
    for lang in LANGUAGES:
        nav = _months_nav(context.days, "../", lang)
        for month in sorted(by_month):
            path = root / month_page(month, lang)
            page = _month_page(by_month[month], month, lang, context.licence, nav)
            _write_if_changed(path, page.encode())
            written.append(path)
    for lang in LANGUAGES:
        path = root / page_name("index", lang)
        _write_if_changed(path, render_index(context, lang).encode())
        written.append(path)
    return written


def write_quality_page(
    root: Path, dataset: str, days: Sequence[dict[str, Any]], *, lang: Lang = "es"
) -> None:
    """The cumulative quality page, from every published day's quality report."""
    from publication.filecache import remembered
    from quality.report import render_cumulative_html

    reports = []
    for day in days:
        quality = root / day["folder"] / f"{dataset}-{day['date']}-{layout.QUALITY_JSON}"
        report = remembered(
            ("portal.quality", str(quality)), [quality], functools.partial(_report, quality)
        )
        if report is not None:
            reports.append(report)
    link = (
        f"{dataset}/{{yyyy}}/{{mm}}/{{dd}}/{dataset}-{{yyyy}}-{{mm}}-{{dd}}-{layout.QUALITY_HTML}"
    )
    page = render_cumulative_html(reports, lang=lang, link_pattern=link)
    write_atomic(root / QUALITY_PAGE, page.encode())


def _report(path: Path) -> dict[str, Any] | None:
    """A day's quality report (None if it has none, or one without a version)."""
    try:
        report = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    return report if isinstance(report, dict) and "report_version" in report else None


def write_index_page(
    root: Path, dataset: str, days: Sequence[dict[str, Any]] | None = None
) -> None:
    """Rewrite the portal pages from what is published (after anchoring: the anchor status).

    ``days`` is accepted for the anchoring step's call and not needed: everything is read
    from the datasets root. The full refresh (catalogues, feed) is ``publication.site``.
    """
    from publication.listing import day_resources, published_days

    published = published_days(root, dataset)
    resources = day_resources(published)
    context = PortalContext(
        dataset,
        published,
        site_links(root, resources),
        catalogue_datasets(dataset, resources),
        None,
        anchor_costs(root, dataset, published),
    )
    write_portal(root, context)


__all__ = [
    "INDEX_HTML",
    "MONTHS_FOLDER",
    "PORTAL_SCRIPT",
    "QUALITY_PAGE",
    "VERIFIER_PAGE",
    "PortalContext",
    "SiteLink",
    "render_index",
    "render_month",
    "site_links",
    "write_index_page",
    "write_portal",
    "write_quality_page",
]
