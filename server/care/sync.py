"""What the care calendar registers with sync: holidays, done marks and `care.done`."""

import re

from sync import PermanentError
from sync.registry import EntitySpec

from ..db import one
from . import model

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
MAX_AT = 40  # a device time is an ISO-8601 string; anything longer is not one


def device_at(args) -> str | None:
    """The device's time from the args, or None when missing or not a short string."""
    at = args.get("at")
    return at if isinstance(at, str) and len(at) <= MAX_AT else None


def all_holidays(caller) -> tuple[str, list]:
    """Public holidays reach every device."""
    return "1", []


def done(ctx, args):
    """care.done {id, key, how, note?, at}: the caller did something about a care item."""
    row_id = args.get("id")
    if not isinstance(row_id, str) or not ID.match(row_id):
        raise PermanentError("bad_args", "id must be a UUID")
    at = device_at(args)
    taken = one(ctx.db, "SELECT user_id, item_key FROM care_done WHERE id = ?", [row_id.lower()])
    if taken and (taken["user_id"], taken["item_key"]) != (ctx.user_id, args.get("key")):
        raise PermanentError("id_taken", "another care mark has this id")
    try:
        row, created = model.mark_done(
            ctx.db,
            ctx.caller,
            args.get("key"),
            args.get("how"),
            args.get("note") or "",
            row_id=row_id.lower(),
            device_at=at,
        )
    except model.CareError as error:
        raise PermanentError(error.code, str(error)) from None
    if not created:
        return {"id": row["id"], "already": True}
    return {"id": row["id"], "version": row["version"]}


def register(registry) -> None:
    """Holidays to everyone; done marks to their user (and supervisors' subtrees)."""
    registry.entity(EntitySpec("public_holiday", "public_holiday", all_holidays))
    registry.entity(EntitySpec("care_done", "care_done", model.visible_done))
    registry.mutation("care.done")(done)
