"""Static pages at the datasets root: the portal index and the cumulative quality page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from publication.atomic import write_atomic
from publication.writer import ANCHORED, read_anchor_record
from settings import Identity, Lang

INDEX_HTML = "index.html"
QUALITY_PAGE = "calidad.html"
VERIFIER_PAGE = "verificar.html"
CATALOGUE_FILES = ("catalog.jsonld", "catalog.json")

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
    "padding:.35rem .5rem;text-align:left}td.n{text-align:right}td.d{white-space:nowrap}"
    "code{font-size:.85em}"
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
        anchored = "anclado" if day.get("anchored") else "pendiente de anclaje"
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
    extras.append(f'<a href="{layout.TRUST_FILE}">trust.json</a>')
    extras += [f'<a href="{name}">{name}</a>' for name in CATALOGUE_FILES if (root / name).exists()]
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        f"<title>Órdenes de compra de Catálogos Electrónicos: {dataset}</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Órdenes de compra de los Catálogos Electrónicos (PERÚ COMPRAS)</h1>"
        "<p>Datos abiertos en OCDS 1.1.5, un paquete por día (hora de Lima). Cada día tiene un "
        "manifiesto con el SHA-256 de cada archivo y la raíz Merkle de sus publicaciones (releases "
        "OCDS), anclado en "
        "una cadena EVM: cualquiera puede verificar una descarga con <code>verificar</code>.</p>"
        f"<p>{' · '.join(extras)}</p>"
        + render_costs(anchor_costs(root, dataset, days))
        + "<table><thead><tr><th>Día</th><th>Releases OCDS</th><th>Anclaje</th><th>Archivos</th>"
        "<th>Manifiesto (SHA-256)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


POLICY_FILE = layout.POLICY_FILE
EXTENSIONS_FOLDER = layout.EXTENSIONS_FOLDER
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


def anchor_costs(root: Path, dataset: str, days: Sequence[dict[str, Any]]) -> AnchorCosts:
    """Sum gas and fees over the distinct transactions of the anchored days."""
    seen: dict[str, tuple[int, int]] = {}
    anchored = pending = 0
    unit, dev_chain = "ETH", False
    for day in days:
        path = root / day["folder"] / f"{dataset}-{day['date']}-{layout.ANCHOR}"
        record = read_anchor_record(path)
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


def render_costs(costs: AnchorCosts) -> str:
    """The landing page's paragraph on what anchoring costs (and the pending days)."""
    from integrity.chain import wei_to_unit

    parts = [
        f"<p>Costo acumulado del anclaje: <strong>{wei_to_unit(costs.fee_wei)} {html.escape(costs.unit)}</strong> "
        f"({costs.fee_wei} wei; {costs.gas:,} de gas) en {costs.transactions} transacciones para "
        f"{costs.days} días anclados"
    ]
    if costs.dev_chain:
        parts.append(" en la cadena de desarrollo (sin valor real)")
    parts.append(
        f". Como referencia, PERÚ COMPRAS informó {STAMPING_API_YEARLY_PEN} al año por su API de "
        "sellado de tiempo."
    )
    if costs.pending:
        parts.append(
            f" <strong>{costs.pending} día(s) pendiente(s) de anclaje</strong>: publicados, se "
            "anclarán cuando la cadena responda."
        )
    return "".join(parts) + "</p>"


def policy_url(identity: Identity) -> str:
    """The ``publicationPolicy`` URL: the configured one, else the policy served at the root."""
    return identity.policy_url or f"{identity.base_url}/{POLICY_FILE}"


def publish_ocds_documents(root: Path, dataset: str, identity: Identity) -> None:
    """Serve the local OCDS extensions and the publication policy the packages point to."""
    from ocds_mappings.docs import policy_markdown
    from ocds_mappings.extensions import DECLARED_EXTENSIONS, LOCAL_EXTENSIONS_DIR

    for extension in DECLARED_EXTENSIONS:
        if not extension.local:
            continue
        source = LOCAL_EXTENSIONS_DIR / extension.folder
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            target = root / EXTENSIONS_FOLDER / extension.folder / path.relative_to(source)
            if not target.exists() or target.read_bytes() != path.read_bytes():
                write_atomic(target, path.read_bytes())
    write_atomic(root / POLICY_FILE, policy_markdown(identity, dataset).encode("utf-8"))


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
