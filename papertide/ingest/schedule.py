"""When scheduled jobs are due: a time of day in a time zone, on chosen weekdays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from papertide.conf import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DailySchedule:
    at: dt.time
    zone: ZoneInfo
    weekdays: frozenset[int]  # 0 = Monday

    @classmethod
    def parse(cls, at: str, zone: str, days: list[str], setting: str = "INGEST") -> DailySchedule:
        """From the settings PAPERTIDE_{setting}_TIME, _TIMEZONE and _DAYS (named in error messages)."""
        try:
            time_of_day = dt.time.fromisoformat(at.strip())
        except ValueError:
            raise ConfigError(f"PAPERTIDE_{setting}_TIME must be a time such as 00:30, got {at!r}") from None
        try:
            tz = ZoneInfo(zone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"PAPERTIDE_{setting}_TIMEZONE must be a time zone such as America/New_York, got {zone!r}") from None
        unknown = [day for day in days if day.lower()[:3] not in WEEKDAYS]
        if unknown or not days:
            raise ConfigError(f"PAPERTIDE_{setting}_DAYS must name weekdays (mon … sun), got {' '.join(days) or 'nothing'!r}")
        return cls(time_of_day, tz, frozenset(WEEKDAYS.index(day.lower()[:3]) for day in days))

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first due time strictly after `moment` (an aware datetime)."""
        local = moment.astimezone(self.zone)
        for days_ahead in range(8):
            day = local.date() + dt.timedelta(days=days_ahead)
            due = dt.datetime.combine(day, self.at, tzinfo=self.zone)
            if day.weekday() in self.weekdays and due > local:
                return due.astimezone(dt.UTC)
        raise AssertionError("a weekly schedule always has a next time")  # weekdays is never empty

    def describe(self) -> str:
        days = " ".join(WEEKDAYS[d] for d in sorted(self.weekdays))
        return f"{self.at:%H:%M} {self.zone.key} on {days}"


@dataclass(frozen=True)
class HourlySchedule:
    """Every `hours` hours, on the hour (UTC)."""

    hours: int = 1

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        start = moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        return start + dt.timedelta(hours=self.hours - start.hour % self.hours)

    def describe(self) -> str:
        return "every hour" if self.hours == 1 else f"every {self.hours} hours"
