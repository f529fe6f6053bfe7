"""Retention tasks: who sees them, and their outcome (retained, downgraded, lost, won back)."""

import json

from .. import records, scope
from ..db import one, rows, write_lock
from ..ids import now_utc
from ..scope import Caller

LIST_SQL = (
    "SELECT t.*, c.name AS customer_name, c.code AS customer_code,"
    " u.display_name AS assignee_name, o.name AS org_name"
    " FROM retention_task t JOIN customer c ON c.id = t.customer_id"
    " JOIN org o ON o.id = t.org_id LEFT JOIN app_user u ON u.id = t.assignee_id"
    " WHERE t.deleted_at IS NULL"
)

OUTCOMES = ("retained", "downgraded", "lost", "won_back")
KEPT = ("retained", "downgraded", "won_back")  # the customer stayed (retention rate)
MAX_REASON = 2000


def visible(caller: Caller, alias: str = "retention_task") -> tuple[str, list]:
    """An account manager their own tasks; a supervisor their subtree's; admins all."""
    return scope.owned(caller, alias, "assignee_id")


def validate_outcome(outcome, reason) -> dict:
    """Errors of an outcome: one of OUTCOMES, with a reason."""
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "invalid_choice"
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = "required"
    elif len(reason) > MAX_REASON:
        errors["reason"] = "too_long"
    return errors


class AlreadyClosed(ValueError):
    """The task got its outcome meanwhile (another device, the web page): the first stands."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


def record_outcome(db, actor_id, task_id: str, outcome: str, reason: str, device_at=None):
    """Close the task with its outcome. Returns the stored row.

    Raises AlreadyClosed when the task is closed by the time of the write (the caller's
    check was made before another request closed it)."""
    with write_lock(db):  # the check and the write under one write lock (a savepoint in a push)
        now = one(db, "SELECT status, outcome FROM retention_task WHERE id = ?", [task_id])
        if now is not None and now["status"] == "closed":
            raise AlreadyClosed(now["outcome"])
        row = records.update(
            db,
            "retention_task",
            task_id,
            {
                "status": "closed",
                "outcome": outcome,
                "outcome_reason": reason.strip(),
                "outcome_at": now_utc(),
                "outcome_device_at": device_at,
                "outcome_by": actor_id,
            },
            actor_id,
            action="outcome",
        )
    return row


def get_visible(db, caller: Caller, task_id: str) -> dict | None:
    where, params = visible(caller, "t")
    return one(
        db, f"SELECT t.* FROM retention_task t WHERE t.id = ? AND {where}", [task_id, *params]
    )


def customer_section(db, caller: Caller, customer_id: str) -> dict:
    """What the customer page shows of retention (the page itself is already scoped): the
    latest standing, the last warnings with the rules that fired, and the retention tasks
    the caller may open."""
    standing = rows(db, "SELECT * FROM churn_standing WHERE customer_id = ?", [customer_id])
    warnings = rows(
        db,
        "SELECT * FROM churn_warning WHERE customer_id = ? ORDER BY month DESC LIMIT 3",
        [customer_id],
    )
    for w in warnings:
        w["fired_data"] = json.loads(w["fired"])
    where, params = visible(caller, "t")
    tasks = rows(
        db,
        f"{LIST_SQL} AND t.customer_id = ? AND {where} ORDER BY t.created_at DESC LIMIT 5",
        [customer_id, *params],
    )
    return {"standing": standing[0] if standing else None, "warnings": warnings, "tasks": tasks}
