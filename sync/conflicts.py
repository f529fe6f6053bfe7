"""Conflicts and late edits: kept for a supervisor, never applied silently, never dropped."""

import json
from datetime import datetime, timedelta

from .errors import PermanentError
from .registry import Context, Held

# Held items a device may leave in an hour (config HELD_PER_CLIENT_PER_HOUR; None: no limit).
LIMIT_KEY = "HELD_PER_CLIENT_PER_HOUR"
USER_LIMIT_KEY = "HELD_PER_USER_PER_HOUR"  # all the user's devices together


def _json(value) -> str:
    # Unknown extra keys are not checked (sync/args.py checks the known ones): half an emoji
    # there would make the row unstorable and the review page unrenderable, so it becomes "?".
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.encode("utf-8", "replace").decode("utf-8")


def hold(
    ctx: Context,
    *,
    kind,
    entity,
    entity_id,
    reason,
    args,
    field=None,
    server=None,
    client=None,
    new_id,
) -> Held:
    """Record a conflict (kind 'field') or a late edit (kind 'late_edit'); return Held.

    A device that has already left its hourly allowance of held items gets the mutation
    rejected with `too_many_held` instead: a supervisor's inbox is not a free-for-all.
    """
    _within_allowance(ctx)
    ctx.db.execute(
        "INSERT INTO conflict (id, kind, entity, entity_id, field, server_value, client_value,"
        " mutation_name, args, client_id, mutation_id, user_id, base_version, reason,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            new_id,
            kind,
            entity,
            entity_id,
            field,
            _json(server) if field else None,
            _json(client) if field else None,
            ctx.name,
            _json(args),
            ctx.client_id,
            ctx.mutation_id,
            ctx.user_id,
            ctx.base_version,
            reason,
            ctx.server_time,
        ],
    )
    return Held(kind, reason, new_id)


def time_before(server_time: str, seconds: float) -> str:
    """The server's own time text `seconds` earlier, in its format: stored times compare as
    text (only the clock part moves)."""
    at = datetime.fromisoformat(server_time[:19]) - timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + server_time[19:]


def _hour_before(server_time: str) -> str:
    return time_before(server_time, 3600)


def _within_allowance(ctx: Context) -> None:
    # Per device, and per user across devices: a device names its own client_id, so new
    # ids would otherwise reset the allowance.
    config = ctx.extra.get("config") or {}
    since = _hour_before(ctx.server_time)
    for key, column, value, who in (
        (LIMIT_KEY, "client_id", ctx.client_id, "this device has"),
        (USER_LIMIT_KEY, "user_id", ctx.user_id, "you have"),
    ):
        limit = config.get(key)
        if limit is None:
            continue
        sql = f"SELECT count(*) FROM conflict WHERE {column} = ? AND created_at > ?"
        count = ctx.db.execute(sql, [value, since]).fetchone()[0]
        if count >= limit:
            raise PermanentError(
                "too_many_held",
                f"{who} had {count} items kept for review in the last hour; try later",
            )


def open_for(db, entity: str, entity_id: str) -> list[dict]:
    """Open conflicts and late edits on one record, oldest first."""
    rows = db.execute(
        "SELECT * FROM conflict WHERE entity = ? AND entity_id = ? AND status = 'open'"
        " ORDER BY created_at",
        [entity, entity_id],
    ).fetchall()
    return [dict(r) for r in rows]
