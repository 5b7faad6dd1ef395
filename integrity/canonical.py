"""Canonical JSON bytes (RFC 8785, JCS) for the values this project publishes.

The fast path serialises with orjson (sorted keys, no whitespace, UTF-8 unescaped, and with
``OPT_STRICT_INTEGER`` refusing integers beyond ±(2**53 - 1), the I-JSON range of RFC 7493 §2.2
that RFC 8785 §3.1 requires), which is byte-identical to JCS for integers and for floats
written without an exponent and with a fractional part. orjson differs from JCS on integral floats (``1.0`` vs ``1``, ``-0.0`` vs
``0``), exponents (``1e-7`` and ``1e+16`` vs ``10000000000000000``) and NaN or infinities
(``null`` vs an error), so every output is screened for the bytes such tokens contain and, if
one may be there, the value is re-serialised by the exact (slower) reference implementation
below.

Keys: orjson sorts them by code point, JCS by UTF-16 code units. The two orders differ only
between a character in U+E000..U+FFFF and one above U+FFFF (a surrogate pair, whose first
unit is below U+E000), so an output holding a U+E000..U+FFFF character (UTF-8 lead byte
0xEE or 0xEF, never a continuation byte) also takes the exact path. ASCII keys, accents and
emoji alone stay on the fast path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# A number token (or null) in compact JSON follows ":", "[" or "," and is followed by ",", "]"
# or "}" (or is the whole output). These are the tokens orjson writes differently from JCS:
# integral floats, exponents (orjson always signs them: 1e+16, 1e-7) and null (orjson writes
# NaN and infinities as null). The same bytes inside a string only cause a needless, still
# exact, slow path.
_INTEGRAL_FLOAT_END = re.compile(rb"\.0[,\]}]")  # one scan for "." (rare), unlike three "in"
_SUSPICIOUS_TOKEN = re.compile(rb"[:\[,](?:-?\d+\.0[,\]}]|-?\d+(?:\.\d+)?[eE]|null[,\]}])")
_MAX_SAFE_INTEGER = 2**53 - 1


class CanonicalJSONError(ValueError):
    """A value cannot be written as canonical JSON."""


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        fast = orjson.dumps(value, option=_OPTIONS)
    except TypeError as exc:  # also integers beyond ±(2**53 - 1)
        raise CanonicalJSONError(f"not JSON-serialisable: {exc}") from exc
    if (
        fast[:1] in b"-0123456789n"
        or (_may_differ(fast) and _SUSPICIOUS_TOKEN.search(fast))
        or (b"\xee" in fast or b"\xef" in fast)  # keys may sort differently (see above)
    ):
        return jcs_bytes(value)  # rare: re-serialise exactly
    return fast


def _may_differ(data: bytes) -> bool:
    """Cheap screen before the exact token regex: false alarms allowed, misses never."""
    return (
        b"+" in data  # positive exponent: 1e+16
        or b"e-" in data  # negative exponent: 1e-7
        or b"null" in data  # NaN, inf, -inf
        or _INTEGRAL_FLOAT_END.search(data) is not None  # 1.0, -0.0
    )


def canonical_lines(values: Iterable[Any]) -> Iterator[bytes]:
    """Yield the canonical bytes of each value (one JSON Lines line each, without newline)."""
    for value in values:
        yield canonical_bytes(value)


def jcs_bytes(value: Any) -> bytes:
    """Reference RFC 8785 serialiser (pure Python; exact but slower)."""
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise CanonicalJSONError(f"integer {value} is outside the IEEE 754 safe range")
        return str(value)
    if isinstance(value, float):
        return _jcs_number(value)
    if isinstance(value, str):
        return orjson.dumps(value).decode("utf-8")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalJSONError(f"object key {key!r} is not a string")
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    raise CanonicalJSONError(f"type {type(value).__name__} is not JSON")


def _jcs_number(number: float) -> str:
    """Format a float as ECMAScript Number.prototype.toString does (RFC 8785 §3.2.2.3)."""
    if math.isnan(number) or math.isinf(number):
        raise CanonicalJSONError(f"{number} has no JSON representation")
    if number == 0:
        return "0"
    digits, exponent = _shortest_digits(abs(number))
    sign = "-" if number < 0 else ""
    point = exponent + 1  # position of the decimal point relative to the digits
    if len(digits) <= point <= 21:
        return sign + digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = point - 1
    return f"{sign}{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _shortest_digits(number: float) -> tuple[str, int]:
    """Shortest round-trip significant digits and the decimal exponent of the first digit."""
    shortest = repr(number)
    if "e" in shortest:
        significand, _, exp_text = shortest.partition("e")
        return significand.replace(".", "").rstrip("0") or "0", int(exp_text)
    whole, _, fraction = shortest.partition(".")
    digits = (whole + fraction).lstrip("0")
    exponent = len(whole) - 1 if whole != "0" else -(len(fraction) - len(fraction.lstrip("0")) + 1)
    return digits.rstrip("0") or "0", exponent
