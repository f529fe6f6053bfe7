"""Visit mutations the device sends, registered with the sync protocol.

Every handler re-checks the caller's current scope. A visit whose customer has moved to
another account manager, or that a supervisor has approved, takes no more field edits:
they are kept as late edits for the supervisor (never applied silently, never dropped).
"""

import json

from sync import PermanentError
from sync import args as check
from sync.fields import load_clock, merge

from .. import held, records, scope
from ..customers.sync import customer_in_scope
from ..db import one
from ..reviews import history
from . import rules

EDITABLE = {"purpose", "notes", "feedback", "satisfaction", "contacts_met"}
GUARDED = {"signature_sha256"}
MAX_NOTES = 10000


def hold_late(ctx, visit_id: str, reason: str, args: dict):
    """Keep a write to this visit as a late edit for a supervisor (never applied silently)."""
    return held.hold_late(ctx, "visit", visit_id, reason, args)


def editable(ctx, visit_id: str, args: dict, key: str = "id"):
    """(visit, None) when the caller may edit it now, else (None, Held) for a late edit
    (held.writable): a visit that was theirs, or an approved one."""
    return held.writable(ctx, WRITES, visit_id, args, key)


WRITES = held.Writes(
    "visit",
    scope.visits,
    rules.FROZEN,
    lambda ctx, visit: visit["account_manager_id"] == ctx.user_id,
    lambda key: PermanentError("unknown_visit", "no such visit", arg=key),
)


def mine(ctx, visit: dict, customer_id: str) -> bool:
    """True when an existing visit is the one the caller's create names (theirs, or in
    their scope, and of the same customer): a replay, not another record's id."""
    if visit["customer_id"] != customer_id:
        return False
    if visit["account_manager_id"] == ctx.user_id:
        return True
    where, params = scope.visits(ctx.caller)
    sql = f"SELECT id FROM visit WHERE id = ? AND {where}"
    return one(ctx.db, sql, [visit["id"], *params]) is not None


def new_visit(ctx, visit_id, customer, status, action="create", **fields) -> dict:
    """Insert the caller's visit of the customer (its org) with this status and fields;
    `action` names the audit entry (a visit made by its check-in is one write, check_in)."""
    values = dict(
        id=visit_id,
        customer_id=customer["id"],
        account_manager_id=ctx.user_id,
        org_id=customer["org_id"],
        status=status,
        **fields,
    )
    return records.insert(ctx.db, "visit", values, ctx.user_id, action)


def plan(ctx, args):
    """visit.plan {id, customer_id, planned_date, purpose}: a planned visit."""
    visit_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    planned_date = check.day(args, "planned_date")
    purpose = check.choice(args, "purpose", rules.PURPOSES, default="routine")
    existing = one(ctx.db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    if existing:
        if existing["account_manager_id"] != ctx.user_id or not mine(ctx, existing, customer_id):
            raise check.taken()
        return {"id": visit_id, "already": True}
    customer = customer_in_scope(ctx, args)
    if customer is None:
        return hold_late(ctx, visit_id, "reassigned", args)
    row = new_visit(ctx, visit_id, customer, "planned", planned_date=planned_date, purpose=purpose)
    return {"id": row["id"], "version": row["version"]}


def check_in(ctx, args):
    """visit.check_in {id, customer_id, purpose?, lat, lon, accuracy, at}: start on site."""
    visit_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    lat, lon, acc = check.position(args)
    device_at = check.device_time(args)
    purpose = check.choice(args, "purpose", rules.PURPOSES, default="routine")
    existing = one(ctx.db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    visit = None  # none yet: an ad-hoc visit, made by this check-in
    if existing is None:
        customer = customer_in_scope(ctx, args)
        if customer is None:
            return hold_late(ctx, visit_id, "reassigned", args)
    elif not mine(ctx, existing, customer_id):
        raise check.taken()
    else:
        visit, held = editable(ctx, visit_id, args)
        if held:
            return held
        if visit["check_in_at"]:
            return {"id": visit_id, "already": True}
        if not rules.can_move(visit["status"], "in_progress"):
            raise PermanentError(
                "illegal_transition", f"cannot check in a {visit['status']} visit"
            )
        customer = one(
            ctx.db, "SELECT lat, lon FROM customer WHERE id = ?", [visit["customer_id"]]
        )
    cfg = ctx.extra["config"]
    distance, flag = rules.gps_evidence(
        lat,
        lon,
        acc,
        customer["lat"],
        customer["lon"],
        far_m=cfg["VISIT_FAR_METERS"],
        low_accuracy_m=cfg["VISIT_LOW_ACCURACY_METERS"],
    )
    evidence = dict(
        **_evidence(ctx, "check_in", device_at, lat, lon, acc),
        check_in_distance_m=distance,
        check_in_flag=flag,
    )
    if visit is None:  # theirs, in the caller's scope: created checked in, in one write
        row = new_visit(
            ctx, visit_id, customer, "in_progress", "check_in", purpose=purpose, **evidence
        )
    else:
        changes = dict(status="in_progress", **evidence)
        row = records.update(
            ctx.db, "visit", visit_id, changes, ctx.user_id, "check_in", before=visit
        )
    return {"id": visit_id, "version": row["version"], "distance_m": distance, "flag": flag}


def _evidence(ctx, step: str, device_at, lat, lon, acc) -> dict:
    """A check-in's or check-out's evidence columns: server and device times, position."""
    return {
        f"{step}_at": ctx.server_time,
        f"{step}_device_at": device_at,
        f"{step}_lat": lat,
        f"{step}_lon": lon,
        f"{step}_accuracy": acc,
    }


def validate_edit(fields: dict) -> dict:
    """The clean values of a visit.update's editable fields (raises on a bad one)."""
    clean = dict(fields)
    if "purpose" in fields:
        clean["purpose"] = check.choice(fields, "purpose", rules.PURPOSES, name="fields.purpose")
    if "satisfaction" in fields:
        clean["satisfaction"] = check.integer(
            fields,
            "satisfaction",
            minimum=1,
            maximum=5,
            required=False,
            name="fields.satisfaction",
        )
    for key in ("notes", "feedback"):
        if key in fields:
            clean[key] = check.text(
                fields, key, max_length=MAX_NOTES, strip=False, name=f"fields.{key}"
            )
    if "contacts_met" in fields:
        met = check.text_list(
            fields, "contacts_met", max_items=50, max_length=200, name="fields.contacts_met"
        )
        clean["contacts_met"] = json.dumps(met, ensure_ascii=False)
    return clean


def update(ctx, args):
    """visit.update {id, fields}: notes, purpose, feedback, satisfaction, contacts met (LWW)."""
    visit_id = check.uuid_id(args)
    fields = validate_edit(check.fields(args, allowed=EDITABLE))
    visit, held = editable(ctx, visit_id, args)
    if held:
        return held
    result = merge(
        visit, load_clock(visit["field_clock"]), fields, ctx.hlc, ctx.base_version, GUARDED
    )
    row = records.update(
        ctx.db, "visit", visit_id, result.apply, ctx.user_id, clock=result.clock, before=visit
    )
    return {"id": visit_id, "version": row["version"], "ignored": result.ignored}


def check_out(ctx, args):
    """visit.check_out {id, lat, lon, accuracy, at}: leave the customer; the visit is done."""
    visit_id = check.uuid_id(args)
    lat, lon, acc = check.position(args)
    device_at = check.device_time(args)
    visit, held = editable(ctx, visit_id, args)
    if held:
        return held
    if visit["status"] == "completed":
        return {"id": visit_id, "already": True}
    if not rules.can_move(visit["status"], "completed"):
        raise PermanentError("illegal_transition", f"cannot check out a {visit['status']} visit")
    changes = dict(status="completed", **_evidence(ctx, "check_out", device_at, lat, lon, acc))
    row = records.update(
        ctx.db, "visit", visit_id, changes, ctx.user_id, "check_out", before=visit
    )
    return {"id": visit_id, "version": row["version"]}


def cancel(ctx, args):
    """visit.cancel {id}: a planned or started visit that will not happen."""
    visit_id = check.uuid_id(args)
    visit, held = editable(ctx, visit_id, args)
    if held:
        return held
    if not rules.can_move(visit["status"], "cancelled"):
        raise PermanentError("illegal_transition", f"cannot cancel a {visit['status']} visit")
    row = records.update(ctx.db, "visit", visit_id, {"status": "cancelled"}, ctx.user_id, "cancel")
    return {"id": visit_id, "version": row["version"]}


def resubmit(ctx, args):
    """visit.resubmit {id, at}: hand a returned visit in again after rework (returned →
    completed), kept in its review history."""
    visit_id = check.uuid_id(args)
    check.device_time(args)  # evidence of when; the server's time is the one recorded
    visit, held = editable(ctx, visit_id, args)
    if held:
        return held
    if visit["status"] == "completed":
        return {"id": visit_id, "already": True}
    if visit["status"] != "returned":
        raise PermanentError("illegal_transition", f"cannot resubmit a {visit['status']} visit")
    row = records.update(
        ctx.db, "visit", visit_id, {"status": "completed"}, ctx.user_id, "resubmit"
    )
    history.record(ctx.db, ctx.user_id, "visit", row, "resubmit", at=ctx.server_time)
    return {"id": visit_id, "version": row["version"]}
