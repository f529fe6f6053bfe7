"""The statistics, aggregated in SQL over the caller's scope and the filters.

Visits count when checked in during the period (cancelled ones not); work orders when
created during it. The work-order type filter narrows every work-order chart, so faults
by cause (fault repairs) and inspection failures (inspections) are empty under another
type. Customer class and grade narrow visits through their customer; work orders by their
own grade (set from the customer at dispatch) and their customer's class.
"""

from datetime import date, timedelta

from .. import scope
from ..db import rows
from ..orgs.model import tree
from ..scope import Caller
from ..times import day_start_utc

TOP = 10
SUBTREE_END = "\uffff"
_IN_SUBTREE = "{col} IN (SELECT id FROM org WHERE path >= ? AND path < ?)"


def _subtree(col: str, path: str) -> tuple[str, list]:
    return _IN_SUBTREE.format(col=col), [path, path + SUBTREE_END]


def visit_where(caller: Caller, f: dict, period: bool = True) -> tuple[str, list]:
    """WHERE clause (alias v) for the visits the filters show (without the period if asked)."""
    where, params = scope.visits(caller, "v")
    parts = [where, "v.status <> 'cancelled'", "v.deleted_at IS NULL"]
    if period:
        parts += ["v.check_in_at >= ?", "v.check_in_at < ?"]
        params = [*params, f["start_utc"], f["end_utc"]]
    if f["org_path"]:
        clause, extra = _subtree("v.org_id", f["org_path"])
        parts.append(clause)
        params = [*params, *extra]
    for key in ("customer_class", "sla_grade"):
        if f[key]:
            # Unary + keeps the planner off visit_customer: one IN list per row on the
            # period's index range beats a range probe per customer of the class.
            parts.append(f"+v.customer_id IN (SELECT id FROM customer WHERE {key} = ?)")
            params = [*params, f[key]]
    segment, more = _segment("v", f)
    return " AND ".join(parts + segment), [*params, *more]


def _segment(alias: str, f: dict) -> tuple[list[str], list]:
    """The retention segment filters (churn tendency, bundling) on the record's customer."""
    if not (f.get("tendency") or f.get("bundling")):
        return [], []
    from ..retention.segments import clause

    sql, params = clause(f.get("tendency", ""), f.get("bundling", ""), "c")
    return [f"+{alias}.customer_id IN (SELECT c.id FROM customer c WHERE 1{sql})"], params


def order_where(caller: Caller, f: dict) -> tuple[str, list]:
    """WHERE clause (alias wo) for the work orders the filters show."""
    where, params = scope.work_orders(caller, "wo")
    parts = [where, "wo.created_at >= ?", "wo.created_at < ?", "wo.deleted_at IS NULL"]
    params = [*params, f["start_utc"], f["end_utc"]]
    if f["org_path"]:
        own, p1 = _subtree("wo.org_id", f["org_path"])
        team, p2 = _subtree("wo.assigned_org_id", f["org_path"])
        parts.append(f"({own} OR {team})")
        params += p1 + p2
    for key in ("wo_type", "sla_grade"):
        if f[key]:
            parts.append(f"wo.{key} = ?")
            params.append(f[key])
    if f["customer_class"]:
        parts.append("+wo.customer_id IN (SELECT id FROM customer WHERE customer_class = ?)")
        params.append(f["customer_class"])
    segment, more = _segment("wo", f)
    return " AND ".join(parts + segment), [*params, *more]


def weeks(f: dict) -> list[dict]:
    """The local weeks (Monday first) the period touches, with UTC bounds cut to the period."""
    start, end = date.fromisoformat(f["from"]), date.fromisoformat(f["to"])
    monday = start - timedelta(days=start.weekday())
    out = []
    while monday <= end:
        after = monday + timedelta(days=7)
        low = day_start_utc(max(monday, start), f["tz"])
        high = day_start_utc(min(after, end + timedelta(days=1)), f["tz"])
        out.append({"week": monday.isoformat(), "low": low, "high": high})
        monday = after
    return out


def visits_per_week(db, caller: Caller, f: dict) -> list[dict]:
    """Visits per local week (Monday first), every week of the period, zeros included.

    One index range count per week: cheaper than grouping every visit by a computed week,
    and exact across daylight-saving changes.
    """
    where, params = visit_where(caller, f, period=False)
    spans = weeks(f)
    values = ", ".join("(?, ?, ?)" for _ in spans)
    found = rows(
        db,
        f"SELECT w.column1 AS week, (SELECT count(*) FROM visit v WHERE {where}"
        " AND v.check_in_at >= w.column2 AND v.check_in_at < w.column3) AS visits"
        f" FROM (VALUES {values}) w",
        [*params, *(x for s in spans for x in (s["week"], s["low"], s["high"]))],
    )
    return [{"week": r["week"], "visits": r["visits"]} for r in found]


GRADES = ("diamond", "gold", "silver", "bronze", "standard")
# The clock rules of work_orders.sla.state, summed, each over the types it applies to:
# arrival and restore over fault repairs, the due time over the other dispatched types
# (on-demand, accompanying, inspection, rectification; stored in restore_due_at). Met when
# the event came by the deadline; decided when it came at all, or the deadline passed on an
# order not cancelled.
FAULT = "wo.wo_type = 'fault_repair'"
SLA_SQL = f"""
SELECT wo.sla_grade AS sla_grade,
  sum({FAULT} AND wo.on_site_at IS NOT NULL AND wo.on_site_at <= wo.arrival_due_at)
    AS arrival_met,
  sum({FAULT} AND wo.arrival_due_at IS NOT NULL AND (wo.on_site_at IS NOT NULL
      OR (wo.status <> 'cancelled' AND wo.arrival_due_at < ?))) AS arrival_decided,
  sum({FAULT} AND wo.resolved_at IS NOT NULL AND wo.resolved_at <= wo.restore_due_at)
    AS restore_met,
  sum({FAULT} AND (wo.resolved_at IS NOT NULL
      OR (wo.status <> 'cancelled' AND wo.restore_due_at < ?))) AS restore_decided,
  sum(NOT {FAULT} AND wo.resolved_at IS NOT NULL AND wo.resolved_at <= wo.restore_due_at)
    AS due_met,
  sum(NOT {FAULT} AND (wo.resolved_at IS NOT NULL
      OR (wo.status <> 'cancelled' AND wo.restore_due_at < ?))) AS due_decided
FROM work_order wo WHERE {{where}} AND wo.restore_due_at IS NOT NULL GROUP BY wo.sla_grade
"""
CLOCKS = ("arrival", "restore", "due")


def _rate(met: int, decided: int) -> float | None:
    return round(100.0 * met / decided, 1) if decided else None


def sla_by_grade(db, caller: Caller, f: dict, now: str) -> list[dict]:
    """On-time rates per grade, each clock over the types it applies to: fault repairs'
    arrival and restore, the other types' due time. Met, decided (met or breached), %."""
    where, params = order_where(caller, f)
    found = {
        r["sla_grade"]: r for r in rows(db, SLA_SQL.format(where=where), [now, now, now, *params])
    }
    out = []
    for grade in GRADES:
        r = found.get(grade) or {}
        row = {"sla_grade": grade}
        for clock in CLOCKS:
            met, decided = r.get(f"{clock}_met") or 0, r.get(f"{clock}_decided") or 0
            row |= {f"{clock}_met": met, f"{clock}_decided": decided}
            row[f"{clock}_rate"] = _rate(met, decided)
        out.append(row)
    return out


def faults_by_cause(db, caller: Caller, f: dict) -> list[dict]:
    """The most frequent reported causes of fault repairs (not cancelled), top ten."""
    where, params = order_where(caller, f)
    return rows(
        db,
        "SELECT trim(wo.cause) AS cause, count(*) AS orders FROM work_order wo"
        f" WHERE {where} AND wo.wo_type = 'fault_repair' AND wo.status <> 'cancelled'"
        " AND trim(wo.cause) <> '' GROUP BY 1 ORDER BY orders DESC, cause LIMIT ?",
        [*params, TOP],
    )


# An item failed on an order when the order's latest answer to it (highest version; answers
# are append-only) did not pass. Items of every template version group by their label.
FAILURES_SQL = """
SELECT ci.label AS item, count(*) AS failures
FROM work_order wo
JOIN inspection_answer a ON a.work_order_id = wo.id AND a.passed = 0 AND a.deleted_at IS NULL
JOIN checklist_item ci ON ci.id = a.item_id
WHERE {where} AND wo.wo_type = 'inspection' AND wo.status <> 'cancelled'
  AND NOT EXISTS (SELECT 1 FROM inspection_answer b WHERE b.work_order_id = a.work_order_id
      AND b.item_id = a.item_id AND b.deleted_at IS NULL AND b.version > a.version)
GROUP BY ci.label ORDER BY failures DESC, item LIMIT ?
"""


def inspection_failures(db, caller: Caller, f: dict) -> list[dict]:
    """Checklist items that failed most on inspections (latest answer per order and item)."""
    where, params = order_where(caller, f)
    return rows(db, FAILURES_SQL.format(where=where), [*params, TOP])


def org_choices(db, caller: Caller) -> list[dict]:
    """Organisations the caller may filter by, in tree order."""
    where, params = scope.orgs(caller)
    return tree(db, where, params)
