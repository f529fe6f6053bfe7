"""Build pull pages: a scoped snapshot first, then the change feed by seq cursor.

Cursors are opaque to devices:
- "" or absent: start a snapshot.
- "s:<seq>:<entity>:<last_id>": inside a snapshot taken when the log stood at <seq>.
- "c:<seq>": following the change feed after <seq>.
A row changed while a snapshot is being paged has a seq above the snapshot's, so the
feed that follows delivers it. A row that left the caller's scope, or was deleted,
arrives as a delete.
"""

from .changes import current_epoch
from .errors import ProtocolError
from .registry import EntitySpec, Registry

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


def _columns(db, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def _parse_cursor(cursor) -> tuple:
    if cursor in (None, ""):
        return ("s", None, 0, "")
    try:
        kind, rest = cursor.split(":", 1)
        if kind == "c":
            return ("c", int(rest))
        seq, index, last_id = rest.split(":", 2)
        return ("s", int(seq), int(index), last_id)
    except (ValueError, AttributeError) as exc:
        raise ProtocolError("bad_cursor", "cursor not recognised; pull again without one") from exc


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
    """Answer a pull; return (HTTP status, response body). See docs/sync-protocol.md."""
    if not isinstance(body, dict) or not isinstance(body.get("client_id"), str):
        raise ProtocolError("bad_request", "client_id is required")
    epoch = current_epoch(db)
    if body.get("server_epoch") not in (None, "", epoch):
        return 409, {"error": "epoch_mismatch", "reset": True, "server_epoch": epoch}
    state = _parse_cursor(body.get("cursor"))
    limit = body.get("limit") if isinstance(body.get("limit"), int) else DEFAULT_LIMIT
    limit = max(1, min(limit, MAX_LIMIT))
    db.execute("BEGIN")  # one snapshot for the log, the rows and last_mutation_id
    try:
        client = db.execute(
            "SELECT user_id, last_mutation_id FROM sync_client WHERE client_id = ?",
            [body["client_id"]],
        ).fetchone()
        if client is not None and client["user_id"] != user_id:
            raise ProtocolError("client_of_another_user", "sign-in must start a new client", 403)
        if state[0] == "s":
            changes, cursor, has_more = _snapshot(db, registry, caller, state, limit)
        else:
            changes, cursor, has_more = _feed(db, registry, caller, state[1], limit)
    finally:
        db.execute("COMMIT")
    _touch_client(db, body["client_id"], user_id, now)
    return 200, {
        "server_epoch": epoch,
        "cursor": cursor,
        "has_more": has_more,
        "last_mutation_id": client["last_mutation_id"] if client else 0,
        "changes": changes,
        "server_time": now,
    }


def _touch_client(db, client_id: str, user_id: str, now: str) -> None:
    db.execute(
        "INSERT INTO sync_client (client_id, user_id, created_at, last_pull_at)"
        " VALUES (?, ?, ?, ?)"
        " ON CONFLICT(client_id) DO UPDATE SET last_pull_at = excluded.last_pull_at",
        [client_id, user_id, now, now],
    )
