"""Work-order model: create (dispatch), reassign, review actions, queries.

Field steps (accept, travel, arrive, resolve, submit) arrive from devices as mutations
(mutations.py); the steps here are the supervisor's, from server pages and the CLI.
"""

from .. import records, scope, times
from ..db import one
from ..ids import now_utc, uuid7
from ..reviews import history
from . import checklist_gate, rules, sla, statuses


def next_code(db, at: str) -> str:
    """A human work-order number: WO-YYYYMMDD-NNNNN (per day, from the server's clock)."""
    day = at[:10].replace("-", "")
    prefix = f"WO-{day}-"
    row = db.execute(
        "SELECT max(code) FROM work_order WHERE code >= ? AND code < ?", [prefix, prefix + "~"]
    ).fetchone()
    n = int(row[0].rsplit("-", 1)[1]) + 1 if row[0] else 1
    return f"{prefix}{n:05d}"


def _grade_for(db, site_id, customer_id, given) -> str:
    if given:
        return given
    if customer_id:
        found = one(db, "SELECT sla_grade FROM customer WHERE id = ?", [customer_id])
        if found:
            return found["sla_grade"]
    if site_id:
        found = one(
            db,
            "SELECT c.sla_grade FROM site s JOIN customer c ON c.id = s.customer_id"
            " WHERE s.id = ?",
            [site_id],
        )
        if found:
            return found["sla_grade"]
    return "standard"


def create_order(db, actor_id, *, wo_type, org_id, id=None, at=None, **fields) -> dict:
    """Create an order in its type's first status; dispatched orders get their type's SLA
    deadlines (sla.clocks_for: fault clocks for fault repairs, one due time otherwise).

    `fields` may hold title, description, site_id, customer_id, assigned_org_id,
    assignee_id, reported_by, sla_grade, lat, lon, parent_id, parent_item_id,
    checklist_template_id, inspection_plan_id, plan_period, severity (rectifications), and
    due_at (the supervisor's due time for on-demand, accompanying or unplanned inspection).
    """
    if wo_type not in rules.TYPES:
        raise rules.IllegalTransition(f"unknown work-order type {wo_type!r}")
    at = (
        times.to_stored(times.from_stored(at)) if at else now_utc()
    )  # UTC, so times compare as text
    status = rules.INITIAL[wo_type]
    due_at = fields.pop("due_at", None)
    if wo_type == "rectification":
        fields["severity"] = fields.get("severity") or sla.DEFAULT_SEVERITY
    values = dict(fields, id=id or uuid7(), wo_type=wo_type, org_id=org_id, status=status)
    values["sla_grade"] = _grade_for(
        db, fields.get("site_id"), fields.get("customer_id"), fields.get("sla_grade")
    )
    with db.atomic():
        values["code"] = next_code(db, at)
        if status == "dispatched":
            values["dispatched_at"] = at
            values.update(
                sla.clocks_for(
                    db,
                    wo_type,
                    values["sla_grade"],
                    at,
                    severity=values.get("severity"),
                    plan_period=values.get("plan_period"),
                    due_at=due_at,
                )
            )
        else:
            values["submitted_at"] = at
        return records.insert(db, "work_order", values, actor_id)


def get_scoped(db, caller, order_id: str) -> dict | None:
    """One order if the caller may see it."""
    where, params = scope.work_orders(caller)
    return one(db, f"SELECT * FROM work_order WHERE id = ? AND {where}", [order_id, *params])


def assign(db, actor_id, order_id: str, *, assignee_id=None, assigned_org_id=None) -> dict:
    """Dispatch (or reassign) an order to a technician and/or a team or contractor.

    A reassignment takes the order from whoever had it: their later field work arrives as
    late edits. An order already submitted or later cannot be reassigned. A returned
    exception report stays returned (it has no dispatched state) for its new holder.
    """
    order = records.get(db, "work_order", order_id)
    if order["status"] not in statuses.REASSIGNABLE:
        raise rules.IllegalTransition(f"a {order['status']} order cannot be reassigned")
    changes = {"assignee_id": assignee_id, "assigned_org_id": assigned_org_id}
    restarts = rules.INITIAL[order["wo_type"]] == "dispatched"  # not an exception report
    if restarts and order["status"] != "dispatched" and assignee_id != order["assignee_id"]:
        changes["status"] = "dispatched"  # the new technician accepts afresh
    return records.update(db, "work_order", order_id, changes, actor_id, "assign")


def review(db, actor_id, order_id: str, action: str, reason: str = "") -> dict:
    """A supervisor's step: approve, return (with a reason), close or cancel."""
    order = records.get(db, "work_order", order_id)
    target = rules.REVIEW_STEPS[action]
    rules.check(order["wo_type"], order["status"], target)
    if action in ("return", "cancel") and not reason.strip():
        raise rules.IllegalTransition("a reason is required")
    if action == "approve":
        refused = checklist_gate.refusal(db, order)
        if refused:  # an inspection approved only with its whole checklist answered
            raise rules.IllegalTransition(refused[1])
    at = now_utc()
    changes = (
        {"status": target, f"{target}_at": at}
        if target != "returned"
        else {"status": target, "return_reason": reason.strip()}
    )
    if action == "cancel":
        changes["cancel_reason"] = reason.strip()
    if action == "return":  # the rework is new work: a contractor pre-checks it afresh
        changes.update(prechecked_at=None, prechecked_by=None)
    with db.atomic():
        row = records.update(db, "work_order", order_id, changes, actor_id, action)
        if action in history.ACTIONS:  # approve and return are kept in the review history
            history.record(db, actor_id, "work_order", row, action, reason)
    return row
