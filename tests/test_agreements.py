"""Framework-agreement table and vectorised label resolution."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from perucompras.agreements import agreement_rows, load_agreements, resolve_agreements

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "perucompras"


def _sample_labels() -> list[str]:
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {SAMPLES} (shared/ must sit beside the repo)")
    labels = []
    for path in sorted(SAMPLES.glob("ReportePCBienes*.csv")):
        lines = path.read_bytes().decode("latin-1").splitlines()[1:]
        labels.extend(line.split(";")[18] for line in lines)
    return labels


def test_every_sample_label_resolves() -> None:
    labels = _sample_labels()
    codes = resolve_agreements(pa.array(labels)).to_pylist()
    unresolved = sorted({label for label, code in zip(labels, codes, strict=False) if code is None})
    assert unresolved == []
    assert len(set(labels)) == 18
    by_label = dict(zip(labels, codes, strict=False))
    assert by_label["EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES"] == "EXT-CE-2021-7"
    assert (
        by_label["COMPUTADORAS DE ESCRITORIO, COMPUTADORAS PORTÁTILES  Y ESCÁNERES"]
        == "IM-CE-2020-5"
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ÚTILES DE ESCRITORIO, PAPELES Y CARTONES", "EXT-CE-2021-7"),
        ("  utiles de escritorio,   papeles y cartones  ", "EXT-CE-2021-7"),
        ("EXT-CE-2021-7  ÚTILES DE ESCRITORIO, PAPELES Y CARTONES ", "EXT-CE-2021-7"),
        ("EXT-CE-2021-7", "EXT-CE-2021-7"),
        ("IM-CE-2018-2 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES", "IM-CE-2018-2"),
        ("MATERIALES DE PROTECCIÓN PARA LA SALUD", "EXT-CE-2021-4"),
        ("IM-CE-2031-9 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES", None),
        ("ACUERDO MARCO INEXISTENTE", None),
        ("", None),
        (None, None),
    ],
)
def test_resolution_rules(label: str | None, expected: str | None) -> None:
    assert resolve_agreements(pa.array([label], pa.string())).to_pylist() == [expected]


def test_table_shape_and_provenance() -> None:
    table = load_agreements()
    assert table.num_rows >= 70
    codes = table["code"].to_pylist()
    assert len(codes) == len(set(codes))
    sources = table["source"].to_pylist()
    kinds = table["code_kind"].to_pylist()
    for code, source, kind in zip(codes, sources, kinds, strict=False):
        assert (kind == "synthetic") == (source == "synthetic") == code.startswith("SYN-")
    assert set(table["ocds_category"].to_pylist()) <= {"goods", "services", "works"}
    real = agreement_rows()
    assert all(row["code_kind"] != "synthetic" for row in real)
    assert len(agreement_rows(include_synthetic=True)) > len(real)
