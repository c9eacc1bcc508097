"""Path converters shared by the site's and the API's URLs."""

from __future__ import annotations

import datetime as dt

from django.urls import register_converter

from papertide import days
from papertide.sources.records import ARXIV_ID_PATTERN


def within_days(day: dt.date) -> dt.date:
    """The day, or ValueError (a 404) past the days papertide takes (papertide/days.py)."""
    if not days.within(day):
        raise ValueError(day)
    return day


class ArxivIdConverter:
    regex = ARXIV_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IsoDateConverter:
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        try:
            return within_days(dt.date.fromisoformat(value))
        except ValueError:
            raise ValueError(value) from None  # an impossible date such as 2024-02-30 is a 404

    def to_url(self, value: dt.date) -> str:
        return value.isoformat()


class IsoWeekConverter:
    """2024-W48: the ISO week, as a Period."""

    regex = r"[0-9]{4}-W[0-9]{2}"

    def to_python(self, value: str):
        from papertide.web.periods import Period

        try:
            return Period.week_of(within_days(dt.date.fromisocalendar(int(value[:4]), int(value[6:]), 1)))
        except ValueError:
            raise ValueError(value) from None

    def to_url(self, value) -> str:
        return value.slug


class MonthConverter:
    """2024-11: the month, as a Period."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str):
        from papertide.web.periods import Period

        try:
            return Period.month_of(within_days(dt.date(int(value[:4]), int(value[5:]), 1)))
        except ValueError:
            raise ValueError(value) from None

    def to_url(self, value) -> str:
        return value.slug


register_converter(ArxivIdConverter, "arxiv_id")
register_converter(IsoWeekConverter, "isoweek")
register_converter(MonthConverter, "month")
register_converter(IsoDateConverter, "isodate")
