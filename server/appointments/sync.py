"""What the appointments domain registers with sync: `appointment` and `appointment.record`."""

import re
import uuid

from sync import PermanentError
from sync.conflicts import hold
from sync.registry import EntitySpec

from .. import scope
from ..db import one
from ..ids import uuid7
from . import model

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def _uuid(args: dict, key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not ID.match(value):
        raise PermanentError("bad_args", f"{key} must be a UUID")
    return str(uuid.UUID(value))


def _clean(args: dict) -> dict:
    clean = {}
    for key, limit in model.LIMITS.items():
        value = args.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            raise PermanentError("bad_args", f"{key} must be text up to {limit} characters")
        clean[key] = value.strip()
    if not clean["need"]:
        raise PermanentError("bad_args", "need is required")
    wanted = args.get("wanted_at")
    clean["wanted_at"] = model.wanted_time(wanted) if isinstance(wanted, str) else None
    if clean["wanted_at"] is None:
        raise PermanentError("bad_args", "wanted_at must be an ISO-8601 time")
    return clean


def record(ctx, args):
    """appointment.record {id, customer_id, wanted_at, need, contact_name, contact_phone}."""
    appointment_id, customer_id = _uuid(args, "id"), _uuid(args, "customer_id")
    clean = _clean(args)
    if one(ctx.db, "SELECT id FROM appointment WHERE id = ?", [appointment_id]):
        return {"id": appointment_id, "already": True}
    if one(ctx.db, "SELECT id FROM customer WHERE id = ?", [customer_id]) is None:
        raise PermanentError("unknown_customer", "no such customer")
    where, params = scope.customers(ctx.caller)
    if one(ctx.db, f"SELECT id FROM customer WHERE id = ? AND {where}", [customer_id, *params]):
        row = model.record(
            ctx.db, ctx.user_id, {**clean, "customer_id": customer_id}, appointment_id
        )
        return {"id": appointment_id, "version": row["version"]}
    # The customer went to someone else while this device was offline: the request is real,
    # so it is kept for a supervisor rather than dropped.
    return hold(
        ctx,
        kind="late_edit",
        entity="appointment",
        entity_id=appointment_id,
        reason="reassigned",
        args=args,
        new_id=uuid7(),
    )


def register(registry) -> None:
    """Appointments replicate to the customer's account manager and supervisors."""
    registry.entity(EntitySpec("appointment", "appointment", model.visible))
    registry.mutation("appointment.record")(record)
