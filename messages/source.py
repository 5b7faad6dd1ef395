"""Texts of the source readers (``perucompras``): whole-file refusals and row problems.

A whole-file refusal (``source.block``) names the file, the check, the three most frequent
offending values with their counts and how to fix it. A row problem names the column and the raw
value, says the rule in words and what a publisher would change; the reader puts one per problem
in the quarantine ``message`` (several joined by `` | ``).
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- values shown inside messages
    "cell.empty": {"es": "vacío", "en": "empty"},
    "cell.none": {"es": "(ninguno)", "en": "(none)"},
    "cell.count": {"es": "{value} ({count})", "en": "{value} ({count})"},
    # --- whole-file refusals
    "source.block": {
        "es": (
            "{file}: control {check}: {problem} Valores más frecuentes: {top}. "
            "Cómo corregirlo: {fix}"
        ),
        "en": (
            "{file}: check {check}: {problem} Most frequent values: {top}. How to fix it: {fix}"
        ),
    },
    "source.empty": {
        "es": "el archivo está vacío ({size} bytes).",
        "en": "the file is empty ({size} bytes).",
    },
    "source.empty_fix": {
        "es": "descárguelo de nuevo del portal de datos abiertos.",
        "en": "download it again from the open data portal.",
    },
    "source.binary": {
        "es": (
            "el archivo no es texto: tiene {count} bytes NUL (el primero en el byte {offset}); "
            "parece comprimido, UTF-16 o dañado."
        ),
        "en": (
            "the file is not text: it has {count} NUL bytes (the first at byte {offset}); it "
            "looks compressed, UTF-16 or damaged."
        ),
    },
    "source.binary_fix": {
        "es": "descárguelo de nuevo o descomprímalo; guárdelo como CSV en latin-1 o UTF-8.",
        "en": "download it again or unzip it; save it as CSV in latin-1 or UTF-8.",
    },
    "source.undecodable": {
        "es": (
            "{count} de {rows} filas tienen bytes que no son texto en la codificación detectada "
            "({encoding}): el archivo no está en latin-1, Windows-1252 ni UTF-8."
        ),
        "en": (
            "{count} of {rows} rows have bytes that are not text in the detected encoding "
            "({encoding}): the file is not in latin-1, Windows-1252 or UTF-8."
        ),
    },
    "source.undecodable_fix": {
        "es": "revise la codificación de la descarga o conviértala a latin-1 o UTF-8.",
        "en": "check the encoding of the download or convert it to latin-1 or UTF-8.",
    },
    "source.separator": {
        "es": "el encabezado no está separado por ';' ({found}).",
        "en": "the header is not separated by ';' ({found}).",
    },
    "source.separator_found": {
        "es": "parece separado por {separator}",
        "en": "it looks separated by {separator}",
    },
    "source.separator_none": {"es": "no se encontró separador", "en": "no separator found"},
    "source.separator_fix": {
        "es": "exporte de nuevo el archivo con ';' como separador.",
        "en": "export the file again with ';' as the separator.",
    },
    "source.missing_columns": {
        "es": "faltan columnas requeridas en el encabezado: {missing}.",
        "en": "required columns are missing from the header: {missing}.",
    },
    "source.missing_columns_fix": {
        "es": (
            "el encabezado debe nombrar {expected} (separadas por ';'); una columna renombrada "
            "necesita una actualización del lector; un encabezado ilegible (Ã, Â) indica una "
            "codificación equivocada."
        ),
        "en": (
            "the header must name {expected} (separated by ';'); a renamed column needs a reader "
            "update; an unreadable header (Ã, Â) means a wrong encoding."
        ),
    },
    "source.duplicate_columns": {
        "es": "columnas repetidas en el encabezado: {columns}.",
        "en": "columns repeated in the header: {columns}.",
    },
    "source.duplicate_columns_fix": {
        "es": "deje una sola columna de cada nombre y exporte de nuevo.",
        "en": "keep one column of each name and export again.",
    },
    "source.file_name": {
        "es": "no es un nombre de archivo mensual.",
        "en": "not a monthly file name.",
    },
    "source.file_name_fix": {
        "es": "nómbrelo ReportePCBienesAAAAMM.csv (opcionalmente _n antes de .csv).",
        "en": "name it ReportePCBienesYYYYMM.csv (optionally _n before .csv).",
    },
    "source.mostly_failing": {
        "es": (
            "{failed} de {rows} filas ({share}) no pasan las reglas de fila; con tantas, el "
            "archivo probablemente no tiene el formato esperado."
        ),
        "en": (
            "{failed} of {rows} rows ({share}) fail the row rules; with so many, the file is "
            "probably not in the expected format."
        ),
    },
    "source.mostly_failing_fix": {
        "es": (
            "compare el archivo con el formato documentado (columnas en su lugar, separador, "
            "formato de fechas e importes) y descárguelo o expórtelo de nuevo."
        ),
        "en": (
            "compare the file with the documented format (columns in place, separator, date "
            "and amount formats) and download or export it again."
        ),
    },
    "source.xlsx_unreadable": {
        "es": "no es un libro XLSX legible ({error}).",
        "en": "not a readable XLSX workbook ({error}).",
    },
    "source.xlsx_fix": {
        "es": (
            "exporte de nuevo las órdenes desde ConsultaOrdenesPub con 'Detallado' marcado y "
            "'Exportar XLSX' (un CSV o una página HTML guardados como .xlsx no se pueden leer)."
        ),
        "en": (
            "export the orders again from ConsultaOrdenesPub with 'Detallado' checked and "
            "'Exportar XLSX' (a CSV or an HTML page saved as .xlsx cannot be read)."
        ),
    },
    "source.xlsx_no_header": {
        "es": (
            "no hay fila de encabezado en las primeras {rows} filas de ninguna hoja (una fila "
            "que nombre las columnas de la exportación, como {expected})."
        ),
        "en": (
            "no header row in the first {rows} rows of any sheet (a row naming the export's "
            "columns, such as {expected})."
        ),
    },
    "source.xlsx_missing_columns": {
        "es": "al encabezado (fila {row}) le faltan columnas requeridas: {missing}.",
        "en": "the header (row {row}) lacks required column(s): {missing}.",
    },
    "source.xlsx_duplicate_column": {
        "es": "la columna {column} aparece dos veces en el encabezado (fila {row}, columnas {first} y {second}).",
        "en": "column {column} appears twice in the header (row {row}, columns {first} and {second}).",
    },
    # --- row problems (one sentence each: the value, the rule in words, the fix)
    "cell.field_count": {
        "es": (
            'La fila tiene {found} campos separados por ";" y el archivo tiene {expected} '
            'columnas: revise si un valor contiene ";" o si la fila está cortada.'
        ),
        "en": (
            'The row has {found} fields separated by ";" and the file has {expected} columns: '
            'check whether a value contains ";" or the row is cut.'
        ),
    },
    "cell.encoding_invalid": {
        "es": (
            "La fila contiene bytes que no son texto en la codificación del archivo ({encoding}) "
            "cerca de {value}: corrija o vuelva a descargar el archivo."
        ),
        "en": (
            "The row contains bytes that are not text in the file's encoding ({encoding}) near "
            "{value}: fix or download the file again."
        ),
    },
    "cell.required_missing": {
        "es": "{column} está vacío; es obligatorio en cada fila: complete el valor en la fuente.",
        "en": "{column} is empty; it is required on every row: fill in the value in the source.",
    },
    "cell.date_unparseable": {
        "es": (
            "{column} {value} no es una fecha válida con el formato de este archivo ({format}): "
            "corrija la fecha en la fuente."
        ),
        "en": (
            "{column} {value} is not a valid date in this file's format ({format}): fix the "
            "date in the source."
        ),
    },
    "cell.amount_unparseable": {
        "es": (
            "{column} {value} no es un importe como 1234.56 (punto decimal, sin signo ni "
            "separador de miles): corrija el importe en la fuente."
        ),
        "en": (
            "{column} {value} is not an amount like 1234.56 (decimal point, no sign, no "
            "thousands separator): fix the amount in the source."
        ),
    },
    "cell.signed_amount_unparseable": {
        "es": (
            "{column} {value} no es un importe como 1234.56 (punto decimal, sin separador de "
            "miles, hasta 15 cifras enteras): corrija el importe en la fuente."
        ),
        "en": (
            "{column} {value} is not an amount like 1234.56 (decimal point, no thousands "
            "separator, up to 15 integer digits): fix the amount in the source."
        ),
    },
    "cell.amount_precision": {
        "es": (
            "{column} {value} tiene más de {decimals} decimales; los importes van al céntimo: "
            "redondee el importe en la fuente."
        ),
        "en": (
            "{column} {value} has more than {decimals} decimals; amounts are in cents: round "
            "the amount in the source."
        ),
    },
    "cell.amount_too_large": {
        "es": (
            "{column} {value} tiene más de {digits} cifras enteras: revise el importe en la fuente."
        ),
        "en": "{column} {value} has more than {digits} integer digits: check the amount in the source.",
    },
    "cell.quantity_unparseable": {
        "es": "{column} {value} no es una cantidad como 12 o 2.5: corrija la cantidad.",
        "en": "{column} {value} is not a quantity like 12 or 2.5: fix the quantity.",
    },
    "cell.quantity_precision": {
        "es": "{column} {value} tiene más de {decimals} decimales: corrija la cantidad.",
        "en": "{column} {value} has more than {decimals} decimals: fix the quantity.",
    },
    "cell.quantity_too_large": {
        "es": "{column} {value} tiene más de {digits} cifras enteras: revise la cantidad.",
        "en": "{column} {value} has more than {digits} integer digits: check the quantity.",
    },
    "cell.quantity_zero": {
        "es": (
            "{column} es 0 en una fila de entrega; una entrega lleva al menos una unidad: "
            "corrija la cantidad de la entrega."
        ),
        "en": (
            "{column} is 0 on a delivery row; a delivery carries at least one unit: fix the "
            "delivery's quantity."
        ),
    },
    "cell.count_format": {
        "es": "{column} {value} no es un número entero ({what}): corrija el valor.",
        "en": "{column} {value} is not a whole number ({what}): fix the value.",
    },
    "cell.what_delivery_number": {"es": "0, 1, 2…", "en": "0, 1, 2…"},
    "cell.what_days": {"es": "un número de días", "en": "a number of days"},
    "cell.what_deliveries": {"es": "un número de entregas", "en": "a number of deliveries"},
    "cell.xlsx_date_unparseable": {
        "es": "{column} {value} no es una fecha DD/MM/AAAA: corrija la fecha.",
        "en": "{column} {value} is not a date DD/MM/YYYY: fix the date.",
    },
    "cell.order_number_format": {
        "es": (
            "{column} {value} no tiene la forma OCAM-AAAA-entidad-secuencia-n "
            "(p. ej. OCAM-2025-88-395-0): corrija el número de orden."
        ),
        "en": (
            "{column} {value} does not look like OCAM-YYYY-entity-seq-n (e.g. "
            "OCAM-2025-88-395-0): fix the order number."
        ),
    },
    "cell.delivery_number_mismatch": {
        "es": (
            "{column} {value} no es el número de entrega -{expected} de {order}: corrija uno de "
            "los dos."
        ),
        "en": "{column} {value} is not the delivery number -{expected} of {order}: fix one of them.",
    },
    "cell.delivery_dates_order": {
        "es": (
            "{column}: la entrega termina el {end}, antes de empezar el {start}: corrija las "
            "fechas de la entrega."
        ),
        "en": "{column}: the delivery ends on {end}, before it starts on {start}: fix the dates.",
    },
    "cell.line_amount_mismatch": {
        "es": (
            "{column} {value} no es Cantidad Entrega × Precio Unitario ({quantity} × {price}) "
            "redondeado al céntimo: corrija la cantidad, el precio o el subtotal."
        ),
        "en": (
            "{column} {value} is not Cantidad Entrega × Precio Unitario ({quantity} × {price}) "
            "rounded to the cent: fix the quantity, the price or the subtotal."
        ),
    },
    "cell.ruc_invalid": {
        "es": "{column} {value}: {reason}: corrija el RUC en la fuente.",
        "en": "{column} {value}: {reason}: fix the RUC in the source.",
    },
    "cell.ruc_length": {
        "es": "tiene {digits} caracteres; un RUC tiene 11 dígitos",
        "en": "has {digits} characters; a RUC has 11 digits",
    },
    "cell.ruc_not_digits": {
        "es": "tiene caracteres que no son dígitos; un RUC tiene 11 dígitos",
        "en": "has characters that are not digits; a RUC has 11 digits",
    },
    "cell.ruc_prefix": {
        "es": "empieza por {prefix}; un RUC empieza por 10, 15, 17 o 20",
        "en": "starts with {prefix}; a RUC starts with 10, 15, 17 or 20",
    },
    "cell.ruc_check_digit": {
        "es": "su dígito verificador es {found} y debería ser {expected} (módulo 11)",
        "en": "its check digit is {found} and should be {expected} (modulo 11)",
    },
    "cell.unknown_value": {
        "es": "{column} {value} no es uno de los valores documentados ({allowed}): revise el valor.",
        "en": "{column} {value} is not one of the documented values ({allowed}): check the value.",
    },
    "cell.duplicate_order": {
        "es": (
            "{column} {value} aparece más de una vez en {file}: cada orden aparece una sola vez "
            "y todas las copias se retienen hasta que la fuente se corrija; deje una sola fila "
            "por orden."
        ),
        "en": (
            "{column} {value} appears more than once in {file}: each order appears once and "
            "every copy is held back until the source is corrected; keep one row per order."
        ),
    },
    "cell.outside_month": {
        "es": (
            "{column} {value} cae fuera de {month}, el mes de este archivo: compruebe que el "
            "archivo es el informe del mes correcto."
        ),
        "en": (
            "{column} {value} falls outside {month}, the month of this file: check that the "
            "file is the right month's report."
        ),
    },
    "cell.order_in_several_files": {
        "es": (
            "{column}: la orden {value} ya se leyó de {first}; sus filas en este archivo se "
            "retienen: deje cada orden en un solo archivo del mes."
        ),
        "en": (
            "{column}: order {value} is already read from {first}; its rows in this file are "
            "held back: keep each order in one file of the month."
        ),
    },
    "cell.duplicate_product_row": {
        "es": (
            "{column}: el mismo producto aparece dos veces en la orden electrónica {order} "
            "(primera vez en la fila {row}) y se contaría dos veces: deje una fila por producto "
            "y entrega."
        ),
        "en": (
            "{column}: the same product appears twice in electronic order {order} (first at row "
            "{row}) and would be counted twice: keep one row per product and delivery."
        ),
    },
    "cell.missing_order_rows": {
        "es": (
            "{column}: la orden {order} tiene filas de entrega sin sus filas de orden "
            "(Nro. Entrega 0): exporte de nuevo la orden completa."
        ),
        "en": (
            "{column}: order {order} has delivery rows without its own order rows "
            "(Nro. Entrega 0): export the whole order again."
        ),
    },
    "cell.order_without_deliveries": {
        "es": (
            "{column}: la orden {order} tiene filas de orden (Nro. Entrega 0) sin ninguna fila "
            "de entrega: exporte de nuevo la orden completa."
        ),
        "en": (
            "{column}: order {order} has order rows (Nro. Entrega 0) without any delivery row: "
            "export the whole order again."
        ),
    },
    "cell.order_total_inconsistent": {
        "es": (
            "{column}: las filas de la orden {order} no coinciden en su total ({low} y {high}); "
            "una orden tiene un solo total: revise la exportación."
        ),
        "en": (
            "{column}: the rows of order {order} disagree on its total ({low} and {high}); an "
            "order has one total: check the export."
        ),
    },
    "cell.order_totals_mismatch": {
        "es": (
            "{column}: las filas de entrega de la orden {order} suman {found} (Sub Total + IGV "
            "Entrega) pero el total de la orden es {expected}: revise la exportación."
        ),
        "en": (
            "{column}: the delivery rows of order {order} add up to {found} (Sub Total + IGV "
            "Entrega) but the order's total is {expected}: check the export."
        ),
    },
    "cell.product_totals_mismatch": {
        "es": (
            "{column}: en la orden {order}, la fila de orden del producto {product} dice "
            "cantidad / Sub Total / IGV {declared} pero sus filas de entrega suman {delivered}: "
            "revise la exportación."
        ),
        "en": (
            "{column}: in order {order}, the order row of product {product} says quantity / "
            "Sub Total / IGV {declared} but its delivery rows add up to {delivered}: check the "
            "export."
        ),
    },
    "cell.delivery_inconsistent": {
        "es": (
            "{column}: las filas de producto de la entrega {delivery} de la orden {order} no "
            "coinciden en ventana, plazo o lugar (una entrega tiene uno solo): revise la "
            "exportación."
        ),
        "en": (
            "{column}: the product rows of delivery {delivery} of order {order} disagree on "
            "its window, term or place (a delivery has one): check the export."
        ),
    },
    "cell.delivery_total_mismatch": {
        "es": (
            "{column}: las filas de la entrega {delivery} de la orden {order} suman {found} "
            "(Sub Total + IGV Entrega) pero Monto Total Entrega / Total Orden Electrónica dicen "
            "{delivery_total} / {order_total}: revise la exportación."
        ),
        "en": (
            "{column}: the rows of delivery {delivery} of order {order} add up to {found} "
            "(Sub Total + IGV Entrega) but Monto Total Entrega / Total Orden Electrónica say "
            "{delivery_total} / {order_total}: check the export."
        ),
    },
    "cell.order_incomplete": {
        "es": (
            "{column}: la fila {row} de la orden {order} está en cuarentena ({failed_rule}); los "
            "detalles de una orden se publican completos o no se publican: corrija la fila {row}."
        ),
        "en": (
            "{column}: row {row} of order {order} is quarantined ({failed_rule}); an order's details "
            "are published whole or not at all: fix row {row}."
        ),
    },
}
