"""Stored times and the local zone: the one home (the device's twin is pwa/times.js).

Stored time: UTC ISO-8601 with milliseconds and a Z ("2026-05-20T16:00:00.000Z"). Stored
times compare as text in SQL, so every stored time is written by `to_stored` and read by
`from_stored`; one differing formatter would break range queries silently.

Local zone: the operator's, LOCAL_ZONE_NAME (also config BABEL_DEFAULT_TIMEZONE's default).
Business days (task windows, score months, SLA period ends, "today" on the device) are
local days in it, counted at its fixed offset (China keeps UTC+8 all year, and SQL and the
device can only add a fixed offset). A user's own zone (app_user.timezone) names a zone
for display and filters: `zone(name)`.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

LOCAL_ZONE_NAME = "Asia/Shanghai"
_CLOCK = "%Y-%m-%dT%H:%M:%S"  # then ".mmmZ"; SQLite's %f is "SS.SSS"
_SQL_STORED = _CLOCK.replace(":%S", ":%f") + "Z"


def _fixed_offset(name: str) -> timezone:
    winter, summer = (ZoneInfo(name).utcoffset(datetime(2026, m, 1)) for m in (1, 7))
    if winter != summer:
        raise ValueError(f"{name} keeps daylight saving; local days need a fixed offset")
    return timezone(winter)


LOCAL = _fixed_offset(LOCAL_ZONE_NAME)
LOCAL_OFFSET = LOCAL.utcoffset(None)
SQL_LOCAL = f"'+{LOCAL_OFFSET.total_seconds() / 3600:g} hours'"  # SQLite date() modifier


def to_stored(moment: datetime) -> str:
    """A time as stored: UTC, milliseconds (truncated), Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime(_CLOCK) + f".{moment.microsecond // 1000:03d}Z"


def now_stored(offset_seconds: float = 0) -> str:
    """The current time (plus an offset in seconds) as stored."""
    return to_stored(datetime.now(UTC) + timedelta(seconds=offset_seconds))


def from_stored(text: str) -> datetime:
    """Read a stored time (a Z or an offset; none means UTC) as an aware UTC datetime.
    ValueError when unreadable."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def read(value) -> datetime | None:
    """Like from_stored, but None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return from_stored(value)
    except ValueError:
        return None


def zone(name: str | None = None) -> ZoneInfo:
    """A named time zone (a user's); the local zone's when none is named."""
    return ZoneInfo(name or LOCAL_ZONE_NAME)


def _zone_or_local(name: str | None) -> tzinfo:
    # Business days (no zone named) count at the local zone's fixed offset, as SQL does.
    return ZoneInfo(name) if name else LOCAL


def local_form_time(raw: str, zone_name: str | None = None) -> datetime:
    """A date-time typed in a form as an aware datetime: one without an offset is in the
    zone (the local zone when none is named). ValueError when unreadable."""
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone(zone_name))


def local_date(stored: str | None = None, zone_name: str | None = None) -> date:
    """The local calendar day of a stored time (default: now)."""
    return from_stored(stored or now_stored()).astimezone(_zone_or_local(zone_name)).date()


def local_day(stored: str | None = None, zone_name: str | None = None) -> str:
    """The local calendar day (YYYY-MM-DD) of a stored time (default: now)."""
    return local_date(stored, zone_name).isoformat()


def local_month(stored: str | None = None) -> str:
    """The local month (YYYY-MM) of a stored time (default: now)."""
    return local_day(stored)[:7]


def day_start_utc(day: str | date, zone_name: str | None = None, days_after: int = 0) -> str:
    """Midnight starting a local day (plus some days) as a stored time. ValueError when the
    text is no date; OverflowError when the instant falls outside datetime's years."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    moment = datetime.combine(day + timedelta(days=days_after), time(), _zone_or_local(zone_name))
    return to_stored(moment)


def sql_to_stored(expression: str) -> str:
    """The SQL expression formatting a SQLite time (arguments of its strftime: a value and
    modifiers) as stored."""
    return f"strftime('{_SQL_STORED}', {expression})"


def sql_local_day(column: str) -> str:
    """The SQL expression for the local day (YYYY-MM-DD) of a stored time column."""
    return f"date({column}, {SQL_LOCAL})"


def sql_local_month(column: str) -> str:
    """The SQL expression for the local month (YYYY-MM) of a stored time column."""
    return f"substr({sql_local_day(column)}, 1, 7)"
