"""Property test: whole monthly files over the field space, valid and invalid, through the day
steps (extract -> quality gate -> OCDS mapping). Whatever a row holds: no crash, every row is
published or quarantined, no day is blocked by row-level defects, and every quarantined row
names its field, its rule and its raw value.

Hypothesis draws each example's seed, size (920-1000 rows) and defect share (5-30 % of rows with
one or two broken fields, plus a few broken shapes and repeated order numbers); the file's rows
are drawn from the field space below with that seed (drawing 500 rows value by value through
Hypothesis would exceed its input budget). No file crosses the 50 % "not the expected format"
line, a file-level block by design. The 11 examples add up to well over 10,000 rows.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras.reader import COLUMNS
from perucompras.ruc import make_ruc
from publication import steps
from settings import EXAMPLE_OCID_PREFIX

YEAR, MONTH = 2025, 3
DAYS = (1, 14)  # the formalisation days of valid rows; strays and unreadable dates go to day 1
EXAMPLES = 11
TOTAL_ROWS_AT_LEAST = 10_000

LATIN1 = [chr(c) for c in range(0x20, 0x100) if chr(c) not in ";" and not 0x7F <= c < 0xA0]
LABELS = (
    "EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES",
    "IM-CE-2020-5 COMPUTADORAS DE ESCRITORIO, COMPUTADORAS PORTÁTILES Y ESCÁNERES",
    "EXT-CE-2099-3 ACUERDO NUEVO DE PRUEBA",
    "LLANTAS, NEUMÁTICOS Y ACCESORIOS",
    "MOBILIARIO  EN GENERAL ",
    "ACUERDO MARCO JAMÁS VISTO",
)
STATUSES = ("ACEPTADA", "PAGADA", "RESUELTA", "ORDEN DE COMPRA NULA")
RANDOM_TEXT = "<random text>"
# Per field: values that break a rule (or are news published with a warning: an undocumented
# status or TIPO_PROCEDIMIENTO, an agreement known only by its name).
BAD: dict[str, tuple[str, ...]] = {
    "FECHA_PROCESO": ("", "2025-13-01 00:00:00", "ayer", "2025-03-01 10:00"),
    "RUC_PROVEEDOR": ("", "2060092781", "30100186170", "20100186171", "2O6OO927818", RANDOM_TEXT),
    "PROVEEDOR": ("", "   "),
    "RUC_ENTIDAD": ("", "206009278", "12345678901", "2010018617X"),
    "ENTIDAD": ("", " "),
    "TIPO_PROCEDIMIENTO": ("", "Subasta inversa", RANDOM_TEXT),
    "ORDEN_ELECTRÓNICA": ("", "OC/2025-1-1-0", "OCAM-2025-1", RANDOM_TEXT),
    "ESTADO_ORDEN_ELECTRÓNICA": ("", "EN EVALUACIÓN", RANDOM_TEXT),
    "FECHA_FORMALIZACIÓN": (
        "",
        "2025-02-30 10:00:00",
        "2025-04-02 10:00:00",
        "2024-12-31 23:59:59",
        "x",
    ),
    "FECHA_ÚLTIMO_ESTADO": ("", "2025-02-01 00:00:00", "2025-99-01 00:00:00"),
    "SUB_TOTAL": ("", "1,234.00", "-5.00", "12.345", "0", "9" * 16, "abc"),
    "IGV": ("", "-1.00", "0.001", "99999999.00", "1e3"),
    "TOTAL": ("", "0.01", "7", "12,00"),
    "ACUERDO_MARCO": ("", "EXT-CE-2022-", "  ", RANDOM_TEXT),
    "ORDEN_ELECTRÓNICA_GENERADA": ("orden.pdf", "https:/x", RANDOM_TEXT),
    "DOCUMENTO_ESTADO_OCAM": ("ftp://x/y", "https://host/[a]%zz", RANDOM_TEXT),
    "ORDEN_DIGITALIZADA": ("www.perucompras.gob.pe/x.pdf", RANDOM_TEXT),
}
URL = "https://apps1.perucompras.gob.pe//OrdenCompra/obtenerPdfOrdenPublico?ID=1 2"


def _text(rng: random.Random, size: int = 30) -> str:
    return "".join(rng.choice(LATIN1) for _ in range(rng.randint(0, size)))


def _amount(cents: int, trim: bool) -> str:
    text = f"{cents // 100}.{cents % 100:02d}"
    return text.rstrip("0").rstrip(".") if trim else text


def good_row(rng: random.Random, number: int) -> list[str]:
    """A row every rule accepts (its agreement and status may still warn)."""
    formal = dt.datetime(YEAR, MONTH, rng.choice(DAYS), rng.randint(0, 23), rng.randint(0, 59))
    last = formal + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 9))
    subtotal = rng.randint(100, 10**10)
    igv = rng.choice([0, (subtotal * 18 + 50) // 100])
    return [
        "2025-04-15 08:00:00",
        make_ruc(rng.choice(["10", "20"]), rng.randint(0, 10**8 - 1)),
        _text(rng).strip() or "PROVEEDOR",
        make_ruc("20", rng.randint(0, 10**8 - 1)),
        _text(rng).strip() or "ENTIDAD",
        rng.choice(["Compra ordinaria", "Gran Compra"]),
        f"OCAM-{YEAR}-{rng.randint(1, 999)}-{number}-{rng.choice('0000000001')}",
        rng.choice(["", URL]),
        rng.choice(STATUSES),
        rng.choice(["", URL + ".pdf"]),
        f"{formal:%Y-%m-%d %H:%M:%S}",
        f"{last:%Y-%m-%d %H:%M:%S}",
        _amount(subtotal, rng.random() < 0.3),
        _amount(igv, False),
        _amount(subtotal + igv, False),
        rng.choice(["", URL + " 12-08-51_FISICA.pdf"]),
        _text(rng),
        _text(rng),
        rng.choice(LABELS),
    ]


def monthly_file(seed: int, rows: int, defect_share: float) -> list[str]:
    """The data lines of one monthly file: good rows, a share of them with one or two broken
    fields, a few with a broken shape or a repeated order number."""
    rng = random.Random(seed)
    lines: list[str] = []
    for number in range(1, rows + 1):
        fields = good_row(rng, number)
        draw = rng.random()
        if draw < defect_share:
            for column in rng.sample(sorted(BAD), rng.choice([1, 1, 2])):
                value = rng.choice(BAD[column])
                fields[COLUMNS.index(column)] = _text(rng) if value == RANDOM_TEXT else value
        elif draw < defect_share + 0.02:
            shape = rng.choice(["extra_field", "missing_field", "empty_line"])
            if shape == "extra_field":
                fields.append("sobra")
            elif shape == "missing_field":
                fields.pop(rng.randrange(len(fields)))
            else:
                fields = []
        elif draw < defect_share + 0.03 and lines and lines[-1].count(";") == 18:
            fields[6] = lines[-1].split(";")[6]  # a repeated order number
        lines.append(";".join(fields))
    return lines


def _run_file(lines: list[str], folder: Path) -> dict[str, int]:
    path = folder / f"ReportePCBienes{YEAR}{MONTH:02d}.csv"
    path.write_bytes(
        (";".join(COLUMNS) + "\n" + "".join(f"{line}\n" for line in lines)).encode("latin-1")
    )
    totals = {"source": 0, "published": 0, "quarantined": 0}
    for day_number in DAYS:
        day = dt.date(YEAR, MONTH, day_number)
        extracted = steps.extract([path], day, root=folder / "datasets")
        assert extracted.gate_passed, extracted.failures
        checked = steps.check_quality(extracted, day)
        assert checked.gate_passed, checked.failures
        mapped = steps.map_releases(
            checked, ocid_prefix=EXAMPLE_OCID_PREFIX, root=folder / "datasets"
        )
        assert mapped.gate_passed, mapped.failures  # no row-level defect blocks a day
        assert checked.source is not None and mapped.published_orders is not None
        assert mapped.quarantine is not None
        assert (
            checked.source.source_rows
            == mapped.published_orders.num_rows + mapped.quarantine.num_rows
        )
        for row in mapped.quarantine.to_pylist():
            assert row["field"] and row["rule"] and row["message"], row
            assert row["value"] is not None, row
            if row["value"] and row["field"] != "*":
                assert row["value"] in row["raw_row"] or row["value"] in row["message"], row
        totals["source"] += checked.source.source_rows
        totals["published"] += mapped.published_orders.num_rows
        totals["quarantined"] += mapped.quarantine.num_rows
    assert totals["source"] == len(lines)  # every row of the file was assigned to a day run
    return totals


@pytest.mark.slow
def test_any_rows_are_published_or_quarantined_never_blocking() -> None:
    """Every generated row published or quarantined, no day blocked; the examples drawn cover
    at least 10k rows, some of them quarantined."""
    seen = {"rows": 0, "examples": 0, "quarantined": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(
        seed=st.integers(0, 2**32 - 1),
        rows=st.integers(920, 1000),
        defect_share=st.floats(0.05, 0.3),
    )
    def example(seed: int, rows: int, defect_share: float) -> None:
        lines = monthly_file(seed, rows, defect_share)
        with tempfile.TemporaryDirectory() as directory:
            totals = _run_file(lines, Path(directory))
        assert totals["published"] + totals["quarantined"] == len(lines)
        seen["rows"] += len(lines)
        seen["examples"] += 1
        seen["quarantined"] += totals["quarantined"]

    example()
    assert seen["rows"] >= TOTAL_ROWS_AT_LEAST, seen
    assert 0 < seen["quarantined"] < seen["rows"] / 2, seen
