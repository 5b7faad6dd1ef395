"""Static pages at the datasets root: the portal index and the cumulative quality page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from messages import text
from publication.atomic import write_atomic
from settings import Lang

INDEX_HTML = "index.html"
QUALITY_PAGE = "calidad.html"
VERIFIER_PAGE = "verificar.html"
CATALOGUE_FILES = ("catalog.jsonld", "catalog.json")

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
    "padding:.35rem .5rem;text-align:left}td.n{text-align:right}td.d{white-space:nowrap}"
    "code{font-size:.85em}"
    ".sintetico{background:#fff3cd;border:1px solid #c9a227;padding:.6rem 1rem}"
)


def render_index(root: Path, dataset: str, days: Sequence[dict[str, Any]]) -> str:
    """The landing page: every published day with its files, checksums and anchor status."""
    rows = []
    for day in reversed(days):
        folder = day["folder"]
        names = [
            layout.RELEASE_PACKAGE,
            layout.RELEASES_JSONL,
            layout.RECORD_PACKAGE,
            layout.ORDERS_PARQUET,
            layout.ORDERS_CSV,
            layout.QUARANTINE_PARQUET,
            layout.QUALITY_HTML,
            layout.MANIFEST,
            layout.CHECKSUMS,
        ]
        links = " · ".join(
            f'<a href="{html.escape(folder)}/{dataset}-{day["date"]}-{kind}">{html.escape(kind)}</a>'
            for kind in names
        )
        anchored = "anclado" if day["anchored"] else "pendiente de anclaje"
        if day.get("synthetic"):
            anchored += f" · <strong>{html.escape(text('publication.synthetic_day'))}</strong>"
        rows.append(
            f"<tr><td class=d>{day['date']}</td><td class=n>{day['treeSize']}</td>"
            f"<td>{anchored}</td><td>{links}</td>"
            f"<td><code>{day['manifestSha256'][:16]}…</code></td></tr>"
        )
    extras = (
        [f'<a href="{VERIFIER_PAGE}">Verificar un archivo descargado</a>']
        if (root / VERIFIER_PAGE).exists()
        else []
    )
    extras.append(f'<a href="{QUALITY_PAGE}">Calidad acumulada</a>')
    extras.append(f'<a href="{POLICY_FILE}">Política de publicación</a>')
    extras.append(f'<a href="{layout.INDEX_FILE}">index.json</a>')
    if (root / layout.TRUST_FILE).exists():  # written by the first anchoring
        extras.append(f'<a href="{layout.TRUST_FILE}">trust.json</a>')
    extras += [f'<a href="{name}">{name}</a>' for name in CATALOGUE_FILES if (root / name).exists()]
    synthetic = sum(1 for day in days if day.get("synthetic"))
    banner = (
        f'<p class="sintetico"><strong>'
        f"{html.escape(text('publication.synthetic_banner', count=synthetic))}</strong></p>"
        if synthetic
        else ""
    )
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        f"<title>Órdenes de compra de Catálogos Electrónicos: {dataset}</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Órdenes de compra de los Catálogos Electrónicos (PERÚ COMPRAS)</h1>"
        f"{banner}"
        "<p>Datos abiertos en OCDS 1.1.5, un paquete por día (hora de Lima). Cada día tiene un "
        "manifiesto con el SHA-256 de cada archivo y la raíz Merkle de sus publicaciones (releases "
        "OCDS), anclado en "
        "una cadena EVM: cualquiera puede verificar una descarga con <code>verificar</code>.</p>"
        f"<p>{' · '.join(extras)}</p>"
        "<table><thead><tr><th>Día</th><th>Releases OCDS</th><th>Anclaje</th><th>Archivos</th>"
        "<th>Manifiesto (SHA-256)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


POLICY_FILE = layout.POLICY_FILE
EXTENSIONS_FOLDER = layout.EXTENSIONS_FOLDER


def write_quality_page(
    root: Path, dataset: str, days: Sequence[dict[str, Any]], *, lang: Lang = "es"
) -> None:
    """The cumulative quality page, from every published day's quality report."""
    from quality.report import render_cumulative_html

    reports = []
    for day in days:
        quality = root / day["folder"] / f"{dataset}-{day['date']}-{layout.QUALITY_JSON}"
        if quality.exists():
            report = orjson.loads(quality.read_bytes())
            if isinstance(report, dict) and "report_version" in report:
                reports.append(report)
    link = (
        f"{dataset}/{{yyyy}}/{{mm}}/{{dd}}/{dataset}-{{yyyy}}-{{mm}}-{{dd}}-{layout.QUALITY_HTML}"
    )
    page = render_cumulative_html(reports, lang=lang, link_pattern=link)
    write_atomic(root / QUALITY_PAGE, page.encode())


def write_index_page(root: Path, dataset: str, days: Sequence[dict[str, Any]]) -> None:
    """The landing page (also rewritten after anchoring: it shows each day's anchor status)."""
    write_atomic(root / INDEX_HTML, render_index(root, dataset, days).encode())
