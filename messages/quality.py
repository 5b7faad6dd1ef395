"""Texts of the quality layer and the day steps: rule descriptions, quarantined-row messages,
check messages, OCDS output checks and the quality report.

- ``rule.*``: what a rule checks (the quality report, Dagster check descriptions);
- ``row.*``: why a row is quarantined: the raw value, the rule in words, what a publisher would
  change (a rule the readers also apply uses their ``cell.*`` text, ``messages/source.py``);
- ``gate.*``, ``step.*``, ``ocdscheck.*``: check messages;
- ``report.*``: the quality report's labels.
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- rule descriptions: orders
    "rule.table_required_columns": {
        "es": "La tabla normalizada tiene todas las columnas requeridas",
        "en": "The normalised table has every required column",
    },
    "rule.not_null": {"es": "{column} no está vacío", "en": "{column} is not empty"},
    "rule.agreement_code_known": {
        "es": (
            "El acuerdo marco tiene código oficial (los acuerdos sin código oficial se publican "
            "con su nombre y una advertencia)"
        ),
        "en": (
            "The framework agreement has an official code (agreements without one are "
            "published with their name and a warning)"
        ),
    },
    "rule.order_number_unique": {
        "es": (
            "Cada orden electrónica aparece una sola vez en la foto del día (se ponen en "
            "cuarentena todas las repeticiones)"
        ),
        "en": "Each order number appears once per snapshot (every duplicate is quarantined)",
    },
    "rule.ruc_valid": {
        "es": "{column}: 11 dígitos, prefijo 10/15/17/20 y dígito verificador módulo 11",
        "en": "{column}: 11 digits, prefix 10/15/17/20 and modulo-11 check digit",
    },
    "rule.status_known": {
        "es": (
            "El estado de la orden es uno de los documentados (ACEPTADA, PAGADA, RESUELTA, ORDEN "
            "DE COMPRA NULA); otro estado se publica tal cual con una advertencia"
        ),
        "en": (
            "The order status is a documented one (ACEPTADA, PAGADA, RESUELTA, ORDEN DE COMPRA "
            "NULA); another status is published as is with a warning"
        ),
    },
    "rule.procedure_type_known": {
        "es": (
            "El tipo de procedimiento es uno de los documentados (Compra ordinaria, Gran Compra); "
            "otro tipo se publica tal cual con una advertencia"
        ),
        "en": (
            "The procedure type is a documented one (Compra ordinaria, Gran Compra); another "
            "type is published as is with a warning"
        ),
    },
    "rule.url": {
        "es": "{column}, si está, es una URL http(s) absoluta",
        "en": "{column}, when present, is an absolute http(s) URL",
    },
    "rule.iso_datetime": {
        "es": "{column} tiene formato ISO 8601 con -05:00",
        "en": "{column} is ISO 8601 with -05:00",
    },
    "rule.last_status_at_not_before_formalized": {
        "es": "FECHA_ÚLTIMO_ESTADO no es anterior a FECHA_FORMALIZACIÓN",
        "en": "The last status date is not before the formalisation date",
    },
    "rule.process_time_not_before_last_status": {
        "es": "FECHA_PROCESO no es anterior a FECHA_ÚLTIMO_ESTADO",
        "en": "The process (extraction) time is not before the last status date",
    },
    "rule.total_cents_sum": {
        "es": "TOTAL = SUB_TOTAL + IGV al céntimo",
        "en": "TOTAL = SUB_TOTAL + IGV to the cent",
    },
    "rule.igv_cents_rate": {
        "es": "IGV es 0 o el 18 % del subtotal redondeado (±1 céntimo)",
        "en": "IGV is 0 or 18% of the subtotal, rounded (±1 cent)",
    },
    "rule.igv_cents_not_above_rate": {
        "es": "IGV no supera el 18 % del subtotal redondeado (+1 céntimo)",
        "en": "IGV does not exceed 18% of the subtotal, rounded (+1 cent)",
    },
    "rule.positive_or_void": {
        "es": "{column} > 0 (0 se admite en ORDEN DE COMPRA NULA)",
        "en": "{column} > 0 (0 allowed on ORDEN DE COMPRA NULA)",
    },
    "rule.igv_cents_non_negative": {"es": "IGV no es negativo", "en": "IGV is not negative"},
    "rule.table_row_count": {
        "es": "El número de órdenes del día está en la banda esperada para el día de la semana",
        "en": "The day's order count is within the expected band for its weekday",
    },
    "rule.unknown_share": {
        "es": "La proporción de valores desconocidos en {column} está bajo el umbral",
        "en": "The share of unknown {column} values is under the threshold",
    },
    # --- rule descriptions: order lines (detailed export)
    "rule.lines_required_columns": {
        "es": "La tabla de líneas tiene todas las columnas requeridas",
        "en": "The lines table has every required column",
    },
    "rule.line_not_null": {
        "es": "{column} no está vacío en la línea",
        "en": "{column} is not empty on the line",
    },
    "rule.lines_line_id_unique": {
        "es": (
            "Cada línea aparece una sola vez en su orden (se ponen en cuarentena todas las "
            "repeticiones)"
        ),
        "en": "Each line id appears once within its order (every duplicate is quarantined)",
    },
    "rule.lines_quantity_positive": {
        "es": "Cantidad Entrega es mayor que 0",
        "en": "The quantity is greater than 0",
    },
    "rule.lines_unit_price_non_negative": {
        "es": "Precio Unitario no es negativo",
        "en": "The unit price is not negative",
    },
    "rule.lines_unit_freight_non_negative": {
        "es": "Monto Flete Unitario no es negativo",
        "en": "The unit freight is not negative",
    },
    "rule.lines_subtotal_formula": {
        "es": "Sub Total = redondeo(Cantidad Entrega × Precio Unitario, medio hacia arriba) al céntimo",
        "en": "Sub Total = round_half_up(quantity × unit price), to the cent",
    },
    "rule.lines_igv_within_rate": {
        "es": "IGV Entrega está entre 0 y el 18 % del Sub Total redondeado (+1 céntimo)",
        "en": "IGV is between 0 and 18% of the subtotal, rounded (+1 cent)",
    },
    "rule.lines_delivery_dates_ordered": {
        "es": "Fecha Fin Entrega no es anterior a Fecha Inicio Entrega",
        "en": "The delivery end is not before the delivery start",
    },
    "rule.lines_delivery_days_non_negative": {
        "es": "Plazo Entrega no es negativo",
        "en": "The delivery term is not negative",
    },
    "rule.lines_order_incomplete": {
        "es": (
            "Otra línea de la misma orden está en cuarentena: la orden se publica completa o no "
            "se publica"
        ),
        "en": (
            "Another line of the same order is quarantined: an order is published whole or not "
            "at all"
        ),
    },
    # --- rule descriptions: quotations
    "rule.quotations_required_columns": {
        "es": "La tabla de cotizaciones tiene todas las columnas requeridas",
        "en": "The quotations table has every required column",
    },
    "rule.quotation_not_null": {
        "es": "{column} no está vacío en la cotización",
        "en": "{column} is not empty on the quotation",
    },
    "rule.quotations_total_positive": {
        "es": "El TOTAL cotizado es mayor que 0",
        "en": "The quoted total is greater than 0",
    },
    "rule.quotations_status_known": {
        "es": "ESTADO es uno de {allowed}",
        "en": "The status is one of {allowed}",
    },
    "rule.quotations_selected_matches_status": {
        "es": "selected es verdadero exactamente cuando ESTADO es {selected}",
        "en": "selected is true exactly when the status is {selected}",
    },
    "rule.quotations_one_selected_per_order": {
        "es": (
            "Cada orden tiene exactamente una cotización {selected} (se ponen en cuarentena "
            "todas las cotizaciones de la orden)"
        ),
        "en": (
            "Each order has exactly one {selected} quotation (every quotation of the order is "
            "quarantined)"
        ),
    },
    "rule.quotations_one_per_supplier": {
        "es": (
            "Un proveedor cotiza una sola vez por orden (se ponen en cuarentena todas las "
            "repeticiones)"
        ),
        "en": "A supplier quotes at most once per order (every duplicate is quarantined)",
    },
    "rule.quotations_order_incomplete": {
        "es": (
            "Otra cotización de la misma orden está en cuarentena: las cotizaciones de una orden "
            "se publican todas o ninguna"
        ),
        "en": (
            "Another quotation of the same order is quarantined: an order's quotations are "
            "published all together or not at all"
        ),
    },
    # --- why a row is quarantined: value, rule in words, what to change
    "row.not_null": {
        "es": "{column} está vacío y es obligatorio: complete el valor en la fuente.",
        "en": "{column} is empty and required: fill in the value in the source.",
    },
    "row.unique": {
        "es": (
            "{column} {value} aparece {count} veces; cada orden aparece una sola vez y todas "
            "las copias se retienen hasta que la fuente se corrija: deje una sola fila por orden."
        ),
        "en": (
            "{column} {value} appears {count} times; each order appears once and every copy is "
            "held back until the source is corrected: keep one row per order."
        ),
    },
    "row.unique_in_order": {
        "es": (
            "{column} {value} se repite {count} veces en la orden {order}; cada una aparece una "
            "sola vez por orden: deje una sola fila."
        ),
        "en": (
            "{column} {value} is repeated {count} times in order {order}; each appears once per "
            "order: keep a single row."
        ),
    },
    "row.unique_pair": {
        "es": (
            "{column} {value} cotiza {count} veces en la orden {order}; un proveedor cotiza una "
            "sola vez por orden: deje una sola cotización."
        ),
        "en": (
            "{column} {value} quotes {count} times for order {order}; a supplier quotes once per "
            "order: keep a single quotation."
        ),
    },
    "row.iso_datetime": {
        "es": (
            "{column} {value} no es una fecha y hora ISO 8601 con -05:00: revise la fecha en la "
            "fuente."
        ),
        "en": "{column} {value} is not an ISO 8601 date-time with -05:00: check the source date.",
    },
    "row.url": {
        "es": (
            "{column} {value} no es una URL http(s) absoluta (https://servidor/ruta): corrija el "
            "enlace en la fuente o déjelo vacío."
        ),
        "en": (
            "{column} {value} is not an absolute http(s) URL (https://host/path): fix the link "
            "in the source or leave it empty."
        ),
    },
    "row.not_before": {
        "es": (
            "{column} {value} es anterior a {other} {other_value} y no puede serlo: corrija las "
            "fechas en la fuente."
        ),
        "en": (
            "{column} {value} is before {other} {other_value}, which cannot be: fix the dates in "
            "the source."
        ),
    },
    "row.sum": {
        "es": (
            "TOTAL {total} no es SUB_TOTAL {subtotal} + IGV {igv} (= {expected}): corrija los "
            "importes en la fuente."
        ),
        "en": (
            "TOTAL {total} is not SUB_TOTAL {subtotal} + IGV {igv} (= {expected}): fix the "
            "amounts in the source."
        ),
    },
    "row.igv_band": {
        "es": (
            "IGV {igv} no es 0 ni el 18 % de SUB_TOTAL {subtotal} ({expected} ± 0.01): revise si "
            "la orden mezcla ítems exonerados."
        ),
        "en": (
            "IGV {igv} is neither 0 nor 18% of SUB_TOTAL {subtotal} ({expected} ± 0.01): check "
            "whether the order mixes exempt items."
        ),
    },
    "row.igv_cap": {
        "es": (
            "IGV {igv} supera el 18 % de SUB_TOTAL {subtotal} ({cap} como máximo, con 1 céntimo "
            "de tolerancia): corrija el IGV en la fuente."
        ),
        "en": (
            "IGV {igv} exceeds 18% of SUB_TOTAL {subtotal} ({cap} at most, with 1 cent of "
            "tolerance): fix the IGV in the source."
        ),
    },
    "row.igv_range": {
        "es": (
            "{column} {igv} no está entre 0 y el 18 % del Sub Total {subtotal} ({cap} como "
            "máximo): corrija el IGV de la línea."
        ),
        "en": (
            "{column} {igv} is not between 0 and 18% of Sub Total {subtotal} ({cap} at most): "
            "fix the line's IGV."
        ),
    },
    "row.positive_or_void": {
        "es": (
            "{column} {value} no es mayor que 0; solo una ORDEN DE COMPRA NULA puede tener "
            "importe 0: corrija el importe o el estado en la fuente."
        ),
        "en": (
            "{column} {value} is not above 0; only an ORDEN DE COMPRA NULA may have a 0 amount: "
            "fix the amount or the status in the source."
        ),
    },
    "row.positive": {
        "es": "{column} {value} no es mayor que 0: corrija el valor en la fuente.",
        "en": "{column} {value} is not above 0: fix the value in the source.",
    },
    "row.non_negative": {
        "es": "{column} {value} es negativo: corrija el valor en la fuente.",
        "en": "{column} {value} is negative: fix the value in the source.",
    },
    "row.subtotal_formula": {
        "es": (
            "{column} {value} no es Cantidad Entrega × Precio Unitario ({quantity} × {price}) "
            "redondeado al céntimo: corrija la cantidad, el precio o el subtotal."
        ),
        "en": (
            "{column} {value} is not Cantidad Entrega × Precio Unitario ({quantity} × {price}) "
            "rounded to the cent: fix the quantity, the price or the subtotal."
        ),
    },
    "row.flag_matches_status": {
        "es": (
            "{column} {value} no corresponde a ESTADO {status}: revise el lector de cotizaciones."
        ),
        "en": "{column} {value} does not match ESTADO {status}: check the quotation reader.",
    },
    "row.one_selected": {
        "es": (
            "La orden {order} tiene {count} cotizaciones SELECCIONADA; cada orden tiene "
            "exactamente una: se retienen todas sus cotizaciones hasta que la fuente se corrija; "
            "deje una sola cotización SELECCIONADA."
        ),
        "en": (
            "Order {order} has {count} SELECCIONADA quotations; each order has exactly one: "
            "all its quotations are held back until the source is corrected; keep a single "
            "SELECCIONADA quotation."
        ),
    },
    "row.order_incomplete": {
        "es": (
            "Otra fila de la orden {order} está en cuarentena; la orden se publica completa: "
            "corrija la otra fila."
        ),
        "en": (
            "Another row of order {order} is quarantined; an order is published whole: fix the "
            "other row."
        ),
    },
    "row.line_order_incomplete": {
        "es": (
            "Otra línea de la orden {order} está en cuarentena; una orden se publica completa o "
            "no se publica: corrija la otra línea."
        ),
        "en": (
            "Another line of order {order} is quarantined; an order is published whole or not "
            "at all: fix the other line."
        ),
    },
    "row.quotation_order_incomplete": {
        "es": (
            "Otra cotización de la orden {order} está en cuarentena; las cotizaciones de una "
            "orden se publican todas o ninguna: corrija la otra cotización."
        ),
        "en": (
            "Another quotation of order {order} is quarantined; an order's quotations are "
            "published all together or not at all: fix the other quotation."
        ),
    },
    "row.generic": {
        "es": "{column} {value} no cumple la regla «{rule}»: corrija el valor en la fuente.",
        "en": '{column} {value} breaks the rule "{rule}": fix the value in the source.',
    },
    # --- rows the OCDS mapping holds back (publication.steps.mapping.explained)
    "map.required": {
        "es": "{column} está vacío y es obligatorio para publicar la orden: complételo en la fuente.",
        "en": "{column} is empty and required to publish the order: fill it in the source.",
    },
    "map.date_format": {
        "es": "{column} {value} no es una fecha y hora ISO 8601 con -05:00: revise la fuente.",
        "en": "{column} {value} is not an ISO 8601 date-time with -05:00: check the source.",
    },
    "map.total_mismatch": {
        "es": "{column} {value} no es SUB_TOTAL + IGV: corrija los importes en la fuente.",
        "en": "{column} {value} is not SUB_TOTAL + IGV: fix the amounts in the source.",
    },
    "map.amount_range": {
        "es": (
            "{column} {value} es negativo o demasiado grande para publicarse exacto: revise el "
            "importe en la fuente."
        ),
        "en": (
            "{column} {value} is negative or too large to publish exactly: check the amount in "
            "the source."
        ),
    },
    "map.several_order_numbers": {
        "es": (
            "{column} {value}: la misma orden aparece con varios sufijos de entrega el mismo "
            "día; una orden es un solo proceso de contratación: deje un solo número por orden."
        ),
        "en": (
            "{column} {value}: the same order appears with several delivery suffixes on one "
            "day; an order is one contracting process: keep one number per order."
        ),
    },
    "map.status_date_before_published": {
        "es": (
            "{column} {value} es anterior al estado de la orden ya publicado; un estado nuevo "
            "no puede ser más antiguo: revise la foto del archivo fuente."
        ),
        "en": (
            "{column} {value} is before the order's state already published; a new state "
            "cannot be older: check the source file's snapshot."
        ),
    },
    "row.release_invalid": {
        "es": (
            "La release de la orden {order} no es válida según el esquema OCDS ({path}: "
            "{error}): la orden se retiene; revise ese valor en la fuente."
        ),
        "en": (
            "The release of order {order} is not valid against the OCDS schema ({path}: "
            "{error}): the order is held back; check that value in the source."
        ),
    },
    # --- check messages of the gates
    "gate.rows_ok": {"es": "{rule}: ninguna fila falla", "en": "{rule}: no row fails"},
    "gate.rows_quarantined": {
        "es": "{rule}: {count} filas en cuarentena; valores más frecuentes: {top}",
        "en": "{rule}: {count} rows quarantined; most frequent values: {top}",
    },
    "gate.rows_warned": {
        "es": "{rule}: {count} filas publicadas con advertencia; valores más frecuentes: {top}",
        "en": "{rule}: {count} rows published with a warning; most frequent values: {top}",
    },
    "gate.required_columns_ok": {
        "es": "Están todas las columnas requeridas",
        "en": "All required columns present",
    },
    "gate.required_columns_missing": {
        "es": (
            "Faltan columnas requeridas en la tabla {table}: {names}. Revise {producer} o el "
            "encabezado del archivo fuente (docs/source-formats.md)."
        ),
        "en": (
            "Required columns missing from the {table} table: {names}. Check {producer} or the "
            "source file header (docs/source-formats.md)."
        ),
    },
    "gate.orders_table": {"es": "de órdenes", "en": "orders"},
    "gate.lines_table": {"es": "de líneas", "en": "lines"},
    "gate.quotations_table": {"es": "de cotizaciones", "en": "quotations"},
    "gate.row_count": {
        "es": "{rows} órdenes el {day}; banda esperada {band}",
        "en": "{rows} orders on {day}; expected band {band}",
    },
    "gate.row_count_no_day": {
        "es": "Sin día: banda no evaluada",
        "en": "No day: band not evaluated",
    },
    "gate.unknown_share": {
        "es": "{column}: {unknown} de {rows} filas desconocidas ({share}); umbral {threshold}",
        "en": "{column}: {unknown} of {rows} rows unknown ({share}); threshold {threshold}",
    },
    "gate.gx_agrees": {
        "es": "Great Expectations ({count} expectativas) coincide con las reglas",
        "en": "Great Expectations ({count} expectations) agrees with the rules",
    },
    "gate.gx_disagrees": {
        "es": "Great Expectations discrepa de las reglas en: {names}",
        "en": "Great Expectations disagrees with the rules on: {names}",
    },
    # --- checks of the day steps
    "step.gx_cross_check_off": {
        "es": (
            "no evaluado: el operador desactivó la verificación cruzada con Great Expectations "
            "(gx_cross_check = false, PERUCOMPRAS_GX_CROSS_CHECK); las reglas decidieron solas"
        ),
        "en": (
            "not evaluated: the operator turned the Great Expectations cross-check off "
            "(gx_cross_check = false, PERUCOMPRAS_GX_CROSS_CHECK); the rules alone decided"
        ),
    },
    "step.not_evaluated_nothing": {
        "es": "no evaluado: nada que verificar este día (sin archivo o sin filas para sus columnas)",
        "en": "not evaluated: nothing to check this day (no file, or no rows for its columns)",
    },
    "step.warnings_check": {
        "es": "Reglas que avisan sin bloquear el día, una entrada de metadatos por regla: {names}",
        "en": "Rules that warn without blocking the day, one metadata entry per rule: {names}",
    },
    "step.warnings_none": {
        "es": "sin avisos: {evaluated} regla(s) evaluada(s), {skipped} no evaluada(s)",
        "en": "no warnings: {evaluated} rule(s) evaluated, {skipped} not evaluated",
    },
    "step.warnings_found": {
        "es": "{count} regla(s) de aviso encontraron algo: {found}",
        "en": "{count} warning rule(s) found something: {found}",
    },
    "step.warnings_more": {
        "es": "y {count} más",
        "en": "and {count} more",
    },
    "step.files_read": {
        "es": "{count} archivo(s) leído(s): {names}",
        "en": "{count} file(s) read: {names}",
    },
    "step.files_expected_format": {
        "es": "Menos de la mitad de las filas de cada archivo fallan las reglas de fila",
        "en": "Fewer than half the rows of each file fail the row rules",
    },
    "step.rows_reconcile": {
        "es": "{source} filas de origen = {passed} aprobadas + {quarantined} en cuarentena",
        "en": "{source} source rows = {passed} passed + {quarantined} quarantined",
    },
    "step.rows_do_not_reconcile": {
        "es": (
            "{source} filas de origen ≠ {passed} aprobadas + {quarantined} en cuarentena: se "
            "perdieron o duplicaron filas"
        ),
        "en": (
            "{source} source rows ≠ {passed} passed + {quarantined} quarantined: rows were lost "
            "or duplicated"
        ),
    },
    "step.releases_valid": {
        "es": "{count} releases válidas según el esquema OCDS 1.1.5 con extensiones",
        "en": "{count} releases valid against the OCDS 1.1.5 schema with extensions",
    },
    "step.releases_invalid": {
        "es": "{count} releases inválidas: {first}",
        "en": "{count} invalid releases: {first}",
    },
    "step.closed_codelists_ok": {
        "es": "todos los valores están en sus listas de códigos cerradas",
        "en": "every value is in its closed codelist",
    },
    "step.closed_codelists_bad": {
        "es": "fuera de una lista de códigos cerrada: {values}",
        "en": "outside a closed codelist: {values}",
    },
    "step.open_codelists_ok": {
        "es": "todos los valores están en sus listas de códigos abiertas",
        "en": "every value is in its open codelist",
    },
    "step.open_codelists_bad": {
        "es": "fuera de una lista de códigos abierta: {values}",
        "en": "outside an open codelist: {values}",
    },
    "step.files_match": {
        "es": "todos los archivos coinciden con el manifiesto",
        "en": "every file matches the manifest",
    },
    "step.anchored_day_unchanged": {
        "es": "el día publicado coincide con las fuentes actuales",
        "en": "the published day matches the current sources",
    },
    "step.anchored_day_changed": {
        "es": (
            "las fuentes cambiaron después de anclar este día: se mantiene tal como se ancló y "
            "los estados nuevos se publican en el siguiente día (política de publicación)"
        ),
        "en": (
            "the sources changed after this day was anchored: it stays as anchored and the new "
            "states are published in the next day (publication policy)"
        ),
    },
    # --- OCDS output checks
    "ocdscheck.rows_reconcile": {
        "es": "Filas fuente {source} = aprobadas {passed} + cuarentena {quarantined}",
        "en": "Source rows {source} = passed {passed} + quarantined {quarantined}",
    },
    "ocdscheck.rows_do_not_reconcile": {
        "es": (
            "Las filas no cuadran: fuente {source} ≠ aprobadas {passed} + cuarentena {quarantined}"
        ),
        "en": (
            "Rows do not reconcile: source {source} ≠ passed {passed} + quarantined {quarantined}"
        ),
    },
    "ocdscheck.prefix_ok": {
        "es": "Todos los ocid empiezan por {prefix}-",
        "en": "Every ocid starts with {prefix}-",
    },
    "ocdscheck.prefix_bad": {
        "es": "{count} releases con ocid sin el prefijo {prefix}- (p. ej. {first})",
        "en": "{count} releases whose ocid lacks the prefix {prefix}- (e.g. {first})",
    },
    "ocdscheck.ids_unique": {"es": "Los id de release son únicos", "en": "Release ids are unique"},
    "ocdscheck.ids_repeated": {
        "es": "id de release repetidos: {repeated}; sin id: {missing}",
        "en": "Repeated release ids: {repeated}; no id: {missing}",
    },
    "ocdscheck.dates_increase": {
        "es": "Las fechas de release crecen estrictamente dentro de cada ocid",
        "en": "Release dates strictly increase within each ocid",
    },
    "ocdscheck.dates_tied": {
        "es": "{tied} ocid con releases de igual fecha; {undated} sin fecha válida",
        "en": "{tied} ocids with releases on the same date; {undated} undated",
    },
    "ocdscheck.parties_ok": {
        "es": "Toda parte referenciada existe en parties",
        "en": "Every referenced party exists in parties",
    },
    "ocdscheck.parties_missing": {
        "es": "{count} referencias a partes inexistentes (p. ej. {path} = {party} en {release})",
        "en": "{count} references to missing parties (e.g. {path} = {party} in {release})",
    },
    "ocdscheck.values_ok": {
        "es": "Los valores de {section} coinciden al céntimo con la fuente",
        "en": "{section} values equal the source to the cent",
    },
    "ocdscheck.values_differ": {
        "es": (
            "{count} releases con valor de {section} distinto de la fuente (p. ej. {release}: "
            "{found} vs {expected} céntimos)"
        ),
        "en": (
            "{count} releases whose {section} value differs from the source (e.g. {release}: "
            "{found} vs {expected} cents)"
        ),
    },
    "ocdscheck.releases_reconcile": {
        "es": "{releases} releases para {orders} órdenes aprobadas (≥ 1 por orden)",
        "en": "{releases} releases for {orders} passed orders (≥ 1 per order)",
    },
    "ocdscheck.releases_do_not_reconcile": {
        "es": (
            "Releases y órdenes no cuadran: {without_release} órdenes sin release, "
            "{without_order} releases sin orden"
        ),
        "en": (
            "Releases and orders do not reconcile: {without_release} orders without release, "
            "{without_order} releases without order"
        ),
    },
    # --- the quality report's labels
    "report.title": {"es": "Informe de calidad", "en": "Quality report"},
    "report.cumulative": {"es": "Calidad acumulada", "en": "Cumulative quality"},
    "report.day": {"es": "Día", "en": "Day"},
    "report.rows_in": {"es": "Filas de origen", "en": "Source rows"},
    "report.published": {"es": "Publicadas", "en": "Published"},
    "report.quarantined": {"es": "En cuarentena", "en": "Quarantined"},
    "report.by_rule": {"es": "Cuarentena por regla", "en": "Quarantine by rule"},
    "report.rule": {"es": "Regla", "en": "Rule"},
    "report.rows": {"es": "Filas", "en": "Rows"},
    "report.checks": {"es": "Controles", "en": "Checks"},
    "report.check": {"es": "Control", "en": "Check"},
    "report.result": {"es": "Resultado", "en": "Result"},
    "report.severity": {"es": "Severidad", "en": "Severity"},
    "report.message": {"es": "Mensaje", "en": "Message"},
    "report.passed": {"es": "correcto", "en": "passed"},
    "report.failed": {"es": "fallido", "en": "failed"},
    "report.block": {"es": "bloqueante", "en": "blocking"},
    "report.warn": {"es": "advertencia", "en": "warning"},
    "report.status": {"es": "Estado", "en": "Status"},
    "report.ok": {"es": "correcto", "en": "ok"},
    "report.blocked": {"es": "bloqueado", "en": "blocked"},
    "report.warning": {"es": "con advertencias", "en": "with warnings"},
    "report.sample": {"es": "Muestra de filas en cuarentena", "en": "Sample of quarantined rows"},
    "report.file": {"es": "Archivo", "en": "File"},
    "report.line": {"es": "Línea", "en": "Line"},
    "report.none": {"es": "Ninguna", "en": "None"},
    "report.total": {"es": "Total", "en": "Total"},
    "report.failed_checks": {"es": "Controles fallidos", "en": "Failed checks"},
    "report.not_evaluated": {"es": "Controles no evaluados", "en": "Checks not evaluated"},
    "report.reason": {"es": "Motivo", "en": "Reason"},
    "report.value": {"es": "Valor", "en": "Value"},
    "report.warnings": {
        "es": "Publicado con advertencias",
        "en": "Published with warnings",
    },
    "report.agreements_without_code": {
        "es": "Acuerdos sin código oficial",
        "en": "Agreements without an official code",
    },
    "report.agreements_without_code_explanation": {
        "es": (
            "Órdenes publicadas con el acuerdo marco conocido solo por su nombre: ningún archivo "
            "ingerido ni la tabla de acuerdos da su código. Se enlazan con relatedProcesses "
            "(relationship framework, title) sin identificador; las releases siguientes de esas "
            "órdenes llevarán el código cuando se conozca."
        ),
        "en": (
            "Orders published with the framework agreement known only by its name: no ingested "
            "file nor the agreements table gives its code. They link through relatedProcesses "
            "(relationship framework, title) without an identifier; later releases of those "
            "orders carry the code once it is known."
        ),
    },
    "report.unknown_statuses": {
        "es": "Estados no documentados",
        "en": "Undocumented statuses",
    },
    "report.unknown_statuses_explanation": {
        "es": (
            "Órdenes con un estado sin correspondencia documentada en OCDS: se publican con el "
            "valor original en contracts.statusDetails, sin contracts.status ni estado de la "
            "adjudicación."
        ),
        "en": (
            "Orders with a status that has no documented OCDS mapping: published with the raw "
            "value in contracts.statusDetails, without contracts.status nor an award status."
        ),
    },
}
