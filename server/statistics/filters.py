"""Statistics filters: read the query string into a checked filter set, periods in UTC.

A period is a whole number of local days (the user's time zone): `month` (YYYY-MM) wins
over `from`/`to` (YYYY-MM-DD, both inclusive); with neither, the current month. The UTC
bounds are stored-time strings, so a range compares as text on the indexed columns.
"""

import re
from datetime import date, datetime, timedelta

from ..db import one
from ..labels import LABELS
from ..times import day_start_utc, zone

MAX_DAYS = 366
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CHOICES = {
    "customer_class": "customer_class",
    "sla_grade": "sla_grade",
    "wo_type": "wo_type",
    "tendency": "churn_tendency",  # retention segments (server/retention/segments.py)
    "bundling": "bundling",
}


def scoped_org(db, caller_scope: tuple[str, list], org_id: str) -> dict | None:
    """An organisation by id if the caller may see it (scope.orgs clause), else None."""
    where, params = caller_scope
    return one(db, f"SELECT id, path, name FROM org WHERE id = ? AND {where}", [org_id, *params])


def _month(text: str) -> tuple[date, date] | None:
    found = MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    start = date(int(found.group(1)), int(found.group(2)), 1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _period(args, today: date, errors: dict) -> tuple[date, date]:
    month = args.get("month", "").strip()
    if month:
        found = _month(month)
        if found:
            return found
        errors["month"] = "invalid_date"
    first = today.replace(day=1)
    start, end = first, today
    for key in ("from", "to"):
        text = args.get(key, "").strip()
        if text and _day(text) is None:
            errors[key] = "invalid_date"
    if not month:
        start = _day(args.get("from", "").strip()) or first
        end = _day(args.get("to", "").strip()) or max(today, start)
    if end < start:
        errors["to"] = "out_of_range"
    elif (end - start).days >= MAX_DAYS:
        errors["to"] = "period_too_long"
    return start, end


def validate(db, args, org_scope: tuple[str, list], tz: str, now: datetime) -> tuple[dict, dict]:
    """Read statistics filters; (clean, errors). A bad value is reported and not applied."""
    errors: dict = {}
    local = zone(tz)
    start, end = _period(args, now.astimezone(local).date(), errors)
    if errors.get("to") or errors.get("month"):
        today = now.astimezone(local).date()
        start, end = today.replace(day=1), today
    clean = {
        "month": args.get("month", "").strip() if "month" not in errors else "",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "start_utc": day_start_utc(start, tz),
        "end_utc": day_start_utc(end, tz, days_after=1),
        "tz": tz,
        "org": "",
        "org_path": None,
    }
    for key, kind in CHOICES.items():
        value = args.get(key, "").strip()
        if value and value not in LABELS[kind]:
            errors[key] = "invalid_choice"
            value = ""
        clean[key] = value
    org_id = args.get("org", "").strip()
    if org_id:
        org = scoped_org(db, org_scope, org_id)
        if org is None:
            errors["org"] = "unknown_org"
        else:
            clean["org"], clean["org_path"] = org_id, org["path"]
    return clean, errors


def query_args(clean: dict) -> dict:
    """The filters as they appear in a URL (for the CSV links and the form)."""
    keys = ("org", "customer_class", "sla_grade", "wo_type", "tendency", "bundling")
    out = {k: clean[k] for k in keys if clean[k]}
    if clean["month"]:
        out["month"] = clean["month"]
    else:
        out["from"], out["to"] = clean["from"], clean["to"]
    return out
