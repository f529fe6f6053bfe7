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


# Times as people read them: the device's twin is pwa/times.js (durationText, leftText,
# clockOffsetText, relativeDay, clockText); tests/time_cases.py runs the same cases on both.
# Whole units, rounded down, two units at most: "3 天 2 小时", "1 小时 20 分", "45 分".


def _gettext():
    from flask_babel import gettext  # only when formatting: this module is low-level

    return gettext


def duration_text(seconds: float, precise: bool = False) -> str:
    """A length of time (its sign ignored) in at most two whole units. Under a minute:
    "under a minute", or the whole seconds when precise (a clock's offset)."""
    _ = _gettext()
    total = int(abs(seconds))
    minutes = total // 60
    if minutes == 0:
        return _("%(s)s s", s=total) if precise else _("under a minute")
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours) if hours else _("%(d)s d", d=days)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=mins) if mins else _("%(h)s h", h=hours)
    return _("%(m)s min", m=mins)


def left_text(seconds: float) -> str:
    """Time until a deadline: "剩 1 小时 20 分" ahead of it, "超时 3 天 2 小时" past it."""
    _ = _gettext()
    if seconds >= 0:
        return _("%(t)s left", t=duration_text(seconds))
    return _("Overdue by %(t)s", t=duration_text(seconds))


def minutes_left_text(minutes: float) -> str:
    """Template filter: left_text of a number of minutes (the SLA clocks count minutes)."""
    return left_text(minutes * 60)


def clock_offset_text(offset_ms: float | None) -> str:
    """Template filter: a device clock against the server's (offset = server − device, in
    ms): "in step" within a second, else how far behind or ahead; "—" when unknown."""
    _ = _gettext()
    if offset_ms is None:
        return "—"
    if abs(offset_ms) < 1000:
        return _("in step")
    text = duration_text(offset_ms / 1000, precise=True)
    return _("%(t)s behind", t=text) if offset_ms > 0 else _("%(t)s ahead", t=text)


def relative_day(day: str | date, today: str | date | None = None) -> str:
    """Template filter: a local day against today: today, yesterday, tomorrow, N days
    ago, in N days."""
    _ = _gettext()
    day = date.fromisoformat(day) if isinstance(day, str) else day
    today = today or local_date()
    today = date.fromisoformat(today) if isinstance(today, str) else today
    n = (day - today).days
    if n == 0:
        return _("today")
    if n == -1:
        return _("yesterday")
    if n == 1:
        return _("tomorrow")
    return _("%(n)s days ago", n=-n) if n < 0 else _("in %(n)s days", n=n)


def clock_text(stored: str | None) -> str:
    """A stored time as the local clock reads it, "YYYY-MM-DD HH:MM" (the device's too)."""
    moment = read(stored)
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if moment else ""
