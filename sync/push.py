"""Apply a pushed batch of mutations: ordered per client, idempotent, never blocked by poison.

One write transaction per push (BEGIN IMMEDIATE, so two pushes of one client serialise);
each mutation in its own savepoint so a rejected one leaves no trace but its rejection.
"""

import hashlib
import json
import logging
import sqlite3
import time

from . import hlc as hlclib
from .changes import current_epoch
from .errors import PermanentError, ProtocolError, TransientError
from .registry import Context, Held, Registry

log = logging.getLogger("fieldbook.sync")

MAX_MUTATIONS = 2000
DEVICE_FIELDS = (
    "unsynced_count",
    "oldest_unsynced_at",
    "storage_used",
    "storage_quota",
    "clock_offset_ms",
)


def args_hash(mutation: dict) -> str:
    """Hash of what a mutation means (name, args, base version): a replay must match it."""
    canonical = json.dumps(
        [mutation["name"], mutation["args"], mutation.get("base_version")],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_envelope(body) -> list[dict]:
    if not isinstance(body, dict):
        raise ProtocolError("bad_request", "body must be a JSON object")
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
        raise ProtocolError("bad_client_id", "client_id must be a string of 8-64 characters")
    mutations = body.get("mutations")
    if not isinstance(mutations, list) or len(mutations) > MAX_MUTATIONS:
        raise ProtocolError("bad_mutations", f"mutations must be a list of ≤ {MAX_MUTATIONS}")
    previous = None
    for m in mutations:
        if not isinstance(m, dict) or not isinstance(m.get("id"), int) or m["id"] < 1:
            raise ProtocolError("bad_mutation", "each mutation needs an integer id ≥ 1")
        if previous is not None and m["id"] != previous + 1:
            raise ProtocolError("unordered", "mutation ids must ascend by one", id=m["id"])
        previous = m["id"]
        if not isinstance(m.get("name"), str) or not isinstance(m.get("args"), dict):
            raise ProtocolError("bad_mutation", "name must be text and args an object", id=m["id"])
        device_time = m.get("device_time")
        if device_time is not None and (not isinstance(device_time, str) or len(device_time) > 40):
            raise ProtocolError("bad_mutation", "device_time must be an ISO-8601 text", id=m["id"])
        bv = m.get("base_version")
        if bv is not None and not isinstance(bv, int):
            raise ProtocolError("bad_mutation", "base_version must be an integer", id=m["id"])
        try:
            hlclib.parse(str(m.get("hlc", "")))
        except ValueError as exc:
            raise ProtocolError(
                "bad_hlc", "hlc must be '<ms>:<counter>:<node>'", id=m["id"]
            ) from exc
    return mutations


def _client(db, client_id: str, user_id: str, now: str) -> dict:
    row = db.execute("SELECT * FROM sync_client WHERE client_id = ?", [client_id]).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO sync_client (client_id, user_id, created_at) VALUES (?, ?, ?)",
            [client_id, user_id, now],
        )
        return {"client_id": client_id, "user_id": user_id, "last_mutation_id": 0}
    row = dict(row)
    if row["user_id"] != user_id:
        raise ProtocolError(
            "client_of_another_user",
            "this client id belongs to another user; sign-in must start a new client",
            status=403,
        )
    return row


def _record(db, client_id, m, digest, status, result, now) -> None:
    db.execute(
        "INSERT INTO mutation_log (client_id, mutation_id, name, args_hash, status, result,"
        " device_time, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            client_id,
            m["id"],
            m["name"],
            digest,
            status,
            json.dumps(result, ensure_ascii=False, default=str),
            m.get("device_time"),
            now,
        ],
    )


def _apply_one(db, registry: Registry, ctx: Context, m: dict) -> tuple[str, dict]:
    """Run one handler inside a savepoint; return (status, result) or raise TransientError."""
    spec = registry.mutations.get(m["name"])
    if spec is None:
        return "rejected", {"code": "unknown_mutation", "message": f"no mutation {m['name']}"}
    try:
        with db.atomic():
            outcome = spec.apply(ctx, m["args"])
    except PermanentError as exc:
        return "rejected", exc.as_dict()
    except TransientError:
        raise
    except sqlite3.OperationalError as exc:
        raise TransientError("database_busy", str(exc)) from exc
    except Exception:  # a handler bug must not block the queue: reject, keep the evidence
        log.exception("mutation %s %s failed", ctx.client_id, m["id"])
        return "rejected", {"code": "internal_error", "message": "server error; reported"}
    if isinstance(outcome, Held):
        return "held", {"kind": outcome.kind, "reason": outcome.reason, "id": outcome.conflict_id}
    return "applied", outcome or {}


def process_push(
    db, registry: Registry, *, user_id, caller, body, now: str, extra=None
) -> tuple[int, dict]:
    """Apply a push; return (HTTP status, response body). See docs/sync-protocol.md."""
    mutations = _check_envelope(body)
    epoch = current_epoch(db)
    if body.get("server_epoch") not in (None, epoch):
        return 409, {"error": "epoch_mismatch", "reset": True, "server_epoch": epoch}
    server_ms = int(time.time() * 1000)
    db.execute("BEGIN IMMEDIATE")
    try:
        status, response = _push_locked(
            db, registry, user_id, caller, body, mutations, now, server_ms, extra or {}
        )
        if status == 422:
            db.execute("ROLLBACK")
        else:
            db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    response["server_epoch"] = epoch
    response["server_time"] = now
    return status, response


def _push_locked(db, registry, user_id, caller, body, mutations, now, server_ms, extra):
    client_id = body["client_id"]
    client = _client(db, client_id, user_id, now)
    _save_device(db, client_id, body)  # before the mutations: their times use its clock offset
    last = client["last_mutation_id"]
    results, status, stop = [], 200, {}
    for m in mutations:
        digest = args_hash(m)
        if m["id"] <= last:
            stored = db.execute(
                "SELECT args_hash, status, result FROM mutation_log"
                " WHERE client_id = ? AND mutation_id = ?",
                [client_id, m["id"]],
            ).fetchone()
            if stored is not None and stored["args_hash"] != digest:
                return 422, {
                    "error": "mutation_mismatch",
                    "message": "this id was already used for a different mutation",
                    "id": m["id"],
                }
            results.append(_duplicate(m, stored))
            continue
        if m["id"] != last + 1:
            status, stop = 409, {"error": "gap", "expected_id": last + 1}
            break
        ctx = Context(
            db=db,
            user_id=user_id,
            caller=caller,
            client_id=client_id,
            mutation_id=m["id"],
            name=m["name"],
            hlc=hlclib.normalise(m["hlc"], server_ms),
            base_version=m.get("base_version"),
            server_time=now,
            device_time=m.get("device_time"),
            extra=extra,
        )
        try:
            outcome, result = _apply_one(db, registry, ctx, m)
        except TransientError as exc:
            stop = {"stopped": {"id": m["id"], "code": exc.code, "retry_after": exc.retry_after}}
            break
        _record(db, client_id, m, digest, outcome, result, now)
        results.append({"id": m["id"], "status": outcome, "result": result})
        last = m["id"]
    _save_client(db, client_id, last, body, now)
    return status, {"last_mutation_id": last, "results": results, **stop}


def _duplicate(m: dict, stored) -> dict:
    result = json.loads(stored["result"]) if stored is not None and stored["result"] else {}
    original = stored["status"] if stored is not None else "applied"
    return {"id": m["id"], "status": "duplicate", "original": original, "result": result}


def _int_or_text(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    return str(value)[:40] if value is not None else None


def _update_client(db, client_id: str, values: dict) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(
        f"UPDATE sync_client SET {sets} WHERE client_id = ?",
        [*values.values(), client_id],
    )


def _save_device(db, client_id: str, body: dict) -> None:
    """Store the device's report (§12), including the clock offset it measured."""
    device = body.get("device") if isinstance(body.get("device"), dict) else {}
    values = {k: _int_or_text(device[k]) for k in DEVICE_FIELDS if k in device}
    if values:
        _update_client(db, client_id, values)


def _save_client(db, client_id: str, last: int, body: dict, now: str) -> None:
    values = dict(
        last_mutation_id=last,
        last_push_at=now,
        app_version=str(body.get("app_version") or "")[:40] or None,
        schema_version=body.get("schema_version")
        if isinstance(body.get("schema_version"), int)
        else None,
    )
    _update_client(db, client_id, values)
