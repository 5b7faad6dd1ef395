"""Texts of the portal pages at the datasets root (landing page and month pages)."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- statuses of a day
    "day.anchor.anchored": {"es": "anclado", "en": "anchored"},
    "day.anchor.pending": {"es": "pendiente de anclaje", "en": "anchor pending"},
    "day.anchor.anchored_late": {
        "es": "anclado (publicación tardía)",
        "en": "anchored (late publication)",
    },
    "day.anchor.anchored_correction": {"es": "anclado (corrección)", "en": "anchored (correction)"},
    "day.quality.ok": {"es": "sin observaciones", "en": "no findings"},
    "day.quality.warning": {"es": "con advertencias", "en": "with warnings"},
    "day.quality.blocked": {"es": "bloqueado", "en": "blocked"},
    "day.quality.unknown": {"es": "sin informe", "en": "no report"},
    # --- page
    "portal.lang": {"es": "es", "en": "en"},
    "portal.title": {
        "es": "Órdenes de compra de los Catálogos Electrónicos (PERÚ COMPRAS)",
        "en": "Electronic catalogue purchase orders (PERÚ COMPRAS)",
    },
    "portal.month_title": {
        "es": "Órdenes de compra de los Catálogos Electrónicos: {month}",
        "en": "Electronic catalogue purchase orders: {month}",
    },
    "portal.intro": {
        "es": (
            "Datos abiertos en OCDS 1.1.5, un paquete por día (hora de Lima). Cada día tiene un "
            "manifiesto con el SHA-256 de cada archivo y la raíz Merkle de sus entregas (releases "
            "OCDS), anclado en una cadena EVM: cualquiera puede verificar una descarga con "
            "<code>verificar</code> o en la página del verificador."
        ),
        "en": (
            "Open data in OCDS 1.1.5, one package per day (Lima time). Each day has a manifest "
            "with the SHA-256 of every file and the Merkle root of its releases, anchored on an "
            "EVM chain: anyone can verify a download with <code>verificar</code> or on the "
            "verifier page."
        ),
    },
    "portal.month_names": {
        "es": "enero;febrero;marzo;abril;mayo;junio;julio;agosto;septiembre;octubre;noviembre;"
        "diciembre",
        "en": "January;February;March;April;May;June;July;August;September;October;November;"
        "December",
    },
    "portal.month_label": {"es": "{name} de {year}", "en": "{name} {year}"},
    "portal.other_language": {"es": "English", "en": "Español"},
    "portal.home": {"es": "Portada", "en": "Home"},
    "portal.section.links": {"es": "Descargas y herramientas", "en": "Downloads and tools"},
    "portal.section.datasets": {"es": "Conjuntos de datos", "en": "Datasets"},
    "portal.section.days": {"es": "Días publicados", "en": "Published days"},
    "portal.section.months": {"es": "Todos los meses", "en": "Every month"},
    "portal.latest_days": {
        "es": "Los últimos {count} días publicados; los anteriores están en las páginas de cada mes.",
        "en": "The latest {count} published days; earlier ones are on each month's page.",
    },
    "portal.all_days": {
        "es": "Todos los días publicados ({count}).",
        "en": "Every published day ({count}).",
    },
    "portal.month_days": {
        "es": "{count} días publicados en {month}.",
        "en": "{count} days published in {month}.",
    },
    "portal.no_days": {"es": "Todavía no hay días publicados.", "en": "No day published yet."},
    "portal.dataset_files": {
        "es": "{count} archivos; tipos: {formats}.",
        "en": "{count} files; formats: {formats}.",
    },
    # --- links (only the ones whose files exist are shown)
    "link.verifier": {"es": "Verificar un archivo descargado", "en": "Verify a downloaded file"},
    "link.quality": {"es": "Calidad acumulada", "en": "Cumulative quality"},
    "link.policy": {"es": "Política de publicación", "en": "Publication policy"},
    "link.index": {"es": "Índice de días (index.json)", "en": "Index of days (index.json)"},
    "link.trust": {"es": "Pin de confianza (trust.json)", "en": "Trust pin (trust.json)"},
    "link.data_json": {"es": "Catálogo DCAT-US (data.json)", "en": "DCAT-US catalogue (data.json)"},
    "link.dcat": {
        "es": "Catálogo DCAT-AP (catalog.jsonld)",
        "en": "DCAT-AP catalogue (catalog.jsonld)",
    },
    "link.ckan": {"es": "Catálogo CKAN (catalog.json)", "en": "CKAN catalogue (catalog.json)"},
    "link.feed": {"es": "Novedades (JSON Feed)", "en": "What's new (JSON Feed)"},
    "link.changes": {
        "es": "Cambios desde una fecha (páginas JSON)",
        "en": "Changes since a date (JSON pages)",
    },
    # --- the table of days
    "table.day": {"es": "Día", "en": "Day"},
    "table.releases": {"es": "Entregas OCDS", "en": "OCDS releases"},
    "table.size": {"es": "Tamaño", "en": "Size"},
    "table.quality": {"es": "Calidad", "en": "Quality"},
    "table.anchor": {"es": "Anclaje", "en": "Anchor"},
    "table.files": {"es": "Archivos", "en": "Files"},
    "table.manifest": {"es": "Manifiesto (SHA-256)", "en": "Manifest (SHA-256)"},
    # --- the date filter (shown only when the script runs)
    "filter.legend": {"es": "Filtrar por fecha", "en": "Filter by date"},
    "filter.from": {"es": "Desde", "en": "From"},
    "filter.to": {"es": "Hasta", "en": "To"},
    "filter.clear": {"es": "Mostrar todos", "en": "Show all"},
    "filter.none": {
        "es": "Ningún día de esta página en ese rango; vea la página del mes:",
        "en": "No day on this page in that range; see the month's page:",
    },
    "size.bytes": {"es": "{value} B", "en": "{value} B"},
    "size.kb": {"es": "{value} kB", "en": "{value} kB"},
    "size.mb": {"es": "{value} MB", "en": "{value} MB"},
    "size.gb": {"es": "{value} GB", "en": "{value} GB"},
    "portal.footer": {
        "es": "Generado a partir de index.json y los manifiestos publicados. Licencia: {licence}.",
        "en": "Generated from index.json and the published manifests. Licence: {licence}.",
    },
    "portal.anchor_costs": {
        "es": "Costo acumulado del anclaje: <strong>{amount} {unit}</strong> ({wei} wei; {gas} de "
        "gas) en {transactions} transacciones para {days} días anclados",
        "en": "Cumulative anchoring cost: <strong>{amount} {unit}</strong> ({wei} wei; {gas} "
        "gas) in {transactions} transactions for {days} anchored days",
    },
    "portal.anchor_costs_dev": {
        "es": " en la cadena de desarrollo (sin valor real)",
        "en": " on the development chain (no real value)",
    },
    "portal.anchor_reference": {
        "es": ". Como referencia, PERÚ COMPRAS informó {yearly} al año por su API de sellado de "
        "tiempo.",
        "en": ". For reference, PERÚ COMPRAS reported {yearly} a year for its time-stamping API.",
    },
    "portal.anchor_pending": {
        "es": " <strong>{count} día(s) pendiente(s) de anclaje</strong>: publicados, se anclarán "
        "cuando la cadena responda.",
        "en": " <strong>{count} day(s) pending anchoring</strong>: published, they will be "
        "anchored when the chain answers.",
    },
}
