"""Mutations that hang things off a visit: photos, the customer's signature, follow-ups.

Photos and follow-ups are append-only children with their own ids, so two devices never
overwrite each other. The signature is guarded evidence: a second, different signature on
a stale base becomes a conflict for a supervisor.
"""

from sync import PermanentError
from sync.conflicts import hold
from sync.fields import load_clock, merge

from .. import records
from ..db import one
from ..ids import uuid7
from .mutations import DATE, GUARDED, SHA, _editable, _id

MIMES = ("image/jpeg", "image/png", "image/webp")


def _blob_ref(args: dict) -> tuple[str, str, int]:
    sha, mime, size = args.get("sha256"), args.get("mime"), args.get("size")
    if not isinstance(sha, str) or not SHA.match(sha):
        raise PermanentError("bad_args", "sha256 must be 64 lowercase hex digits")
    if mime not in MIMES:
        raise PermanentError("bad_args", "mime must be a JPEG, PNG or WebP image")
    if not isinstance(size, int) or size <= 0:
        raise PermanentError("bad_args", "size must be a positive integer")
    return sha, mime, size


def add_photo(ctx, args):
    """visit.add_photo {id, visit_id, sha256, mime, size, caption?, taken_at?}."""
    photo_id, visit_id = _id(args), _id(args, "visit_id")
    sha, mime, size = _blob_ref(args)
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    if one(ctx.db, "SELECT id FROM visit_photo WHERE id = ?", [photo_id]):
        return {"id": photo_id, "already": True}
    caption = str(args.get("caption") or "")[:500]
    values = dict(
        id=photo_id,
        visit_id=visit_id,
        account_manager_id=visit["account_manager_id"],
        sha256=sha,
        mime=mime,
        size=size,
        caption=caption,
        taken_at=args.get("taken_at"),
    )
    row = records.insert(ctx.db, "visit_photo", values, ctx.user_id)
    return {"id": photo_id, "version": row["version"]}


def sign(ctx, args):
    """visit.sign {visit_id, sha256, mime, size}: the customer's signature (guarded)."""
    visit_id = _id(args, "visit_id")
    sha, _, _ = _blob_ref(args)
    visit, held = _editable(ctx, visit_id, args)
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
    follow_up_id, visit_id = _id(args), _id(args, "visit_id")
    action = args.get("action")
    if not isinstance(action, str) or not action.strip() or len(action) > 1000:
        raise PermanentError("bad_args", "action must be text of 1-1000 characters")
    if not DATE.match(str(args.get("due_date", ""))):
        raise PermanentError("bad_args", "due_date must be YYYY-MM-DD")
    visit, held = _editable(ctx, visit_id, args)
    if held:
        return held
    if one(ctx.db, "SELECT id FROM follow_up WHERE id = ?", [follow_up_id]):
        return {"id": follow_up_id, "already": True}
    values = dict(
        id=follow_up_id,
        visit_id=visit_id,
        customer_id=visit["customer_id"],
        account_manager_id=visit["account_manager_id"],
        action=action.strip(),
        due_date=args["due_date"],
    )
    row = records.insert(ctx.db, "follow_up", values, ctx.user_id)
    return {"id": follow_up_id, "version": row["version"]}
