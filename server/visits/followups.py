"""Follow-ups: closed from the device (`follow_up.done`), reopened by supervisors.

A follow-up is a promise made on a visit ("send the quote by Friday"). The account manager
closes it on the device, offline too; the server keeps its own time of the close
(`done_at`) and the device's (`done_device_at`, evidence, as written). The account
manager's `follow_ups_on_time` indicator judges the close by the device's time unless that
is later than the server's receipt (COUNTED_AT below; docs/scores.md).

Scoped like the visit edits (mutations._editable): a follow-up the caller cannot see now
and never had answers `unknown_follow_up`, exactly like one that does not exist; one whose
visit is frozen (approved, cancelled) or whose customer was reassigned while the device was
offline is held as a late edit for the supervisor, who may apply it from the conflicts
inbox (apply_held), which closes it as the device said.
"""

from sync import PermanentError
from sync import args as check
from sync.conflicts import hold

from .. import records, scope
from ..db import one
from ..ids import uuid7
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
    changes = dict(
        done_at=done_at, done_device_at=device_at, done_note=note, done_by=by, reopen_reason=""
    )
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
    return hold(
        ctx,
        kind="late_edit",
        entity="follow_up",
        entity_id=row["id"],
        reason=reason,
        args=args,
        new_id=uuid7(),
    )


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
