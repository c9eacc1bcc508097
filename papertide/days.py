"""The days papertide takes, from anyone: 1900 to 2999. Python's dates end with year 9999, where a "next month"
or the end of a week no longer exists, so a date typed into a search, an address or the API outside this range
is refused (or read as words) where it comes in, instead of failing deep inside a view."""

from __future__ import annotations

import datetime as dt

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def within(day: dt.date | dt.datetime) -> bool:
    if isinstance(day, dt.datetime):
        day = day.date()
    return FIRST_DAY <= day <= LAST_DAY
