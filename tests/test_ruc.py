"""RUC check-digit validation: scalar and vectorised paths agree with the published rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from perucompras.ruc import (
    PERUCOMPRAS_RUC,
    check_digit,
    is_valid_ruc,
    make_ruc,
    make_rucs,
    valid_ruc_mask,
)

REAL_RUCS = ["20600927818", "20530182038", "10463163851", "20148092282", "10762791591"]


def test_perucompras_ruc_passes() -> None:
    assert PERUCOMPRAS_RUC == "20600927818"
    assert is_valid_ruc(PERUCOMPRAS_RUC)
    assert check_digit("2060092781") == 8


@pytest.mark.parametrize("ruc", REAL_RUCS)
def test_real_rucs_pass_and_every_other_check_digit_fails(ruc: str) -> None:
    assert is_valid_ruc(ruc)
    for digit in "0123456789":
        if digit != ruc[-1]:
            assert not is_valid_ruc(ruc[:10] + digit)


@pytest.mark.parametrize(
    "value", [None, "", "2060092781", "206009278180", "2060092781X", "30600927818", "２0600927818"]
)
def test_malformed_values_fail(value: str | None) -> None:
    assert not is_valid_ruc(value)


def test_check_digit_special_cases_ten_and_eleven() -> None:
    remainders = {}
    for body in range(10_000_000, 10_000_400):
        first_ten = f"20{body:08d}"
        total = sum(
            int(d) * w for d, w in zip(first_ten, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=False)
        )
        remainders[total % 11] = first_ten
    assert check_digit(remainders[1]) == 0  # 11 - 1 = 10 -> 0
    assert check_digit(remainders[0]) == 1  # 11 - 0 = 11 -> 1


def test_make_ruc_accepts_prefixes_and_rejects_others() -> None:
    for prefix in ("10", "15", "17", "20"):
        assert is_valid_ruc(make_ruc(prefix, "12345678"))
    assert make_ruc(20, 60092781) == PERUCOMPRAS_RUC
    with pytest.raises(ValueError, match="prefix"):
        make_ruc("30", "12345678")
    with pytest.raises(ValueError, match="body"):
        make_ruc("20", "1234567")


def test_vectorised_paths_match_scalar() -> None:
    rng = np.random.default_rng(7)
    prefixes = rng.choice([10, 15, 17, 20], 2_000)
    bodies = rng.integers(0, 100_000_000, 2_000)
    rucs = make_rucs(prefixes, bodies)
    assert all(
        ruc == make_ruc(int(p), int(b)) for ruc, p, b in zip(rucs, prefixes, bodies, strict=False)
    )
    corrupted = [
        ruc[:10] + str((int(ruc[10]) + 1) % 10) if i % 3 == 0 else ruc for i, ruc in enumerate(rucs)
    ]
    values = [*corrupted, None, "abc", "30600927818"]
    mask = valid_ruc_mask(pa.array(values)).to_pylist()
    assert mask == [is_valid_ruc(value) for value in values]
    assert sum(mask) == 2_000 - len(range(0, 2_000, 3))
    series_mask = valid_ruc_mask(pd.Series(values, dtype="string")).to_pylist()
    assert series_mask == mask
    chunked = valid_ruc_mask(pa.chunked_array([values[:10], values[10:]])).to_pylist()
    assert chunked == mask
