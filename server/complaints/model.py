"""Complaints (投诉): record one, move it through its states, reassign it, time it.

A complaint belongs to its customer's organisation and account manager as recorded (scope:
server/scope.py `complaints`), and has an owner: a user in scope who answers for it. Every
change of status, owner or severity appends a step (table complaint_step: action, from and to
status, reason, detail, by whom, when) in the same transaction as the change, so the history
shows every step even when a complaint is reopened twice. The state machine is in states.py,
the clocks in clock.py and their policy in policy.py.
"""

import json

from .. import records
from ..db import one, rows
from ..ids import now_utc
from ..scope import Caller, complaints
from . import states
from .policy import in_force

CHANNELS = ("hotline_transfer", "visit", "letter", "app", "other")
FEEDBACK_HOW = ("phone", "visit", "message", "letter")
REACTIONS = ("satisfied", "accepted", "dissatisfied")
MAX_WORDS, MAX_REASON, MAX_TICKET = 5000, 2000, 100
SELECT = (
    "SELECT k.*, c.name AS customer_name, c.code AS customer_code, c.sla_grade,"
    " o.display_name AS owner_name, m.display_name AS account_manager_name"
    " FROM complaint k JOIN customer c ON c.id = k.customer_id"
    " LEFT JOIN app_user o ON o.id = k.owner_id"
    " LEFT JOIN app_user m ON m.id = k.account_manager_id"
)
SEVERITY_RANK = (
    "CASE k.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"
)
ORDER_BY = f"{SEVERITY_RANK}, k.received_at, k.id"  # the queue: most severe, then oldest


def visible(caller: Caller, alias: str = "complaint") -> tuple[str, list]:
    """Complaints the caller may see (scope.complaints)."""
    return complaints(caller, alias)


def get_scoped(db, caller: Caller, complaint_id: str) -> dict | None:
    """One complaint with its customer and people, if the caller may see it."""
    where, params = visible(caller, "k")
    return one(db, f"{SELECT} WHERE k.id = ? AND {where}", [complaint_id, *params])


def list_query(caller: Caller, status="", severity="", owner_id="", open_only="") -> tuple:
    """Complaints in scope, filtered (for web.list_page); `open_only` leaves out archived."""
    where, params = visible(caller, "k")
    sql = f"{SELECT} WHERE k.deleted_at IS NULL AND {where}"
    for column, value in (
        ("k.status", status),
        ("k.severity", severity),
        ("k.owner_id", owner_id),
    ):
        if value:
            sql += f" AND {column} = ?"
            params = [*params, value]
    if open_only:
        sql += " AND k.status <> 'archived'"
    return sql, params


def _step(
    db, actor_id, complaint: dict, action: str, to_status: str, reason="", detail=None, at=None
):
    values = dict(
        complaint_id=complaint["id"],
        org_id=complaint["org_id"],
        action=action,
        from_status=complaint.get("status"),
        to_status=to_status,
        reason=(reason or "").strip(),
        detail=json.dumps(detail or {}, ensure_ascii=False),
        actor_id=actor_id,
        at=at or now_utc(),
    )
    return records.insert(db, "complaint_step", values, actor_id)


def record(db, actor_id, customer: dict, clean: dict, complaint_id: str | None = None) -> dict:
    """Store a complaint of `customer` (received now unless `clean` says when), timed by the
    policy version in force then, owned by `clean["owner_id"]` or the customer's account
    manager, with its first step (`record`)."""
    received = clean.get("received_at") or now_utc()
    values = {k: v for k, v in clean.items() if v is not None}
    values.update(
        customer_id=customer["id"],
        org_id=customer["org_id"],
        account_manager_id=customer["account_manager_id"],
        owner_id=clean.get("owner_id") or customer["account_manager_id"],
        recorded_by=actor_id,
        status="received",
        received_at=received,
        policy_version=in_force(db, received)["version"],
    )
    if complaint_id:
        values["id"] = complaint_id
    with db.atomic():
        row = records.insert(db, "complaint", values, actor_id)
        _step(db, actor_id, {**row, "status": None}, "record", "received", at=received)
    return row


def transition(db, actor_id, complaint: dict, action: str, reason="", **extra) -> dict:
    """Take the step `action` (states.py): ValueError `illegal_transition` when the status
    does not allow it, `reason_required` for a reopen or pause without one; `handle` needs
    what was done (`handling`), `give_feedback` how (`feedback_how`) and the reaction."""
    to = states.next_status(complaint["status"], action, complaint.get("paused_from"))
    if to is None:
        raise ValueError("illegal_transition")
    if action in states.NEEDS_REASON and not (reason or "").strip():
        raise ValueError("reason_required")
    changes = {"status": to, **_changes_for(action, complaint, extra)}
    with db.atomic():
        _step(db, actor_id, complaint, action, to, reason, extra or None)
        return records.update(db, "complaint", complaint["id"], changes, actor_id, action)


def _changes_for(action: str, complaint: dict, extra: dict) -> dict:
    if action == "pause":
        return {"paused_from": complaint["status"]}
    if action == "resume":
        return {"paused_from": None}
    if action == "classify" and extra.get("category"):
        return {"category": extra["category"]}
    if action == "handle":
        if not (extra.get("handling") or "").strip():
            raise ValueError("handling_required")
        return {"handling": extra["handling"].strip()}
    if action == "give_feedback":
        if extra.get("feedback_how") not in FEEDBACK_HOW:
            raise ValueError("feedback_how_required")
        if extra.get("feedback_reaction") not in REACTIONS:
            raise ValueError("feedback_reaction_required")
        keys = ("feedback_how", "feedback_reaction", "feedback_note")
        return {k: (extra.get(k) or "").strip() for k in keys}
    return {}


def _set(db, actor_id, complaint: dict, action: str, column: str, value, reason: str):
    """Change one column as a step that keeps the status (old and new value in its detail)."""
    if value == complaint[column]:
        return complaint
    detail = {"from": complaint[column], "to": value}
    with db.atomic():
        _step(db, actor_id, complaint, action, complaint["status"], reason, detail)
        return records.update(db, "complaint", complaint["id"], {column: value}, actor_id, action)


def reassign(db, actor_id, complaint: dict, owner_id: str, reason="") -> dict:
    """Give the complaint another owner (its status stays), as a step."""
    return _set(db, actor_id, complaint, "reassign", "owner_id", owner_id, reason)


def change_severity(db, actor_id, complaint: dict, severity: str, reason="") -> dict:
    """Change the severity (its clocks are recomputed from the original received time)."""
    return _set(db, actor_id, complaint, "change_severity", "severity", severity, reason)


def history(db, complaint_id: str) -> list[dict]:
    """The complaint's steps, oldest first, with who took each (`actor_name`)."""
    return rows(
        db,
        "SELECT s.*, u.display_name AS actor_name FROM complaint_step s"
        " LEFT JOIN app_user u ON u.id = s.actor_id"
        " WHERE s.complaint_id = ? AND s.deleted_at IS NULL ORDER BY s.at, s.version",
        [complaint_id],
    )
