"""Build pull pages: a scoped snapshot first, then the change feed by seq cursor.

Cursors are opaque to devices:
- "" or absent: start a snapshot.
- "s:<seq>:<entity>:<last_id>": inside a snapshot taken when the log stood at <seq>.
- "c:<seq>": following the change feed after <seq>.
A row changed while a snapshot is being paged has a seq above the snapshot's, so the
feed that follows delivers it. A row that left the caller's scope, or was deleted,
arrives as a delete.
"""

import logging
import re
import sqlite3

from . import envelope
from .changes import current_epoch
from .conflicts import time_before
from .errors import ProtocolError
from .registry import EntitySpec, Registry
from .transactions import DatabaseUnavailable, unavailable, write_lock

log = logging.getLogger("fieldbook.sync")

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
TOUCH_EVERY_S = 60  # ours: a client's last pull is recorded at most once a minute (sync health)


def _columns(db, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


# Seqs and entity indexes: ASCII digits within SQLite's integers; a snapshot's last id is
# an id as the server sent it (no ':' needed, ≤ 64 visible characters).
FEED_CURSOR = re.compile(r"c:([0-9]{1,19})")
SNAPSHOT_CURSOR = re.compile(r"s:([0-9]{1,19}):([0-9]{1,4}):([\x21-\x7e]{0,64})")


def _parse_cursor(cursor) -> tuple:
    if cursor is None or cursor == "":
        return ("s", None, 0, "")
    feed = FEED_CURSOR.fullmatch(cursor) if isinstance(cursor, str) else None
    snap = SNAPSHOT_CURSOR.fullmatch(cursor) if isinstance(cursor, str) else None
    if feed and int(feed[1]) <= envelope.INT64_MAX:
        return ("c", int(feed[1]))
    if snap and int(snap[1]) <= envelope.INT64_MAX:
        return ("s", int(snap[1]), int(snap[2]), snap[3])
    raise ProtocolError("bad_cursor", "cursor not recognised; pull again without one")


def _limit(body: dict) -> int:
    limit = body.get("limit")
    if limit is None:
        return DEFAULT_LIMIT
    if type(limit) is not int:
        raise ProtocolError("bad_limit", f"limit must be an integer (1..{MAX_LIMIT})")
    return max(1, min(limit, MAX_LIMIT))


def _row_out(spec: EntitySpec, row, names: list[str]) -> dict:
    return {k: row[i] for i, k in enumerate(names) if k not in spec.exclude}


def _select(db, spec: EntitySpec, caller, where: str, params: list) -> tuple[list, list[str]]:
    scope_sql, scope_params = spec.scope(caller)
    cur = db.execute(
        f"SELECT * FROM [{spec.table}] AS [{spec.table}] WHERE ({scope_sql}) AND {where}",
        [*scope_params, *params],
    )
    return cur.fetchall(), [d[0] for d in cur.description]


def _snapshot(db, registry: Registry, caller, state, limit) -> tuple[list, str, bool]:
    _, seq, index, last_id = state
    if seq is None:
        seq = db.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
    entities = list(registry.entities.values())
    changes = []
    while index < len(entities) and len(changes) < limit:
        spec = entities[index]
        live = "deleted_at IS NULL AND " if "deleted_at" in _columns(db, spec.table) else ""
        rows, names = _select(
            db, spec, caller, f"{live}id > ? ORDER BY id LIMIT ?", [last_id, limit - len(changes)]
        )
        for row in rows:
            out = _row_out(spec, row, names)
            changes.append({"op": "put", "entity": spec.name, "id": out["id"], "row": out})
            last_id = out["id"]
        if len(changes) < limit:
            index, last_id = index + 1, ""
    if index >= len(entities):
        # Changes committed while the snapshot was paged are in the feed after <seq>.
        newest = db.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        return changes, f"c:{seq}", newest > seq
    return changes, f"s:{seq}:{index}:{last_id}", True


def _feed_log(db, registry: Registry, caller, after: int, limit) -> list:
    keys = registry.caller_keys(db, caller)
    if keys is None:
        return db.execute(
            "SELECT seq, entity, entity_id FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
            [after, limit],
        ).fetchall()
    marks = ",".join("?" * len(keys))
    return db.execute(
        "SELECT seq, entity, entity_id FROM change_log WHERE seq IN ("
        f" SELECT DISTINCT seq FROM change_key WHERE key IN ({marks}) AND seq > ?"
        " ORDER BY seq LIMIT ?) ORDER BY seq",
        [*keys, after, limit],
    ).fetchall()


def _feed(db, registry: Registry, caller, after: int, limit) -> tuple[list, str, bool]:
    log = _feed_log(db, registry, caller, after, limit)
    wanted: dict[str, dict[str, None]] = {}
    for _, entity, entity_id in log:
        if entity in registry.entities:
            wanted.setdefault(entity, {})[entity_id] = None
    changes = []
    for name, spec in registry.entities.items():
        ids = list(wanted.get(name, {}))
        for start in range(0, len(ids), 500):
            changes.extend(_feed_rows(db, spec, caller, ids[start : start + 500]))
    if len(log) == limit:
        return changes, f"c:{log[-1][0]}", True
    # Nothing more for this caller: move the cursor to the end of the log (same snapshot),
    # so the next pull does not walk again past changes that were never theirs.
    newest = db.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
    return changes, f"c:{max(newest, after)}", False


def _feed_rows(db, spec: EntitySpec, caller, ids: list[str]) -> list[dict]:
    marks = ",".join("?" * len(ids))
    rows, names = _select(db, spec, caller, f"id IN ({marks})", ids)
    found = {}
    for row in rows:
        out = _row_out(spec, row, names)
        found[out["id"]] = out
    changes = []
    for entity_id in ids:
        out = found.get(entity_id)
        if out is None or out.get("deleted_at"):
            changes.append({"op": "del", "entity": spec.name, "id": entity_id})
        else:
            changes.append({"op": "put", "entity": spec.name, "id": entity_id, "row": out})
    return changes


def process_pull(db, registry: Registry, *, user_id, caller, body, now: str) -> tuple[int, dict]:
    """Answer a pull; return (HTTP status, response body). See docs/sync-protocol.md.

    Read-only but for the client's bookkeeping (registration, last pull time), which is
    best effort: a busy database does not fail a pull. A read that meets a busy database
    answers 503 with `retry_after`.
    """
    client_id = envelope.client_id(body)
    sent_epoch = envelope.epoch(body)
    state = _parse_cursor(body.get("cursor"))
    limit = _limit(body)
    try:
        page = _read(db, registry, user_id, caller, client_id, sent_epoch, state, limit)
    except sqlite3.OperationalError as exc:
        retry = unavailable(exc)
        if retry is None:
            raise
        return 503, {
            "error": retry.code,
            "message": retry.message,
            "retry_after": retry.retry_after,
        }
    if page.get("error"):
        return 409, page
    if not _seen_lately(page.pop("last_pull_at"), now):
        _touch_client(db, client_id, user_id, now)
    return 200, {**page, "server_time": now}


def _seen_lately(last_pull_at: str | None, now: str) -> bool:
    """Was this client's last pull recorded under TOUCH_EVERY_S ago? Then the record stands:
    a device paging through a pull, or pulling every few seconds, costs no write each time.
    Both times are the server's own text, which compares as text."""
    if not last_pull_at:
        return False
    try:
        return time_before(now, TOUCH_EVERY_S) < last_pull_at <= now
    except ValueError:
        return False


def _read(db, registry, user_id, caller, client_id, sent_epoch, state, limit) -> dict:
    db.execute("BEGIN")  # one snapshot for the log, the rows and last_mutation_id
    try:
        epoch = current_epoch(db)
        client = db.execute(
            "SELECT user_id, last_mutation_id, last_pull_at FROM sync_client WHERE client_id = ?",
            [client_id],
        ).fetchone()
        if client is not None and client["user_id"] != user_id:
            raise ProtocolError("client_of_another_user", "sign-in must start a new client", 403)
        # Only a client the server has never seen may omit the epoch (a restore made it).
        if sent_epoch != epoch and (sent_epoch is not None or client is not None):
            return {"error": "epoch_mismatch", "reset": True, "server_epoch": epoch}
        if state[0] == "s":
            changes, cursor, has_more = _snapshot(db, registry, caller, state, limit)
        else:
            changes, cursor, has_more = _feed(db, registry, caller, state[1], limit)
    finally:
        if db.conn.in_transaction:
            db.execute("COMMIT")
    return {
        "server_epoch": epoch,
        "cursor": cursor,
        "has_more": has_more,
        "last_mutation_id": client["last_mutation_id"] if client else 0,
        "last_pull_at": client["last_pull_at"] if client else None,  # popped before answering
        "changes": changes,
    }


def _touch_client(db, client_id: str, user_id: str, now: str) -> None:
    try:
        with write_lock(db):
            db.execute(
                "INSERT INTO sync_client (client_id, user_id, created_at, last_pull_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT(client_id) DO UPDATE SET last_pull_at = excluded.last_pull_at",
                [client_id, user_id, now, now],
            )
    except DatabaseUnavailable as exc:  # the page is good; only the bookkeeping waits
        log.warning("pull of %s not recorded: %s", client_id, exc.code)
