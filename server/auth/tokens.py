"""Device bearer tokens: a short-lived access token and a long-lived, rotating refresh token.

A device may be offline for days, so the refresh token lives for weeks and each refresh
slides its expiry forward. Only SHA-256 hashes are stored. Revoking a token, or disabling
its user, stops both at once.

Each api_token row is one token family (one sign-in of one device). A rotated refresh token
is kept (its hash, in api_token_spent, for REFRESH_TOKEN_DAYS): presenting it again means two
parties hold the family's tokens, so the whole family is revoked and the reuse audited (the
OAuth 2.0 Security BCP's refresh token rotation with reuse detection).
"""

import hashlib
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from sync.transactions import unavailable

from ..db import one, rows
from ..ids import now_utc, uuid7
from ..records import audit
from ..times import to_stored


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expiries(access_hours: int, refresh_days: int) -> tuple[str, str]:
    now = datetime.now(UTC)
    return to_stored(now + timedelta(hours=access_hours)), to_stored(
        now + timedelta(days=refresh_days)
    )


def issue(db, user_id: str, device_name: str, *, access_hours=24, refresh_days=45) -> dict:
    """Issue a token pair for a device; return the plain tokens (shown once) and expiries."""
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(40)
    access_exp, refresh_exp = _expiries(access_hours, refresh_days)
    token_id = uuid7()
    with db.atomic():
        db["api_token"].insert(
            dict(
                id=token_id,
                user_id=user_id,
                device_name=device_name[:80] or "device",
                access_hash=_hash(access),
                refresh_hash=_hash(refresh),
                access_expires_at=access_exp,
                refresh_expires_at=refresh_exp,
                created_at=now_utc(),
            )
        )
        audit(db, user_id, "issue_token", "api_token", token_id, None, {"device": device_name})
    return _pair(token_id, access, refresh, access_exp, refresh_exp)


def _pair(token_id, access, refresh, access_exp, refresh_exp) -> dict:
    return {
        "token_id": token_id,
        "access_token": access,
        "refresh_token": refresh,
        "access_expires_at": access_exp,
        "refresh_expires_at": refresh_exp,
    }


def refresh(db, refresh_token: str, *, access_hours=24, refresh_days=45, ip=None) -> dict | None:
    """Rotate a token pair by its refresh token; None if unknown, expired, revoked, disabled.

    The check and the rotation run under one write lock, so two refreshes racing with the
    same token rotate it once; the second presents a spent token, which revokes the family.
    """
    spent_hash = _hash(refresh_token)
    with db.atomic():
        row = one(
            db,
            "SELECT t.*, u.active FROM api_token t JOIN app_user u ON u.id = t.user_id"
            " WHERE t.refresh_hash = ?",
            [spent_hash],
        )
        if not row:
            _detect_reuse(db, spent_hash, ip)
            return None
        if row["revoked_at"] or not row["active"] or row["refresh_expires_at"] < now_utc():
            return None
        access, new_refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(40)
        access_exp, refresh_exp = _expiries(access_hours, refresh_days)
        db["api_token"].update(
            row["id"],
            dict(
                access_hash=_hash(access),
                refresh_hash=_hash(new_refresh),
                access_expires_at=access_exp,
                refresh_expires_at=refresh_exp,
                last_used_at=now_utc(),
            ),
        )
        prune_spent(db, refresh_days)
        db.execute(
            "INSERT OR IGNORE INTO api_token_spent (refresh_hash, token_id, spent_at)"
            " VALUES (?, ?, ?)",
            [spent_hash, row["id"], now_utc()],
        )
    return _pair(row["id"], access, new_refresh, access_exp, refresh_exp)


def prune_spent(db, refresh_days: int, now: datetime | None = None) -> int:
    """Forget spent refresh tokens older than REFRESH_TOKEN_DAYS (none could still be
    presented: their family's refresh token has expired since); return how many."""
    now = now or datetime.now(UTC)
    cutoff = to_stored(now - timedelta(days=refresh_days))
    return db.execute("DELETE FROM api_token_spent WHERE spent_at < ?", [cutoff]).rowcount


def _detect_reuse(db, spent_hash: str, ip: str | None) -> None:
    """A spent refresh token came back: revoke its family and audit the reuse."""
    spent = one(
        db,
        "SELECT t.id, t.user_id, t.device_name, t.revoked_at, s.spent_at FROM api_token_spent s"
        " JOIN api_token t ON t.id = s.token_id WHERE s.refresh_hash = ?",
        [spent_hash],
    )
    if spent is None:
        return
    if spent["revoked_at"] is None:
        db.execute("UPDATE api_token SET revoked_at = ? WHERE id = ?", [now_utc(), spent["id"]])
    after = {
        "device": spent["device_name"],
        "rotated_at": spent["spent_at"],
        "family_revoked": spent["revoked_at"] is None,
    }
    audit(db, None, "refresh_reuse", "api_token", spent["id"], None, after, ip)


def user_for_access(db, access_token: str) -> dict | None:
    """The active user behind a valid access token, with the token id; else None."""
    row = one(
        db,
        "SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used FROM api_token t"
        " JOIN app_user u ON u.id = t.user_id"
        " WHERE t.access_hash = ? AND t.revoked_at IS NULL AND t.access_expires_at > ?"
        " AND u.active = 1",
        [_hash(access_token), now_utc()],
    )
    if row is None:
        return None
    now = now_utc()
    # Writing on every request would serialise reads; a minute's precision is enough.
    if (row["token_last_used"] or "") < now[:16]:
        _touch(db, row["token_id"], now)
    return row


def _touch(db, token_id: str, now: str) -> None:
    """Note the token's use, best effort: a busy or full database skips it (next minute
    then) after a short wait, so a request never waits the whole busy timeout for it."""
    waited = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 100")
    try:
        db.execute("UPDATE api_token SET last_used_at = ? WHERE id = ?", [now, token_id])
    except sqlite3.OperationalError as exc:
        if unavailable(exc) is None:
            raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(waited)}")


def list_for(db, user_id: str) -> list[dict]:
    """A user's device tokens, newest first (no secrets)."""
    return rows(
        db,
        "SELECT id, device_name, created_at, last_used_at, access_expires_at,"
        " refresh_expires_at, revoked_at FROM api_token WHERE user_id = ?"
        " ORDER BY created_at DESC",
        [user_id],
    )


def revoke(db, actor_id, user_id: str, token_id: str) -> bool:
    """Revoke one of a user's tokens; False when it is not theirs."""
    with db.atomic():
        cur = db.execute(
            "UPDATE api_token SET revoked_at = ? WHERE id = ? AND user_id = ?"
            " AND revoked_at IS NULL",
            [now_utc(), token_id, user_id],
        )
        if cur.rowcount:
            audit(db, actor_id, "revoke_token", "api_token", token_id)
    return cur.rowcount > 0


def revoke_all(db, user_id: str) -> int:
    """Revoke every token of a user (disabled, password changed or reset); return how many
    were still good."""
    cur = db.execute(
        "UPDATE api_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [now_utc(), user_id],
    )
    return cur.rowcount
