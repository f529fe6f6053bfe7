"""A supervisor's review of one record: approve, or return with a reason.

The state machines and the history rows belong to the domains (visits.model,
work_orders.model); this module picks the right one for the queue's two kinds of record.
"""

from .. import scope
from ..db import one
from ..visits import model as visits
from ..work_orders import links
from ..work_orders import model as work_orders


class Refused(ValueError):
    """The record's state machine does not allow this step now; the message says why."""


class Forbidden(Refused):
    """The caller sees the record but this step is not theirs (两不三可: a contractor's
    supervisor pre-checks, the operator's supervisors approve, return and close)."""


NOT_YOURS = "approving, returning and closing belong to the operator's supervisors over the site"


def _clause_holds(db, clause, order_id: str) -> bool:
    where, params = clause
    sql = f"SELECT 1 FROM work_order w WHERE w.id = ? AND {where}"
    return one(db, sql, [order_id, *params]) is not None


def check_decides(db, caller, entity: str, entity_id: str) -> None:
    """Raise Forbidden unless the caller may approve, return or close this record."""
    if entity == "work_order" and not _clause_holds(
        db, scope.work_order_decisions(caller, "w"), entity_id
    ):
        raise Forbidden(NOT_YOURS)


def precheck(db, caller, entity: str, entity_id: str, note: str = "") -> dict:
    """A contractor supervisor's pre-check of their technicians' submitted order."""
    if entity != "work_order" or not _clause_holds(
        db, scope.work_order_prechecks(caller, "w"), entity_id
    ):
        raise Forbidden("only a contractor's supervisor pre-checks its own technicians' work")
    try:
        return links.precheck(db, caller.id, entity_id, note)
    except ValueError as exc:
        raise Refused(str(exc)) from exc


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
