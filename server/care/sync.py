"""What the care calendar registers with sync: holidays, done marks and `care.done`."""

from sync import PermanentError
from sync import args as check
from sync.registry import EntitySpec

from ..db import one
from ..sync_keys import HOLIDAYS, owned_keys
from . import model
from .calendar import HOWS


def all_holidays(caller) -> tuple[str, list]:
    """Public holidays reach every device."""
    return "1", []


def done(ctx, args):
    """care.done {id, key, how, note?, at}: the caller did something about a care item."""
    row_id = check.uuid_id(args)
    key = check.text(args, "key", max_length=400, required=True, strip=False)
    how = check.choice(args, "how", HOWS)
    note = check.text(args, "note", max_length=2000)
    at = check.device_time(args)
    taken = one(ctx.db, "SELECT user_id, item_key FROM care_done WHERE id = ?", [row_id])
    if taken and (taken["user_id"], taken["item_key"]) != (ctx.user_id, key):
        raise check.taken()
    try:
        row, created = model.mark_done(
            ctx.db, ctx.caller, key, how, note, row_id=row_id, device_at=at
        )
    except model.CareError as error:
        raise PermanentError(error.code, str(error), arg="key") from None
    if not created:
        return {"id": row["id"], "already": True}
    return {"id": row["id"], "version": row["version"]}


def _holiday_keys(db, row: dict) -> set[str]:
    return {HOLIDAYS}  # public holidays reach everyone (care calendar)


def register(registry) -> None:
    """Holidays to everyone; done marks to their user (and supervisors' subtrees)."""
    registry.entity(
        EntitySpec("public_holiday", "public_holiday", all_holidays, keys=_holiday_keys)
    )
    registry.entity(
        EntitySpec("care_done", "care_done", model.visible_done, keys=owned_keys("user_id"))
    )
    registry.mutation("care.done")(done)
