"""Writes of synced records: timestamps, the change log (version) and the audit log in one go.

Every write to a synced table goes through here so that `version` is always the change-log
sequence of the row's last write and every write leaves an audit entry (who, what, when,
before/after).
"""

import json

from sqlite_utils.db import jsonify_if_needed

from sync.args import taken
from sync.changes import log_change
from sync.fields import stamp_clock

from .db import one
from .ids import now_utc, uuid7
from .sync_keys import row_keys, write_keys


def audit(
    db, actor_id, action: str, entity: str, entity_id, before=None, after=None, ip=None
) -> None:
    """Append one audit-log entry; before/after are dicts (stored as JSON) or None."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after, ip)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            now_utc(),
            actor_id,
            action,
            entity,
            entity_id,
            json.dumps(before, ensure_ascii=False, default=str) if before is not None else None,
            json.dumps(after, ensure_ascii=False, default=str) if after is not None else None,
            ip,
        ],
    )


def once_held(db, table: str, row_id: str, column: str, user_id: str) -> bool:
    """True when the audit log shows the row's `column` once set to `user_id`.

    A record taken away from the caller (a customer or an order reassigned while their
    device was offline) still takes their work as a late edit; a record that was never
    theirs is answered like one that does not exist.
    """
    pattern = f'%"{column}": "{user_id}"%'
    found = one(
        db,
        "SELECT 1 FROM audit_log WHERE entity = ? AND entity_id = ?"
        " AND (before LIKE ? OR after LIKE ?) LIMIT 1",
        [table, row_id, pattern, pattern],
    )
    return found is not None


def insert(db, table: str, values: dict, actor_id, action: str = "create") -> dict:
    """Insert a synced row (id made here unless given); return the stored row. `action`
    names the audit entry (before: none)."""
    row = dict(values)
    row.setdefault("id", uuid7())
    at = now_utc()
    row.update(created_at=at, updated_at=at, updated_by=actor_id)
    with db.atomic():
        keys = row_keys(db, table, row)
        row["version"] = log_change(db, table, row["id"], at, keys)
        _insert_row(db, table, row)
        stored = get(db, table, row["id"])
        audit(db, actor_id, action, table, row["id"], None, _public(stored))
    return stored


def insert_child(ctx, table: str, values: dict, same: tuple[str, ...]) -> dict:
    """A device's create of an append-only child row (a photo, a follow-up), applied once:
    the mutation's answer, `already` when this create was applied before, and sync's
    id_taken when the id is another record's (another value in one of the `same` columns:
    the parent, the content)."""
    row = one(ctx.db, f"SELECT * FROM [{table}] WHERE id = ?", [values["id"]])
    if row is not None:
        if any(row[key] != values[key] for key in same):
            raise taken()
        return {"id": values["id"], "already": True}
    row = insert(ctx.db, table, values, ctx.user_id)
    return {"id": values["id"], "version": row["version"]}


def update(
    db,
    table: str,
    row_id: str,
    changes: dict,
    actor_id,
    action: str = "update",
    clock=None,
    before: dict | None = None,
) -> dict:
    """Update fields of a synced row; no-op changes write nothing. Return the stored row.

    `clock` is the row's merged field clock (sync.fields) to store with this write's version.
    `before` is the row as the caller read it in this same transaction (a handler's own
    read), so it is not read twice; without it the row is read here.
    """
    with db.atomic():
        if before is None:
            before = get(db, table, row_id)
        if before is None:
            raise LookupError(f"{table} {row_id} not found")
        diff = {k: v for k, v in changes.items() if before.get(k) != v}
        if not diff:
            if clock is not None:  # a no-op edit is still the latest write of its fields
                stamped = stamp_clock(clock, before["version"])
                db.execute(f"UPDATE [{table}] SET field_clock = ? WHERE id = ?", [stamped, row_id])
            return before
        at = now_utc()
        diff.update(updated_at=at, updated_by=actor_id)
        keys = write_keys(db, table, before, diff)
        diff["version"] = log_change(db, table, row_id, at, keys)
        if clock is not None:
            diff["field_clock"] = stamp_clock(clock, diff["version"])
        _update_row(db, table, row_id, diff)
        after = get(db, table, row_id)
        audit(db, actor_id, action, table, row_id, _public(before), _public(after))
    return after


def _insert_row(db, table: str, row: dict) -> None:
    # Plain SQL with sqlite-utils' value conversion: Table.insert re-reads the schema on
    # every call, which was most of the cost of a pushed mutation.
    columns = ", ".join(f"[{k}]" for k in row)
    marks = ", ".join("?" * len(row))
    values = [jsonify_if_needed(v) for v in row.values()]
    db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})", values)


def _update_row(db, table: str, row_id: str, diff: dict) -> None:
    sets = ", ".join(f"[{k}] = ?" for k in diff)
    values = [jsonify_if_needed(v) for v in diff.values()]
    cur = db.execute(f"UPDATE [{table}] SET {sets} WHERE id = ?", [*values, row_id])
    if cur.rowcount != 1:
        raise LookupError(f"{table} {row_id} not found")


def get(db, table: str, row_id: str) -> dict | None:
    """Fetch one row by id, unscoped (callers apply scope first)."""
    return one(db, f"SELECT * FROM [{table}] WHERE id = ?", [row_id])


def _public(row: dict | None) -> dict | None:
    """Drop secrets before a row goes into the audit log."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if k not in ("password_hash",)}
