"""Monthly-file reader on the real samples, their variants and broken files."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pytest
from support.shared import check_shared

from perucompras.reader import (
    COLUMNS,
    DMY_DATE_FORMAT,
    ISO_DATE_FORMAT,
    SourceFileError,
    month_of_file,
    read_monthly_file,
    read_source_dir,
)

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "perucompras"
ISO_LIMA = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$")


def sample_files() -> list[Path]:
    check_shared("samples")
    return sorted(SAMPLES.glob("ReportePCBienes*.sample.csv"))


def sample_lines(path: Path) -> tuple[str, list[str]]:
    lines = path.read_bytes().decode("latin-1").split("\n")
    return lines[0], [line for line in lines[1:] if line]


def write(path: Path, header: str, rows: list[str], encoding: str = "latin-1") -> Path:
    path.write_bytes((header + "\n" + "".join(row + "\n" for row in rows)).encode(encoding))
    return path


def to_dmy(value: str) -> str:
    date, time = value.split(" ")
    year, month, day = date.split("-")
    return f"{int(day)}/{month}/{year} {time[:5]}"


@pytest.mark.parametrize("index", [0, 1])
def test_real_sample_every_row_published_with_exact_cents(index: int) -> None:
    path = sample_files()[index]
    result = read_monthly_file(path)
    _, rows = sample_lines(path)
    assert result.info.row_count == len(rows)
    assert result.orders.num_rows + result.quarantine.num_rows == result.info.row_count
    assert result.quarantine.num_rows == 0
    assert result.info.encoding == "latin-1"
    assert result.info.date_format == ISO_DATE_FORMAT
    assert result.info.field_prefix == ""
    assert result.orders["source_line"].to_pylist() == list(range(2, len(rows) + 2))
    orders = result.orders.to_pylist()
    for row, line in zip(orders, rows, strict=True):
        fields = line.split(";")
        assert row["subtotal_cents"] + row["igv_cents"] == row["total_cents"]
        for column, raw_column, position in (
            ("subtotal_cents", "raw_subtotal", 12),
            ("igv_cents", "raw_igv", 13),
            ("total_cents", "raw_total", 14),
        ):
            assert row[raw_column] == fields[position]
            assert Decimal(fields[position]) * 100 == row[column]
        for column in ("process_time", "formalized_at", "last_status_at"):
            assert ISO_LIMA.match(row[column])
        assert row["formalized_at"][:19].replace("T", " ") == fields[10]
        assert row["order_number"] == fields[6]
        assert row["order_id"] + "-" + str(row["delivery_number"]) == fields[6]
        assert row["supplier_name"] == " ".join(fields[2].split())
        assert row["agreement_raw"] == fields[18]
        # the code only when the label carries it (2022-01 does, 2025-12 names only)
        assert (row["agreement_code"] is not None) == (path.name < "ReportePCBienes2024")
        assert row["agreement_name"] and not row["agreement_name"].startswith(("EXT-", "IM-"))
    assert result.info.process_time == orders[0]["process_time"]
    assert len(result.info.sha256) == 64 and result.info.size == path.stat().st_size


def test_whitespace_in_names_is_normalised_but_raw_values_kept() -> None:
    result = read_monthly_file(sample_files()[0])
    buyers = result.orders["buyer_name"].to_pylist()
    assert (
        "GOBIERNO REGIONAL DE APURIMAC - UNIDAD EJECUTORA GERENCIA SUB REGIONAL DE COTABAMBAS"
        in buyers
    )
    assert not any("  " in name or name != name.strip() for name in buyers)
    assert "D´LEON IMPLEMENT E.I.R.L." in result.orders["supplier_name"].to_pylist()


@pytest.mark.parametrize("index", [0, 1])
def test_variants_of_sample_rows_give_the_same_values(tmp_path: Path, index: int) -> None:
    path = sample_files()[index]
    header, rows = sample_lines(path)
    baseline = read_monthly_file(path).orders

    tab_rows = [";".join([f[0]] + ["\t" + v for v in f[1:]]) for f in (r.split(";") for r in rows)]
    tab_header = ";".join([COLUMNS[0]] + ["\t" + c for c in COLUMNS[1:]])
    tab = read_monthly_file(write(tmp_path / path.name, tab_header, tab_rows, "utf-8"))
    assert tab.info.encoding == "utf-8" and tab.info.field_prefix == "\t"
    assert tab.quarantine.num_rows == 0
    assert tab.orders.drop_columns(["source_file"]).equals(baseline.drop_columns(["source_file"]))

    dmy_rows = []
    for row in rows:
        fields = row.split(";")
        for position in (0, 10, 11):
            fields[position] = to_dmy(fields[position])
        for position in (12, 13, 14):
            fields[position] = (
                fields[position].rstrip("0").rstrip(".")
                if "." in fields[position]
                else fields[position]
            )
        dmy_rows.append(";".join(fields))
    dmy = read_monthly_file(write(tmp_path / ("dmy_" + path.name), header, dmy_rows))
    assert dmy.info.date_format == DMY_DATE_FORMAT
    assert dmy.quarantine.num_rows == 0
    for column in (
        "subtotal_cents",
        "igv_cents",
        "total_cents",
        "order_id",
        "buyer_ruc",
        "agreement_code",
    ):
        assert dmy.orders[column].equals(baseline[column])
    for column in ("process_time", "formalized_at", "last_status_at"):
        truncated = [value[:17] + "00-05:00" for value in baseline[column].to_pylist()]
        assert dmy.orders[column].to_pylist() == truncated


def test_row_level_problems_are_quarantined_never_lost(tmp_path: Path) -> None:
    header, rows = sample_lines(sample_files()[1])
    broken = list(rows[:12])
    broken[0] = broken[0].replace(";ACEPTADA;", ";ACEPTADA;;")  # 20 fields
    for row, column, value in (
        (1, 10, "2025-02-30 10:00:00"),
        (2, 12, "1,623.00"),
        (3, 13, "979.731"),
        (4, 2, "   "),
        (5, 6, "OCAM-2025-1031"),
        (7, 18, "ACUERDO DESCONOCIDO"),
    ):
        fields = broken[row].split(";")
        fields[column] = value
        broken[row] = ";".join(fields)
    broken[6] = ""
    fields = broken[7].split(";")
    fields[1] = fields[1][:10] + "0" if fields[1][10] != "0" else fields[1][:10] + "1"
    broken[7] = ";".join(fields)
    result = read_monthly_file(write(tmp_path / "ReportePCBienes202512.csv", header, broken))
    assert result.info.row_count == 12
    assert result.orders.num_rows + result.quarantine.num_rows == 12
    got = {(r["source_line"], r["field"], r["rule"]) for r in result.quarantine.to_pylist()}
    assert got == {
        (2, "*", "field_count"),
        (3, "FECHA_FORMALIZACIÓN", "date_unparseable"),
        (4, "SUB_TOTAL", "amount_unparseable"),
        (5, "IGV", "amount_precision"),
        (6, "PROVEEDOR", "required_missing"),
        (7, "ORDEN_ELECTRÓNICA", "order_number_format"),
        (8, "*", "field_count"),
    }
    raw = {r["source_line"]: r["raw_row"] for r in result.quarantine.to_pylist()}
    assert raw[3] == broken[1] and raw[8] == ""
    assert all(r["message"] for r in result.quarantine.to_pylist())
    published = result.orders.filter(pc.equal(result.orders["source_line"], 9)).to_pylist()[0]
    assert published["agreement_code"] is None  # business rules are the quality layer's job


def test_crlf_and_header_only_files(tmp_path: Path) -> None:
    header, rows = sample_lines(sample_files()[0])
    crlf = tmp_path / "ReportePCBienes202201.csv"
    crlf.write_bytes(("\r\n".join([header, *rows[:3]]) + "\r\n").encode("latin-1"))
    result = read_monthly_file(crlf)
    assert (result.orders.num_rows, result.quarantine.num_rows) == (3, 0)
    empty_month = write(tmp_path / "ReportePCBienes202202.csv", header, [])
    result = read_monthly_file(empty_month)
    assert result.info.row_count == 0 and result.orders.num_rows == 0


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "empty.*0 bytes"),
        (b"  \n", "empty"),
        (b"FECHA_PROCESO,RUC_PROVEEDOR,PROVEEDOR\n1,2,3\n", "separated by ','.*',' \\(2\\)"),
        (b"\x00\x01PK\x03\x04", "not text.*NUL"),
    ],
)
def test_whole_file_errors(tmp_path: Path, content: bytes, pattern: str) -> None:
    path = tmp_path / "ReportePCBienes202201.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFileError, match=pattern) as error:
        read_monthly_file(path, "en")
    message = str(error.value)
    assert message.startswith(f"{path.name}: check source_files_readable: ")
    assert "Most frequent values: " in message and "How to fix it: " in message
    assert error.value.check == "source_files_readable" and error.value.file == path.name


def test_renamed_or_missing_column_is_named(tmp_path: Path) -> None:
    header, rows = sample_lines(sample_files()[0])
    renamed = write(tmp_path / "a.csv", header.replace("SUB_TOTAL", "MONTO_NETO"), rows[:2])
    with pytest.raises(SourceFileError, match=r"missing.*: SUB_TOTAL\..*MONTO_NETO \(1\)"):
        read_monthly_file(renamed, "en")
    missing = write(tmp_path / "b.csv", header.replace(";IGV", ""), rows[:2])
    with pytest.raises(SourceFileError, match="faltan columnas requeridas en el encabezado: IGV"):
        read_monthly_file(missing)


def test_columns_are_found_by_name_optional_ones_may_be_absent(tmp_path: Path) -> None:
    header, rows = sample_lines(sample_files()[0])
    names = header.split(";")
    order = [*range(1, len(names)), 0]  # FECHA_PROCESO last
    moved = [";".join(row.split(";")[i] for i in order) + ";extra" for row in rows[:3]]
    path = write(
        tmp_path / "ReportePCBienes202201.csv",
        ";".join([names[i].lower() for i in order] + ["COLUMNA_NUEVA"]).replace("ó", "o"),
        moved,
    )
    result = read_monthly_file(path)
    assert result.quarantine.num_rows == 0 and result.orders.num_rows == 3
    assert result.info.ignored_columns == ("COLUMNA_NUEVA",)
    baseline = read_monthly_file(sample_files()[0]).orders.slice(0, 3)
    assert result.orders["process_time"].equals(baseline["process_time"])
    optional = names.index("DESCRIPCIÓN_CESIÓN_DERECHOS")
    without = [";".join(f for i, f in enumerate(r.split(";")) if i != optional) for r in rows[:3]]
    header_without = ";".join(n for i, n in enumerate(names) if i != optional)
    result = read_monthly_file(
        write(tmp_path / "ReportePCBienes202202.csv", header_without, without)
    )
    assert result.orders.num_rows == 3
    assert result.orders["rights_assignment_description"].null_count == 3


def test_undecodable_bytes_refuse_the_file_only_when_most_rows_have_them(tmp_path: Path) -> None:
    header, rows = sample_lines(sample_files()[0])
    path = tmp_path / "c.csv"
    path.write_bytes((header + "\n").encode("latin-1") + b"\x81\x82\xff;;\n")
    with pytest.raises(SourceFileError, match="1 of 1 rows have bytes that are not text"):
        read_monthly_file(path, "en")
    # one damaged row among many: only that row is held back, with the bytes around it
    body = [row.encode("latin-1") for row in rows[:4]]
    body[1] = body[1].replace(b"PAGADA", b"PAG\x81DA")
    path.write_bytes((header + "\n").encode("latin-1") + b"\n".join(body) + b"\n")
    result = read_monthly_file(path, "en")
    assert result.info.encoding == "cp1252"
    assert result.orders.num_rows == 3
    damaged = result.quarantine.to_pylist()
    assert [(r["source_line"], r["field"], r["rule"]) for r in damaged] == [
        (3, "*", "encoding_invalid")
    ]
    assert "PAG\ufffdDA" in damaged[0]["value"] and "(cp1252)" in damaged[0]["message"]
    # Windows-1252 punctuation is text, not damage
    body[1] = body[1].replace(b"PAG\x81DA", b"PAGADA").replace(b";PAGADA;", b";PAGADA;")
    body[2] = body[2].replace(b"UNIVERSIDAD", b"\x93UNIVERSIDAD\x94")
    path.write_bytes((header + "\n").encode("latin-1") + b"\n".join(body) + b"\n")
    result = read_monthly_file(path)
    assert result.quarantine.num_rows == 0
    assert "\u201cUNIVERSIDAD" in "".join(result.orders["buyer_name"].to_pylist())


def test_month_of_file_and_source_dir(tmp_path: Path) -> None:
    assert month_of_file(Path("ReportePCBienes202302_0.csv")) == (2023, 2)
    assert month_of_file(Path("ReportePCBienes202512.sample.csv")) == (2025, 12)
    with pytest.raises(SourceFileError, match="not a monthly file name"):
        month_of_file(Path("otro.csv"), "en")
    for name in (
        "ReportePCBienes202403_0.csv",
        "ReportePCBienes202201.csv",
        "notes.csv",
        "ReportePCBienes202312.csv",
    ):
        (tmp_path / name).write_text("x")
    assert [p.name for p in read_source_dir(tmp_path)] == [
        "ReportePCBienes202201.csv",
        "ReportePCBienes202312.csv",
        "ReportePCBienes202403_0.csv",
    ]
