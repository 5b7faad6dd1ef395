"""The steps of one daily partition as plain functions (the Dagster assets only call these).

extract -> quality -> mapping -> publish, one module each; ``common`` holds the result base
class and its gate. Anchoring is ``publication.anchoring``.
"""

from publication.steps.common import GateClosed, StepResult, dagster_check_name
from publication.steps.extract import Extracted, extract
from publication.steps.mapping import Mapped, map_releases, release_check_specs
from publication.steps.publish import Published, publish
from publication.steps.quality import (
    Checked,
    check_quality,
    detail_check_specs,
    table_check_specs,
)

__all__ = [
    "Checked",
    "Extracted",
    "GateClosed",
    "Mapped",
    "Published",
    "StepResult",
    "check_quality",
    "dagster_check_name",
    "detail_check_specs",
    "extract",
    "map_releases",
    "publish",
    "release_check_specs",
    "table_check_specs",
]
