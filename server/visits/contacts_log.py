"""Remote contacts: a phone call or a message logged from the device, without GPS.

`visit.log_contact {id, customer_id, channel: phone|message, at, notes?, contact_id?,
purpose?}` creates a completed visit of that channel at once. It carries no position and no
GPS flag (a call is not a check-in), and counts only where the visit policy counts calls
(server/visits/policy.py): never as an on-site visit. Scoped like visit.check_in: another
scope's customer is `unknown_customer`; a customer reassigned while the device was offline
keeps the call as a late edit for a supervisor. Replays answer `already`.
"""

import json

from sync import PermanentError
from sync import args as check

from ..customers.sync import customer_in_scope
from ..db import one
from . import policy, rules
from .mutations import MAX_NOTES, hold_late, mine, new_visit


def log_contact(ctx, args):
    """visit.log_contact: a completed phone or message contact (see the module docstring)."""
    visit_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    channel = check.choice(args, "channel", policy.REMOTE)
    device_at = check.device_time(args, required=True)
    notes = check.text(args, "notes", max_length=MAX_NOTES, strip=False)
    contact_id = check.uuid_id(args, "contact_id", required=False)
    purpose = check.choice(args, "purpose", rules.PURPOSES, default="routine")
    existing = one(ctx.db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    if existing is not None:
        if existing["channel"] != channel or not mine(ctx, existing, customer_id):
            raise check.taken()
        return {"id": visit_id, "already": True}
    customer = customer_in_scope(ctx, args)
    if customer is None:
        return hold_late(ctx, visit_id, "reassigned", args)
    met = []
    if contact_id is not None:
        contact = one(
            ctx.db,
            "SELECT name FROM contact WHERE id = ? AND customer_id = ? AND deleted_at IS NULL",
            [contact_id, customer["id"]],
        )
        if contact is None:
            raise PermanentError("unknown_contact", "no such contact", arg="contact_id")
        met = [contact["name"]]
    row = new_visit(
        ctx,
        visit_id,
        customer,
        "completed",
        channel=channel,
        purpose=purpose,
        notes=notes,
        contact_id=contact_id,
        contacts_met=json.dumps(met, ensure_ascii=False),
        check_in_at=ctx.server_time,
        check_in_device_at=device_at,
        check_out_at=ctx.server_time,
        check_out_device_at=device_at,
    )
    return {"id": visit_id, "version": row["version"], "channel": channel}
