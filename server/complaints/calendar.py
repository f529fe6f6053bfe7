"""The business calendar complaint clocks run on: working hours on working days.

A day is a working day when it is a make-up working day (调休, table makeup_workday), else
when it is not inside a public holiday (table public_holiday, the care calendar's: one home
for the holidays) and its weekday is one of the policy's working weekdays. Working hours are
the policy's opening and closing times in its zone (ours: 09:00–18:00 Asia/Shanghai, Monday
to Friday). `Calendar` is a plain value, so the clock's rules are pure functions of it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..db import rows
from ..times import LOCAL_ZONE_NAME, zone

MAX_DAYS = 3660  # a clock never walks further (a calendar with no working day at all)


@dataclass(frozen=True)
class Calendar:
    """Working hours (`opens`–`closes`, local in `tz`) on `weekdays` (0 Monday), less
    `holidays`, plus the make-up `workdays`."""

    opens: time
    closes: time
    weekdays: frozenset[int]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    tz: str = LOCAL_ZONE_NAME

    def is_working_day(self, day: date) -> bool:
        """A make-up working day, or a working weekday outside the holidays."""
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() in self.weekdays

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day` as aware instants, or None on a day off."""
        if not self.is_working_day(day) or self.opens >= self.closes:
            return None
        local = zone(self.tz)
        return (
            datetime.combine(day, self.opens, local),
            datetime.combine(day, self.closes, local),
        )


def segments(cal: Calendar, start: datetime, end: datetime | None = None) -> Iterator[tuple]:
    """The working periods (from, to) between `start` and `end` (None: on and on, at most
    MAX_DAYS), in order, cut to that window."""
    day = start.astimezone(zone(cal.tz)).date()
    for _ in range(MAX_DAYS):
        hours = cal.hours_of(day)
        if hours is not None:
            opens, closes = max(hours[0], start), hours[1] if end is None else min(hours[1], end)
            if opens < closes:
                yield opens, closes
            if end is not None and hours[1] >= end:
                return
        elif end is not None and datetime.combine(day, time(0), zone(cal.tz)) >= end:
            return
        day += timedelta(days=1)


def hours_from(hours: dict) -> dict:
    """The working-hours part of a policy version as Calendar arguments."""
    return {
        "opens": time.fromisoformat(hours["opens"]),
        "closes": time.fromisoformat(hours["closes"]),
        "weekdays": frozenset(hours["weekdays"]),
        "tz": hours["tz"],
    }


def load(db, hours: dict) -> Calendar:
    """The calendar of a policy version's working hours, with the stored holiday table."""
    holidays = set()
    for h in rows(db, "SELECT starts_on, ends_on FROM public_holiday WHERE deleted_at IS NULL"):
        first, last = date.fromisoformat(h["starts_on"]), date.fromisoformat(h["ends_on"])
        holidays.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    workdays = {date.fromisoformat(r["day"]) for r in rows(db, "SELECT day FROM makeup_workday")}
    return Calendar(
        holidays=frozenset(holidays), workdays=frozenset(workdays), **hours_from(hours)
    )
