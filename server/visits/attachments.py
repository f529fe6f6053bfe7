"""Mutations that hang things off a visit: photos, the customer's signature, follow-ups.

Photos and follow-ups are append-only children with their own ids, so two devices never
overwrite each other. The signature is guarded evidence: a second, different signature on
a stale base becomes a conflict for a supervisor.
"""

from sync import args as check
from sync.blobs import MAX_SIZE
from sync.conflicts import hold
from sync.fields import load_clock, merge

from .. import records
from ..ids import uuid7
from .mutations import GUARDED, editable

MIMES = ("image/jpeg", "image/png", "image/webp")
MAX_CAPTION = 500


def blob_ref(args: dict) -> tuple[str, str, int]:
    """(sha256, mime, size) of a photo or signature a mutation names (visits, work orders)."""
    sha = check.blob_ref(args)
    mime = check.choice(args, "mime", MIMES)
    size = check.integer(args, "size", minimum=1, maximum=MAX_SIZE)
    return sha, mime, size


def photo_values(args: dict, parent: str, **more) -> dict:
    """The checked columns of a photo a mutation adds (visits, work orders), read in this
    order: its id, its parent's id (`parent`), the blob, the `more` columns (each read by a
    function of no arguments), caption and taken_at."""
    values = {"id": check.uuid_id(args), parent: check.uuid_id(args, parent)}
    values.update(zip(("sha256", "mime", "size"), blob_ref(args), strict=True))
    values.update({key: read() for key, read in more.items()})
    values["caption"] = check.text(args, "caption", max_length=MAX_CAPTION)
    values["taken_at"] = check.device_time(args, "taken_at")
    return values


def add_photo(ctx, args):
    """visit.add_photo {id, visit_id, sha256, mime, size, caption?, taken_at?}."""
    values = photo_values(args, "visit_id")
    visit, held = editable(ctx, values["visit_id"], args, "visit_id")
    if held:
        return held
    values["account_manager_id"] = visit["account_manager_id"]
    return records.insert_child(ctx, "visit_photo", values, ("visit_id", "sha256"))


def sign(ctx, args):
    """visit.sign {visit_id, sha256, mime, size}: the customer's signature (guarded)."""
    visit_id = check.uuid_id(args, "visit_id")
    sha, _, _ = blob_ref(args)
    visit, held = editable(ctx, visit_id, args, "visit_id")
    if held:
        return held
    result = merge(
        visit,
        load_clock(visit["field_clock"]),
        {"signature_sha256": sha},
        ctx.hlc,
        ctx.base_version,
        GUARDED,
    )
    for field, server_value, client_value in result.conflicts:
        return hold(
            ctx,
            kind="field",
            entity="visit",
            entity_id=visit_id,
            reason="stale_base",
            args=args,
            field=field,
            server=server_value,
            client=client_value,
            new_id=uuid7(),
        )
    row = records.update(
        ctx.db, "visit", visit_id, result.apply, ctx.user_id, "sign", clock=result.clock
    )
    return {"id": visit_id, "version": row["version"]}


def add_follow_up(ctx, args):
    """visit.add_follow_up {id, visit_id, action, due_date}: a promised next step."""
    follow_up_id, visit_id = check.uuid_id(args), check.uuid_id(args, "visit_id")
    action = check.text(args, "action", max_length=1000, required=True)
    due_date = check.day(args, "due_date")
    visit, held = editable(ctx, visit_id, args, "visit_id")
    if held:
        return held
    values = dict(
        id=follow_up_id,
        visit_id=visit_id,
        customer_id=visit["customer_id"],
        account_manager_id=visit["account_manager_id"],
        action=action,
        due_date=due_date,
    )
    return records.insert_child(ctx, "follow_up", values, ("visit_id",))
