"""What a data user must know about values the coherence suite reports as warnings.

``quality.coherence`` reports each warning under one of these ids; the publication policy
(``ocds_mappings.docs``) explains every one of them, so no warning goes unexplained.
"""

from __future__ import annotations

UNKNOWN_STATUS = "coherence.unknown_status"
UNKNOWN_PROCEDURE = "coherence.unknown_procedure"

WARNINGS: dict[str, str] = {
    UNKNOWN_STATUS: (
        "An order status that is not in the status table (docs/mapping.md) is published as the "
        "source wrote it, in `contracts[].statusDetails`, with no `awards[].status` and no "
        "`contracts[].status`: the pipeline never guesses what a new status means. Read such "
        "orders from `statusDetails` until the table documents the value."
    ),
    UNKNOWN_PROCEDURE: (
        "A TIPO_PROCEDIMIENTO that is not in the procedure table (docs/mapping.md) is published "
        "as written in `tender.procurementMethodDetails`, with `tender.competitive` unset: the "
        "pipeline never guesses whether a new procedure is competitive."
    ),
}
