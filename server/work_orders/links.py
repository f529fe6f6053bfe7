"""Orders made from orders: an exception report converted into a fault repair,
rectification or on-demand order; and a contractor supervisor's pre-check.

Converting creates the new order through the one create path (model.create_order), linked
by parent_id to the report and keeping its reporter (reported_by), so the reporter's device
receives it (scope.work_orders, sync_keys); the grade comes from the site's customer (or
standard). The report is closed as converted (converted_to_id), with a 'convert' step in
its review history and a timeline event saying who and when. Converting again answers the
order made the first time: the unique index work_order_from_report holds one per report.

Who may do either is scope's rule (scope.work_order_decisions, scope.work_order_prechecks):
callers check it before these run.
"""

import sqlite3

from .. import records
from ..db import one
from ..ids import now_utc
from ..reviews import history
from . import model, rules

CONVERT_TO = ("fault_repair", "rectification", "on_demand")
CONVERTIBLE = ("submitted", "approved")


def made_from(db, report_id: str) -> dict | None:
    """The order an exception report was converted into, if any."""
    return one(
        db,
        "SELECT * FROM work_order WHERE parent_id = ? AND parent_item_id IS NULL",
        [report_id],
    )


def convert_report(
    db,
    actor_id,
    report_id: str,
    wo_type: str,
    *,
    site_id=None,
    assignee_id=None,
    assigned_org_id=None,
    at=None,
) -> tuple[dict, bool]:
    """Convert a submitted (or approved) exception report; returns (order, created).

    The new order is at the report's site (or `site_id` when the report named none) and
    belongs to the site's organisation (as a dispatched order does), with the report's
    title, description and position.
    """
    report = records.get(db, "work_order", report_id)
    if report is None or report["wo_type"] != "exception_report":
        raise rules.IllegalTransition("only an exception report can be converted")
    if wo_type not in CONVERT_TO:
        raise rules.IllegalTransition(f"an exception report cannot become {wo_type!r}")
    existing = made_from(db, report_id)
    if existing:
        return existing, False
    if report["status"] not in CONVERTIBLE:
        raise rules.IllegalTransition(f"a {report['status']} report cannot be converted")
    at = at or now_utc()
    site_id = report["site_id"] or site_id
    if site_id is None:
        raise rules.IllegalTransition("the report names no site: choose one")
    site = one(db, "SELECT org_id, customer_id FROM site WHERE id = ?", [site_id])
    fields = dict(
        title=report["title"],
        description=report["description"],
        site_id=site_id,
        customer_id=site["customer_id"],
        reported_by=report["reported_by"],
        parent_id=report_id,
        lat=report["lat"],
        lon=report["lon"],
        assignee_id=assignee_id,
        assigned_org_id=assigned_org_id,
    )
    fields = {k: v for k, v in fields.items() if v is not None}
    try:
        with db.atomic():
            order = model.create_order(
                db, actor_id, wo_type=wo_type, org_id=site["org_id"], at=at, **fields
            )
            changes = {"status": "closed", "closed_at": at, "converted_to_id": order["id"]}
            row = records.update(db, "work_order", report_id, changes, actor_id, "convert")
            history.record(db, actor_id, "work_order", row, "convert", order["code"], at=at)
            records.insert(
                db,
                "work_order_event",
                dict(
                    work_order_id=report_id,
                    user_id=actor_id,
                    from_status=report["status"],
                    to_status="closed",
                    server_at=at,
                    note=f"→ {order['code']}",
                ),
                actor_id,
            )
    except sqlite3.IntegrityError:  # a concurrent conversion made it first
        existing = made_from(db, report_id)
        if existing:
            return existing, False
        raise
    return order, True


def precheck(db, actor_id, order_id: str, note: str = "") -> dict:
    """A contractor supervisor's pre-check of a submitted order: marked on the order (the
    operator's queue shows it) and kept in its review history. Again: no second mark."""
    order = records.get(db, "work_order", order_id)
    if order["status"] != "submitted":
        raise rules.IllegalTransition(f"a {order['status']} order cannot be pre-checked")
    if order["prechecked_at"]:
        return order
    at = now_utc()
    with db.atomic():
        changes = {"prechecked_at": at, "prechecked_by": actor_id}
        row = records.update(db, "work_order", order_id, changes, actor_id, "precheck")
        history.record(db, actor_id, "work_order", row, "precheck", note, at=at)
    return row
