"""SLA clocks: limits per service grade as a versioned policy, deadlines set at dispatch.

Limits are minutes from dispatch, around the clock (faults on a base station do not wait for
office hours): respond (accept) within `response_minutes`, arrive on site within
`arrival_minutes`, restore service within `restore_minutes`. All arithmetic is in UTC, so a
deadline is the same instant wherever it is shown. A policy version takes effect from its
`effective_from`; an order keeps the version it was dispatched under.
"""

from datetime import UTC, datetime, timedelta

from .. import ids
from ..db import one, rows

GRADES = ("diamond", "gold", "silver", "bronze", "standard")
# (response, arrival, restore) in minutes: our defaults (the documents name the five grades,
# but their table of time limits is missing).
DEFAULT_LIMITS = {
    "diamond": (15, 120, 240),
    "gold": (30, 240, 480),
    "silver": (60, 360, 720),
    "bronze": (120, 480, 1440),
    "standard": (240, 1440, 2880),
}
DEADLINES = (
    ("response_due_at", "response_minutes"),
    ("arrival_due_at", "arrival_minutes"),
    ("restore_due_at", "restore_minutes"),
)


def parse(value: str) -> datetime:
    """Read a stored UTC ISO-8601 time (with Z or an offset)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    """Format a time as stored: UTC, milliseconds, Z."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def policy_for(db, grade: str, at: str) -> dict:
    """The limits for a grade in force at a time: the newest version effective by then."""
    row = one(
        db,
        "SELECT * FROM sla_policy WHERE sla_grade = ? AND effective_from <= ?"
        " ORDER BY version DESC LIMIT 1",
        [grade, at],
    )
    if row is None:
        raise LookupError(f"no SLA policy for {grade} at {at}")
    return row


def deadlines(dispatched_at: str, policy: dict) -> dict:
    """The three due times for an order dispatched at `dispatched_at` under `policy`."""
    start = parse(dispatched_at)
    out = {key: iso(start + timedelta(minutes=policy[col])) for key, col in DEADLINES}
    out["sla_policy_version"] = policy["version"]
    return out


def current_policy(db) -> list[dict]:
    """The newest version's limits, one row per grade, in grade order."""
    found = rows(
        db,
        "SELECT * FROM sla_policy WHERE version = (SELECT max(version) FROM sla_policy)",
    )
    return sorted(found, key=lambda r: GRADES.index(r["sla_grade"]))


MAX_MINUTES = 525_600  # ours: a year; a deadline further off is a typing slip


def validate_limits(data: dict) -> tuple[dict, dict]:
    """Read a policy form: positive whole minutes per grade and deadline; (clean, errors)."""
    clean, errors = {}, {}
    for grade in GRADES:
        for _, col in DEADLINES:
            key = f"{grade}.{col}"
            try:
                value = int(str(data.get(key, "")).strip())
            except ValueError:
                errors[key] = "invalid_integer"
                continue
            if not 0 < value <= MAX_MINUTES:
                errors[key] = "out_of_range"
                continue
            clean.setdefault(grade, {})[col] = value
    for grade, limits in clean.items():
        if any(key.startswith(f"{grade}.") for key in errors):
            continue  # a bad number says so itself; the order of bad numbers means nothing
        if len(limits) == 3 and not (
            limits["response_minutes"] <= limits["arrival_minutes"] <= limits["restore_minutes"]
        ):
            errors[f"{grade}.restore_minutes"] = "sla_order"
    return clean, errors


def new_version(db, actor_id, limits: dict, effective_from: str, note: str = "") -> int:
    """Save edited limits as the next policy version, effective from a time; return it."""
    with db.atomic():
        version = db.execute("SELECT coalesce(max(version), 0) + 1 FROM sla_policy").fetchone()[0]
        for grade in GRADES:
            lim = limits[grade]
            db.execute(
                "INSERT INTO sla_policy (id, version, sla_grade, response_minutes,"
                " arrival_minutes, restore_minutes, effective_from, note, created_at,"
                " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    ids.uuid7(),
                    version,
                    grade,
                    lim["response_minutes"],
                    lim["arrival_minutes"],
                    lim["restore_minutes"],
                    effective_from,
                    note,
                    ids.now_utc(),
                    actor_id,
                ],
            )
    return version


def state(order: dict, now: str) -> dict:
    """Each clock's state for an order: met, breached, running (with minutes left) or n/a.

    Response is met by acceptance, arrival by the on-site check-in, restore by resolution;
    a clock whose event happened after its deadline is breached, as is an open one past it.
    """
    events = {
        "response_due_at": "accepted_at",
        "arrival_due_at": "on_site_at",
        "restore_due_at": "resolved_at",
    }
    out = {}
    for due_key, done_key in events.items():
        due = order.get(due_key)
        if not due:
            out[due_key] = {"state": "n/a"}
            continue
        done = order.get(done_key)
        if done:
            out[due_key] = {"state": "met" if done <= due else "breached"}
        elif order.get("status") in ("cancelled",):
            out[due_key] = {"state": "n/a"}
        else:
            left = (parse(due) - parse(now)).total_seconds() / 60
            out[due_key] = {
                "state": "running" if left >= 0 else "breached",
                "minutes_left": round(left),
            }
    return out
