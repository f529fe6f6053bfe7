"""The reminder outbox: compute inserts (never twice: the key is unique), send drains it."""

from ..db import one


def add(db, reminders: list[dict], now_iso: str) -> int:
    """Insert reminders not seen before; return how many were new."""
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO reminder (user_id, kind, subject_id, occasion, urgent, params,"
        " url, status, created_at, expires_at, next_attempt_at) VALUES (:user_id, :kind,"
        " :subject_id, :occasion, :urgent, :params, :url, 'pending', :now, :expires_at, :now)",
        [dict(r, now=now_iso) for r in reminders],
    )
    return db.conn.total_changes - before


def cursor(db, name: str) -> str | None:
    """How far a rule has read (a change-log sequence, a day, a week)."""
    found = one(db, "SELECT value FROM reminder_cursor WHERE name = ?", [name])
    return found["value"] if found else None


def set_cursor(db, name: str, value) -> None:
    db.execute(
        "INSERT INTO reminder_cursor (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, str(value)],
    )
