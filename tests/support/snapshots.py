"""Helpers that rewrite a synthetic monthly file as a later extraction of the same month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from perucompras.reader import COLUMNS

_COLUMN = {name: index for index, name in enumerate(COLUMNS)}


def pay_one_order(monthly: Path, day: dt.date, paid_at: dt.date) -> str:
    """Make one ACEPTADA order formalised on ``day`` PAGADA at ``paid_at`` and move the file's
    extraction time (FECHA_PROCESO) two weeks later; return the order number."""
    lines = monthly.read_bytes().decode("latin-1").split("\n")
    for number, line in enumerate(lines[1:], start=1):
        fields = line.split(";")
        if (
            len(fields) == len(COLUMNS)
            and fields[_COLUMN["FECHA_FORMALIZACIÓN"]].startswith(day.isoformat())
            and fields[_COLUMN["ESTADO_ORDEN_ELECTRÓNICA"]] == "ACEPTADA"
        ):
            fields[_COLUMN["ESTADO_ORDEN_ELECTRÓNICA"]] = "PAGADA"
            fields[_COLUMN["FECHA_ÚLTIMO_ESTADO"]] = f"{paid_at.isoformat()} 10:30:00"
            lines[number] = ";".join(fields)
            break
    else:
        raise AssertionError(f"no ACEPTADA order formalised on {day} in {monthly}")
    extracted = lines[1].split(";")[_COLUMN["FECHA_PROCESO"]]
    later = (dt.datetime.fromisoformat(extracted) + dt.timedelta(days=14)).isoformat(sep=" ")
    monthly.write_bytes(
        "\n".join(line.replace(extracted, later, 1) for line in lines).encode("latin-1")
    )
    return fields[_COLUMN["ORDEN_ELECTRÓNICA"]]
