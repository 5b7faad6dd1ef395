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
        "es": "Entregas OCDS de los paquetes diarios, {period}, una por línea "
        "(JSON Lines comprimido){part}",
        "en": "OCDS releases of the daily packages, {period}, one per line "
        "(compressed JSON Lines){part}",
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
    "resource.page_dictionary_es": {
        "es": "Diccionario de datos (página en español)",
        "en": "Data dictionary (page in Spanish)",
    },
    "resource.page_dictionary_en": {
        "es": "Diccionario de datos (página en inglés)",
        "en": "Data dictionary (page in English)",
    },
    "resource.page_indicators_es": {
        "es": "Indicadores de alerta (página en español)",
        "en": "Red-flag indicators (page in Spanish)",
    },
    "resource.page_indicators_en": {
        "es": "Indicadores de alerta (página en inglés)",
        "en": "Red-flag indicators (page in English)",
    },
    "period.full": {"es": "historia completa", "en": "full history"},
    "period.latest_month": {"es": "último mes publicado", "en": "latest published month"},
    "period.latest_year": {"es": "último año publicado", "en": "latest published year"},
    # --- the monthly Excel workbook
    "workbook.sheet_orders": {"es": "ordenes", "en": "orders"},
    "workbook.sheet_items": {"es": "productos", "en": "items"},
    "workbook.sheet_deliveries": {"es": "entregas", "en": "deliveries"},
    "workbook.sheet_dictionary": {"es": "diccionario", "en": "dictionary"},
    "workbook.column_sheet": {"es": "hoja", "en": "sheet"},
    "workbook.column_name": {"es": "columna", "en": "column"},
    "workbook.column_type": {"es": "tipo", "en": "type"},
    "workbook.column_description": {"es": "descripción", "en": "description"},
    "workbook.column_source": {"es": "origen", "en": "source"},
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
    # --- the dictionary page
    "dictionary.title": {"es": "Diccionario de datos", "en": "Data dictionary"},
    "dictionary.intro": {
        "es": "Las columnas de cada tabla publicada, de una única definición: la misma que da "
        "el esquema (Table Schema) de cada datapackage.json y las descripciones guardadas en "
        "los archivos Parquet. Las columnas del lado OCDS siguen la convención de flattentool "
        "(la ruta OCDS, con /0/ en cada lista, y primero el ocid y el id de la entrega). "
        "Montos en soles (PEN); fechas y horas de Lima (UTC−05:00).",
        "en": "The columns of every published table, from one definition: the same one that "
        "gives the Table Schema of every datapackage.json and the descriptions stored in the "
        "Parquet files. OCDS-side columns follow flattentool's convention (the OCDS path, with "
        "/0/ for every list, and first the ocid and the release id). Amounts in soles (PEN); "
        "Lima dates and times (UTC−05:00).",
    },
    "dictionary.day_tables": {
        "es": "En cada paquete diario",
        "en": "In every daily package",
    },
    "dictionary.bulk_tables": {
        "es": "En los archivos masivos (por mes, año e historia completa)",
        "en": "In the bulk files (per month, year and full history)",
    },
    "dictionary.indicator_tables": {"es": "Indicadores de alerta", "en": "Red-flag indicators"},
    "dictionary.files": {"es": "Archivos: {files}", "en": "Files: {files}"},
    "dictionary.key": {"es": "Clave: {columns}", "en": "Key: {columns}"},
    "dictionary.column": {"es": "Columna", "en": "Column"},
    "dictionary.type": {"es": "Tipo", "en": "Type"},
    "dictionary.unit": {"es": "Unidad", "en": "Unit"},
    "dictionary.description": {"es": "Descripción", "en": "Description"},
    "dictionary.source": {
        "es": "Origen (columna del archivo mensual · ruta OCDS)",
        "en": "Source (monthly file column · OCDS path)",
    },
    "dictionary.other_language": {"es": "English", "en": "Español"},
    "dictionary.home": {"es": "Portal", "en": "Portal"},
    "dictionary.csv_note": {
        "es": "Los CSV están en UTF-8 con BOM (Excel lee bien las tildes); en ellos las "
        "fechas y horas se escriben AAAA-MM-DD HH:MM:SS, hora de Lima.",
        "en": "CSV files are UTF-8 with a BOM (Excel reads accents right); in them dates and "
        "times are written YYYY-MM-DD HH:MM:SS, Lima time.",
    },
    # --- the indicators page
    "indicators.title": {"es": "Indicadores de alerta", "en": "Red-flag indicators"},
    "indicators.home": {"es": "Portal", "en": "Portal"},
    "indicators.other_language": {"es": "English", "en": "Español"},
    "indicators.intro": {
        "es": "Calculados con DuckDB sobre las tablas planas publicadas (estado más reciente de "
        "cada orden: ninguna se cuenta dos veces), por mes de formalización, con los días "
        "publicados hasta el {date}. Cada indicador dice su método, sus parámetros, su relación "
        "con las banderas rojas de Open Contracting Partnership (OCP) y con Cardinal, y sus "
        "limitaciones.",
        "en": "Computed with DuckDB on the published flat tables (latest state of every order: "
        "none is counted twice), per month of formalisation, with the days published up to "
        "{date}. Each indicator states its method, its parameters, how it relates to Open "
        "Contracting Partnership's (OCP) red flags and to Cardinal, and its limits.",
    },
    "indicators.not_proof": {
        "es": "Una alerta es una señal para revisar, no una prueba de irregularidad.",
        "en": "A flag is a reason to look closer, not proof of wrongdoing.",
    },
    "indicators.method": {"es": "Método", "en": "Method"},
    "indicators.reference": {"es": "OCP y Cardinal", "en": "OCP and Cardinal"},
    "indicators.caveats": {"es": "Limitaciones", "en": "Limits"},
    "indicators.rows": {
        "es": "{rows} filas en la tabla completa, {flagged} con alerta. Descargar:",
        "en": "{rows} rows in the full table, {flagged} flagged. Download:",
    },
    "indicators.month": {"es": "Mes", "en": "Month"},
    "indicators.flags": {"es": "Alertas", "en": "Flags"},
    "indicators.top": {
        "es": "Las {rows} alertas más notables:",
        "en": "The {rows} most notable flags:",
    },
    "indicators.none": {
        "es": "Ninguna alerta en los datos publicados.",
        "en": "No flag in the published data.",
    },
    "indicators.dictionary": {
        "es": "Diccionario de las columnas",
        "en": "Dictionary of the columns",
    },
    "indicators.splitting.method": {
        "es": "Se toman las órdenes de Compra ordinaria no anuladas cuyo total (con IGV) es "
        "menor que el umbral de Gran Compra, S/ {threshold}, y se agrupan por entidad, "
        "proveedor y acuerdo marco. Para cada ventana de {windows} días calendario se marca el "
        "grupo de órdenes formalizadas dentro de la ventana, contada desde la primera, si son "
        "{min_orders} o más y juntas suman el umbral o más. Los grupos no se superponen: se "
        "toma el primero y se sigue después de su última orden. El mes es el de la primera "
        "orden.",
        "en": "Non-cancelled Compra ordinaria orders whose total (IGV included) is below the "
        "Gran Compra threshold, S/ {threshold}, are grouped by entity, supplier and framework "
        "agreement. For each window of {windows} calendar days, the orders formalised within "
        "the window, counted from the first one, are flagged when they are {min_orders} or "
        "more and together add up to the threshold or more. Groups do not overlap: the first "
        "one is taken and the search goes on after its last order. The month is the first "
        "order's.",
    },
    "indicators.splitting.reference": {
        "es": "Se acerca a las banderas de OCP sobre fraccionamiento de compras para no "
        "alcanzar un umbral (cf. R011) y sobre varias adjudicaciones directas cerca del umbral "
        "(cf. R055; en Cardinal solo existe en una rama no publicada, que suma montos por "
        "comprador y proveedor en 365 días). Difiere en que agrupa también por acuerdo marco, "
        "usa ventanas cortas y el umbral de Gran Compra del catálogo. Cardinal no puede "
        "ejecutarse sobre estos datos: sus indicadores publicados necesitan ofertas o un "
        "periodo de licitación.",
        "en": "Close to OCP's red flags on splitting purchases to stay under a threshold "
        "(cf. R011) and on several direct awards near the threshold (cf. R055; in Cardinal "
        "only on an unreleased branch, which sums amounts per buyer and supplier over 365 "
        "days). It differs in also grouping by framework agreement, in its short windows and in "
        "using the catalogue's Gran Compra threshold. Cardinal cannot run on these data: its "
        "released indicators need bids or a tender period.",
    },
    "indicators.splitting.caveats": {
        "es": "Un grupo marcado no prueba un fraccionamiento: una entidad puede necesitar "
        "compras repetidas. No está confirmado si el umbral se aplica con o sin IGV; aquí se "
        "compara el total con IGV. Algunas órdenes pequeñas figuran como Gran Compra y no se "
        "cuentan.",
        "en": "A flagged group does not prove splitting: an entity may need repeated "
        "purchases. Whether the threshold applies with or without IGV is not confirmed; the "
        "total with IGV is compared here. Some small orders are labelled Gran Compra and are "
        "not counted.",
    },
    "indicators.concentration.method": {
        "es": "Por mes se suma el monto (con IGV, órdenes no anuladas) de cada proveedor dentro "
        "de cada entidad y acuerdo marco, y dentro de cada acuerdo marco. Para los grupos con "
        "{concentration_min} órdenes o más se publica la participación del principal proveedor "
        "y el índice Herfindahl-Hirschman (suma de los cuadrados de las participaciones en "
        "porcentaje, de 0 a 10 000); se marca un HHI de {hhi} o más.",
        "en": "Per month, the amount (IGV included, non-cancelled orders) of every supplier is "
        "summed within each entity and framework agreement, and within each framework "
        "agreement. For groups of {concentration_min} orders or more, the top supplier's share "
        "and the Herfindahl-Hirschman index (sum of the squared shares in percent, 0 to "
        "10,000) are published; an HHI of {hhi} or more is flagged.",
    },
    "indicators.concentration.reference": {
        "es": "Cf. las banderas de OCP sobre la participación de un proveedor en los contratos "
        "de un comprador (R040), su participación de mercado (R050) y la concentración del "
        "mercado (R051). Cardinal no implementa ninguna; el mínimo de órdenes sigue su idea "
        "de un mínimo de procesos por grupo. El umbral de HHI es el usual para mercados muy "
        "concentrados, no una regla de OCP.",
        "en": "Cf. OCP's red flags on a supplier's share of a buyer's contracts (R040), its "
        "market share (R050) and market concentration (R051). Cardinal implements none of "
        "them; the minimum number of orders follows its idea of a minimum of processes per "
        "group. The HHI threshold is the usual one for highly concentrated markets, not an OCP "
        "rule.",
    },
    "indicators.concentration.caveats": {
        "es": "Un acuerdo marco puede tener pocos proveedores por diseño (regiones de entrega, "
        "productos específicos) y una entidad pequeña puede comprar siempre a quien entrega en "
        "su zona. El mes en curso está incompleto.",
        "en": "A framework agreement may have few suppliers by design (delivery regions, "
        "specific products) and a small entity may always buy from whoever delivers in its "
        "area. The current month is incomplete.",
    },
    "indicators.price_dispersion.method": {
        "es": "Por mes, acuerdo marco y producto (la misma descripción de ficha) se comparan "
        "los precios unitarios sin IGV de las líneas con precio mayor que cero, cuando al menos "
        "{min_entities} entidades distintas compraron el producto. Se publican los cuartiles "
        "(interpolación lineal) y la valla superior de Tukey, Q3 + 1,5 × (Q3 − Q1); se marca el "
        "producto si alguna línea la supera.",
        "en": "Per month, framework agreement and product (the same catalogue-sheet "
        "description), the unit prices before IGV of the lines with a price above zero are "
        "compared, when at least {min_entities} distinct entities bought the product. The "
        "quartiles (linear interpolation) and Tukey's upper fence, Q3 + 1.5 × (Q3 − Q1), are "
        "published; the product is flagged when a line is above it.",
    },
    "indicators.price_dispersion.reference": {
        "es": "Cf. las banderas de OCP sobre valores por encima del promedio de la categoría "
        "(R016) y precios unitarios anómalos (R017). Usa las vallas de Tukey como los "
        "indicadores de valores atípicos de Cardinal, pero por producto y mes; Cardinal no "
        "tiene un indicador de precio unitario.",
        "en": "Cf. OCP's red flags on values above the category average (R016) and "
        "unreasonable line-item prices (R017). It uses Tukey's fences as Cardinal's outlier "
        "indicators do, but per product and month; Cardinal has no unit-price indicator.",
    },
    "indicators.price_dispersion.caveats": {
        "es": "Solo hay datos cuando se publicó la exportación «Detallado» del mes. Un precio "
        "puede variar con el lugar y el plazo de entrega o la cantidad; la descripción "
        "identifica el producto mientras su ficha no cambie.",
        "en": "There are data only when the month's 'Detallado' export was published. A price "
        "may vary with the delivery place and time or the quantity; the description identifies "
        "the product as long as its catalogue sheet does not change.",
    },
    "indicators.status_anomalies.method": {
        "es": "Órdenes cuyo estado más reciente es PAGADA con una fecha anterior a su "
        "formalización, y órdenes RESUELTA dentro de los {days} días siguientes a su "
        "formalización (aceptación).",
        "en": "Orders whose latest state is PAGADA dated before their formalisation, and orders "
        "RESUELTA within {days} days of their formalisation (acceptance).",
    },
    "indicators.status_anomalies.reference": {
        "es": "No corresponde a una bandera roja de OCP ni a un indicador de Cardinal: son "
        "comprobaciones de coherencia de fechas, como las de calidad de datos de Pelican. Una "
        "resolución temprana se parece a la bandera de OCP sobre entregas incumplidas (R067).",
        "en": "Not an OCP red flag nor a Cardinal indicator: date-coherence checks, like "
        "Pelican's data-quality checks. An early resolution resembles OCP's red flag on "
        "delivery failure (R067).",
    },
    "indicators.status_anomalies.caveats": {
        "es": "Son anomalías de datos, no indicios de corrupción: la fecha de PAGADA puede ser "
        "una actualización automática del sistema (vinculación con el SIAF).",
        "en": "Data anomalies, not signs of corruption: the PAGADA date may be an automatic "
        "system update (link with SIAF).",
    },
}
