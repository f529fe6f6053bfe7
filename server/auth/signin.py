"""One sign-in attempt, for the web form and the device alike: the account's lockout, the
password, the audit entry (every attempt, failed ones too) and the failure count."""

from dataclasses import dataclass

from ..db import one
from ..records import audit
from . import lockout, model

# How much of a typed username goes into the audit log.
AUDIT_USERNAME_LENGTH = 100


@dataclass
class Attempt:
    """What came of a sign-in: the user, or why not (`invalid` or `locked`, with the wait)."""

    user: dict | None
    refused: str | None = None
    retry_after: int = 0


def attempt(db, username: str, password: str, *, channel: str, ip: str | None, cfg) -> Attempt:
    """Try a username and password from a channel (`web` or `device`).

    A locked account is refused without looking at the password (so a lock cannot be waited
    out by guessing). A failure counts towards the lock; a success clears the count."""
    limits = dict(
        threshold=cfg["LOGIN_LOCKOUT_THRESHOLD"],
        base=cfg["LOGIN_LOCKOUT_SECONDS"],
        cap=cfg["LOGIN_LOCKOUT_MAX_SECONDS"],
    )
    details = {"channel": channel, "username": username.strip()[:AUDIT_USERNAME_LENGTH]}
    wait = lockout.seconds_left(db, username)
    if wait:
        with db.atomic():
            refused = details | {"reason": "locked", "retry_after": wait}
            audit(
                db, None, "sign_in_refused", "app_user", _known_id(db, username), None, refused, ip
            )
        return Attempt(None, "locked", wait)
    user = model.authenticate(db, username, password)
    with db.atomic():
        if user is None:
            counted = lockout.record_failure(db, username, **limits)
            failed = details | counted
            audit(
                db, None, "sign_in_failed", "app_user", _known_id(db, username), None, failed, ip
            )
            return Attempt(None, "invalid", counted["lock_seconds"])
        lockout.clear(db, username)
        audit(db, user["id"], "sign_in", "app_user", user["id"], None, details, ip)
    return Attempt(user)


def _known_id(db, username: str) -> str | None:
    row = one(db, "SELECT id FROM app_user WHERE username = ?", [username.strip()])
    return row["id"] if row else None
