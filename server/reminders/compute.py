"""Compute step of a reminders run: every rule, into the outbox, in one write transaction.

Changes (new, reassigned and returned work) are read from the change log past a cursor; the
daily and weekly rules run once per local day or week per time zone. The write lock is
held throughout, so no change commits unseen behind the cursor.
"""

from datetime import datetime, time, timedelta

from .. import times
from ..db import one, rows, write_lock
from . import outbox, rules

CHANGES = "change_log"


def _change_ids(db, now: datetime, lookback: timedelta) -> tuple[dict, int | None]:
    """Ids of work orders and visits written since the cursor (first run: the lookback)."""
    start = outbox.cursor(db, CHANGES)
    if start is None:
        first = one(
            db,
            "SELECT min(seq) AS seq FROM change_log WHERE at >= ?",
            [times.to_stored(now - lookback)],
        )
        start = (first["seq"] - 1) if first and first["seq"] is not None else None
        if start is None:
            last = one(db, "SELECT max(seq) AS seq FROM change_log")
            return {}, (last["seq"] or 0) if last else 0
    ids: dict[str, set] = {"work_order": set(), "visit": set()}
    top = int(start)
    for row in rows(
        db,
        "SELECT seq, entity, entity_id FROM change_log WHERE seq > ?"
        " AND entity IN ('work_order', 'visit') ORDER BY seq",
        [int(start)],
    ):
        ids[row["entity"]].add(row["entity_id"])
    last = one(db, "SELECT max(seq) AS seq FROM change_log")
    top = max(top, (last["seq"] or 0) if last else 0)
    return ids, top


def _zones(db) -> list[str]:
    return [
        r["timezone"] for r in rows(db, "SELECT DISTINCT timezone FROM app_user WHERE active = 1")
    ]


def compute(db, config, now: datetime) -> dict:
    """Add every reminder due at `now` to the outbox; return counts found and added per kind."""
    now_iso = times.to_stored(now)
    expires = times.to_stored(now + timedelta(seconds=int(config["PUSH_TTL_SECONDS"])))
    grades = tuple(config["REMINDER_URGENT_GRADES"])
    found: list[dict] = []
    with write_lock(db):
        ids, top = _change_ids(db, now, timedelta(hours=config["REMINDER_LOOKBACK_HOURS"]))
        found += rules.changed_orders(db, sorted(ids.get("work_order", ())), expires, grades)
        found += rules.changed_visits(db, sorted(ids.get("visit", ())), expires)
        found += rules.converted_reports(db, sorted(ids.get("work_order", ())), expires)
        outbox.set_cursor(db, CHANGES, top)
        lead = timedelta(minutes=int(config["REMINDER_SLA_LEAD_MINUTES"]))
        found += rules.sla_warnings(db, now, lead, grades)
        found += _daily(db, config, now, expires)
        added = outbox.add(db, found, now_iso)
    return {"found": len(found), "added": added}


def _daily(db, config, now: datetime, expires: str) -> list[dict]:
    """Visits tomorrow (after REMINDER_VISITS_TOMORROW_AT), key dates (once a day), follow-ups
    due today (every run) and the overdue digest (once a week), for each time zone the users
    live in."""
    found = []
    evening = time.fromisoformat(config["REMINDER_VISITS_TOMORROW_AT"])
    for zone_name in _zones(db):
        local = now.astimezone(times.zone(zone_name))
        today = local.date()
        if local.time() >= evening:
            found += rules.visits_tomorrow(db, zone_name, today + timedelta(days=1), expires)
        if outbox.cursor(db, f"key_dates:{zone_name}") != today.isoformat():
            days = int(config["REMINDER_KEY_DATE_DAYS"])
            found += rules.key_dates(db, zone_name, today, days, expires)
            outbox.set_cursor(db, f"key_dates:{zone_name}", today.isoformat())
        # Every run (a follow-up added on its due day is still announced); the key dedups.
        # Not sent after its day: the reminder expires at local midnight.
        midnight = datetime.combine(today + timedelta(days=1), time(0), times.zone(zone_name))
        day_end = min(expires, times.to_stored(midnight))
        found += rules.follow_ups_due(db, zone_name, today, day_end)
        year, week, _day = today.isocalendar()
        week_key = f"{year}-W{week:02d}"
        if outbox.cursor(db, f"overdue:{zone_name}") != week_key:
            found += rules.customers_overdue(db, zone_name, today, week_key, expires)
            outbox.set_cursor(db, f"overdue:{zone_name}", week_key)
    return found
