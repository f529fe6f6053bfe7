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


def prune(db, now_iso: str, cutoff_iso: str) -> int:
    """Once a day, delete finished reminders created before the cutoff (and their
    deliveries); every rule's occasion has passed by then, so none can be found again."""
    day = now_iso[:10]
    if cursor(db, "prune") == day:
        return 0
    with db.atomic():
        old = "SELECT id FROM reminder WHERE created_at < ? AND status NOT IN ('pending', 'held')"
        db.execute(f"DELETE FROM reminder_delivery WHERE reminder_id IN ({old})", [cutoff_iso])
        removed = db.execute(
            "DELETE FROM reminder WHERE created_at < ? AND status NOT IN ('pending', 'held')",
            [cutoff_iso],
        ).rowcount
        set_cursor(db, "prune", day)
    return removed
