"""The quarantine table every reader, mapping and gate writes (docs/ARCHITECTURE.md), and the
column-wise accumulator of row problems the readers fill it from.

Kept free of other project imports: every reader, ``ocds_mappings`` and ``quality`` use it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("field", pa.string()),
        ("rule", pa.string()),
        ("message", pa.string()),
        ("raw_row", pa.string()),
    ]
)


class RowProblems:
    """First failing (field, rule) per row plus every message, accumulated column-wise."""

    def __init__(self, size: int) -> None:
        """No problem yet for any of ``size`` rows."""
        self.size = size
        self.field: pa.Array = pa.nulls(size, pa.string())
        self.rule: pa.Array = pa.nulls(size, pa.string())
        self.message: pa.Array = pa.nulls(size, pa.string())

    def add(self, failed: pa.Array, field: str, rule: str, message: pa.Array | str) -> None:
        """Record ``rule`` on ``field`` for every row where ``failed`` is true (null = false)."""
        failed = pc.fill_null(failed, False)
        if not pc.any(failed).as_py():
            return
        first = pc.and_(failed, pc.is_null(self.rule))
        self.field = pc.if_else(first, pa.scalar(field), self.field)
        self.rule = pc.if_else(first, pa.scalar(rule), self.rule)
        text = pc.binary_join_element_wise(f"{field}: {rule}: ", message, "")
        joined = pc.binary_join_element_wise(self.message, text, "; ")
        self.message = pc.if_else(failed, pc.coalesce(joined, text), self.message)

    @property
    def good(self) -> pa.Array:
        """Rows without any problem."""
        return pc.is_null(self.rule)
