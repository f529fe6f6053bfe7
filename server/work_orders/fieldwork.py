"""Shared steps of work-order mutations: find the order the caller may work on, record an
event with its device, corrected and server times, hold late edits."""

import json

from sync import PermanentError
from sync import args as check

from .. import held, records, scope
from ..db import one
from . import evidence, rules

MAX_NOTE = 1000
MAX_PARTS = 100


def step_args(args: dict) -> None:
    """Check what every field step may carry (its device time and a note) before any write."""
    check.device_time(args)
    check.text(args, "note", max_length=MAX_NOTE)


def workable(ctx, order_id: str, args: dict, key: str = "id"):
    """(order, None) when the caller may work on it now, else (None, Held late edit)
    (held.writable): an order they once held, or a frozen one.

    An order that does not exist and one the caller never held get the same rejection.
    """
    order, late = held.writable(ctx, WRITES, order_id, args, key)
    if late:
        return None, late
    if not _works_on(ctx.caller, order):
        # The reporter of an exception report sees the order made from it, but does not
        # work on it unless it is theirs too: read-only, as an order never held.
        raise PermanentError("unknown_work_order", "no such work order", arg=key)
    return order, None


WRITES = held.Writes(
    "work_order",
    scope.work_orders,
    rules.FROZEN,
    lambda ctx, order: records.once_held(
        ctx.db, "work_order", order["id"], "assignee_id", ctx.user_id
    ),
    lambda key: PermanentError("unknown_work_order", "no such work order", arg=key),
)


def _works_on(caller, order: dict) -> bool:
    if caller.role != "technician" and caller.role != "account_manager":
        return True
    if order["wo_type"] == "exception_report":
        return order["reported_by"] == caller.id
    return order["assignee_id"] == caller.id or (
        order["assignee_id"] is None and order["assigned_org_id"] == caller.org_id
    )


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
    device_at = check.device_time(args)
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
        note=check.text(args, "note", max_length=MAX_NOTE),
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


def parts_list(fields: dict, key: str, name: str) -> str:
    """Parts used: a list of names, or of {name, qty, ...} objects (text or numbers), as JSON."""
    value = fields.get(key)
    if not isinstance(value, list) or len(value) > MAX_PARTS:
        raise check.bad(name, f"{name} must be a list of at most {MAX_PARTS} parts")
    for n, part in enumerate(value):
        if isinstance(part, str):
            check.text({"part": part}, "part", max_length=200, name=f"{name}[{n}]")
        elif isinstance(part, dict) and len(part) <= 10:
            for k, v in part.items():
                label = f"{name}[{n}]"
                check.text({"k": k}, "k", max_length=40, name=label)
                if isinstance(v, str) or v is None:
                    check.text(part, k, max_length=200, name=label)
                else:
                    check.number(part, k, minimum=-1e9, maximum=1e9, name=label)
        else:
            raise check.bad(name, f"{name} must be a list of names or objects")
    return json.dumps(value, ensure_ascii=False)
