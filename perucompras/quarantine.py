"""The quarantine table every reader, mapping and gate writes (docs/ARCHITECTURE.md), the
column-wise accumulator of row problems the readers fill it from, and the vectorised rendering of
catalogue messages (``messages``) into one text per row.

Kept free of other project imports (``messages`` aside): every reader, ``ocds_mappings`` and
``quality`` use it.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from messages import catalogue, text

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("field", pa.string()),
        ("rule", pa.string()),
        ("value", pa.string()),
        ("message", pa.string()),
        ("raw_row", pa.string()),
    ]
)
# Between the messages of one row (a message may itself contain ";").
MESSAGE_SEPARATOR = " | "

Param: TypeAlias = pa.Array | pa.ChunkedArray | str | int


def render_column(key: str, lang: str, size: int, **params: Param) -> pa.Array:
    """The catalogue text ``key`` in ``lang`` once per row, placeholders filled per row.

    A parameter is a scalar (same text on every row) or an array of ``size`` values; a null
    value shows as the catalogue's ``cell.empty`` ("vacío"/"empty").
    """
    try:
        template = catalogue()[key][lang]
    except KeyError:
        text(key, lang)  # raises the catalogue's own error (unknown key or language)
        raise
    empty = text("cell.empty", lang)
    parts: list[pa.Array | str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if name not in params:
            text(key, lang, **{k: "" for k in params})  # raises "needs parameter …"
        value = params[name]
        if isinstance(value, str | int):
            parts.append(str(value))
        else:
            array = value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value
            parts.append(pc.fill_null(array.cast(pa.string()), empty))
    arrays = [part for part in parts if not isinstance(part, str)]
    if not arrays:
        return pa.array(["".join(str(part) for part in parts)] * size, pa.string())
    return pc.binary_join_element_wise(*parts, "")


def format_top(pairs: list[tuple[str, int]], lang: str = "es") -> str:
    """``"a" (12), "b" (3)`` for (value, count) pairs; the catalogue's "(none)" when empty."""
    if not pairs:
        return text("cell.none", lang)
    return ", ".join(text("cell.count", lang, value=value, count=count) for value, count in pairs)


def quoted(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Values between double quotes (null stays null), to show a raw value in a message."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.binary_join_element_wise('"', array.cast(pa.string()), '"', "")


class RowProblems:
    """First failing (field, rule, value) per row plus every message, accumulated column-wise."""

    def __init__(self, size: int) -> None:
        """No problem yet for any of ``size`` rows."""
        self.size = size
        self.field: pa.Array = pa.nulls(size, pa.string())
        self.rule: pa.Array = pa.nulls(size, pa.string())
        self.value: pa.Array = pa.nulls(size, pa.string())
        self.messages: pa.Array = pa.nulls(size, pa.string())

    def add(
        self,
        failed: pa.Array,
        field: str,
        rule: str,
        message: pa.Array | str | Callable[[], pa.Array | str],
        value: pa.Array | str | None = None,
    ) -> None:
        """Record ``rule`` on ``field`` for every row where ``failed`` is true (null = false).
        ``message`` may be a function that makes it: called only when a row failed (a batch
        of good rows renders no message, and most batches are good)."""
        failed = pc.fill_null(failed, False)
        if not pc.any(failed).as_py():
            return
        if callable(message):
            message = message()
        first = pc.and_(failed, pc.is_null(self.rule))
        self.field = pc.if_else(first, pa.scalar(field), self.field)
        self.rule = pc.if_else(first, pa.scalar(rule), self.rule)
        if value is not None:
            shown = pa.scalar(value) if isinstance(value, str) else value.cast(pa.string())
            self.value = pc.if_else(first, shown, self.value)
        joined = pc.binary_join_element_wise(self.messages, message, MESSAGE_SEPARATOR)
        self.messages = pc.if_else(failed, pc.coalesce(joined, message), self.messages)

    @property
    def good(self) -> pa.Array:
        """Rows without any problem."""
        return pc.is_null(self.rule)
