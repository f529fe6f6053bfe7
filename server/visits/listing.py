"""The supervisors' visit list: scoped query, filters, and what the detail page shows.

A visit's GPS flag is a comma-separated list (rules.gps_evidence); the list filters on one
kind, or on "flagged" (any flag at all: the check-in is not plainly "ok").
"""

import json
from datetime import date, timedelta

from .. import scope
from ..auth import model as users
from ..db import one, rows
from ..fields import check_filters, left_out, matching
from ..scope import Caller
from ..times import day_start_utc, from_stored, read, zone
from . import rules
from .model import FLAGS

FLAG_FILTERS = ("flagged", *FLAGS)
FILTER_KEYS = ("q", "flag", "status", "account_manager", "day_from", "day_to")
# Flags a supervisor should look at twice; no_customer_location is the customer's data gap.
HIGHLIGHT = frozenset({"far", "low_accuracy", "no_fix"})

# A photo counts as pending until its author has uploaded the bytes (scope.py, blobs).
PHOTO_ARRIVED = scope.attachment_arrived("visit_photo", "p", "sha256")
LIST_SQL = f"""
    SELECT visit.*, c.code AS customer_code, c.name AS customer_name, c.customer_class,
           c.sla_grade, c.lat AS customer_lat, c.lon AS customer_lon,
           am.display_name AS account_manager_name,
           coalesce(visit.check_in_at, visit.created_at) AS sort_at,
           (SELECT count(*) FROM visit_photo p
             WHERE p.visit_id = visit.id AND p.deleted_at IS NULL) AS photo_count,
           (SELECT count(*) FROM visit_photo p
             WHERE p.visit_id = visit.id AND p.deleted_at IS NULL
               AND NOT {PHOTO_ARRIVED}) AS photos_pending
    FROM visit
    JOIN customer c ON c.id = visit.customer_id
    JOIN app_user am ON am.id = visit.account_manager_id
    WHERE visit.deleted_at IS NULL
"""
ORDER_BY = "sort_at DESC, visit.id DESC"


def account_managers(db, caller: Caller) -> list[dict]:
    """Account managers the caller may filter by (disabled ones too: their visits remain)."""
    return users.people(db, caller, ["account_manager"])


def _day(value: str, errors: dict, key: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[key] = "invalid_date"
        return None


def validate_filters(args, manager_ids) -> tuple[dict, dict]:
    """Read the list's filters; a bad value is reported and left out. Returns (clean, errors)."""
    clean = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    errors: dict = {}
    allowed = {"flag": FLAG_FILTERS, "status": rules.TRANSITIONS, "account_manager": manager_ids}
    check_filters(clean, errors, allowed)
    for key in ("day_from", "day_to"):
        _day(clean[key], errors, key)
    return left_out(clean, errors), errors


def _flag_clause(flag: str) -> tuple[str, list]:
    if flag == "flagged":
        return " AND visit.check_in_flag IS NOT NULL AND visit.check_in_flag != 'ok'", []
    return " AND instr(',' || visit.check_in_flag || ',', ?) > 0", [f",{flag},"]


def query(caller: Caller, filters: dict, tz: str) -> tuple[str, list]:
    """(sql, params) for the visits the caller may see that match clean filters.

    Days are check-in days in the caller's time zone `tz`, both ends included.
    """
    where, params = scope.visits(caller)
    extra, more = matching(
        filters.get("q", ""),
        ("c.name", "c.code"),
        {
            "visit.status": filters.get("status"),
            "visit.account_manager_id": filters.get("account_manager"),
        },
    )
    sql, params = f"{LIST_SQL} AND {where}{extra}", [*params, *more]
    if filters.get("flag"):
        clause, flag_params = _flag_clause(filters["flag"])
        sql, params = sql + clause, [*params, *flag_params]
    if filters.get("day_from"):
        sql += " AND visit.check_in_at >= ?"
        params.append(day_start_utc(filters["day_from"], tz))
    if filters.get("day_to"):
        sql += " AND visit.check_in_at < ?"
        end = date.fromisoformat(filters["day_to"]) + timedelta(days=1)
        params.append(day_start_utc(end, tz))
    return sql, params


def detail_query(caller: Caller, visit_id: str):
    """(sql, params, scope clause) for one visit, for scoped_one_or_404."""
    return f"{LIST_SQL} AND visit.id = ?", [visit_id], scope.visits(caller)


def flags(value: str | None) -> list[str]:
    """The flag kinds of a check-in ([] when it has none or never checked in)."""
    return [f for f in (value or "").split(",") if f and f != "ok"]


def contacts_met(db, visit: dict) -> list[str]:
    """Who the account manager met: contact ids of the customer become names, text stays."""
    try:
        met = json.loads(visit["contacts_met"] or "[]")
    except ValueError:
        return []
    known = {
        r["id"]: f"{r['name']} ({r['title']})" if r["title"] else r["name"]
        for r in rows(
            db, "SELECT id, name, title FROM contact WHERE customer_id = ?", [visit["customer_id"]]
        )
    }
    return [known.get(entry, entry) for entry in met if isinstance(entry, str)]


def attached(db, visit: dict, sha: str) -> dict | None:
    """The complete blob `sha` if it is a photo of this visit or its signature and has
    arrived from whoever attached it (scope.attachment_arrived), else None."""
    photo = scope.attachment_arrived("visit_photo", "p", "sha256")
    signature = scope.attachment_arrived("visit", "v", "signature_sha256")
    sql = (
        f"SELECT 1 FROM visit_photo p WHERE p.visit_id = ? AND p.sha256 = ?"
        f" AND p.deleted_at IS NULL AND {photo}"
        f" UNION ALL SELECT 1 FROM visit v WHERE v.id = ? AND v.signature_sha256 = ?"
        f" AND {signature} LIMIT 1"
    )
    if not one(db, sql, [visit["id"], sha, visit["id"], sha]):
        return None
    return one(db, "SELECT * FROM blob WHERE sha256 = ? AND state = 'complete'", [sha])


CSV_COLUMNS = (
    "visit_id",
    "customer_code",
    "customer_name",
    "customer_class",
    "sla_grade",
    "account_manager",
    "status",
    "purpose",
    "check_in_local",
    "check_in_device_at",
    "distance_m",
    "accuracy_m",
    "flags",
    "photos",
    "photos_pending",
    "satisfaction",
)


def csv_records(db, query: tuple[str, list], tz: str) -> list[dict]:
    """All rows of a list query as CSV records (codes, not labels; times in the user's zone)."""
    local = zone(tz)
    out = []
    sql, params = query
    for v in rows(db, f"{sql} ORDER BY {ORDER_BY}", params):
        at = from_stored(v["check_in_at"]) if v["check_in_at"] else None
        out.append(
            dict(
                visit_id=v["id"],
                customer_code=v["customer_code"],
                customer_name=v["customer_name"],
                customer_class=v["customer_class"],
                sla_grade=v["sla_grade"],
                account_manager=v["account_manager_name"],
                status=v["status"],
                purpose=v["purpose"],
                check_in_local=at.astimezone(local).isoformat(timespec="seconds") if at else "",
                check_in_device_at=v["check_in_device_at"],
                distance_m=v["check_in_distance_m"],
                accuracy_m=v["check_in_accuracy"],
                flags=v["check_in_flag"],
                photos=v["photo_count"],
                photos_pending=v["photos_pending"],
                satisfaction=v["satisfaction"],
            )
        )
    return out


def times(visit: dict) -> list[dict]:
    """Check-in and check-out: server time (truth) beside device time (evidence) and skew."""
    out = []
    for event in ("check_in", "check_out"):
        server, device = visit[f"{event}_at"], visit[f"{event}_device_at"]
        server_dt, device_dt = read(server), read(device)
        skew = None
        if server_dt and device_dt:
            skew = round((device_dt - server_dt).total_seconds())
        out.append(
            dict(event=event, server=server, device=device, device_ok=bool(device_dt), skew=skew)
        )
    return out
