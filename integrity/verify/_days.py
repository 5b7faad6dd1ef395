"""Days no registry can ever hold: not a calendar date, outside the registry's years, before the
dataset's history, or not over yet when the check runs (in Lima, the publisher's calendar).

Such a day is not "not anchored yet, verify again later": it was never published (FALLA).
"""

from __future__ import annotations

import datetime as dt
import re

from integrity.verify._results import Note

# The registry validates days as real dates in the years 2000-2199.
REGISTRY_FIRST_DAY = dt.date(2000, 1, 1)
REGISTRY_LAST_DAY = dt.date(2199, 12, 31)
LIMA = dt.timezone(dt.timedelta(hours=-5))  # Peru has no daylight saving time
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today_in_lima(now: dt.datetime | None = None) -> dt.date:
    """The current date in Lima."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LIMA).date()


def parse_day(value: object) -> dt.date | None:
    """A ``YYYY-MM-DD`` calendar date, or None (``2026-02-30`` is not one)."""
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def not_a_date(value: object) -> Note:
    """A day written in the data that is not a calendar date."""
    from integrity.verify._io import printable

    return Note("day.not_a_date", {"date": printable(value, 40)}, failed=True)


def impossible_day(
    day: dt.date, *, now: dt.datetime | None = None, history_start: dt.date | None = None
) -> Note | None:
    """Why no registry can hold ``day`` (None if it could have been published)."""
    date = day.isoformat()
    if not REGISTRY_FIRST_DAY <= day <= REGISTRY_LAST_DAY:
        return Note(
            "day.outside_registry",
            {
                "date": date,
                "first": REGISTRY_FIRST_DAY.isoformat(),
                "last": REGISTRY_LAST_DAY.isoformat(),
            },
            failed=True,
        )
    if history_start is not None and day < history_start:
        return Note(
            "day.before_history", {"date": date, "start": history_start.isoformat()}, failed=True
        )
    today = today_in_lima(now)
    if day >= today:
        return Note("day.not_over", {"date": date, "today": today.isoformat()}, failed=True)
    return None
