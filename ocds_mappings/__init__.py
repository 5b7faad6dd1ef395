"""Pure source-row -> OCDS 1.1.5 mapping, agreements table, codelists and schema validation."""

from ocds_mappings.mapping import (
    STATUS_RULES,
    MappingResult,
    UnmappableOrdersError,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
    map_orders,
)

__all__ = [
    "STATUS_RULES",
    "MappingResult",
    "UnmappableOrdersError",
    "agreements_first_seen",
    "build_framework_releases",
    "build_releases",
    "map_orders",
]
