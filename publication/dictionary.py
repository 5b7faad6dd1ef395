"""The data dictionary: ONE definition of every published table and its columns.

Every flat table the project publishes (the day files, the bulk files, the indicators) is
described here once: column name, type, description in Spanish and English, where the value
comes from (a column of the monthly ``ReportePCBienes`` file, an OCDS path in flattentool's
notation, or how it is derived) and its unit. From this one table come:

- the Arrow schemas the writers cast to, with the descriptions as Parquet field metadata
  (``arrow_schema``);
- the Frictionless Table Schema inside every ``datapackage.json`` (``table_schema``);
- the portal pages ``diccionario.html`` / ``dictionary.html`` and ``docs/data-dictionary.md``
  (``publication.dictionary_pages``).

Column names on the OCDS side follow flattentool (``contracts/0/items/0/quantity``: the path
with ``/0/`` for every array, the parent's ``ocid`` and ``id`` first; arrays of strings joined
with ``;``); the order table keeps the snake_case names of the day files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

Lang = Literal["es", "en"]
ColumnType = Literal[
    "string", "int32", "int64", "soles", "quantity", "date", "timestamp", "float", "boolean", "list"
]

TIMEZONE = "America/Lima"
CSV_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SOLES = pa.decimal128(18, 2)
QUANTITY = pa.decimal128(18, 3)

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "soles": SOLES,
    "quantity": QUANTITY,
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz=TIMEZONE),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "list": pa.list_(pa.string()),
}
_TABLE_SCHEMA_TYPE = {
    "string": "string",
    "int32": "integer",
    "int64": "integer",
    "soles": "number",
    "quantity": "number",
    "date": "date",
    "timestamp": "datetime",
    "float": "number",
    "boolean": "boolean",
    "list": "array",
}
TYPE_LABELS: dict[str, dict[Lang, str]] = {
    "string": {"es": "texto", "en": "text"},
    "int32": {"es": "entero", "en": "integer"},
    "int64": {"es": "entero", "en": "integer"},
    "soles": {"es": "decimal exacto (2 decimales)", "en": "exact decimal (2 places)"},
    "quantity": {"es": "decimal exacto (3 decimales)", "en": "exact decimal (3 places)"},
    "date": {"es": "fecha", "en": "date"},
    "timestamp": {"es": "fecha y hora (Lima)", "en": "date and time (Lima)"},
    "float": {"es": "número", "en": "number"},
    "boolean": {"es": "sí/no", "en": "true/false"},
    "list": {"es": "lista de textos", "en": "list of texts"},
}


@dataclass(frozen=True)
class Column:
    """One column: name, type, descriptions, where the value comes from, unit."""

    name: str
    type: ColumnType
    es: str
    en: str
    source: str = ""
    unit: str = ""
    required: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow (and Parquet) type of the column."""
        return _ARROW[self.type]

    def description(self, lang: Lang = "es") -> str:
        """The description in one language."""
        return self.es if lang == "es" else self.en

    def field(self) -> pa.Field:
        """Arrow field with the descriptions, source and unit as field metadata."""
        metadata = {"description": self.es, "description_en": self.en}
        if self.source:
            metadata["source"] = self.source
        if self.unit:
            metadata["unit"] = self.unit
        return pa.field(self.name, self.arrow_type, metadata=metadata)

    def table_schema_field(self, lang: Lang = "es", *, csv: bool = False) -> dict[str, Any]:
        """The Frictionless Table Schema field (CSV dates and times as the writers print them)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": _TABLE_SCHEMA_TYPE[self.type],
            "description": self.description(lang),
        }
        if self.type == "timestamp" and csv:
            out["format"] = CSV_DATETIME_FORMAT
        if self.type == "list" and csv:
            out["type"] = "string"
        if self.required:
            out["constraints"] = {"required": True}
        if self.unit:
            out["unit"] = self.unit
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Table:
    """A published table: name, titles, descriptions, columns and key."""

    name: str
    title_es: str
    title_en: str
    es: str
    en: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    files: tuple[str, ...] = field(default_factory=tuple)

    def title(self, lang: Lang = "es") -> str:
        """The title in one language."""
        return self.title_es if lang == "es" else self.title_en

    def description(self, lang: Lang = "es") -> str:
        """The description in one language."""
        return self.es if lang == "es" else self.en

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        """One column by name."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """Arrow schema with column descriptions as field metadata (written into Parquet)."""
        return pa.schema(
            [column.field() for column in self.columns],
            metadata={"table": self.name, "description": self.es, "description_en": self.en},
        )

    def table_schema(self, lang: Lang = "es", *, csv: bool = False) -> dict[str, Any]:
        """Frictionless Table Schema of the table."""
        schema: dict[str, Any] = {
            "fields": [column.table_schema_field(lang, csv=csv) for column in self.columns]
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if csv:
            schema["missingValues"] = [""]
        return schema


def _c(
    name: str,
    type_: ColumnType,
    es: str,
    en: str,
    source: str = "",
    unit: str = "",
    *,
    required: bool = False,
) -> Column:
    return Column(name, type_, es, en, source, unit, required)


_PEN = "PEN"
_CENTS = "PEN/100"
_LIMA = "America/Lima (UTC−05:00)"

# ----------------------------------------------------------------------------- day files

DAY_ORDERS = Table(
    "day_orders",
    "Órdenes del día",
    "Orders of the day",
    "Las órdenes publicadas en el paquete diario: una fila por fila de origen aceptada "
    "(primer estado en el día de formalización, estados posteriores en un día posterior). "
    "Montos en céntimos enteros y fechas como texto ISO 8601, tal como se leyeron.",
    "The orders published in the daily package: one row per accepted source row (first "
    "state on the day of formalisation, later states on a later day). Amounts in whole "
    "cents and dates as ISO 8601 text, as read.",
    (
        _c(
            "source_file",
            "string",
            "Archivo mensual de origen.",
            "Monthly source file.",
            "nombre del archivo ReportePCBienesYYYYMM.csv",
            required=True,
        ),
        _c(
            "source_line",
            "int64",
            "Línea física en el archivo de origen (cabecera = 1).",
            "Physical line in the source file (header = 1).",
            "derivado",
            required=True,
        ),
        _c(
            "process_time",
            "string",
            "Fecha de extracción del archivo (ISO 8601, -05:00).",
            "File extraction time (ISO 8601, -05:00).",
            "FECHA_PROCESO",
            _LIMA,
        ),
        _c(
            "supplier_ruc",
            "string",
            "RUC del proveedor.",
            "Supplier's RUC (tax id).",
            "RUC_PROVEEDOR",
        ),
        _c(
            "supplier_name",
            "string",
            "Razón social del proveedor (espacios normalizados).",
            "Supplier's name (whitespace normalised).",
            "PROVEEDOR",
        ),
        _c(
            "buyer_ruc",
            "string",
            "RUC de la entidad compradora.",
            "Buying entity's RUC.",
            "RUC_ENTIDAD",
        ),
        _c(
            "buyer_name",
            "string",
            "Nombre de la entidad compradora.",
            "Buying entity's name.",
            "ENTIDAD",
        ),
        _c(
            "procedure_type",
            "string",
            "Tipo de procedimiento: Compra ordinaria o Gran Compra.",
            "Procedure type: Compra ordinaria (ordinary) or Gran Compra (large purchase).",
            "TIPO_PROCEDIMIENTO",
        ),
        _c(
            "order_number",
            "string",
            "Número de la orden electrónica (OCAM-año-entidad-secuencia-n).",
            "Electronic order number (OCAM-year-entity-sequence-n).",
            "ORDEN_ELECTRÓNICA",
            required=True,
        ),
        _c(
            "order_id",
            "string",
            "Número de orden sin el sufijo -n.",
            "Order number without the -n suffix.",
            "derivado de ORDEN_ELECTRÓNICA",
        ),
        _c(
            "delivery_number",
            "int32",
            "El sufijo -n del número de orden.",
            "The -n suffix of the order number.",
            "derivado de ORDEN_ELECTRÓNICA",
        ),
        _c(
            "order_pdf_url",
            "string",
            "Enlace al PDF de la orden generado por PERÚ COMPRAS.",
            "Link to the order PDF generated by PERÚ COMPRAS.",
            "ORDEN_ELECTRÓNICA_GENERADA",
        ),
        _c(
            "status",
            "string",
            "Estado de la orden tal como se publica (ACEPTADA, PAGADA, ...).",
            "Order status as published (ACEPTADA, PAGADA, ...).",
            "ESTADO_ORDEN_ELECTRÓNICA",
        ),
        _c(
            "status_document_url",
            "string",
            "Enlace al documento del estado.",
            "Link to the status document.",
            "DOCUMENTO_ESTADO_OCAM",
        ),
        _c(
            "formalized_at",
            "string",
            "Fecha de formalización (ISO 8601, -05:00).",
            "Formalisation time (ISO 8601, -05:00).",
            "FECHA_FORMALIZACIÓN",
            _LIMA,
        ),
        _c(
            "last_status_at",
            "string",
            "Fecha del último estado (ISO 8601, -05:00).",
            "Time of the latest status (ISO 8601, -05:00).",
            "FECHA_ÚLTIMO_ESTADO",
            _LIMA,
        ),
        _c(
            "subtotal_cents",
            "int64",
            "Subtotal sin IGV, en céntimos.",
            "Subtotal before IGV (VAT), in cents.",
            "SUB_TOTAL",
            _CENTS,
        ),
        _c(
            "igv_cents",
            "int64",
            "IGV (impuesto general a las ventas), en céntimos.",
            "IGV (Peruvian VAT), in cents.",
            "IGV",
            _CENTS,
        ),
        _c(
            "total_cents",
            "int64",
            "Total con IGV, en céntimos.",
            "Total including IGV, in cents.",
            "TOTAL",
            _CENTS,
        ),
        _c(
            "digitized_order_url",
            "string",
            "Enlace a la orden digitalizada.",
            "Link to the digitised order.",
            "ORDEN_DIGITALIZADA",
        ),
        _c(
            "status_description",
            "string",
            "Descripción del estado.",
            "Status description.",
            "DESCRIPCIÓN_ESTADO",
        ),
        _c(
            "rights_assignment_description",
            "string",
            "Descripción de la cesión de derechos.",
            "Description of the assignment of rights.",
            "DESCRIPCIÓN_CESIÓN_DERECHOS",
        ),
        _c(
            "agreement_raw",
            "string",
            "Acuerdo marco tal como aparece en el archivo.",
            "Framework agreement as written in the file.",
            "ACUERDO_MARCO",
        ),
        _c(
            "agreement_code",
            "string",
            "Código del acuerdo marco: el de la etiqueta, o el aprendido de otras filas; vacío "
            "si no se conoce ninguno.",
            "Framework agreement code: the label's, or one learned from other rows; empty when "
            "none is known.",
            "derivado de ACUERDO_MARCO",
        ),
        _c(
            "agreement_name",
            "string",
            "Nombre del acuerdo marco (la etiqueta sin su código).",
            "Framework agreement name (the label without its code).",
            "derivado de ACUERDO_MARCO",
        ),
        _c(
            "raw_process_time",
            "string",
            "FECHA_PROCESO sin normalizar.",
            "Raw FECHA_PROCESO.",
            "FECHA_PROCESO",
        ),
        _c(
            "raw_formalized_at",
            "string",
            "FECHA_FORMALIZACIÓN sin normalizar.",
            "Raw FECHA_FORMALIZACIÓN.",
            "FECHA_FORMALIZACIÓN",
        ),
        _c(
            "raw_last_status_at",
            "string",
            "FECHA_ÚLTIMO_ESTADO sin normalizar.",
            "Raw FECHA_ÚLTIMO_ESTADO.",
            "FECHA_ÚLTIMO_ESTADO",
        ),
        _c("raw_subtotal", "string", "SUB_TOTAL sin normalizar.", "Raw SUB_TOTAL.", "SUB_TOTAL"),
        _c("raw_igv", "string", "IGV sin normalizar.", "Raw IGV.", "IGV"),
        _c("raw_total", "string", "TOTAL sin normalizar.", "Raw TOTAL.", "TOTAL"),
    ),
    files=("orders.parquet", "orders.csv"),
)

DAY_QUARANTINE = Table(
    "day_quarantine",
    "Cuarentena del día",
    "Quarantine of the day",
    "Filas de origen retenidas ese día: archivo, línea, campo, regla, mensaje y la fila tal "
    "como se leyó.",
    "Source rows held back that day: file, line, field, rule, message and the row as read.",
    (
        _c("source_file", "string", "Archivo de origen.", "Source file.", "nombre del archivo"),
        _c(
            "source_line",
            "int64",
            "Línea física en el archivo (cabecera = 1).",
            "Physical line in the file (header = 1).",
            "derivado",
        ),
        _c(
            "field",
            "string",
            "Campo que falló la primera regla.",
            "Field that failed the first rule.",
            "reglas de calidad",
        ),
        _c(
            "rule",
            "string",
            "Primera regla que falló.",
            "First rule that failed.",
            "reglas de calidad",
        ),
        _c(
            "value",
            "string",
            "Valor tal como se leyó del campo que falló.",
            "Raw value of the field that failed, as read.",
            "fila de origen",
        ),
        _c(
            "message",
            "string",
            "Mensaje de cada regla que falló.",
            "Message of every failed rule.",
            "reglas de calidad",
        ),
        _c("raw_row", "string", "La fila tal como se leyó.", "The row as read.", "fila de origen"),
        _c(
            "rules",
            "list",
            "Todas las reglas que fallaron.",
            "Every rule that failed.",
            "reglas de calidad",
        ),
    ),
    files=("quarantine.parquet",),
)

# ----------------------------------------------------------------------------- bulk tables

_OCID = _c(
    "ocid",
    "string",
    "Identificador OCDS del proceso de contratación (una orden o un acuerdo marco).",
    "OCDS contracting process identifier (an order or a framework agreement).",
    "ocid",
    required=True,
)
_RELEASE = _c(
    "id",
    "string",
    "Id de la entrega compilada (estado más reciente del ocid).",
    "Id of the compiled release (latest state of the ocid).",
    "id",
    required=True,
)

ORDERS = Table(
    "orders",
    "Órdenes de compra (estado más reciente)",
    "Purchase orders (latest state)",
    "Una fila por orden de compra, en su estado más reciente: los cambios de estado "
    "publicados en días posteriores ya están aplicados, así que sumar esta tabla no cuenta "
    "dos veces una orden. Montos exactos en soles; fechas y horas de Lima. Cada archivo "
    "mensual tiene las órdenes formalizadas ese mes.",
    "One row per purchase order, in its latest state: status changes published on later "
    "days are already applied, so summing this table never counts an order twice. Exact "
    "amounts in soles; Lima dates and times. Each monthly file holds the orders formalised "
    "that month.",
    (
        _OCID,
        _c(
            "order_number",
            "string",
            "Número de la orden electrónica.",
            "Electronic order number.",
            "ORDEN_ELECTRÓNICA · contracts/0/id",
            required=True,
        ),
        _c(
            "order_id",
            "string",
            "Número de orden sin el sufijo -n.",
            "Order number without the -n suffix.",
            "ORDEN_ELECTRÓNICA · awards/0/id",
        ),
        _c(
            "delivery_number",
            "int32",
            "El sufijo -n del número de orden.",
            "The -n suffix of the order number.",
            "ORDEN_ELECTRÓNICA",
        ),
        _c(
            "formalized_at",
            "timestamp",
            "Fecha y hora de formalización.",
            "Formalisation date and time.",
            "FECHA_FORMALIZACIÓN · contracts/0/dateSigned",
            _LIMA,
        ),
        _c(
            "formalized_date",
            "date",
            "Día de formalización (Lima).",
            "Day of formalisation (Lima).",
            "FECHA_FORMALIZACIÓN",
        ),
        _c(
            "last_status_at",
            "timestamp",
            "Fecha y hora del estado más reciente.",
            "Date and time of the latest status.",
            "FECHA_ÚLTIMO_ESTADO · date",
            _LIMA,
        ),
        _c(
            "status",
            "string",
            "Estado de la orden tal como lo publica PERÚ COMPRAS.",
            "Order status as published by PERÚ COMPRAS.",
            "ESTADO_ORDEN_ELECTRÓNICA · contracts/0/statusDetails",
        ),
        _c(
            "contract_status",
            "string",
            "Estado OCDS del contrato (active, terminated, cancelled...).",
            "OCDS contract status (active, terminated, cancelled...).",
            "contracts/0/status",
        ),
        _c(
            "procedure_type",
            "string",
            "Compra ordinaria o Gran Compra.",
            "Compra ordinaria (ordinary) or Gran Compra (large purchase).",
            "TIPO_PROCEDIMIENTO · tender/procurementMethodDetails",
        ),
        _c(
            "buyer_ruc",
            "string",
            "RUC de la entidad compradora.",
            "Buying entity's RUC.",
            "RUC_ENTIDAD · buyer/id",
        ),
        _c(
            "buyer_name",
            "string",
            "Nombre de la entidad compradora.",
            "Buying entity's name.",
            "ENTIDAD · buyer/name",
        ),
        _c(
            "supplier_ruc",
            "string",
            "RUC del proveedor.",
            "Supplier's RUC.",
            "RUC_PROVEEDOR · awards/0/suppliers/0/id",
        ),
        _c(
            "supplier_name",
            "string",
            "Razón social del proveedor.",
            "Supplier's name.",
            "PROVEEDOR · awards/0/suppliers/0/name",
        ),
        _c(
            "agreement_code",
            "string",
            "Código del acuerdo marco.",
            "Framework agreement code.",
            "ACUERDO_MARCO · relatedProcesses/0/identifier",
        ),
        _c(
            "agreement_raw",
            "string",
            "Acuerdo marco tal como aparece en el archivo.",
            "Framework agreement as written in the file.",
            "ACUERDO_MARCO",
        ),
        _c(
            "subtotal",
            "soles",
            "Subtotal sin IGV.",
            "Subtotal before IGV (VAT).",
            "SUB_TOTAL · contracts/0/value/amountNet",
            _PEN,
        ),
        _c(
            "igv",
            "soles",
            "IGV (impuesto general a las ventas).",
            "IGV (Peruvian VAT).",
            "IGV",
            _PEN,
        ),
        _c(
            "total",
            "soles",
            "Total con IGV.",
            "Total including IGV.",
            "TOTAL · contracts/0/value/amount",
            _PEN,
        ),
        _c(
            "currency",
            "string",
            "Moneda (PEN, soles).",
            "Currency (PEN, soles).",
            "contracts/0/value/currency",
        ),
        _c(
            "order_pdf_url",
            "string",
            "Enlace al PDF de la orden.",
            "Link to the order PDF.",
            "ORDEN_ELECTRÓNICA_GENERADA",
        ),
        _c(
            "digitized_order_url",
            "string",
            "Enlace a la orden digitalizada.",
            "Link to the digitised order.",
            "ORDEN_DIGITALIZADA",
        ),
        _c(
            "status_document_url",
            "string",
            "Enlace al documento del estado.",
            "Link to the status document.",
            "DOCUMENTO_ESTADO_OCAM",
        ),
        _c(
            "status_description",
            "string",
            "Descripción del estado.",
            "Status description.",
            "DESCRIPCIÓN_ESTADO",
        ),
        _c(
            "rights_assignment_description",
            "string",
            "Descripción de la cesión de derechos.",
            "Description of the assignment of rights.",
            "DESCRIPCIÓN_CESIÓN_DERECHOS",
        ),
        _c(
            "states",
            "int32",
            "Número de estados publicados de la orden (entregas OCDS).",
            "Number of published states of the order (OCDS releases).",
            "derivado",
        ),
        _c(
            "release_id",
            "string",
            "Id de la entrega OCDS del estado más reciente.",
            "Id of the OCDS release of the latest state.",
            "id (entrega más reciente)",
        ),
        _c(
            "package_date",
            "date",
            "Día del paquete diario con la entrega más reciente.",
            "Day of the daily package holding the latest release.",
            "derivado",
        ),
        _c(
            "first_package_date",
            "date",
            "Día del paquete diario con la primera entrega.",
            "Day of the daily package holding the first release.",
            "derivado",
        ),
        _c(
            "source_file",
            "string",
            "Archivo mensual del que viene el estado más reciente.",
            "Monthly file the latest state comes from.",
            "nombre del archivo",
        ),
        _c("source_line", "int64", "Línea de ese archivo.", "Line of that file.", "derivado"),
        _c(
            "process_time",
            "timestamp",
            "Fecha de extracción de ese archivo.",
            "Extraction time of that file.",
            "FECHA_PROCESO",
            _LIMA,
        ),
    ),
    primary_key=("ocid",),
)

_CONTRACT_ID = _c(
    "contracts/0/id",
    "string",
    "Número de la orden (id del contrato).",
    "Order number (contract id).",
    "contracts/0/id",
    required=True,
)

ITEMS = Table(
    "items",
    "Productos de las órdenes",
    "Order items",
    "Un producto por fila y entrega de la orden (exportación «Detallado» de PERÚ COMPRAS), "
    "en el estado más reciente de la orden. Precio unitario sin IGV.",
    "One product per row and delivery of the order (PERÚ COMPRAS' 'Detallado' export), in "
    "the order's latest state. Unit price before IGV.",
    (
        _OCID,
        _RELEASE,
        _CONTRACT_ID,
        _c(
            "contracts/0/items/0/id",
            "string",
            "Id del producto: entrega-número de línea.",
            "Item id: delivery-line number.",
            "contracts/0/items/0/id",
            required=True,
        ),
        _c(
            "contracts/0/items/0/description",
            "string",
            "Descripción del producto (ficha), con marca, número de parte y categoría.",
            "Product description (catalogue sheet), with brand, part number and category.",
            "contracts/0/items/0/description",
        ),
        _c(
            "contracts/0/items/0/quantity",
            "quantity",
            "Cantidad.",
            "Quantity.",
            "contracts/0/items/0/quantity",
        ),
        _c(
            "contracts/0/items/0/unit/name",
            "string",
            "Unidad.",
            "Unit.",
            "contracts/0/items/0/unit/name",
        ),
        _c(
            "contracts/0/items/0/unit/value/amount",
            "soles",
            "Precio unitario sin IGV.",
            "Unit price before IGV.",
            "contracts/0/items/0/unit/value/amount",
            _PEN,
        ),
        _c(
            "contracts/0/items/0/unit/value/currency",
            "string",
            "Moneda.",
            "Currency.",
            "contracts/0/items/0/unit/value/currency",
        ),
        _c(
            "contracts/0/items/0/deliveryAddress/streetAddress",
            "string",
            "Dirección de entrega.",
            "Delivery address.",
            "contracts/0/items/0/deliveryAddress/streetAddress",
        ),
        _c(
            "contracts/0/items/0/deliveryAddress/locality",
            "string",
            "Distrito y provincia.",
            "District and province.",
            "contracts/0/items/0/deliveryAddress/locality",
        ),
        _c(
            "contracts/0/items/0/deliveryAddress/region",
            "string",
            "Departamento.",
            "Department (region).",
            "contracts/0/items/0/deliveryAddress/region",
        ),
        _c(
            "contracts/0/items/0/deliveryAddress/countryName",
            "string",
            "País.",
            "Country.",
            "contracts/0/items/0/deliveryAddress/countryName",
        ),
    ),
    primary_key=("ocid", "contracts/0/id", "contracts/0/items/0/id"),
)

_MILESTONE = "contracts/0/implementation/milestones/0/"
DELIVERIES = Table(
    "deliveries",
    "Entregas de las órdenes",
    "Order deliveries",
    "Un hito de entrega por fila: plazo, lugar y estado, en el estado más reciente de la orden.",
    "One delivery milestone per row: due date, place and status, in the order's latest state.",
    (
        _OCID,
        _RELEASE,
        _CONTRACT_ID,
        _c(
            f"{_MILESTONE}id",
            "string",
            "Id del hito (delivery-n).",
            "Milestone id (delivery-n).",
            f"{_MILESTONE}id",
            required=True,
        ),
        _c(
            f"{_MILESTONE}title",
            "string",
            "Título del hito.",
            "Milestone title.",
            f"{_MILESTONE}title",
        ),
        _c(
            f"{_MILESTONE}type",
            "string",
            "Tipo de hito (delivery).",
            "Milestone type (delivery).",
            f"{_MILESTONE}type",
        ),
        _c(
            f"{_MILESTONE}status",
            "string",
            "Estado del hito: met (orden pagada) o scheduled.",
            "Milestone status: met (order paid) or scheduled.",
            f"{_MILESTONE}status",
        ),
        _c(
            f"{_MILESTONE}dueDate",
            "timestamp",
            "Fin del plazo de entrega.",
            "End of the delivery window.",
            f"{_MILESTONE}dueDate",
            _LIMA,
        ),
        _c(
            f"{_MILESTONE}description",
            "string",
            "Plazo, lugar y estado de la entrega.",
            "Delivery window, place and status.",
            f"{_MILESTONE}description",
        ),
    ),
    primary_key=("ocid", "contracts/0/id", f"{_MILESTONE}id"),
)

BIDS = Table(
    "bids",
    "Cotizaciones (ofertas)",
    "Quotations (bids)",
    "Una cotización por fila y postor (extensión bids de OCDS), en el estado más reciente de "
    "la orden. Solo existen cuando se publicaron las cotizaciones del mes.",
    "One quotation per row and tenderer (OCDS bids extension), in the order's latest state. "
    "Present only when the month's quotations were published.",
    (
        _OCID,
        _RELEASE,
        _c(
            "bids/details/0/id",
            "string",
            "Id de la cotización.",
            "Quotation id.",
            "bids/details/0/id",
            required=True,
        ),
        _c(
            "bids/details/0/date",
            "timestamp",
            "Fecha y hora de la cotización.",
            "Quotation date and time.",
            "bids/details/0/date",
            _LIMA,
        ),
        _c(
            "bids/details/0/status",
            "string",
            "Estado de la cotización.",
            "Quotation status.",
            "bids/details/0/status",
        ),
        _c(
            "bids/details/0/value/amount",
            "soles",
            "Monto cotizado.",
            "Quoted amount.",
            "bids/details/0/value/amount",
            _PEN,
        ),
        _c(
            "bids/details/0/value/currency",
            "string",
            "Moneda.",
            "Currency.",
            "bids/details/0/value/currency",
        ),
        _c(
            "bids/details/0/tenderers/0/id",
            "string",
            "Id del postor (PE-RUC-...).",
            "Tenderer id (PE-RUC-...).",
            "bids/details/0/tenderers/0/id",
        ),
        _c(
            "bids/details/0/tenderers/0/name",
            "string",
            "Nombre del postor.",
            "Tenderer's name.",
            "bids/details/0/tenderers/0/name",
        ),
    ),
    primary_key=("ocid", "bids/details/0/id", "bids/details/0/tenderers/0/id"),
)

PARTIES = Table(
    "parties",
    "Partes de cada proceso",
    "Parties of each process",
    "Una organización por fila y proceso: entidad compradora, proveedor y postores, con sus "
    "roles OCDS.",
    "One organisation per row and process: buying entity, supplier and tenderers, with their "
    "OCDS roles.",
    (
        _OCID,
        _RELEASE,
        _c(
            "parties/0/id",
            "string",
            "Id de la parte (PE-RUC-...).",
            "Party id (PE-RUC-...).",
            "parties/0/id",
            required=True,
        ),
        _c("parties/0/name", "string", "Nombre.", "Name.", "parties/0/name"),
        _c(
            "parties/0/identifier/scheme",
            "string",
            "Esquema del identificador (PE-RUC).",
            "Identifier scheme (PE-RUC).",
            "parties/0/identifier/scheme",
        ),
        _c("parties/0/identifier/id", "string", "RUC.", "RUC.", "parties/0/identifier/id"),
        _c(
            "parties/0/identifier/legalName",
            "string",
            "Razón social.",
            "Legal name.",
            "parties/0/identifier/legalName",
        ),
        _c(
            "parties/0/roles",
            "string",
            "Roles separados por «;» (buyer, supplier, tenderer...).",
            "Roles separated by ';' (buyer, supplier, tenderer...).",
            "parties/0/roles",
        ),
    ),
    primary_key=("ocid", "parties/0/id"),
)

AGREEMENTS = Table(
    "agreements",
    "Acuerdos marco",
    "Framework agreements",
    "Un acuerdo marco por fila (la primera etapa OCDS a la que remiten las órdenes), en el "
    "mes en que se publicó por primera vez.",
    "One framework agreement per row (the OCDS first stage the orders point to), in the month "
    "it was first published.",
    (
        _OCID,
        _RELEASE,
        _c(
            "date",
            "timestamp",
            "Fecha de la entrega de la primera etapa.",
            "Date of the first-stage release.",
            "date",
            _LIMA,
        ),
        _c(
            "tender/id",
            "string",
            "Código del acuerdo marco (AM-código).",
            "Framework agreement code (AM-code).",
            "tender/id",
            required=True,
        ),
        _c(
            "tender/title",
            "string",
            "Nombre del acuerdo marco.",
            "Framework agreement name.",
            "tender/title",
        ),
        _c("tender/description", "string", "Descripción.", "Description.", "tender/description"),
        _c(
            "tender/procurementMethod",
            "string",
            "Método de contratación OCDS.",
            "OCDS procurement method.",
            "tender/procurementMethod",
        ),
        _c(
            "tender/procurementMethodDetails",
            "string",
            "Detalle del método (Acuerdo Marco).",
            "Method details (Acuerdo Marco).",
            "tender/procurementMethodDetails",
        ),
    ),
    primary_key=("ocid",),
)

BULK_TABLES: tuple[Table, ...] = (ORDERS, ITEMS, DELIVERIES, BIDS, PARTIES, AGREEMENTS)

# ----------------------------------------------------------------------------- indicators

_MONTH = _c(
    "month",
    "string",
    "Mes (AAAA-MM) de formalización.",
    "Month (YYYY-MM) of formalisation.",
    "formalized_date",
    required=True,
)
_BUYER = (
    _c("buyer_ruc", "string", "RUC de la entidad.", "Entity's RUC.", "orders.buyer_ruc"),
    _c("buyer_name", "string", "Nombre de la entidad.", "Entity's name.", "orders.buyer_name"),
)
_SUPPLIER = (
    _c("supplier_ruc", "string", "RUC del proveedor.", "Supplier's RUC.", "orders.supplier_ruc"),
    _c(
        "supplier_name",
        "string",
        "Nombre del proveedor.",
        "Supplier's name.",
        "orders.supplier_name",
    ),
)
_AGREEMENT = _c(
    "agreement_code",
    "string",
    "Código del acuerdo marco.",
    "Framework agreement code.",
    "orders.agreement_code",
)

INDICATOR_SPLITTING = Table(
    "indicator_splitting",
    "Posible fraccionamiento",
    "Possible splitting",
    "Grupos de órdenes de una entidad a un proveedor bajo un mismo acuerdo marco, en una "
    "ventana corta, cada una por debajo del umbral de Gran Compra y que juntas lo superan.",
    "Groups of orders from one entity to one supplier under one framework agreement, within a "
    "short window, each below the Gran Compra threshold and together above it.",
    (
        _MONTH,
        *_BUYER,
        *_SUPPLIER,
        _AGREEMENT,
        _c(
            "window_days",
            "int32",
            "Ventana en días calendario.",
            "Window in calendar days.",
            "parámetro",
            "d",
        ),
        _c(
            "window_start",
            "date",
            "Primer día de la ventana (formalización de la primera orden).",
            "First day of the window (formalisation of the first order).",
            "orders.formalized_date",
        ),
        _c(
            "window_end",
            "date",
            "Formalización de la última orden del grupo.",
            "Formalisation of the group's last order.",
            "orders.formalized_date",
        ),
        _c("orders", "int32", "Órdenes del grupo.", "Orders in the group.", "derivado"),
        _c(
            "total",
            "soles",
            "Suma de los totales (con IGV).",
            "Sum of the totals (IGV included).",
            "orders.total",
            _PEN,
        ),
        _c(
            "largest_order",
            "soles",
            "Total de la orden más grande del grupo.",
            "Total of the group's largest order.",
            "orders.total",
            _PEN,
        ),
        _c("threshold", "soles", "Umbral usado.", "Threshold used.", "parámetro", _PEN),
        _c(
            "order_numbers",
            "string",
            "Números de orden del grupo, separados por «;».",
            "Order numbers of the group, separated by ';'.",
            "orders.order_number",
        ),
    ),
)

INDICATOR_CONCENTRATION = Table(
    "indicator_concentration",
    "Concentración de proveedores",
    "Supplier concentration",
    "Por mes: participación del principal proveedor y el índice Herfindahl-Hirschman (HHI) "
    "del monto, por entidad y acuerdo marco, y por acuerdo marco.",
    "Per month: the top supplier's share and the Herfindahl-Hirschman index (HHI) of the "
    "amount, per entity and framework agreement, and per framework agreement.",
    (
        _MONTH,
        _c(
            "scope",
            "string",
            "Ámbito: entity_agreement (entidad y acuerdo) o agreement (acuerdo).",
            "Scope: entity_agreement (entity and agreement) or agreement.",
            "derivado",
            required=True,
        ),
        *_BUYER,
        _AGREEMENT,
        _c("orders", "int32", "Órdenes.", "Orders.", "derivado"),
        _c("suppliers", "int32", "Proveedores distintos.", "Distinct suppliers.", "derivado"),
        _c(
            "total",
            "soles",
            "Monto total (con IGV).",
            "Total amount (IGV included).",
            "orders.total",
            _PEN,
        ),
        *_SUPPLIER,
        _c(
            "top_share",
            "float",
            "Participación del principal proveedor en el monto (0-1).",
            "Top supplier's share of the amount (0-1).",
            "derivado",
            "0–1",
        ),
        _c(
            "hhi",
            "float",
            "Índice Herfindahl-Hirschman del monto (0-10 000).",
            "Herfindahl-Hirschman index of the amount (0-10,000).",
            "derivado",
            "0–10 000",
        ),
        _c(
            "flagged",
            "boolean",
            "Verdadero si el HHI alcanza el umbral de alta concentración.",
            "True when the HHI reaches the high-concentration threshold.",
            "parámetro",
        ),
    ),
)

INDICATOR_PRICES = Table(
    "indicator_price_dispersion",
    "Dispersión de precios",
    "Price dispersion",
    "Por mes, acuerdo marco y producto (misma descripción): precios unitarios pagados por "
    "distintas entidades, cuartiles y valla superior de Tukey.",
    "Per month, framework agreement and product (same description): unit prices paid by "
    "different entities, quartiles and Tukey's upper fence.",
    (
        _MONTH,
        _AGREEMENT,
        _c(
            "product",
            "string",
            "Descripción del producto.",
            "Product description.",
            "items.contracts/0/items/0/description",
        ),
        _c("lines", "int32", "Líneas con precio.", "Lines with a price.", "derivado"),
        _c("entities", "int32", "Entidades distintas.", "Distinct entities.", "derivado"),
        _c("min_price", "soles", "Precio unitario mínimo.", "Lowest unit price.", "derivado", _PEN),
        _c("q1_price", "soles", "Primer cuartil.", "First quartile.", "derivado", _PEN),
        _c("median_price", "soles", "Mediana.", "Median.", "derivado", _PEN),
        _c("q3_price", "soles", "Tercer cuartil.", "Third quartile.", "derivado", _PEN),
        _c(
            "max_price", "soles", "Precio unitario máximo.", "Highest unit price.", "derivado", _PEN
        ),
        _c(
            "upper_fence",
            "soles",
            "Valla superior de Tukey: Q3 + 1,5 × (Q3 − Q1).",
            "Tukey's upper fence: Q3 + 1.5 × (Q3 − Q1).",
            "derivado",
            _PEN,
        ),
        _c(
            "outliers",
            "int32",
            "Líneas por encima de la valla superior.",
            "Lines above the upper fence.",
            "derivado",
        ),
        _c(
            "max_to_median",
            "float",
            "Precio máximo dividido entre la mediana.",
            "Highest price divided by the median.",
            "derivado",
        ),
        _c(
            "flagged",
            "boolean",
            "Verdadero si alguna línea supera la valla superior.",
            "True when a line is above the upper fence.",
            "derivado",
        ),
    ),
)

INDICATOR_STATUS = Table(
    "indicator_status_anomalies",
    "Anomalías de estado",
    "Status anomalies",
    "Órdenes cuyo estado más reciente tiene fechas incoherentes: pagadas antes de "
    "formalizarse, o resueltas poco después de formalizarse (aceptarse).",
    "Orders whose latest state has incoherent dates: paid before being formalised, or "
    "resolved shortly after being formalised (accepted).",
    (
        _MONTH,
        _c(
            "anomaly",
            "string",
            "paid_before_formalised o resolved_soon_after_acceptance.",
            "paid_before_formalised or resolved_soon_after_acceptance.",
            "derivado",
            required=True,
        ),
        _c("ocid", "string", "ocid de la orden.", "The order's ocid.", "orders.ocid"),
        _c("order_number", "string", "Número de la orden.", "Order number.", "orders.order_number"),
        *_BUYER,
        *_SUPPLIER,
        _AGREEMENT,
        _c("status", "string", "Estado más reciente.", "Latest status.", "orders.status"),
        _c(
            "formalized_at",
            "timestamp",
            "Formalización.",
            "Formalisation.",
            "orders.formalized_at",
            _LIMA,
        ),
        _c(
            "last_status_at",
            "timestamp",
            "Fecha del estado.",
            "Date of the status.",
            "orders.last_status_at",
            _LIMA,
        ),
        _c(
            "days_between",
            "float",
            "Días entre formalización y estado (negativo: antes).",
            "Days between formalisation and status (negative: before).",
            "derivado",
            "d",
        ),
        _c("total", "soles", "Total con IGV.", "Total including IGV.", "orders.total", _PEN),
    ),
)

INDICATOR_TABLES: tuple[Table, ...] = (
    INDICATOR_SPLITTING,
    INDICATOR_CONCENTRATION,
    INDICATOR_PRICES,
    INDICATOR_STATUS,
)
DAY_TABLES: tuple[Table, ...] = (DAY_ORDERS, DAY_QUARANTINE)
TABLES: dict[str, Table] = {
    table.name: table for table in (*DAY_TABLES, *BULK_TABLES, *INDICATOR_TABLES)
}


def table(name: str) -> Table:
    """A table of the dictionary by name."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES)}") from None


def described(data: pa.Table, definition: Table) -> pa.Table:
    """``data`` with the dictionary's descriptions as field and schema metadata (types kept;
    a column the dictionary does not know keeps no metadata)."""
    known = {column.name: column for column in definition.columns}
    fields = [
        known[f.name].field().with_type(f.type).with_nullable(f.nullable)
        if f.name in known
        else f.remove_metadata()
        for f in data.schema
    ]
    schema = pa.schema(fields, metadata=definition.arrow_schema().metadata)
    return pa.Table.from_arrays(data.columns, schema=schema)
