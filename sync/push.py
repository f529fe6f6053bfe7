"""Apply a pushed batch of mutations: ordered per client, idempotent, never blocked by poison.

One write transaction per push (BEGIN IMMEDIATE via `write_lock`, so two pushes of one
client serialise); each mutation in its own savepoint so a rejected one leaves no trace but
its rejection. Everything about one mutation — canonicalising and hashing its args,
checking them, applying it — happens inside that mutation's rejection path: whatever it
holds, it is rejected with a code, recorded, and the queue moves on.

A busy or full database anywhere in the push (taking the lock, inside a handler, the final
COMMIT) rolls the whole push back: the answer is `stopped` with a `retry_after`, and the
device sends the same batch again (it is idempotent). Nothing is half-applied.
"""

import hashlib
import json
import logging
import math
import sqlite3
import time

from . import envelope
from . import hlc as hlclib
from .changes import current_epoch
from .errors import PermanentError, ProtocolError, TransientError
from .registry import Context, Held, Registry
from .transactions import DatabaseUnavailable, unavailable, write_lock

log = logging.getLogger("fieldbook.sync")

NAME_MAX = 100  # characters of a mutation name stored or echoed
UNHASHABLE = "unhashable"  # args_hash of args that cannot even be serialised


def args_hash(mutation: dict) -> str:
    """Hash of what a mutation means (name, args, base version): a replay must match it.

    `surrogatepass` changes nothing for valid text (stored hashes still match) and lets
    a lone surrogate be hashed instead of raising.
    """
    canonical = json.dumps(
        [mutation["name"], mutation["args"], mutation.get("base_version")],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _unstorable(value, path: str = "args") -> str | None:
    """Where in the args a value sits that SQLite or a JSON reader cannot take, if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path}: text with a lone surrogate (half an emoji)"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{path}: not a finite number"
    elif type(value) is int and not -envelope.INT64_MAX - 1 <= value <= envelope.INT64_MAX:
        return f"{path}: integer out of range"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, f"{path} key") or _unstorable(item, f"{path}.{key}")
            if found:
                return envelope.storable(found, 200)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _unstorable(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _digest(m: dict) -> tuple[str, dict | None]:
    """(args_hash, rejection or None): args that cannot be hashed or stored are refused."""
    try:
        digest = args_hash(m)
        problem = _unstorable(m["args"])
    except (RecursionError, ValueError, TypeError):
        return UNHASHABLE, {"code": "bad_args", "message": "args cannot be read"}
    if problem:  # name the argument as sync/args.py does (without the leading "args.")
        arg = problem.split(":")[0].split(" key")[0].removeprefix("args").lstrip(".")
        return digest, {"code": "bad_args", "message": problem, "arg": arg or "args"}
    return digest, None


def _client(db, body: dict, user_id: str, epoch: str, now: str) -> dict:
    """The client's row (registered now if new), after checking its owner and its epoch."""
    client_id = body["client_id"]
    row = db.execute("SELECT * FROM sync_client WHERE client_id = ?", [client_id]).fetchone()
    if row is not None and row["user_id"] != user_id:
        raise ProtocolError(
            "client_of_another_user",
            "this client id belongs to another user; sign-in must start a new client",
            status=403,
        )
    _check_epoch(body, epoch, known=row is not None)
    if row is None:
        db.execute(
            "INSERT INTO sync_client (client_id, user_id, created_at) VALUES (?, ?, ?)",
            [client_id, user_id, now],
        )
        return {"client_id": client_id, "user_id": user_id, "last_mutation_id": 0}
    return dict(row)


def _log_row(client_id, m, digest, status, result, now) -> tuple:
    """The mutation_log row of one answered mutation (written with the push's others)."""
    text = json.dumps(result, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a handler echoed a lone surrogate: store it escaped
        text = json.dumps(result, default=str)
    name = envelope.storable(m["name"], NAME_MAX)
    return (client_id, m["id"], name, digest, status, text, m.get("device_time"), now)


def _write_log(db, pending: list[tuple]) -> None:
    """Insert the answered mutations' log rows in one statement, and forget them."""
    if pending:
        db.conn.executemany(
            "INSERT INTO mutation_log (client_id, mutation_id, name, args_hash, status, result,"
            " device_time, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            pending,
        )
        pending.clear()


def _apply_one(db, registry: Registry, ctx: Context, m: dict) -> tuple[str, dict]:
    """Run one handler inside a savepoint; return (status, result).

    Raises TransientError (stop here, keep what came before) or DatabaseUnavailable (busy
    or full: the whole push is rolled back). Anything else is this mutation's rejection.
    """
    spec = registry.mutations.get(m["name"])
    if spec is None:
        name = envelope.storable(m["name"], NAME_MAX)
        return "rejected", {"code": "unknown_mutation", "message": f"no mutation {name}"}
    try:
        with write_lock(db):  # a savepoint: the push holds the transaction
            outcome = spec.apply(ctx, m["args"])
    except PermanentError as exc:
        return "rejected", exc.as_dict()
    except (TransientError, DatabaseUnavailable):
        raise
    except Exception as exc:  # a handler bug must not block the queue: reject, keep the evidence
        retry = unavailable(exc)
        if retry is not None:
            raise retry from exc
        log.exception("mutation %s %s failed", ctx.client_id, m["id"])
        return "rejected", {"code": "internal_error", "message": "server error; reported"}
    if isinstance(outcome, Held):
        return "held", {"kind": outcome.kind, "reason": outcome.reason, "id": outcome.conflict_id}
    return "applied", outcome or {}


class _Refused(Exception):
    """Leave the push's transaction by rolling it back, answering (status, body)."""

    def __init__(self, status: int, body: dict):
        super().__init__(body.get("error"))
        self.status, self.body = status, body


def process_push(
    db, registry: Registry, *, user_id, caller, body, now: str, extra=None
) -> tuple[int, dict]:
    """Apply a push; return (HTTP status, response body). See docs/sync-protocol.md."""
    mutations = envelope.push_mutations(body)
    try:
        with write_lock(db):
            epoch = current_epoch(db)
            status, response = _push_locked(
                db, registry, user_id, caller, body, mutations, epoch, now, extra or {}
            )
    except _Refused as refused:  # rolled back: nothing of this push is kept
        if refused.status == 422:
            refused.body.update(server_epoch=_read_epoch(db), server_time=now)
        return refused.status, refused.body
    except DatabaseUnavailable as exc:
        # Rolled back whole: the device sends this batch again after retry_after.
        status, response = 200, _stopped(db, body["client_id"], mutations, exc)
        epoch = _read_epoch(db)
    response["server_epoch"] = epoch
    response["server_time"] = now
    return status, response


def _stopped(db, client_id: str, mutations: list, exc: DatabaseUnavailable) -> dict:
    try:  # a reader is not blocked by the writer that kept us waiting
        row = db.execute(
            "SELECT last_mutation_id FROM sync_client WHERE client_id = ?", [client_id]
        ).fetchone()
        last = row[0] if row is not None else 0
    except sqlite3.Error:
        last = mutations[0]["id"] - 1 if mutations else 0
    first = mutations[0]["id"] if mutations else last + 1
    stopped = {"id": max(first, last + 1), "code": exc.code, "retry_after": exc.retry_after}
    return {"last_mutation_id": last, "results": [], "stopped": stopped}


def _read_epoch(db) -> str | None:
    try:
        return current_epoch(db)
    except sqlite3.Error:
        return None


def _check_epoch(body: dict, epoch: str, known: bool) -> None:
    """The device's epoch must be the server's; only a client never seen may omit it."""
    sent = envelope.epoch(body)
    if sent != epoch and (sent is not None or known):
        raise _Refused(409, {"error": "epoch_mismatch", "reset": True, "server_epoch": epoch})


def _push_locked(db, registry, user_id, caller, body, mutations, epoch, now, extra):
    client_id = body["client_id"]
    client = _client(db, body, user_id, epoch, now)
    server_ms = int(time.time() * 1000)
    # Before the mutations: their times use the device's clock offset.
    _update_client(db, client_id, envelope.device_report(body))
    last = client["last_mutation_id"]
    results, status, stop, pending = [], 200, {}, []
    for m in mutations:
        digest, rejection = _digest(m)
        if m["id"] <= last:
            _write_log(db, pending)  # an id sent twice in one push finds its first answer
            stored = db.execute(
                "SELECT args_hash, status, result FROM mutation_log"
                " WHERE client_id = ? AND mutation_id = ?",
                [client_id, m["id"]],
            ).fetchone()
            if stored is not None and stored["args_hash"] != digest:
                raise _Refused(
                    422,
                    {
                        "error": "mutation_mismatch",
                        "message": "this id was already used for a different mutation",
                        "id": m["id"],
                    },
                )
            results.append(_duplicate(m, stored))
            continue
        if m["id"] != last + 1:
            status, stop = 409, {"error": "gap", "expected_id": last + 1}
            break
        if rejection is not None:
            outcome, result = "rejected", rejection
        else:
            try:
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
                outcome, result = _apply_one(db, registry, ctx, m)
            except TransientError as exc:
                stopped = {"id": m["id"], "code": exc.code, "retry_after": exc.retry_after}
                stop = {"stopped": stopped}
                break
        pending.append(_log_row(client_id, m, digest, outcome, result, now))
        results.append({"id": m["id"], "status": outcome, "result": result})
        last = m["id"]
    _write_log(db, pending)
    _save_client(db, client_id, last, body, now)
    return status, {"last_mutation_id": last, "results": results, **stop}


def _duplicate(m: dict, stored) -> dict:
    result = json.loads(stored["result"]) if stored is not None and stored["result"] else {}
    original = stored["status"] if stored is not None else "applied"
    return {"id": m["id"], "status": "duplicate", "original": original, "result": result}


def _update_client(db, client_id: str, values: dict) -> None:
    if not values:
        return
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(
        f"UPDATE sync_client SET {sets} WHERE client_id = ?",
        [*values.values(), client_id],
    )


def _save_client(db, client_id: str, last: int, body: dict, now: str) -> None:
    values = dict(
        last_mutation_id=last,
        last_push_at=now,
        app_version=envelope.app_version(body),
        schema_version=envelope.schema_version(body),
    )
    _update_client(db, client_id, values)
