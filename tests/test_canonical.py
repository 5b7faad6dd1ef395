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


# Characters on both sides of the code point / UTF-16 order boundary (U+E000..U+FFFF sort
# after surrogate pairs in UTF-16, before them by code point), and any others.
BOUNDARY = st.sampled_from(
    [
        "a",
        "~",
        "\x7f",
        "ñ",
        "\u0100",
        "\ud7ff",
        "\ue000",
        "\uf8ff",
        "\ufeff",
        "\ufffd",
        "\uffff",
        "\U00010000",
        "\U0001f600",
        "\U0010ffff",
    ]
)
non_ascii_keys = st.text(BOUNDARY, min_size=1, max_size=3) | st.text(
    BOUNDARY | st.characters(exclude_categories=("Cs",)), max_size=6
)
simple_values = st.integers(-9, 9) | st.text(max_size=3)
values_with_non_ascii_keys = st.dictionaries(
    non_ascii_keys, simple_values, min_size=2, max_size=6
) | st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(non_ascii_keys, children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(values_with_non_ascii_keys)
def test_non_ascii_keys_sort_by_utf16_code_units_like_rfc8785(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_a_bmp_character_above_the_surrogates_sorts_after_an_emoji() -> None:
    value = {"\uffff": 1, "\U0001f600": 2, "a": 0, "ñ": 3}
    expected = '{"a":0,"ñ":3,"\U0001f600":2,"\uffff":1}'.encode()
    assert canonical_bytes(value) == expected == rfc8785.dumps(value)
    assert canonical_bytes({"emoji \U0001f600": "Ñandú \U0001f600"}) == rfc8785.dumps(
        {"emoji \U0001f600": "Ñandú \U0001f600"}
    )


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


@pytest.mark.parametrize("bad", [{"a": [2**60]}, [1, -(2**60)], {"n": {"m": 2**63 - 1}}])
def test_long_integers_inside_containers_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_bytes(bad)


@pytest.mark.parametrize(
    "value", [{"a": 2**53 - 1}, [-(2**53) + 1, 1234567890123456.5], {"x": [1e16, -1.5e17]}]
)
def test_sixteen_digit_numbers_inside_containers_match_rfc8785(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_only_number_tokens_of_sixteen_digits_need_the_exact_check() -> None:
    from integrity.canonical import _long_number

    digest = b'{"url":"https://example.org/5ca6632168725637348f82a57e8cfd18.pdf","id":"-1234567890123456"}'
    assert not _long_number(digest)
    assert not _long_number(b'{"a":[123456789012345,-123456789012345]}')
    for token in (
        b'{"a":1234567890123456}',
        b"[1,-1234567890123456]",
        b'{"a":[12345678901234567]}',
    ):
        assert _long_number(token)
