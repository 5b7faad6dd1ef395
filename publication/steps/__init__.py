"""The steps of one daily partition as plain functions (the Dagster assets only call these).

extraction -> quality -> mapping -> publishing, one module each (named so that the step
functions re-exported here, ``extract`` and ``publish``, never shadow a module); ``common``
holds the result base class and its gate. Anchoring is ``publication.anchoring``.
"""

from publication.steps.common import (
    GateClosed,
    StepResult,
    dagster_check_name,
    not_evaluated_reasons,
)
from publication.steps.extraction import Extracted, extract
from publication.steps.mapping import Mapped, map_releases, release_check_specs
from publication.steps.publishing import Published, publish
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
    "not_evaluated_reasons",
    "publish",
    "release_check_specs",
    "table_check_specs",
]
