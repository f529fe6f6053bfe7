"""SLA clocks by work type: a versioned policy, deadlines set at dispatch.

Which clocks an order gets depends on its type (`clocks_for`):

- fault repair: the grade's three clocks, minutes from dispatch around the clock (faults on
  a base station do not wait for office hours): respond (accept) within `response_minutes`,
  arrive on site within `arrival_minutes`, restore service within `restore_minutes`;
- on-demand and accompanying jobs: one due time, set by the supervisor at dispatch, else
  the policy's default minutes for the grade;
- inspections: due by the end of their plan period (its last local day, 23:59:59.999 in
  the local zone, server/times.py); one dispatched outside a plan: as on-demand jobs,
  with the inspection minutes per grade;
- rectifications: due by their severity's minutes (critical, major, minor).

A due time is stored in `restore_due_at` (met by the resolution: the job done), so the
board, reminders and devices read one completion deadline for every type;
`response_due_at` and `arrival_due_at` are fault repairs' only. All arithmetic is in UTC,
so a deadline is the same instant wherever it is shown. A policy version (fault limits in
`sla_policy`, due minutes in `sla_due_policy`, one version sequence) takes effect from its
`effective_from`; an order keeps the version it was dispatched under. Every minute figure
here is our default: the operator's documents name the five grades but give no time table.
"""

from datetime import date, datetime, time, timedelta

from .. import policies, records
from ..db import rows
from ..times import LOCAL, from_stored, to_stored

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
SEVERITIES = ("critical", "major", "minor")
DEFAULT_SEVERITY = "major"
FAULT_TYPES = ("fault_repair",)
DUE_TYPES = ("on_demand", "accompanying", "inspection", "rectification")
# Types whose due time the supervisor may set at dispatch (else the grade's default).
DUE_AT_DISPATCH = ("on_demand", "accompanying", "inspection")
# Due minutes from dispatch, version 1 (migration m022 holds the same): our defaults.
DEFAULT_DUE = {
    "on_demand": {"diamond": 240, "gold": 480, "silver": 1440, "bronze": 2880, "standard": 4320},
    "accompanying": {
        "diamond": 1440,
        "gold": 1440,
        "silver": 2880,
        "bronze": 2880,
        "standard": 4320,
    },
    "inspection": {
        "diamond": 4320,
        "gold": 4320,
        "silver": 10080,
        "bronze": 10080,
        "standard": 10080,
    },
    "rectification": {"critical": 1440, "major": 4320, "minor": 10080},
}
DEADLINES = (
    ("response_due_at", "response_minutes"),
    ("arrival_due_at", "arrival_minutes"),
    ("restore_due_at", "restore_minutes"),
)
# One row per grade (or type and band) of a version; the newest version effective by a time.
LIMITS_POLICY = policies.Policy("sla_policy", rules=None, newest="version DESC")
DUE_POLICY = policies.Policy("sla_due_policy", rules=None, newest="version DESC")


def policy_for(db, grade: str, at: str) -> dict:
    """The limits for a grade in force at a time: the newest version effective by then."""
    row = LIMITS_POLICY.in_force(db, at, sla_grade=grade)
    if row is None:
        raise LookupError(f"no SLA policy for {grade} at {at}")
    return row


def deadlines(dispatched_at: str, policy: dict) -> dict:
    """The three due times for an order dispatched at `dispatched_at` under `policy`."""
    start = from_stored(dispatched_at)
    out = {key: to_stored(start + timedelta(minutes=policy[col])) for key, col in DEADLINES}
    out["sla_policy_version"] = policy["version"]
    return out


def bands(wo_type: str) -> tuple[str, ...]:
    """What a type's due minutes vary by: severity for rectifications, else the grade."""
    return SEVERITIES if wo_type == "rectification" else GRADES


def due_policy_for(db, wo_type: str, band: str, at: str) -> dict:
    """A type's due minutes for a grade or severity in force at a time (newest version)."""
    row = DUE_POLICY.in_force(db, at, wo_type=wo_type, band=band)
    if row is None:
        raise LookupError(f"no SLA due time for {wo_type}/{band} at {at}")
    return row


def period_end(plan_period: str | None) -> str | None:
    """The end of a plan period "2026-11-05/2026-12-04": 23:59:59.999 on its last day in the
    operator's time (None when the text is not a period)."""
    try:
        last = date.fromisoformat((plan_period or "").split("/")[1])
    except (IndexError, ValueError):
        return None
    return to_stored(datetime.combine(last, time(23, 59, 59, 999000), LOCAL))


NO_CLOCKS = {"response_due_at": None, "arrival_due_at": None, "restore_due_at": None}


def clocks_for(
    db, wo_type: str, grade: str, at: str, *, severity=None, plan_period=None, due_at=None
) -> dict:
    """The deadlines of an order of `wo_type` dispatched at `at`, and the policy version
    that set them (None when a plan period or the supervisor did): see the module's rules."""
    if wo_type in FAULT_TYPES:
        return deadlines(at, policy_for(db, grade, at))
    if wo_type not in DUE_TYPES:  # an exception report is never dispatched: no clock
        return {**NO_CLOCKS, "sla_policy_version": None}
    end = period_end(plan_period) if wo_type == "inspection" else None
    if end:
        return {**NO_CLOCKS, "restore_due_at": end, "sla_policy_version": None}
    if due_at and wo_type in DUE_AT_DISPATCH:
        return {
            **NO_CLOCKS,
            "restore_due_at": to_stored(from_stored(due_at)),
            "sla_policy_version": None,
        }
    band = (severity or DEFAULT_SEVERITY) if wo_type == "rectification" else grade
    row = due_policy_for(db, wo_type, band, at)
    due = to_stored(from_stored(at) + timedelta(minutes=row["due_minutes"]))
    return {**NO_CLOCKS, "restore_due_at": due, "sla_policy_version": row["version"]}


# Orders stamped by the rule before clocks by type: fault clocks on another type.
STAMPED_AS_FAULT = (
    "wo_type <> 'fault_repair' AND dispatched_at IS NOT NULL"
    " AND (response_due_at IS NOT NULL OR arrival_due_at IS NOT NULL)"
)


def restamp(db, since: str, actor_id=None) -> int:
    """Give the orders dispatched since `since` that carry fault clocks without being fault
    repairs their type's deadline (under the policy in force at their dispatch); audited
    and synced like any edit. Orders stamped by type already are left alone (a due time
    the supervisor chose stays). Returns how many changed."""
    found = rows(
        db,
        f"SELECT * FROM work_order WHERE {STAMPED_AS_FAULT} AND dispatched_at >= ?"
        " AND deleted_at IS NULL ORDER BY dispatched_at, id",
        [since],
    )
    with db.atomic():
        for order in found:
            clocks = clocks_for(
                db,
                order["wo_type"],
                order["sla_grade"],
                order["dispatched_at"],
                severity=order["severity"],
                plan_period=order["plan_period"],
            )
            records.update(db, "work_order", order["id"], clocks, actor_id, "sla_restamp")
    return len(found)


def current_due(db) -> dict[str, dict[str, int]]:
    """The newest due minutes: {wo_type: {band: minutes}} (each the newest version)."""
    out: dict[str, dict[str, int]] = {}
    for wo_type in DUE_TYPES:
        for band in bands(wo_type):
            row = DUE_POLICY.latest(db, wo_type=wo_type, band=band)
            if row:
                out.setdefault(wo_type, {})[band] = row["due_minutes"]
    return out


def validate_due(data: dict) -> tuple[dict, dict]:
    """Read the due minutes of a policy form: due.<type>.<grade or severity>; (clean, errors).

    A due time the form leaves out keeps its current minutes (the newest version's)."""
    clean, errors = {}, {}
    for wo_type in DUE_TYPES:
        for band in bands(wo_type):
            key = f"due.{wo_type}.{band}"
            if key in data and (value := _minutes(data, key, errors)) is not None:
                clean.setdefault(wo_type, {})[band] = value
    return clean, errors


def current_policy(db) -> list[dict]:
    """The newest version's limits, one row per grade, in grade order."""
    found = rows(
        db,
        "SELECT * FROM sla_policy WHERE version = (SELECT max(version) FROM sla_policy)",
    )
    return sorted(found, key=lambda r: GRADES.index(r["sla_grade"]))


MAX_MINUTES = 525_600  # ours: a year; a deadline further off is a typing slip


def _minutes(data: dict, key: str, errors: dict) -> int | None:
    """A form's whole minutes, 1 to MAX_MINUTES; None (and the error noted) otherwise."""
    try:
        value = int(str(data.get(key, "")).strip())
    except ValueError:
        errors[key] = "invalid_integer"
        return None
    if not 0 < value <= MAX_MINUTES:
        errors[key] = "out_of_range"
        return None
    return value


def validate_limits(data: dict) -> tuple[dict, dict]:
    """Read a policy form: positive whole minutes per grade and deadline; (clean, errors)."""
    clean, errors = {}, {}
    for grade in GRADES:
        for _, col in DEADLINES:
            key = f"{grade}.{col}"
            if (value := _minutes(data, key, errors)) is not None:
                clean.setdefault(grade, {})[col] = value
    for grade, limits in clean.items():
        if any(key.startswith(f"{grade}.") for key in errors):
            continue  # a bad number says so itself; the order of bad numbers means nothing
        if len(limits) == 3 and not (
            limits["response_minutes"] <= limits["arrival_minutes"] <= limits["restore_minutes"]
        ):
            errors[f"{grade}.restore_minutes"] = "sla_order"
    return clean, errors


def new_version(
    db, actor_id, limits: dict, effective_from: str, note: str = "", due: dict | None = None
) -> int:
    """Save edited limits (and due minutes, when given) as the next policy version, effective
    from a time; return it. Fault limits and due minutes share one version sequence."""
    stamp = {"effective_from": effective_from, "note": note}
    with db.atomic():
        version = max(LIMITS_POLICY.next_version(db), DUE_POLICY.next_version(db))
        for wo_type, minutes in (due or {}).items():
            for band, value in minutes.items():
                DUE_POLICY.insert(
                    db,
                    version,
                    actor_id,
                    dict(wo_type=wo_type, band=band, due_minutes=value, **stamp),
                )
        for grade in GRADES:
            row = {"sla_grade": grade, **{c: limits[grade][c] for _k, c in DEADLINES}, **stamp}
            LIMITS_POLICY.insert(db, version, actor_id, row)
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
            left = (from_stored(due) - from_stored(now)).total_seconds() / 60
            out[due_key] = {
                "state": "running" if left >= 0 else "breached",
                "minutes_left": round(left),
            }
    return out
