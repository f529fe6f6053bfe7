"""Retention tasks: who sees them, and their outcome (retained, downgraded, lost, won back)."""

from .. import records, scope
from ..db import one, write_lock
from ..ids import now_utc
from ..scope import Caller

OUTCOMES = ("retained", "downgraded", "lost", "won_back")
KEPT = ("retained", "downgraded", "won_back")  # the customer stayed (retention rate)
MAX_REASON = 2000


def visible(caller: Caller, alias: str = "retention_task") -> tuple[str, list]:
    """An account manager their own tasks; a supervisor their subtree's; admins all."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        where, params = scope.orgs(caller, "o")
        return f"EXISTS (SELECT 1 FROM org o WHERE o.id = {alias}.org_id AND {where})", params
    if caller.role == "account_manager":
        return f"{alias}.assignee_id = ?", [caller.id]
    return scope.NOTHING


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
    )  # noqa: S608
