"""Visit queries and supervisor actions (review proper arrives with the review desk)."""

from .. import records, scope
from ..db import one, rows
from ..reviews import history
from . import rules

FLAGS = ("far", "low_accuracy", "no_fix", "no_customer_location")


def get_scoped(db, caller, visit_id: str) -> dict | None:
    """One visit with its customer's name and class, if the caller may see it."""
    where, params = scope.visits(caller)
    return one(
        db,
        "SELECT visit.*, c.name AS customer_name, c.customer_class, c.sla_grade,"
        " u.display_name AS account_manager_name FROM visit"
        " JOIN customer c ON c.id = visit.customer_id"
        " JOIN app_user u ON u.id = visit.account_manager_id"
        f" WHERE visit.id = ? AND {where}",
        [visit_id, *params],
    )


def photos(db, visit_id: str) -> list[dict]:
    """A visit's photos with whether their blob has arrived from whoever attached it."""
    return rows(
        db,
        "SELECT p.*, CASE WHEN"
        f" {scope.attachment_arrived('visit_photo', 'p', 'sha256')}"
        " THEN 'complete' ELSE 'pending' END AS blob_state FROM visit_photo p"
        " WHERE p.visit_id = ? AND p.deleted_at IS NULL ORDER BY p.created_at",
        [visit_id],
    )


def follow_ups(db, visit_id: str) -> list[dict]:
    """A visit's follow-up actions."""
    return rows(
        db,
        "SELECT * FROM follow_up WHERE visit_id = ? AND deleted_at IS NULL ORDER BY due_date",
        [visit_id],
    )


def approve(db, actor_id, visit_id: str) -> dict:
    """Approve a completed visit (kept in its review history); later field edits become
    late edits."""
    with db.atomic():
        visit = records.get(db, "visit", visit_id)
        if not rules.can_move(visit["status"], "approved"):
            raise ValueError(f"cannot approve a {visit['status']} visit")
        row = records.update(db, "visit", visit_id, {"status": "approved"}, actor_id, "approve")
        history.record(db, actor_id, "visit", row, "approve")
    return row


def return_visit(db, actor_id, visit_id: str, reason: str) -> dict:
    """Return a completed visit to its account manager for rework, with a reason (required);
    the reason reaches their device and the step is kept in the review history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    changes = {"status": "returned", "return_reason": reason}
    with db.atomic():
        visit = records.get(db, "visit", visit_id)
        if not rules.can_move(visit["status"], "returned"):
            raise ValueError(f"cannot return a {visit['status']} visit")
        row = records.update(db, "visit", visit_id, changes, actor_id, "return")
        history.record(db, actor_id, "visit", row, "return", reason)
    return row


def touch_customer(db, customer_id: str, at: str, keys: set[str]) -> None:
    """Log a change for a customer's contacts, visits and their children, under `keys`
    (the customer's scope keys before and after), so devices re-check their scope."""
    from sync.changes import log_change

    children = (
        "SELECT 'contact', id FROM contact WHERE customer_id = :c"
        " UNION ALL SELECT 'visit', id FROM visit WHERE customer_id = :c"
        " UNION ALL SELECT 'visit_photo', p.id FROM visit_photo p"
        " JOIN visit v ON v.id = p.visit_id WHERE v.customer_id = :c"
        " UNION ALL SELECT 'follow_up', f.id FROM follow_up f"
        " JOIN visit v ON v.id = f.visit_id WHERE v.customer_id = :c"
    )
    for table, row_id in db.execute(children, {"c": customer_id}).fetchall():
        log_change(db, table, row_id, at, keys)
