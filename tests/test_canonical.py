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


def test_the_screen_ignores_digests_and_plain_amounts() -> None:
    from integrity.canonical import _may_differ

    release = (
        b'{"id":"OCAM-2026-1-20260124T113612-5ca6632168725637348f82a57e8cfd18",'
        b'"url":"https://example.org/a.pdf?id=10520044","value":{"amount":5060.04,"n":[150,-7]}}'
    )
    assert not _may_differ(release)


@pytest.mark.parametrize(
    "token",
    [b'{"a":1e+16}', b"[1.5e-7]", b'{"a":[null]}', b'{"a":1.0}', b"[2,-0.0]", b'{"a":{"b":3.0}}'],
)
def test_the_screen_flags_every_token_orjson_writes_differently(token: bytes) -> None:
    from integrity.canonical import _may_differ

    assert _may_differ(token)


def assert_same_as_rfc8785(value: object) -> None:
    """Equal bytes, or both refuse the value."""
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(CanonicalJSONError):
            canonical_bytes(value)
    else:
        assert canonical_bytes(value) == expected


# Where orjson's float text switches form (1e-5, 1e16) or JCS's does (1e-6, 1e21), the safe
# integer limit and the extremes, each with its nearest neighbours.
BOUNDARY_FLOATS = [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 0.1, 1.0, 1e15, 2.0**53, 1e16, 1e17, 1e21, 1e22]
BOUNDARY_FLOATS += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]


def _nudged(number: float, steps: int) -> float:
    for _ in range(abs(steps)):
        number = math.nextafter(number, math.inf if steps > 0 else -math.inf)
    return number


adversarial_floats = (
    st.builds(_nudged, st.sampled_from(BOUNDARY_FLOATS), st.integers(-2, 2))
    | st.builds(lambda m, e: m * 10.0**e, st.integers(1, 99_999), st.integers(-12, 22))
    | st.integers(-(2**54), 2**54).map(float)
    | st.sampled_from([-0.0, math.nan, math.inf, -math.inf])
    | st.floats()
).flatmap(lambda x: st.sampled_from([x, -x]))
adversarial_integers = st.sampled_from([0, 2**53 - 1, 2**53, 2**53 + 1, 2**63, 10**15, 10**16])
adversarial_integers = adversarial_integers.flatmap(lambda n: st.sampled_from([n, -n, n - 2]))
# Text made of number-token bytes, JSON delimiters, escapes and the sort-order boundary.
TOKEN_TEXT = ["e+", "e-", "E", "null", ".0", "1e+16", ".0,", ".0]", "0.00001", "-", ":", ",", "]"]
TOKEN_TEXT += ["}", "[", '"', "\\", "\n", "\x00", "\x1f", "\u2028", "ñ", "\ue000", "\U0001f600"]
adversarial_text = st.lists(
    st.sampled_from(TOKEN_TEXT)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=3)
    | st.from_regex(r"\A[0-9]{1,17}\Z"),
    max_size=6,
).map("".join)
adversarial_values = st.recursive(
    st.none() | st.booleans() | adversarial_integers | adversarial_floats | adversarial_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(adversarial_text, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None)
@given(adversarial_values)
def test_adversarial_numbers_and_strings_match_rfc8785(value: object) -> None:
    assert_same_as_rfc8785(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1e16]},
        [1, 1e21],
        {"a": {"b": -1e-7}},
        {"a": [1.5e-6]},
        [5e-324],
        [1.0, 0.5],
        {"z": -0.0},
        {"x": [math.nan]},
        [1, -math.inf],
        [2**53 - 1, -(2**53) + 1],
        {"a": 2**53},
        {"text": "1e+16 e-7 null 1.0, 1.0]"},
    ],
)
def test_differing_tokens_inside_containers_match_rfc8785(value: object) -> None:
    assert_same_as_rfc8785(value)
