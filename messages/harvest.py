"""Texts of the harvesting catalogues (data.json, DCAT-AP, CKAN) and the change feed.

Published catalogues are Spanish (a published file never mixes languages); the English texts
serve the English portal page, which lists the same datasets and files.
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- the catalogue itself
    "catalogue.title": {
        "es": "Datos abiertos verificables de PERÚ COMPRAS",
        "en": "Verifiable open data of PERÚ COMPRAS",
    },
    "catalogue.description": {
        "es": (
            "Catálogo de los conjuntos de datos abiertos publicados a partir de los Catálogos "
            "Electrónicos de Acuerdos Marco de PERÚ COMPRAS."
        ),
        "en": (
            "Catalogue of the open datasets published from PERÚ COMPRAS' Electronic "
            "Catalogues of Framework Agreements."
        ),
    },
    "catalogue.keywords": {
        "es": (
            "acuerdos marco;catálogos electrónicos;compras públicas;contrataciones públicas;"
            "datos abiertos;OCDS;órdenes de compra;PERÚ COMPRAS"
        ),
        "en": (
            "framework agreements;electronic catalogues;public procurement;public contracting;"
            "open data;OCDS;purchase orders;PERÚ COMPRAS"
        ),
    },
    "catalogue.spatial": {"es": "Perú", "en": "Peru"},
    "catalogue.window": {
        "es": (
            "Este conjunto lista los archivos de los últimos {days} días publicados; todos los "
            "días anteriores siguen en línea en las mismas direcciones y están en {index_url} "
            "y en la página del portal."
        ),
        "en": (
            "This dataset lists the files of the latest {days} published days; every earlier "
            "day stays online at the same addresses and is listed in {index_url} and on the "
            "portal page."
        ),
    },
    "catalogue.file_description": {
        "es": "{title}. Tamaño: {size} bytes. SHA-256: {sha256}.",
        "en": "{title}. Size: {size} bytes. SHA-256: {sha256}.",
    },
    "catalogue.index_distribution": {
        "es": "Índice de todos los días publicados (JSON)",
        "en": "Index of every published day (JSON)",
    },
    # --- one dataset per kind of file: "{publication}: {name}"
    "kind.title": {"es": "{publication}: {name}", "en": "{publication}: {name}"},
    "kind.publication": {
        "es": "Órdenes de compra de los Catálogos Electrónicos",
        "en": "Electronic catalogue purchase orders",
    },
    "kind.ordenes-ocds.name": {
        "es": "Paquetes OCDS diarios",
        "en": "Daily OCDS packages",
    },
    "kind.ordenes-ocds.description": {
        "es": (
            "Órdenes de compra electrónicas (OCAM) emitidas a través de los Catálogos "
            "Electrónicos de Acuerdos Marco de PERÚ COMPRAS, publicadas por día (America/Lima) "
            "como entregas OCDS 1.1.5: paquete de entregas (JSON), las mismas entregas una por "
            "línea (JSON Lines, hojas del árbol Merkle del día) y paquete de registros con las "
            "entregas compiladas. Cada día tiene un manifiesto con el SHA-256 de cada archivo, "
            "anclado en una cadena de bloques; cualquiera puede comprobarlo con verificar."
        ),
        "en": (
            "Electronic purchase orders (OCAM) issued through PERÚ COMPRAS' Electronic "
            "Catalogues of Framework Agreements, published per day (America/Lima) as OCDS "
            "1.1.5 releases: release package (JSON), the same releases one per line (JSON "
            "Lines, the leaves of the day's Merkle tree) and a record package of compiled "
            "releases. Each day has a manifest with the SHA-256 of every file, anchored on a "
            "blockchain; anyone can check it with verificar."
        ),
    },
    "kind.ordenes-tabla.name": {
        "es": "Tabla plana diaria",
        "en": "Daily flat table",
    },
    "kind.ordenes-tabla.description": {
        "es": (
            "Las órdenes publicadas cada día como tabla plana, una fila por orden, en Parquet y "
            "CSV, con montos exactos en céntimos."
        ),
        "en": (
            "The orders published each day as a flat table, one row per order, in Parquet and "
            "CSV, with exact amounts in cents."
        ),
    },
    "kind.cuarentena.name": {
        "es": "Filas en cuarentena",
        "en": "Quarantined rows",
    },
    "kind.cuarentena.description": {
        "es": (
            "Filas de la fuente que no superaron las reglas de calidad, publicadas aparte cada "
            "día con el archivo, la línea, el campo, la regla y el mensaje."
        ),
        "en": (
            "Source rows that failed the quality rules, published apart each day with the "
            "file, line, field, rule and message."
        ),
    },
    "kind.calidad.name": {
        "es": "Informes de calidad diarios",
        "en": "Daily quality reports",
    },
    "kind.calidad.description": {
        "es": (
            "Informe de calidad de cada día (JSON y HTML): filas leídas, publicadas y en "
            "cuarentena por regla, y el resultado de cada comprobación."
        ),
        "en": (
            "Each day's quality report (JSON and HTML): rows read, published and quarantined "
            "per rule, and the result of every check."
        ),
    },
    "kind.verificacion.name": {
        "es": "Manifiestos y anclajes",
        "en": "Manifests and anchors",
    },
    "kind.verificacion.description": {
        "es": (
            "Manifiesto de cada día (SHA-256 y tamaño de cada archivo, raíz Merkle, enlace al "
            "día anterior), sumas SHA256SUMS que acepta sha256sum -c y el recibo del anclaje en "
            "la cadena de bloques."
        ),
        "en": (
            "Each day's manifest (SHA-256 and size of every file, Merkle root, link to the "
            "previous day), SHA256SUMS checksums that sha256sum -c accepts and the receipt of "
            "the blockchain anchor."
        ),
    },
    "kind.masivos.name": {
        "es": "Archivos masivos",
        "en": "Bulk files",
    },
    "kind.masivos.description": {
        "es": "Archivos por mes, por año y de toda la historia, y los últimos estados.",
        "en": "Files per month, per year and for the whole history, and the latest states.",
    },
    "kind.diccionario.name": {
        "es": "Diccionario de datos",
        "en": "Data dictionary",
    },
    "kind.diccionario.description": {
        "es": "Descripción de cada columna de las tablas publicadas.",
        "en": "Description of every column of the published tables.",
    },
    "kind.indicadores.name": {
        "es": "Indicadores de alerta",
        "en": "Red-flag indicators",
    },
    "kind.indicadores.description": {
        "es": "Indicadores mensuales de riesgo calculados sobre las tablas publicadas.",
        "en": "Monthly risk indicators computed on the published tables.",
    },
    "kind.other.name": {
        "es": "{kind}",
        "en": "{kind}",
    },
    "kind.other.description": {
        "es": "Archivos del tipo «{kind}».",
        "en": "Files of kind “{kind}”.",
    },
    # --- one title per file of a day (period = YYYY-MM-DD)
    "listing.releases_json": {
        "es": "{period}: paquete de entregas OCDS (JSON)",
        "en": "{period}: OCDS release package (JSON)",
    },
    "listing.releases_jsonl": {
        "es": "{period}: entregas OCDS, una por línea (JSON Lines; hojas del árbol Merkle)",
        "en": "{period}: OCDS releases, one per line (JSON Lines; Merkle tree leaves)",
    },
    "listing.records_json": {
        "es": "{period}: paquete de registros OCDS (JSON)",
        "en": "{period}: OCDS record package (JSON)",
    },
    "listing.orders": {
        "es": "{period}: órdenes de compra (tabla plana)",
        "en": "{period}: purchase orders (flat table)",
    },
    "listing.quarantine": {
        "es": "{period}: filas en cuarentena",
        "en": "{period}: quarantined rows",
    },
    "listing.quality_json": {
        "es": "{period}: informe de calidad (JSON)",
        "en": "{period}: quality report (JSON)",
    },
    "listing.quality_html": {
        "es": "{period}: informe de calidad (página)",
        "en": "{period}: quality report (page)",
    },
    "listing.manifest": {
        "es": "{period}: manifiesto (SHA-256 de cada archivo y raíz Merkle)",
        "en": "{period}: manifest (SHA-256 of every file and Merkle root)",
    },
    "listing.checksums": {
        "es": "{period}: sumas SHA256SUMS",
        "en": "{period}: SHA256SUMS checksums",
    },
    "listing.anchor": {
        "es": "{period}: recibo del anclaje en la cadena de bloques",
        "en": "{period}: blockchain anchor receipt",
    },
    "listing.other": {"es": "{period}: archivo", "en": "{period}: file"},
    # --- the change feed
    "feed.title": {
        "es": "Días publicados: órdenes de compra de los Catálogos Electrónicos",
        "en": "Published days: electronic catalogue purchase orders",
    },
    "feed.description": {
        "es": (
            "Un elemento por día publicado, actualizado cuando el día se ancla o se corrige. "
            "Los cambios detallados (cada entrega añadida) están en {changes_url}."
        ),
        "en": (
            "One item per published day, updated when the day is anchored or corrected. "
            "Detailed changes (every release added) are in {changes_url}."
        ),
    },
    "feed.item_title": {
        "es": "{date}: {releases} entregas OCDS ({anchor})",
        "en": "{date}: {releases} OCDS releases ({anchor})",
    },
    "feed.item_text": {
        "es": (
            "Día {date}: {releases} entregas OCDS, {size} en {files} archivos. Anclaje: "
            "{anchor}. Calidad: {quality}. Manifiesto SHA-256 {manifest_sha256}."
        ),
        "en": (
            "Day {date}: {releases} OCDS releases, {size} in {files} files. Anchor: {anchor}. "
            "Quality: {quality}. Manifest SHA-256 {manifest_sha256}."
        ),
    },
}
