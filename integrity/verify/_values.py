"""Small value helpers shared by the verifier's modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def first_field(data: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present (and not null) in ``data``, else None."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    return None


def hex32(value: Any) -> str | None:
    """Normalise a bytes32 value to lowercase hex without prefix (None if absent)."""
    if value is None:
        return None
    text = value.hex() if isinstance(value, bytes) else str(value)
    return text.lower().removeprefix("0x")


def same_address(left: object, right: object) -> bool:
    """Whether two EVM addresses are equal, ignoring case (None never matches)."""
    return left is not None and right is not None and str(left).lower() == str(right).lower()


def short(error: BaseException) -> str:
    """The first line of an error, capped for display."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]
