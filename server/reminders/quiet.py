"""Quiet hours: a user's night, in their own time zone, when reminders wait.

Only faults of the top two service grades break through (see rules.urgent).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time | None:
    """Read HH:MM (24-hour); None when it is not one."""
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, OverflowError):  # 99999999999999999999:00 overflows a C long
        return None


def is_quiet(now: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    """Whether the user's local time of day is inside [start, end), across midnight if needed.

    start == end means no quiet hours.
    """
    local = now.astimezone(zone).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def release_at(now: datetime, zone: ZoneInfo, end: time) -> datetime:
    """The next moment the quiet hours end (an aware datetime), from now."""
    local = now.astimezone(zone)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(
            hour=end.hour, minute=end.minute, second=0, microsecond=0
        )
    return candidate
