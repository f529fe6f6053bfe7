"""What the care calendar registers with sync: holidays, done marks and `care.done`."""

import re

from sync import PermanentError
from sync.registry import EntitySpec

from . import model

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def all_holidays(caller) -> tuple[str, list]:
    """Public holidays reach every device."""
    return "1", []


def done(ctx, args):
    """care.done {id, key, how, note?, at}: the caller did something about a care item."""
    row_id = args.get("id")
    if not isinstance(row_id, str) or not ID.match(row_id):
        raise PermanentError("bad_args", "id must be a UUID")
    at = args.get("at") if isinstance(args.get("at"), str) else None
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
