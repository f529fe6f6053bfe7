"""A supervisor's review of one record: approve, or return with a reason.

The state machines and the history rows belong to the domains (visits.model,
work_orders.model); this module picks the right one for the queue's two kinds of record.
"""

from ..visits import model as visits
from ..work_orders import model as work_orders


class Refused(ValueError):
    """The record's state machine does not allow this step now; the message says why."""


def validate_return(form) -> tuple[dict, dict]:
    """A return needs a reason (up to 500 characters). Returns (clean, errors)."""
    reason = (form.get("reason") or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "required"
    elif len(reason) > 500:
        errors["reason"] = "out_of_range"
    return {"reason": reason}, errors


def approve(db, actor_id, entity: str, entity_id: str) -> dict:
    """Approve a submitted visit or work order (recorded in its review history)."""
    try:
        if entity == "visit":
            return visits.approve(db, actor_id, entity_id)
        return work_orders.review(db, actor_id, entity_id, "approve")
    except ValueError as exc:
        raise Refused(str(exc)) from exc


def return_for_rework(db, actor_id, entity: str, entity_id: str, reason: str) -> dict:
    """Return a submitted visit or work order to its author with a reason (recorded)."""
    try:
        if entity == "visit":
            return visits.return_visit(db, actor_id, entity_id, reason)
        return work_orders.review(db, actor_id, entity_id, "return", reason)
    except ValueError as exc:
        raise Refused(str(exc)) from exc
