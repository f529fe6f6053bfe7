"""Per-account sign-in lockout, kept in the database so every worker process shares it.

The per-address limiter (LOGIN_RATE_LIMIT) counts in each process's memory: four workers let
four times the limit through, and an attacker with many addresses is not limited at all. This
counts failures per username instead: after LOGIN_LOCKOUT_THRESHOLD failures in a row the
account waits LOGIN_LOCKOUT_SECONDS, and each further failure doubles the wait up to
LOGIN_LOCKOUT_MAX_SECONDS. A success clears the count. Unknown usernames are counted the same
way, so a lockout tells nobody whether an account exists.
"""

from datetime import UTC, datetime

from ..db import one
from ..ids import now_utc
from ..times import from_stored

# Usernames are at most this long in the count (a longer one is still counted, by its start).
KEY_LENGTH = 150


def _key(username: str) -> str:
    return username.strip()[:KEY_LENGTH]


def seconds_left(db, username: str) -> int:
    """How long the account must still wait before a sign-in is tried; 0 when it need not."""
    row = one(db, "SELECT locked_until FROM sign_in_lockout WHERE username = ?", [_key(username)])
    if not row or not row["locked_until"] or row["locked_until"] <= now_utc():
        return 0
    until = from_stored(row["locked_until"])
    return max(1, int((until - datetime.now(UTC)).total_seconds() + 0.999))


def lock_seconds(failures: int, threshold: int, base: int, cap: int) -> int:
    """The wait after the given number of failures in a row: none below the threshold, then
    base, doubling with each failure, at most cap."""
    if failures < threshold:
        return 0
    return min(cap, base * 2 ** min(failures - threshold, 30))


def record_failure(db, username: str, *, threshold: int, base: int, cap: int) -> dict:
    """Count a failed sign-in (inside the caller's write lock); return failures and wait."""
    key, at = _key(username), now_utc()
    db.execute(
        "INSERT INTO sign_in_lockout (username, failures, last_failure_at) VALUES (?, 1, ?)"
        " ON CONFLICT (username) DO UPDATE SET failures = failures + 1, last_failure_at = ?",
        [key, at, at],
    )
    failures = one(db, "SELECT failures FROM sign_in_lockout WHERE username = ?", [key])
    failures = failures["failures"]
    wait = lock_seconds(failures, threshold, base, cap)
    if wait:
        db.execute(
            "UPDATE sign_in_lockout SET locked_until = ? WHERE username = ?",
            [now_utc(wait), key],
        )
    return {"failures": failures, "lock_seconds": wait}


def clear(db, username: str) -> None:
    """Forget the failures of an account (a successful sign-in, an admin's unlock)."""
    db.execute("DELETE FROM sign_in_lockout WHERE username = ?", [_key(username)])


def status(db, username: str) -> dict | None:
    """Failures in a row, the last one and the lock's end, for the admin's user page."""
    return one(
        db,
        "SELECT failures, last_failure_at, locked_until,"
        " coalesce(locked_until > ?, 0) AS locked FROM sign_in_lockout WHERE username = ?",
        [now_utc(), _key(username)],
    )
