"""Texts of the data products: resource titles, data packages, the dictionary and indicator
pages (``publication.datapackage``, ``publication.resources``, ``publication.dictionary_pages``,
``publication.indicators``, ``publication.bulk``)."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- resources of a day (title of each published file; {date} is the day)
    "resource.releases_json": {
        "es": "Paquete de entregas OCDS del {date}",
        "en": "OCDS release package of {date}",
    },
    "resource.releases_jsonl": {
        "es": "Entregas OCDS del {date}, una por línea (hojas del árbol de Merkle)",
        "en": "OCDS releases of {date}, one per line (Merkle tree leaves)",
    },
    "resource.records_json": {
        "es": "Paquete de registros OCDS del {date} (entregas compiladas)",
        "en": "OCDS record package of {date} (compiled releases)",
    },
    "resource.orders_parquet": {
        "es": "Órdenes publicadas el {date} (Parquet, céntimos)",
        "en": "Orders published on {date} (Parquet, cents)",
    },
    "resource.orders_csv": {
        "es": "Órdenes publicadas el {date} (CSV UTF-8 con BOM, céntimos)",
        "en": "Orders published on {date} (CSV UTF-8 with BOM, cents)",
    },
    "resource.quarantine_parquet": {
        "es": "Filas en cuarentena el {date}, con el motivo",
        "en": "Rows quarantined on {date}, with the reason",
    },
    "resource.quality_json": {
        "es": "Informe de calidad del {date} (JSON)",
        "en": "Quality report of {date} (JSON)",
    },
    "resource.quality_html": {
        "es": "Informe de calidad del {date} (página)",
        "en": "Quality report of {date} (page)",
    },
    "resource.datapackage_json": {
        "es": "Descripción Frictionless Data Package del {date}",
        "en": "Frictionless Data Package descriptor of {date}",
    },
    "resource.manifest_json": {
        "es": "Manifiesto del {date}: SHA-256 de cada archivo y raíz de Merkle",
        "en": "Manifest of {date}: SHA-256 of every file and Merkle root",
    },
    "resource.sha256sums": {
        "es": "Sumas SHA-256 del {date} (sha256sum -c)",
        "en": "SHA-256 sums of {date} (sha256sum -c)",
    },
    "resource.anchor_json": {
        "es": "Recibo de anclaje del {date}",
        "en": "Anchor receipt of {date}",
    },
    "resource.file": {"es": "Archivo {name}", "en": "File {name}"},
    # --- resources of the bulk dataset
    "resource.table_file": {
        "es": "{table}, {period} ({format})",
        "en": "{table}, {period} ({format})",
    },
    "resource.releases_bulk": {
        "es": "Entregas OCDS publicadas en {period}, una por línea (JSON Lines comprimido){part}",
        "en": "OCDS releases published in {period}, one per line (compressed JSON Lines){part}",
    },
    "resource.compiled_bulk": {
        "es": "Entregas compiladas (estado más reciente de cada ocid), {period} "
        "(JSON Lines comprimido){part}",
        "en": "Compiled releases (latest state of each ocid), {period} "
        "(compressed JSON Lines){part}",
    },
    "resource.workbook": {
        "es": "Órdenes, productos y entregas de {period} (Excel)",
        "en": "Orders, items and deliveries of {period} (Excel)",
    },
    "resource.part": {"es": ", parte {number} de {parts}", "en": ", part {number} of {parts}"},
    "resource.indicator": {
        "es": "Indicador: {table} ({format})",
        "en": "Indicator: {table} ({format})",
    },
    "resource.bulk_manifest": {
        "es": "Manifiesto de los archivos masivos (hasta el {date})",
        "en": "Manifest of the bulk files (up to {date})",
    },
    "resource.bulk_sums": {
        "es": "Sumas SHA-256 de los archivos masivos (sha256sum -c)",
        "en": "SHA-256 sums of the bulk files (sha256sum -c)",
    },
    "resource.bulk_days": {
        "es": "Días publicados de los que se construyeron los archivos masivos (hojas de Merkle)",
        "en": "Published days the bulk files were built from (Merkle leaves)",
    },
    "resource.bulk_provenance": {
        "es": "Procedencia: de qué días se construyó cada periodo",
        "en": "Provenance: which days each period was built from",
    },
    "resource.bulk_datapackage": {
        "es": "Descripción Frictionless Data Package de los archivos masivos",
        "en": "Frictionless Data Package descriptor of the bulk files",
    },
    "resource.bulk_anchor": {
        "es": "Recibo de anclaje de los archivos masivos",
        "en": "Anchor receipt of the bulk files",
    },
    "resource.dictionary_page": {
        "es": "Diccionario de datos (página)",
        "en": "Data dictionary (page)",
    },
    "resource.indicators_page": {
        "es": "Indicadores de alerta (página)",
        "en": "Red-flag indicators (page)",
    },
    "period.full": {"es": "historia completa", "en": "full history"},
    "period.latest_month": {"es": "último mes ({period})", "en": "latest month ({period})"},
    "period.latest_year": {"es": "último año ({period})", "en": "latest year ({period})"},
    # --- data packages
    "datapackage.day_title": {
        "es": "Órdenes de compra de los Catálogos Electrónicos, {date}",
        "en": "Electronic Catalogue purchase orders, {date}",
    },
    "datapackage.day_description": {
        "es": "Paquete diario (America/Lima) de {dataset}: entregas OCDS 1.1.5, registros, "
        "órdenes en Parquet y CSV, cuarentena e informe de calidad. Cada archivo figura con su "
        "tamaño y SHA-256; el manifiesto del día está anclado en una cadena de bloques.",
        "en": "Daily package (America/Lima) of {dataset}: OCDS 1.1.5 releases, records, orders "
        "as Parquet and CSV, quarantine and quality report. Every file is listed with its size "
        "and SHA-256; the day's manifest is anchored on a blockchain.",
    },
    "datapackage.bulk_title": {
        "es": "Órdenes de compra de los Catálogos Electrónicos: archivos masivos hasta el {date}",
        "en": "Electronic Catalogue purchase orders: bulk files up to {date}",
    },
    "datapackage.bulk_description": {
        "es": "Archivos por mes, año e historia completa construidos a partir de los paquetes "
        "diarios de {dataset}: tablas planas en Parquet y CSV (estado más reciente de cada "
        "orden, sin doble conteo), entregas y entregas compiladas OCDS en JSON Lines comprimido, "
        "un libro Excel por mes e indicadores de alerta.",
        "en": "Files per month, year and full history built from the daily packages of "
        "{dataset}: flat tables as Parquet and CSV (latest state of every order, no double "
        "counting), OCDS releases and compiled releases as compressed JSON Lines, an Excel "
        "workbook per month and red-flag indicators.",
    },
    "datapackage.parquet_note": {
        "es": "Parquet (zstd). El esquema describe sus columnas; el mismo contenido está en el "
        "CSV, que se valida fila por fila.",
        "en": "Parquet (zstd). The schema describes its columns; the same content is in the "
        "CSV, which is validated row by row.",
    },
}
