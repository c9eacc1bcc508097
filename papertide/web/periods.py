"""The stretches of time a feed can show: a day, an ISO week or a month, and the calendar beside it."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Period:
    kind: str  # "day", "week" or "month"
    first: dt.date
    last: dt.date

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls("day", day, day)

    @classmethod
    def week_of(cls, day: dt.date) -> Period:
        monday = day - dt.timedelta(days=day.weekday())
        return cls("week", monday, monday + dt.timedelta(days=6))

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        return cls("month", day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))

    def containing(self, day: dt.date) -> Period:
        """The period of the same kind that contains this day."""
        return {"day": Period.day, "week": Period.week_of, "month": Period.month_of}[self.kind](day)

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first:%Y-%m}"

    @property
    def title(self) -> str:
        if self.kind == "day":
            return f"{self.first:%A, %B} {self.first.day}, {self.first.year}"
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"Week {week}, {year} ({self.first:%b} {self.first.day} – {self.last:%b} {self.last.day})"
        return f"{self.first:%B %Y}"

    @property
    def in_words(self) -> str:
        """"on Saturday, November 30, 2024", "in Week 48, 2024 (…)", "in November 2024"."""
        return ("on " if self.kind == "day" else "in ") + self.title

    @property
    def short_title(self) -> str:
        """For links to neighbours; with the year unless it is this year's."""
        year = "" if self.first.year == dt.date.today().year else f", {self.first.isocalendar()[0]}"
        if self.kind == "day":
            return f"{self.first:%b} {self.first.day}{year}"
        if self.kind == "week":
            return f"Week {self.first.isocalendar()[1]}{year}"
        return f"{self.first:%b %Y}"

    def get_absolute_url(self) -> str:
        return reverse(self.kind, args=[self.first if self.kind == "day" else self])


@dataclass
class CalendarDay:
    day: dt.date
    papers: int
    in_month: bool
    selected: bool


@dataclass
class CalendarWeek:
    week: Period
    days: list[CalendarDay]

    @property
    def papers(self) -> int:
        return sum(day.papers for day in self.days)


@dataclass
class MonthCalendar:
    month: Period
    weeks: list[CalendarWeek]
    previous: Period | None = None  # the nearest months with papers, for the calendar's own navigation
    next: Period | None = None


def calendar_weeks(month: Period) -> list[list[dt.date]]:
    """The weeks (Monday first) that cover the month, as lists of seven days."""
    return calendar.Calendar(firstweekday=0).monthdatescalendar(month.first.year, month.first.month)


def month_calendar(period: Period, papers_per_day: dict[dt.date, int]) -> MonthCalendar:
    """The month the period starts in, each day with its number of papers and whether the period holds it."""
    month = Period.month_of(period.first)
    weeks = [
        CalendarWeek(
            week=Period.week_of(days[0]),
            days=[
                CalendarDay(day, papers_per_day.get(day, 0), day.month == month.first.month,
                            period.first <= day <= period.last)
                for day in days
            ],
        )
        for days in calendar_weeks(month)
    ]
    return MonthCalendar(month, weeks)
