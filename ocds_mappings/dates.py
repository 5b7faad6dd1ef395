"""Date conventions of the published OCDS (stated in docs/publication-policy.md, "Dates").

- Every date-time is Lima time with its offset, ``YYYY-MM-DDTHH:MM:SS-05:00``.
- A source value that is only a date is given a default time that says so: ``00:00:00`` for a
  field that starts something (a formalisation, a period's start, an agreement's start) and
  ``23:59:59`` for one that ends something (a period's end, a delivery deadline), as the OCDS
  guidance recommends for date-only sources. FECHA_FORMALIZACIÓN has no time in many real rows
  (every row of 2022, written ``00:00:00``): a formalisation at exactly midnight is read as a
  date and kept at ``00:00:00``, the start of that Lima day, never moved.
- ``publishedDate`` of a day's packages is ``publication_time``: the later of the end of the
  package's Lima day and the newest extraction time (FECHA_PROCESO) of the source files it was
  built from. That is the instant the package's content was last changed (the OCDS definition
  for packages built on demand), and the earliest it could be published; it never depends on
  when the pipeline ran, so re-runs and other clones write the same bytes.
"""

from __future__ import annotations

import datetime as dt

LIMA_OFFSET = "-05:00"
START_OF_DAY = "T00:00:00" + LIMA_OFFSET
END_OF_DAY = "T23:59:59" + LIMA_OFFSET


def day_start(day: dt.date) -> str:
    """The first second of a Lima day (a start-type date-only value)."""
    return day.isoformat() + START_OF_DAY


def day_end(day: dt.date) -> str:
    """The last second of a Lima day (an end-type date-only value)."""
    return day.isoformat() + END_OF_DAY


def is_date_only(value: str) -> bool:
    """Whether a Lima date-time carries no time of its own (exactly midnight)."""
    return value.endswith(START_OF_DAY)


def publication_time(day: dt.date, newest_extraction: str | None) -> str:
    """``publishedDate`` of ``day``'s packages: max(end of the day, newest extraction time).

    Both are Lima date-times with the same offset, so their text order is their time order.
    """
    end = day_end(day)
    if newest_extraction is None:
        return end
    if not newest_extraction.endswith(LIMA_OFFSET):
        raise ValueError(f"{newest_extraction!r} is not a Lima date-time ({LIMA_OFFSET})")
    return max(end, newest_extraction)
