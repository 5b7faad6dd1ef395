"""What a data user must know about every warning the day's checks can give.

A warning never blocks: the rows concerned are published and the day's quality report lists it.
Two families, keyed by check id: ``SOURCE_WARNINGS``, the warning-severity rules of the quality
gate's catalogues (``quality.rules``, ``quality.lines``, ``quality.quotations``), and
``OUTPUT_WARNINGS``, the OCDS output's (``quality.coherence`` warnings, and the open-codelist
report of the mapping step). The publication policy (``ocds_mappings.docs``) lists them all; a
test holds the two families equal to the checks that warn, so no warning goes unexplained.
(The catalogues sit in an upper layer: this module cannot read their severities, the test can.)
"""

from __future__ import annotations

UNKNOWN_STATUS = "coherence.unknown_status"
UNKNOWN_PROCEDURE = "coherence.unknown_procedure"
OPEN_CODELISTS = "ocds.open_codelists"


def _unknown_share(column: str, what: str) -> str:
    return (
        f"More of the day's orders than the threshold the report states (a share and a minimum "
        f"count) have {what} ({column}): the source's vocabulary has probably changed (the "
        "procurement law in force since April 2025 may rename things). Those orders are "
        "published as the row warning says; the project's tables (docs/mapping.md, the "
        "agreements table) need the new values."
    )


SOURCE_WARNINGS: dict[str, str] = {
    "status.known": (
        "An order whose ESTADO_ORDEN_ELECTRÓNICA is not one of the documented statuses is "
        "published, not quarantined (a gate catches defects, not novelty): the status as "
        "written in `contracts[].statusDetails`, nothing guessed (`coherence.unknown_status`)."
    ),
    "procedure_type.known": (
        "An order whose TIPO_PROCEDIMIENTO is neither of the documented procedures is "
        "published, not quarantined: the value as written in "
        "`tender.procurementMethodDetails`, no `tender.competitive` "
        "(`coherence.unknown_procedure`). An empty TIPO_PROCEDIMIENTO is a defect: that row is "
        "quarantined."
    ),
    "agreement_code.known": (
        "An order whose ACUERDO_MARCO resolves to no official code is published with an "
        "agreement known only by its name: `relatedProcesses` with relationship `framework` "
        'and the name as `title`, no identifier and no first stage (see "Agreement '
        'identity"); the report lists those names.'
    ),
    "igv_cents.rate": (
        "An order whose IGV is neither 0 nor 18 % of SUB_TOTAL (±1 cent) is published with the "
        "source's amounts: an order mixing taxed and exempt items carries a partial IGV. "
        "`value.amount` is TOTAL and `value.amountNet` SUB_TOTAL, as in the source; an IGV "
        "above the full rate is a defect and quarantines the row (`igv_cents.not_above_rate`)."
    ),
    "table.row_count": (
        "The day has fewer or more orders than the usual range for its weekday (the report "
        "states the range): a holiday, an unusual day or a monthly file still incomplete. The "
        "day is published with the orders its sources hold; read its totals with care."
    ),
    "status.unknown_share": _unknown_share("ESTADO_ORDEN_ELECTRÓNICA", "an undocumented status"),
    "procedure_type.unknown_share": _unknown_share(
        "TIPO_PROCEDIMIENTO", "an undocumented procedure type"
    ),
    "agreement_code.unknown_share": _unknown_share(
        "ACUERDO_MARCO", "an agreement without an official code"
    ),
}

OUTPUT_WARNINGS: dict[str, str] = {
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
    OPEN_CODELISTS: (
        "A field with an open codelist holds a value that is not a code of that codelist: "
        "OCDS allows it, so it is published and reported. The project writes only the values "
        'listed under "Open codelists", all of them codes, so this warning means the code '
        "changed before this policy did."
    ),
}

WARNINGS: dict[str, str] = {**SOURCE_WARNINGS, **OUTPUT_WARNINGS}
