"""Complaint clocks: due times and states in working time, pure functions of a Calendar.

A clock runs from the complaint's received time in working time only (server/complaints/
calendar.py), and not while it is stopped: while waiting for the customer, and between a
handling and a reopening (a reopened complaint's clock resumes where it stood; it does not
restart). Its due time is when `limit` working hours have run. Two clocks per complaint
(model.clocks): first response (met by the first step out of `received`) and resolution
(met by the latest `handle`). The due time always counts from the original received time, so
a severity changed midway gives the new severity's limit from that time, not from the change.

A clock's state: `met` or `breached` (met late) once met; else `paused` while stopped,
`overdue` past due, `warning` once `warn_ratio` of the limit has run, else `on_time`.
"""

from datetime import datetime, timedelta

from .calendar import Calendar, segments


def merged(stops, until: datetime) -> list[tuple[datetime, datetime]]:
    """Stopped intervals in order, overlaps joined, an open one (end None) ending `until`."""
    closed = sorted((a, b or until) for a, b in stops if (b or until) > a)
    out: list[list[datetime]] = []
    for a, b in closed:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _running(segment, stops) -> list[tuple[datetime, datetime]]:
    """The parts of a working `segment` outside every stopped interval."""
    pieces, (start, end) = [], segment
    for a, b in stops:
        if b <= start or a >= end:
            continue
        if a > start:
            pieces.append((start, a))
        start = max(start, b)
        if start >= end:
            return pieces
    pieces.append((start, end))
    return pieces


def working_seconds(cal: Calendar, start: datetime, end: datetime, stops=()) -> float:
    """Working seconds from `start` to `end` outside the stopped intervals."""
    if end <= start:
        return 0.0
    stopped = merged(stops, end)
    return sum(
        (b - a).total_seconds()
        for segment in segments(cal, start, end)
        for a, b in _running(segment, stopped)
    )


def add_working(cal: Calendar, start: datetime, seconds: float, stops=(), now=None):
    """The instant `seconds` of working time after `start`, not counting stopped intervals
    (an open one ends at `now`); None when the calendar has no working time left."""
    stopped = merged(stops, now or start)
    left = seconds
    for segment in segments(cal, start):
        for a, b in _running(segment, stopped):
            span = (b - a).total_seconds()
            if span >= left:
                return a + timedelta(seconds=left)
            left -= span
    return None


def clock(cal: Calendar, start, limit_hours, stops, met_at, now, warn_ratio) -> dict:
    """One clock's {due_at, met_at, state, limit_hours, run_hours} at `now` (see above)."""
    until = met_at or now
    kept = [(a, b) for a, b in stops if a < until]
    due = add_working(cal, start, limit_hours * 3600, kept, until)
    run = working_seconds(cal, start, until, kept) / 3600
    paused = met_at is None and any(a <= now and (b is None or b > now) for a, b in stops)
    if met_at is not None:
        state = "met" if due is None or met_at <= due else "breached"
    elif paused:
        state = "paused"
    elif due is not None and now > due:
        state = "overdue"
    elif run >= warn_ratio * limit_hours:
        state = "warning"
    else:
        state = "on_time"
    return {
        "due_at": due,
        "met_at": met_at,
        "state": state,
        "limit_hours": limit_hours,
        "run_hours": round(run, 2),
    }
