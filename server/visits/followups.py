"""Follow-ups: closed from the device (`follow_up.done`), reopened by supervisors.

A follow-up is a promise made on a visit ("send the quote by Friday"). The account manager
closes it on the device, offline too; the server keeps its own time of the close
(`done_at`) and the device's (`done_device_at`, evidence, as written). The account
manager's `follow_ups_on_time` indicator judges the close by the device's time unless that
is later than the server's receipt (counted_at below; docs/scores.md).

Scoped like the visit edits (mutations.editable): a follow-up the caller cannot see now
and never had answers `unknown_follow_up`, exactly like one that does not exist; one whose
visit is frozen (approved, cancelled) or whose customer was reassigned while the device was
offline is held as a late edit for the supervisor, who may apply it from the conflicts
inbox (apply_held), which closes it as the device said.
"""

import json

from sync import PermanentError
from sync import args as check

from .. import records, scope
from ..db import one
from ..held import hold_late
from ..ids import now_utc
from ..scope import Caller
from . import rules

MAX_NOTE = 2000
MAX_REASON = 500
# Device times up to this far past the server's receipt are clock skew, not the future
# (as work-order events: work_orders/evidence.FUTURE_TOLERANCE).
TOLERANCE_DAYS = 5 / 1440


def counted_at(alias: str = "f") -> str:
    """SQL: the moment a closed follow-up counts as done — the device's time of the close,
    unless it is later than the server's receipt (`done_at`) beyond 5 minutes' skew: a
    device clock in the future is not believed, the server's time stands."""
    return (
        f"CASE WHEN {alias}.done_device_at IS NOT NULL AND julianday({alias}.done_device_at)"
        f" <= julianday({alias}.done_at) + {TOLERANCE_DAYS!r} THEN {alias}.done_device_at"
        f" ELSE {alias}.done_at END"
    )


def _in_scope(db, caller: Caller, follow_up_id: str) -> bool:
    where, params = scope.visit_children(caller, "f")
    sql = f"SELECT 1 FROM follow_up f WHERE f.id = ? AND f.deleted_at IS NULL AND {where}"
    return one(db, sql, [follow_up_id, *params]) is not None


def _close(db, actor_id, follow_up_id: str, done_at: str, device_at, note: str, by: str):
    changes = dict(done_at=done_at, done_device_at=device_at, done_note=note, done_by=by)
    return records.update(db, "follow_up", follow_up_id, changes, actor_id, "done")


def done(ctx, args):
    """follow_up.done {id, at, note?}: the account manager did what the follow-up promised."""
    follow_up_id = check.uuid_id(args)
    device_at = check.device_time(args, required=True)
    note = check.text(args, "note", max_length=MAX_NOTE)
    row = one(ctx.db, "SELECT * FROM follow_up WHERE id = ?", [follow_up_id])
    if row is None or row["deleted_at"] or not _in_scope(ctx.db, ctx.caller, follow_up_id):
        # Only the caller's own follow-up, taken away with its customer, is kept.
        if row is None or row["deleted_at"] or row["account_manager_id"] != ctx.user_id:
            raise PermanentError("unknown_follow_up", "no such follow-up", arg="id")
        if row["done_at"]:
            return {"id": follow_up_id, "already": True}
        return _late_done(ctx, row, "reassigned", args)
    if row["done_at"]:
        return {"id": follow_up_id, "already": True}
    visit = one(ctx.db, "SELECT status FROM visit WHERE id = ?", [row["visit_id"]])
    if visit["status"] in rules.FROZEN:
        return _late_done(ctx, row, visit["status"], args)
    user = ctx.user_id
    stored = _close(ctx.db, user, follow_up_id, ctx.server_time, device_at, note, user)
    return {"id": follow_up_id, "version": stored["version"]}


def _late_done(ctx, row: dict, reason: str, args: dict):
    # The held item names the follow-up; the inbox scopes it by the follow-up's visit.
    return hold_late(ctx, "follow_up", row["id"], reason, args)


def apply_held(db, actor_id, conflict: dict, args: dict) -> dict:
    """Apply a held `follow_up.done` as the supervisor: the follow-up is closed as the
    device said — done when the server received it (the held item's time), the device's
    time and note kept — so the supervisor's delay does not make it late. Raises
    ValueError when it cannot be applied (closed meanwhile, gone, bad args)."""
    try:
        device_at = check.device_time(args, required=True)
        note = check.text(args, "note", max_length=MAX_NOTE)
    except PermanentError as exc:
        raise ValueError(exc.message) from exc
    row = records.get(db, "follow_up", conflict["entity_id"])
    if row is None or row["deleted_at"]:
        raise ValueError("the follow-up does not exist on the server")
    if row["done_at"]:
        raise ValueError("the follow-up is already closed")
    return _close(
        db, actor_id, row["id"], conflict["created_at"], device_at, note, conflict["user_id"]
    )


# ---- the supervisors' list and reopening (server/visits/followup_views.py) ----

STATES = ("open", "closed", "all")
LIST_SQL = f"""
    SELECT f.*, c.name AS customer_name, c.code AS customer_code,
           am.display_name AS account_manager_name, v.status AS visit_status,
           {counted_at("f")} AS counted_at, db.display_name AS done_by_name,
           rb.display_name AS reopened_by_name
    FROM follow_up f
    JOIN visit v ON v.id = f.visit_id
    JOIN customer c ON c.id = f.customer_id
    JOIN app_user am ON am.id = f.account_manager_id
    LEFT JOIN app_user db ON db.id = f.done_by
    LEFT JOIN app_user rb ON rb.id = f.reopened_by
    WHERE f.deleted_at IS NULL
"""
# Open first; by due day, so the overdue (due before today) come first, oldest first.
ORDER_BY = "f.done_at IS NOT NULL, f.due_date, f.id"


def validate_filters(wanted: dict, manager_ids) -> tuple[dict, dict]:
    """The list's filters (state: open by default; account manager); a bad value is
    reported and left out. Returns (clean, errors)."""
    clean = {
        "state": (wanted.get("state") or "open").strip(),
        "account_manager": (wanted.get("account_manager") or "").strip(),
    }
    errors = {}
    if clean["state"] not in STATES:
        errors["state"], clean["state"] = "invalid_choice", "open"
    if clean["account_manager"] and clean["account_manager"] not in manager_ids:
        errors["account_manager"], clean["account_manager"] = "invalid_choice", ""
    return clean, errors


def query(caller: Caller, filters: dict) -> tuple[str, list]:
    """(sql, params) of the follow-ups the caller may see (their visits' scope), filtered."""
    where, params = scope.visit_children(caller, "f")
    sql = f"{LIST_SQL} AND {where}"
    if filters.get("state") == "open":
        sql += " AND f.done_at IS NULL"
    elif filters.get("state") == "closed":
        sql += " AND f.done_at IS NOT NULL"
    if filters.get("account_manager"):
        sql += " AND f.account_manager_id = ?"
        params = [*params, filters["account_manager"]]
    return sql, params


def detail_query(caller: Caller, follow_up_id: str) -> tuple[str, list, tuple[str, list]]:
    """(sql, params, scope clause) of one follow-up, for web.scoped_one_or_404."""
    return f"{LIST_SQL} AND f.id = ?", [follow_up_id], scope.visit_children(caller, "f")


def history(db, follow_up_id: str) -> list[dict]:
    """Closes and reopenings of a follow-up, oldest first, from the audit log (who, when,
    the note or the reason)."""
    found = db.execute(
        "SELECT a.at, a.action, a.after, u.display_name AS user_name FROM audit_log a"
        " LEFT JOIN app_user u ON u.id = a.user_id WHERE a.entity = 'follow_up'"
        " AND a.entity_id = ? AND a.action IN ('done', 'reopen') ORDER BY a.id",
        [follow_up_id],
    ).fetchall()
    out = []
    for r in found:
        after = json.loads(r["after"] or "{}")
        text = after.get("done_note") if r["action"] == "done" else after.get("reopen_reason")
        out.append(dict(at=r["at"], action=r["action"], user_name=r["user_name"], text=text))
    return out


def validate_reopen(form) -> tuple[dict, dict]:
    """Reopening needs a reason (1–500 characters). Returns (clean, errors)."""
    reason = (form.get("reason") or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "required"
    elif len(reason) > MAX_REASON:
        errors["reason"] = "out_of_range"
    return {"reason": reason}, errors


def reopen(db, actor_id, follow_up_id: str, reason: str) -> dict:
    """A supervisor reopens a closed follow-up with a reason: the close is cleared (the
    audit log keeps it and the reason), the follow-up is open again on the device and for
    the indicator. Raises ValueError when it is not closed."""
    with db.atomic():
        row = records.get(db, "follow_up", follow_up_id)
        if row is None or not row["done_at"]:
            raise ValueError("only a closed follow-up can be reopened")
        changes = dict(
            done_at=None,
            done_device_at=None,
            done_by=None,
            done_note="",
            reopened_at=now_utc(),
            reopened_by=actor_id,
            reopen_reason=reason,
        )
        return records.update(db, "follow_up", follow_up_id, changes, actor_id, "reopen")
