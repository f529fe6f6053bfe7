"""The review queue: submitted visits and work orders (inspections among them) in the
caller's scope, oldest first, with filters.

One list over two tables: each part is scoped by its own rule (scope.visits,
scope.work_orders), so a contractor's supervisor sees only what was dispatched to their
contractor and a district supervisor only their district. A record is "submitted" when a
visit is completed or an order submitted; "reviewed" when approved (or closed). It waits
since its latest hand-in: a resubmission after a return, else check-out or submission.

两不三可 "管理不代维": a contractor's supervisor sees their contractor's submitted orders
and may pre-check them (the row shows who pre-checked, in the operator's queue too), but
approving and returning are the operator's (scope.work_order_decisions; model checks).
"""

from datetime import date, timedelta

from .. import scope
from ..auth import model as users
from ..db import one, rows
from ..fields import check_filters, left_out
from ..scope import Caller
from ..times import day_start_utc
from ..work_orders.rules import TYPES
from ..work_orders.statuses import APPROVED

KINDS = ("visit", *TYPES)
STATES = {
    "pending": (("completed",), ("submitted",)),
    "reviewed": (("approved",), APPROVED),
}
FILTER_KEYS = ("kind", "org", "author", "day_from", "day_to", "spot", "state")
SPOT = ("none", "done")
ORDER_BY = "waiting_since, entity, id"

_CHECKS = (
    "(SELECT count(*) FROM spot_check sc WHERE sc.entity = '{e}' AND sc.entity_id = {a}.id"
    " AND sc.deleted_at IS NULL) AS spot_checks,"
    " (SELECT count(*) FROM review rv WHERE rv.entity = '{e}' AND rv.entity_id = {a}.id"
    " AND rv.action = 'return') AS returns"
)
VISITS = f"""
    SELECT 'visit' AS entity, visit.id AS id, 'visit' AS kind, visit.status AS status,
           visit.org_id AS org_id, o.name AS org_name, visit.account_manager_id AS author_id,
           au.display_name AS author_name, c.name AS subject, '' AS code,
           coalesce((SELECT max(rs.at) FROM review rs WHERE rs.entity = 'visit'
                     AND rs.entity_id = visit.id AND rs.action = 'resubmit'),
                    visit.check_out_at, visit.updated_at) AS waiting_since,
           visit.return_reason AS return_reason, NULL AS prechecked_at,
           NULL AS prechecked_by_name, {_CHECKS.format(e="visit", a="visit")}
    FROM visit
    JOIN customer c ON c.id = visit.customer_id
    JOIN app_user au ON au.id = visit.account_manager_id
    JOIN org o ON o.id = visit.org_id
    WHERE visit.deleted_at IS NULL
"""
ORDERS = f"""
    SELECT 'work_order' AS entity, w.id AS id, w.wo_type AS kind, w.status AS status,
           w.org_id AS org_id, o.name AS org_name,
           coalesce(w.assignee_id, w.reported_by) AS author_id, au.display_name AS author_name,
           coalesce(s.name, w.title) AS subject, w.code AS code,
           coalesce(w.submitted_at, w.updated_at) AS waiting_since,
           w.return_reason AS return_reason, w.prechecked_at AS prechecked_at,
           pc.display_name AS prechecked_by_name, {_CHECKS.format(e="work_order", a="w")}
    FROM work_order w
    LEFT JOIN site s ON s.id = w.site_id
    LEFT JOIN app_user pc ON pc.id = w.prechecked_by
    LEFT JOIN app_user au ON au.id = coalesce(w.assignee_id, w.reported_by)
    JOIN org o ON o.id = coalesce(w.assigned_org_id, w.org_id)
    WHERE w.deleted_at IS NULL
"""


def orgs(db, caller: Caller) -> list[dict]:
    """Organisations the caller may filter by (their subtree), in tree order."""
    where, params = scope.orgs(caller)
    sql = f"SELECT id, name, kind, path, depth FROM org WHERE {where} ORDER BY path"
    return rows(db, sql, params)


def authors(db, caller: Caller) -> list[dict]:
    """Field users whose reports the caller may filter by."""
    return users.people(db, caller, users.FIELD_ROLES)


def validate_filters(args, org_ids, author_ids) -> tuple[dict, dict]:
    """Read the queue's filters; a bad value is reported and left out. Returns (clean, errors)."""
    clean = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    errors: dict = {}
    allowed = {
        "kind": KINDS,
        "org": org_ids,
        "author": author_ids,
        "spot": SPOT,
        "state": STATES,
    }
    check_filters(clean, errors, allowed)
    for key in ("day_from", "day_to"):
        try:
            if clean[key]:
                date.fromisoformat(clean[key])
        except ValueError:
            errors[key] = "invalid_date"
    clean = left_out(clean, errors)
    clean["state"] = clean["state"] or "pending"
    return clean, errors


def _part(base, alias, scope_clause, statuses, filters, org_path):
    where, params = scope_clause
    sql = f"{base} AND {where}"
    if statuses:
        sql += f" AND {alias}.status IN ({','.join('?' * len(statuses))})"
        params = [*params, *statuses]
    if filters.get("author"):
        author = (
            "visit.account_manager_id"
            if alias == "visit"
            else "coalesce(w.assignee_id, w.reported_by)"
        )
        sql += f" AND {author} = ?"
        params.append(filters["author"])
    if org_path:
        sub = "IN (SELECT id FROM org WHERE path >= ? AND path < ?)"
        span = [org_path, org_path + "\uffff"]
        if alias == "visit":
            sql += f" AND visit.org_id {sub}"
            params += span
        else:
            sql += f" AND (w.org_id {sub} OR w.assigned_org_id {sub})"
            params += span + span
    if alias == "w" and filters.get("kind") not in ("", None, "visit"):
        sql += " AND w.wo_type = ?"
        params.append(filters["kind"])
    return sql, params


def query(db, caller: Caller, filters: dict, tz: str, only=None) -> tuple[str, list]:
    """(sql, params) of queue rows matching clean filters; `only` = (entity, id) for one row
    in any state. Days are hand-in days in the time zone `tz`, both included."""
    visit_states, order_states = (
        (None, None) if only else STATES[filters.get("state") or "pending"]
    )
    org_path = None
    if filters.get("org"):
        found = one(db, "SELECT path FROM org WHERE id = ?", [filters["org"]])
        org_path = found["path"] if found else None
    parts, params = [], []
    kind = filters.get("kind")
    if kind in ("", None, "visit") and (not only or only[0] == "visit"):
        sql, more = _part(VISITS, "visit", scope.visits(caller), visit_states, filters, org_path)
        if only:
            sql, more = sql + " AND visit.id = ?", [*more, only[1]]
        parts.append(sql)
        params += more
    if kind != "visit" and (not only or only[0] == "work_order"):
        clause = scope.work_orders(caller, "w")
        sql, more = _part(ORDERS, "w", clause, order_states, filters, org_path)
        if only:
            sql, more = sql + " AND w.id = ?", [*more, only[1]]
        parts.append(sql)
        params += more
    outer = " UNION ALL ".join(parts) if parts else VISITS + " AND 0"
    sql = f"SELECT * FROM ({outer}) q WHERE 1"
    return _outer_filters(sql, params, filters, tz)


def _outer_filters(sql: str, params: list, filters: dict, tz: str) -> tuple[str, list]:
    if filters.get("spot") == "none":
        sql += " AND q.spot_checks = 0"
    elif filters.get("spot") == "done":
        sql += " AND q.spot_checks > 0"
    if filters.get("day_from"):
        sql += " AND q.waiting_since >= ?"
        params = [*params, day_start_utc(date.fromisoformat(filters["day_from"]), tz)]
    if filters.get("day_to"):
        end = date.fromisoformat(filters["day_to"]) + timedelta(days=1)
        sql += " AND q.waiting_since < ?"
        params = [*params, day_start_utc(end, tz)]
    return sql, params


def find(db, caller: Caller, entity: str, entity_id: str) -> dict | None:
    """One record as a queue row, in any state, if the caller may see it."""
    if entity not in ("visit", "work_order"):
        return None
    sql, params = query(db, caller, {}, "UTC", only=(entity, entity_id))
    return one(db, sql, params)
