"""Device event times as evidence: corrected by the device's measured clock offset, kept
beside the server's own time, and flagged when implausible."""

from datetime import timedelta

from geopy.distance import geodesic

from ..times import from_stored, to_stored

FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_SPEED_KMH = 120  # faster than this between two positions is not travel by road


def corrected(device_at: str | None, offset_ms: int | None) -> str | None:
    """The device's time plus its clock offset (server minus device, measured at sync)."""
    if not device_at:
        return None
    return to_stored(from_stored(device_at) + timedelta(milliseconds=offset_ms or 0))


def flags(corrected_at, *, server_at, dispatched_at=None, previous=None, position=None) -> list:
    """Why an event's time is implausible: in the future, before dispatch, or faster than
    travel allows from the previous event (`previous` = (time, lat, lon))."""
    if corrected_at is None:
        return []  # nothing claimed, nothing to doubt: the server's time stands
    out = []
    at = from_stored(corrected_at)
    if at > from_stored(server_at) + FUTURE_TOLERANCE:
        out.append("future")
    if dispatched_at and at < from_stored(dispatched_at) - FUTURE_TOLERANCE:
        out.append("before_dispatch")
    if previous and position and None not in (*previous[1:], *position):
        hours = (at - from_stored(previous[0])).total_seconds() / 3600
        km = geodesic(previous[1:], position).km
        if km > 1 and (hours <= 0 or km / hours > MAX_SPEED_KMH):
            out.append("too_fast")
    return out
