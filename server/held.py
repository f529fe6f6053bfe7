"""Late edits: a device's write held for a supervisor, and what sync held on one record.

`hold_late` and `writable` decide, for every mutation on a record the device may have lost
(reassigned) or that is frozen (approved), whether it applies now or is held. `held_edits`
lists the open late edits and conflicts (sync/conflicts.py) of a visit, a work order or any
other synced record, each with who sent it and what they sent, pretty-printed; the page
renders them with templates/shared/_held.html; the reviews inbox is where they are resolved.
"""

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sync.conflicts import hold, open_for

from .db import one, rows
from .ids import uuid7


def hold_late(ctx, entity: str, entity_id: str, reason: str, args: dict):
    """Keep a write to this record as a late edit for a supervisor (never applied silently)."""
    return hold(
        ctx,
        kind="late_edit",
        entity=entity,
        entity_id=entity_id,
        reason=reason,
        args=args,
        new_id=uuid7(),
    )


IN_SCOPE = "_in_scope_"  # the column writable() adds to its read, taken off before use


@dataclass(frozen=True)
class Writes:
    """Who may write to a table's rows from a device, and when a write is held instead:
    `scope(caller)` is the clause of the rows one may write to; a row out of it that
    `was_theirs(ctx, row)` holds the write as "reassigned"; a row whose status is in `frozen`
    holds it under that status; any other row is refused with `unknown(arg)`."""

    table: str
    scope: Callable
    frozen: Collection[str]
    was_theirs: Callable
    unknown: Callable  # (the argument named) -> the PermanentError to raise


def writable(ctx, rule: Writes, row_id: str, args: dict, key: str = "id"):
    """(row, None) when the caller may write to the row now, else (None, Held late edit),
    by the table's `rule`. A row that does not exist and one the caller never had get the
    same rejection (on the argument `key`)."""
    where, params = rule.scope(ctx.caller)
    # One read: the row and whether the caller's scope holds it (a push runs this per mutation).
    sql = f"SELECT *, CASE WHEN {where} THEN 1 ELSE 0 END AS [{IN_SCOPE}] FROM [{rule.table}]"
    row = one(ctx.db, f"{sql} WHERE id = ?", [*params, row_id])
    in_scope = row is not None and row.pop(IN_SCOPE) == 1
    if not in_scope:
        if row is not None and rule.was_theirs(ctx, row):
            return None, hold_late(ctx, rule.table, row_id, "reassigned", args)
        raise rule.unknown(key)
    if row["status"] in rule.frozen:
        return None, hold_late(ctx, rule.table, row_id, row["status"], args)
    return row, None


def users_by_id(db, user_ids) -> dict[str, str]:
    """Display names of the given users, by id (unknown ids are left out)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, display_name FROM app_user WHERE id IN ({marks})"
    return {r["id"]: r["display_name"] for r in rows(db, sql, ids)}


def held_edits(db, entity: str, record_id: str) -> list[dict]:
    """Open late edits and conflicts on one record, oldest first as sync/conflicts lists them,
    with `user_name` (who sent it; their id if unknown) and `args_shown` (the args sent)."""
    held = open_for(db, entity, record_id)
    names = users_by_id(db, [c["user_id"] for c in held])
    for c in held:
        c["user_name"] = names.get(c["user_id"], c["user_id"])
        try:
            args = json.loads(c["args"])
        except ValueError:
            args = c["args"]
        c["args_shown"] = json.dumps(args, ensure_ascii=False, indent=2, sort_keys=True)
    return held
