"""What the appointments domain registers with sync: `appointment` and `appointment.record`."""

from sync import args as check
from sync.registry import EntitySpec

from ..customers.sync import customer_in_scope
from ..db import one
from ..held import hold_late
from ..sync_keys import owned_keys
from . import model


def _clean(args: dict) -> dict:
    clean = {
        key: check.text(args, key, max_length=limit, required=key == "need")
        for key, limit in model.LIMITS.items()
    }
    # the customer's wanted time: a time without an offset is Beijing time (model.wanted_time)
    clean["wanted_at"] = model.wanted_time(check.device_time(args, "wanted_at", required=True))
    return clean


def record(ctx, args):
    """appointment.record {id, customer_id, wanted_at, need, contact_name, contact_phone}."""
    appointment_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    clean = _clean(args)
    existing = one(ctx.db, "SELECT * FROM appointment WHERE id = ?", [appointment_id])
    if existing:
        if (existing["recorded_by"], existing["customer_id"]) != (ctx.user_id, customer_id):
            raise check.taken()
        return {"id": appointment_id, "already": True}
    customer = customer_in_scope(ctx, args)
    if customer is not None:
        row = model.record(
            ctx.db, ctx.user_id, {**clean, "customer_id": customer_id}, appointment_id
        )
        return {"id": appointment_id, "version": row["version"]}
    # The customer went to someone else while this device was offline: the request is real,
    # so it is kept for a supervisor rather than dropped.
    return hold_late(ctx, "appointment", appointment_id, "reassigned", args)


def register(registry) -> None:
    """Appointments replicate to the customer's account manager and supervisors."""
    registry.entity(
        EntitySpec(
            "appointment", "appointment", model.visible, keys=owned_keys("account_manager_id")
        )
    )
    registry.mutation("appointment.record")(record)
