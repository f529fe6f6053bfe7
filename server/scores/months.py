"""Months of the assessment: "YYYY-MM" in the local zone (server/times.py)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..times import day_start_utc, local_day, local_month

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    """One calendar month: local days first..last, and the UTC instants [start, end)."""

    text: str
    first: str
    last: str
    start: str
    end: str

    def params(self, now: str) -> dict:
        """Named SQL parameters of the month's window; `now` (UTC) decides what is due yet."""
        today = local_day(now)
        return dict(
            first=self.first, last=self.last, start=self.start, end=self.end, now=now, today=today
        )


def parse(text: str | None) -> Month | None:
    """A Month from "YYYY-MM", or None when the text is not one."""
    match = MONTH.match(text or "")
    if not match:
        return None
    try:  # years 0000, 0001 and 9999 have no month before or after them in datetime
        first = date(int(match[1]), int(match[2]), 1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Month(
            text=text,
            first=first.isoformat(),
            last=(following - timedelta(days=1)).isoformat(),
            start=day_start_utc(first),
            end=day_start_utc(following),
        )
    except (ValueError, OverflowError):
        return None


def current(now: str) -> str:
    """The local month containing the UTC instant `now`, as "YYYY-MM"."""
    return local_month(now)


def previous(text: str) -> str:
    """The month before "YYYY-MM"."""
    year, month = int(text[:4]), int(text[5:])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
