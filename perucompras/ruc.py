"""Peruvian RUC (Registro Único de Contribuyentes) validation and construction.

A RUC has 11 digits: a 2-digit prefix, 8 body digits and a modulo-11 check digit over the
first 10 digits with weights 5,4,3,2,7,6,5,4,3,2 (check = 11 - sum mod 11; 10 -> 0, 11 -> 1).

Accepted prefixes (``VALID_PREFIXES``): 10 (natural person), 15 and 17 (other natural persons:
non-domiciled / foreigners with special documents), 20 (companies and public entities).
Anything else fails validation even with a correct check digit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from messages import text

if TYPE_CHECKING:
    import pandas as pd

WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
VALID_PREFIXES = ("10", "15", "17", "20")
PERUCOMPRAS_RUC = "20600927818"

_WEIGHTS_ARRAY = np.array(WEIGHTS, dtype=np.int64)


def check_digit(first_ten: str) -> int:
    """Return the modulo-11 check digit for the first 10 digits of a RUC."""
    if len(first_ten) != 10 or not first_ten.isdigit() or not first_ten.isascii():
        raise ValueError(f"a RUC check digit needs exactly 10 ASCII digits, got {first_ten!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_ruc(value: str | None) -> bool:
    """Return True when ``value`` is an 11-digit RUC with an accepted prefix and check digit."""
    if value is None or len(value) != 11 or not value.isascii() or not value.isdigit():
        return False
    return value[:2] in VALID_PREFIXES and check_digit(value[:10]) == int(value[10])


def make_ruc(prefix: str | int, body: str | int) -> str:
    """Build a valid RUC from a 2-digit prefix and an 8-digit body (zero-padded if an int)."""
    prefix_text = f"{int(prefix):02d}" if isinstance(prefix, int) else prefix
    body_text = f"{int(body):08d}" if isinstance(body, int) else body
    if prefix_text not in VALID_PREFIXES:
        raise ValueError(f"RUC prefix must be one of {VALID_PREFIXES}, got {prefix_text!r}")
    if len(body_text) != 8 or not body_text.isdigit():
        raise ValueError(f"RUC body must be 8 digits, got {body_text!r}")
    first_ten = prefix_text + body_text
    return first_ten + str(check_digit(first_ten))


def make_rucs(prefixes: np.ndarray, bodies: np.ndarray) -> np.ndarray:
    """Vectorised ``make_ruc``: integer prefixes and bodies (0..99,999,999) -> RUC strings."""
    prefixes = np.asarray(prefixes, dtype=np.int64)
    bodies = np.asarray(bodies, dtype=np.int64)
    first_ten = prefixes * 100_000_000 + bodies
    digits = (first_ten[:, None] // 10 ** np.arange(9, -1, -1, dtype=np.int64)) % 10
    check = (11 - (digits @ _WEIGHTS_ARRAY) % 11) % 10
    return np.char.mod("%011d", first_ten * 10 + check).astype(object)


def valid_ruc_mask(values: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    """Vectorised ``is_valid_ruc`` over an Arrow or pandas string column (null -> False)."""
    if not isinstance(values, pa.Array | pa.ChunkedArray):  # a pandas Series
        values = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.string())
    well_formed = pc.fill_null(pc.match_substring_regex(values, r"^(10|15|17|20)[0-9]{9}$"), False)
    safe = pc.if_else(well_formed, values, pa.scalar("00000000000"))
    digits = np.column_stack(
        [
            pc.utf8_slice_codeunits(safe, position, position + 1)
            .cast(pa.int64())
            .to_numpy(zero_copy_only=False)
            for position in range(11)
        ]
    ).reshape(-1, 11)
    expected = (11 - (digits[:, :10] @ _WEIGHTS_ARRAY) % 11) % 10
    checks = expected == digits[:, 10]
    return pc.and_(well_formed, pa.array(checks, type=pa.bool_()))


def ruc_reason(value: str | None, lang: str = "es") -> str:
    """Why ``value`` is not a valid RUC, in words (``cell.ruc_*`` texts): its length, a
    non-digit, its prefix or its check digit; empty for a valid RUC."""
    if value is None:
        return text("cell.ruc_length", lang, digits=0)
    if len(value) != 11:
        return text("cell.ruc_length", lang, digits=len(value))
    if not value.isascii() or not value.isdigit():
        return text("cell.ruc_not_digits", lang)
    if value[:2] not in VALID_PREFIXES:
        return text("cell.ruc_prefix", lang, prefix=value[:2])
    expected = check_digit(value[:10])
    if expected != int(value[10]):
        return text("cell.ruc_check_digit", lang, found=value[10], expected=expected)
    return ""


def ruc_reasons(values: pa.Array | pa.ChunkedArray, lang: str = "es") -> pa.Array:
    """Vectorised ``ruc_reason`` (once per distinct value)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    reasons = pa.array(
        [ruc_reason(value, lang) for value in encoded.dictionary.to_pylist()], pa.string()
    )
    return pc.take(reasons, encoded.indices)
