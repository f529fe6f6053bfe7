"""Push subscriptions: one per browser on a device, owned by the user who subscribed it."""

import base64
import binascii
import re

from cryptography.hazmat.primitives.asymmetric import ec

from ..db import one, rows
from ..ids import now_utc, uuid7
from . import endpoints

# Devices a user keeps at most: a new one pushes out the oldest. A reinstalled app makes a
# new endpoint each time, and a hostile device could otherwise register thousands of URLs
# for every reminder run to post to.
MAX_PER_USER = 10
# base64url as browsers write it (padding optional): the lenient decoder would drop other
# characters, so what is checked here could differ from what pywebpush decodes.
B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _b64url_bytes(value: str) -> bytes | None:
    if not B64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def key_ok(p256dh: str) -> bool:
    """Whether p256dh is an uncompressed point on P-256 (65 bytes starting 0x04 is not enough:
    a point off the curve made every reminder run fail at encryption)."""
    point = _b64url_bytes(p256dh)
    if point is None or len(point) != 65 or point[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True


def auth_ok(auth: str) -> bool:
    """Whether auth is a 16-byte secret (RFC 8291)."""
    secret = _b64url_bytes(auth)
    return secret is not None and len(secret) == 16


def validate(body: dict, hosts=None, allow_private: bool = False) -> tuple[dict, dict]:
    """Check a PushSubscription's JSON (endpoint, keys.p256dh, keys.auth) from a browser.

    The endpoint must pass endpoints.check (a known push service's https URL, when hosts are
    given); p256dh a point on P-256 and auth a 16-byte secret, both base64url (RFC 8291).
    """
    errors: dict = {}
    endpoint = str(body.get("endpoint") or "").strip()
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    problem = endpoints.check(endpoint, hosts, allow_private)
    if problem:
        errors["endpoint"] = problem
    if not key_ok(p256dh):
        errors["p256dh"] = "invalid"
    if not auth_ok(auth):
        errors["auth"] = "invalid"
    device = str(body.get("device_name") or "")[:120]
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth, "device_name": device}, errors


def save(db, user_id: str, token_id: str | None, sub: dict) -> dict:
    """Store a subscription for the user; the same endpoint again replaces its keys and owner.

    A browser has one endpoint; when another user signs in on it, it becomes theirs.
    """
    with db.atomic():
        found = one(db, "SELECT id FROM push_subscription WHERE endpoint = ?", [sub["endpoint"]])
        if found:
            db.execute(
                "UPDATE push_subscription SET user_id = ?, token_id = ?, p256dh = ?, auth = ?,"
                " device_name = ?, last_error = NULL WHERE id = ?",
                [user_id, token_id, sub["p256dh"], sub["auth"], sub["device_name"], found["id"]],
            )
            sub_id = found["id"]
        else:
            sub_id = uuid7()
            db.execute(
                "INSERT INTO push_subscription (id, user_id, token_id, endpoint, p256dh, auth,"
                " device_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    sub_id,
                    user_id,
                    token_id,
                    sub["endpoint"],
                    sub["p256dh"],
                    sub["auth"],
                    sub["device_name"],
                    now_utc(),
                ],
            )
        db.execute(
            "DELETE FROM push_subscription WHERE user_id = ? AND id NOT IN (SELECT id FROM"
            " push_subscription WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
            [user_id, user_id, MAX_PER_USER],
        )
    return get(db, user_id, sub_id)


def get(db, user_id: str, sub_id: str) -> dict | None:
    """One of the user's own subscriptions (None for anyone else's)."""
    return one(
        db, "SELECT * FROM push_subscription WHERE id = ? AND user_id = ?", [sub_id, user_id]
    )


def list_for(db, user_id: str) -> list[dict]:
    """The user's subscribed devices, newest first."""
    return rows(
        db,
        "SELECT id, device_name, endpoint, created_at, last_sent_at, last_error"
        " FROM push_subscription WHERE user_id = ? ORDER BY created_at DESC",
        [user_id],
    )


def remove(db, user_id: str, sub_id: str) -> bool:
    """Delete one of the user's subscriptions; False when it is not theirs or gone."""
    cur = db.execute(
        "DELETE FROM push_subscription WHERE id = ? AND user_id = ?", [sub_id, user_id]
    )
    return cur.rowcount == 1


def remove_endpoint(db, user_id: str, endpoint: str) -> bool:
    """Delete the user's subscription with this endpoint (a device unsubscribing)."""
    cur = db.execute(
        "DELETE FROM push_subscription WHERE endpoint = ? AND user_id = ?", [endpoint, user_id]
    )
    return cur.rowcount == 1


def for_users(db, user_ids: list[str]) -> dict[str, list[dict]]:
    """Every subscription of these users that may still be sent to, grouped by user.

    A device whose token was revoked (a lost phone signed out from the web, or a user
    disabled) gets nothing more, even if its browser never unsubscribed."""
    grouped: dict[str, list[dict]] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT s.* FROM push_subscription s JOIN app_user u ON u.id = s.user_id"
            " LEFT JOIN api_token t ON t.id = s.token_id"
            f" WHERE s.user_id IN ({marks}) AND u.active = 1"
            " AND (s.token_id IS NULL OR t.revoked_at IS NULL)"
        )
        for sub in rows(db, sql, chunk):
            grouped.setdefault(sub["user_id"], []).append(sub)
    return grouped
