"""Web sessions with a server-side identity.

The signed session cookie carries a random session secret; the `web_session` row (keyed by
its SHA-256, so a copy of the database does not hold live cookies) says whether it still
counts. Logout, a password change or reset and disabling the user end the rows, so a copied
cookie stops working at once. A session also ends after SESSION_IDLE_MINUTES without a
request and SESSION_MAX_HOURS after sign-in, whatever its use.
"""

import hashlib
import secrets
import sqlite3

from sync.transactions import unavailable

from ..db import one, rows
from ..ids import now_utc
from ..records import audit

# last_seen_at is written at most this often: a write per request would serialise reads.
TOUCH_SECONDS = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(db, user_id: str, ip: str | None = None, user_agent: str | None = None) -> str:
    """Open a session for a signed-in user; return the secret the cookie carries."""
    secret = secrets.token_urlsafe(32)
    at = now_utc()
    with db.atomic():
        db.execute(
            "INSERT INTO web_session (id, user_id, created_at, last_seen_at, ip, user_agent)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [_hash(secret), user_id, at, at, ip, (user_agent or "")[:200]],
        )
    return secret


def live(db, secret: str, *, idle_minutes: float, max_hours: float) -> dict | None:
    """The session row behind a cookie's secret while it counts, else None.

    A session past its idle or absolute lifetime is marked ended on the way (best effort: a
    busy database only delays the mark, the answer is None either way)."""
    row = one(db, "SELECT * FROM web_session WHERE id = ?", [_hash(secret)])
    if row is None or row["ended_at"]:
        return None
    if row["created_at"] < now_utc(-max_hours * 3600):
        return _lapse(db, row["id"], "expired")
    if row["last_seen_at"] < now_utc(-idle_minutes * 60):
        return _lapse(db, row["id"], "idle")
    if row["last_seen_at"] < now_utc(-TOUCH_SECONDS):
        _quietly(
            db, "UPDATE web_session SET last_seen_at = ? WHERE id = ?", [now_utc(), row["id"]]
        )
    return row


def _lapse(db, session_id: str, reason: str) -> None:
    _quietly(
        db,
        "UPDATE web_session SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL",
        [now_utc(), reason, session_id],
    )


def _quietly(db, sql: str, params: list) -> None:
    """A bookkeeping write that may wait for a later request when the database is busy."""
    try:
        db.execute(sql, params)
    except sqlite3.OperationalError as exc:
        if unavailable(exc) is None:
            raise


def end(db, secret: str, reason: str = "logout") -> None:
    """End one session (signing out)."""
    with db.atomic():
        row = one(db, "SELECT id, user_id FROM web_session WHERE id = ?", [_hash(secret)])
        if row is None:
            return
        db.execute(
            "UPDATE web_session SET ended_at = ?, ended_reason = ? WHERE id = ?"
            " AND ended_at IS NULL",
            [now_utc(), reason, row["id"]],
        )
        audit(db, row["user_id"], "sign_out", "app_user", row["user_id"])


def end_all(db, user_id: str, reason: str) -> int:
    """End every open session of a user (password changed or reset, disabled); return how
    many were open."""
    cur = db.execute(
        "UPDATE web_session SET ended_at = ?, ended_reason = ? WHERE user_id = ?"
        " AND ended_at IS NULL",
        [now_utc(), reason, user_id],
    )
    return cur.rowcount


def open_for(db, user_id: str) -> list[dict]:
    """A user's open sessions, newest first (for the admin's user page)."""
    return rows(
        db,
        "SELECT created_at, last_seen_at, ip, user_agent FROM web_session"
        " WHERE user_id = ? AND ended_at IS NULL ORDER BY created_at DESC",
        [user_id],
    )
