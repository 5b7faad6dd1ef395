"""Canonical JSON: the fast orjson path must equal RFC 8785 (JCS) byte for byte."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.canonical import CanonicalJSONError, canonical_bytes

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_matches_rfc8785_reference(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [1.0, 1e-7, -0.0, 1e21, 3500.0, 10972.7, {"ñ": "Ñandú", "a": [1.5, 2.0]}, "\u2028\x01"],
)
def test_known_orjson_differences_are_corrected(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_money_amounts_keep_cents() -> None:
    assert canonical_bytes({"amount": 1097270 / 100}) == b'{"amount":10972.7}'
    assert canonical_bytes({"amount": 350000 / 100}) == b'{"amount":3500}'


@pytest.mark.parametrize("bad", [math.nan, math.inf, 2**60, {1: "x"}, object()])
def test_values_without_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_bytes(bad)
