"""A complaint's two clocks from its steps: what stops them, when each was met.

First response is met by the first step out of `received` (a reassignment or a severity
change leaves the status as it is, so it is no answer); resolution by the latest `handle`
while the complaint is handled, fed back or archived. Both stop while waiting for the
customer; resolution also stops from a handling until the reopening after it, so a reopened
complaint's clock resumes where it stood (clock.py).
"""

from ..times import from_stored, to_stored
from . import states
from .calendar import load
from .clock import clock
from .policy import CLOCKS, limits, of_version


def stops_and_met(steps: list[dict]) -> dict:
    """{pauses, reopen_gaps, first_response_at, resolved_at} from steps in time order (each
    with action, from_status, to_status and `at` as a datetime)."""
    pauses, gaps, paused_at, handled_at, first, status = [], [], None, None, None, None
    for s in steps:
        if first is None and s["from_status"] == "received" and s["to_status"] != "received":
            first = s["at"]
        if s["to_status"] == states.PAUSED and status != states.PAUSED:
            paused_at = s["at"]
        elif status == states.PAUSED and s["to_status"] != states.PAUSED:
            pauses.append((paused_at, s["at"]))
            paused_at = None
        if s["action"] == "handle":
            handled_at = s["at"]
        elif s["action"] == "reopen" and handled_at is not None:
            gaps.append((handled_at, s["at"]))
            handled_at = None
        status = s["to_status"]
    if paused_at is not None:
        pauses.append((paused_at, None))
    resolved = handled_at if status in states.DONE else None
    return {
        "pauses": pauses,
        "reopen_gaps": gaps,
        "first_response_at": first,
        "resolved_at": resolved,
    }


def clocks_of(cal, rules: dict, complaint: dict, steps: list[dict], now) -> dict:
    """Both clocks of a complaint (received_at a datetime) under a policy version's rules."""
    limit = limits(rules, complaint["severity"], complaint.get("sla_grade"))
    found = stops_and_met(steps)
    start, warn = complaint["received_at"], rules["warn_ratio"]
    first = clock(
        cal, start, limit["first_response"], found["pauses"], found["first_response_at"], now, warn
    )
    stops = found["pauses"] + found["reopen_gaps"]
    resolution = clock(cal, start, limit["resolution"], stops, found["resolved_at"], now, warn)
    return {"first_response": first, "resolution": resolution, "basis": limit["basis"]}


def _as_stored(found: dict) -> dict:
    return {k: to_stored(v) if k in ("due_at", "met_at") and v else v for k, v in found.items()}


def clocks(db, complaint: dict, steps: list[dict], now) -> dict:
    """Both clocks of a stored complaint and its stored steps (history) at `now`, their times
    as stored text; with the version and the rule (`basis`) that timed them."""
    version = of_version(db, complaint["policy_version"])
    cal = load(db, version["rules"]["hours"])
    timed = [{**s, "at": from_stored(s["at"])} for s in steps]
    received = {**complaint, "received_at": from_stored(complaint["received_at"])}
    found = clocks_of(cal, version["rules"], received, timed, now)
    found.update({name: _as_stored(found[name]) for name in CLOCKS})
    return {**found, "version": version["version"]}
