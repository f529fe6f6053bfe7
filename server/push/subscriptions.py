"""Push subscriptions: one per browser on a device, owned by the user who subscribed it."""

import base64
import binascii
from urllib.parse import urlparse

from ..db import one, rows
from ..ids import now_utc, uuid7

MAX_ENDPOINT = 2048
# Devices a user keeps at most: a new one pushes out the oldest. A reinstalled app makes a
# new endpoint each time, and a hostile device could otherwise register thousands of URLs
# for every reminder run to post to.
MAX_PER_USER = 10


def _b64url_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def endpoint_allowed(endpoint: str, hosts) -> bool:
    """Whether the reminder run may post to this endpoint: its host is one of the push
    services' hosts (PUSH_ENDPOINT_HOSTS: a name or any subdomain of it), over https; plain
    http only to a loopback host listed on purpose (the tests' stand-in). Otherwise a device
    could make the server post to any address inside its network."""
    url = urlparse(endpoint)
    host = (url.hostname or "").lower()
    if not host or not any(host == h or host.endswith("." + h) for h in hosts):
        return False
    return url.scheme == "https" or (url.scheme == "http" and host in LOOPBACK)


def validate(body: dict, hosts=None) -> tuple[dict, dict]:
    """Check a PushSubscription's JSON (endpoint, keys.p256dh, keys.auth) from a browser.

    The endpoint must be an absolute https URL of a known push service (endpoint_allowed,
    when hosts are given); p256dh a 65-byte uncompressed P-256 point and auth a 16-byte
    secret, both base64url (RFC 8291).
    """
    errors: dict = {}
    endpoint = str(body.get("endpoint") or "").strip()
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    url = urlparse(endpoint)
    if url.scheme not in ("https", "http") or not url.netloc or len(endpoint) > MAX_ENDPOINT:
        errors["endpoint"] = "invalid"
    elif hosts is not None and not endpoint_allowed(endpoint, hosts):
        errors["endpoint"] = "unknown_push_service"
    point = _b64url_bytes(p256dh)
    if point is None or len(point) != 65 or point[0] != 4:
        errors["p256dh"] = "invalid"
    secret = _b64url_bytes(auth)
    if secret is None or len(secret) != 16:
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
