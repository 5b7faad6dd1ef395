"""The data dictionary is the one definition of every published table: day files and writers
agree with it, every column is described in both languages, and Parquet carries it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from perucompras.reader import ORDER_SCHEMA
from publication.dictionary import (
    BULK_TABLES,
    DAY_ORDERS,
    DAY_QUARANTINE,
    INDICATOR_TABLES,
    TABLES,
    described,
    table,
)
from publication.steps.common import PUBLISHED_QUARANTINE_SCHEMA


def test_day_tables_match_the_schemas_the_pipeline_writes() -> None:
    for definition, schema in (
        (DAY_ORDERS, ORDER_SCHEMA),
        (DAY_QUARANTINE, PUBLISHED_QUARANTINE_SCHEMA),
    ):
        arrow = definition.arrow_schema()
        assert arrow.names == schema.names
        assert [f.type for f in arrow] == [f.type for f in schema]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_column_is_described_in_both_languages(name: str) -> None:
    definition = table(name)
    assert definition.columns
    assert len(set(definition.names)) == len(definition.names)
    assert set(definition.primary_key) <= set(definition.names)
    for lang in ("es", "en"):
        assert definition.title(lang).strip() and definition.description(lang).strip()
    for column in definition.columns:
        assert column.es.strip() and column.en.strip(), (name, column.name)
        assert column.es != column.en or column.es in ("RUC.",), (name, column.name)
        assert column.source, (name, column.name)


def test_ocds_side_columns_use_flattentool_paths() -> None:
    ocds_tables = [t for t in BULK_TABLES if t.name != "orders"]
    assert ocds_tables
    for definition in ocds_tables:
        assert definition.names[:2] == ["ocid", "id"]
        for column in definition.columns[2:]:
            assert column.name == column.source, column.name
            parts = column.name.split("/")
            assert all(part == "0" or part.isidentifier() for part in parts), column.name


def test_table_schema_types_and_csv_formats() -> None:
    schema = table("orders").table_schema("en", csv=True)
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["total"]["type"] == "number" and fields["total"]["unit"] == "PEN"
    assert fields["formalized_at"] == {
        "name": "formalized_at",
        "type": "datetime",
        "format": "%Y-%m-%d %H:%M:%S",
        "description": "Formalisation date and time.",
        "unit": "America/Lima (UTC−05:00)",
        "source": "FECHA_FORMALIZACIÓN · contracts/0/dateSigned",
    }
    assert fields["formalized_date"]["type"] == "date"
    assert schema["primaryKey"] == ["ocid"]
    parquet = table("orders").table_schema("es")
    assert "format" not in {k for f in parquet["fields"] for k in f if f["type"] == "datetime"}
    assert all(t.arrow_schema().names == t.names for t in INDICATOR_TABLES)


def test_described_tables_keep_their_types_and_carry_descriptions_into_parquet(
    tmp_path: Path,
) -> None:
    data = pa.table(
        {
            "source_file": ["ReportePCBienes202611.csv"],
            "extra": [1],
            "total_cents": pa.array([12345], pa.int64()),
        }
    )
    out = described(data, DAY_ORDERS)
    assert out.schema.types == data.schema.types
    pq.write_table(out, tmp_path / "x.parquet")
    schema = pq.read_schema(tmp_path / "x.parquet")
    total = schema.field("total_cents").metadata
    assert total[b"description"] == "Total con IGV, en céntimos.".encode()
    assert total[b"description_en"] == b"Total including IGV, in cents."
    assert total[b"unit"] == b"PEN/100" and total[b"source"] == b"TOTAL"
    assert schema.field("extra").metadata is None
    assert schema.metadata[b"table"] == b"day_orders"


def test_committed_dictionary_doc_is_generated_from_the_code() -> None:
    from publication.dictionary_pages import DOC, markdown

    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/data-dictionary.md is stale: run `python -m publication.dictionary_pages`"
    )


@pytest.mark.parametrize("lang", ["es", "en"])
def test_dictionary_pages_list_every_column_in_their_language(lang: str) -> None:
    from publication.dictionary_pages import PAGES, render_page

    page = render_page(lang)  # type: ignore[arg-type]
    assert page.startswith(f'<!doctype html><html lang="{lang}">')
    other = PAGES["en" if lang == "es" else "es"]
    assert f'href="{other}"' in page
    for definition in TABLES.values():
        assert f'id="{definition.name}"' in page
        assert definition.title(lang) in page  # type: ignore[arg-type]
        for column in definition.columns:
            assert f"<code>{column.name}</code>" in page
    assert ("Descripción" in page) == (lang == "es")
