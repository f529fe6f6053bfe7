"""Visit mutations the device sends, registered with the sync protocol.

Every handler re-checks the caller's current scope. A visit whose customer has moved to
another account manager, or that a supervisor has approved, takes no more field edits:
they are kept as late edits for the supervisor (never applied silently, never dropped).
"""

import json
import re

from sync import PermanentError
from sync.conflicts import hold
from sync.fields import load_clock, merge

from .. import records, scope
from ..db import one
from ..ids import uuid7
from ..reviews import history
from . import rules

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHA = re.compile(r"^[0-9a-f]{64}$")
EDITABLE = {"purpose", "notes", "feedback", "satisfaction", "contacts_met"}
GUARDED = {"signature_sha256"}


def _id(args: dict, key: str = "id") -> str:
    value = args.get(key)
    if not isinstance(value, str) or not ID.match(value):
        raise PermanentError("bad_args", f"{key} must be a UUID")
    return value.lower()


def _position(args: dict) -> tuple:
    lat, lon, acc = args.get("lat"), args.get("lon"), args.get("accuracy")
    if lat is None and lon is None:
        return None, None, None
    try:
        lat, lon = float(lat), float(lon)
        acc = float(acc) if acc is not None else None
    except (TypeError, ValueError) as exc:
        raise PermanentError("bad_args", "lat, lon and accuracy must be numbers") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (acc is not None and acc < 0):
        raise PermanentError("bad_args", "position out of range")
    return lat, lon, acc


def _customer(ctx, customer_id: str) -> dict | None:
    """The customer if the caller may see it now; PermanentError if it does not exist."""
    if one(ctx.db, "SELECT id FROM customer WHERE id = ?", [customer_id]) is None:
        raise PermanentError("unknown_customer", "no such customer")
    where, params = scope.customers(ctx.caller)
    sql = f"SELECT * FROM customer WHERE id = ? AND {where}"
    return one(ctx.db, sql, [customer_id, *params])


def _late(ctx, visit_id: str, reason: str, args: dict):
    return hold(
        ctx,
        kind="late_edit",
        entity="visit",
        entity_id=visit_id,
        reason=reason,
        args=args,
        new_id=uuid7(),
    )


def _editable(ctx, visit_id: str, args: dict):
    """(visit, None) when the caller may edit it now, else (None, Held) for a late edit."""
    visit = one(ctx.db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    if visit is None:
        raise PermanentError("unknown_visit", "no such visit")
    where, params = scope.visits(ctx.caller)
    sql = f"SELECT id FROM visit WHERE id = ? AND {where}"
    if one(ctx.db, sql, [visit_id, *params]) is None:
        if visit["account_manager_id"] != ctx.user_id:
            raise PermanentError("not_found", "no such visit")
        return None, _late(ctx, visit_id, "reassigned", args)
    if visit["status"] in rules.FROZEN:
        return None, _late(ctx, visit_id, visit["status"], args)
    return visit, None


def _new_visit(ctx, visit_id, customer, status, **fields) -> dict:
    values = dict(
        id=visit_id,
        customer_id=customer["id"],
        account_manager_id=ctx.user_id,
        org_id=customer["org_id"],
        status=status,
        **fields,
    )
    return records.insert(ctx.db, "visit", values, ctx.user_id)


def plan(ctx, args):
    """visit.plan {id, customer_id, planned_date, purpose}: a planned visit."""
    visit_id, customer_id = _id(args), _id(args, "customer_id")
    if not DATE.match(str(args.get("planned_date", ""))):
        raise PermanentError("bad_args", "planned_date must be YYYY-MM-DD")
    purpose = args.get("purpose", "routine")
    if purpose not in rules.PURPOSES:
        raise PermanentError("bad_args", "unknown purpose")
    if one(ctx.db, "SELECT id FROM visit WHERE id = ?", [visit_id]):
        return {"id": visit_id, "already": True}
    customer = _customer(ctx, customer_id)
    if customer is None:
        return _late(ctx, visit_id, "reassigned", args)
    row = _new_visit(
        ctx, visit_id, customer, "planned", planned_date=args["planned_date"], purpose=purpose
    )
    return {"id": row["id"], "version": row["version"]}


def check_in(ctx, args):
    """visit.check_in {id, customer_id, purpose?, lat, lon, accuracy, at}: start on site."""
    visit_id, customer_id = _id(args), _id(args, "customer_id")
    lat, lon, acc = _position(args)
    existing = one(ctx.db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    if existing is None:
        customer = _customer(ctx, customer_id)
        if customer is None:
            return _late(ctx, visit_id, "reassigned", args)
        purpose = args.get("purpose", "routine")
        if purpose not in rules.PURPOSES:
            raise PermanentError("bad_args", "unknown purpose")
        existing = _new_visit(ctx, visit_id, customer, "planned", purpose=purpose)
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    if visit["check_in_at"]:
        return {"id": visit_id, "already": True}
    if not rules.can_move(visit["status"], "in_progress"):
        raise PermanentError("illegal_transition", f"cannot check in a {visit['status']} visit")
    customer = one(ctx.db, "SELECT lat, lon FROM customer WHERE id = ?", [visit["customer_id"]])
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
    changes = dict(
        status="in_progress",
        check_in_at=ctx.server_time,
        check_in_device_at=args.get("at"),
        check_in_lat=lat,
        check_in_lon=lon,
        check_in_accuracy=acc,
        check_in_distance_m=distance,
        check_in_flag=flag,
    )
    row = records.update(ctx.db, "visit", visit_id, changes, ctx.user_id, "check_in")
    return {"id": visit_id, "version": row["version"], "distance_m": distance, "flag": flag}


def _validate_edit(fields: dict) -> dict:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise PermanentError("bad_args", f"not editable: {', '.join(sorted(unknown))}")
    if "purpose" in fields and fields["purpose"] not in rules.PURPOSES:
        raise PermanentError("bad_args", "unknown purpose")
    sat = fields.get("satisfaction")
    if "satisfaction" in fields and sat is not None and sat not in (1, 2, 3, 4, 5):
        raise PermanentError("bad_args", "satisfaction must be 1-5")
    for key in ("notes", "feedback"):
        if key in fields and (not isinstance(fields[key], str) or len(fields[key]) > 10000):
            raise PermanentError("bad_args", f"{key} must be text up to 10000 characters")
    if "contacts_met" in fields:
        met = fields["contacts_met"]
        if not isinstance(met, list) or not all(isinstance(x, str) for x in met):
            raise PermanentError("bad_args", "contacts_met must be a list of names or ids")
        fields = {**fields, "contacts_met": json.dumps(met, ensure_ascii=False)}
    return fields


def update(ctx, args):
    """visit.update {id, fields}: notes, purpose, feedback, satisfaction, contacts met (LWW)."""
    visit_id = _id(args)
    fields = args.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise PermanentError("bad_args", "fields must be a non-empty object")
    fields = _validate_edit(fields)
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    result = merge(
        visit, load_clock(visit["field_clock"]), fields, ctx.hlc, ctx.base_version, GUARDED
    )
    row = records.update(ctx.db, "visit", visit_id, result.apply, ctx.user_id, clock=result.clock)
    return {"id": visit_id, "version": row["version"], "ignored": result.ignored}


def check_out(ctx, args):
    """visit.check_out {id, lat, lon, accuracy, at}: leave the customer; the visit is done."""
    visit_id = _id(args)
    lat, lon, acc = _position(args)
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    if visit["status"] == "completed":
        return {"id": visit_id, "already": True}
    if not rules.can_move(visit["status"], "completed"):
        raise PermanentError("illegal_transition", f"cannot check out a {visit['status']} visit")
    changes = dict(
        status="completed",
        check_out_at=ctx.server_time,
        check_out_device_at=args.get("at"),
        check_out_lat=lat,
        check_out_lon=lon,
        check_out_accuracy=acc,
    )
    row = records.update(ctx.db, "visit", visit_id, changes, ctx.user_id, "check_out")
    return {"id": visit_id, "version": row["version"]}


def cancel(ctx, args):
    """visit.cancel {id}: a planned or started visit that will not happen."""
    visit_id = _id(args)
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    if not rules.can_move(visit["status"], "cancelled"):
        raise PermanentError("illegal_transition", f"cannot cancel a {visit['status']} visit")
    row = records.update(ctx.db, "visit", visit_id, {"status": "cancelled"}, ctx.user_id, "cancel")
    return {"id": visit_id, "version": row["version"]}


def resubmit(ctx, args):
    """visit.resubmit {id, at}: hand a returned visit in again after rework (returned →
    completed), kept in its review history."""
    visit_id = _id(args)
    visit, held = _editable(ctx, visit_id, args)
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
