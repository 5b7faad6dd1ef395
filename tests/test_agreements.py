"""Agreement identity from the data: labels parsed, names resolved, the curated table enriching."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pytest
from support.shared import check_shared

from perucompras.agreements import (
    Candidate,
    LearnedName,
    agreement_infos,
    agreement_rows,
    choose_code,
    learned_from,
    load_agreements,
    name_key,
    parse_label,
    resolve_agreements,
)

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "perucompras"


def _sample_labels() -> list[str]:
    check_shared("samples")
    labels = []
    for path in sorted(SAMPLES.glob("ReportePCBienes*.csv")):
        lines = path.read_bytes().decode("latin-1").splitlines()[1:]
        labels.extend(line.split(";")[18] for line in lines)
    return labels


def _orders(labels: list[str | None], days: list[str] | None = None) -> pa.Table:
    parsed = [parse_label(label) for label in labels]
    days = days or ["2025-01-15"] * len(labels)
    return pa.table(
        {
            "agreement_raw": pa.array(labels, pa.string()),
            "agreement_code": pa.array([code for code, _ in parsed], pa.string()),
            "agreement_name": pa.array([name for _, name in parsed], pa.string()),
            "formalized_at": pa.array([f"{day}T10:00:00-05:00" for day in days], pa.string()),
        }
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (
            "EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES",
            ("EXT-CE-2021-7", "ÚTILES DE ESCRITORIO, PAPELES Y CARTONES"),
        ),
        (
            "EXT-CE-2021-7  ÚTILES DE ESCRITORIO,  PAPELES Y CARTONES ",
            ("EXT-CE-2021-7", "ÚTILES DE ESCRITORIO, PAPELES Y CARTONES"),
        ),
        ("IM-CE-2020-9 X", ("IM-CE-2020-9", "X")),
        ("EXT-CE-2024-2 - LLANTAS", ("EXT-CE-2024-2", "LLANTAS")),
        ("ext-ce-2021-12 mobiliario", ("EXT-CE-2021-12", "mobiliario")),
        ("EXT-CE-2099-3", ("EXT-CE-2099-3", None)),
        ("MOBILIARIO EN GENERAL ", (None, "MOBILIARIO EN GENERAL")),
        ("EXT-CE-202 MOBILIARIO", (None, "EXT-CE-202 MOBILIARIO")),
        ("EXTRA-CE-2021-7X", (None, "EXTRA-CE-2021-7X")),
        ("   ", (None, None)),
        (None, (None, None)),
    ],
)
def test_labels_give_their_code_and_name(label: str | None, expected: tuple) -> None:
    assert parse_label(label) == expected


def test_every_sample_label_parses_and_names_match_across_the_two_eras() -> None:
    labels = _sample_labels()
    assert len(set(labels)) == 18
    parsed = {label: parse_label(label) for label in labels}
    coded = {code: name for code, name in parsed.values() if code}
    assert len(coded) == 10  # 2022-01: every label carries its code
    name_only = [name for code, name in parsed.values() if code is None]
    assert len(set(name_only)) == 8  # 2025-12: names only
    learned_keys = {name_key(name) for name in coded.values()}
    # six 2025 names were taught by 2022 labels (spacing and accents aside)
    assert len({name_key(name) for name in name_only} & learned_keys) == 6


def test_name_only_labels_resolve_through_learned_pairs_then_the_table() -> None:
    taught = _orders(
        [
            "EXT-CE-2099-3 ABARROTES DEL NORTE",
            "EXT-CE-2021-7 ÚTILES DE ESCRITORIO, PAPELES Y CARTONES",
        ]
    )
    later = _orders(
        [
            "ABARROTES  DEL NORTE",  # learned from a code-prefixed label, not in the table
            "MATERIALES DE PROTECCIÓN PARA LA SALUD",  # the curated table
            "ACCESORIOS DOMÉSTICOS Y BIENES PARA USOS DIVERSOS",  # table row without a code
            "NOMBRE JAMÁS VISTO",
            "EXT-CE-2098-1 OTRO NUEVO",  # code-prefixed: its own code, whatever the table says
        ]
    )
    resolved = resolve_agreements(later, learned_from(taught)).to_pylist()
    assert [row["agreement_code"] for row in resolved] == [
        "EXT-CE-2099-3",
        "EXT-CE-2021-4",
        None,
        None,
        "EXT-CE-2098-1",
    ]
    assert [row["agreement_name"] for row in resolved] == [
        "ABARROTES DEL NORTE",
        "MATERIALES DE PROTECCION PARA LA SALUD",
        "ACCESORIOS DOMÉSTICOS Y BIENES PARA USOS DIVERSOS",
        "NOMBRE JAMÁS VISTO",
        "OTRO NUEVO",
    ]
    infos = agreement_infos(resolve_agreements(later, learned_from(taught)))
    assert set(infos) == {"EXT-CE-2099-3", "EXT-CE-2021-4", "EXT-CE-2098-1"}
    assert infos["EXT-CE-2099-3"].category == "goods"


def test_reissued_agreement_resolves_by_dates_whatever_the_learning_order() -> None:
    first = LearnedName("IM-CE-2018-2", name_key("ÚTILES"), "ÚTILES", "2019-01-10", "2021-06-30")
    second = LearnedName("EXT-CE-2021-7", name_key("ÚTILES"), "ÚTILES", "2021-07-01", "2024-05-31")
    orders = _orders(["ÚTILES", "ÚTILES", "ÚTILES"], ["2020-03-01", "2025-03-01", "2018-01-01"])
    results = {
        tuple(resolve_agreements(orders, list(order))["agreement_code"].to_pylist())
        for order in itertools.permutations([first, second, first])
    }
    # in force on the day (latest start before it); before every edition: the earliest
    assert results == {("IM-CE-2018-2", "EXT-CE-2021-7", "IM-CE-2018-2")}


def test_choice_between_editions_uses_known_end_dates_and_breaks_ties_by_code() -> None:
    ended = Candidate("A-CE-2020-1", "2020-01-01", "2022-12-31")
    current = Candidate("A-CE-2023-1", "2023-01-01", None)
    assert choose_code([ended, current], "2022-06-01") == "A-CE-2020-1"
    assert choose_code([ended, current], "2024-06-01") == "A-CE-2023-1"
    assert choose_code([Candidate("B", "2021-01-01", "2021-12-31")], "2024-01-01") == "B"
    assert (
        choose_code(
            [Candidate("X-1", "2021-01-01", None), Candidate("X-2", "2021-01-01", None)],
            "2022-01-01",
        )
        == "X-2"
    )
    assert choose_code([], "2022-01-01") is None


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
