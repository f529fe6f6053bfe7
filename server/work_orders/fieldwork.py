"""Shared steps of work-order mutations: find the order the caller may work on, record an
event with its device, corrected and server times, hold late edits."""

import json

from sync import PermanentError
from sync.conflicts import hold

from .. import records, scope
from ..db import one
from ..ids import uuid7
from . import evidence, rules


def order_id(args: dict, key: str = "id") -> str:
    from ..visits.mutations import ID

    value = args.get(key)
    if not isinstance(value, str) or not ID.match(value):
        raise PermanentError("bad_args", f"{key} must be a UUID")
    return value.lower()


def _was_theirs(db, order_id: str, user_id: str) -> bool:
    """True when the caller once held this order (so their work is a late edit, not noise)."""
    pattern = f'%"assignee_id": "{user_id}"%'
    found = one(
        db,
        "SELECT 1 FROM audit_log WHERE entity = 'work_order' AND entity_id = ?"
        " AND (before LIKE ? OR after LIKE ?) LIMIT 1",
        [order_id, pattern, pattern],
    )
    return found is not None


def late(ctx, order_id: str, reason: str, args: dict):
    return hold(
        ctx,
        kind="late_edit",
        entity="work_order",
        entity_id=order_id,
        reason=reason,
        args=args,
        new_id=uuid7(),
    )


def workable(ctx, order_id: str, args: dict):
    """(order, None) when the caller may work on it now, else (None, Held late edit)."""
    order = one(ctx.db, "SELECT * FROM work_order WHERE id = ?", [order_id])
    if order is None:
        raise PermanentError("unknown_work_order", "no such work order")
    where, params = scope.work_orders(ctx.caller)
    mine = one(ctx.db, f"SELECT id FROM work_order WHERE id = ? AND {where}", [order_id, *params])
    if mine is None:
        if _was_theirs(ctx.db, order_id, ctx.user_id):
            return None, late(ctx, order_id, "reassigned", args)
        raise PermanentError("not_found", "no such work order")
    if order["status"] in rules.FROZEN:
        return None, late(ctx, order_id, order["status"], args)
    return order, None


MAX_OFFSET_MS = 366 * 86_400_000


def clock_offset(ctx) -> int:
    """The device's reported clock offset; 0 (unknown) when it is not a sane whole number."""
    row = one(
        ctx.db, "SELECT clock_offset_ms FROM sync_client WHERE client_id = ?", [ctx.client_id]
    )
    value = row["clock_offset_ms"] if row else None
    return value if isinstance(value, int) and abs(value) <= MAX_OFFSET_MS else 0


def record_event(ctx, order: dict, target: str, args: dict, position=(None, None)) -> dict:
    """Append the timeline event of a status change; return it (with corrected time, flags)."""
    offset = clock_offset(ctx)
    device_at = args.get("at") if isinstance(args.get("at"), str) else None
    corrected = evidence.corrected(device_at, offset) if device_at else None
    previous = one(
        ctx.db,
        "SELECT corrected_at, lat, lon FROM work_order_event WHERE work_order_id = ?"
        " AND lat IS NOT NULL AND corrected_at IS NOT NULL ORDER BY server_at DESC LIMIT 1",
        [order["id"]],
    )
    flags = evidence.flags(
        corrected,
        server_at=ctx.server_time,
        dispatched_at=order.get("dispatched_at"),
        previous=(previous["corrected_at"], previous["lat"], previous["lon"])
        if previous
        else None,
        position=position,
    )
    values = dict(
        work_order_id=order["id"],
        user_id=ctx.user_id,
        from_status=order["status"],
        to_status=target,
        device_at=device_at,
        corrected_at=corrected,
        server_at=ctx.server_time,
        clock_offset_ms=offset,
        flags=",".join(flags),
        lat=position[0],
        lon=position[1],
        note=str(args.get("note") or "")[:1000],
    )
    return records.insert(ctx.db, "work_order_event", values, ctx.user_id)


FIRST_TIMES = ("accepted_at", "en_route_at", "on_site_at", "resolved_at")


def event_time(event: dict) -> str:
    """When the step happened for SLA purposes: the corrected device time if plausible."""
    if event["corrected_at"] and not event["flags"]:
        return event["corrected_at"]
    return event["server_at"]


def transition(ctx, order, target, args, extra=None, position=(None, None)) -> dict:
    """Move an order to `target` (checked by its state machine), with its event."""
    try:
        rules.check(order["wo_type"], order["status"], target)
    except rules.IllegalTransition as exc:
        raise PermanentError("illegal_transition", str(exc)) from exc
    event = record_event(ctx, order, target, args, position)
    changes = {"status": target, **(extra or {})}
    stamp = f"{target}_at"
    # The SLA clocks count the first response, arrival and restore: rework after a return
    # (or a second technician after a reassignment) does not move a deadline already met
    # or missed. Submission counts the latest hand-in. Every step stays in the timeline.
    if stamp == "submitted_at" or (stamp in FIRST_TIMES and not order.get(stamp)):
        changes[stamp] = event_time(event)
    if event["flags"]:
        flags = set(filter(None, order["time_flags"].split(","))) | set(event["flags"].split(","))
        changes["time_flags"] = ",".join(sorted(flags))
    row = records.update(ctx.db, "work_order", order["id"], changes, ctx.user_id, target)
    return {
        "id": order["id"],
        "version": row["version"],
        "status": target,
        "event_flags": event["flags"],
    }


def text_list(value, key: str) -> str:
    if not isinstance(value, list) or not all(isinstance(x, dict | str) for x in value):
        raise PermanentError("bad_args", f"{key} must be a list")
    return json.dumps(value, ensure_ascii=False)
