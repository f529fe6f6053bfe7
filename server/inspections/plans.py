"""Inspection plans: which sites of an organisation's subtree are inspected, from when, by
whom; and the run that turns them into one inspection order per site per cycle period."""

import sqlite3
from datetime import date, timedelta

from .. import fields, records, scope
from ..db import one, rows
from ..scope import Caller
from ..sites.model import SITE_TYPES
from ..work_orders.model import create_order
from . import checklists


def validate_plan(db, caller: Caller, data: dict) -> tuple[dict, dict]:
    """Check a plan form; return (clean, errors).

    Name required; the organisation is one the caller may see; the site type is a known
    one; the team or contractor that gets the orders (optional: else each site's contractor)
    is an organisation the caller may see; the start date is YYYY-MM-DD.
    """
    errors: dict = {}
    clean = {key: fields.text(data, key) for key in ("name", "site_type", "start_date")}
    if not clean["name"]:
        errors["name"] = "required"
    fields.choice(clean, errors, "site_type", SITE_TYPES)
    clean["org_id"] = fields.org_in_scope(db, caller, data, errors)
    clean["assigned_org_id"] = fields.reference(
        db,
        data,
        "assigned_org_id",
        errors,
        exists="SELECT id FROM org WHERE org.id = ?",
        in_scope=scope.orgs(caller),
        unknown="unknown_org",
    )
    if not clean["start_date"]:
        errors["start_date"] = "required"
    else:
        try:
            clean["start_date"] = date.fromisoformat(clean["start_date"]).isoformat()
        except ValueError:
            errors["start_date"] = "invalid_date"
    return clean, errors


def create_plan(db, actor_id, **values) -> dict:
    """Create an (active) inspection plan from validated values."""
    return records.insert(db, "inspection_plan", {**values, "active": 1}, actor_id)


def set_active(db, actor_id, plan_id: str, active: bool) -> dict:
    """Pause or resume a plan: a paused plan generates nothing."""
    return records.update(db, "inspection_plan", plan_id, {"active": int(active)}, actor_id)


def query(caller: Caller) -> tuple[str, list]:
    """SELECT of the plans the caller may see (by the plan's organisation), with names."""
    where, params = scope.orgs(caller, "o")
    return (
        "SELECT p.*, o.name AS org_name, a.name AS assigned_org_name FROM inspection_plan p"
        " JOIN org o ON o.id = p.org_id LEFT JOIN org a ON a.id = p.assigned_org_id"
        f" WHERE p.deleted_at IS NULL AND {where}",
        params,
    )


def periods(start: date, cycle_days: int, first: date, last: date) -> list[tuple[date, date]]:
    """The cycle windows that overlap [first, last], counted from `start` in whole cycles.

    Window n is [start + n·cycle, start + (n+1)·cycle − 1 day]; none before `start`.
    """
    cycle = max(1, int(cycle_days))
    n = max(0, (first - start).days // cycle)
    found = []
    while True:
        begin = start + timedelta(days=n * cycle)
        if begin > last:
            return found
        end = begin + timedelta(days=cycle - 1)
        if end >= first:
            found.append((begin, end))
        n += 1


def period_text(window: tuple[date, date]) -> str:
    """A period as stored in work_order.plan_period: "2026-11-05/2026-12-04"."""
    return f"{window[0].isoformat()}/{window[1].isoformat()}"


def _sites(db, plan: dict) -> list[dict]:
    org = one(db, "SELECT path FROM org WHERE id = ?", [plan["org_id"]])
    return rows(
        db,
        "SELECT id, name, org_id, contractor_id, inspection_cycle_days FROM site"
        " WHERE site_type = ? AND deleted_at IS NULL"
        " AND org_id IN (SELECT id FROM org WHERE path >= ? AND path < ?) ORDER BY code",
        [plan["site_type"], org["path"], org["path"] + "\uffff"],
    )


def _template(db, site_type: str) -> dict | None:
    template = checklists.current_template(db, site_type)
    if template is None:
        checklists.ensure_default_templates(db)
        template = checklists.current_template(db, site_type)
    return template


def _exists(db, site_id: str, plan_id: str, period: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM work_order WHERE site_id = ? AND inspection_plan_id = ?"
            " AND plan_period = ?",
            [site_id, plan_id, period],
        ).fetchone()
    )


def _order(db, actor_id, plan: dict, site: dict, template: dict, period: str) -> bool:
    """Create one site's order for one period; False when it already exists."""
    if _exists(db, site["id"], plan["id"], period):
        return False
    try:
        create_order(
            db,
            actor_id,
            wo_type="inspection",
            org_id=site["org_id"],
            site_id=site["id"],
            assigned_org_id=plan["assigned_org_id"] or site["contractor_id"],
            checklist_template_id=template["id"],
            inspection_plan_id=plan["id"],
            plan_period=period,
            title=f"{plan['name']} · {site['name']}",
        )
    except sqlite3.IntegrityError:  # a concurrent run made it first: the unique index held
        if _exists(db, site["id"], plan["id"], period):
            return False
        raise
    return True


def run_plan(db, actor_id, plan: dict, first: date, last: date) -> dict:
    """Generate one plan's missing orders for the periods overlapping [first, last]."""
    counts = {"created": 0, "existing": 0}
    template = _template(db, plan["site_type"])
    if template is None:
        return counts
    start = date.fromisoformat(plan["start_date"])
    with db.atomic():
        for site in _sites(db, plan):
            for window in periods(start, site["inspection_cycle_days"] or 90, first, last):
                made = _order(db, actor_id, plan, site, template, period_text(window))
                counts["created" if made else "existing"] += 1
    return counts


def run_plans(db, actor_id, today: date, horizon_days: int = 0, caller=None) -> dict:
    """Generate the inspection orders of every active plan; idempotent.

    For each site of the plan's site type in the plan's organisation subtree: one order per
    cycle period (the site's inspection_cycle_days, counted from the plan's start date)
    overlapping [today, today + horizon_days], each due by the end of its period (no fault
    clocks: work_orders/sla.py clocks_for). Orders that exist already are counted, not
    made again (the unique index on site, plan and period backs this). With `caller`, only
    the plans the caller may see run. Returns {plans, created, existing}.
    """
    sql, params = query(caller) if caller else ("SELECT p.* FROM inspection_plan p WHERE 1", [])
    plans = rows(db, f"{sql} AND p.active = 1 AND p.deleted_at IS NULL ORDER BY p.id", params)
    totals = {"plans": len(plans), "created": 0, "existing": 0}
    last = today + timedelta(days=max(0, horizon_days))
    for plan in plans:
        counts = run_plan(db, actor_id, plan, today, last)
        totals["created"] += counts["created"]
        totals["existing"] += counts["existing"]
    return totals
