"""Months of the assessment: "YYYY-MM" in the operator's local time (Asia/Shanghai)."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

LOCAL = timezone(timedelta(hours=8))  # Asia/Shanghai has no daylight saving
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
        today = utc(now).astimezone(LOCAL).date().isoformat()
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
            start=_utc_text(first),
            end=_utc_text(following),
        )
    except (ValueError, OverflowError):
        return None


def _utc_text(day: date) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def utc(text: str) -> datetime:
    """Parse a stored UTC time ("…Z" or with an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def current(now: str) -> str:
    """The local month containing the UTC instant `now`, as "YYYY-MM"."""
    return utc(now).astimezone(LOCAL).strftime("%Y-%m")


def previous(text: str) -> str:
    """The month before "YYYY-MM"."""
    year, month = int(text[:4]), int(text[5:])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
